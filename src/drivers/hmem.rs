//! HMEM: drivers/dax/hmem/device.c (built in when DEV_DAX_HMEM is set) and
//! drivers/dax/hmem/hmem.c (dax_hmem.ko).
//! <https://github.com/torvalds/linux/blob/master/drivers/dax/hmem/device.c>,
//! <https://github.com/torvalds/linux/blob/master/drivers/dax/hmem/hmem.c>

use crate::drivers::dax::{devm_create_dev_dax, DaxCxlMode, DaxOwner};
use crate::kernel::driver_core::{Bus, DevId, DevKind, DrvKind};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::kconfig::Sym;
use crate::kernel::module::Module;
use crate::kernel::resource::{
    Name, RegionIntersects, ResId, ResourceArena, IORESOURCE_MEM, IORES_DESC_CXL,
    IORES_DESC_SOFT_RESERVED,
};
use crate::kernel::sched::WorkId;
use crate::kernel::Kernel;

/// One "hmem.N" platform device: a Soft Reserved range HMEM registered.
#[derive(Clone, Hash, Debug)]
pub struct HmemDev {
    /// The device.
    pub dev: DevId,
    /// Its memregion id (the N).
    pub id: u32,
    /// First byte.
    pub start: u64,
    /// Last byte.
    pub end: u64,
    /// `target_node`.
    pub nid: i32,
}

/// HMEM's state (device.c statics and hmem.c statics).
#[derive(Clone, Hash, Debug)]
pub struct HmemState {
    /// device.c `hmem_active`: the ranges handed to HMEM, `desc` holding the node.
    pub hmem_active: ResId,
    /// device.c `platform_initialized`.
    pub platform_initialized: bool,
    /// device.c's `hmem_init` initcall has run.
    pub init_done: bool,
    /// The "hmem_platform" devices.
    pub platforms: Vec<DevId>,
    /// Every "hmem.N" device ever created.
    pub devs: Vec<HmemDev>,
    /// hmem.c's file-static `dax_cxl_mode` in the register_dax design (v4 4/9): one mode for
    /// every hmem_platform device, reset when dax_hmem.ko is loaded.
    pub dax_cxl_mode: DaxCxlMode,
    /// `platform_set_drvdata(pdev, work)`: each hmem_platform device's deferred work, in the
    /// designs that defer (newest last).
    pub defer_work: Vec<(DevId, WorkId)>,
    /// device.c's `bool dax_hmem_initial_probe` (v7 6/7, v8 8/9, merged e4de6b91): built in,
    /// so it survives reloads of dax_hmem.ko; set once HMEM's deferred work has run.
    pub initial_probe: bool,
    /// hmem.c's `static struct dax_defer_work dax_hmem_work` (v7, v8, merged): one work item
    /// for every hmem_platform device, re-created each time dax_hmem.ko is loaded (its
    /// statics start over), with the `pdev` it recorded.
    pub static_work: Option<(WorkId, Option<DevId>)>,
    /// Post-merge (f8dc1bde): each hmem_platform device is a `struct hmem_platform_device`
    /// allocated by built-in device.c, with its own `work` and `did_probe` — kept across
    /// reloads of dax_hmem.ko. Created on first use: `(device, work, did_probe)`.
    pub platform_work: Vec<(DevId, WorkId, bool)>,
}

impl HmemState {
    /// Empty state with its resource root.
    pub fn new(res: &mut ResourceArena) -> HmemState {
        let hmem_active = res.alloc(Name::fixed("HMEM devices"), 0, u64::MAX, IORESOURCE_MEM, 0);
        HmemState {
            hmem_active,
            platform_initialized: false,
            init_done: false,
            platforms: Vec::new(),
            devs: Vec::new(),
            dax_cxl_mode: DaxCxlMode::Defer,
            defer_work: Vec::new(),
            initial_probe: false,
            static_work: None,
            platform_work: Vec::new(),
        }
    }
}

/// `phys_to_target_node()`: the NUMA node of an address. The model's answer: the HMAT target
/// that contains it, else the node ACPI gives the CFMWS window that contains it (one node per
/// window, numbered after the HMAT nodes), else node 0 (SRAT's default).
pub fn phys_to_target_node(k: &Kernel, addr: u64) -> i32 {
    if let Some(t) = k
        .plat
        .hmat_targets
        .iter()
        .find(|t| t.range.start <= addr && addr <= t.range.end())
    {
        return t.nid as i32;
    }
    if let Some(i) = k
        .plat
        .windows
        .iter()
        .position(|w| w.range.start <= addr && addr <= w.range.end())
    {
        return 4 + i as i32;
    }
    0
}

