//! Turns the kernel's state into an [`Observation`]: /proc/iomem, who owns each Soft Reserved
//! range and region, what is online, unbound devices, blocked tasks and WARNs.

use crate::drivers::dax::DaxOwner;
use crate::drivers::kmem::overlap;
use crate::kernel::sched::{TaskBody, Wait};
use crate::kernel::Kernel;
use srfuzz_oracle::{
    BlockedTask, Claimant, Context, DaxRegionObs, DeviceIssue, Observation, Outcome, Owner,
    RangeOwnership, RegionObs, WarnObs,
};

/// Ownership of `[start, end]`: bytes under live dax regions of each driver, bytes online.
pub fn ownership(k: &Kernel, start: u64, end: u64) -> RangeOwnership {
    Claims::Scan(k).ownership(start, end)
}

/// Inclusive segments sorted by start, with the running maximum of their ends, so that the
/// segments meeting a range are found without visiting every segment.
struct Segments<T> {
    /// `(start, end, tag)`, sorted by start.
    segs: Vec<(u64, u64, T)>,
    /// `max_end[i]`: the largest end among `segs[..=i]`.
    max_end: Vec<u64>,
}

impl<T: Copy> Segments<T> {
    fn new(mut segs: Vec<(u64, u64, T)>) -> Segments<T> {
        segs.sort_unstable_by_key(|&(s, e, _)| (s, e));
        let mut m = 0;
        let max_end = segs
            .iter()
            .map(|&(_, e, _)| {
                m = m.max(e);
                m
            })
            .collect();
        Segments { segs, max_end }
    }

    /// Every segment that shares a byte with `[start, end]` (in no particular order).
    fn meeting(&self, start: u64, end: u64) -> impl Iterator<Item = (u64, u64, T)> + '_ {
        let upto = self.segs.partition_point(|&(s, _, _)| s <= end);
        (0..upto)
            .rev()
            .take_while(move |&i| self.max_end[i] >= start)
            .map(move |i| self.segs[i])
            .filter(move |&(s, e, _)| overlap(s, e, start, end) > 0)
    }
}

/// What ownership reads: the live dax regions (tagged true for dax_cxl's, false for HMEM's)
/// and the ranges online as System RAM
/// ([`crate::drivers::kmem::MemoryHotplug::online_bytes`]). The kernel keeps every dax region
/// and hot-added range ever made and an observation asks about every Soft Reserved range and
/// every region ever created, so past a few dozen of them they are gathered once per
/// observation, sorted ([`Segments`]); scanning them all per question made an observation
/// cost grow with the square of the run's length. Below that a scan is cheapest. Either way
/// the answer is the same (it does not depend on the order segments are found in).
enum Claims<'k> {
    /// Few enough to scan the kernel's lists for each question.
    Scan(&'k Kernel),
    /// Gathered and sorted.
    Sorted {
        dax: Segments<bool>,
        online: Segments<()>,
    },
}

/// Up to this many dax regions and hot-added ranges ever made, [`Claims::Scan`].
const SCAN_CLAIMS: usize = 32;

