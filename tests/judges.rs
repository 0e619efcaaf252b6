//! The judges: each invariant and the spec catch a deliberately broken design variant (defined
//! here, in the tests only) and stay silent on correct behaviour; order independence; finding
//! titles are golden and free of incidental numbers; bolero runs the spec and order checks.

mod common;

use srfuzz::checks::{self, judge_design, order_findings};
use srfuzz::designs::{self, Design, Ops, Patch};
use srfuzz::drivers::cxl::region::cxl_region_can_probe;
use srfuzz::drivers::hmem::hmem_register_soft_reserved;
use srfuzz::kernel::errno::{Errno, KResult};
use srfuzz::kernel::sched::{block_on, flush_work, BoxFut, Wait};
use srfuzz::kernel::KRef;
use srfuzz::scenario::{gen, text, Scenario};
use srfuzz_oracle::{FindingKind, KnownList};

fn scenario(t: &str) -> Scenario {
    text::parse(t).unwrap_or_else(|e| panic!("{e}"))
}

fn file(path: &str) -> Scenario {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    scenario(&std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}")))
}

/// A CXL region that firmware committed over a Soft Reserved range, the whole stack modular,
/// dax_hmem loaded last, after a settle (so the region's memory is online by then). udev
/// would load dax_hmem for hmem_platform.0 at coldplug, so it is blacklisted and loaded by
/// hand.
const REGION_THEN_HMEM: &str = "\
[platform]
soft-reserved 0x850000000 size=128G
host-bridge 0
window 0x850000000 size=128G targets=0
memdev host-bridge=0 capacity=128G presence=boot decoder=0x850000000,size=128G,ways=1,pos=0
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_PCI=m
CONFIG_CXL_ACPI=m
CONFIG_CXL_MEM=m
CONFIG_CXL_REGION=y
CONFIG_DAX=m
CONFIG_DEV_DAX=m
CONFIG_DEV_DAX_HMEM=m
CONFIG_DEV_DAX_CXL=m
CONFIG_DEV_DAX_KMEM=m
[events]
blacklist dax_hmem
modprobe cxl_acpi
modprobe cxl_pci
modprobe cxl_mem
modprobe dax_cxl
modprobe kmem
settle
modprobe dax_hmem
settle
";

fn kinds(s: &Scenario, d: &'static Design) -> Vec<(FindingKind, String)> {
    judge_design(s, d)
        .findings
        .into_iter()
        .map(|f| (f.kind, f.title))
        .collect()
}

fn mainline() -> &'static Design {
    designs::by_name("mainline").unwrap()
}

fn assert_finds(s: &Scenario, d: &'static Design, kind: FindingKind) {
    let found = kinds(s, d);
    assert!(
        found.iter().any(|(k, _)| *k == kind),
        "{}: expected a {kind} finding, got {found:?}",
        d.name
    );
}

fn assert_silent(s: &Scenario, d: &'static Design) {
    let found = kinds(s, d);
    assert!(
        found.is_empty(),
        "{}: expected no finding, got {found:?}",
        d.name
    );
}

// --- Broken variants, each breaking one rule ------------------------------------------------

/// HMEM registers every Soft Reserved range, CXL window or not: HMEM and dax_cxl both create a
/// dax region over the committed region.
static DOUBLE_CLAIM: Design = Design::new(
    "broken-double-claim",
    "HMEM ignores CXL windows",
    &[Patch {
        label: "test",
        subject: "HMEM registers CXL-window ranges too",
        link: "tests/judges.rs",
        in_base: false,
        apply: |ops: &mut Ops| ops.hmem_register_device = hmem_register_soft_reserved,
    }],
);

/// dax_hmem's init tears down every CXL region, online or not.
static TEARDOWN: Design = Design::new(
    "broken-teardown",
    "dax_hmem tears down regions at load",
    &[Patch {
        label: "test",
        subject: "cxl_region_teardown_all() at dax_hmem init",
        link: "tests/judges.rs",
        in_base: false,
        apply: |ops: &mut Ops| ops.dax_hmem_init = teardown_then_init,
    }],
);

