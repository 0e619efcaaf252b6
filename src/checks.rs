//! Checks as plain functions over a scenario, shared by the fuzz targets, the tests and the CLI
//! (one check, every engine). A failed check panics from a function named after the kind of
//! problem, so that crash stacks — and OSS-Fuzz's deduplication — keep kinds apart.

use crate::designs::{self, Design};
use crate::model;
use crate::observe::timeline;
use crate::scenario::Scenario;
use srfuzz_oracle::finding::title_on;
use srfuzz_oracle::judge::{invariants, spec};
use srfuzz_oracle::{differences, DiffKind, Difference, Finding, FindingKind, KnownList};
use std::sync::OnceLock;

/// The model's own integrity on `s`: every design runs without panicking, and twice gives the
/// same observations and timeline (determinism). Design problems (hangs, leaks, double
/// claims) are the judges' business, not this check's: a failure here is a bug in srfuzz.
pub fn model_integrity(s: &Scenario) {
    for d in designs::all() {
        let a = model::run(d, s);
        let b = model::run(d, s);
        if a.observations != b.observations || timeline(&a.kernel) != timeline(&b.kernel) {
            found_nondeterminism(d.name);
        }
    }
}

#[inline(never)]
fn found_nondeterminism(design: &str) {
    panic!("srfuzz bug: two runs of the same scenario on design {design} differ");
}

/// The designs the differential check compares when `SRFUZZ_DESIGNS` is not set.
pub const DEFAULT_PAIR: &str = "register_dax-v4,dax_cxl_mode-v5";

/// Parses a design pair, "a,b": two different designs.
pub fn design_pair(spec: &str) -> Result<[&'static Design; 2], String> {
    let names: Vec<&str> = spec.split(',').map(str::trim).collect();
    let known = || {
        designs::all()
            .iter()
            .map(|d| d.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if names.len() != 2 {
        return Err(format!(
            "expected two comma-separated design names, got `{spec}` (known: {})",
            known()
        ));
    }
    let (a, b) = (designs::variant(names[0])?, designs::variant(names[1])?);
    if a == b {
        return Err(format!(
            "design `{}` is given twice in `{spec}`: a design compared with itself shows nothing",
            a.name
        ));
    }
    Ok([a, b])
}

/// The pair named by `SRFUZZ_DESIGNS` (default [`DEFAULT_PAIR`]). A bad value is reported on
/// stderr and the process exits with status 2: a fuzz target must not run a wrong campaign.
pub fn design_pair_from_env() -> [&'static Design; 2] {
    let spec = std::env::var("SRFUZZ_DESIGNS").unwrap_or_else(|_| DEFAULT_PAIR.to_string());
    match design_pair(&spec) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("srfuzz: SRFUZZ_DESIGNS: {e}");
            std::process::exit(2);
        }
    }
}

/// The pair and known list of the `differential_v4_mainline` fuzz target: fixed, so that
/// infrastructure that records no environment reproduces what it finds.
pub fn fixed_v4_mainline() -> ([&'static Design; 2], KnownList) {
    let pair = design_pair("register_dax-v4,mainline").expect("both designs are registered");
    let known = KnownList::parse("reports/known-findings.txt", KNOWN_FINDINGS)
        .expect("the shipped known list parses (tests/differential.rs)");
    (pair, known)
}

/// What the `scenario_text` fuzz target checks on any text: the scenario parser and the
/// known-findings parser return errors rather than panic; an error names a line the text has
/// (1 for an empty text); a parsed scenario prints and parses back to itself.
pub fn text_parsers_hold(t: &str) {
    use crate::scenario::text;
    match text::parse(t) {
        Ok(s) => {
            let printed = text::print(&s);
            let back = text::parse(&printed)
                .unwrap_or_else(|e| panic!("printed text does not parse: {e}\n{printed}"));
            assert_eq!(back, s, "printing and parsing again changed the scenario");
        }
        Err(e) => {
            let lines = t.lines().count().max(1);
            assert!(
                e.line >= 1 && e.line <= lines + 1,
                "error on line {} of a {lines}-line text: {e}",
                e.line
            );
        }
    }
    if let Err(e) = KnownList::parse("fuzz.txt", t) {
        assert!(e.starts_with("fuzz.txt"), "{e}");
    }
}

/// The reviewed known-findings list shipped with srfuzz (reports/known-findings.txt).
pub const KNOWN_FINDINGS: &str = include_str!("../reports/known-findings.txt");

/// The known-findings list campaigns use: the file named by `SRFUZZ_KNOWN` (`none` for an
/// empty list), else the shipped one. A bad file is reported on stderr and the process exits
/// with status 2.
pub fn known_from_env() -> &'static KnownList {
    static KNOWN: OnceLock<KnownList> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let parsed = match std::env::var("SRFUZZ_KNOWN") {
            Ok(v) if v == "none" => Ok(KnownList::default()),
            Ok(path) => std::fs::read_to_string(&path)
                .map_err(|e| format!("{path}: {e}"))
                .and_then(|t| KnownList::parse(&path, &t)),
            Err(_) => KnownList::parse("reports/known-findings.txt", KNOWN_FINDINGS),
        };
        parsed.unwrap_or_else(|e| {
            eprintln!("srfuzz: SRFUZZ_KNOWN: {e}");
            std::process::exit(2);
        })
    })
}

