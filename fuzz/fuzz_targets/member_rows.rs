//! Fuzz target `member_rows`: see `xinjiao_import::fuzzing::member_rows`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::member_rows(data));
