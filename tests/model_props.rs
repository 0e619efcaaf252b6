//! Properties of the model over generated scenarios: it never panics, and the same scenario
//! gives the same run (observations and timeline), whatever ran before it.

use srfuzz::designs;
use srfuzz::model;
use srfuzz::scenario::gen::scenario_from_bytes;

/// xorshift64*: a fixed byte stream, so the test is the same everywhere.
fn bytes(state: &mut u64, n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| {
            *state ^= *state >> 12;
            *state ^= *state << 25;
            *state ^= *state >> 27;
            (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u8
        })
        .collect()
}

#[test]
fn runs_are_deterministic_and_never_panic() {
    let mut state = 0x5eed_u64;
    for i in 0..3000 {
        let len = 8 + i % 300;
        let s = scenario_from_bytes(&bytes(&mut state, len));
        for d in designs::all() {
            let a = model::run(d, &s);
            let b = model::run(d, &s);
            assert_eq!(
                a.observations, b.observations,
                "design {} input {i}",
                d.name
            );
            assert_eq!(
                srfuzz::observe::timeline(&a.kernel),
                srfuzz::observe::timeline(&b.kernel),
                "design {} input {i}",
                d.name
            );
        }
    }
}
