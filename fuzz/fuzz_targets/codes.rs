//! Fuzz target `codes`: see `xinjiao_import::fuzzing::codes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::codes(data));
