//! Capabilities: operations of a primitive that an engine may run natively (one atomic round
//! trip on Redis) instead of through the ordered key/value default every engine has.
//!
//! A primitive asks its backend for a capability and falls back to its generic code when the
//! answer is `None`; it never asks which engine it runs on. The capability returns what it found,
//! and the primitive turns that into Grove's errors, so messages and validation stay in one place.

use crate::error::Result;
use crate::value::Kind;

/// What a native counter increment found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CounterAdd {
    /// The new value.
    Added(i64),
    /// The sum would leave the 64-bit range; the counter is unchanged at `current`.
    Overflow {
        /// The value left in place.
        current: i64,
    },
    /// The key holds another kind (`None`: something Grove did not write).
    WrongKind(Option<Kind>),
}

/// Counters kept in the engine's own integer type.
pub(crate) trait NativeCounter {
    /// Adds `delta` to the counter at physical key `pk` (absent counts as 0), keeping its expiry.
    fn counter_add(&self, pk: &[u8], delta: i64) -> Result<CounterAdd>;
}
