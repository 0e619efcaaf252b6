//! The executor's step bound scales with the scenario: a long but finite event list (thousands
//! of `settle` lines, thousands of load/unload pairs) ends quiescent on every design, never as
//! a livelock, while a design that really livelocks is still stopped at the bound, and soon on
//! a small scenario.

mod common;

use common::{scenario, ALL_MODULAR, ONE_X1_REGION};
use srfuzz::designs;
use srfuzz::kernel::module::Module;
use srfuzz::kernel::sched::STEP_BOUND;
use srfuzz::model;
use srfuzz::scenario::{Event, Scenario};
use srfuzz_oracle::Outcome;

/// The series' test machine, all modular (udev loads the stack at coldplug), then `events`.
fn machine_with(events: impl IntoIterator<Item = Event>) -> Scenario {
    let mut s = scenario(&format!("{ONE_X1_REGION}{ALL_MODULAR}"));
    s.events.extend(events);
    s
}

fn assert_quiescent(s: &Scenario, what: &str) {
    for d in designs::all() {
        let r = model::run_for_judging(d, s);
        assert_eq!(
            r.last().outcome,
            Outcome::Quiescent,
            "{what} on {}: {} steps",
            d.name,
            r.steps,
        );
        assert!(r.steps > 0);
    }
}

#[test]
fn thirty_thousand_settles_are_not_a_livelock() {
    let s = machine_with(std::iter::repeat_n(Event::Settle, 30_000));
    assert_quiescent(&s, "30000 settles");
    // More polls than the base bound alone allows: each settle is a scheduling point.
    let r = model::run_for_judging(designs::by_name("mainline").unwrap(), &s);
    assert!(r.steps > STEP_BOUND, "{} steps", r.steps);
}

#[test]
fn thousands_of_hmem_reloads_are_not_a_livelock() {
    let cycle = [
        Event::Modprobe(Module::DaxHmem),
        Event::Settle,
        Event::Rmmod(Module::DaxHmem),
    ];
    let mut events = vec![Event::Settle];
    for _ in 0..3_000 {
        events.extend(cycle);
    }
    let s = machine_with(events);
    assert_quiescent(&s, "3000 dax_hmem load/settle/unload cycles");
    // The series' designs take about 9 polls per cycle.
    let r = model::run_for_judging(designs::by_name("register_dax-v4").unwrap(), &s);
    assert!(r.steps > STEP_BOUND, "{} steps", r.steps);
    // Without the settles: the loads pile up behind the unloads, thousands of tasks at once.
    let events = (0..2_000).flat_map(|_| {
        [
            Event::Modprobe(Module::DaxHmem),
            Event::Rmmod(Module::DaxHmem),
        ]
    });
    assert_quiescent(
        &machine_with(events),
        "2000 bare dax_hmem load/unload pairs",
    );
}

#[test]
fn thousands_of_cxl_reloads_are_not_a_livelock() {
    // Each load of cxl_pci probes the memdev asynchronously and reassembles the region.
    let mut events = vec![Event::Settle];
    for m in [Module::CxlPci, Module::CxlAcpi] {
        for _ in 0..2_500 {
            events.extend([Event::Rmmod(m), Event::Modprobe(m), Event::Settle]);
        }
    }
    let s = machine_with(events);
    assert_quiescent(&s, "cxl_pci and cxl_acpi reloads");
    let r = model::run_for_judging(designs::by_name("mainline").unwrap(), &s);
    assert!(r.steps > STEP_BOUND, "{} steps", r.steps);
}

#[test]
fn a_real_livelock_stops_at_the_bound() {
    // Small scenario: stopped after about the base bound.
    let s = machine_with([Event::Settle]);
    let bound = model::step_bound(&s.platform, &s.events);
    assert!(
        (STEP_BOUND..STEP_BOUND * 2).contains(&bound),
        "bound {bound} for a one-event scenario"
    );
    let r = model::run_for_judging(&common::LIVELOCK, &s);
    assert_eq!(r.last().outcome, Outcome::Livelock);
    assert_eq!(r.steps, bound);
    // A long event list raises the bound, and the livelock is still caught at it.
    let s = machine_with(std::iter::repeat_n(Event::Settle, 5_000));
    let long = model::step_bound(&s.platform, &s.events);
    assert!(long > bound);
    let r = model::run_for_judging(&common::LIVELOCK, &s);
    assert_eq!(r.last().outcome, Outcome::Livelock);
    assert_eq!(r.steps, long);
}

/// An exploration in which a run reaches the step bound is made again with the polls made in
/// the state key (the "Polls" argument of `explore` does not hold for it); one in which no run
/// does keeps them out. One run is enough: the first is the canonical schedule, which livelocks
/// on the broken design and not on mainline.
#[test]
fn an_exploration_that_meets_the_bound_keys_on_the_polls_made() {
    let s = machine_with([Event::Settle]);
    let e = srfuzz::explore::explore_on(&common::LIVELOCK, &s, 1, true, 1);
    assert!(e.polls_keyed, "a run reached the bound");
    assert!(e
        .outcomes
        .iter()
        .any(|o| o.observations.last().map(|x| x.outcome) == Some(Outcome::Livelock)));
    let e = srfuzz::explore::explore_on(designs::by_name("mainline").unwrap(), &s, 1, true, 1);
    assert!(!e.polls_keyed, "no run reached the bound");
}