impl Claims<'_> {
    fn of(k: &Kernel) -> Claims<'_> {
        if k.dax.regions.len() + k.mem.ranges.len() <= SCAN_CLAIMS {
            return Claims::Scan(k);
        }
        Claims::Sorted {
            dax: Segments::new(
                k.dax
                    .regions
                    .iter()
                    .filter(|r| r.alive)
                    .map(|r| (r.start, r.end, matches!(r.owner, DaxOwner::Cxl(_))))
                    .collect(),
            ),
            online: Segments::new(
                k.mem
                    .ranges
                    .iter()
                    .filter(|r| r.present && r.online)
                    .map(|r| (r.start, r.end, ()))
                    .collect(),
            ),
        }
    }

    /// Calls `f(start, end, is_cxl)` for each live dax region meeting `[start, end]`.
    fn each_dax(&self, start: u64, end: u64, mut f: impl FnMut(u64, u64, bool)) {
        match self {
            Claims::Scan(k) => k
                .dax
                .regions
                .iter()
                .filter(|r| r.alive && overlap(r.start, r.end, start, end) > 0)
                .for_each(|r| f(r.start, r.end, matches!(r.owner, DaxOwner::Cxl(_)))),
            Claims::Sorted { dax, .. } => dax
                .meeting(start, end)
                .for_each(|(s, e, is_cxl)| f(s, e, is_cxl)),
        }
    }

    /// Bytes of `[start, end]` online as System RAM.
    fn online_bytes(&self, start: u64, end: u64) -> u64 {
        match self {
            Claims::Scan(k) => k.mem.online_bytes(start, end),
            Claims::Sorted { online, .. } => online
                .meeting(start, end)
                .map(|(s, e, ())| overlap(s, e, start, end))
                .sum(),
        }
    }

    /// Ownership of `[start, end]` (see [`ownership`]).
    fn ownership(&self, start: u64, end: u64) -> RangeOwnership {
        let (mut cxl, mut hmem) = (Vec::new(), Vec::new());
        self.each_dax(start, end, |s, e, is_cxl| {
            let seg = (s.max(start), e.min(end));
            if is_cxl {
                cxl.push(seg);
            } else {
                hmem.push(seg);
            }
        });
        let cxl_bytes = union_bytes(&mut cxl);
        let hmem_bytes = union_bytes(&mut hmem);
        let mut both = Vec::new();
        for a in &cxl {
            for b in &hmem {
                if overlap(a.0, a.1, b.0, b.1) > 0 {
                    both.push((a.0.max(b.0), a.1.min(b.1)));
                }
            }
        }
        let both_bytes = union_bytes(&mut both);
        let size = end - start + 1;
        let owner = if cxl_bytes == 0 && hmem_bytes == 0 {
            Owner::Nobody
        } else if cxl_bytes == size && hmem_bytes == 0 {
            Owner::Cxl
        } else if hmem_bytes == size && cxl_bytes == 0 {
            Owner::Hmem
        } else {
            Owner::Mixed
        };
        RangeOwnership {
            start,
            end,
            cxl_bytes,
            hmem_bytes,
            both_bytes,
            online_bytes: self.online_bytes(start, end),
            owner,
        }
    }
}

/// Bytes covered by a set of inclusive segments (sorted in place).
fn union_bytes(segs: &mut [(u64, u64)]) -> u64 {
    segs.sort_unstable();
    let mut total = 0u64;
    let mut cur: Option<(u64, u64)> = None;
    for &(s, e) in segs.iter() {
        match cur {
            Some((cs, ce)) if s <= ce.saturating_add(1) => cur = Some((cs, ce.max(e))),
            Some((cs, ce)) => {
                total += ce - cs + 1;
                cur = Some((s, e));
            }
            None => cur = Some((s, e)),
        }
    }
    if let Some((cs, ce)) = cur {
        total += ce - cs + 1;
    }
    total
}

/// The kernel function a wait stands for, as a reviewer would name it.
pub fn wait_name(w: Wait) -> String {
    match w {
        Wait::Yield => "cond_resched".into(),
        Wait::DeviceProbeIdle => "wait_for_device_probe".into(),
        Wait::WorkIdle(_) => "flush_work".into(),
        Wait::WorkNotRunning(_) => "work already running".into(),
        Wait::DeviceLock(_) => "device_lock".into(),
        Wait::TaskDone(_) => "request_module".into(),
        Wait::ModuleNotComing(m) => format!("module {m} still loading"),
        Wait::RegionRwsemRead => "down_read(cxl_rwsem.region)".into(),
        Wait::RegionRwsemWrite => "down_write(cxl_rwsem.region)".into(),
        Wait::Quiescent => "udevadm settle".into(),
        Wait::OrderedTurn(_) => "ordered workqueue".into(),
        Wait::OrderedFlushed(_) => "flush_workqueue".into(),
        Wait::InitDone => "kernel_init".into(),
        Wait::AsyncIdle => "async_synchronize_full".into(),
    }
}

/// A task's name for reports.
pub fn task_name(k: &Kernel, body: TaskBody) -> String {
    match body {
        TaskBody::KernelInit => "kernel_init".into(),
        TaskBody::Userspace => "userspace".into(),
        TaskBody::Modprobe(m) => format!("modprobe {m}"),
        TaskBody::AsyncProbe(d) => format!("async probe {}", k.dev(d).name),
        TaskBody::Kworker(w) => format!("kworker: {}", k.sched.works[w.0 as usize].name),
    }
}

