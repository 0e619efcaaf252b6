//! The human-readable text form of a [`Scenario`]: what `srfuzz fmt` prints, what a user
//! writes, what a reviewer pastes into an email. [`print()`] and [`parse()`] round-trip exactly:
//! `parse(&print(s)) == Ok(s)` for every scenario whose indices are in range (every generated
//! one). The format is described in `docs/scenario-format.md`; in short:
//!
//! ```text
//! # srfuzz scenario, format 1
//! [platform]
//! soft-reserved 0x850000000 size=128G
//! hmat-target 0x850000000 size=128G nid=1
//! host-bridge 0
//! window 0x850000000 size=128G targets=0
//! memdev host-bridge=0 capacity=128G presence=boot decoder=0x850000000,size=128G,ways=1,pos=0
//! [kconfig]
//! CONFIG_CXL_BUS=m
//! # CONFIG_DEV_DAX_CXL is not set
//! [events]
//! modprobe cxl_acpi
//! settle
//! [schedule]
//! scheduler 2
//! 00 03 ff
//! ```
//!
//! `scheduler N` names the scheduler version the bytes were chosen for
//! ([`super::Scheduler`]); without it, bytes mean version 1 (every file written before there
//! were versions), and a file without bytes runs under the current one.
//!
//! Parsing never panics; every error names its 1-based line and what was expected. Each kind
//! of item is bounded ([`limits`]), so a text never makes one run take long.

use std::fmt::{self, Write as _};

use super::rules::{Item, Quirk};
use super::{
    CommittedDecoder, Event, HmatTarget, Memdev, Presence, Range, Scenario, Scheduler, Window,
};
use crate::kernel::kconfig::{is_not_set_attempt, parse_config_line, Sym};
use crate::kernel::module::Module;

/// A syntax or consistency error in a scenario text.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong and what was expected.
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

impl std::error::Error for ParseError {}

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
const TIB: u64 = 1 << 40;

/// The first line [`print()`] writes: the format's name and version (`super::file::FORMAT`).
pub const HEADER: &str = "# srfuzz scenario, format 1";

const SECTIONS: [&str; 4] = ["platform", "kconfig", "events", "schedule"];

/// The most items of each kind a scenario text may hold: generous bounds above what real
/// firmware describes and far above what the generator draws ([`super::gen`]'s `MAX_*`), so
/// that no scenario a person writes or a tool emits makes one run take minutes. A text beyond
/// one is refused at the first line past it, naming the limit. docs/scenario-format.md
/// ("Limits") gives the reasons; `tests/scenario_text.rs` checks the generator stays within.
pub mod limits {
    /// `soft-reserved` lines. The legacy e820 table in the boot parameters holds 128 entries of
    /// every type (`E820_MAX_ENTRIES_ZEROPAGE`); real machines have one Soft Reserved entry per
    /// SP range (per CXL region or per node), a few dozen at most.
    pub const SOFT_RESERVED: usize = 128;
    /// `hmat-target` lines: one per memory proximity domain; x86 kernels have 64 NUMA nodes
    /// by default (`NODES_SHIFT` 6).
    pub const HMAT_TARGETS: usize = 128;
    /// `host-bridge` lines: CXL host bridges (ACPI0016), a few per socket.
    pub const HOST_BRIDGES: usize = 64;
    /// `window` lines: CFMWS entries, one per window the platform offers.
    pub const WINDOWS: usize = 64;
    /// Targets of one window: the widest CXL interleave is 16 ways (rule `window-ways`).
    pub const WINDOW_TARGETS: usize = 16;
    /// `memdev` lines: CXL type-3 devices.
    pub const MEMDEVS: usize = 64;
    /// `[events]` lines (every kind, `blacklist` included). Every `settle` records an
    /// observation holding the run's history so far (every region ever created, every
    /// teardown), so a run's memory grows with the square of its events: 256 load/unload
    /// cycles of the largest platform take about 250 MB, 1024 took 2.2 GB.
    pub const EVENTS: usize = 256;
    /// Schedule bytes in `[schedule]` (one is consumed per scheduling decision).
    pub const SCHEDULE_BYTES: usize = 16384;
}

/// The error for the item past a limit: `what` names the lines counted.
fn too_many(what: &str, limit: usize) -> String {
    format!("too many {what}: a scenario may have at most {limit} (docs/scenario-format.md, \"Limits\")")
}

// ---------------------------------------------------------------------------------------------
// Printing.

/// A size as the text form prints it: `<n>G` for whole GiB, `<n>M` for whole MiB, hex
/// otherwise (`0` prints as `0x0`).
pub fn format_size(size: u64) -> String {
    if size != 0 && size.is_multiple_of(GIB) {
        format!("{}G", size / GIB)
    } else if size != 0 && size.is_multiple_of(MIB) {
        format!("{}M", size / MIB)
    } else {
        format!("{size:#x}")
    }
}

