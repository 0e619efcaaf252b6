//! drivers/cxl/core/region.c: region creation (auto-assembly from committed decoders, and by
//! the user), `cxl_region_probe`, the cxl_dax_region device, and teardown.
//! <https://github.com/torvalds/linux/blob/master/drivers/cxl/core/region.c>
//!
//! Simplifications: interleave math is reduced to "the memdev's host bridge is a target of the
//! window" and "positions are distinct and below the ways"; DPA allocation always succeeds;
//! only RAM regions exist (PMEM regions never reach HMEM's question).

use super::{CxlConfigState, CxlRegion};
use crate::kernel::driver_core::{Bus, DevId, DevKind, DrvKind};
use crate::kernel::errno::{Errno, KResult};
use crate::kernel::module::Module;
use crate::kernel::resource::{Name, IORESOURCE_BUSY, IORESOURCE_MEM, IORESOURCE_SYSTEM_RAM};
use crate::kernel::Kernel;

/// `cxl_region_init()`, called from `cxl_core_init()` when CONFIG_CXL_REGION is set:
/// `cxl_driver_register(&cxl_region_driver)`.
pub fn cxl_region_init(k: &mut Kernel) {
    k.driver_register(DrvKind::CxlRegion, Module::CxlCore, false);
}

/// Finds the root decoder whose window contains `[start, end]` (`cxl_find_root_decoder`).
fn find_root_decoder(k: &Kernel, start: u64, end: u64) -> Option<u32> {
    k.cxl
        .root_decoders
        .iter()
        .position(|rd| {
            let r = k.res.get(rd.res);
            r.start <= start && end <= r.end
        })
        .map(|i| i as u32)
}

/// The regions a `bus_for_each_dev(&cxl_bus_type, …)` callback that checks `p->res` gets to
/// look at: registered "regionN" devices whose HPA range is set, as `(index, region)` in
/// creation order.
pub fn regions_with_range(k: &Kernel) -> impl Iterator<Item = (u32, &CxlRegion)> {
    k.cxl
        .regions
        .iter()
        .enumerate()
        .filter(move |(_, r)| r.res.is_some() && k.dev(r.dev).registered)
        .map(|(i, r)| (i as u32, r))
}

/// `cxl_add_to_region()`: finds the region this committed decoder belongs to (same HPA range
/// under the same root decoder, `cxl_find_region_by_range`) or constructs it, attaches the
/// decoder at its position, and when the region is committed, `device_attach()`es it so that
/// `cxl_region_probe` runs.
pub fn cxl_add_to_region(k: &mut Kernel, memdev: u32) -> KResult {
    let Some(dec) = k.plat.memdevs[memdev as usize].decoder else {
        return Err(Errno::ENXIO);
    };
    let (start, end) = (dec.hpa.start, dec.hpa.end());
    let Some(rd) = find_root_decoder(k, start, end) else {
        k.dbg("cxl_add_to_region", "failed to find root decoder");
        return Err(Errno::ENXIO);
    };
    let existing = k.cxl.regions.iter().position(|r| {
        r.alive && r.root == rd && r.start == start && r.end == end && r.res.is_some()
    });
    let region = match existing {
        Some(r) => r as u32,
        None => (k.ops.construct_region)(k, rd, memdev)?,
    };
    cxl_region_attach(k, region, memdev, dec.position)?;
    let r = &k.cxl.regions[region as usize];
    if r.state == CxlConfigState::Commit {
        let dev = r.dev;
        k.device_attach(dev);
    }
    Ok(())
}

/// `construct_region()` as mainline has it: `__create_region()` with the root decoder's next
/// id, then `__construct_region()`: CXL_REGION_F_AUTO, "regionN" resource over the decoder's
/// HPA range inserted under the window (a failed insert only warns; the range is kept),
/// interleave ways from the decoder, state INTERLEAVE_ACTIVE.
pub fn construct_region(k: &mut Kernel, rd: u32, memdev: u32) -> Result<u32, Errno> {
    let region = __create_region(k, rd, true)?;
    __construct_region(k, region, memdev);
    Ok(region)
}

