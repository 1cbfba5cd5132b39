//! Fuzz target `roster`: see `xinjiao_import::fuzzing::roster`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::roster(data));
