//! The driver core (drivers/base/): buses, devices, drivers, probing — synchronous and
//! `PROBE_PREFER_ASYNCHRONOUS` — the deferred-probe lists, `bus_rescan_devices`, unbind with
//! devm actions released in reverse order, and `wait_for_device_probe`.
//!
//! Links: drivers/base/dd.c <https://github.com/torvalds/linux/blob/master/drivers/base/dd.c>,
//! drivers/base/bus.c <https://github.com/torvalds/linux/blob/master/drivers/base/bus.c>,
//! drivers/base/core.c, drivers/base/devres.c.
//!
//! Probe functions are synchronous Rust functions returning [`KResult`]: none of the modeled
//! probes sleeps (they take no lock another task could hold across a scheduling point). A devm
//! action that must sleep (`cancel_work_sync`, `flush_work` in a release path) records its
//! wait in [`DriverCore::pending_waits`]; the task that started the teardown sleeps on it
//! right after the teardown ([`crate::kernel::honor_pending_waits`]). Simplification: the
//! sleep happens after the remaining devm actions rather than between them.

use crate::kernel::errno::{Errno, KResult};
use crate::kernel::footprint::Tracked;
use crate::kernel::log::LogEvent;
use crate::kernel::module::Module;
use crate::kernel::resource::Name;
use crate::kernel::sched::{TaskBody, Wait, WorkId};
use crate::kernel::Kernel;

/// Index of a device in [`DriverCore::devices`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct DevId(pub u32);

/// Index of a driver in [`DriverCore::drivers`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct DrvId(pub u32);

/// The buses of the model.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Bus {
    /// platform_bus_type (ACPI0017 is an ACPI device bound through the platform driver model).
    Platform,
    /// pci_bus_type: the memdev PCI functions.
    Pci,
    /// cxl_bus_type (drivers/cxl/core/port.c).
    Cxl,
    /// dax_bus_type (drivers/dax/bus.c).
    Dax,
}

/// What a device is, with the index of the model object behind it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DevKind {
    /// ACPI0017, the CXL root, bound by cxl_acpi.
    Acpi0017,
    /// A memdev's PCI function (index into the platform's memdevs), bound by cxl_pci.
    PciMemdev(u32),
    /// "memN" on the cxl bus, bound by cxl_mem.
    CxlMemdev(u32),
    /// "endpointN", the memdev's endpoint port, bound by cxl_port.
    CxlEndpoint(u32),
    /// "regionN" (index into the CXL regions), bound by the cxl_region driver in cxl_core.
    CxlRegion(u32),
    /// "dax_regionN" (index of its CXL region), bound by cxl_dax_region in dax_cxl.
    CxlDaxRegion(u32),
    /// "hmem_platform.N", bound by dax_hmem's hmem_platform driver.
    HmemPlatform(u32),
    /// "hmem.N" for one Soft Reserved range (index into the hmem devices).
    Hmem(u32),
    /// "daxR.N" (index into the dev_dax table), bound by kmem.
    DevDax(u32),
}

/// What a driver is; its probe is looked up in the design's ops.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DrvKind {
    /// drivers/cxl/acpi.c `cxl_acpi_driver`.
    CxlAcpi,
    /// drivers/cxl/pci.c `cxl_pci_driver`.
    CxlPci,
    /// drivers/cxl/mem.c `cxl_mem_driver`.
    CxlMem,
    /// drivers/cxl/port.c `cxl_port_driver`.
    CxlPort,
    /// drivers/cxl/core/region.c `cxl_region_driver`.
    CxlRegion,
    /// drivers/dax/cxl.c `cxl_dax_region_driver`.
    CxlDaxRegion,
    /// drivers/dax/hmem/hmem.c `dax_hmem_platform_driver` ("hmem_platform").
    HmemPlatform,
    /// drivers/dax/hmem/hmem.c `dax_hmem_driver` ("hmem").
    Hmem,
    /// drivers/dax/kmem.c `device_dax_kmem_driver`.
    Kmem,
}

