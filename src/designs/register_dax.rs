//! The *register_dax* design: v4 of "dax/hmem, cxl: Coordinate Soft Reserved handling with CXL
//! and HMEM" (20 Nov 2025), nine patches on mainline, and the same with the fix proposed on the
//! list for kernels without DEV_DAX_HMEM.
//!
//! What it changes relative to mainline:
//! - Soft Reserved is staged in `soft_reserve_resource`, not iomem (1/9);
//! - dax_hmem requests cxl_acpi and cxl_pci before walking Soft Reserved, instead of a softdep,
//!   with the matching Kconfig `>=` rules (2/9); the CXL gate is DEV_DAX_CXL (3/9);
//! - a CXL-window range defers to per-hmem_platform work that runs after
//!   `wait_for_device_probe()` (4/9), and per range sets the file-static `dax_cxl_mode` to DROP
//!   if `cxl_regions_fully_map()` else REGISTER (5/9);
//! - auto-assembled regions no longer get a cxl_dax_region at probe (`register_dax` false;
//!   user-created regions keep it) (6/9); on DROP HMEM's work creates them with
//!   `cxl_register_dax()` (7/9); on REGISTER it tears the regions down with
//!   `cxl_region_teardown()`, keeping decoders programmed (8/9);
//! - HMEM puts "Soft Reserved" back into iomem for the ranges it registers (9/9).
//!
//! Fidelity: the patch bodies are modeled from the v4 mails and the review thread; the
//! `cxl_rwsem.region` write lock around the state change in `cxl_region_teardown` is not taken
//! (nothing else sleeps holding it in the model, so it cannot change an outcome here);
//! `cxl_regions_fully_map` walks registered regions without a lock, as the patch does. Every
//! region is a RAM region (PMEM is not modeled), so the RAM-mode filter of `cxl_register_dax`
//! always passes. The dax_hmem → cxl_core symbol dependency (5/9 onward) holds whenever
//! CXL_REGION is set (cxl.h has stubs otherwise), so DEV_DAX_HMEM=y with CXL_BUS=m does not
//! link — reported as a "kbuild" WARN, as a build failure would be.

use super::{series, Ops, Patch};
use crate::drivers::cxl::region::{
    __construct_region, __create_region, cxl_region_can_probe, devm_cxl_add_dax_region,
    region_is_system_ram, regions_with_range,
};
use crate::drivers::cxl::CxlConfigState;
use crate::drivers::dax::DaxCxlMode;
use crate::drivers::hmem::{intersects_cxl, walk_hmem_resources};
use crate::kernel::driver_core::DevId;
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::kconfig::Sym;
use crate::kernel::module::Module;
use crate::kernel::resource::RegionIntersects;
use crate::kernel::sched::{wait_for_device_probe, BoxFut};
use crate::kernel::{honor_pending_waits, KRef, Kernel};

/// The nine v4 patches, in posting order (cover: 20251120031925.87762-1).
pub const V4: [Patch; 9] = [
    Patch::new(
        "v4 1/9",
        "dax/hmem, e820, resource: Defer Soft Reserved insertion until hmem is ready",
        "https://lore.kernel.org/all/20251120031925.87762-2-Smita.KoralahalliChannabasappa@amd.com/",
        series::defer_soft_reserved_insertion,
    ),
    Patch::new(
        "v4 2/9",
        "dax/hmem: Request cxl_acpi and cxl_pci before walking Soft Reserved ranges",
        "https://lore.kernel.org/all/20251120031925.87762-3-Smita.KoralahalliChannabasappa@amd.com/",
        series::request_cxl_acpi_and_cxl_pci,
    ),
    Patch::new(
        "v4 3/9",
        "dax/hmem: Gate Soft Reserved deferral on DEV_DAX_CXL",
        "https://lore.kernel.org/all/20251120031925.87762-4-Smita.KoralahalliChannabasappa@amd.com/",
        series::gate_on_dev_dax_cxl,
    ),
    Patch::new(
        "v4 4/9",
        "dax/hmem: Defer handling of Soft Reserved ranges that overlap CXL windows",
        "https://lore.kernel.org/all/20251120031925.87762-5-Smita.KoralahalliChannabasappa@amd.com/",
        defer_overlapping_ranges,
    ),
    Patch::new(
        "v4 5/9",
        "cxl/region, dax/hmem: Arbitrate Soft Reserved ownership with cxl_regions_fully_map()",
        "https://lore.kernel.org/all/20251120031925.87762-6-Smita.KoralahalliChannabasappa@amd.com/",
        arbitrate_with_cxl_regions_fully_map,
    ),
    Patch::new(
        "v4 6/9",
        "cxl/region: Add register_dax flag to defer DAX setup",
        "https://lore.kernel.org/all/20251120031925.87762-7-Smita.KoralahalliChannabasappa@amd.com/",
        add_register_dax_flag,
    ),
    Patch::new(
        "v4 7/9",
        "cxl/region, dax/hmem: Register devdax only when CXL owns Soft Reserved span",
        "https://lore.kernel.org/all/20251120031925.87762-8-Smita.KoralahalliChannabasappa@amd.com/",
        |ops| ops.cxl_register_dax = Some(cxl_register_dax),
    ),
    Patch::new(
        "v4 8/9",
        "cxl/region, dax/hmem: Tear down CXL regions when HMEM reclaims Soft Reserved",
        "https://lore.kernel.org/all/20251120031925.87762-9-Smita.KoralahalliChannabasappa@amd.com/",
        |ops| ops.cxl_region_teardown = Some(cxl_region_teardown),
    ),
    Patch::new(
        "v4 9/9",
        "dax/hmem: Reintroduce Soft Reserved ranges back into the iomem tree",
        "https://lore.kernel.org/all/20251120031925.87762-10-Smita.KoralahalliChannabasappa@amd.com/",
        series::reintroduce_soft_reserved,
    ),
];

