//! The tasks that load code: `kernel_init` running built-in initcalls, modprobe (from udev,
//! a user, or `request_module`), rmmod, and the userspace task that plays the scenario's
//! events.
//!
//! Links: init/main.c `do_initcalls`
//! <https://github.com/torvalds/linux/blob/master/init/main.c>, kernel/module/kmod.c
//! `__request_module` <https://github.com/torvalds/linux/blob/master/kernel/module/kmod.c>,
//! kernel/module/main.c `load_module`, `delete_module`.
//!
//! Simplifications: modprobe resolves soft dependencies, then symbol dependencies, then loads
//! (kmod's order); every module is in the initramfs, so `request_module` from a built-in
//! initcall after `rootfs_initcall` works, as it does with an initramfs; a built-in that needs a
//! modular module's symbols cannot link — recorded as a WARN at site "kbuild" and the built-in
//! is left out.
//!
//! Who waits for what: `do_init_module` ends with `async_synchronize_full()`, so a modprobe
//! (and `request_module`, which waits for its modprobe) returns only after the async probes
//! the module's init started; `kernel_init` calls `async_synchronize_full()` before userspace
//! starts, so userspace never runs before the built-in drivers' async probes. Neither waits
//! for work items (`cxl_bus_wq`'s rescan, deferred-probe passes queued later).
//!
//! udev: when userspace starts, `udevadm trigger` replays the uevents of the devices that
//! exist (coldplug), and every later `device_add` sends one; udev loads the module whose alias
//! matches each ([`Module::for_device`], [`crate::kernel::driver_core::Udev`]), each load in a
//! modprobe task of its own, in the order the schedule picks. A scenario's
//! [`Event::Blacklist`] lines are the /etc/modprobe.d blacklist; explicit `modprobe` events
//! load anyway.

use crate::drivers::cxl::acpi::{cxl_acpi_exit, cxl_acpi_init};
use crate::drivers::cxl::mem::{
    cxl_mem_exit, cxl_mem_init, cxl_pci_exit, cxl_pci_init, pci_enumerate_memdev,
};
use crate::drivers::cxl::port::{cxl_bus_drain, cxl_port_exit, cxl_port_init};
use crate::drivers::cxl::region::{create_ram_region, cxl_region_init, destroy_region};
use crate::drivers::dax::dax_core_init;
use crate::drivers::e820::e820__reserve_resources_late;
use crate::drivers::hmem::hmat_register_targets;
use crate::drivers::kmem::{dax_kmem_exit, dax_kmem_init, offline_memory};
use crate::kernel::driver_core::{Bus, DevKind, DrvKind};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::kconfig::{Sym, Tristate};
use crate::kernel::log::LogEvent;
use crate::kernel::module::{InitcallLevel, ModState, Module};
use crate::kernel::resource::Name;
use crate::kernel::sched::{async_synchronize_full_then, block_on, BoxFut, Resume, TaskBody, Wait};
use crate::kernel::{honor_pending_waits, KRef};
use crate::scenario::{Event, Presence};

/// Creates the future for a task body (what the executor polls).
pub fn make_task(k: &KRef, body: TaskBody) -> BoxFut<()> {
    let k = k.clone();
    match body {
        TaskBody::KernelInit => Box::pin(kernel_init(k)),
        TaskBody::Userspace => Box::pin(userspace(k)),
        TaskBody::Modprobe(m) => Box::pin(async move {
            let _ = modprobe_body(k, m, Some(Resume::at("modprobe task: exit"))).await;
        }),
        TaskBody::AsyncProbe(d) => Box::pin(async move { k.borrow_mut().async_attach(d) }),
        TaskBody::Kworker(w) => Box::pin(kworker(k, w)),
    }
}