/// Records what the kernel looks like now.
pub fn observe(
    k: &Kernel,
    point: String,
    outcome: Outcome,
    blocked: &[BlockedTask],
) -> Observation {
    let claims = Claims::of(k);
    // Regions the user re-created share their range: past a few regions, each range is
    // computed once.
    let mut memo: std::collections::BTreeMap<(u64, u64), RangeOwnership> = Default::default();
    let remember = k.cxl.regions.len() > SCAN_CLAIMS;
    let mut ownership = |s: u64, e: u64| {
        if !remember {
            return claims.ownership(s, e);
        }
        memo.entry((s, e))
            .or_insert_with(|| claims.ownership(s, e))
            .clone()
    };
    // cxl_test's mock range is Soft Reserved as far as HMEM and the judges are concerned
    // (mock.c answers REGION_INTERSECTS for it), though no memory map lists it.
    let mut sr = k.e820_sr.clone();
    if let Some(t) = crate::drivers::hmem::hmem_test(k) {
        sr.push((t.start, t.end()));
        sr.sort_unstable();
    }
    let soft_reserved = sr.iter().map(|&(s, e)| ownership(s, e)).collect();
    let regions = k
        .cxl
        .regions
        .iter()
        // A region whose creation failed before it had a range never existed for the user.
        .filter(|r| r.end > r.start)
        .map(|r| RegionObs {
            name: format!("region{}", r.id),
            start: r.start,
            end: r.end,
            auto: r.auto,
            committed: r.state == crate::drivers::cxl::CxlConfigState::Commit,
            alive: r.alive,
            ever_committed: r.ever_committed,
            user_destroyed: r.user_destroyed,
            dax_bound: r.cxlr_dax.is_some_and(|d| k.dev(d).driver.is_some()),
            ownership: if r.end > r.start {
                ownership(r.start, r.end)
            } else {
                ownership(0, 0)
            },
        })
        .collect();
    // A probe that returns -ENODEV or -ENXIO "rejects match" and is no failure: the driver core
    // only logs it at debug level (`call_driver_probe()`, drivers/base/dd.c,
    // <https://github.com/torvalds/linux/blob/master/drivers/base/dd.c>: `case -ENODEV: case
    // -ENXIO: dev_dbg(dev, "probe with driver %s rejects match %d\n", …)`), as dax_cxl does on
    // purpose for a region HMEM keeps. Such a device is unbound, not stuck.
    let failed = |e: Option<crate::kernel::errno::Errno>| {
        use crate::kernel::errno::Errno;
        e.is_some_and(|e| !matches!(e, Errno::ENODEV | Errno::ENXIO))
    };
    let unbound =
        k.dc.registered
            .iter()
            .map(|&d| k.dev(d))
            .filter(|d| d.registered && d.driver.is_none() && (failed(d.probe_err) || d.deferred))
            .map(|d| DeviceIssue {
                device: d.name.to_string(),
                error: d
                    .probe_err
                    .map(|e| e.name().to_string())
                    .unwrap_or_default(),
                deferred: d.deferred,
                cause: d.probe_err_by.as_ref().map(|(drv, task, frame)| {
                    frame
                        .map(|f| f.cause())
                        .unwrap_or_else(|| srfuzz_oracle::Cause::Kernel {
                            function: format!(
                                "{} probe, run by {}",
                                drv.name(),
                                k.task_body(*task)
                                    .map_or_else(|| "-".to_string(), |b| task_name(k, b))
                            ),
                            patch: None,
                        })
                }),
            })
            .collect();
    let warns = k
        .warns
        .iter()
        .map(|w| WarnObs {
            site: w.site.to_string(),
            msg: w.msg.to_string(),
        })
        .collect();
    let memory_errors = k
        .memory_errors
        .iter()
        .map(|w| WarnObs {
            site: w.site.to_string(),
            msg: w.msg.to_string(),
        })
        .collect();
    Observation {
        point,
        memory_errors,
        iomem: if k.reporting {
            k.res.render_proc_iomem(k.iomem)
        } else {
            String::new()
        },
        soft_reserved,
        regions,
        unbound,
        blocked: blocked.to_vec(),
        warns,
        outcome,
        dax_regions: k
            .dax
            .regions
            .iter()
            .filter(|r| r.alive)
            .map(|r| DaxRegionObs {
                start: r.start,
                end: r.end,
                by: match r.owner {
                    DaxOwner::Cxl(_) => Claimant::Cxl,
                    DaxOwner::Hmem(_) => Claimant::Hmem,
                },
            })
            .collect(),
        online: k
            .mem
            .ranges
            .iter()
            .filter(|r| r.present && r.online)
            .map(|r| (r.start, r.end))
            .collect(),
        teardowns: k.teardowns.to_vec(),
        context: context(k),
    }
}

