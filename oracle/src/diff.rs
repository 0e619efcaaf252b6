//! The differential judge: two designs' observations of the same scenario, compared point by
//! point on what a user of the machine would notice — who owns each range and region, what is
//! online, what is stuck, hung or WARNed. /proc/iomem text is deliberately not compared (the
//! series changes whether "Soft Reserved" is shown on purpose); it is context for the report.
//!
//! Names that carry allocation-order numbers ("region3", "dax_region5", "hmem.2") differ between
//! designs for the same object, so regions are matched by address range and devices and tasks
//! by their names with numbers erased.

use crate::{Observation, Owner, RegionObs};
use std::fmt;

/// What kind of difference: each kind has its own panic site in the fuzz targets, so crash
/// deduplication keeps kinds apart.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum DiffKind {
    /// The runs ended differently (deadlock, livelock), reached different points, or left
    /// different tasks blocked.
    Hang,
    /// Different kernel WARNs.
    Warn,
    /// A CXL region exists, is committed, has its dax_region bound or is owned differently.
    Region,
    /// A Soft Reserved range is owned by different drivers.
    Ownership,
    /// A Soft Reserved range has a different amount of memory online as System RAM.
    Online,
    /// Different devices are left unbound with a failed or deferred probe.
    Stuck,
}

impl DiffKind {
    /// The kind's name as reports print it.
    pub fn name(self) -> &'static str {
        match self {
            DiffKind::Hang => "hang",
            DiffKind::Warn => "warn",
            DiffKind::Region => "region",
            DiffKind::Ownership => "ownership",
            DiffKind::Online => "online",
            DiffKind::Stuck => "stuck",
        }
    }
}

impl fmt::Display for DiffKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The first difference between two runs.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Difference {
    /// The observation point ("settle 1", …, "end").
    pub point: String,
    /// What kind of difference.
    pub kind: DiffKind,
    /// What differs, e.g. "region 850000000-284fffffff (auto)".
    pub subject: String,
    /// What the first design has.
    pub a: String,
    /// What the second design has.
    pub b: String,
}

impl Difference {
    /// One line naming both designs, e.g. `at end, region 850000000-284fffffff (auto):
    /// register_dax-v4 has "committed, no dax" but mainline has "committed, dax bound …"`.
    pub fn describe(&self, a_name: &str, b_name: &str) -> String {
        format!(
            "{} difference at {}, {}: {} has {} but {} has {}",
            self.kind, self.point, self.subject, a_name, self.a, b_name, self.b
        )
    }
}

/// The first difference between the observations of two runs of one scenario, or `None` when
/// they agree on everything compared. Points are taken in `a`'s order; within a point the
/// kinds are checked in [`DiffKind`] order.
pub fn first_difference(a: &[Observation], b: &[Observation]) -> Option<Difference> {
    for oa in a {
        let Some(ob) = b.iter().find(|o| o.point == oa.point) else {
            return Some(Difference {
                point: oa.point.clone(),
                kind: DiffKind::Hang,
                subject: "the run".into(),
                a: "reached this point".into(),
                b: "never reached it".into(),
            });
        };
        if let Some(d) = compare_point(oa, ob) {
            return Some(d);
        }
    }
    b.iter()
        .find(|ob| !a.iter().any(|oa| oa.point == ob.point))
        .map(|ob| Difference {
            point: ob.point.clone(),
            kind: DiffKind::Hang,
            subject: "the run".into(),
            a: "never reached this point".into(),
            b: "reached it".into(),
        })
}

