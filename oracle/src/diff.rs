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
    /// The same Kconfig request resolves to different `.config`s (`make olddefconfig` under
    /// each design's Kconfig rules): one difference per symbol. The runs are then compared on
    /// one `.config` both build, if there is one.
    Kconfig,
    /// One design cannot build the Kconfig (a WARN at [`BUILD_SITE`]) and the other can; the
    /// runs are not compared further.
    Build,
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
            DiffKind::Kconfig => "kconfig",
            DiffKind::Build => "build",
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

/// The WARN site the model uses for a configuration that does not build (link or modpost
/// failure): such a kernel has no runtime to compare.
pub const BUILD_SITE: &str = "kbuild";

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
    /// The deduplication key: kind, subject and both sides with every number and address
    /// erased, so that the same divergence on other addresses or ids has the same key.
    pub fn key(&self) -> String {
        format!("{} | {}", self.kind, self.key_body())
    }

    /// The key without the kind: subject and both sides, numbers erased.
    pub fn key_body(&self) -> String {
        format!(
            "{} | {} | {}",
            erase_numbers(&self.subject),
            erase_numbers(&self.a),
            erase_numbers(&self.b)
        )
    }

    /// What differs, numbers erased, without either side ("region N-N (auto)"): for a
    /// difference with no direction and many possible symptoms (two schedules of one design),
    /// the race is the problem and the two outcomes are its detail.
    pub fn subject_key(&self) -> String {
        erase_numbers(&self.subject)
    }

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
/// they agree on everything compared. See [`differences`].
pub fn first_difference(a: &[Observation], b: &[Observation]) -> Option<Difference> {
    differences(a, b).into_iter().next()
}

/// Every difference between two runs, in order: the build (when exactly one side cannot build,
/// that is the only difference; when neither can, there is none), then point by point in `a`'s
/// order, within a point by [`DiffKind`] order. A Soft Reserved range yields at most one
/// difference (ownership before online); each region, WARN, blocked task and unbound device
/// that differs yields one.
pub fn differences(a: &[Observation], b: &[Observation]) -> Vec<Difference> {
    let outside = |obs: &[Observation]| obs.iter().any(|o| o.context.outside_model.is_some());
    if outside(a) || outside(b) {
        // What the model says about a run it does not describe is no claim about the kernel.
        return Vec::new();
    }
    let build_failure = |obs: &[Observation]| {
        obs.last().and_then(|o| {
            o.warns
                .iter()
                .find(|w| w.site == BUILD_SITE)
                .map(|w| format!("a kernel that does not build ({})", w.msg))
        })
    };
    match (build_failure(a), build_failure(b)) {
        (None, None) => {}
        (Some(_), Some(_)) => return Vec::new(),
        (fa, fb) => {
            let point = a.first().map(|o| o.point.clone()).unwrap_or_default();
            let builds = || "a kernel that builds".to_string();
            return vec![Difference {
                point,
                kind: DiffKind::Build,
                subject: "the Kconfig".into(),
                a: fa.unwrap_or_else(builds),
                b: fb.unwrap_or_else(builds),
            }];
        }
    }
    let mut out = Vec::new();
    for oa in a {
        match b.iter().find(|o| o.point == oa.point) {
            Some(ob) => compare_point(oa, ob, &mut out),
            None => out.push(Difference {
                point: oa.point.clone(),
                kind: DiffKind::Hang,
                subject: "the run".into(),
                a: "reached this point".into(),
                b: "never reached it".into(),
            }),
        }
    }
    for ob in b
        .iter()
        .filter(|ob| !a.iter().any(|oa| oa.point == ob.point))
    {
        out.push(Difference {
            point: ob.point.clone(),
            kind: DiffKind::Hang,
            subject: "the run".into(),
            a: "never reached this point".into(),
            b: "reached it".into(),
        });
    }
    out
}

