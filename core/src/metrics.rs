//! Metrics: per-operation counts, errors and latency histograms for every primitive.
//!
//! Each open handle (one `open` call; its clones and namespace views share it) keeps one
//! [`Registry`]: a fixed table of operation slots (`"<primitive>.<op>"`), each with atomic
//! counters and a log-linear latency histogram. Recording is at the primitive's public method
//! boundary ([`Store::measured`]), Relaxed atomics only, no lock.
//!
//! Cost: every call is counted exactly (one atomic add; one more when it fails), but only one
//! call in [`SAMPLE_EVERY`] of each operation is timed (the first always is), because two clock
//! reads cost more than the whole of an in-memory counter increment (BENCHMARKS.md, "Metrics
//! overhead"). Percentiles and the Prometheus histogram are over the timed calls.
//!
//! Other processes: a store on disk or on a server publishes its handle's snapshot into the
//! store's metadata (`m` + `metrics:<pid>-<token>`, where no user key can reach) when it is
//! flushed (at most once per [`FLUSH_PUBLISH_EVERY`]) or closed and, while calls are being made,
//! at most every [`PUBLISH_EVERY`], so
//! `grove stats --prometheus` can show what the processes using the store did. Entries older
//! than [`PUBLISHED_KEEP_MS`] are removed by the next process that publishes.

use crate::backend::Backend;
use crate::error::{Error, ErrorKind, Result};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// One call in this many of each operation is timed (a power of two); every call is counted.
pub const SAMPLE_EVERY: u64 = 16;
/// How often a store on disk or on a server publishes its metrics while calls are made.
pub const PUBLISH_EVERY: Duration = Duration::from_secs(10);
/// A flush publishes at most this often (a close always does).
pub const FLUSH_PUBLISH_EVERY: Duration = Duration::from_secs(1);
/// Published metrics older than this (by the store's clock) are removed by the next publisher.
pub const PUBLISHED_KEEP_MS: u64 = 24 * 3600 * 1000;

/// Metadata prefix of published metrics.
const PUBLISHED_PREFIX: &[u8] = b"mmetrics:";
/// The key just past every published entry (`;` follows `:`).
const PUBLISHED_END: &[u8] = b"mmetrics;";

macro_rules! ops {
    ($($variant:ident => $name:literal,)*) => {
        /// An instrumented operation.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub(crate) enum Op { $($variant,)* }
        /// The name of each [`Op`], by its index.
        pub(crate) const OP_NAMES: &[&str] = &[$($name,)*];
    };
}