/// A kworker running one queued instance of a work item (`process_one_work`): waits for a
/// running instance of the same item to finish (non-reentrancy), clears PENDING, runs the
/// function.
async fn kworker(k: KRef, w: crate::kernel::sched::WorkId) {
    if k.borrow().sched.works[w.0 as usize].running.is_some() {
        block_on(&k, Wait::WorkNotRunning(w)).await;
    }
    // On the ordered workqueue the instance stays pending until those queued before it ran.
    let ordered = k
        .borrow()
        .sched
        .ordered
        .iter()
        .rev()
        .find(|&&(_, x)| x == w)
        .map(|&(s, _)| s);
    if let Some(seq) = ordered {
        // Its turn may have come already: then it starts like any other instance.
        let me = k.borrow().current();
        if !k.borrow().wait_satisfied(Wait::OrderedTurn(seq), me) {
            block_on(&k, Wait::OrderedTurn(seq)).await;
        }
    }
    let leave_order = |k: &KRef| {
        if let Some(seq) = ordered {
            k.borrow_mut().sched.ordered.retain(|&(s, _)| s != seq);
        }
    };
    let (func, data) = {
        let mut kb = k.borrow_mut();
        let me = kb.current();
        let wk = &mut kb.sched.works[w.0 as usize];
        if wk.cancelled > 0 {
            wk.cancelled -= 1;
            drop(kb);
            leave_order(&k);
            return;
        }
        wk.pending = false;
        wk.running = Some(me);
        (wk.func, wk.data)
    };
    if let Some(f) = func {
        f(k.clone(), data).await;
    }
    k.borrow_mut().sched.works[w.0 as usize].running = None;
    leave_order(&k);
}

/// The built-ins of one initcall level, in link order.
fn builtins_at(k: &KRef, level: InitcallLevel) -> Vec<Module> {
    let kb = k.borrow();
    Module::ALL
        .into_iter()
        .filter(|m| m.initcall_level() == level && m.build(&kb.cfg) == Tristate::Y)
        .collect()
}

/// `kernel_init` → `do_initcalls()`: the built-in initcalls level by level, with the firmware
/// and bus enumeration steps where the kernel has them, then `deferred_probe_initcall` at
/// late_initcall. Userspace starts when this returns.
async fn kernel_init(k: KRef) {
    check_builtin_links(&k);
    for m in builtins_at(&k, InitcallLevel::Postcore) {
        builtin_init(&k, m).await;
    }
    {
        let mut kb = k.borrow_mut();
        // arch/x86/pci (arch/ links first): pcibios_resource_survey → e820__reserve_resources_late
        e820__reserve_resources_late(&mut kb);
        // drivers/acpi: acpi_init scans ACPI0017 and the PCI hierarchy (subsys_initcall).
        acpi_scan(&mut kb);
    }
    for m in builtins_at(&k, InitcallLevel::Subsys) {
        builtin_init(&k, m).await;
    }
    // subsys_initcall_sync(hmat_init)
    hmat_register_targets(&mut k.borrow_mut());
    let links_first = k.borrow().ops.dax_hmem_links_first;
    let mut device_level = builtins_at(&k, InitcallLevel::Device);
    if links_first {
        // The design's drivers/dax/Makefile links hmem/ (device.o, then dax_hmem.o) before
        // everything else in dax/.
        hmem_devices_init(&k);
        if let Some(i) = device_level.iter().position(|&m| m == Module::DaxHmem) {
            let m = device_level.remove(i);
            device_level.insert(0, m);
        }
    }
    for m in device_level {
        // Mainline's drivers/dax/Makefile links hmem/ (device.o, then dax_hmem.o) after
        // dax_cxl.o, and drivers/ links dax/ before cxl/.
        if matches!(m, Module::DaxHmem | Module::CxlMem | Module::CxlPci) {
            hmem_devices_init(&k);
        }
        builtin_init(&k, m).await;
    }
    hmem_devices_init(&k);
    deferred_probe_initcall(&k).await;
    // kernel_init(): "need to finish all async __init code before freeing the memory"
    // What follows uses nothing but `k`.
    let then = Resume::at("kernel_init: init_done");
    async_synchronize_full_then(&k, Some(then)).await;
    *k.borrow_mut().sched.init_done = true;
}

/// `late_initcall(deferred_probe_initcall)` (drivers/base/dd.c,
/// <https://github.com/torvalds/linux/blob/master/drivers/base/dd.c>):
///
/// ```c
///     driver_deferred_probe_enable = true;
///     driver_deferred_probe_trigger();
///     /* Sort as many dependencies as possible before exiting initcalls */
///     flush_work(&deferred_probe_work);
///     initcalls_done = true;
///     …
///     /*
///      * Trigger deferred probe again, this time we won't defer anything
///      * that is optional
///      */
///     driver_deferred_probe_trigger();
///     flush_work(&deferred_probe_work);
/// ```
///
/// Both passes are modeled. "Optional" refers to fw_devlink suppliers, which the model does not
/// have, so the second pass retries the same way as the first. Not modeled: the
/// `deferred_probe_timeout` work (default 10 s with modules) that re-triggers once more and
/// prints "deferred probe pending" for devices still deferred; the model has no clock.
/// The flushes wait for the item to be idle (see [`crate::kernel::sched::flush_work`]).
async fn deferred_probe_initcall(k: &KRef) {
    for first in [true, false] {
        let w = {
            let mut kb = k.borrow_mut();
            if first {
                *kb.dc.deferred_probe_enable = true;
            }
            kb.driver_deferred_probe_trigger();
            kb.deferred_probe_work()
        };
        block_on(k, Wait::WorkIdle(w)).await;
    }
}

