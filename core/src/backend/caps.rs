//! Capabilities: operations of a primitive that an engine may run natively (one atomic round
//! trip on Redis) instead of through the ordered key/value default every engine has.
//!
//! A primitive asks its backend for a capability and falls back to its generic code when the
//! answer is `None`; it never asks which engine it runs on. The capability returns what it found,
//! and the primitive turns that into Grove's errors, so messages and validation stay in one place.

use crate::error::Result;

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
    /// The engine cannot add natively: the key holds another kind, a counter kept in Grove's
    /// envelope, or something Grove did not write. Nothing changed; the generic path decides
    /// (it reads the kind itself, so the engine need not report it).
    Generic,
}

/// Counters kept in the engine's own integer type.
pub(crate) trait NativeCounter {
    /// Adds `delta` to the counter at physical key `pk` (absent counts as 0), keeping its expiry.
    fn counter_add(&self, pk: &[u8], delta: i64) -> Result<CounterAdd>;
}

/// What a native lock operation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LockStep {
    /// Acquired with this fencing token, or (release/extend) changed the lease.
    Done(u64),
    /// Refused: held by another owner (acquire), or not ours (release/extend). Nothing changed.
    Refused,
    /// The engine cannot do this one natively (another kind at the key, or an unusual record).
    /// Nothing changed; the generic path decides, reading the kind itself.
    Generic,
}

/// Locks whose every operation is one atomic step in the engine. The record is Grove's own
/// (see `lock.rs`), so the generic path and the native one read each other's writes.
pub(crate) trait NativeLock {
    /// Takes the lock at `pk` for `ttl_ms` from `now_ms` with `token` if it is free, expired, or
    /// still held by `previous`; the new fencing token is the stored one plus 1.
    fn lock_acquire(
        &self,
        pk: &[u8],
        now_ms: u64,
        ttl_ms: u64,
        token: &[u8],
        previous: Option<&[u8]>,
    ) -> Result<LockStep>;
    /// If `token` holds an unexpired lease at `now_ms`: releases it (`extend_ms` `None`) or makes
    /// it end `extend_ms` from now. `Done(0)` when changed.
    fn lock_change(
        &self,
        pk: &[u8],
        now_ms: u64,
        token: &[u8],
        extend_ms: Option<u64>,
    ) -> Result<LockStep>;
}

/// A job a native dequeue delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delivered {
    /// The job's id.
    pub id: u64,
    /// Its payload.
    pub payload: Vec<u8>,
    /// Deliveries so far, this one included.
    pub attempts: u32,
    /// When it was enqueued (ms since the epoch).
    pub enqueued_at: u64,
}

/// What a native queue operation did; `None` from a capability means "take the generic path"
/// (a record or number the engine's script does not handle; nothing was changed).
pub(crate) type QueueStep<T> = Option<T>;

/// Queues whose enqueue, dequeue and ack are each one atomic step in the engine, over Grove's
/// own records and keys (see `queue.rs`), so the generic operations (nack, stats, dead letters)
/// read and change what the native ones write. `prefix` is the queue's physical key prefix
/// (`k…queue:<name>:`).
pub(crate) trait NativeQueue {
    /// Adds a job visible at `at`: its id.
    fn queue_enqueue(
        &self,
        prefix: &[u8],
        payload: &[u8],
        now: u64,
        at: u64,
    ) -> Result<QueueStep<u64>>;
    /// Delivers the oldest due job (dead-lettering those past `max_attempts` on the way).
    fn queue_dequeue(
        &self,
        prefix: &[u8],
        now: u64,
        visibility_ms: u64,
        max_attempts: u32,
    ) -> Result<QueueStep<Option<Delivered>>>;
    /// Acks in-flight job `id`: true when it was in flight.
    fn queue_ack(&self, prefix: &[u8], id: u64) -> Result<QueueStep<bool>>;
}
