//! Exhaustive exploration of one scenario's schedules: every order in which the scheduler can
//! run the tasks, not one order drawn by the fuzzer.
//!
//! A run's schedule is its choices at each scheduling decision (a point where more than one
//! task is runnable: byte `n` of the schedule picks among them, past the end the oldest runs).
//! The executor records how many tasks were runnable at each decision
//! ([`crate::kernel::sched::Executor::arities`]), so the choices form a tree that a depth-first
//! walk covers exactly once: run a prefix, and for every decision past it push each other
//! choice. Each leaf is one distinct schedule; runs are deterministic, so the walk is exact.
//!
//! Simplifications, written down: no state hashing (two schedules that reach one kernel state
//! are both run to the end) and no symmetry reduction over interchangeable memdevs, so the cost
//! grows with the number of schedules, not of states; a bound on runs stops the walk, and the
//! result says whether it was complete.

use crate::checks;
use crate::designs::Design;
use crate::model;
use crate::scenario::Scenario;
use srfuzz_oracle::Observation;

/// One distinct way a design's runs of the scenario end.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The shortest schedule that reaches it (choices; trailing canonical choices dropped).
    pub schedule: Vec<u8>,
    /// Schedules that end so.
    pub runs: u64,
    /// The run's observations (each `settle` point, then the end).
    pub observations: Vec<Observation>,
}

/// A finding some schedule shows, with the shortest schedule that shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    /// The finding's title.
    pub title: String,
    /// The shortest schedule that shows it.
    pub schedule: Vec<u8>,
    /// Schedules that show it.
    pub runs: u64,
}

/// The exploration of one design.
#[derive(Clone, Debug)]
pub struct Exploration {
    /// The design.
    pub design: &'static Design,
    /// Schedules run.
    pub runs: u64,
    /// Whether every schedule was run (else the bound stopped the walk).
    pub complete: bool,
    /// Distinct outcomes (compared as the differential check compares two runs), in order of
    /// first sight; the canonical schedule's comes first.
    pub outcomes: Vec<Outcome>,
    /// Findings (invariants and spec, declared ones left out), in order of first sight: the
    /// design's own judgement of each run, not split against mainline (explore mainline too to
    /// see which it shares).
    pub findings: Vec<Shown>,
    /// Most scheduling decisions in one run.
    pub deepest: usize,
    /// Wall time.
    pub seconds: f64,
}

