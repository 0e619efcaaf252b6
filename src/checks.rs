//! Checks as plain functions over a scenario, shared by the fuzz targets, the tests and the CLI
//! (one check, every engine). A failed check panics from a function named after the kind of
//! problem, so that crash stacks — and OSS-Fuzz's deduplication — keep kinds apart.

use crate::designs;
use crate::model;
use crate::observe::timeline;
use crate::scenario::Scenario;

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
