//! Capabilities: operations of a primitive that an engine may run natively (one atomic round
//! trip on Redis) instead of through the ordered key/value default every engine has.
//!
//! A primitive asks its backend for a capability and falls back to its generic code when the
//! answer is `None`; it never asks which engine it runs on. The capability returns what it found,
//! and the primitive turns that into Grove's errors, so messages and validation stay in one place.

use crate::error::Result;
use crate::leaderboard::Ranked;
use crate::queue::QueueStats;
use crate::ratelimit::Decision;
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
    /// (Bounded adds only) the result would leave the bounds; nothing changed.
    Refused,
    /// The engine cannot add natively: the key holds another kind, a counter kept in Grove's
    /// envelope, or something Grove did not write. Nothing changed; the generic path decides
    /// (it reads the kind itself, so the engine need not report it).
    Generic,
}

/// Counters kept in the engine's own integer type.
pub(crate) trait NativeCounter {
    /// Adds `delta` to the counter at physical key `pk` (absent counts as 0), keeping its expiry.
    fn counter_add(&self, pk: &[u8], delta: i64) -> Result<CounterAdd>;
    /// Adds `delta` only if the result stays within `lo..=hi` (`Refused` otherwise), in one
    /// step. The caller keeps every number below 2^53 in magnitude ([`NATIVE_BOUNDED_MAX`]).
    fn counter_add_within(&self, pk: &[u8], delta: i64, lo: i64, hi: i64) -> Result<CounterAdd>;
}

/// The largest delta a bounded native add takes (10^15): with a stored value of at most 15
/// digits, every sum stays below 2^53, where a Lua number (a double) is still exact.
pub(crate) const NATIVE_BOUNDED_MAX: i64 = 1_000_000_000_000_000;

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

/// Locks whose every operation is one atomic step in the engine, in the engine's own layout
/// (Redis: the owner's token with the lease as the key's expiry, and a fencing counter). The
/// engine reads Grove's lock record too (written by the generic path, or by an earlier build),
/// and shows its own layout to the key/value API as a lock record.
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
    /// The lock at `pk` as any observer sees it at `now_ms`; `None`: the generic path decides.
    fn lock_info(&self, pk: &[u8], now_ms: u64) -> Result<Option<crate::lock::LockInfo>>;
}

/// A change to one entry that an engine makes natively, in one atomic step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryEdit<'a> {
    /// Replace the entry with this envelope (in stored form: after the codec).
    Replace(&'a [u8]),
    /// Make it expire at this time (ms since the epoch).
    Expire(u64),
    /// Remove its expiry.
    Persist,
    /// Delete it.
    Delete,
}

/// What a native [`EntryEdit`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryStep {
    /// The entry was live and of a kind allowed: edited (`changed` is false only for a
    /// `Persist` of an entry without expiry).
    Done {
        /// Whether anything was written.
        changed: bool,
    },
    /// No live entry (an expired one was reclaimed on the way).
    Absent,
    /// The live entry is of this kind, which the caller did not allow: nothing changed.
    WrongKind(Kind),
    /// The engine does not edit this value (an engine's own form of a counter or a lock,
    /// something Grove did not write): nothing changed; the generic path decides.
    Generic,
}

/// Edits of one entry's envelope (its expiry, or all of it) as one atomic step in the engine,
/// instead of a read and a compare-and-swap (sessions, a key/value `expire` or `persist`).
pub(crate) trait NativeEntry {
    /// Applies `edit` to the live entry at `pk` if its kind is `want` (any when `None`) and not
    /// one of `refuse`; `now` is the store's clock, used when it is not the engine's own.
    fn entry_edit(
        &self,
        pk: &[u8],
        now: u64,
        want: Option<Kind>,
        refuse: &[Kind],
        edit: EntryEdit<'_>,
    ) -> Result<EntryStep>;
}

/// A job as a native queue keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delivered {
    /// The job's id.
    pub id: u64,
    /// Its payload, in stored form below the codec (plain above it).
    pub payload: Vec<u8>,
    /// Deliveries so far, this one included.
    pub attempts: u32,
    /// When it was enqueued (ms since the epoch).
    pub enqueued_at: u64,
    /// What the codec did to the payload (`""`: nothing; see `codec::Codec::seal_opaque`).
    pub form: String,
}

/// What a native queue operation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum QueueStep<T> {
    /// It ran.
    Done(T),
    /// The queue still holds the generic layout of earlier builds; nothing changed. Move it
    /// with [`NativeQueue::queue_import`] and ask again.
    Legacy,
}

/// What a native enqueue did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Enqueued {
    /// Added with this id.
    Id(u64),
    /// The id the caller expected is not the next one, which is this; nothing changed.
    NextIs(u64),
}

/// What a native dequeue found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Dequeued {
    /// This job, now in flight.
    Job(Delivered),
    /// Nothing is due.
    Empty,
    /// The next due job is sealed with the key of this id (hex), which the caller cannot open;
    /// that job was left as it was.
    Sealed(String),
}

/// A job of the generic layout, moved by [`NativeQueue::queue_import`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Imported {
    /// The job as it was delivered last (or enqueued), its payload plain above the codec.
    pub job: Delivered,
    /// `"ready"`, `"in_flight"` or `"dead"`.
    pub state: &'static str,
    /// When it may next be delivered (ms since the epoch); unused for a dead job.
    pub visible_at: u64,
}

