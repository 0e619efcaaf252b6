//! v3 of the series (30 Sep 2025; "Applies to mainline master"; only two "From" lines changed
//! since v2), five patches on mainline. Soft Reserved is staged privately, dax_hmem requests
//! cxl_acpi and cxl_pci, the CXL gate is DEV_DAX_CXL, and a CXL-intersecting range defers to
//! per-device work that waits for `wait_for_device_probe()`, then sets the file-static
//! `dax_cxl_mode` to DROP and walks the ranges with a `handle_deferred_cxl()` that only logs:
//! with DEV_DAX_CXL, HMEM never takes a CXL-intersecting range, even when no region was
//! assembled for it (Alison's objection in the v3 review, answered by v4's arbitration).
//! Cover: <https://lore.kernel.org/all/20250930044757.214798-1-Smita.KoralahalliChannabasappa@amd.com/>
//!
//! Fidelity: 2/5 and 3/5 are v4 2/9 and 3/9 (read in the v3 mails: `request_module` under
//! `IS_ENABLED(CONFIG_DEV_DAX_CXL)`, the `>=` Kconfig lines, the softdep removed).
//! The deferred-work skeleton, with its `kill_defer_work`, is v4 4/9's
//! ([`series::dax_hmem_platform_probe`]); it has been posted unchanged since Aug 2025.

use super::{series, Ops, Patch};
use crate::drivers::dax::DaxCxlMode;
use crate::drivers::hmem::{intersects_cxl, walk_hmem_resources};
use crate::kernel::driver_core::DevId;
use crate::kernel::errno::KResult;
use crate::kernel::resource::RegionIntersects;
use crate::kernel::sched::{wait_for_device_probe, BoxFut};
use crate::kernel::{KRef, Kernel};

/// The cover letter.
pub const COVER: &str =
    "https://lore.kernel.org/all/20250930044757.214798-1-Smita.KoralahalliChannabasappa@amd.com/";

/// The five v3 patches, in the cover letter's order.
pub const V3: [Patch; 5] = [
    Patch::new(
        "v3 1/5",
        "dax/hmem, e820, resource: Defer Soft Reserved registration until hmem is ready",
        "https://lore.kernel.org/all/20250930044757.214798-2-Smita.KoralahalliChannabasappa@amd.com/",
        series::defer_soft_reserved_insertion,
    ),
    Patch::new(
        "v3 2/5",
        "dax/hmem: Request cxl_acpi and cxl_pci before walking Soft Reserved ranges",
        "https://lore.kernel.org/all/20250930044757.214798-3-Smita.KoralahalliChannabasappa@amd.com/",
        series::request_cxl_acpi_and_cxl_pci,
    ),
    Patch::new(
        "v3 3/5",
        "dax/hmem: Use DEV_DAX_CXL instead of CXL_REGION for deferral",
        "https://lore.kernel.org/all/20250930044757.214798-4-Smita.KoralahalliChannabasappa@amd.com/",
        series::gate_on_dev_dax_cxl,
    ),
    Patch::new(
        "v3 4/5",
        "dax/hmem: Defer Soft Reserved overlap handling until CXL region assembly completes",
        "https://lore.kernel.org/all/20250930044757.214798-5-Smita.KoralahalliChannabasappa@amd.com/",
        defer_overlap_handling,
    ),
    Patch::new(
        "v3 5/5",
        "dax/hmem: Reintroduce Soft Reserved ranges back into the iomem tree",
        "https://lore.kernel.org/all/20250930044757.214798-6-Smita.KoralahalliChannabasappa@amd.com/",
        series::reintroduce_soft_reserved,
    ),
];

fn defer_overlap_handling(ops: &mut Ops) {
    ops.dax_hmem_platform_probe = series::dax_hmem_platform_probe;
    ops.hmem_register_device = series::hmem_register_device;
    ops.dax_cxl_mode = |k| &mut k.hmem.dax_cxl_mode;
    ops.process_defer_work = process_defer_work;
}

/// `process_defer_work()` (v3 4/5): `wait_for_device_probe()`, `dax_cxl_mode = DROP`, then
/// `walk_hmem_resources(&pdev->dev, handle_deferred_cxl)`.
fn process_defer_work(k: KRef, pdev: u32) -> BoxFut<()> {
    Box::pin(async move {
        wait_for_device_probe(&k).await;
        let mut kb = k.borrow_mut();
        kb.hmem.dax_cxl_mode = DaxCxlMode::Drop;
        let _ = walk_hmem_resources(&mut kb, DevId(pdev), handle_deferred_cxl);
    })
}

/// `handle_deferred_cxl()` (v3 4/5): logs each CXL-intersecting range ("dropping CXL range")
/// and leaves it to CXL.
fn handle_deferred_cxl(k: &mut Kernel, _host: DevId, _nid: i32, start: u64, end: u64) -> KResult {
    if intersects_cxl(k, start, end) != RegionIntersects::Disjoint {
        k.dbg("handle_deferred_cxl", "dropping CXL range");
    }
    Ok(())
}