/// device.c's `hmem_init` (device_initcall, linked in drivers/dax/hmem/ after dax_cxl and just
/// before dax_hmem), once, if device.c is built.
fn hmem_devices_init(k: &KRef) {
    let mut kb = k.borrow_mut();
    if kb.hmem.init_done {
        return;
    }
    kb.hmem.init_done = true;
    if kb.cfg.is_enabled(Sym::DEV_DAX_HMEM_DEVICES) {
        let f = kb.ops.hmem_init;
        f(&mut kb);
    }
}

/// ACPI and PCI enumeration at boot: the ACPI0017 CXL root device (when firmware describes any
/// window) and the memdevs present at boot.
fn acpi_scan(k: &mut crate::kernel::Kernel) {
    let plat = k.plat.clone();
    k.cxl.memdevs = vec![Default::default(); plat.memdevs.len()];
    if !plat.windows.is_empty() {
        let d = k.device_initialize(
            Name::fixed("ACPI0017:00"),
            DevKind::Acpi0017,
            Bus::Platform,
            None,
        );
        k.cxl.acpi0017 = Some(d);
        let _ = k.device_add(d);
    }
    for (i, m) in plat.memdevs.iter().enumerate() {
        if m.presence == Presence::Boot {
            pci_enumerate_memdev(k, i as u32);
        }
    }
}

/// A component that uses another's exports cannot be built when the exporter is not built
/// (modpost: "undefined!"), and a built-in cannot link against a module: WARN at site "kbuild"
/// and leave it out. (A module whose dependency is not built is simply never loadable: modprobe
/// fails it with "Unknown symbol".)
fn check_builtin_links(k: &KRef) {
    let mut kb = k.borrow_mut();
    let cfg = kb.cfg;
    for m in Module::ALL {
        let build = m.build(&cfg);
        if build == Tristate::N {
            continue;
        }
        let deps = kb.ops.symbol_deps.of(&cfg, m);
        if deps.iter().any(|d| d.build(&cfg) == Tristate::N) {
            kb.warn("kbuild", "modpost: a symbol the module uses is undefined");
        } else if build == Tristate::Y && deps.iter().any(|d| d.build(&cfg) != Tristate::Y) {
            kb.warn(
                "kbuild",
                "built-in module references a symbol of a module that is not built in",
            );
        } else {
            continue;
        }
        if build == Tristate::Y {
            kb.modules[m.idx()] = ModState::Going;
        }
    }
}

/// A module's statics get their initial values when it is loaded; the ones the designs read
/// are reset here (`dax_cxl_mode` lives in hmem.c in v4 and in dax.ko's bus.c in v5 and v6;
/// hmem.c's `dax_hmem_work` of v7 and v8, bus.c's registered deferred function of v6).
fn module_statics_init(k: &mut crate::kernel::Kernel, m: Module) {
    use crate::drivers::dax::DaxCxlMode;
    match m {
        Module::DaxHmem => {
            k.hmem.dax_cxl_mode = DaxCxlMode::Defer;
            k.hmem.static_work = None;
        }
        Module::Dax => {
            k.dax.dax_cxl_mode = DaxCxlMode::Defer;
            k.dax.hmem_deferred_data = None;
        }
        _ => {}
    }
}

/// Runs a built-in's initcall.
async fn builtin_init(k: &KRef, m: Module) {
    if k.borrow().modules[m.idx()] != ModState::Unloaded {
        return;
    }
    k.borrow_mut().modules[m.idx()] = ModState::Coming;
    let r = module_init(k, m).await;
    let mut kb = k.borrow_mut();
    kb.modules[m.idx()] = ModState::Live;
    match r {
        Ok(()) => kb.log(LogEvent::ModuleLive(m)),
        Err(e) => kb.log(LogEvent::ModuleInitFailed(m, e)),
    }
}