fn format_range(r: &Range) -> String {
    format!("{:#x} size={}", r.start, format_size(r.size))
}

/// `[start-end]` as /proc/iomem shows it, for comments.
fn iomem(r: &Range) -> String {
    format!("[{:#x}-{:#x}]", r.start, r.end())
}

fn join_u8(xs: impl IntoIterator<Item = u8>) -> String {
    xs.into_iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

fn presence_word(p: Presence) -> &'static str {
    match p {
        Presence::Boot => "boot",
        Presence::HotAdd => "hotadd",
        Presence::Never => "never",
    }
}

/// One event as its `[events]` line.
pub fn format_event(e: &Event) -> String {
    match e {
        Event::Modprobe(m) => format!("modprobe {m}"),
        Event::Rmmod(m) => format!("rmmod {m}"),
        Event::Settle => "settle".to_string(),
        Event::HotAddMemdev(i) => format!("hotadd mem{i}"),
        Event::CreateRamRegion { window, memdevs } => {
            let list = if *memdevs == 0 {
                "none".to_string()
            } else {
                join_u8((0..8u8).filter(|i| memdevs & (1 << i) != 0))
            };
            format!("create-region window={window} memdevs={list}")
        }
        Event::OfflineMemory(i) => format!("offline-memory {i}"),
        Event::DestroyRegion(i) => format!("destroy-region {i}"),
        Event::Blacklist(m) => format!("blacklist {m}"),
    }
}

/// The text form of `s` (ends with a newline). Comments give indices and end addresses.
pub fn print(s: &Scenario) -> String {
    let p = &s.platform;
    let mut o = String::new();
    // `write!` to a String cannot fail.
    let _ = writeln!(o, "{HEADER}");
    let _ = writeln!(o, "[platform]");
    for q in p.quirks.iter() {
        let relaxes: Vec<&str> = q.relaxes().iter().map(|r| r.name()).collect();
        let _ = writeln!(o, "quirk {q}  # relaxes {}", relaxes.join(", "));
    }
    for r in &p.soft_reserved {
        let _ = writeln!(o, "soft-reserved {}  # {}", format_range(r), iomem(r));
    }
    for t in &p.hmat_targets {
        let _ = writeln!(
            o,
            "hmat-target {} nid={}  # {}",
            format_range(&t.range),
            t.nid,
            iomem(&t.range)
        );
    }
    for (i, uid) in p.host_bridges.iter().enumerate() {
        let _ = writeln!(o, "host-bridge {uid}  # host bridge {i}");
    }
    for (i, w) in p.windows.iter().enumerate() {
        let _ = writeln!(
            o,
            "window {} targets={}  # window {i} {}",
            format_range(&w.range),
            join_u8(w.targets.iter().copied()),
            iomem(&w.range)
        );
    }
    for (i, m) in p.memdevs.iter().enumerate() {
        let dec = match &m.decoder {
            None => "none".to_string(),
            Some(d) => format!(
                "{:#x},size={},ways={},pos={}",
                d.hpa.start,
                format_size(d.hpa.size),
                d.ways,
                d.position
            ),
        };
        let _ = writeln!(
            o,
            "memdev host-bridge={} capacity={} presence={} decoder={dec}  # mem{i}",
            m.host_bridge,
            format_size(m.capacity),
            presence_word(m.presence),
        );
    }
    if let Some(r) = p.hmem_test {
        let _ = writeln!(
            o,
            "hmem-test {}  # hmem_platform.1 {}",
            format_range(&r),
            iomem(&r)
        );
    }
    // Empty sections are left out: a missing section is empty.
    let kconfig = s.kconfig.render();
    if !kconfig.is_empty() {
        let _ = writeln!(o, "[kconfig]");
        o.push_str(&kconfig);
    }
    if !s.events.is_empty() {
        let _ = writeln!(o, "[events]");
    }
    for e in &s.events {
        let _ = writeln!(o, "{}", format_event(e));
    }
    // The `scheduler` line only where reading the file back without it would give another
    // version (so files written before there were versions print as they were).
    let implied = if s.schedule.is_empty() {
        Scheduler::CURRENT
    } else {
        Scheduler::PerProbe
    };
    if !s.schedule.is_empty() || s.scheduler != implied {
        let _ = writeln!(o, "[schedule]");
    }
    if s.scheduler != implied {
        let _ = writeln!(o, "scheduler {}", s.scheduler.number());
    }
    for chunk in s.schedule.chunks(16) {
        let line: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(o, "{}", line.join(" "));
    }
    o
}

// ---------------------------------------------------------------------------------------------
// Parsing helpers (errors are messages; the caller adds the line).

type Res<T> = Result<T, String>;

