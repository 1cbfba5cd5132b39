//! Fuzz target `dates`: see `xinjiao_import::fuzzing::dates`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::dates(data));
