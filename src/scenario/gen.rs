//! Generation of [`Scenario`]s from fuzzer bytes.
//!
//! Every `Arbitrary` impl here is hand-written and never fails: counts are drawn with
//! `int_in_range` (never `Vec<T>: Arbitrary`), and once the input runs out every draw reads as
//! its first choice, which is always the most common, "realistic" outcome (a boot-present
//! memdev, a decoder consistent with its window, no perturbation, …). So the empty input is the
//! empty scenario and short inputs are small, plausible ones.
//!
//! Every platform generated follows the platform rules ([`super::rules`],
//! `docs/platform-rules.md`) by construction, never by rejection: windows are laid out left to
//! right so they never overlap, their targets are distinct host bridges, regions are built from
//! windows, members fill every position below the right host bridge, Soft Reserved and HMAT
//! are derived from what was committed. Firmware quirks appear only when the caller allows them
//! ([`scenario_from_bytes_with`]; the environment's `SRFUZZ_QUIRKS` is read in one place,
//! [`quirks_from_env`]).
//!
//! The structure is biased towards what makes Soft Reserved ownership interesting:
//!
//! * addresses and sizes come from the grid of [`GRID_BASE`] + k × [`GRID_UNIT`] (sizes of 1,
//!   2, 4 or 8 units, halves of them for regions), so equal, nested and adjacent ranges are
//!   common;
//! * the platform is drawn as windows (adjacent or with small gaps; one host bridge or two
//!   interleaved), then the regions firmware committed in them (the whole window, its first
//!   half, both halves, or none, leaving free space for `create-region`; ways = window ways ×
//!   1 or 2), then memdevs filling every position (capacity ≥ share; present at boot, or dead:
//!   the assembly-failure case), then memdevs without decoders (boot, hot-add or dead);
//! * Soft Reserved ranges cover a window's committed part (so a window its regions fill gets
//!   one entry over the whole window), each region, or half of one; memmap-style entries lie
//!   above every window (with no windows at all, that is all there is), often adjacent;
//! * HMAT targets mostly equal a Soft Reserved range, sometimes the window around one;
//! * under quirks: Soft Reserved over uncommitted window space or across two neighbouring
//!   windows, overlapping Soft Reserved entries, HMAT targets splitting an entry;
//! * rarely (1 in 8 platforms with a window; generator version 2 on), cxl_test's mock range
//!   (`hmem_test=1`): the first half of a window, or a committed region's range;
//! * events look like a boot: sometimes a blacklisted module, sometimes explicit modprobes in
//!   a random order (udev loads the rest by alias), `settle`, hot-adds of the hot-pluggable
//!   memdevs, a few user actions, a final `settle`.
//!
//! Everything generated is valid for [`crate::scenario::text`]: indices are in range, sizes are
//! nonzero, the platform validates, so `text::parse(text::print(s)) == Ok(s)`.

use arbitrary::{Arbitrary, Unstructured};

use super::rules::{contains, covered, overlaps};
use super::{
    CommittedDecoder, Event, HmatTarget, Memdev, Platform, Presence, Quirk, Quirks, Range,
    Scenario, Scheduler, Window, GRID_BASE, GRID_UNIT,
};
use crate::kernel::kconfig::KconfigRequest;
use crate::kernel::module::Module;

/// The generator's version. A raw fuzzer input means something only to the generator that
/// read it: any change to what bytes generate must bump this number (a test pins a digest of
/// generated scenarios to it), and saved raw inputs stamped with a version this srfuzz cannot
/// decode are refused (`scenario::file`). Scenario text is the repro that replays on every
/// later srfuzz.
///
/// * 1: the first generator.
/// * 2: version 1, plus cxl_test's mock range ([`Platform::hmem_test`]) drawn at the end of
///   the platform.
/// * 3: version 2, its schedule read by scheduler version 2 ([`Scheduler::AsyncIdle`]; before,
///   version 1, the only one there was).
pub const GENERATOR_VERSION: u32 = 3;

/// The generator versions this srfuzz decodes exactly as they did (every one it had): raw
/// inputs stamped with one of them replay to the scenario they were found as
/// ([`scenario_from_bytes_of`]).
pub const GENERATOR_VERSIONS: [u32; 3] = [1, 2, 3];