/// A module's `module_init` function, through the design's ops where designs differ.
async fn module_init(k: &KRef, m: Module) -> KResult {
    module_statics_init(&mut k.borrow_mut(), m);
    let ops = k.borrow().ops;
    match m {
        Module::DaxHmem => (ops.dax_hmem_init)(k.clone()).await,
        Module::DaxCxl => (ops.cxl_dax_region_init)(k.clone()).await,
        _ => {
            let mut kb = k.borrow_mut();
            match m {
                Module::Dax => dax_core_init(&mut kb),
                Module::Kmem => dax_kmem_init(&mut kb),
                Module::CxlCore => {
                    // cxl_core_init → cxl_region_init when CONFIG_CXL_REGION
                    if kb.cfg.is_enabled(Sym::CXL_REGION) {
                        cxl_region_init(&mut kb);
                    }
                    Ok(())
                }
                Module::CxlPort => cxl_port_init(&mut kb),
                Module::CxlAcpi => cxl_acpi_init(&mut kb),
                Module::CxlMem => cxl_mem_init(&mut kb),
                Module::CxlPci => cxl_pci_init(&mut kb),
                Module::DaxHmem | Module::DaxCxl => unreachable!("handled above"),
            }
        }
    }
}

/// A module's `module_exit` function.
async fn module_exit(k: &KRef, m: Module) {
    let ops = k.borrow().ops;
    match m {
        Module::DaxHmem => (ops.dax_hmem_exit)(k.clone()).await,
        Module::DaxCxl => (ops.cxl_dax_region_exit)(k.clone()).await,
        _ => {
            let mut kb = k.borrow_mut();
            match m {
                Module::Kmem => dax_kmem_exit(&mut kb),
                Module::CxlCore => kb.driver_unregister(DrvKind::CxlRegion),
                Module::CxlPort => cxl_port_exit(&mut kb),
                Module::CxlAcpi => cxl_acpi_exit(&mut kb),
                Module::CxlMem => cxl_mem_exit(&mut kb),
                Module::CxlPci => cxl_pci_exit(&mut kb),
                _ => {}
            }
        }
    }
    if m == Module::CxlAcpi {
        // cxl_acpi_exit(): platform_driver_unregister(&cxl_acpi_driver); cxl_bus_drain();
        cxl_bus_drain(k).await;
    }
    honor_pending_waits(k).await;
}

/// `modprobe MODULE`: not built → "not found" (-ENOENT); built in → nothing to do; loaded →
/// nothing; being loaded by another task → wait for it (`add_unformed_module`); otherwise
/// the soft "pre" dependencies, then the symbol dependencies (a failed one fails this load
/// with "Unknown symbol", -ENOENT), then `do_init_module`.
pub fn modprobe(k: KRef, m: Module) -> BoxFut<KResult> {
    modprobe_returning(k, m, None)
}

/// [`modprobe`] whose caller names what it does with the result ([`Resume`]), if it can: the
/// wait for the async domain at the end of a successful load is then a resume point.
fn modprobe_returning(k: KRef, m: Module, caller: Option<Resume>) -> BoxFut<KResult> {
    Box::pin(modprobe_body(k, m, caller))
}

