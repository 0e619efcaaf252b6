//! Properties of the model over generated scenarios: it never panics, and the same scenario
//! gives the same run (observations and timeline), whatever ran before it.

use srfuzz::designs;
use srfuzz::kernel::kconfig::olddefconfig;
use srfuzz::model;
use srfuzz::scenario::gen::{scenario_from_bytes, ByteStream};

#[test]
fn runs_are_deterministic_and_never_panic() {
    let mut stream = ByteStream::new(0x5eed);
    for i in 0..3000 {
        let len = 8 + i % 300;
        let s = scenario_from_bytes(&stream.bytes(len));
        for d in designs::all() {
            let a = model::run(d, &s);
            let b = model::run(d, &s);
            // Runs reuse Kconfig resolutions across designs with equal rules: never another's.
            assert_eq!(
                a.kconfig,
                olddefconfig(&s.kconfig, &d.ops().kconfig),
                "design {} input {i}",
                d.name
            );
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
