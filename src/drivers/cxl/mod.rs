//! drivers/cxl: the CXL root (cxl_acpi), memory devices (cxl_pci, cxl_mem), endpoint ports
//! (cxl_port) and regions (cxl_core with CONFIG_CXL_REGION).
//!
//! Topology simplification: the root port and host-bridge ports are not devices of their own.
//! The root exists once cxl_acpi has probed ACPI0017; a host-bridge port is usable once the
//! cxl_port driver is registered (cxl_acpi's `MODULE_SOFTDEP("pre: cxl_port")` arranges that in
//! the kernel). Switches are not modeled: endpoints sit directly below host bridges.

pub mod acpi;
pub mod mem;
pub mod port;
pub mod region;

use crate::kernel::driver_core::DevId;
use crate::kernel::resource::ResId;

/// A root decoder (`struct cxl_root_decoder`): one per CFMWS window that cxl_acpi published.
#[derive(Clone, Hash, Debug)]
pub struct RootDecoder {
    /// Index of the window in the platform.
    pub window: u32,
    /// `cxlrd->res`: the "CXL Window N" resource in iomem, or none when `add_cxl_resources`
    /// trimmed or removed this window's private copy (`pair_cxl_resource` found no private
    /// window containing the decoder's range).
    pub res: Option<ResId>,
    /// `cxlrd->region_id`: the id the next region created under it takes.
    pub region_id: u32,
}

/// `enum cxl_config_state` (drivers/cxl/cxl.h).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum CxlConfigState {
    /// `CXL_CONFIG_IDLE`: created, nothing configured.
    Idle,
    /// `CXL_CONFIG_INTERLEAVE_ACTIVE`: HPA range and interleave set.
    InterleaveActive,
    /// `CXL_CONFIG_ACTIVE`: all targets attached.
    Active,
    /// `CXL_CONFIG_COMMIT`: decoders committed; the region can probe.
    Commit,
}

/// A `struct cxl_region` with its `struct cxl_region_params`.
#[derive(Clone, Hash, Debug)]
pub struct CxlRegion {
    /// `cxlr->id` (a memregion id): the N of "regionN".
    pub id: u32,
    /// The "regionN" device.
    pub dev: DevId,
    /// Index of its root decoder.
    pub root: u32,
    /// `p->res` range (inclusive end), once set.
    pub start: u64,
    /// Last byte.
    pub end: u64,
    /// `p->res`, once allocated.
    pub res: Option<ResId>,
    /// `p->state`.
    pub state: CxlConfigState,
    /// `CXL_REGION_F_AUTO`: assembled from firmware-committed decoders.
    pub auto: bool,
    /// `p->interleave_ways`.
    pub ways: u8,
    /// `p->targets[pos]`: memdev index per position.
    pub targets: Vec<Option<u32>>,
    /// The "dax_regionN" device (`struct cxl_dax_region`), while it exists.
    pub cxlr_dax: Option<DevId>,
    /// `p->register_dax`: added by the register_dax design (v4 6/9); always true elsewhere.
    pub register_dax: bool,
    /// Between creation and `unregister_region`.
    pub alive: bool,
    /// Reached CXL_CONFIG_COMMIT at some point (judges: a committed region torn down by a
    /// design still counts as one the spec gives CXL).
    pub ever_committed: bool,
    /// Taken down by a user action — `cxl destroy-region`, or an `rmmod` that unregistered it
    /// or detached one of its decoders — rather than by kernel code on its own.
    pub user_destroyed: bool,
}

/// One memory device's CXL state.
#[derive(Clone, Hash, Debug, Default)]
pub struct MemdevState {
    /// Its PCI function is enumerated.
    pub present: bool,
    /// The PCI device, once enumerated.
    pub pci_dev: Option<DevId>,
    /// "memN" on the cxl bus.
    pub memdev: Option<DevId>,
    /// "endpointN" port.
    pub endpoint: Option<DevId>,
    /// The endpoint decoder holds a committed configuration (firmware's, or a user region's).
    pub decoder_committed: bool,
    /// The region its decoder is attached to.
    pub decoder_region: Option<u32>,
}

/// The CXL subsystem's state.
#[derive(Clone, Hash, Debug, Default)]
pub struct CxlState {
    /// The ACPI0017 device.
    pub acpi0017: Option<DevId>,
    /// cxl_acpi has probed: the CXL root port exists.
    pub root_present: bool,
    /// Root decoders, one per CFMWS window the parse accepted.
    pub root_decoders: Vec<RootDecoder>,
    /// The public "CXL Window N" resources `add_cxl_resources` put in iomem, in address order.
    pub windows: Vec<ResId>,
    /// Per platform memdev.
    pub memdevs: Vec<MemdevState>,
    /// Every region ever created, in creation order.
    pub regions: Vec<CxlRegion>,
}