/// A number: `0x…` hex, or decimal with an optional `K`, `M`, `G` or `T` suffix (binary
/// multiples). `_` may separate digits.
pub fn parse_number(s: &str) -> Res<u64> {
    let bad = || {
        format!("expected a number (`0x…` hex, or decimal with an optional K/M/G/T suffix), found `{s}`")
    };
    let t: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        return u64::from_str_radix(hex, 16)
            .map_err(|_| format!("number `{s}` does not fit in 64 bits"));
    }
    let (digits, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], KIB),
        Some('M' | 'm') => (&t[..t.len() - 1], MIB),
        Some('G' | 'g') => (&t[..t.len() - 1], GIB),
        Some('T' | 't') => (&t[..t.len() - 1], TIB),
        _ => (t.as_str(), 1),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|v| v.checked_mul(mult))
        .ok_or_else(|| format!("number `{s}` does not fit in 64 bits"))
}

/// A small number (0..=255) named `what` in errors.
fn parse_u8(s: &str, what: &str) -> Res<u8> {
    let v = parse_number(s).map_err(|e| format!("bad {what}: {e}"))?;
    u8::try_from(v).map_err(|_| format!("{what} {v} is out of range: expected 0..=255"))
}

/// A comma-separated list of small numbers.
fn parse_u8_list(s: &str, what: &str) -> Res<Vec<u8>> {
    if s.is_empty() {
        return Err(format!(
            "expected a comma-separated list of {what}s, found nothing"
        ));
    }
    s.split(',').map(|x| parse_u8(x.trim(), what)).collect()
}

fn check_range(start: u64, size: u64) -> Res<Range> {
    if size == 0 {
        return Err("size must be nonzero".to_string());
    }
    if start.checked_add(size - 1).is_none() {
        return Err(format!(
            "range {start:#x} size={size:#x} wraps past the end of the 64-bit address space"
        ));
    }
    Ok(Range { start, size })
}

/// `key=value` tokens, each key at most once and from `allowed`.
struct Kv<'t> {
    pairs: Vec<(&'t str, &'t str)>,
}