/// Runs `s` on both designs and returns every difference in what they leave the user, in
/// order (see [`srfuzz_oracle::differences`]), each with its finding.
pub fn differential_all(s: &Scenario, a: &'static Design, b: &'static Design) -> Vec<Divergence> {
    divergences(s, a, b).collect()
}

/// The differences of `s` on `a` and `b`, each titled when the iterator reaches it.
fn divergences(
    s: &Scenario,
    a: &'static Design,
    b: &'static Design,
) -> impl Iterator<Item = Divergence> {
    let (diffs, ca, cb) = pair_differences(s, a, b);
    diffs.into_iter().map(move |difference| Divergence {
        finding: Finding::from_difference(&difference, a.name, b.name, &ca, &cb),
        difference,
    })
}

/// Both designs' runs of `s` compared: the differences and each run's final context (what
/// titles name).
fn pair_differences(
    s: &Scenario,
    a: &'static Design,
    b: &'static Design,
) -> (
    Vec<Difference>,
    srfuzz_oracle::Context,
    srfuzz_oracle::Context,
) {
    let mut diffs = kconfig_differences(s, a, b);
    // The runs compared are two kernels built from one .config (model::comparable); when the
    // designs' rules admit none, only the Kconfig differs.
    let Some(s) = model::comparable(s, [a, b]) else {
        return (diffs, Default::default(), Default::default());
    };
    let inputs = model::Inputs::of(&s);
    let mut ra = model::run_for_judging_in(a, &s, &inputs);
    let mut rb = model::run_for_judging_in(b, &s, &inputs);
    let runtime = differences(&ra.observations, &rb.observations);
    let take = |r: &mut model::Run| r.observations.pop().map(|o| o.context).unwrap_or_default();
    let (ca, cb) = (take(&mut ra), take(&mut rb));
    if ca.outside_model.is_some() || cb.outside_model.is_some() {
        // A scenario outside the model shows no differences at all.
        diffs.clear();
    }
    diffs.extend(runtime);
    (diffs, ca, cb)
}

/// The symbols `make olddefconfig` of `s`'s request sets differently under `a`'s and `b`'s
/// Kconfig rules, in `.config` order: what applying one design instead of the other does to
/// a user's configuration before anything runs.
fn kconfig_differences(s: &Scenario, a: &'static Design, b: &'static Design) -> Vec<Difference> {
    use crate::kernel::kconfig::Sym;
    let (ca, cb) = (model::resolved(a, s), model::resolved(b, s));
    if ca == cb {
        return Vec::new();
    }
    Sym::ALL
        .into_iter()
        .filter(|&sym| ca.get(sym) != cb.get(sym))
        .map(|sym| Difference {
            point: "make olddefconfig".into(),
            kind: DiffKind::Kconfig,
            subject: format!("CONFIG_{sym}"),
            a: ca.get(sym).letter().to_string(),
            b: cb.get(sym).letter().to_string(),
        })
        .collect()
}

/// One difference of the differential check, with its finding (title and detail).
#[derive(Clone, Debug)]
pub struct Divergence {
    /// What differs.
    pub difference: Difference,
    /// The difference as a finding: the title names both designs and the configuration.
    pub finding: Finding,
}

