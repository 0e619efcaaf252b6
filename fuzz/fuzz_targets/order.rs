//! Order independence: every design, under the scenario's schedule and under the canonical one
//! (always the oldest runnable task), must end in the same observations; the first difference
//! that neither the design declares nor the known list (`SRFUZZ_KNOWN`) covers is a crash. The
//! logic is `srfuzz::checks::check_order`.
#![no_main]

/// Runs allocate many small objects; mimalloc makes that cheaper (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

libfuzzer_sys::fuzz_target!(init: {
    // A bad SRFUZZ_KNOWN stops the target once, before fuzzing.
    srfuzz::checks::known_from_env();
}, |data: &[u8]| {
    let s = srfuzz::scenario::gen::scenario_from_bytes(data);
    srfuzz::checks::check_order(&s, srfuzz::checks::known_from_env());
});