fn compare_point(a: &Observation, b: &Observation, out: &mut Vec<Difference>) {
    let mut at = |kind, subject: String, va: String, vb: String| {
        out.push(Difference {
            point: a.point.clone(),
            kind,
            subject,
            a: va,
            b: vb,
        })
    };
    if a.outcome != b.outcome {
        at(
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
    // Equal raw lists cannot differ once numbers are erased: skip building their text.
    if a.blocked != b.blocked {
        for (va, vb) in mismatches(&blocked(a), &blocked(b)) {
            at(DiffKind::Hang, "blocked tasks".into(), va, vb);
        }
    }
    let warns = |o: &Observation| {
        sorted(
            o.warns
                .iter()
                .map(|w| format!("WARN in {}: {}", w.site, w.msg)),
        )
    };
    if a.warns != b.warns {
        for (va, vb) in mismatches(&warns(a), &warns(b)) {
            at(DiffKind::Warn, "WARNs".into(), va, vb);
        }
    }
    if a.regions != b.regions {
        for (subject, va, vb) in compare_regions(&a.regions, &b.regions) {
            at(DiffKind::Region, subject, va, vb);
        }
    }
    for (ra, rb) in a.soft_reserved.iter().zip(&b.soft_reserved) {
        let subject = || format!("soft-reserved {:x}-{:x}", ra.start, ra.end);
        let owned = |r: &crate::RangeOwnership| (r.owner, r.cxl_bytes, r.hmem_bytes, r.both_bytes);
        if owned(ra) != owned(rb) {
            at(
                DiffKind::Ownership,
                subject(),
                owner_text(ra),
                owner_text(rb),
            );
        } else if ra.online_bytes != rb.online_bytes {
            at(
                DiffKind::Online,
                subject(),
                online_text(ra),
                online_text(rb),
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
    if a.unbound != b.unbound {
        for (va, vb) in mismatches(&stuck(a), &stuck(b)) {
            at(DiffKind::Stuck, "unbound devices".into(), va, vb);
        }
    }
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

/// How much of a range is System RAM, in words (the key keeps the words, not the bytes).
fn online_text(r: &crate::RangeOwnership) -> String {
    let size = r.end - r.start + 1;
    match r.online_bytes {
        0 => "offline".into(),
        b if b >= size => "online".into(),
        b => format!("partly online ({b:#x} bytes)"),
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
    parts.push(online_text(&r.ownership));
    format!("\"{}\"", parts.join(", "))
}

/// Regions matched by (range, auto): every live region whose state differs or that exists on
/// one side only, as `(subject, a, b)`. A destroyed region is as absent as one never made:
/// `cxl destroy-region` and a kernel teardown leave nothing in sysfs or /proc/iomem, and what
/// becomes of its range (owner, online memory) the Soft Reserved comparisons report. (The
/// model keeps destroyed regions' records for the judges, which ask who tore a region down.)
fn compare_regions(a: &[RegionObs], b: &[RegionObs]) -> Vec<(String, String, String)> {
    let keyed = |rs: &[RegionObs]| {
        let mut v: Vec<((u64, u64, bool), String)> = rs
            .iter()
            .filter(|r| r.alive)
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
    let none = || "no such region".to_string();
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < ka.len() || j < kb.len() {
        match (ka.get(i), kb.get(j)) {
            (Some(x), Some(y)) if x.0 == y.0 => {
                if x.1 != y.1 {
                    out.push((subject_of(x.0), x.1.clone(), y.1.clone()));
                }
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.0 < y.0 => {
                out.push((subject_of(x.0), x.1.clone(), none()));
                i += 1;
            }
            (_, Some(y)) => {
                out.push((subject_of(y.0), none(), y.1.clone()));
                j += 1;
            }
            (Some(x), None) => {
                out.push((subject_of(x.0), x.1.clone(), none()));
                i += 1;
            }
            (None, None) => unreachable!("loop condition"),
        }
    }
    out
}

fn sorted(it: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = it.collect();
    v.sort();
    v
}

/// The elements of two sorted lists that are in one and not the other, as `(a side, b side)`
/// with "none" for the missing side.
fn mismatches(a: &[String], b: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                out.push((x.clone(), "none".into()));
                i += 1;
            }
            (_, Some(y)) => {
                out.push(("none".into(), y.clone()));
                j += 1;
            }
            (Some(x), None) => {
                out.push((x.clone(), "none".into()));
                i += 1;
            }
            (None, None) => unreachable!("loop condition"),
        }
    }
    out
}

/// Text with every number erased: each run of hex digits that holds at least one decimal digit
/// becomes "N" ("dax_region12" → "dax_regionN", "850000000-284fffffff" → "N-N", "0x0" → "NxN").
pub fn erase_numbers(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.bytes().any(|c| c.is_ascii_digit()) {
            out.push('N');
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}
