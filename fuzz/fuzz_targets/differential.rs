//! Two designs on the same scenario (`SRFUZZ_DESIGNS`, default register_dax-v4,dax_cxl_mode-v5):
//! the first difference in build, hangs, WARNs, regions, ownership, online memory or stuck
//! devices that the known-findings list (`SRFUZZ_KNOWN`) does not cover is a crash from a
//! kind-specific function. The logic is `srfuzz::checks::check_differential`.
#![no_main]

/// Runs allocate many small objects; mimalloc makes that cheaper (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::OnceLock;

static PAIR: OnceLock<[&'static srfuzz::designs::Design; 2]> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let [a, b] = *PAIR.get_or_init(srfuzz::checks::design_pair_from_env);
    let known = srfuzz::checks::known_from_env();
    let s = srfuzz::scenario::gen::scenario_from_bytes(data);
    srfuzz::checks::check_differential(&s, a, b, known);
});
