//! Checks as plain functions over a scenario, shared by the fuzz targets, the tests and the CLI
//! (one check, every engine). A failed check panics from a function named after the kind of
//! problem, so that crash stacks — and OSS-Fuzz's deduplication — keep kinds apart.

use crate::designs;
use crate::model;
use crate::scenario::Scenario;
use srfuzz_oracle::{Observation, Outcome};

/// Runs every design on `s` and panics on a problem visible in a single run.
pub fn model(s: &Scenario) {
    for d in designs::all() {
        let run = model::run(d, s);
        let last = run.last();
        check_observation(d.name, last);
    }
}

fn check_observation(design: &str, o: &Observation) {
    match o.outcome {
        Outcome::Quiescent => {}
        Outcome::Deadlock => found_deadlock(design, o),
        Outcome::Livelock => found_livelock(design, o),
    }
    if !o.warns.is_empty() {
        found_warn(design, o);
    }
    if o.soft_reserved.iter().any(|r| r.both_bytes > 0) {
        found_double_claim(design, o);
    }
}

#[inline(never)]
fn found_deadlock(design: &str, o: &Observation) {
    panic!("deadlock [{design}]\n{}", o.ownership_table());
}

#[inline(never)]
fn found_livelock(design: &str, o: &Observation) {
    panic!("livelock [{design}]\n{}", o.ownership_table());
}

#[inline(never)]
fn found_warn(design: &str, o: &Observation) {
    panic!("WARN [{design}] in {}: {}", o.warns[0].site, o.warns[0].msg);
}

#[inline(never)]
fn found_double_claim(design: &str, o: &Observation) {
    panic!("double claim [{design}]\n{}", o.ownership_table());
}