/// The first difference between the two designs on `s`.
pub fn differential(s: &Scenario, a: &'static Design, b: &'static Design) -> Option<Difference> {
    differential_all(s, a, b)
        .into_iter()
        .next()
        .map(|d| d.difference)
}

/// The first difference whose finding `known` does not cover. Titles are made only as far as
/// needed (this runs per fuzz iteration): with an empty list, only the first difference's.
pub fn new_difference(
    s: &Scenario,
    a: &'static Design,
    b: &'static Design,
    known: &KnownList,
) -> Option<Divergence> {
    divergences(s, a, b).find(|d| known.lookup(&d.finding).is_none())
}

/// [`new_difference`], panicking from a function specific to the difference's kind.
pub fn check_differential(s: &Scenario, a: &'static Design, b: &'static Design, known: &KnownList) {
    if let Some(Divergence {
        difference: d,
        finding,
    }) = new_difference(s, a, b, known)
    {
        let msg = format!("{}\n  {}", finding.title, finding.detail);
        match d.kind {
            DiffKind::Kconfig => found_kconfig_divergence(&msg),
            DiffKind::Build => found_build_divergence(&msg),
            DiffKind::Hang => found_hang_divergence(&msg),
            DiffKind::Warn => found_warn_divergence(&msg),
            DiffKind::Region => found_region_divergence(&msg),
            DiffKind::Ownership => found_ownership_divergence(&msg),
            DiffKind::Online => found_online_divergence(&msg),
            DiffKind::Stuck => found_stuck_divergence(&msg),
        }
    }
}

#[inline(never)]
fn found_build_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_hang_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_warn_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_region_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_kconfig_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_ownership_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_online_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_stuck_divergence(msg: &str) -> ! {
    panic!("{msg}");
}

/// One design judged on its own: the invariants at every quiescent point, then the spec at the
/// end. Findings the design declares are set apart with their declaration, and so are those
/// mainline shows too on the same scenario (a reviewer of the series asks what it adds).
#[derive(Clone, Debug, Default)]
pub struct Judged {
    /// New findings (neither declared nor shown by mainline), first occurrence of each title,
    /// in the order found.
    pub findings: Vec<Finding>,
    /// Findings the design declares it produces.
    pub declared: Vec<(Finding, &'static designs::Declared)>,
    /// Findings mainline shows with the same title on the same scenario: already there before
    /// the series (for mainline itself, every finding).
    pub pre_existing: Vec<Finding>,
}

impl Judged {
    /// Every title this judgement holds, of any category.
    fn titles(&self) -> impl Iterator<Item = &str> {
        self.findings
            .iter()
            .chain(self.declared.iter().map(|(f, _)| f))
            .chain(&self.pre_existing)
            .map(|f| f.title.as_str())
    }

    /// Moves the findings that mainline's judgement of the same scenario also has (the same
    /// title, mainline named in place of `design`) to [`Judged::pre_existing`].
    pub fn split_baseline(&mut self, design: &Design, mainline: &Judged) {
        let (old, new): (Vec<Finding>, Vec<Finding>) = std::mem::take(&mut self.findings)
            .into_iter()
            .partition(|f| in_mainline(&f.title, design, mainline.titles()));
        self.findings = new;
        self.pre_existing.extend(old);
    }
}

/// Whether a finding titled `title` on `design` has its mainline counterpart among `titles`
/// (every finding of mainline itself does).
fn in_mainline<'a>(
    title: &str,
    design: &Design,
    mut titles: impl Iterator<Item = &'a str>,
) -> bool {
    if design.name == MAINLINE {
        return true;
    }
    match title_on(title, design.name, MAINLINE) {
        Some(t) => titles.any(|m| m == t),
        None => false,
    }
}

/// The base every design is a patch stack on.
pub const MAINLINE: &str = "mainline";

/// Runs `s` on `d` and judges it (invariants and spec), with mainline's judgement of the same
/// scenario as the baseline.
pub fn judge_design(s: &Scenario, d: &'static Design) -> Judged {
    let inputs = model::Inputs::of(s);
    let mut j = judge_design_alone(s, d, &inputs);
    if let Some(base) = model::baseline_for(s, d, mainline()) {
        j.split_baseline(d, &judge_design_alone(&base, mainline(), &inputs));
    }
    j
}

