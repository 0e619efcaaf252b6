//! Runs every design on the scenario; a hang, livelock, WARN, double claim or model panic is a
//! crash. The logic is `srfuzz::checks::model`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let s = srfuzz::scenario::gen::scenario_from_bytes(data);
    srfuzz::checks::model(&s);
});