fn teardown_then_init(k: KRef) -> BoxFut<KResult> {
    Box::pin(async move {
        let mut kb = k.borrow_mut();
        srfuzz::designs::dax_cxl_mode::cxl_region_teardown_all(&mut kb);
        srfuzz::drivers::hmem::dax_hmem_init(&mut kb)
    })
}

/// Regions never get their dax_region at probe.
static LEAK: Design = Design::new(
    "broken-leak",
    "cxl_region_probe never adds DAX",
    &[Patch {
        label: "test",
        subject: "cxl_region_probe without devm_cxl_add_dax_region",
        link: "tests/judges.rs",
        in_base: false,
        apply: |ops: &mut Ops| ops.cxl_region_probe = |k, d| cxl_region_can_probe(k, d).map(|_| ()),
    }],
);

/// HMEM registers nothing.
static STRANDED: Design = Design::new(
    "broken-stranded",
    "hmem_register_device does nothing",
    &[Patch {
        label: "test",
        subject: "hmem_register_device returns 0",
        link: "tests/judges.rs",
        in_base: false,
        apply: |ops: &mut Ops| ops.hmem_register_device = |_, _, _, _, _| Ok(()),
    }],
);

/// dax_hmem's init waits for the whole system to be idle, itself included.
static DEADLOCK: Design = Design::new(
    "broken-deadlock",
    "dax_hmem init waits for quiescence",
    &[Patch {
        label: "test",
        subject: "dax_hmem_init sleeps until every task is done",
        link: "tests/judges.rs",
        in_base: false,
        apply: |ops: &mut Ops| {
            ops.dax_hmem_init = |k| {
                Box::pin(async move {
                    block_on(&k, Wait::Quiescent).await;
                    Ok(())
                })
            }
        },
    }],
);

/// dax_cxl's probe always defers.
static DEFERRED: Design = Design::new(
    "broken-deferred",
    "cxl_dax_region_probe always defers",
    &[Patch {
        label: "test",
        subject: "cxl_dax_region_probe returns -EPROBE_DEFER",
        link: "tests/judges.rs",
        in_base: false,
        apply: |ops: &mut Ops| ops.cxl_dax_region_probe = |_, _| Err(Errno::EPROBE_DEFER),
    }],
);

/// dax_hmem's init flushes a work item it never initialized (`WARN_ON(!work->func)`).
static WARN: Design = Design::new(
    "broken-warn",
    "flush_work on a zeroed work_struct",
    &[Patch {
        label: "test",
        subject: "dax_hmem_init flushes an uninitialized work",
        link: "tests/judges.rs",
        in_base: false,
        apply: |ops: &mut Ops| {
            ops.dax_hmem_init = |k| {
                Box::pin(async move {
                    let w = k.borrow_mut().init_work("zeroed", None, 0);
                    flush_work(&k, w).await;
                    srfuzz::drivers::hmem::dax_hmem_init(&mut k.borrow_mut())
                })
            }
        },
    }],
);

/// HMEM takes everything and CXL regions never get DAX: no invariant breaks (HMEM owns every
/// byte), but a committed region's Soft Reserved belongs to CXL by the spec.
static SPEC: Design = Design::new(
    "broken-spec",
    "HMEM owns CXL regions' memory",
    &[
        Patch {
            label: "test",
            subject: "HMEM registers CXL-window ranges too",
            link: "tests/judges.rs",
            in_base: false,
            apply: |ops: &mut Ops| ops.hmem_register_device = hmem_register_soft_reserved,
        },
        Patch {
            label: "test",
            subject: "cxl_region_probe without devm_cxl_add_dax_region",
            link: "tests/judges.rs",
            in_base: false,
            apply: |ops: &mut Ops| {
                ops.cxl_region_probe = |k, d| cxl_region_can_probe(k, d).map(|_| ())
            },
        },
    ],
);

// --- Each invariant and the spec -------------------------------------------------------------

#[test]
fn double_claim_is_caught_and_mainline_is_silent() {
    let s = scenario(REGION_THEN_HMEM);
    assert_finds(&s, &DOUBLE_CLAIM, FindingKind::DoubleClaim);
    assert_silent(&s, mainline());
}

#[test]
fn teardown_while_online_is_caught_and_mainline_is_silent() {
    let s = scenario(REGION_THEN_HMEM);
    assert_finds(&s, &TEARDOWN, FindingKind::TeardownWhileOnline);
    assert_silent(&s, mainline());
}

