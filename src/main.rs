//! The srfuzz command line: list designs, run scenarios on them, print artifacts as scenarios,
//! and measure the model's speed.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use srfuzz::checks;
use srfuzz::designs::{self, Design};
use srfuzz::model;
use srfuzz::scenario::{gen, text, Scenario};
use srfuzz_oracle::KnownList;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A run allocates many small objects (devices, tasks, futures, observations); mimalloc makes
/// that markedly cheaper than glibc's allocator (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "srfuzz",
    version,
    about = "Fuzz and diff the Linux Soft Reserved ownership designs (CXL vs HMEM)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the designs with one line each.
    Designs,
    /// Run scenario files (`.scn` text scenarios, anything else as a raw fuzzer artifact;
    /// directories are walked) on designs and print /proc/iomem, ownership and outcome; with
    /// exactly two designs, also their first difference. Exit 0: nothing found; 1: a problem
    /// or a difference was found; 2: bad input.
    Run {
        /// Scenario files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Comma-separated design names (default: every design).
        #[arg(long, value_delimiter = ',')]
        designs: Vec<String>,
        /// Also print each run's timeline.
        #[arg(long)]
        timeline: bool,
        /// Also list the findings mainline shows too on the same scenario (counted, not
        /// listed, by default).
        #[arg(long)]
        all: bool,
    },
    /// Group scenario files (fuzzer artifacts, `.scn`) by the first new finding a check makes
    /// on them, as the fuzz target of that check would: one line per distinct finding title,
    /// with how many files show it and the first of them.
    Triage {
        /// Scenario files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The check: differential, spec or order.
        #[arg(long, default_value = "differential")]
        check: String,
        /// For the differential check, the two designs (default: register_dax-v4,dax_cxl_mode-v5).
        #[arg(long, value_delimiter = ',')]
        designs: Vec<String>,
        /// Known-findings file whose entries are skipped, as the fuzz target does (`none`: skip
        /// nothing; default: the shipped reports/known-findings.txt).
        #[arg(long)]
        known: Option<String>,
    },
    /// Print a raw fuzzer artifact as scenario text.
    Fmt {
        /// The artifact.
        artifact: PathBuf,
    },
    /// Generate random scenarios for a while and judge each with every check — the spec check
    /// and order independence on every design, the differential check on the pairs given —
    /// then print the distinct new finding titles with how often each appeared (new: neither
    /// known, declared nor shown by mainline on the same scenario) and how many titles mainline
    /// shares. With `--out DIR`, the first scenario of each new title is written there as text.
    /// Platforms have no quirks unless `SRFUZZ_QUIRKS` names some.
    Census {
        /// How long to generate.
        #[arg(long, default_value_t = 60.0)]
        seconds: f64,
        /// Seed of the generator's byte stream.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Design pairs for the differential check, `a,b` each (default: the pair under review
        /// and register_dax-v4,mainline).
        #[arg(long = "pair")]
        pairs: Vec<String>,
        /// Directory to write one example scenario per new title into.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Measure scenario runs per second on generated scenarios (single thread).
    Bench {
        /// One design (scenario runs/s) or two, comma-separated (differential checks/s).
        #[arg(long, value_delimiter = ',', default_value = "mainline")]
        designs: Vec<String>,
        /// How long to run.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Seed of the scenario generator's byte stream.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("srfuzz: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Designs => {
            for d in designs::all() {
                println!("{:<24} {}", d.name, d.summary);
                for p in d.patches {
                    println!("{:<24}   + {}", "", p.subject);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run {
            paths,
            designs,
            timeline,
            all,
        } => {
            let designs = pick_designs(&designs)?;
            let mut files = Vec::new();
            for p in &paths {
                collect(p, &mut files)?;
            }
            let mut found = false;
            for f in &files {
                let s = load(f)?;
                found |= run_file(f, &s, &designs, timeline, all);
            }
            Ok(if found {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Cmd::Triage {
            paths,
            check,
            designs,
            known,
        } => {
            let pair = if designs.is_empty() {
                checks::DEFAULT_PAIR.to_string()
            } else {
                designs.join(",")
            };
            let [a, b] = checks::design_pair(&pair).map_err(anyhow::Error::msg)?;
            let mut files = Vec::new();
            for p in &paths {
                collect(p, &mut files)?;
            }
            let known = match known.as_deref() {
                None => KnownList::parse("reports/known-findings.txt", checks::KNOWN_FINDINGS),
                Some("none") => Ok(KnownList::default()),
                Some(path) => std::fs::read_to_string(path)
                    .map_err(|e| format!("{path}: {e}"))
                    .and_then(|t| KnownList::parse(path, &t)),
            }
            .map_err(anyhow::Error::msg)?;
            let check = match check.as_str() {
                "differential" => Check::Differential(a, b),
                "spec" => Check::Spec,
                "order" => Check::Order,
                other => bail!("unknown check `{other}`: expected differential, spec or order"),
            };
            triage(&files, check, &known)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Fmt { artifact } => {
            let bytes = std::fs::read(&artifact)
                .with_context(|| format!("reading {}", artifact.display()))?;
            let quirks = gen::quirks_from_env().map_err(anyhow::Error::msg)?;
            print!(
                "{}",
                text::print(&gen::scenario_from_bytes_with(&bytes, quirks))
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Census {
            seconds,
            seed,
            pairs,
            out,
        } => {
            let pairs = if pairs.is_empty() {
                vec![
                    checks::DEFAULT_PAIR.to_string(),
                    "register_dax-v4,mainline".to_string(),
                ]
            } else {
                pairs
            };
            let pairs = pairs
                .iter()
                .map(|p| checks::design_pair(p).map_err(anyhow::Error::msg))
                .collect::<Result<Vec<_>>>()?;
            census(seconds, seed, &pairs, out.as_deref())
        }
        Cmd::Bench {
            designs,
            seconds,
            seed,
        } => {
            let ds = pick_designs(&designs)?;
            if ds.len() > 2 {
                bail!("bench takes one design or two, got {}", ds.len());
            }
            bench(&ds, seconds, seed);
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn pick_designs(names: &[String]) -> Result<Vec<&'static Design>> {
    if names.is_empty() {
        return Ok(designs::all().iter().collect());
    }
    names
        .iter()
        .map(|n| {
            designs::by_name(n).with_context(|| {
                let known: Vec<_> = designs::all().iter().map(|d| d.name).collect();
                format!("unknown design `{n}`: expected one of {}", known.join(", "))
            })
        })
        .collect()
}

/// Files below `p` (sorted, so runs are in a stable order).
fn collect(p: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(p).with_context(|| format!("reading {}", p.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
            .with_context(|| format!("listing {}", p.display()))?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .with_context(|| format!("listing {}", p.display()))?;
        entries.sort();
        for e in entries {
            if e.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            collect(&e, out)?;
        }
    } else {
        out.push(p.to_path_buf());
    }
    Ok(())
}

/// A text scenario (a `.scn` file) or a raw fuzzer artifact (anything else).
fn load(path: &Path) -> Result<Scenario> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if path.extension().is_some_and(|e| e == "scn") {
        let text = std::str::from_utf8(&bytes)
            .with_context(|| format!("{}: a .scn scenario must be UTF-8 text", path.display()))?;
        return match text::parse(text) {
            Ok(sc) => Ok(sc),
            Err(e) => bail!("{}: {}", path.display(), e),
        };
    }
    // An artifact found with SRFUZZ_QUIRKS set needs the same setting to replay.
    let quirks = gen::quirks_from_env().map_err(anyhow::Error::msg)?;
    Ok(gen::scenario_from_bytes_with(&bytes, quirks))
}

/// Runs one scenario on each design and prints what each did; with two designs, the first
/// difference between them. True if a new problem or a difference was found.
fn run_file(
    path: &Path,
    s: &Scenario,
    designs: &[&'static Design],
    timeline: bool,
    all: bool,
) -> bool {
    println!("=== {}", path.display());
    let mut found = false;
    let mut runs = Vec::new();
    // Mainline's judgement is every design's baseline; its run serves mainline's own report.
    let mut mainline_run = Some(model::run(checks::mainline(), s));
    let baseline = checks::judge_run(
        checks::mainline(),
        &mainline_run.as_ref().expect("just made").observations,
    );
    for d in designs {
        let run = match mainline_run.take_if(|_| d.name == checks::MAINLINE) {
            Some(r) => r,
            None => model::run(d, s),
        };
        println!(
            "--- design {} ({} task steps, {} scheduling decisions)",
            d.name, run.steps, run.decisions
        );
        println!("kconfig (as this design's rules resolve it):");
        for l in run.kconfig.render().lines() {
            println!("  {l}");
        }
        for o in &run.observations {
            println!("[{}] outcome: {}", o.point, o.outcome);
            println!("/proc/iomem:");
            for l in o.iomem.lines() {
                println!("  {l}");
            }
            println!("ownership:");
            print!("{}", o.ownership_table());
        }
        let mut judged = checks::judge_run(d, &run.observations);
        judged.split_baseline(d, &baseline);
        let known = checks::known_from_env();
        for f in &judged.findings {
            match known.lookup(f) {
                Some(k) => println!("KNOWN {}\n  {} ({})", f.title, k.reason, k.link),
                None => {
                    println!("FINDING {}\n  {}", f.title, f.detail);
                    found = true;
                }
            }
        }
        for (f, decl) in &judged.declared {
            println!("DECLARED {}\n  {} ({})", f.title, decl.reason, decl.link);
        }
        if all {
            for f in &judged.pre_existing {
                println!("MAINLINE {}\n  {}", f.title, f.detail);
            }
        } else if !judged.pre_existing.is_empty() {
            println!(
                "{} finding(s) mainline shows too on this scenario (--all lists them)",
                judged.pre_existing.len()
            );
        }
        if timeline {
            println!("timeline:");
            for line in srfuzz::observe::timeline(&run.kernel) {
                println!("  {line}");
            }
        }
        runs.push(run);
    }
    if let [a, b] = &runs[..] {
        match srfuzz_oracle::first_difference(&a.observations, &b.observations) {
            Some(d) => {
                println!("DIFFERENCE: {}", d.describe(a.design, b.design));
                found = true;
            }
            None => println!("no difference between {} and {}", a.design, b.design),
        }
    }
    found
}

/// Which check `triage` replays.
#[derive(Clone, Copy)]
enum Check {
    Differential(&'static Design, &'static Design),
    Spec,
    Order,
}

/// Prints one line per distinct new (not known, not declared) finding over `files`, in order
/// of first appearance: for the differential check, each file's first new difference (what the
/// fuzz target stops on); for spec and order, every new finding of every design.
fn triage(files: &[PathBuf], check: Check, known: &KnownList) -> Result<()> {
    let mut groups: Vec<(String, usize, PathBuf, String)> = Vec::new();
    let mut none = 0;
    let mut pre_existing: Vec<String> = Vec::new();
    for f in files {
        let s = load(f)?;
        let (findings, old): (Vec<srfuzz_oracle::Finding>, Vec<srfuzz_oracle::Finding>) =
            match check {
                Check::Differential(a, b) => (
                    checks::new_difference(&s, a, b, known)
                        .map(|d| srfuzz_oracle::Finding::from_difference(&d, a.name, b.name))
                        .into_iter()
                        .collect(),
                    Vec::new(),
                ),
                Check::Spec => {
                    let mut new = Vec::new();
                    let mut old = Vec::new();
                    for (_, j) in checks::judge_all(&s) {
                        new.extend(j.findings);
                        old.extend(j.pre_existing);
                    }
                    (new, old)
                }
                Check::Order => {
                    let mut new = Vec::new();
                    let mut old = Vec::new();
                    for (_, n, o) in checks::order_all(&s) {
                        new.extend(n);
                        old.extend(o);
                    }
                    (new, old)
                }
            };
        let findings: Vec<_> = findings
            .into_iter()
            .filter(|fd| known.lookup(fd).is_none())
            .collect();
        for o in old {
            if !pre_existing.contains(&o.title) {
                pre_existing.push(o.title);
            }
        }
        if findings.is_empty() {
            none += 1;
        }
        for fd in findings {
            match groups.iter_mut().find(|g| g.0 == fd.title) {
                Some(g) => g.1 += 1,
                None => groups.push((fd.title, 1, f.clone(), fd.detail)),
            }
        }
    }
    let what = match check {
        Check::Differential(a, b) => format!("differential {} vs {}", a.name, b.name),
        Check::Spec => "spec".into(),
        Check::Order => "order".into(),
    };
    println!(
        "{} files, {} distinct new findings ({what}), {none} without one; {} distinct titles \
         mainline shows too",
        files.len(),
        groups.len(),
        pre_existing.len(),
    );
    for (title, n, first, detail) in &groups {
        println!("{n:6}  {title}");
        println!("        e.g. {}: {detail}", first.display());
    }
    Ok(())
}

/// One title's tally in a census.
struct Tally {
    check: &'static str,
    title: String,
    count: usize,
    example: Scenario,
}

/// See [`Cmd::Census`].
fn census(
    seconds: f64,
    seed: u64,
    pairs: &[[&'static Design; 2]],
    out: Option<&Path>,
) -> Result<ExitCode> {
    let known = checks::known_from_env();
    let quirks = gen::quirks_from_env().map_err(anyhow::Error::msg)?;
    let mut stream = gen::ByteStream::new(seed);
    let mut new: Vec<Tally> = Vec::new();
    let mut old: Vec<String> = Vec::new();
    let mut scenarios = 0u64;
    let start = std::time::Instant::now();
    let mut tally = |check: &'static str, title: String, s: &Scenario| match new
        .iter_mut()
        .find(|t| t.check == check && t.title == title)
    {
        Some(t) => t.count += 1,
        None => new.push(Tally {
            check,
            title,
            count: 1,
            example: s.clone(),
        }),
    };
    while start.elapsed().as_secs_f64() < seconds {
        let len = 16 + stream.below(240);
        let s = gen::scenario_from_bytes_with(&stream.bytes(len), quirks);
        scenarios += 1;
        for (_, j) in checks::judge_all(&s) {
            for f in j.findings.iter().filter(|f| known.lookup(f).is_none()) {
                tally("spec", f.title.clone(), &s);
            }
            old.extend(j.pre_existing.into_iter().map(|f| f.title));
        }
        for (_, n, o) in checks::order_all(&s) {
            for f in n.iter().filter(|f| known.lookup(f).is_none()) {
                tally("order", f.title.clone(), &s);
            }
            old.extend(o.into_iter().map(|f| f.title));
        }
        for [a, b] in pairs {
            if let Some(d) = checks::new_difference(&s, a, b, known) {
                let f = srfuzz_oracle::Finding::from_difference(&d, a.name, b.name);
                tally("differential", f.title, &s);
            }
        }
        old.sort_unstable();
        old.dedup();
    }
    let per = |c: &str| new.iter().filter(|t| t.check == c).count();
    println!(
        "{scenarios} scenarios in {:.1} s (seed {seed}): {} distinct new titles (spec {}, order \
         {}, differential {}), {} distinct titles mainline shows too",
        start.elapsed().as_secs_f64(),
        new.len(),
        per("spec"),
        per("order"),
        per("differential"),
        old.len()
    );
    for t in &new {
        println!("{:7}  {:<12} {}", t.count, t.check, t.title);
    }
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (i, t) in new.iter().enumerate() {
            let path = dir.join(format!("{i:03}-{}.scn", t.check));
            let body = format!(
                "# {} ({} of {scenarios} scenarios)\n{}",
                t.title,
                t.count,
                text::print(&t.example)
            );
            std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(if new.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs generated scenarios for `seconds` and prints the rate: scenario runs of one design,
/// or differential checks of a pair (both designs run, then compared — the fuzz target's work
/// without libFuzzer).
fn bench(designs: &[&'static Design], seconds: f64, seed: u64) {
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
        _ => unreachable!("checked by the caller"),
    };
    // Warm up, then measure.
    inputs.iter().take(256).for_each(once);
    let start = std::time::Instant::now();
    let mut runs = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        for s in inputs.iter().take(512) {
            once(s);
            runs += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let what = match designs {
        [d] => format!("design {}: {runs} runs", d.name),
        _ => format!(
            "designs {},{}: {runs} differential checks",
            designs[0].name, designs[1].name
        ),
    };
    println!(
        "{what} in {secs:.2} s = {:.0}/s (generated scenarios, seed {seed}, one thread)",
        runs as f64 / secs
    );
}
