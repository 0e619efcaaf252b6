//! Litmus tests for v5's base (the cxl tree's for-7.0/cxl-init, `src/designs/cxl_init.rs`):
//! each follows one line of 1f1cb7f0 "cxl/mem: Arrange for always-synchronous memdev attach" or
//! ae201a00 "cxl/port: Arrange for always synchronous endpoint attach", quoted in its doc
//! comment, and fails on v5 without those two patches.

use srfuzz::checks::Target;
use srfuzz::designs::{self, Design};
use srfuzz::kernel::driver_core::{DevKind, DrvKind};
use srfuzz::kernel::kconfig::{Sym, Tristate};
use srfuzz::kernel::log::LogEvent;
use srfuzz::kernel::module::{ModState, Module};
use srfuzz::model::{self, Run};
use srfuzz::scenario::file::{self, ReadOptions};

mod common;
use common::{scenario, ALL_MODULAR, ONE_X1_REGION};

fn v5() -> &'static Design {
    designs::by_name("dax_cxl_mode-v5").unwrap()
}

/// v5 with the two base patches (the first two of its stack) left out: what the model ran
/// before they were modeled.
fn v5_without_base() -> &'static Design {
    let d = v5();
    assert_eq!(d.patches[0].label, "1f1cb7f0 (v5's base)");
    assert_eq!(d.patches[1].label, "ae201a00 (v5's base)");
    d.with_patches(!0b11)
}

fn run(d: &'static Design, src: &str) -> Run {
    model::run(d, &scenario(src))
}

/// 1f1cb7f0: `devm_cxl_add_memdev()` moves to drivers/cxl/mem.c
/// (`EXPORT_SYMBOL_NS_GPL(devm_cxl_add_memdev, "CXL")`), and ae201a00 moves
/// `devm_cxl_add_endpoint()` to drivers/cxl/port.c (`EXPORT_SYMBOL_FOR_MODULES(
/// devm_cxl_add_endpoint, "cxl_mem")`): "a hard link-time dependency is reliable". So
/// `modprobe cxl_pci` loads cxl_port and cxl_mem first, even when udev would never load them
/// (blacklisted: a blacklist only stops alias matches).
#[test]
fn modprobe_cxl_pci_loads_cxl_mem_and_cxl_port() {
    let src = format!(
        "{ONE_X1_REGION}{ALL_MODULAR}[events]
blacklist cxl_mem
blacklist cxl_port
blacklist dax_hmem
modprobe cxl_pci
settle
"
    );
    let with = run(v5(), &src);
    assert_eq!(with.kernel.modules[Module::CxlMem.idx()], ModState::Live);
    assert_eq!(with.kernel.modules[Module::CxlPort.idx()], ModState::Live);
    let live: Vec<Module> = with
        .kernel
        .timeline
        .iter()
        .filter_map(|(_, e)| match e {
            LogEvent::ModuleLive(m) => Some(*m),
            _ => None,
        })
        .collect();
    let at = |m: Module| live.iter().position(|&x| x == m).unwrap();
    assert!(at(Module::CxlPort) < at(Module::CxlMem), "{live:?}");
    assert!(at(Module::CxlMem) < at(Module::CxlPci), "{live:?}");

    let without = run(v5_without_base(), &src);
    assert_eq!(
        without.kernel.modules[Module::CxlMem.idx()],
        ModState::Unloaded
    );
}

