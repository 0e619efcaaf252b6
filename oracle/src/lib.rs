//! Observations of srfuzz model runs, and the judges that read them: the differential judge
//! ([`diff`]), the invariants and the intended-ownership spec ([`judge`]), findings with stable
//! titles ([`finding`]) and the known-findings list ([`known`]).
//!
//! Observations are plain data (numbers and strings), independent of the model's internals,
//! so that runs of different designs compare field by field and print the same way.
//! Architecture invariant: this crate depends on nothing in srfuzz.

#![warn(missing_docs)]

use std::fmt;

pub mod diff;
pub mod finding;
pub mod judge;
pub mod known;
pub use diff::{differences, first_difference, DiffKind, Difference};
pub use finding::{Finding, FindingKind};
pub use known::KnownList;

/// Who holds a range as DAX.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Owner {
    /// No dax region covers any of it.
    Nobody,
    /// dax_cxl's dax regions cover all of it, HMEM's none.
    Cxl,
    /// HMEM's dax regions cover all of it, dax_cxl's none.
    Hmem,
    /// Anything else: part covered, or both drivers over some bytes.
    Mixed,
}

impl fmt::Display for Owner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Owner::Nobody => "nobody",
            Owner::Cxl => "cxl",
            Owner::Hmem => "hmem",
            Owner::Mixed => "mixed",
        })
    }
}

/// Ownership of one address range (a Soft Reserved range or a region).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct RangeOwnership {
    /// First byte.
    pub start: u64,
    /// Last byte.
    pub end: u64,
    /// Bytes under a live dax region created by dax_cxl.
    pub cxl_bytes: u64,
    /// Bytes under a live dax region created by dax_hmem.
    pub hmem_bytes: u64,
    /// Bytes covered by both (a double claim when non-zero).
    pub both_bytes: u64,
    /// Bytes online as System RAM.
    pub online_bytes: u64,
    /// The summary.
    pub owner: Owner,
}

/// One CXL region as the run left it.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct RegionObs {
    /// "regionN".
    pub name: String,
    /// First byte.
    pub start: u64,
    /// Last byte.
    pub end: u64,
    /// Auto-assembled from firmware-committed decoders.
    pub auto: bool,
    /// Committed (`CXL_CONFIG_COMMIT`).
    pub committed: bool,
    /// Still registered.
    pub alive: bool,
    /// Reached CXL_CONFIG_COMMIT at some point.
    pub ever_committed: bool,
    /// Unregistered because of a user action (`cxl destroy-region`, or `rmmod` of a module
    /// that took it down), rather than by kernel code on its own.
    pub user_destroyed: bool,
    /// A cxl_dax_region device exists and is bound to dax_cxl.
    pub dax_bound: bool,
    /// Ownership of its range.
    pub ownership: RangeOwnership,
}

/// Who created a dax region.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Claimant {
    /// dax_cxl (a cxl_dax_region).
    Cxl,
    /// dax_hmem (an hmem device).
    Hmem,
}

impl fmt::Display for Claimant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Claimant::Cxl => "cxl",
            Claimant::Hmem => "hmem",
        })
    }
}

/// A live dax region (with its dev_dax over the whole range).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DaxRegionObs {
    /// First byte.
    pub start: u64,
    /// Last byte.
    pub end: u64,
    /// Who created it.
    pub by: Claimant,
}

/// Why something happened: a user action, or kernel code (mainline's or a design patch's).
/// Judges hold a design to account only for what kernel code did; a user action (`rmmod
/// cxl_acpi` with memory online) is the user's doing, whatever follows from it.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Cause {
    /// A userspace action, spelled as the scenario's `[events]` line (`rmmod cxl_acpi`).
    User(String),
    /// Kernel code: the function that did it, and the patch it comes from when a design's own
    /// function started it (`None`: no design function is known to have: mainline code, or a
    /// path that no design function marks).
    Kernel {
        /// The kernel function, e.g. "cxl_region_teardown".
        function: String,
        /// The patch subject, for code a design adds.
        patch: Option<String>,
    },
}

