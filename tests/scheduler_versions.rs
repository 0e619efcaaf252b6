//! Scheduler versions (`srfuzz::scenario::Scheduler`) differ only in scheduling points at which
//! the task that runs changes nothing, so that a schedule saved under one keeps replaying
//! while the canonical schedule, and the set of every schedule's endings, are the same under
//! each.

use srfuzz::designs;
use srfuzz::explore;
use srfuzz::model;
use srfuzz::scenario::{text, Scenario, Scheduler};
use std::collections::BTreeSet;

/// Every saved scenario: the repros of reports/ and the scenarios of corpus/.
fn saved() -> Vec<(String, String, Scenario)> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut paths: Vec<String> = std::fs::read_dir(format!("{root}/reports"))
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path().join("scenario.scn");
            p.exists().then(|| p.display().to_string())
        })
        .collect();
    paths.extend(
        std::fs::read_dir(format!("{root}/corpus"))
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string())
            .filter(|p| p.ends_with(".scn")),
    );
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let t = std::fs::read_to_string(&p).unwrap();
            let s = text::parse(&t).unwrap_or_else(|e| panic!("{p}: {e}"));
            (p, t, s)
        })
        .collect()
}

fn under(s: &Scenario, scheduler: Scheduler) -> Scenario {
    Scenario {
        scheduler,
        ..s.clone()
    }
}

/// A file saved before there were versions reads as version 1 when it has schedule bytes
/// (what they were chosen for), and prints back without a `scheduler` line; a file without
/// bytes runs under the current version.
#[test]
fn files_without_a_version_keep_their_meaning() {
    let all = saved();
    assert!(all.len() > 40);
    for (p, t, s) in &all {
        let expected = if s.schedule.is_empty() {
            Scheduler::CURRENT
        } else {
            Scheduler::PerProbe
        };
        assert_eq!(s.scheduler, expected, "{p}");
        assert!(!t.contains("scheduler "), "{p}");
        assert!(!text::print(s).contains("scheduler "), "{p}");
    }
    assert!(all.iter().any(|(_, _, s)| !s.schedule.is_empty()));
    // Every combination of bytes and version prints and reads back to itself.
    let (_, _, with_bytes) = all.iter().find(|(_, _, s)| !s.schedule.is_empty()).unwrap();
    for bytes in [with_bytes.schedule.clone(), Vec::new()] {
        for v in [Scheduler::PerProbe, Scheduler::AsyncIdle] {
            let s = Scenario {
                schedule: bytes.clone(),
                scheduler: v,
                ..with_bytes.clone()
            };
            let printed = text::print(&s);
            assert_eq!(text::parse(&printed).unwrap(), s, "{printed}");
        }
    }
    let bad = text::parse("[schedule]\nscheduler 7\n00").unwrap_err();
    assert_eq!(bad.line, 2);
    assert!(
        bad.msg.contains("expected `scheduler 1` or `scheduler 2`"),
        "{}",
        bad.msg
    );
}

/// The canonical schedule ends alike under both versions, on every saved scenario and design.
#[test]
fn the_canonical_schedule_ends_alike_under_both_versions() {
    for (p, _, s) in saved() {
        let canonical = Scenario {
            schedule: Vec::new(),
            ..s
        };
        for d in designs::all() {
            let one = model::run_for_judging(d, &under(&canonical, Scheduler::PerProbe));
            let two = model::run_for_judging(d, &under(&canonical, Scheduler::AsyncIdle));
            assert_eq!(one.observations, two.observations, "{p} on {}", d.name);
        }
    }
}

/// Every schedule's endings are the same under both versions: the explorations of the
/// smaller saved scenarios end in the same outcomes and show the same findings.
#[test]
fn every_schedule_ends_alike_under_both_versions() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut compared = 0;
    for f in [
        "corpus/cover-cxl-region-disabled-modular.scn",
        "corpus/cover-region-assembly-failure.scn",
        "reports/v4-order-dependence-region-differs/scenario.scn",
        "reports/v5-leak-user-created-region-never-gets/scenario.scn",
    ] {
        let t = std::fs::read_to_string(format!("{root}/{f}")).unwrap();
        let s = Scenario {
            schedule: Vec::new(),
            ..text::parse(&t).unwrap()
        };
        for d in designs::all() {
            let ends = |v: Scheduler| {
                let e = explore::explore_on(d, &under(&s, v), 400_000, true, 1);
                let outcomes: BTreeSet<String> = e
                    .outcomes
                    .iter()
                    .map(|o| format!("{:?}", o.observations))
                    .collect();
                let titles: BTreeSet<String> = e.findings.iter().map(|x| x.title.clone()).collect();
                (e.complete, outcomes, titles)
            };
            let (c1, o1, t1) = ends(Scheduler::PerProbe);
            let (c2, o2, t2) = ends(Scheduler::AsyncIdle);
            if !(c1 && c2) {
                continue;
            }
            assert_eq!(o1, o2, "{f} on {}", d.name);
            assert_eq!(t1, t2, "{f} on {}", d.name);
            compared += 1;
        }
    }
    assert!(compared >= 30, "{compared} explorations compared");
}
