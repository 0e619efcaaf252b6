//! The fixes merged after the series (Dan Williams, "[PATCH 0/9] dax/hmem: Add tests for the
//! dax_hmem takeover capability", 27 Mar 2026, pushed to cxl.git for-7.1/dax-hmem on 1 Apr
//! 2026), each as a patch on the merged design. Dan: "several fixes fell out, but not to
//! Smita's code, to mine."
//! Cover: <https://lore.kernel.org/all/20260327052821.440749-1-dan.j.williams@intel.com/>
//!
//! What they change relative to the merged kernel:
//! - 1eaef15b: Kconfig forbids DEV_DAX_HMEM=y unless CXL_ACPI, CXL_PCI and CXL_BUS are
//!   built in or off, and DEV_DAX_CXL=y unless DEV_DAX_HMEM is built in or off
//!   ([`crate::kernel::kconfig::fix_hmem_dependencies`]);
//! - f8dc1bde: each hmem_platform device is a `struct hmem_platform_device` with its own
//!   `work` and `did_probe` (built-in device.c owns it, so both survive dax_hmem reloads);
//!   CXL-intersecting ranges queue that device's work on the ordered `dax_hmem_wq`;
//!   `dax_hmem_flush_work()` flushes the whole queue; the work walks its own device's ranges
//!   once; `dax_hmem_exit` unregisters the drivers, then destroys (drains) the queue;
//! - 059edcc4: "hmem.N" devices are children of their hmem_platform device — a sysfs path
//!   (daxctl's `/platform/hmem_platform.0/hmem.6`) the model does not observe.
//! - b6a61d5b, 471d8844, 3cba30ee narrow symbol visibility and constify: no behaviour.
//! - 87805c32 fixes a use-after-free when auto assembly fails with a target staged but not
//!   attached (`cxl_cancel_auto_attach`); the model's auto assembly keeps no pointer to a
//!   freed target, so the bug is not reachable here and the patch changes nothing modeled.
//! - The series' two test patches (78b8f1a7, 549b5c12) are tools/testing/cxl: not kernel code.
//!
//! Fidelity: `get_device`/`put_device` are not modeled (devices are never freed). The ordered
//! `dax_hmem_wq` is the scheduler's ordered workqueue ([`crate::kernel::sched::Sched::ordered`]):
//! an instance stays pending until the ones queued before it have run.

use super::{v8, Ops, Patch};
use crate::drivers::hmem::{self, walk_hmem_resources};
use crate::kernel::driver_core::DevId;
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::kconfig::fix_hmem_dependencies;
use crate::kernel::sched::{
    block_on, flush_ordered_workqueue, wait_for_device_probe, BoxFut, Wait,
};
use crate::kernel::{honor_pending_waits, KRef, Kernel};

/// The merged design and the kernel fixes after it, in the order they were pushed.
pub const POST_MERGE: [Patch; 18] = [
    v8::MERGED[0],
    v8::MERGED[1],
    v8::MERGED[2],
    v8::MERGED[3],
    v8::MERGED[4],
    v8::MERGED[5],
    v8::MERGED[6],
    v8::MERGED[7],
    v8::MERGED[8],
    v8::MERGED[9],
    v8::MERGED[10],
    Patch::new(
        "87805c32",
        "cxl/region: Fix use-after-free from auto assembly failure",
        "https://lore.kernel.org/all/20260327052821.440749-2-dan.j.williams@intel.com/",
        |_| {},
    ),
    Patch::new(
        "1eaef15b",
        "dax/cxl: Fix HMEM dependencies",
        "https://github.com/torvalds/linux/commit/1eaef15b2349087d9ce583b9153970d5cf5c5329",
        |ops| fix_hmem_dependencies(&mut ops.kconfig),
    ),
    Patch::new(
        "b6a61d5b",
        "cxl/region: Limit visibility of cxl_region_contains_resource()",
        "https://lore.kernel.org/all/20260327052821.440749-4-dan.j.williams@intel.com/",
        |_| {},
    ),
    Patch::new(
        "471d8844",
        "cxl/region: Constify cxl_region_resource_contains()",
        "https://github.com/torvalds/linux/commit/471d88441eb990ef1b64713e6975cb3549b1824b",
        |_| {},
    ),
    Patch::new(
        "3cba30ee",
        "dax/hmem: Reduce visibility of dax_cxl coordination symbols",
        "https://github.com/torvalds/linux/commit/3cba30eed56df3af80ae8d4fde9cf4039eace82a",
        |_| {},
    ),
    Patch::new(
        "f8dc1bde",
        SINGLETON_FIX,
        "https://github.com/torvalds/linux/commit/f8dc1bde187310e0345beb08df949e0c2a4c86ce",
        fix_singleton_confusion,
    ),
    Patch::new(
        "059edcc4",
        "dax/hmem: Parent dax_hmem devices",
        "https://github.com/torvalds/linux/commit/059edcc405e46cc10ee65ab2c039aa6bccfbb3a0",
        |_| {},
    ),
];

const SINGLETON_FIX: &str =
    "dax/hmem: Fix singleton confusion between dax_hmem_work and hmem devices";

