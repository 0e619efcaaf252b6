//! Two designs on the same scenario — the pair under review, register_dax-v4 vs
//! dax_cxl_mode-v5 (`SRFUZZ_DESIGNS` overrides it for local runs) — the first difference that
//! the known-findings list (shipped; `SRFUZZ_KNOWN` for local runs) does not cover is a crash
//! from a kind-specific function. A bad override stops the target once, before fuzzing. The
//! logic is `srfuzz::checks::check_differential`.
#![no_main]

/// Runs allocate many small objects; mimalloc makes that cheaper (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

static PAIR: std::sync::OnceLock<[&'static srfuzz::designs::Design; 2]> =
    std::sync::OnceLock::new();

libfuzzer_sys::fuzz_target!(init: {
    PAIR.get_or_init(srfuzz::checks::design_pair_from_env);
    srfuzz::checks::known_from_env();
}, |data: &[u8]| {
    let [a, b] = *PAIR.get_or_init(srfuzz::checks::design_pair_from_env);
    let s = srfuzz::scenario::gen::scenario_from_bytes(data);
    srfuzz::checks::check_differential(&s, a, b, srfuzz::checks::known_from_env());
});
