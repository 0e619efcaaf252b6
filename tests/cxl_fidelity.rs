//! Litmus tests for the CXL side of the model (src/drivers/cxl/, the memregion ida): each test
//! follows one kernel or cxl-tool line, quoted in its doc comment, and fails if the model
//! does something else.

use srfuzz::designs;
use srfuzz::drivers::cxl::region::{cxl_add_to_region, devm_cxl_add_dax_region};
use srfuzz::drivers::cxl::CxlConfigState;
use srfuzz::kernel::errno::Errno;
use srfuzz::kernel::log::LogEvent;
use srfuzz::model::{self, Run};
use srfuzz::scenario::text;

mod common;
use common::{ALL_MODULAR, BOOT, ONE_X1_REGION};

fn run_text(design: &str, src: &str) -> Run {
    let s = text::parse(src).unwrap_or_else(|e| panic!("{e}\n{src}"));
    model::run(designs::by_name(design).unwrap(), &s)
}

/// A platform that breaks a rule of docs/platform-rules.md (a firmware bug the kernel has code
/// for): run for the model's fidelity only, never a source of findings.
fn run_firmware_bug(design: &str, src: &str) -> Run {
    let s = text::parse_unvalidated(src).unwrap_or_else(|e| panic!("{e}\n{src}"));
    assert!(
        s.platform.validate().is_err(),
        "the platform is valid:\n{src}"
    );
    model::run(designs::by_name(design).unwrap(), &s)
}

fn run_file(design: &str, path: &str) -> Run {
    run_text(design, &std::fs::read_to_string(path).unwrap())
}

fn user_errors(run: &Run, what: &str) -> Vec<Errno> {
    run.kernel
        .timeline
        .iter()
        .filter_map(|(_, e)| match e {
            LogEvent::UserError(w, e) if *w == what => Some(*e),
            _ => None,
        })
        .collect()
}

/// /proc/iomem lines from the first "CXL Window" on.
fn window_excerpt(iomem: &str) -> String {
    let start = iomem
        .find("850000000-284fffffff : CXL Window 0")
        .unwrap_or(0);
    iomem[start..].to_string()
}

// ---------------------------------------------------------------------------------------------
// 1. cxl destroy-region

/// ndctl cxl/region.c `destroy_region()`: `/* Reset the region decode in preparation for
/// removal */ rc = cxl_region_decode_reset(region);` — `commit` = 0, whose `commit_store()`
/// resets the decoders whatever `CXL_REGION_F_AUTO` says (v5 3/7 only skips the reset in
/// `__cxl_decoder_detach`). So v5 can re-create the auto-assembled region it destroyed (the
/// v5 cover letter: "Hotplug works").
#[test]
fn destroy_region_resets_decode_of_auto_region_on_v5() {
    let run = run_file("dax_cxl_mode-v5", "corpus/mainline-hotplug-blocked.scn");
    assert_eq!(user_errors(&run, "create-region"), vec![]);
    assert_eq!(user_errors(&run, "destroy-region"), vec![]);
    let o = run.last();
    assert_eq!(o.regions.len(), 2);
    assert!(!o.regions[0].alive && o.regions[0].user_destroyed);
    assert!(o.regions[1].alive && o.regions[1].committed && o.regions[1].dax_bound);
    assert!(run.kernel.cxl.memdevs[0].decoder_committed);
}

/// ndctl cxl/region.c `disable_region()` (run by `destroy_region()` under `-f` for an enabled
/// region): `daxctl_dev_foreach(dax_region, dev) { … if (daxctl_memory_is_online(mem)) { rc =
/// daxctl_memory_offline(mem); …` — the tool offlines the region's own dax memory itself, so
/// a destroy without a prior `daxctl offline-memory` succeeds and the memory is removed.
#[test]
fn destroy_region_offlines_the_regions_own_memory() {
    let src = format!("{ONE_X1_REGION}{ALL_MODULAR}[events]{BOOT}destroy-region 0\nsettle\n");
    let run = run_text("mainline", &src);
    assert_eq!(user_errors(&run, "destroy-region"), vec![]);
    let o = run.last();
    assert!(!o.regions[0].alive);
    assert_eq!(o.online, vec![]);
    assert!(!o.iomem.contains("System RAM (kmem)"), "{}", o.iomem);
    // Unregistered by the user's destroy, with nothing of its own online any more.
    assert!(
        o.teardowns
            .iter()
            .all(|t| t.own_online_bytes == 0 && t.cause.is_user()),
        "{:?}",
        o.teardowns
    );
}

