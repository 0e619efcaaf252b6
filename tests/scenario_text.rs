//! The scenario text form round-trips, reports errors by line, never panics; generation never
//! fails and produces non-trivial scenarios.

use srfuzz::scenario::{gen, text, Event, Presence, Scenario};

use gen::ByteStream as XorShift;

fn scenarios(n: usize, seed: u64) -> impl Iterator<Item = (Vec<u8>, Scenario)> {
    let mut rng = XorShift::new(seed);
    (0..n).map(move |_| {
        let len = rng.below(300);
        let data = rng.bytes(len);
        let s = gen::scenario_from_bytes(&data);
        (data, s)
    })
}

#[test]
fn print_parse_round_trip() {
    for (data, s) in scenarios(5000, 0x9e37_79b9_7f4a_7c15) {
        let printed = text::print(&s);
        let parsed =
            text::parse(&printed).unwrap_or_else(|e| panic!("{e}\ninput {data:02x?}\n{printed}"));
        assert_eq!(parsed, s, "input {data:02x?}\n{printed}");
        assert_eq!(text::print(&parsed), printed);
    }
}

#[test]
fn default_scenario_round_trips_and_empty_text_parses() {
    let s = Scenario::default();
    assert_eq!(text::parse(&text::print(&s)), Ok(s.clone()));
    assert_eq!(text::parse(""), Ok(s.clone()));
    assert_eq!(text::parse("# nothing\n\n   \n"), Ok(s));
}

const EXAMPLE: &str = "\
# srfuzz scenario
[platform]
soft-reserved 0x4850000000 size=0x2000000000
hmat-target 0x4850000000 size=0x2000000000 nid=1
host-bridge 0
window 0x850000000 size=128G targets=0   # trailing comment
memdev host-bridge=0 capacity=0x2000000000 presence=boot decoder=0x850000000,size=0x2000000000,ways=1,pos=0
memdev capacity=64G host-bridge=0 presence=hotadd
hmem-test 0x850000000 size=64G
[kconfig]
CONFIG_CXL_BUS=m
# CONFIG_DEV_DAX_CXL is not set
# an ordinary comment
[events]
modprobe cxl_acpi
modprobe dax-hmem
settle
hotadd mem1
create-region window=0 memdevs=0,1
offline-memory 0
destroy-region 0
modprobe -r dax_hmem
rmmod cxl_acpi
[schedule]
00 03 ff
1
";

#[test]
fn parses_the_documented_example() {
    use srfuzz::kernel::kconfig::{Sym, Tristate};
    use srfuzz::kernel::module::Module;
    let s = text::parse(EXAMPLE).unwrap();
    let p = &s.platform;
    assert_eq!(p.soft_reserved.len(), 1);
    // Memory-map Soft Reserved outside the window; the window is cxl_test's mock one.
    assert_eq!(p.soft_reserved[0].start, 0x48_5000_0000);
    assert_eq!(p.soft_reserved[0].size, 128 << 30);
    assert_eq!(p.hmat_targets[0].nid, 1);
    assert_eq!(p.windows[0].range.start, 0x8_5000_0000);
    assert_eq!(p.windows[0].range.size, p.soft_reserved[0].size);
    assert_eq!(p.windows[0].targets, vec![0]);
    assert_eq!(p.memdevs.len(), 2);
    assert_eq!(p.memdevs[0].decoder.unwrap().hpa, p.windows[0].range);
    assert_eq!(p.memdevs[1].decoder, None);
    assert_eq!(p.memdevs[1].presence, Presence::HotAdd);
    assert_eq!(
        p.hmem_test,
        Some(srfuzz::scenario::Range {
            start: 0x8_5000_0000,
            size: 64 << 30
        })
    );
    assert_eq!(s.kconfig.get(Sym::CXL_BUS), Some(Tristate::M));
    assert_eq!(s.kconfig.get(Sym::DEV_DAX_CXL), Some(Tristate::N));
    assert_eq!(s.kconfig.get(Sym::DAX), None);
    assert_eq!(
        s.events,
        vec![
            Event::Modprobe(Module::CxlAcpi),
            Event::Modprobe(Module::DaxHmem),
            Event::Settle,
            Event::HotAddMemdev(1),
            Event::CreateRamRegion {
                window: 0,
                memdevs: 0b11
            },
            Event::OfflineMemory(0),
            Event::DestroyRegion(0),
            Event::Rmmod(Module::DaxHmem),
            Event::Rmmod(Module::CxlAcpi),
        ]
    );
    assert_eq!(s.schedule, vec![0, 3, 0xff, 1]);
    let printed = text::print(&s);
    assert!(
        printed
            .lines()
            .any(|l| l
                == "hmem-test 0x850000000 size=64G  # hmem_platform.1 [0x850000000-0x184fffffff]"),
        "{printed}"
    );
    assert_eq!(text::parse(&printed), Ok(s));
}

