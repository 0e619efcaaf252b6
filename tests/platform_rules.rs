//! Platform rules (`docs/platform-rules.md`): every generated platform follows them (with and
//! without quirks) and round-trips through text; the parser refuses each broken rule with its
//! name and the offending line; each quirk lets exactly its rules through; e820 keeps Soft
//! Reserved entries apart as the kernel does.

use srfuzz::scenario::gen::{self, ByteStream};
use srfuzz::scenario::{text, Event, Presence, Quirk, Quirks, Rule};

fn generated(
    n: usize,
    seed: u64,
    quirks: Quirks,
) -> impl Iterator<Item = (Vec<u8>, srfuzz::scenario::Scenario)> {
    let mut rng = ByteStream::new(seed);
    (0..n).map(move |i| {
        let len = 8 + (i * 7) % 300;
        let data = rng.bytes(len);
        let s = gen::scenario_from_bytes_with(&data, quirks);
        (data, s)
    })
}

#[test]
fn every_generated_platform_validates_and_round_trips() {
    for quirks in [Quirks::NONE, Quirks::all()] {
        for (data, s) in generated(4000, 0x91a7_f00d, quirks) {
            let printed = text::print(&s);
            if let Err(e) = s.platform.validate() {
                panic!("{e}\ninput {data:02x?}\n{printed}");
            }
            // Only allowed quirks are drawn.
            assert!(s.platform.quirks.iter().all(|q| quirks.contains(q)));
            let parsed = text::parse(&printed)
                .unwrap_or_else(|e| panic!("{e}\ninput {data:02x?}\n{printed}"));
            assert_eq!(parsed, s, "input {data:02x?}\n{printed}");
        }
    }
    // The default entry point is the no-quirk one.
    let mut rng = ByteStream::new(3);
    for _ in 0..200 {
        let d = rng.bytes(120);
        assert_eq!(
            gen::scenario_from_bytes(&d),
            gen::scenario_from_bytes_with(&d, Quirks::NONE)
        );
        assert!(gen::scenario_from_bytes(&d).platform.quirks.is_empty());
    }
}

/// The generator still draws every platform shape the reference describes.
#[test]
fn generator_draws_the_reference_shapes() {
    let n = 3000;
    let mut c = [0usize; 9];
    for (_, s) in generated(n, 0x5ca1_ab1e, Quirks::NONE) {
        let p = &s.platform;
        let regions: Vec<_> = p.memdevs.iter().filter_map(|m| m.decoder).collect();
        // SR over a whole window whose auto region fills it.
        c[0] += usize::from(p.windows.iter().any(|w| {
            p.soft_reserved.contains(&w.range) && regions.iter().any(|d| d.hpa == w.range)
        }));
        // SR outside every window (memmap= style).
        c[1] += usize::from(p.soft_reserved.iter().any(|r| {
            p.windows
                .iter()
                .all(|w| r.end() < w.range.start || r.start > w.range.end())
        }));
        // SR only, no window at all.
        c[2] += usize::from(p.windows.is_empty() && !p.soft_reserved.is_empty());
        // A user-created region in a window with free space.
        c[3] += usize::from(s.events.iter().any(|e| match e {
            Event::CreateRamRegion { window, .. } => {
                let w = &p.windows[*window as usize];
                !regions.iter().any(|d| d.hpa == w.range)
            }
            _ => false,
        }));
        // A hot-added device (no decoder, by the rules) that is hot-added.
        c[4] += usize::from(s.events.iter().any(|e| {
            matches!(e, Event::HotAddMemdev(i)
            if p.memdevs[*i as usize].presence == Presence::HotAdd)
        }));
        // Two host bridges interleaved by one region.
        c[5] += usize::from(regions.iter().any(|d| {
            d.ways >= 2
                && p.windows.iter().any(|w| {
                    w.targets.len() == 2
                        && w.range.start <= d.hpa.start
                        && d.hpa.end() <= w.range.end()
                })
        }));
        // Several windows.
        c[6] += usize::from(p.windows.len() >= 2);
        // A region with a dead member (assembly failure).
        c[7] += usize::from(
            p.memdevs
                .iter()
                .any(|m| m.presence == Presence::Never && m.decoder.is_some()),
        );
        // Adjacent Soft Reserved entries.
        c[8] += usize::from(
            p.soft_reserved
                .iter()
                .any(|a| p.soft_reserved.iter().any(|b| a.start + a.size == b.start)),
        );
    }
    let names = [
        "SR over a window its auto region fills",
        "SR outside every window",
        "SR with no window",
        "create-region in free window space",
        "hot-added memdev",
        "two host bridges interleaved",
        "several windows",
        "dead region member",
        "adjacent SR entries",
    ];
    for (k, name) in c.iter().zip(names) {
        assert!(*k * 100 >= n * 2, "only {k} of {n} scenarios have: {name}");
    }
}

