//! `explore --bound` and the order check against every schedule.

use srfuzz::checks;
use srfuzz::designs;
use srfuzz::explore::{self, bound};
use srfuzz::scenario::{text, Scenario};

fn scenario(path: &str) -> Scenario {
    let p = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let t = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"));
    text::parse(&t).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// Every shape a bound can name is a platform the rules accept (a firmware can describe it),
/// under every Kconfig request, booted.
#[test]
fn every_shape_follows_the_platform_rules() {
    let all = bound::Bound::parse(&format!(
        "shapes={},kconfig=all,events=boot",
        bound::SHAPES
            .iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
            .join("+")
    ))
    .expect("the bound parses");
    let (scenarios, unfit) = all.scenarios(&designs::all().iter().collect::<Vec<_>>());
    assert!(unfit.is_empty(), "{unfit:?}");
    assert!(scenarios.len() >= bound::SHAPES.len());
}

/// Bad bounds are refused with what was expected.
#[test]
fn a_bad_bound_says_what_it_expected() {
    let e = bound::Bound::parse("shapes=cxl-sr+nope").unwrap_err();
    assert!(
        e.contains("`nope` is not a shape") && e.contains("cxl-sr"),
        "{e}"
    );
    let e = bound::Bound::parse("kconfig=nyy").unwrap_err();
    assert!(e.contains("CXL (y/m)"), "{e}");
    let e = bound::Bound::parse("sizes=2").unwrap_err();
    assert!(e.contains("not a bound key"), "{e}");
    assert!(bound::Bound::parse("bogus").is_err());
    assert_eq!(
        bound::Bound::parse("small").unwrap(),
        bound::Bound::preset("small").unwrap()
    );
}

/// What "nothing exists up to this size" means, pinned: Soft Reserved memory without a CXL
/// window, every Kconfig of the bound, booted — every design's every schedule is explored and
/// ends in one way, and what is found is only the link failures the known list records
/// (1eaef15b's Kconfig dependencies, v7's `__flush_work` WARN). The same result on one thread
/// and on two.
#[test]
fn soft_reserved_without_a_window_is_clean_on_every_design_up_to_every_kconfig() {
    let b = bound::Bound::parse("shapes=hmem-only,kconfig=all,events=boot").unwrap();
    let ds: Vec<&'static designs::Design> = designs::all().iter().collect();
    let known =
        srfuzz_oracle::KnownList::parse("reports/known-findings.txt", checks::KNOWN_FINDINGS)
            .unwrap();
    let summary = |jobs| {
        bound::explore_bound(&b, &ds, 200_000, jobs, &known, &|_, _| {})
            .into_iter()
            .map(|r| {
                (
                    r.design.name,
                    r.combinations,
                    r.incomplete.len(),
                    r.order_dependent,
                    r.states,
                    r.found
                        .iter()
                        .map(|f| (f.title.clone(), f.standing, f.combinations))
                        .collect::<Vec<_>>(),
                )
            })
            .collect::<Vec<_>>()
    };
    let one = summary(1);
    for (name, combos, incomplete, order, _, found) in &one {
        assert!(*combos > 0, "{name}");
        assert_eq!(*incomplete, 0, "{name}: every combination is exhausted");
        assert_eq!(*order, 0, "{name}: one outcome per combination");
        for (title, standing, _) in found {
            assert_ne!(*standing, bound::Standing::New, "{name}: {title}");
            assert!(title.contains("WARN: in kbuild"), "{name}: {title}");
        }
    }
    assert_eq!(one, summary(2), "the result does not depend on the threads");
}

/// The order check against every schedule finds what the one-schedule order check finds, and
/// each order finding of an exploration replays: the scenario with the finding's schedule,
/// judged by the order check, shows it (reports/v7-order-dependence-region-differs, the
/// rescan race, walked partly).
#[test]
fn every_order_finding_of_an_exploration_replays_under_the_order_check() {
    let s = scenario("reports/v7-order-dependence-region-differs/scenario.scn");
    let v7 = designs::by_name("v7").unwrap();
    let e = explore::explore(v7, &s, 20_000);
    assert!(e.outcomes.len() > 1, "the walk sees the race");
    let shown: Vec<String> = checks::order_findings(&s, v7)
        .into_iter()
        .map(|f| f.title)
        .collect();
    assert!(!shown.is_empty());
    for t in &shown {
        assert!(
            e.order.iter().any(|x| &x.title == t),
            "the repro's own order finding {t} is among the exploration's"
        );
    }
    for x in &e.order {
        let replay = Scenario {
            schedule: x.schedule.clone(),
            ..s.clone()
        };
        assert!(
            checks::order_findings(&replay, v7)
                .iter()
                .any(|f| f.title == x.title),
            "{} replays on its schedule {:?}",
            x.title,
            x.schedule
        );
    }
    // Mainline ends one way on the same scenario.
    let m = explore::explore(checks::mainline(), &s, 200_000);
    assert!(m.complete && m.outcomes.len() == 1 && m.order.is_empty());
}
