//! Random bytes as the stored value (envelope and payload) of every primitive's key.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| grove_fuzz::checks::value_envelope(data));
