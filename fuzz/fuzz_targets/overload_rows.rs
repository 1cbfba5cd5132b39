//! Fuzz target `overload_rows`: see `xinjiao_import::fuzzing::overload_rows`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::overload_rows(data));
