//! reports/ and the report formats: every repro replays to its finding, from its text and its
//! raw input; the generated files are up to date; the text form is mail-ready; the formats are
//! pinned by snapshots.

use srfuzz::archive;
use srfuzz::bisect::bisect;
use srfuzz::checks::{Check, Target};
use srfuzz::report;
use srfuzz::scenario::file::{self, ReadOptions};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every root-cause directory: its scenario shows its stamped finding, from the text and from
/// the raw input beside it.
#[test]
fn every_repro_replays_to_its_title_from_text_and_raw() {
    let mut n = 0;
    for e in std::fs::read_dir(root().join("reports")).unwrap() {
        let d = e.unwrap().path();
        let scn = d.join("scenario.scn");
        if !scn.is_file() {
            continue;
        }
        n += 1;
        let l = file::load(&scn, ReadOptions::default()).unwrap();
        let target = Target::from_stamp(&l.meta()).unwrap();
        assert!(
            target.shows(&l.scenario),
            "{}: {}",
            scn.display(),
            target.title
        );
        let raw = d.join("input.raw");
        if raw.is_file() {
            let r = file::load(&raw, ReadOptions::default()).unwrap();
            assert!(
                target.shows(&r.scenario),
                "{}: {}",
                raw.display(),
                target.title
            );
        }
    }
    assert!(n >= 1, "reports/ has no repro");
}

/// `srfuzz reports --verify`: nothing out of date, nothing broken.
#[test]
fn reports_are_up_to_date() {
    let r = archive::regenerate(&root().join("reports"), true);
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    assert!(
        r.changed.is_empty(),
        "out of date (run `cargo run --release -- reports`): {:?}",
        r.changed
    );
}

/// The HMEM-disabled repro meets its bar: at most 12 scenario lines, one screen of report,
/// bisected to v4 6/9.
#[test]
fn the_hmem_disabled_repro_is_small_and_blames_v4_6_9() {
    let d = root().join("reports/register_dax-v4-no-hmem-auto-region-no-dax");
    let l = file::load(&d.join("scenario.scn"), ReadOptions::default()).unwrap();
    assert!(srfuzz::triage::scenario_lines(&l.scenario) <= 12);
    let text = std::fs::read_to_string(d.join("report.txt")).unwrap();
    assert!(text.lines().count() <= 64, "{} lines", text.lines().count());
    let bisection = std::fs::read_to_string(d.join("bisect.txt")).unwrap();
    assert!(
        bisection.contains(
            "first shows with v4 6/9 \"cxl/region: Add register_dax flag to defer\n  DAX setup\""
        ),
        "{bisection}"
    );
}

/// The text form is plain ASCII within 72 columns (a line holding only a link excepted).
fn assert_mail_ready(text: &str) {
    for (i, l) in text.lines().enumerate() {
        assert!(l.is_ascii(), "line {}: not ASCII: {l}", i + 1);
        let link_only = l.trim().starts_with("https://") && !l.trim().contains(' ');
        assert!(
            l.len() <= report::WIDTH || link_only,
            "line {} has {} columns: {l}",
            i + 1,
            l.len()
        );
    }
}

fn fixture(name: &str) -> srfuzz::scenario::Scenario {
    file::load(
        &root().join("tests/fixtures").join(name),
        ReadOptions::default(),
    )
    .unwrap()
    .scenario
}

/// A spec finding's report in the three formats, pinned (`cargo insta review` after a change).
#[test]
fn spec_report_formats_are_golden() {
    let s = fixture("v4-no-hmem-boot.scn");
    let target = Target {
        check: Check::Spec,
        title: "leak: auto-assembled region never gets dax [register_dax-v4, DEV_DAX_HMEM=n]"
            .into(),
    };
    assert!(target.shows(&s));
    let b = bisect(&target, &s);
    let r = report::build(
        &target,
        &s,
        "tests/fixtures/v4-no-hmem-boot.scn",
        false,
        Some(&b),
    );
    let text = report::text(&r);
    assert_mail_ready(&text);
    insta::assert_snapshot!("spec_text", text);
    insta::assert_snapshot!("spec_markdown", report::markdown(&r));
    insta::assert_snapshot!("spec_json", report::json(&r));
}

/// Every report in reports/ is mail-ready.
#[test]
fn shipped_reports_are_mail_ready() {
    for e in std::fs::read_dir(root().join("reports")).unwrap() {
        let p = e.unwrap().path().join("report.txt");
        if p.is_file() {
            assert_mail_ready(&std::fs::read_to_string(&p).unwrap());
        }
    }
}

/// The design matrix says what the designs' history says: the fix proposed for v4 without HMEM
/// removes the HMEM-disabled divergence that v4 (and v5, whose dax_cxl defers forever without
/// HMEM) shows against mainline.
#[test]
fn the_matrix_shows_the_fix_for_v4_without_hmem() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let md = std::fs::read_to_string(root.join("reports/matrix.md")).unwrap();
    let row = md
        .lines()
        .find(|l| l.starts_with("| [register_dax-v4-no-hmem-auto-region-no-dax]"))
        .expect("the HMEM-disabled row");
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    // The columns by the header's design names: | root cause | mainline | v3 | … |
    let header: Vec<&str> = md
        .lines()
        .find(|l| l.starts_with("| root cause |"))
        .expect("the header row")
        .split('|')
        .map(str::trim)
        .collect();
    let cell = |design: &str| {
        let i = header
            .iter()
            .position(|h| *h == design)
            .unwrap_or_else(|| panic!("no column {design}"));
        cells[i]
    };
    let got: Vec<&str> = [
        "mainline",
        "register_dax-v4",
        "register_dax-v4-fixed",
        "dax_cxl_mode-v5",
    ]
    .into_iter()
    .map(cell)
    .collect();
    assert_eq!(got, ["base", "differs", "-", "differs"], "{row}");
    assert!(root.join("reports/matrix.txt").is_file());
}
