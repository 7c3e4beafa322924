//! Native halves of the ordered primitives: the leaderboard and the job queue. As in `coord.rs`,
//! every method checks that its store is still open first, so anything made from a closed store
//! throws code `Closed`. Waiting for a job (`Queue.dequeueWait`) lives in index.js and
//! promises.js, polling `dequeue` on timers, so the event loop never blocks and no thread
//! sleeps; the core's blocking `dequeue_wait` is deliberately not exposed.

use crate::coord::{open_check, u64_out, whole};
use crate::{guard, Result};
use grove_core::{Job, Leaderboard, Queue, Ranked, Store};
use napi::bindgen_prelude::{BigInt, Buffer, Either};
use napi_derive::napi;

/// Seconds from JS (validated by the core: finite, >= 0, at most 100 years).
fn secs(v: f64) -> grove_core::Result<std::time::Duration> {
    grove_core::ttl_from_secs(v)
}

/// A job id from JS: a safe-integer number or (past 2^53-1) a bigint; index.js range-checks it.
pub(crate) fn job_id(id: &Either<f64, BigInt>) -> grove_core::Result<u64> {
    match id {
        Either::A(n) => whole(*n, "job id"),
        Either::B(b) => match b.get_u64() {
            (false, v, true) => Ok(v),
            _ => Err(grove_core::Error::new(
                grove_core::ErrorKind::InvalidArgument,
                "job id must be a whole number from 0 to 2^64-1",
            )),
        },
    }
}

/// The store-side constructors (called from `NativeStore` in lib.rs).
pub(crate) fn leaderboard(store: &Store, name: &str) -> Result<NativeLeaderboard> {
    guard(|| {
        open_check(store)?;
        Ok(NativeLeaderboard {
            inner: store.leaderboard(name)?,
            store: store.clone(),
        })
    })
}

/// `queue(name, visibilityTimeout, maxAttempts)`: `maxAttempts` arrives as a JS number, so it
/// is checked to fit a u32.
pub(crate) fn queue(
    store: &Store,
    name: &str,
    visibility_timeout_secs: f64,
    max_attempts: f64,
) -> Result<NativeQueue> {
    guard(|| {
        open_check(store)?;
        let max = whole(max_attempts, "maxAttempts")?;
        let max = u32::try_from(max).map_err(|_| {
            grove_core::Error::new(
                grove_core::ErrorKind::InvalidArgument,
                format!("maxAttempts must be at most {}, got {max}", u32::MAX),
            )
        })?;
        Ok(NativeQueue {
            inner: store.queue(name, secs(visibility_timeout_secs)?, max)?,
            store: store.clone(),
        })
    })
}

/// A member with its score and rank, as `top`/`range`/`around` return it.
#[napi(object)]
pub struct NativeRanked {
    /// The member.
    pub member: String,
    /// Its score.
    pub score: f64,
    /// Its position, 0 for the highest score (exact: no board holds 2^53 members).
    pub rank: f64,
}

impl From<Ranked> for NativeRanked {
    fn from(r: Ranked) -> Self {
        NativeRanked {
            member: r.member,
            score: r.score,
            rank: r.rank as f64,
        }
    }
}

fn ranked(v: Vec<Ranked>) -> Vec<NativeRanked> {
    v.into_iter().map(NativeRanked::from).collect()
}

/// A leaderboard `lb:<name>:` (native half of `Leaderboard` in index.js).
#[napi]
pub struct NativeLeaderboard {
    /// The Rust leaderboard this object wraps.
    pub(crate) inner: Leaderboard,
    /// The store it came from: each call checks that handle is still open (`Closed` otherwise).
    pub(crate) store: Store,
}

