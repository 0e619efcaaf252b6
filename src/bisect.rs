//! Cause bisection over a patch stack: which patches of a design a finding needs.
//!
//! syzbot bisects a kernel's history to the first commit that shows a crash. A design here is
//! mainline plus an ordered patch stack ([`crate::designs`]), and any subset of the stack is a
//! design of its own ([`Design::with_patches`]), so two questions have exact answers:
//!
//! * **the first patch**: applying the stack one patch at a time on mainline, the first prefix
//!   that shows the finding — the patch that introduces it in the series' order, what a
//!   reviewer replies to;
//! * **the culprits**: the smallest sets of patches whose removal from the whole design makes
//!   the finding go away (every such set of the smallest size, up to [`MAX_CULPRITS`] patches),
//!   which is what a fix has to change. A finding that survives the removal of any
//!   [`MAX_CULPRITS`] patches has none listed.
//!
//! Patches are not independent in the kernel (a later patch may call what an earlier one
//! added); in the model each patch replaces `Ops` entries, so every subset is a design that
//! runs, and a removal set can name a patch whose code only matters together with another's.
//! Both answers are over the model's patches, one design at a time; for a differential finding
//! between two designs, each design that is not mainline is bisected with the other held whole.

use crate::checks::Target;
use crate::designs::{Design, Patch};
use crate::scenario::Scenario;

/// The largest removal set tried.
pub const MAX_CULPRITS: usize = 3;

/// The bisection of one design.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesignBisection {
    /// The design bisected.
    pub design: &'static Design,
    /// Index of the patch whose addition first shows the finding, applying the stack in order
    /// on mainline. None when no prefix shows it, or when the empty prefix already does (a
    /// differential finding the other design makes on its own).
    pub first: Option<usize>,
    /// Whether every longer prefix shows it too (the finding stays once introduced).
    pub stays: bool,
    /// The smallest removal sets (indices into the stack), each sorted, in lexicographic order.
    pub culprits: Vec<Vec<usize>>,
}

impl DesignBisection {
    /// The first patch, if any.
    pub fn first_patch(&self) -> Option<&'static Patch> {
        self.first.map(|i| &self.design.patches[i])
    }

    /// Every patch any culprit set names, in stack order.
    pub fn culprit_patches(&self) -> Vec<&'static Patch> {
        let mut idx: Vec<usize> = self.culprits.iter().flatten().copied().collect();
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter().map(|i| &self.design.patches[i]).collect()
    }
}

/// A finding's bisection: one entry per design its patches may come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bisection {
    /// Per design, in the order of [`Target::designs`].
    pub designs: Vec<DesignBisection>,
    /// Runs of the check made.
    pub evaluations: usize,
}

impl Bisection {
    /// Whether only commits of a design's base tree ([`Patch::in_base`]) are blamed: every
    /// culprit patch (or, when no design has a small removal set, every first patch) is one,
    /// and there is at least one. Such a finding is the base tree's doing, not the series'.
    pub fn blames_only_the_base(&self) -> bool {
        let mut blamed: Vec<&'static Patch> = self
            .designs
            .iter()
            .flat_map(|d| d.culprit_patches())
            .collect();
        if blamed.is_empty() {
            blamed = self
                .designs
                .iter()
                .filter_map(|d| d.first_patch())
                .collect();
        }
        !blamed.is_empty() && blamed.iter().all(|p| p.in_base)
    }

    /// Whether a differential finding is there because the two designs sit on different base
    /// trees: removing only base commits from one design makes it go away (a culprit set of
    /// base commits alone; v5's base makes `rmmod cxl_mem` fail while cxl_pci is loaded, which
    /// v4's older base does not). The same design on the other's base would not diverge.
    /// Problems of a series on its own base stay the spec and order checks' to find.
    pub fn bases_differ(&self) -> bool {
        self.blames_only_the_base()
            || self.designs.iter().any(|d| {
                d.culprits
                    .iter()
                    .any(|set| set.iter().all(|&i| d.design.patches[i].in_base))
            })
    }

