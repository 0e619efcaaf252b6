//! v6 of the series (10 Feb 2026), nine patches on v5's base (for-7.0/cxl-init at bc62f5b3):
//! ownership becomes exclusive through the global "DAX Regions" tree, dax_cxl's driver is
//! registered from a work item that first flushes HMEM's deferred work, and HMEM's work decides
//! once, for every CXL-intersecting range, whether CXL keeps them (DROP) or HMEM registers them
//! (REGISTER). No region is torn down and dax_cxl never defers: a loser's probe fails with
//! -ENOMEM ("dax_region resource conflict") and its device stays unbound.
//! Cover: <https://lore.kernel.org/all/20260210064501.157591-1-Smita.KoralahalliChannabasappa@amd.com/>
//!
//! What it changes relative to v5:
//! - 3/9 (detach keeps auto regions' decoders) as v5 3/7;
//! - 4/9: hmem/ links first, dax_cxl's driver is registered from `system_long_wq`, async probe
//!   ([`super::exclusive`]); 5/9: the "DAX Regions" tree; 6/9: the containment helper;
//! - 7/9: dax.ko's bus.c holds one `dax_hmem_work` for everyone, with one registered function
//!   and argument (`dax_hmem_register_work` refuses a second with -EINVAL);
//! - 8/9: `dax_cxl_mode` in bus.c (namespace "CXL"); `hmem_register_device` in DEFER queues
//!   the bus.c work; the work, after `wait_for_device_probe()`, sets REGISTER if some
//!   CXL-intersecting range is not contained in a committed region, else DROP, and walks the
//!   CXL-intersecting ranges again; dax_cxl's registration work flushes it first;
//! - 9/9: Soft Reserved back into iomem for ranges HMEM registers (as v5 7/7).
//!
//! Fidelity: the bus.c mutex around the registered function is not modeled (no task holds it
//! across a scheduling point). `kill_defer_work` sleeps in `dax_hmem_flush_work()` before it
//! unregisters; the model runs the unregistration after the flush, in the task that started
//! the teardown ([`crate::kernel::driver_core::PendingWait`]), after the device's other devm
//! actions (see the driver core's module docs).

use super::{cxl_init, dax_cxl_mode, exclusive, series, Ops, Patch};
use crate::drivers::dax::DaxCxlMode;
use crate::drivers::hmem::{self, intersects_cxl, leaves_to_cxl, ranges_of, walk_hmem_resources};
use crate::kernel::driver_core::{DevId, Devres, PendingWait};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::module::Module;
use crate::kernel::resource::RegionIntersects;
use crate::kernel::sched::{flush_work, wait_for_device_probe, BoxFut, Wait};
use crate::kernel::{honor_pending_waits, KRef, Kernel};

