//! v8 of the series (22 Mar 2026), nine patches on Linux 7.0-rc4, and what was merged for 7.1
//! (cxl.git for-7.1/dax-hmem): v8's patches 1–8. "dax/hmem: Reintroduce Soft Reserved ranges
//! back into the iomem tree" (9/9) was not merged: hmem.c at the merge (e4de6b91) and after it
//! still reads `/* TODO: Add Soft-Reserved memory back to iomem */`, and the patch is absent
//! from the cxl-for-7.1 tag's list, so on the merged kernel "Soft Reserved" stays out of
//! /proc/iomem (as bc62f5b3's message says: "'Soft Reserved' resources will no longer appear
//! in /proc/iomem, only their results").
//! Cover: <https://lore.kernel.org/all/20260322195343.206900-1-Smita.KoralahalliChannabasappa@amd.com/>
//!
//! What it changes relative to v7:
//! - `dax_hmem_work` is statically initialized (`__WORK_INITIALIZER(…, process_defer_work)`),
//!   so flushing it before any probe is harmless;
//! - after the initial probe a CXL-intersecting range is left to CXL ("deferring range to
//!   CXL"), not registered: a reload of dax_hmem does not take CXL's memory;
//! - `process_defer_work` returns at once without a recorded device, and walks only if the
//!   initial probe has not happened yet (the work cannot decide twice);
//! - `dax_hmem_exit` flushes and puts the device only if one was recorded;
//! - 1/9 (`dax_region_put()` in `alloc_dax_region()`'s error path) and 2/9 (factoring
//!   `__hmem_register_device()`) change no behaviour the model has.
//!
//! Fidelity: as v7's ([`super::v7`]).

use super::{exclusive, series, v7, Ops, Patch};
use crate::drivers::hmem::{self, walk_hmem_resources};
use crate::kernel::driver_core::DevId;
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::module::Module;
use crate::kernel::sched::{block_on, flush_work, wait_for_device_probe, BoxFut, Wait};
use crate::kernel::{honor_pending_waits, KRef, Kernel};

/// The subject of v8 8/9 (merged as e4de6b91).
pub const DEFER_AND_RESOLVE: &str = v7::DEFER_AND_RESOLVE;

/// The cover letter.
pub const COVER: &str =
    "https://lore.kernel.org/all/20260322195343.206900-1-Smita.KoralahalliChannabasappa@amd.com/";

/// 7.0-rc4's base commits and the nine v8 patches, in posting order; the merged commit ids
/// are in the links where they are known.
pub const V8: [Patch; 12] = [
    v7::RC4_BASE[0],
    v7::RC4_BASE[1],
    v7::RC4_BASE[2],
    Patch::new(
        "v8 1/9",
        "dax/bus: Use dax_region_put() in alloc_dax_region() error path",
        "https://lore.kernel.org/all/20260322195343.206900-2-Smita.KoralahalliChannabasappa@amd.com/",
        // The error path's reference counting: nothing the model has.
        |_| {},
    ),
    Patch::new(
        "v8 2/9",
        "dax/hmem: Factor HMEM registration into __hmem_register_device()",
        "https://github.com/torvalds/linux/commit/116be1e112cbcb664887e44b74f27316a5fef861",
        // A refactoring: the model's hmem_register_soft_reserved is that function already.
        |_| {},
    ),
    Patch::new(
        "v8 3/9",
        "dax/hmem: Request cxl_acpi and cxl_pci before walking Soft Reserved ranges",
        "https://github.com/torvalds/linux/commit/7b4bcaadfe00e2447c84378291e854ea87a2a41c",
        series::request_cxl_acpi_and_cxl_pci,
    ),
    Patch::new(
        "v8 4/9",
        "dax/hmem: Gate Soft Reserved deferral on DEV_DAX_CXL",
        "https://github.com/torvalds/linux/commit/edfcf1e21e79ddd6990a1330597c2eb072330832",
        series::gate_on_dev_dax_cxl,
    ),
    Patch::new(
        "v8 5/9",
        "dax/cxl, hmem: Initialize hmem early and defer dax_cxl binding",
        "https://github.com/torvalds/linux/commit/39aa1d4be12bf9f685adaa06aa2d997c1c611b16",
        exclusive::initialize_hmem_early_and_defer_dax_cxl_binding,
    ),
    Patch::new(
        "v8 6/9",
        "dax: Track all dax_region allocations under a global resource tree",
        "https://github.com/torvalds/linux/commit/34f80bb969cc1710f336ea1878781780a59fc8e7",
        exclusive::track_dax_region_allocations,
    ),
    Patch::new(
        "v8 7/9",
        "cxl/region: Add helper to check Soft Reserved containment by CXL regions",
        "https://github.com/torvalds/linux/commit/8e65f99b525b3f49b87db0db0d0e0fc1a0c53e40",
        exclusive::add_containment_helper,
    ),
    Patch::new(
        "v8 8/9",
        DEFER_AND_RESOLVE,
        "https://github.com/torvalds/linux/commit/e4de6b910bf3645c224cd873d4e03ce3dd81fbe0",
        defer_and_resolve,
    ),
    Patch::new(
        "v8 9/9",
        "dax/hmem: Reintroduce Soft Reserved ranges back into the iomem tree",
        "https://lore.kernel.org/all/20260322195343.206900-10-Smita.KoralahalliChannabasappa@amd.com/",
        series::reintroduce_soft_reserved,
    ),
];