/// Replaces line `n` (1-based) of the example.
fn with_line(n: usize, new: &str) -> String {
    EXAMPLE
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == n { new } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

fn err(text: &str) -> text::ParseError {
    match text::parse(text) {
        Ok(s) => panic!("parsed:\n{text}\nas {s:?}"),
        Err(e) => e,
    }
}

fn assert_err(text: &str, line: usize, needle: &str) {
    let e = err(text);
    assert_eq!(e.line, line, "{e}");
    assert!(e.msg.contains(needle), "expected `{needle}` in: {e}");
    assert!(e.to_string().starts_with(&format!("line {line}: ")), "{e}");
}

#[test]
fn errors_name_the_line_and_the_expectation() {
    assert_err(
        &with_line(6, "window 0x850000000 sz=4G targets=0"),
        6,
        "expected `size=<size>` after the window address, found `sz=4G`",
    );
    assert_err(
        &with_line(6, "window 0x850000000 size=0 targets=0"),
        6,
        "size must be nonzero",
    );
    assert_err(
        &with_line(6, "window 0x850000000 size=4Q targets=0"),
        6,
        "expected a number",
    );
    assert_err(
        &with_line(6, "window 0x850000000 size=4G targets=3"),
        6,
        "host bridge 3",
    );
    assert_err(
        &with_line(6, "window 0x850000000 size=4G"),
        6,
        "missing `targets=",
    );
    assert_err(
        &with_line(6, "window 0xfffffffffffffff0 size=4G targets=0"),
        6,
        "wraps",
    );
    assert_err(
        &with_line(6, "window 0x1ffffffffffffffff size=4G targets=0"),
        6,
        "64 bits",
    );
    assert_err(
        &with_line(6, "windoe 0x850000000 size=4G targets=0"),
        6,
        "unknown platform keyword `windoe`",
    );
    assert_err(
        &with_line(7, "memdev host-bridge=0 capacity=1G presence=maybe"),
        7,
        "unknown presence `maybe`",
    );
    assert_err(
        &with_line(7, "memdev host-bridge=0 capacity=1G colour=red"),
        7,
        "unknown key `colour`",
    );
    assert_err(
        &with_line(7, "memdev host-bridge=0 host-bridge=0 capacity=1G"),
        7,
        "given twice",
    );
    assert_err(
        &with_line(7, "memdev capacity=1G"),
        7,
        "missing `host-bridge=",
    );
    assert_err(
        &with_line(
            7,
            "memdev host-bridge=0 capacity=1G decoder=0x0,size=1G,ways=2,pos=2",
        ),
        7,
        "position 2 is out of range",
    );
    assert_err(
        &with_line(
            7,
            "memdev host-bridge=0 capacity=1G decoder=0x0,size=1G,ways=0,pos=0",
        ),
        7,
        "at least 1",
    );
    assert_err(
        &with_line(
            7,
            "memdev host-bridge=0 capacity=1G decoder=0x0,ways=1,pos=0",
        ),
        7,
        "missing `size=",
    );
    assert_err(
        &with_line(7, "memdev host-bridge=1 capacity=1G"),
        7,
        "host bridge 1",
    );
    assert_err(
        &with_line(9, "hmem-test 0x850000000"),
        9,
        "expected `size=<size>` after the hmem-test address (`hmem-test <address> size=<size>`), found nothing",
    );
    assert_err(
        &with_line(9, "hmem-test size=512M"),
        9,
        "expected a start address after `hmem-test` (`hmem-test <address> size=<size>`)",
    );
    assert_err(
        &with_line(9, "hmem-test"),
        9,
        "found nothing after `hmem-test`",
    );
    assert_err(
        &with_line(9, "hmem-test 0x850000000 size=512M nid=1"),
        9,
        "unexpected `nid=1` after the hmem-test size",
    );
    assert_err(
        &with_line(9, "hmem-test 0x850000000 size=lots"),
        9,
        "bad hmem-test size: expected a number",
    );
    assert_err(
        &with_line(9, "hmem-test 0x850000000 size=0"),
        9,
        "size must be nonzero",
    );
    assert_err(&with_line(11, "CONFIG_CXL_BUS=q"), 11, "expected y, m or n");
    assert_err(
        &with_line(12, "# CONFIG_NOPE is not set"),
        12,
        "unknown symbol",
    );
    assert_err(
        &with_line(12, "CONFIG_CXL_BUS=y"),
        12,
        "already set on line 11",
    );
    assert_err(
        &with_line(15, "modprobe cxl_nope"),
        15,
        "unknown module `cxl_nope`",
    );
    assert_err(&with_line(15, "modprobe"), 15, "expected a module name");
    assert_err(
        &with_line(15, "insmod cxl_acpi"),
        15,
        "unknown event `insmod`",
    );
    assert_err(&with_line(15, "settle now"), 15, "unexpected `now`");
    assert_err(
        &with_line(18, "hotadd mem2"),
        18,
        "memdev mem2 does not exist",
    );
    assert_err(
        &with_line(19, "create-region window=1 memdevs=0"),
        19,
        "window 1 does not exist",
    );
    assert_err(
        &with_line(19, "create-region window=0 memdevs=0,0"),
        19,
        "listed twice",
    );
    assert_err(
        &with_line(19, "create-region window=0 memdevs=0,5"),
        19,
        "mem5 does not exist",
    );
    assert_err(
        &with_line(20, "offline-memory"),
        20,
        "expected `offline-memory <range index>`",
    );
    assert_err(&with_line(25, "00 0x3 ff"), 25, "bad schedule byte `0x3`");
    assert_err(
        &with_line(25, "[events]"),
        25,
        "duplicate section `[events]` (already started on line 14)",
    );
    assert_err(&with_line(25, "[scheduel]"), 25, "unknown section");
    assert_err(
        "soft-reserved 0x0 size=1G\n",
        1,
        "expected a section header",
    );
    assert_err(
        "[platform]\nsoft-reserved\n",
        2,
        "expected `soft-reserved <address> size=<size>`",
    );
}

/// Mutations of printed scenarios and random bytes never panic; whatever parses prints and
/// parses back to itself.
#[test]
fn parser_never_panics() {
    let mut rng = XorShift::new(0x1234_5678_9abc_def1);
    const SNIPPETS: [&str; 24] = [
        "",
        " ",
        "#",
        "=",
        ",",
        "[",
        "]",
        "0x",
        "size=",
        "G",
        "é",
        "\u{0}",
        "-1",
        "999",
        "0xffffffffffffffff",
        "mem",
        "none",
        "[platform]",
        "[events]",
        "[kconfig]",
        "# CONFIG_DAX is not set",
        "targets=",
        "decoder=",
        "pos=",
    ];
    for (_, s) in scenarios(1500, 42) {
        let printed = text::print(&s);
        for _ in 0..8 {
            let mut lines: Vec<String> = printed.lines().map(str::to_string).collect();
            for _ in 0..1 + rng.below(3) {
                let n = lines.len();
                let i = rng.below(n);
                match rng.below(6) {
                    0 => {
                        lines.remove(i);
                    }
                    1 => {
                        let j = rng.below(n);
                        let l = lines[j].clone();
                        lines.insert(i, l);
                    }
                    2 => {
                        // Splice a snippet into a token boundary.
                        let l = &lines[i];
                        let cut = l
                            .char_indices()
                            .map(|(k, _)| k)
                            .nth(rng.below(l.chars().count() + 1))
                            .unwrap_or(l.len());
                        let snip = SNIPPETS[rng.below(SNIPPETS.len())];
                        lines[i] = format!("{}{}{}", &l[..cut], snip, &l[cut..]);
                    }
                    3 => {
                        // Drop a character.
                        let l = &lines[i];
                        if let Some((k, c)) =
                            l.char_indices().nth(rng.below(l.chars().count().max(1)))
                        {
                            lines[i] = format!("{}{}", &l[..k], &l[k + c.len_utf8()..]);
                        }
                    }
                    4 => {
                        let j = rng.below(n);
                        lines.swap(i, j);
                    }
                    _ => {
                        // Replace a token with a snippet.
                        let toks: Vec<&str> = lines[i].split(' ').collect();
                        let k = rng.below(toks.len());
                        let mut toks: Vec<String> = toks.iter().map(|t| t.to_string()).collect();
                        toks[k] = SNIPPETS[rng.below(SNIPPETS.len())].to_string();
                        lines[i] = toks.join(" ");
                    }
                }
            }
            let mutated = lines.join("\n");
            if let Ok(p) = text::parse(&mutated) {
                let again = text::print(&p);
                assert_eq!(text::parse(&again), Ok(p), "{mutated}");
            }
        }
    }
    for _ in 0..3000 {
        let len = rng.below(200);
        let raw = rng.bytes(len);
        let t = String::from_utf8_lossy(&raw);
        let _ = text::parse(&t);
        // Mostly-printable noise with the format's punctuation.
        let alphabet = b"[]#=,x0123456789abcdefGM \n-_platformkconfigeventsschedulememdevwindow";
        let t: String = raw
            .iter()
            .map(|b| alphabet[*b as usize % alphabet.len()] as char)
            .collect();
        let _ = text::parse(&t);
    }
}

#[test]
fn generation_never_fails_and_is_not_trivial() {
    let empty = gen::scenario_from_bytes(&[]);
    assert_eq!(text::parse(&text::print(&empty)), Ok(empty));
    let mut rng = XorShift::new(7);
    for len in 0..64 {
        let _ = gen::scenario_from_bytes(&rng.bytes(len));
        let _ = gen::scenario_from_bytes(&vec![0xff; len]);
    }
    let (mut win, mut mem, mut sr, mut ev, mut dec, mut hmat, mut hot, mut user) =
        (0, 0, 0, 0, 0, 0, 0, 0);
    let n = 1000;
    for (_, s) in scenarios(n, 0xdead_beef) {
        let p = &s.platform;
        win += usize::from(!p.windows.is_empty());
        mem += usize::from(!p.memdevs.is_empty());
        sr += usize::from(!p.soft_reserved.is_empty());
        ev += usize::from(!s.events.is_empty());
        hmat += usize::from(!p.hmat_targets.is_empty());
        dec += usize::from(p.memdevs.iter().any(|m| {
            m.decoder
                .is_some_and(|d| p.windows.iter().any(|w| w.range == d.hpa))
        }));
        hot += usize::from(s.events.iter().any(|e| matches!(e, Event::HotAddMemdev(_))));
        user += usize::from(
            s.events
                .iter()
                .any(|e| matches!(e, Event::CreateRamRegion { .. } | Event::DestroyRegion(_))),
        );
        // Some SR range coincides with a window most of the time when both exist; at least the
        // relation is common overall.
    }
    for (what, k, min) in [
        ("windows", win, 50),
        ("memdevs", mem, 40),
        ("soft reserved", sr, 50),
        ("events", ev, 70),
        ("hmat targets", hmat, 40),
        ("decoders equal to a window", dec, 25),
        ("hot-add events", hot, 3),
        ("create/destroy-region events", user, 10),
    ] {
        assert!(k * 100 >= n * min, "only {k} of {n} scenarios have {what}");
    }
}

/// `well_formed` answers exactly what the parser (without the platform rules) answers for the
/// printed scenario, and with `validate` exactly what `parse` answers: over generated scenarios
/// and structural mutations of them that break one index, range or decoder field at a time.
#[test]
fn well_formed_is_what_the_parser_accepts() {
    use srfuzz::scenario::{CommittedDecoder, Range};
    let mut rng = XorShift::new(0x5eed_f00d);
    let mut broken = 0;
    for (_, s) in scenarios(1500, 0x77) {
        for round in 0..10 {
            let mut c = s.clone();
            if round > 0 {
                let p = &mut c.platform;
                let big = rng.below(4) as u8;
                match rng.below(12) {
                    0 => p.host_bridges.truncate(rng.below(p.host_bridges.len() + 1)),
                    1 => p
                        .windows
                        .iter_mut()
                        .for_each(|w| w.targets.truncate(rng.below(2))),
                    2 => p.memdevs.iter_mut().for_each(|m| m.host_bridge += big),
                    3 => {
                        if let Some(r) = p.soft_reserved.first_mut() {
                            r.size = [0, 1, u64::MAX, r.size][rng.below(4)];
                        }
                    }
                    4 => {
                        if let Some(t) = p.hmat_targets.first_mut() {
                            t.range.start = [u64::MAX, 0, t.range.start][rng.below(3)];
                        }
                    }
                    5 => {
                        if let Some(w) = p.windows.first_mut() {
                            w.range = Range {
                                start: 1 << 63,
                                size: [1 << 63, (1 << 63) + 1][rng.below(2)],
                            };
                        }
                    }
                    6 | 7 => {
                        if let Some(m) = p.memdevs.first_mut() {
                            let d = m.decoder.get_or_insert(CommittedDecoder {
                                hpa: Range { start: 0, size: 1 },
                                ways: 1,
                                position: 0,
                            });
                            d.ways = big;
                            d.position = rng.below(4) as u8;
                            if rng.below(2) == 0 {
                                d.hpa.size = 0;
                            }
                        }
                    }
                    8 => p.memdevs.truncate(rng.below(p.memdevs.len() + 1)),
                    9 => p.windows.truncate(rng.below(p.windows.len() + 1)),
                    10 => c.events.push(Event::HotAddMemdev(big)),
                    _ => c.events.push(Event::CreateRamRegion {
                        window: big,
                        memdevs: 1 << rng.below(8),
                    }),
                }
            }
            let printed = text::print(&c);
            let parsed = text::parse_unvalidated(&printed);
            assert_eq!(
                text::well_formed(&c),
                parsed.is_ok(),
                "{parsed:?}\n{printed}"
            );
            assert_eq!(
                text::well_formed(&c) && c.platform.validate().is_ok(),
                text::parse(&printed).is_ok(),
                "{printed}"
            );
            if parsed.is_ok() {
                assert_eq!(parsed, Ok(c.clone()), "{printed}");
            } else {
                broken += 1;
            }
        }
    }
    assert!(broken > 3000, "only {broken} mutations broke the form");
}

/// Inside `[kconfig]`, a `#` line whose text starts with `CONFIG_` is a setting: a typo in
/// `# CONFIG_X is not set` is an error at its line, never a comment that leaves X at its
/// default (for DEV_DAX_HMEM, `m`: the opposite of what was meant).
#[test]
fn kconfig_not_set_typos_are_errors_not_comments() {
    use srfuzz::kernel::kconfig::{Sym, Tristate};
    let ok = text::parse(&with_line(12, "# CONFIG_DEV_DAX_HMEM is not set")).unwrap();
    assert_eq!(ok.kconfig.get(Sym::DEV_DAX_HMEM), Some(Tristate::N));
    // White space around the words is free; the words are not.
    let ok = text::parse(&with_line(12, "  #CONFIG_DEV_DAX_HMEM  is not\tset   ")).unwrap();
    assert_eq!(ok.kconfig.get(Sym::DEV_DAX_HMEM), Some(Tristate::N));
    for typo in [
        "# CONFIG_DEV_DAX_HMEM is not",
        "# CONFIG_DEV_DAX_HMEM is not sett",
        "# CONFIG_DEV_DAX_HMEM is unset",
        "# CONFIG_DEV_DAX_HMEM is not set # HMEM off",
        "# CONFIG_DEV_DAX_HMEM=y",
        "#CONFIG_DEV_DAX_HMEM",
    ] {
        assert_err(
            &with_line(12, typo),
            12,
            "expected '# CONFIG_DEV_DAX_HMEM is not set'",
        );
    }
    assert_err(
        &with_line(12, "# CONFIG_NOPE is not"),
        12,
        "expected '# CONFIG_NOPE is not set'",
    );
    // Ordinary comments stay comments, in [kconfig] and elsewhere.
    for comment in [
        "# HMEM stays off: CONFIG_DEV_DAX_HMEM is not set below",
        "#",
        "## CONFIG_DEV_DAX_HMEM is the one that matters",
        "CONFIG_DEV_DAX_HMEM=n  # CONFIG_DEV_DAX_HMEM is not",
    ] {
        let s = text::parse(&with_line(13, comment)).unwrap_or_else(|e| panic!("{comment}: {e}"));
        assert_ne!(
            s.kconfig.get(Sym::DEV_DAX_HMEM),
            Some(Tristate::M),
            "{comment}"
        );
    }
    // Outside [kconfig] such a line is a comment like any other.
    for line in [1, 16, 17] {
        let s = text::parse(&with_line(line, "# CONFIG_DEV_DAX_HMEM is not"))
            .unwrap_or_else(|e| panic!("line {line}: {e}"));
        assert_eq!(s.kconfig.get(Sym::DEV_DAX_HMEM), None);
    }
}

/// Whether a line of printed text is a comment the parser would take for a `[kconfig]`
/// setting if it stood in `[kconfig]`.
fn comment_reads_as_setting(line: &str) -> bool {
    match line.find('#') {
        Some(i) => line[i + 1..].trim_start().starts_with("CONFIG_"),
        None => false,
    }
}

/// The printer never writes a comment that reads as a setting: its only `# CONFIG_` lines are
/// the `[kconfig]` section's own `is not set` settings.
#[test]
fn print_writes_no_comment_that_reads_as_a_setting() {
    use srfuzz::kernel::kconfig::parse_config_line;
    let mut not_set = 0;
    for (data, s) in scenarios(3000, 0x000c_0f19) {
        let printed = text::print(&s);
        let mut in_kconfig = false;
        for line in printed.lines() {
            if line.starts_with('[') {
                in_kconfig = line == "[kconfig]";
                continue;
            }
            if !comment_reads_as_setting(line) {
                continue;
            }
            assert!(
                in_kconfig && line.starts_with("# CONFIG_") && parse_config_line(line).is_ok(),
                "input {data:02x?}: `{line}`\n{printed}"
            );
            not_set += 1;
        }
    }
    assert!(
        not_set > 0,
        "no generated scenario printed an `is not set` line"
    );
}

/// The `.scn` files below `dir` (recursively), sorted.
fn scn_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            scn_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "scn") {
            out.push(p);
        }
    }
}

