//! The srfuzz command line: a thin layer over the pipeline's stages — scenario files
//! (`scenario::file`), runs (`model`), checks (`checks`), `minimize`, `bisect`, `report`,
//! `triage` and the reports/ archive (`archive`).
//!
//! Exit codes: 0 nothing new found (or the command did what it was asked), 1 something new
//! found (a finding, a difference, a root cause, a replayed finding, reports out of date), 2
//! bad input or a misconfiguration. A closed pipe ends the process quietly, as for any Unix
//! filter.

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};
use srfuzz::archive;
use srfuzz::bisect::bisect;
use srfuzz::checks::{self, Check, Target};
use srfuzz::designs::{self, Design};
use srfuzz::minimize::minimize;
use srfuzz::model;
use srfuzz::report;
use srfuzz::scenario::file::{self, Loaded, Meta, ReadOptions};
use srfuzz::scenario::{gen, text, Quirks};
use srfuzz::triage::{self, Campaign};
use srfuzz::{bench, campaign, census, explore};
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

/// How files are read: by content, or all as raw fuzzer input.
#[derive(clap::Args, Clone, Copy)]
struct Reading {
    /// Read every file as raw fuzzer bytes, whatever its content (files are otherwise
    /// recognized by content: scenario text starts with `#` or `[`).
    #[arg(long)]
    raw: bool,
}

/// Which finding a command works on.
#[derive(clap::Args, Clone)]
struct Which {
    /// The check: differential, spec or order (default: the file's `# check:` stamp, else
    /// spec with one design given, differential otherwise).
    #[arg(long)]
    check: Option<String>,
    /// The designs: two for the differential check (default: the stamp's, else
    /// register_dax-v4,dax_cxl_mode-v5), or one, whose findings alone are considered.
    #[arg(long, value_delimiter = ',')]
    designs: Vec<String>,
    /// The finding's title (default: the file's `# finding:` stamp, else the check's first new
    /// finding on the file).
    #[arg(long)]
    finding: Option<String>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum RunFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ReportFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Subcommand)]
