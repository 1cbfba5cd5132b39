//! Fuzz target `xlsx`: see `xinjiao_import::fuzzing::xlsx`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::xlsx(data));
