//! Fuzz target `count_file`: see `xinjiao_import::fuzzing::count_file`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::count_file(data));