/// v5's base and the nine v6 patches, in posting order.
pub const V6: [Patch; 12] = [
    cxl_init::ALWAYS_SYNC_MEMDEV,
    cxl_init::ALWAYS_SYNC_ENDPOINT,
    cxl_init::DEFER_SOFT_RESERVED_INSERTION,
    Patch::new(
        "v6 1/9",
        "dax/hmem: Request cxl_acpi and cxl_pci before walking Soft Reserved ranges",
        "https://lore.kernel.org/all/20260210064501.157591-2-Smita.KoralahalliChannabasappa@amd.com/",
        series::request_cxl_acpi_and_cxl_pci,
    ),
    Patch::new(
        "v6 2/9",
        "dax/hmem: Gate Soft Reserved deferral on DEV_DAX_CXL",
        "https://lore.kernel.org/all/20260210064501.157591-3-Smita.KoralahalliChannabasappa@amd.com/",
        series::gate_on_dev_dax_cxl,
    ),
    Patch::new(
        "v6 3/9",
        "cxl/region: Skip decoder reset on detach for autodiscovered regions",
        "https://lore.kernel.org/all/20260210064501.157591-4-Smita.KoralahalliChannabasappa@amd.com/",
        |ops| ops.cxl_region_detach = dax_cxl_mode::cxl_region_detach,
    ),
    Patch::new(
        "v6 4/9",
        "dax/cxl, hmem: Initialize hmem early and defer dax_cxl binding",
        "https://lore.kernel.org/all/20260210064501.157591-5-Smita.KoralahalliChannabasappa@amd.com/",
        exclusive::initialize_hmem_early_and_defer_dax_cxl_binding,
    ),
    Patch::new(
        "v6 5/9",
        "dax: Track all dax_region allocations under a global resource tree",
        "https://lore.kernel.org/all/20260210064501.157591-6-Smita.KoralahalliChannabasappa@amd.com/",
        exclusive::track_dax_region_allocations,
    ),
    Patch::new(
        "v6 6/9",
        "cxl/region: Add helper to check Soft Reserved containment by CXL regions",
        "https://lore.kernel.org/all/20260210064501.157591-7-Smita.KoralahalliChannabasappa@amd.com/",
        exclusive::add_containment_helper,
    ),
    Patch::new(
        "v6 7/9",
        "dax: Add deferred-work helpers for dax_hmem and dax_cxl coordination",
        "https://lore.kernel.org/all/20260210064501.157591-8-Smita.KoralahalliChannabasappa@amd.com/",
        // Adds bus.c's dax_hmem_work and its helpers, first used by 8/9.
        |_| {},
    ),
    Patch::new(
        "v6 8/9",
        DEFER_AND_RESOLVE,
        "https://lore.kernel.org/all/20260210064501.157591-9-Smita.KoralahalliChannabasappa@amd.com/",
        defer_and_resolve,
    ),
    Patch::new(
        "v6 9/9",
        "dax/hmem: Reintroduce Soft Reserved ranges back into the iomem tree",
        "https://lore.kernel.org/all/20260210064501.157591-10-Smita.KoralahalliChannabasappa@amd.com/",
        series::reintroduce_soft_reserved,
    ),
];

const DEFER_AND_RESOLVE: &str =
    "dax/hmem, cxl: Defer and resolve ownership of Soft Reserved memory ranges";

/// The cover letter, where v6's outputs are.
pub const COVER: &str =
    "https://lore.kernel.org/all/20260210064501.157591-1-Smita.KoralahalliChannabasappa@amd.com/";

fn defer_and_resolve(ops: &mut Ops) {
    ops.dax_cxl_mode = |k| &mut k.dax.dax_cxl_mode;
    ops.hmem_register_device = hmem_register_device;
    ops.dax_hmem_platform_probe = dax_hmem_platform_probe;
    ops.dax_hmem_flush_work = Some(dax_hmem_flush_work);
    ops.symbol_deps
        .replace(Module::DaxHmem, series::dax_hmem_symbol_deps);
}

/// bus.c `static DECLARE_WORK(dax_hmem_work, hmem_deferred_work)`.
const BUS_WORK: &str = "dax_hmem_work (bus.c)";

fn bus_work(k: &mut Kernel) -> crate::kernel::sched::WorkId {
    k.declare_work(BUS_WORK, hmem_deferred_work)
}

/// bus.c `hmem_deferred_work()`: takes the registered function and argument under
/// `dax_hmem_lock` and calls the function if one is registered.
fn hmem_deferred_work(k: KRef, _data: u32) -> BoxFut<()> {
    Box::pin(async move {
        let data = k.borrow().dax.hmem_deferred_data;
        if let Some(pdev) = data {
            process_defer_work(&k, pdev).await;
        }
    })
}

/// bus.c `dax_hmem_flush_work()`: `flush_work(&dax_hmem_work)`.
fn dax_hmem_flush_work(k: KRef) -> BoxFut<()> {
    Box::pin(async move {
        let w = bus_work(&mut k.borrow_mut());
        flush_work(&k, w).await;
    })
}

/// `hmem_register_device()` (8/9): a CXL-intersecting range (with DEV_DAX_CXL) is, by
/// `dax_cxl_mode`, deferred (`dax_hmem_queue_work()`: `queue_work(system_long_wq,
/// &dax_hmem_work)`), registered, or dropped; other ranges register as before.
fn hmem_register_device(k: &mut Kernel, host: DevId, nid: i32, start: u64, end: u64) -> KResult {
    if leaves_to_cxl(k, start, end) {
        match k.dax.dax_cxl_mode {
            DaxCxlMode::Defer => {
                k.dbg("hmem_register_device", "deferring range to CXL");
                let w = bus_work(k);
                k.queue_work(w);
                return Ok(());
            }
            DaxCxlMode::Register => k.dbg("hmem_register_device", "registering CXL range"),
            DaxCxlMode::Drop => {
                k.dbg("hmem_register_device", "dropping CXL range");
                return Ok(());
            }
        }
    }
    hmem::hmem_register_soft_reserved(k, host, nid, start, end)
}