ops! {
    KvGet => "kv.get",
    KvSet => "kv.set",
    KvDelete => "kv.delete",
    KvExists => "kv.exists",
    KvKindOf => "kv.kind_of",
    KvExpire => "kv.expire",
    KvPersist => "kv.persist",
    KvTtl => "kv.ttl",
    KvKeys => "kv.keys",
    KvGetMany => "kv.get_many",
    KvSetMany => "kv.set_many",
    KvPurgeExpired => "kv.purge_expired",
    KvSetIfAbsent => "kv.set_if_absent",
    KvSetIfPresent => "kv.set_if_present",
    KvCompareAndSet => "kv.compare_and_set",
    KvGetSet => "kv.get_set",
    KvGetDelete => "kv.get_delete",
    CounterIncrement => "counter.increment",
    CounterDecrement => "counter.decrement",
    CounterTryIncrement => "counter.try_increment",
    CounterTryDecrement => "counter.try_decrement",
    CounterGet => "counter.get",
    CounterSet => "counter.set",
    CounterReset => "counter.reset",
    LockTryAcquire => "lock.try_acquire",
    LockAcquire => "lock.acquire",
    LockLock => "lock.lock",
    LockRelease => "lock.release",
    LockExtend => "lock.extend",
    LockHeld => "lock.held",
    LockInfo => "lock.info",
    RateLimiterAllow => "rate_limiter.allow",
    RateLimiterPeek => "rate_limiter.peek",
    RateLimiterReset => "rate_limiter.reset",
    SessionCreate => "session.create",
    SessionGet => "session.get",
    SessionUpdate => "session.update",
    SessionTouch => "session.touch",
    SessionDelete => "session.delete",
    SessionExists => "session.exists",
    LeaderboardAdd => "leaderboard.add",
    LeaderboardIncr => "leaderboard.incr",
    LeaderboardScore => "leaderboard.score",
    LeaderboardRank => "leaderboard.rank",
    LeaderboardTop => "leaderboard.top",
    LeaderboardRange => "leaderboard.range",
    LeaderboardAround => "leaderboard.around",
    LeaderboardRemove => "leaderboard.remove",
    LeaderboardLen => "leaderboard.len",
    LeaderboardClear => "leaderboard.clear",
    QueueEnqueue => "queue.enqueue",
    QueueDequeue => "queue.dequeue",
    QueueDequeueWait => "queue.dequeue_wait",
    QueueAck => "queue.ack",
    QueueNack => "queue.nack",
    QueueStats => "queue.stats",
    QueueDeadLetters => "queue.dead_letters",
    CrdtCounterIncrement => "crdt_counter.increment",
    CrdtCounterDecrement => "crdt_counter.decrement",
    CrdtCounterAdd => "crdt_counter.add",
    CrdtCounterValue => "crdt_counter.value",
    CrdtCounterTotals => "crdt_counter.totals",
    CrdtCounterContributions => "crdt_counter.contributions",
    CrdtCounterResetLocal => "crdt_counter.reset_local",
    CrdtCounterState => "crdt_counter.state",
    CrdtCounterMerge => "crdt_counter.merge",
    CrdtRegisterSet => "crdt_register.set",
    CrdtRegisterGet => "crdt_register.get",
    CrdtRegisterStamp => "crdt_register.stamp",
    CrdtRegisterState => "crdt_register.state",
    CrdtRegisterMerge => "crdt_register.merge",
    CrdtSetAdd => "crdt_set.add",
    CrdtSetRemove => "crdt_set.remove",
    CrdtSetContains => "crdt_set.contains",
    CrdtSetMembers => "crdt_set.members",
    CrdtSetLen => "crdt_set.len",
    CrdtSetState => "crdt_set.state",
    CrdtSetMerge => "crdt_set.merge",
    CrdtMapSet => "crdt_map.set",
    CrdtMapDelete => "crdt_map.delete",
    CrdtMapGet => "crdt_map.get",
    CrdtMapKeys => "crdt_map.keys",
    CrdtMapAll => "crdt_map.all",
    CrdtMapState => "crdt_map.state",
    CrdtMapMerge => "crdt_map.merge",
    SyncExportChanges => "sync.export_changes",
    SyncApplyChanges => "sync.apply_changes",
}

/// The names of every instrumented operation (`"<primitive>.<op>"`), in table order.
pub fn op_names() -> &'static [&'static str] {
    OP_NAMES
}

// The histogram: bucket 0 holds [0, 64 ns); then 4 buckets per power of two of nanoseconds,
// from 2^6 ns (64 ns) to 2^36 ns (~68.7 s); the last bucket holds everything longer.
const FIRST_OCTAVE: u32 = 6;
const LAST_OCTAVE: u32 = 36;
const SUB: u32 = 4;
/// Number of histogram buckets.
const BUCKETS: usize = 1 + ((LAST_OCTAVE - FIRST_OCTAVE) * SUB) as usize + 1;

/// The bucket of a duration of `ns` nanoseconds.
fn bucket_of(ns: u64) -> usize {
    if ns < 1 << FIRST_OCTAVE {
        return 0;
    }
    let octave = 63 - ns.leading_zeros();
    if octave >= LAST_OCTAVE {
        return BUCKETS - 1;
    }
    let sub = ((ns >> (octave - 2)) & 3) as u32;
    1 + ((octave - FIRST_OCTAVE) * SUB + sub) as usize
}

/// The `[lower, upper)` nanoseconds of bucket `i` (`upper` is `None` for the last).
fn bucket_bounds(i: usize) -> (u64, Option<u64>) {
    if i == 0 {
        return (0, Some(1 << FIRST_OCTAVE));
    }
    if i >= BUCKETS - 1 {
        return (1 << LAST_OCTAVE, None);
    }
    let octave = FIRST_OCTAVE + (i as u32 - 1) / SUB;
    let sub = (i as u64 - 1) % SUB as u64;
    let step = 1u64 << (octave - 2);
    let lower = (1u64 << octave) + sub * step;
    (lower, Some(lower + step))
}

/// One operation's live counters.
struct Slot {
    count: AtomicU64,
    errors: AtomicU64,
    sum_ns: AtomicU64,
    buckets: [AtomicU64; BUCKETS],
}

