//! The patches v6, v7 and v8 share, and the merged kernel keeps: HMEM is initialized before
//! dax_cxl and dax_cxl's driver is registered from a work item (39aa1d4b), every dax_region
//! claims its bytes in one "DAX Regions" tree so that the first of dax_hmem and dax_cxl to
//! allocate wins (34f80bb9), and the helper that tells whether a committed region contains a
//! range (8e65f99b). Ownership is exclusive by construction from here on: there is no region
//! teardown and no `-EPROBE_DEFER`; a loser's probe fails with -ENOMEM.
//!
//! Each `pub fn …(ops: &mut Ops)` is one patch's change to the ops table, under the subject the
//! designs' patch lists give with their links.

use super::Ops;
use crate::drivers::cxl::region::regions_with_range;
use crate::drivers::cxl::CxlConfigState;
use crate::drivers::dax;
use crate::kernel::driver_core::DrvKind;
use crate::kernel::errno::KResult;
use crate::kernel::module::Module;
use crate::kernel::sched::{flush_work, BoxFut};
use crate::kernel::{KRef, Kernel};

// ---------------------------------------------------------------------------------------------
// "dax/cxl, hmem: Initialize hmem early and defer dax_cxl binding" (v6 4/9, v7 3/7, v8 5/9,
// merged as 39aa1d4b).

/// drivers/dax/Makefile links `hmem/` first; drivers/dax/cxl.c registers its driver from
/// `cxl_dax_region_driver_work` on `system_long_wq`, with `PROBE_PREFER_ASYNCHRONOUS`, and its
/// exit flushes that work before unregistering.
/// <https://github.com/torvalds/linux/commit/39aa1d4be12bf9f685adaa06aa2d997c1c611b16>
pub fn initialize_hmem_early_and_defer_dax_cxl_binding(ops: &mut Ops) {
    ops.dax_hmem_links_first = true;
    ops.cxl_dax_region_init = cxl_dax_region_init;
    ops.cxl_dax_region_exit = cxl_dax_region_exit;
}

/// The work item `static DECLARE_WORK(cxl_dax_region_driver_work, …)` of drivers/dax/cxl.c.
const DRIVER_WORK: &str = "cxl_dax_region_driver_work";

/// `cxl_dax_region_init()`: `queue_work(system_long_wq, &cxl_dax_region_driver_work); return
/// 0;`.
fn cxl_dax_region_init(k: KRef) -> BoxFut<KResult> {
    Box::pin(async move {
        let mut kb = k.borrow_mut();
        let w = kb.declare_work(DRIVER_WORK, cxl_dax_region_driver_register);
        kb.queue_work(w);
        Ok(())
    })
}

/// `cxl_dax_region_driver_register()`: the design's `dax_hmem_flush_work()` (from v6 8/9, v7
/// 6/7, v8 8/9 on: HMEM's deferred decision is made before dax_cxl can bind), then
/// `cxl_driver_register(&cxl_dax_region_driver)`, an asynchronous-probe driver.
fn cxl_dax_region_driver_register(k: KRef, _data: u32) -> BoxFut<()> {
    Box::pin(async move {
        let flush = k.borrow().ops.dax_hmem_flush_work;
        if let Some(flush) = flush {
            flush(k.clone()).await;
        }
        k.borrow_mut()
            .driver_register(DrvKind::CxlDaxRegion, Module::DaxCxl, true);
    })
}

/// `cxl_dax_region_exit()`: `flush_work(&cxl_dax_region_driver_work)`, then
/// `cxl_driver_unregister()`.
fn cxl_dax_region_exit(k: KRef) -> BoxFut<()> {
    Box::pin(async move {
        let w = k.borrow().declared_work(DRIVER_WORK);
        if let Some(w) = w {
            flush_work(&k, w).await;
        }
        k.borrow_mut().driver_unregister(DrvKind::CxlDaxRegion);
    })
}

// ---------------------------------------------------------------------------------------------
// "dax: Track all dax_region allocations under a global resource tree" (v6 5/9, v7 4/7,
// v8 6/9, merged as 34f80bb9).

/// `alloc_dax_region()` claims the range in "DAX Regions" ([`dax::alloc_dax_region_exclusive`]).
/// <https://github.com/torvalds/linux/commit/34f80bb969cc1710f336ea1878781780a59fc8e7>
pub fn track_dax_region_allocations(ops: &mut Ops) {
    ops.alloc_dax_region = dax::alloc_dax_region_exclusive;
}

// ---------------------------------------------------------------------------------------------
// "cxl/region: Add helper to check Soft Reserved containment by CXL regions" (v6 6/9, v7 5/7,
// v8 7/9, merged as 8e65f99b).

/// `cxl_region_contains_resource(res)` (v6: `cxl_region_contains_soft_reserve`), under
/// `cxl_rwsem.region` for reading: some region is `CXL_CONFIG_COMMIT`, has `p->res`, and
/// `resource_contains(p->res, res)`. The stub without CONFIG_CXL_REGION returns false (no
/// region exists then either). The read lock is not modeled: no task holds the write side
/// across a scheduling point.
pub fn cxl_region_contains_resource(k: &Kernel, start: u64, end: u64) -> bool {
    regions_with_range(k)
        .any(|(_, r)| r.state == CxlConfigState::Commit && r.start <= start && end <= r.end)
}

/// `hmem_register_cxl_device()` as v7 and v8 have it: a CXL-intersecting range that a
/// committed region contains is dropped ("CXL claims resource, dropping"); one that none
/// contains is registered with `register` ("CXL did not claim resource, registering") —
/// `hmem_register_device()` in v7, `__hmem_register_device()` in v8 and the merged kernel.
pub fn hmem_register_unclaimed(
    k: &mut Kernel,
    host: crate::kernel::driver_core::DevId,
    nid: i32,
    (start, end): (u64, u64),
    register: super::HmemRangeFn,
) -> KResult {
    use crate::drivers::hmem::intersects_cxl;
    use crate::kernel::resource::RegionIntersects;
    if intersects_cxl(k, start, end) == RegionIntersects::Disjoint {
        return Ok(());
    }
    if cxl_region_contains_resource(k, start, end) {
        k.dbg("hmem_register_cxl_device", "CXL claims resource, dropping");
        return Ok(());
    }
    k.dbg(
        "hmem_register_cxl_device",
        "CXL did not claim resource, registering",
    );
    register(k, host, nid, start, end)
}

/// The helper patch adds a function its successors call: no behaviour by itself.
pub fn add_containment_helper(_ops: &mut Ops) {}
