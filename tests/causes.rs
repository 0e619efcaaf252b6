//! Every finding names its cause, and says whether mainline shares it: user actions are not
//! design findings, design code is, findings mainline shows too are set apart, and the posted
//! `kill_defer_work` of v4/v5 is reported as what it does.

use srfuzz::checks::{judge_all, judge_design};
use srfuzz::designs;
use srfuzz::model;
use srfuzz_oracle::{Cause, FindingKind};

mod common;
use common::{scenario, ALL_MODULAR, BOOT, ONE_X1_REGION};

/// The series' test machine, everything modular, booted: what each test then does follows.
fn booted(then: &str) -> String {
    format!("{ONE_X1_REGION}{ALL_MODULAR}[events]{BOOT}{then}")
}

/// `rmmod cxl_acpi` with the region's memory online: every design and mainline unregister the
/// region and kmem keeps the memory until reboot. The teardown is recorded with the user's
/// action as its cause, and no design is charged with it.
#[test]
fn users_rmmod_with_memory_online_is_no_design_finding() {
    let s = scenario(&booted("rmmod cxl_acpi\nsettle\n"));
    for d in designs::all() {
        let run = model::run(d, &s);
        let end = run.observations.last().unwrap();
        let t = end
            .teardowns
            .iter()
            .find(|t| t.own_online_bytes > 0)
            .unwrap_or_else(|| panic!("{}: no teardown with memory online", d.name));
        assert_eq!(t.cause, Cause::User("rmmod cxl_acpi".into()), "{}", d.name);
        let j = judge_design(&s, d);
        assert!(
            !j.findings
                .iter()
                .chain(&j.pre_existing)
                .any(|f| f.kind == FindingKind::TeardownWhileOnline),
            "{}: {:?}",
            d.name,
            j.findings
        );
    }
}

/// v5's REGISTER path tears every region down from its deferred work
/// (`cxl_region_teardown_all`): the teardown names that function and the v5 patch.
#[test]
fn design_teardown_names_the_function_and_patch() {
    // Two windows: region0 assembles in window 0 and its memory goes online; window 1's
    // region misses a member (a dead device), so its Soft Reserved range is contained by no
    // committed region and v5 goes REGISTER, tearing every region down.
    let s = scenario(
        "\
[platform]
soft-reserved 0x850000000 size=128G
soft-reserved 0x2850000000 size=128G
host-bridge 0
host-bridge 1
window 0x850000000 size=128G targets=0
window 0x2850000000 size=128G targets=1
memdev host-bridge=0 capacity=128G presence=boot decoder=0x850000000,size=128G,ways=1,pos=0
memdev host-bridge=1 capacity=64G presence=boot decoder=0x2850000000,size=128G,ways=2,pos=0
memdev host-bridge=1 capacity=64G presence=never decoder=0x2850000000,size=128G,ways=2,pos=1
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_REGION=y
CONFIG_DAX=m
CONFIG_DEV_DAX=m
CONFIG_DEV_DAX_HMEM=m
CONFIG_DEV_DAX_CXL=m
CONFIG_DEV_DAX_KMEM=m
[events]
modprobe cxl_acpi
modprobe cxl_pci
modprobe cxl_mem
modprobe dax_cxl
modprobe kmem
modprobe dax_hmem
settle
",
    );
    let v5 = designs::by_name("dax_cxl_mode-v5").unwrap();
    let run = model::run(v5, &s);
    let t = run
        .observations
        .last()
        .unwrap()
        .teardowns
        .first()
        .cloned()
        .expect("v5 tears the region down");
    match t.cause {
        Cause::Kernel { function, patch } => {
            assert_eq!(function, "cxl_region_teardown_all");
            assert_eq!(
                patch.as_deref(),
                Some("dax/hmem, cxl: Defer and resolve ownership of Soft Reserved memory ranges")
            );
        }
        c => panic!("expected kernel code, got {c}"),
    }
}