/// Mainline's judgement of `s` as `d`'s baseline: `shared` (mainline on `s` itself) when both
/// build the same `.config` from the request, else mainline run on `d`'s `.config`
/// ([`model::baseline_for`]); `None` when mainline cannot build it (every finding is then the
/// design's own).
pub fn baseline_of<'a, T>(
    s: &Scenario,
    d: &'static Design,
    shared: &'a T,
    judge: impl FnOnce(&Scenario) -> T,
) -> Option<std::borrow::Cow<'a, T>>
where
    T: Clone,
{
    use std::borrow::Cow;
    match model::baseline_for(s, d, mainline())? {
        Cow::Borrowed(_) => Some(Cow::Borrowed(shared)),
        Cow::Owned(other) => Some(Cow::Owned(judge(&other))),
    }
}

/// The mainline design.
pub fn mainline() -> &'static Design {
    designs::by_name(MAINLINE).expect("mainline is always registered")
}

/// [`judge_design`] without the baseline: every finding not declared is in `findings`.
pub fn judge_design_alone(s: &Scenario, d: &'static Design, inputs: &model::Inputs) -> Judged {
    let run = model::run_for_judging_in(d, s, inputs);
    judge_run(d, &run.observations)
}

/// Judges a run's observations for design `d` (no baseline: see [`Judged::split_baseline`]).
pub fn judge_run(d: &'static Design, obs: &[srfuzz_oracle::Observation]) -> Judged {
    let mut all: Vec<Finding> = Vec::new();
    for (i, o) in obs.iter().enumerate() {
        all.extend(invariants(d.name, o, i + 1 == obs.len()));
    }
    if let Some(end) = obs.last() {
        all.extend(spec(d.name, end));
    }
    // A configuration that does not link has no runtime: the build failure is the finding,
    // not what the model's boot without the unlinkable built-in does next.
    let unbuildable = obs.iter().any(|o| {
        o.warns
            .iter()
            .any(|w| w.site == srfuzz_oracle::diff::BUILD_SITE)
    });
    if unbuildable {
        let build = format!("WARN: in {}:", srfuzz_oracle::diff::BUILD_SITE);
        all.retain(|f| f.title.starts_with(&build));
    }
    let mut j = Judged::default();
    for f in all {
        if j.titles().any(|t| t == f.title) {
            continue;
        }
        match d.declaration(&f.title, obs.last()) {
            Some(decl) => j.declared.push((f, decl)),
            None => j.findings.push(f),
        }
    }
    j
}