/// Queues kept in the engine's own types, every operation one atomic step there; nothing of a
/// queue is a Grove record, so the generic queue code never runs on such an engine (it would
/// read another layout). `queue` is the queue's physical prefix (`k…queue:<name>:`). Above the
/// codec payloads are plain (and `form`, `expect` and `openable` are ignored: the codec
/// wrapper sets them); below it they are in stored form.
pub(crate) trait NativeQueue {
    /// Adds a job visible `delay_ms` after `now` (the store's clock, used when it is not the
    /// engine's own). With `expect`, only if that is the id it gets.
    fn queue_enqueue(
        &self,
        queue: &[u8],
        payload: &[u8],
        form: &str,
        expect: Option<u64>,
        now: u64,
        delay_ms: u64,
    ) -> Result<QueueStep<Enqueued>>;
    /// Delivers the oldest due job (ties by id), dead-lettering those delivered `max_attempts`
    /// times on the way; `openable` are the key ids whose sealed payloads the caller opens.
    fn queue_dequeue(
        &self,
        queue: &[u8],
        now: u64,
        visibility_ms: u64,
        max_attempts: u32,
        openable: &[String],
    ) -> Result<QueueStep<Dequeued>>;
    /// Acks in-flight job `id` (`nack` `None`), or gives it back due `delay_ms` after `now`
    /// (`Some((now, delay_ms))`): true when it was in flight.
    fn queue_settle(
        &self,
        queue: &[u8],
        id: u64,
        nack: Option<(u64, u64)>,
    ) -> Result<QueueStep<bool>>;
    /// Counts by state.
    fn queue_stats(&self, queue: &[u8]) -> Result<QueueStep<QueueStats>>;
    /// The dead letters, lowest id first.
    fn queue_dead_letters(&self, queue: &[u8]) -> Result<QueueStep<Vec<Delivered>>>;
    /// Moves the generic layout's `jobs` and counts (`last_id` the highest id given) into the
    /// engine's types and deletes its records, in one step: false when another process did so
    /// first (nothing changed).
    fn queue_import(
        &self,
        queue: &[u8],
        last_id: u64,
        stats: QueueStats,
        jobs: Vec<Imported>,
    ) -> Result<bool>;
}

/// Rate limiters whose `allow` and `peek` are each one atomic step in the engine, on the record
/// `ratelimit.rs` writes (so the generic `reset`, and stores written by the generic path, read
/// and are read by the native steps). `None` means "take the generic path": a number or record
/// the engine does not handle exactly; nothing was changed.
pub(crate) trait NativeRateLimit {
    /// Admits `cost` (at most `limit`) at `pk` if it fits in `limit` over the last `window_ms`,
    /// recording it; `now` is the store's clock, used when it is not the engine's own.
    fn rate_allow(
        &self,
        pk: &[u8],
        now: u64,
        limit: u64,
        window_ms: u64,
        cost: u64,
    ) -> Result<Option<Decision>>;
    /// What a cost-1 request would get at `pk`, recording nothing (see `RateLimiter::peek`).
    fn rate_peek(
        &self,
        pk: &[u8],
        now: u64,
        limit: u64,
        window_ms: u64,
    ) -> Result<Option<Decision>>;
}

/// What a native leaderboard write asks for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum BoardOp {
    /// Set the member's score to this (already checked finite, -0.0 made 0.0).
    Set(f64),
    /// Add this to the member's score (from 0 if new).
    Add(f64),
}

/// What a native leaderboard write did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum BoardWrite {
    /// The member's score is now this.
    Done(f64),
    /// The sum would leave the finite range; nothing changed.
    Overflow,
    /// The member's key holds another kind (`None`: something Grove did not write); nothing
    /// changed. Unlike counters and locks there is no generic path to hand this to on such an
    /// engine (the generic one would not update the engine's sorted set), so the kind comes back.
    WrongKind(Option<Kind>),
}

/// Leaderboards kept in the engine's own sorted set, each operation one atomic step, in
/// Grove's order (score descending, ties by member ascending in byte order). `board` is the
/// board's physical member prefix (`k…lb:<name>:`); each member also keeps its Grove record at
/// `board` + member, so the key/value API sees members (kind, listing, `WrongType`) exactly as
/// on every other engine.
pub(crate) trait NativeLeaderboard {
    /// Sets or adds to `member`'s score.
    fn board_write(&self, board: &[u8], member: &str, op: BoardOp) -> Result<BoardWrite>;
    /// `member`'s score, if it is a member.
    fn board_score(&self, board: &[u8], member: &str) -> Result<Option<f64>>;
    /// `member`'s rank (0 = highest), if it is a member.
    fn board_rank(&self, board: &[u8], member: &str) -> Result<Option<u64>>;
    /// Members with ranks in `[start, stop)`.
    fn board_range(&self, board: &[u8], start: u64, stop: u64) -> Result<Vec<Ranked>>;
    /// `member` with up to `n` members above and below it; empty if it is not a member.
    fn board_around(&self, board: &[u8], member: &str, n: u64) -> Result<Vec<Ranked>>;
    /// Removes `member` (its record too): true if it was a member.
    fn board_remove(&self, board: &[u8], member: &str) -> Result<bool>;
    /// Number of members.
    fn board_len(&self, board: &[u8]) -> Result<u64>;
    /// Removes every member (their records too): how many there were.
    fn board_clear(&self, board: &[u8]) -> Result<u64>;
}
