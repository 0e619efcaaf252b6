//! The `srfuzz` binary as a user meets it: formats recognized by content, exit codes as
//! documented, clear refusals of bad input, no panic on a closed pipe.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

const REPRO: &str = "reports/register_dax-v4-no-hmem-auto-region-no-dax/scenario.scn";

fn srfuzz() -> Command {
    let mut c = Command::cargo_bin("srfuzz").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("SRFUZZ_DESIGNS")
        .env_remove("SRFUZZ_KNOWN")
        .env_remove("SRFUZZ_QUIRKS");
    c
}

/// A scratch directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("srfuzz-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn overlapping_windows_are_refused_with_the_rule_and_line() {
    let dir = scratch("overlap");
    let path = dir.join("overlap.scn");
    std::fs::write(
        &path,
        "[platform]\nhost-bridge 0\nwindow 0x850000000 size=128G targets=0\n\
         window 0x1850000000 size=128G targets=0\n",
    )
    .unwrap();
    let out = srfuzz().arg("run").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("overlap.scn: line 4: breaks platform rule `window-overlap`"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty(), "nothing runs before the error");
}

/// The repro replays from its text, exits 1 (a finding), and a `.txt` copy is read as the same
/// scenario (the name never decides the format).
#[test]
fn the_repro_replays_and_a_txt_copy_is_still_a_scenario() {
    let out = srfuzz().args(["replay", REPRO]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("REPRODUCED "), "{}", stdout(&out));
    let dir = scratch("txt");
    let copy = dir.join("repro.txt");
    std::fs::copy(REPRO, &copy).unwrap();
    let out = srfuzz().arg("replay").arg(&copy).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = srfuzz()
        .arg("run")
        .arg(&copy)
        .args(["--designs", "register_dax-v4,mainline", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("DIFFERENCE region difference"),
        "{}",
        stdout(&out)
    );
}

/// A file that starts like scenario text but does not parse is an error with its line, whatever
/// its name — for `run` and for `fmt` — never fuzzer bytes.
#[test]
fn malformed_text_exits_2_whatever_its_name() {
    let dir = scratch("malformed");
    for name in ["bad.scn", "bad.txt", "bad.SCN", "crash-0123"] {
        let p = dir.join(name);
        std::fs::write(&p, "[platform]\nhost-bridge 0\nwindow 0x850000000 size=\n").unwrap();
        for cmd in ["run", "fmt"] {
            let out = srfuzz().arg(cmd).arg(&p).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{cmd} {name}: {}", stdout(&out));
            assert!(
                stderr(&out).contains(&format!("{name}: line 3: bad window size")),
                "{cmd} {name}: {}",
                stderr(&out)
            );
        }
    }
    // Non-UTF-8 text names its line too.
    let p = dir.join("latin1.scn");
    std::fs::write(&p, b"# caf\xe9\n[platform]\n").unwrap();
    let out = srfuzz().arg("run").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("latin1.scn: line 1: not UTF-8"),
        "{}",
        stderr(&out)
    );
}

