//! v7 of the series (19 Mar 2026), seven patches on Linux 7.0-rc4 (f338e773, which has
//! for-7.0/cxl-init: 1f1cb7f0, ae201a00 and bc62f5b3): `dax_cxl_mode` and the bus.c helpers
//! are gone. Built-in device.c holds `bool dax_hmem_initial_probe`; hmem.c one static
//! `dax_hmem_work` that records the first hmem_platform device probed. Before the initial
//! probe a CXL-intersecting range queues that work; the work, after `wait_for_device_probe()`
//! and with the device bound, sets the flag and decides per range: a committed region that
//! contains it keeps it, otherwise HMEM registers it. After the initial probe (a reload of
//! dax_hmem), a CXL-intersecting range is registered by HMEM at once, first come first served
//! through "DAX Regions". The probe fails with -EBUSY while the work is pending; dax_cxl's
//! registration work calls the exported `dax_hmem_flush_work()`, so dax_cxl needs dax_hmem.
//! Cover: <https://lore.kernel.org/all/20260319011500.241426-1-Smita.KoralahalliChannabasappa@amd.com/>
//!
//! Fidelity: `get_device`/`put_device` on the recorded device are not modeled (devices are
//! never freed in the model). The zero-initialized work item is modeled as a work without a
//! function until the first probe's `INIT_WORK`, so a flush before it WARNs as
//! `__flush_work`'s `WARN_ON(!work->func)` does.

use super::{cxl_init, exclusive, series, Ops, Patch};
use crate::drivers::hmem::{self, walk_hmem_resources};
use crate::kernel::driver_core::DevId;
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::kconfig::{Kconfig, Sym};
use crate::kernel::module::Module;
use crate::kernel::sched::{
    block_on, flush_work, wait_for_device_probe, BoxFut, Wait, WorkFn, WorkId,
};
use crate::kernel::{honor_pending_waits, KRef, Kernel};

/// The subject of v7 6/7.
pub const DEFER_AND_RESOLVE: &str = "dax/hmem, cxl: Defer and resolve Soft Reserved ownership";

/// The cover letter.
pub const COVER: &str =
    "https://lore.kernel.org/all/20260319011500.241426-1-Smita.KoralahalliChannabasappa@amd.com/";

/// The for-7.0/cxl-init commits that 7.0-rc4 has and the model changes (v5's base, merged for
/// 7.0).
pub const RC4_BASE: [Patch; 3] = [
    Patch {
        label: "1f1cb7f0 (in 7.0)",
        ..cxl_init::ALWAYS_SYNC_MEMDEV
    },
    Patch {
        label: "ae201a00 (in 7.0)",
        ..cxl_init::ALWAYS_SYNC_ENDPOINT
    },
    Patch {
        label: "bc62f5b3 (in 7.0)",
        ..cxl_init::DEFER_SOFT_RESERVED_INSERTION
    },
];

/// 7.0-rc4's base commits and the seven v7 patches, in posting order.
pub const V7: [Patch; 10] = [
    RC4_BASE[0],
    RC4_BASE[1],
    RC4_BASE[2],
    Patch::new(
        "v7 1/7",
        "dax/hmem: Request cxl_acpi and cxl_pci before walking Soft Reserved ranges",
        "https://lore.kernel.org/all/20260319011500.241426-2-Smita.KoralahalliChannabasappa@amd.com/",
        series::request_cxl_acpi_and_cxl_pci,
    ),
    Patch::new(
        "v7 2/7",
        "dax/hmem: Gate Soft Reserved deferral on DEV_DAX_CXL",
        "https://lore.kernel.org/all/20260319011500.241426-3-Smita.KoralahalliChannabasappa@amd.com/",
        series::gate_on_dev_dax_cxl,
    ),
    Patch::new(
        "v7 3/7",
        "dax/cxl, hmem: Initialize hmem early and defer dax_cxl binding",
        "https://lore.kernel.org/all/20260319011500.241426-4-Smita.KoralahalliChannabasappa@amd.com/",
        exclusive::initialize_hmem_early_and_defer_dax_cxl_binding,
    ),
    Patch::new(
        "v7 4/7",
        "dax: Track all dax_region allocations under a global resource tree",
        "https://lore.kernel.org/all/20260319011500.241426-5-Smita.KoralahalliChannabasappa@amd.com/",
        exclusive::track_dax_region_allocations,
    ),
    Patch::new(
        "v7 5/7",
        "cxl/region: Add helper to check Soft Reserved containment by CXL regions",
        "https://lore.kernel.org/all/20260319011500.241426-6-Smita.KoralahalliChannabasappa@amd.com/",
        exclusive::add_containment_helper,
    ),
    Patch::new(
        "v7 6/7",
        DEFER_AND_RESOLVE,
        "https://lore.kernel.org/all/20260319011500.241426-7-Smita.KoralahalliChannabasappa@amd.com/",
        defer_and_resolve,
    ),
    Patch::new(
        "v7 7/7",
        "dax/hmem: Reintroduce Soft Reserved ranges back into the iomem tree",
        "https://lore.kernel.org/all/20260319011500.241426-8-Smita.KoralahalliChannabasappa@amd.com/",
        series::reintroduce_soft_reserved,
    ),
];