/// `__construct_region()`.
pub fn __construct_region(k: &mut Kernel, region: u32, memdev: u32) {
    let dec = k.plat.memdevs[memdev as usize]
        .decoder
        .expect("called with a committed decoder");
    let r = &k.cxl.regions[region as usize];
    let (id, rd) = (r.id, r.root);
    let res = k.res.alloc(
        Name::id("region", id),
        dec.hpa.start,
        dec.hpa.end(),
        IORESOURCE_MEM,
        0,
    );
    let window = k.cxl.root_decoders[rd as usize].res;
    if k.res.insert_resource(window, res).is_err() {
        k.dbg("__construct_region", "cannot insert resource");
    }
    let r = &mut k.cxl.regions[region as usize];
    r.auto = true;
    r.start = dec.hpa.start;
    r.end = dec.hpa.end();
    r.res = Some(res);
    r.ways = dec.ways;
    r.targets = vec![None; dec.ways as usize];
    r.state = CxlConfigState::InterleaveActive;
}

/// `__create_region()` → `devm_cxl_add_region()`: takes `cxlrd->region_id`, gives the root
/// decoder a fresh memregion id for the next region, registers "regionN" on the cxl bus (its
/// probe fails until the region is committed) and puts `unregister_region` on the root port's
/// devm list (the ACPI0017 device). `register_dax` is the v4 flag: true unless a design clears
/// it.
pub fn __create_region(k: &mut Kernel, rd: u32, _auto: bool) -> Result<u32, Errno> {
    let Some(host) = k.cxl.acpi0017 else {
        return Err(Errno::ENXIO);
    };
    let id = k.cxl.root_decoders[rd as usize].region_id;
    k.cxl.root_decoders[rd as usize].region_id = k.memregion.alloc();
    let dev = k.device_initialize(
        Name::id("region", id),
        DevKind::CxlRegion(k.cxl.regions.len() as u32),
        Bus::Cxl,
        None,
    );
    let idx = k.cxl.regions.len() as u32;
    k.cxl.regions.push(CxlRegion {
        id,
        dev,
        root: rd,
        start: 0,
        end: 0,
        res: None,
        state: CxlConfigState::Idle,
        auto: false,
        ways: 0,
        targets: Vec::new(),
        cxlr_dax: None,
        register_dax: true,
        alive: true,
        ever_committed: false,
        user_destroyed: false,
    });
    k.devm_add_action(host, "unregister_region", unregister_region, idx as u64);
    k.device_add(dev)?;
    Ok(idx)
}

/// `cxl_region_attach()` for an auto-discovered decoder (`cxl_region_attach_auto` and the
/// checks of `cxl_region_attach`): the memdev's host bridge must be a target of the window,
/// the decoder's ways must match the region's, and its position must be free. When the last
/// target arrives an auto region is already committed by firmware: state COMMIT.
pub fn cxl_region_attach(k: &mut Kernel, region: u32, memdev: u32, pos: u8) -> KResult {
    let dec = k.plat.memdevs[memdev as usize].decoder;
    let hb = k.plat.memdevs[memdev as usize].host_bridge;
    let r = &k.cxl.regions[region as usize];
    let window = k.cxl.root_decoders[r.root as usize].window as usize;
    if !k.plat.windows[window].targets.contains(&hb) {
        k.dbg(
            "cxl_region_attach",
            "host bridge not a target of the root decoder",
        );
        return Err(Errno::ENXIO);
    }
    if r.auto && dec.is_some_and(|d| d.ways != r.ways) {
        k.dbg("cxl_region_attach", "interleave ways mismatch");
        return Err(Errno::ENXIO);
    }
    if pos as usize >= r.targets.len() || r.targets[pos as usize].is_some() {
        k.dbg(
            "cxl_region_attach",
            "position already taken or out of range",
        );
        return Err(Errno::EBUSY);
    }
    let r = &mut k.cxl.regions[region as usize];
    r.targets[pos as usize] = Some(memdev);
    let complete = r.targets.iter().all(Option::is_some);
    let auto = r.auto;
    k.cxl.memdevs[memdev as usize].decoder_region = Some(region);
    if complete {
        let r = &mut k.cxl.regions[region as usize];
        r.state = if auto {
            CxlConfigState::Commit
        } else {
            CxlConfigState::Active
        };
        r.ever_committed |= auto;
    }
    Ok(())
}

