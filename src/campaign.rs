//! Campaigns: `srfuzz hunt`, the main job — generate, judge, keep the first input of every new
//! title, and never restart on a finding; then triage what was kept into root causes.
//!
//! The engine here is in-process random generation: each job first judges its share of the seed
//! corpus, then draws byte strings from its own deterministic stream ([`gen::ByteStream`],
//! seeded from the campaign seed and the job number), decodes them with the generator (under
//! [`Engine::Swarm`], with some features left out per stretch), and runs every check of the
//! campaign on the scenario. BENCHMARKS.md compares it with libFuzzer. A
//! finding is a value, not a crash: the first input of each new (check, title) is written at
//! once — stamped raw input and stamped scenario text, named by the check and a hash of the
//! title, written atomically, so parallel jobs never clash and an interrupted campaign loses
//! nothing it found — and the job goes on with the next input.

use crate::checks::Check;
use crate::scenario::file::{self, Meta};
use crate::scenario::{gen, Quirks};
use srfuzz_oracle::KnownList;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// What a campaign runs.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The checks every input is judged by.
    pub checks: Vec<Check>,
    /// Seconds to generate for.
    pub seconds: f64,
    /// Parallel jobs (threads).
    pub jobs: usize,
    /// The campaign's seed: job j draws from the stream of `seed + j`.
    pub seed: u64,
    /// Quirks the generator may draw.
    pub quirks: Quirks,
    /// Where each new title's first input is written.
    pub findings_dir: PathBuf,
    /// Inputs each job judges at most (a budget in work, not time: the same seed, budget and
    /// number of jobs judge the same inputs on any machine).
    pub runs_per_job: Option<u64>,
    /// Stop as soon as a title matching this pattern (`*` for any text) is recorded: how time
    /// to first finding is measured.
    pub until: Option<String>,
    /// How inputs are drawn.
    pub engine: Engine,
    /// Inputs judged before any is generated (a seed corpus: each scenario with its raw bytes
    /// when it came as this generator's input), shared out over the jobs; they come on top of
    /// `runs_per_job`.
    pub corpus: Vec<(crate::scenario::Scenario, Option<Vec<u8>>)>,
}

/// How a job draws its scenarios.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// Every input is the generator's decoding of random bytes.
    #[default]
    Random,
    /// Swarm testing (Groce, Zhang, Eide, Chen and Regehr, "Swarm Testing", ISSTA 2012): each
    /// stretch of [`SWARM_STRETCH`] inputs draws which features its scenarios keep
    /// ([`Swarm`]), so that scenarios without some feature — one that would mask another's
    /// effect, an `rmmod` ending what an order dependence needs — come often.
    Swarm,
}

impl Engine {
    /// The engine named `name` (`random` or `swarm`).
    pub fn from_name(name: &str) -> Result<Engine, String> {
        match name {
            "random" => Ok(Engine::Random),
            "swarm" => Ok(Engine::Swarm),
            other => Err(format!(
                "unknown engine `{other}`: expected random or swarm"
            )),
        }
    }
}

/// Inputs a swarm draw lasts.
pub const SWARM_STRETCH: u64 = 256;

/// The features one swarm stretch keeps: each is kept with probability 1/2. Only what the
/// generator adds on top of a platform is left out (events by kind, the Kconfig request, the
/// schedule), so every scenario stays on a platform the rules accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Swarm {
    /// User actions: rmmod, hot-add, create/destroy-region, offline-memory, blacklists.
    pub user_actions: bool,
    /// Explicit modprobes (udev still loads modules by alias).
    pub modprobes: bool,
    /// `settle` points.
    pub settles: bool,
    /// The Kconfig request (else every symbol at its default).
    pub kconfig: bool,
    /// The schedule bytes (else the canonical order).
    pub schedule: bool,
}

impl Swarm {
    /// A draw from `stream`.
    pub fn draw(stream: &mut gen::ByteStream) -> Swarm {
        let bits = stream.next_u64();
        let keep = |i: u32| bits >> i & 1 == 1;
        Swarm {
            user_actions: keep(0),
            modprobes: keep(1),
            settles: keep(2),
            kconfig: keep(3),
            schedule: keep(4),
        }
    }

