//! Scenarios: what the fuzzer generates and a user writes — a platform, a Kconfig request,
//! userspace events and the scheduler's choices.
//!
//! A [`Scenario`] is raw input. The types can represent platforms firmware would never
//! describe (overlapping windows, decoders outside every window, …), but such a platform breaks
//! a rule of [`rules`] ([`Platform::validate`]): the text parser refuses it and the generator
//! never produces it, so the fuzzer's findings are about platforms that exist. Firmware quirks
//! seen on real machines are named opt-ins ([`Platform::quirks`]) that relax exactly the rules
//! they name. A scenario is resolved into the model's plan in one place
//! ([`crate::model::Inputs`]), never here.
//!
//! Generation never fails (see [`gen`]): counts are drawn with `int_in_range`, addresses come
//! from a small grid ([`GRID_BASE`], [`GRID_UNIT`]) so that equal, nested, overlapping and
//! adjacent ranges are common, and exhausted input bytes fill in defaults.

pub mod file;
pub mod gen;
pub mod rules;
pub mod text;

use crate::kernel::kconfig::KconfigRequest;
use crate::kernel::module::Module;
pub use rules::{PlatformError, Quirk, Quirks, Rule};

/// Lowest address of the generator's grid: the base of "CXL Window 0" in the cover letters.
pub const GRID_BASE: u64 = 0x8_5000_0000;
/// One grid unit, 16 GiB: the cover letters' 128 GiB windows are 8 units.
pub const GRID_UNIT: u64 = 0x4_0000_0000;

/// A physical address range, `[start, start + size)`, as firmware describes it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Range {
    /// First byte.
    pub start: u64,
    /// Length in bytes; never 0 in a valid scenario.
    pub size: u64,
}

impl Range {
    /// Last byte (inclusive), as `struct resource` stores it.
    pub fn end(&self) -> u64 {
        self.start.wrapping_add(self.size).wrapping_sub(1)
    }
}

/// One CXL Fixed Memory Window (ACPI CEDT CFMWS): a host physical address window and the host
/// bridges it interleaves across.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Window {
    /// The window's HPA range.
    pub range: Range,
    /// Host bridge indices (into [`Platform::host_bridges`]) it targets, in interleave order.
    pub targets: Vec<u8>,
}

/// When a memory device's PCI function shows up.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Presence {
    /// Enumerated at boot.
    Boot,
    /// Hot-added after boot by an [`Event::HotAddMemdev`].
    HotAdd,
    /// Never appears (a dead device): regions that need it never assemble.
    Never,
}

/// An endpoint HDM decoder that firmware committed before the OS started: the seed of an
/// auto-assembled region.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CommittedDecoder {
    /// The region's whole HPA range (every interleaved target programs the same range).
    pub hpa: Range,
    /// Interleave ways of the region.
    pub ways: u8,
    /// This endpoint's position in the interleave, `0..ways`.
    pub position: u8,
}

/// A CXL type-3 memory expander.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Memdev {
    /// Index into [`Platform::host_bridges`] of the host bridge it sits below.
    pub host_bridge: u8,
    /// Volatile capacity in bytes.
    pub capacity: u64,
    /// The decoder firmware committed, if any.
    pub decoder: Option<CommittedDecoder>,
    /// When it shows up.
    pub presence: Presence,
}

/// An ACPI HMAT memory target: the kernel registers its range with HMEM under its NUMA node
/// (`hmat_register_target_devices` → `hmem_register_resource`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct HmatTarget {
    /// The target's memory range.
    pub range: Range,
    /// Its NUMA node.
    pub nid: u8,
}