/// A state reviewers discussed, not a posted patch: v8 8/9 without the `if
/// (!dax_hmem_initial_probe)` guard around the deferred walk. Without it "the work ran twice on
/// region-assembly failure at boot", and the second walk's registrations failed with -12 (v8
/// changelog). Added with `--designs 'v8+no-initial-probe-guard'`.
pub const WITHOUT_INITIAL_PROBE_GUARD: Patch = Patch::new(
    "no-initial-probe-guard",
    "(review variant) dax/hmem: process_defer_work walks again on every run",
    COVER,
    |ops| ops.initial_probe_guard = false,
);

/// What went into 7.1: v8 without 9/9.
pub const MERGED: [Patch; 11] = [
    V8[0], V8[1], V8[2], V8[3], V8[4], V8[5], V8[6], V8[7], V8[8], V8[9], V8[10],
];

fn defer_and_resolve(ops: &mut Ops) {
    ops.hmem_register_device = hmem_register_device;
    ops.dax_hmem_platform_probe = dax_hmem_platform_probe;
    ops.dax_hmem_exit = dax_hmem_exit;
    ops.dax_hmem_flush_work = Some(dax_hmem_flush_work);
    ops.symbol_deps
        .replace(Module::DaxHmem, series::dax_hmem_symbol_deps);
    ops.symbol_deps
        .replace(Module::DaxCxl, v7::dax_cxl_symbol_deps);
}

/// `dax_hmem_work` of this load, `__WORK_INITIALIZER`ed with `process_defer_work`.
fn work(k: &mut Kernel) -> crate::kernel::sched::WorkId {
    v7::static_work(k, Some(process_defer_work))
}

/// `dax_hmem_flush_work()`: `flush_work(&dax_hmem_work.work)`; without DEV_DAX_HMEM, bus.h's
/// empty stub.
fn dax_hmem_flush_work(k: KRef) -> BoxFut<()> {
    Box::pin(async move {
        if !k
            .borrow()
            .cfg
            .is_enabled(crate::kernel::kconfig::Sym::DEV_DAX_HMEM)
        {
            return;
        }
        let w = work(&mut k.borrow_mut());
        flush_work(&k, w).await;
    })
}

/// `hmem_register_device()` (e4de6b91): a CXL-intersecting range (with DEV_DAX_CXL) queues
/// `dax_hmem_work` before the initial probe ("await CXL initial probe") and is left to CXL
/// after it ("deferring range to CXL"); other ranges register at once.
pub fn hmem_register_device(
    k: &mut Kernel,
    host: DevId,
    nid: i32,
    start: u64,
    end: u64,
) -> KResult {
    if hmem::leaves_to_cxl(k, start, end) {
        if !k.hmem.initial_probe {
            k.dbg("hmem_register_device", "await CXL initial probe");
            let w = work(k);
            k.queue_work(w);
            return Ok(());
        }
        k.dbg("hmem_register_device", "deferring range to CXL");
        return Ok(());
    }
    hmem::hmem_register_soft_reserved(k, host, nid, start, end)
}

/// `hmem_register_cxl_device()` (e4de6b91): unclaimed ranges go to `__hmem_register_device()`
/// ([`exclusive::hmem_register_unclaimed`]).
pub fn hmem_register_cxl_device(
    k: &mut Kernel,
    host: DevId,
    nid: i32,
    start: u64,
    end: u64,
) -> KResult {
    exclusive::hmem_register_unclaimed(
        k,
        host,
        nid,
        (start, end),
        hmem::hmem_register_soft_reserved,
    )
}

/// `process_defer_work()` (e4de6b91): nothing without a recorded device;
/// `wait_for_device_probe()`; under `guard(device)`, give up if the device has no driver; if
/// the initial probe has not happened, set it and walk with `hmem_register_cxl_device`.
fn process_defer_work(k: KRef, _data: u32) -> BoxFut<()> {
    Box::pin(async move {
        let Some(pdev) = v7::static_work_pdev(&k.borrow()) else {
            return;
        };
        wait_for_device_probe(&k).await;
        block_on(&k, Wait::DeviceLock(pdev)).await;
        {
            let mut kb = k.borrow_mut();
            let guarded = kb.ops.initial_probe_guard && kb.hmem.initial_probe;
            if kb.dev(pdev).driver.is_some() && !guarded {
                kb.hmem.initial_probe = true;
                let _ = walk_hmem_resources(&mut kb, pdev, hmem_register_cxl_device);
            }
            kb.device_unlock(pdev);
        }
        honor_pending_waits(&k).await;
    })
}

/// `dax_hmem_platform_probe()` (e4de6b91): -EBUSY while `dax_hmem_work` is pending; the first
/// probe records the device; then `walk_hmem_resources(&pdev->dev, hmem_register_device)`.
fn dax_hmem_platform_probe(k: &mut Kernel, pdev: DevId) -> KResult {
    let w = work(k);
    if k.work_pending(w) {
        return Err(Errno::EBUSY);
    }
    if v7::static_work_pdev(k).is_none() {
        k.hmem.static_work = Some((w, Some(pdev)));
    }
    let f = k.ops.hmem_register_device;
    walk_hmem_resources(k, pdev, f)
}

/// `dax_hmem_exit()` (e4de6b91): with a recorded device, `flush_work` and `put_device`; then
/// the drivers are unregistered.
fn dax_hmem_exit(k: KRef) -> BoxFut<()> {
    Box::pin(async move {
        let w = {
            let mut kb = k.borrow_mut();
            let w = work(&mut kb);
            v7::static_work_pdev(&kb).map(|_| w)
        };
        if let Some(w) = w {
            flush_work(&k, w).await;
        }
        hmem::dax_hmem_exit(&mut k.borrow_mut());
    })
}
