//! Patches that the register_dax (v4) and dax_cxl_mode (v5) designs share, and the deferral
//! skeleton both build on: Soft Reserved staged in `soft_reserve_resource`, `request_module`
//! of cxl_acpi and cxl_pci, the DEV_DAX_CXL gate, per-device deferred work behind
//! `wait_for_device_probe`, and Soft Reserved put back into iomem when HMEM takes a range.
//!
//! Each `pub fn …(ops: &mut Ops)` is one posted patch's change to the ops table; the functions
//! below it are the kernel functions that patch adds or replaces, under their kernel names.
//! The patches behind the lore links in each design's patch list are the sources.

use super::Ops;
use crate::drivers::dax::DaxCxlMode;
use crate::drivers::hmem::{self, hmem_init_walk, walk_hmem_resources};
use crate::kernel::driver_core::DevId;
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::kconfig::{request_cxl_acpi_pci_deps, Kconfig, Sym};
use crate::kernel::modprobe::request_module;
use crate::kernel::module::Module;
use crate::kernel::resource::{
    Name, RegionIntersects, ResId, IORESOURCE_MEM, IORES_DESC_SOFT_RESERVED,
};
use crate::kernel::sched::{BoxFut, WorkId};
use crate::kernel::{KRef, Kernel};

// ---------------------------------------------------------------------------------------------
// "dax/hmem, e820, resource: Defer Soft Reserved insertion until hmem is ready" (v4 1/9, merged
// as bc62f5b3 and the base of v5).

/// e820 stages Soft Reserved in the private `soft_reserve_resource`; device.c's `hmem_init`
/// walks that tree; `hmem_register_device` tests a range against it. /proc/iomem no longer
/// shows "Soft Reserved" unless a later patch publishes it.
pub fn defer_soft_reserved_insertion(ops: &mut Ops) {
    ops.soft_reserve_root = soft_reserve_resource;
    ops.hmem_init = hmem_init;
    ops.hmem_sr_intersects = region_intersects_soft_reserve;
}

/// The root `insert_resource_expand_to_fit` picks for an `IORES_DESC_SOFT_RESERVED` entry:
/// `&soft_reserve_resource`.
fn soft_reserve_resource(k: &mut Kernel) -> ResId {
    k.soft_reserve
}

/// `hmem_init()`: `walk_soft_reserve_res_desc(IORES_DESC_SOFT_RESERVED, …, hmem_register_one)`.
fn hmem_init(k: &mut Kernel) {
    let root = k.soft_reserve;
    hmem_init_walk(k, root);
}

/// `region_intersects_soft_reserve(start, size, IORESOURCE_MEM, IORES_DESC_SOFT_RESERVED)`:
/// `__region_intersects` on `soft_reserve_resource`.
fn region_intersects_soft_reserve(k: &Kernel, start: u64, end: u64) -> RegionIntersects {
    k.res.region_intersects(
        k.soft_reserve,
        start,
        end - start + 1,
        IORESOURCE_MEM,
        IORES_DESC_SOFT_RESERVED,
    )
}

// ---------------------------------------------------------------------------------------------
// "dax/hmem: Request cxl_acpi and cxl_pci before walking Soft Reserved ranges" (v4 2/9, v5 1/7,
// merged as 7b4bcaad).

/// `dax_hmem_init` requests cxl_acpi and cxl_pci (when DEV_DAX_CXL is set) before registering
/// its drivers; `MODULE_SOFTDEP("pre: cxl_acpi")` goes; Kconfig gains
/// `DEV_DAX_CXL depends on CXL_ACPI >= DEV_DAX_HMEM` and `CXL_PCI >= DEV_DAX_HMEM`.
pub fn request_cxl_acpi_and_cxl_pci(ops: &mut Ops) {
    ops.dax_hmem_init = dax_hmem_init;
    ops.softdeps.replace(Module::DaxHmem, dax_hmem_softdeps);
    request_cxl_acpi_pci_deps(&mut ops.kconfig);
}