/// `dax_hmem_platform_probe()` (8/9): `dax_hmem_register_work(process_defer_work, pdev)`
/// (-EINVAL when another device's function is registered: the probe fails), `kill_defer_work`
/// on the devm list, then `walk_hmem_resources(&pdev->dev, hmem_register_device)`.
fn dax_hmem_platform_probe(k: &mut Kernel, pdev: DevId) -> KResult {
    if k.dax.hmem_deferred_data.is_some() {
        return Err(Errno::EINVAL);
    }
    k.dax.hmem_deferred_data = Some(pdev);
    k.devm_add_action(pdev, "kill_defer_work", kill_defer_work, pdev.0 as u64);
    let f = k.ops.hmem_register_device;
    walk_hmem_resources(k, pdev, f)
}

/// `kill_defer_work(pdev)`: `dax_hmem_flush_work()`, then `dax_hmem_unregister_work(
/// process_defer_work, pdev)` (which clears the registration only if it is this device's).
fn kill_defer_work(k: &mut Kernel, pdev: u64) {
    let w = bus_work(k);
    let wk = k.sched.works[w.0 as usize];
    if wk.pending || wk.running.is_some() {
        // Untracked: the polled task (none outside a task), the same at every poll of it.
        let task = *k.sched.current.untracked();
        k.dc.pending_waits.push(PendingWait {
            task,
            wait: Wait::WorkIdle(w),
            then: Some(Devres {
                name: "dax_hmem_unregister_work",
                release: dax_hmem_unregister_work,
                arg: pdev,
            }),
        });
    } else {
        dax_hmem_unregister_work(k, pdev);
    }
}

/// bus.c `dax_hmem_unregister_work(fn, data)`: -EINVAL (ignored by the caller) unless `data`
/// is the registered argument.
fn dax_hmem_unregister_work(k: &mut Kernel, pdev: u64) {
    if k.dax.hmem_deferred_data == Some(DevId(pdev as u32)) {
        k.dax.hmem_deferred_data = None;
    }
}

/// `soft_reserve_has_cxl_match()`: a CXL-intersecting range no committed region contains
/// stops the walk (returns 1).
fn lacks_cxl_match(k: &Kernel, start: u64, end: u64) -> bool {
    intersects_cxl(k, start, end) != RegionIntersects::Disjoint
        && !exclusive::cxl_region_contains_resource(k, start, end)
}

/// hmem.c `process_defer_work(pdev)` (8/9): `wait_for_device_probe()`; REGISTER ("Soft
/// Reserved not fully contained in CXL; using HMEM") if some range stops the
/// `soft_reserve_has_cxl_match` walk, else DROP; then
/// `walk_hmem_resources(&pdev->dev, hmem_register_cxl_device)`, which passes only the
/// CXL-intersecting ranges to `hmem_register_device`.
async fn process_defer_work(k: &KRef, pdev: DevId) {
    wait_for_device_probe(k).await;
    {
        let mut kb = k.borrow_mut();
        let unmatched = ranges_of(&kb, pdev)
            .into_iter()
            .any(|(_, s, e)| lacks_cxl_match(&kb, s, e));
        kb.dax.dax_cxl_mode = if unmatched {
            kb.dbg(
                "process_defer_work",
                "Soft Reserved not fully contained in CXL; using HMEM",
            );
            DaxCxlMode::Register
        } else {
            DaxCxlMode::Drop
        };
        let _ = walk_hmem_resources(&mut kb, pdev, hmem_register_cxl_device);
    }
    honor_pending_waits(k).await;
}

/// `hmem_register_cxl_device()`: `hmem_register_device()` for a CXL-intersecting range, 0 for
/// the others (they were registered at probe).
fn hmem_register_cxl_device(
    k: &mut Kernel,
    host: DevId,
    nid: i32,
    start: u64,
    end: u64,
) -> KResult {
    if intersects_cxl(k, start, end) == RegionIntersects::Disjoint {
        return Ok(());
    }
    (k.ops.hmem_register_device)(k, host, nid, start, end)
}