#[napi]
impl NativeLeaderboard {
    /// Sets `member`'s score (adding the member if new); `InvalidArgument` for NaN/±Infinity.
    #[napi]
    pub fn add(&self, member: String, score: f64) -> Result<()> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.add(&member, score)
        })
    }

    /// Adds `delta` to `member`'s score (from 0 if new); returns the new score.
    #[napi]
    pub fn incr(&self, member: String, delta: f64) -> Result<f64> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.incr(&member, delta)
        })
    }

    /// `member`'s score, or null.
    #[napi]
    pub fn score(&self, member: String) -> Result<Option<f64>> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.score(&member)
        })
    }

    /// `member`'s rank (0 = highest, ties by member), or null.
    #[napi]
    pub fn rank(&self, member: String) -> Result<Option<f64>> {
        guard(|| {
            open_check(&self.store)?;
            Ok(self.inner.rank(&member)?.map(|r| r as f64))
        })
    }

    /// Members ranked in `[start, stop)`; a null `stop` means to the end.
    #[napi]
    pub fn range(&self, start: f64, stop: Option<f64>) -> Result<Vec<NativeRanked>> {
        guard(|| {
            open_check(&self.store)?;
            let start = whole(start, "start")?;
            let stop = match stop {
                None => u64::MAX,
                Some(s) => whole(s, "stop")?,
            };
            Ok(ranked(self.inner.range(start, stop)?))
        })
    }

    /// `member` with up to `n` members ranked above and `n` below; empty if absent.
    #[napi]
    pub fn around(&self, member: String, n: f64) -> Result<Vec<NativeRanked>> {
        guard(|| {
            open_check(&self.store)?;
            Ok(ranked(self.inner.around(&member, whole(n, "n")?)?))
        })
    }

    /// Removes `member`; true if it was there.
    #[napi]
    pub fn remove(&self, member: String) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.remove(&member)
        })
    }

    /// Number of members.
    #[napi]
    pub fn len(&self) -> Result<f64> {
        guard(|| {
            open_check(&self.store)?;
            Ok(self.inner.len()? as f64)
        })
    }

    /// Removes every member; returns how many there were.
    #[napi]
    pub fn clear(&self) -> Result<f64> {
        guard(|| {
            open_check(&self.store)?;
            Ok(self.inner.clear()? as f64)
        })
    }
}

/// A delivered or dead job (native half of `Job` in index.js).
#[napi(object)]
pub struct NativeJob {
    /// The job's id, unique in its queue (a bigint only past 2^53-1).
    pub id: Either<f64, BigInt>,
    /// The bytes given to `enqueue`.
    pub payload: Buffer,
    /// Deliveries so far, this one included.
    pub attempts: u32,
    /// When it was enqueued, in ms since the Unix epoch.
    pub enqueued_at_ms: f64,
}

impl From<Job> for NativeJob {
    fn from(j: Job) -> Self {
        NativeJob {
            id: u64_out(j.id),
            payload: Buffer::from(j.payload),
            attempts: j.attempts,
            enqueued_at_ms: j.enqueued_at_ms as f64,
        }
    }
}

/// Counts of jobs by state.
#[napi(object)]
pub struct NativeQueueStats {
    /// Waiting for delivery (delayed jobs included).
    pub ready: f64,
    /// Delivered and not yet acked or nacked.
    pub in_flight: f64,
    /// On the dead-letter list.
    pub dead: f64,
}

/// A job queue `queue:<name>:` (native half of `Queue` in index.js).
#[napi]
pub struct NativeQueue {
    /// The Rust queue this object wraps.
    pub(crate) inner: Queue,
    /// The store it came from: each call checks that handle is still open (`Closed` otherwise).
    pub(crate) store: Store,
}

#[napi]
impl NativeQueue {
    /// Adds a job deliverable after `delay` seconds (default 0); returns its id.
    #[napi]
    pub fn enqueue(
        &self,
        payload: Either<String, Buffer>,
        delay_secs: Option<f64>,
    ) -> Result<Either<f64, BigInt>> {
        guard(|| {
            open_check(&self.store)?;
            let delay = secs(delay_secs.unwrap_or(0.0))?;
            Ok(u64_out(self.inner.enqueue(crate::bytes(&payload), delay)?))
        })
    }

    /// One attempt: delivers the oldest ready job (or one whose visibility timeout passed), or null.
    #[napi]
    pub fn dequeue(&self) -> Result<Option<NativeJob>> {
        guard(|| {
            open_check(&self.store)?;
            Ok(self.inner.dequeue()?.map(NativeJob::from))
        })
    }

    /// Marks a delivered job done and removes it; false if it is not in flight.
    #[napi]
    pub fn ack(&self, id: Either<f64, BigInt>) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.ack(job_id(&id)?)
        })
    }

    /// Gives a delivered job back, deliverable again after `delay` seconds; false if not in flight.
    #[napi]
    pub fn nack(&self, id: Either<f64, BigInt>, delay_secs: Option<f64>) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            let delay = secs(delay_secs.unwrap_or(0.0))?;
            self.inner.nack(job_id(&id)?, delay)
        })
    }

    /// Counts of ready, in-flight and dead jobs.
    #[napi]
    pub fn stats(&self) -> Result<NativeQueueStats> {
        guard(|| {
            open_check(&self.store)?;
            let s = self.inner.stats()?;
            Ok(NativeQueueStats {
                ready: s.ready as f64,
                in_flight: s.in_flight as f64,
                dead: s.dead as f64,
            })
        })
    }

    /// The jobs on the dead-letter list, oldest first.
    #[napi]
    pub fn dead_letters(&self) -> Result<Vec<NativeJob>> {
        guard(|| {
            open_check(&self.store)?;
            Ok(self
                .inner
                .dead_letters()?
                .into_iter()
                .map(NativeJob::from)
                .collect())
        })
    }
}