impl DrvKind {
    /// The driver's name as sysfs shows it.
    pub fn name(self) -> &'static str {
        match self {
            DrvKind::CxlAcpi => "cxl_acpi",
            DrvKind::CxlPci => "cxl_pci",
            DrvKind::CxlMem => "cxl_mem",
            DrvKind::CxlPort => "cxl_port",
            DrvKind::CxlRegion => "cxl_region",
            DrvKind::CxlDaxRegion => "cxl_dax_region",
            DrvKind::HmemPlatform => "hmem_platform",
            DrvKind::Hmem => "hmem",
            DrvKind::Kmem => "kmem",
        }
    }

    /// The bus it registers on.
    pub fn bus(self) -> Bus {
        match self {
            DrvKind::CxlAcpi | DrvKind::HmemPlatform | DrvKind::Hmem => Bus::Platform,
            DrvKind::CxlPci => Bus::Pci,
            DrvKind::CxlMem | DrvKind::CxlPort | DrvKind::CxlRegion | DrvKind::CxlDaxRegion => {
                Bus::Cxl
            }
            DrvKind::Kmem => Bus::Dax,
        }
    }

    /// `bus->match()`: platform drivers match by name, cxl drivers by device type
    /// (`cxl_bus_match`), dax drivers by type (`dax_bus_match`: kmem takes dev_dax whose
    /// region carries IORESOURCE_DAX_KMEM; every modeled dax region does).
    pub fn matches(self, dev: DevKind) -> bool {
        matches!(
            (self, dev),
            (DrvKind::CxlAcpi, DevKind::Acpi0017)
                | (DrvKind::CxlPci, DevKind::PciMemdev(_))
                | (DrvKind::CxlMem, DevKind::CxlMemdev(_))
                | (DrvKind::CxlPort, DevKind::CxlEndpoint(_))
                | (DrvKind::CxlRegion, DevKind::CxlRegion(_))
                | (DrvKind::CxlDaxRegion, DevKind::CxlDaxRegion(_))
                | (DrvKind::HmemPlatform, DevKind::HmemPlatform(_))
                | (DrvKind::Hmem, DevKind::Hmem(_))
                | (DrvKind::Kmem, DevKind::DevDax(_))
        )
    }
}

/// A devm action (`devm_add_action`): released in reverse order on unbind or probe failure.
#[derive(Clone, Copy, Hash, Debug)]
pub struct Devres {
    /// The release function's kernel name, used by `devm_release_action` to find it.
    pub name: &'static str,
    /// The release function.
    pub release: fn(&mut Kernel, u64),
    /// Its argument.
    pub arg: u64,
}

/// A wait a devm release action asked for, and what the action does once it is over (the rest
/// of an action that sleeps in the middle, e.g. v6's `kill_defer_work`: `flush_work`, then
/// unregister).
#[derive(Clone, Copy, Hash, Debug)]
pub struct PendingWait {
    /// The task that ran the action (and sleeps on it); `None` outside a task (a test driving
    /// the driver core by hand).
    pub task: Option<crate::kernel::sched::TaskId>,
    /// What the task that started the teardown sleeps on.
    pub wait: Wait,
    /// The action's remainder, run once the wait is over.
    pub then: Option<Devres>,
}

/// One `struct device`.
#[derive(Clone, Hash, Debug)]
pub struct Device {
    /// `dev_name()`.
    pub name: Name,
    /// What it is.
    pub kind: DevKind,
    /// `dev->bus`.
    pub bus: Bus,
    /// `dev->parent`.
    pub parent: Option<DevId>,
    /// `dev->driver`.
    pub driver: Option<DrvId>,
    /// Between `device_add` and `device_del`.
    pub registered: bool,
    /// devres list, in acquisition order.
    pub devres: Vec<Devres>,
    /// The last probe's error, cleared when a probe succeeds.
    pub probe_err: Option<Errno>,
    /// Who ran that failed probe: the driver, the task, and the current task's cause frame if
    /// it had one (a user action, a design patch's function).
    pub probe_err_by: Option<(
        DrvKind,
        crate::kernel::sched::TaskId,
        Option<crate::kernel::cause::Frame>,
    )>,
    /// On the deferred-probe pending or active list.
    pub deferred: bool,
    /// `dev->p->async_driver`: an async attach is scheduled.
    pub async_pending: bool,
    /// When it was bound (its place in `drv->p->klist_devices`): `driver_detach` unbinds the
    /// most recently bound first.
    pub bind_seq: u64,
}

/// One `struct device_driver`.
#[derive(Clone, Copy, Hash, Debug)]
pub struct Driver {
    /// Which driver.
    pub kind: DrvKind,
    /// The module that registers it.
    pub module: Module,
    /// `probe_type == PROBE_PREFER_ASYNCHRONOUS`.
    pub prefer_async: bool,
    /// Between `driver_register` and `driver_unregister`.
    pub registered: bool,
}

