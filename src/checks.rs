//! Checks as plain functions over a scenario, shared by the fuzz targets, the tests and the CLI
//! (one check, every engine). A failed check panics from a function named after the kind of
//! problem, so that crash stacks — and OSS-Fuzz's deduplication — keep kinds apart.

use crate::designs::{self, Design};
use crate::model;
use crate::observe::timeline;
use crate::scenario::Scenario;
use srfuzz_oracle::judge::{invariants, spec};
use srfuzz_oracle::{differences, DiffKind, Difference, Finding, FindingKind, KnownList};
use std::sync::OnceLock;

/// The model's own integrity on `s`: every design runs without panicking, and twice gives the
/// same observations and timeline (determinism). Design problems (hangs, leaks, double
/// claims) are the judges' business, not this check's: a failure here is a bug in srfuzz.
pub fn model_integrity(s: &Scenario) {
    for d in designs::all() {
        let a = model::run(d, s);
        let b = model::run(d, s);
        if a.observations != b.observations || timeline(&a.kernel) != timeline(&b.kernel) {
            found_nondeterminism(d.name);
        }
    }
}

#[inline(never)]
fn found_nondeterminism(design: &str) {
    panic!("srfuzz bug: two runs of the same scenario on design {design} differ");
}

/// The designs the differential check compares when `SRFUZZ_DESIGNS` is not set.
pub const DEFAULT_PAIR: &str = "register_dax-v4,dax_cxl_mode-v5";

/// Parses a design pair, "a,b".
pub fn design_pair(spec: &str) -> Result<[&'static Design; 2], String> {
    let names: Vec<&str> = spec.split(',').map(str::trim).collect();
    let known = || {
        designs::all()
            .iter()
            .map(|d| d.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if names.len() != 2 {
        return Err(format!(
            "expected two comma-separated design names, got `{spec}` (known: {})",
            known()
        ));
    }
    let get = |n: &str| {
        designs::by_name(n)
            .ok_or_else(|| format!("unknown design `{n}`: expected one of {}", known()))
    };
    Ok([get(names[0])?, get(names[1])?])
}

/// The pair named by `SRFUZZ_DESIGNS` (default [`DEFAULT_PAIR`]). A bad value is reported on
/// stderr and the process exits with status 2: a fuzz target must not run a wrong campaign.
pub fn design_pair_from_env() -> [&'static Design; 2] {
    let spec = std::env::var("SRFUZZ_DESIGNS").unwrap_or_else(|_| DEFAULT_PAIR.to_string());
    match design_pair(&spec) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("srfuzz: SRFUZZ_DESIGNS: {e}");
            std::process::exit(2);
        }
    }
}

/// The reviewed known-findings list shipped with srfuzz (reports/known-findings.txt).
pub const KNOWN_FINDINGS: &str = include_str!("../reports/known-findings.txt");

/// The known-findings list campaigns use: the file named by `SRFUZZ_KNOWN` (`none` for an
/// empty list), else the shipped one. A bad file is reported on stderr and the process exits
/// with status 2.
pub fn known_from_env() -> &'static KnownList {
    static KNOWN: OnceLock<KnownList> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let parsed = match std::env::var("SRFUZZ_KNOWN") {
            Ok(v) if v == "none" => Ok(KnownList::default()),
            Ok(path) => std::fs::read_to_string(&path)
                .map_err(|e| format!("{path}: {e}"))
                .and_then(|t| KnownList::parse(&path, &t)),
            Err(_) => KnownList::parse("reports/known-findings.txt", KNOWN_FINDINGS),
        };
        parsed.unwrap_or_else(|e| {
            eprintln!("srfuzz: SRFUZZ_KNOWN: {e}");
            std::process::exit(2);
        })
    })
}

/// Runs `s` on both designs and returns every difference in what they leave the user, in
/// order (see [`srfuzz_oracle::differences`]).
pub fn differential_all(s: &Scenario, a: &'static Design, b: &'static Design) -> Vec<Difference> {
    let inputs = model::Inputs::of(s);
    let ra = model::run_for_judging_in(a, s, &inputs);
    let rb = model::run_for_judging_in(b, s, &inputs);
    differences(&ra.observations, &rb.observations)
}

/// The first difference between the two designs on `s`.
pub fn differential(s: &Scenario, a: &'static Design, b: &'static Design) -> Option<Difference> {
    differential_all(s, a, b).into_iter().next()
}

/// The first difference whose finding (see [`Finding::from_difference`]) `known` does not
/// cover.
pub fn new_difference(
    s: &Scenario,
    a: &'static Design,
    b: &'static Design,
    known: &KnownList,
) -> Option<Difference> {
    let mut diffs = differential_all(s, a, b).into_iter();
    if known.entries.is_empty() {
        // Nothing to skip: no need to title every difference (this runs per fuzz iteration).
        return diffs.next();
    }
    diffs.find(|d| {
        known
            .lookup(&Finding::from_difference(d, a.name, b.name))
            .is_none()
    })
}

/// [`new_difference`], panicking from a function specific to the difference's kind.
pub fn check_differential(s: &Scenario, a: &'static Design, b: &'static Design, known: &KnownList) {
    if let Some(d) = new_difference(s, a, b, known) {
        let msg = d.describe(a.name, b.name);
        match d.kind {
            DiffKind::Build => found_build_divergence(&msg),
            DiffKind::Hang => found_hang_divergence(&msg),
            DiffKind::Warn => found_warn_divergence(&msg),
            DiffKind::Region => found_region_divergence(&msg),
            DiffKind::Ownership => found_ownership_divergence(&msg),
            DiffKind::Online => found_online_divergence(&msg),
            DiffKind::Stuck => found_stuck_divergence(&msg),
        }
    }
}

