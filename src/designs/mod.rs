//! Designs as patch stacks: mainline (before the series) is the base [`Ops`] table; a design is
//! mainline plus an ordered list of [`Patch`]es, each replacing only the kernel functions its
//! real patch changes. Any set of patches can be left out ([`Design::with_patches`]), so a
//! finding can be bisected to the patches that cause it (`crate::bisect`).

pub mod cxl_init;
pub mod dax_cxl_mode;
pub mod exclusive;
pub mod mainline;
mod ops;
pub mod post_merge;
pub mod register_dax;
pub mod series;
pub mod v3;
pub mod v6;
pub mod v7;
pub mod v8;

pub use ops::{AsyncExit, AsyncInit, CxlRangeFn, DepsLine, HmemRangeFn, ModuleDeps, Ops, ProbeFn};

use std::sync::OnceLock;

/// One posted patch, as a change to the ops table (and Kconfig rules).
#[derive(Clone, Copy, Debug)]
pub struct Patch {
    /// Where it sits in its series, as a reviewer cites it: "v4 6/9", or a commit id.
    pub label: &'static str,
    /// The patch's subject line.
    pub subject: &'static str,
    /// Where it was posted (lore) or merged.
    pub link: &'static str,
    /// Replaces the functions the patch changes.
    pub apply: fn(&mut Ops),
    /// A commit of the tree the design is based on, not of the series under review (v5's
    /// for-7.0/cxl-init base): a finding only such commits cause is the base tree's, not the
    /// series'.
    pub in_base: bool,
}

impl Patch {
    /// A patch: its place in the series, its subject, its link, and what it changes in the ops
    /// table.
    pub const fn new(
        label: &'static str,
        subject: &'static str,
        link: &'static str,
        apply: fn(&mut Ops),
    ) -> Patch {
        Patch {
            label,
            subject,
            link,
            apply,
            in_base: false,
        }
    }

    /// The same patch, marked as a commit of the design's base tree ([`Patch::in_base`]).
    pub const fn of_the_base(self) -> Patch {
        Patch {
            in_base: true,
            ..self
        }
    }
}

/// A finding a design knowingly produces — an invariant it does not keep, or a deviation from
/// the spec it chose — with the reason and where it was decided. Judges report matching
/// findings as declared, not as bugs.
#[derive(Clone, Copy, Debug)]
pub struct Declared {
    /// Pattern over finding titles (`*` matches any text).
    pub title: &'static str,
    /// Why the design does this.
    pub reason: &'static str,
    /// Where it was said.
    pub link: &'static str,
    /// Whether the reason holds in this run, judged on its final observation: a title says
    /// what happened, not why, and the same outcome for another cause is a bug
    /// ([`always`] when the title says enough).
    pub applies: fn(&srfuzz_oracle::Observation) -> bool,
}

/// [`Declared::applies`] for a declaration whose title says enough.
pub fn always(_: &srfuzz_oracle::Observation) -> bool {
    true
}

/// A design: a name, what it is, and its patches on top of mainline.
pub struct Design {
    /// The name users pass to `--designs`.
    pub name: &'static str,
    /// One line for `srfuzz designs`.
    pub summary: &'static str,
    /// The patch stack, in order.
    pub patches: &'static [Patch],
    /// What the design knowingly does that the judges would otherwise report.
    pub declared: &'static [Declared],
    ops: OnceLock<&'static Ops>,
}

impl std::fmt::Debug for Design {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Design")
            .field("name", &self.name)
            .field("patches", &self.patches.len())
            .finish()
    }
}

/// Designs are registered once and compared by identity (a variant of a design is another
/// design, even under the same name).
impl PartialEq for Design {
    fn eq(&self, other: &Design) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Design {}

impl Design {
    /// A design with these patches on mainline.
    pub const fn new(
        name: &'static str,
        summary: &'static str,
        patches: &'static [Patch],
    ) -> Design {
        Design {
            name,
            summary,
            patches,
            declared: &[],
            ops: OnceLock::new(),
        }
    }

    /// The same design with these declared findings.
    pub const fn declaring(self, declared: &'static [Declared]) -> Design {
        let d = Design {
            name: self.name,
            summary: self.summary,
            patches: self.patches,
            declared,
            ops: OnceLock::new(),
        };
        // `self` holds an empty OnceLock; forgetting it leaks nothing.
        std::mem::forget(self);
        d
    }