/// ndctl cxl/region.c `disable_region()`: `dax_region = cxl_region_get_daxctl_region(region);`
/// — only the region's own dax devices are looked at. Memory HMEM onlined over the same range
/// (built-in dax_hmem first, the region assembled later and left without DAX by
/// `cxl_region_probe`'s System RAM check) neither blocks the destroy nor is offlined; the
/// decode reset under it is recorded as a teardown while online.
#[test]
fn destroy_region_does_not_look_at_hmem_memory() {
    let mut src = std::fs::read_to_string("corpus/mainline-hmem-builtin-race.scn").unwrap();
    src.push_str("destroy-region 0\nsettle\n");
    let run = run_text("mainline", &src);
    let before = &run.observations[0];
    assert!(before.regions[0].alive && before.online.len() == 1);
    assert_eq!(user_errors(&run, "destroy-region"), vec![]);
    let o = run.last();
    assert!(!o.regions[0].alive && o.regions[0].user_destroyed);
    assert_eq!(o.online, before.online, "HMEM's memory stays online");
    assert_eq!(o.teardowns.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// 2. memregion ids

/// The published v4/v5 hotplug output after offline, destroy, re-create (cover letters [1]:
/// v4 <https://lore.kernel.org/all/20251120031925.87762-1-Smita.KoralahalliChannabasappa@amd.com/>,
/// v5 <https://lore.kernel.org/all/20260122045543.218194-1-Smita.KoralahalliChannabasappa@amd.com/>),
/// byte for byte. The name region0 comes from `cxl_region_release()`: `if (cxlr->id < id) if
/// (atomic_try_cmpxchg(&cxlrd->region_id, &id, cxlr->id)) { memregion_free(id); goto out; }`.
#[test]
fn golden_series_hotplug_recreate() {
    for design in ["register_dax-v4", "dax_cxl_mode-v5"] {
        let run = run_file(design, "corpus/series-hotplug-recreate.scn");
        assert_eq!(user_errors(&run, "create-region"), vec![], "{design}");
        assert_eq!(
            window_excerpt(&run.last().iomem),
            "850000000-284fffffff : CXL Window 0\n\
             \x20 850000000-284fffffff : region0\n\
             \x20   850000000-284fffffff : dax0.0\n\
             \x20     850000000-284fffffff : System RAM (kmem)\n",
            "{design}"
        );
    }
}

/// `cxl_region_release()`: the freed id goes back to the root decoder only when it is below
/// the cached one; otherwise `memregion_free(cxlr->id)`. Two user regions region0 and region1
/// (cached id 2): destroying region0 caches 0 and frees 2; destroying region1 (1 > 0) frees
/// 1; the next two regions are region0 and region1 again.
#[test]
fn region_release_keeps_the_lowest_id_cached() {
    let src = "
[platform]
host-bridge 0
window 0x850000000 size=128G targets=0
memdev host-bridge=0 capacity=16G presence=boot
memdev host-bridge=0 capacity=16G presence=boot
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_REGION=y
[events]
modprobe cxl_acpi
modprobe cxl_pci
modprobe cxl_mem
settle
create-region window=0 memdevs=0
create-region window=0 memdevs=1
destroy-region 0
destroy-region 1
create-region window=0 memdevs=1
create-region window=0 memdevs=0
settle
";
    let run = run_text("mainline", src);
    assert_eq!(user_errors(&run, "create-region"), vec![]);
    let names: Vec<&str> = run.last().regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["region0", "region1", "region0", "region1"]);
}

/// `cxl_root_decoder_release()`: `if (atomic_read(&cxlrd->region_id) >= 0)
/// memregion_free(atomic_read(&cxlrd->region_id));` — unloading cxl_acpi frees the id the
/// root decoder cached, so after a reload the next region is region0 again.
#[test]
fn root_decoder_release_frees_its_cached_id() {
    let src = "
[platform]
host-bridge 0
window 0x850000000 size=128G targets=0
memdev host-bridge=0 capacity=16G presence=boot
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_REGION=y
[events]
modprobe cxl_acpi
modprobe cxl_pci
modprobe cxl_mem
settle
create-region window=0 memdevs=0
rmmod cxl_acpi
modprobe cxl_acpi
settle
create-region window=0 memdevs=0
settle
";
    let run = run_text("mainline", src);
    assert_eq!(user_errors(&run, "create-region"), vec![]);
    assert_eq!(user_errors(&run, "rmmod"), vec![]);
    let names: Vec<&str> = run.last().regions.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["region0", "region0"]);
}