/// `hmem_register_resource()` (device.c): no-op unless device.c is built
/// (CONFIG_DEV_DAX_HMEM_DEVICES) — the kernel's stub otherwise.
pub fn hmem_register_resource(k: &mut Kernel, nid: i32, start: u64, end: u64) {
    if !k.cfg.is_enabled(Sym::DEV_DAX_HMEM_DEVICES) {
        return;
    }
    __hmem_register_resource(k, nid, start, end);
}

/// `__hmem_register_resource()`: claims the range in `hmem_active` (`__request_region`; an
/// overlap with an already active range is skipped with "hmem range already active"), stores
/// the node in `desc`, and on the first range registers the "hmem_platform.0" device.
pub fn __hmem_register_resource(k: &mut Kernel, nid: i32, start: u64, end: u64) {
    let root = k.hmem.hmem_active;
    let Some(new) = k
        .res
        .__request_region(root, start, end - start + 1, Name::fixed(""), 0)
    else {
        k.dbg("__hmem_register_resource", "hmem range already active");
        return;
    };
    k.res.get_mut(new).desc = nid as u32;
    if k.hmem.platform_initialized {
        return;
    }
    k.hmem.platform_initialized = true;
    register_hmem_platform(k, 0);
}

/// `platform_device_register()` of "hmem_platform.<id>".
fn register_hmem_platform(k: &mut Kernel, id: u32) {
    let d = k.device_initialize(
        Name::id("hmem_platform.", id),
        DevKind::HmemPlatform(id),
        Bus::Platform,
        None,
    );
    k.hmem.platforms.push(d);
    let _ = k.device_add(d);
}

/// cxl_test's `hmem_test_init()` (tools/testing/cxl/test/hmem_test.c, called at the end of
/// `cxl_test_init()`, after the mock memdevs): with `hmem_test=1`,
/// `platform_device_register(&hmem_test_device.pdev)`, "hmem_platform.1". cxl_test is a
/// module the test loads once the system is up (ndctl's test/cxl-dax-hmem.sh: `modprobe
/// cxl_test hmem_test=1`): modeled as userspace's first action, after udev's coldplug, before
/// the scenario's events. (Its mock CXL topology is modeled as the platform's firmware.)
pub fn hmem_test_init(k: &mut Kernel) {
    if hmem_test(k).is_some() {
        register_hmem_platform(k, 1);
    }
}

/// cxl_test's mock range, if cxl_test can be loaded: tools/testing/cxl's `config_check.c`
/// needs `CONFIG_CXL_BUS=m` and `CONFIG_CXL_ACPI=m` (its mock modules replace cxl_acpi and
/// wrap cxl_core), so on any other configuration there is no cxl_test and no mock.
pub fn hmem_test(k: &Kernel) -> Option<crate::scenario::Range> {
    let cfg = &k.cfg;
    k.plat
        .hmem_test
        .filter(|_| cfg.is_module(Sym::CXL_BUS) && cfg.is_module(Sym::CXL_ACPI))
}

/// Whether cxl_test's mock range overlaps `[start, end]`: mock.c's `region_intersects()` and
/// `region_intersects_soft_reserve()` wrappers then answer REGION_INTERSECTS, whoever asks;
/// otherwise they fall back to the real functions.
pub fn mock_intersects(k: &Kernel, start: u64, end: u64) -> bool {
    hmem_test(k).is_some_and(|r| r.start <= end && start <= r.end())
}

/// The `hmat_register_target_devices()` side of HMAT (drivers/acpi/numa/hmat.c,
/// subsys_initcall_sync `hmat_init`): each memory target's range is registered with HMEM under
/// its node, before `hmem_init` walks the whole Soft Reserved ranges.
pub fn hmat_register_targets(k: &mut Kernel) {
    let plat = k.plat.clone();
    for t in &plat.hmat_targets {
        hmem_register_resource(k, t.nid as i32, t.range.start, t.range.end());
    }
}

