//! `explore --bound`: every schedule of every small scenario — each platform shape of a bound ×
//! each Kconfig of it × each event list of it — on each design, so that "the walk found
//! nothing" becomes "nothing exists up to this size" for the combinations the walk exhausts.
//!
//! A bound is three lists, named on the command line as `shapes=…,kconfig=…,events=…` (each
//! list `+`-separated) or as a preset ([`Bound::preset`]):
//!
//! - **shapes**: small platforms a firmware describes, written as scenario text so that every
//!   one passes the platform rules like any hand-written scenario ([`SHAPES`]);
//! - **kconfig**: `all` asks for every combination of the CXL drivers built in or modular ×
//!   DEV_DAX_HMEM y/m/n × DEV_DAX_CXL y/m/n (the choices the series' cover letters and bug
//!   reports turn on), with DAX and DEV_DAX built in when either dax driver is and CXL_REGION
//!   on; `modular` and `builtin` ask for one each. Requests every design resolves alike are
//!   explored once;
//! - **events**: what userspace does after boot ([`EVENTS`]).
//!
//! Each combination is explored on each design ([`crate::explore::explore`]) up to a run
//! budget; one that the budget stops is reported as incomplete, never as clean. A design's
//! finding (spec or order) is split as the checks split it: `mainline too` when mainline's
//! exploration of the same `.config` shows it ([`crate::model::baseline_for`]), `known` when the
//! shipped known list covers it, else new.

use crate::checks;
use crate::designs::Design;
use crate::explore::{self, Exploration, Shown};
use crate::model;
use crate::scenario::{text, Scenario};
use srfuzz_oracle::KnownList;
use std::collections::BTreeMap;

/// A platform shape: a name and its `[platform]` lines.
pub struct Shape {
    /// What the command line calls it.
    pub name: &'static str,
    /// What it is, for `--help` and reports.
    pub about: &'static str,
    /// Its `[platform]` section.
    pub platform: &'static str,
}

/// The shapes a bound can name. Sizes are small (they change no cost or outcome); every shape
/// follows the platform rules (`tests/explore_bound.rs` parses each).
pub const SHAPES: &[Shape] = &[
    Shape {
        name: "cxl-sr",
        about: "one window, one committed (auto) region, Soft Reserved over it",
        platform: "soft-reserved 0x850000000 size=256M
host-bridge 0
window 0x850000000 size=256M targets=0
memdev host-bridge=0 capacity=256M presence=boot decoder=0x850000000,size=256M,ways=1,pos=0
",
    },
    Shape {
        name: "cxl-empty",
        about: "one window, one memdev that firmware left unprogrammed, no Soft Reserved \
                (the user creates the region: events `create-region`)",
        platform: "host-bridge 0
window 0x850000000 size=256M targets=0
memdev host-bridge=0 capacity=256M presence=boot decoder=none
",
    },
    Shape {
        name: "assembly-failure",
        about: "a 2-way region whose second member never appears, under Soft Reserved \
                (the v7/v8 cover letters' [3])",
        platform: "soft-reserved 0x850000000 size=512M
host-bridge 0
host-bridge 1
window 0x850000000 size=512M targets=0,1
memdev host-bridge=0 capacity=256M presence=boot decoder=0x850000000,size=512M,ways=2,pos=0
memdev host-bridge=1 capacity=256M presence=never decoder=0x850000000,size=512M,ways=2,pos=1
",
    },
    Shape {
        name: "hmem-only",
        about: "Soft Reserved memory with no CXL window (HBM, or memmap=nn!ss)",
        platform: "soft-reserved 0x850000000 size=256M
",
    },
    Shape {
        name: "tiled",
        about: "one window, two committed regions side by side, one Soft Reserved entry \
                over both",
        platform: "soft-reserved 0x850000000 size=512M
host-bridge 0
window 0x850000000 size=512M targets=0
memdev host-bridge=0 capacity=256M presence=boot decoder=0x850000000,size=256M,ways=1,pos=0
memdev host-bridge=0 capacity=256M presence=boot decoder=0x860000000,size=256M,ways=1,pos=0
",
    },
    Shape {
        name: "two-windows",
        about: "two windows, each with a committed region under its own Soft Reserved \
                entry (tests/fixtures/explore-two-windows.scn)",
        platform: "soft-reserved 0x850000000 size=256M
soft-reserved 0x950000000 size=256M
host-bridge 0
host-bridge 1
window 0x850000000 size=256M targets=0
window 0x950000000 size=256M targets=1
memdev host-bridge=0 capacity=256M presence=boot decoder=0x850000000,size=256M,ways=1,pos=0
memdev host-bridge=1 capacity=256M presence=boot decoder=0x950000000,size=256M,ways=1,pos=0
",
    },
];

