//! Every design against its invariants (at every quiescent point) and the intended-ownership
//! spec (at the end): the first finding that neither the design declares nor the known list
//! (`SRFUZZ_KNOWN`) covers is a crash from a kind-specific function. The logic is
//! `srfuzz::checks::check_spec`.
#![no_main]

/// Runs allocate many small objects; mimalloc makes that cheaper (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

libfuzzer_sys::fuzz_target!(init: {
    // A bad SRFUZZ_KNOWN stops the target once, before fuzzing.
    srfuzz::checks::known_from_env();
}, |data: &[u8]| {
    let s = srfuzz::scenario::gen::scenario_from_bytes(data);
    srfuzz::checks::check_spec(&s, srfuzz::checks::known_from_env());
});