#[test]
fn leak_is_caught_and_mainline_is_silent() {
    let s = scenario(REGION_THEN_HMEM);
    assert_finds(&s, &LEAK, FindingKind::Leak);
    assert_silent(&s, mainline());
}

#[test]
fn stranded_capacity_is_caught_and_mainline_is_silent() {
    let s = file("corpus/memmap-soft-reserved-only.scn");
    assert_finds(&s, &STRANDED, FindingKind::StrandedCapacity);
    assert_silent(&s, mainline());
}

#[test]
fn blocked_task_and_endless_deferral_are_caught() {
    let s = scenario(REGION_THEN_HMEM);
    assert_finds(&s, &DEADLOCK, FindingKind::Deadlock);
    assert_finds(&s, &DEFERRED, FindingKind::Deadlock);
    assert_silent(&s, mainline());
}

#[test]
fn livelock_is_caught_and_mainline_is_silent() {
    let s = scenario(REGION_THEN_HMEM);
    assert_finds(&s, &common::LIVELOCK, FindingKind::Livelock);
    assert_silent(&s, mainline());
}

#[test]
fn warn_is_caught_and_mainline_is_silent() {
    let s = scenario(REGION_THEN_HMEM);
    assert_finds(&s, &WARN, FindingKind::Warn);
    assert_silent(&s, mainline());
}

#[test]
fn spec_deviation_is_caught_without_any_invariant_breaking() {
    let s = scenario(REGION_THEN_HMEM);
    let found = kinds(&s, &SPEC);
    assert!(
        found
            .iter()
            .any(|(k, t)| *k == FindingKind::SpecDeviation
                && t.starts_with("spec deviation: Soft Reserved in a CXL window and in committed regions owned by hmem, spec says cxl")),
        "{found:?}"
    );
    assert!(
        found.iter().all(|(k, _)| *k == FindingKind::SpecDeviation),
        "{found:?}"
    );
    assert_silent(&s, mainline());
}

/// Mainline's known limitation is declared, not reported: assembly failure leaves the window's
/// Soft Reserved unowned.
#[test]
fn declared_findings_are_set_apart() {
    let s = file("corpus/mainline-assembly-failure.scn");
    let j = judge_design(&s, mainline());
    assert!(j.findings.is_empty(), "{:?}", j.findings);
    assert!(
        j.declared
            .iter()
            .any(|(f, d)| f.kind == FindingKind::StrandedCapacity && d.link.starts_with("https://")),
        "{:?}",
        j.declared
    );
}

// --- Order independence -------------------------------------------------------------------------

/// The same scenario under another schedule: mainline with two memdevs probing asynchronously
/// agrees with itself; a design whose outcome is decided by which of two work items runs last
/// does not.
static RACY: Design = Design::new(
    "broken-racy",
    "two work items race to decide whether HMEM registers",
    &[Patch {
        label: "test",
        subject: "dax_hmem_init lets two work items race",
        link: "tests/judges.rs",
        in_base: false,
        apply: |ops: &mut Ops| {
            ops.dax_hmem_init = |k| {
                Box::pin(async move {
                    let mut kb = k.borrow_mut();
                    let register = kb.init_work("register", Some(register_hmem), 0);
                    let unregister = kb.init_work("unregister", Some(unregister_hmem), 0);
                    kb.queue_work(register);
                    kb.queue_work(unregister);
                    Ok(())
                })
            }
        },
    }],
);

fn register_hmem(k: KRef, _: u32) -> BoxFut<()> {
    Box::pin(async move {
        let _ = srfuzz::drivers::hmem::dax_hmem_init(&mut k.borrow_mut());
    })
}

fn unregister_hmem(k: KRef, _: u32) -> BoxFut<()> {
    Box::pin(async move {
        srfuzz::drivers::hmem::dax_hmem_exit(&mut k.borrow_mut());
    })
}