impl<'t> Kv<'t> {
    fn parse(tokens: &[&'t str], keyword: &str, allowed: &[&str]) -> Res<Kv<'t>> {
        let expected = allowed
            .iter()
            .map(|k| format!("`{k}=`"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for tok in tokens {
            let Some((k, v)) = tok.split_once('=') else {
                return Err(format!(
                    "expected `key=value` in the {keyword} line (one of {expected}), found `{tok}`"
                ));
            };
            if !allowed.contains(&k) {
                return Err(format!(
                    "unknown key `{k}` in the {keyword} line: expected one of {expected}"
                ));
            }
            if pairs.iter().any(|(pk, _)| *pk == k) {
                return Err(format!("`{k}=` given twice in the {keyword} line"));
            }
            pairs.push((k, v));
        }
        Ok(Kv { pairs })
    }

    fn get(&self, key: &str) -> Option<&'t str> {
        self.pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    fn require(&self, key: &str, keyword: &str, what: &str) -> Res<&'t str> {
        self.get(key)
            .ok_or_else(|| format!("the {keyword} line is missing `{key}={what}`"))
    }
}

/// `<address> size=<size> [more key=value…]`: the range and the remaining tokens.
fn parse_addr_size<'t>(
    tokens: &[&'t str],
    keyword: &str,
    usage: &str,
) -> Res<(Range, Vec<&'t str>)> {
    let Some(addr) = tokens.first() else {
        return Err(format!(
            "expected `{usage}`, found nothing after `{keyword}`"
        ));
    };
    if addr.contains('=') {
        return Err(format!(
            "expected a start address after `{keyword}` (`{usage}`), found `{addr}`"
        ));
    }
    let start = parse_number(addr).map_err(|e| format!("bad {keyword} address: {e}"))?;
    let Some(size_tok) = tokens.get(1) else {
        return Err(format!(
            "expected `size=<size>` after the {keyword} address (`{usage}`), found nothing"
        ));
    };
    let Some(size) = size_tok.strip_prefix("size=") else {
        return Err(format!(
            "expected `size=<size>` after the {keyword} address, found `{size_tok}`"
        ));
    };
    let size = parse_number(size).map_err(|e| format!("bad {keyword} size: {e}"))?;
    let range = check_range(start, size).map_err(|e| format!("bad {keyword}: {e}"))?;
    Ok((range, tokens[2..].to_vec()))
}

fn parse_presence(s: &str) -> Res<Presence> {
    match s {
        "boot" => Ok(Presence::Boot),
        "hotadd" | "hot-add" => Ok(Presence::HotAdd),
        "never" => Ok(Presence::Never),
        _ => Err(format!(
            "unknown presence `{s}`: expected `boot`, `hotadd` or `never`"
        )),
    }
}

/// `none` or `<address>,size=<size>,ways=<n>,pos=<n>`.
fn parse_decoder(s: &str) -> Res<Option<CommittedDecoder>> {
    const USAGE: &str = "decoder=none or decoder=<address>,size=<size>,ways=<n>,pos=<n>";
    if s == "none" {
        return Ok(None);
    }
    let parts: Vec<&str> = s.split(',').collect();
    let start =
        parse_number(parts[0]).map_err(|e| format!("bad decoder address ({USAGE}): {e}"))?;
    let kv = Kv::parse(&parts[1..], "decoder", &["size", "ways", "pos"])?;
    let size = parse_number(kv.require("size", "decoder", "<size>")?)
        .map_err(|e| format!("bad decoder size: {e}"))?;
    let hpa = check_range(start, size).map_err(|e| format!("bad decoder range: {e}"))?;
    let ways = parse_u8(kv.require("ways", "decoder", "<n>")?, "decoder ways")?;
    let position = parse_u8(kv.require("pos", "decoder", "<n>")?, "decoder position")?;
    if ways == 0 {
        return Err("decoder ways must be at least 1".to_string());
    }
    if position >= ways {
        return Err(format!(
            "decoder position {position} is out of range for {ways} ways: expected 0..{ways}"
        ));
    }
    Ok(Some(CommittedDecoder {
        hpa,
        ways,
        position,
    }))
}

fn parse_module(s: Option<&&str>, verb: &str) -> Res<Module> {
    let names = || {
        Module::ALL
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(s) = s else {
        return Err(format!(
            "expected a module name after `{verb}` (one of {})",
            names()
        ));
    };
    Module::from_name(s).ok_or_else(|| format!("unknown module `{s}`: expected one of {}", names()))
}

/// `mem<N>` or `<N>`.
fn parse_memdev_index(s: &str) -> Res<u8> {
    parse_u8(s.strip_prefix("mem").unwrap_or(s), "memdev index")
}

fn no_more(tokens: &[&str], what: &str) -> Res<()> {
    match tokens.first() {
        None => Ok(()),
        Some(t) => Err(format!("unexpected `{t}` after {what}")),
    }
}

const EVENT_USAGE: &str = "`modprobe <module>`, `rmmod <module>`, `settle`, `hotadd mem<N>`, \
`create-region window=<W> memdevs=<i,j,…>`, `offline-memory <N>`, `destroy-region <N>` or \
`blacklist <module>`";

/// One `[events]` line (comment already stripped, not empty). Indices are checked by the caller.
pub fn parse_event(line: &str) -> Result<Event, String> {
    let toks: Vec<&str> = line.split_whitespace().collect();
    let Some(&verb) = toks.first() else {
        return Err(format!("expected an event: {EVENT_USAGE}"));
    };
    let args = &toks[1..];
    let one_number = |what: &str| -> Res<u8> {
        let Some(a) = args.first() else {
            return Err(format!(
                "expected `{verb} <{what}>`, found nothing after `{verb}`"
            ));
        };
        let v = parse_u8(a, what)?;
        no_more(&args[1..], &format!("`{verb} {a}`"))?;
        Ok(v)
    };
    match verb {
        "modprobe" if args.first() == Some(&"-r") => {
            let m = parse_module(args.get(1), "modprobe -r")?;
            no_more(&args[2..], "the module name")?;
            Ok(Event::Rmmod(m))
        }
        "modprobe" | "rmmod" => {
            let m = parse_module(args.first(), verb)?;
            no_more(&args[1..], "the module name")?;
            Ok(if verb == "modprobe" {
                Event::Modprobe(m)
            } else {
                Event::Rmmod(m)
            })
        }
        "blacklist" => {
            let m = parse_module(args.first(), verb)?;
            no_more(&args[1..], "the module name")?;
            Ok(Event::Blacklist(m))
        }
        "settle" => {
            no_more(args, "`settle`")?;
            Ok(Event::Settle)
        }
        "hotadd" | "hot-add" => {
            let Some(a) = args.first() else {
                return Err(format!(
                    "expected `{verb} mem<N>`, found nothing after `{verb}`"
                ));
            };
            let i = parse_memdev_index(a)?;
            no_more(&args[1..], &format!("`{verb} {a}`"))?;
            Ok(Event::HotAddMemdev(i))
        }
        "create-region" => {
            let kv = Kv::parse(args, "create-region", &["window", "memdevs"])?;
            let window = parse_u8(
                kv.require("window", "create-region", "<window index>")?,
                "window index",
            )?;
            let list = kv.require("memdevs", "create-region", "<i,j,…>")?;
            let mut memdevs = 0u8;
            if list != "none" {
                if list.is_empty() {
                    return Err(
                        "expected `memdevs=<i,j,…>` (or `memdevs=none`), found an empty list"
                            .to_string(),
                    );
                }
                for x in list.split(',') {
                    let i = parse_memdev_index(x.trim())?;
                    if i >= 8 {
                        return Err(format!(
                            "memdev {i} cannot be a create-region target: expected indices 0..=7"
                        ));
                    }
                    if memdevs & (1 << i) != 0 {
                        return Err(format!("memdev {i} listed twice in `memdevs=`"));
                    }
                    memdevs |= 1 << i;
                }
            }
            Ok(Event::CreateRamRegion { window, memdevs })
        }
        "offline-memory" => Ok(Event::OfflineMemory(one_number("range index")?)),
        "destroy-region" => Ok(Event::DestroyRegion(one_number("region index")?)),
        _ => Err(format!("unknown event `{verb}`: expected {EVENT_USAGE}")),
    }
}

/// Removes a `#` comment.
fn strip_comment(line: &str) -> &str {
    match line.find('#') {
        Some(i) => &line[..i],
        None => line,
    }
}

// ---------------------------------------------------------------------------------------------
// The parser.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Section {
    Platform,
    Kconfig,
    Events,
    Schedule,
}

/// Parses the text form. Sections may come in any order, each at most once; a missing section
/// is empty. Blank lines and `#` comments are allowed anywhere, except that inside
/// `[kconfig]` a `#` line whose text starts with `CONFIG_` is a setting: exactly
/// `# CONFIG_X is not set`, or an error (so a typo never silently leaves X at its default).
///
/// The platform must follow the rules of docs/platform-rules.md (less what its quirks relax):
/// a scenario that breaks one is refused at the line of the item it blames, naming the rule.
pub fn parse(text: &str) -> Result<Scenario, ParseError> {
    parse_with(text, true)
}

/// [`parse`] without the platform rules: for litmus tests of how the modeled kernel copes with
/// firmware bugs it has code for (overlapping CFMWS, duplicate decoders). Nothing a campaign
/// reports comes from such a platform: the generator never builds one and the CLI refuses it.
pub fn parse_unvalidated(text: &str) -> Result<Scenario, ParseError> {
    parse_with(text, false)
}

fn parse_with(text: &str, validate: bool) -> Result<Scenario, ParseError> {
    let mut s = Scenario::default();
    let mut section: Option<Section> = None;
    let mut seen: [Option<usize>; 4] = [None; 4];
    let mut kconfig_lines: [Option<usize>; Sym::COUNT] = [None; Sym::COUNT];
    let mut hmem_test_line: Option<usize> = None;
    // Lines to check once the whole platform is known.
    let mut memdev_lines: Vec<usize> = Vec::new();
    let mut window_lines: Vec<usize> = Vec::new();
    let mut sr_lines: Vec<usize> = Vec::new();
    let mut hmat_lines: Vec<usize> = Vec::new();
    let mut hb_lines: Vec<usize> = Vec::new();
    let mut quirk_lines: Vec<(Quirk, usize)> = Vec::new();
    let mut event_lines: Vec<usize> = Vec::new();
    let mut scheduler: Option<Scheduler> = None;

    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let err = |msg: String| ParseError { line, msg };
        let t = raw.trim();
        // Inside [kconfig], a `#` line starting with CONFIG_ is a setting: exactly
        // `# CONFIG_X is not set` or an error, never a comment that leaves X at its default.
        if section == Some(Section::Kconfig) && is_not_set_attempt(t) {
            let (sym, v) = parse_config_line(t).map_err(err)?;
            set_kconfig(&mut s, &mut kconfig_lines, sym, v, line)?;
            continue;
        }
        let t = strip_comment(t).trim();
        if t.is_empty() {
            continue;
        }
        if let Some(rest) = t.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(err(format!(
                    "expected a section header like `[platform]`, found `{t}`"
                )));
            };
            let name = name.trim();
            let Some(idx) = SECTIONS.iter().position(|&n| n == name) else {
                return Err(err(format!(
                    "unknown section `[{name}]`: expected [platform], [kconfig], [events] or [schedule]"
                )));
            };
            if let Some(prev) = seen[idx] {
                return Err(err(format!(
                    "duplicate section `[{name}]` (already started on line {prev})"
                )));
            }
            seen[idx] = Some(line);
            section = Some(
                [
                    Section::Platform,
                    Section::Kconfig,
                    Section::Events,
                    Section::Schedule,
                ][idx],
            );
            continue;
        }
        match section {
            None => {
                return Err(err(format!(
                    "expected a section header ([platform], [kconfig], [events] or [schedule]) before `{t}`"
                )))
            }
            Some(Section::Platform) => {
                parse_platform_line(&mut s, t, line, &mut hmem_test_line, &mut quirk_lines)
                    .map_err(err)?;
                match t.split_whitespace().next().unwrap_or("") {
                    "memdev" => memdev_lines.push(line),
                    "window" => window_lines.push(line),
                    "soft-reserved" => sr_lines.push(line),
                    "hmat-target" => hmat_lines.push(line),
                    "host-bridge" => hb_lines.push(line),
                    _ => {}
                }
            }
            Some(Section::Kconfig) => {
                let (sym, v) = parse_config_line(t).map_err(err)?;
                set_kconfig(&mut s, &mut kconfig_lines, sym, v, line)?;
            }
            Some(Section::Events) => {
                let e = parse_event(t).map_err(err)?;
                if s.events.len() == limits::EVENTS {
                    return Err(err(too_many("events", limits::EVENTS)));
                }
                s.events.push(e);
                event_lines.push(line);
            }
            Some(Section::Schedule) if t.starts_with("scheduler") => {
                let n = t["scheduler".len()..].trim();
                let v = n.parse().ok().and_then(Scheduler::of_number).ok_or_else(|| {
                    err(format!(
                        "bad `{t}`: expected `scheduler 1` or `scheduler 2` (the scheduler \
                         version the schedule bytes were chosen for)"
                    ))
                })?;
                if scheduler.replace(v).is_some() {
                    return Err(err("a second `scheduler` line: expected one".into()));
                }
            }
            Some(Section::Schedule) => {
                for tok in t.split_whitespace() {
                    let ok = (1..=2).contains(&tok.len()) && tok.chars().all(|c| c.is_ascii_hexdigit());
                    if !ok {
                        return Err(err(format!(
                            "bad schedule byte `{tok}`: expected hex bytes like `00 03 ff`"
                        )));
                    }
                    if s.schedule.len() == limits::SCHEDULE_BYTES {
                        return Err(err(too_many("schedule bytes", limits::SCHEDULE_BYTES)));
                    }
                    // Cannot fail: one or two hex digits.
                    s.schedule.push(u8::from_str_radix(tok, 16).unwrap_or(0));
                }
            }
        }
    }
    s.scheduler = scheduler.unwrap_or(if s.schedule.is_empty() {
        Scheduler::CURRENT
    } else {
        Scheduler::PerProbe
    });
    check_indices(&s, &window_lines, &memdev_lines, &event_lines)?;
    if !validate {
        return Ok(s);
    }
    if let Err(e) = s.platform.validate() {
        // The first violation, at the line of the item it blames.
        let v = &e.violations[0];
        let line_of = |it: &Item| -> usize {
            let l = match *it {
                Item::SoftReserved(i) => sr_lines.get(i),
                Item::HmatTarget(i) => hmat_lines.get(i),
                Item::HostBridge(i) => hb_lines.get(i),
                Item::Window(i) => window_lines.get(i),
                Item::Memdev(i) => memdev_lines.get(i),
                Item::HmemTest => hmem_test_line.as_ref(),
            };
            l.copied().unwrap_or(0)
        };
        let line = v.items.first().map(line_of).unwrap_or(0);
        let others: Vec<String> = v
            .items
            .iter()
            .skip(1)
            .map(|it| format!("{it} is on line {}", line_of(it)))
            .collect();
        let mut msg = v.to_string();
        if !others.is_empty() {
            msg.push_str(&format!("; {}", others.join(", ")));
        }
        return Err(ParseError { line, msg });
    }
    if let (Some(line), Some(why)) = (hmem_test_line, crate::scenario::hmem_test_config(&s)) {
        return Err(ParseError { line, msg: why });
    }
    Ok(s)
}

