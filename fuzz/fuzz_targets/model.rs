//! The model's integrity: every design runs every scenario without panicking, and
//! deterministically. The logic is `srfuzz::checks::model_integrity`.
#![no_main]

/// Runs allocate many small objects; mimalloc makes that cheaper (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let s = srfuzz::scenario::gen::scenario_from_bytes(data);
    srfuzz::checks::model_integrity(&s);
});
