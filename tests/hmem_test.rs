//! cxl_test's `hmem_test=1` (tools/testing/cxl, ndctl's test/cxl-dax-hmem.sh) on the designs.
//!
//! cxl_test's platform: CXL Window 0 holds a 512M auto region, and the mock range
//! (`hmem-test`) is the first half of that window, the region's range; `hmem_platform.1` walks
//! only that range and the mock `region_intersects()` calls it CXL. The script expects CXL to
//! own it when the region assembles, and HMEM (under `hmem_platform.1`) to own it with
//! `fail_autoassemble=1`, where one memdev's decoder is missing and the region never commits
//! (here: a member that never appears, `presence=never`, as docs/platform-rules.md spells a
//! missing member).
//!
//! Pinned here: CXL owns the mock range on every design when the region assembles; HMEM owns it
//! on post-merge when the region fails, whether or not real Soft Reserved gives
//! `hmem_platform.0` too; with `hmem_platform.1` alone (no real Soft Reserved), merged, v8 and
//! v7 give it to HMEM as well (their one recorded device is `hmem_platform.1`, so the work
//! walks its range), and mainline leaves it to CXL, so nobody owns it.
//!
//! With real Soft Reserved as well, the merged kernel's singleton work (e4de6b91) walks the
//! ranges of the first device that probed; f8dc1bde ("Fix singleton confusion between
//! dax_hmem_work and hmem devices") gives each device its own work. In the kernel
//! `hmem_platform.0` registers at boot and cxl_test's `hmem_platform.1` only when cxl_test is
//! loaded, so `hmem_platform.0` probes first and the mock range stays unowned on merged (the test at the
//! end), as in the model, which registers `hmem_platform.1` after the built-in devices.

use srfuzz::designs;
use srfuzz::model;
use srfuzz::scenario::{text, Scenario};
use srfuzz_oracle::{Claimant, Observation, Outcome, Owner};

/// The mock range: the first half of the 1G Window 0, the auto region's range.
const MOCK: (u64, u64) = (0x8_5000_0000, 0x8_6fff_ffff);
/// A memmap-style Soft Reserved range outside every window (`hmem_platform.0`'s).
const REAL_SR: (u64, u64) = (0x100_0000_0000, 0x100_3fff_ffff);

#[derive(Clone, Copy, Debug)]
struct Shape {
    /// Members of the auto region (cxl_test's has 2; 1 as well).
    ways: u8,
    /// The last member never appears, so the region never commits (`fail_autoassemble=1`).
    fail: bool,
    /// Real Soft Reserved outside the windows, so `hmem_platform.0` exists too.
    real_sr: bool,
}

const MODULAR: &str = "\
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_PCI=m
CONFIG_CXL_ACPI=m
CONFIG_CXL_PORT=m
CONFIG_CXL_MEM=m
CONFIG_CXL_REGION=y
CONFIG_DAX=m
CONFIG_DEV_DAX=m
CONFIG_DEV_DAX_HMEM=m
CONFIG_DEV_DAX_CXL=m
CONFIG_DEV_DAX_KMEM=m
";

const BUILT_IN: &str = "\
[kconfig]
CONFIG_CXL_BUS=y
CONFIG_CXL_PCI=y
CONFIG_CXL_ACPI=y
CONFIG_CXL_PORT=y
CONFIG_CXL_MEM=y
CONFIG_CXL_REGION=y
CONFIG_DAX=y
CONFIG_DEV_DAX=y
CONFIG_DEV_DAX_HMEM=y
CONFIG_DEV_DAX_CXL=y
CONFIG_DEV_DAX_KMEM=y
";

/// cxl_test's platform in this shape: the auto region has no Soft Reserved behind it (cxl_test
/// describes none: quirk `region-beyond-sr`).
fn scenario_text(sh: Shape, kconfig: &str) -> String {
    let mut t = String::from("[platform]\nquirk region-beyond-sr\n");
    if sh.real_sr {
        t += "soft-reserved 0x10000000000 size=1G\n";
    }
    t += "host-bridge 0\nwindow 0x850000000 size=1G targets=0\n";
    for pos in 0..sh.ways {
        let presence = if sh.fail && pos + 1 == sh.ways {
            "never"
        } else {
            "boot"
        };
        t += &format!(
            "memdev host-bridge=0 capacity=1G presence={presence} \
             decoder=0x850000000,size=512M,ways={},pos={pos}\n",
            sh.ways
        );
    }
    t += "hmem-test 0x850000000 size=512M\n";
    t += kconfig;
    t += "[events]\nsettle\n";
    t
}

fn scenario(sh: Shape, kconfig: &str) -> Scenario {
    let t = scenario_text(sh, kconfig);
    text::parse(&t).unwrap_or_else(|e| panic!("{e}\n{t}"))
}

/// Who the dax regions over `[start, end]` belong to.
fn owner(o: &Observation, (start, end): (u64, u64)) -> Owner {
    let over: Vec<_> = o
        .dax_regions
        .iter()
        .filter(|d| d.start <= end && start <= d.end)
        .collect();
    let whole = |by: Claimant| {
        over.iter().all(|d| d.by == by) && over.iter().any(|d| d.start <= start && end <= d.end)
    };
    if over.is_empty() {
        Owner::Nobody
    } else if whole(Claimant::Cxl) {
        Owner::Cxl
    } else if whole(Claimant::Hmem) {
        Owner::Hmem
    } else {
        Owner::Mixed
    }
}