    /// The root cause's patch subjects: every culprit patch of every design, sorted and
    /// deduplicated (designs share patches: v4's and v5's common ones have one subject).
    pub fn culprit_subjects(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .designs
            .iter()
            .flat_map(|d| d.culprit_patches())
            .map(|p| p.subject)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The subjects of the first patch that shows the finding, per design, sorted and
    /// deduplicated (one patch posted in several versions has one subject).
    pub fn first_subjects(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = self
            .designs
            .iter()
            .filter_map(|d| d.first_patch())
            .map(|p| p.subject)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// Bisects `target` on `s`, which must show it. Deterministic; at most
/// 1 + n + C(n,1) + … + C(n, MAX_CULPRITS) runs of the check per design of n patches.
pub fn bisect(target: &Target, s: &Scenario) -> Bisection {
    let mut evaluations = 0usize;
    let mut out = Vec::new();
    for d in target.designs() {
        let n = d.patches.len();
        let full: u64 = if n >= 64 { u64::MAX } else { (1 << n) - 1 };
        let mut shows = |mask: u64| {
            evaluations += 1;
            let variant = d.with_patches(mask);
            let designs: Vec<&'static Design> = match target.check.pair() {
                Some([a, b]) => [a, b]
                    .into_iter()
                    .map(|x| if std::ptr::eq(x, d) { variant } else { x })
                    .collect(),
                None => vec![variant],
            };
            target.shows_with(s, &designs)
        };
        // Prefixes: mainline + patches[..k], k = 0..=n.
        let prefix = |k: usize| if k >= 64 { u64::MAX } else { (1u64 << k) - 1 };
        let verdicts: Vec<bool> = (0..=n).map(|k| shows(prefix(k))).collect();
        let first_k = verdicts.iter().position(|&v| v);
        let first = first_k.and_then(|k| k.checked_sub(1));
        let stays = first_k.is_some_and(|k| verdicts[k..].iter().all(|&v| v));
        // Smallest removal sets.
        let mut culprits = Vec::new();
        for size in 1..=MAX_CULPRITS.min(n) {
            for set in subsets(n, size) {
                let mask = set.iter().fold(full, |m, &i| m & !(1u64 << i));
                if !shows(mask) {
                    culprits.push(set);
                }
            }
            if !culprits.is_empty() {
                break;
            }
        }
        out.push(DesignBisection {
            design: d,
            first,
            stays,
            culprits,
        });
    }
    Bisection {
        designs: out,
        evaluations,
    }
}

/// Every `size`-subset of `0..n`, each sorted, in lexicographic order.
fn subsets(n: usize, size: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::with_capacity(size);
    fn rec(start: usize, n: usize, size: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == size {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            rec(i + 1, n, size, cur, out);
            cur.pop();
        }
    }
    rec(0, n, size, &mut cur, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::subsets;

    #[test]
    fn subsets_are_lexicographic_and_complete() {
        assert_eq!(
            subsets(4, 2),
            vec![
                vec![0, 1],
                vec![0, 2],
                vec![0, 3],
                vec![1, 2],
                vec![1, 3],
                vec![2, 3]
            ]
        );
        assert_eq!(subsets(3, 3), vec![vec![0, 1, 2]]);
        assert_eq!(subsets(5, 1).len(), 5);
    }
}

#[cfg(test)]
mod base_tests {
    use super::*;

    fn v5_with(culprits: Vec<Vec<usize>>) -> Bisection {
        let design = crate::designs::by_name("dax_cxl_mode-v5").unwrap();
        Bisection {
            designs: vec![DesignBisection {
                design,
                first: Some(0),
                stays: true,
                culprits,
            }],
            evaluations: 0,
        }
    }

    /// Which patches of v5's stack are its base tree's, by position.
    fn index(label_start: &str) -> usize {
        let d = crate::designs::by_name("dax_cxl_mode-v5").unwrap();
        d.patches
            .iter()
            .position(|p| p.label.starts_with(label_start))
            .unwrap_or_else(|| panic!("no patch {label_start}"))
    }

    /// Blamed only on base commits: the base's. A culprit set of base commits alone, next to
    /// one of series patches: the bases differ (for a differential finding), but the series
    /// is blamed too.
    #[test]
    fn base_commits_are_told_apart_from_the_series() {
        let (base, series) = (index("1f1cb7f0"), index("v5 6/7"));
        assert!(crate::designs::by_name("dax_cxl_mode-v5").unwrap().patches[base].in_base);
        let only_base = v5_with(vec![vec![base]]);
        assert!(only_base.blames_only_the_base() && only_base.bases_differ());
        let both = v5_with(vec![vec![base], vec![series]]);
        assert!(!both.blames_only_the_base());
        assert!(both.bases_differ());
        let pair = v5_with(vec![vec![base, series]]);
        assert!(!pair.blames_only_the_base() && !pair.bases_differ());
        let only_series = v5_with(vec![vec![series]]);
        assert!(!only_series.blames_only_the_base() && !only_series.bases_differ());
    }
}