/// Every scenario file in corpus/ and reports/ parses (the `[kconfig]` rule for `# CONFIG_`
/// lines and the size limits refuse none of them) and has no comment that would read as a
/// setting inside `[kconfig]`.
#[test]
fn corpus_and_report_scenarios_parse() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    scn_files(&root.join("corpus"), &mut files);
    scn_files(&root.join("reports"), &mut files);
    assert!(files.len() >= 10, "found only {files:?}");
    for f in &files {
        let t = std::fs::read_to_string(f).unwrap();
        text::parse(&t).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
}

/// `n` lines made by `line(i)`, each ending with a newline.
fn lines(n: usize, line: impl Fn(usize) -> String) -> String {
    (0..n).map(|i| line(i) + "\n").collect()
}

/// Soft Reserved ranges of 1 GiB at 2 GiB steps from 4 GiB, memmap style (no CXL).
fn sr_line(i: usize) -> String {
    format!("soft-reserved {:#x} size=1G", (4 + 2 * i as u64) << 30)
}

/// A scenario text at `n` of the item `line(i)` (in `section`) parses; one more is refused at
/// its own line, naming the limit.
fn assert_limit(
    what: &str,
    head: &str,
    section: &str,
    limit: usize,
    line: impl Fn(usize) -> String,
) {
    let at = format!("{head}{section}\n{}", lines(limit, &line));
    text::parse(&at).unwrap_or_else(|e| panic!("{what} at the limit {limit}: {e}"));
    let past = format!("{at}{}\n", line(limit));
    let want = past.lines().count();
    assert_err(&past, want, &format!("at most {limit}"));
    assert_err(&past, want, "too many");
}