/// An event list after boot: a name and its `[events]` lines.
pub struct Events {
    /// What the command line calls it.
    pub name: &'static str,
    /// Its `[events]` section.
    pub events: &'static str,
}

/// The event lists a bound can name. Every user action comes after a `settle`, so the order
/// check holds designs to account for them ([`checks::user_acts_on_a_quiet_system`]).
/// `create-region` is meant for `cxl-empty`; on a shape whose memdev is already decoded the
/// user's request fails, as it would on such a machine.
pub const EVENTS: &[Events] = &[
    Events {
        name: "boot",
        events: "settle\n",
    },
    Events {
        name: "reload-hmem",
        events: "settle\nrmmod dax_hmem\nsettle\nmodprobe dax_hmem\nsettle\n",
    },
    Events {
        name: "create-region",
        events: "settle\ncreate-region window=0 memdevs=0\nsettle\n",
    },
    Events {
        name: "reload-dax-cxl",
        events: "settle\nrmmod dax_cxl\nsettle\nmodprobe dax_cxl\nsettle\n",
    },
];

/// One `.config` request of a bound.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct KconfigChoice {
    /// The CXL drivers (CXL_BUS, CXL_ACPI, CXL_PCI, CXL_MEM, CXL_PORT): `y` or `m`.
    pub cxl: char,
    /// DEV_DAX_HMEM: `y`, `m` or `n`.
    pub hmem: char,
    /// DEV_DAX_CXL: `y`, `m` or `n`.
    pub dax_cxl: char,
}

impl KconfigChoice {
    /// Everything modular.
    pub const MODULAR: KconfigChoice = KconfigChoice {
        cxl: 'm',
        hmem: 'm',
        dax_cxl: 'm',
    };
    /// Everything built in.
    pub const BUILTIN: KconfigChoice = KconfigChoice {
        cxl: 'y',
        hmem: 'y',
        dax_cxl: 'y',
    };

    /// Its `[kconfig]` section.
    pub fn text(self) -> String {
        let dax = if self.hmem == 'y' || self.dax_cxl == 'y' {
            'y'
        } else {
            'm'
        };
        let mut t = String::new();
        for sym in ["CXL_BUS", "CXL_ACPI", "CXL_PCI", "CXL_MEM", "CXL_PORT"] {
            t.push_str(&format!("CONFIG_{sym}={}\n", self.cxl));
        }
        t.push_str("CONFIG_CXL_REGION=y\n");
        t.push_str(&format!("CONFIG_DAX={dax}\nCONFIG_DEV_DAX={dax}\n"));
        t.push_str(&format!("CONFIG_DEV_DAX_HMEM={}\n", self.hmem));
        t.push_str(&format!("CONFIG_DEV_DAX_CXL={}\n", self.dax_cxl));
        t.push_str("CONFIG_DEV_DAX_KMEM=m\n");
        t
    }

    /// A short name: `cxl=m hmem=y dax_cxl=n`.
    pub fn name(self) -> String {
        format!(
            "cxl={} hmem={} dax_cxl={}",
            self.cxl, self.hmem, self.dax_cxl
        )
    }
}

