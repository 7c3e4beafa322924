//! A deadline for the calling thread's calls to a network engine's server (Redis), for callers
//! that carry one (Go's `context.Context`): set it, make the call on the same thread, clear it.

use std::time::{Duration, Instant};

/// Sets a deadline `ms` milliseconds from now for the calls this thread makes until
/// `grove_thread_clear_deadline`: a call to a Redis server that has not answered by then fails
/// with `GROVE_IO` (for a write, with its outcome unknown). Local engines ignore it.
#[no_mangle]
pub extern "C" fn grove_thread_set_deadline(ms: u64) {
    // A deadline past what an Instant holds is no deadline at all.
    let at = Instant::now().checked_add(Duration::from_millis(ms));
    grove_core::set_call_deadline(at);
}

/// Clears this thread's deadline (see `grove_thread_set_deadline`).
#[no_mangle]
pub extern "C" fn grove_thread_clear_deadline() {
    grove_core::set_call_deadline(None);
}