/// `hmem_init()` (device.c, device_initcall) as mainline has it: walks the Soft Reserved
/// resources in iomem (`walk_iomem_res_desc(IORES_DESC_SOFT_RESERVED, …, hmem_register_one)`).
pub fn hmem_init(k: &mut Kernel) {
    let root = k.iomem;
    hmem_init_walk(k, root);
}

/// The body of `hmem_init()` over a given tree (later designs pass `soft_reserve_resource`).
pub fn hmem_init_walk(k: &mut Kernel, root: ResId) {
    let mut found: Vec<(u64, u64)> = Vec::new();
    k.res.walk_res_desc(
        root,
        IORES_DESC_SOFT_RESERVED,
        IORESOURCE_MEM,
        0,
        u64::MAX,
        |_, _, s, e| {
            found.push((s, e));
            0
        },
    );
    for (s, e) in found {
        // hmem_register_one()
        let nid = phys_to_target_node(k, s);
        hmem_register_resource(k, nid, s, e);
    }
}

/// The ranges in `hmem_active`, in address order, as `(nid, start, end)`.
pub fn hmem_active_ranges(k: &Kernel) -> Vec<(i32, u64, u64)> {
    k.res
        .children(k.hmem.hmem_active)
        .map(|r| {
            let r = k.res.get(r);
            (r.desc as i32, r.start, r.end)
        })
        .collect()
}

/// `walk_hmem_resources()` (device.c): calls `f(host, nid, start, end)` for each active range
/// in order; stops at the first error and returns it. For cxl_test's "hmem_platform.1"
/// (mock.c's `__wrap_walk_hmem_resources`, keyed on the device name), the mock range alone,
/// node 0.
pub fn walk_hmem_resources(k: &mut Kernel, host: DevId, f: crate::designs::HmemRangeFn) -> KResult {
    for (nid, s, e) in ranges_of(k, host) {
        f(k, host, nid, s, e)?;
    }
    Ok(())
}

/// What `walk_hmem_resources(host, …)` visits, as `(nid, start, end)`: the active ranges, or
/// the mock range for cxl_test's "hmem_platform.1".
pub fn ranges_of(k: &Kernel, host: DevId) -> Vec<(i32, u64, u64)> {
    if let (DevKind::HmemPlatform(1), Some(r)) = (k.dev(host).kind, hmem_test(k)) {
        return vec![(0, r.start, r.end())];
    }
    hmem_active_ranges(k)
}

/// `region_intersects(start, size, IORESOURCE_MEM, IORES_DESC_CXL)` on iomem (cxl_test's mock
/// answers for its range).
pub fn intersects_cxl(k: &Kernel, start: u64, end: u64) -> RegionIntersects {
    if mock_intersects(k, start, end) {
        return RegionIntersects::Intersects;
    }
    k.res.region_intersects(
        k.iomem,
        start,
        end - start + 1,
        IORESOURCE_MEM,
        IORES_DESC_CXL,
    )
}

/// `hmem_register_device()` as mainline has it: with CONFIG_CXL_REGION (the design's
/// [`crate::designs::Ops::hmem_cxl_gate`]), any range that intersects a CXL window is left to
/// CXL ("deferring range to CXL"), with no fallback; otherwise
/// [`hmem_register_soft_reserved`].
pub fn hmem_register_device(
    k: &mut Kernel,
    host: DevId,
    nid: i32,
    start: u64,
    end: u64,
) -> KResult {
    if leaves_to_cxl(k, start, end) {
        k.dbg("hmem_register_device", "deferring range to CXL");
        return Ok(());
    }
    hmem_register_soft_reserved(k, host, nid, start, end)
}

/// The test every version of `hmem_register_device()` starts with: the design's CXL gate
/// symbol is enabled and the range intersects a CXL window.
pub fn leaves_to_cxl(k: &Kernel, start: u64, end: u64) -> bool {
    k.cfg.is_enabled(k.ops.hmem_cxl_gate)
        && intersects_cxl(k, start, end) != RegionIntersects::Disjoint
}

/// The part of `hmem_register_device()` every version shares: a range that is not wholly
/// Soft Reserved is skipped (the design's [`crate::designs::Ops::hmem_sr_intersects`]); the
/// designs that staged Soft Reserved privately publish it in iomem now
/// ([`crate::designs::Ops::add_soft_reserve_into_iomem`], whose failure fails the call); then
/// [`hmem_create_device`].
pub fn hmem_register_soft_reserved(
    k: &mut Kernel,
    host: DevId,
    nid: i32,
    start: u64,
    end: u64,
) -> KResult {
    if !mock_intersects(k, start, end)
        && (k.ops.hmem_sr_intersects)(k, start, end) != RegionIntersects::Intersects
    {
        return Ok(());
    }
    (k.ops.add_soft_reserve_into_iomem)(k, host, start, end)?;
    hmem_create_device(k, host, nid, start, end)
}