/// The driver core's state.
#[derive(Clone, Hash, Debug, Default)]
pub struct DriverCore {
    /// Every device ever created (unregistered ones stay, `registered == false`).
    pub devices: Tracked<Vec<Device>, 24>,
    /// Every driver ever registered, in registration order.
    pub drivers: Tracked<Vec<Driver>, 25>,
    /// The drivers registered now, in registration order (the bus's `klist_drivers`): what
    /// `__device_attach` walks, instead of every driver ever registered (each module load
    /// adds one, so the walk grew with the length of the run).
    pub registered_drivers: Tracked<Vec<DrvId>, 26>,
    /// `deferred_probe_pending_list`.
    pub deferred: Tracked<Vec<DevId>, 27>,
    /// `deferred_probe_active_list`: what the next `deferred_probe_work` run retries.
    pub deferred_active: Tracked<Vec<DevId>, 28>,
    /// `deferred_trigger_count`.
    pub deferred_trigger_count: Tracked<u64, 29>,
    /// Binds so far (orders `klist_devices`).
    pub bind_counter: Tracked<u64, 30>,
    /// `driver_deferred_probe_enable`, set by `deferred_probe_initcall` at late_initcall.
    pub deferred_probe_enable: Tracked<bool, 31>,
    /// `deferred_probe_work`.
    pub deferred_probe_work: Tracked<Option<WorkId>, 32>,
    /// Async attaches scheduled and not finished (`async_synchronize_full` waits for them).
    pub async_pending: Tracked<u32, 33>,
    /// Waits that devm release actions asked for (see the module docs).
    pub pending_waits: Tracked<Vec<PendingWait>, 34>,
    /// udev's side of `kobject_uevent(KOBJ_ADD)`: see [`Udev`].
    pub udev: Tracked<Udev, 35>,
    /// The registered devices, in creation order: what the walks over devices visit
    /// ([`Walk`]), so that a walk costs what is registered, not every device ever created
    /// (each module load grew with the length of the run).
    pub registered: Tracked<Vec<DevId>, 36>,
    /// The registered devices of each bus by name, one list per [`Bus`] sorted by name (the
    /// bus's sysfs directory, which refuses a duplicate name), kept once more than
    /// [`NAME_SCAN`] devices are registered at a time; until then `device_add` compares names
    /// with the registered devices one by one, which is cheaper for the few devices of most
    /// runs. Either way a lookup never scans [`DriverCore::devices`], every device ever
    /// created (registering n devices was O(n²)).
    pub bus_names: Tracked<Option<Box<BusNames>>, 37>,
}

/// The registered devices of each [`Bus`] (indexed by `bus as usize`), sorted by name.
pub type BusNames = [Vec<(Name, DevId)>; 4];

/// Up to this many registered devices, `device_add` finds a duplicate name by comparing with
/// each ([`DriverCore::bus_names`]).
pub const NAME_SCAN: usize = 32;

impl DriverCore {
    /// The registered devices in creation order: the order of the kernel's `klist_devices`
    /// walks (`bus_for_each_dev`), which the model's walks have always used.
    pub fn registered_devices(&self) -> Vec<DevId> {
        self.registered.to_vec()
    }

    /// Whether a device named `name` is registered on `bus`.
    fn name_taken(&self, bus: Bus, name: Name) -> bool {
        match &*self.bus_names {
            Some(names) => names[bus as usize]
                .binary_search_by(|(n, _)| n.cmp(&name))
                .is_ok(),
            // The numbers first: they tell most names apart without comparing text.
            None => self.registered.iter().any(|&d| {
                let o = &self.devices[d.0 as usize];
                o.bus == bus
                    && o.name.id == name.id
                    && o.name.sub == name.sub
                    && o.name.prefix == name.prefix
            }),
        }
    }

    /// Records that `d` (on `bus`, named `name`) is registered; builds the name lists when
    /// more than [`NAME_SCAN`] devices are.
    fn index_add(&mut self, d: DevId, bus: Bus, name: Name) {
        let at = self.registered.partition_point(|&x| x < d);
        self.registered.insert(at, d);
        if let Some(names) = &mut *self.bus_names {
            let list = &mut names[bus as usize];
            let at = list.partition_point(|(n, _)| *n < name);
            list.insert(at, (name, d));
        } else if self.registered.len() > NAME_SCAN {
            let mut names: Box<BusNames> = Box::default();
            for &r in self.registered.iter() {
                let o = &self.devices[r.0 as usize];
                names[o.bus as usize].push((o.name, r));
            }
            for list in names.iter_mut() {
                list.sort_unstable_by_key(|&(n, _)| n);
            }
            *self.bus_names = Some(names);
        }
    }

