//! Checks as plain functions over a scenario, shared by the fuzz targets, the tests and the CLI
//! (one check, every engine). A failed check panics from a function named after the kind of
//! problem, so that crash stacks — and OSS-Fuzz's deduplication — keep kinds apart.

use crate::designs::{self, Design};
use crate::model;
use crate::observe::timeline;
use crate::scenario::Scenario;
use srfuzz_oracle::{first_difference, DiffKind, Difference};

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

/// Runs `s` on both designs and returns the first difference in what they leave the user.
pub fn differential(s: &Scenario, a: &'static Design, b: &'static Design) -> Option<Difference> {
    let ra = model::run(a, s);
    let rb = model::run(b, s);
    first_difference(&ra.observations, &rb.observations)
}

/// [`differential`], panicking from a function specific to the difference's kind.
pub fn check_differential(s: &Scenario, a: &'static Design, b: &'static Design) {
    if let Some(d) = differential(s, a, b) {
        let msg = d.describe(a.name, b.name);
        match d.kind {
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
