//! drivers/dax/bus.c: dax regions and dev_dax devices, shared by dax_hmem and dax_cxl.
//! <https://github.com/torvalds/linux/blob/master/drivers/dax/bus.c>

use crate::kernel::driver_core::{Bus, DevId, DevKind};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::resource::{Name, ResId, ResourceArena, IORESOURCE_MEM};
use crate::kernel::Kernel;

/// `enum dax_cxl_mode`: HMEM's decision about Soft Reserved ranges that intersect CXL windows,
/// in the designs that defer it (v4: a static of hmem.c; v5: exported by dax.ko's bus.c).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DaxCxlMode {
    /// `DAX_CXL_MODE_DEFER` (initial): the decision is pending.
    Defer,
    /// `DAX_CXL_MODE_REGISTER`: HMEM registers the ranges itself.
    Register,
    /// `DAX_CXL_MODE_DROP`: HMEM drops the ranges, CXL keeps them.
    Drop,
}

/// Who created a dax region.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DaxOwner {
    /// dax_cxl, for the CXL region with this index.
    Cxl(u32),
    /// dax_hmem, for the "hmem.N" device with this index into the hmem devices.
    Hmem(u32),
}

/// A `struct dax_region`.
#[derive(Clone, Hash, Debug)]
pub struct DaxRegion {
    /// `dax_region->id`: the R of "daxR.N".
    pub id: u32,
    /// First byte.
    pub start: u64,
    /// Last byte.
    pub end: u64,
    /// `dax_region->target_node`.
    pub nid: i32,
    /// Who made it.
    pub owner: DaxOwner,
    /// The parent device (hmem.N or dax_regionN).
    pub parent: DevId,
    /// `dax_region->res` when a design claims it in the "DAX Regions" tree.
    pub res: Option<ResId>,
    /// Until `dax_region_unregister`.
    pub alive: bool,
}

/// A `struct dev_dax` ("daxR.N").
#[derive(Clone, Hash, Debug)]
pub struct DevDax {
    /// Index of its dax region.
    pub region: u32,
    /// The device.
    pub dev: DevId,
}

/// The DAX core's state.
#[derive(Clone, Hash, Debug)]
pub struct DaxState {
    /// Every dax region ever allocated.
    pub regions: Vec<DaxRegion>,
    /// Every dev_dax ever created.
    pub devs: Vec<DevDax>,
    /// The global "DAX Regions" tree that later designs (v6 5/9, merged 34f80bb9) claim dax
    /// regions in; unused by mainline.
    pub dax_regions: ResId,
    /// bus.c's `dax_cxl_mode` in the dax_cxl_mode design (v5 5/7), reset when dax.ko loads.
    pub dax_cxl_mode: DaxCxlMode,
    /// bus.c's `hmem_deferred_fn`/`dax_hmem_data` of v6 7/9 ("Add deferred-work helpers for
    /// dax_hmem and dax_cxl coordination"): the hmem_platform device whose
    /// `process_defer_work` is registered with the singleton `dax_hmem_work`, if any. The
    /// function is always hmem.c's `process_defer_work`, so only its argument is kept. Reset
    /// when dax.ko loads.
    pub hmem_deferred_data: Option<DevId>,
}

impl DaxState {
    /// Empty state with its resource root.
    pub fn new(res: &mut ResourceArena) -> DaxState {
        let dax_regions = res.alloc(Name::fixed("DAX Regions"), 0, u64::MAX, IORESOURCE_MEM, 0);
        DaxState {
            regions: Vec::new(),
            devs: Vec::new(),
            dax_regions,
            dax_cxl_mode: DaxCxlMode::Defer,
            hmem_deferred_data: None,
        }
    }
}

/// `dax_core_init()` (postcore_initcall / dax.ko init): registers the dax bus. Nothing to model
/// beyond the module being live.
pub fn dax_core_init(_k: &mut Kernel) -> KResult {
    Ok(())
}

