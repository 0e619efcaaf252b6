//! Golden tests: the shipped corpus scenarios, run on mainline, print exactly the /proc/iomem
//! that the cited outputs show (or, for mainline-only behaviour, what mainline's code implies,
//! reviewed once and pinned here).

use srfuzz::designs;
use srfuzz::model;
use srfuzz::scenario::text;

fn final_iomem(path: &str) -> String {
    final_iomem_on("mainline", path)
}

fn final_iomem_on(design: &str, path: &str) -> String {
    let src = std::fs::read_to_string(path).unwrap();
    let s = text::parse(&src).unwrap_or_else(|e| panic!("{path}: {e}"));
    model::run(designs::by_name(design).unwrap(), &s)
        .last()
        .iomem
        .clone()
}

/// The tree cover letter [2] publishes (v4..v8).
const COVER_2: &str = "850000000-284fffffff : CXL Window 0\n\
                       \x20 850000000-284fffffff : Soft Reserved\n\
                       \x20   850000000-284fffffff : dax0.0\n\
                       \x20     850000000-284fffffff : System RAM (kmem)\n";

/// Cover letter [2] on the designs the covers describe, byte for byte: v4 with built-in HMEM
/// and modular CXL, and v4 and v5 with everything modular when udev loads dax_hmem first
/// (v4 <https://lore.kernel.org/all/20251120031925.87762-1-Smita.KoralahalliChannabasappa@amd.com/>,
/// v5 <https://lore.kernel.org/all/20260122045543.218194-1-Smita.KoralahalliChannabasappa@amd.com/>).
#[test]
fn cover_cxl_region_disabled_on_the_series() {
    assert_eq!(
        final_iomem_on("register_dax-v4", "corpus/cover-cxl-region-disabled.scn"),
        COVER_2
    );
    for d in ["mainline", "register_dax-v4", "dax_cxl_mode-v5"] {
        assert_eq!(
            final_iomem_on(d, "corpus/cover-cxl-region-disabled-modular.scn"),
            COVER_2,
            "{d}"
        );
    }
}

/// Cover letter scenario [2] "CONFIG_CXL_REGION disabled", byte for byte (v4..v8 covers,
/// <https://lore.kernel.org/all/20251120031925.87762-1-Smita.KoralahalliChannabasappa@amd.com/>).
#[test]
fn cover_cxl_region_disabled() {
    assert_eq!(
        final_iomem("corpus/cover-cxl-region-disabled.scn"),
        "850000000-284fffffff : CXL Window 0\n\
         \x20 850000000-284fffffff : Soft Reserved\n\
         \x20   850000000-284fffffff : dax0.0\n\
         \x20     850000000-284fffffff : System RAM (kmem)\n"
    );
}

/// bc62f5b's "before" output for `memmap=4G%4G+0xefffffff`, with the dax id this platform gets
/// (the commit's machine had memregion 0 taken, hence its dax1.0).
/// <https://github.com/torvalds/linux/commit/bc62f5b308cbdedf29132fe96e9d591e526527e1>
#[test]
fn memmap_soft_reserved_only() {
    assert_eq!(
        final_iomem("corpus/memmap-soft-reserved-only.scn"),
        "100000000-1ffffffff : Soft Reserved\n\
         \x20 100000000-1ffffffff : dax0.0\n\
         \x20   100000000-1ffffffff : System RAM (kmem)\n"
    );
}

/// Mainline with the CXL stack loaded first: the region (inserted after the window swallowed
/// the Soft Reserved range) re-parents it, as Smita's v3 experiment describes for equal
/// ranges, and CXL owns the memory.
#[test]
fn mainline_cxl_owns_region() {
    assert_eq!(
        final_iomem("corpus/mainline-cxl-owns-region.scn"),
        "850000000-284fffffff : CXL Window 0\n\
         \x20 850000000-284fffffff : region0\n\
         \x20   850000000-284fffffff : Soft Reserved\n\
         \x20     850000000-284fffffff : dax0.0\n\
         \x20       850000000-284fffffff : System RAM (kmem)\n"
    );
}

/// Mainline's hotplug problem: after the region is destroyed the Soft Reserved resource stays
/// in the window and re-creating the region fails (bc62f5b's motivation).
#[test]
fn mainline_hotplug_blocked() {
    assert_eq!(
        final_iomem("corpus/mainline-hotplug-blocked.scn"),
        "850000000-284fffffff : CXL Window 0\n\
         \x20 850000000-284fffffff : Soft Reserved\n"
    );
}

/// Mainline's assembly-failure bug: nobody owns a CXL-window range whose region never commits.
#[test]
fn mainline_assembly_failure_strands_capacity() {
    let src = std::fs::read_to_string("corpus/mainline-assembly-failure.scn").unwrap();
    let s = text::parse(&src).unwrap();
    let run = model::run(designs::by_name("mainline").unwrap(), &s);
    let o = run.last();
    assert_eq!(o.soft_reserved.len(), 1);
    assert_eq!(o.soft_reserved[0].owner, srfuzz_oracle::Owner::Nobody);
    assert!(!o.regions[0].committed);
}

/// Every corpus scenario parses, and runs identically twice on every design.
#[test]
fn corpus_runs_deterministically() {
    let mut n = 0;
    for e in std::fs::read_dir("corpus").unwrap() {
        let p = e.unwrap().path();
        let src = std::fs::read_to_string(&p).unwrap();
        let s = text::parse(&src).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        for d in designs::all() {
            assert_eq!(
                model::run(d, &s).observations,
                model::run(d, &s).observations
            );
        }
        n += 1;
    }
    assert!(n >= 5);
}