impl Slot {
    fn new() -> Slot {
        Slot {
            count: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            sum_ns: AtomicU64::new(0),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// The live metrics of one handle.
pub(crate) struct Registry {
    slots: Box<[Slot]>,
    /// When this registry was made: the origin of `next_publish_ns`.
    born: Instant,
    /// Nanoseconds after `born` when the op path next publishes.
    next_publish_ns: AtomicU64,
    /// This handle's published key (after the prefix): `<pid>-<token>`.
    id: String,
    /// Whether this handle already removed stale published entries.
    pruned: AtomicBool,
    /// Nanoseconds after `born` of the last publication (`u64::MAX`: never).
    last_published_ns: AtomicU64,
    /// Whether calls are recorded (see [`Store::set_metrics_recording`]).
    enabled: AtomicBool,
}

impl Registry {
    pub(crate) fn new() -> Registry {
        let token = crate::random::hex_token(4).unwrap_or_else(|_| "0".into());
        Registry {
            slots: (0..OP_NAMES.len()).map(|_| Slot::new()).collect(),
            born: Instant::now(),
            next_publish_ns: AtomicU64::new(PUBLISH_EVERY.as_nanos() as u64),
            id: format!("{}-{token}", std::process::id()),
            pruned: AtomicBool::new(false),
            enabled: AtomicBool::new(true),
            last_published_ns: AtomicU64::new(u64::MAX),
        }
    }

    /// Counts one call of `op`; returns the start time when this call is one to time.
    #[inline]
    fn start(&self, op: Op) -> Option<Instant> {
        let n = self.slots[op as usize].count.fetch_add(1, Relaxed);
        (n & (SAMPLE_EVERY - 1) == 0).then(Instant::now)
    }

    /// Records the end of a call begun with [`Registry::start`]; true when it is time to publish.
    #[inline]
    fn finish(&self, op: Op, failed: bool, started: Option<Instant>) -> bool {
        let slot = &self.slots[op as usize];
        if failed {
            slot.errors.fetch_add(1, Relaxed);
        }
        let Some(started) = started else {
            return false;
        };
        let now = Instant::now();
        let ns = now.duration_since(started).as_nanos().min(u64::MAX as u128) as u64;
        slot.sum_ns.fetch_add(ns, Relaxed);
        slot.buckets[bucket_of(ns)].fetch_add(1, Relaxed);
        let since = now.duration_since(self.born).as_nanos() as u64;
        let due = self.next_publish_ns.load(Relaxed);
        since >= due
            && self
                .next_publish_ns
                .compare_exchange(
                    due,
                    since + PUBLISH_EVERY.as_nanos() as u64,
                    Relaxed,
                    Relaxed,
                )
                .is_ok()
    }

    /// A consistent-enough copy of every slot that was called (each counter is read once).
    pub(crate) fn snapshot(&self) -> Metrics {
        let mut ops = BTreeMap::new();
        for (i, slot) in self.slots.iter().enumerate() {
            let count = slot.count.load(Relaxed);
            if count == 0 {
                continue;
            }
            let buckets: Vec<u64> = slot.buckets.iter().map(|b| b.load(Relaxed)).collect();
            let hist = Histogram {
                sum_ns: slot.sum_ns.load(Relaxed),
                buckets: buckets
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(|(i, n)| (i as u16, *n))
                    .collect(),
            };
            ops.insert(
                OP_NAMES[i].to_string(),
                OpMetrics::new(count, slot.errors.load(Relaxed), hist),
            );
        }
        Metrics { ops }
    }

    /// Writes this handle's snapshot into the store's metadata, best effort (metrics never fail
    /// a call); the first time, also removes entries older than [`PUBLISHED_KEEP_MS`].
    ///
    /// Unless `always` (close, and the op path's own every-[`PUBLISH_EVERY`] turn), at most once
    /// per [`FLUSH_PUBLISH_EVERY`]: an application that flushes after every write must not
    /// write twice per write.
    pub(crate) fn publish(&self, backend: &dyn Backend, now_ms: u64, always: bool) {
        let since = self.born.elapsed().as_nanos() as u64;
        let last = self.last_published_ns.load(Relaxed);
        let gap = FLUSH_PUBLISH_EVERY.as_nanos() as u64;
        if !always && last != u64::MAX && since < last.saturating_add(gap) {
            return;
        }
        self.last_published_ns.store(since, Relaxed);
        let metrics = self.snapshot();
        if metrics.ops.is_empty() {
            return;
        }
        if !self.pruned.swap(true, Relaxed) {
            let _ = prune(backend, now_ms);
        }
        let entry = Published {
            process: self.id.clone(),
            pid: std::process::id(),
            published_at_ms: now_ms,
            metrics,
        };
        if let Ok(bytes) = serde_json::to_vec(&entry) {
            let mut key = PUBLISHED_PREFIX.to_vec();
            key.extend_from_slice(self.id.as_bytes());
            let _ = backend.insert(&key, bytes);
        }
    }
}

/// Removes published entries older than [`PUBLISHED_KEEP_MS`] (or unreadable).
fn prune(backend: &dyn Backend, now_ms: u64) -> Result<()> {
    for (k, v) in read_published_raw(backend)? {
        let stale = match serde_json::from_slice::<Published>(&v) {
            Ok(p) => now_ms.saturating_sub(p.published_at_ms) > PUBLISHED_KEEP_MS,
            Err(_) => true,
        };
        if stale {
            backend.remove(&k)?;
        }
    }
    Ok(())
}

fn read_published_raw(backend: &dyn Backend) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    let mut lower: Bound<Vec<u8>> = Bound::Included(PUBLISHED_PREFIX.to_vec());
    loop {
        let page = backend.scan(
            lower.as_ref().map(Vec::as_slice),
            Bound::Excluded(PUBLISHED_END),
            false,
            256,
        )?;
        let full = page.len() == 256;
        if let Some((k, _)) = page.last() {
            lower = Bound::Excluded(k.clone());
        }
        out.extend(page);
        if !full {
            return Ok(out);
        }
    }
}

/// The timed calls of one operation: a sparse log-linear histogram.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Total nanoseconds of the timed calls.
    pub sum_ns: u64,
    /// `(bucket index, calls)` for every nonempty bucket, in index order.
    pub buckets: Vec<(u16, u64)>,
}

impl Histogram {
    /// Number of timed calls.
    pub fn timed(&self) -> u64 {
        self.buckets.iter().map(|(_, n)| n).sum()
    }