/// The fix proposed in the v4 6/9 thread for kernels without HMEM: skip probe-time DAX only
/// when HMEM exists to create it later, `if (IS_ENABLED(CONFIG_DEV_DAX_HMEM) &&
/// !p->register_dax) return 0;`.
pub const FIX_NO_HMEM: Patch = Patch::new(
    "fix for v4 6/9",
    "cxl/region: Only skip probe-time DAX when DEV_DAX_HMEM can register it (proposed fix)",
    "https://lore.kernel.org/all/20251120031925.87762-7-Smita.KoralahalliChannabasappa@amd.com/",
    |ops| ops.cxl_region_probe = cxl_region_probe_fixed,
);

/// v4 with the proposed fix on top.
pub const V4_FIXED: [Patch; 10] = [
    V4[0],
    V4[1],
    V4[2],
    V4[3],
    V4[4],
    V4[5],
    V4[6],
    V4[7],
    V4[8],
    FIX_NO_HMEM,
];

// ---------------------------------------------------------------------------------------------
// 4/9

/// The deferral skeleton with a file-static mode in hmem.c and a `handle_deferred_cxl` that is
/// still a stub ("TODO", returns 0) until 5/9.
fn defer_overlapping_ranges(ops: &mut Ops) {
    ops.dax_hmem_platform_probe = series::dax_hmem_platform_probe;
    ops.hmem_register_device = series::hmem_register_device;
    ops.dax_cxl_mode = hmem_c_dax_cxl_mode;
    ops.process_defer_work = process_defer_work;
    ops.handle_deferred_cxl = |_, _, _, _, _| Ok(());
}

/// hmem.c `static enum dax_cxl_mode dax_cxl_mode`.
fn hmem_c_dax_cxl_mode(k: &mut Kernel) -> &mut DaxCxlMode {
    &mut k.hmem.dax_cxl_mode
}

/// `process_defer_work()`: `wait_for_device_probe()`, then
/// `walk_hmem_resources(&pdev->dev, handle_deferred_cxl)`.
fn process_defer_work(k: KRef, pdev: u32) -> BoxFut<()> {
    Box::pin(async move {
        wait_for_device_probe(&k).await;
        {
            let mut kb = k.borrow_mut();
            let f = kb.ops.handle_deferred_cxl;
            let _ = walk_hmem_resources(&mut kb, DevId(pdev), f);
        }
        honor_pending_waits(&k).await;
    })
}

// ---------------------------------------------------------------------------------------------
// 5/9

fn arbitrate_with_cxl_regions_fully_map(ops: &mut Ops) {
    ops.handle_deferred_cxl = handle_deferred_cxl;
    ops.symbol_deps
        .replace(Module::DaxHmem, series::dax_hmem_symbol_deps);
}

/// `handle_deferred_cxl()`: for a range that intersects a CXL window, the *global* mode
/// becomes DROP if `cxl_regions_fully_map()` else REGISTER; DROP creates the regions' DAX
/// (`cxl_register_dax`, 7/9), REGISTER tears the regions down (`cxl_region_teardown`, 8/9);
/// then `hmem_register_device()` acts under the new mode. Always returns 0.
pub fn handle_deferred_cxl(k: &mut Kernel, host: DevId, nid: i32, start: u64, end: u64) -> KResult {
    if intersects_cxl(k, start, end) == RegionIntersects::Disjoint {
        return Ok(());
    }
    let mode = if cxl_regions_fully_map(k, start, end) {
        DaxCxlMode::Drop
    } else {
        DaxCxlMode::Register
    };
    *(k.ops.dax_cxl_mode)(k) = mode;
    let follow_up = match mode {
        DaxCxlMode::Drop => k.ops.cxl_register_dax,
        _ => k.ops.cxl_region_teardown,
    };
    if let Some(f) = follow_up {
        f(k, start, end);
    }
    let _ = (k.ops.hmem_register_device)(k, host, nid, start, end);
    Ok(())
}

