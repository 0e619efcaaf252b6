//! The ops table: one entry per kernel function that some design replaces.

use crate::drivers::dax::{DaxCxlMode, DaxOwner};
use crate::drivers::{cxl, dax, dax_cxl, e820, hmem, kmem};
use crate::kernel::driver_core::DevId;
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::kconfig::{Kconfig, KconfigRules, Sym};
use crate::kernel::module::Module;
use crate::kernel::resource::{RegionIntersects, ResId};
use crate::kernel::sched::{BoxFut, WorkFn};
use crate::kernel::{KRef, Kernel};

/// One module's line of modules.dep (or its `MODULE_SOFTDEP`), under a configuration.
pub type DepsLine = fn(&Kconfig) -> &'static [Module];

/// Per-module dependency lines (modules.dep, or the `MODULE_SOFTDEP("pre: …")` of each module):
/// mainline's, except the lines patches replaced. A patch replaces only the line of the module
/// whose source it changes ([`ModuleDeps::replace`]), so two patches that change two modules'
/// imports compose in either order, and leaving one out keeps the other's line.
#[derive(Clone, Copy)]
pub struct ModuleDeps {
    base: fn(&Kconfig, Module) -> &'static [Module],
    replaced: [Option<DepsLine>; Module::ALL.len()],
}

impl ModuleDeps {
    /// Mainline's lines, from one function over every module.
    pub const fn new(base: fn(&Kconfig, Module) -> &'static [Module]) -> ModuleDeps {
        ModuleDeps {
            base,
            replaced: [None; Module::ALL.len()],
        }
    }

    /// Module `m`'s line under `cfg`.
    pub fn of(&self, cfg: &Kconfig, m: Module) -> &'static [Module] {
        match self.replaced[m.idx()] {
            Some(f) => f(cfg),
            None => (self.base)(cfg, m),
        }
    }

    /// Replaces module `m`'s line.
    pub fn replace(&mut self, m: Module, line: DepsLine) {
        self.replaced[m.idx()] = Some(line);
    }
}

/// A module init that may sleep (e.g. `request_module`).
pub type AsyncInit = fn(KRef) -> BoxFut<KResult>;
/// A module exit that may sleep (e.g. `flush_work`).
pub type AsyncExit = fn(KRef) -> BoxFut<()>;

/// A probe: `int (*probe)(struct device *)`.
pub type ProbeFn = fn(&mut Kernel, DevId) -> KResult;

/// A `walk_hmem_resources()` callback: `(host, target_nid, start, end)`.
pub type HmemRangeFn = fn(&mut Kernel, DevId, i32, u64, u64) -> KResult;

/// A cxl_core helper over an address range `[start, end]` (e.g. `cxl_register_dax`).
pub type CxlRangeFn = fn(&mut Kernel, u64, u64);

