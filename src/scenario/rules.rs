//! The rules a real platform's firmware description follows, and the named firmware quirks
//! that relax some of them. `docs/platform-rules.md` gives each rule's source (CXL CEDT/CFMWS,
//! ACPI SRAT/HMAT, the UEFI memory map, the kernel's own checks); the names here ([`Rule::name`],
//! [`Quirk::name`]) are the stable names used there, in parse errors and in `quirk <name>` lines.
//!
//! [`Platform::validate`](super::Platform::validate) checks them; the text parser refuses a
//! scenario that breaks one (naming the rule and the offending line); the generator
//! ([`super::gen`]) produces only platforms that pass, by construction.

use std::fmt;

use super::{Platform, Presence, Range};

/// A firmware quirk seen on (or reported for) real machines: a named opt-in, written
/// `quirk <name>` in `[platform]`, that relaxes exactly the rules [`Quirk::relaxes`] lists.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub enum Quirk {
    /// One Soft Reserved entry spans more than one CFMWS window (or runs out of a window into
    /// memory no window describes). Reported on a real platform in the v4 thread: firmware
    /// merged the EFI_MEMORY_SP ranges of two adjacent windows into one descriptor.
    SrSpansWindows,
    /// A Soft Reserved entry covers window HPA that no committed decoder decodes: firmware
    /// marked a whole window (or more than it programmed) EFI_MEMORY_SP. The motivation of the
    /// earlier "trim Soft Reserved" series: the SR range extends beyond the CXL region.
    SrBeyondRegions,
    /// Soft Reserved entries overlap: a `memmap=nn%ss+0xefffffff` boot parameter over a range
    /// firmware already reports, or a firmware e820 table with overlapping entries (the reason
    /// `e820__update_table` exists).
    OverlappingSr,
    /// An HMAT/SRAT memory target's boundaries differ from the Soft Reserved entries': it
    /// splits one or covers only part of it (two proximity domains inside one SP range), or
    /// reaches beyond SP memory into memory the model does not describe (the conventional RAM
    /// next to it would make the kernel's Soft Reserved test see REGION_MIXED).
    HmatSplitsSr,
    /// Committed decoders decode memory that the memory map does not mark Soft Reserved. On
    /// real firmware that memory is conventional RAM the kernel onlines at boot (not modeled:
    /// the model has no firmware System RAM over CXL), or, as with cxl_test's mock auto regions,
    /// memory no memory-map entry describes at all.
    RegionBeyondSr,
}

impl Quirk {
    /// Every quirk, in the order they print.
    pub const ALL: [Quirk; 5] = [
        Quirk::SrSpansWindows,
        Quirk::SrBeyondRegions,
        Quirk::OverlappingSr,
        Quirk::HmatSplitsSr,
        Quirk::RegionBeyondSr,
    ];