    /// Records that `d` (on `bus`, named `name`) is no longer registered.
    fn index_remove(&mut self, d: DevId, bus: Bus, name: Name) {
        if let Ok(at) = self.registered.binary_search(&d) {
            self.registered.remove(at);
        }
        if let Some(names) = &mut *self.bus_names {
            let list = &mut names[bus as usize];
            if let Ok(at) = list.binary_search_by(|(n, _)| n.cmp(&name)) {
                let (_, was) = list.remove(at);
                debug_assert_eq!(was, d, "a registered device is in its bus's name list");
            }
        }
    }
}

/// A walk over the devices (or drivers) that existed when it started, visiting in id order
/// each one that is registered when the walk reaches it: what a loop over every id ever
/// created that skips the unregistered ones visits, even when the probes it makes register
/// or unregister devices meanwhile (a device registered during the walk has a larger id and
/// is probed by its own `device_add`). It steps through the sorted list of registered ids
/// ([`DriverCore::registered`], [`DriverCore::registered_drivers`]) without copying it: one
/// step is O(1) unless the list changed before the walk's position, O(log n) then.
pub struct Walk {
    /// Ids from here on did not exist when the walk started.
    end: u32,
    /// Where the next id is in the list, if the list did not change before it.
    next: usize,
    /// The last id visited.
    last: Option<u32>,
}

impl Walk {
    /// A walk over the ids below `end` (the number of devices or drivers when it starts).
    pub fn new(end: usize) -> Walk {
        Walk {
            end: end as u32,
            next: 0,
            last: None,
        }
    }

    /// The first id in the sorted `list` after the last one visited, if it is below the end.
    pub fn step<T: Copy>(&mut self, list: &[T], id: impl Fn(T) -> u32) -> Option<T> {
        let i = match self.last {
            None => 0,
            Some(l) if self.next > 0 && list.get(self.next - 1).map(|&x| id(x)) == Some(l) => {
                self.next
            }
            Some(l) => list.partition_point(|&x| id(x) <= l),
        };
        let x = *list.get(i)?;
        if id(x) >= self.end {
            return None;
        }
        self.next = i + 1;
        self.last = Some(id(x));
        Some(x)
    }
}

/// udev, as far as it loads modules: on every `add` uevent it runs `kmod load $MODALIAS` in a
/// worker of its own (<https://github.com/systemd/systemd/blob/main/src/udev/udev-builtin-kmod.c>),
/// and at start-up `udevadm trigger` replays the `add` uevents of every device that already
/// exists (coldplug).
///
/// Uevents raised before userspace runs reach nobody (no udevd yet); the model does not queue
/// them: coldplug ([`Kernel::udev_coldplug`]) walks the devices registered at that moment,
/// which is what `udevadm trigger` does with /sys. One modprobe task per module: while a
/// modprobe udev started for a module is alive, or the module is not unloaded, another
/// uevent for the same module starts nothing (a second modprobe would only find it loaded or
/// wait for the first, `add_unformed_module`).
#[derive(Clone, Hash, Debug, Default)]
pub struct Udev {
    /// udevd is running: userspace started and coldplug was triggered.
    pub running: bool,
    /// Modules never loaded by alias, by [`Module::idx`] bit (`blacklist` lines in
    /// /etc/modprobe.d: kmod's alias lookup skips them; an explicit `modprobe NAME` still loads).
    pub blacklist: u16,
    /// The modprobe task udev last started for each module.
    pub loads: [Option<crate::kernel::sched::TaskId>; 9],
}

impl Kernel {
    /// The device.
    pub fn dev(&self, d: DevId) -> &Device {
        &self.dc.devices[d.0 as usize]
    }

    /// The device, mutably.
    pub fn dev_mut(&mut self, d: DevId) -> &mut Device {
        &mut self.dc.devices[d.0 as usize]
    }

    /// `device_initialize()`: a device that is not yet on its bus.
    pub fn device_initialize(
        &mut self,
        name: Name,
        kind: DevKind,
        bus: Bus,
        parent: Option<DevId>,
    ) -> DevId {
        let id = DevId(self.dc.devices.len() as u32);
        self.dc.devices.push(Device {
            name,
            kind,
            bus,
            parent,
            driver: None,
            registered: false,
            devres: Vec::new(),
            probe_err: None,
            probe_err_by: None,
            deferred: false,
            async_pending: false,
            bind_seq: 0,
        });
        id
    }