    /// Removes from `s` the features this draw leaves out; true if that changed `s`.
    pub fn apply(&self, s: &mut crate::scenario::Scenario) -> bool {
        use crate::scenario::Event;
        let events = s.events.len();
        s.events.retain(|e| match e {
            Event::Modprobe(_) => self.modprobes,
            Event::Settle => self.settles,
            Event::Rmmod(_)
            | Event::HotAddMemdev(_)
            | Event::CreateRamRegion { .. }
            | Event::OfflineMemory(_)
            | Event::DestroyRegion(_)
            | Event::Blacklist(_) => self.user_actions,
        });
        let mut changed = s.events.len() != events;
        if !self.kconfig && s.kconfig != Default::default() {
            s.kconfig = Default::default();
            // cxl_test's mock needs the CXL stack modular (`scenario::hmem_test_config`).
            if s.platform.hmem_test.is_some() {
                use crate::kernel::kconfig::{Sym, Tristate};
                s.kconfig.set(Sym::CXL_BUS, Some(Tristate::M));
                s.kconfig.set(Sym::CXL_ACPI, Some(Tristate::M));
            }
            changed = true;
        }
        if !self.schedule && !s.schedule.is_empty() {
            s.schedule.clear();
            changed = true;
        }
        changed
    }
}

/// A new title's first input, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The check that found it.
    pub check_stamp: String,
    /// The title.
    pub title: String,
    /// The stamped scenario text written.
    pub path: PathBuf,
}

/// Shared state of a running campaign.
#[derive(Debug, Default)]
pub struct Progress {
    /// Inputs judged so far, over every job.
    pub execs: AtomicU64,
    /// Set to stop every job (the time is up, or Ctrl-C).
    pub stop: AtomicBool,
    /// Titles recorded so far, in order of first sight.
    pub recorded: Mutex<Vec<Recorded>>,
    /// The first error writing a finding (the campaign stops on it: a finding must not be lost
    /// silently).
    pub error: Mutex<Option<String>>,
}

/// FNV-1a of a title: the stable part of a finding's file name.
pub fn title_hash(title: &str) -> u64 {
    bytes_hash(title.as_bytes())
}

/// FNV-1a of bytes (a seed's file name).
pub fn bytes_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Runs `plan` until its time is up or `progress.stop` is set. Returns the number of inputs
/// judged; what was found is in `progress.recorded` (and on disk).
pub fn run(plan: &Plan, known: &KnownList, progress: &Progress) -> u64 {
    let start = std::time::Instant::now();
    std::thread::scope(|scope| {
        for job in 0..plan.jobs.max(1) {
            scope.spawn(move || job_loop(plan, known, progress, job as u64, start));
        }
    });
    progress.execs.load(Ordering::Relaxed)
}

fn job_loop(
    plan: &Plan,
    known: &KnownList,
    progress: &Progress,
    job: u64,
    start: std::time::Instant,
) {
    let mut stream = gen::ByteStream::new(plan.seed.wrapping_add(job));
    let mut mine: Vec<(String, String)> = Vec::new();
    let mut judged = 0u64;
    let mut swarm: Option<Swarm> = None;
    let jobs = plan.jobs.max(1) as u64;
    for (s, raw) in plan.corpus.iter().skip(job as usize).step_by(jobs as usize) {
        if progress.stop.load(Ordering::Relaxed) {
            return;
        }
        if !judge(plan, known, progress, &mut mine, s, raw.as_deref()) {
            return;
        }
    }
    while !progress.stop.load(Ordering::Relaxed) {
        if plan.runs_per_job.is_some_and(|n| judged >= n) {
            break;
        }
        if start.elapsed().as_secs_f64() >= plan.seconds {
            progress.stop.store(true, Ordering::Relaxed);
            break;
        }
        if plan.engine == Engine::Swarm && (judged.is_multiple_of(SWARM_STRETCH) || swarm.is_none())
        {
            swarm = Some(Swarm::draw(&mut stream));
        }
        judged += 1;
        let len = 16 + stream.below(240);
        let raw = stream.bytes(len);
        let mut s = gen::scenario_from_bytes_with(&raw, plan.quirks);
        // A swarm stretch's scenario is no longer what the bytes decode to: its text is the
        // repro.
        let raw = match swarm {
            Some(sw) => (!sw.apply(&mut s)).then_some(raw),
            None => Some(raw),
        };
        if !judge(plan, known, progress, &mut mine, &s, raw.as_deref()) {
            return;
        }
    }
}

