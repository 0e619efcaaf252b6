use srfuzz::designs;
use srfuzz::kernel::kconfig::{KconfigRequest, Sym, Tristate};
use srfuzz::kernel::module::Module;
use srfuzz::scenario::*;

#[test]
fn cxl_region_disabled() {
    let w = Range { start: 0x850000000, size: 0x2000000000 };
    let mut kc = KconfigRequest::new();
    for (s, v) in [
        (Sym::CXL_BUS, Tristate::M), (Sym::CXL_ACPI, Tristate::M), (Sym::CXL_PCI, Tristate::M),
        (Sym::CXL_MEM, Tristate::M), (Sym::CXL_REGION, Tristate::N), (Sym::DAX, Tristate::Y),
        (Sym::DEV_DAX, Tristate::Y), (Sym::DEV_DAX_HMEM, Tristate::Y), (Sym::DEV_DAX_KMEM, Tristate::Y),
    ] { kc.set(s, Some(v)); }
    let s = Scenario {
        platform: Platform {
            soft_reserved: vec![w],
            hmat_targets: vec![],
            host_bridges: vec![0],
            windows: vec![Window { range: w, targets: vec![0] }],
            memdevs: vec![Memdev { host_bridge: 0, capacity: w.size, decoder: Some(CommittedDecoder { hpa: w, ways: 1, position: 0 }), presence: Presence::Boot }],
            extra_hmem_platforms: 0,
        },
        kconfig: kc,
        events: vec![Event::Modprobe(Module::CxlAcpi), Event::Modprobe(Module::CxlPci), Event::Modprobe(Module::CxlMem), Event::Settle],
        schedule: vec![],
    };
    let run = srfuzz::model::run(designs::by_name("mainline").unwrap(), &s);
    for o in &run.observations { println!("{}\n{}{}", o.point, o.iomem, o.ownership_table()); }
    println!("{}", run.kconfig.render());
    for (t, e) in &run.kernel.timeline { println!("{t:?} {e:?}"); }
    panic!();
}
