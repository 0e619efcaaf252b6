//! drivers/cxl/acpi.c: cxl_acpi publishes the CFMWS windows and the CXL root.
//! <https://github.com/torvalds/linux/blob/master/drivers/cxl/acpi.c>

use super::RootDecoder;
use crate::kernel::driver_core::{DevId, DrvKind};
use crate::kernel::errno::KResult;
use crate::kernel::module::Module;
use crate::kernel::resource::{Name, ResId, IORESOURCE_MEM, IORES_DESC_CXL};
use crate::kernel::Kernel;

/// `cxl_acpi_init()` (subsys_initcall when built in): `platform_driver_register(&cxl_acpi_driver)`.
pub fn cxl_acpi_init(k: &mut Kernel) -> KResult {
    k.driver_register(DrvKind::CxlAcpi, Module::CxlAcpi, false);
    Ok(())
}

/// `cxl_acpi_exit()`: `platform_driver_unregister()`, which unbinds ACPI0017 and so releases
/// everything cxl_acpi set up with devm (regions, windows).
pub fn cxl_acpi_exit(k: &mut Kernel) {
    k.driver_unregister(DrvKind::CxlAcpi);
}

/// `cxl_acpi_probe()`: parses CFMWS into a private tree (`__cxl_parse_cfmws`: the name "CXL
/// Window %d" takes `ctx->id++` *before* `insert_resource(ctx->cxl_res, res)`, so a window
/// that equals or partly overlaps an earlier one is skipped but still uses up its number (one
/// nested in an earlier window is inserted below it and never published); an accepted one gets
/// its root decoder, `cxl_root_decoder_alloc` taking a memregion id for the next region),
/// publishes the windows with [`add_cxl_resources`], pairs each root decoder with its public
/// window ([`pair_cxl_resource`]), marks the root present, and ends with `cxl_bus_rescan()`
/// "in case PCI is scanned before ACPI".
/// <https://github.com/torvalds/linux/blob/v6.18/drivers/cxl/acpi.c>
pub fn cxl_acpi_probe(k: &mut Kernel, host: DevId) -> KResult {
    let plat = k.plat.clone();
    let cxl_res = k
        .res
        .alloc(Name::fixed("CXL mem"), 0, u64::MAX, IORESOURCE_MEM, 0);
    let mut decoders: Vec<(u32, u32)> = Vec::new();
    for (i, (id, w)) in (0u32..).zip(plat.windows.iter()).enumerate() {
        let res = k.res.alloc(
            Name::id("CXL Window ", id),
            w.range.start,
            w.range.end(),
            IORESOURCE_MEM,
            0,
        );
        if k.res.insert_resource(cxl_res, res).is_err() {
            k.dbg("cxl_parse_cfmws", "Failed to add decode range");
            continue;
        }
        // cxl_root_decoder_alloc()
        decoders.push((i as u32, k.memregion.alloc()));
    }
    let published = add_cxl_resources(k, cxl_res);
    for (window, region_id) in decoders {
        let res = pair_cxl_resource(k, &published, window);
        k.cxl.root_decoders.push(RootDecoder {
            window,
            res,
            region_id,
        });
    }
    k.cxl.windows = published.into_iter().map(|(_, public)| public).collect();
    k.devm_add_action(host, "remove_cxl_resources", remove_cxl_resources, 0);
    k.cxl.root_present = true;
    k.devm_add_action(host, "cxl_root_unregister", cxl_root_unregister, 0);
    // "In case PCI is scanned before ACPI re-trigger memdev attach": queued on cxl_bus_wq.
    super::port::cxl_bus_rescan(k);
    Ok(())
}

/// `add_cxl_resources()`: for each private window in address order, a public copy (same
/// name, desc `IORES_DESC_CXL`) inserted with `insert_resource_expand_to_fit` (it may grow to
/// swallow a conflicting resource, e.g. a "Soft Reserved" that is equal or straddles into the
/// next window); then the later private windows the grown copy now overlaps are trimmed:
/// `while (next && resource_overlaps(new, next)) { if (resource_contains(new, next)) {
/// remove_resource(next); … } else next->start = new->end + 1; }`. Returns the surviving
/// private windows with their public copies, in address order.
pub fn add_cxl_resources(k: &mut Kernel, cxl_res: ResId) -> Vec<(ResId, ResId)> {
    let privates: Vec<ResId> = k.res.children(cxl_res).collect();
    let mut removed = vec![false; privates.len()];
    let mut out = Vec::with_capacity(privates.len());
    for i in 0..privates.len() {
        if removed[i] {
            continue;
        }
        let p = k.res.get(privates[i]);
        let (name, start, end) = (p.name, p.start, p.end);
        let new = k
            .res
            .alloc(name, start, end, IORESOURCE_MEM, IORES_DESC_CXL);
        k.res.insert_resource_expand_to_fit(k.iomem, new);
        out.push((privates[i], new));
        let (ns, ne) = (k.res.get(new).start, k.res.get(new).end);
        for j in i + 1..privates.len() {
            if removed[j] {
                continue;
            }
            let (s, e) = (k.res.get(privates[j]).start, k.res.get(privates[j]).end);
            if !(s <= ne && ns <= e) {
                break;
            }
            if ns <= s && e <= ne {
                let _ = k.res.remove_resource(privates[j]);
                removed[j] = true;
            } else {
                k.res.get_mut(privates[j]).start = ne + 1;
                break;
            }
        }
    }
    out
}

/// `pair_cxl_resource()`: the root decoder of `window` gets the public copy of the first
/// private window that contains its whole CFMWS range (`resource_contains(p, &res)`), else no
/// resource at all (`cxlrd->res` stays NULL: a window trimmed or removed by
/// [`add_cxl_resources`]).
pub fn pair_cxl_resource(k: &Kernel, published: &[(ResId, ResId)], window: u32) -> Option<ResId> {
    let w = &k.plat.windows[window as usize].range;
    let (start, end) = (w.start, w.end());
    published
        .iter()
        .find(|&&(p, _)| {
            let p = k.res.get(p);
            p.start <= start && end <= p.end
        })
        .map(|&(_, public)| public)
}

/// `remove_cxl_resources()`: devm action that takes the windows out of iomem again
/// (`remove_resource`, so their children move up). The root decoders go with the root port
/// too: [`cxl_root_decoder_release`] for each.
///
/// Simplification: in the kernel the root decoders are unregistered with the root port (a
/// later devm action of the same host) and released at their last reference; both happen in
/// this one action here, after every region (whose actions are newer) is gone.
fn remove_cxl_resources(k: &mut Kernel, _arg: u64) {
    for w in std::mem::take(&mut k.cxl.windows) {
        let _ = k.res.remove_resource(w);
    }
    for rd in k.cxl.root_decoders.clone() {
        cxl_root_decoder_release(k, &rd);
    }
    k.cxl.root_decoders.clear();
}

/// `cxl_root_decoder_release()` (drivers/cxl/core/port.c): `if
/// (atomic_read(&cxlrd->region_id) >= 0) memregion_free(atomic_read(&cxlrd->region_id));` —
/// the id cached for the next region under this window goes back to the memregion ida.
/// <https://github.com/torvalds/linux/blob/v6.18/drivers/cxl/core/port.c>
pub fn cxl_root_decoder_release(k: &mut Kernel, rd: &RootDecoder) {
    k.memregion.free(rd.region_id);
}

/// The root port's teardown: the root disappears with cxl_acpi.
fn cxl_root_unregister(k: &mut Kernel, _arg: u64) {
    k.cxl.root_present = false;
}