#[test]
fn order_dependence_is_caught_and_mainline_is_order_independent() {
    let mut s = file("corpus/memmap-soft-reserved-only.scn");
    let mut caught = false;
    for b in 0..=255u8 {
        s.schedule = vec![b; 16];
        assert!(
            order_findings(&s, mainline()).is_empty(),
            "schedule byte {b}"
        );
        caught |= order_findings(&s, &RACY)
            .iter()
            .any(|f| f.kind == FindingKind::OrderDependence);
    }
    assert!(caught, "no schedule made the racy design end differently");
}

// --- Titles ---------------------------------------------------------------------------------

/// The titles of the v4 HMEM-disabled repro, pinned.
#[test]
fn finding_titles_are_golden() {
    let s = file("tests/fixtures/v4-no-hmem-boot.scn");
    let v4 = designs::by_name("register_dax-v4").unwrap();
    let titles: Vec<String> = kinds(&s, v4).into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        titles,
        [
            "leak: auto-assembled region never gets dax [register_dax-v4, DEV_DAX_HMEM=n]",
            "stranded capacity: Soft Reserved inside a CXL window left unowned [register_dax-v4, DEV_DAX_HMEM=n]",
            "spec deviation: Soft Reserved in a CXL window and in committed regions owned by nobody, spec says cxl [register_dax-v4, DEV_DAX_HMEM=n]",
        ]
    );
    let v5 = designs::by_name("dax_cxl_mode-v5").unwrap();
    let titles: Vec<String> = kinds(&s, v5).into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        titles,
        [
            "leak: auto-assembled region never gets dax [dax_cxl_mode-v5, DEV_DAX_HMEM=n]",
            "stranded capacity: Soft Reserved inside a CXL window left unowned [dax_cxl_mode-v5, DEV_DAX_HMEM=n]",
            "deadlock: probe of dax_regionN deferred forever [dax_cxl_mode-v5, DEV_DAX_HMEM=n]",
            "spec deviation: Soft Reserved in a CXL window and in committed regions owned by nobody, spec says cxl [dax_cxl_mode-v5, DEV_DAX_HMEM=n]",
        ]
    );
}

