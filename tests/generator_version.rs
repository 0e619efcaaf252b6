//! The generator's version is pinned to what it generates: raw inputs are stamped with
//! `GENERATOR_VERSION`, and a stamp means something only if a change to what bytes generate
//! changes the version too. Every older version this srfuzz still decodes is pinned as well,
//! so its saved raw inputs replay to the scenarios they were found as.

use srfuzz::scenario::file::{self, ReadOptions};
use srfuzz::scenario::gen::{self, ByteStream, GENERATOR_VERSION, GENERATOR_VERSIONS};
use srfuzz::scenario::{text, Quirks};

/// FNV-1a over the text of 512 scenarios generator `version` makes (with and without quirks).
fn digest(version: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut stream = ByteStream::new(20261201);
    for i in 0..512 {
        let len = 16 + stream.below(240);
        let quirks = if i % 2 == 0 {
            Quirks::NONE
        } else {
            Quirks::all()
        };
        let s = gen::scenario_from_bytes_of(version, &stream.bytes(len), quirks);
        for b in text::print(&s).bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[test]
fn the_generator_version_names_what_it_generates() {
    // When this fails, the generator now reads bytes differently: bump GENERATOR_VERSION in
    // src/scenario/gen.rs (keeping every earlier version's draws behind its number, so raw
    // inputs saved before still replay) and add the new pair here.
    let pins: Vec<(u32, u64)> = GENERATOR_VERSIONS.iter().map(|&v| (v, digest(v))).collect();
    assert_eq!(
        pins,
        [
            (1, 4004479623494002131),
            (2, 9044829409985370673),
            (3, 12194145956381731251)
        ],
        "the generator changed: bump GENERATOR_VERSION and pin the new version"
    );
    assert_eq!(GENERATOR_VERSION, 3);
    assert_eq!(GENERATOR_VERSIONS.last(), Some(&GENERATOR_VERSION));
    // The entry points without a version are the current one.
    let mut stream = ByteStream::new(7);
    for _ in 0..200 {
        let d = stream.bytes(200);
        assert_eq!(
            gen::scenario_from_bytes(&d),
            gen::scenario_from_bytes_of(GENERATOR_VERSION, &d, Quirks::NONE)
        );
    }
}

/// Version 1 never draws cxl_test's mock range; version 2 does, now and then.
#[test]
fn only_version_2_draws_the_hmem_test_range() {
    let mut stream = ByteStream::new(99);
    let (mut v2, mut differ) = (0, 0);
    for _ in 0..2000 {
        let len = 16 + stream.below(240);
        let d = stream.bytes(len);
        let a = gen::scenario_from_bytes_of(1, &d, Quirks::NONE);
        let b = gen::scenario_from_bytes_of(2, &d, Quirks::NONE);
        assert_eq!(a.platform.hmem_test, None);
        v2 += usize::from(b.platform.hmem_test.is_some());
        differ += usize::from(a != b);
        assert_eq!(b.platform.validate(), Ok(()));
    }
    assert!(
        v2 >= 50,
        "only {v2} of 2000 version-2 scenarios have hmem-test"
    );
    assert!(
        differ > v2,
        "the extra draw moves what later bytes decode to"
    );
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("srfuzz-genver-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// A stamped raw input of an earlier version replays with that version; bare bytes with this one,
/// or with the version a campaign recorded; an unknown version is refused, saying why.
#[test]
fn stamped_versions_1_to_3_are_decoded_by_their_version_and_others_refused() {
    // Bytes that decode differently under the two versions.
    let mut stream = ByteStream::new(5);
    let data = loop {
        let d = stream.bytes(200);
        if gen::scenario_from_bytes_of(1, &d, Quirks::NONE)
            != gen::scenario_from_bytes_of(2, &d, Quirks::NONE)
        {
            break d;
        }
    };
    for v in GENERATOR_VERSIONS {
        let p = tmp(&format!("v{v}.raw"));
        std::fs::write(&p, file::stamped_raw_of(v, &data, Quirks::NONE)).unwrap();
        let l = file::load(&p, ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            l.scenario,
            gen::scenario_from_bytes_of(v, &data, Quirks::NONE),
            "version {v}"
        );
        assert!(
            matches!(l.origin, file::Origin::Raw { generator, stamped: true, .. } if generator == v)
        );
    }
    // What this srfuzz writes is stamped with the current version.
    let p = tmp("now.raw");
    std::fs::write(&p, file::stamped_raw(&data, Quirks::NONE)).unwrap();
    let head = std::fs::read(&p).unwrap();
    assert!(head.starts_with(format!("srfuzz-raw generator={GENERATOR_VERSION} ").as_bytes()));
    assert!(file::Meta::now()
        .render()
        .contains(&format!("generator {GENERATOR_VERSION}\n")));
    // Bare bytes: the current version, or the campaign's.
    let bare = tmp("bare");
    std::fs::write(&bare, &data).unwrap();
    let l = file::load(
        &bare,
        ReadOptions {
            force_raw: true,
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(l.scenario, gen::scenario_from_bytes(&data));
    let l = file::load(
        &bare,
        ReadOptions {
            force_raw: true,
            bare_generator: Some(1),
            ..ReadOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        l.scenario,
        gen::scenario_from_bytes_of(1, &data, Quirks::NONE)
    );
    // Another version is refused at line 1, naming the versions this srfuzz decodes.
    let p = tmp("v9.raw");
    std::fs::write(&p, file::stamped_raw_of(9, &data, Quirks::NONE)).unwrap();
    let e = file::load(&p, ReadOptions::default()).unwrap_err();
    assert_eq!(e.line, Some(1), "{e}");
    assert!(e.msg.contains("raw input from generator version 9"), "{e}");
    assert!(
        e.msg.contains("decodes generator versions 1, 2 and 3 only"),
        "{e}"
    );
    assert!(e.msg.contains("Replay the scenario text"), "{e}");
    let e = file::load(
        &bare,
        ReadOptions {
            force_raw: true,
            bare_generator: Some(0),
            ..ReadOptions::default()
        },
    )
    .unwrap_err();
    assert!(e.msg.contains("generator version 0"), "{e}");
}

/// Every raw input kept in reports/ (stamped version 1) replays to its report's finding with
/// the version it was stamped with.
#[test]
fn report_raw_inputs_keep_their_version() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("reports");
    let mut n = 0;
    for p in file::inputs(&[dir]).unwrap() {
        if p.file_name().is_some_and(|f| f == "input.raw") {
            let bytes = std::fs::read(&p).unwrap();
            let line = bytes.split(|&b| b == b'\n').next().unwrap();
            assert!(
                line.starts_with(b"srfuzz-raw generator=1 "),
                "{}",
                p.display()
            );
            let l = file::load(&p, ReadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
            let file::Origin::Raw {
                data,
                quirks,
                generator,
                ..
            } = &l.origin
            else {
                panic!("{}: not raw", p.display())
            };
            assert_eq!(*generator, 1);
            assert_eq!(l.scenario, gen::scenario_from_bytes_of(1, data, *quirks));
            n += 1;
        }
    }
    assert!(n > 0, "reports/ keeps raw inputs");
}