/// Grid positions a generated range may start at (`GRID_BASE + k * GRID_UNIT`, `k < GRID_SLOTS`).
pub const GRID_SLOTS: u64 = 24;
/// Range sizes the generator uses, in grid units.
pub const GRID_SIZES: [u64; 4] = [1, 2, 4, 8];
/// Most windows generated.
pub const MAX_WINDOWS: usize = 3;
/// Most host bridges generated.
pub const MAX_HOST_BRIDGES: usize = 2;
/// Most memdevs generated.
pub const MAX_MEMDEVS: usize = 4;
/// Most Soft Reserved ranges generated, except that the entries over committed regions (at
/// most one per memdev) always stay: committed capacity is in the memory map.
pub const MAX_SOFT_RESERVED: usize = 3;
/// Most HMAT targets generated.
pub const MAX_HMAT_TARGETS: usize = 3;
/// Most events generated: up to 9 modprobes, a settle, hot-adds and a few user actions.
pub const MAX_EVENTS: usize = 16;
/// Most schedule bytes generated.
pub const MAX_SCHEDULE: usize = 32;

/// The modules udev loads by modalias (ACPI0017, the PCI class code, the cxl and dax bus
/// devices, hmem_platform); `cxl_core` and `dax` come in as their dependencies. The model's
/// udev loads them by itself ([`crate::kernel::driver_core::Udev`]); the generator lists
/// them explicitly too, as modules-load.d or a user would, to vary the order of loads.
const UDEV_MODULES: [Module; 7] = [
    Module::CxlAcpi,
    Module::CxlPci,
    Module::CxlPort,
    Module::CxlMem,
    Module::DaxHmem,
    Module::DaxCxl,
    Module::Kmem,
];

/// A deterministic byte stream (xorshift64), the same on every machine: what the bench, the
/// tests and other offline drivers of the generator feed it instead of a fuzzer.
#[derive(Clone, Debug)]
pub struct ByteStream(u64);