fn set_kconfig(
    s: &mut Scenario,
    lines: &mut [Option<usize>; Sym::COUNT],
    sym: Sym,
    v: crate::kernel::kconfig::Tristate,
    line: usize,
) -> Result<(), ParseError> {
    if let Some(prev) = lines[sym.index()] {
        return Err(ParseError {
            line,
            msg: format!("CONFIG_{sym} is already set on line {prev}"),
        });
    }
    lines[sym.index()] = Some(line);
    s.kconfig.set(sym, Some(v));
    Ok(())
}

fn parse_platform_line(
    s: &mut Scenario,
    t: &str,
    line: usize,
    hmem_test_line: &mut Option<usize>,
    quirk_lines: &mut Vec<(Quirk, usize)>,
) -> Res<()> {
    let toks: Vec<&str> = t.split_whitespace().collect();
    let Some(&kw) = toks.first() else {
        return Ok(());
    };
    let args = &toks[1..];
    let p = &mut s.platform;
    match kw {
        "soft-reserved" => {
            let (range, rest) = parse_addr_size(args, kw, "soft-reserved <address> size=<size>")?;
            no_more(&rest, "the soft-reserved size")?;
            at_most(
                p.soft_reserved.len(),
                "soft-reserved lines",
                limits::SOFT_RESERVED,
            )?;
            p.soft_reserved.push(range);
        }
        "hmat-target" => {
            let (range, rest) =
                parse_addr_size(args, kw, "hmat-target <address> size=<size> nid=<node>")?;
            let kv = Kv::parse(&rest, kw, &["nid"])?;
            let nid = parse_u8(kv.require("nid", kw, "<node>")?, "nid")?;
            at_most(
                p.hmat_targets.len(),
                "hmat-target lines",
                limits::HMAT_TARGETS,
            )?;
            p.hmat_targets.push(HmatTarget { range, nid });
        }
        "host-bridge" => {
            let Some(uid) = args.first() else {
                return Err(
                    "expected `host-bridge <uid>`, found nothing after `host-bridge`".into(),
                );
            };
            let uid = parse_u8(uid.strip_prefix("uid=").unwrap_or(uid), "host bridge uid")?;
            no_more(&args[1..], "the host bridge uid")?;
            at_most(
                p.host_bridges.len(),
                "host-bridge lines",
                limits::HOST_BRIDGES,
            )?;
            p.host_bridges.push(uid);
        }
        "window" => {
            let (range, rest) = parse_addr_size(
                args,
                kw,
                "window <address> size=<size> targets=<host bridge indices>",
            )?;
            let kv = Kv::parse(&rest, kw, &["targets"])?;
            let targets =
                parse_u8_list(kv.require("targets", kw, "<i,j,…>")?, "host bridge index")?;
            if targets.len() > limits::WINDOW_TARGETS {
                return Err(format!(
                    "too many window targets: {} listed, a window interleaves at most {} host \
                     bridges (docs/scenario-format.md, \"Limits\")",
                    targets.len(),
                    limits::WINDOW_TARGETS
                ));
            }
            at_most(p.windows.len(), "window lines", limits::WINDOWS)?;
            p.windows.push(Window { range, targets });
        }
        "memdev" => {
            let kv = Kv::parse(
                args,
                kw,
                &["host-bridge", "capacity", "presence", "decoder"],
            )?;
            let host_bridge = parse_u8(
                kv.require("host-bridge", kw, "<host bridge index>")?,
                "host bridge index",
            )?;
            let capacity = parse_number(kv.require("capacity", kw, "<size>")?)
                .map_err(|e| format!("bad memdev capacity: {e}"))?;
            let presence = match kv.get("presence") {
                Some(w) => parse_presence(w)?,
                None => Presence::Boot,
            };
            let decoder = match kv.get("decoder") {
                Some(d) => parse_decoder(d)?,
                None => None,
            };
            at_most(p.memdevs.len(), "memdev lines", limits::MEMDEVS)?;
            p.memdevs.push(Memdev {
                host_bridge,
                capacity,
                decoder,
                presence,
            });
        }
        "hmem-test" => {
            if let Some(prev) = hmem_test_line {
                return Err(format!("hmem-test is already given on line {prev}"));
            }
            let (range, rest) = parse_addr_size(args, kw, "hmem-test <address> size=<size>")?;
            no_more(&rest, "the hmem-test size")?;
            p.hmem_test = Some(range);
            *hmem_test_line = Some(line);
        }
        "quirk" => {
            let Some(name) = args.first() else {
                return Err(format!(
                    "expected `quirk <name>` (one of {}), found nothing",
                    Quirk::names()
                ));
            };
            let q = Quirk::from_name(name).ok_or_else(|| {
                format!("unknown quirk `{name}`: expected one of {}", Quirk::names())
            })?;
            no_more(&args[1..], "the quirk name")?;
            if let Some(&(_, prev)) = quirk_lines.iter().find(|(p, _)| *p == q) {
                return Err(format!("quirk {q} is already given on line {prev}"));
            }
            quirk_lines.push((q, line));
            p.quirks.insert(q);
        }
        _ => {
            return Err(format!(
                "unknown platform keyword `{kw}`: expected soft-reserved, hmat-target, \
                 host-bridge, window, memdev, hmem-test or quirk"
            ))
        }
    }
    Ok(())
}

