//! Judging one design's run on its own: the invariants no design may break, and the
//! intended-ownership spec the series converged on.
//!
//! Invariants are checked at every quiescent point (each `settle` and the end); the ones about
//! how things *end* (leaks, stranded capacity, hangs) only at the end. The spec is about final
//! ownership and is checked at the end. Both read only the observation: the spec is stated from
//! facts (published windows, the regions firmware describes, the drivers the configuration builds
//! and the user left available), never by running a design. Designs answer only for what kernel
//! code did: teardowns a user action caused, and ownership after the user took drivers out or
//! regions down, are not theirs.

use crate::finding::{Finding, FindingKind};
use crate::{Cause, Observation, Outcome, Owner, RangeOwnership, RegionObs};

/// Every invariant broken at this observation (`at_end`: the run's last observation), one
/// finding per distinct title.
pub fn invariants(design: &str, o: &Observation, at_end: bool) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    let ctx = &o.context;
    if ctx.outside_model.is_some() {
        return out;
    }
    let mut push = |kind, what: String, detail: String| {
        let f = Finding::new(
            kind,
            &what,
            design,
            ctx,
            format!("at {}: {detail}", o.point),
        );
        if !out.iter().any(|g| g.title == f.title) {
            out.push(f);
        }
    };

    // No two dax regions over the same bytes.
    for (i, a) in o.dax_regions.iter().enumerate() {
        for b in &o.dax_regions[i + 1..] {
            if a.start <= b.end && b.start <= a.end {
                let (x, y) = if a.by <= b.by {
                    (a.by, b.by)
                } else {
                    (b.by, a.by)
                };
                let what = if x == y {
                    format!("two dax regions of {x} over the same range")
                } else {
                    format!("dax regions of {x} and {y} over the same range")
                };
                let detail = format!(
                    "{} dax region {:x}-{:x} and {} dax region {:x}-{:x}",
                    a.by, a.start, a.end, b.by, b.start, b.end
                );
                push(FindingKind::DoubleClaim, what, detail);
            }
        }
    }
    // No range online as System RAM twice.
    for (i, a) in o.online.iter().enumerate() {
        for b in &o.online[i + 1..] {
            if a.0 <= b.1 && b.0 <= a.1 {
                push(
                    FindingKind::DoubleClaim,
                    "the same range online as System RAM twice".into(),
                    format!("{:x}-{:x} and {:x}-{:x}", a.0, a.1, b.0, b.1),
                );
            }
        }
    }
    // No region unregistered by kernel code while its own memory is online. A user action
    // (`rmmod cxl_acpi`, `cxl destroy-region`) that does so is the user's doing: every design
    // and mainline keep that memory until reboot alike, and the differential check still shows
    // where two designs answer the same action differently.
    for t in o.teardowns.iter().filter(|t| t.own_online_bytes > 0) {
        let Cause::Kernel { function, .. } = &t.cause else {
            continue;
        };
        let how = if t.auto {
            "an auto-assembled"
        } else {
            "a user-created"
        };
        push(
            FindingKind::TeardownWhileOnline,
            format!("{how} region unregistered with its memory online, by {function}"),
            format!(
                "{} {:x}-{:x} with {:#x} bytes of its own memory online, unregistered by {}",
                t.region, t.start, t.end, t.own_online_bytes, t.cause
            ),
        );
    }
    // No WARN.
    for w in &o.warns {
        push(
            FindingKind::Warn,
            format!("in {}: {}", w.site, w.msg),
            format!("WARN in {}: {}", w.site, w.msg),
        );
    }
    // No memory-safety error.
    for m in &o.memory_errors {
        push(
            FindingKind::MemorySafety,
            format!("{} in {}", m.msg, m.site),
            format!("KASAN: {} in {}", m.msg, m.site),
        );
    }
    if !at_end {
        return out;
    }

    // Every committed region whose capacity HMEM did not take ends with its dax.
    if ctx.is_live("dax_cxl") {
        for r in o.regions.iter().filter(|r| r.alive && r.committed) {
            let size = r.end - r.start + 1;
            let own = &r.ownership;
            let has_dax = r.dax_bound && own.cxl_bytes == size;
            if own.hmem_bytes == 0 && !has_dax {
                let outside = if intersects_sr(o, r.start, r.end) {
                    ""
                } else {
                    " outside Soft Reserved"
                };
                push(
                    FindingKind::Leak,
                    format!("{} region{outside} never gets dax", origin(r)),
                    format!("{} {:x}-{:x}: no bound dax_region", r.name, r.start, r.end),
                );
            }
        }
    }
    // Every Soft Reserved range some enabled driver could serve ends owned.
    let untouched = ctx.user_removed.is_empty();
    for r in o
        .soft_reserved
        .iter()
        .filter(|r| untouched && !taken_by_user(o, r))
    {
        let servable = ctx.is_live("dax_hmem")
            || (ctx.is_live("dax_cxl") && covered_by_regions(o, r.start, r.end, false));
        let owned = r.cxl_bytes + r.hmem_bytes - r.both_bytes;
        if servable && owned < r.end - r.start + 1 {
            let left = if owned == 0 {
                "unowned"
            } else {
                "partly owned"
            };
            push(
                FindingKind::StrandedCapacity,
                format!("Soft Reserved {} left {left}", placement(o, r)),
                format!(
                    "{:x}-{:x}: {owned:#x} of {:#x} bytes owned",
                    r.start,
                    r.end,
                    r.end - r.start + 1
                ),
            );
        }
    }
    // No task blocked forever, no probe deferred forever, no step-bound overrun.
    match o.outcome {
        Outcome::Quiescent => {}
        Outcome::Deadlock => {
            for t in &o.blocked {
                push(
                    FindingKind::Deadlock,
                    format!("{} blocked forever in {}", t.task, t.waiting_on),
                    format!("{} waits on {}", t.task, t.waiting_on),
                );
            }
        }
        Outcome::Livelock => push(
            FindingKind::Livelock,
            "the step bound was reached".into(),
            format!("{} tasks still runnable or blocked", o.blocked.len()),
        ),
    }
    for d in o.unbound.iter().filter(|d| d.deferred) {
        push(
            FindingKind::Deadlock,
            format!("probe of {} deferred forever", d.device),
            format!("{} ({})", d.device, d.error),
        );
    }
    out
}

