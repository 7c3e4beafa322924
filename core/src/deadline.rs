//! A deadline for the calls one thread makes to a network engine's server, so a door whose
//! callers carry one (a Go `context.Context` with a deadline) gets its answer, or an `Io` error,
//! by then rather than after the reply timeout.
//!
//! Per thread, because a call runs on its caller's thread from start to end; a door sets it
//! around one call and clears it after (Go pins the goroutine to its thread meanwhile). Local
//! engines never wait on a network, so they ignore it.

use std::cell::Cell;
use std::time::{Duration, Instant};

thread_local! {
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Sets (or, with `None`, clears) the deadline of the calls this thread makes from now on.
pub fn set_call_deadline(deadline: Option<Instant>) {
    DEADLINE.with(|d| d.set(deadline));
}

/// Runs `f` with the calls it makes on this thread bounded by `deadline`, then restores the
/// deadline there was before.
pub fn with_call_deadline<T>(deadline: Instant, f: impl FnOnce() -> T) -> T {
    let before = DEADLINE.with(|d| d.replace(Some(deadline)));
    let out = f();
    DEADLINE.with(|d| d.set(before));
    out
}

/// The time left before this thread's deadline: `None` without one, `Some(ZERO)` once passed.
pub(crate) fn left() -> Option<Duration> {
    DEADLINE
        .with(|d| d.get())
        .map(|d| d.saturating_duration_since(Instant::now()))
}