/// What to enumerate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    /// Indexes into [`SHAPES`].
    pub shapes: Vec<usize>,
    /// The requests.
    pub kconfigs: Vec<KconfigChoice>,
    /// Indexes into [`EVENTS`].
    pub events: Vec<usize>,
}

/// The index in `names` of each of `items`, or what `key` expected.
fn indexes(key: &str, what: &str, items: &[&str], names: &[&str]) -> Result<Vec<usize>, String> {
    items
        .iter()
        .map(|n| {
            names.iter().position(|x| x == n).ok_or_else(|| {
                format!(
                    "{key}: `{n}` is not {what}; expected one of {}",
                    names.join(", ")
                )
            })
        })
        .collect()
}

fn all_kconfigs() -> Vec<KconfigChoice> {
    let mut v = Vec::new();
    for cxl in ['m', 'y'] {
        for hmem in ['m', 'y', 'n'] {
            for dax_cxl in ['m', 'y', 'n'] {
                v.push(KconfigChoice { cxl, hmem, dax_cxl });
            }
        }
    }
    v
}

impl Bound {
    /// A named bound: `tiny` (one region, all modular or all built in, boot), `small` (the
    /// one-window shapes × every Kconfig × boot) or `series` (`small` plus the two-memdev
    /// shapes and the module reloads).
    pub fn preset(name: &str) -> Option<Bound> {
        let shape = |n: &str| SHAPES.iter().position(|s| s.name == n).expect("a shape");
        let all: Vec<usize> = (0..SHAPES.len()).collect();
        match name {
            "tiny" => Some(Bound {
                shapes: vec![shape("cxl-sr")],
                kconfigs: vec![KconfigChoice::MODULAR, KconfigChoice::BUILTIN],
                events: vec![0],
            }),
            "small" => Some(Bound {
                shapes: ["cxl-sr", "cxl-empty", "assembly-failure", "hmem-only"]
                    .iter()
                    .map(|n| shape(n))
                    .collect(),
                kconfigs: all_kconfigs(),
                events: vec![0],
            }),
            "series" => Some(Bound {
                shapes: all,
                kconfigs: all_kconfigs(),
                events: (0..EVENTS.len()).collect(),
            }),
            _ => None,
        }
    }

    /// Parses `--bound`: a preset name, or `shapes=A+B,kconfig=K+L,events=E+F` where a Kconfig
    /// item is `all`, `modular`, `builtin` or three letters for the CXL drivers (y/m),
    /// DEV_DAX_HMEM and DEV_DAX_CXL (y/m/n), e.g. `mym`. Keys left out take `small`'s lists.
    pub fn parse(spec: &str) -> Result<Bound, String> {
        if let Some(b) = Bound::preset(spec) {
            return Ok(b);
        }
        let mut b = Bound::preset("small").expect("small is a preset");
        for part in spec.split(',') {
            let Some((key, value)) = part.split_once('=') else {
                return Err(format!(
                    "`{part}`: expected a preset (tiny, small, series) or key=value with a key \
                     of shapes, kconfig, events"
                ));
            };
            let items: Vec<&str> = value.split('+').collect();
            match key {
                "shapes" => {
                    let names: Vec<&str> = SHAPES.iter().map(|s| s.name).collect();
                    b.shapes = indexes("shapes", "a shape", &items, &names)?;
                }
                "events" => {
                    let names: Vec<&str> = EVENTS.iter().map(|e| e.name).collect();
                    b.events = indexes("events", "an event list", &items, &names)?;
                }
                "kconfig" => {
                    let mut v = Vec::new();
                    for it in items {
                        match it {
                            "all" => v.extend(all_kconfigs()),
                            "modular" => v.push(KconfigChoice::MODULAR),
                            "builtin" => v.push(KconfigChoice::BUILTIN),
                            c => {
                                let ch: Vec<char> = c.chars().collect();
                                let ok = ch.len() == 3
                                    && matches!(ch[0], 'y' | 'm')
                                    && ch[1..].iter().all(|x| matches!(x, 'y' | 'm' | 'n'));
                                if !ok {
                                    return Err(format!(
                                        "kconfig: `{c}`: expected all, modular, builtin or three \
                                         letters for CXL (y/m), DEV_DAX_HMEM and DEV_DAX_CXL \
                                         (y/m/n), e.g. `mym`"
                                    ));
                                }
                                v.push(KconfigChoice {
                                    cxl: ch[0],
                                    hmem: ch[1],
                                    dax_cxl: ch[2],
                                });
                            }
                        }
                    }
                    b.kconfigs = v;
                }
                k => {
                    return Err(format!(
                        "`{k}`: not a bound key; expected shapes, kconfig or events"
                    ))
                }
            }
        }
        Ok(b)
    }