    /// `device_add()` (drivers/base/core.c): puts the device on its bus and probes it
    /// (`bus_probe_device`). A name already registered on the bus fails with -EEXIST (sysfs
    /// "cannot create duplicate filename"); the device stays unregistered.
    pub fn device_add(&mut self, d: DevId) -> KResult {
        let (name, bus) = (self.dev(d).name, self.dev(d).bus);
        if self.dev(d).registered || self.dc.name_taken(bus, name) {
            self.dbg("device_add", "sysfs: cannot create duplicate filename");
            return Err(Errno::EEXIST);
        }
        self.dc.index_add(d, bus, name);
        self.dev_mut(d).registered = true;
        self.log(LogEvent::DeviceAdd(d));
        // kobject_uevent(&dev->kobj, KOBJ_ADD), before bus_probe_device(dev).
        self.udev_add_uevent(d);
        self.bus_probe_device(d);
        Ok(())
    }

    /// udev receiving the `add` uevent of `d` (see [`Udev`]): if udevd runs and the device's
    /// alias names a module that is built as a module, not loaded, not blacklisted and not
    /// already being loaded by udev, start `modprobe` for it in a task of its own.
    pub fn udev_add_uevent(&mut self, d: DevId) {
        if !self.dc.udev.running {
            return;
        }
        let Some(m) = Module::for_device(self.dev(d).kind) else {
            return;
        };
        if self.dc.udev.blacklist & (1 << m.idx()) != 0
            || m.build(&self.cfg) != crate::kernel::kconfig::Tristate::M
            || self.modules[m.idx()] != crate::kernel::module::ModState::Unloaded
        {
            return;
        }
        if let Some(t) = self.dc.udev.loads[m.idx()] {
            if self.task_alive(t) {
                return;
            }
        }
        let t = self.spawn(TaskBody::Modprobe(m));
        self.dc.udev.loads[m.idx()] = Some(t);
    }

    /// udevd starts with `blacklist` (a [`Udev::blacklist`] mask) and `udevadm trigger` replays
    /// the `add` uevent of every registered device, in device order.
    pub fn udev_coldplug(&mut self, blacklist: u16) {
        self.dc.udev.running = true;
        self.dc.udev.blacklist = blacklist;
        let mut walk = Walk::new(self.dc.devices.len());
        while let Some(d) = walk.step(&self.dc.registered, |d| d.0) {
            self.udev_add_uevent(d);
        }
    }

    /// `device_del()` + `put_device()`: unbinds, then takes the device off its bus.
    pub fn device_unregister(&mut self, d: DevId) {
        if !self.dev(d).registered {
            return;
        }
        self.device_release_driver(d);
        let dev = self.dev_mut(d);
        dev.registered = false;
        let (bus, name) = (dev.bus, dev.name);
        self.dc.index_remove(d, bus, name);
        let dev = self.dev_mut(d);
        if dev.deferred {
            dev.deferred = false;
            self.dc.deferred.retain(|&x| x != d);
            self.dc.deferred_active.retain(|&x| x != d);
        }
        self.log(LogEvent::DeviceDel(d));
    }

    /// `devm_add_action()`.
    pub fn devm_add_action(
        &mut self,
        d: DevId,
        name: &'static str,
        release: fn(&mut Kernel, u64),
        arg: u64,
    ) {
        self.dev_mut(d).devres.push(Devres { name, release, arg });
    }

    /// `devm_release_action()`: removes the newest matching action and runs it now. WARNs, as
    /// the kernel does, when there is none.
    pub fn devm_release_action(&mut self, d: DevId, name: &'static str, arg: u64) {
        let pos = self
            .dev(d)
            .devres
            .iter()
            .rposition(|r| r.name == name && r.arg == arg);
        match pos {
            Some(i) => {
                let r = self.dev_mut(d).devres.remove(i);
                (r.release)(self, r.arg);
            }
            None => self.warn("devm_release_action", "devres action not found"),
        }
    }

    /// What a failed probe of driver `kind` records about its cause (only in runs kept for
    /// reports; judges do not read it).
    fn probe_failure_cause(
        &self,
        kind: DrvKind,
    ) -> Option<(
        DrvKind,
        crate::kernel::sched::TaskId,
        Option<crate::kernel::cause::Frame>,
    )> {
        if !self.reporting {
            return None;
        }
        let me = self
            .sched
            .current
            .unwrap_or(crate::kernel::sched::TaskId(u32::MAX));
        Some((kind, me, self.frame()))
    }