/// Judges one scenario by every check of the campaign, recording each title this job has not
/// seen yet. False when the campaign must stop (a finding could not be written).
fn judge(
    plan: &Plan,
    known: &KnownList,
    progress: &Progress,
    mine: &mut Vec<(String, String)>,
    s: &crate::scenario::Scenario,
    raw: Option<&[u8]>,
) -> bool {
    for &check in &plan.checks {
        let stamp = check.stamp();
        for f in check.verdict(s, known).new {
            if mine.iter().any(|(c, t)| *c == stamp && *t == f.title) {
                continue;
            }
            mine.push((stamp.clone(), f.title.clone()));
            if let Err(e) = record(plan, progress, &stamp, &f.title, s, raw) {
                *progress.error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                progress.stop.store(true, Ordering::Relaxed);
                return false;
            }
            if plan
                .until
                .as_deref()
                .is_some_and(|p| srfuzz_oracle::known::glob(p, &f.title))
            {
                progress.stop.store(true, Ordering::Relaxed);
            }
        }
    }
    progress.execs.fetch_add(1, Ordering::Relaxed);
    true
}

/// Writes the first input of a (check, title) unless another job already did.
fn record(
    plan: &Plan,
    progress: &Progress,
    check_stamp: &str,
    title: &str,
    s: &crate::scenario::Scenario,
    raw: Option<&[u8]>,
) -> Result<(), String> {
    let mut rec = progress.recorded.lock().unwrap_or_else(|e| e.into_inner());
    if rec
        .iter()
        .any(|r| r.check_stamp == check_stamp && r.title == title)
    {
        return Ok(());
    }
    let check_name = check_stamp.split(' ').next().unwrap_or(check_stamp);
    let base = format!(
        "{check_name}-{:016x}",
        title_hash(&format!("{check_stamp}\n{title}"))
    );
    let scn = plan.findings_dir.join(format!("{base}.scn"));
    let raw_path = plan.findings_dir.join(format!("{base}.raw"));
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    if let Some(raw) = raw {
        file::write_atomic(&raw_path, &file::stamped_raw(raw, plan.quirks))
            .map_err(|e| io(&raw_path, e))?;
    }
    let stamp = Meta {
        check: Some(check_stamp.to_string()),
        finding: Some(title.to_string()),
        raw: raw.map(|_| format!("{base}.raw")),
        ..Meta::now()
    };
    file::write_atomic(&scn, file::stamped_text(s, &stamp).as_bytes()).map_err(|e| io(&scn, e))?;
    rec.push(Recorded {
        check_stamp: check_stamp.to_string(),
        title: title.to_string(),
        path: scn,
    });
    Ok(())
}

/// The shape of a scenario, as seed selection sees it: what the platform has (host bridges,
/// windows, interleaving, committed regions, hot-plug and dead devices, Soft Reserved outside
/// windows, HMAT), which user actions the events hold, and how HMEM and CXL regions are built
/// (mainline's resolution of the request).
pub fn shape(s: &crate::scenario::Scenario) -> String {
    use crate::kernel::kconfig::{Sym, Tristate};
    use crate::scenario::{Event, Presence};
    let p = &s.platform;
    let interleaved = p.windows.iter().any(|w| w.targets.len() > 1);
    let regions_2way = p
        .memdevs
        .iter()
        .any(|m| m.decoder.is_some_and(|d| d.ways > 1));
    let committed = p
        .memdevs
        .iter()
        .filter(|m| m.decoder.is_some())
        .count()
        .min(3);
    let hotadd = p.memdevs.iter().any(|m| m.presence == Presence::HotAdd);
    let dead = p.memdevs.iter().any(|m| m.presence == Presence::Never);
    let outside = p.soft_reserved.iter().any(|r| {
        !p.windows
            .iter()
            .any(|w| r.start <= w.range.end() && w.range.start <= r.end())
    });
    let actions: String = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::CreateRamRegion { .. } => Some('c'),
            Event::DestroyRegion(_) => Some('d'),
            Event::OfflineMemory(_) => Some('o'),
            Event::Rmmod(_) => Some('r'),
            Event::HotAddMemdev(_) => Some('h'),
            Event::Blacklist(_) => Some('b'),
            _ => None,
        })
        .fold(String::new(), |mut acc, c| {
            if !acc.contains(c) {
                acc.push(c);
            }
            acc
        });
    // As mainline's `make olddefconfig` resolves the request: what the kernel is built with.
    let cfg = crate::model::resolved(crate::checks::mainline(), s);
    let kc = |sym| match cfg.get(sym) {
        Tristate::N => 'n',
        Tristate::M => 'm',
        Tristate::Y => 'y',
    };
    format!(
        "hb{} w{} il{} r2{} c{committed} ha{} dead{} out{} hmat{} ev[{actions}] hmem{} reg{}",
        p.host_bridges.len(),
        p.windows.len(),
        interleaved as u8,
        regions_2way as u8,
        hotadd as u8,
        dead as u8,
        outside as u8,
        (!p.hmat_targets.is_empty()) as u8,
        kc(Sym::DEV_DAX_HMEM),
        kc(Sym::CXL_REGION),
    )
}