/// The functions a design may replace. Field names are the kernel functions' names.
pub struct Ops {
    /// Kconfig `depends on` rules of this design.
    pub kconfig: KconfigRules,
    /// Designs whose Kconfig rules are equal share this number (assigned when the design's
    /// table is built), so a run can reuse another design's resolution of the same request.
    pub kconfig_id: u32,
    /// modules.dep: symbol dependencies, one line per module.
    pub symbol_deps: ModuleDeps,
    /// `MODULE_SOFTDEP("pre: …")`, one line per module.
    pub softdeps: ModuleDeps,
    /// The tree e820 puts Soft Reserved in (`e820__reserve_resources_late`).
    pub soft_reserve_root: fn(&mut Kernel) -> ResId,
    /// device.c `hmem_init`.
    pub hmem_init: fn(&mut Kernel),
    /// hmem.c `hmem_register_device`.
    pub hmem_register_device: HmemRangeFn,
    /// The Kconfig symbol that makes HMEM leave CXL-window ranges alone: `CXL_REGION` in
    /// mainline, `DEV_DAX_CXL` from "Gate Soft Reserved deferral on DEV_DAX_CXL".
    pub hmem_cxl_gate: Sym,
    /// The Soft Reserved test of `hmem_register_device`: `region_intersects()` on iomem in
    /// mainline, `region_intersects_soft_reserve()` once Soft Reserved is staged privately.
    pub hmem_sr_intersects: fn(&Kernel, u64, u64) -> RegionIntersects,
    /// hmem.c `add_soft_reserve_into_iomem` ("Reintroduce Soft Reserved ranges back into the
    /// iomem tree"); mainline needs nothing, its Soft Reserved is in iomem from boot.
    pub add_soft_reserve_into_iomem: fn(&mut Kernel, DevId, u64, u64) -> KResult,
    /// Where `dax_cxl_mode` lives: a static of hmem.c (v4) or of dax.ko's bus.c (v5). Mainline
    /// has none and never reads it.
    pub dax_cxl_mode: fn(&mut Kernel) -> &mut DaxCxlMode,
    /// hmem.c `process_defer_work` (the deferred work's function), for designs that defer.
    pub process_defer_work: WorkFn,
    /// hmem.c `handle_deferred_cxl` (v4): what the deferred work does per range.
    pub handle_deferred_cxl: HmemRangeFn,
    /// cxl_core `cxl_register_dax` (v4 7/9), if the design has it.
    pub cxl_register_dax: Option<CxlRangeFn>,
    /// cxl_core `cxl_region_teardown` (v4 8/9), if the design has it.
    pub cxl_region_teardown: Option<CxlRangeFn>,
    /// hmem.c `dax_hmem_platform_probe`.
    pub dax_hmem_platform_probe: ProbeFn,
    /// hmem.c `dax_hmem_probe`.
    pub dax_hmem_probe: ProbeFn,
    /// hmem.c `dax_hmem_init`.
    pub dax_hmem_init: AsyncInit,
    /// hmem.c `dax_hmem_exit`.
    pub dax_hmem_exit: AsyncExit,
    /// acpi.c `cxl_acpi_probe`.
    pub cxl_acpi_probe: ProbeFn,
    /// pci.c `cxl_pci_probe`.
    pub cxl_pci_probe: ProbeFn,
    /// mem.c `cxl_mem_probe`.
    pub cxl_mem_probe: ProbeFn,
    /// port.c `cxl_port_probe`.
    pub cxl_port_probe: ProbeFn,
    /// region.c `cxl_region_probe`.
    pub cxl_region_probe: ProbeFn,
    /// region.c `construct_region`.
    pub construct_region: fn(&mut Kernel, u32, u32) -> Result<u32, Errno>,
    /// region.c `create_ram_region_store` → `__create_region`.
    pub create_region_store: fn(&mut Kernel, u32) -> Result<u32, Errno>,
    /// region.c `cxl_region_detach` / `__cxl_decoder_detach`.
    pub cxl_region_detach: fn(&mut Kernel, u32, usize),
    /// dax/cxl.c `cxl_dax_region_probe`.
    pub cxl_dax_region_probe: ProbeFn,
    /// dax/cxl.c `cxl_dax_region_init`.
    pub cxl_dax_region_init: AsyncInit,
    /// dax/cxl.c `cxl_dax_region_exit`.
    pub cxl_dax_region_exit: AsyncExit,
    /// dax/bus.c `alloc_dax_region`.
    pub alloc_dax_region: fn(&mut Kernel, DevId, u32, u64, u64, i32, DaxOwner) -> Option<u32>,
    /// kmem.c `dev_dax_kmem_probe`.
    pub dev_dax_kmem_probe: ProbeFn,
    /// kmem.c `dev_dax_kmem_remove`.
    pub dev_dax_kmem_remove: fn(&mut Kernel, DevId),
    /// drivers/dax/Makefile links `hmem/` first ("dax/cxl, hmem: Initialize hmem early and
    /// defer dax_cxl binding", v6 4/9, merged 39aa1d4b), so built-in device.c and dax_hmem run
    /// their device initcalls before kmem's and dax_cxl's; mainline links it last.
    pub dax_hmem_links_first: bool,
    /// `dax_hmem_flush_work()`, which dax_cxl's driver-registration work calls before
    /// `cxl_driver_register()` in the designs that have both (v6 8/9 onward); `None` before.
    pub dax_hmem_flush_work: Option<AsyncExit>,
    /// v8's `process_defer_work()` walks only `if (!dax_hmem_initial_probe)`: the guard that
    /// keeps a second run of the work from walking again (v8 changelog). Cleared by the review
    /// variant [`crate::designs::v8::WITHOUT_INITIAL_PROBE_GUARD`].
    pub initial_probe_guard: bool,
}

