//! Modules and built-ins: which components exist (from Kconfig), initcall levels and link
//! order, symbol dependencies and soft dependencies, and each module's load state.
//!
//! Loading itself (modprobe, `request_module`, init and exit) is in [`crate::kernel::modprobe`]
//! because it runs as tasks; this module holds the static facts and the state.

use crate::kernel::kconfig::{Kconfig, Sym, Tristate};
use std::fmt;

/// A loadable component of the CXL/DAX stack, named as `modprobe` names it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Module {
    /// cxl_core.ko (drivers/cxl/core), CONFIG_CXL_BUS; carries region support (CXL_REGION).
    CxlCore,
    /// cxl_port.ko (drivers/cxl/port.c), CONFIG_CXL_PORT.
    CxlPort,
    /// cxl_acpi.ko (drivers/cxl/acpi.c), CONFIG_CXL_ACPI.
    CxlAcpi,
    /// cxl_mem.ko (drivers/cxl/mem.c), CONFIG_CXL_MEM.
    CxlMem,
    /// cxl_pci.ko (drivers/cxl/pci.c), CONFIG_CXL_PCI.
    CxlPci,
    /// dax.ko (drivers/dax/super.c + bus.c), CONFIG_DAX.
    Dax,
    /// kmem.ko (drivers/dax/kmem.c), CONFIG_DEV_DAX_KMEM.
    Kmem,
    /// dax_cxl.ko (drivers/dax/cxl.c), CONFIG_DEV_DAX_CXL.
    DaxCxl,
    /// dax_hmem.ko (drivers/dax/hmem/hmem.c), CONFIG_DEV_DAX_HMEM.
    DaxHmem,
}

impl Module {
    /// Every module, in the order the kernel links the built-in ones (drivers/Makefile puts
    /// `dax/` before `cxl/`; drivers/dax/Makefile: dax, kmem, dax_cxl, then `hmem/`;
    /// drivers/cxl/Makefile: core, port, acpi, mem, pci). Link order decides the order of
    /// built-in initcalls of the same level.
    pub const ALL: [Module; 9] = [
        Module::Dax,
        Module::Kmem,
        Module::DaxCxl,
        Module::DaxHmem,
        Module::CxlCore,
        Module::CxlPort,
        Module::CxlAcpi,
        Module::CxlMem,
        Module::CxlPci,
    ];

