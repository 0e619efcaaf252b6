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

/// The driver core's indexes agree with its tables: the per-bus name lists (once built) hold
/// exactly the registered devices, sorted by name, the registered lists exactly the
/// registered devices and drivers in creation order.
fn check_indexes(k: &srfuzz::kernel::Kernel, what: &str) {
    use srfuzz::kernel::driver_core::{DevId, DrvId};
    let registered: Vec<_> = (0..k.dc.devices.len() as u32)
        .map(DevId)
        .filter(|&id| k.dev(id).registered)
        .collect();
    assert_eq!(k.dc.registered_devices(), registered, "{what}");
    if let Some(lists) = k.dc.bus_names.as_deref() {
        let mut named = 0;
        for (bus, names) in lists.iter().enumerate() {
            assert!(
                names.windows(2).all(|w| w[0].0 < w[1].0),
                "{what}: sorted, unique"
            );
            for &(name, id) in names {
                assert_eq!(k.dev(id).bus as usize, bus, "{what}");
                assert_eq!(k.dev(id).name, name, "{what}");
                assert!(k.dev(id).registered, "{what}");
            }
            named += names.len();
        }
        assert_eq!(named, registered.len(), "{what}");
    }
    let drivers: Vec<_> = (0..k.dc.drivers.len() as u32)
        .map(DrvId)
        .filter(|id| k.dc.drivers[id.0 as usize].registered)
        .collect();
    assert_eq!(*k.dc.registered_drivers, drivers, "{what}");
}

#[test]
fn driver_core_indexes_match_the_tables() {
    let mut stream = ByteStream::new(0x1dec5);
    for i in 0..1500 {
        let len = 8 + i % 300;
        let s = scenario_from_bytes(&stream.bytes(len));
        for d in designs::all() {
            let k = model::run_for_judging(d, &s).kernel;
            check_indexes(&k, &format!("design {} input {i}", d.name));
        }
    }
}

/// The same on a platform with hundreds of devices (past the size at which `device_add` keeps
/// per-bus name lists), loaded and unloaded many times; and such runs are deterministic.
#[test]
fn driver_core_indexes_match_the_tables_on_large_platforms() {
    use srfuzz::kernel::module::Module;
    use srfuzz::scenario::{text, Event};
    let mut t = String::from("[platform]\n");
    for i in 0..48u64 {
        t += &format!("soft-reserved {:#x} size=1G\n", (4 + 2 * i) << 30);
    }
    // And cxl_test's second hmem_platform device, over a mock range in a window of its own.
    t += "host-bridge 0\nwindow 0x4000000000 size=1G targets=0\n\
          hmem-test 0x4000000000 size=512M\n";
    t += "[kconfig]\nCONFIG_CXL_BUS=m\nCONFIG_DAX=m\nCONFIG_DEV_DAX=m\n\
          CONFIG_DEV_DAX_HMEM=m\nCONFIG_DEV_DAX_KMEM=m\n[events]\nsettle\n";
    let mut s = text::parse(&t).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..40 {
        s.events.push(Event::Rmmod(Module::DaxHmem));
        if i % 3 == 0 {
            s.events.push(Event::Rmmod(Module::Kmem));
        }
        s.events.push(Event::Modprobe(Module::DaxHmem));
        s.events.push(Event::Modprobe(Module::Kmem));
        s.events.push(Event::Settle);
    }
    let mut built = 0;
    for d in designs::all() {
        let a = model::run(d, &s);
        built += usize::from(a.kernel.dc.bus_names.is_some());
        check_indexes(&a.kernel, d.name);
        let b = model::run(d, &s);
        assert_eq!(a.observations, b.observations, "{}", d.name);
    }
    assert!(
        built >= 1,
        "no design registered enough devices to build the name lists"
    );
}
