//! Triage: a campaign's artifacts, grouped into root causes.
//!
//! A campaign writes raw inputs (libFuzzer artifacts) into a directory and records next to them
//! how it judged them ([`Campaign`], the file [`MANIFEST`]): the check, the design pair, the
//! known-findings list and the generator version. Triage replays every artifact with exactly
//! that check, keeps the titles that are new (neither known, declared nor shown by mainline),
//! minimizes the first file of each title once, bisects the minimized scenario, and groups
//! titles into **root causes**: the same finding kind and subject (the title without its
//! `[design, Kconfig]` tags) blamed on the same patches. One root cause is typically one problem
//! seen on several designs (v4 and v4-fixed share nine patches) or configurations. Root causes
//! blamed on the same patches whose minimized repros show each other's titles are then folded
//! into one: symptoms of one problem (a deferral that never ends is a deadlock, a leak and a
//! spec deviation on the same scenario).

use crate::bisect::{bisect, Bisection};
use crate::checks::{Check, Target};
use crate::minimize::minimize;
use crate::scenario::file::Loaded;
use crate::scenario::Scenario;
use srfuzz_oracle::KnownList;
use std::path::{Path, PathBuf};

/// The file in a campaign's artifact directory that records how the campaign judged.
pub const MANIFEST: &str = "srfuzz-campaign.txt";

/// How a campaign judged its inputs (the [`MANIFEST`] file: `key: value` lines).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Campaign {
    /// `check:` differential, spec or order.
    pub check: Option<String>,
    /// `designs:` the pair, "a,b" (differential only).
    pub designs: Option<String>,
    /// `known:` `shipped`, `none`, or a path.
    pub known: Option<String>,
    /// `generator:` the generator version the artifacts' bytes are for.
    pub generator: Option<u32>,
    /// `quirks:` the quirks the generator was allowed (comma-separated).
    pub quirks: Option<String>,
}

impl Campaign {
    /// Reads `dir/MANIFEST`, if there is one.
    pub fn read(dir: &Path) -> Result<Option<Campaign>, String> {
        let path = dir.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Campaign::parse(&path.display().to_string(), &text).map(Some)
    }

    /// Parses the manifest text; errors name `file:line`.
    pub fn parse(file: &str, text: &str) -> Result<Campaign, String> {
        let mut c = Campaign::default();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let bad = |m: String| format!("{file}: line {}: {m}", i + 1);
            let Some((k, v)) = t.split_once(':') else {
                return Err(bad(format!("expected `key: value`, found `{t}`")));
            };
            let v = v.trim();
            let v_opt = (!v.is_empty()).then(|| v.to_string());
            match k.trim() {
                "check" => c.check = v_opt,
                "designs" => c.designs = v_opt,
                "known" => c.known = v_opt,
                "quirks" => c.quirks = v_opt,
                "generator" => {
                    c.generator = Some(v.parse().map_err(|_| {
                        bad(format!("bad generator version `{v}`: expected a number"))
                    })?)
                }
                other => {
                    return Err(bad(format!(
                        "unknown key `{other}`: expected check, designs, known, generator or quirks"
                    )))
                }
            }
        }
        Ok(c)
    }

    /// The manifest text.
    pub fn render(&self) -> String {
        let mut o =
            String::from("# srfuzz campaign: how the inputs in this directory were judged\n");
        let mut kv = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                o.push_str(&format!("{k}: {v}\n"));
            }
        };
        kv("check", &self.check);
        kv("designs", &self.designs);
        kv("known", &self.known);
        kv("generator", &self.generator.map(|g| g.to_string()));
        kv("quirks", &self.quirks);
        o
    }
}

/// One title over a campaign's files.
#[derive(Clone, Debug)]
pub struct TitleGroup {
    /// The title.
    pub title: String,
    /// Files that show it.
    pub count: usize,
    /// The first of them.
    pub first: PathBuf,
    /// Its raw bytes, quirks and the generator version that decoded them, when it is raw
    /// fuzzer input (kept beside the repro, stamped with that version).
    pub raw: Option<(Vec<u8>, crate::scenario::Quirks, u32)>,
    /// Its detail on that file.
    pub detail: String,
    /// That file's scenario, minimized for this title.
    pub minimized: Scenario,
    /// Scenario lines before and after minimization.
    pub lines: (usize, usize),
    /// The minimized scenario's bisection.
    pub bisection: Bisection,
}

