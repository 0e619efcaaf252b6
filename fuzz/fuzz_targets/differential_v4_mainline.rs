//! register_dax-v4 against mainline, fixed (no environment): where v4 departs from the kernel
//! it patches, for infrastructure that records no environment (OSS-Fuzz, ClusterFuzzLite).
//! The known list is the shipped one. The logic is `srfuzz::checks::check_differential`.
#![no_main]

/// Runs allocate many small objects; mimalloc makes that cheaper (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

static FIXED: std::sync::OnceLock<(
    [&'static srfuzz::designs::Design; 2],
    srfuzz_oracle::KnownList,
)> = std::sync::OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (pair, known) = FIXED.get_or_init(srfuzz::checks::fixed_v4_mainline);
    let s = srfuzz::scenario::gen::scenario_from_bytes(data);
    srfuzz::checks::check_differential(&s, pair[0], pair[1], known);
});
