//! Benchmarks the CLI runs (`srfuzz bench`): the model's rate on generated scenarios, and how
//! long minimization takes per repro. Speed is measured here and in the fuzz targets, never in
//! tests (BENCHMARKS.md).

use crate::checks::{self, Target};
use crate::designs::Design;
use crate::minimize::minimize;
use crate::model;
use crate::scenario::{gen, Scenario};

/// Runs (one design) or differential checks (two) of generated scenarios from the byte stream
/// of `seed` for `seconds`, after a warm-up: `(count, seconds)`. Two designs do the
/// differential fuzz target's work without libFuzzer.
pub fn rate(designs: &[&'static Design], seconds: f64, seed: u64) -> (u64, f64) {
    let mut stream = gen::ByteStream::new(seed);
    let inputs: Vec<Scenario> = (0..4096)
        .map(|_| {
            let len = 16 + stream.below(240);
            gen::scenario_from_bytes(&stream.bytes(len))
        })
        .collect();
    let known = srfuzz_oracle::KnownList::default();
    let once = |s: &Scenario| match designs {
        [d] => drop(std::hint::black_box(model::run_for_judging(d, s))),
        [a, b] => drop(std::hint::black_box(checks::new_difference(
            s, a, b, &known,
        ))),
        _ => panic!("bench takes one design or two"),
    };
    inputs.iter().take(256).for_each(once);
    let start = std::time::Instant::now();
    let mut runs = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        for s in inputs.iter().take(512) {
            once(s);
            runs += 1;
        }
    }
    (runs, start.elapsed().as_secs_f64())
}

/// Minimization of one input, timed.
#[derive(Clone, Debug)]
pub struct MinimizeTiming {
    /// Scenario lines before and after.
    pub lines: (usize, usize),
    /// Runs of the check one minimization makes.
    pub evaluations: usize,
    /// Seconds per minimization, sorted.
    pub seconds: Vec<f64>,
}

impl MinimizeTiming {
    /// The median time.
    pub fn median(&self) -> f64 {
        self.seconds[self.seconds.len() / 2]
    }
}

/// Minimizes `s` for `target` `times` times.
pub fn minimize_timing(target: &Target, s: &Scenario, times: usize) -> MinimizeTiming {
    let mut seconds = Vec::with_capacity(times);
    let mut last = None;
    for _ in 0..times.max(1) {
        let start = std::time::Instant::now();
        last = Some(minimize(s, &mut |c| target.shows(c)));
        seconds.push(start.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    let m = last.expect("at least one run");
    MinimizeTiming {
        lines: (
            crate::triage::scenario_lines(s),
            crate::triage::scenario_lines(&m.scenario),
        ),
        evaluations: m.evaluations,
        seconds,
    }
}

/// Time to first finding with the hunt's engine: one job, from an empty start, until a title
/// matching `pattern` is recorded; `None` if `max_seconds` pass first. Findings go to a scratch
/// directory that is removed afterwards.
pub fn time_to_first(
    checks: &[crate::checks::Check],
    pattern: &str,
    seed: u64,
    max_seconds: f64,
    known: &srfuzz_oracle::KnownList,
    engine: crate::campaign::Engine,
) -> Option<f64> {
    use crate::campaign::{run, Plan, Progress};
    let dir = std::env::temp_dir().join(format!("srfuzz-ttff-{}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).ok()?;
    let plan = Plan {
        checks: checks.to_vec(),
        seconds: max_seconds,
        jobs: 1,
        seed,
        quirks: crate::scenario::Quirks::NONE,
        findings_dir: dir.clone(),
        runs_per_job: None,
        until: Some(pattern.to_string()),
        engine,
        corpus: Vec::new(),
    };
    let progress = Progress::default();
    let start = std::time::Instant::now();
    run(&plan, known, &progress);
    let secs = start.elapsed().as_secs_f64();
    let found = progress
        .recorded
        .lock()
        .map(|r| {
            r.iter()
                .any(|x| srfuzz_oracle::known::glob(pattern, &x.title))
        })
        .unwrap_or(false);
    let _ = std::fs::remove_dir_all(&dir);
    found.then_some(secs)
}

/// The cargo-fuzz target that runs `check` as the hunt does, and the environment it needs
/// (`SRFUZZ_DESIGNS` for a pair other than the `differential` target's default).
pub fn fuzz_target_of(check: crate::checks::Check) -> (&'static str, Option<String>) {
    use crate::checks::Check;
    match check {
        Check::Spec => ("spec", None),
        Check::Order => ("order", None),
        Check::Differential(a, b) if a.name == "register_dax-v4" && b.name == "mainline" => {
            ("differential_v4_mainline", None)
        }
        Check::Differential(a, b) => ("differential", Some(format!("{},{}", a.name, b.name))),
    }
}

/// Time to first finding under libFuzzer, the shipped fork-mode campaign (`-fork=1
/// -ignore_crashes=1`, empty corpus, empty known list): the target binary below `fuzzers` is
/// started with `seed`, and every crash artifact it writes is decoded and judged by the
/// target's check until one shows `target`'s title, or until `max_seconds`. Measured from
/// the spawn of the process; `None` when the title did not appear. Errors: the binary cannot
/// be started.
pub fn libfuzzer_time_to_first(
    fuzzers: &std::path::Path,
    target: &crate::checks::Target,
    seed: u64,
    max_seconds: f64,
) -> Result<Option<f64>, String> {
    use std::process::{Command, Stdio};
    let (name, designs) = fuzz_target_of(target.check);
    let bin = fuzzers.join(name);
    let dir = std::env::temp_dir().join(format!("srfuzz-lf-ttff-{}-{seed}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (corpus, artifacts) = (dir.join("corpus"), dir.join("artifacts"));
    for d in [&corpus, &artifacts] {
        std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }
    let mut cmd = Command::new(&bin);
    cmd.arg(&corpus)
        .arg("-fork=1")
        .arg("-ignore_crashes=1")
        .arg(format!("-seed={seed}"))
        .arg(format!("-max_total_time={}", max_seconds.ceil() as u64))
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .env("SRFUZZ_KNOWN", "none")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(d) = designs {
        cmd.env("SRFUZZ_DESIGNS", d);
    }
    let start = std::time::Instant::now();
    let mut child = cmd.spawn().map_err(|e| {
        format!(
            "{}: {e} (build it: cd fuzz && cargo fuzz build -s none)",
            bin.display()
        )
    })?;
    // The campaign runs to its own end (libFuzzer stops at -max_total_time; a fork-mode
    // parent killed early would leave its child running); the first artifact that shows the
    // title is timed as it appears.
    let mut seen: std::collections::HashSet<std::path::PathBuf> = Default::default();
    let mut found = None;
    loop {
        let mut hit = false;
        for e in std::fs::read_dir(&artifacts)
            .into_iter()
            .flatten()
            .flatten()
        {
            let p = e.path();
            if found.is_some() || !seen.insert(p.clone()) {
                continue;
            }
            if let Ok(bytes) = std::fs::read(&p) {
                if target.shows(&crate::scenario::gen::scenario_from_bytes(&bytes)) {
                    hit = true;
                }
            }
        }
        let secs = start.elapsed().as_secs_f64();
        if hit && found.is_none() && secs <= max_seconds {
            found = Some(secs);
        }
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(if found.is_some() {
            100
        } else {
            10
        }));
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(found)
}