    /// The declaration covering a finding title in a run that ended as `end`, if any. Without
    /// an end (an order finding compares two runs), the title alone decides.
    pub fn declaration(
        &self,
        title: &str,
        end: Option<&srfuzz_oracle::Observation>,
    ) -> Option<&'static Declared> {
        self.declared.iter().find(|d| {
            srfuzz_oracle::known::glob(d.title, title) && end.is_none_or(|o| (d.applies)(o))
        })
    }

    /// The design's ops: mainline with every patch applied. Built once per process.
    pub fn ops(&self) -> &'static Ops {
        self.ops.get_or_init(|| Box::leak(Box::new(self.build())))
    }

    /// The design with only the patches whose bit is set in `keep` (bit i: patch i, in stack
    /// order), for bisection. The variant keeps the design's name and declarations, so a finding
    /// has the same title on it as on the design. Variants are built once per process and
    /// shared.
    pub fn with_patches(&'static self, keep: u64) -> &'static Design {
        let all = if self.patches.len() >= 64 {
            u64::MAX
        } else {
            (1u64 << self.patches.len()) - 1
        };
        if keep & all == all {
            return self;
        }
        type Variants = Vec<(&'static str, u64, &'static Design)>;
        static VARIANTS: std::sync::Mutex<Variants> = std::sync::Mutex::new(Vec::new());
        let mut seen = VARIANTS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&(_, _, d)) = seen.iter().find(|v| v.0 == self.name && v.1 == keep & all) {
            return d;
        }
        let patches: Vec<Patch> = (0..self.patches.len())
            .filter(|i| keep & (1 << i) != 0)
            .map(|i| self.patches[i])
            .collect();
        let d: &'static Design = Box::leak(Box::new(Design {
            name: self.name,
            summary: self.summary,
            patches: Box::leak(patches.into_boxed_slice()),
            declared: self.declared,
            ops: OnceLock::new(),
        }));
        seen.push((self.name, keep & all, d));
        d
    }

    /// The design with `extra` on top of its stack (a review variant, [`variant`]), under the
    /// design's name. Built once per process.
    pub fn with_extra(&'static self, extra: Patch) -> &'static Design {
        type Extended = Vec<(usize, &'static str, &'static Design)>;
        static EXTENDED: std::sync::Mutex<Extended> = std::sync::Mutex::new(Vec::new());
        let mut seen = EXTENDED.lock().unwrap_or_else(|e| e.into_inner());
        let me = self as *const Design as usize;
        if let Some(&(_, _, d)) = seen.iter().find(|v| v.0 == me && v.1 == extra.label) {
            return d;
        }
        let mut patches = self.patches.to_vec();
        patches.push(extra);
        let d: &'static Design = Box::leak(Box::new(Design {
            name: self.name,
            summary: self.summary,
            patches: Box::leak(patches.into_boxed_slice()),
            declared: self.declared,
            ops: OnceLock::new(),
        }));
        seen.push((me, extra.label, d));
        d
    }

    /// The same design under another name: what a variant asked for on the command line
    /// ([`variant`]) is called, so that its findings are titled, stamped and replayed as the
    /// variant's and not as the design's. Built once per process and shared.
    fn named(&'static self, name: String) -> &'static Design {
        type Named = Vec<(usize, String, &'static Design)>;
        static NAMED: std::sync::Mutex<Named> = std::sync::Mutex::new(Vec::new());
        let mut seen = NAMED.lock().unwrap_or_else(|e| e.into_inner());
        let me = self as *const Design as usize;
        if let Some((_, _, d)) = seen.iter().find(|v| v.0 == me && v.1 == name) {
            return d;
        }
        let d: &'static Design = Box::leak(Box::new(Design {
            name: Box::leak(name.clone().into_boxed_str()),
            summary: self.summary,
            patches: self.patches,
            declared: self.declared,
            ops: OnceLock::new(),
        }));
        seen.push((me, name, d));
        d
    }

    fn build(&self) -> Ops {
        let mut ops = Ops::mainline();
        for p in self.patches {
            (p.apply)(&mut ops);
        }
        ops.kconfig_id = rules_id(&ops.kconfig);
        ops
    }
}

/// The number shared by every ops table with these Kconfig rules (in order of first sight).
fn rules_id(rules: &crate::kernel::kconfig::KconfigRules) -> u32 {
    static SEEN: std::sync::Mutex<Vec<crate::kernel::kconfig::KconfigRules>> =
        std::sync::Mutex::new(Vec::new());
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    let i = match seen.iter().position(|r| r == rules) {
        Some(i) => i,
        None => {
            seen.push(rules.clone());
            seen.len() - 1
        }
    };
    i as u32
}

