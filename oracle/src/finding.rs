//! Findings: what a judge reports, with a kind, a stable title and a dedup key.
//!
//! A title names the problem, the design(s) and the configuration facts that matter
//! (`[register_dax-v4, DEV_DAX_HMEM=n]`), and never an address, a size or a device number, so
//! that a campaign reports each problem once however many scenarios show it. The title is the
//! dedup key.

use crate::diff::{erase_numbers, Difference};
use crate::Context;
use std::fmt;

/// What kind of problem.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum FindingKind {
    /// Two designs leave the user different results (the differential check).
    OwnershipDivergence,
    /// A committed region never gets its dax_region and dev_dax, and HMEM did not take it.
    Leak,
    /// Soft Reserved that an enabled driver could serve is owned by nobody.
    StrandedCapacity,
    /// Two dax regions over the same bytes, or the same bytes online twice.
    DoubleClaim,
    /// A task blocked forever, or a probe deferred forever.
    Deadlock,
    /// The step bound was reached.
    Livelock,
    /// A region unregistered while its memory was online.
    TeardownWhileOnline,
    /// A kernel WARN (including a configuration that does not build).
    Warn,
    /// The same scenario ends differently under another schedule.
    OrderDependence,
    /// Final ownership differs from the intended-ownership spec.
    SpecDeviation,
    /// Memory a function frees or uses is not its to free or use (what KASAN reports).
    MemorySafety,
}

impl FindingKind {
    /// The kind as titles spell it.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::OwnershipDivergence => "divergence",
            FindingKind::Leak => "leak",
            FindingKind::StrandedCapacity => "stranded capacity",
            FindingKind::DoubleClaim => "double claim",
            FindingKind::Deadlock => "deadlock",
            FindingKind::Livelock => "livelock",
            FindingKind::TeardownWhileOnline => "teardown while online",
            FindingKind::Warn => "WARN",
            FindingKind::OrderDependence => "order dependence",
            FindingKind::SpecDeviation => "spec deviation",
            FindingKind::MemorySafety => "KASAN",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One finding.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Finding {
    /// What kind.
    pub kind: FindingKind,
    /// The stable title (and dedup key), e.g. "leak: auto-assembled region never gets dax
    /// [register_dax-v4, DEV_DAX_HMEM=n]".
    pub title: String,
    /// The specifics of this occurrence (addresses, devices, the observation point).
    pub detail: String,
}

impl Finding {
    /// A finding whose title is `kind: what [design, tags…]`, with numbers erased from `what`.
    pub fn new(
        kind: FindingKind,
        what: &str,
        design: &str,
        ctx: &Context,
        detail: String,
    ) -> Finding {
        // A memory-safety error is one bug in one function whatever the configuration: its
        // title names the design (and quirks) only.
        let tags = if kind == FindingKind::MemorySafety {
            let bare = Context {
                disabled: Vec::new(),
                ..ctx.clone()
            };
            tags(design, &bare)
        } else {
            tags(design, ctx)
        };
        Finding {
            kind,
            title: format!("{kind}: {} [{tags}]", erase_numbers(what)),
            detail,
        }
    }

    /// The dedup key: the title.
    pub fn key(&self) -> &str {
        &self.title
    }

    /// The differential check's difference between designs `a` and `b` as a finding. The title
    /// carries the [`TITLE_TAGS`] either design's configuration disables (and the quirks), as
    /// one design's titles do: the same divergence with DEV_DAX_HMEM on and off are two
    /// problems, often with two fixes.
    pub fn from_difference(
        d: &Difference,
        a: &str,
        b: &str,
        ctx_a: &Context,
        ctx_b: &Context,
    ) -> Finding {
        let mut ctx = ctx_a.clone();
        for s in &ctx_b.disabled {
            if !ctx.disabled.contains(s) {
                ctx.disabled.push(s);
            }
        }
        ctx.disabled
            .sort_by_key(|s| TITLE_TAGS.iter().position(|t| t == s));
        Finding {
            kind: FindingKind::OwnershipDivergence,
            title: format!(
                "{} divergence [{}]: {}",
                d.kind,
                tags(&format!("{a} vs {b}"), &ctx),
                d.key_body()
            ),
            detail: d.describe(a, b),
        }
    }
}

/// The Kconfig symbols whose being off changes which driver the rules give memory to; titles
/// name them when they are off (other symbols would only split one problem into many titles).
pub const TITLE_TAGS: [&str; 3] = ["CXL_REGION", "DEV_DAX_HMEM", "DEV_DAX_CXL"];

/// "design, SYM=n, …, quirk NAME, hmem_test=1": the design, the [`TITLE_TAGS`] the
/// configuration disables, the platform quirks the scenario opts into, and cxl_test's second
/// hmem_platform device when it is loaded.
pub fn tags(design: &str, ctx: &Context) -> String {
    let mut t = design.to_string();
    for s in ctx.disabled.iter().filter(|s| TITLE_TAGS.contains(s)) {
        t.push_str(", ");
        t.push_str(s);
        t.push_str("=n");
    }
    for q in &ctx.quirks {
        t.push_str(", quirk ");
        t.push_str(q);
    }
    if ctx.cxl_test {
        t.push_str(", hmem_test=1");
    }
    t
}

/// The title a finding would have on design `to` where it has `title` on design `from`: the
/// design is the first name in the closing `[…]`. Mainline's run of the same scenario shows a
/// problem "already in mainline" exactly when it has this title.
pub fn title_on(title: &str, from: &str, to: &str) -> Option<String> {
    let open = title.rfind('[')?;
    let rest = title[open + 1..].strip_prefix(from)?;
    if !(rest.starts_with(',') || rest.starts_with(']')) {
        return None;
    }
    Some(format!("{}[{to}{rest}", &title[..open]))
}
