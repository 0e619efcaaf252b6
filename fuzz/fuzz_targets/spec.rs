//! Every design against its invariants (at every quiescent point) and the intended-ownership
//! spec (at the end): the first finding that neither the design declares nor the known list
//! (`SRFUZZ_KNOWN`) covers is a crash from a kind-specific function. The logic is
//! `srfuzz::checks::check_spec`.
#![no_main]

/// Runs allocate many small objects; mimalloc makes that cheaper (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let known = srfuzz::checks::known_from_env();
    let s = srfuzz::scenario::gen::scenario_from_bytes(data);
    srfuzz::checks::check_spec(&s, known);
});
