//! Fuzz target `credit_events`: see `xinjiao_import::fuzzing::credit_events`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::credit_events(data));
