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

/// The driver core's indexes agree with its tables after every run: the per-bus name index
/// holds exactly the registered devices, the registered-driver list exactly the registered
/// drivers in registration order; no two registered devices share a name on a bus.
#[test]
fn driver_core_indexes_match_the_tables() {
    let mut stream = ByteStream::new(0x1dec5);
    for i in 0..1500 {
        let len = 8 + i % 300;
        let s = scenario_from_bytes(&stream.bytes(len));
        for d in designs::all() {
            let k = model::run_for_judging(d, &s).kernel;
            let registered: Vec<_> = (0..k.dc.devices.len() as u32)
                .map(srfuzz::kernel::driver_core::DevId)
                .filter(|&id| k.dev(id).registered)
                .collect();
            assert_eq!(
                k.dc.registered_devices(),
                registered,
                "design {} input {i}",
                d.name
            );
            for (&(bus, name), &id) in &k.dc.bus_names {
                assert_eq!((k.dev(id).bus, k.dev(id).name), (bus, name));
            }
            let drivers: Vec<_> = (0..k.dc.drivers.len() as u32)
                .map(srfuzz::kernel::driver_core::DrvId)
                .filter(|id| k.dc.drivers[id.0 as usize].registered)
                .collect();
            assert_eq!(
                k.dc.registered_drivers, drivers,
                "design {} input {i}",
                d.name
            );
        }
    }
}