    /// Every combination as a named, validated scenario, requests that every one of
    /// `designs` (and mainline) resolves alike kept once. A combination whose events do not
    /// fit its shape (`create-region` on a machine without a window) is left out, with the
    /// parser's reason, in the second list.
    pub fn scenarios(&self, designs: &[&'static Design]) -> (Vec<(String, Scenario)>, Vec<String>) {
        let mut out: Vec<(String, Scenario)> = Vec::new();
        let mut unfit: Vec<String> = Vec::new();
        let mut seen: Vec<(usize, usize, Vec<crate::kernel::kconfig::Kconfig>)> = Vec::new();
        for &si in &self.shapes {
            for &ei in &self.events {
                for k in &self.kconfigs {
                    let t = format!(
                        "[platform]\n{}[kconfig]\n{}[events]\n{}",
                        SHAPES[si].platform,
                        k.text(),
                        EVENTS[ei].events
                    );
                    let name = format!("{} / {} / {}", SHAPES[si].name, k.name(), EVENTS[ei].name);
                    let s = match text::parse(&t) {
                        Ok(s) => s,
                        Err(e) => {
                            unfit.push(format!("{name}: {e}"));
                            continue;
                        }
                    };
                    let resolved: Vec<_> = designs
                        .iter()
                        .copied()
                        .chain([checks::mainline()])
                        .map(|d| model::resolved(d, &s))
                        .collect();
                    if seen
                        .iter()
                        .any(|(a, b, r)| *a == si && *b == ei && *r == resolved)
                    {
                        continue;
                    }
                    seen.push((si, ei, resolved));
                    out.push((name, s));
                }
            }
        }
        (out, unfit)
    }
}

/// How a design's finding on one combination stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub enum Standing {
    /// Neither mainline (on the same `.config`) nor the known list has it.
    New,
    /// The shipped known list covers it.
    Known,
    /// Mainline's exploration of the same `.config` shows it too.
    MainlineToo,
}

impl Standing {
    /// As printed.
    pub fn name(self) -> &'static str {
        match self {
            Standing::New => "new",
            Standing::Known => "known",
            Standing::MainlineToo => "mainline too",
        }
    }
}

/// One finding of one design over the bound: the combinations that show it, and the one with
/// the shortest schedule.
#[derive(Clone, Debug)]
pub struct Found {
    /// Spec or order.
    pub check: checks::Check,
    /// Its title.
    pub title: String,
    /// How it stands.
    pub standing: Standing,
    /// Combinations that show it.
    pub combinations: u32,
    /// The first combination (in bound order) that shows it, with the shortest schedule seen
    /// there: replayable as a scenario.
    pub example: Scenario,
    /// That combination's name.
    pub example_name: String,
}

/// One design over the bound.
#[derive(Clone, Debug)]
pub struct DesignResult {
    /// The design.
    pub design: &'static Design,
    /// Combinations explored.
    pub combinations: u32,
    /// Those the run budget stopped (named), never counted as clean.
    pub incomplete: Vec<String>,
    /// Combinations that end in more than one way.
    pub order_dependent: u32,
    /// States and runs over every combination, and wall time.
    pub states: u64,
    /// Runs made.
    pub runs: u64,
    /// Seconds spent.
    pub seconds: f64,
    /// Findings, new first.
    pub found: Vec<Found>,
}

