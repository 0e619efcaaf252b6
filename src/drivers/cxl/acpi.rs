//! drivers/cxl/acpi.c: cxl_acpi publishes the CFMWS windows and the CXL root.
//! <https://github.com/torvalds/linux/blob/master/drivers/cxl/acpi.c>

use super::RootDecoder;
use crate::kernel::driver_core::{Bus, DevId, DrvKind};
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

/// `cxl_acpi_probe()`: parses CFMWS into a private tree (`cxl_parse_cfmws`: a window that
/// overlaps an earlier one fails `insert_resource` and is skipped), publishes them with
/// `add_cxl_resources`, allocates a root decoder per window (`cxl_root_decoder_alloc`, which
/// takes a memregion id for the next region), marks the root present, and ends with
/// `cxl_bus_rescan()` "in case PCI is scanned before ACPI".
pub fn cxl_acpi_probe(k: &mut Kernel, host: DevId) -> KResult {
    let plat = k.plat.clone();
    let cxl_res = k
        .res
        .alloc(Name::fixed("CXL mem"), 0, u64::MAX, IORESOURCE_MEM, 0);
    let mut parsed: Vec<(u32, ResId)> = Vec::new();
    let mut window_id = 0;
    for (i, w) in plat.windows.iter().enumerate() {
        let res = k.res.alloc(
            Name::id("CXL Window ", window_id),
            w.range.start,
            w.range.end(),
            IORESOURCE_MEM,
            0,
        );
        if k.res.insert_resource(cxl_res, res).is_err() {
            k.dbg("cxl_parse_cfmws", "Failed to add decode range");
            continue;
        }
        window_id += 1;
        parsed.push((i as u32, res));
    }
    for (window, private) in parsed {
        let public = add_cxl_resource(k, private);
        let region_id = k.memregion.alloc();
        k.cxl.root_decoders.push(RootDecoder {
            window,
            res: public,
            region_id,
        });
    }
    k.devm_add_action(host, "remove_cxl_resources", remove_cxl_resources, 0);
    k.cxl.root_present = true;
    k.devm_add_action(host, "cxl_root_unregister", cxl_root_unregister, 0);
    // cxl_bus_rescan()
    k.bus_rescan_devices(Bus::Cxl)
}

/// One step of `add_cxl_resources()`: a public copy of the window, named alike, desc
/// `IORES_DESC_CXL`, inserted with `insert_resource_expand_to_fit` (it may grow to swallow a
/// conflicting resource, e.g. an equal "Soft Reserved" becomes its child). The kernel also trims
/// later private windows that the expansion now overlaps; private windows never overlap here
/// (the parse above rejected them), so only expansion over non-window resources can happen,
/// and trimming is not modeled.
fn add_cxl_resource(k: &mut Kernel, private: ResId) -> ResId {
    let p = k.res.get(private);
    let (name, start, end) = (p.name, p.start, p.end);
    let new = k
        .res
        .alloc(name, start, end, IORESOURCE_MEM, IORES_DESC_CXL);
    k.res.insert_resource_expand_to_fit(k.iomem, new);
    new
}

/// `remove_cxl_resources()`: devm action that takes the windows out of iomem again
/// (`remove_resource`, so their children move up). The root decoders go with the root port
/// too: [`cxl_root_decoder_release`] for each.
///
/// Simplification: in the kernel the root decoders are unregistered with the root port (a
/// later devm action of the same host) and released at their last reference; both happen in
/// this one action here, after every region (whose actions are newer) is gone.
fn remove_cxl_resources(k: &mut Kernel, _arg: u64) {
    for rd in k.cxl.root_decoders.clone() {
        let _ = k.res.remove_resource(rd.res);
        cxl_root_decoder_release(k, &rd);
    }
    k.cxl.root_decoders.clear();
}

/// `cxl_root_decoder_release()` (drivers/cxl/core/port.c): `if
/// (atomic_read(&cxlrd->region_id) >= 0) memregion_free(atomic_read(&cxlrd->region_id));` —
/// the id cached for the next region under this window goes back to the memregion ida.
/// <https://github.com/torvalds/linux/blob/v6.18/drivers/cxl/core/port.c>
fn cxl_root_decoder_release(k: &mut Kernel, rd: &RootDecoder) {
    k.memregion.free(rd.region_id);
}

/// The root port's teardown: the root disappears with cxl_acpi.
fn cxl_root_unregister(k: &mut Kernel, _arg: u64) {
    k.cxl.root_present = false;
}