    /// The stable name (`quirk <name>`, `SRFUZZ_QUIRKS=<name>,…`).
    pub fn name(self) -> &'static str {
        match self {
            Quirk::SrSpansWindows => "sr-spans-windows",
            Quirk::SrBeyondRegions => "sr-beyond-regions",
            Quirk::OverlappingSr => "overlapping-sr",
            Quirk::HmatSplitsSr => "hmat-splits-sr",
            Quirk::RegionBeyondSr => "region-beyond-sr",
        }
    }

    /// The quirk called `name`.
    pub fn from_name(name: &str) -> Option<Quirk> {
        Quirk::ALL.into_iter().find(|q| q.name() == name)
    }

    /// The rules this quirk relaxes (and no others).
    pub fn relaxes(self) -> &'static [Rule] {
        match self {
            Quirk::SrSpansWindows => &[Rule::SrWindowStraddle],
            Quirk::SrBeyondRegions => &[Rule::SrUncommitted],
            Quirk::OverlappingSr => &[Rule::SrOverlap],
            Quirk::HmatSplitsSr => &[Rule::HmatCoversSr, Rule::HmatInSr],
            Quirk::RegionBeyondSr => &[Rule::RegionInSr],
        }
    }

    /// Every quirk name, comma-separated, for messages.
    pub fn names() -> String {
        Quirk::ALL
            .iter()
            .map(|q| q.name())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A small set of [`Quirk`]s (the empty set is the default: a platform that follows every rule).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct Quirks(u8);

impl Quirks {
    /// No quirk.
    pub const NONE: Quirks = Quirks(0);

    /// Every quirk.
    pub fn all() -> Quirks {
        Quirk::ALL.into_iter().collect()
    }

    /// Whether `q` is in the set.
    pub fn contains(self, q: Quirk) -> bool {
        self.0 & q.bit() != 0
    }

    /// Adds `q`.
    pub fn insert(&mut self, q: Quirk) {
        self.0 |= q.bit();
    }

    /// True for the empty set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The quirks in the set, in [`Quirk::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Quirk> {
        Quirk::ALL.into_iter().filter(move |q| self.contains(*q))
    }

    /// Whether some quirk in the set relaxes `rule`.
    pub fn relax(self, rule: Rule) -> bool {
        self.iter().any(|q| q.relaxes().contains(&rule))
    }

    /// A comma-separated list of quirk names (`SRFUZZ_QUIRKS` syntax; blanks and empty items
    /// are ignored). An unknown name is an error whose message lists the known ones.
    pub fn parse_list(s: &str) -> Result<Quirks, String> {
        let mut out = Quirks::NONE;
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match Quirk::from_name(name) {
                Some(q) => out.insert(q),
                None => {
                    return Err(format!(
                        "unknown quirk `{name}`: expected a comma-separated list of {}",
                        Quirk::names()
                    ))
                }
            }
        }
        Ok(out)
    }
}

impl FromIterator<Quirk> for Quirks {
    fn from_iter<I: IntoIterator<Item = Quirk>>(it: I) -> Quirks {
        let mut q = Quirks::NONE;
        for x in it {
            q.insert(x);
        }
        q
    }
}

/// A platform rule, by its stable name (see `docs/platform-rules.md`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Rule {
    /// Host bridge `_UID`s are distinct.
    HostBridgeUidUnique,
    /// A window's base and size are 256 MiB aligned, its size a multiple of ways × 256 MiB.
    WindowAlignment,
    /// A window's number of targets is a CXL interleave: 1, 2, 4, 8, 16, 3, 6 or 12.
    WindowWays,
    /// A window's targets are distinct host bridges.
    WindowTargetsDistinct,
    /// Windows do not overlap.
    WindowOverlap,
    /// A committed decoder's base and size are 256 MiB aligned and its size a multiple of
    /// ways × 256 MiB (each member's DPA share is whole 256 MiB units).
    DecoderAlignment,
    /// A committed decoder's ways are a CXL interleave.
    DecoderWays,
    /// A committed decoder lies within a window.
    DecoderInWindow,
    /// A committed decoder's ways are a power-of-2 multiple of its window's ways.
    DecoderWaysMultiple,
    /// The window target at `position % window ways` is the memdev's host bridge.
    DecoderPosition,
    /// The device's capacity backs its share: `size / ways <= capacity`.
    DecoderCapacity,
    /// A memory device's capacity is a whole, nonzero number of 256 MiB units.
    MemdevCapacity,
    /// Only devices present at boot (or dead ones firmware had programmed) carry committed
    /// decoders; a hot-added device has none.
    DecoderOnHotadd,
    /// Exactly `ways` memdevs share a region's range, at distinct positions, with equal ways.
    RegionMembers,
    /// Committed decoders with different ranges do not overlap.
    RegionOverlap,
    /// A committed decoder's range lies in Soft Reserved: firmware describes the capacity it
    /// programmed in the memory map, and the model's only kind of CXL memory there is
    /// EFI_MEMORY_SP.
    RegionInSr,
    /// A Soft Reserved entry starts and ends on a 4 KiB page boundary (an EFI memory descriptor
    /// is a run of whole pages).
    SrPages,
    /// Soft Reserved entries do not overlap.
    SrOverlap,
    /// A Soft Reserved entry that intersects a window lies inside that one window.
    SrWindowStraddle,
    /// The part of a Soft Reserved entry inside a window is covered by committed decoders.
    SrUncommitted,
    /// HMAT targets do not overlap.
    HmatOverlap,
    /// An HMAT target that intersects a Soft Reserved entry contains all of it.
    HmatCoversSr,
    /// An HMAT target that intersects Soft Reserved lies within Soft Reserved.
    HmatInSr,
    /// cxl_test's mock range (`hmem-test`) lies inside one window and is a nonzero multiple
    /// of 256 MiB.
    HmemTestRange,
}

