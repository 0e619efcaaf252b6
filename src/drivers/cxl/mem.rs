//! drivers/cxl/pci.c and drivers/cxl/mem.c: a memory expander's PCI function becomes "memN",
//! and "memN" becomes an endpoint port.
//! <https://github.com/torvalds/linux/blob/master/drivers/cxl/pci.c>,
//! <https://github.com/torvalds/linux/blob/master/drivers/cxl/mem.c>

use crate::kernel::driver_core::{Bus, DevId, DevKind, DrvKind};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::module::Module;
use crate::kernel::resource::Name;
use crate::kernel::Kernel;

/// PCI enumeration of memdev `i` (boot-time scan or PCIe hot-add): its PCI function is added
/// to the PCI bus, where cxl_pci may bind it.
pub fn pci_enumerate_memdev(k: &mut Kernel, i: u32) {
    let st = &mut k.cxl.memdevs[i as usize];
    if st.present {
        return;
    }
    st.present = true;
    // Firmware programmed and committed the endpoint decoder before the OS started.
    st.decoder_committed = k.plat.memdevs[i as usize].decoder.is_some();
    let d = k.device_initialize(
        Name::id("0000:0d:00.", i),
        DevKind::PciMemdev(i),
        Bus::Pci,
        None,
    );
    k.cxl.memdevs[i as usize].pci_dev = Some(d);
    let _ = k.device_add(d);
}

/// `cxl_pci_driver_init()`: `pci_register_driver(&cxl_pci_driver)`; the driver sets
/// `PROBE_PREFER_ASYNCHRONOUS`.
pub fn cxl_pci_init(k: &mut Kernel) -> KResult {
    k.driver_register(DrvKind::CxlPci, Module::CxlPci, true);
    Ok(())
}

/// `cxl_pci_driver_exit()`.
pub fn cxl_pci_exit(k: &mut Kernel) {
    k.driver_unregister(DrvKind::CxlPci);
}

/// `cxl_pci_probe()`: mailbox and capacity setup (not modeled: always succeeds), then
/// `devm_cxl_add_memdev()` registers "memN" on the cxl bus.
pub fn cxl_pci_probe(k: &mut Kernel, pdev: DevId) -> KResult {
    let DevKind::PciMemdev(i) = k.dev(pdev).kind else {
        return Err(Errno::ENODEV);
    };
    let d = k.device_initialize(
        Name::id("mem", i),
        DevKind::CxlMemdev(i),
        Bus::Cxl,
        Some(pdev),
    );
    k.cxl.memdevs[i as usize].memdev = Some(d);
    k.devm_add_action(
        pdev,
        "cxl_memdev_unregister",
        cxl_memdev_unregister,
        i as u64,
    );
    k.device_add(d)
}

/// `cxl_memdev_unregister()`: devm action of cxl_pci.
fn cxl_memdev_unregister(k: &mut Kernel, i: u64) {
    if let Some(d) = k.cxl.memdevs[i as usize].memdev.take() {
        k.device_unregister(d);
    }
}

/// `cxl_mem_driver_init()`: `cxl_driver_register(&cxl_mem_driver)`.
pub fn cxl_mem_init(k: &mut Kernel) -> KResult {
    k.driver_register(DrvKind::CxlMem, Module::CxlMem, false);
    Ok(())
}

/// `cxl_mem_driver_exit()`.
pub fn cxl_mem_exit(k: &mut Kernel) {
    k.driver_unregister(DrvKind::CxlMem);
}

/// `cxl_mem_probe()`: `devm_cxl_enumerate_ports()` needs the CXL root (cxl_acpi) and an
/// enabled host-bridge port (cxl_port driver); without them the probe fails with -ENXIO and is
/// retried only by a later `cxl_bus_rescan()` or driver load, as in the kernel. Then
/// `devm_cxl_add_endpoint()` adds "endpointN" and requires its probe to succeed.
pub fn cxl_mem_probe(k: &mut Kernel, dev: DevId) -> KResult {
    let DevKind::CxlMemdev(i) = k.dev(dev).kind else {
        return Err(Errno::ENODEV);
    };
    if !k.cxl.root_present {
        k.dbg("devm_cxl_enumerate_ports", "CXL root not found");
        return Err(Errno::ENXIO);
    }
    if !k.driver_registered(DrvKind::CxlPort) {
        k.dbg("cxl_mem_probe", "CXL port topology not enabled");
        return Err(Errno::ENXIO);
    }
    let ep = k.device_initialize(
        Name::id("endpoint", i),
        DevKind::CxlEndpoint(i),
        Bus::Cxl,
        Some(dev),
    );
    k.cxl.memdevs[i as usize].endpoint = Some(ep);
    k.devm_add_action(
        dev,
        "cxl_endpoint_unregister",
        cxl_endpoint_unregister,
        i as u64,
    );
    k.device_add(ep)?;
    if k.dev(ep).driver.is_none() {
        k.dbg("devm_cxl_add_endpoint", "endpoint failed probe");
        return Err(Errno::ENXIO);
    }
    Ok(())
}

/// Removal of the endpoint port (`delete_endpoint`): regions lose this target.
fn cxl_endpoint_unregister(k: &mut Kernel, i: u64) {
    if let Some(ep) = k.cxl.memdevs[i as usize].endpoint.take() {
        k.device_unregister(ep);
    }
}