impl Cause {
    /// Whether a user action caused it.
    pub fn is_user(&self) -> bool {
        matches!(self, Cause::User(_))
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::User(ev) => write!(f, "the user's `{ev}`"),
            Cause::Kernel {
                function,
                patch: None,
            } => write!(f, "kernel code: {function}"),
            Cause::Kernel {
                function,
                patch: Some(p),
            } => write!(f, "kernel code: {function}, added by patch \"{p}\""),
        }
    }
}

/// A region unregistered, with what was online in its range at the time and why.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct TeardownObs {
    /// "regionN".
    pub region: String,
    /// First byte.
    pub start: u64,
    /// Last byte.
    pub end: u64,
    /// Auto-assembled from firmware's decoders (else created by the user). Recorded here: a
    /// user region may reuse a destroyed auto region's name and range.
    pub auto: bool,
    /// Bytes of the region's own memory (its dax_region's dev_dax, hot-added by kmem) online at
    /// the time: what kmem cannot take back ("cannot be hotremoved until the next reboot").
    pub own_online_bytes: u64,
    /// Bytes of the range online through anything else (an HMEM dax device).
    pub other_online_bytes: u64,
    /// Who unregistered it.
    pub cause: Cause,
}

/// What a run was configured with and had loaded: the facts the judges' rules depend on.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Context {
    /// Kconfig symbols that resolved to `n`, by name (e.g. "DEV_DAX_HMEM").
    pub disabled: Vec<&'static str>,
    /// Modules live (or built in and initialized), by name (e.g. "dax_hmem").
    pub live: Vec<&'static str>,
    /// CXL windows cxl_acpi has published, as `(start, end)`.
    pub windows: Vec<(u64, u64)>,
    /// The memory-owning drivers (dax_cxl, dax_hmem) that the configuration builds (y or m) in
    /// a form that links, and that the user did not take away (unloaded with `rmmod` and not
    /// loaded again, or blacklisted and never loaded): the drivers the spec may count on,
    /// whether or not they happen to be loaded.
    pub available: Vec<&'static str>,
    /// Modules the user unloaded (`rmmod`) and did not load again. On a system the user took
    /// drivers out of, no one is expected to own anything in particular: the spec and the
    /// stranded-capacity rule hold only while this is empty.
    pub user_removed: Vec<&'static str>,
    /// Regions firmware describes (every member of a committed decoder set present at boot)
    /// that the configuration can assemble (the CXL stack and CXL_REGION built), as `(start,
    /// end)`.
    pub firmware_regions: Vec<(u64, u64)>,
    /// Quirks of the platform the scenario opts into (docs/platform-rules.md): named on every
    /// finding, since a reviewer weighs a finding on a quirky platform differently.
    pub quirks: Vec<&'static str>,
    /// cxl_test is loaded with `hmem_test=1` (a second hmem_platform device walking a mock
    /// range): named on every finding, like a quirk, since the harness is not firmware and
    /// exists only with the post-merge fixes.
    pub cxl_test: bool,
    /// Why this run is outside what the model describes, if it is: judges find nothing in such
    /// a run and two such runs have no difference, since any would be the model's, not the
    /// kernel's.
    pub outside_model: Option<&'static str>,
}

impl Context {
    /// Whether the symbol (e.g. "CXL_REGION") is enabled.
    pub fn enabled(&self, sym: &str) -> bool {
        !self.disabled.contains(&sym)
    }

    /// Whether the module (e.g. "dax_cxl") is live.
    pub fn is_live(&self, module: &str) -> bool {
        self.live.contains(&module)
    }

    /// Whether the module is built and the user left it available (see
    /// [`Context::available`]).
    pub fn is_available(&self, module: &str) -> bool {
        self.available.contains(&module)
    }
}

/// A device left without a driver, or whose last probe failed.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DeviceIssue {
    /// `dev_name()`.
    pub device: String,
    /// The errno name of the last probe, e.g. "EPROBE_DEFER"; empty if it never probed.
    pub error: String,
    /// On the deferred-probe list.
    pub deferred: bool,
    /// Why its last probe ran and failed: a user action, or the driver's probe run by a kernel
    /// task (`None` in runs made only to be judged: reports read it, judges do not).
    pub cause: Option<Cause>,
}

/// A task that had not finished.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct BlockedTask {
    /// What the task is, e.g. "kworker: dax_hmem_work".
    pub task: String,
    /// What it sleeps on, e.g. "wait_for_device_probe".
    pub waiting_on: String,
}