impl Rule {
    /// Every rule, in the order `validate` checks them.
    pub const ALL: [Rule; 24] = [
        Rule::HostBridgeUidUnique,
        Rule::WindowAlignment,
        Rule::WindowWays,
        Rule::WindowTargetsDistinct,
        Rule::WindowOverlap,
        Rule::DecoderAlignment,
        Rule::DecoderWays,
        Rule::DecoderInWindow,
        Rule::DecoderWaysMultiple,
        Rule::DecoderPosition,
        Rule::DecoderCapacity,
        Rule::MemdevCapacity,
        Rule::DecoderOnHotadd,
        Rule::RegionMembers,
        Rule::RegionOverlap,
        Rule::RegionInSr,
        Rule::SrPages,
        Rule::SrOverlap,
        Rule::SrWindowStraddle,
        Rule::SrUncommitted,
        Rule::HmatOverlap,
        Rule::HmatCoversSr,
        Rule::HmatInSr,
        Rule::HmemTestRange,
    ];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Rule::HostBridgeUidUnique => "host-bridge-uid-unique",
            Rule::WindowAlignment => "window-alignment",
            Rule::WindowWays => "window-ways",
            Rule::WindowTargetsDistinct => "window-targets-distinct",
            Rule::WindowOverlap => "window-overlap",
            Rule::DecoderAlignment => "decoder-alignment",
            Rule::DecoderWays => "decoder-ways",
            Rule::DecoderInWindow => "decoder-in-window",
            Rule::DecoderWaysMultiple => "decoder-ways-multiple",
            Rule::DecoderPosition => "decoder-position",
            Rule::DecoderCapacity => "decoder-capacity",
            Rule::MemdevCapacity => "memdev-capacity",
            Rule::DecoderOnHotadd => "decoder-on-hotadd",
            Rule::RegionMembers => "region-members",
            Rule::RegionOverlap => "region-overlap",
            Rule::RegionInSr => "region-in-sr",
            Rule::SrPages => "sr-pages",
            Rule::SrOverlap => "sr-overlap",
            Rule::SrWindowStraddle => "sr-window-straddle",
            Rule::SrUncommitted => "sr-uncommitted",
            Rule::HmatOverlap => "hmat-overlap",
            Rule::HmatCoversSr => "hmat-covers-sr",
            Rule::HmatInSr => "hmat-in-sr",
            Rule::HmemTestRange => "hmem-test-range",
        }
    }

    /// The quirk that relaxes this rule, if any.
    pub fn relaxed_by(self) -> Option<Quirk> {
        Quirk::ALL.into_iter().find(|q| q.relaxes().contains(&self))
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An item of a [`Platform`], by its index among the items of its kind (the order of its lines
/// in the text form).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Item {
    /// `soft_reserved[i]`.
    SoftReserved(usize),
    /// `hmat_targets[i]`.
    HmatTarget(usize),
    /// `host_bridges[i]`.
    HostBridge(usize),
    /// `windows[i]`.
    Window(usize),
    /// `memdevs[i]` (its decoder, for decoder rules).
    Memdev(usize),
    /// `hmem_test`, cxl_test's mock range.
    HmemTest,
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::SoftReserved(i) => write!(f, "soft-reserved {i}"),
            Item::HmatTarget(i) => write!(f, "hmat-target {i}"),
            Item::HostBridge(i) => write!(f, "host bridge {i}"),
            Item::Window(i) => write!(f, "window {i}"),
            Item::Memdev(i) => write!(f, "mem{i}"),
            Item::HmemTest => write!(f, "hmem-test"),
        }
    }
}