/// A problem mainline has on the same scenario is pre-existing for every design: an HMAT
/// target covering only half of a Soft Reserved range outside CXL windows (a firmware quirk,
/// so every title names it) (device.c skips the
/// overlapping Soft Reserved range as "already active", so the other half is offered to
/// nobody — kernel behaviour the series does not touch).
#[test]
fn findings_mainline_shares_are_pre_existing() {
    let s = scenario(
        "\
[platform]
soft-reserved 0x100000000 size=32G
hmat-target 0x100000000 size=16G nid=1
quirk hmat-splits-sr
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_DAX=m
CONFIG_DEV_DAX=m
CONFIG_DEV_DAX_HMEM=m
CONFIG_DEV_DAX_KMEM=m
[events]
modprobe kmem
modprobe dax_hmem
settle
",
    );
    let all = judge_all(&s);
    let (_, ml) = &all[0];
    assert!(ml.findings.is_empty(), "{:?}", ml.findings);
    assert!(
        ml.pre_existing
            .iter()
            .any(|f| f.kind == FindingKind::StrandedCapacity
                && f.title.contains("quirk hmat-splits-sr")),
        "mainline strands half the range: {:?}",
        ml.pre_existing
    );
    for (d, j) in &all[1..] {
        assert!(j.findings.is_empty(), "{}: {:?}", d.name, j.findings);
        assert!(
            j.pre_existing
                .iter()
                .any(|f| f.kind == FindingKind::StrandedCapacity),
            "{}: {:?}",
            d.name,
            j.pre_existing
        );
    }
}

/// The posted `kill_defer_work` (v4 4/9, v5 6/7) computes `container_of(_work, typeof(*work),
/// work)` on the `struct dax_defer_work *` it was registered with, so `kfree` gets a pointer
/// kmalloc never returned: `rmmod dax_hmem` is an invalid free on v3, v4 and v5, new against
/// mainline (which has no deferred work). v6 replaced it with bus.c's helpers, v7 on with a
/// static work item: no free at all.
#[test]
fn kill_defer_work_is_an_invalid_free() {
    let s = scenario(&booted("rmmod dax_hmem\nsettle\n"));
    for (d, j) in judge_all(&s) {
        let kasan: Vec<&str> = j
            .findings
            .iter()
            .filter(|f| f.kind == FindingKind::MemorySafety)
            .map(|f| f.title.as_str())
            .collect();
        match d.name {
            "mainline" | "v6" | "v7" | "v8" | "merged" | "post-merge" => {
                assert!(kasan.is_empty(), "{}: {kasan:?}", d.name)
            }
            name => assert_eq!(
                kasan,
                [format!("KASAN: invalid-free in kill_defer_work [{name}]")],
                "{name}"
            ),
        }
    }
}

/// `destroy-region N` names the N-th region by address, so the user destroys the same region
/// whichever order the kernel assembled them in (creation order depends on probe order; a
/// user names a region by what it decodes). Under every schedule tried, `destroy-region 1`
/// takes the region of window 1.
#[test]
fn destroy_region_names_a_region_by_address() {
    let base = "\
[platform]
soft-reserved 0x850000000 size=128G
soft-reserved 0x2850000000 size=128G
host-bridge 0
window 0x850000000 size=128G targets=0
window 0x2850000000 size=128G targets=0
memdev host-bridge=0 capacity=128G presence=boot decoder=0x850000000,size=128G,ways=1,pos=0
memdev host-bridge=0 capacity=128G presence=boot decoder=0x2850000000,size=128G,ways=1,pos=0
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_REGION=y
CONFIG_DAX=m
CONFIG_DEV_DAX=m
CONFIG_DEV_DAX_CXL=m
CONFIG_DEV_DAX_KMEM=m
[events]
settle
destroy-region 1
settle
";
    let mainline = designs::by_name("mainline").unwrap();
    let mut creation_orders = std::collections::BTreeSet::new();
    for seed in 0..64u32 {
        let sched: String = (0..24)
            .map(|i| format!("{:02x} ", (seed.wrapping_mul(2654435761) >> (i % 24)) & 3))
            .collect();
        let s = scenario(&format!("{base}[schedule]\n{sched}\n"));
        let run = model::run(mainline, &s);
        let end = run.observations.last().unwrap();
        let first_created = run.kernel.cxl.regions.first().map(|r| r.start);
        creation_orders.insert(first_created);
        let destroyed: Vec<u64> = end
            .regions
            .iter()
            .filter(|r| !r.alive)
            .map(|r| r.start)
            .collect();
        assert_eq!(destroyed, vec![0x2850000000], "schedule {sched}");
    }
    assert!(
        creation_orders.len() > 1,
        "the schedules tried never changed which region was created first"
    );
}

