//! Fuzz target `csv_rows`: see `xinjiao_import::fuzzing::csv_rows`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::csv_rows(data));