/// Every design srfuzz knows, mainline first, then the series in the order it was posted and
/// merged.
pub fn all() -> &'static [Design] {
    static ALL: [Design; 10] = [
        Design::new(
            "mainline",
            "before the series (~v6.18): HMEM leaves any CXL-window range to CXL, no fallback",
            &[],
        )
        .declaring(&mainline::DECLARED),
        Design::new(
            "v3",
            "v3 (Sep 2025): HMEM defers CXL-window ranges, then always leaves them to CXL",
            &v3::V3,
        ),
        Design::new(
            "register_dax-v4",
            "v4 (Nov 2025): auto regions wait for HMEM's per-range verdict (register_dax flag)",
            &register_dax::V4,
        ),
        Design::new(
            "register_dax-v4-fixed",
            "v4 plus the proposed fix: probe-time DAX is skipped only when HMEM is built",
            &register_dax::V4_FIXED,
        ),
        Design::new(
            "dax_cxl_mode-v5",
            "v5 (Jan 2026): dax_cxl defers until HMEM decides all-or-nothing (dax_cxl_mode)",
            &dax_cxl_mode::V5,
        )
        .declaring(&dax_cxl_mode::DECLARED),
        Design::new(
            "v6",
            "v6 (Feb 2026): \"DAX Regions\" exclusion; one bus.c work decides DROP/REGISTER for all",
            &v6::V6,
        ),
        Design::new(
            "v7",
            "v7 (Mar 2026): one static hmem.c work, per-range decision, initial-probe flag",
            &v7::V7,
        ),
        Design::new(
            "v8",
            "v8 (Mar 2026): v7 with a static work initializer, CXL wins after the initial probe",
            &v8::V8,
        ),
        Design::new(
            "merged",
            "as merged for 7.1: v8 without 9/9 (Soft Reserved is not put back into iomem)",
            &v8::MERGED,
        ),
        Design::new(
            "post-merge",
            "merged plus the fixes after it: per-device work and did_probe, Kconfig dependencies",
            &post_merge::POST_MERGE,
        ),
    ];
    &ALL
}

/// Looks a design up by name.
pub fn by_name(name: &str) -> Option<&'static Design> {
    all().iter().find(|d| d.name == name)
}

/// Patches that are not part of any design's stack but name a state reviewers discussed; a
/// variant adds them with `NAME+LABEL` ([`variant`]).
pub fn extra_patches() -> &'static [Patch] {
    static EXTRA: [Patch; 1] = [v8::WITHOUT_INITIAL_PROBE_GUARD];
    &EXTRA
}

/// A design, or an intermediate state of one that reviewers discussed, as users write it:
/// `NAME`, `NAME~PATCH[~PATCH…]` for the design without those patches, each named by its
/// label ("v8 9/9", "1eaef15b") or the label's last word when no other label ends so ("9/9"), and `NAME+EXTRA` for the
/// design with one of [`extra_patches`] on top. The variant is named as written, canonically
/// (`v8~9/9` however 9/9 was given, then `+EXTRA`), so its findings are titled, stamped and
/// replayed as the variant's, never as the design's (a title's design resolves through here,
/// [`crate::checks::design_of_title`]); the designs bisection builds from it
/// ([`Design::with_patches`]) keep that name, so titles compare within one bisection.
pub fn variant(spec: &str) -> Result<&'static Design, String> {
    let (spec, extra) = match spec.split_once('+') {
        Some((d, e)) => {
            let e = e.trim();
            let p = extra_patches()
                .iter()
                .find(|p| p.label == e)
                .ok_or_else(|| {
                    let labels: Vec<_> = extra_patches().iter().map(|p| p.label).collect();
                    format!(
                        "no extra patch `{e}`: expected one of {}",
                        labels.join(", ")
                    )
                })?;
            (d, Some(*p))
        }
        None => (spec, None),
    };
    let (d, left_out) = without_patches(spec)?;
    let (d, name) = match extra {
        Some(p) => (d.with_extra(p), format!("{}{left_out}+{}", d.name, p.label)),
        None => (d, format!("{}{left_out}", d.name)),
    };
    Ok(if name == d.name { d } else { d.named(name) })
}

