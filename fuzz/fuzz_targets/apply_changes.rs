//! Random bytes as a change bundle into a store that already holds a few CRDTs.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grove_fuzz::checks::apply_changes(data));
