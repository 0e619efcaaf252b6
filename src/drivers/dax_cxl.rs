//! drivers/dax/cxl.c (dax_cxl.ko): the `cxl_dax_region` driver that turns a CXL RAM region
//! into a dax region.
//! <https://github.com/torvalds/linux/blob/master/drivers/dax/cxl.c>

use crate::drivers::dax::{devm_create_dev_dax, DaxOwner};
use crate::kernel::driver_core::{DevId, DevKind, DrvKind};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::module::Module;
use crate::kernel::Kernel;

/// `cxl_dax_region_init()` as mainline has it: `module_cxl_driver(cxl_dax_region_driver)`,
/// a synchronous-probe driver registered at module init.
pub fn cxl_dax_region_init(k: &mut Kernel) -> KResult {
    k.driver_register(DrvKind::CxlDaxRegion, Module::DaxCxl, false);
    Ok(())
}

/// `cxl_dax_region_exit()`.
pub fn cxl_dax_region_exit(k: &mut Kernel) {
    k.driver_unregister(DrvKind::CxlDaxRegion);
}

/// `cxl_dax_region_probe()` as mainline has it: `alloc_dax_region(dev, cxlr->id, hpa_range,
/// nid, PMD_SIZE, IORESOURCE_DAX_KMEM)` (failure → -ENOMEM), then `devm_create_dev_dax()` over
/// the whole range with `memmap_on_memory = true`.
pub fn cxl_dax_region_probe(k: &mut Kernel, dev: DevId) -> KResult {
    let DevKind::CxlDaxRegion(region) = k.dev(dev).kind else {
        return Err(Errno::ENODEV);
    };
    let r = &k.cxl.regions[region as usize];
    let (id, start, end) = (r.id, r.start, r.end);
    let nid = crate::drivers::hmem::phys_to_target_node(k, start);
    let Some(dr) = (k.ops.alloc_dax_region)(k, dev, id, start, end, nid, DaxOwner::Cxl(region))
    else {
        return Err(Errno::ENOMEM);
    };
    devm_create_dev_dax(k, dr)
}