impl ByteStream {
    /// A stream from a seed (0 is replaced, xorshift cannot leave it).
    pub fn new(seed: u64) -> ByteStream {
        ByteStream(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// `n` bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// The scenario `data` generates, on a platform without quirks (the fuzz targets' entry
/// point). Never fails; the empty input gives the default (empty) scenario. Same as
/// [`scenario_from_bytes_with`]`(data, Quirks::NONE)`.
pub fn scenario_from_bytes(data: &[u8]) -> Scenario {
    scenario_from_bytes_with(data, Quirks::NONE)
}

/// The scenario `data` generates, on a platform that may have any of the `quirks` (each drawn
/// per scenario; the platform's [`Platform::quirks`] lists the ones drawn). Never fails; every
/// result passes [`Platform::validate`]. With [`Quirks::NONE`] the generator reads no byte for
/// quirks, so it is exactly [`scenario_from_bytes`].
pub fn scenario_from_bytes_with(data: &[u8], quirks: Quirks) -> Scenario {
    scenario_from_bytes_of(GENERATOR_VERSION, data, quirks)
}

/// The scenario `data` generates under generator `version` (one of [`GENERATOR_VERSIONS`]),
/// for replaying raw inputs an older srfuzz saved: each version draws what it drew, so its
/// bytes decode to the scenario they were found as. A version this srfuzz does not know
/// decodes as the current one; `scenario::file` refuses such inputs before they get here.
pub fn scenario_from_bytes_of(version: u32, data: &[u8], quirks: Quirks) -> Scenario {
    let version = if GENERATOR_VERSIONS.contains(&version) {
        version
    } else {
        GENERATOR_VERSION
    };
    let mut u = Unstructured::new(data);
    gen_scenario(&mut u, quirks, Version(version))
}

/// The generator version a generation follows: what each draw is gated on.
#[derive(Clone, Copy, Debug)]
struct Version(u32);

impl Version {
    const CURRENT: Version = Version(GENERATOR_VERSION);

    /// Whether cxl_test's mock range is drawn (version 2 on).
    fn draws_hmem_test(self) -> bool {
        self.0 >= 2
    }

    /// The scheduler the schedule was drawn for: version 1 before generator 3 (a scenario
    /// without schedule bytes runs alike under both, and is given the current one).
    fn scheduler(self, schedule: &[u8]) -> Scheduler {
        if self.0 >= 3 || schedule.is_empty() {
            Scheduler::CURRENT
        } else {
            Scheduler::PerProbe
        }
    }
}

/// The environment variable naming the quirks generated platforms may have.
pub const QUIRKS_ENV: &str = "SRFUZZ_QUIRKS";

/// The quirk set `SRFUZZ_QUIRKS` asks for (comma-separated [`Quirk`] names; unset or empty is
/// no quirk). The one place the environment is read; an unknown name is an error listing the
/// known ones.
pub fn quirks_from_env() -> Result<Quirks, String> {
    match std::env::var(QUIRKS_ENV) {
        Ok(v) => Quirks::parse_list(&v).map_err(|e| format!("{QUIRKS_ENV}: {e}")),
        Err(std::env::VarError::NotPresent) => Ok(Quirks::NONE),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!(
            "{QUIRKS_ENV} is not UTF-8: expected {}",
            Quirk::names()
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Draw helpers: each returns its first choice (0 / false) when the input is exhausted.

/// Uniform in `0..n` (0 for `n <= 1`).
fn below(u: &mut Unstructured<'_>, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    u.int_in_range(0..=n - 1).unwrap_or(0)
}

/// True with probability `1/n`; false on exhausted input (unlike `Unstructured::ratio`, which
/// reads exhausted input as true).
fn one_in(u: &mut Unstructured<'_>, n: usize) -> bool {
    n >= 1 && below(u, n) == n - 1
}

fn byte(u: &mut Unstructured<'_>) -> u8 {
    u8::arbitrary(u).unwrap_or(0)
}

fn pick<T: Copy>(u: &mut Unstructured<'_>, xs: &[T]) -> Option<T> {
    if xs.is_empty() {
        None
    } else {
        Some(xs[below(u, xs.len())])
    }
}

fn grid(k: u64, units: u64) -> Range {
    Range {
        start: GRID_BASE + k * GRID_UNIT,
        size: units * GRID_UNIT,
    }
}

/// A random grid range.
fn grid_range(u: &mut Unstructured<'_>) -> Range {
    let k = below(u, GRID_SLOTS as usize) as u64;
    let s = GRID_SIZES[below(u, GRID_SIZES.len())];
    grid(k, s)
}

/// First or second half of `r` (whole `r` if it cannot be halved).
fn half(r: Range, second: bool) -> Range {
    let h = r.size / 2;
    if h == 0 {
        r
    } else if second {
        Range {
            start: r.start + h,
            size: r.size - h,
        }
    } else {
        Range {
            start: r.start,
            size: h,
        }
    }
}

/// The smallest range covering both.
fn span(a: Range, b: Range) -> Range {
    let start = a.start.min(b.start);
    let end = a.end().max(b.end());
    Range {
        start,
        size: end - start + 1,
    }
}

fn presence(u: &mut Unstructured<'_>) -> Presence {
    match below(u, 8) {
        0..=5 => Presence::Boot,
        6 => Presence::HotAdd,
        _ => Presence::Never,
    }
}

fn permute<T>(u: &mut Unstructured<'_>, xs: &mut [T]) {
    for i in (1..xs.len()).rev() {
        let j = below(u, i + 1);
        xs.swap(i, j);
    }
}

// ---------------------------------------------------------------------------------------------
// The platform.

/// First grid slot of the memory no window describes (windows end at or below slot 33: a
/// cursor below 4 plus three windows of at most 2 + 8 slots).
const OUTSIDE_SLOT: u64 = 40;
/// First grid slot of HMAT targets over memory that is neither a window nor Soft Reserved.
const OTHER_SLOT: u64 = 56;

/// A region firmware committed: a window's range, or one or both halves of it, interleaved
/// over a power-of-2 multiple of the window's ways.
#[derive(Clone, Copy, Debug)]
struct Intended {
    hpa: Range,
    ways: u8,
    window: usize,
}

/// Windows laid out left to right on the grid (adjacent, or with a gap of one or two units),
/// so they never overlap; each targets one host bridge or both (distinct, either order).
fn gen_windows(u: &mut Unstructured<'_>, nhb: usize) -> Vec<Window> {
    let n = below(u, MAX_WINDOWS + 1);
    let mut windows: Vec<Window> = Vec::with_capacity(n);
    // Next free grid slot.
    let mut cursor = below(u, 4) as u64;
    for _ in 0..n {
        let units = GRID_SIZES[below(u, GRID_SIZES.len())];
        let k = cursor + [0, 0, 1, 2][below(u, 4)];
        let range = grid(k, units);
        cursor = k + units;
        let targets = if nhb >= 2 && below(u, 2) == 1 {
            if one_in(u, 4) {
                vec![1, 0]
            } else {
                vec![0, 1]
            }
        } else {
            vec![below(u, nhb) as u8]
        };
        windows.push(Window { range, targets });
    }
    windows
}

/// The regions firmware committed in each window, within a budget of member memdevs.
fn gen_intended(u: &mut Unstructured<'_>, windows: &[Window]) -> Vec<Intended> {
    let mut out = Vec::new();
    let mut budget = MAX_MEMDEVS;
    for (i, w) in windows.iter().enumerate() {
        let hpas: Vec<Range> = match below(u, 8) {
            0..=4 => vec![w.range],
            5 => vec![half(w.range, false)],
            // Two regions side by side fill the window.
            6 => vec![half(w.range, false), half(w.range, true)],
            // Left to user-created regions.
            _ => Vec::new(),
        };
        let wways = w.targets.len();
        for hpa in hpas {
            // ways = window ways × 2^k, k = 0 or 1.
            let mut ways = if one_in(u, 4) { wways * 2 } else { wways };
            if ways > budget {
                ways = wways;
            }
            if ways > budget {
                break;
            }
            budget -= ways;
            out.push(Intended {
                hpa,
                ways: ways as u8,
                window: i,
            });
        }
    }
    out
}

/// The members of each intended region (every position filled, the host bridge the window's
/// target at `position % window ways`, capacity at least the share, present at boot or dead),
/// then memdevs without a committed decoder for create-region and hot-add.
fn gen_memdevs(
    u: &mut Unstructured<'_>,
    nhb: usize,
    windows: &[Window],
    intended: &[Intended],
) -> Vec<Memdev> {
    let mut mds: Vec<Memdev> = Vec::new();
    for r in intended {
        let targets = &windows[r.window].targets;
        let share = r.hpa.size / r.ways as u64;
        for pos in 0..r.ways {
            let capacity = if one_in(u, 4) { share * 2 } else { share };
            // A member firmware programmed that the OS never sees: the region cannot assemble.
            let presence = if one_in(u, 8) {
                Presence::Never
            } else {
                Presence::Boot
            };
            mds.push(Memdev {
                host_bridge: targets[pos as usize % targets.len()],
                capacity,
                decoder: Some(CommittedDecoder {
                    hpa: r.hpa,
                    ways: r.ways,
                    position: pos,
                }),
                presence,
            });
        }
    }
    let extra = below(u, MAX_MEMDEVS - mds.len() + 1);
    for _ in 0..extra {
        mds.push(Memdev {
            host_bridge: below(u, nhb) as u8,
            capacity: GRID_SIZES[below(u, GRID_SIZES.len())] * GRID_UNIT,
            decoder: None,
            presence: presence(u),
        });
    }
    // Enumeration order need not follow interleave positions.
    if one_in(u, 4) {
        mds.reverse();
    }
    mds
}

/// The committed regions inside `w`, merged into maximal runs of adjacent ones.
fn committed_runs(w: &Window, intended: &[Intended]) -> (Vec<Range>, Vec<Range>) {
    let mut regs: Vec<Range> = intended
        .iter()
        .map(|r| r.hpa)
        .filter(|h| w.range.start <= h.start && h.end() <= w.range.end())
        .collect();
    regs.sort_unstable();
    regs.dedup();
    let mut runs: Vec<Range> = Vec::new();
    for r in &regs {
        match runs.last_mut() {
            Some(last) if last.start + last.size == r.start => last.size += r.size,
            _ => runs.push(*r),
        }
    }
    (regs, runs)
}

/// Soft Reserved entries that do not overlap (unless [`Quirk::OverlappingSr`]): per window,
/// over its committed part (one entry per run of adjacent regions, so a window its regions
/// fill gets one entry over the whole window) or one per region — half a region, or none,
/// only under [`Quirk::RegionBeyondSr`]; then
/// memmap-style entries above every window, often adjacent. Quirks add a whole window's entry
/// over uncommitted HPA ([`Quirk::SrBeyondRegions`]), one entry spanning two neighbouring
/// windows ([`Quirk::SrSpansWindows`]), or an entry overlapping another
/// ([`Quirk::OverlappingSr`]).
fn gen_soft_reserved(
    u: &mut Unstructured<'_>,
    windows: &[Window],
    intended: &[Intended],
    quirks: Quirks,
) -> Vec<Range> {
    let mut out: Vec<Range> = Vec::new();
    for w in windows {
        let (regs, runs) = committed_runs(w, intended);
        let beyond = quirks.contains(Quirk::RegionBeyondSr);
        match below(u, 8) {
            4 => out.extend(regs),
            5 if beyond => {
                if let Some(&r) = regs.first() {
                    let second = below(u, 2) == 1;
                    out.push(half(r, second));
                }
            }
            6 if quirks.contains(Quirk::SrBeyondRegions) => out.push(w.range),
            7 if beyond => {}
            _ => out.extend(runs),
        }
    }
    if quirks.contains(Quirk::SrSpansWindows) && windows.len() >= 2 && below(u, 2) == 1 {
        let i = below(u, windows.len() - 1);
        let (a, b) = (windows[i].range, windows[i + 1].range);
        let regions: Vec<Range> = intended.iter().map(|r| r.hpa).collect();
        let ok = |r: &Range| quirks.contains(Quirk::SrBeyondRegions) || covered(r, &regions);
        if ok(&a) && ok(&b) {
            let s = span(a, b);
            out.retain(|r| !overlaps(r, &s));
            out.push(s);
        }
    }
    // memmap=-style Soft Reserved outside every window.
    let n = below(u, 3);
    let mut k = OUTSIDE_SLOT + below(u, 4) as u64;
    for _ in 0..n {
        let units = GRID_SIZES[below(u, 3)];
        if out.len() < MAX_SOFT_RESERVED {
            out.push(grid(k, units));
        }
        k += units + [0, 0, 1][below(u, 3)];
    }
    // The windows' entries always stay (committed capacity is Soft Reserved); only the
    // memmap-style ones above yield to the bound.
    if quirks.contains(Quirk::OverlappingSr) && out.len() < MAX_SOFT_RESERVED && below(u, 2) == 1 {
        if let Some(r) = pick(u, &out) {
            let extra = match below(u, 3) {
                0 => r,
                1 => {
                    let second = below(u, 2) == 1;
                    half(r, second)
                }
                // A superset, when that stays clear of every window.
                _ if r.start >= grid(OUTSIDE_SLOT, 1).start => Range {
                    start: r.start - GRID_UNIT,
                    size: r.size + 2 * GRID_UNIT,
                },
                _ => r,
            };
            out.push(extra);
        }
    }
    if one_in(u, 4) {
        out.reverse();
    }
    out
}

/// Whether `t` may join the HMAT targets `out`: no overlap with them, and every Soft Reserved
/// entry it touches wholly inside it (unless [`Quirk::HmatSplitsSr`]).
fn hmat_fits(t: &Range, out: &[HmatTarget], sr: &[Range], quirks: Quirks) -> bool {
    let touches = sr.iter().any(|r| overlaps(r, t));
    !out.iter().any(|o| overlaps(&o.range, t))
        && (quirks.contains(Quirk::HmatSplitsSr)
            || (sr
                .iter()
                .all(|r| !overlaps(r, t) || (t.start <= r.start && r.end() <= t.end()))
                && (!touches || covered(t, sr))))
}

/// HMAT targets: mostly exactly a Soft Reserved entry, or memory that is not Soft Reserved;
/// the window around an entry (reaching beyond it), halves or a part of an entry under
/// [`Quirk::HmatSplitsSr`].
fn gen_hmat(
    u: &mut Unstructured<'_>,
    sr: &[Range],
    windows: &[Window],
    quirks: Quirks,
) -> Vec<HmatTarget> {
    let n = below(u, MAX_HMAT_TARGETS + 1);
    let mut out: Vec<HmatTarget> = Vec::with_capacity(n);
    let splits = quirks.contains(Quirk::HmatSplitsSr);
    for _ in 0..n {
        let nid = below(u, 4) as u8;
        let cands: Vec<Range> = match (pick(u, sr), below(u, 4)) {
            (Some(r), 0 | 1) => vec![r],
            (Some(r), 2) if splits => vec![half(r, false), half(r, true)],
            (Some(r), 2) => vec![windows
                .iter()
                .map(|w| w.range)
                .find(|w| w.start <= r.start && r.end() <= w.end())
                .unwrap_or(r)],
            (Some(r), _) if splits => {
                let second = below(u, 2) == 1;
                vec![half(r, second)]
            }
            _ => vec![grid(OTHER_SLOT + below(u, 8) as u64, 1)],
        };
        for (k, c) in cands.into_iter().enumerate() {
            if out.len() < MAX_HMAT_TARGETS && hmat_fits(&c, &out, sr, quirks) {
                let nid = if k == 0 { nid } else { below(u, 4) as u8 };
                out.push(HmatTarget { range: c, nid });
            }
        }
    }
    out
}

/// cxl_test's mock range (`hmem_test=1`), in 1 of 8 platforms with a window: the first half of
/// a window (cxl_test's is the first half of its Window 0) or the range of a region committed
/// in one (cxl_test's equals its auto region), so it passes rule `hmem-test-range`. No byte
/// is read without a window.
fn gen_hmem_test(
    u: &mut Unstructured<'_>,
    windows: &[Window],
    intended: &[Intended],
) -> Option<Range> {
    if windows.is_empty() || !one_in(u, 8) {
        return None;
    }
    let cands: Vec<Range> = windows
        .iter()
        .map(|w| half(w.range, false))
        .chain(intended.iter().map(|r| r.hpa))
        .collect();
    pick(u, &cands)
}

/// A platform that passes [`Platform::validate`] by construction, with some of `allowed`'s
/// quirks (each drawn with probability 1/2; none on exhausted input).
fn gen_platform(u: &mut Unstructured<'_>, allowed: Quirks, version: Version) -> Platform {
    let quirks: Quirks = allowed.iter().filter(|_| below(u, 2) == 1).collect();
    let nhb = 1 + below(u, MAX_HOST_BRIDGES);
    let host_bridges: Vec<u8> = (0..nhb as u8).collect();
    let windows = gen_windows(u, nhb);
    let intended = gen_intended(u, &windows);
    let memdevs = gen_memdevs(u, nhb, &windows, &intended);
    let soft_reserved = gen_soft_reserved(u, &windows, &intended, quirks);
    let hmat_targets = gen_hmat(u, &soft_reserved, &windows, quirks);
    let mut soft_reserved = soft_reserved;
    let mut hmat_targets = hmat_targets;
    let hmem_test = if version.draws_hmem_test() {
        gen_hmem_test(u, &windows, &intended)
    } else {
        None
    };
    // cxl_test's mock window is in no memory map (rule `hmem-test-range`): what describes it
    // goes, unless it also describes memory beyond the window (a Soft Reserved entry spanning
    // two windows), which stays, and the mock range with it.
    let hmem_test = hmem_test.filter(|t| {
        let Some(w) = windows.iter().find(|w| contains(&w.range, t)) else {
            return false;
        };
        let inside = |r: &Range| !overlaps(r, &w.range) || contains(&w.range, r);
        if !soft_reserved.iter().all(inside) || !hmat_targets.iter().all(|h| inside(&h.range)) {
            return false;
        }
        soft_reserved.retain(|s| !overlaps(s, &w.range));
        hmat_targets.retain(|h| !overlaps(&h.range, &w.range));
        true
    });
    Platform {
        soft_reserved,
        hmat_targets,
        host_bridges,
        windows,
        memdevs,
        hmem_test,
        quirks,
    }
}

// ---------------------------------------------------------------------------------------------
// Events.

fn random_module(u: &mut Unstructured<'_>) -> Module {
    Module::ALL[below(u, Module::ALL.len())]
}

/// A user action valid for `plat` (indices in range).
fn user_action(u: &mut Unstructured<'_>, plat: &Platform) -> Event {
    let nwin = plat.windows.len().min(256);
    let nmem = plat.memdevs.len().min(8);
    match below(u, 16) {
        0..=3 if nwin > 0 && nmem > 0 => {
            let window = below(u, nwin) as u8;
            let all = ((1u16 << nmem) - 1) as u8;
            let memdevs = if below(u, 2) == 0 {
                // The memdevs below the window's host bridges.
                let targets = &plat.windows[window as usize].targets;
                let mut m = 0u8;
                for (i, md) in plat.memdevs.iter().enumerate().take(nmem) {
                    if targets.contains(&md.host_bridge) {
                        m |= 1 << i;
                    }
                }
                if m == 0 {
                    all
                } else {
                    m
                }
            } else {
                u.int_in_range(1..=all).unwrap_or(1)
            };
            Event::CreateRamRegion { window, memdevs }
        }
        4 | 5 => Event::OfflineMemory(below(u, 4) as u8),
        6 | 7 => Event::DestroyRegion(below(u, 2) as u8),
        8 | 9 => Event::Rmmod(random_module(u)),
        10 | 11 => Event::Modprobe(random_module(u)),
        12 | 13 if nmem > 0 => Event::HotAddMemdev(below(u, nmem) as u8),
        _ => Event::Settle,
    }
}

fn gen_events(u: &mut Unstructured<'_>, plat: &Platform) -> Vec<Event> {
    let mut ev = Vec::new();
    // Explicit modprobes at boot (modules-load.d, a user), in some order; udev loads the rest
    // by alias by itself.
    let mut mods: Vec<Module> = match below(u, 8) {
        0 => UDEV_MODULES.to_vec(),
        1 => UDEV_MODULES
            .iter()
            .copied()
            .filter(|_| !one_in(u, 3))
            .collect(),
        2 => Module::ALL.to_vec(),
        _ => Vec::new(),
    };
    // A system that never autoloads a module (/etc/modprobe.d blacklist).
    if one_in(u, 4) {
        ev.push(Event::Blacklist(random_module(u)));
    }
    permute(u, &mut mods);
    ev.extend(mods.into_iter().map(Event::Modprobe));
    if !one_in(u, 8) {
        ev.push(Event::Settle);
    }
    // Hot-plug of the memdevs that wait for it.
    for (i, md) in plat.memdevs.iter().enumerate().take(8) {
        if md.presence == Presence::HotAdd && !one_in(u, 4) {
            ev.push(Event::HotAddMemdev(i as u8));
        }
    }
    // A few user actions.
    let n = below(u, 5);
    for _ in 0..n {
        ev.push(user_action(u, plat));
    }
    if n > 0 && ev.last() != Some(&Event::Settle) && below(u, 2) == 1 {
        ev.push(Event::Settle);
    }
    ev.truncate(MAX_EVENTS);
    ev
}

fn gen_schedule(u: &mut Unstructured<'_>) -> Vec<u8> {
    let n = below(u, MAX_SCHEDULE + 1);
    (0..n).map(|_| byte(u)).collect()
}

// ---------------------------------------------------------------------------------------------
// Arbitrary impls.

fn gen_scenario(u: &mut Unstructured<'_>, quirks: Quirks, version: Version) -> Scenario {
    let platform = gen_platform(u, quirks, version);
    let mut kconfig = KconfigRequest::arbitrary(u).unwrap_or_default();
    // cxl_test builds only with the CXL stack as modules (`hmem_test_config`).
    if platform.hmem_test.is_some() {
        use crate::kernel::kconfig::{Sym, Tristate};
        kconfig.set(Sym::CXL_BUS, Some(Tristate::M));
        kconfig.set(Sym::CXL_ACPI, Some(Tristate::M));
    }
    let events = gen_events(u, &platform);
    let schedule = gen_schedule(u);
    Scenario {
        platform,
        kconfig,
        events,
        scheduler: version.scheduler(&schedule),
        schedule,
    }
}

/// The platform (without quirks), then the Kconfig request (one byte per symbol), then events
/// consistent with the platform, then the schedule.
impl<'a> Arbitrary<'a> for Scenario {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(gen_scenario(u, Quirks::NONE, Version::CURRENT))
    }
}

/// Windows, committed regions, memdevs filling them, Soft Reserved, HMAT (see the module
/// docs); no quirks. Always passes [`Platform::validate`].
impl<'a> Arbitrary<'a> for Platform {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(gen_platform(u, Quirks::NONE, Version::CURRENT))
    }
}

/// A random grid range.
impl<'a> Arbitrary<'a> for Range {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(grid_range(u))
    }
}

/// A grid range over host bridge 0 or both of two host bridges.
///
/// An item on its own: a platform assembled from such items need not follow the platform
/// rules; [`Platform`]'s impl builds valid ones.
impl<'a> Arbitrary<'a> for Window {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let range = grid_range(u);
        let targets = match below(u, 4) {
            0 | 1 => vec![0],
            2 => vec![0, 1],
            _ => vec![1],
        };
        Ok(Window { range, targets })
    }
}

/// Mostly [`Presence::Boot`] (6/8), else hot-added or never present.
impl<'a> Arbitrary<'a> for Presence {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(presence(u))
    }
}

/// A grid range, 1 or 2 ways, a position below the ways.
///
/// An item on its own: a platform assembled from such items need not follow the platform
/// rules; [`Platform`]'s impl builds valid ones.
impl<'a> Arbitrary<'a> for CommittedDecoder {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let hpa = grid_range(u);
        let ways = 1 + below(u, 2) as u8;
        let position = below(u, ways as usize) as u8;
        Ok(CommittedDecoder {
            hpa,
            ways,
            position,
        })
    }
}

