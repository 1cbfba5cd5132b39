//! Fuzz target `proof_bundle`: see `xinjiao_import::fuzzing::proof_bundle`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xinjiao_import::fuzzing::proof_bundle(data));