/// Every design judged on `s` with mainline as the baseline, mainline first.
pub fn judge_all(s: &Scenario) -> Vec<(&'static Design, Judged)> {
    let inputs = model::Inputs::of(s);
    let base = judge_design_alone(s, mainline(), &inputs);
    let mut out: Vec<(&'static Design, Judged)> = Vec::with_capacity(designs::all().len());
    for d in designs::all() {
        let mut j = if d.name == MAINLINE {
            Judged {
                findings: base.findings.clone(),
                declared: base.declared.clone(),
                pre_existing: Vec::new(),
            }
        } else {
            judge_design_alone(s, d, &inputs)
        };
        let own = baseline_of(s, d, &base, |o| judge_design_alone(o, mainline(), &inputs));
        if let Some(b) = own {
            j.split_baseline(d, &b);
        }
        out.push((d, j));
    }
    out
}

/// The first new finding of the spec check — every design against its invariants and the
/// spec, mainline's own findings counted as pre-existing — that `known` does not cover.
pub fn new_spec_finding(s: &Scenario, known: &KnownList) -> Option<Finding> {
    judge_all(s)
        .into_iter()
        .find_map(|(_, j)| j.findings.into_iter().find(|f| known.lookup(f).is_none()))
}

/// [`new_spec_finding`], panicking from a function specific to the finding's kind.
pub fn check_spec(s: &Scenario, known: &KnownList) {
    if let Some(f) = new_spec_finding(s, known) {
        found(&f);
    }
}

/// The order-independence check for design `d`: the scenario under its own schedule and under
/// the canonical one (always the oldest runnable task) must end the same. Each difference is a
/// finding titled after what differs (a region, a Soft Reserved range's owner, online memory,
/// unbound devices), with both outcomes in its detail.
pub fn order_findings(s: &Scenario, d: &'static Design) -> Vec<Finding> {
    order_findings_in(s, d, &model::Inputs::of(s))
}

/// Whether every user action of `s` (`rmmod`, `hotadd`, `create-region`, `offline-memory`,
/// `destroy-region`) meets a quiet system: a `settle` comes before it with only user actions
/// in between. A user action that races with boot or with a modprobe lands early or late
/// depending on the schedule by the user's choice of timing, so the order check does not hold
/// a design to account for it (modprobes are udev's, part of boot; `blacklist` is a setting).
pub fn user_acts_on_a_quiet_system(s: &Scenario) -> bool {
    use crate::scenario::Event;
    let mut quiet = false;
    for e in &s.events {
        match e {
            Event::Settle => quiet = true,
            Event::Modprobe(_) => quiet = false,
            Event::Blacklist(_) => {}
            Event::Rmmod(_)
            | Event::HotAddMemdev(_)
            | Event::CreateRamRegion { .. }
            | Event::OfflineMemory(_)
            | Event::DestroyRegion(_) => {
                if !quiet {
                    return false;
                }
            }
        }
    }
    true
}

/// [`order_findings`] on inputs prepared once for several designs. Nothing when a user action
/// races with the kernel ([`user_acts_on_a_quiet_system`]).
pub fn order_findings_in(s: &Scenario, d: &'static Design, inputs: &model::Inputs) -> Vec<Finding> {
    if !user_acts_on_a_quiet_system(s) {
        return Vec::new();
    }
    let a = model::run_for_judging_in(d, s, inputs);
    let b = model::run_for_judging_in(d, s, &inputs.with_schedule(&[]));
    order_differences(d, &a.observations, &b.observations)
}

/// The order-dependence findings of design `d` between a run under some schedule
/// (`this`) and the run under the canonical one: one per difference, titled after what
/// differs, with both outcomes in its detail. [`order_findings_in`] compares one schedule so;
/// [`crate::explore`] compares every outcome of every schedule so.
pub fn order_differences(
    d: &'static Design,
    this: &[srfuzz_oracle::Observation],
    canonical: &[srfuzz_oracle::Observation],
) -> Vec<Finding> {
    let ctx = this.last().map(|o| o.context.clone()).unwrap_or_default();
    differences(this, canonical)
        .into_iter()
        .map(|diff| {
            // The title names what the schedule changes; both outcomes are in the detail.
            let what = format!("{} differs: {}", diff.kind, diff.subject_key());
            let detail = diff.describe("this schedule", "the canonical schedule");
            Finding::new(FindingKind::OrderDependence, &what, d.name, &ctx, detail)
        })
        .collect()
}

/// Order-dependence findings of every design on `s` that the design does not declare, split
/// into new ones and those mainline shows too (mainline's own are all pre-existing), mainline
/// first: `(design, new, pre-existing)`.
pub fn order_all(s: &Scenario) -> Vec<(&'static Design, Vec<Finding>, Vec<Finding>)> {
    let inputs = model::Inputs::of(s);
    let base: Vec<Finding> = order_findings_in(s, mainline(), &inputs);
    designs::all()
        .iter()
        .map(|d| {
            let fs = if d.name == MAINLINE {
                base.clone()
            } else {
                order_findings_in(s, d, &inputs)
            };
            let own = baseline_of(s, d, &base, |o| order_findings_in(o, mainline(), &inputs));
            let own: &[Finding] = own.as_deref().map_or(&[], |b| b.as_slice());
            let (old, new): (Vec<Finding>, Vec<Finding>) = fs
                .into_iter()
                .filter(|f| d.declaration(&f.title, None).is_none())
                .partition(|f| in_mainline(&f.title, d, own.iter().map(|b| b.title.as_str())));
            (d, new, old)
        })
        .collect()
}

/// The first new order-dependence finding, over every design, that neither the design declares
/// nor mainline shows nor `known` covers.
pub fn new_order_finding(s: &Scenario, known: &KnownList) -> Option<Finding> {
    order_all(s)
        .into_iter()
        .find_map(|(_, new, _)| new.into_iter().find(|f| known.lookup(f).is_none()))
}

/// [`new_order_finding`], panicking from the order-dependence function.
pub fn check_order(s: &Scenario, known: &KnownList) {
    if let Some(f) = new_order_finding(s, known) {
        found(&f);
    }
}

/// Panics from a function named after the finding's kind (one crash signature per kind).
pub fn found(f: &Finding) -> ! {
    let msg = format!("{}\n  {}", f.title, f.detail);
    match f.kind {
        FindingKind::OwnershipDivergence => found_ownership_divergence(&msg),
        FindingKind::Leak => found_leak(&msg),
        FindingKind::StrandedCapacity => found_stranded_capacity(&msg),
        FindingKind::DoubleClaim => found_double_claim(&msg),
        FindingKind::Deadlock => found_deadlock(&msg),
        FindingKind::Livelock => found_livelock(&msg),
        FindingKind::TeardownWhileOnline => found_teardown_while_online(&msg),
        FindingKind::Warn => found_warn(&msg),
        FindingKind::OrderDependence => found_order_dependence(&msg),
        FindingKind::SpecDeviation => found_spec_deviation(&msg),
        FindingKind::MemorySafety => found_memory_safety(&msg),
    }
}

#[inline(never)]
fn found_leak(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_stranded_capacity(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_double_claim(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_deadlock(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_livelock(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_teardown_while_online(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_warn(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_order_dependence(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_memory_safety(msg: &str) -> ! {
    panic!("{msg}");
}

#[inline(never)]
fn found_spec_deviation(msg: &str) -> ! {
    panic!("{msg}");
}

/// A check as a campaign runs it: what `triage`, `minimize`, `bisect` and `report` replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Two designs against each other ([`new_difference`]).
    Differential(&'static Design, &'static Design),
    /// Every design against its invariants and the spec ([`judge_all`]).
    Spec,
    /// Every design against itself under the canonical schedule ([`order_all`]).
    Order,
}

/// What one check found on one scenario.
#[derive(Clone, Debug, Default)]
pub struct Verdict {
    /// New findings the known list does not cover, first occurrence of each title, in order.
    pub new: Vec<Finding>,
    /// Findings mainline shows too on the same scenario.
    pub pre_existing: Vec<Finding>,
}

impl Check {
    /// The check named `name` (`differential`, `spec`, `order`); the differential check takes
    /// its pair from `pair` ("a,b"; default [`DEFAULT_PAIR`]), the others refuse one.
    pub fn from_name(name: &str, pair: Option<&str>) -> Result<Check, String> {
        match (name, pair) {
            ("differential", p) => {
                let [a, b] = design_pair(p.unwrap_or(DEFAULT_PAIR))?;
                Ok(Check::Differential(a, b))
            }
            ("spec", None) => Ok(Check::Spec),
            ("order", None) => Ok(Check::Order),
            ("spec" | "order", Some(p)) => Err(format!(
                "the {name} check judges every design on its own: it takes no design pair \
                 (got `{p}`)"
            )),
            (other, _) => Err(format!(
                "unknown check `{other}`: expected differential, spec or order"
            )),
        }
    }

    /// The check's name, as [`Check::from_name`] reads it.
    pub fn name(&self) -> &'static str {
        match self {
            Check::Differential(..) => "differential",
            Check::Spec => "spec",
            Check::Order => "order",
        }
    }

    /// The design pair, for the differential check.
    pub fn pair(&self) -> Option<[&'static Design; 2]> {
        match *self {
            Check::Differential(a, b) => Some([a, b]),
            _ => None,
        }
    }

    /// The check as a `# check:` stamp writes it: `differential a,b`, `spec`, `order`.
    pub fn stamp(&self) -> String {
        match self {
            Check::Differential(a, b) => format!("differential {},{}", a.name, b.name),
            other => other.name().to_string(),
        }
    }

    /// "differential register_dax-v4 vs mainline", "spec", "order".
    pub fn describe(&self) -> String {
        match self {
            Check::Differential(a, b) => format!("differential {} vs {}", a.name, b.name),
            other => other.name().to_string(),
        }
    }

    /// What the check finds on `s`, as its fuzz target judges it: for the differential check,
    /// the first difference `known` does not cover (what the target stops on); for spec and
    /// order, every new finding of every design that `known` does not cover.
    pub fn verdict(&self, s: &Scenario, known: &KnownList) -> Verdict {
        let mut v = Verdict::default();
        let add = |into: &mut Vec<Finding>, f: Finding| {
            if !into.iter().any(|g| g.title == f.title) {
                into.push(f);
            }
        };
        match *self {
            Check::Differential(a, b) => {
                if let Some(d) = new_difference(s, a, b, known) {
                    v.new.push(d.finding);
                }
            }
            Check::Spec => {
                for (_, j) in judge_all(s) {
                    for f in j.findings {
                        if known.lookup(&f).is_none() {
                            add(&mut v.new, f);
                        }
                    }
                    for f in j.pre_existing {
                        add(&mut v.pre_existing, f);
                    }
                }
            }
            Check::Order => {
                for (_, new, old) in order_all(s) {
                    for f in new {
                        if known.lookup(&f).is_none() {
                            add(&mut v.new, f);
                        }
                    }
                    for f in old {
                        add(&mut v.pre_existing, f);
                    }
                }
            }
        }
        v
    }
}

/// One finding to reproduce: the check that makes it and its title. Minimization keeps it,
/// bisection looks for the patches it needs, reports show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The check.
    pub check: Check,
    /// The finding's title.
    pub title: String,
}

impl Target {
    /// The target a stamped scenario names (`# check:` and `# finding:`, see
    /// `scenario::file`).
    pub fn from_stamp(meta: &crate::scenario::file::Meta) -> Result<Target, String> {
        let check = meta
            .check
            .as_deref()
            .ok_or("the scenario has no `# check:` stamp")?;
        let title = meta
            .finding
            .clone()
            .ok_or("the scenario has no `# finding:` stamp")?;
        let (name, pair) = match check.split_once(' ') {
            Some((n, p)) => (n, Some(p.trim())),
            None => (check, None),
        };
        Ok(Target {
            check: Check::from_name(name, pair)?,
            title,
        })
    }

    /// The designs whose patches the finding may come from: the design its title names (spec,
    /// order), or each design of the pair that is not mainline (differential).
    pub fn designs(&self) -> Vec<&'static Design> {
        match self.check {
            Check::Differential(a, b) => {
                [a, b].into_iter().filter(|d| d.name != MAINLINE).collect()
            }
            Check::Spec | Check::Order => design_of_title(&self.title).into_iter().collect(),
        }
    }

    /// Whether `s` shows the finding, new (not shown by mainline, not declared), whether or not
    /// a known-findings entry covers it.
    pub fn shows(&self, s: &Scenario) -> bool {
        match self.check {
            Check::Differential(a, b) => self.shows_with(s, &[a, b]),
            _ => self.shows_with(s, &self.designs()),
        }
    }

    /// [`Target::shows`] with the designs replaced by `designs` (variants of them with fewer
    /// patches, [`Design::with_patches`]): the pair for the differential check, the one
    /// design for spec and order.
    pub fn shows_with(&self, s: &Scenario, designs: &[&'static Design]) -> bool {
        match (self.check, designs) {
            (Check::Differential(..), &[a, b]) => differential_all(s, a, b)
                .iter()
                .any(|d| d.finding.title == self.title),
            (Check::Spec, &[d]) => judge_design(s, d)
                .findings
                .iter()
                .any(|f| f.title == self.title),
            (Check::Order, &[d]) => {
                if d.declaration(&self.title, None).is_some() {
                    return false;
                }
                let inputs = model::Inputs::of(s);
                let mine = order_findings_in(s, d, &inputs);
                if !mine.iter().any(|f| f.title == self.title) {
                    return false;
                }
                let base = order_findings_in(s, mainline(), &inputs);
                !in_mainline(&self.title, d, base.iter().map(|b| b.title.as_str()))
            }
            _ => false,
        }
    }
}

/// The design a one-design finding's title names: the first name in its closing `[…]`, a
/// design or a variant of one (`v8~9/9`, `v8+no-initial-probe-guard`, [`designs::variant`]).
pub fn design_of_title(title: &str) -> Option<&'static Design> {
    let open = title.rfind('[')?;
    let inner = &title[open + 1..];
    let name = inner.split([',', ']']).next()?.trim();
    designs::variant(name).ok()
}