#[inline(never)]
fn found_build_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_hang_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_warn_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_region_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_ownership_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_online_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_stuck_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

/// One design judged on its own: the invariants at every quiescent point, then the spec at the
/// end. Findings the design declares are set apart with their declaration.
#[derive(Debug, Default)]
pub struct Judged {
    /// Findings, first occurrence of each title, in the order found.
    pub findings: Vec<Finding>,
    /// Findings the design declares it produces.
    pub declared: Vec<(Finding, &'static designs::Declared)>,
}

/// Runs `s` on `d` and judges it (invariants and spec).
pub fn judge_design(s: &Scenario, d: &'static Design) -> Judged {
    judge_design_in(s, d, &model::Inputs::of(s))
}

/// [`judge_design`] on inputs prepared once for several designs.
pub fn judge_design_in(s: &Scenario, d: &'static Design, inputs: &model::Inputs) -> Judged {
    let run = model::run_for_judging_in(d, s, inputs);
    judge_run(d, &run.observations)
}

/// Judges a run's observations for design `d`.
pub fn judge_run(d: &'static Design, obs: &[srfuzz_oracle::Observation]) -> Judged {
    let mut all: Vec<Finding> = Vec::new();
    for (i, o) in obs.iter().enumerate() {
        all.extend(invariants(d.name, o, i + 1 == obs.len()));
    }
    if let Some(end) = obs.last() {
        all.extend(spec(d.name, end));
    }
    let mut j = Judged::default();
    for f in all {
        if j.findings
            .iter()
            .chain(j.declared.iter().map(|(f, _)| f))
            .any(|g| g.title == f.title)
        {
            continue;
        }
        match d.declaration(&f.title) {
            Some(decl) => j.declared.push((f, decl)),
            None => j.findings.push(f),
        }
    }
    j
}

/// The first finding of the spec check — every design against its invariants and the spec —
/// that `known` does not cover.
pub fn new_spec_finding(s: &Scenario, known: &KnownList) -> Option<Finding> {
    let inputs = model::Inputs::of(s);
    designs::all().iter().find_map(|d| {
        judge_design_in(s, d, &inputs)
            .findings
            .into_iter()
            .find(|f| known.lookup(f).is_none())
    })
}

/// [`new_spec_finding`], panicking from a function specific to the finding's kind.
pub fn check_spec(s: &Scenario, known: &KnownList) {
    if let Some(f) = new_spec_finding(s, known) {
        found(&f);
    }
}

/// The order-independence check for design `d`: the scenario under its own schedule and under
/// the canonical one (always the oldest runnable task) must end the same. Each difference is a
/// finding titled after it.
pub fn order_findings(s: &Scenario, d: &'static Design) -> Vec<Finding> {
    order_findings_in(s, d, &model::Inputs::of(s))
}

/// [`order_findings`] on inputs prepared once for several designs.
pub fn order_findings_in(s: &Scenario, d: &'static Design, inputs: &model::Inputs) -> Vec<Finding> {
    let a = model::run_for_judging_in(d, s, inputs);
    let b = model::run_for_judging_in(d, s, &inputs.with_schedule(&[]));
    let ctx = a
        .observations
        .last()
        .map(|o| o.context.clone())
        .unwrap_or_default();
    differences(&a.observations, &b.observations)
        .into_iter()
        .map(|diff| {
            let what = format!("{} differs: {}", diff.kind, diff.key_body());
            let detail = diff.describe("this schedule", "the canonical schedule");
            Finding::new(FindingKind::OrderDependence, &what, d.name, &ctx, detail)
        })
        .collect()
}

/// The first order-dependence finding, over every design, that neither the design declares
/// nor `known` covers.
pub fn new_order_finding(s: &Scenario, known: &KnownList) -> Option<Finding> {
    let inputs = model::Inputs::of(s);
    designs::all().iter().find_map(|d| {
        order_findings_in(s, d, &inputs)
            .into_iter()
            .find(|f| d.declaration(&f.title).is_none() && known.lookup(f).is_none())
    })
}

/// [`new_order_finding`], panicking from the order-dependence function.
pub fn check_order(s: &Scenario, known: &KnownList) {
    if let Some(f) = new_order_finding(s, known) {
        found(&f);
    }
}

/// Panics from a function named after the finding's kind (one crash signature per kind).
pub fn found(f: &Finding) -> ! {
    let msg = format!("{}\n  {}", f.title, f.detail);
    match f.kind {
        FindingKind::OwnershipDivergence => found_ownership_divergence(&msg),
        FindingKind::Leak => found_leak(&msg),
        FindingKind::StrandedCapacity => found_stranded_capacity(&msg),
        FindingKind::DoubleClaim => found_double_claim(&msg),
        FindingKind::Deadlock => found_deadlock(&msg),
        FindingKind::Livelock => found_livelock(&msg),
        FindingKind::TeardownWhileOnline => found_teardown_while_online(&msg),
        FindingKind::Warn => found_warn(&msg),
        FindingKind::OrderDependence => found_order_dependence(&msg),
        FindingKind::SpecDeviation => found_spec_deviation(&msg),
    }
}

#[inline(never)]
fn found_leak(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_stranded_capacity(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_double_claim(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_deadlock(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_livelock(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_teardown_while_online(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_warn(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_order_dependence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_spec_deviation(msg: &str) -> ! {
    panic!("{msg}");
}