/// The id a torn-down region hands back is the root decoder's from then on, so an hmem device
/// registered after the teardown gets the next free memregion id: v5 on a failed assembly
/// (region0 torn down by `cxl_region_teardown_all()`, then HMEM re-walks its ranges) makes
/// "hmem.1" and "dax1.0", not "hmem.0" (`cxl_region_release()` frees the cached id 1 and keeps
/// 0; `hmem_register_device()`'s `memregion_alloc()` then returns 1).
#[test]
fn hmem_after_region_teardown_gets_the_next_free_id() {
    let run = run_file("dax_cxl_mode-v5", "corpus/mainline-assembly-failure.scn");
    let k = &run.kernel;
    assert_eq!(k.hmem.devs.len(), 1);
    assert_eq!(k.hmem.devs[0].id, 1);
    assert!(
        run.last().iomem.contains(" : dax1.0\n"),
        "{}",
        run.last().iomem
    );
}

// ---------------------------------------------------------------------------------------------
// 3. cxl_dax_region_alloc

/// drivers/cxl/core/region.c `cxl_dax_region_alloc()`: `if (p->state != CXL_CONFIG_COMMIT) {
/// cxlr_dax = ERR_PTR(-ENXIO); goto out; }`.
#[test]
fn dax_region_alloc_refuses_uncommitted_region() {
    let mut run = run_file("mainline", "corpus/mainline-assembly-failure.scn");
    let k = &mut run.kernel;
    assert_eq!(k.cxl.regions[0].state, CxlConfigState::InterleaveActive);
    assert_eq!(devm_cxl_add_dax_region(k, 0), Err(Errno::ENXIO));
    assert!(k.cxl.regions[0].cxlr_dax.is_none());
}

/// The same check seen from v4 7/9: `cxl_register_dax()` runs for a region that
/// `cxl_regions_fully_map()` accepted without looking at its commit state; the kernel gives it
/// no dax_region (`cxl_dax_region_alloc` → -ENXIO), so nothing is onlined over the
/// uncommitted range.
#[test]
fn v4_register_dax_gets_no_dax_for_uncommitted_region() {
    let run = run_file("register_dax-v4", "corpus/mainline-assembly-failure.scn");
    let o = run.last();
    assert!(!o.regions[0].committed);
    assert!(!o.regions[0].dax_bound);
    assert!(o
        .dax_regions
        .iter()
        .all(|d| d.by != srfuzz_oracle::Claimant::Cxl));
}

// ---------------------------------------------------------------------------------------------
// 4. F3: endpoint decoder unregister

/// drivers/cxl/core/port.c `cxld_unregister()`: `CLASS(cxl_decoder_detach, cxlr)(NULL,
/// to_cxl_endpoint_decoder(dev), -1, DETACH_INVALIDATE);` — on `rmmod cxl_pci` the region's
/// decoders are reset (`p->state > CXL_CONFIG_ACTIVE` → `cxl_region_decode_reset`), its state
/// drops, and `device_release_driver()` of the region unregisters dax_region0. kmem cannot
/// remove the online memory, so it stays System RAM over reset decoders: a teardown while
/// online.
#[test]
fn endpoint_removal_detaches_region() {
    let src = format!("{ONE_X1_REGION}{ALL_MODULAR}[events]{BOOT}rmmod cxl_pci\nsettle\n");
    let run = run_text("mainline", &src);
    let before = &run.observations[0];
    assert!(before.regions[0].committed && before.regions[0].dax_bound);
    let o = &run.observations[1];
    let r = &o.regions[0];
    assert!(r.alive && !r.committed && !r.dax_bound, "{r:?}");
    assert_eq!(o.teardowns.len(), 1);
    assert_eq!(o.teardowns[0].own_online_bytes, 128 << 30);
    // The user's rmmod did it: no design (nor mainline) is charged with it.
    assert_eq!(
        o.teardowns[0].cause,
        srfuzz_oracle::Cause::User("rmmod cxl_pci".into())
    );
    assert!(!run.kernel.cxl.memdevs[0].decoder_committed);
    assert_eq!(
        run.kernel.cxl.regions[0].state,
        CxlConfigState::InterleaveActive
    );
    let rdev = run.kernel.cxl.regions[0].dev;
    assert!(run.kernel.dev(rdev).driver.is_none());
}