/// Raw input stamped by another generator version is refused, saying why; one stamped by this
/// generator replays.
#[test]
fn raw_input_of_another_generator_is_refused() {
    let dir = scratch("raw");
    let mut bytes = b"srfuzz-raw generator=999 quirks=\n".to_vec();
    bytes.extend_from_slice(&[7, 1, 2, 3]);
    let p = dir.join("old.raw");
    std::fs::write(&p, &bytes).unwrap();
    let out = srfuzz().arg("fmt").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("raw input from generator version 999"), "{e}");
    assert!(e.contains("Replay the scenario text"), "{e}");
    let raw = "reports/register_dax-v4-no-hmem-auto-region-no-dax/input.raw";
    let out = srfuzz()
        .args([
            "run",
            raw,
            "--designs",
            "register_dax-v4,mainline",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
}

/// A closed pipe ends the process quietly: no panic, no status 101.
#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_srfuzz"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "corpus", "corpus", "corpus"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is dropped here: every later write hits a closed pipe.
    let out = child.wait_with_output().unwrap();
    assert_ne!(out.status.code(), Some(101), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

/// A design given twice where two are meant is an error, and so are three.
#[test]
fn duplicate_or_extra_designs_are_errors() {
    for args in [
        vec!["run", REPRO, "--designs", "mainline,mainline"],
        vec!["bench", "--designs", "mainline,mainline", "--seconds", "0"],
        vec!["triage", REPRO, "--designs", "mainline,mainline"],
        vec!["report", REPRO, "--designs", "mainline,mainline"],
        vec![
            "report",
            REPRO,
            "--designs",
            "mainline,register_dax-v4,dax_cxl_mode-v5",
        ],
        vec![
            "census",
            "--seconds",
            "0",
            "--pair",
            "register_dax-v4,register_dax-v4",
        ],
    ] {
        let out = srfuzz().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        assert!(!stderr(&out).is_empty(), "{args:?}");
    }
}

/// `triage` exits 1 when a new root cause exists and 0 when none does, honours
/// SRFUZZ_DESIGNS, and refuses flags that contradict the campaign's record.
#[test]
fn triage_exit_codes_env_and_campaign_record() {
    let dir = scratch("triage");
    std::fs::copy(REPRO, dir.join("repro.scn")).unwrap();
    let out = srfuzz()
        .arg("triage")
        .arg(&dir)
        .env("SRFUZZ_DESIGNS", "register_dax-v4,mainline")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("1 new root cause(s) from 1 new title(s)"),
        "{text}"
    );
    assert!(
        text.contains("blamed: cxl/region: Add register_dax flag to defer DAX setup"),
        "{text}"
    );
    // The fixed design has no such problem: nothing new.
    let out = srfuzz()
        .arg("triage")
        .arg(&dir)
        .args(["--designs", "register_dax-v4-fixed,mainline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // The campaign's record decides; a contradicting flag is an error.
    std::fs::write(
        dir.join("srfuzz-campaign.txt"),
        "check: differential\ndesigns: register_dax-v4,mainline\nknown: shipped\ngenerator: 1\n",
    )
    .unwrap();
    let out = srfuzz().arg("triage").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("as the campaign recorded"),
        "{}",
        stdout(&out)
    );
    let out = srfuzz()
        .arg("triage")
        .arg(&dir)
        .args(["--check", "spec"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("the campaign record"),
        "{}",
        stderr(&out)
    );
    // A record from another generator makes its bare artifacts unreadable, loudly.
    std::fs::write(
        dir.join("srfuzz-campaign.txt"),
        "check: spec\ngenerator: 999\n",
    )
    .unwrap();
    std::fs::write(dir.join("crash-00"), [0u8, 1, 2, 250, 3]).unwrap();
    let out = srfuzz().arg("triage").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("generator version 999"),
        "{}",
        stderr(&out)
    );
}

/// `minimize` writes a stamped, 1-minimal scenario that replays; `report` and `bisect` name
/// v4 6/9.
#[test]
fn minimize_report_and_bisect_the_raw_input() {
    let dir = scratch("minimize");
    let out_path = dir.join("min.scn");
    let raw = "reports/register_dax-v4-no-hmem-auto-region-no-dax/input.raw";
    let title = srfuzz::scenario::file::Meta::parse(&std::fs::read_to_string(REPRO).unwrap())
        .finding
        .unwrap();
    let out = srfuzz()
        .args([
            "minimize",
            raw,
            "--designs",
            "register_dax-v4,mainline",
            "--finding",
        ])
        .arg(&title)
        .arg("-o")
        .arg(&out_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let written = std::fs::read_to_string(&out_path).unwrap();
    assert!(
        written.starts_with("# srfuzz scenario, format 1\n# srfuzz: "),
        "{written}"
    );
    let out = srfuzz().arg("replay").arg(&out_path).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let out = srfuzz().args(["bisect", REPRO]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("first shows with v4 6/9 \"cxl/region: Add register_dax flag to"),
        "{}",
        stdout(&out)
    );
    for format in ["text", "markdown", "json"] {
        let out = srfuzz()
            .args(["report", REPRO, "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}: {}", stderr(&out));
        assert!(stdout(&out).contains("v4 6/9"), "{format}");
    }
    // Nothing to work on is an error, not an empty report.
    let out = srfuzz()
        .args([
            "report",
            REPRO,
            "--designs",
            "register_dax-v4-fixed,mainline",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no new finding"), "{}", stderr(&out));
}

/// `run` ends with a summary table, `--format json` is JSON, exit codes as documented.
#[test]
fn run_summary_json_and_exit_codes() {
    let out = srfuzz()
        .args([
            "run",
            "corpus/mainline-cxl-owns-region.scn",
            "--designs",
            "mainline",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("\nsummary: "), "{text}");
    assert!(
        text.trim_end().ends_with("1 scenario(s), 0 new finding(s)"),
        "{text}"
    );
    let out = srfuzz()
        .args([
            "run",
            REPRO,
            "--designs",
            "register_dax-v4,mainline",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v[0]["difference"]
        .as_str()
        .unwrap()
        .starts_with("region difference"));
    // A directory walk takes scenario inputs only: reports/ has READMEs and JSON beside them.
    let out = srfuzz()
        .args(["run", "reports", "--quiet"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(Path::new("reports/README.md").exists());
}

/// `designs --patches` lists each patch with its label and link.
#[test]
fn designs_lists_patches_with_links() {
    let out = srfuzz().args(["designs", "--patches"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.contains("v4 6/9"), "{text}");
    assert!(
        text.contains("https://lore.kernel.org/all/20251120031925.87762-7-Smita.KoralahalliChannabasappa@amd.com/"),
        "{text}"
    );
}

/// `hunt` on a budget in inputs: findings kept as stamped, replayable files; root causes
/// written to the reports directory with the table; exit 1 for new root causes.
#[test]
fn hunt_keeps_findings_and_writes_root_causes() {
    let dir = scratch("hunt");
    let (findings, reports) = (dir.join("findings"), dir.join("reports"));
    let out = srfuzz()
        .args([
            "hunt",
            "--runs",
            "400",
            "--jobs",
            "2",
            "--check",
            "differential",
        ])
        .args(["--designs", "register_dax-v4,mainline"])
        .arg("--findings")
        .arg(&findings)
        .arg("--reports")
        .arg(&reports)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("800 scenarios in "), "{text}");
    assert!(text.contains("NEW      differential"), "{text}");
    let kept: Vec<_> = std::fs::read_dir(&findings)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "scn"))
        .collect();
    assert!(!kept.is_empty());
    let out = srfuzz().arg("replay").args(&kept).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(!stdout(&out).contains("NOT REPRODUCED"), "{}", stdout(&out));
    assert!(reports.join("README.md").is_file());
}

/// Ctrl-C stops a hunt early and still triages what it found: nothing found is lost.
#[test]
fn an_interrupted_hunt_still_triages() {
    let dir = scratch("hunt-int");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_srfuzz"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["hunt", "--time", "60", "--jobs", "1", "--check", "spec"])
        .arg("--findings")
        .arg(dir.join("findings"))
        .arg("--reports")
        .arg(dir.join("reports"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let start = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        start.elapsed().as_secs() < 30,
        "the hunt did not stop on Ctrl-C"
    );
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    assert!(stdout(&out).contains("root cause(s)"), "{}", stdout(&out));
}

/// `explore` exits 1 when a design ends in more than one way, and each finding it writes with
/// `--out` is a stamped repro that `replay` reproduces (exit 1).
#[test]
fn explore_writes_findings_that_replay() {
    let dir = scratch("explore");
    let o = srfuzz()
        .args([
            "explore",
            "reports/v4-order-dependence-region-differs-4/scenario.scn",
            "--designs",
            "register_dax-v4",
            "--max-runs",
            "20000",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("2 distinct outcome(s)"),
        "{}",
        stdout(&o)
    );
    let written: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!written.is_empty());
    for p in written {
        let r = srfuzz().arg("replay").arg(&p).output().unwrap();
        assert_eq!(r.status.code(), Some(1), "{}: {}", p.display(), stdout(&r));
    }
}

/// A finding mainline shows too on the same scenario is labelled so and not written as a repro
/// (`replay` would not reproduce it as new), and a variant is named as written.
#[test]
fn explore_labels_what_mainline_shares_and_names_variants() {
    let dir = scratch("explore-mainline-too");
    let o = srfuzz()
        .args([
            "explore",
            "tests/fixtures/assembly-failure-with-hmem-test.scn",
            "--designs",
            "v8,v8~9/9",
            "--max-runs",
            "50000",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(
        out.contains("--- v8: ") && out.contains("--- v8~9/9: "),
        "{out}"
    );
    assert!(
        out.contains("[v8~9/9, hmem_test=1]") && out.contains("MAINLINE TOO"),
        "{out}"
    );
    assert!(!out.contains("written to"), "{out}");
    assert!(!dir.exists() || std::fs::read_dir(&dir).unwrap().next().is_none());
}