/// `NAME` or `NAME~PATCH[~PATCH…]` (see [`variant`]), and what was left out as it is named:
/// `~` and, per patch in stack order, its label's last word when that names it alone
/// (`v8~9/9`), else its whole label (`dax_cxl_mode-v5~1f1cb7f0 (v5's base)`): a name that
/// [`variant`] reads back to the same design.
fn without_patches(spec: &str) -> Result<(&'static Design, String), String> {
    let mut parts = spec.split('~');
    let name = parts.next().unwrap_or_default().trim();
    let d = by_name(name).ok_or_else(|| {
        let known: Vec<_> = all().iter().map(|d| d.name).collect();
        format!(
            "unknown design `{name}`: expected one of {}",
            known.join(", ")
        )
    })?;
    // A label's last word names it when no other patch's label ends in the same word ("9/9";
    // not "6/9" on v4-fixed, whose fix is "fix for v4 6/9", nor "base)").
    let last = |label: &'static str| label.rsplit(' ').next().unwrap_or(label);
    let short = |i: usize| {
        let w = last(d.patches[i].label);
        d.patches.iter().filter(|x| last(x.label) == w).count() == 1
    };
    let mut keep = u64::MAX;
    for p in parts {
        let p = p.trim();
        let i = d
            .patches
            .iter()
            .position(|x| x.label == p)
            .or_else(|| {
                d.patches
                    .iter()
                    .position(|x| last(x.label) == p)
                    .filter(|&i| short(i))
            })
            .ok_or_else(|| {
                let labels: Vec<_> = d.patches.iter().map(|x| x.label).collect();
                format!(
                    "design `{name}` has no patch `{p}` (or more than one ends so): expected one of {}",
                    labels.join(", ")
                )
            })?;
        keep &= !(1u64 << i);
    }
    let left_out: String = (0..d.patches.len())
        .filter(|&i| keep & (1u64 << i) == 0)
        .map(|i| {
            let label = d.patches[i].label;
            format!("~{}", if short(i) { last(label) } else { label })
        })
        .collect();
    Ok((d.with_patches(keep), left_out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `NAME~PATCH` leaves patches out by label or by its last word, `NAME+EXTRA` adds a
    /// review variant; each is named as asked (one name however the patch was given), and its
    /// titles resolve back to it; bad names say what exists.
    #[test]
    fn variants_leave_patches_out_and_add_review_patches() {
        let v8 = by_name("v8").unwrap();
        let no_9 = variant("v8~9/9").unwrap();
        assert_eq!(no_9.name, "v8~9/9");
        assert!(std::ptr::eq(
            crate::checks::design_of_title("leak: x [v8~9/9, DEV_DAX_CXL=n]").unwrap(),
            no_9
        ));
        assert_eq!(no_9.patches.len(), v8.patches.len() - 1);
        assert!(no_9.patches.iter().all(|p| p.label != "v8 9/9"));
        assert!(std::ptr::eq(no_9, variant("v8~v8 9/9").unwrap()));
        // A last word two labels share names neither; the name then carries the whole label.
        let v5 = by_name("dax_cxl_mode-v5").unwrap();
        let base = v5.patches[0].label;
        let no_base = variant(&format!("dax_cxl_mode-v5~{base}")).unwrap();
        assert_eq!(no_base.name, format!("dax_cxl_mode-v5~{base}"));
        assert!(std::ptr::eq(variant(no_base.name).unwrap(), no_base));
        assert!(variant("dax_cxl_mode-v5~base)").is_err());
        let fixed = variant("register_dax-v4-fixed~v4 6/9").unwrap();
        assert_eq!(fixed.name, "register_dax-v4-fixed~v4 6/9");
        assert!(variant("register_dax-v4-fixed~6/9").is_err());
        let both = variant("v8~9/9~1eaef15b");
        assert!(both.unwrap_err().contains("has no patch `1eaef15b`"));
        let unguarded = variant("v8+no-initial-probe-guard").unwrap();
        assert_eq!(unguarded.name, "v8+no-initial-probe-guard");
        assert!(std::ptr::eq(variant("v8").unwrap(), v8));
        assert_eq!(unguarded.patches.len(), v8.patches.len() + 1);
        assert!(v8.ops().initial_probe_guard && !unguarded.ops().initial_probe_guard);
        assert!(variant("v8+nope")
            .unwrap_err()
            .contains("no-initial-probe-guard"));
        assert!(variant("v9").unwrap_err().contains("unknown design `v9`"));
    }
}
