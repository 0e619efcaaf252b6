//! Reports: one finding on one scenario, written for the people who decide about the patch.
//!
//! [`build`] gathers everything a reviewer asks in the first minute — which check and designs,
//! whether mainline shows it too, the Kconfig fragment, the platform in kernel terms, the
//! events and what ran when, each design's /proc/iomem and their diff, the rule that broke,
//! the patches bisection blames, and the one command that replays it — into a [`Report`],
//! plain data that [`text`] (a mail reply), [`markdown`] (an issue tracker) and [`json`]
//! (tools) print.
//!
//! The text form is plain ASCII, at most [`WIDTH`] columns: long lines are wrapped, except a
//! line that holds only a link (a URL is never broken, as checkpatch allows).

use crate::bisect::Bisection;
use crate::checks::{self, Check, Target};
use crate::designs::{self, Design};
use crate::kernel::kconfig::{olddefconfig, KconfigRequest, Sym, Tristate};
use crate::model;
use crate::observe;
use crate::scenario::{text as scn, Event, Presence, Scenario};
use serde::Serialize;
use srfuzz_oracle::finding::title_on;
use srfuzz_oracle::{FindingKind, Observation};
use std::fmt::Write as _;

/// The text form's width.
pub const WIDTH: usize = 72;

/// Everything a report says, as plain data (the JSON form).
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The finding's title (its dedup key).
    pub title: String,
    /// A mail subject: a reply to the patch bisection blames, else the finding.
    pub subject: String,
    /// The finding's kind.
    pub kind: String,
    /// The check, e.g. "differential register_dax-v4 vs mainline".
    pub check: String,
    /// The designs run, in order.
    pub designs: Vec<String>,
    /// New in the series, or also in mainline, in one sentence.
    pub novelty: String,
    /// Other designs the same finding shows on, for this scenario.
    pub also_on: Vec<String>,
    /// The rule that broke: the invariant, the spec clause or the divergence.
    pub rule: String,
    /// This occurrence: addresses, devices, the observation point.
    pub detail: String,
    /// The observation point the report shows (`settle N` or `end`).
    pub point: String,
    /// The shortest `.config` fragment olddefconfig resolves to the run's configuration
    /// ([`kconfig_fragment`]).
    pub kconfig: Vec<String>,
    /// The whole resolved configuration of the first design.
    pub kconfig_resolved: Vec<String>,
    /// The platform as the kernel sees it, one line per item.
    pub platform: Vec<String>,
    /// The userspace events, in order.
    pub events: Vec<String>,
    /// Each run shown: its design (and schedule), what ran when, and /proc/iomem at the point.
    pub runs: Vec<RunReport>,
    /// A unified diff of the first two runs' /proc/iomem (empty when they are equal).
    pub iomem_diff: String,
    /// The bisection, per design.
    pub bisection: Vec<BisectReport>,
    /// The one command that replays the finding.
    pub replay: String,
}

/// One run in a report.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// The design, with the schedule when two runs of one design are compared.
    pub label: String,
    /// What ran when: one entry per timeline line.
    pub timeline: Vec<TimelineEntry>,
    /// /proc/iomem at the report's point.
    pub iomem: String,
}

/// One line of a timeline.
#[derive(Clone, Debug, Serialize)]
pub struct TimelineEntry {
    /// The task: kernel_init, userspace, modprobe M, async probe DEV, kworker: WORK.
    pub task: String,
    /// What it did.
    pub what: String,
}

/// The bisection of one design in a report.
#[derive(Clone, Debug, Serialize)]
pub struct BisectReport {
    /// The design.
    pub design: String,
    /// The patch whose addition first shows the finding.
    pub first: Option<PatchRef>,
    /// Whether every later prefix shows it too.
    pub stays: bool,
    /// The smallest sets of patches whose removal makes it go away.
    pub culprits: Vec<Vec<PatchRef>>,
}

/// A patch as a report cites it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct PatchRef {
    /// "v4 6/9".
    pub label: String,
    /// The subject line.
    pub subject: String,
    /// Where it was posted.
    pub link: String,
}

