//! A sequence of KV and counter calls on a memory store and on a reference model.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let ops = grove_fuzz::ops_from_bytes(data);
    grove_fuzz::checks::api_model(&ops);
});