/// v5 3/7 keeps the decoders of an auto region on detach (`if (!test_bit(CXL_REGION_F_AUTO,
/// &cxlr->flags)) cxl_region_decode_reset(…)`), also on the `cxld_unregister` path: after
/// `rmmod cxl_pci` and `modprobe cxl_pci` the region re-assembles from the still-committed
/// decoder and is committed and bound again.
#[test]
fn v5_endpoint_removal_keeps_auto_decoders() {
    let src = format!(
        "{ONE_X1_REGION}{ALL_MODULAR}[events]{BOOT}rmmod cxl_pci\nsettle\nmodprobe cxl_pci\nsettle\n"
    );
    let run = run_text("dax_cxl_mode-v5", &src);
    let o = &run.observations[1];
    assert!(!o.regions[0].committed && !o.regions[0].dax_bound);
    assert!(run.kernel.cxl.memdevs[0].decoder_committed);
    let o = run.last();
    assert_eq!(o.regions.len(), 1);
    assert!(o.regions[0].committed, "{:?}", o.regions[0]);
}

// ---------------------------------------------------------------------------------------------
// 6. F9, F10

/// drivers/cxl/core/region.c `cxl_add_to_region()`: `attach_target(cxlr, cxled, -1,
/// TASK_UNINTERRUPTIBLE);` is not checked; `attach = p->state == CXL_CONFIG_COMMIT; … if
/// (attach) { … device_attach(&cxlr->dev) …`. A second decoder claiming an occupied position
/// of a committed region whose driver was released still re-binds it.
#[test]
fn add_to_region_attaches_committed_region_even_if_attach_fails() {
    let src = "
[platform]
soft-reserved 0x850000000 size=128G
host-bridge 0
window 0x850000000 size=128G targets=0
memdev host-bridge=0 capacity=128G presence=boot decoder=0x850000000,size=128G,ways=1,pos=0
memdev host-bridge=0 capacity=128G presence=boot decoder=0x850000000,size=128G,ways=1,pos=0
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_REGION=y
[events]
modprobe cxl_acpi
modprobe cxl_pci
modprobe cxl_mem
settle
";
    let mut run = run_firmware_bug("mainline", src);
    let k = &mut run.kernel;
    assert_eq!(k.cxl.regions.len(), 1);
    assert_eq!(k.cxl.regions[0].state, CxlConfigState::Commit);
    let rdev = k.cxl.regions[0].dev;
    k.device_release_driver(rdev);
    assert_eq!(cxl_add_to_region(k, 1), Ok(()));
    assert!(k.dev(rdev).driver.is_some());
}

