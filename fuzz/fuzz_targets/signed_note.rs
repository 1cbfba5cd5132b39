//! Fuzz target `signed_note`: see `xinjiao_import::fuzzing::signed_note`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::signed_note(data));