/// What makes two titles one root cause.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RootKey {
    /// The finding kind and subject: the title without its design and Kconfig tags.
    pub subject: String,
    /// The patches blamed: every culprit's subject (or, when no small removal set exists, the
    /// first patch that shows it), sorted.
    pub patches: Vec<&'static str>,
}

/// A root cause and the titles it covers.
#[derive(Clone, Debug)]
pub struct RootCause {
    /// Its key.
    pub key: RootKey,
    /// Its titles, in order of first appearance.
    pub titles: Vec<TitleGroup>,
}

/// The outcome of a triage.
#[derive(Clone, Debug, Default)]
pub struct Triage {
    /// Files read.
    pub files: usize,
    /// Files that show no new finding.
    pub without: usize,
    /// Distinct titles mainline shows too.
    pub pre_existing: Vec<String>,
    /// Root causes, in order of first appearance.
    pub root_causes: Vec<RootCause>,
    /// Root causes only commits of a design's base tree are blamed for
    /// ([`Bisection::blames_only_the_base`]; for a differential finding, one that removing
    /// base commits alone from one design makes go away, [`Bisection::bases_differ`]): what
    /// the base changed against mainline, not what the series does; kept apart like findings
    /// mainline shows.
    pub from_base: Vec<RootCause>,
}

impl Triage {
    /// Distinct new titles.
    pub fn titles(&self) -> usize {
        self.root_causes.iter().map(|r| r.titles.len()).sum()
    }
}

/// The title without its `[design, tags]` part: the problem's kind and subject (for a
/// differential title, what differs without either side's state).
pub fn subject_of(check: Check, title: &str) -> String {
    match check {
        // "region divergence [a vs b, tags]: region N-N (auto) | a's state | b's state": the
        // subject is what differs, not how (kmem onlining the memory or not is one problem).
        Check::Differential(..) => match title.split_once(" [") {
            Some((head, rest)) => match rest.split_once("]: ") {
                Some((_, body)) => {
                    let what = body.split(" | ").next().unwrap_or(body);
                    format!("{head}: {what}")
                }
                None => title.to_string(),
            },
            None => title.to_string(),
        },
        _ => match title.rfind(" [") {
            Some(i) => title[..i].to_string(),
            None => title.to_string(),
        },
    }
}

/// The root-cause key of `title` with its bisection.
pub fn root_key(check: Check, title: &str, b: &Bisection) -> RootKey {
    let mut patches = b.culprit_subjects();
    if patches.is_empty() {
        patches = b.first_subjects();
    }
    RootKey {
        subject: subject_of(check, title),
        patches,
    }
}

/// Lines of a scenario's text that say something: not blank, not a comment (a
/// `# CONFIG_X is not set` line is a setting and counts).
pub fn scenario_lines(s: &Scenario) -> usize {
    crate::scenario::text::print(s)
        .lines()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty()
                && (!t.starts_with('#') || t.trim_start_matches(['#', ' ']).starts_with("CONFIG_"))
        })
        .count()
}

/// Triages `files` under `check`, skipping what `known` covers. `progress` is called after
/// each file (for a progress bar).
pub fn triage(
    files: &[Loaded],
    check: Check,
    known: &KnownList,
    progress: &mut dyn FnMut(usize),
) -> Triage {
    let mut t = Triage {
        files: files.len(),
        ..Triage::default()
    };
    let mut groups: Vec<TitleGroup> = Vec::new();
    // In path order, whatever order the files came in (a hunt's jobs record them as they find
    // them): which file stands for a title decides its minimized repro and so its root cause,
    // and the same files must give the same root causes.
    let mut files: Vec<&Loaded> = files.iter().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for (i, f) in files.into_iter().enumerate() {
        let v = check.verdict(&f.scenario, known);
        for o in v.pre_existing {
            if !t.pre_existing.contains(&o.title) {
                t.pre_existing.push(o.title);
            }
        }
        if v.new.is_empty() {
            t.without += 1;
        }
        for fd in v.new {
            if let Some(g) = groups.iter_mut().find(|g| g.title == fd.title) {
                g.count += 1;
                continue;
            }
            let target = Target {
                check,
                title: fd.title.clone(),
            };
            let m = minimize(&f.scenario, &mut |c| target.shows(c));
            let bisection = bisect(&target, &m.scenario);
            groups.push(TitleGroup {
                lines: (scenario_lines(&f.scenario), scenario_lines(&m.scenario)),
                title: fd.title,
                count: 1,
                first: f.path.clone(),
                raw: match &f.origin {
                    crate::scenario::file::Origin::Raw {
                        data,
                        quirks,
                        generator,
                        ..
                    } => Some((data.clone(), *quirks, *generator)),
                    crate::scenario::file::Origin::Text(_) => None,
                },
                detail: fd.detail,
                minimized: m.scenario,
                bisection,
            });
        }
        progress(i + 1);
    }
    for g in groups {
        let key = root_key(check, &g.title, &g.bisection);
        match t.root_causes.iter_mut().find(|r| r.key == key) {
            Some(r) => r.titles.push(g),
            None => t.root_causes.push(RootCause {
                key,
                titles: vec![g],
            }),
        }
    }
    let (base, series): (Vec<RootCause>, Vec<RootCause>) =
        merge_symptoms(check, std::mem::take(&mut t.root_causes))
            .into_iter()
            .partition(|rc| {
                rc.titles.iter().all(|g| match check {
                    Check::Differential(..) => g.bisection.bases_differ(),
                    _ => g.bisection.blames_only_the_base(),
                })
            });
    t.root_causes = series;
    t.from_base = base;
    t
}

