//! The model's integrity: every design runs every scenario without panicking, and
//! deterministically. The logic is `srfuzz::checks::model_integrity`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let s = srfuzz::scenario::gen::scenario_from_bytes(data);
    srfuzz::checks::model_integrity(&s);
});