/// The configuration facts and loaded modules the judges read.
pub fn context(k: &Kernel) -> Context {
    use crate::kernel::module::{ModState, Module};
    let fixed = k.run_facts.get_or_init(|| RunFacts::of(k));
    Context {
        disabled: fixed.disabled.clone(),
        live: Module::ALL
            .into_iter()
            .filter(|m| k.modules[m.idx()] == ModState::Live)
            .map(|m| m.name())
            .collect(),
        windows: k
            .cxl
            .windows
            .iter()
            .map(|&w| {
                let r = k.res.get(w);
                (r.start, r.end)
            })
            .collect(),
        available: OWNERS
            .iter()
            .zip(fixed.owners)
            .filter(|&(&m, (loadable, blacklisted))| {
                let live = k.modules[m.idx()] == ModState::Live;
                loadable && (live || !(k.user_removed[m.idx()] || blacklisted))
            })
            .map(|(m, _)| m.name())
            .collect(),
        user_removed: Module::ALL
            .into_iter()
            .filter(|m| k.user_removed[m.idx()] && k.modules[m.idx()] != ModState::Live)
            .map(|m| m.name())
            .collect(),
        firmware_regions: fixed.firmware_regions.clone(),
        quirks: fixed.quirks.clone(),
        cxl_test: fixed.cxl_test,
        outside_model: fixed.outside_model,
    }
}

/// The drivers that take ownership of memory, the only modules whose availability the judges
/// ask about ([`Context::available`]).
const OWNERS: [crate::kernel::module::Module; 2] = [
    crate::kernel::module::Module::DaxCxl,
    crate::kernel::module::Module::DaxHmem,
];

/// The parts of [`Context`] that only the configuration, the platform and the events decide:
/// computed once per run, at its first observation.
#[derive(Debug)]
pub struct RunFacts {
    disabled: Vec<&'static str>,
    /// Per [`OWNERS`] entry: (loadable, blacklisted).
    owners: [(bool, bool); 2],
    firmware_regions: Vec<(u64, u64)>,
    quirks: Vec<&'static str>,
    cxl_test: bool,
    outside_model: Option<&'static str>,
}

/// Why a run of this configuration on this platform is outside the model, if it is.
///
/// With `CONFIG_EFI_SOFT_RESERVE=n` the EFI stub hands EFI_MEMORY_SP memory to the kernel as
/// conventional memory (`setup_e820()` in
/// <https://github.com/torvalds/linux/blob/master/drivers/firmware/efi/libstub/x86-stub.c>:
/// `if (efi_soft_reserve_enabled() && (d->attribute & EFI_MEMORY_SP)) e820_type =
/// E820_TYPE_SOFT_RESERVED; … else E820_TYPE_RAM`), so Soft Reserved in a CXL window is System
/// RAM from boot. The model has no conventional RAM over CXL (the `region-in-sr` platform
/// rule), so such a run is not judged. Soft Reserved outside every window stays modeled: it may
/// come from `memmap=nn%ss+0xefffffff`, which does not depend on the option (and DEV_DAX_HMEM
/// depends on EFI_SOFT_RESERVE, so nothing claims it anyway).
fn outside_model(k: &Kernel) -> Option<&'static str> {
    use crate::kernel::kconfig::{Sym, Tristate};
    if k.cfg.get(Sym::EFI_SOFT_RESERVE) != Tristate::N {
        return None;
    }
    let in_window = k.e820_sr.iter().any(|&(s, e)| {
        k.plat
            .windows
            .iter()
            .any(|w| s <= w.range.end() && w.range.start <= e)
    });
    in_window.then_some(
        "CONFIG_EFI_SOFT_RESERVE=n makes the EFI stub hand Soft Reserved memory in CXL windows \
         to the kernel as System RAM (setup_e820), which the model does not describe",
    )
}