/// Folds root causes that are symptoms of one problem: blamed on the same patches, and one
/// minimized repro of either shows a title of the other (v5 with HMEM off defers dax_cxl
/// forever, which one minimal scenario shows as a deadlock, a leak, stranded capacity and a
/// spec deviation at once). Deterministic: a root cause folds into the first one it matches.
fn merge_symptoms(check: Check, causes: Vec<RootCause>) -> Vec<RootCause> {
    let shows_any = |a: &RootCause, b: &RootCause| {
        a.titles.iter().any(|ga| {
            b.titles.iter().any(|gb| {
                Target {
                    check,
                    title: gb.title.clone(),
                }
                .shows(&ga.minimized)
            })
        })
    };
    let mut out: Vec<RootCause> = Vec::new();
    for rc in causes {
        let into = out.iter_mut().find(|o| {
            o.key.patches == rc.key.patches
                && !rc.key.patches.is_empty()
                && (shows_any(o, &rc) || shows_any(&rc, o))
        });
        match into {
            Some(o) => o.titles.extend(rc.titles),
            None => out.push(rc),
        }
    }
    out
}

/// A directory name for a root cause: the design(s) as reviewers say them (v4, v4-fixed, v5),
/// then the subject's words, at most [`SLUG_MAX`] characters so that
/// `reports/<name>/scenario.scn` fits a 72-column line.
pub fn slug(check: Check, title: &str) -> String {
    let short = |n: &str| match n {
        "register_dax-v4" => "v4".to_string(),
        "register_dax-v4-fixed" => "v4-fixed".to_string(),
        "dax_cxl_mode-v5" => "v5".to_string(),
        other => other.to_string(),
    };
    let design = match check {
        Check::Differential(a, b) => format!("{}-vs-{}", short(a.name), short(b.name)),
        _ => crate::checks::design_of_title(title)
            .map(|d| short(d.name))
            .unwrap_or_default(),
    };
    let words: String = subject_of(check, title)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let mut out = design;
    for w in words.split('-').filter(|w| !w.is_empty() && *w != "n") {
        if out.len() + 1 + w.len() > SLUG_MAX {
            break;
        }
        out.push('-');
        out.push_str(w);
    }
    out
}

/// The longest directory name [`slug`] makes.
pub const SLUG_MAX: usize = 40;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_drop_the_tags() {
        assert_eq!(
            subject_of(
                Check::Spec,
                "leak: region never gets dax [register_dax-v4, DEV_DAX_HMEM=n]"
            ),
            "leak: region never gets dax"
        );
        let [a, b] = crate::checks::design_pair("register_dax-v4,mainline").unwrap();
        assert_eq!(
            subject_of(
                Check::Differential(a, b),
                "region divergence [register_dax-v4 vs mainline, DEV_DAX_HMEM=n]: region N-N | x | y"
            ),
            "region divergence: region N-N"
        );
    }

    #[test]
    fn manifest_round_trips_and_errors_name_the_line() {
        let c = Campaign {
            check: Some("differential".into()),
            designs: Some("register_dax-v4,mainline".into()),
            known: Some("shipped".into()),
            generator: Some(1),
            quirks: None,
        };
        assert_eq!(Campaign::parse("m", &c.render()), Ok(c));
        let e = Campaign::parse("m", "check: spec\ncolour: red\n").unwrap_err();
        assert!(e.starts_with("m: line 2: unknown key `colour`"), "{e}");
    }
}