    /// The `q` quantile (0..=1) in microseconds, interpolated inside its bucket; 0 when empty.
    pub fn quantile_us(&self, q: f64) -> f64 {
        let total = self.timed();
        if total == 0 {
            return 0.0;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut before = 0;
        for &(i, n) in &self.buckets {
            if before + n >= rank {
                let (lo, hi) = bucket_bounds(i as usize);
                let ns = match hi {
                    None => lo as f64,
                    Some(hi) => lo as f64 + (hi - lo) as f64 * ((rank - before) as f64 / n as f64),
                };
                return ns / 1000.0;
            }
            before += n;
        }
        0.0
    }

    fn merge(&mut self, other: &Histogram) {
        self.sum_ns = self.sum_ns.saturating_add(other.sum_ns);
        let mut all: BTreeMap<u16, u64> = self.buckets.iter().copied().collect();
        for &(i, n) in &other.buckets {
            *all.entry(i).or_default() += n;
        }
        self.buckets = all.into_iter().collect();
    }
}

/// One operation's metrics.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpMetrics {
    /// Calls made (exact, successful or not).
    pub count: u64,
    /// Calls that returned an error (exact).
    pub errors: u64,
    /// Median latency of the timed calls, in microseconds.
    pub p50_us: f64,
    /// 99th percentile latency of the timed calls, in microseconds.
    pub p99_us: f64,
    /// The latency histogram the percentiles come from.
    pub histogram: Histogram,
}

impl OpMetrics {
    fn new(count: u64, errors: u64, histogram: Histogram) -> OpMetrics {
        OpMetrics {
            count,
            errors,
            p50_us: histogram.quantile_us(0.5),
            p99_us: histogram.quantile_us(0.99),
            histogram,
        }
    }
}

/// A snapshot of a handle's metrics: every operation called at least once, by name
/// (`"<primitive>.<op>"`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// The operations, by name.
    pub ops: BTreeMap<String, OpMetrics>,
}

impl Metrics {
    /// The JSON every door returns: `{"<primitive>.<op>": {"count", "errors", "p50_us",
    /// "p99_us"}, …}`.
    pub fn to_json(&self) -> String {
        let mut map = serde_json::Map::new();
        for (name, m) in &self.ops {
            map.insert(
                name.clone(),
                serde_json::json!({
                    "count": m.count,
                    "errors": m.errors,
                    "p50_us": m.p50_us,
                    "p99_us": m.p99_us,
                }),
            );
        }
        serde_json::Value::Object(map).to_string()
    }

