//! Byte 0 picks the CRDT type and key, the rest goes to that type's `merge`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grove_fuzz::checks::crdt_merge(data));
