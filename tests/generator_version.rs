//! The generator's version is pinned to what it generates: raw inputs are stamped with
//! `GENERATOR_VERSION`, and a stamp means something only if a change to what bytes generate
//! changes the version too.

use srfuzz::scenario::gen::{self, ByteStream, GENERATOR_VERSION};
use srfuzz::scenario::{text, Quirks};

/// FNV-1a over the text of 512 generated scenarios (with and without quirks).
fn digest() -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut stream = ByteStream::new(20261201);
    for i in 0..512 {
        let len = 16 + stream.below(240);
        let quirks = if i % 2 == 0 {
            Quirks::NONE
        } else {
            Quirks::all()
        };
        let s = gen::scenario_from_bytes_with(&stream.bytes(len), quirks);
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
    // src/scenario/gen.rs and put the new pair here. Raw inputs saved before are then refused
    // with a message that says so; their scenario text still replays.
    assert_eq!(
        (GENERATOR_VERSION, digest()),
        (1, 4004479623494002131),
        "the generator changed: bump GENERATOR_VERSION and update this pin"
    );
}