enum Cmd {
    /// The main job: hunt for findings on every core, then their root causes in reports/.
    ///
    /// Generates scenarios and judges them with every check for a while, keeping the first
    /// input of each new finding (a finding never stops the hunt); then minimizes, bisects and
    /// groups them into root causes, writes each new one to reports/, and prints the table.
    /// Ctrl-C stops early and triages what was found. Exit 1 if a new root cause exists.
    Hunt(HuntArgs),
    /// List the designs, with their patches (`--patches`: and each patch's link).
    Designs {
        /// Also print each patch's link.
        #[arg(long)]
        patches: bool,
    },
    /// Run scenarios on designs: /proc/iomem, ownership, findings; with two designs, their
    /// first difference. Exit 1 if a new finding or a difference is found.
    #[command(
        long_about = "Run scenario files (recognized by content: scenario text, stamped raw \
        input or a raw fuzzer artifact; directories are walked for `.scn`, `.raw` and \
        extension-less files) on designs and print, per design, the resolved Kconfig, \
        /proc/iomem and ownership at every settle point and at the end, then the findings: \
        FINDING (new), KNOWN (in the known list), DECLARED (the design does it knowingly), and \
        how many mainline shows too (`--all` lists them). With exactly two designs, also their \
        first difference. Ends with a summary table. Exit 0: nothing new; 1: a new finding or a \
        difference; 2: bad input."
    )]
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
        /// Also list the findings mainline shows too (counted, not listed, by default).
        #[arg(long)]
        all: bool,
        /// Print only the findings, the differences and the summary table.
        #[arg(long)]
        quiet: bool,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: RunFormat,
        #[command(flatten)]
        reading: Reading,
    },
    /// Replay saved repros: run the check and finding each file's stamp names. Exit 1 if a
    /// finding is reproduced, 0 if none is.
    Replay {
        /// Stamped scenario files (reports/*/scenario.scn, `srfuzz minimize` output).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Group a campaign's inputs into root causes: replay each as the campaign judged it,
    /// minimize and bisect each new title once. Exit 1 if a new root cause exists.
    #[command(
        long_about = "Group a campaign's inputs (fuzzer artifacts, scenario files) into root \
        causes. Each file is judged with the check, design pair and known list the campaign \
        recorded next to its artifacts (srfuzz-campaign.txt), or else given here; every new \
        title is minimized once and bisected, and titles with the same kind, subject and \
        culprit patches are one root cause. Prints one line per root cause with its titles \
        folded under it. Exit 0: no new root cause; 1: new root causes; 2: bad input."
    )]
    Triage {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The check: differential, spec or order (default: the campaign's record, else
        /// differential).
        #[arg(long)]
        check: Option<String>,
        /// For the differential check, the two designs (default: the campaign's record, else
        /// register_dax-v4,dax_cxl_mode-v5).
        #[arg(long, env = "SRFUZZ_DESIGNS")]
        designs: Option<String>,
        /// Known-findings file whose entries are skipped (`none`: nothing; `shipped`: the
        /// shipped reports/known-findings.txt, the default).
        #[arg(long, env = "SRFUZZ_KNOWN")]
        known: Option<String>,
        /// Write each root cause's minimized repro and report to DIR/<name>/.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        reading: Reading,
    },
    /// Reduce a scenario to a 1-minimal one that shows the same finding, and write it stamped.
    Minimize {
        /// The scenario (text or raw).
        input: PathBuf,
        /// Where to write the minimized scenario (default: standard output).
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        which: Which,
        #[command(flatten)]
        reading: Reading,
    },
    /// Report a finding for a mail reply (text), a tracker (markdown) or tools (json).
    Report {
        /// The scenario (text or raw).
        input: PathBuf,
        #[command(flatten)]
        which: Which,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: ReportFormat,
        /// Write to FILE (atomically) instead of standard output.
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        reading: Reading,
    },
    /// Name the patches a finding needs: the first patch of the stack that shows it, and the
    /// smallest sets whose removal makes it go away.
    Bisect {
        /// The scenario (text or raw).
        input: PathBuf,
        #[command(flatten)]
        which: Which,
        #[command(flatten)]
        reading: Reading,
    },
    /// Write seed inputs for the byte fuzz targets into DIR: the raw input of every repro in
    /// reports/ (this generator's), for every hand-written scenario of the text corpus the
    /// first generated input of the same platform and event shape, and the first generated
    /// input of each other distinct shape.
    Seeds {
        /// Where to write them (one file each, named by a hash of its bytes).
        dir: PathBuf,
        /// The reports directory whose raw inputs to include.
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
        /// The text corpus whose scenarios' shapes the seeds must cover.
        #[arg(long, default_value = "corpus")]
        corpus: PathBuf,
    },
    /// Regenerate reports/ from each root cause's scenario.scn (`--verify`: only check that it
    /// is up to date; exit 1 if not).
    Reports {
        /// The reports directory.
        #[arg(long, default_value = "reports")]
        dir: PathBuf,
        /// Write nothing; exit 1 if a file is out of date or a repro no longer shows its finding.
        #[arg(long)]
        verify: bool,
    },
    /// Print a scenario file as canonical scenario text (raw input decoded by this generator).
    Fmt {
        /// The file.
        file: PathBuf,
        #[command(flatten)]
        reading: Reading,
    },
    /// Generate random scenarios for a while, judge each with every check, and print the
    /// distinct new titles. Exit 1 if any.
    #[command(
        long_about = "Generate random scenarios for a while and judge each with every check — \
        the spec check and order independence on every design, the differential check on the \
        pairs given — then print the distinct new finding titles with how often each appeared \
        (new: neither known, declared nor shown by mainline on the same scenario) and how many \
        titles mainline shares. With `--out DIR`, the first scenario of each new title is \
        written there as stamped text, with its stamped raw input. Platforms have no quirks \
        unless SRFUZZ_QUIRKS names some."
    )]
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
        /// Directory to write one example per new title into.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run every schedule of one scenario on each design: its distinct outcomes and findings,
    /// each with the shortest schedule that reaches it (exit 1 if a design ends in more than
    /// one way or shows a finding).
    Explore {
        /// The scenario (text or raw); leave it out with `--bound`.
        #[arg(required_unless_present = "bound", conflicts_with = "bound")]
        input: Option<PathBuf>,
        /// Instead of one scenario, every combination of a bound: a preset (`tiny`, `small`,
        /// `series`) or `shapes=A+B,kconfig=K+L,events=E+F` (shapes: cxl-sr, cxl-empty,
        /// assembly-failure, hmem-only, tiled, two-windows; kconfig: all, modular, builtin or
        /// three letters for the CXL drivers y/m, DEV_DAX_HMEM and DEV_DAX_CXL y/m/n; events:
        /// boot, reload-hmem, reload-dax-cxl). Prints per design the combinations exhausted,
        /// those that end in more than one way, and each finding as new, known or mainline
        /// too (exit 1 if a new one).
        #[arg(long)]
        bound: Option<String>,
        /// Threads: with `--bound`, combinations run side by side (default: every core); for one
        /// scenario, the threads sharing each design's walk (default 1; with more, the run
        /// counts and which of the shortest schedules is shown can differ between walks, the
        /// outcomes, findings and states cannot).
        #[arg(long)]
        jobs: Option<usize>,
        /// With `--bound`: the root causes already reported, by stamped title.
        #[arg(long, default_value = "reports")]
        reports: PathBuf,
        /// Designs, comma-separated (default: every design).
        #[arg(long, value_delimiter = ',')]
        designs: Vec<String>,
        /// Stop after this many runs per design (the result then says it is incomplete).
        #[arg(long, default_value_t = 200_000)]
        max_runs: u64,
        /// Run every schedule to the end instead of stopping a run at a state (kernel and live
        /// tasks) an earlier run reached: slower, for checking that hashing loses nothing.
        #[arg(long)]
        no_state_hashing: bool,
        /// Write each finding's shortest schedule into DIR as a stamped scenario that replays it
        /// (`srfuzz replay`, `minimize`, `report` take it as any repro); one mainline shows too
        /// on that schedule is printed as MAINLINE TOO and not written.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        reading: Reading,
    },
    /// Measure runs per second on generated scenarios (single thread); with `--minimize DIR`,
    /// time the minimization of every repro below DIR instead.
    Bench {
        /// One design (scenario runs/s) or two, comma-separated (differential checks/s).
        #[arg(long, value_delimiter = ',', default_value = "mainline")]
        designs: Vec<String>,
        /// Time `minimize` on each root-cause directory below DIR (its raw input, else its
        /// scenario), five times each: median, min, max.
        #[arg(long)]
        minimize: Option<PathBuf>,
        /// Time to first finding with the hunt's engine (one job) for each root cause in
        /// reports/ (`--ttff reports`), over five seeds: median, min, max.
        #[arg(long)]
        ttff: Option<PathBuf>,
        /// With `--ttff`: the hunt's engine, random or swarm.
        #[arg(long, default_value = "random", requires = "ttff")]
        engine: String,
        /// With `--ttff`: also time libFuzzer's fork-mode campaign of each repro's fuzz target,
        /// the binaries in DIR (`fuzz/target/x86_64-unknown-linux-gnu/release`), side by side.
        #[arg(long, requires = "ttff")]
        libfuzzer: Option<PathBuf>,
        /// How long to run.
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// Seed of the scenario generator's byte stream.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    // A closed pipe (`srfuzz run corpus | head`) ends the process as it ends `cat`, instead of
    // a panic in `println!`.
    // SAFETY: setting a signal's disposition to the default before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match real_main(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("srfuzz: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn code(found: bool) -> ExitCode {
    if found {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn real_main(cli: Cli) -> Result<ExitCode> {
    match cli.cmd {
        Cmd::Designs { patches } => {
            for d in designs::all() {
                println!("{:<24} {}", d.name, d.summary);
                for p in d.patches {
                    println!("    {:<22} {}", p.label, p.subject);
                    if patches {
                        println!("    {:<22} {}", "", p.link);
                    }
                }
            }
            println!("review variants (NAME+LABEL adds one; NAME~LABEL leaves a patch out):");
            for p in designs::extra_patches() {
                println!("    {:<22} {}", p.label, p.subject);
                if patches {
                    println!("    {:<22} {}", "", p.link);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Run {
            paths,
            designs,
            timeline,
            all,
            quiet,
            format,
            reading,
        } => {
            let designs = pick_designs(&designs)?;
            let files = load_all(&paths, reading, None)?;
            let known = known_list(None)?;
            let opts = RunOpts {
                timeline,
                all,
                quiet: quiet || format == RunFormat::Json,
                silent: format == RunFormat::Json,
            };
            let mut found = false;
            let mut rows = Vec::new();
            for f in &files {
                let (hit, row) = run_file(f, &designs, &known, opts);
                found |= hit;
                rows.push(row);
            }
            match format {
                RunFormat::Text => print_summary(&rows, &designs),
                RunFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
            }
            Ok(code(found))
        }
        Cmd::Hunt(args) => hunt_cmd(args),
        Cmd::Replay { paths } => {
            let files = load_all(&paths, Reading { raw: false }, None)?;
            let mut found = false;
            for f in &files {
                let target = Target::from_stamp(&f.meta())
                    .map_err(|e| anyhow::anyhow!("{}: {e}", f.path.display()))?;
                if target.shows(&f.scenario) {
                    println!("REPRODUCED {}: {}", f.path.display(), target.title);
                    found = true;
                } else {
                    println!("NOT REPRODUCED {}: {}", f.path.display(), target.title);
                }
            }
            Ok(code(found))
        }
        Cmd::Triage {
            paths,
            check,
            designs,
            known,
            out,
            reading,
        } => triage_cmd(&paths, check, designs, known, out.as_deref(), reading),
        Cmd::Minimize {
            input,
            output,
            which,
            reading,
        } => {
            let loaded = load_one(&input, reading)?;
            let target = resolve_target(&loaded, &which)?;
            let start = std::time::Instant::now();
            let m = minimize(&loaded.scenario, &mut |c| target.shows(c));
            let stamp = stamp_for(&target);
            let text = file::stamped_text(&m.scenario, &stamp);
            // Replayed in a fresh parse and run before anything is written.
            let back =
                text::parse(&text).context("srfuzz bug: the minimized text does not parse")?;
            if !target.shows(&back) {
                bail!(
                    "srfuzz bug: the minimized scenario does not show `{}`",
                    target.title
                );
            }
            write_out(output.as_deref(), text.as_bytes())?;
            eprintln!(
                "srfuzz: minimized {} from {} to {} scenario lines ({} runs of the check, {} \
                 accepted, {:.0} ms); replayed: it shows `{}`",
                input.display(),
                triage::scenario_lines(&loaded.scenario),
                triage::scenario_lines(&m.scenario),
                m.evaluations,
                m.accepted,
                start.elapsed().as_secs_f64() * 1e3,
                target.title
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Report {
            input,
            which,
            format,
            output,
            reading,
        } => {
            let r = bisected_report(&input, &which, reading)?;
            let body = match format {
                ReportFormat::Text => report::text(&r),
                ReportFormat::Markdown => report::markdown(&r),
                ReportFormat::Json => report::json(&r),
            };
            write_out(output.as_deref(), body.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Bisect {
            input,
            which,
            reading,
        } => {
            let r = bisected_report(&input, &which, reading)?;
            print!("{}", report::bisection_text(&r));
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Seeds {
            dir,
            reports,
            corpus,
        } => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let mut inputs = Vec::new();
            // The fuzz targets decode with this generator: bytes of another version would be
            // another scenario, not the report's.
            let mut other_generator = 0;
            for p in file::inputs(std::slice::from_ref(&reports)).map_err(anyhow::Error::msg)? {
                if p.extension().is_some_and(|e| e == "raw") {
                    if let file::Origin::Raw {
                        data, generator, ..
                    } = file::load(&p, ReadOptions::default())?.origin
                    {
                        if generator == gen::GENERATOR_VERSION {
                            inputs.push(data);
                        } else {
                            other_generator += 1;
                        }
                    }
                }
            }
            let from_reports = inputs.len();
            if other_generator > 0 {
                println!(
                    "{other_generator} raw input(s) of {} left out: another generator version \
                     than this one ({})",
                    reports.display(),
                    gen::GENERATOR_VERSION
                );
            }
            // The text corpus's shapes, each from the generator's own bytes.
            let texts = load_all(std::slice::from_ref(&corpus), Reading { raw: false }, None)?;
            let wanted: Vec<String> = texts.iter().map(|f| campaign::shape(&f.scenario)).collect();
            let found = campaign::seeds_for_shapes(&wanted, 1, 200_000);
            for (f, got) in texts.iter().zip(&found) {
                if got.is_none() {
                    println!(
                        "{}: no generated input of its shape ({}) in 200000 draws",
                        f.path.display(),
                        campaign::shape(&f.scenario)
                    );
                }
            }
            let from_corpus = found.iter().flatten().count();
            inputs.extend(found.into_iter().flatten());
            inputs.extend(campaign::seeds(1, 50_000, 256));
            inputs.sort();
            inputs.dedup();
            for b in &inputs {
                let name = format!("{:016x}", campaign::bytes_hash(b));
                file::write_atomic(&dir.join(name), b)?;
            }
            println!(
                "{} seed inputs in {} ({from_reports} from {}, {from_corpus} of the {} scenarios \
                 of {} by their shape, the rest one per other shape)",
                inputs.len(),
                dir.display(),
                reports.display(),
                texts.len(),
                corpus.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Reports { dir, verify } => {
            let r = archive::regenerate(&dir, verify);
            for c in &r.changed {
                println!("{} {c}", if verify { "OUT OF DATE" } else { "wrote" });
            }
            for p in &r.problems {
                println!("PROBLEM {}: {}", p.path, p.msg);
            }
            println!(
                "{} root-cause directories, {} file(s) {}, {} problem(s)",
                r.dirs,
                r.changed.len(),
                if verify { "out of date" } else { "written" },
                r.problems.len()
            );
            Ok(code(
                !r.problems.is_empty() || (verify && !r.changed.is_empty()),
            ))
        }
        Cmd::Fmt { file, reading } => {
            let l = load_one(&file, reading)?;
            print!("{}", text::print(&l.scenario));
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
            let pairs = pairs.iter().map(|p| pair(p)).collect::<Result<Vec<_>>>()?;
            census_cmd(seconds, seed, &pairs, out.as_deref())
        }
        Cmd::Explore {
            input,
            bound,
            jobs,
            reports,
            designs,
            max_runs,
            no_state_hashing,
            out,
            reading,
        } => match (input, bound) {
            (_, Some(bound)) => {
                if no_state_hashing {
                    bail!("--no-state-hashing applies to one scenario, not to --bound");
                }
                explore_bound_cmd(&bound, &designs, max_runs, jobs, &reports, out.as_deref())
            }
            (Some(input), None) => explore_cmd(
                &input,
                &designs,
                max_runs,
                !no_state_hashing,
                jobs.unwrap_or(1),
                out.as_deref(),
                reading,
            ),
            (None, None) => bail!("explore: give a scenario or --bound"),
        },
        Cmd::Bench {
            minimize: Some(dir),
            ..
        } => bench_minimize(&dir),
        Cmd::Bench {
            ttff: Some(dir),
            libfuzzer,
            engine,
            seconds,
            ..
        } => bench_ttff(
            &dir,
            campaign::Engine::from_name(&engine).map_err(anyhow::Error::msg)?,
            libfuzzer.as_deref(),
            seconds,
        ),
        Cmd::Bench {
            designs,
            seconds,
            seed,
            ..
        } => {
            let ds = pick_designs(&designs)?;
            if ds.len() > 2 {
                bail!("bench takes one design or two, got {}", ds.len());
            }
            let (runs, secs) = bench::rate(&ds, seconds, seed);
            let what = match &ds[..] {
                [d] => format!("design {}: {runs} runs", d.name),
                _ => format!(
                    "designs {},{}: {runs} differential checks",
                    ds[0].name, ds[1].name
                ),
            };
            println!(
                "{what} in {secs:.2} s = {:.0}/s (generated scenarios, seed {seed}, one thread)",
                runs as f64 / secs
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Designs by name; duplicates are an error (a design compared with itself finds nothing).
fn pick_designs(names: &[String]) -> Result<Vec<&'static Design>> {
    if names.is_empty() {
        return Ok(designs::all().iter().collect());
    }
    let mut out: Vec<&'static Design> = Vec::new();
    for n in names {
        let n = n.trim();
        let d = designs::variant(n).map_err(anyhow::Error::msg)?;
        if out.iter().any(|o| std::ptr::eq(*o, d)) {
            bail!("design `{n}` is given twice: a design compared with itself shows nothing");
        }
        out.push(d);
    }
    Ok(out)
}

/// Two different designs, "a,b".
fn pair(spec: &str) -> Result<[&'static Design; 2]> {
    checks::design_pair(spec).map_err(anyhow::Error::msg)
}

/// The known list: a path, `none`, `shipped`, or (None) `SRFUZZ_KNOWN`'s, else the shipped one.
fn known_list(spec: Option<&str>) -> Result<KnownList> {
    let spec = match spec {
        Some(s) => Some(s.to_string()),
        None => std::env::var("SRFUZZ_KNOWN").ok(),
    };
    match spec.as_deref() {
        None | Some("shipped") => {
            KnownList::parse("reports/known-findings.txt", checks::KNOWN_FINDINGS)
        }
        Some("none") => Ok(KnownList::default()),
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("{path}: {e}"))
            .and_then(|t| KnownList::parse(path, &t)),
    }
    .map_err(anyhow::Error::msg)
}

/// Reads every file below `paths`; `campaign` supplies what bare raw input was made with.
fn load_all(
    paths: &[PathBuf],
    reading: Reading,
    campaign: Option<&Campaign>,
) -> Result<Vec<Loaded>> {
    let files = file::inputs(paths).map_err(anyhow::Error::msg)?;
    let opts = read_options(reading, campaign)?;
    files
        .iter()
        .map(|f| file::load(f, opts).map_err(anyhow::Error::new))
        .collect()
}

fn load_one(path: &Path, reading: Reading) -> Result<Loaded> {
    if std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        bail!(
            "{}: a directory; expected one scenario file",
            path.display()
        );
    }
    file::load(path, read_options(reading, None)?).map_err(anyhow::Error::new)
}

fn read_options(reading: Reading, campaign: Option<&Campaign>) -> Result<ReadOptions> {
    let bare_quirks = match campaign.and_then(|c| c.quirks.as_deref()) {
        Some(q) => Quirks::parse_list(q).map_err(anyhow::Error::msg)?,
        None => gen::quirks_from_env().map_err(anyhow::Error::msg)?,
    };
    Ok(ReadOptions {
        force_raw: reading.raw,
        bare_quirks,
        bare_generator: campaign.and_then(|c| c.generator),
    })
}

/// The finding a command works on (see [`Which`]).
fn resolve_target(l: &Loaded, which: &Which) -> Result<Target> {
    let meta = l.meta();
    let stamped = Target::from_stamp(&meta).ok();
    let one_design = match which.designs.len() {
        0 | 2 => None,
        1 => Some(pick_designs(&which.designs)?[0]),
        n => bail!("--designs takes one design or two, got {n}"),
    };
    let check_name = which
        .check
        .clone()
        .or_else(|| stamped.as_ref().map(|t| t.check.name().to_string()))
        .unwrap_or_else(|| {
            if one_design.is_some() {
                "spec"
            } else {
                "differential"
            }
            .into()
        });
    let check = match check_name.as_str() {
        "differential" => {
            let [a, b] = match (
                which.designs.len(),
                stamped.as_ref().and_then(|t| t.check.pair()),
            ) {
                (2, _) => pair(&which.designs.join(","))?,
                (_, Some(p)) => p,
                _ => pair(checks::DEFAULT_PAIR)?,
            };
            Check::Differential(a, b)
        }
        other => Check::from_name(other, None).map_err(anyhow::Error::msg)?,
    };
    let title = match (&which.finding, stamped.filter(|t| t.check == check)) {
        (Some(t), _) => t.clone(),
        (None, Some(t)) => t.title,
        (None, None) => {
            let known = KnownList::default();
            let v = check.verdict(&l.scenario, &known);
            let mine = |f: &&srfuzz_oracle::Finding| match one_design {
                Some(d) => checks::design_of_title(&f.title).is_some_and(|x| std::ptr::eq(x, d)),
                None => true,
            };
            match v.new.iter().find(mine) {
                Some(f) => f.title.clone(),
                None => bail!(
                    "{}: no new finding under the {} check{}: nothing to work on",
                    l.path.display(),
                    check.describe(),
                    one_design
                        .map(|d| format!(" on {}", d.name))
                        .unwrap_or_default()
                ),
            }
        }
    };
    let target = Target { check, title };
    if !target.shows(&l.scenario) {
        bail!(
            "{}: does not show `{}` under the {} check",
            l.path.display(),
            target.title,
            check.describe()
        );
    }
    Ok(target)
}

/// The report of the finding `which` picks in `input`, bisected.
fn bisected_report(input: &Path, which: &Which, reading: Reading) -> Result<report::Report> {
    let loaded = load_one(input, reading)?;
    let target = resolve_target(&loaded, which)?;
    let b = bisect(&target, &loaded.scenario);
    Ok(report::build(
        &target,
        &loaded.scenario,
        &input.display().to_string(),
        Target::from_stamp(&loaded.meta()).is_ok_and(|t| t == target),
        Some(&b),
    ))
}

/// The stamp of a file written for `target`.
fn stamp_for(target: &Target) -> Meta {
    Meta {
        check: Some(target.check.stamp()),
        finding: Some(target.title.clone()),
        ..Meta::now()
    }
}

fn write_out(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match path {
        Some(p) => file::write_atomic(p, bytes).with_context(|| format!("writing {}", p.display())),
        None => {
            use std::io::Write;
            std::io::stdout().write_all(bytes)?;
            Ok(())
        }
    }
}

#[derive(Clone, Copy)]
struct RunOpts {
    timeline: bool,
    all: bool,
    /// Only findings, differences and the summary.
    quiet: bool,
    /// Nothing but the JSON at the end.
    silent: bool,
}

/// One scenario's line in the summary (and its JSON record).
#[derive(serde::Serialize)]
struct Row {
    file: String,
    designs: Vec<DesignRow>,
    difference: Option<String>,
}

#[derive(serde::Serialize)]
struct DesignRow {
    design: &'static str,
    outcome: String,
    findings: Vec<String>,
    known: Vec<String>,
    declared: Vec<String>,
    pre_existing: Vec<String>,
}

/// Runs one scenario on each design and prints what each did; with two designs, the first
/// difference between them. True if a new problem or a difference was found.
fn run_file(f: &Loaded, designs: &[&'static Design], known: &KnownList, o: RunOpts) -> (bool, Row) {
    let s = &f.scenario;
    let mut row = Row {
        file: f.path.display().to_string(),
        designs: Vec::new(),
        difference: None,
    };
    if !o.quiet {
        println!("=== {}", f.path.display());
    }
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
        if !o.quiet {
            println!(
                "--- design {} ({} task steps, {} scheduling decisions)",
                d.name, run.steps, run.decisions
            );
            println!("kconfig (as this design's rules resolve it):");
            for l in run.kconfig.render().lines() {
                println!("  {l}");
            }
            for ob in &run.observations {
                println!("[{}] outcome: {}", ob.point, ob.outcome);
                println!("/proc/iomem:");
                for l in ob.iomem.lines() {
                    println!("  {l}");
                }
                println!("ownership:");
                print!("{}", ob.ownership_table());
            }
        }
        if let Some(why) = run.last().context.outside_model {
            if !o.silent {
                println!("OUTSIDE THE MODEL (not judged): {why}");
            }
        }
        let mut judged = checks::judge_run(d, &run.observations);
        // Mainline on this design's .config is its baseline (model::baseline_for).
        let own = checks::baseline_of(s, d, &baseline, |o| {
            let m = model::run_for_judging(checks::mainline(), o);
            checks::judge_run(checks::mainline(), &m.observations)
        });
        if let Some(b) = own {
            judged.split_baseline(d, &b);
        }
        let mut dr = DesignRow {
            design: d.name,
            outcome: run.last().outcome.to_string(),
            findings: Vec::new(),
            known: Vec::new(),
            declared: Vec::new(),
            pre_existing: Vec::new(),
        };
        for fd in &judged.findings {
            match known.lookup(fd) {
                Some(k) => {
                    if !o.quiet {
                        println!("KNOWN {}\n  {} ({})", fd.title, k.reason, k.link);
                    }
                    dr.known.push(fd.title.clone());
                }
                None => {
                    if o.quiet && !o.silent {
                        println!("FINDING {} ({})", fd.title, f.path.display());
                    } else if !o.quiet {
                        println!("FINDING {}\n  {}", fd.title, fd.detail);
                    }
                    dr.findings.push(fd.title.clone());
                    found = true;
                }
            }
        }
        for (fd, decl) in &judged.declared {
            if !o.quiet {
                println!("DECLARED {}\n  {} ({})", fd.title, decl.reason, decl.link);
            }
            dr.declared.push(fd.title.clone());
        }
        if !o.quiet {
            if o.all {
                for fd in &judged.pre_existing {
                    println!("MAINLINE {}\n  {}", fd.title, fd.detail);
                }
            } else if !judged.pre_existing.is_empty() {
                println!(
                    "{} finding(s) mainline shows too on this scenario (--all lists them)",
                    judged.pre_existing.len()
                );
            }
        }
        dr.pre_existing = judged
            .pre_existing
            .iter()
            .map(|f| f.title.clone())
            .collect();
        if o.timeline && !o.quiet {
            println!("timeline:");
            for line in srfuzz::observe::timeline(&run.kernel) {
                println!("  {line}");
            }
        }
        row.designs.push(dr);
        runs.push(run);
    }
    if let ([da, db], [a, b]) = (designs, &runs[..]) {
        // The differential check's first difference (the Kconfig, then the runs on one
        // .config).
        match checks::differential(s, da, db) {
            Some(d) => {
                let text = d.describe(a.design, b.design);
                if o.quiet && !o.silent {
                    println!("DIFFERENCE {} ({})", text, f.path.display());
                } else if !o.quiet {
                    println!("DIFFERENCE: {text}");
                }
                row.difference = Some(text);
                found = true;
            }
            None if !o.quiet => println!("no difference between {} and {}", a.design, b.design),
            None => {}
        }
    } else if runs.len() > 2 && !o.quiet {
        println!("(differences are shown for exactly two designs)");
    }
    (found, row)
}

/// The closing table: one line per scenario, one column per design.
fn print_summary(rows: &[Row], designs: &[&'static Design]) {
    println!();
    println!("summary: new findings / known / declared / also in mainline, per design");
    let width = rows
        .iter()
        .map(|r| short(&r.file).len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut head = format!("{:<width$}", "scenario");
    for d in designs {
        head.push_str(&format!("  {:>9}", abbreviate(d.name)));
    }
    if designs.len() == 2 {
        head.push_str("  differ");
    }
    println!("{head}");
    for r in rows {
        let mut line = format!("{:<width$}", short(&r.file));
        for d in &r.designs {
            let cell = format!(
                "{}/{}/{}/{}",
                d.findings.len(),
                d.known.len(),
                d.declared.len(),
                d.pre_existing.len()
            );
            line.push_str(&format!("  {cell:>9}"));
        }
        if designs.len() == 2 {
            line.push_str(if r.difference.is_some() {
                "  yes"
            } else {
                "  no"
            });
        }
        println!("{line}");
    }
    let total: usize = rows
        .iter()
        .flat_map(|r| &r.designs)
        .map(|d| d.findings.len())
        .sum();
    let diffs = rows.iter().filter(|r| r.difference.is_some()).count();
    println!(
        "{} scenario(s), {total} new finding(s){}",
        rows.len(),
        if designs.len() == 2 {
            format!(", {diffs} difference(s)")
        } else {
            String::new()
        }
    );
}

fn short(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string())
}

fn abbreviate(name: &str) -> &str {
    match name {
        "register_dax-v4-fixed" => "v4-fixed",
        "register_dax-v4" => "v4",
        "dax_cxl_mode-v5" => "v5",
        other => other,
    }
}

/// See [`Cmd::Triage`].
fn triage_cmd(
    paths: &[PathBuf],
    check: Option<String>,
    designs: Option<String>,
    known: Option<String>,
    out: Option<&Path>,
    reading: Reading,
) -> Result<ExitCode> {
    // The campaign record of the first directory given, if any; flags that contradict it are
    // an error (the artifacts mean something only under the campaign's own check).
    let record = paths
        .iter()
        .find(|p| p.is_dir())
        .map(|d| Campaign::read(d))
        .transpose()
        .map_err(anyhow::Error::msg)?
        .flatten();
    let agree = |what: &str, flag: Option<String>, rec: Option<String>| -> Result<Option<String>> {
        match (flag, rec) {
            (Some(f), Some(r)) if f.trim() != r.trim() => bail!(
                "the campaign record ({}) says {what} `{r}`, but `{f}` was given: drop the \
                 option (or the SRFUZZ_ variable) to judge as the campaign did",
                triage::MANIFEST
            ),
            (f, r) => Ok(f.or(r)),
        }
    };
    let rec = record.clone().unwrap_or_default();
    let check = agree("check", check, rec.check.clone())?.unwrap_or_else(|| "differential".into());
    let designs = agree("designs", designs, rec.designs.clone())?;
    let known_spec = agree("known", known, rec.known.clone())?;
    let check = match check.as_str() {
        "differential" => {
            let [a, b] = pair(designs.as_deref().unwrap_or(checks::DEFAULT_PAIR))?;
            Check::Differential(a, b)
        }
        // A design pair (say SRFUZZ_DESIGNS, set for another campaign) does not concern the
        // spec and order checks, which judge every design on its own.
        other => Check::from_name(other, None).map_err(anyhow::Error::msg)?,
    };
    let known = known_list(Some(known_spec.as_deref().unwrap_or("shipped")))?;
    let files = load_all(paths, reading, record.as_ref())?;
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("triage {bar:30} {pos}/{len} files {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let t = triage::triage(&files, check, &known, &mut |i| bar.set_position(i as u64));
    bar.finish_and_clear();
    println!(
        "{} files ({} check{}): {} new root cause(s) from {} new title(s); {} file(s) without a \
         new finding; {} title(s) mainline shows too; {} root cause(s) of a base tree's own \
         commits",
        t.files,
        check.describe(),
        if record.is_some() {
            ", as the campaign recorded"
        } else {
            ""
        },
        t.root_causes.len(),
        t.titles(),
        t.without,
        t.pre_existing.len(),
        t.from_base.len()
    );
    let mut written: Vec<String> = Vec::new();
    for (i, rc) in t.root_causes.iter().enumerate() {
        println!("[{}] {}", i + 1, rc.key.subject);
        if rc.key.patches.is_empty() {
            println!("    blamed: no patch (bisection found none)");
        }
        for p in &rc.key.patches {
            println!("    blamed: {p}");
        }
        for g in &rc.titles {
            println!("    {:5}  {}", g.count, g.title);
            println!(
                "           e.g. {} ({} -> {} lines minimized)",
                g.first.display(),
                g.lines.0,
                g.lines.1
            );
        }
        if let Some(dir) = out {
            let d = archive::write_root_cause(dir, check, rc, &mut written)
                .map_err(anyhow::Error::msg)?;
            println!("           in {}", d.display());
        }
    }
    for rc in &t.from_base {
        println!(
            "[base] {} ({} title(s)): the base tree's doing (gone without base commits \
             alone); blamed: {}",
            rc.key.subject,
            rc.titles.len(),
            rc.key.patches.join("; ")
        );
    }
    Ok(code(!t.root_causes.is_empty()))
}

/// The arguments of [`Cmd::Hunt`].
#[derive(clap::Args)]
struct HuntArgs {
    /// The checks: differential, spec, order or all.
    #[arg(long, default_value = "all")]
    check: String,
    /// The design pair for the differential check.
    #[arg(long, env = "SRFUZZ_DESIGNS", default_value = checks::DEFAULT_PAIR)]
    designs: String,
    /// Seconds to generate for.
    #[arg(long, default_value_t = 60.0)]
    time: f64,
    /// Judge this many inputs per job instead of running for a time (with --seed and
    /// --jobs, the same findings on any machine).
    #[arg(long)]
    runs: Option<u64>,
    /// Parallel jobs (default: every core).
    #[arg(long)]
    jobs: Option<usize>,
    /// The campaign's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How inputs are drawn: random (the generator on random bytes) or swarm (each stretch of
    /// inputs leaves some features out; BENCHMARKS.md compares them).
    #[arg(long, default_value = "random")]
    engine: String,
    /// Known-findings file whose entries are skipped (`none`, `shipped`: the default).
    #[arg(long, env = "SRFUZZ_KNOWN")]
    known: Option<String>,
    /// Where the first input of each new title is kept.
    #[arg(long, default_value = "hunt")]
    findings: PathBuf,
    /// A seed corpus (files or directories: scenario text, stamped raw inputs, fuzzer bytes)
    /// judged before generation starts, on top of the budget.
    #[arg(long)]
    corpus: Vec<PathBuf>,
    /// Where new root causes are written.
    #[arg(long, default_value = "reports")]
    reports: PathBuf,
}

/// See [`Cmd::Hunt`].
fn hunt_cmd(a: HuntArgs) -> Result<ExitCode> {
    let [da, db] = pair(&a.designs)?;
    let checks: Vec<Check> = match a.check.as_str() {
        "all" => vec![Check::Differential(da, db), Check::Spec, Check::Order],
        "differential" => vec![Check::Differential(da, db)],
        other => vec![Check::from_name(other, None).map_err(anyhow::Error::msg)?],
    };
    let known = known_list(a.known.as_deref())?;
    let quirks = gen::quirks_from_env().map_err(anyhow::Error::msg)?;
    let plan_quirks = quirks;
    std::fs::create_dir_all(&a.findings)
        .with_context(|| format!("creating {}", a.findings.display()))?;
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let plan = campaign::Plan {
        checks: checks.clone(),
        // A budget in inputs replaces the time.
        seconds: if a.runs.is_some() {
            f64::INFINITY
        } else {
            a.time
        },
        jobs,
        seed: a.seed,
        quirks,
        findings_dir: a.findings.clone(),
        runs_per_job: a.runs,
        until: None,
        engine: campaign::Engine::from_name(&a.engine).map_err(anyhow::Error::msg)?,
        corpus: load_all(&a.corpus, Reading { raw: false }, None)?
            .into_iter()
            .map(|f| {
                // Bytes are kept beside the repro only when they decode so under this hunt (its
                // quirks, this generator: the hunt stamps what it writes with both).
                let raw = match f.origin {
                    file::Origin::Raw {
                        data,
                        quirks,
                        generator,
                        ..
                    } if quirks == plan_quirks && generator == gen::GENERATOR_VERSION => Some(data),
                    _ => None,
                };
                (f.scenario, raw)
            })
            .collect(),
    };
    let progress = std::sync::Arc::new(campaign::Progress::default());
    {
        let p = progress.clone();
        // A second Ctrl-C is the default: the process ends (what was found is on disk).
        let _ = ctrlc::set_handler(move || {
            if p.stop.swap(true, std::sync::atomic::Ordering::Relaxed) {
                std::process::exit(130);
            }
        });
    }
    // The bar counts tenths of a second, or inputs under a budget.
    let total = match a.runs {
        Some(n) => n * jobs as u64,
        None => (a.time * 10.0) as u64,
    };
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("hunt {bar:24} {elapsed} ({eta} left) {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let start = std::time::Instant::now();
    // Root causes so far: each new title triaged on its own as it comes (minimized, bisected:
    // milliseconds), keys counted; the final triage may fold a few more together.
    let mut seen_keys: Vec<(String, triage::RootKey)> = Vec::new();
    let mut triaged = 0usize;
    let execs = std::thread::scope(|scope| {
        let worker = scope.spawn(|| campaign::run(&plan, &known, &progress));
        while !worker.is_finished() {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let secs = start.elapsed().as_secs_f64();
            let n = progress.execs.load(std::sync::atomic::Ordering::Relaxed);
            let fresh: Vec<campaign::Recorded> = progress
                .recorded
                .lock()
                .map(|r| r.iter().skip(triaged).take(8).cloned().collect())
                .unwrap_or_default();
            for r in &fresh {
                triaged += 1;
                let (Some(&check), Ok(f)) = (
                    checks.iter().find(|c| c.stamp() == r.check_stamp),
                    file::load(&r.path, ReadOptions::default()),
                ) else {
                    continue;
                };
                for rc in triage::triage(&[f], check, &known, &mut |_| {}).root_causes {
                    let k = (r.check_stamp.clone(), rc.key);
                    if !seen_keys.contains(&k) {
                        seen_keys.push(k);
                    }
                }
            }
            let titles = progress.recorded.lock().map(|r| r.len()).unwrap_or(0);
            bar.set_position(if a.runs.is_some() {
                n
            } else {
                (secs * 10.0) as u64
            });
            bar.set_message(format!(
                "{:.0} scenarios/s, {titles} new title(s), {} root cause(s) so far",
                n as f64 / secs.max(1e-3),
                seen_keys.len()
            ));
        }
        worker.join().unwrap_or(0)
    });
    bar.finish_and_clear();
    if let Some(e) = progress.error.lock().ok().and_then(|e| e.clone()) {
        bail!("a finding could not be written, so the hunt stopped: {e}");
    }
    let secs = start.elapsed().as_secs_f64();
    let recorded = progress
        .recorded
        .lock()
        .map(|r| r.clone())
        .unwrap_or_default();
    println!(
        "{execs} scenarios in {secs:.1} s ({:.0}/s, {jobs} job(s), checks: {}): {} new title(s), \
         kept in {}",
        execs as f64 / secs.max(1e-3),
        checks
            .iter()
            .map(|c| c.describe())
            .collect::<Vec<_>>()
            .join(", "),
        recorded.len(),
        a.findings.display()
    );
    // Triage what was found, check by check, into root causes in reports/.
    let mut new_causes = Vec::new();
    let mut old_causes = Vec::new();
    // Root causes only a base tree's own commits are blamed for: listed, not the series'.
    let mut base_causes: Vec<(Check, String, usize, String)> = Vec::new();
    let mut written: Vec<String> = Vec::new();
    std::fs::create_dir_all(&a.reports)
        .with_context(|| format!("creating {}", a.reports.display()))?;
    for &check in &checks {
        let files: Vec<Loaded> = recorded
            .iter()
            .filter(|r| r.check_stamp == check.stamp())
            .map(|r| file::load(&r.path, ReadOptions::default()).map_err(anyhow::Error::new))
            .collect::<Result<_>>()?;
        let t = triage::triage(&files, check, &known, &mut |_| {});
        for rc in &t.root_causes {
            let existing = archive::reported(&a.reports, rc);
            let d = archive::write_root_cause(&a.reports, check, rc, &mut written)
                .map_err(anyhow::Error::msg)?;
            let line = (check, rc.key.subject.clone(), rc.titles.len(), d);
            if existing.is_some() {
                old_causes.push(line);
            } else {
                new_causes.push(line);
            }
        }
        base_causes.extend(t.from_base.iter().map(|rc| {
            (
                check,
                rc.key.subject.clone(),
                rc.titles.len(),
                rc.key.patches.join("; "),
            )
        }));
    }
    let regen = archive::regenerate(&a.reports, false);
    if let Some(p) = regen.problems.first() {
        bail!("{}: {}", p.path, p.msg);
    }
    println!(
        "{} new root cause(s), {} already reported, {} of a base tree's own commits:",
        new_causes.len(),
        old_causes.len(),
        base_causes.len()
    );
    for (tag, list) in [("NEW", &new_causes), ("reported", &old_causes)] {
        for (check, subject, titles, d) in list.iter() {
            println!(
                "{tag:8} {:<12} {subject} ({titles} title(s))\n         {}",
                check.name(),
                d.display()
            );
        }
    }
    for (check, subject, titles, blamed) in &base_causes {
        println!(
            "base     {:<12} {subject} ({titles} title(s))\n         the base tree's doing \
             (gone without base commits alone); blamed: {blamed}",
            check.name()
        );
    }
    Ok(code(!new_causes.is_empty()))
}

/// See [`Cmd::Census`].
fn census_cmd(
    seconds: f64,
    seed: u64,
    pairs: &[[&'static Design; 2]],
    out: Option<&Path>,
) -> Result<ExitCode> {
    let known = known_list(None)?;
    let quirks = gen::quirks_from_env().map_err(anyhow::Error::msg)?;
    let mut checks_run: Vec<Check> = vec![Check::Spec, Check::Order];
    checks_run.extend(pairs.iter().map(|&[a, b]| Check::Differential(a, b)));
    let c = census::census(seconds, seed, &checks_run, &known, quirks);
    let per = |name: &str| c.new.iter().filter(|t| t.check.name() == name).count();
    println!(
        "{} scenarios in {:.1} s (seed {seed}): {} distinct new titles (spec {}, order \
         {}, differential {}), {} distinct titles mainline shows too",
        c.scenarios,
        c.seconds,
        c.new.len(),
        per("spec"),
        per("order"),
        per("differential"),
        c.pre_existing.len()
    );
    for t in &c.new {
        println!("{:7}  {:<12} {}", t.count, t.check.name(), t.title);
    }
    if let Some(dir) = out {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (i, t) in c.new.iter().enumerate() {
            let base = format!("{i:03}-{}", t.check.name());
            let stamp = Meta {
                check: Some(t.check.stamp()),
                finding: Some(t.title.clone()),
                raw: Some(format!("{base}.raw")),
                ..Meta::now()
            };
            let scn = dir.join(format!("{base}.scn"));
            file::write_atomic(&scn, file::stamped_text(&t.example, &stamp).as_bytes())
                .with_context(|| format!("writing {}", scn.display()))?;
            let raw = dir.join(format!("{base}.raw"));
            file::write_atomic(&raw, &file::stamped_raw(&t.raw, quirks))
                .with_context(|| format!("writing {}", raw.display()))?;
        }
    }
    Ok(code(!c.new.is_empty()))
}

/// A design's name as part of a file name: a variant's `v8~9/9` as `v8~9_9`.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+~-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// See [`Cmd::Explore`].
fn explore_cmd(
    input: &Path,
    designs: &[String],
    max_runs: u64,
    hashing: bool,
    jobs: usize,
    out: Option<&Path>,
    reading: Reading,
) -> Result<ExitCode> {
    if jobs == 0 {
        bail!("explore: --jobs must be at least 1");
    }
    let f = load_one(input, reading)?;
    let ds: Vec<&'static Design> = if designs.is_empty() {
        designs::all().iter().collect()
    } else {
        pick_designs(designs)?
    };
    let hex = |b: &[u8]| {
        if b.is_empty() {
            "(canonical: the oldest runnable task each time)".to_string()
        } else {
            b.iter()
                .map(|x| format!("{x:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    let mut found = false;
    for d in ds {
        let e = explore::explore_on(d, &f.scenario, max_runs, hashing, jobs);
        let secs = e.seconds.max(1e-9);
        println!(
            "--- {}: {} state(s){}, {} run(s) ({} to the end), at most {} decisions each, {} \
             distinct outcome(s), {} finding(s); {:.1} s, {:.0} states/s, {:.0} runs/s",
            d.name,
            e.states,
            match (e.complete, e.hashing, e.polls_keyed) {
                (true, true, false) => " (every one)",
                (true, true, true) => " (every one; walked again keyed on the polls made, as a run reached the step bound)",
                (true, false, _) => " (every one, no state hashing)",
                (false, _, _) => " (stopped at --max-runs: incomplete)",
            },
            e.runs,
            e.leaves,
            e.deepest,
            e.outcomes.len(),
            e.findings.len(),
            e.seconds,
            e.states as f64 / secs,
            e.runs as f64 / secs
        );
        for (i, o) in e.outcomes.iter().enumerate() {
            println!(
                "outcome {} ({} run(s) to the end), shortest schedule seen: {}",
                i + 1,
                o.runs,
                hex(&o.schedule)
            );
            if let Some(end) = o.observations.last() {
                for l in end.ownership_table().lines() {
                    println!("  {l}");
                }
            }
        }
        let shown = e
            .findings
            .iter()
            .map(|x| (Check::Spec, "FINDING", x))
            .chain(e.order.iter().map(|x| (Check::Order, "ORDER", x)));
        for (check, label, x) in shown {
            let s = srfuzz::scenario::Scenario {
                schedule: x.schedule.clone(),
                ..f.scenario.clone()
            };
            // What `replay` will ask of the repro: new, not a finding mainline shows too.
            let new = Target {
                check,
                title: x.title.clone(),
            }
            .shows(&s);
            println!(
                "{label} {} ({} run(s) to the end), shortest schedule seen: {}{}",
                x.title,
                x.runs,
                hex(&x.schedule),
                if new {
                    ""
                } else {
                    " — MAINLINE TOO on this schedule: not new, not written"
                }
            );
            if let (Some(dir), true) = (out, new) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let stamp = Meta {
                    check: Some(check.stamp()),
                    finding: Some(x.title.clone()),
                    ..Meta::now()
                };
                let path = dir.join(format!(
                    "{}-{:016x}.scn",
                    file_safe(d.name),
                    campaign::title_hash(&x.title)
                ));
                file::write_atomic(&path, file::stamped_text(&s, &stamp).as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("  written to {}", path.display());
            }
        }
        found |= e.outcomes.len() > 1 || !e.findings.is_empty();
    }
    println!("(a schedule replays as the scenario's [schedule] section: one byte per decision)");
    Ok(code(found))
}

/// See [`Cmd::Explore`] with `--bound`.
fn explore_bound_cmd(
    spec: &str,
    designs: &[String],
    max_runs: u64,
    jobs: Option<usize>,
    reports: &Path,
    out: Option<&Path>,
) -> Result<ExitCode> {
    use srfuzz::explore::bound::{self, Bound, Standing};
    let reported = srfuzz::archive::reported_titles(reports);
    let b = Bound::parse(spec).map_err(|e| anyhow::anyhow!("--bound: {e}"))?;
    let ds: Vec<&'static Design> = if designs.is_empty() {
        designs::all().iter().collect()
    } else {
        pick_designs(designs)?
    };
    let jobs = jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let (scenarios, unfit) = b.scenarios(&ds);
    let combos = scenarios.len();
    println!(
        "bound: {} shape(s) × {} kconfig request(s) × {} event list(s): {combos} distinct \
         combination(s), each on {} design(s), at most {max_runs} runs each, {jobs} job(s)",
        b.shapes.len(),
        b.kconfigs.len(),
        b.events.len(),
        ds.len()
    );
    if let Some(first) = unfit.first() {
        println!(
            "{} combination(s) left out: their events do not fit the shape (e.g. {first})",
            unfit.len()
        );
    }
    let bar = indicatif::ProgressBar::new(combos as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "explore {bar:30} {pos}/{len} combinations {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let start = std::time::Instant::now();
    let results = bound::explore_bound(
        &b,
        &ds,
        max_runs,
        jobs,
        srfuzz::checks::known_from_env(),
        &|n, _| bar.set_position(n as u64),
    );
    bar.finish_and_clear();
    let mut new = 0;
    for r in &results {
        println!(
            "--- {}: {} combination(s), {} exhausted, {} end in more than one way; {} state(s), \
             {} run(s), {:.1} s ({:.0} states/s)",
            r.design.name,
            r.combinations,
            r.combinations as usize - r.incomplete.len(),
            r.order_dependent,
            r.states,
            r.runs,
            r.seconds,
            r.states as f64 / r.seconds.max(1e-9)
        );
        for i in &r.incomplete {
            println!("INCOMPLETE {i} (stopped at --max-runs: not clean, only unexplored)");
        }
        for f in &r.found {
            let already = reported.iter().find(|(t, _)| *t == f.title);
            let label = match (f.standing, already) {
                (Standing::New, Some((_, d))) => format!("REPORTED in {}:", d.display()),
                (Standing::New, None) => {
                    new += 1;
                    "FINDING".to_string()
                }
                (Standing::Known, _) => "KNOWN".to_string(),
                (Standing::MainlineToo, _) => "MAINLINE TOO".to_string(),
            };
            println!(
                "{label} {}: {} ({} combination(s); e.g. {})",
                f.check.name(),
                f.title,
                f.combinations,
                f.example_name
            );
            if let Some(dir) = out {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let stamp = Meta {
                    check: Some(f.check.stamp()),
                    finding: Some(f.title.clone()),
                    ..Meta::now()
                };
                let path = dir.join(format!(
                    "{}-{:016x}.scn",
                    file_safe(r.design.name),
                    campaign::title_hash(&f.title)
                ));
                file::write_atomic(&path, file::stamped_text(&f.example, &stamp).as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("  written to {}", path.display());
            }
        }
    }
    println!(
        "{combos} combination(s) in {:.1} s; {new} new finding(s){}",
        start.elapsed().as_secs_f64(),
        if new > 0 && out.is_some() {
            " (`srfuzz triage` on the --out directory groups them into root causes)"
        } else {
            ""
        }
    );
    Ok(code(new > 0))
}

/// See [`Cmd::Bench`]: time to first finding per root cause, five seeds, at most `seconds`
/// each.
fn bench_ttff(
    dir: &Path,
    engine: campaign::Engine,
    libfuzzer: Option<&Path>,
    seconds: f64,
) -> Result<ExitCode> {
    let limit = seconds;
    let known = KnownList::default();
    let dirs =
        archive::root_cause_dirs(dir).with_context(|| format!("listing {}", dir.display()))?;
    let show = |x: Option<f64>| x.map_or(format!(">{limit:.0} s"), |s| format!("{:.3} s", s));
    let summary = |mut times: Vec<Option<f64>>| {
        times.sort_by(|a, b| {
            a.unwrap_or(f64::INFINITY)
                .total_cmp(&b.unwrap_or(f64::INFINITY))
        });
        format!(
            "median {} (min {}, max {})",
            show(times[2]),
            show(times[0]),
            show(times[4])
        )
    };
    for d in &dirs {
        let l = load_one(&d.join("scenario.scn"), Reading { raw: false })?;
        let t =
            Target::from_stamp(&l.meta()).map_err(|e| anyhow::anyhow!("{}: {e}", d.display()))?;
        let random: Vec<Option<f64>> = (1..=5)
            .map(|seed| bench::time_to_first(&[t.check], &t.title, seed, limit, &known, engine))
            .collect();
        let name = short(&d.display().to_string());
        match libfuzzer {
            None => println!("{name:<44} {}", summary(random)),
            Some(bins) => {
                let lf = (1..=5)
                    .map(|seed| bench::libfuzzer_time_to_first(bins, &t, seed, limit))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(anyhow::Error::msg)?;
                println!(
                    "{name:<44} hunt {} | libFuzzer {}",
                    summary(random),
                    summary(lf)
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// See [`Cmd::Bench`]: minimization time per repro.
fn bench_minimize(dir: &Path) -> Result<ExitCode> {
    let dirs =
        archive::root_cause_dirs(dir).with_context(|| format!("listing {}", dir.display()))?;
    if dirs.is_empty() {
        bail!("{}: no directory with a scenario.scn", dir.display());
    }
    let mut medians = Vec::new();
    for d in &dirs {
        let stamped = load_one(&d.join("scenario.scn"), Reading { raw: false })?;
        let target = Target::from_stamp(&stamped.meta())
            .map_err(|e| anyhow::anyhow!("{}: {e}", d.display()))?;
        let raw = d.join("input.raw");
        let input = if raw.is_file() {
            load_one(&raw, Reading { raw: false })?
        } else {
            stamped
        };
        let t = bench::minimize_timing(&target, &input.scenario, 5);
        println!(
            "{:<56} {:>3} -> {:>2} lines, {:>4} runs of the check: median {:.1} ms (min {:.1}, \
             max {:.1})",
            short(&d.display().to_string()),
            t.lines.0,
            t.lines.1,
            t.evaluations,
            t.median() * 1e3,
            t.seconds[0] * 1e3,
            t.seconds[t.seconds.len() - 1] * 1e3
        );
        medians.push(t.median());
    }
    medians.sort_by(f64::total_cmp);
    println!(
        "{} repro(s): median of medians {:.1} ms, max {:.1} ms",
        medians.len(),
        medians[medians.len() / 2] * 1e3,
        medians[medians.len() - 1] * 1e3
    );
    Ok(ExitCode::SUCCESS)
}