/// An index that refers to nothing (a line the text does not have), found once everything is
/// read. Plain data: [`well_formed`] asks only whether there is one.
enum IndexFault {
    /// Window `i` has no targets.
    WindowNoTargets(usize),
    /// Window `i` targets host bridge `t`, which does not exist.
    WindowTarget(usize, u8),
    /// Memdev `i` sits below host bridge `t`, which does not exist.
    MemdevHostBridge(usize, u8),
    /// Event `i` hot-adds memdev `m`, which does not exist.
    HotaddMemdev(usize, u8),
    /// Event `i` creates a region in window `w`, which does not exist.
    RegionWindow(usize, u8),
    /// Event `i` creates a region over memdev `m`, which does not exist.
    RegionMemdev(usize, u8),
}

/// The first index fault of `s`, in the order the parser reports them: windows, memdevs, events.
fn first_index_fault(s: &Scenario) -> Option<IndexFault> {
    let p = &s.platform;
    let nhb = p.host_bridges.len();
    for (i, w) in p.windows.iter().enumerate() {
        if w.targets.is_empty() {
            return Some(IndexFault::WindowNoTargets(i));
        }
        if let Some(&t) = w.targets.iter().find(|&&t| t as usize >= nhb) {
            return Some(IndexFault::WindowTarget(i, t));
        }
    }
    for (i, m) in p.memdevs.iter().enumerate() {
        if m.host_bridge as usize >= nhb {
            return Some(IndexFault::MemdevHostBridge(i, m.host_bridge));
        }
    }
    let nmem = p.memdevs.len();
    let nwin = p.windows.len();
    for (i, e) in s.events.iter().enumerate() {
        match *e {
            Event::HotAddMemdev(m) if m as usize >= nmem => {
                return Some(IndexFault::HotaddMemdev(i, m));
            }
            Event::CreateRamRegion { window, memdevs } => {
                if window as usize >= nwin {
                    return Some(IndexFault::RegionWindow(i, window));
                }
                if let Some(m) = (0..8u8).find(|&m| memdevs & (1 << m) != 0 && m as usize >= nmem) {
                    return Some(IndexFault::RegionMemdev(i, m));
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether the text form of `s` parses when the platform rules are not applied:
/// `parse_unvalidated(&print(s)).is_ok()`, without printing. Every range (Soft Reserved, HMAT
/// target, window, committed decoder) is nonempty and does not wrap past 2^64, every committed
/// decoder has `ways >= 1` and `pos < ways`, and every index is in range (window targets and
/// memdev host bridges below the number of host bridges, windows with at least one target,
/// events' window and memdev indices below the number of windows and memdevs). With
/// [`Platform::validate`](super::Platform::validate) it is exactly what [`parse`] accepts.
pub fn well_formed(s: &Scenario) -> bool {
    let p = &s.platform;
    let range_ok = |r: &Range| check_range(r.start, r.size).is_ok();
    p.soft_reserved.iter().all(range_ok)
        && p.hmat_targets.iter().all(|t| range_ok(&t.range))
        && p.windows.iter().all(|w| range_ok(&w.range))
        && p.memdevs.iter().all(|m| {
            m.decoder
                .is_none_or(|d| range_ok(&d.hpa) && d.ways >= 1 && d.position < d.ways)
        })
        && first_index_fault(s).is_none()
}

/// `Ok` while fewer than `limit` items of a kind were read (one more may be added).
fn at_most(have: usize, what: &str, limit: usize) -> Res<()> {
    if have >= limit {
        return Err(too_many(what, limit));
    }
    Ok(())
}

/// Checks indices that refer to other lines, once everything is read.
fn check_indices(
    s: &Scenario,
    window_lines: &[usize],
    memdev_lines: &[usize],
    event_lines: &[usize],
) -> Result<(), ParseError> {
    let Some(fault) = first_index_fault(s) else {
        return Ok(());
    };
    let p = &s.platform;
    let nhb = p.host_bridges.len();
    let nmem = p.memdevs.len();
    let nwin = p.windows.len();
    let hb_msg = |what: &str, i: u8| {
        format!(
            "{what} refers to host bridge {i}, but there {} ({})",
            if nhb == 1 {
                "is 1 `host-bridge` line".to_string()
            } else {
                format!("are {nhb} `host-bridge` lines")
            },
            "host bridges are numbered in order from 0"
        )
    };
    let (line, msg) = match fault {
        IndexFault::WindowNoTargets(i) => (
            window_lines[i],
            "a window needs at least one target".to_string(),
        ),
        IndexFault::WindowTarget(i, t) => (window_lines[i], hb_msg("the window", t)),
        IndexFault::MemdevHostBridge(i, t) => (memdev_lines[i], hb_msg("the memdev", t)),
        IndexFault::HotaddMemdev(i, m) => (
            event_lines[i],
            format!(
                "memdev mem{m} does not exist: the platform has {nmem} memdev(s), mem0..mem{}",
                nmem.saturating_sub(1)
            ),
        ),
        IndexFault::RegionWindow(i, w) => (
            event_lines[i],
            format!("window {w} does not exist: the platform has {nwin} window(s)"),
        ),
        IndexFault::RegionMemdev(i, m) => (
            event_lines[i],
            format!("memdev mem{m} does not exist: the platform has {nmem} memdev(s)"),
        ),
    };
    Err(ParseError { line, msg })
}