/// `dax_hmem_init()`: "Ensure that cxl_acpi and cxl_pci have a chance to kick off CXL topology
/// discovery at least once before scanning the iomem resource tree for IORES_DESC_CXL
/// resources": `request_module("cxl_acpi")`, `request_module("cxl_pci")` (each waits for its
/// modprobe), then the two `platform_driver_register`s.
fn dax_hmem_init(k: KRef) -> BoxFut<KResult> {
    Box::pin(async move {
        if k.borrow().cfg.is_enabled(Sym::DEV_DAX_CXL) {
            // The return values are ignored, as in the patch.
            let _ = request_module(&k, Module::CxlAcpi).await;
            let _ = request_module(&k, Module::CxlPci).await;
        }
        hmem::dax_hmem_init(&mut k.borrow_mut())
    })
}

/// dax_hmem's line of modules.dep once hmem.c calls cxl_core (v4 5/9: `cxl_regions_fully_map`,
/// later `cxl_register_dax`, `cxl_region_teardown`; v6 8/9: `cxl_region_contains_soft_reserve`;
/// v7 6/7, v8 8/9: `cxl_region_contains_resource`): dax.ko, and cxl_core when CXL_REGION is set
/// (cxl.h has stubs otherwise). v6's bus.c helpers and `dax_cxl_mode` are dax.ko's too.
pub fn dax_hmem_symbol_deps(cfg: &Kconfig) -> &'static [Module] {
    if cfg.is_enabled(Sym::CXL_REGION) {
        &[Module::Dax, Module::CxlCore]
    } else {
        &[Module::Dax]
    }
}

/// dax_hmem without mainline's `MODULE_SOFTDEP("pre: cxl_acpi")`: no soft dependency.
fn dax_hmem_softdeps(_cfg: &Kconfig) -> &'static [Module] {
    &[]
}

// ---------------------------------------------------------------------------------------------
// "dax/hmem: Gate Soft Reserved deferral on DEV_DAX_CXL" (v4 3/9, v5 2/7).

/// `hmem_register_device` leaves CXL-window ranges alone only when DEV_DAX_CXL (someone to
/// hand them to) is enabled, instead of CXL_REGION.
pub fn gate_on_dev_dax_cxl(ops: &mut Ops) {
    ops.hmem_cxl_gate = Sym::DEV_DAX_CXL;
}

// ---------------------------------------------------------------------------------------------
// The deferral skeleton: v4 4/9 "Defer handling of Soft Reserved ranges that overlap CXL
// windows" and v5 6/7 share it; they differ in `process_defer_work` and where the mode lives.

/// `dax_hmem_platform_probe()` with deferred work: allocates the device's `dax_defer_work`,
/// `INIT_WORK(process_defer_work)`, puts `kill_defer_work` on the devm list,
/// `platform_set_drvdata`, then `walk_hmem_resources(&pdev->dev, hmem_register_device)`.
pub fn dax_hmem_platform_probe(k: &mut Kernel, pdev: DevId) -> KResult {
    let w = k.init_work(
        "dax_hmem process_defer_work",
        Some(k.ops.process_defer_work),
        pdev.0,
    );
    k.devm_add_action(pdev, "kill_defer_work", kill_defer_work, w.0 as u64);
    k.hmem.defer_work.push((pdev, w));
    let f = k.ops.hmem_register_device;
    walk_hmem_resources(k, pdev, f)
}

/// `kill_defer_work()` as posted in v4 4/9 and v5 6/7 (and since the first posting, Aug 2025):
///
/// ```c
/// struct dax_defer_work {
///         struct platform_device *pdev;
///         struct work_struct work;
/// };
/// static void kill_defer_work(void *_work)
/// {
///         struct dax_defer_work *work = container_of(_work, typeof(*work), work);
///
///         cancel_work_sync(&work->work);
///         kfree(work);
/// }
/// ...
///         rc = devm_add_action_or_reset(&pdev->dev, kill_defer_work, work);
/// ```
///
/// The action is registered with the `struct dax_defer_work *` itself, not `&work->work`, so
/// `container_of` lands `offsetof(work)` bytes before the allocation: `cancel_work_sync` is
/// handed the start of the object (the `pdev` field) as a work_struct and the real work item is
/// never cancelled nor waited for, and `kfree` gets a pointer kmalloc never returned. Modeled
/// as what it does: an invalid free on every run of the action (unbind, failed probe, module
/// unload), and the work left alone — if it is queued or running while dax_hmem is being
/// unloaded, its function runs from freed module text (use-after-free). What the kernel does
/// after either error is not modeled: a queued work is then dropped, so that no later state
/// depends on it. (In the kernel, KASAN reports and skips the bad `kfree`, the object leaks,
/// and a queued `process_defer_work` still runs — with `work->pdev` overwritten by the
/// off-queue bits `cancel_work_sync` wrote there — and oopses in `walk_hmem_resources`.) <https://lore.kernel.org/all/20251120031925.87762-5-Smita.KoralahalliChannabasappa@amd.com/>,
/// <https://lore.kernel.org/all/20260122045543.218194-7-Smita.KoralahalliChannabasappa@amd.com/>
fn kill_defer_work(k: &mut Kernel, w: u64) {
    let w = WorkId(w as u32);
    k.kasan("kill_defer_work", "invalid-free");
    let wk = k.sched.works[w.0 as usize];
    let unloading = k.modules[Module::DaxHmem.idx()] == crate::kernel::module::ModState::Going;
    if (wk.pending || wk.running.is_some()) && unloading {
        k.kasan("process_defer_work", "use-after-free");
    }
    let wk = &mut k.sched.works[w.0 as usize];
    if wk.pending {
        wk.pending = false;
        wk.cancelled += 1;
    }
}