/// The quirks' shapes appear when asked for.
#[test]
fn generator_draws_quirk_shapes_when_asked() {
    let n = 3000;
    let (mut span, mut beyond, mut overlap, mut split) = (0, 0, 0, 0);
    for (_, s) in generated(n, 0xfeed, Quirks::all()) {
        let p = &s.platform;
        let mut strict = p.clone();
        strict.quirks = Quirks::NONE;
        let broken: Vec<Rule> = match strict.validate() {
            Ok(()) => Vec::new(),
            Err(e) => e.violations.iter().map(|v| v.rule).collect(),
        };
        span += usize::from(broken.contains(&Rule::SrWindowStraddle));
        beyond += usize::from(broken.contains(&Rule::SrUncommitted));
        overlap += usize::from(broken.contains(&Rule::SrOverlap));
        split += usize::from(broken.contains(&Rule::HmatCoversSr));
        // Every rule broken is relaxed by a quirk the platform declares.
        for r in broken {
            assert!(p.quirks.relax(r), "{r} broken without its quirk");
        }
    }
    for (k, name) in [
        (span, "sr-spans-windows"),
        (beyond, "sr-beyond-regions"),
        (overlap, "overlapping-sr"),
        (split, "hmat-splits-sr"),
    ] {
        assert!(k * 100 >= n, "only {k} of {n} scenarios use {name}");
    }
}

const BASE: &str = "\
[platform]
host-bridge 0
host-bridge 1
window 0x850000000 size=128G targets=0,1
window 0x2850000000 size=128G targets=0
memdev host-bridge=0 capacity=64G decoder=0x850000000,size=128G,ways=2,pos=0
memdev host-bridge=1 capacity=64G decoder=0x850000000,size=128G,ways=2,pos=1
memdev host-bridge=0 capacity=64G decoder=0x2850000000,size=64G,ways=1,pos=0
memdev host-bridge=0 capacity=64G presence=hotadd
soft-reserved 0x850000000 size=128G
soft-reserved 0x4850000000 size=4G
hmat-target 0x850000000 size=128G nid=1
soft-reserved 0x2850000000 size=64G
";