/// Runs every schedule of `s` on `design`, at most `max_runs` of them.
pub fn explore(design: &'static Design, s: &Scenario, max_runs: u64) -> Exploration {
    let start = std::time::Instant::now();
    let inputs = model::Inputs::of(s);
    let mut out = Exploration {
        design,
        runs: 0,
        complete: true,
        outcomes: Vec::new(),
        findings: Vec::new(),
        deepest: 0,
        seconds: 0.0,
    };
    let mut stack: Vec<Vec<u8>> = vec![Vec::new()];
    while let Some(prefix) = stack.pop() {
        if out.runs >= max_runs {
            out.complete = false;
            break;
        }
        let (run, arities) =
            model::run_recording_choices(design, s, &inputs.with_schedule(&prefix));
        out.runs += 1;
        out.deepest = out.deepest.max(arities.len());
        // Every other choice at every decision past the prefix, lowest first off the stack.
        for i in (prefix.len()..arities.len()).rev() {
            for c in (1..arities[i]).rev() {
                let mut child = prefix.clone();
                child.resize(i, 0);
                child.push(c);
                stack.push(child);
            }
        }
        let mut schedule = prefix;
        while schedule.last() == Some(&0) {
            schedule.pop();
        }
        let shorter = |old: &Vec<u8>| schedule.len() < old.len();
        match out
            .outcomes
            .iter_mut()
            .find(|o| srfuzz_oracle::differences(&o.observations, &run.observations).is_empty())
        {
            Some(o) => {
                o.runs += 1;
                if shorter(&o.schedule) {
                    o.schedule = schedule.clone();
                }
            }
            None => out.outcomes.push(Outcome {
                schedule: schedule.clone(),
                runs: 1,
                observations: run.observations.clone(),
            }),
        }
        for f in checks::judge_run(design, &run.observations).findings {
            match out.findings.iter_mut().find(|x| x.title == f.title) {
                Some(x) => {
                    x.runs += 1;
                    if shorter(&x.schedule) {
                        x.schedule = schedule.clone();
                    }
                }
                None => out.findings.push(Shown {
                    title: f.title,
                    schedule: schedule.clone(),
                    runs: 1,
                }),
            }
        }
    }
    out.seconds = start.elapsed().as_secs_f64();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_REGION_BUILTIN: &str = "[platform]
soft-reserved 0x850000000 size=256M
host-bridge 0
window 0x850000000 size=256M targets=0
memdev host-bridge=0 capacity=256M presence=boot decoder=0x850000000,size=256M,ways=1,pos=0
[kconfig]
CONFIG_CXL_BUS=y
CONFIG_CXL_ACPI=y
CONFIG_CXL_PCI=y
CONFIG_CXL_MEM=y
CONFIG_CXL_PORT=y
CONFIG_DAX=y
CONFIG_DEV_DAX=y
CONFIG_DEV_DAX_HMEM=y
CONFIG_DEV_DAX_CXL=y
CONFIG_DEV_DAX_KMEM=y
";

    /// The walk is complete: on a scenario whose runs end in two ways (v5, the user's
    /// destroy-region and create-region after boot, reports/v4-order-dependence-region-differs),
    /// every schedule drawn at random ends in an outcome the walk found, and every schedule the
    /// walk ran is counted in exactly one outcome.
    #[test]
    fn every_random_schedule_ends_in_an_explored_outcome() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/v4-order-dependence-region-differs/scenario.scn"
        );
        let s = crate::scenario::file::load(std::path::Path::new(path), Default::default())
            .unwrap()
            .scenario;
        let d = crate::designs::by_name("dax_cxl_mode-v5").unwrap();
        let e = explore(d, &s, 100_000);
        assert!(e.complete);
        assert_eq!(e.outcomes.len(), 2);
        assert_eq!(e.outcomes.iter().map(|o| o.runs).sum::<u64>(), e.runs);
        let mut bytes = crate::scenario::gen::ByteStream::new(7);
        let mut seen = [false; 2];
        for _ in 0..400 {
            let schedule = bytes.bytes(e.deepest);
            let run = model::run(
                d,
                &Scenario {
                    schedule,
                    ..s.clone()
                },
            );
            let i = e
                .outcomes
                .iter()
                .position(|o| {
                    srfuzz_oracle::differences(&o.observations, &run.observations).is_empty()
                })
                .expect("a random schedule ends in an outcome the walk found");
            seen[i] = true;
        }
        assert_eq!(seen, [true, true], "random schedules reach both outcomes");
        // With everything built in, a one-region platform ends one way on every design.
        let s = crate::scenario::text::parse(ONE_REGION_BUILTIN).unwrap();
        for d in crate::designs::all() {
            let e = explore(d, &s, 100_000);
            assert!(e.complete && e.outcomes.len() == 1, "{}", d.name);
        }
    }

    /// v4's order dependence (reports/v4-order-dependence-region-differs-4): some schedules
    /// leave the region to HMEM, and the walk finds them with a schedule that replays so.
    #[test]
    fn the_walk_finds_v4_handing_the_region_to_hmem() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/v4-order-dependence-region-differs-4/scenario.scn"
        );
        let l =
            crate::scenario::file::load(std::path::Path::new(path), Default::default()).unwrap();
        let v4 = crate::designs::by_name("register_dax-v4").unwrap();
        let e = explore(v4, &l.scenario, 50_000);
        assert!(e.outcomes.len() >= 2, "{} outcome(s)", e.outcomes.len());
        let hmem = |obs: &[Observation]| {
            obs.last()
                .is_some_and(|o| o.soft_reserved[0].owner == srfuzz_oracle::Owner::Hmem)
        };
        let o = e
            .outcomes
            .iter()
            .find(|o| hmem(&o.observations))
            .expect("an outcome where HMEM owns the range");
        let replay = model::run(
            v4,
            &Scenario {
                schedule: o.schedule.clone(),
                ..l.scenario.clone()
            },
        );
        assert!(hmem(&replay.observations));
    }
}
