//! Triage groups titles into root causes: one problem seen as several kinds on one minimal
//! scenario is one root cause; problems blamed on different patches stay apart.

use srfuzz::checks::Check;
use srfuzz::scenario::file::{self, ReadOptions};
use srfuzz::triage::triage;
use srfuzz_oracle::KnownList;
use std::path::Path;

fn load(rel: &str) -> file::Loaded {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    file::load(&p, ReadOptions::default()).unwrap()
}

#[test]
fn symptoms_of_one_problem_are_one_root_cause_and_others_stay_apart() {
    // v5 with HMEM off: dax_cxl defers forever — a leak, stranded capacity, a deadlock and a
    // spec deviation on one scenario, four kinds of title, all blamed on v5 6/7. The same
    // scenario shows v4's HMEM-off bug too, blamed on v4 6/9, as does the v4 repro.
    let v5 = load("reports/v5-leak-auto-assembled-region-never-gets/scenario.scn");
    let v4 = load("tests/fixtures/v4-no-hmem-boot.scn");
    let t = triage(&[v5, v4], Check::Spec, &KnownList::default(), &mut |_| {});
    assert_eq!(t.root_causes.len(), 2, "{:#?}", t.root_causes);
    let blamed = |subject: &str| {
        t.root_causes
            .iter()
            .find(|r| r.key.patches == [subject])
            .unwrap_or_else(|| panic!("no root cause blamed on {subject}: {:#?}", t.root_causes))
    };
    let v5_cause =
        blamed("dax/hmem, cxl: Defer and resolve ownership of Soft Reserved memory ranges");
    let kinds: Vec<&str> = v5_cause
        .titles
        .iter()
        .map(|g| g.title.split(':').next().unwrap())
        .collect();
    for k in ["leak", "stranded capacity", "deadlock", "spec deviation"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let v4_cause = blamed("cxl/region: Add register_dax flag to defer DAX setup");
    assert!(v4_cause
        .titles
        .iter()
        .all(|g| g.title.contains("[register_dax-v4")));
}

/// A divergence only a commit of v5's base tree causes (1f1cb7f0: cxl_pci now uses cxl_mem's
/// exports, so `rmmod cxl_mem` is refused) is the base's doing, not the series': triage keeps
/// it apart from the root causes a campaign reports.
#[test]
fn a_divergence_only_the_base_tree_causes_is_kept_apart() {
    let [v4, v5] = srfuzz::checks::design_pair("register_dax-v4,dax_cxl_mode-v5").unwrap();
    let f = load("tests/fixtures/v5-base-rmmod-cxl-mem.scn");
    let t = triage(
        &[f],
        Check::Differential(v4, v5),
        &KnownList::default(),
        &mut |_| {},
    );
    assert!(t.root_causes.is_empty(), "{:#?}", t.root_causes);
    assert_eq!(t.from_base.len(), 1, "{:#?}", t.from_base);
    assert_eq!(
        t.from_base[0].key.patches,
        ["cxl/mem: Arrange for always-synchronous memdev attach"]
    );
}

/// One problem on two designs of the series is one report: post-merge's order dependence with
/// DEV_DAX_CXL=n (no `request_module("cxl_acpi")` and no softdep any more, so dax_hmem may walk
/// Soft Reserved before cxl_acpi publishes the windows; kmem onlines the range and the user's
/// region cannot be created again) is the one reports/ has for v3 and v4, first shown by the
/// same patch ("dax/hmem: Request cxl_acpi and cxl_pci before walking Soft Reserved ranges",
/// 7b4bcaad as merged), though the removal sets of the two stacks differ. (A 10-minute hunt
/// reported it as new before; this is its minimized repro.)
#[test]
fn the_same_problem_first_shown_by_the_same_patch_on_another_design_is_already_reported() {
    let f = load("tests/fixtures/post-merge-user-region-hmem-first.scn");
    let known =
        KnownList::parse("reports/known-findings.txt", srfuzz::checks::KNOWN_FINDINGS).unwrap();
    let t = triage(&[f], Check::Order, &known, &mut |_| {});
    let title = "order dependence: region differs: region N-N (user) [post-merge, DEV_DAX_CXL=n, hmem_test=1]";
    let rc = t
        .root_causes
        .iter()
        .find(|r| r.titles.iter().any(|g| g.title == title))
        .unwrap_or_else(|| panic!("{:#?}", t.root_causes));
    let reports = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports");
    let at = srfuzz::archive::reported(&reports, rc).expect("already reported");
    let name = at.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        [
            "v3-order-dependence-region-differs",
            "v3-order-dependence-region-differs-2",
            "v4-order-dependence-region-differs"
        ]
        .contains(&name.as_str()),
        "{name}"
    );
}

/// The same files give the same root causes in any order (a hunt's jobs record files as they
/// find them): each title stands on the file first in path order.
#[test]
fn triage_does_not_depend_on_the_order_of_its_files() {
    let a = load("reports/v5-leak-auto-assembled-region-never-gets/scenario.scn");
    let b = load("tests/fixtures/v4-no-hmem-boot.scn");
    let keys = |files: &[file::Loaded]| {
        let t = triage(files, Check::Spec, &KnownList::default(), &mut |_| {});
        t.root_causes
            .iter()
            .map(|r| {
                let firsts: Vec<_> = r
                    .titles
                    .iter()
                    .map(|g| (g.title.clone(), g.first.clone()))
                    .collect();
                (r.key.clone(), firsts)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&[a.clone(), b.clone()]), keys(&[b, a]));
}