impl PatchRef {
    fn of(p: &designs::Patch) -> PatchRef {
        PatchRef {
            label: p.label.into(),
            subject: p.subject.into(),
            link: p.link.into(),
        }
    }
}

/// Builds the report of `target` on `s` (which must show it). `path` is the scenario file the
/// replay command names; `stamped` says whether it carries this target as its stamp (then
/// `srfuzz replay` replays it; else the command runs the designs on it).
pub fn build(
    target: &Target,
    s: &Scenario,
    path: &str,
    stamped: bool,
    bisection: Option<&Bisection>,
) -> Report {
    let (runs, point, detail, rule, designs_run): (
        Vec<model::Run>,
        String,
        String,
        String,
        Vec<String>,
    ) = match target.check {
        Check::Differential(a, b) => {
            let div = checks::differential_all(s, a, b)
                .into_iter()
                .find(|d| d.finding.title == target.title);
            let (point, detail) = match &div {
                Some(d) => (d.difference.point.clone(), d.finding.detail.clone()),
                None => ("end".into(), String::new()),
            };
            let rule = rule_of(FindingKind::OwnershipDivergence).to_string();
            // The runs the check compared: on one .config (model::comparable).
            let on = model::comparable(s, [a, b]).unwrap_or(std::borrow::Cow::Borrowed(s));
            (
                vec![model::run(a, &on), model::run(b, &on)],
                point,
                detail,
                rule,
                vec![a.name.into(), b.name.into()],
            )
        }
        Check::Spec => {
            let d = target.designs()[0];
            let f = checks::judge_design(s, d)
                .findings
                .into_iter()
                .find(|f| f.title == target.title);
            let kind = f.as_ref().map(|f| f.kind);
            (
                vec![
                    model::run(d, s),
                    // Mainline on the design's .config, as the baseline was judged.
                    model::run(
                        checks::mainline(),
                        &model::baseline_for(s, d, checks::mainline())
                            .unwrap_or(std::borrow::Cow::Borrowed(s)),
                    ),
                ],
                "end".into(),
                f.map(|f| f.detail).unwrap_or_default(),
                kind.map(rule_of).unwrap_or_default().into(),
                vec![d.name.into(), checks::MAINLINE.into()],
            )
        }
        Check::Order => {
            let d = target.designs()[0];
            let f = checks::order_findings(s, d)
                .into_iter()
                .find(|f| f.title == target.title);
            let canonical = Scenario {
                schedule: Vec::new(),
                ..s.clone()
            };
            (
                vec![model::run(d, s), model::run(d, &canonical)],
                "end".into(),
                f.map(|f| f.detail).unwrap_or_default(),
                rule_of(FindingKind::OrderDependence).into(),
                vec![d.name.into()],
            )
        }
    };
    let labels: Vec<String> = match target.check {
        Check::Order => vec![
            format!("{}, the scenario's schedule", runs[0].design),
            format!("{}, the canonical schedule", runs[0].design),
        ],
        _ => runs.iter().map(|r| r.design.to_string()).collect(),
    };
    let at = |r: &model::Run| -> Observation {
        r.observations
            .iter()
            .find(|o| o.point == point)
            .unwrap_or_else(|| r.last())
            .clone()
    };
    let run_reports: Vec<RunReport> = runs
        .iter()
        .zip(&labels)
        .map(|(r, label)| RunReport {
            label: label.clone(),
            timeline: observe::timeline(&r.kernel)
                .into_iter()
                .map(|l| split_task(&l))
                .collect(),
            iomem: at(r).iomem,
        })
        .collect();
    let iomem_diff = if run_reports[0].iomem == run_reports[1].iomem {
        String::new()
    } else {
        similar::TextDiff::from_lines(&run_reports[0].iomem, &run_reports[1].iomem)
            .unified_diff()
            .context_radius(16)
            .header(&labels[0], &labels[1])
            .to_string()
    };
    let first_design = target
        .designs()
        .first()
        .copied()
        .unwrap_or(checks::mainline());
    let bis: Vec<BisectReport> = bisection
        .map(|b| {
            b.designs
                .iter()
                .map(|d| BisectReport {
                    design: d.design.name.into(),
                    first: d.first_patch().map(PatchRef::of),
                    stays: d.stays,
                    culprits: d
                        .culprits
                        .iter()
                        .map(|set| {
                            set.iter()
                                .map(|&i| PatchRef::of(&d.design.patches[i]))
                                .collect()
                        })
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    let kind = match target.check {
        Check::Differential(..) => "divergence".to_string(),
        _ => target.title.split(':').next().unwrap_or("").to_string(),
    };
    let subject = subject_of(target, &bis);
    Report {
        title: target.title.clone(),
        subject,
        kind,
        check: target.check.describe(),
        designs: designs_run,
        novelty: novelty(target, s),
        also_on: also_on(target, s),
        rule,
        detail,
        point,
        kconfig: kconfig_fragment(&s.kconfig, first_design),
        kconfig_resolved: olddefconfig(&s.kconfig, &first_design.ops().kconfig)
            .render()
            .lines()
            .map(String::from)
            .collect(),
        platform: platform_lines(s),
        events: s.events.iter().map(event_line).collect(),
        runs: run_reports,
        iomem_diff,
        bisection: bis,
        replay: if stamped {
            format!("cargo run --release -- replay {path}")
        } else {
            let names: Vec<&str> = match target.check {
                Check::Differential(a, b) => vec![a.name, b.name],
                _ => target.designs().iter().map(|d| d.name).collect(),
            };
            format!(
                "cargo run --release -- run {path} --designs {}",
                names.join(",")
            )
        },
    }
}

/// What rule a finding kind breaks, in one sentence.
fn rule_of(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Leak => {
            "invariant: every committed region that HMEM did not take gets its dax_region \
             (else its capacity is lost until reboot)"
        }
        FindingKind::StrandedCapacity => {
            "invariant: every Soft Reserved range a loaded driver could serve is owned"
        }
        FindingKind::DoubleClaim => {
            "invariant: no two dax regions over the same bytes, no range online twice"
        }
        FindingKind::Deadlock => "invariant: no task blocked forever, no probe deferred forever",
        FindingKind::Livelock => "invariant: the run ends (the step bound was reached)",
        FindingKind::TeardownWhileOnline => {
            "invariant: kernel code never unregisters a region while its memory is online"
        }
        FindingKind::Warn => "invariant: no WARN (a Kconfig that does not build counts as one)",
        FindingKind::MemorySafety => {
            "invariant: no function frees or uses memory that is not its own (KASAN)"
        }
        FindingKind::SpecDeviation => {
            "spec: final ownership follows from the configuration and the platform \
             (docs/known-findings.md, ARCHITECTURE.md \"Judging one design\")"
        }
        FindingKind::OrderDependence => {
            "order independence: the scenario ends the same under the canonical schedule \
             (always the oldest runnable task)"
        }
        FindingKind::OwnershipDivergence => "the two designs leave the user different results",
    }
}

/// "Re: [PATCH v4 6/9] subject" when bisection blames one patch first, else the title.
fn subject_of(target: &Target, bis: &[BisectReport]) -> String {
    let first = bis.iter().find_map(|b| b.first.clone());
    match first {
        Some(p) if p.label.starts_with('v') => format!("Re: [PATCH {}] {}", p.label, p.subject),
        Some(p) => format!("Re: {} ({})", p.subject, p.label),
        None => format!("srfuzz: {}", target.title),
    }
}

/// New against mainline, or which side of a pair departs from mainline.
fn novelty(target: &Target, s: &Scenario) -> String {
    match target.check {
        Check::Differential(a, b) if a.name == checks::MAINLINE || b.name == checks::MAINLINE => {
            let d = if a.name == checks::MAINLINE { b } else { a };
            format!(
                "new in {}; mainline, the base of the series, behaves otherwise",
                d.name
            )
        }
        Check::Differential(a, b) => {
            let subject = checks::differential_all(s, a, b)
                .into_iter()
                .find(|d| d.finding.title == target.title)
                .map(|d| d.difference.subject_key());
            let departs = |d: &'static Design| {
                checks::differential_all(s, d, checks::mainline())
                    .iter()
                    .any(|x| Some(x.difference.subject_key()) == subject)
            };
            match (departs(a), departs(b)) {
                (true, false) => format!(
                    "{} departs from mainline here; {} behaves as mainline does",
                    a.name, b.name
                ),
                (false, true) => format!(
                    "{} departs from mainline here; {} behaves as mainline does",
                    b.name, a.name
                ),
                (true, true) => "both designs depart from mainline here".into(),
                (false, false) => {
                    "neither design differs from mainline on this subject alone".into()
                }
            }
        }
        _ => {
            let d = target.designs().first().map(|d| d.name).unwrap_or("?");
            format!("new in {d}; mainline does not show it on this scenario")
        }
    }
}

/// Other designs (not mainline, not the target's) that show the same finding, renamed.
fn also_on(target: &Target, s: &Scenario) -> Vec<String> {
    let Some(d) = target.designs().first().copied() else {
        return Vec::new();
    };
    if matches!(target.check, Check::Differential(..)) {
        return Vec::new();
    }
    designs::all()
        .iter()
        .filter(|o| o.name != d.name && o.name != checks::MAINLINE)
        .filter(|o| {
            title_on(&target.title, d.name, o.name).is_some_and(|t| {
                Target {
                    check: target.check,
                    title: t,
                }
                .shows_with(s, &[o])
            })
        })
        .map(|o| o.name.to_string())
        .collect()
}

/// The shortest `.config` fragment that `make olddefconfig` resolves, under `design`'s Kconfig
/// rules, to the same configuration as `req`: what a reviewer writes to get this kernel. Each
/// symbol left out takes the value olddefconfig gives it from the others (its default, or
/// what a `select` forces); symbols are tried in reverse [`Sym::ALL`] order, so a dependent
/// symbol is dropped before what it depends on.
pub fn kconfig_fragment(req: &KconfigRequest, design: &'static Design) -> Vec<String> {
    let rules = &design.ops().kconfig;
    let want = olddefconfig(req, rules);
    let mut frag = KconfigRequest::from(&want);
    for &s in Sym::ALL.iter().rev() {
        let v = frag.get(s);
        frag.set(s, None);
        if olddefconfig(&frag, rules) != want {
            frag.set(s, v);
        }
    }
    Sym::ALL
        .iter()
        .filter_map(|&s| frag.get(s).map(|v| (s, v)))
        .map(|(s, v)| match v {
            Tristate::N => format!("# CONFIG_{s} is not set"),
            v => format!("CONFIG_{s}={}", v.letter()),
        })
        .collect()
}

fn hex_range(start: u64, size: u64) -> String {
    format!(
        "[mem {:#012x}-{:#012x}]",
        start,
        start.wrapping_add(size).wrapping_sub(1)
    )
}

/// The platform as the kernel logs and sees it.
pub fn platform_lines(s: &Scenario) -> Vec<String> {
    let p = &s.platform;
    let mut out = Vec::new();
    for q in p.quirks.iter() {
        out.push(format!("firmware quirk: {q}"));
    }
    for &(a, e) in &p.e820_soft_reserved() {
        out.push(format!(
            "BIOS-e820: {} soft reserved",
            hex_range(a, e.wrapping_sub(a).wrapping_add(1))
        ));
    }
    for t in &p.hmat_targets {
        out.push(format!(
            "HMAT: memory target {} node {}",
            hex_range(t.range.start, t.range.size),
            t.nid
        ));
    }
    for (i, uid) in p.host_bridges.iter().enumerate() {
        out.push(format!("ACPI0016 host bridge {i}: uid {uid}"));
    }
    for (i, w) in p.windows.iter().enumerate() {
        let t: Vec<String> = w.targets.iter().map(|t| t.to_string()).collect();
        out.push(format!(
            "CEDT CFMWS {i}: {} {}-way, host bridge{} {}",
            hex_range(w.range.start, w.range.size),
            w.targets.len(),
            if w.targets.len() == 1 { "" } else { "s" },
            t.join(",")
        ));
    }
    for (i, m) in p.memdevs.iter().enumerate() {
        let when = match m.presence {
            Presence::Boot => "at boot",
            Presence::HotAdd => "hot-added",
            Presence::Never => "never (dead)",
        };
        let mut l = format!(
            "mem{i}: CXL type-3, host bridge {}, {} volatile, present {when}",
            m.host_bridge,
            scn::format_size(m.capacity)
        );
        if let Some(d) = &m.decoder {
            let _ = write!(
                l,
                "; HDM decoder committed by firmware {} {}-way, position {}",
                hex_range(d.hpa.start, d.hpa.size),
                d.ways,
                d.position
            );
        }
        out.push(l);
    }
    if let Some(r) = p.hmem_test {
        out.push(format!(
            "cxl_test hmem_test=1: hmem_platform.1 walks {:x}-{:x} (mock)",
            r.start,
            r.end()
        ));
    }
    out
}

fn event_line(e: &Event) -> String {
    match e {
        Event::Settle => "udevadm settle".into(),
        Event::Modprobe(m) => format!("modprobe {m}"),
        Event::Rmmod(m) => format!("modprobe -r {m}"),
        Event::CreateRamRegion { .. } => format!("cxl {}", scn::format_event(e)),
        Event::DestroyRegion(i) => format!("cxl destroy-region -f (region {i} by address)"),
        Event::OfflineMemory(i) => format!("daxctl offline-memory (range {i})"),
        Event::HotAddMemdev(i) => format!("PCIe hot-add of mem{i}"),
        Event::Blacklist(m) => format!("blacklist {m} (/etc/modprobe.d)"),
    }
}

fn split_task(line: &str) -> TimelineEntry {
    match line.strip_prefix('[').and_then(|r| r.split_once("] ")) {
        Some((task, what)) => TimelineEntry {
            task: task.into(),
            what: what.into(),
        },
        None => TimelineEntry {
            task: String::new(),
            what: line.into(),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Printing.

/// Plain ASCII: what a mail reply can carry.
fn ascii(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '…' => o.push_str("..."),
            '—' | '–' => o.push('-'),
            '→' => o.push_str("->"),
            '×' => o.push('x'),
            '‘' | '’' => o.push('\''),
            '“' | '”' => o.push('"'),
            c if c.is_ascii() => o.push(c),
            _ => o.push('?'),
        }
    }
    o
}

/// `text` wrapped to [`WIDTH`] with `indent` on every line.
fn wrap(out: &mut String, text: &str, indent: &str) {
    let t = ascii(text);
    let opts = textwrap::Options::new(WIDTH)
        .initial_indent(indent)
        .subsequent_indent(indent)
        .break_words(!t.contains("://"));
    for l in textwrap::wrap(&t, opts) {
        out.push_str(&l);
        out.push('\n');
    }
}

/// Verbatim lines (iomem, config), indented, each cut at [`WIDTH`] with a marker if longer.
fn verbatim(out: &mut String, text: &str, indent: &str) {
    for l in text.lines() {
        let l = ascii(&format!("{indent}{l}"));
        if l.len() > WIDTH {
            out.push_str(&l[..WIDTH - 1]);
            out.push_str("+\n");
        } else {
            out.push_str(&l);
            out.push('\n');
        }
    }
}

/// The mail-reply form: plain ASCII, at most [`WIDTH`] columns (links excepted).
pub fn text(r: &Report) -> String {
    let mut o = String::new();
    wrap(&mut o, &format!("Subject: {}", r.subject), "");
    fold_subject(&mut o);
    o.push('\n');
    wrap(
        &mut o,
        &format!("srfuzz, {} check: {}.", r.check, r.novelty),
        "",
    );
    if !r.also_on.is_empty() {
        wrap(&mut o, &format!("Also on: {}.", r.also_on.join(", ")), "");
    }
    o.push('\n');
    if r.kind != "divergence" {
        wrap(&mut o, &format!("Broken: {}.", r.rule), "");
    }
    wrap(&mut o, &capitalize(&r.detail), "");
    for b in &r.bisection {
        o.push('\n');
        wrap(&mut o, &format!("Bisection of {}:", b.design), "");
        bisection_lines(&mut o, b, false);
    }
    o.push('\n');
    o.push_str("Kconfig (a fragment; make olddefconfig does the rest):\n");
    if r.kconfig.is_empty() {
        o.push_str("  (the defaults)\n");
    }
    verbatim(&mut o, &r.kconfig.join("\n"), "  ");
    o.push_str("Platform:\n");
    for l in &r.platform {
        wrap(&mut o, l, "  ");
    }
    o.push_str("Userspace:\n");
    if r.events.is_empty() {
        o.push_str("  (nothing: boot, udev loads modules by alias)\n");
    }
    for e in &r.events {
        wrap(&mut o, e, "  ");
    }
    let first = &r.runs[0];
    o.push('\n');
    wrap(&mut o, &format!("What ran, {}:", first.label), "");
    // One paragraph per stretch of one task: "task: what; what; …".
    let mut i = 0;
    while i < first.timeline.len() {
        let task = &first.timeline[i].task;
        let mut whats = Vec::new();
        while i < first.timeline.len() && &first.timeline[i].task == task {
            whats.push(first.timeline[i].what.as_str());
            i += 1;
        }
        wrap_hanging(
            &mut o,
            &format!("{task}: {}", whats.join("; ")),
            "  ",
            "      ",
        );
    }
    o.push('\n');
    wrap(
        &mut o,
        &format!("/proc/iomem at {}, {}:", r.point, first.label),
        "",
    );
    verbatim(&mut o, &first.iomem, "  ");
    if r.iomem_diff.is_empty() {
        wrap(
            &mut o,
            &format!("{} shows the same /proc/iomem.", r.runs[1].label),
            "",
        );
    } else {
        wrap(&mut o, &format!("Against {}:", r.runs[1].label), "");
        verbatim(&mut o, &r.iomem_diff, "  ");
    }
    o.push('\n');
    o.push_str("Replay (from a clone of srfuzz):\n");
    // A command is never broken inside a word: it continues on the next line after a `\`.
    let mut line = String::from(" ");
    for tok in r.replay.split(' ') {
        if line.len() + 1 + tok.len() + 2 > WIDTH && !line.trim().is_empty() {
            o.push_str(&line);
            o.push_str(" \\\n");
            line = String::from("     ");
        }
        line.push(' ');
        line.push_str(tok);
    }
    o.push_str(&line);
    o.push('\n');
    o
}

/// [`wrap`] with a hanging indent.
fn wrap_hanging(out: &mut String, text: &str, first: &str, rest: &str) {
    let t = ascii(text);
    let opts = textwrap::Options::new(WIDTH)
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false);
    for l in textwrap::wrap(&t, opts) {
        out.push_str(&l);
        out.push('\n');
    }
}

/// What `srfuzz bisect` prints: the finding, then per design the first patch that shows it
/// and the smallest removal sets, each patch with its subject and link.
pub fn bisection_text(r: &Report) -> String {
    let mut o = String::new();
    wrap(&mut o, &format!("{} ({} check)", r.title, r.check), "");
    for b in &r.bisection {
        o.push('\n');
        wrap(&mut o, &format!("{}:", b.design), "");
        bisection_lines(&mut o, b, true);
    }
    o
}

/// One design's bisection, indented: the first patch (with its link), then the removal sets,
/// by label (`full`: each patch with its subject and link).
fn bisection_lines(o: &mut String, b: &BisectReport, full: bool) {
    match &b.first {
        Some(p) => {
            let stays = if b.stays {
                ""
            } else {
                " (and not with every later patch)"
            };
            wrap(
                o,
                &format!("first shows with {} \"{}\"{stays}", p.label, p.subject),
                "  ",
            );
            o.push_str(&format!("  {}\n", p.link));
        }
        None => wrap(o, "no prefix of the stack alone shows it", "  "),
    }
    if b.culprits.is_empty() {
        wrap(
            o,
            &format!(
                "no set of up to {} patches removed makes it go away",
                crate::bisect::MAX_CULPRITS
            ),
            "  ",
        );
    }
    for set in &b.culprits {
        if full {
            wrap(o, "gone without:", "  ");
            for p in set {
                wrap(o, &format!("{} \"{}\"", p.label, p.subject), "    ");
                o.push_str(&format!("    {}\n", p.link));
            }
        } else {
            let names: Vec<String> = set.iter().map(|p| p.label.clone()).collect();
            wrap(o, &format!("gone without {}", names.join(" + ")), "  ");
        }
    }
}

/// Folds a wrapped `Subject:` header's continuation lines with a leading space (RFC 5322).
fn fold_subject(o: &mut String) {
    let mut lines: Vec<String> = o.lines().map(String::from).collect();
    for l in lines.iter_mut().skip(1) {
        *l = format!(" {l}");
    }
    *o = lines.join("\n");
    o.push('\n');
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The tracker form: markdown with the same sections.
pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "### {}\n", r.subject);
    let _ = writeln!(o, "**Finding** ({} check): `{}`\n", r.check, r.title);
    let _ = writeln!(o, "{}.", capitalize(&r.novelty));
    if !r.also_on.is_empty() {
        let _ = writeln!(o, "Also on: {}.", r.also_on.join(", "));
    }
    let _ = writeln!(o, "\n**Broken:** {}.\n\n> {}\n", r.rule, r.detail);
    for b in &r.bisection {
        let _ = writeln!(o, "**Bisection of {}:**", b.design);
        if let Some(p) = &b.first {
            let _ = writeln!(
                o,
                "- first shows with [{} \"{}\"]({}){}",
                p.label,
                p.subject,
                p.link,
                if b.stays {
                    ""
                } else {
                    " (not with every later patch)"
                }
            );
        }
        for set in &b.culprits {
            let names: Vec<String> = set
                .iter()
                .map(|p| format!("[{}]({})", p.label, p.link))
                .collect();
            let _ = writeln!(o, "- gone without {}", names.join(" + "));
        }
        o.push('\n');
    }
    let block = |o: &mut String, title: &str, body: &str| {
        let _ = writeln!(
            o,
            "<details><summary>{title}</summary>\n\n```\n{body}```\n</details>\n"
        );
    };
    let lines = |v: &[String]| v.iter().map(|l| format!("{l}\n")).collect::<String>();
    block(
        &mut o,
        "Kconfig fragment (make olddefconfig does the rest)",
        &lines(&r.kconfig),
    );
    block(&mut o, "Platform", &lines(&r.platform));
    block(&mut o, "Userspace", &lines(&r.events));
    for run in &r.runs {
        let tl: String = run
            .timeline
            .iter()
            .map(|e| format!("[{}] {}\n", e.task, e.what))
            .collect();
        block(&mut o, &format!("What ran, {}", run.label), &tl);
        block(
            &mut o,
            &format!("/proc/iomem at {}, {}", r.point, run.label),
            &run.iomem,
        );
    }
    if !r.iomem_diff.is_empty() {
        let _ = writeln!(o, "```diff\n{}```\n", r.iomem_diff);
    }
    let _ = writeln!(o, "Replay: `{}`", r.replay);
    o
}

/// The tools' form: the [`Report`] as pretty JSON (ends with a newline).
pub fn json(r: &Report) -> String {
    let mut s = serde_json::to_string_pretty(r).expect("a report is plain data");
    s.push('\n');
    s
}