/// `alloc_dax_region()` as mainline has it: the region's resource is filled in but inserted
/// nowhere, so nothing stops HMEM and CXL from both creating a dax region over the same range.
/// `dax_region_unregister` goes on the parent's devm list. Returns the dax region index
/// (`NULL` → the callers' -ENOMEM is never taken here).
pub fn alloc_dax_region(
    k: &mut Kernel,
    parent: DevId,
    id: u32,
    start: u64,
    end: u64,
    nid: i32,
    owner: DaxOwner,
) -> Option<u32> {
    let idx = k.dax.regions.len() as u32;
    k.dax.regions.push(DaxRegion {
        id,
        start,
        end,
        nid,
        owner,
        parent,
        res: None,
        alive: true,
    });
    k.devm_add_action(
        parent,
        "dax_region_unregister",
        dax_region_unregister,
        idx as u64,
    );
    Some(idx)
}

/// `alloc_dax_region()` from "dax: Track all dax_region allocations under a global resource
/// tree" (v6 5/9, v7 4/7, v8 6/9, merged as 34f80bb9,
/// <https://github.com/torvalds/linux/commit/34f80bb969cc1710f336ea1878781780a59fc8e7>):
/// `dax_region->res` is claimed in the global "DAX Regions" resource with
/// `request_resource()`; a conflict ("dax_region resource conflict for %pR") frees the region
/// and returns NULL, which both callers turn into -ENOMEM. So whichever of dax_hmem and
/// dax_cxl allocates first owns the bytes, and the other's probe fails.
pub fn alloc_dax_region_exclusive(
    k: &mut Kernel,
    parent: DevId,
    id: u32,
    start: u64,
    end: u64,
    nid: i32,
    owner: DaxOwner,
) -> Option<u32> {
    let res = k
        .res
        .alloc(Name::fixed("dax region"), start, end, IORESOURCE_MEM, 0);
    let root = k.dax.dax_regions;
    if k.res.request_resource(root, res).is_err() {
        k.dbg("alloc_dax_region", "dax_region resource conflict");
        return None;
    }
    let idx = alloc_dax_region(k, parent, id, start, end, nid, owner)?;
    k.dax.regions[idx as usize].res = Some(res);
    Some(idx)
}

/// `dax_region_unregister()`: the region goes away with its parent's driver.
pub fn dax_region_unregister(k: &mut Kernel, idx: u64) {
    let r = &mut k.dax.regions[idx as usize];
    r.alive = false;
    if let Some(res) = r.res.take() {
        let _ = k.res.release_resource(res);
    }
}

/// `devm_create_dev_dax()` with id 0: "daxR.0" on the dax bus over the whole region
/// (`dev_dax->nr_range = 1`), `unregister_dev_dax` on the parent's devm list; `device_add`
/// lets kmem bind it.
pub fn devm_create_dev_dax(k: &mut Kernel, region: u32) -> KResult {
    let r = &k.dax.regions[region as usize];
    let (id, parent) = (r.id, r.parent);
    let idx = k.dax.devs.len() as u32;
    let d = k.device_initialize(
        Name::id_sub("dax", id, 0),
        DevKind::DevDax(idx),
        Bus::Dax,
        Some(parent),
    );
    k.dax.devs.push(DevDax { region, dev: d });
    k.devm_add_action(parent, "unregister_dev_dax", unregister_dev_dax, idx as u64);
    k.device_add(d)
}

/// `unregister_dev_dax()`.
fn unregister_dev_dax(k: &mut Kernel, idx: u64) {
    let d = k.dax.devs[idx as usize].dev;
    k.device_unregister(d);
}

/// The dax region of a dev_dax device.
pub fn dev_dax_region(k: &Kernel, dev: DevId) -> Result<u32, Errno> {
    match k.dev(dev).kind {
        DevKind::DevDax(i) => Ok(k.dax.devs[i as usize].region),
        _ => Err(Errno::ENODEV),
    }
}