    /// `cancel_work_sync()` called from a devm action (which cannot sleep in the model): a
    /// pending instance is cancelled now; a running one is waited for by the task that started
    /// the teardown (see the module docs).
    pub fn cancel_work_sync_from_devres(&mut self, w: WorkId) {
        let wk = &mut self.sched.works[w.0 as usize];
        if wk.pending {
            wk.pending = false;
            wk.cancelled += 1;
        }
        if wk.running.is_some() {
            // Untracked: the polled task (none outside a task), the same at every poll of it.
            let task = *self.sched.current.untracked();
            self.dc.pending_waits.push(PendingWait {
                task,
                wait: Wait::WorkNotRunning(w),
                then: None,
            });
        }
    }

    /// `devres_release_all()`: runs every devm action, newest first.
    pub fn devres_release_all(&mut self, d: DevId) {
        while let Some(r) = self.dev_mut(d).devres.pop() {
            (r.release)(self, r.arg);
        }
    }

    /// `bus_probe_device()` → `device_initial_probe()` → `__device_attach(dev, true)`.
    pub fn bus_probe_device(&mut self, d: DevId) {
        self.__device_attach(d, true);
    }

    /// `device_attach()`: `__device_attach(dev, false)`, every match probed synchronously.
    pub fn device_attach(&mut self, d: DevId) -> bool {
        self.__device_attach(d, false)
    }

    /// `__device_attach()` (drivers/base/dd.c): tries the synchronous drivers that match, in
    /// registration order; if none bound and async drivers match, schedules one async attach.
    /// Returns whether the device is bound.
    pub fn __device_attach(&mut self, d: DevId, allow_async: bool) -> bool {
        if self.dev(d).driver.is_some() {
            return true;
        }
        if !self.dev(d).registered {
            return false;
        }
        let mut have_async = false;
        let kind = self.dev(d).kind;
        // The drivers registered when the walk starts, in registration order, skipping one a
        // probe unregisters meanwhile (one a probe registers attaches by itself).
        let mut walk = Walk::new(self.dc.drivers.len());
        while let Some(id) = walk.step(&self.dc.registered_drivers, |d| d.0) {
            let drv = self.dc.drivers[id.0 as usize];
            if !drv.kind.matches(kind) {
                continue;
            }
            if allow_async && drv.prefer_async {
                have_async = true;
                continue;
            }
            match self.driver_probe_device(id, d) {
                Ok(()) => return true,
                Err(Errno::EPROBE_DEFER) => return false,
                Err(_) => continue,
            }
        }
        if allow_async && have_async && !self.dev(d).async_pending {
            self.dev_mut(d).async_pending = true;
            *self.dc.async_pending += 1;
            self.spawn(TaskBody::AsyncProbe(d));
        }
        false
    }

    /// The body of an async attach (`__device_attach_async_helper` /
    /// `__driver_attach_async_helper`): probes the device with the matching async drivers.
    pub fn async_attach(&mut self, d: DevId) {
        self.dev_mut(d).async_pending = false;
        *self.dc.async_pending -= 1;
        if self.dev(d).driver.is_some() || !self.dev(d).registered {
            return;
        }
        let kind = self.dev(d).kind;
        let mut walk = Walk::new(self.dc.drivers.len());
        while let Some(id) = walk.step(&self.dc.registered_drivers, |d| d.0) {
            let drv = self.dc.drivers[id.0 as usize];
            if drv.prefer_async && drv.kind.matches(kind) {
                match self.driver_probe_device(id, d) {
                    Ok(()) | Err(Errno::EPROBE_DEFER) => return,
                    Err(_) => continue,
                }
            }
        }
    }