/// Every kind of item is bounded by the text format; the item past a limit is refused at its
/// line, naming the limit.
#[test]
fn limits_refuse_the_item_past_them() {
    use text::limits;
    assert_limit(
        "soft-reserved",
        "",
        "[platform]",
        limits::SOFT_RESERVED,
        sr_line,
    );
    let srs = format!("[platform]\n{}", lines(limits::HMAT_TARGETS, sr_line));
    assert_limit("hmat-target", &srs, "", limits::HMAT_TARGETS, |i| {
        format!(
            "hmat-target {:#x} size=1G nid={}",
            (4 + 2 * i as u64) << 30,
            i % 64
        )
    });
    assert_limit("host-bridge", "", "[platform]", limits::HOST_BRIDGES, |i| {
        format!("host-bridge {i}")
    });
    assert_limit(
        "window",
        "[platform]\nhost-bridge 0\n",
        "",
        limits::WINDOWS,
        |i| format!("window {:#x} size=1G targets=0", (64 + i as u64) << 30),
    );
    assert_limit(
        "memdev",
        "[platform]\nhost-bridge 0\n",
        "",
        limits::MEMDEVS,
        |_| "memdev host-bridge=0 capacity=256M".to_string(),
    );
    assert_limit("events", "", "[events]", limits::EVENTS, |_| {
        "settle".to_string()
    });
    // Schedule bytes, 16 to a line: the line holding the byte past the limit is refused.
    let bytes = lines(limits::SCHEDULE_BYTES / 16, |_| ["00"; 16].join(" "));
    let at = format!("[schedule]\n{bytes}");
    assert_eq!(
        text::parse(&at).unwrap().schedule.len(),
        limits::SCHEDULE_BYTES
    );
    let past = format!("{at}00\n");
    assert_err(
        &past,
        past.lines().count(),
        &format!("at most {}", limits::SCHEDULE_BYTES),
    );

    // A window interleaves at most 16 host bridges.
    let bridges = lines(17, |i| format!("host-bridge {i}"));
    let targets = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    let ok = format!(
        "[platform]\n{bridges}window 0x1000000000 size=64G targets={}\n",
        targets(16)
    );
    text::parse(&ok).unwrap_or_else(|e| panic!("{e}"));
    let past = format!(
        "[platform]\n{bridges}window 0x1000000000 size=64G targets={}\n",
        targets(17)
    );
    assert_err(&past, 19, "too many window targets: 17 listed");
    assert_err(&past, 19, "at most 16");

    // hmem-test: cxl_test's one extra hmem_platform device, at most one line.
    let twice = with_line(
        9,
        "hmem-test 0x850000000 size=512M\nhmem-test 0x850000000 size=1G",
    );
    assert_err(&twice, 10, "hmem-test is already given on line 9");
}