/// drivers/base/dd.c `really_probe()`: `if (!list_empty(&dev->devres_head)) {
/// dev_crit(dev, "Resources present before probing\n"); ret = -EBUSY; goto done; }`.
#[test]
fn really_probe_refuses_device_with_devres() {
    fn nop(_k: &mut srfuzz::kernel::Kernel, _arg: u64) {}
    let mut run = run_file("mainline", "corpus/mainline-assembly-failure.scn");
    let k = &mut run.kernel;
    let rdev = k.cxl.regions[0].dev;
    assert!(k.dev(rdev).driver.is_none());
    k.devm_add_action(rdev, "test_action", nop, 0);
    k.cxl.regions[0].state = CxlConfigState::Commit;
    assert!(!k.device_attach(rdev));
    assert_eq!(k.dev(rdev).probe_err, Some(Errno::EBUSY));
    assert_eq!(
        k.dev(rdev).devres.len(),
        1,
        "really_probe leaves them alone"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. F7, F8: publishing the windows

/// drivers/cxl/acpi.c `add_cxl_resources()`: after `insert_resource_expand_to_fit(&iomem_resource,
/// new)`, `while (next && resource_overlaps(new, next)) { if (resource_contains(new, next)) {
/// … remove_resource(next); … } else next->start = new->end + 1; }`; then
/// `pair_cxl_resource()` gives a root decoder its window only `if (resource_contains(p,
/// &res))`. A Soft Reserved range straddling two windows makes window 0 grow over it and
/// window 1 is published trimmed, as a sibling, with no root decoder paired to it.
#[test]
fn add_cxl_resources_trims_the_next_window() {
    let src = "
[platform]
quirk sr-spans-windows
quirk sr-beyond-regions
soft-reserved 0x1850000000 size=128G
host-bridge 0
window 0x850000000 size=128G targets=0
window 0x2850000000 size=128G targets=0
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_REGION=y
[events]
modprobe cxl_acpi
settle
";
    let run = run_text("mainline", src);
    assert_eq!(
        run.last().iomem,
        "850000000-384fffffff : CXL Window 0\n\
         \x20 1850000000-384fffffff : Soft Reserved\n\
         3850000000-484fffffff : CXL Window 1\n"
    );
    let rds = &run.kernel.cxl.root_decoders;
    assert_eq!(rds.len(), 2);
    assert!(rds[0].res.is_some());
    assert_eq!(rds[1].res, None);
    assert_eq!(
        run.last().context.windows,
        vec![(0x850000000, 0x384fffffff), (0x3850000000, 0x484fffffff)]
    );
}

/// A region auto-assembled in a window `pair_cxl_resource()` left without `cxlrd->res` (window
/// 0 grew over a Soft Reserved range that runs past window 1, so window 1's private copy was
/// removed): `__construct_region()`'s `insert_resource(cxlrd->res, res)` dereferences the NULL
/// parent (recorded as a WARN at `insert_resource`).
#[test]
fn region_in_unpaired_window_hits_null_res() {
    let src = "
[platform]
quirk sr-spans-windows
quirk sr-beyond-regions
soft-reserved 0x1850000000 size=256G
host-bridge 0
window 0x850000000 size=128G targets=0
window 0x2850000000 size=128G targets=0
memdev host-bridge=0 capacity=128G presence=boot decoder=0x2850000000,size=128G,ways=1,pos=0
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_REGION=y
[events]
modprobe cxl_acpi
modprobe cxl_pci
modprobe cxl_mem
settle
";
    let run = run_text("mainline", src);
    assert!(run
        .last()
        .iomem
        .starts_with("850000000-584fffffff : CXL Window 0\n"));
    assert!(!run.last().iomem.contains("CXL Window 1"));
    assert_eq!(run.kernel.cxl.root_decoders[1].res, None);
    assert!(run.kernel.warns.iter().any(|w| w.site == "insert_resource"));
}

/// drivers/cxl/acpi.c `__cxl_parse_cfmws()`: `alloc_cxl_resource(cfmws->base_hpa,
/// cfmws->window_size, ctx->id++)` comes before `add_or_reset_cxl_resource(ctx->cxl_res, …)`,
/// so a CFMWS rejected for partly overlapping an earlier one (`insert_resource` fails) still
/// uses up its window number.
#[test]
fn rejected_cfmws_uses_up_its_window_number() {
    let src = "
[platform]
host-bridge 0
window 0x850000000 size=128G targets=0
window 0x1850000000 size=128G targets=0
window 0x2850000000 size=128G targets=0
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_REGION=y
[events]
modprobe cxl_acpi
settle
";
    let run = run_firmware_bug("mainline", src);
    assert_eq!(
        run.last().iomem,
        "850000000-284fffffff : CXL Window 0\n\
         2850000000-484fffffff : CXL Window 2\n"
    );
    assert_eq!(run.kernel.cxl.root_decoders.len(), 2);
}

/// A CFMWS nested inside an earlier one is not rejected: `insert_resource()` makes it a child
/// in the private tree, `add_cxl_resources()` walks only `cxl_res->child` and its siblings, so
/// it is never published, and `pair_cxl_resource()` pairs its root decoder with the enclosing
/// window (`resource_contains(p, &res)`).
#[test]
fn nested_cfmws_shares_the_enclosing_window() {
    let src = "
[platform]
host-bridge 0
window 0x850000000 size=128G targets=0
window 0x850000000 size=64G targets=0
[kconfig]
CONFIG_CXL_BUS=m
CONFIG_CXL_REGION=y
[events]
modprobe cxl_acpi
settle
";
    let run = run_firmware_bug("mainline", src);
    assert_eq!(run.last().iomem, "850000000-284fffffff : CXL Window 0\n");
    let rds = &run.kernel.cxl.root_decoders;
    assert_eq!(rds.len(), 2);
    assert_eq!(rds[0].res, rds[1].res);
}

/// `cxl_endpoint_port_probe()` → `devm_cxl_enumerate_decoders()`: endpoint decoders exist only
/// while cxl_port is bound to the endpoint. After `rmmod cxl_port` (mainline: cxl_mem holds no
/// hard dependency on it) there is no endpoint decoder for `cxl create-region` to name, so it
/// fails with -ENODEV and no region appears.
#[test]
fn create_region_needs_the_endpoint_bound_to_cxl_port() {
    let src = "
[platform]
host-bridge 0
window 0x850000000 size=256M targets=0
memdev host-bridge=0 capacity=256M presence=boot
[kconfig]
CONFIG_CXL_BUS=m
[events]
settle
rmmod cxl_port
create-region window=0 memdevs=0
settle
";
    let run = run_text("mainline", src);
    assert_eq!(user_errors(&run, "create-region"), vec![Errno::ENODEV]);
    assert!(run.last().regions.iter().all(|r| !r.alive));
}