/// Explores every combination of `bound` on each of `designs` (mainline is explored as the
/// baseline whether listed or not) with at most `max_runs` runs each, on `jobs` threads; the
/// result does not depend on `jobs`. `progress` is told each combination as it finishes.
pub fn explore_bound(
    bound: &Bound,
    designs: &[&'static Design],
    max_runs: u64,
    jobs: usize,
    known: &KnownList,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Vec<DesignResult> {
    let (scenarios, _) = bound.scenarios(designs);
    let mainline = checks::mainline();
    // One task per combination: mainline's walk (and its walk on each design's `.config`
    // where that differs) and every design's.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done = std::sync::atomic::AtomicUsize::new(0);
    type PerCombination = Vec<(Exploration, Vec<(checks::Check, Shown, Standing)>)>;
    let results: std::sync::Mutex<BTreeMap<usize, PerCombination>> = Default::default();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((_, s)) = scenarios.get(i) else {
                    return;
                };
                let base = explore::explore(mainline, s, max_runs);
                let mut per: PerCombination = Vec::new();
                for &d in designs {
                    let e = if d.name == mainline.name {
                        base.clone()
                    } else {
                        explore::explore(d, s, max_runs)
                    };
                    // Mainline on this design's `.config`.
                    let own = match model::baseline_for(s, d, mainline) {
                        Some(std::borrow::Cow::Borrowed(_)) => Some(base.clone()),
                        Some(std::borrow::Cow::Owned(o)) => {
                            Some(explore::explore(mainline, &o, max_runs))
                        }
                        None => None,
                    };
                    let mut fs = Vec::new();
                    let shown =
                        e.findings
                            .iter()
                            .map(|x| (checks::Check::Spec, x, own.as_ref().map(|b| &b.findings)))
                            .chain(e.order.iter().map(|x| {
                                (checks::Check::Order, x, own.as_ref().map(|b| &b.order))
                            }));
                    for (check, x, base_titles) in shown {
                        let in_mainline = d.name != mainline.name
                            && base_titles.is_some_and(|b| {
                                srfuzz_oracle::finding::title_on(&x.title, d.name, mainline.name)
                                    .is_some_and(|t| b.iter().any(|m| m.title == t))
                            });
                        let standing = if in_mainline || d.name == mainline.name {
                            Standing::MainlineToo
                        } else if known.lookup_title(&x.title).is_some() {
                            Standing::Known
                        } else {
                            Standing::New
                        };
                        fs.push((check, x.clone(), standing));
                    }
                    per.push((e, fs));
                }
                results.lock().expect("no thread panicked").insert(i, per);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(n, scenarios.len());
            });
        }
    });
    let results = results.into_inner().expect("no thread panicked");
    let mut out: Vec<DesignResult> = designs
        .iter()
        .map(|&design| DesignResult {
            design,
            combinations: 0,
            incomplete: Vec::new(),
            order_dependent: 0,
            states: 0,
            runs: 0,
            seconds: 0.0,
            found: Vec::new(),
        })
        .collect();
    for (i, per) in results {
        let (name, s) = &scenarios[i];
        for (r, (e, fs)) in out.iter_mut().zip(per) {
            r.combinations += 1;
            r.states += e.states;
            r.runs += e.runs;
            r.seconds += e.seconds;
            if !e.complete {
                r.incomplete.push(name.clone());
            }
            if e.outcomes.len() > 1 {
                r.order_dependent += 1;
            }
            for (check, x, standing) in fs {
                match r
                    .found
                    .iter_mut()
                    .find(|f| f.check == check && f.title == x.title)
                {
                    Some(f) => f.combinations += 1,
                    None => r.found.push(Found {
                        check,
                        title: x.title,
                        standing,
                        combinations: 1,
                        example: Scenario {
                            schedule: x.schedule,
                            ..s.clone()
                        },
                        example_name: name.clone(),
                    }),
                }
            }
        }
    }
    for r in &mut out {
        r.found.sort_by_key(|f| f.standing);
    }
    out
}