/// `cxl_region_probe()` as mainline has it: only committed regions probe
/// (`cxl_region_can_probe`, else -ENXIO); for a RAM region, if any part of it is already
/// System RAM the region is left alone (returns 0 without DAX), else
/// `devm_cxl_add_dax_region()`, unconditionally.
pub fn cxl_region_probe(k: &mut Kernel, dev: DevId) -> KResult {
    let region = cxl_region_can_probe(k, dev)?;
    if region_is_system_ram(k, region) {
        k.dbg("cxl_region_probe", "region is already System RAM");
        return Ok(());
    }
    devm_cxl_add_dax_region(k, region)
}

/// `cxl_region_can_probe()` (the state check at the top of `cxl_region_probe`): the region
/// index of a committed region, -ENXIO otherwise.
pub fn cxl_region_can_probe(k: &mut Kernel, dev: DevId) -> Result<u32, Errno> {
    let DevKind::CxlRegion(region) = k.dev(dev).kind else {
        return Err(Errno::ENODEV);
    };
    if k.cxl.regions[region as usize].state != CxlConfigState::Commit {
        k.dbg("cxl_region_probe", "config state not committed");
        return Err(Errno::ENXIO);
    }
    Ok(region)
}

/// The System RAM test of `cxl_region_probe` (`walk_iomem_res_desc(IORES_DESC_NONE,
/// IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, …)` over the region's range): any hit means the
/// memory was already onlined by someone else.
pub fn region_is_system_ram(k: &Kernel, region: u32) -> bool {
    let r = &k.cxl.regions[region as usize];
    let hit = k.res.walk_res_desc(
        k.iomem,
        crate::kernel::resource::IORES_DESC_NONE,
        IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
        r.start,
        r.end,
        |_, _, _, _| 1,
    );
    hit == 1
}

/// `devm_cxl_add_dax_region()`: a "dax_regionN" device on the cxl bus below the region;
/// `device_add` lets dax_cxl's `cxl_dax_region` driver probe it if registered (a failed add,
/// e.g. -EEXIST for a second dax_region of the same region, returns the error); then
/// `cxlr_dax_unregister` goes on the region's devm list.
pub fn devm_cxl_add_dax_region(k: &mut Kernel, region: u32) -> KResult {
    let r = &k.cxl.regions[region as usize];
    let (id, rdev) = (r.id, r.dev);
    let d = k.device_initialize(
        Name::id("dax_region", id),
        DevKind::CxlDaxRegion(region),
        Bus::Cxl,
        Some(rdev),
    );
    k.device_add(d)?;
    k.cxl.regions[region as usize].cxlr_dax = Some(d);
    k.devm_add_action(
        rdev,
        "cxlr_dax_unregister",
        cxlr_dax_unregister,
        region as u64,
    );
    Ok(())
}

/// `cxlr_dax_unregister()`.
fn cxlr_dax_unregister(k: &mut Kernel, region: u64) {
    if let Some(d) = k.cxl.regions[region as usize].cxlr_dax.take() {
        k.device_unregister(d);
    }
}