/// Mainline's Soft Reserved test: `region_intersects(start, size, IORESOURCE_MEM,
/// IORES_DESC_SOFT_RESERVED)` on iomem.
pub fn region_intersects_iomem_soft_reserved(k: &Kernel, start: u64, end: u64) -> RegionIntersects {
    k.res.region_intersects(
        k.iomem,
        start,
        end - start + 1,
        IORESOURCE_MEM,
        IORES_DESC_SOFT_RESERVED,
    )
}

/// Mainline publishes nothing at registration: e820 put Soft Reserved in iomem at boot.
pub fn soft_reserved_already_in_iomem(_k: &mut Kernel, _host: DevId, _s: u64, _e: u64) -> KResult {
    Ok(())
}

/// The tail of `hmem_register_device()`: `memregion_alloc()` (released by devm on the host),
/// `platform_device_alloc("hmem", id)` with `{target_node, range}` as platform data,
/// `platform_device_add()` (dax_hmem's "hmem" driver probes it now if registered), and
/// `release_hmem` (`platform_device_unregister`) on the host's devm list.
pub fn hmem_create_device(k: &mut Kernel, host: DevId, nid: i32, start: u64, end: u64) -> KResult {
    let id = k.memregion.alloc();
    k.devm_add_action(host, "release_memregion", release_memregion, id as u64);
    let idx = k.hmem.devs.len() as u32;
    let d = k.device_initialize(
        Name::id("hmem.", id),
        DevKind::Hmem(idx),
        Bus::Platform,
        None,
    );
    k.hmem.devs.push(HmemDev {
        dev: d,
        id,
        start,
        end,
        nid,
    });
    k.device_add(d)?;
    k.devm_add_action(host, "release_hmem", release_hmem, idx as u64);
    Ok(())
}

fn release_memregion(k: &mut Kernel, id: u64) {
    k.memregion.free(id as u32);
}

fn release_hmem(k: &mut Kernel, idx: u64) {
    let d = k.hmem.devs[idx as usize].dev;
    k.device_unregister(d);
}

/// `dax_hmem_platform_probe()` as mainline has it: `walk_hmem_resources(&pdev->dev,
/// hmem_register_device)`.
pub fn dax_hmem_platform_probe(k: &mut Kernel, pdev: DevId) -> KResult {
    let f = k.ops.hmem_register_device;
    walk_hmem_resources(k, pdev, f)
}

/// `dax_hmem_probe()`: `alloc_dax_region(dev, pdev->id, range, nid, PMD_SIZE,
/// IORESOURCE_DAX_KMEM)` (failure → -ENOMEM), then `devm_create_dev_dax()` with
/// `memmap_on_memory = false`. `region_idle` is not modeled (always false).
pub fn dax_hmem_probe(k: &mut Kernel, dev: DevId) -> KResult {
    let DevKind::Hmem(idx) = k.dev(dev).kind else {
        return Err(Errno::ENODEV);
    };
    let h = k.hmem.devs[idx as usize].clone();
    let Some(dr) =
        (k.ops.alloc_dax_region)(k, dev, h.id, h.start, h.end, h.nid, DaxOwner::Hmem(idx))
    else {
        return Err(Errno::ENOMEM);
    };
    devm_create_dev_dax(k, dr)
}

/// `dax_hmem_init()` as mainline has it: registers the "hmem_platform" driver, then the "hmem"
/// driver (both synchronous probe).
pub fn dax_hmem_init(k: &mut Kernel) -> KResult {
    k.driver_register(DrvKind::HmemPlatform, Module::DaxHmem, false);
    k.driver_register(DrvKind::Hmem, Module::DaxHmem, false);
    Ok(())
}

/// `dax_hmem_exit()`: unregisters the "hmem" driver, then "hmem_platform".
pub fn dax_hmem_exit(k: &mut Kernel) {
    k.driver_unregister(DrvKind::Hmem);
    k.driver_unregister(DrvKind::HmemPlatform);
}