/// Two scenarios that differ only in addresses, sizes and device ids get the same titles.
#[test]
fn titles_carry_no_incidental_numbers() {
    let base = std::fs::read_to_string(format!(
        "{}/tests/fixtures/v4-no-hmem-boot.scn",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let moved = base
        .replace(
            "soft-reserved 0x850000000 size=32G",
            "soft-reserved 0x4050000000 size=64G",
        )
        .replace(
            "window 0x850000000 size=32G",
            "window 0x4050000000 size=64G",
        )
        .replace(
            "capacity=32G presence=boot decoder=0x850000000,size=32G",
            "capacity=64G presence=boot decoder=0x4050000000,size=64G",
        );
    assert_ne!(base, moved);
    // A second, unrelated window first shifts every id (root decoder memregion, region id).
    let shifted = moved.replace(
        "window 0x4050000000",
        "window 0x10050000000 size=16G targets=0\nwindow 0x4050000000",
    );
    for d in designs::all() {
        let t = |text: &str| {
            let mut v: Vec<String> = kinds(&scenario(text), d)
                .into_iter()
                .map(|(_, t)| t)
                .collect();
            v.sort();
            v
        };
        assert_eq!(t(&base), t(&moved), "{}", d.name);
        assert_eq!(t(&base), t(&shifted), "{}", d.name);
    }
}

// --- The fuzz targets' checks under bolero ------------------------------------------------------

/// The `spec` and `order` fuzz targets' checks never fail on the model itself: judging is
/// deterministic (two judgings agree), and a design's canonical-schedule run agrees with itself.
#[test]
fn spec_and_order_checks_under_bolero() {
    let known = KnownList::default();
    bolero::check!()
        .with_iterations(500)
        .for_each(|data: &[u8]| {
            let s = gen::scenario_from_bytes(data);
            assert_eq!(
                checks::new_spec_finding(&s, &known),
                checks::new_spec_finding(&s, &known)
            );
            let canonical = Scenario {
                schedule: Vec::new(),
                ..s.clone()
            };
            for d in designs::all() {
                assert!(order_findings(&canonical, d).is_empty(), "{}", d.name);
            }
        });
}

/// With CONFIG_EFI_SOFT_RESERVE=n, Soft Reserved in a CXL window is System RAM from boot, which
/// the model does not describe: nothing is judged and no two designs differ on such a run.
#[test]
fn soft_reserved_as_system_ram_is_outside_the_model() {
    let base = std::fs::read_to_string(format!(
        "{}/tests/fixtures/v4-no-hmem-boot.scn",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let s = scenario(&base.replace(
        "# CONFIG_DEV_DAX_HMEM is not set",
        "# CONFIG_EFI_SOFT_RESERVE is not set",
    ));
    let v4 = designs::by_name("register_dax-v4").unwrap();
    let run = srfuzz::model::run(v4, &s);
    assert!(run.last().context.outside_model.is_some());
    for d in designs::all() {
        assert!(kinds(&s, d).is_empty(), "{}", d.name);
    }
    let mainline = designs::by_name("mainline").unwrap();
    assert!(srfuzz::checks::differential(&s, v4, mainline).is_none());
    // The HMEM-disabled original is judged.
    assert!(!kinds(&scenario(&base), v4).is_empty());
}

/// A user action that races with boot is the user's timing: the order check holds no design to
/// account for it, and a `settle` before the action makes the scenario judged again.
#[test]
fn user_actions_racing_with_boot_are_not_order_findings() {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/order-user-race.scn",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let racing = scenario(&text);
    assert!(!srfuzz::checks::user_acts_on_a_quiet_system(&racing));
    let v4 = designs::by_name("register_dax-v4").unwrap();
    assert!(srfuzz::checks::order_findings(&racing, v4).is_empty());
    // The same without the race: settled before the user acts, so judged (and nothing differs).
    let settled = scenario(&text.replace("[events]\n", "[events]\nsettle\n"));
    assert!(srfuzz::checks::user_acts_on_a_quiet_system(&settled));
    assert!(srfuzz::checks::order_findings(&settled, v4).is_empty());
    // Without the gate, the racing scenario's schedules do end differently: the gate is what
    // keeps it out.
    let inputs = srfuzz::model::Inputs::of(&racing);
    let a = srfuzz::model::run_for_judging_in(v4, &racing, &inputs);
    let b = srfuzz::model::run_for_judging_in(v4, &racing, &inputs.with_schedule(&[]));
    assert!(!srfuzz_oracle::differences(&a.observations, &b.observations).is_empty());
}

/// v5's declarations hold only where their reason does: all-or-nothing hands Soft Reserved to
/// HMEM when some range is not covered by regions; with every range covered by two regions
/// together, the same spec deviation is a finding (v5 tests containment one region at a
/// time).
#[test]
fn v5_declares_all_or_nothing_only_where_a_range_is_uncovered() {
    let v5 = designs::by_name("dax_cxl_mode-v5").unwrap();
    let title = "spec deviation: Soft Reserved in a CXL window and in committed regions owned by hmem, spec says cxl [dax_cxl_mode-v5";
    let covered = file("tests/fixtures/v5-sr-spans-two-regions.scn");
    let j = srfuzz::checks::judge_design(&covered, v5);
    assert!(
        j.findings.iter().any(|f| f.title.starts_with(title)),
        "{j:#?}"
    );
    assert!(!j.declared.iter().any(|(f, _)| f.title.starts_with(title)));
    let uncovered = file("tests/fixtures/v5-all-or-nothing.scn");
    let j = srfuzz::checks::judge_design(&uncovered, v5);
    assert!(
        j.declared.iter().any(|(f, _)| f.title.starts_with(title)),
        "{j:#?}"
    );
}

/// v5's "REGISTER tears down every region" holds only where kernel code tore a region down:
/// a user-created region left without DAX because dax_cxl defers forever is a finding.
#[test]
fn v5_declares_teardown_only_where_a_region_was_torn_down() {
    let v5 = designs::by_name("dax_cxl_mode-v5").unwrap();
    let s = file("tests/fixtures/v5-user-region-no-sr.scn");
    let j = srfuzz::checks::judge_design(&s, v5);
    let title = "spec deviation: user-created region outside Soft Reserved owned by nobody, spec says cxl [dax_cxl_mode-v5]";
    assert!(j.findings.iter().any(|f| f.title == title), "{j:#?}");
    assert!(j.declared.is_empty(), "{j:#?}");
}