/// Seed inputs for the byte targets: the first input of each distinct [`shape`] over the
/// generator's stream of `seed`, `draws` inputs long, at most `max` of them — so that a
/// campaign starts from every platform shape the generator makes (two host bridges with an
/// interleaved window, as cxl_test's mock topology; several windows; hot-plug and dead
/// devices; memmap-style Soft Reserved; every user action), each under several Kconfigs.
pub fn seeds(seed: u64, draws: usize, max: usize) -> Vec<Vec<u8>> {
    let mut stream = gen::ByteStream::new(seed);
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for _ in 0..draws {
        if out.len() >= max {
            break;
        }
        let len = 16 + stream.below(240);
        let raw = stream.bytes(len);
        let k = shape(&gen::scenario_from_bytes(&raw));
        if !seen.contains(&k) {
            seen.push(k);
            out.push(raw);
        }
    }
    out
}

/// For each wanted [`shape`] (of a hand-written scenario, say), the first input of the
/// generator's stream of `seed`, at most `draws` inputs long, that decodes to a scenario of that
/// shape; `None` where the generator makes no such scenario in that many draws (a hand-written
/// platform the generator does not describe, or one it makes only under a quirk).
pub fn seeds_for_shapes(wanted: &[String], seed: u64, draws: usize) -> Vec<Option<Vec<u8>>> {
    let mut stream = gen::ByteStream::new(seed);
    let mut out: Vec<Option<Vec<u8>>> = vec![None; wanted.len()];
    for _ in 0..draws {
        if out.iter().all(Option::is_some) {
            break;
        }
        let len = 16 + stream.below(240);
        let raw = stream.bytes(len);
        let k = shape(&gen::scenario_from_bytes(&raw));
        for (i, w) in wanted.iter().enumerate() {
            if out[i].is_none() && *w == k {
                out[i] = Some(raw.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_cover_the_interleaved_two_bridge_topology_and_differ() {
        let seeds = seeds(1, 20_000, 256);
        assert!(seeds.len() > 50, "{}", seeds.len());
        let shapes: Vec<String> = seeds
            .iter()
            .map(|b| shape(&gen::scenario_from_bytes(b)))
            .collect();
        assert!(shapes
            .iter()
            .any(|s| s.starts_with("hb2 ") && s.contains(" il1 ")));
        assert!(shapes.iter().any(|s| s.contains(" w3 ")));
        for (i, s) in shapes.iter().enumerate() {
            assert!(!shapes[..i].contains(s), "shape twice: {s}");
        }
        assert_eq!(seeds, super::seeds(1, 20_000, 256), "deterministic");
    }

    #[test]
    fn a_wanted_shape_gets_the_first_input_of_that_shape() {
        let made = seeds(3, 2_000, 8);
        let wanted: Vec<String> = made
            .iter()
            .map(|b| shape(&gen::scenario_from_bytes(b)))
            .chain(["no such shape".to_string()])
            .collect();
        let got = seeds_for_shapes(&wanted, 3, 2_000);
        for (w, g) in wanted.iter().zip(&got).take(made.len()) {
            let g = g.as_ref().expect("the same stream makes it");
            assert_eq!(shape(&gen::scenario_from_bytes(g)), *w);
        }
        assert!(got.last().unwrap().is_none());
    }

    #[test]
    fn a_short_hunt_records_each_title_once_and_replays() {
        let dir = std::env::temp_dir().join(format!("srfuzz-hunt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let [a, b] = crate::checks::design_pair("register_dax-v4,mainline").unwrap();
        let plan = Plan {
            checks: vec![Check::Differential(a, b)],
            seconds: 1.0,
            jobs: 2,
            seed: 1,
            quirks: Quirks::NONE,
            findings_dir: dir.clone(),
            runs_per_job: None,
            until: None,
            engine: Engine::Random,
            corpus: Vec::new(),
        };
        let progress = Progress::default();
        let execs = run(&plan, &KnownList::default(), &progress);
        assert!(execs > 0);
        let rec = progress.recorded.lock().unwrap().clone();
        assert!(!rec.is_empty(), "v4 vs mainline differs within a second");
        for (i, r) in rec.iter().enumerate() {
            assert!(
                !rec[..i].iter().any(|o| o.title == r.title),
                "recorded twice: {}",
                r.title
            );
            let l = file::load(&r.path, Default::default()).unwrap();
            let t = crate::checks::Target::from_stamp(&l.meta()).unwrap();
            assert!(t.shows(&l.scenario), "{}", t.title);
            let raw = file::load(&r.path.with_extension("raw"), Default::default()).unwrap();
            assert_eq!(raw.scenario, l.scenario);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    /// A budget in runs judges the same inputs whatever the machine's speed.
    #[test]
    fn a_run_budget_is_deterministic() {
        let titles = |tag: &str| {
            let dir =
                std::env::temp_dir().join(format!("srfuzz-budget-{}-{tag}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let plan = Plan {
                checks: vec![Check::Spec],
                seconds: f64::INFINITY,
                jobs: 2,
                seed: 7,
                quirks: Quirks::NONE,
                findings_dir: dir.clone(),
                runs_per_job: Some(300),
                until: None,
                engine: Engine::Random,
                corpus: Vec::new(),
            };
            let progress = Progress::default();
            assert_eq!(run(&plan, &KnownList::default(), &progress), 600);
            let mut t: Vec<String> = progress
                .recorded
                .lock()
                .unwrap()
                .iter()
                .map(|r| r.title.clone())
                .collect();
            t.sort();
            std::fs::remove_dir_all(&dir).unwrap();
            t
        };
        assert_eq!(titles("a"), titles("b"));
    }
}

#[cfg(test)]
mod corpus_tests {
    use super::*;

    /// A seed corpus is judged before generation: with a budget of no generated inputs, the
    /// corpus's repro still gives its title.
    #[test]
    fn a_seed_corpus_is_judged_first() {
        let dir = std::env::temp_dir().join(format!("srfuzz-corpus-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let repro = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/reports/register_dax-v4-no-hmem-auto-region-no-dax/scenario.scn"
        );
        let l = file::load(Path::new(repro), Default::default()).unwrap();
        let t = crate::checks::Target::from_stamp(&l.meta()).unwrap();
        let plan = Plan {
            checks: vec![t.check],
            seconds: f64::INFINITY,
            jobs: 2,
            seed: 1,
            quirks: Quirks::NONE,
            findings_dir: dir.clone(),
            runs_per_job: Some(0),
            until: None,
            engine: Engine::Random,
            corpus: vec![(l.scenario.clone(), None)],
        };
        let progress = Progress::default();
        assert_eq!(run(&plan, &KnownList::default(), &progress), 1);
        let rec = progress.recorded.lock().unwrap().clone();
        assert!(rec.iter().any(|r| r.title == t.title), "{rec:?}");
        assert!(!rec[0].path.with_extension("raw").exists(), "text only");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[cfg(test)]
mod swarm_tests {
    use super::*;
    use crate::scenario::Event;

    /// A draw that keeps nothing leaves the platform and removes every event kind it governs,
    /// the request and the schedule; one that keeps everything changes nothing.
    #[test]
    fn a_swarm_draw_removes_exactly_the_features_it_leaves_out() {
        let s = (1..2_000)
            .map(|i| gen::scenario_from_bytes(&gen::ByteStream::new(i).bytes(200)))
            .find(|s| {
                s.events.iter().any(|e| matches!(e, Event::Modprobe(_)))
                    && s.events.iter().any(|e| matches!(e, Event::Settle))
                    && s.events.iter().any(|e| matches!(e, Event::Rmmod(_)))
                    && !s.schedule.is_empty()
                    && s.kconfig != Default::default()
            })
            .expect("a scenario with every feature");
        let all = Swarm {
            user_actions: true,
            modprobes: true,
            settles: true,
            kconfig: true,
            schedule: true,
        };
        let mut kept = s.clone();
        assert!(!all.apply(&mut kept));
        assert_eq!(kept, s);
        let none = Swarm {
            user_actions: false,
            modprobes: false,
            settles: false,
            kconfig: false,
            schedule: false,
        };
        let mut bare = s.clone();
        assert!(none.apply(&mut bare));
        assert_eq!(bare.platform, s.platform);
        assert!(bare.events.is_empty() && bare.schedule.is_empty());
        assert_eq!(bare.kconfig, Default::default());
        assert!(Engine::from_name("coverage").is_err());
    }
}