    /// The module's name as modprobe and /proc/modules spell it.
    pub fn name(self) -> &'static str {
        match self {
            Module::CxlCore => "cxl_core",
            Module::CxlPort => "cxl_port",
            Module::CxlAcpi => "cxl_acpi",
            Module::CxlMem => "cxl_mem",
            Module::CxlPci => "cxl_pci",
            Module::Dax => "dax",
            Module::Kmem => "kmem",
            Module::DaxCxl => "dax_cxl",
            Module::DaxHmem => "dax_hmem",
        }
    }

    /// Parses a module name (`-` and `_` are the same to modprobe).
    pub fn from_name(s: &str) -> Option<Module> {
        let s = s.replace('-', "_");
        Module::ALL.into_iter().find(|m| m.name() == s)
    }

    /// The Kconfig symbol that builds it.
    pub fn sym(self) -> Sym {
        match self {
            Module::CxlCore => Sym::CXL_BUS,
            Module::CxlPort => Sym::CXL_PORT,
            Module::CxlAcpi => Sym::CXL_ACPI,
            Module::CxlMem => Sym::CXL_MEM,
            Module::CxlPci => Sym::CXL_PCI,
            Module::Dax => Sym::DAX,
            Module::Kmem => Sym::DEV_DAX_KMEM,
            Module::DaxCxl => Sym::DEV_DAX_CXL,
            Module::DaxHmem => Sym::DEV_DAX_HMEM,
        }
    }

    /// Index into per-module arrays.
    pub fn idx(self) -> usize {
        self as usize
    }

    /// The initcall level its `module_init` runs at when built in (include/linux/init.h:
    /// `module_init` is `device_initcall`).
    pub fn initcall_level(self) -> InitcallLevel {
        match self {
            // drivers/dax/super.c: postcore_initcall(dax_core_init)
            Module::Dax => InitcallLevel::Postcore,
            // drivers/cxl/core/port.c: subsys_initcall(cxl_core_init)
            Module::CxlCore => InitcallLevel::Subsys,
            // drivers/cxl/port.c: subsys_initcall(cxl_port_init) — ports before cxl_acpi
            Module::CxlPort => InitcallLevel::Subsys,
            // drivers/cxl/acpi.c: subsys_initcall(cxl_acpi_init) "load before dax_hmem sees
            // 'Soft Reserved' CXL ranges"
            Module::CxlAcpi => InitcallLevel::Subsys,
            Module::CxlMem | Module::CxlPci | Module::Kmem | Module::DaxCxl | Module::DaxHmem => {
                InitcallLevel::Device
            }
        }
    }

    /// The module udev loads for a device of this kind: the one whose `MODULE_ALIAS` /
    /// `MODULE_DEVICE_TABLE` matches the `MODALIAS` of the device's uevent
    /// (`udevd` runs `kmod load $MODALIAS`). `None` when no module of the model has a
    /// matching alias.
    ///
    /// * ACPI0017 → cxl_acpi: `static const struct acpi_device_id cxl_acpi_ids[] = {
    ///   { "ACPI0017" }, … }; MODULE_DEVICE_TABLE(acpi, cxl_acpi_ids);` (drivers/cxl/acpi.c,
    ///   <https://github.com/torvalds/linux/blob/master/drivers/cxl/acpi.c>).
    /// * a memdev's PCI function → cxl_pci: `MODULE_DEVICE_TABLE(pci, cxl_mem_pci_tbl)`, which
    ///   matches the CXL memory-device class code `PCI_CLASS_MEMORY_CXL` (drivers/cxl/pci.c).
    /// * "memN" → cxl_mem: `MODULE_ALIAS_CXL(CXL_DEVICE_MEMORY_EXPANDER)` (drivers/cxl/mem.c);
    ///   `cxl_bus_uevent` sends `MODALIAS=cxl:t%d*` with `cxl_device_id(dev)`.
    /// * "endpointN" → cxl_port: an endpoint is a `struct cxl_port`, so `cxl_device_id()`
    ///   returns `CXL_DEVICE_PORT`, and drivers/cxl/port.c has `MODULE_ALIAS_CXL(CXL_DEVICE_PORT)`.
    /// * "regionN" → none: the cxl_region driver is part of cxl_core, which is loaded whenever a
    ///   region device exists.
    /// * "dax_regionN" → dax_cxl: `MODULE_ALIAS_CXL(CXL_DEVICE_DAX_REGION)` (drivers/dax/cxl.c).
    /// * "hmem_platform.N" and "hmem.N" → dax_hmem: `MODULE_ALIAS("platform:hmem*");
    ///   MODULE_ALIAS("platform:hmem_platform*");` (drivers/dax/hmem/hmem.c; platform devices
    ///   send `MODALIAS=platform:<name>`).
    /// * "daxR.N" → kmem: `dax_bus_uevent` sends `MODALIAS=dax:t0*` for every dev_dax, whoever
    ///   created it (HMEM or dax_cxl), and drivers/dax/kmem.c has `MODULE_ALIAS_DAX_DEVICE(0)`.
    ///   (device_dax, drivers/dax/device.c, has the same alias; it is not modeled.)
    pub fn for_device(kind: crate::kernel::driver_core::DevKind) -> Option<Module> {
        use crate::kernel::driver_core::DevKind;
        match kind {
            DevKind::Acpi0017 => Some(Module::CxlAcpi),
            DevKind::PciMemdev(_) => Some(Module::CxlPci),
            DevKind::CxlMemdev(_) => Some(Module::CxlMem),
            DevKind::CxlEndpoint(_) => Some(Module::CxlPort),
            DevKind::CxlRegion(_) => None,
            DevKind::CxlDaxRegion(_) => Some(Module::DaxCxl),
            DevKind::HmemPlatform(_) | DevKind::Hmem(_) => Some(Module::DaxHmem),
            DevKind::DevDax(_) => Some(Module::Kmem),
        }
    }

    /// How it is built under `cfg`.
    pub fn build(self, cfg: &Kconfig) -> Tristate {
        cfg.get(self.sym())
    }
}

impl fmt::Display for Module {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Initcall levels (include/linux/init.h), in the order `do_initcalls` runs them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum InitcallLevel {
    /// `postcore_initcall`.
    Postcore,
    /// `arch_initcall`.
    Arch,
    /// `subsys_initcall`.
    Subsys,
    /// `fs_initcall`.
    Fs,
    /// `rootfs_initcall`: `populate_rootfs` enables usermode helpers here (init/initramfs.c),
    /// so `request_module` from a later built-in initcall runs modprobe from the initramfs.
    Rootfs,
    /// `device_initcall` (= `module_init` for built-ins).
    Device,
    /// `late_initcall`: `deferred_probe_initcall` enables deferred probing here.
    Late,
}

/// Where a module is in its life (kernel/module/main.c `enum module_state`, plus "not loaded").
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum ModState {
    /// Not in the kernel.
    #[default]
    Unloaded,
    /// `MODULE_STATE_COMING`: its init is running (a concurrent load waits).
    Coming,
    /// `MODULE_STATE_LIVE`.
    Live,
    /// `MODULE_STATE_GOING`: its exit is running.
    Going,
}