/// A recorded kernel WARN.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct WarnObs {
    /// The function containing it.
    pub site: String,
    /// Its message.
    pub msg: String,
}

/// How the run ended at this point.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Outcome {
    /// Every task finished (an intermediate `settle` point is also quiescent).
    Quiescent,
    /// Tasks remained and none could run.
    Deadlock,
    /// The step bound was reached with tasks still runnable.
    Livelock,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Quiescent => "quiescent",
            Outcome::Deadlock => "deadlock",
            Outcome::Livelock => "livelock (step bound)",
        })
    }
}

/// What the model looks like at one quiescent point.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Observation {
    /// Which point: "settle 1", "settle 2", …, "end".
    pub point: String,
    /// /proc/iomem as root reads it; empty for runs made only to be judged.
    pub iomem: String,
    /// Each Soft Reserved entry of the sanitized e820 table (never merged; overlapping entries
    /// split at every boundary), in address order.
    pub soft_reserved: Vec<RangeOwnership>,
    /// Every CXL region created so far, in creation order.
    pub regions: Vec<RegionObs>,
    /// Devices unbound with a failed probe, or deferred.
    pub unbound: Vec<DeviceIssue>,
    /// Tasks that had not finished (empty at a quiescent point).
    pub blocked: Vec<BlockedTask>,
    /// WARNs so far.
    pub warns: Vec<WarnObs>,
    /// Memory-safety errors so far, as KASAN would report them (`msg` is `invalid-free` or
    /// `use-after-free`, `site` the function).
    pub memory_errors: Vec<WarnObs>,
    /// How the run stood.
    pub outcome: Outcome,
    /// Live dax regions, in creation order.
    pub dax_regions: Vec<DaxRegionObs>,
    /// Ranges online as System RAM, one per kmem hot-add, in order.
    pub online: Vec<(u64, u64)>,
    /// Regions unregistered so far, with what was online and why (in runs made only to be
    /// judged, only those with their own memory online: the ones the judges weigh).
    pub teardowns: Vec<TeardownObs>,
    /// Configuration and loaded modules.
    pub context: Context,
}

impl Observation {
    /// The ownership table as text: one line per Soft Reserved range and per region.
    pub fn ownership_table(&self) -> String {
        let mut s = String::new();
        for r in &self.soft_reserved {
            s += &format!(
                "  soft-reserved {:x}-{:x}: {} (cxl {:#x}, hmem {:#x}, online {:#x})\n",
                r.start, r.end, r.owner, r.cxl_bytes, r.hmem_bytes, r.online_bytes
            );
        }
        for r in &self.regions {
            s += &format!(
                "  {} {:x}-{:x}{}{}{}: {} (online {:#x}){}\n",
                r.name,
                r.start,
                r.end,
                if r.auto { " auto" } else { " user" },
                if r.committed { " committed" } else { "" },
                if r.alive { "" } else { " destroyed" },
                r.ownership.owner,
                r.ownership.online_bytes,
                if r.dax_bound {
                    ", dax_region bound"
                } else {
                    ""
                }
            );
        }
        for d in &self.unbound {
            s += &format!(
                "  unbound {}: {}{}{}\n",
                d.device,
                if d.error.is_empty() {
                    "no driver"
                } else {
                    &d.error
                },
                if d.deferred { " (deferred)" } else { "" },
                d.cause
                    .as_ref()
                    .map(|c| format!(", by {c}"))
                    .unwrap_or_default()
            );
        }
        for t in &self.blocked {
            s += &format!("  blocked {}: {}\n", t.task, t.waiting_on);
        }
        for w in &self.warns {
            s += &format!("  WARN in {}: {}\n", w.site, w.msg);
        }
        for w in &self.memory_errors {
            s += &format!("  KASAN: {} in {}\n", w.msg, w.site);
        }
        for t in &self.teardowns {
            s += &format!(
                "  {} {:x}-{:x} unregistered by {} (own memory online {:#x}, other {:#x})\n",
                t.region, t.start, t.end, t.cause, t.own_online_bytes, t.other_online_bytes
            );
        }
        s
    }
}
