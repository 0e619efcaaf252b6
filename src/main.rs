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
        } => {
            let designs = pick_designs(&designs)?;
            let mut files = Vec::new();
            for p in &paths {
                collect(p, &mut files)?;
            }
            let mut found = false;
            for f in &files {
                let s = load(f)?;
                found |= run_file(f, &s, &designs, timeline);
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
/// difference between them. True if a problem or a difference was found.
fn run_file(path: &Path, s: &Scenario, designs: &[&'static Design], timeline: bool) -> bool {
    println!("=== {}", path.display());
    let mut found = false;
    let mut runs = Vec::new();
    for d in designs {
        let run = model::run(d, s);
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
        let judged = checks::judge_run(d, &run.observations);
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
    for f in files {
        let s = load(f)?;
        let findings: Vec<srfuzz_oracle::Finding> = match check {
            Check::Differential(a, b) => checks::new_difference(&s, a, b, known)
                .map(|d| srfuzz_oracle::Finding::from_difference(&d, a.name, b.name))
                .into_iter()
                .collect(),
            Check::Spec => designs::all()
                .iter()
                .flat_map(|d| checks::judge_design(&s, d).findings)
                .filter(|fd| known.lookup(fd).is_none())
                .collect(),
            Check::Order => designs::all()
                .iter()
                .flat_map(|d| {
                    checks::order_findings(&s, d)
                        .into_iter()
                        .filter(move |fd| d.declaration(&fd.title).is_none())
                })
                .filter(|fd| known.lookup(fd).is_none())
                .collect(),
        };
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
        "{} files, {} distinct new findings ({what}), {none} without one",
        files.len(),
        groups.len(),
    );
    for (title, n, first, detail) in &groups {
        println!("{n:6}  {title}");
        println!("        e.g. {}: {detail}", first.display());
    }
    Ok(())
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