fn compare_point(a: &Observation, b: &Observation) -> Option<Difference> {
    let at = |kind, subject: String, va: String, vb: String| {
        Some(Difference {
            point: a.point.clone(),
            kind,
            subject,
            a: va,
            b: vb,
        })
    };
    if a.outcome != b.outcome {
        return at(
            DiffKind::Hang,
            "the run".into(),
            a.outcome.to_string(),
            b.outcome.to_string(),
        );
    }
    let blocked = |o: &Observation| {
        sorted(
            o.blocked
                .iter()
                .map(|t| format!("{} blocked in {}", erase_numbers(&t.task), t.waiting_on)),
        )
    };
    if let Some((va, vb)) = first_mismatch(&blocked(a), &blocked(b)) {
        return at(DiffKind::Hang, "blocked tasks".into(), va, vb);
    }
    let warns = |o: &Observation| {
        sorted(
            o.warns
                .iter()
                .map(|w| format!("WARN in {}: {}", w.site, w.msg)),
        )
    };
    if let Some((va, vb)) = first_mismatch(&warns(a), &warns(b)) {
        return at(DiffKind::Warn, "WARNs".into(), va, vb);
    }
    if let Some(d) = compare_regions(&a.regions, &b.regions) {
        let (subject, va, vb) = d;
        return at(DiffKind::Region, subject, va, vb);
    }
    for (ra, rb) in a.soft_reserved.iter().zip(&b.soft_reserved) {
        let subject = format!("soft-reserved {:x}-{:x}", ra.start, ra.end);
        let owned = |r: &crate::RangeOwnership| (r.owner, r.cxl_bytes, r.hmem_bytes, r.both_bytes);
        if owned(ra) != owned(rb) {
            return at(DiffKind::Ownership, subject, owner_text(ra), owner_text(rb));
        }
        if ra.online_bytes != rb.online_bytes {
            return at(
                DiffKind::Online,
                subject,
                format!("{:#x} bytes online", ra.online_bytes),
                format!("{:#x} bytes online", rb.online_bytes),
            );
        }
    }
    let stuck = |o: &Observation| {
        sorted(o.unbound.iter().map(|d| {
            let why = if d.error.is_empty() {
                "no driver".to_string()
            } else {
                d.error.clone()
            };
            format!(
                "{} unbound ({why}{})",
                erase_numbers(&d.device),
                if d.deferred { ", deferred" } else { "" }
            )
        }))
    };
    if let Some((va, vb)) = first_mismatch(&stuck(a), &stuck(b)) {
        return at(DiffKind::Stuck, "unbound devices".into(), va, vb);
    }
    None
}

fn owner_text(r: &crate::RangeOwnership) -> String {
    match r.owner {
        Owner::Nobody => "owner nobody".into(),
        Owner::Cxl | Owner::Hmem => format!("owner {}", r.owner),
        Owner::Mixed => format!(
            "owner mixed (cxl {:#x}, hmem {:#x}, both {:#x} bytes)",
            r.cxl_bytes, r.hmem_bytes, r.both_bytes
        ),
    }
}

/// How a region stands, as compared: alive, committed, dax bound, owner, online bytes.
fn region_state(r: &RegionObs) -> String {
    let mut parts: Vec<String> = Vec::new();
    parts.push(if r.alive { "alive" } else { "destroyed" }.into());
    if r.alive {
        parts.push(
            if r.committed {
                "committed"
            } else {
                "not committed"
            }
            .into(),
        );
    }
    parts.push(
        if r.dax_bound {
            "dax_region bound"
        } else {
            "no dax"
        }
        .into(),
    );
    parts.push(owner_text(&r.ownership));
    parts.push(format!("{:#x} bytes online", r.ownership.online_bytes));
    format!("\"{}\"", parts.join(", "))
}

/// Regions matched by (range, auto); the first region whose state differs or that exists on
/// one side only.
fn compare_regions(a: &[RegionObs], b: &[RegionObs]) -> Option<(String, String, String)> {
    let keyed = |rs: &[RegionObs]| {
        let mut v: Vec<((u64, u64, bool), String)> = rs
            .iter()
            .map(|r| ((r.start, r.end, !r.auto), region_state(r)))
            .collect();
        v.sort();
        v
    };
    let (ka, kb) = (keyed(a), keyed(b));
    let subject_of = |key: (u64, u64, bool)| {
        format!(
            "region {:x}-{:x} ({})",
            key.0,
            key.1,
            if key.2 { "user" } else { "auto" }
        )
    };
    let (mut i, mut j) = (0, 0);
    while i < ka.len() || j < kb.len() {
        match (ka.get(i), kb.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                if x.1 != y.1 {
                    return Some((subject_of(x.0), x.1.clone(), y.1.clone()));
                }
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                return Some((subject_of(x.0), x.1.clone(), "no such region".into()));
            }
            (Some(_), Some(y)) | (None, Some(y)) => {
                return Some((subject_of(y.0), "no such region".into(), y.1.clone()));
            }
            (Some(x), None) => {
                return Some((subject_of(x.0), x.1.clone(), "no such region".into()));
            }
            (None, None) => unreachable!("loop condition"),
        }
    }
    None
}

fn sorted(it: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = it.collect();
    v.sort();
    v
}

/// The first element of two sorted lists that is in one and not the other, as `(a side, b
/// side)` with "none" for the missing side.
fn first_mismatch(a: &[String], b: &[String]) -> Option<(String, String)> {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => return Some((x.clone(), "none".into())),
            (Some(_), Some(y)) | (None, Some(y)) => return Some(("none".into(), y.clone())),
            (Some(x), None) => return Some((x.clone(), "none".into())),
            (None, None) => unreachable!("loop condition"),
        }
    }
    None
}

/// A name with every run of digits replaced by "N" ("dax_region12" → "dax_regionN").
pub fn erase_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_digits = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('N');
            }
            in_digits = true;
        } else {
            out.push(c);
            in_digits = false;
        }
    }
    out
}