/// The body of [`modprobe`], unboxed, so that a modprobe task's future is one allocation.
async fn modprobe_body(k: KRef, m: Module, caller: Option<Resume>) -> KResult {
    {
        let build = m.build(&k.borrow().cfg);
        match build {
            Tristate::N => {
                k.borrow_mut().log(LogEvent::ModuleNotFound(m));
                return Err(Errno::ENOENT);
            }
            Tristate::Y => return Ok(()),
            Tristate::M => {}
        }
        loop {
            let st = k.borrow().modules[m.idx()];
            match st {
                ModState::Live => return Ok(()),
                ModState::Coming | ModState::Going => block_on(&k, Wait::ModuleNotComing(m)).await,
                ModState::Unloaded => break,
            }
            if k.borrow().modules[m.idx()] == ModState::Going {
                return Err(Errno::EBUSY);
            }
        }
        let (soft, deps) = {
            let kb = k.borrow();
            (
                kb.ops.softdeps.of(&kb.cfg, m),
                kb.ops.symbol_deps.of(&kb.cfg, m),
            )
        };
        // Each dependency's load returns into this loop: the rest of this body uses `m`,
        // the loop's place, and `soft` and `deps`, which are functions of `m` (the ops and the
        // configuration are fixed for a run).
        for (i, &d) in soft.iter().enumerate() {
            let then = caller.map(|c| c.then(("modprobe: softdep", m, i)));
            let _ = modprobe_returning(k.clone(), d, then).await;
        }
        for (i, &d) in deps.iter().enumerate() {
            let then = caller.map(|c| c.then(("modprobe: symbol dependency", m, i)));
            if modprobe_returning(k.clone(), d, then).await.is_err() {
                k.borrow_mut()
                    .log(LogEvent::ModuleInitFailed(m, Errno::ENOENT));
                return Err(Errno::ENOENT);
            }
        }
        if k.borrow().modules[m.idx()] != ModState::Unloaded {
            // Loaded meanwhile by another task.
            return Ok(());
        }
        k.borrow_mut().modules[m.idx()] = ModState::Coming;
        let r = module_init(&k, m).await;
        {
            let mut kb = k.borrow_mut();
            match r {
                Ok(()) => {
                    kb.modules[m.idx()] = ModState::Live;
                    kb.user_removed[m.idx()] = false;
                    kb.log(LogEvent::ModuleLive(m));
                }
                Err(e) => {
                    kb.modules[m.idx()] = ModState::Unloaded;
                    kb.log(LogEvent::ModuleInitFailed(m, e));
                }
            }
        }
        if r.is_ok() {
            // do_init_module(), after MODULE_STATE_LIVE: "Wait for async probing if not
            // requested to be async": `if (!mod->async_probe_requested)
            // async_synchronize_full();` (no modeled module is loaded with async_probe=1).
            // What follows returns `r`, which is `Ok(())` here, to `caller`.
            let then = caller.map(|c| c.then(("do_init_module: return Ok", m)));
            async_synchronize_full_then(&k, then).await;
        }
        r
    }
}

/// `request_module(name)`: runs modprobe as a usermode helper and waits for it to exit
/// (UMH_WAIT_PROC), so it returns after the module's init and the async probes it started
/// ([`modprobe`]).
pub async fn request_module(k: &KRef, m: Module) -> KResult {
    let t = k.borrow_mut().spawn(TaskBody::Modprobe(m));
    block_on(k, Wait::TaskDone(t)).await;
    Ok(())
}

/// `modprobe -r MODULE`: built in → "Module is builtin" (-EPERM); not loaded → -ENOENT; used
/// by a live module → "in use" (-EBUSY); otherwise `delete_module`: state GOING, the exit
/// function, gone.
pub async fn rmmod(k: &KRef, m: Module) -> KResult {
    {
        let kb = k.borrow();
        if m.build(&kb.cfg) == Tristate::Y {
            return Err(Errno::EPERM);
        }
        if kb.modules[m.idx()] != ModState::Live {
            return Err(Errno::ENOENT);
        }
        let cfg = kb.cfg;
        let in_use = Module::ALL.into_iter().any(|u| {
            kb.modules[u.idx()] == ModState::Live && kb.ops.symbol_deps.of(&cfg, u).contains(&m)
        });
        if in_use {
            return Err(Errno::EBUSY);
        }
    }
    k.borrow_mut().modules[m.idx()] = ModState::Going;
    module_exit(k, m).await;
    let mut kb = k.borrow_mut();
    kb.modules[m.idx()] = ModState::Unloaded;
    kb.log(LogEvent::ModuleGone(m));
    Ok(())
}

/// The sorted, de-duplicated ranges `OfflineMemory(i)` indexes: e820's Soft Reserved ranges and the
/// ranges of regions created so far.
pub fn offline_targets(k: &crate::kernel::Kernel) -> Vec<(u64, u64)> {
    let mut v: Vec<(u64, u64)> = k.e820_sr.clone();
    v.extend(
        k.cxl
            .regions
            .iter()
            .filter(|r| r.res.is_some() || !r.alive)
            .map(|r| (r.start, r.end)),
    );
    v.sort_unstable();
    v.dedup();
    v
}

