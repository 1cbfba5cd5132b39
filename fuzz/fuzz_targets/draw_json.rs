//! Fuzz target `draw_json`: see `xinjiao_import::fuzzing::draw_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::draw_json(data));