impl RunFacts {
    fn of(k: &Kernel) -> RunFacts {
        use crate::kernel::kconfig::{Sym, Tristate};
        const JUDGED: [(Sym, &str); 6] = [
            (Sym::CXL_REGION, "CXL_REGION"),
            (Sym::CXL_ACPI, "CXL_ACPI"),
            (Sym::DEV_DAX_HMEM, "DEV_DAX_HMEM"),
            (Sym::DEV_DAX_CXL, "DEV_DAX_CXL"),
            (Sym::DEV_DAX_KMEM, "DEV_DAX_KMEM"),
            (Sym::EFI_SOFT_RESERVE, "EFI_SOFT_RESERVE"),
        ];
        let owners = OWNERS.map(|m| {
            let blacklisted = k.events.contains(&crate::scenario::Event::Blacklist(m));
            (loadable(k, m), blacklisted)
        });
        RunFacts {
            disabled: JUDGED
                .iter()
                .filter(|(s, _)| k.cfg.get(*s) == Tristate::N)
                .map(|&(_, n)| n)
                .collect(),
            owners,
            firmware_regions: firmware_regions(k),
            quirks: k.plat.quirks.iter().map(|q| q.name()).collect(),
            cxl_test: crate::drivers::hmem::hmem_test(k).is_some(),
            outside_model: outside_model(k),
        }
    }
}

/// Whether the configuration builds `m` in a form that can run: built (y or m), every module
/// whose symbols it uses built too (else modpost fails it, see `check_builtin_links`), and, for
/// a built-in, not left out for using a module's symbols.
fn loadable(k: &Kernel, m: crate::kernel::module::Module) -> bool {
    use crate::kernel::kconfig::Tristate;
    let cfg = &k.cfg;
    let b = m.build(cfg);
    let deps = k.ops.symbol_deps.of(cfg, m);
    b != Tristate::N
        && deps.iter().all(|d| d.build(cfg) != Tristate::N)
        && !(b == Tristate::Y && deps.iter().any(|d| d.build(cfg) != Tristate::Y))
}

/// The regions firmware describes and this configuration can assemble: the HPA ranges of
/// committed endpoint decoders whose every interleave position is held by a device present at
/// boot, when the CXL stack (cxl_acpi, cxl_pci, cxl_mem, cxl_port) and CXL_REGION are built.
fn firmware_regions(k: &Kernel) -> Vec<(u64, u64)> {
    use crate::kernel::kconfig::{Sym, Tristate};
    use crate::scenario::Presence;
    let stack = [
        Sym::CXL_ACPI,
        Sym::CXL_PCI,
        Sym::CXL_MEM,
        Sym::CXL_PORT,
        Sym::CXL_REGION,
    ];
    if stack.iter().any(|&s| k.cfg.get(s) == Tristate::N) {
        return Vec::new();
    }
    let mut out: Vec<(u64, u64)> = Vec::new();
    for m in &k.plat.memdevs {
        let Some(d) = m.decoder else { continue };
        let range = (d.hpa.start, d.hpa.end());
        if out.contains(&range) {
            continue;
        }
        let complete = (0..d.ways).all(|pos| {
            k.plat.memdevs.iter().any(|o| {
                o.presence == Presence::Boot
                    && o.decoder.is_some_and(|od| {
                        od.hpa == d.hpa && od.ways == d.ways && od.position == pos
                    })
            })
        });
        if complete {
            out.push(range);
        }
    }
    out
}

/// The timeline as lines: `[task] event`.
pub fn timeline(k: &Kernel) -> Vec<String> {
    use crate::kernel::log::LogEvent as E;
    k.timeline
        .iter()
        .map(|&(t, ev)| {
            let who = k
                .sched
                .tasks
                .get(t.0 as usize)
                .map(|ti| task_name(k, ti.body))
                .unwrap_or_else(|| "-".into());
            let what = match ev {
                E::DeviceAdd(d) => format!("device_add {}", k.dev(d).name),
                E::DeviceDel(d) => format!("device_del {}", k.dev(d).name),
                E::Bound(d, drv) => format!("{} bound to {}", k.dev(d).name, drv.name()),
                E::ProbeFailed(d, drv, e) => format!(
                    "{} probe of {} failed with error {e}",
                    drv.name(),
                    k.dev(d).name
                ),
                E::Unbound(d, drv) => format!("{} unbound from {}", k.dev(d).name, drv.name()),
                E::ModuleLive(m) => format!("module {m} live"),
                E::ModuleInitFailed(m, e) => format!("module {m} init failed {e}"),
                E::ModuleGone(m) => format!("module {m} removed"),
                E::ModuleNotFound(m) => format!("modprobe: module {m} not found"),
                E::Dbg(site, msg) => format!("{site}: {msg}"),
                E::UserError(what, e) => format!("{what} failed: {e}"),
            };
            format!("[{who}] {what}")
        })
        .collect()
}