    /// `driver_probe_device()` → `really_probe()` (drivers/base/dd.c): binds, calls the probe,
    /// and on failure releases devres and unbinds. -EPROBE_DEFER puts the device on the
    /// deferred list; success triggers a deferred-probe pass (`driver_bound`).
    pub fn driver_probe_device(&mut self, drv: DrvId, d: DevId) -> KResult {
        if !self.dev(d).registered {
            return Err(Errno::ENODEV);
        }
        if self.dev(d).driver.is_some() {
            return Err(Errno::EBUSY);
        }
        let kind = self.dc.drivers[drv.0 as usize].kind;
        if !self.dev(d).devres.is_empty() {
            // really_probe(): `if (!list_empty(&dev->devres_head)) { dev_crit(dev, "Resources
            // present before probing\n"); ret = -EBUSY; goto done; }` — nothing is released.
            self.dbg("really_probe", "Resources present before probing");
            let by = self.probe_failure_cause(kind);
            let dev = self.dev_mut(d);
            dev.probe_err = Some(Errno::EBUSY);
            dev.probe_err_by = by;
            self.log(LogEvent::ProbeFailed(d, kind, Errno::EBUSY));
            return Err(Errno::EBUSY);
        }
        self.dev_mut(d).driver = Some(drv);
        let trigger_count = *self.dc.deferred_trigger_count;
        let ret = self.call_probe(kind, d);
        match ret {
            Ok(()) => {
                *self.dc.bind_counter += 1;
                let seq = *self.dc.bind_counter;
                let dev = self.dev_mut(d);
                dev.probe_err = None;
                dev.bind_seq = seq;
                if dev.deferred {
                    dev.deferred = false;
                    self.dc.deferred.retain(|&x| x != d);
                    self.dc.deferred_active.retain(|&x| x != d);
                }
                self.log(LogEvent::Bound(d, kind));
                self.driver_deferred_probe_trigger();
            }
            Err(e) => {
                self.devres_release_all(d);
                let by = self.probe_failure_cause(kind);
                let dev = self.dev_mut(d);
                dev.driver = None;
                dev.probe_err = Some(e);
                dev.probe_err_by = by;
                if e == Errno::EPROBE_DEFER {
                    self.driver_deferred_probe_add(d);
                    // "Did a trigger occur while probing? Need to re-trigger if yes"
                    if trigger_count != *self.dc.deferred_trigger_count {
                        self.driver_deferred_probe_trigger();
                    }
                }
                self.log(LogEvent::ProbeFailed(d, kind, e));
            }
        }
        ret
    }

    /// Calls the design's probe for `kind`.
    fn call_probe(&mut self, kind: DrvKind, d: DevId) -> KResult {
        let ops = self.ops;
        match kind {
            DrvKind::CxlAcpi => (ops.cxl_acpi_probe)(self, d),
            DrvKind::CxlPci => (ops.cxl_pci_probe)(self, d),
            DrvKind::CxlMem => (ops.cxl_mem_probe)(self, d),
            DrvKind::CxlPort => (ops.cxl_port_probe)(self, d),
            DrvKind::CxlRegion => (ops.cxl_region_probe)(self, d),
            DrvKind::CxlDaxRegion => (ops.cxl_dax_region_probe)(self, d),
            DrvKind::HmemPlatform => (ops.dax_hmem_platform_probe)(self, d),
            DrvKind::Hmem => (ops.dax_hmem_probe)(self, d),
            DrvKind::Kmem => (ops.dev_dax_kmem_probe)(self, d),
        }
    }

    /// `device_release_driver()`: the driver's remove, then devres in reverse order.
    pub fn device_release_driver(&mut self, d: DevId) {
        let Some(drv) = self.dev(d).driver else {
            return;
        };
        let kind = self.dc.drivers[drv.0 as usize].kind;
        if kind == DrvKind::Kmem {
            (self.ops.dev_dax_kmem_remove)(self, d);
        }
        self.devres_release_all(d);
        self.dev_mut(d).driver = None;
        self.log(LogEvent::Unbound(d, kind));
    }

    /// `driver_register()` → `bus_add_driver()` → `driver_attach()`: probes every matching
    /// unbound device, asynchronously (one async attach per device) if the driver prefers.
    pub fn driver_register(&mut self, kind: DrvKind, module: Module, prefer_async: bool) -> DrvId {
        let id = DrvId(self.dc.drivers.len() as u32);
        self.dc.drivers.push(Driver {
            kind,
            module,
            prefer_async,
            registered: true,
        });
        self.dc.registered_drivers.push(id);
        // The devices registered when the walk starts, in creation order, skipping one a probe
        // unregisters meanwhile; one a probe registers during the walk is probed by its own
        // device_add, not here (it is past the walk's end).
        let mut walk = Walk::new(self.dc.devices.len());
        while let Some(d) = walk.step(&self.dc.registered, |d| d.0) {
            let dev = self.dev(d);
            if dev.driver.is_some() || !kind.matches(dev.kind) {
                continue;
            }
            if prefer_async {
                if !dev.async_pending {
                    self.dev_mut(d).async_pending = true;
                    *self.dc.async_pending += 1;
                    self.spawn(TaskBody::AsyncProbe(d));
                }
            } else {
                let _ = self.driver_probe_device(id, d);
            }
        }
        id
    }