/// `platform_get_drvdata(pdev)`: the device's deferred work.
fn defer_work_of(k: &Kernel, pdev: DevId) -> WorkId {
    k.hmem
        .defer_work
        .iter()
        .rev()
        .find(|(d, _)| *d == pdev)
        .map(|&(_, w)| w)
        .expect("hmem_register_device runs for a probed hmem_platform device")
}

/// `hmem_register_device()` with the mode switch: a range that intersects a CXL window (with
/// DEV_DAX_CXL) is, by `dax_cxl_mode`, deferred (`schedule_work` of the host's deferred work,
/// return 0), registered with HMEM (REGISTER), or dropped (DROP, return 0). Other ranges
/// register as before.
pub fn hmem_register_device(
    k: &mut Kernel,
    host: DevId,
    nid: i32,
    start: u64,
    end: u64,
) -> KResult {
    if hmem::leaves_to_cxl(k, start, end) {
        match *(k.ops.dax_cxl_mode)(k) {
            DaxCxlMode::Defer => {
                let w = defer_work_of(k, host);
                k.queue_work(w);
                return Ok(());
            }
            DaxCxlMode::Register => {}
            DaxCxlMode::Drop => {
                k.dbg("hmem_register_device", "dropping CXL range");
                return Ok(());
            }
        }
    }
    hmem::hmem_register_soft_reserved(k, host, nid, start, end)
}

// ---------------------------------------------------------------------------------------------
// "dax/hmem: Reintroduce Soft Reserved ranges back into the iomem tree" (v4 9/9, v5 7/7).

/// `hmem_register_device` publishes the range as "Soft Reserved" in iomem before creating the
/// hmem device.
pub fn reintroduce_soft_reserved(ops: &mut Ops) {
    ops.add_soft_reserve_into_iomem = add_soft_reserve_into_iomem;
}

/// `add_soft_reserve_into_iomem()`: a "Soft Reserved" resource over the range,
/// `insert_resource(&iomem_resource, …)` (an equal "CXL Window" becomes its child; a partial
/// overlap fails with -EBUSY and fails the registration), `remove_soft_reserved` on the host's
/// devm list.
fn add_soft_reserve_into_iomem(k: &mut Kernel, host: DevId, start: u64, end: u64) -> KResult {
    let soft = k.res.alloc(
        Name::fixed("Soft Reserved"),
        start,
        end,
        IORESOURCE_MEM,
        IORES_DESC_SOFT_RESERVED,
    );
    let iomem = k.iomem;
    if k.res.insert_resource(iomem, soft).is_err() {
        k.dbg(
            "add_soft_reserve_into_iomem",
            "failed to insert Soft Reserved into iomem",
        );
        return Err(Errno::EBUSY);
    }
    k.devm_add_action(
        host,
        "remove_soft_reserved",
        remove_soft_reserved,
        soft.0 as u64,
    );
    Ok(())
}

/// `remove_soft_reserved()`: `remove_resource` (children move up), `kfree`.
fn remove_soft_reserved(k: &mut Kernel, res: u64) {
    let _ = k.res.remove_resource(ResId(res as u32));
}