/// `unregister_region()`: `device_del()` of the region, `detach_target()` for every position
/// (the first detach of a committed region resets its decoders, see
/// [`crate::designs::Ops::cxl_region_detach`]), then `cxl_region_iomem_release()` removes
/// the region's resource (`remove_resource`: children such as "Soft Reserved" move up), and the
/// region's id returns to the memregion ida.
pub fn unregister_region(k: &mut Kernel, region: u64) {
    let region = region as u32;
    let r = &k.cxl.regions[region as usize];
    if r.end > r.start {
        // Recorded for the judges: what was online and who did it.
        let (start, end, id) = (r.start, r.end, r.id);
        let own = own_online_bytes(k, region);
        let cause = k.cause("unregister_region");
        if cause.is_user() {
            k.cxl.regions[region as usize].user_destroyed = true;
        }
        k.teardowns.push(srfuzz_oracle::TeardownObs {
            region: format!("region{id}"),
            start,
            end,
            own_online_bytes: own,
            other_online_bytes: k.mem.online_bytes(start, end) - own,
            cause,
        });
    }
    let dev = k.cxl.regions[region as usize].dev;
    k.device_unregister(dev);
    let ways = k.cxl.regions[region as usize].targets.len();
    for pos in 0..ways {
        (k.ops.cxl_region_detach)(k, region, pos);
    }
    if let Some(res) = k.cxl.regions[region as usize].res.take() {
        if k.res.get(res).parent.is_some() {
            let _ = k.res.remove_resource(res);
        }
    }
    let r = &mut k.cxl.regions[region as usize];
    r.alive = false;
    let id = r.id;
    k.memregion.free(id);
}

/// Bytes of the region's own memory online: kmem ranges of dev_dax devices whose dax region
/// dax_cxl created for this region.
pub fn own_online_bytes(k: &Kernel, region: u32) -> u64 {
    use crate::drivers::dax::{dev_dax_region, DaxOwner};
    k.mem
        .ranges
        .iter()
        .filter(|m| m.present && m.online)
        .filter(|m| {
            dev_dax_region(k, m.dev)
                .is_ok_and(|d| k.dax.regions[d as usize].owner == DaxOwner::Cxl(region))
        })
        .map(|m| m.end - m.start + 1)
        .sum()
}

/// `cxl_region_detach()` → `__cxl_decoder_detach()` as mainline has it: if the region is past
/// ACTIVE, `cxl_region_decode_reset()` uncommits every target's decoder (firmware's
/// programming is lost) and the state drops to ACTIVE; the target leaves the region.
pub fn cxl_region_detach(k: &mut Kernel, region: u32, pos: usize) {
    if k.cxl.regions[region as usize].state > CxlConfigState::Active {
        cxl_region_decode_reset(k, region);
        k.cxl.regions[region as usize].state = CxlConfigState::Active;
    }
    if let Some(m) = k.cxl.regions[region as usize].targets[pos].take() {
        k.cxl.memdevs[m as usize].decoder_region = None;
    }
}

/// `cxl_region_decode_reset()`: uncommits the decoders of every target.
pub fn cxl_region_decode_reset(k: &mut Kernel, region: u32) {
    for m in k.cxl.regions[region as usize]
        .targets
        .clone()
        .into_iter()
        .flatten()
    {
        k.cxl.memdevs[m as usize].decoder_committed = false;
    }
}