    /// `driver_unregister()` → `driver_detach()`: unbinds every device bound to the driver,
    /// most recently bound first.
    pub fn driver_unregister(&mut self, kind: DrvKind) {
        let Some(at) = self
            .dc
            .registered_drivers
            .iter()
            .rposition(|&id| self.dc.drivers[id.0 as usize].kind == kind)
        else {
            return;
        };
        let id = self.dc.registered_drivers[at];
        let i = id.0 as usize;
        // Only a registered device is bound (device_del unbinds first).
        let mut bound: Vec<DevId> = self
            .dc
            .registered
            .iter()
            .copied()
            .filter(|&d| self.dev(d).driver == Some(id))
            .collect();
        bound.sort_by_key(|&d| std::cmp::Reverse(self.dev(d).bind_seq));
        for d in bound {
            self.device_release_driver(d);
        }
        self.dc.drivers[i].registered = false;
        self.dc.registered_drivers.retain(|&x| x != id);
    }

    /// Whether a driver of this kind is registered.
    pub fn driver_registered(&self, kind: DrvKind) -> bool {
        self.dc
            .registered_drivers
            .iter()
            .any(|&id| self.dc.drivers[id.0 as usize].kind == kind)
    }

    /// `bus_rescan_devices()`: `device_attach()` on every unbound device of the bus.
    pub fn bus_rescan_devices(&mut self, bus: Bus) -> KResult {
        let mut walk = Walk::new(self.dc.devices.len());
        while let Some(d) = walk.step(&self.dc.registered, |d| d.0) {
            let dev = self.dev(d);
            if dev.bus == bus && dev.driver.is_none() {
                self.device_attach(d);
            }
        }
        Ok(())
    }

    /// `driver_deferred_probe_add()`.
    pub fn driver_deferred_probe_add(&mut self, d: DevId) {
        if !self.dev(d).deferred {
            self.dev_mut(d).deferred = true;
            self.dc.deferred.push(d);
        }
    }

    /// `driver_deferred_probe_trigger()`: if deferred probing is enabled, count the trigger,
    /// move the pending list to the active list and queue `deferred_probe_work` (even when
    /// there is nothing to retry, as the kernel does).
    pub fn driver_deferred_probe_trigger(&mut self) {
        if !*self.dc.deferred_probe_enable {
            return;
        }
        *self.dc.deferred_trigger_count += 1;
        let pending = std::mem::take(&mut *self.dc.deferred);
        self.dc.deferred_active.extend(pending);
        let w = self.deferred_probe_work();
        self.queue_work(w);
    }

    /// The `deferred_probe_work` item, created on first use.
    pub fn deferred_probe_work(&mut self) -> WorkId {
        match *self.dc.deferred_probe_work {
            Some(w) => w,
            None => {
                let w = self.init_work("deferred_probe_work", Some(deferred_probe_work_func), 0);
                *self.dc.deferred_probe_work = Some(w);
                w
            }
        }
    }

    /// `deferred_probe_work_func()`: takes devices off the active list one by one and retries
    /// each (`bus_probe_device`); a device that defers again goes back to the pending list.
    pub fn deferred_probe_work_func(&mut self) {
        while !self.dc.deferred_active.is_empty() {
            let d = self.dc.deferred_active.remove(0);
            self.dev_mut(d).deferred = false;
            if self.dev(d).registered && self.dev(d).driver.is_none() {
                self.bus_probe_device(d);
            }
        }
    }

    /// What `wait_for_device_probe()` waits for: `flush_work(&deferred_probe_work)`, no probe in
    /// flight (`probe_count == 0`; synchronous probes never span a scheduling point) and
    /// `async_synchronize_full()`.
    pub fn device_probe_idle(&self) -> bool {
        let work_idle = self.dc.deferred_probe_work.is_none_or(|w| {
            let wk = &self.sched.works[w.0 as usize];
            !wk.pending && wk.running.is_none()
        });
        work_idle && *self.dc.async_pending == 0
    }
}

fn deferred_probe_work_func(
    k: crate::kernel::KRef,
    _data: u32,
) -> crate::kernel::sched::BoxFut<()> {
    Box::pin(async move {
        k.borrow_mut().deferred_probe_work_func();
    })
}