/// The final observation of `design` on `s`, which must end quiescent with nothing blocked.
fn last(design: &str, s: &Scenario) -> Observation {
    let d = designs::by_name(design).unwrap_or_else(|| panic!("no design {design}"));
    let o = model::run(d, s).last().clone();
    assert_eq!(o.outcome, Outcome::Quiescent, "{design}");
    assert!(o.blocked.is_empty(), "{design}: {:?}", o.blocked);
    o
}

const ALL: [&str; 10] = [
    "mainline",
    "v3",
    "register_dax-v4",
    "register_dax-v4-fixed",
    "dax_cxl_mode-v5",
    "v6",
    "v7",
    "v8",
    "merged",
    "post-merge",
];

fn shapes(fail: bool) -> impl Iterator<Item = Shape> {
    [2, 1].into_iter().flat_map(move |ways| {
        [false, true].into_iter().map(move |real_sr| Shape {
            ways,
            fail,
            real_sr,
        })
    })
}

/// `cxl_test hmem_test=1`: the region assembles and dax_cxl takes it, on every design.
#[test]
fn an_assembled_region_leaves_the_mock_range_to_cxl_on_every_design() {
    for sh in shapes(false) {
        let s = scenario(sh, MODULAR);
        for d in ALL {
            let o = last(d, &s);
            assert_eq!(
                owner(&o, MOCK),
                Owner::Cxl,
                "{d} {sh:?}\n{}",
                o.ownership_table()
            );
            assert!(
                o.regions.iter().any(|r| r.committed && r.dax_bound),
                "{d} {sh:?}"
            );
        }
    }
    // With the CXL stack built in, cxl_test cannot be built (its config_check.c wants
    // CXL_BUS=m and CXL_ACPI=m): such a scenario is refused at the hmem-test line.
    for sh in shapes(false) {
        let t = scenario_text(sh, BUILT_IN);
        let e = text::parse(&t).unwrap_err();
        assert!(e.msg.contains("hmem-test needs CONFIG_CXL_BUS=m"), "{e}");
    }
}

/// `cxl_test hmem_test=1 fail_autoassemble=1` on post-merge: the region never commits, and
/// hmem_platform.1's own work registers the mock range with HMEM; hmem_platform.0 keeps the
/// real Soft Reserved when there is some. Modular and built in.
#[test]
fn a_failed_region_leaves_the_mock_range_to_hmem_on_post_merge() {
    for kconfig in [MODULAR] {
        for sh in shapes(true) {
            let o = last("post-merge", &scenario(sh, kconfig));
            let table = o.ownership_table();
            assert_eq!(owner(&o, MOCK), Owner::Hmem, "{sh:?}\n{table}");
            assert!(o.regions.iter().all(|r| !r.committed), "{sh:?}");
            if sh.real_sr {
                assert_eq!(owner(&o, REAL_SR), Owner::Hmem, "{sh:?}\n{table}");
            }
            assert!(o.unbound.is_empty(), "{sh:?}: {:?}", o.unbound);
        }
    }
}

/// With hmem_platform.1 alone (no real Soft Reserved), the one device merged, v8 and v7 record
/// is hmem_platform.1, so their single work walks the mock range and HMEM takes it, as on
/// post-merge. Mainline leaves any CXL-window range to CXL, and nobody owns it.
#[test]
fn a_failed_region_with_hmem_platform_1_alone() {
    for sh in shapes(true).filter(|sh| !sh.real_sr) {
        let s = scenario(sh, MODULAR);
        for d in ["v7", "v8", "merged", "post-merge"] {
            let o = last(d, &s);
            assert_eq!(
                owner(&o, MOCK),
                Owner::Hmem,
                "{d} {sh:?}\n{}",
                o.ownership_table()
            );
            assert!(o.unbound.is_empty(), "{d} {sh:?}: {:?}", o.unbound);
        }
        let o = last("mainline", &s);
        assert_eq!(
            owner(&o, MOCK),
            Owner::Nobody,
            "{sh:?}\n{}",
            o.ownership_table()
        );
    }
}

/// The kernel's order: hmem_platform.0 (real Soft Reserved, registered at boot) probes before
/// cxl_test's hmem_platform.1 (registered when cxl_test loads). merged, v8 and v7 record
/// hmem_platform.0 in their one `dax_hmem_work`; hmem_platform.1's probe queues that work,
/// which walks hmem_platform.0's ranges, never the mock range: it stays unowned, and
/// hmem_platform.0's real range is HMEM's.
#[test]
fn a_failed_region_after_hmem_platform_0_probed_first_stays_unowned_on_merged() {
    for sh in shapes(true).filter(|sh| sh.real_sr) {
        let s = scenario(sh, MODULAR);
        for d in ["v7", "v8", "merged"] {
            let o = last(d, &s);
            let table = o.ownership_table();
            assert_eq!(owner(&o, MOCK), Owner::Nobody, "{d} {sh:?}\n{table}");
            assert_eq!(owner(&o, REAL_SR), Owner::Hmem, "{d} {sh:?}\n{table}");
        }
    }
}