/// One broken rule.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// The offending items; the first is the one to blame (the later of two conflicting
    /// items), the others what it conflicts with.
    pub items: Vec<Item>,
    /// What is wrong, naming the items.
    pub msg: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "breaks platform rule `{}`: {}", self.rule, self.msg)?;
        if let Some(q) = self.rule.relaxed_by() {
            write!(f, " (allowed only with `quirk {q}`)")?;
        }
        Ok(())
    }
}

/// Every rule a [`Platform`] breaks (never empty).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PlatformError {
    /// The violations, in [`Rule::ALL`] order, then item order.
    pub violations: Vec<Violation>,
}

impl fmt::Display for PlatformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PlatformError {}

/// The interleave ways CXL can encode (CXL 3.1 §8.2.4.20.7 "Interleave Ways"; the kernel's
/// `eiw_to_ways` / `ways_to_eiw`).
pub const VALID_WAYS: [u64; 8] = [1, 2, 4, 8, 16, 3, 6, 12];

/// One page, the granule of EFI memory descriptors.
pub const SZ_4K: u64 = 4 << 10;
/// HDM decoder and CFMWS address granularity (256 MiB).
pub const SZ_256M: u64 = 256 << 20;

fn end_excl(r: &Range) -> u128 {
    r.start as u128 + r.size as u128
}

/// Whether `a` and `b` share a byte.
pub(crate) fn overlaps(a: &Range, b: &Range) -> bool {
    (a.start as u128) < end_excl(b) && (b.start as u128) < end_excl(a)
}

pub(crate) fn contains(outer: &Range, inner: &Range) -> bool {
    outer.start <= inner.start && end_excl(inner) <= end_excl(outer)
}

fn iomem(r: &Range) -> String {
    format!("[{:#x}-{:#x}]", r.start, r.end())
}

/// Whether the union of `cover` contains all of `r`.
pub(crate) fn covered(r: &Range, cover: &[Range]) -> bool {
    let mut v: Vec<&Range> = cover.iter().filter(|c| overlaps(c, r)).collect();
    v.sort_unstable_by_key(|c| c.start);
    let mut at = r.start as u128;
    let end = end_excl(r);
    for c in v {
        if c.start as u128 > at {
            return false;
        }
        at = at.max(end_excl(c));
        if at >= end {
            return true;
        }
    }
    at >= end
}