/// The intended final ownership (from the rules the series converged on), checked against the
/// run's last observation. It is stated from the configuration and the platform — which
/// drivers are built and left available by the user, which regions firmware describes — not
/// from which modules happen to be loaded:
/// - a Soft Reserved range that intersects a CXL window belongs to CXL when committed regions
///   contain it and region support (CXL_REGION) and dax_cxl are available, and otherwise to
///   HMEM when dax_hmem is available;
/// - Soft Reserved outside CXL windows belongs to HMEM when it is available;
/// - committed CXL regions outside Soft Reserved belong to CXL when dax_cxl is available.
///
/// The spec holds on a system the user did not take drivers out of (see
/// [`crate::Context::user_removed`]).
///
/// "Committed regions" are those firmware describes and the configuration can assemble, and
/// user-created regions that reached COMMIT, less those a user action took down (a region a
/// design tore down still counts). A range overlapping a region the user took down has no
/// expectation: after `cxl destroy-region` no design offers that memory to anyone again, by
/// intent. Where no driver is available there is no expectation either.
pub fn spec(design: &str, end: &Observation) -> Vec<Finding> {
    let ctx = &end.context;
    if ctx.outside_model.is_some() {
        return Vec::new();
    }
    if !ctx.user_removed.is_empty() {
        // The user took drivers out: the spec says nothing about such a system.
        return Vec::new();
    }
    let cxl_ok = ctx.enabled("CXL_REGION") && ctx.is_available("dax_cxl");
    let hmem_ok = ctx.is_available("dax_hmem");
    let mut out: Vec<Finding> = Vec::new();
    let mut push = |what: String, detail: String| {
        let f = Finding::new(FindingKind::SpecDeviation, &what, design, ctx, detail);
        if !out.iter().any(|g| g.title == f.title) {
            out.push(f);
        }
    };
    for r in end.soft_reserved.iter().filter(|r| !taken_by_user(end, r)) {
        let in_window = ctx.windows.iter().any(|w| w.0 <= r.end && r.start <= w.1);
        let contained = covered_by_regions(end, r.start, r.end, true);
        let expected = match (in_window, contained && cxl_ok, hmem_ok) {
            (true, true, _) => Some(Owner::Cxl),
            (_, _, true) => Some(Owner::Hmem),
            _ => None,
        };
        if let Some(e) = expected.filter(|&e| e != r.owner) {
            let case = match (in_window, contained) {
                (true, true) => "in a CXL window and in committed regions",
                (true, false) => "in a CXL window, not in committed regions",
                (false, _) => "outside CXL windows",
            };
            push(
                format!("Soft Reserved {case} owned by {}, spec says {e}", r.owner),
                format!("{:x}-{:x}: {} at the end", r.start, r.end, owner_detail(r)),
            );
        }
    }
    if cxl_ok {
        for r in end.regions.iter().filter(|r| counts_as_committed(r)) {
            if !intersects_sr(end, r.start, r.end) && r.ownership.owner != Owner::Cxl {
                push(
                    format!(
                        "{} region outside Soft Reserved owned by {}, spec says cxl",
                        origin(r),
                        r.ownership.owner
                    ),
                    format!("{} {:x}-{:x}", r.name, r.start, r.end),
                );
            }
        }
    }
    out
}

