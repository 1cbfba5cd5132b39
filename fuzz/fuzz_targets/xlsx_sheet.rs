//! Fuzz target `xlsx_sheet`: see `xinjiao_import::fuzzing::xlsx_sheet`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::xlsx_sheet(data));