/// All violations of `p` not relaxed by `p.quirks`.
pub fn violations(p: &Platform) -> Vec<Violation> {
    let mut out: Vec<Violation> = Vec::new();
    let mut push = |rule: Rule, items: Vec<Item>, msg: String| {
        if !p.quirks.relax(rule) {
            out.push(Violation { rule, items, msg });
        }
    };

    // Host bridges.
    for (i, uid) in p.host_bridges.iter().enumerate() {
        if let Some(j) = p.host_bridges[..i].iter().position(|u| u == uid) {
            push(
                Rule::HostBridgeUidUnique,
                vec![Item::HostBridge(i), Item::HostBridge(j)],
                format!("host bridge {i} has _UID {uid}, as host bridge {j} has"),
            );
        }
    }

    // Windows.
    for (i, w) in p.windows.iter().enumerate() {
        let ways = w.targets.len() as u64;
        if !w.range.start.is_multiple_of(SZ_256M)
            || !w.range.size.is_multiple_of(SZ_256M * ways.max(1))
        {
            push(
                Rule::WindowAlignment,
                vec![Item::Window(i)],
                format!(
                    "window {i} {} must start on a 256M boundary and be a multiple of \
                     {ways} way(s) × 256M",
                    iomem(&w.range)
                ),
            );
        }
        if !VALID_WAYS.contains(&ways) {
            push(
                Rule::WindowWays,
                vec![Item::Window(i)],
                format!(
                    "window {i} has {ways} targets: a CFMWS interleaves 1, 2, 4, 8, 16, 3, 6 or 12 ways"
                ),
            );
        }
        for (k, t) in w.targets.iter().enumerate() {
            if w.targets[..k].contains(t) {
                push(
                    Rule::WindowTargetsDistinct,
                    vec![Item::Window(i)],
                    format!("window {i} lists host bridge {t} twice"),
                );
                break;
            }
        }
        for (j, o) in p.windows[..i].iter().enumerate() {
            if overlaps(&w.range, &o.range) {
                push(
                    Rule::WindowOverlap,
                    vec![Item::Window(i), Item::Window(j)],
                    format!(
                        "window {i} {} overlaps window {j} {}",
                        iomem(&w.range),
                        iomem(&o.range)
                    ),
                );
            }
        }
    }

    // Memory devices: the Identify Memory Device command reports capacities in units of
    // CXL_CAPACITY_MULTIPLIER (SZ_256M, drivers/cxl/cxlmem.h).
    for (i, m) in p.memdevs.iter().enumerate() {
        if m.capacity == 0 || !m.capacity.is_multiple_of(SZ_256M) {
            push(
                Rule::MemdevCapacity,
                vec![Item::Memdev(i)],
                format!(
                    "mem{i} has capacity {:#x}: a CXL memory device reports its capacity in \
                     256M units (CXL_CAPACITY_MULTIPLIER), so it is a nonzero multiple of 256M",
                    m.capacity
                ),
            );
        }
    }

    // Committed decoders, one at a time.
    let window_of = |r: &Range| p.windows.iter().position(|w| contains(&w.range, r));
    for (i, m) in p.memdevs.iter().enumerate() {
        let Some(d) = m.decoder else { continue };
        let ways = d.ways as u64;
        if !d.hpa.start.is_multiple_of(SZ_256M) || !d.hpa.size.is_multiple_of(SZ_256M * ways.max(1))
        {
            push(
                Rule::DecoderAlignment,
                vec![Item::Memdev(i)],
                format!(
                    "mem{i}'s decoder {} must start on a 256M boundary and be a multiple of \
                     {ways} way(s) × 256M",
                    iomem(&d.hpa)
                ),
            );
        }
        if !VALID_WAYS.contains(&ways) {
            push(
                Rule::DecoderWays,
                vec![Item::Memdev(i)],
                format!("mem{i}'s decoder has ways={ways}: expected 1, 2, 4, 8, 16, 3, 6 or 12"),
            );
        }
        if m.presence == Presence::HotAdd {
            push(
                Rule::DecoderOnHotadd,
                vec![Item::Memdev(i)],
                format!(
                    "mem{i} is hot-added but carries a committed decoder: firmware commits \
                     decoders only on devices present at boot"
                ),
            );
        }
        if ways > 0 && d.hpa.size / ways > m.capacity {
            push(
                Rule::DecoderCapacity,
                vec![Item::Memdev(i)],
                format!(
                    "mem{i}'s share of {} over {ways} way(s) is {:#x} bytes, more than its \
                     capacity {:#x}",
                    iomem(&d.hpa),
                    d.hpa.size / ways,
                    m.capacity
                ),
            );
        }
        let Some(wi) = window_of(&d.hpa) else {
            push(
                Rule::DecoderInWindow,
                vec![Item::Memdev(i)],
                format!("mem{i}'s decoder {} lies in no window", iomem(&d.hpa)),
            );
            continue;
        };
        let w = &p.windows[wi];
        let wways = w.targets.len() as u64;
        if wways == 0 {
            continue;
        }
        let k = ways / wways;
        if !ways.is_multiple_of(wways) || !k.is_power_of_two() {
            push(
                Rule::DecoderWaysMultiple,
                vec![Item::Memdev(i), Item::Window(wi)],
                format!(
                    "mem{i}'s decoder has ways={ways}, not a power-of-2 multiple of window \
                     {wi}'s {wways} way(s)"
                ),
            );
            continue;
        }
        let t = w.targets[d.position as usize % w.targets.len()];
        if t != m.host_bridge {
            push(
                Rule::DecoderPosition,
                vec![Item::Memdev(i), Item::Window(wi)],
                format!(
                    "mem{i} is at position {} of window {wi}'s interleave, which selects host \
                     bridge {t} (targets[{} % {wways}]), but mem{i} is below host bridge {}",
                    d.position, d.position, m.host_bridge
                ),
            );
        }
    }

    // Regions: decoders grouped by range.
    let decs: Vec<(usize, super::CommittedDecoder)> = p
        .memdevs
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.decoder.map(|d| (i, d)))
        .collect();
    for (n, &(i, d)) in decs.iter().enumerate() {
        let first = decs.iter().position(|&(_, e)| e.hpa == d.hpa);
        if first != Some(n) {
            continue;
        }
        let members: Vec<(usize, super::CommittedDecoder)> = decs
            .iter()
            .copied()
            .filter(|(_, e)| e.hpa == d.hpa)
            .collect();
        let items = |ms: &[(usize, super::CommittedDecoder)]| -> Vec<Item> {
            ms.iter().rev().map(|&(j, _)| Item::Memdev(j)).collect()
        };
        if let Some(&(j, e)) = members.iter().find(|(_, e)| e.ways != d.ways) {
            push(
                Rule::RegionMembers,
                vec![Item::Memdev(j), Item::Memdev(i)],
                format!(
                    "mem{j} and mem{i} decode the same range {} with ways={} and ways={}",
                    iomem(&d.hpa),
                    e.ways,
                    d.ways
                ),
            );
            continue;
        }
        let mut dup = None;
        for (a, &(j, e)) in members.iter().enumerate() {
            if let Some(&(k, _)) = members[..a].iter().find(|(_, f)| f.position == e.position) {
                dup = Some((j, k, e.position));
                break;
            }
        }
        if let Some((j, k, pos)) = dup {
            push(
                Rule::RegionMembers,
                vec![Item::Memdev(j), Item::Memdev(k)],
                format!(
                    "mem{j} and mem{k} both take position {pos} of the region {}",
                    iomem(&d.hpa)
                ),
            );
            continue;
        }
        if members.len() != d.ways as usize {
            push(
                Rule::RegionMembers,
                items(&members),
                format!(
                    "the region {} has ways={} but {} memdev(s) decode it ({}); list a missing \
                     member as `presence=never`",
                    iomem(&d.hpa),
                    d.ways,
                    members.len(),
                    members
                        .iter()
                        .map(|(j, _)| format!("mem{j}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
        for &(j, e) in &decs[..n] {
            if e.hpa != d.hpa && overlaps(&e.hpa, &d.hpa) {
                push(
                    Rule::RegionOverlap,
                    vec![Item::Memdev(i), Item::Memdev(j)],
                    format!(
                        "mem{i}'s decoder {} overlaps mem{j}'s {}",
                        iomem(&d.hpa),
                        iomem(&e.hpa)
                    ),
                );
                break;
            }
        }
    }

    // Soft Reserved.
    let regions: Vec<Range> = decs.iter().map(|(_, d)| d.hpa).collect();
    for (i, r) in p.soft_reserved.iter().enumerate() {
        if !r.start.is_multiple_of(SZ_4K) || !r.size.is_multiple_of(SZ_4K) {
            push(
                Rule::SrPages,
                vec![Item::SoftReserved(i)],
                format!(
                    "soft-reserved {i} {} must start and end on 4K page boundaries",
                    iomem(r)
                ),
            );
        }
        for (j, o) in p.soft_reserved[..i].iter().enumerate() {
            if overlaps(r, o) {
                push(
                    Rule::SrOverlap,
                    vec![Item::SoftReserved(i), Item::SoftReserved(j)],
                    format!(
                        "soft-reserved {i} {} overlaps soft-reserved {j} {}",
                        iomem(r),
                        iomem(o)
                    ),
                );
            }
        }
        for (wi, w) in p.windows.iter().enumerate() {
            if !overlaps(r, &w.range) {
                continue;
            }
            if !contains(&w.range, r) {
                push(
                    Rule::SrWindowStraddle,
                    vec![Item::SoftReserved(i), Item::Window(wi)],
                    format!(
                        "soft-reserved {i} {} runs past the edge of window {wi} {}",
                        iomem(r),
                        iomem(&w.range)
                    ),
                );
            }
            let s = r.start.max(w.range.start);
            let e = end_excl(r).min(end_excl(&w.range));
            let part = Range {
                start: s,
                size: (e - s as u128) as u64,
            };
            if !covered(&part, &regions) {
                push(
                    Rule::SrUncommitted,
                    vec![Item::SoftReserved(i), Item::Window(wi)],
                    format!(
                        "soft-reserved {i} {} covers HPA of window {wi} that no committed \
                         decoder decodes: firmware marks EFI_MEMORY_SP only what it programmed",
                        iomem(r)
                    ),
                );
            }
        }
    }

    // Committed capacity is in the memory map, as Soft Reserved — except in cxl_test's mock
    // window, whose capacity only the mock calls Soft Reserved.
    let mock_window = |r: &Range| {
        p.hmem_test.is_some_and(|t| {
            p.windows
                .iter()
                .any(|w| contains(&w.range, &t) && contains(&w.range, r))
        })
    };
    for (i, m) in p.memdevs.iter().enumerate() {
        let Some(d) = m.decoder else { continue };
        if mock_window(&d.hpa) {
            continue;
        }
        let first = p.memdevs[..i]
            .iter()
            .all(|o| o.decoder.is_none_or(|od| od.hpa != d.hpa));
        if first && !covered(&d.hpa, &p.soft_reserved) {
            push(
                Rule::RegionInSr,
                vec![Item::Memdev(i)],
                format!(
                    "the committed decoder of mem{i} decodes {} beyond Soft Reserved: firmware \
                     describes the capacity it programmed in the memory map",
                    iomem(&d.hpa)
                ),
            );
        }
    }

    // HMAT.
    for (i, t) in p.hmat_targets.iter().enumerate() {
        for (j, o) in p.hmat_targets[..i].iter().enumerate() {
            if overlaps(&t.range, &o.range) {
                push(
                    Rule::HmatOverlap,
                    vec![Item::HmatTarget(i), Item::HmatTarget(j)],
                    format!(
                        "hmat-target {i} {} overlaps hmat-target {j} {}",
                        iomem(&t.range),
                        iomem(&o.range)
                    ),
                );
            }
        }
        if p.soft_reserved.iter().any(|r| overlaps(&t.range, r))
            && !covered(&t.range, &p.soft_reserved)
        {
            push(
                Rule::HmatInSr,
                vec![Item::HmatTarget(i)],
                format!(
                    "hmat-target {i} {} reaches beyond the Soft Reserved it covers: SRAT \
                     describes memory that exists, and the model's only memory is Soft Reserved",
                    iomem(&t.range)
                ),
            );
        }
        for (j, r) in p.soft_reserved.iter().enumerate() {
            if overlaps(&t.range, r) && !contains(&t.range, r) {
                push(
                    Rule::HmatCoversSr,
                    vec![Item::HmatTarget(i), Item::SoftReserved(j)],
                    format!(
                        "hmat-target {i} {} covers only part of soft-reserved {j} {}",
                        iomem(&t.range),
                        iomem(r)
                    ),
                );
            }
        }
    }

    // cxl_test's mock range: the first half of its CXL Window 0 (its auto region's range).
    if let Some(r) = &p.hmem_test {
        let window = p.windows.iter().find(|w| contains(&w.range, r));
        let in_memory_map = window.is_some_and(|w| {
            p.soft_reserved.iter().any(|s| overlaps(s, &w.range))
                || p.hmat_targets.iter().any(|t| overlaps(&t.range, &w.range))
        });
        if window.is_none() || in_memory_map || r.size == 0 || !r.size.is_multiple_of(SZ_256M) {
            push(
                Rule::HmemTestRange,
                vec![Item::HmemTest],
                format!(
                    "hmem-test {} must lie inside one window that no soft-reserved or \
                     hmat-target line touches, and be a nonzero multiple of 256M: cxl_test's \
                     mock range is the first half of its mock CXL Window 0, which is in no \
                     memory map",
                    iomem(r)
                ),
            );
        }
    }
    out
}