/// What `cxl create-region -t ram -d decoderX.Y -w N memA memB …` does through sysfs:
/// `create_ram_region_store` → `__create_region()`; `size_store` → `alloc_hpa()` →
/// `alloc_free_mem_region()` in the window (the lowest free gap among the window's children, so
/// a leftover "Soft Reserved" child blocks it); `target*_store` → `attach_target()` for each
/// memdev (its endpoint must exist and its decoder be free and uncommitted); `commit_store` →
/// `cxl_region_decode_commit()`; then `cxl enable-region` → `device_attach()`. Returns the
/// region index, or the error the first failing step returns (the partial region is deleted,
/// as the cxl tool does).
pub fn create_ram_region(k: &mut Kernel, window: u32, memdevs: &[u32]) -> Result<u32, Errno> {
    if !k.cfg.is_enabled(crate::kernel::kconfig::Sym::CXL_REGION) {
        return Err(Errno::ENOENT);
    }
    let Some(rd) = k
        .cxl
        .root_decoders
        .iter()
        .position(|rd| rd.window == window)
    else {
        return Err(Errno::ENXIO);
    };
    let rd = rd as u32;
    if memdevs.is_empty() {
        return Err(Errno::EINVAL);
    }
    for &m in memdevs {
        let st = &k.cxl.memdevs[m as usize];
        if st.endpoint.is_none() || st.decoder_region.is_some() || st.decoder_committed {
            return Err(Errno::EBUSY);
        }
    }
    let size = memdevs
        .iter()
        .map(|&m| k.plat.memdevs[m as usize].capacity)
        .min()
        .unwrap_or(0)
        .saturating_mul(memdevs.len() as u64);
    let region = (k.ops.create_region_store)(k, rd)?;
    let host = k.cxl.acpi0017.expect("a region exists only with the root");
    let Some(start) = alloc_free_mem_region(k, rd, size) else {
        k.devm_release_action(host, "unregister_region", region as u64);
        return Err(Errno::ENOSPC);
    };
    let id = k.cxl.regions[region as usize].id;
    let res = k.res.alloc(
        Name::id("region", id),
        start,
        start + size - 1,
        IORESOURCE_MEM,
        0,
    );
    let window_res = k.cxl.root_decoders[rd as usize].res;
    if k.res.insert_resource(window_res, res).is_err() {
        k.devm_release_action(host, "unregister_region", region as u64);
        return Err(Errno::ENOSPC);
    }
    {
        let r = &mut k.cxl.regions[region as usize];
        r.start = start;
        r.end = start + size - 1;
        r.res = Some(res);
        r.ways = memdevs.len() as u8;
        r.targets = vec![None; memdevs.len()];
        r.state = CxlConfigState::InterleaveActive;
    }
    for (pos, &m) in memdevs.iter().enumerate() {
        if let Err(e) = cxl_region_attach(k, region, m, pos as u8) {
            k.devm_release_action(host, "unregister_region", region as u64);
            return Err(e);
        }
    }
    // commit_store → cxl_region_decode_commit()
    for &m in memdevs {
        k.cxl.memdevs[m as usize].decoder_committed = true;
    }
    k.cxl.regions[region as usize].state = CxlConfigState::Commit;
    k.cxl.regions[region as usize].ever_committed = true;
    let dev = k.cxl.regions[region as usize].dev;
    k.device_attach(dev);
    Ok(region)
}

/// `create_ram_region_store()` → `__create_region()` as mainline has it.
pub fn create_region_store(k: &mut Kernel, rd: u32) -> Result<u32, Errno> {
    __create_region(k, rd, false)
}

/// `alloc_free_mem_region()` within the window: the lowest 256 MiB-aligned gap between the
/// window's children that fits `size`.
fn alloc_free_mem_region(k: &Kernel, rd: u32, size: u64) -> Option<u64> {
    const ALIGN: u64 = 256 << 20;
    let w = k.res.get(k.cxl.root_decoders[rd as usize].res);
    let mut cursor = w.start.div_ceil(ALIGN) * ALIGN;
    for c in k.res.children(k.cxl.root_decoders[rd as usize].res) {
        let c = k.res.get(c);
        if c.start >= cursor && c.start - cursor >= size {
            return Some(cursor);
        }
        cursor = cursor.max((c.end + 1).div_ceil(ALIGN) * ALIGN);
    }
    (w.end >= cursor && w.end - cursor + 1 >= size).then_some(cursor)
}

/// `cxl destroy-region`: the tool refuses while any of the region's memory is online (daxctl
/// offline-memory first); otherwise `cxl disable-region` (unbind) and `delete_region_store` →
/// `devm_release_action(port->uport_dev, unregister_region, cxlr)`.
pub fn destroy_region(k: &mut Kernel, region: u32) -> KResult {
    let r = &k.cxl.regions[region as usize];
    if !r.alive {
        return Err(Errno::ENODEV);
    }
    if k.mem.online_bytes(r.start, r.end) > 0 {
        return Err(Errno::EBUSY);
    }
    let dev = r.dev;
    k.cxl.regions[region as usize].user_destroyed = true;
    k.device_release_driver(dev);
    let host = k.cxl.acpi0017.expect("a live region implies the root");
    k.devm_release_action(host, "unregister_region", region as u64);
    Ok(())
}