fn owner_detail(r: &RangeOwnership) -> String {
    format!(
        "owner {} (cxl {:#x}, hmem {:#x} bytes)",
        r.owner, r.cxl_bytes, r.hmem_bytes
    )
}

fn origin(r: &RegionObs) -> &'static str {
    if r.auto {
        "auto-assembled"
    } else {
        "user-created"
    }
}

/// A region the spec gives CXL: it reached COMMIT and no user action took it down.
fn counts_as_committed(r: &RegionObs) -> bool {
    r.ever_committed && !r.user_destroyed
}

/// Whether the range overlaps a region that a user action took down.
fn taken_by_user(o: &Observation, r: &RangeOwnership) -> bool {
    o.regions
        .iter()
        .any(|g| g.user_destroyed && g.start <= r.end && r.start <= g.end)
}

fn intersects_sr(o: &Observation, start: u64, end: u64) -> bool {
    o.soft_reserved
        .iter()
        .any(|r| r.start <= end && start <= r.end)
}

/// Whether committed regions (see [`counts_as_committed`]) cover every byte of the range;
/// with `firmware`, regions firmware describes count too, assembled or not (unless a user
/// action took them down).
fn covered_by_regions(o: &Observation, start: u64, end: u64, firmware: bool) -> bool {
    let mut segs: Vec<(u64, u64)> = o
        .regions
        .iter()
        .filter(|r| counts_as_committed(r))
        .map(|r| (r.start, r.end))
        .collect();
    if firmware {
        segs.extend(
            o.context
                .firmware_regions
                .iter()
                .copied()
                .filter(|&(s, e)| {
                    !o.regions
                        .iter()
                        .any(|r| r.user_destroyed && r.start == s && r.end == e)
                }),
        );
    }
    let mut segs: Vec<(u64, u64)> = segs
        .into_iter()
        .filter(|&(s, e)| s <= end && start <= e)
        .map(|(s, e)| (s.max(start), e.min(end)))
        .collect();
    segs.sort_unstable();
    let mut next = start;
    for (s, e) in segs {
        if s > next {
            return false;
        }
        if e >= next {
            if e == end {
                return true;
            }
            next = e + 1;
        }
    }
    false
}

/// Where a Soft Reserved range lies relative to the published CXL windows.
fn placement(o: &Observation, r: &RangeOwnership) -> &'static str {
    let ws = &o.context.windows;
    if ws.iter().any(|w| w.0 <= r.start && r.end <= w.1) {
        "inside a CXL window"
    } else if ws.iter().any(|w| w.0 <= r.end && r.start <= w.1) {
        "straddling a CXL window"
    } else {
        "outside CXL windows"
    }
}
