//! Designs as patch stacks: mainline (before the series) is the base [`Ops`] table; a design is
//! mainline plus an ordered list of [`Patch`]es, each replacing only the kernel functions its
//! real patch changes. Any one patch can be left out ([`Design::ops_without`]), so a finding can
//! be bisected to the patches that cause it.

pub mod dax_cxl_mode;
pub mod mainline;
mod ops;
pub mod register_dax;
pub mod series;

pub use ops::{AsyncExit, AsyncInit, CxlRangeFn, HmemRangeFn, Ops, ProbeFn};

use std::sync::OnceLock;

/// One posted patch, as a change to the ops table (and Kconfig rules).
#[derive(Clone, Copy, Debug)]
pub struct Patch {
    /// The patch's subject line.
    pub subject: &'static str,
    /// Where it was posted (lore) or merged.
    pub link: &'static str,
    /// Replaces the functions the patch changes.
    pub apply: fn(&mut Ops),
}

impl Patch {
    /// A patch: its subject, its link, and what it changes in the ops table.
    pub const fn new(subject: &'static str, link: &'static str, apply: fn(&mut Ops)) -> Patch {
        Patch {
            subject,
            link,
            apply,
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

    /// The declaration covering a finding title, if any.
    pub fn declaration(&self, title: &str) -> Option<&'static Declared> {
        self.declared
            .iter()
            .find(|d| srfuzz_oracle::known::glob(d.title, title))
    }

    /// The design's ops: mainline with every patch applied. Built once per process.
    pub fn ops(&self) -> &'static Ops {
        self.ops
            .get_or_init(|| Box::leak(Box::new(self.build(None))))
    }

    /// The design's ops with patch `skip` (index into [`Design::patches`]) left out. Each call
    /// builds a new table (bisection runs it a handful of times per finding).
    pub fn ops_without(&self, skip: usize) -> &'static Ops {
        Box::leak(Box::new(self.build(Some(skip))))
    }

    fn build(&self, skip: Option<usize>) -> Ops {
        let mut ops = Ops::mainline();
        for (i, p) in self.patches.iter().enumerate() {
            if Some(i) != skip {
                (p.apply)(&mut ops);
            }
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

/// Every design srfuzz knows, mainline first.
pub fn all() -> &'static [Design] {
    static ALL: [Design; 4] = [
        Design::new(
            "mainline",
            "before the series (~v6.18): HMEM leaves any CXL-window range to CXL, no fallback",
            &[],
        )
        .declaring(&mainline::DECLARED),
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
    ];
    &ALL
}

/// Looks a design up by name.
pub fn by_name(name: &str) -> Option<&'static Design> {
    all().iter().find(|d| d.name == name)
}