/// `cxl_regions_fully_map(start, end)` (cxl_core; `false` stub without CXL_REGION): from
/// `start`, each step needs exactly one registered region that overlaps `[pos, end]` and starts
/// at `pos`, and must not end past `end`; true when a region ends exactly at `end`. No lock and
/// no commit-state check, as posted.
pub fn cxl_regions_fully_map(k: &Kernel, start: u64, end: u64) -> bool {
    if !k.cfg.is_enabled(Sym::CXL_REGION) {
        return false;
    }
    let mut pos = start;
    loop {
        let mut found =
            regions_with_range(k).filter(|(_, r)| r.start == pos && pos <= r.end && r.start <= end);
        let (Some((_, r)), None) = (found.next(), found.next()) else {
            return false;
        };
        if r.end > end {
            return false;
        }
        if r.end == end {
            return true;
        }
        pos = r.end + 1;
    }
}

// ---------------------------------------------------------------------------------------------
// 6/9

fn add_register_dax_flag(ops: &mut Ops) {
    ops.construct_region = construct_region;
    ops.cxl_region_probe = cxl_region_probe;
}

/// `construct_region()` → `__create_region(…, register_dax = false)`: auto-assembled regions
/// get no DAX at probe. (User regions, `create_region_store`, keep `true`.)
pub fn construct_region(k: &mut Kernel, rd: u32, memdev: u32) -> Result<u32, Errno> {
    let region = __create_region(k, rd, true)?;
    k.cxl.regions[region as usize].register_dax = false;
    __construct_region(k, region, memdev);
    Ok(region)
}

/// `cxl_region_probe()` for RAM as posted: after the System RAM check, `if
/// (!p->register_dax) return 0;` before `devm_cxl_add_dax_region()`.
pub fn cxl_region_probe(k: &mut Kernel, dev: DevId) -> KResult {
    cxl_region_probe_gated(k, dev, |_, register_dax| !register_dax)
}

/// `cxl_region_probe()` with the proposed fix: `if (IS_ENABLED(CONFIG_DEV_DAX_HMEM) &&
/// !p->register_dax) return 0;`.
pub fn cxl_region_probe_fixed(k: &mut Kernel, dev: DevId) -> KResult {
    cxl_region_probe_gated(k, dev, |k, register_dax| {
        k.cfg.is_enabled(Sym::DEV_DAX_HMEM) && !register_dax
    })
}

fn cxl_region_probe_gated(
    k: &mut Kernel,
    dev: DevId,
    skip_dax: fn(&Kernel, bool) -> bool,
) -> KResult {
    let region = cxl_region_can_probe(k, dev)?;
    if region_is_system_ram(k, region) {
        k.dbg("cxl_region_probe", "region is already System RAM");
        return Ok(());
    }
    if skip_dax(k, k.cxl.regions[region as usize].register_dax) {
        k.dbg("cxl_region_probe", "register_dax not set: DAX left to HMEM");
        return Ok(());
    }
    devm_cxl_add_dax_region(k, region)
}

// ---------------------------------------------------------------------------------------------
// 7/9 and 8/9

/// The registered regions whose range overlaps `[start, end]`, in creation order.
fn regions_overlapping(k: &Kernel, start: u64, end: u64) -> Vec<u32> {
    regions_with_range(k)
        .filter(|(_, r)| r.start <= end && start <= r.end)
        .map(|(i, _)| i)
        .collect()
}

/// `cxl_register_dax(start, end)`: `cxl_region_enable_dax()` for every RAM region overlapping
/// the range — skipped if part of it is System RAM, else `devm_cxl_add_dax_region()`; a
/// failure (e.g. -EEXIST when the region already has its dax_region) is only logged.
pub fn cxl_register_dax(k: &mut Kernel, start: u64, end: u64) {
    for region in regions_overlapping(k, start, end) {
        if region_is_system_ram(k, region) {
            continue;
        }
        if devm_cxl_add_dax_region(k, region).is_err() {
            k.dbg("cxl_region_enable_dax", "failed to add dax region");
        }
    }
}

/// `cxl_region_teardown(start, end)`: for every region overlapping the range, its state drops
/// to at most CXL_CONFIG_ACTIVE (so `unregister_region` does not reset the decoders), then
/// `devm_release_action(port->uport_dev, unregister_region, cxlr)`.
pub fn cxl_region_teardown(k: &mut Kernel, start: u64, end: u64) {
    let Some(host) = k.cxl.acpi0017 else {
        return;
    };
    k.with_patch_cause("cxl_region_teardown", V4[7].subject, |k| {
        for region in regions_overlapping(k, start, end) {
            let r = &mut k.cxl.regions[region as usize];
            r.state = r.state.min(CxlConfigState::Active);
            k.devm_release_action(host, "unregister_region", region as u64);
        }
    });
}
