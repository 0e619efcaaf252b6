//! The srfuzz command line: list designs, run scenarios on them, print artifacts as scenarios,
//! and measure the model's speed.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use srfuzz::designs::{self, Design};
use srfuzz::model;
use srfuzz::scenario::{gen, text, Scenario};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
    /// Group scenario files (fuzzer artifacts, `.scn`) by the first difference between two
    /// designs: one line per distinct difference (numbers and addresses erased), with how many
    /// files show it and the first of them.
    Triage {
        /// Scenario files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The two designs to compare (default: register_dax-v4,dax_cxl_mode-v5).
        #[arg(long, value_delimiter = ',')]
        designs: Vec<String>,
    },
    /// Print a raw fuzzer artifact as scenario text.
    Fmt {
        /// The artifact.
        artifact: PathBuf,
    },
    /// Measure scenario runs per second on generated scenarios (single thread).
    Bench {
        /// Design to run.
        #[arg(long, default_value = "mainline")]
        design: String,
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
        Cmd::Triage { paths, designs } => {
            let spec = if designs.is_empty() {
                srfuzz::checks::DEFAULT_PAIR.to_string()
            } else {
                designs.join(",")
            };
            let [a, b] = srfuzz::checks::design_pair(&spec).map_err(anyhow::Error::msg)?;
            let mut files = Vec::new();
            for p in &paths {
                collect(p, &mut files)?;
            }
            triage(&files, a, b)?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Fmt { artifact } => {
            let bytes = std::fs::read(&artifact)
                .with_context(|| format!("reading {}", artifact.display()))?;
            print!("{}", text::print(&gen::scenario_from_bytes(&bytes)));
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bench {
            design,
            seconds,
            seed,
        } => {
            let d = pick_designs(&[design])?[0];
            bench(d, seconds, seed);
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
    Ok(gen::scenario_from_bytes(&bytes))
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
        for o in &run.observations {
            println!("[{}] outcome: {}", o.point, o.outcome);
            println!("/proc/iomem:");
            for l in o.iomem.lines() {
                println!("  {l}");
            }
            println!("ownership:");
            print!("{}", o.ownership_table());
        }
        let problems = run.last().problems();
        for p in &problems {
            println!("PROBLEM [{}]: {p}", d.name);
        }
        found |= !problems.is_empty();
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

/// Prints one line per distinct first difference over `files`, in order of first appearance.
fn triage(files: &[PathBuf], a: &'static Design, b: &'static Design) -> Result<()> {
    let mut groups: Vec<(String, usize, PathBuf, String)> = Vec::new();
    let mut same = 0;
    for f in files {
        let s = load(f)?;
        match srfuzz::checks::differential(&s, a, b) {
            Some(d) => {
                let key = d.key();
                match groups.iter_mut().find(|g| g.0 == key) {
                    Some(g) => g.1 += 1,
                    None => groups.push((key, 1, f.clone(), d.describe(a.name, b.name))),
                }
            }
            None => same += 1,
        }
    }
    println!(
        "{} files, {} distinct differences between {} and {}, {} without difference",
        files.len(),
        groups.len(),
        a.name,
        b.name,
        same
    );
    for (key, n, first, describe) in &groups {
        println!("{n:6}  {key}");
        println!("        e.g. {}: {describe}", first.display());
    }
    Ok(())
}

/// xorshift64*: the bench's deterministic byte stream.
fn next(state: &mut u64) -> u64 {
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    state.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn bench(d: &'static Design, seconds: f64, seed: u64) {
    let mut state = seed.max(1);
    let mut inputs: Vec<Scenario> = Vec::new();
    for _ in 0..4096 {
        let len = 16 + (next(&mut state) % 240) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| next(&mut state) as u8).collect();
        inputs.push(gen::scenario_from_bytes(&bytes));
    }
    // Warm up, then measure.
    for s in inputs.iter().take(256) {
        std::hint::black_box(model::run(d, s));
    }
    let start = std::time::Instant::now();
    let mut runs = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        for s in inputs.iter().take(512) {
            std::hint::black_box(model::run(d, s));
            runs += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "design {}: {runs} runs in {secs:.2} s = {:.0} runs/s (generated scenarios, seed {seed}, one thread)",
        d.name,
        runs as f64 / secs
    );
}