/// BASE with lines replaced (1-based).
fn with(lines: &[(usize, &str)]) -> String {
    BASE.lines()
        .enumerate()
        .map(|(i, l)| {
            lines
                .iter()
                .find(|(n, _)| *n == i + 1)
                .map(|(_, new)| *new)
                .unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn refused(text: &str, rule: Rule, line: usize) {
    match text::parse(text) {
        Ok(_) => panic!("accepted, expected `{rule}` on line {line}:\n{text}"),
        Err(e) => {
            assert_eq!(e.line, line, "{e}\n{text}");
            assert!(
                e.msg
                    .contains(&format!("breaks platform rule `{}`", rule.name())),
                "expected rule `{rule}` in: {e}"
            );
            assert!(e.to_string().starts_with(&format!("line {line}: ")));
            if let Some(q) = rule.relaxed_by() {
                assert!(e.msg.contains(&format!("quirk {q}")), "{e}");
                // The quirk lets it through.
                let quirked = text.replacen("[platform]", &format!("[platform]\nquirk {q}"), 1);
                if let Err(e) = text::parse(&quirked) {
                    panic!("with quirk {q}: {e}\n{quirked}");
                }
            }
        }
    }
}

#[test]
fn the_base_platform_is_valid() {
    let s = text::parse(BASE).unwrap();
    assert_eq!(s.platform.validate(), Ok(()));
}

#[test]
fn each_rule_is_refused_with_its_name_and_line() {
    let mut tested = Vec::new();
    let mut case = |rule: Rule, text: String, line: usize| {
        refused(&text, rule, line);
        tested.push(rule);
    };
    case(Rule::HostBridgeUidUnique, with(&[(3, "host-bridge 0")]), 3);
    case(
        Rule::WindowAlignment,
        with(&[(5, "window 0x2850000000 size=0x1ff8000000 targets=0")]),
        5,
    );
    case(
        Rule::WindowWays,
        "[platform]\nhost-bridge 0\nhost-bridge 1\nhost-bridge 2\nhost-bridge 3\nhost-bridge 4\n\
         window 0x850000000 size=80G targets=0,1,2,3,4\n"
            .to_string(),
        7,
    );
    case(
        Rule::WindowTargetsDistinct,
        with(&[(5, "window 0x2850000000 size=128G targets=0,0")]),
        5,
    );
    case(
        Rule::WindowOverlap,
        with(&[(5, "window 0x1850000000 size=128G targets=0")]),
        5,
    );
    case(
        Rule::DecoderAlignment,
        with(&[(
            8,
            "memdev host-bridge=0 capacity=64G decoder=0x2850000000,size=0x18000000,ways=1,pos=0",
        )]),
        8,
    );
    case(
        Rule::DecoderWays,
        with(&[(
            8,
            "memdev host-bridge=0 capacity=64G decoder=0x2850000000,size=80G,ways=5,pos=0",
        )]),
        8,
    );
    case(
        Rule::DecoderInWindow,
        with(&[(
            8,
            "memdev host-bridge=0 capacity=64G decoder=0x4850000000,size=64G,ways=1,pos=0",
        )]),
        8,
    );
    case(
        Rule::DecoderWaysMultiple,
        with(&[(
            6,
            "memdev host-bridge=0 capacity=128G decoder=0x850000000,size=128G,ways=1,pos=0",
        )]),
        6,
    );
    case(
        Rule::DecoderPosition,
        with(&[(
            6,
            "memdev host-bridge=1 capacity=64G decoder=0x850000000,size=128G,ways=2,pos=0",
        )]),
        6,
    );
    case(
        Rule::DecoderCapacity,
        with(&[(
            6,
            "memdev host-bridge=0 capacity=32G decoder=0x850000000,size=128G,ways=2,pos=0",
        )]),
        6,
    );
    case(
        Rule::MemdevCapacity,
        with(&[(
            6,
            "memdev host-bridge=0 capacity=0x1001000000 decoder=0x850000000,size=128G,ways=2,pos=0",
        )]),
        6,
    );
    case(
        Rule::DecoderOnHotadd,
        with(&[(
            6,
            "memdev host-bridge=0 capacity=64G presence=hotadd decoder=0x850000000,size=128G,ways=2,pos=0",
        )]),
        6,
    );
    // Two members at one position.
    case(
        Rule::RegionMembers,
        with(&[(
            7,
            "memdev host-bridge=0 capacity=64G decoder=0x850000000,size=128G,ways=2,pos=0",
        )]),
        7,
    );
    // A member missing (a dead one is written `presence=never`).
    case(Rule::RegionMembers, with(&[(7, "# mem1 left out")]), 6);
    case(
        Rule::RegionOverlap,
        with(&[(
            9,
            "memdev host-bridge=0 capacity=128G decoder=0x2850000000,size=128G,ways=1,pos=0",
        )]),
        9,
    );
    case(
        Rule::SrOverlap,
        with(&[(11, "soft-reserved 0x850000000 size=64G")]),
        11,
    );
    case(
        Rule::SrPages,
        with(&[(12, "soft-reserved 0x4850000000 size=0x1001")]),
        12,
    );
    case(
        Rule::SrWindowStraddle,
        with(&[
            (10, "soft-reserved 0x850000000 size=192G"),
            (12, "hmat-target 0x850000000 size=192G nid=1"),
            (13, "# mem2's range is inside the entry above"),
        ]),
        10,
    );
    case(
        Rule::SrUncommitted,
        with(&[(11, "soft-reserved 0x3850000000 size=16G")]),
        11,
    );
    case(
        Rule::HmatOverlap,
        with(&[
            (11, "hmat-target 0x10850000000 size=16G nid=2"),
            (12, "hmat-target 0x10850000000 size=8G nid=1"),
        ]),
        12,
    );
    case(
        Rule::RegionInSr,
        with(&[(13, "# mem2's capacity is not in the memory map")]),
        8,
    );
    case(
        Rule::HmatInSr,
        with(&[(12, "hmat-target 0x4850000000 size=8G nid=1")]),
        12,
    );
    case(
        Rule::HmatCoversSr,
        with(&[(12, "hmat-target 0x850000000 size=64G nid=1")]),
        12,
    );
    // cxl_test's mock range outside every window, across two windows, or not in 256M units.
    let sr = "soft-reserved 0x2850000000 size=64G";
    for bad in [
        "hmem-test 0x4850000000 size=4G",
        "hmem-test 0x2050000000 size=64G",
        "hmem-test 0x850000000 size=128M",
    ] {
        case(
            Rule::HmemTestRange,
            with(&[(13, &format!("{sr}\n{bad}"))]),
            14,
        );
    }
    for r in Rule::ALL {
        assert!(tested.contains(&r), "no refusal test for {r}");
    }
}

/// cxl_test's mock range: the first half of a window, or a committed region's range, anywhere
/// in one window that is in no memory map (no Soft Reserved, no HMAT target there; its
/// committed decoders need no Soft Reserved); printed and read back.
#[test]
fn an_hmem_test_range_inside_one_window_is_valid_and_round_trips() {
    // Window 0 leaves the memory map: its Soft Reserved entry (line 10) and HMAT target (12).
    let mock_window = |line: &str| {
        with(&[
            (10, ""),
            (12, ""),
            (13, &format!("soft-reserved 0x2850000000 size=64G\n{line}")),
        ]) + "\n[kconfig]\nCONFIG_CXL_BUS=m\n"
    };
    for ok in [
        "hmem-test 0x850000000 size=64G",
        "hmem-test 0x850000000 size=128G",
        "hmem-test 0x860000000 size=256M",
    ] {
        let s = text::parse(&mock_window(ok)).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert!(s.platform.hmem_test.is_some());
        assert_eq!(text::parse(&text::print(&s)), Ok(s));
    }
    let why = "must lie inside one window that no soft-reserved or hmat-target line touches, and \
               be a nonzero multiple of 256M: cxl_test's mock range is the first half of its mock \
               CXL Window 0, which is in no memory map";
    // Outside every window (window 0's committed capacity then needs Soft Reserved again, and
    // that is reported first); inside window 1, which Soft Reserved describes.
    let e = text::parse(&mock_window("hmem-test 0x4850000000 size=4G"))
        .map(|_| ())
        .map_err(|e| e.to_string());
    assert!(
        e.as_ref().is_err_and(|e| e.contains("region-in-sr")),
        "{e:?}"
    );
    let in_window_1 = with(&[(
        13,
        "soft-reserved 0x2850000000 size=64G\nhmem-test 0x2850000000 size=64G",
    )]);
    assert_eq!(
        text::parse(&in_window_1).unwrap_err().to_string(),
        format!("line 14: breaks platform rule `hmem-test-range`: hmem-test [0x2850000000-0x384fffffff] {why}")
    );
    // Without the mock range, window 0's committed capacity must be Soft Reserved again.
    let e = text::parse(&with(&[(10, ""), (12, "")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("region-in-sr"), "{e}");
}

#[test]
fn a_dead_member_completes_a_region() {
    let t = with(&[(
        7,
        "memdev host-bridge=1 capacity=64G presence=never decoder=0x850000000,size=128G,ways=2,pos=1",
    )]);
    assert!(text::parse(&t).is_ok());
}

#[test]
fn quirk_lines_round_trip_and_bad_names_are_refused() {
    let t = BASE.replacen(
        "[platform]",
        "[platform]\nquirk hmat-splits-sr\nquirk sr-spans-windows",
        1,
    );
    let s = text::parse(&t).unwrap();
    assert!(s.platform.quirks.contains(Quirk::HmatSplitsSr));
    assert!(s.platform.quirks.contains(Quirk::SrSpansWindows));
    assert!(!s.platform.quirks.contains(Quirk::OverlappingSr));
    assert_eq!(text::parse(&text::print(&s)), Ok(s));
    let e = text::parse("[platform]\nquirk sr-everywhere\n").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.msg.contains("unknown quirk `sr-everywhere`"), "{e}");
    assert!(e.msg.contains("hmat-splits-sr"), "{e}");
    let e = text::parse("[platform]\nquirk overlapping-sr\nquirk overlapping-sr\n").unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.msg.contains("already given on line 2"), "{e}");
    // The SRFUZZ_QUIRKS syntax.
    assert_eq!(
        Quirks::parse_list(" sr-spans-windows, hmat-splits-sr ,"),
        Ok([Quirk::SrSpansWindows, Quirk::HmatSplitsSr]
            .into_iter()
            .collect())
    );
    assert_eq!(Quirks::parse_list(""), Ok(Quirks::NONE));
    let e = Quirks::parse_list("sr-spans-windows,nope").unwrap_err();
    assert!(
        e.contains("unknown quirk `nope`") && e.contains(&Quirk::names()),
        "{e}"
    );
    for q in Quirk::ALL {
        assert_eq!(Quirk::from_name(q.name()), Some(q));
        for r in q.relaxes() {
            assert_eq!(r.relaxed_by(), Some(q));
        }
    }
}

/// e820 never merges Soft Reserved (arch/x86/kernel/e820.c):
///
/// ```c
///     if (type == E820_TYPE_SOFT_RESERVED)
///             return true;            /* e820_nomerge() */
/// ...
///     if (current_type != last_type || e820_nomerge(current_type)) {
/// ```
///
/// so adjacent entries stay separate and overlapping ones (possible only under the
/// `overlapping-sr` quirk) are split at every change point.
#[test]
fn e820_keeps_soft_reserved_entries_apart_and_splits_overlaps() {
    let s = text::parse(
        "[platform]\n\
         quirk overlapping-sr\n\
         soft-reserved 0x2000000000 size=16G\n\
         soft-reserved 0x850000000 size=32G\n\
         soft-reserved 0x850000000 size=16G\n\
         soft-reserved 0x1050000000 size=16G\n\
         soft-reserved 0x2000000000 size=16G\n",
    )
    .unwrap();
    assert_eq!(
        s.platform.e820_soft_reserved(),
        vec![
            // The 32G entry split where the nested 16G one ends.
            (0x8_5000_0000, 0xc_4fff_ffff),
            (0xc_5000_0000, 0x10_4fff_ffff),
            // Adjacent, not merged.
            (0x10_5000_0000, 0x14_4fff_ffff),
            // Identical entries: one piece.
            (0x20_0000_0000, 0x23_ffff_ffff),
        ]
    );
    // Without the quirk, the overlap is refused.
    let e = text::parse(
        "[platform]\nsoft-reserved 0x850000000 size=32G\nsoft-reserved 0x850000000 size=16G\n",
    )
    .unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.msg.contains("`sr-overlap`"), "{e}");
    // Adjacent entries are valid and stay two.
    let s = text::parse(
        "[platform]\nsoft-reserved 0x100000000 size=4G\nsoft-reserved 0x200000000 size=4G\n",
    )
    .unwrap();
    assert_eq!(
        s.platform.e820_soft_reserved(),
        vec![
            (0x1_0000_0000, 0x1_ffff_ffff),
            (0x2_0000_0000, 0x2_ffff_ffff)
        ]
    );
    // A partial overlap: three pieces.
    let s = text::parse(
        "[platform]\nquirk overlapping-sr\nsoft-reserved 0x100000000 size=8G\nsoft-reserved 0x200000000 size=8G\n",
    )
    .unwrap();
    assert_eq!(
        s.platform.e820_soft_reserved(),
        vec![
            (0x1_0000_0000, 0x1_ffff_ffff),
            (0x2_0000_0000, 0x2_ffff_ffff),
            (0x3_0000_0000, 0x3_ffff_ffff)
        ]
    );
}

/// The example at the top of docs/scenario-format.md is a valid scenario.
#[test]
fn the_documented_example_is_valid() {
    let doc = include_str!("../docs/scenario-format.md");
    let start = doc.find("```\n# srfuzz scenario").expect("example block") + 4;
    let len = doc[start..].find("```").expect("end of block");
    let s = text::parse(&doc[start..start + len]).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.platform.quirks.contains(Quirk::HmatSplitsSr));
    // The error examples of docs/platform-rules.md and docs/scenario-format.md.
    let e = text::parse(&with(&[(5, "window 0x1850000000 size=128G targets=0")])).unwrap_err();
    assert!(doc.contains(&e.to_string()), "{e}");
    let e = text::parse(&with(&[(11, "soft-reserved 0x850000000 size=64G")])).unwrap_err();
    assert!(doc.contains(&e.to_string()), "{e}");
}
