//! The text parsers on arbitrary bytes: the scenario parser and the known-findings parser
//! return errors, never panic; a parsed scenario prints and parses back to itself; an error
//! names a line the text has.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(t) = std::str::from_utf8(data) else {
        return;
    };
    srfuzz::checks::text_parsers_hold(t);
});