    /// The Prometheus text exposition format (see [`prometheus_text`]).
    pub fn to_prometheus(&self) -> String {
        prometheus_text(&[(None, self)])
    }

    /// Adds `other` into this snapshot (counts, errors and histograms summed).
    pub fn merge(&mut self, other: &Metrics) {
        for (name, m) in &other.ops {
            let mine = self
                .ops
                .entry(name.clone())
                .or_insert_with(|| OpMetrics::new(0, 0, Histogram::default()));
            let mut hist = mine.histogram.clone();
            hist.merge(&m.histogram);
            *mine = OpMetrics::new(mine.count + m.count, mine.errors + m.errors, hist);
        }
    }
}

/// One process's (one handle's) metrics as published into a store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Published {
    /// `<pid>-<random token>`: one per handle.
    pub process: String,
    /// The publishing process's id.
    pub pid: u32,
    /// When it was published, in ms since the Unix epoch (the store's clock).
    pub published_at_ms: u64,
    /// What it had recorded then.
    pub metrics: Metrics,
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Seconds as Prometheus writes them (shortest exact decimal).
fn seconds(ns: u64) -> String {
    format!("{}", ns as f64 / 1e9)
}

/// The Prometheus text exposition format of several snapshots, each with an optional `process`
/// label: `grove_ops_total` and `grove_op_errors_total` (counters, exact) and the histogram
/// `grove_op_duration_seconds` of the timed calls, with buckets at every power of two
/// nanoseconds from 64 ns to ~68.7 s.
pub fn prometheus_text(entries: &[(Option<&str>, &Metrics)]) -> String {
    let labels = |process: Option<&str>, op: &str| match process {
        Some(p) => format!(
            "process=\"{}\",op=\"{}\"",
            escape_label(p),
            escape_label(op)
        ),
        None => format!("op=\"{}\"", escape_label(op)),
    };
    let mut out = String::new();
    out.push_str("# HELP grove_ops_total Calls of each Grove operation (exact).\n");
    out.push_str("# TYPE grove_ops_total counter\n");
    for (p, m) in entries {
        for (op, o) in &m.ops {
            let _ = writeln!(out, "grove_ops_total{{{}}} {}", labels(*p, op), o.count);
        }
    }
    out.push_str(
        "# HELP grove_op_errors_total Calls of each Grove operation that failed (exact).\n",
    );
    out.push_str("# TYPE grove_op_errors_total counter\n");
    for (p, m) in entries {
        for (op, o) in &m.ops {
            let _ = writeln!(
                out,
                "grove_op_errors_total{{{}}} {}",
                labels(*p, op),
                o.errors
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP grove_op_duration_seconds Latency of Grove operations (one call in {SAMPLE_EVERY} \
         of each is timed, the first always)."
    );
    out.push_str("# TYPE grove_op_duration_seconds histogram\n");
    for (p, m) in entries {
        for (op, o) in &m.ops {
            let l = labels(*p, op);
            let mut cumulative = 0u64;
            let mut next = o.histogram.buckets.iter().peekable();
            for octave in FIRST_OCTAVE..=LAST_OCTAVE {
                let le = 1u64 << octave;
                while let Some(&&(i, n)) = next.peek() {
                    if bucket_bounds(i as usize).1.is_some_and(|hi| hi <= le) {
                        cumulative += n;
                        next.next();
                    } else {
                        break;
                    }
                }
                let _ = writeln!(
                    out,
                    "grove_op_duration_seconds_bucket{{{l},le=\"{}\"}} {cumulative}",
                    seconds(le)
                );
            }
            let timed = o.histogram.timed();
            let _ = writeln!(
                out,
                "grove_op_duration_seconds_bucket{{{l},le=\"+Inf\"}} {timed}"
            );
            let _ = writeln!(
                out,
                "grove_op_duration_seconds_sum{{{l}}} {}",
                seconds(o.histogram.sum_ns)
            );
            let _ = writeln!(out, "grove_op_duration_seconds_count{{{l}}} {timed}");
        }
    }
    out
}

impl Store {
    /// Runs one call of `op`, counting it (and its error) and timing one in [`SAMPLE_EVERY`].
    #[inline]
    pub(crate) fn measured<T>(&self, op: Op, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let registry = self.metrics_registry();
        if !registry.enabled.load(Relaxed) {
            return f();
        }
        let started = registry.start(op);
        let out = f();
        if registry.finish(op, out.is_err(), started) {
            self.publish_metrics();
        }
        out
    }

    /// Turns recording off or on for this handle (on by default): the CLI's `stats` turns it off
    /// so inspecting a store does not show up in what it publishes, and the overhead benchmark
    /// measures against it. Not part of the API.
    #[doc(hidden)]
    pub fn set_metrics_recording(&self, on: bool) {
        self.metrics_registry().enabled.store(on, Relaxed);
    }

    /// This handle's metrics: every operation called through it, its clones and its namespace
    /// views since it was opened (another `open` of the same store in this process has its own).
    /// `Closed` after close, as every call.
    pub fn metrics(&self) -> Result<Metrics> {
        self.check_open()?;
        Ok(self.metrics_registry().snapshot())
    }

    /// [`Store::metrics`] in the JSON every door hands out (see [`Metrics::to_json`]).
    pub fn metrics_json(&self) -> Result<String> {
        Ok(self.metrics()?.to_json())
    }

    /// [`Store::metrics`] in the Prometheus text exposition format.
    pub fn metrics_prometheus(&self) -> Result<String> {
        Ok(self.metrics()?.to_prometheus())
    }

    /// What the handles that used this store published (see the module docs), oldest process
    /// id first; this handle's own calls are included as published at its last flush.
    pub fn published_metrics(&self) -> Result<Vec<Published>> {
        let backend = self.backend()?;
        let mut out = Vec::new();
        for (_, v) in read_published_raw(&*backend)? {
            let p: Published = serde_json::from_slice(&v)
                .map_err(|e| Error::corrupt(format!("published metrics are unreadable: {e}")))?;
            out.push(p);
        }
        out.sort_by(|a, b| (a.pid, &a.process).cmp(&(b.pid, &b.process)));
        Ok(out)
    }

    /// [`Store::published_metrics`] in the Prometheus text format, one `process` label each.
    pub fn published_metrics_prometheus(&self) -> Result<String> {
        let published = self.published_metrics()?;
        let entries: Vec<_> = published
            .iter()
            .map(|p| (Some(p.process.as_str()), &p.metrics))
            .collect();
        Ok(prometheus_text(&entries))
    }

    /// [`Store::published_metrics`] as JSON: `{"total": {op: {count, errors, p50_us, p99_us}},
    /// "processes": {process: {"pid", "published_at_ms", "ops": {…}}}}`.
    pub fn published_metrics_json(&self) -> Result<String> {
        let published = self.published_metrics()?;
        let mut total = Metrics::default();
        let mut processes = serde_json::Map::new();
        for p in &published {
            total.merge(&p.metrics);
            let ops: serde_json::Value = serde_json::from_str(&p.metrics.to_json())
                .map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?;
            processes.insert(
                p.process.clone(),
                serde_json::json!({"pid": p.pid, "published_at_ms": p.published_at_ms, "ops": ops}),
            );
        }
        let total: serde_json::Value = serde_json::from_str(&total.to_json())
            .map_err(|e| Error::new(ErrorKind::Internal, e.to_string()))?;
        Ok(serde_json::json!({"total": total, "processes": processes}).to_string())
    }

    /// Publishes this handle's metrics now (best effort; nothing on an in-memory store).
    pub(crate) fn publish_metrics(&self) {
        if !self.publishes_metrics() {
            return;
        }
        if let Ok(backend) = self.backend() {
            self.metrics_registry()
                .publish(&*backend, self.now_ms(), true);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_duration_in_order() {
        let mut last = 0;
        for ns in (0..200_000u64).chain([1 << 35, (1 << 36) - 1, 1 << 36, u64::MAX]) {
            let b = bucket_of(ns);
            assert!(b >= last || ns == 1 << 35, "{ns}");
            let (lo, hi) = bucket_bounds(b);
            assert!(
                lo <= ns && hi.is_none_or(|h| ns < h),
                "{ns} in {b}: {lo}..{hi:?}"
            );
            last = b;
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_interpolate_in_their_bucket() {
        let h = Histogram {
            sum_ns: 0,
            buckets: vec![
                (bucket_of(1000) as u16, 50),
                (bucket_of(100_000) as u16, 50),
            ],
        };
        let p50 = h.quantile_us(0.5);
        let p99 = h.quantile_us(0.99);
        assert!((0.75..=1.25).contains(&p50), "{p50}");
        assert!((75.0..=125.0).contains(&p99), "{p99}");
    }
}