fn dax_hmem_init(k: KRef) -> BoxFut<KResult> {
    Box::pin(async move { hmem::dax_hmem_init(&mut k.borrow_mut()) })
}

fn dax_hmem_exit(k: KRef) -> BoxFut<()> {
    Box::pin(async move { hmem::dax_hmem_exit(&mut k.borrow_mut()) })
}

fn cxl_dax_region_init(k: KRef) -> BoxFut<KResult> {
    Box::pin(async move { dax_cxl::cxl_dax_region_init(&mut k.borrow_mut()) })
}

fn cxl_dax_region_exit(k: KRef) -> BoxFut<()> {
    Box::pin(async move { dax_cxl::cxl_dax_region_exit(&mut k.borrow_mut()) })
}

fn no_dax_cxl_mode(_k: &mut Kernel) -> &mut DaxCxlMode {
    unreachable!("mainline has no dax_cxl_mode; only a deferring design reads it")
}

fn no_defer_work(_k: KRef, _pdev: u32) -> BoxFut<()> {
    unreachable!("mainline queues no deferred work")
}

fn no_handle_deferred_cxl(_k: &mut Kernel, _h: DevId, _n: i32, _s: u64, _e: u64) -> KResult {
    unreachable!("mainline has no handle_deferred_cxl")
}

impl Ops {
    /// Mainline before the series.
    pub fn mainline() -> Ops {
        Ops {
            kconfig: KconfigRules::mainline(),
            kconfig_id: 0,
            symbol_deps: ModuleDeps::new(super::mainline::symbol_deps),
            softdeps: ModuleDeps::new(super::mainline::softdeps),
            soft_reserve_root: e820::soft_reserve_root_iomem,
            hmem_init: hmem::hmem_init,
            hmem_register_device: hmem::hmem_register_device,
            hmem_cxl_gate: Sym::CXL_REGION,
            hmem_sr_intersects: hmem::region_intersects_iomem_soft_reserved,
            add_soft_reserve_into_iomem: hmem::soft_reserved_already_in_iomem,
            dax_cxl_mode: no_dax_cxl_mode,
            process_defer_work: no_defer_work,
            handle_deferred_cxl: no_handle_deferred_cxl,
            cxl_register_dax: None,
            cxl_region_teardown: None,
            dax_hmem_platform_probe: hmem::dax_hmem_platform_probe,
            dax_hmem_probe: hmem::dax_hmem_probe,
            dax_hmem_init,
            dax_hmem_exit,
            cxl_acpi_probe: cxl::acpi::cxl_acpi_probe,
            cxl_pci_probe: cxl::mem::cxl_pci_probe,
            cxl_mem_probe: cxl::mem::cxl_mem_probe,
            cxl_port_probe: cxl::port::cxl_port_probe,
            cxl_region_probe: cxl::region::cxl_region_probe,
            construct_region: cxl::region::construct_region,
            create_region_store: cxl::region::create_region_store,
            cxl_region_detach: cxl::region::cxl_region_detach,
            cxl_dax_region_probe: dax_cxl::cxl_dax_region_probe,
            cxl_dax_region_init,
            cxl_dax_region_exit,
            alloc_dax_region: dax::alloc_dax_region,
            dev_dax_kmem_probe: kmem::dev_dax_kmem_probe,
            dev_dax_kmem_remove: kmem::dev_dax_kmem_remove,
            dax_hmem_links_first: false,
            dax_hmem_flush_work: None,
            initial_probe_guard: true,
        }
    }
}