/// What the generator draws stays within the text format's limits, so every generated
/// scenario prints to a text that parses (the round trip above), at any size it can reach.
#[test]
fn generator_maxima_are_within_the_limits() {
    use text::limits;
    // The generator's own maxima (the Soft Reserved entries over committed regions, at most
    // one per memdev, come on top of its MAX_SOFT_RESERVED).
    const {
        assert!(gen::MAX_SOFT_RESERVED + gen::MAX_MEMDEVS < limits::SOFT_RESERVED);
        assert!(gen::MAX_HMAT_TARGETS <= limits::HMAT_TARGETS);
        assert!(gen::MAX_HOST_BRIDGES <= limits::HOST_BRIDGES);
        assert!(gen::MAX_HOST_BRIDGES <= limits::WINDOW_TARGETS);
        assert!(gen::MAX_WINDOWS <= limits::WINDOWS);
        assert!(gen::MAX_MEMDEVS <= limits::MEMDEVS);
        assert!(gen::MAX_EVENTS <= limits::EVENTS);
        assert!(gen::MAX_SCHEDULE <= limits::SCHEDULE_BYTES);
    }
    // And what it draws, on all-ones input (the largest choice at every draw) and at random.
    let mut rng = XorShift::new(0x1_1317_5eed);
    let inputs = (0..3000)
        .map(|i| rng.bytes(8 + i % 400))
        .chain((0..64).map(|n| vec![0xff; 8 * n]));
    for data in inputs {
        let s = gen::scenario_from_bytes(&data);
        let p = &s.platform;
        assert!(p.soft_reserved.len() <= limits::SOFT_RESERVED);
        assert!(p.hmat_targets.len() <= limits::HMAT_TARGETS);
        assert!(p.host_bridges.len() <= limits::HOST_BRIDGES);
        assert!(p.windows.len() <= limits::WINDOWS);
        assert!(p
            .windows
            .iter()
            .all(|w| w.targets.len() <= limits::WINDOW_TARGETS));
        assert!(p.memdevs.len() <= limits::MEMDEVS);
        // One hmem-test line at most, inside a window.
        if let Some(r) = p.hmem_test {
            assert!(p
                .windows
                .iter()
                .any(|w| w.range.start <= r.start && r.end() <= w.range.end()));
        }
        assert!(s.events.len() <= limits::EVENTS);
        assert!(s.schedule.len() <= limits::SCHEDULE_BYTES);
    }
}