/// What firmware tells the kernel.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Platform {
    /// EFI_MEMORY_SP ranges, as e820 entries of type `E820_TYPE_SOFT_RESERVED`.
    pub soft_reserved: Vec<Range>,
    /// HMAT memory targets: each registers its range with HMEM under its NUMA node. One covers
    /// whole Soft Reserved entries; splitting one takes [`Quirk::HmatSplitsSr`].
    pub hmat_targets: Vec<HmatTarget>,
    /// CXL host bridges (ACPI0016), by index; the value is its UID.
    pub host_bridges: Vec<u8>,
    /// CFMWS windows.
    pub windows: Vec<Window>,
    /// Memory devices.
    pub memdevs: Vec<Memdev>,
    /// cxl_test's `hmem_test=1` (tools/testing/cxl/test/hmem_test.c, 549b5c12): a second
    /// "hmem_platform" device, id 1, registered after the memdevs, whose
    /// `walk_hmem_resources()` yields only this mock range (node 0; cxl_test uses the first
    /// half of its CXL Window 0), and under which `region_intersects()` and
    /// `region_intersects_soft_reserve()` answer REGION_INTERSECTS for any range overlapping
    /// it, whoever asks (mock.c's wrappers). `hmem_platform.0` keeps walking the real
    /// `hmem_active` tree. Not firmware: a test harness reviewers ran (ndctl's
    /// test/cxl-dax-hmem.sh), and the shape that shows state shared between hmem_platform
    /// devices. It needs `CONFIG_CXL_BUS=m` and `CONFIG_CXL_ACPI=m` (cxl_test's
    /// `config_check.c`); on any other configuration there is no cxl_test and the line has no
    /// effect. The test's `struct hmem_platform_device` arrived with the post-merge fixes; on
    /// earlier designs the second device is that test's shape carried back.
    pub hmem_test: Option<Range>,
    /// The firmware quirks this platform has (`quirk <name>` lines): each relaxes exactly the
    /// rules [`Quirk::relaxes`] names. Empty for a platform that follows every rule.
    pub quirks: Quirks,
}

/// Why a scenario's `hmem-test` line cannot be: cxl_test's `config_check.c` needs
/// `CONFIG_CXL_BUS=m` and `CONFIG_CXL_ACPI=m` (its mock modules stand in for cxl_acpi and wrap
/// cxl_core), so the request must set `CONFIG_CXL_BUS=m` and leave `CONFIG_CXL_ACPI` at its
/// default (m then) or set it to m. `None` without the line or when the request allows it.
pub fn hmem_test_config(s: &Scenario) -> Option<String> {
    use crate::kernel::kconfig::{Sym, Tristate};
    s.platform.hmem_test?;
    let bus = s.kconfig.get(Sym::CXL_BUS);
    let acpi = s.kconfig.get(Sym::CXL_ACPI);
    if bus == Some(Tristate::M) && matches!(acpi, None | Some(Tristate::M)) {
        return None;
    }
    Some(
        "hmem-test needs CONFIG_CXL_BUS=m and CONFIG_CXL_ACPI=m (or unset) in [kconfig]: \
         cxl_test's config_check.c builds only with the CXL stack as modules"
            .to_string(),
    )
}

impl Platform {
    /// Checks the platform against every rule of [`rules`] that its [`Platform::quirks`] do not
    /// relax: `Ok` for a platform firmware could describe, else every violation, each naming
    /// its rule ([`Rule::name`], as in `docs/platform-rules.md`) and the offending items.
    /// Index well-formedness (window targets and memdev host bridges below the number of host
    /// bridges) is the parser's check, done before this one; out-of-range indices do not make
    /// this panic.
    pub fn validate(&self) -> Result<(), PlatformError> {
        let violations = rules::violations(self);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(PlatformError { violations })
        }
    }

    /// The Soft Reserved entries as the kernel's e820 table holds them after
    /// `e820__update_table()` sanitized it, as inclusive `(start, end)` in address order.
    ///
    /// Soft Reserved entries are never merged
    /// (<https://github.com/torvalds/linux/blob/master/arch/x86/kernel/e820.c>):
    ///
    /// ```c
    /// static bool e820_nomerge(enum e820_type type)   /* later e820_type_mergeable(), inverted */
    /// {
    ///         /*
    ///          * These types may indicate distinct platform ranges aligned to
    ///          * numa node, protection domain, performance domain, or other
    ///          * boundaries. Do not merge them.
    ///          */
    ///         if (type == E820_TYPE_PRAM)
    ///                 return true;
    ///         if (type == E820_TYPE_SOFT_RESERVED)
    ///                 return true;
    ///         return false;
    /// }
    /// ...
    ///         /* Continue building up new map based on this information: */
    ///         if (current_type != last_type || e820_nomerge(current_type)) {
    /// ```
    ///
    /// so at every change point (the start or the end of any entry) the change-point algorithm
    /// closes the current entry (dropping it if its size is 0) and opens a new one. Adjacent
    /// entries stay separate; overlapping entries (possible only under
    /// [`Quirk::OverlappingSr`]: the rules forbid overlap) are split at every boundary, each
    /// piece once; identical entries become one.
    pub fn e820_soft_reserved(&self) -> Vec<(u64, u64)> {
        // Change points as exclusive ends in u128 (an entry may end at 2^64).
        let mut points: Vec<u128> = Vec::with_capacity(self.soft_reserved.len() * 2);
        for r in &self.soft_reserved {
            points.push(r.start as u128);
            points.push(r.start as u128 + r.size as u128);
        }
        points.sort_unstable();
        points.dedup();
        let mut out = Vec::with_capacity(points.len());
        for w in points.windows(2) {
            let (a, b) = (w[0], w[1]);
            let inside = self
                .soft_reserved
                .iter()
                .any(|r| (r.start as u128) <= a && a < r.start as u128 + r.size as u128);
            if inside {
                out.push((a as u64, (b - 1) as u64));
            }
        }
        out
    }
}