/// The regions `DestroyRegion(i)` indexes: every region that got an HPA range so far, by
/// address (then creation order), so that the user names the same region whatever order the
/// kernel assembled them in — as a user naming a region by what it decodes does.
pub fn destroy_targets(k: &crate::kernel::Kernel) -> Vec<u32> {
    let mut v: Vec<(u64, u32)> = k
        .cxl
        .regions
        .iter()
        .enumerate()
        .filter(|(_, r)| r.end > r.start)
        .map(|(i, r)| (r.start, i as u32))
        .collect();
    v.sort_unstable();
    v.into_iter().map(|(_, i)| i).collect()
}

/// The userspace task: waits for `kernel_init`, then carries out the events in order; every
/// `settle` records an observation.
async fn userspace(k: KRef) {
    block_on(&k, Wait::InitDone).await;
    let events = k.borrow().events.clone();
    // udevd starts with /etc/modprobe.d read and `udevadm trigger` replays the uevents of
    // every device: one modprobe task per needed module (see `Udev`).
    let blacklist = events
        .iter()
        .filter_map(|e| match *e {
            Event::Blacklist(m) => Some(1u16 << m.idx()),
            _ => None,
        })
        .fold(0, |a, b| a | b);
    k.borrow_mut().udev_coldplug(blacklist);
    // `modprobe cxl_test hmem_test=1`, as ndctl's test does once the system is up.
    crate::drivers::hmem::hmem_test_init(&mut k.borrow_mut());
    let mut settles = 0;
    for ev in events.iter() {
        // What the user does here is the user's doing: teardowns (and failed probes) it causes
        // directly are not a design's; a design function that acts pushes its own frame.
        let user_action = matches!(
            ev,
            Event::Rmmod(_)
                | Event::OfflineMemory(_)
                | Event::DestroyRegion(_)
                | Event::CreateRamRegion { .. }
                | Event::HotAddMemdev(_)
        );
        if user_action {
            k.borrow_mut()
                .push_cause(crate::kernel::cause::Frame::User(*ev));
        }
        match *ev {
            Event::Blacklist(_) => {}
            Event::Modprobe(m) => {
                k.borrow_mut().spawn(TaskBody::Modprobe(m));
            }
            Event::Rmmod(m) => match rmmod(&k, m).await {
                Ok(()) => k.borrow_mut().user_removed[m.idx()] = true,
                Err(e) => k.borrow_mut().log(LogEvent::UserError("rmmod", e)),
            },
            Event::Settle => {
                block_on(&k, Wait::Quiescent).await;
                settles += 1;
                let point = format!("settle {settles}");
                let obs = crate::observe::observe(
                    &k.borrow(),
                    point,
                    srfuzz_oracle::Outcome::Quiescent,
                    &[],
                );
                k.borrow_mut().observations.push(obs);
            }
            Event::HotAddMemdev(i) => {
                let mut kb = k.borrow_mut();
                let ok = kb
                    .plat
                    .memdevs
                    .get(i as usize)
                    .is_some_and(|m| m.presence == Presence::HotAdd);
                if ok {
                    pci_enumerate_memdev(&mut kb, i as u32);
                } else {
                    kb.log(LogEvent::UserError("hotadd", Errno::ENODEV));
                }
            }
            Event::CreateRamRegion { window, memdevs } => {
                let mut kb = k.borrow_mut();
                let n = kb.plat.memdevs.len();
                let list: Vec<u32> = (0..n.min(8))
                    .filter(|i| memdevs & (1 << i) != 0)
                    .map(|i| i as u32)
                    .collect();
                if let Err(e) = create_ram_region(&mut kb, window as u32, &list) {
                    kb.log(LogEvent::UserError("create-region", e));
                }
            }
            Event::OfflineMemory(i) => {
                let mut kb = k.borrow_mut();
                let targets = offline_targets(&kb);
                match targets.get(i as usize) {
                    Some(&(s, e)) => {
                        offline_memory(&mut kb, s, e);
                    }
                    None => kb.log(LogEvent::UserError("offline-memory", Errno::ENODEV)),
                }
            }
            Event::DestroyRegion(i) => {
                {
                    let mut kb = k.borrow_mut();
                    let r = match destroy_targets(&kb).get(i as usize) {
                        Some(&region) => destroy_region(&mut kb, region),
                        None => Err(Errno::ENODEV),
                    };
                    if let Err(e) = r {
                        kb.log(LogEvent::UserError("destroy-region", e));
                    }
                }
                honor_pending_waits(&k).await;
            }
        }
        if user_action {
            k.borrow_mut().pop_cause();
        }
    }
}