/// After the user unloads the driver that owned a range (`rmmod dax_cxl`), nobody is expected
/// to take the memory over: the spec and the stranded-capacity rule stay silent on a system
/// the user took drivers out of, for every design. (Without the rule, the spec would want
/// HMEM to own the region's Soft Reserved range, as dax_cxl is gone.)
#[test]
fn no_ownership_expectation_after_the_user_removes_a_driver() {
    let s = scenario(&booted("rmmod dax_cxl\nsettle\n"));
    for (d, j) in judge_all(&s) {
        let end = model::run(d, &s).observations.last().cloned().unwrap();
        assert_eq!(end.context.user_removed, ["dax_cxl"], "{}", d.name);
        assert!(
            !j.findings.iter().chain(&j.pre_existing).any(|f| matches!(
                f.kind,
                FindingKind::SpecDeviation | FindingKind::StrandedCapacity
            )),
            "{}: {:?}",
            d.name,
            j.findings
        );
    }
    // Loading it again restores the expectations (and the ownership).
    let s = scenario(&booted("rmmod dax_cxl\nsettle\nmodprobe dax_cxl\nsettle\n"));
    let end = model::run(designs::by_name("mainline").unwrap(), &s)
        .observations
        .last()
        .cloned()
        .unwrap();
    assert!(end.context.user_removed.is_empty());
}

/// A failed probe records who ran it: with dax_hmem blacklisted, v5's `cxl_dax_region_probe`
/// defers forever, and the observation says it was the driver's probe run by the modprobe of
/// dax_cxl; for a region the user creates, the last attempt is the deferred-probe work's
/// retry after the user's `create-region` first probed it.
#[test]
fn failed_probes_name_who_ran_them() {
    let s = scenario(
        "\
[platform]
soft-reserved 0x850000000 size=128G
host-bridge 0
window 0x850000000 size=128G targets=0
memdev host-bridge=0 capacity=128G presence=boot decoder=0x850000000,size=128G,ways=1,pos=0
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_REGION=y
CONFIG_DAX=m
CONFIG_DEV_DAX=m
CONFIG_DEV_DAX_CXL=m
CONFIG_DEV_DAX_KMEM=m
[events]
blacklist dax_hmem
settle
",
    );
    let run = model::run(designs::by_name("dax_cxl_mode-v5").unwrap(), &s);
    let end = run.observations.last().unwrap();
    let d = end
        .unbound
        .iter()
        .find(|d| d.device == "dax_region0")
        .expect("dax_region0 stays unbound");
    assert_eq!(d.error, "EPROBE_DEFER");
    assert_eq!(
        d.cause,
        Some(Cause::Kernel {
            function: "cxl_dax_region probe, run by modprobe dax_cxl".into(),
            patch: None
        })
    );
    // The same deferral of a region the user creates: its last probe is the retry the
    // deferred-probe work makes after a later bind.
    let s2 = scenario(
        "\
[platform]
host-bridge 0
window 0x850000000 size=128G targets=0
memdev host-bridge=0 capacity=128G presence=boot
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_REGION=y
CONFIG_DAX=m
CONFIG_DEV_DAX=m
CONFIG_DEV_DAX_CXL=m
CONFIG_DEV_DAX_KMEM=m
[events]
blacklist dax_hmem
modprobe dax_cxl
settle
create-region window=0 memdevs=0
settle
",
    );
    let run = model::run(designs::by_name("dax_cxl_mode-v5").unwrap(), &s2);
    let d = run
        .observations
        .last()
        .unwrap()
        .unbound
        .iter()
        .find(|d| d.device.starts_with("dax_region"))
        .cloned()
        .expect("the user region's dax_region stays unbound");
    assert_eq!(
        d.cause,
        Some(Cause::Kernel {
            function: "cxl_dax_region probe, run by kworker: deferred_probe_work".into(),
            patch: None
        })
    );
    // Runs made only to be judged do not pay for it.
    let judged = model::run_for_judging(designs::by_name("dax_cxl_mode-v5").unwrap(), &s);
    assert!(judged
        .observations
        .last()
        .unwrap()
        .unbound
        .iter()
        .all(|d| d.cause.is_none()));
}
