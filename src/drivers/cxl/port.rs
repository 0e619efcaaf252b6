//! drivers/cxl/port.c: the cxl_port driver; for an endpoint port it enumerates the HDM
//! decoders and hands committed ones to region auto-assembly.
//! <https://github.com/torvalds/linux/blob/master/drivers/cxl/port.c>

use crate::kernel::driver_core::{DevId, DevKind, DrvKind};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::module::Module;
use crate::kernel::Kernel;

/// `cxl_port_init()`: `cxl_driver_register(&cxl_port_driver)`.
pub fn cxl_port_init(k: &mut Kernel) -> KResult {
    k.driver_register(DrvKind::CxlPort, Module::CxlPort, false);
    Ok(())
}

/// `cxl_port_exit()`.
pub fn cxl_port_exit(k: &mut Kernel) {
    k.driver_unregister(DrvKind::CxlPort);
}

/// `cxl_port_probe()` → `cxl_endpoint_port_probe()`: `devm_cxl_enumerate_decoders()` adds the
/// endpoint decoder with `cxld_unregister` on the port's devm list (`cxl_decoder_autoremove`)
/// and finds the decoder firmware committed (`init_hdm_decoder`), then `discover_region()`
/// calls `cxl_add_to_region()` for it. Failure to assemble is not a probe failure (the kernel
/// only logs it).
pub fn cxl_port_probe(k: &mut Kernel, dev: DevId) -> KResult {
    let DevKind::CxlEndpoint(i) = k.dev(dev).kind else {
        return Err(Errno::ENODEV);
    };
    k.devm_add_action(
        dev,
        "cxld_unregister",
        super::region::cxld_unregister,
        i as u64,
    );
    if k.cxl.memdevs[i as usize].decoder_committed
        && k.cxl.memdevs[i as usize].decoder_region.is_none()
        && k.cfg.is_enabled(crate::kernel::kconfig::Sym::CXL_REGION)
    {
        // discover_region() → cxl_add_to_region(); errors are logged, not returned.
        let _ = super::region::cxl_add_to_region(k, i);
    }
    Ok(())
}
