//! Checks as plain functions over a scenario, shared by the fuzz targets, the tests and the CLI
//! (one check, every engine). A failed check panics from a function named after the kind of
//! problem, so that crash stacks — and OSS-Fuzz's deduplication — keep kinds apart.

use crate::designs::{self, Design};
use crate::model;
use crate::observe::timeline;
use crate::scenario::Scenario;
use srfuzz_oracle::{differences, DiffKind, Difference, KnownList};
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
    let ra = model::run_for_judging(a, s);
    let rb = model::run_for_judging(b, s);
    differences(&ra.observations, &rb.observations)
}

/// The first difference between the two designs on `s`.
pub fn differential(s: &Scenario, a: &'static Design, b: &'static Design) -> Option<Difference> {
    differential_all(s, a, b).into_iter().next()
}

/// The first difference that `known` does not cover.
pub fn new_difference(
    s: &Scenario,
    a: &'static Design,
    b: &'static Design,
    known: &KnownList,
) -> Option<Difference> {
    differential_all(s, a, b)
        .into_iter()
        .find(|d| known.lookup(a.name, b.name, d).is_none())
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