fn fix_singleton_confusion(ops: &mut Ops) {
    ops.hmem_register_device = hmem_register_device;
    ops.dax_hmem_platform_probe = dax_hmem_platform_probe;
    ops.dax_hmem_exit = dax_hmem_exit;
    ops.dax_hmem_flush_work = Some(dax_hmem_flush_work);
    // dax_hmem_initial_probe is gone; the modules.dep lines stay v8 8/9's.
}

/// `to_hmem_platform_device(pdev)`: the device's work (with device.c's placeholder function
/// until hmem.c sets `process_defer_work`) and `did_probe`, by index into
/// [`hmem::HmemState::platform_work`].
fn hpdev(k: &mut Kernel, pdev: DevId) -> usize {
    match k.hmem.platform_work.iter().position(|p| p.0 == pdev) {
        Some(i) => i,
        None => {
            let w = k.init_work("hmem_platform_device.work", Some(hmem_work), pdev.0);
            k.hmem.platform_work.push((pdev, w, false));
            k.hmem.platform_work.len() - 1
        }
    }
}

/// device.c's placeholder `hmem_work()`: "place holder until dax_hmem driver attaches".
fn hmem_work(_k: KRef, _data: u32) -> BoxFut<()> {
    Box::pin(async {})
}

/// `hmem_register_device()` (f8dc1bde): a CXL-intersecting range, while the host's
/// `did_probe` is false, sets `hpdev->work.func = process_defer_work` and queues the host's
/// work on `dax_hmem_wq` ("await CXL initial probe"); after it, the range is left to CXL
/// ("deferring range to CXL"). Other ranges register at once.
fn hmem_register_device(k: &mut Kernel, host: DevId, nid: i32, start: u64, end: u64) -> KResult {
    if hmem::leaves_to_cxl(k, start, end) {
        let i = hpdev(k, host);
        let (_, w, did_probe) = k.hmem.platform_work[i];
        if !did_probe {
            k.dbg("hmem_register_device", "await CXL initial probe");
            k.sched.works[w.0 as usize].func = Some(process_defer_work);
            // get_device(host), put back when the work was already pending: not modeled.
            k.queue_work_ordered(w);
            return Ok(());
        }
        k.dbg("hmem_register_device", "deferring range to CXL");
        return Ok(());
    }
    hmem::hmem_register_soft_reserved(k, host, nid, start, end)
}

/// `process_defer_work()` (f8dc1bde): `wait_for_device_probe()`; under `guard(device)`, if
/// the device is bound and has not probed, set `did_probe` and walk its ranges with
/// `hmem_register_cxl_device`; `put_device`. (It runs on the ordered `dax_hmem_wq`: after the
/// instances queued before it, [`crate::kernel::Kernel::queue_work_ordered`].)
fn process_defer_work(k: KRef, pdev: u32) -> BoxFut<()> {
    Box::pin(async move {
        let pdev = DevId(pdev);
        wait_for_device_probe(&k).await;
        block_on(&k, Wait::DeviceLock(pdev)).await;
        {
            let mut kb = k.borrow_mut();
            let i = hpdev(&mut kb, pdev);
            if kb.dev(pdev).driver.is_some() && !kb.hmem.platform_work[i].2 {
                kb.hmem.platform_work[i].2 = true;
                let _ = walk_hmem_resources(&mut kb, pdev, v8::hmem_register_cxl_device);
            }
            kb.device_unlock(pdev);
        }
        honor_pending_waits(&k).await;
    })
}

/// `dax_hmem_platform_probe()` (f8dc1bde): -EBUSY while the device's work is pending ("queue
/// is only flushed on module unload, fail rebind with pending work"), then
/// `walk_hmem_resources(&pdev->dev, hmem_register_device)`.
fn dax_hmem_platform_probe(k: &mut Kernel, pdev: DevId) -> KResult {
    let i = hpdev(k, pdev);
    let w = k.hmem.platform_work[i].1;
    if k.work_pending(w) {
        return Err(Errno::EBUSY);
    }
    let f = k.ops.hmem_register_device;
    walk_hmem_resources(k, pdev, f)
}

/// `dax_hmem_flush_work()` (f8dc1bde, exported to dax_cxl only): `flush_workqueue(dax_hmem_wq)`;
/// without DEV_DAX_HMEM, bus.h's empty stub.
fn dax_hmem_flush_work(k: KRef) -> BoxFut<()> {
    Box::pin(async move {
        if k.borrow()
            .cfg
            .is_enabled(crate::kernel::kconfig::Sym::DEV_DAX_HMEM)
        {
            flush_ordered_workqueue(&k).await;
        }
    })
}

/// `dax_hmem_exit()` (f8dc1bde): the drivers are unregistered, then `destroy_workqueue(
/// dax_hmem_wq)` drains the queue.
fn dax_hmem_exit(k: KRef) -> BoxFut<()> {
    Box::pin(async move {
        hmem::dax_hmem_exit(&mut k.borrow_mut());
        // destroy_workqueue() drains: everything queued, including what is queued meanwhile.
        while k.borrow().sched.ordered.last().is_some() {
            flush_ordered_workqueue(&k).await;
        }
    })
}