/// 1f1cb7f0: "arrange for cxl_mem_probe() to always run synchronous with the device_add() of
/// cxl_memdev instances" and ae201a00: "upon return from devm_cxl_add_endpoint() […]
/// cxl_mem_probe() can assume that the endpoint has had a chance to complete
/// cxl_port_probe()". So by the time cxl_pci's (async) probe returns, the task that ran it
/// has bound mem0 to cxl_mem and endpoint0 to cxl_port, and the endpoint's probe has
/// assembled firmware's region — no other task ran any of it.
#[test]
fn cxl_pci_probe_returns_with_endpoint_and_auto_region() {
    let src = format!("{ONE_X1_REGION}{ALL_MODULAR}[events]\nsettle\n");
    let check = |d: &'static Design| -> Result<(), String> {
        let r = run(d, &src);
        let k = &r.kernel;
        let tl = &k.timeline;
        let (i, t) = tl
            .iter()
            .enumerate()
            .find_map(|(i, (t, e))| match e {
                LogEvent::Bound(_, DrvKind::CxlPci) => Some((i, *t)),
                _ => None,
            })
            .ok_or("cxl_pci never bound")?;
        let in_probe =
            |f: &dyn Fn(&LogEvent) -> bool| tl[..i].iter().any(|(tt, e)| *tt == t && f(e));
        let kind = |d| k.dev(d).kind;
        if !in_probe(
            &|e| matches!(e, LogEvent::Bound(d, DrvKind::CxlMem) if matches!(kind(*d), DevKind::CxlMemdev(0))),
        ) {
            return Err("mem0 not bound within cxl_pci's probe".into());
        }
        if !in_probe(
            &|e| matches!(e, LogEvent::Bound(d, DrvKind::CxlPort) if matches!(kind(*d), DevKind::CxlEndpoint(0))),
        ) {
            return Err("endpoint0 not bound within cxl_pci's probe".into());
        }
        if !in_probe(
            &|e| matches!(e, LogEvent::DeviceAdd(d) if matches!(kind(*d), DevKind::CxlRegion(_))),
        ) {
            return Err("no region added within cxl_pci's probe".into());
        }
        let region = k.cxl.regions.first().ok_or("no region")?;
        if !region.auto {
            return Err("the region is not auto-assembled".into());
        }
        Ok(())
    };
    check(v5()).unwrap();
    assert!(check(v5_without_base()).is_err());
}

/// 1f1cb7f0's Kconfig hunk: `config CXL_PCI … +select CXL_MEM` and `config CXL_MEM …
/// -depends on CXL_PCI`: a built-in cxl_pci gets a built-in cxl_mem, and cxl_mem can be
/// built without cxl_pci.
#[test]
fn cxl_pci_selects_cxl_mem() {
    let src = "[kconfig]
CONFIG_CXL_BUS=y
CONFIG_CXL_PCI=y
CONFIG_CXL_MEM=m
";
    let with = run(v5(), src);
    assert_eq!(with.kernel.cfg.get(Sym::CXL_MEM), Tristate::Y);
    let without = run(v5_without_base(), src);
    assert_eq!(without.kernel.cfg.get(Sym::CXL_MEM), Tristate::M);

    let alone = "[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_PCI=n
CONFIG_CXL_MEM=m
";
    assert_eq!(run(v5(), alone).kernel.cfg.get(Sym::CXL_MEM), Tristate::M);
    assert_eq!(
        run(v5_without_base(), alone).kernel.cfg.get(Sym::CXL_MEM),
        Tristate::N
    );
}

/// A repro reports/ held until v5's base was modeled, kept as a fixture (stamped with its
/// finding).
fn repro(dir: &str) -> (Target, file::Loaded) {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/v5-base")
        .join(format!("{dir}.scn"));
    let l = file::load(&p, ReadOptions::default()).unwrap();
    (Target::from_stamp(&l.meta()).unwrap(), l)
}

/// v5-order-dependence-region-differs (once in reports/): HMEM's deferred work decided before udev loaded
/// cxl_mem, which cannot happen on v5's base (`process_defer_work` runs after
/// `request_module("cxl_pci")`, which now returns with the region assembled).
#[test]
fn v5_order_region_differs_is_gone() {
    let (t, l) = repro("v5-order-dependence-region-differs");
    assert!(!t.shows(&l.scenario), "{}", t.title);
    assert!(
        t.shows_with(&l.scenario, &[v5_without_base()]),
        "{}",
        t.title
    );
}

/// The two other v5 order-dependence reports have the same cause.
#[test]
fn other_v5_order_reports_are_gone() {
    for dir in [
        "v5-order-dependence-region-differs-2",
        "v5-order-dependence-online-differs-soft",
    ] {
        let (t, l) = repro(dir);
        assert!(!t.shows(&l.scenario), "{dir}: {}", t.title);
    }
}
