//! drivers/dax/kmem.c (kmem.ko) and the memory-hotplug calls it makes
//! (mm/memory_hotplug.c `add_memory_driver_managed`, `offline_and_remove_memory`).
//! <https://github.com/torvalds/linux/blob/master/drivers/dax/kmem.c>,
//! <https://github.com/torvalds/linux/blob/master/mm/memory_hotplug.c>
//!
//! Simplification: hot-added memory is onlined at once (auto-online, or the udev rule daxctl
//! installs); memory blocks are not modeled, a dev_dax's range is online or offline as a whole.
//! So `dax_kmem_range()`'s alignment of the range to `memory_block_size_bytes()` is not made
//! either: a no-op for the 128 MiB blocks of a small x86 machine on the 256 MiB-aligned ranges
//! scenarios use, but not for 2 GiB blocks (x86 bare metal with 64 GiB or more), where a range
//! larger than a region inside it (corpus/cover-register-path.scn: Soft Reserved ending
//! 0x284fffffff over a region ending 0x280fffffff) shrinks to 0x880000000-0x27ffffffff, fits
//! inside the region, and `request_mem_region` then succeeds where the model's fails.

use crate::drivers::dax::dev_dax_region;
use crate::kernel::driver_core::{DevId, DrvKind};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::module::Module;
use crate::kernel::resource::{
    Name, ResId, IORESOURCE_BUSY, IORESOURCE_SYSRAM_DRIVER_MANAGED, IORESOURCE_SYSTEM_RAM,
};
use crate::kernel::Kernel;

/// Memory kmem hot-added for one dev_dax.
#[derive(Clone, Hash, Debug)]
pub struct HotplugRange {
    /// The dev_dax device.
    pub dev: DevId,
    /// First byte.
    pub start: u64,
    /// Last byte.
    pub end: u64,
    /// The "daxR.N" resource kmem requested in iomem.
    pub dax_res: ResId,
    /// The "System RAM (kmem)" resource.
    pub ram_res: ResId,
    /// Online as System RAM.
    pub online: bool,
    /// Still hot-added (false once removed).
    pub present: bool,
}

/// What memory hotplug holds.
#[derive(Clone, Hash, Debug, Default)]
pub struct MemoryHotplug {
    /// Every range ever hot-added.
    pub ranges: Vec<HotplugRange>,
}

impl MemoryHotplug {
    /// Bytes of `[start, end]` online as System RAM.
    pub fn online_bytes(&self, start: u64, end: u64) -> u64 {
        self.ranges
            .iter()
            .filter(|r| r.present && r.online)
            .map(|r| overlap(r.start, r.end, start, end))
            .sum()
    }
}

/// Bytes shared by two inclusive ranges.
pub fn overlap(a0: u64, a1: u64, b0: u64, b1: u64) -> u64 {
    let lo = a0.max(b0);
    let hi = a1.min(b1);
    if lo > hi {
        0
    } else {
        hi - lo + 1
    }
}

/// `dax_kmem_init()`: registers the kmem dax driver.
pub fn dax_kmem_init(k: &mut Kernel) -> KResult {
    k.driver_register(DrvKind::Kmem, Module::Kmem, false);
    Ok(())
}

/// `dax_kmem_exit()`.
pub fn dax_kmem_exit(k: &mut Kernel) {
    k.driver_unregister(DrvKind::Kmem);
}

/// `dev_dax_kmem_probe()`: rejects a negative node (-EINVAL); `request_mem_region(range,
/// dev_name)` in iomem ("could not reserve region" → -EBUSY); clears BUSY on it so that
/// `add_memory_driver_managed(nid, range, "System RAM (kmem)")` can nest below it
/// (`register_memory_resource`: `__request_region` with SYSTEM_RAM | BUSY | DRIVER_MANAGED,
/// failure → -EEXIST after releasing the first); then the memory is online.
pub fn dev_dax_kmem_probe(k: &mut Kernel, dev: DevId) -> KResult {
    let region = dev_dax_region(k, dev)?;
    let r = &k.dax.regions[region as usize];
    let (start, end, nid) = (r.start, r.end, r.nid);
    if nid < 0 {
        return Err(Errno::EINVAL);
    }
    let name = k.dev(dev).name;
    let iomem = k.iomem;
    let Some(dax_res) = k
        .res
        .request_mem_region(iomem, start, end - start + 1, name)
    else {
        k.dbg("dev_dax_kmem_probe", "could not reserve region");
        return Err(Errno::EBUSY);
    };
    k.res.get_mut(dax_res).flags = IORESOURCE_SYSTEM_RAM;
    let Some(ram_res) = k.res.__request_region(
        iomem,
        start,
        end - start + 1,
        Name::fixed("System RAM (kmem)"),
        IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY | IORESOURCE_SYSRAM_DRIVER_MANAGED,
    ) else {
        let _ = k.res.release_resource(dax_res);
        return Err(Errno::EEXIST);
    };
    k.mem.ranges.push(HotplugRange {
        dev,
        start,
        end,
        dax_res,
        ram_res,
        online: true,
        present: true,
    });
    Ok(())
}

/// `dev_dax_kmem_remove()`: `remove_memory()` of online memory fails, and kmem then keeps the
/// resources for good ("DAX region … cannot be hotremoved until the next reboot"); offline
/// memory is removed and both resources released.
pub fn dev_dax_kmem_remove(k: &mut Kernel, dev: DevId) {
    for i in 0..k.mem.ranges.len() {
        let r = &k.mem.ranges[i];
        if r.dev != dev || !r.present {
            continue;
        }
        if r.online {
            k.dbg(
                "dev_dax_kmem_remove",
                "cannot be hotremoved until the next reboot",
            );
            continue;
        }
        let (ram, dax) = (r.ram_res, r.dax_res);
        let _ = k.res.release_resource(ram);
        let _ = k.res.release_resource(dax);
        k.mem.ranges[i].present = false;
    }
}

/// `daxctl offline-memory`: offlines every online range of kmem-managed memory that overlaps
/// `[start, end]` (memory_block `offline` via sysfs). Returns how many ranges changed.
pub fn offline_memory(k: &mut Kernel, start: u64, end: u64) -> usize {
    let mut n = 0;
    for r in &mut k.mem.ranges {
        if r.present && r.online && overlap(r.start, r.end, start, end) > 0 {
            r.online = false;
            n += 1;
        }
    }
    n
}