fn defer_and_resolve(ops: &mut Ops) {
    ops.hmem_register_device = hmem_register_device;
    ops.dax_hmem_platform_probe = dax_hmem_platform_probe;
    ops.dax_hmem_exit = dax_hmem_exit;
    ops.dax_hmem_flush_work = Some(dax_hmem_flush_work);
    ops.symbol_deps
        .replace(Module::DaxHmem, series::dax_hmem_symbol_deps);
    ops.symbol_deps.replace(Module::DaxCxl, dax_cxl_symbol_deps);
}

/// dax_cxl's line from v7 6/7 (and v8 8/9) on: mainline's, plus dax_hmem when DEV_DAX_HMEM is
/// enabled (`dax_hmem_flush_work()`; bus.h has a no-op stub otherwise).
pub fn dax_cxl_symbol_deps(cfg: &Kconfig) -> &'static [Module] {
    if cfg.is_enabled(Sym::DEV_DAX_HMEM) {
        &[Module::Dax, Module::CxlCore, Module::DaxHmem]
    } else {
        &[Module::Dax, Module::CxlCore]
    }
}

/// hmem.c's `static struct dax_defer_work dax_hmem_work` as this load of dax_hmem.ko has it,
/// created with `func` (v8's `__WORK_INITIALIZER`) or zeroed (v7: `None` until the probe's
/// `INIT_WORK`).
pub fn static_work(k: &mut Kernel, func: Option<WorkFn>) -> WorkId {
    match k.hmem.static_work {
        Some((w, _)) => w,
        None => {
            let w = k.init_work("dax_hmem_work", func, 0);
            k.hmem.static_work = Some((w, None));
            w
        }
    }
}

/// `dax_hmem_work.pdev`.
pub fn static_work_pdev(k: &Kernel) -> Option<DevId> {
    k.hmem.static_work.and_then(|(_, p)| p)
}

/// `dax_hmem_flush_work()` (exported by dax_hmem.ko): `flush_work(&dax_hmem_work.work)`;
/// without DEV_DAX_HMEM, bus.h's empty stub.
fn dax_hmem_flush_work(k: KRef) -> BoxFut<()> {
    Box::pin(async move {
        if !k.borrow().cfg.is_enabled(Sym::DEV_DAX_HMEM) {
            return;
        }
        let w = static_work(&mut k.borrow_mut(), None);
        flush_work(&k, w).await;
    })
}

/// `hmem_register_device()` (v7 6/7): a CXL-intersecting range (with DEV_DAX_CXL) before the
/// initial probe queues `dax_hmem_work` on `system_long_wq` and returns 0; after it, the range
/// registers with HMEM like any other.
fn hmem_register_device(k: &mut Kernel, host: DevId, nid: i32, start: u64, end: u64) -> KResult {
    if hmem::leaves_to_cxl(k, start, end) && !k.hmem.initial_probe {
        k.dbg("hmem_register_device", "deferring range to CXL");
        let w = static_work(k, None);
        k.queue_work(w);
        return Ok(());
    }
    hmem::hmem_register_soft_reserved(k, host, nid, start, end)
}

/// `hmem_register_cxl_device()` (v7): unclaimed ranges go to `hmem_register_device()`, which
/// registers them since the flag is set ([`exclusive::hmem_register_unclaimed`]).
fn hmem_register_cxl_device(
    k: &mut Kernel,
    host: DevId,
    nid: i32,
    start: u64,
    end: u64,
) -> KResult {
    let register = k.ops.hmem_register_device;
    exclusive::hmem_register_unclaimed(k, host, nid, (start, end), register)
}

/// `process_defer_work()` (v7): `wait_for_device_probe()`, then under `guard(device)` of the
/// recorded device: give up if it has no driver; set `dax_hmem_initial_probe`; walk its ranges
/// with `hmem_register_cxl_device`.
fn process_defer_work(k: KRef, _data: u32) -> BoxFut<()> {
    Box::pin(async move {
        let Some(pdev) = static_work_pdev(&k.borrow()) else {
            return;
        };
        wait_for_device_probe(&k).await;
        block_on(&k, Wait::DeviceLock(pdev)).await;
        {
            let mut kb = k.borrow_mut();
            if kb.dev(pdev).driver.is_some() {
                kb.hmem.initial_probe = true;
                let _ = walk_hmem_resources(&mut kb, pdev, hmem_register_cxl_device);
            }
            kb.device_unlock(pdev);
        }
        honor_pending_waits(&k).await;
    })
}

/// `dax_hmem_platform_probe()` (v7): -EBUSY while `dax_hmem_work` is pending; the first probe
/// records the device (`get_device`) and `INIT_WORK`s the item; then
/// `walk_hmem_resources(&pdev->dev, hmem_register_device)`.
fn dax_hmem_platform_probe(k: &mut Kernel, pdev: DevId) -> KResult {
    let w = static_work(k, None);
    if k.work_pending(w) {
        return Err(Errno::EBUSY);
    }
    if static_work_pdev(k).is_none() {
        k.hmem.static_work = Some((w, Some(pdev)));
        k.sched.works[w.0 as usize].func = Some(process_defer_work);
    }
    let f = k.ops.hmem_register_device;
    walk_hmem_resources(k, pdev, f)
}

/// `dax_hmem_exit()` (v7): `flush_work(&dax_hmem_work.work)`, `put_device` of the recorded
/// device, then the drivers are unregistered as before.
fn dax_hmem_exit(k: KRef) -> BoxFut<()> {
    Box::pin(async move {
        let w = static_work(&mut k.borrow_mut(), None);
        flush_work(&k, w).await;
        hmem::dax_hmem_exit(&mut k.borrow_mut());
    })
}