/// Below host bridge 0 or 1, grid-sized capacity, usually with a committed decoder.
///
/// An item on its own: a platform assembled from such items need not follow the platform
/// rules; [`Platform`]'s impl builds valid ones.
impl<'a> Arbitrary<'a> for Memdev {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let host_bridge = below(u, 2) as u8;
        let capacity = GRID_SIZES[below(u, GRID_SIZES.len())] * GRID_UNIT;
        let presence = presence(u);
        let decoder = if one_in(u, 4) {
            None
        } else {
            Some(CommittedDecoder::arbitrary(u)?)
        };
        Ok(Memdev {
            host_bridge,
            capacity,
            decoder,
            presence,
        })
    }
}

/// A grid range on node 0..=3.
impl<'a> Arbitrary<'a> for HmatTarget {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let range = grid_range(u);
        let nid = below(u, 4) as u8;
        Ok(HmatTarget { range, nid })
    }
}

/// Any event, with small indices (memdev indices below 4, windows below 3).
impl<'a> Arbitrary<'a> for Event {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(match below(u, 7) {
            0 => Event::Modprobe(random_module(u)),
            1 => Event::Settle,
            2 => Event::Rmmod(random_module(u)),
            3 => Event::HotAddMemdev(below(u, MAX_MEMDEVS) as u8),
            4 => Event::CreateRamRegion {
                window: below(u, MAX_WINDOWS) as u8,
                memdevs: u.int_in_range(1..=0xf).unwrap_or(1),
            },
            5 => Event::OfflineMemory(below(u, 4) as u8),
            _ => Event::DestroyRegion(below(u, 2) as u8),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_input_is_the_default_scenario() {
        let s = scenario_from_bytes(&[]);
        assert_eq!(s.platform.windows.len(), 0);
        assert_eq!(s.platform.memdevs.len(), 0);
        assert!(s.schedule.is_empty());
        // Exhausted input reads as the most common choices.
        let mut u = Unstructured::new(&[]);
        assert_eq!(Presence::arbitrary(&mut u).unwrap(), Presence::Boot);
        assert!(!one_in(&mut u, 8));
    }

    #[test]
    fn generated_decoders_are_sane() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..2000 {
            let data: Vec<u8> = (0..200)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let s = scenario_from_bytes(&data);
            let p = &s.platform;
            assert_eq!(p.validate(), Ok(()));
            assert!(p.windows.len() <= MAX_WINDOWS);
            assert!(p.memdevs.len() <= MAX_MEMDEVS);
            assert!(p.soft_reserved.len() <= MAX_SOFT_RESERVED.max(MAX_MEMDEVS) + 1);
            assert!(p.hmat_targets.len() <= MAX_HMAT_TARGETS);
            assert!(s.events.len() <= MAX_EVENTS);
            for w in &p.windows {
                assert!(!w.targets.is_empty());
                assert!(w
                    .targets
                    .iter()
                    .all(|&t| (t as usize) < p.host_bridges.len()));
            }
            for m in &p.memdevs {
                assert!((m.host_bridge as usize) < p.host_bridges.len());
                if let Some(d) = m.decoder {
                    assert!(d.ways >= 1 && d.position < d.ways && d.hpa.size > 0);
                }
            }
        }
    }
}