/// Something userspace does, in order, from one task that starts when the kernel has finished
/// its initcalls.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Event {
    /// udev (or a user) runs `modprobe MODULE` in a worker of its own; the user task does not wait.
    /// Ignored for a component that is not built as a module.
    Modprobe(Module),
    /// `modprobe -r MODULE`, synchronously.
    Rmmod(Module),
    /// `udevadm settle` and look: wait until the kernel is idle, then record an observation.
    Settle,
    /// A memdev whose presence is [`Presence::HotAdd`] appears (PCIe hot-add), by memdev index.
    HotAddMemdev(u8),
    /// `cxl create-region -t ram` in a window (by index) over the memdevs in the bit mask.
    CreateRamRegion {
        /// Window index.
        window: u8,
        /// Bit i set: memdev i is a target, in index order.
        memdevs: u8,
    },
    /// `daxctl offline-memory` of every dax device over a Soft Reserved range or region range,
    /// selected by index into the sorted list of such ranges.
    OfflineMemory(u8),
    /// `cxl destroy-region -f` of the region with this index among the regions created so far, in
    /// address order (so the same region whatever order the kernel assembled them in).
    DestroyRegion(u8),
    /// `blacklist MODULE` in /etc/modprobe.d: udev never loads MODULE by alias (explicit
    /// [`Event::Modprobe`]s still do). A setting, not an action: in effect for the whole run
    /// wherever it stands in the list.
    Blacklist(Module),
}

/// A complete input: everything a run depends on.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Scenario {
    /// Firmware's description of the machine.
    pub platform: Platform,
    /// The .config fragment asked for; each design normalizes it with its own Kconfig rules.
    pub kconfig: KconfigRequest,
    /// Userspace's actions, in order.
    pub events: Vec<Event>,
    /// Scheduler choices: at the n-th point where more than one task could run, byte n (mod the
    /// number of runnable tasks) picks it; past the end, the oldest runnable task runs.
    pub schedule: Vec<u8>,
    /// Which scheduling points the model makes, and so which task a byte of `schedule` picks.
    pub scheduler: Scheduler,
}

/// The model's scheduling points, by version: a saved schedule replays under the version it
/// was found with (scenario text: a `scheduler N` line in `[schedule]`; without one, bytes
/// mean version 1). The versions differ only in scheduling points at which the task that runs
/// changes nothing, so a run on the canonical schedule (no bytes) ends alike under both.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum Scheduler {
    /// Version 1: `async_synchronize_full` waits for each pending async probe in turn, a
    /// scheduling point each time one finishes.
    PerProbe,
    /// Version 2: `async_synchronize_full` makes one wait for the async domain to drain
    /// ([`crate::kernel::sched::Wait::AsyncIdle`]).
    #[default]
    AsyncIdle,
}

impl Scheduler {
    /// The version this srfuzz writes.
    pub const CURRENT: Scheduler = Scheduler::AsyncIdle;

    /// Its number in scenario text.
    pub fn number(self) -> u32 {
        match self {
            Scheduler::PerProbe => 1,
            Scheduler::AsyncIdle => 2,
        }
    }

    /// The version numbered `n`.
    pub fn of_number(n: u32) -> Option<Scheduler> {
        match n {
            1 => Some(Scheduler::PerProbe),
            2 => Some(Scheduler::AsyncIdle),
            _ => None,
        }
    }
}
