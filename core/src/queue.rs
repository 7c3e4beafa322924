//! The job queue under `queue:<name>:`: every state change (enqueue, deliver, ack, nack, dead-
//! letter) is one transaction over known keys, so no job is handed to two consumers at once and
//! none is lost; on a durable store a job survives a crash once `enqueue` returned.
//!
//! Keys: `queue:<name>:meta` (next id and counts), `queue:<name>:j:<id>` (the job),
//! `queue:<name>:s:<visible_at><id>` (the schedule: when the job may next be delivered — its
//! delay for a ready job, its visibility deadline for a delivered one), and
//! `queue:<name>:d:<id>` (dead letters). Times and ids are fixed-width hex, so byte order is
//! time order and FIFO holds among jobs ready at the same moment.
//!
//! An engine with native queues (Redis) keeps them in its own types instead, every operation one
//! atomic step there (see `backend::caps::NativeQueue`), and the code here only calls it; a
//! queue it finds in the layout above (written by an earlier build) is moved over first.

use crate::backend::caps::{Delivered, Dequeued, Enqueued, Imported, NativeQueue, QueueStep};
use crate::backend::{Backend, Txn};
use crate::error::{Error, Result};
use crate::kv::prefix_end;
use crate::leaderboard::check_name;
use crate::store::{check_value, ttl_ms, Store};
use crate::value::{encode, Entry, Kind};
use std::ops::Bound;
use std::time::{Duration, Instant};

const READY: u8 = 0;
const IN_FLIGHT: u8 = 1;
const DEAD: u8 = 2;
/// Schedule entries examined per dequeue attempt.
const SCAN: usize = 32;
/// Times a native operation moves an earlier layout over and asks again before giving up
/// (each time another process is still writing that layout: an earlier build).
const MIGRATE_TRIES: usize = 8;

/// A delivered (or dead) job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The job's id, unique in its queue.
    pub id: u64,
    /// The bytes given to `enqueue`.
    pub payload: Vec<u8>,
    /// How many times the job has been delivered, this delivery included.
    pub attempts: u32,
    /// When it was enqueued, in ms since the Unix epoch.
    pub enqueued_at_ms: u64,
}

/// Counts of jobs by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    /// Waiting for delivery (including delayed jobs).
    pub ready: u64,
    /// Delivered and neither acked nor nacked (a job whose visibility timeout passed stays here
    /// until it is delivered again).
    pub in_flight: u64,
    /// Moved to the dead-letter list after `max_attempts` deliveries.
    pub dead: u64,
}

/// A FIFO job queue with visibility timeouts, retries and a dead-letter list.
#[derive(Debug, Clone)]
pub struct Queue {
    store: Store,
    prefix: String,
    /// Physical key prefix (`prefix` in the store), kept for the native operations, which
    /// take it on every call.
    pk_prefix: Vec<u8>,
    visibility_timeout: Duration,
    max_attempts: u32,
}

#[derive(Debug, Clone, Default)]
struct Meta {
    next_id: u64,
    stats: QueueStats,
}

#[derive(Debug, Clone)]
struct JobRec {
    state: u8,
    attempts: u32,
    enqueued_at: u64,
    visible_at: u64,
    payload: Vec<u8>,
}

fn u64_at(p: &[u8], i: usize) -> u64 {
    u64::from_be_bytes(p[i..i + 8].try_into().expect("length checked"))
}

impl Meta {
    fn decode(raw: &[u8], key: &[u8]) -> Result<Meta> {
        let e = Entry::decode(raw)?;
        e.expect(Kind::Queue, key)?;
        let p = e.payload;
        if p.len() != 32 {
            return Err(Error::corrupt("queue meta has a bad length"));
        }
        Ok(Meta {
            next_id: u64_at(p, 0),
            stats: QueueStats {
                ready: u64_at(p, 8),
                in_flight: u64_at(p, 16),
                dead: u64_at(p, 24),
            },
        })
    }

    fn encode(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(32);
        for v in [
            self.next_id,
            self.stats.ready,
            self.stats.in_flight,
            self.stats.dead,
        ] {
            p.extend_from_slice(&v.to_be_bytes());
        }
        encode(Kind::Queue, None, &p)
    }

    fn count(&mut self, state: u8) -> &mut u64 {
        match state {
            READY => &mut self.stats.ready,
            IN_FLIGHT => &mut self.stats.in_flight,
            _ => &mut self.stats.dead,
        }
    }

    /// Moves one job's count from state `from` to state `to`.
    fn shift(&mut self, from: u8, to: u8) {
        let f = self.count(from);
        *f = f.saturating_sub(1);
        *self.count(to) += 1;
    }
}

impl JobRec {
    fn decode(raw: &[u8], key: &[u8]) -> Result<JobRec> {
        let e = Entry::decode(raw)?;
        e.expect(Kind::Queue, key)?;
        let p = e.payload;
        if p.len() < 21 || p[0] > DEAD {
            return Err(Error::corrupt("queue job record is malformed"));
        }
        Ok(JobRec {
            state: p[0],
            attempts: u32::from_be_bytes(p[1..5].try_into().expect("length checked")),
            enqueued_at: u64_at(p, 5),
            visible_at: u64_at(p, 13),
            payload: p[21..].to_vec(),
        })
    }

    fn encode(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(21 + self.payload.len());
        p.push(self.state);
        p.extend_from_slice(&self.attempts.to_be_bytes());
        p.extend_from_slice(&self.enqueued_at.to_be_bytes());
        p.extend_from_slice(&self.visible_at.to_be_bytes());
        p.extend_from_slice(&self.payload);
        encode(Kind::Queue, None, &p)
    }

    fn job(&self, id: u64) -> Job {
        Job {
            id,
            payload: self.payload.clone(),
            attempts: self.attempts,
            enqueued_at_ms: self.enqueued_at,
        }
    }
}

impl Store {
    /// The queue `name` (keys under `queue:<name>:`, `name` without ':'): delivered jobs are
    /// invisible for `visibility_timeout`; a job delivered `max_attempts` times without an ack
    /// goes to the dead-letter list instead of being delivered again.
    pub fn queue(
        &self,
        name: &str,
        visibility_timeout: Duration,
        max_attempts: u32,
    ) -> Result<Queue> {
        check_name(name, "queue")?;
        if visibility_timeout.is_zero() {
            return Err(Error::invalid(
                "visibility timeout must be greater than zero",
            ));
        }
        if max_attempts == 0 {
            return Err(Error::invalid("max_attempts must be at least 1"));
        }
        let prefix = format!("queue:{name}:");
        // Checks the longest key this queue will write.
        self.data_key(format!("{prefix}s:{:016x}{:016x}", 0, 0).as_bytes())?;
        let pk_prefix = self.data_key(prefix.as_bytes())?;
        Ok(Queue {
            store: self.clone(),
            prefix,
            pk_prefix,
            visibility_timeout,
            max_attempts,
        })
    }
}

impl Queue {
    fn key(&self, suffix: &str) -> Vec<u8> {
        format!("{}{suffix}", self.prefix).into_bytes()
    }

    fn pk(&self, suffix: &str) -> Result<Vec<u8>> {
        self.store.data_key(&self.key(suffix))
    }

    fn job_suffix(id: u64) -> String {
        format!("j:{id:016x}")
    }

    fn sched_suffix(at: u64, id: u64) -> String {
        format!("s:{at:016x}{id:016x}")
    }

    /// Runs `f` on the engine's native queues with this queue's physical prefix, if the engine
    /// has them (see `backend::caps`): `None` when it has not. A queue still in the generic
    /// layout is moved into the engine's types first.
    fn native<T>(
        &self,
        mut f: impl FnMut(&dyn NativeQueue, &[u8]) -> Result<QueueStep<T>>,
    ) -> Result<Option<T>> {
        let backend = self.store.backend()?;
        let Some(n) = backend.native_queue() else {
            return Ok(None);
        };
        for _ in 0..MIGRATE_TRIES {
            match f(n, &self.pk_prefix)? {
                QueueStep::Done(t) => return Ok(Some(t)),
                QueueStep::Legacy => self.migrate(&*backend, n)?,
            }
        }
        Err(Error::new(
            crate::ErrorKind::Internal,
            format!(
                "queue '{}' keeps reappearing in the layout of builds before native queues: stop \
                 the processes of an earlier build that still use it",
                self.prefix
            ),
        ))
    }

    /// Moves this queue from the generic layout (records under `queue:<name>:`, as earlier
    /// builds wrote it on every engine) into the engine's native one, in one step; the records
    /// are read (and opened, when sealed) here first. Earlier builds must no longer write it:
    /// a job they add after the read would be deleted with the old records.
    fn migrate(&self, backend: &dyn Backend, n: &dyn NativeQueue) -> Result<()> {
        let key = self.key("meta");
        let Some(raw) = backend.get(&self.store.data_key(&key)?)? else {
            return Ok(()); // moved by another process meanwhile
        };
        let meta = Meta::decode(&raw, &key)?;
        let start = self.pk("j:")?;
        let mut jobs = Vec::new();
        scan_prefix(backend, &start, |k, v| {
            let id = std::str::from_utf8(&k[start.len()..])
                .ok()
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .ok_or_else(|| Error::corrupt("malformed queue job key"))?;
            let rec = JobRec::decode(v, &k[1..])?;
            jobs.push(Imported {
                state: match rec.state {
                    READY => "ready",
                    IN_FLIGHT => "in_flight",
                    _ => "dead",
                },
                visible_at: rec.visible_at,
                job: Delivered {
                    id,
                    payload: rec.payload,
                    attempts: rec.attempts,
                    enqueued_at: rec.enqueued_at,
                    form: String::new(),
                },
            });
            Ok(())
        })?;
        n.queue_import(
            &self.pk_prefix,
            meta.next_id.saturating_sub(1),
            meta.stats,
            jobs,
        )?;
        Ok(())
    }

    fn read_meta(&self, tx: &mut dyn Txn) -> Result<Meta> {
        let key = self.key("meta");
        match tx.get(&self.store.data_key(&key)?)? {
            None => Ok(Meta {
                next_id: 1,
                ..Meta::default()
            }),
            Some(raw) => Meta::decode(&raw, &key),
        }
    }

    fn write_meta(&self, tx: &mut dyn Txn, meta: &Meta) -> Result<()> {
        tx.put(&self.pk("meta")?, meta.encode())
    }

    fn read_job(&self, tx: &mut dyn Txn, id: u64) -> Result<Option<JobRec>> {
        let suffix = Self::job_suffix(id);
        match tx.get(&self.pk(&suffix)?)? {
            None => Ok(None),
            Some(raw) => JobRec::decode(&raw, &self.key(&suffix)).map(Some),
        }
    }

    fn transact<T>(&self, mut f: impl FnMut(&mut dyn Txn) -> Result<T>) -> Result<T> {
        let mut out = None;
        self.store.backend()?.transaction(&mut |tx| {
            out = Some(f(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::new(crate::ErrorKind::Internal, "transaction never ran"))
    }

    /// Adds a job, deliverable after `delay`; returns its id.
    pub fn enqueue(&self, payload: &[u8], delay: Duration) -> Result<u64> {
        self.store.measured(crate::metrics::Op::QueueEnqueue, || {
            check_value(payload)?;
            let native = self.native(|n, prefix| {
                n.queue_enqueue(
                    prefix,
                    payload,
                    "",
                    None,
                    self.store.now_ms(),
                    ttl_ms(delay),
                )
            })?;
            if let Some(step) = native {
                let Enqueued::Id(id) = step else {
                    return Err(Error::new(
                        crate::ErrorKind::Internal,
                        "an enqueue that expected no id was refused",
                    ));
                };
                self.store.wrote()?;
                self.store.bell().ring();
                return Ok(id);
            }
            let id = self.transact(|tx| {
                // The time is read inside the transaction that takes the id: writers (processes)
                // are serialized there, so a later id never gets an earlier place in the schedule.
                let now = self.store.now_ms();
                let at = now.saturating_add(ttl_ms(delay));
                let mut meta = self.read_meta(tx)?;
                let id = meta.next_id;
                meta.next_id += 1;
                meta.stats.ready += 1;
                self.write_meta(tx, &meta)?;
                let rec = JobRec {
                    state: READY,
                    attempts: 0,
                    enqueued_at: now,
                    visible_at: at,
                    payload: payload.to_vec(),
                };
                tx.put(&self.pk(&Self::job_suffix(id))?, rec.encode())?;
                tx.put(
                    &self.pk(&Self::sched_suffix(at, id))?,
                    encode(Kind::Queue, None, &[]),
                )?;
                Ok(id)
            })?;
            self.store.wrote()?;
            self.store.bell().ring();
            Ok(id)
        })
    }

    /// Schedule entries that are due now, oldest first: `(visible_at, id)`.
    fn due(&self, now: u64) -> Result<Vec<(u64, u64)>> {
        let start = self.pk("s:")?;
        let end = self.pk(&Self::sched_suffix(now, u64::MAX))?;
        let page = self.store.backend()?.scan(
            Bound::Included(&start),
            Bound::Included(&end),
            false,
            SCAN,
        )?;
        page.iter()
            .map(|(k, _)| {
                let hex = std::str::from_utf8(&k[start.len()..])
                    .ok()
                    .filter(|h| h.len() == 32)
                    .ok_or_else(|| Error::corrupt("malformed queue schedule key"))?;
                let at = u64::from_str_radix(&hex[..16], 16);
                let id = u64::from_str_radix(&hex[16..], 16);
                match (at, id) {
                    (Ok(at), Ok(id)) => Ok((at, id)),
                    _ => Err(Error::corrupt("malformed queue schedule key")),
                }
            })
            .collect()
    }

    /// Delivers the oldest ready job (or one whose visibility timeout passed), or `None`.
    pub fn dequeue(&self) -> Result<Option<Job>> {
        self.store.measured(crate::metrics::Op::QueueDequeue, || {
            self.dequeue_unmeasured()
        })
    }

    fn dequeue_unmeasured(&self) -> Result<Option<Job>> {
        let native = self.native(|n, prefix| {
            let vis = ttl_ms(self.visibility_timeout);
            n.queue_dequeue(prefix, self.store.now_ms(), vis, self.max_attempts, &[])
        })?;
        if let Some(found) = native {
            // A dequeue that only dead-lettered jobs changed the store too.
            self.store.wrote()?;
            return match found {
                Dequeued::Job(d) => Ok(Some(job_of(d))),
                Dequeued::Empty => Ok(None),
                Dequeued::Sealed(_) => Err(Error::new(
                    crate::ErrorKind::Internal,
                    "a sealed job reached the queue unopened",
                )),
            };
        }
        loop {
            let now = self.store.now_ms();
            let due = self.due(now)?;
            if due.is_empty() {
                return Ok(None);
            }
            let mut changed = false;
            for (at, id) in due {
                let outcome = self.transact(|tx| self.claim(tx, at, id, now))?;
                match outcome {
                    Claim::Delivered(job) => {
                        self.store.wrote()?;
                        return Ok(Some(job));
                    }
                    Claim::Dead => changed = true,
                    Claim::Gone => {}
                }
            }
            if changed {
                self.store.wrote()?;
            }
            // Every candidate was taken by someone else or dead-lettered: look again.
        }
    }

    fn claim(&self, tx: &mut dyn Txn, at: u64, id: u64, now: u64) -> Result<Claim> {
        let sched = self.pk(&Self::sched_suffix(at, id))?;
        if tx.get(&sched)?.is_none() {
            return Ok(Claim::Gone);
        }
        let Some(mut rec) = self.read_job(tx, id)? else {
            // A schedule entry without its job cannot be delivered; drop it.
            tx.delete(&sched)?;
            return Ok(Claim::Gone);
        };
        let mut meta = self.read_meta(tx)?;
        tx.delete(&sched)?;
        let from = rec.state;
        if rec.attempts >= self.max_attempts {
            rec.state = DEAD;
            meta.shift(from, DEAD);
            tx.put(
                &self.pk(&format!("d:{id:016x}"))?,
                encode(Kind::Queue, None, &[]),
            )?;
            tx.put(&self.pk(&Self::job_suffix(id))?, rec.encode())?;
            self.write_meta(tx, &meta)?;
            return Ok(Claim::Dead);
        }
        let deadline = now.saturating_add(ttl_ms(self.visibility_timeout));
        rec.state = IN_FLIGHT;
        rec.attempts += 1;
        rec.visible_at = deadline;
        meta.shift(from, IN_FLIGHT);
        tx.put(
            &self.pk(&Self::sched_suffix(deadline, id))?,
            encode(Kind::Queue, None, &[]),
        )?;
        tx.put(&self.pk(&Self::job_suffix(id))?, rec.encode())?;
        self.write_meta(tx, &meta)?;
        Ok(Claim::Delivered(rec.job(id)))
    }

    /// Like [`Queue::dequeue`], waiting up to `timeout` for a job: woken at once by an enqueue in
    /// this process; it also looks again after a pause growing to 50 ms (a few ms on a store
    /// other processes share, whose enqueues ring no bell here), so a delayed job or an expired
    /// lease is picked up too. Never spins hot.
    pub fn dequeue_wait(&self, timeout: Duration) -> Result<Option<Job>> {
        self.store
            .measured(crate::metrics::Op::QueueDequeueWait, || {
                let deadline = Instant::now() + timeout;
                let mut pause = Duration::from_millis(1);
                loop {
                    // Read before trying, so an enqueue landing between the try and the wait still wakes.
                    let seen = self.store.bell().count();
                    if let Some(job) = self.dequeue_unmeasured()? {
                        return Ok(Some(job));
                    }
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(None);
                    }
                    self.store
                        .bell()
                        .wait(seen, self.store.wait_pause(pause).min(deadline - now));
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
            })
    }

    /// Settles an in-flight job in one transaction: takes it off the schedule and lets `then`
    /// finish the move (with the job and the meta to update). False if it is not in flight.
    fn settle(
        &self,
        id: u64,
        mut then: impl FnMut(&mut dyn Txn, JobRec, &mut Meta) -> Result<()>,
    ) -> Result<bool> {
        let done = self.transact(|tx| {
            let Some(rec) = self.read_job(tx, id)? else {
                return Ok(false);
            };
            if rec.state != IN_FLIGHT {
                return Ok(false);
            }
            let mut meta = self.read_meta(tx)?;
            tx.delete(&self.pk(&Self::sched_suffix(rec.visible_at, id))?)?;
            then(tx, rec, &mut meta)?;
            self.write_meta(tx, &meta)?;
            Ok(true)
        })?;
        if done {
            self.store.wrote()?;
        }
        Ok(done)
    }

    /// Marks a delivered job done and removes it; false if it is not in flight.
    pub fn ack(&self, id: u64) -> Result<bool> {
        self.store.measured(crate::metrics::Op::QueueAck, || {
            if let Some(acked) = self.native(|n, prefix| n.queue_settle(prefix, id, None))? {
                if acked {
                    self.store.wrote()?;
                }
                return Ok(acked);
            }
            self.settle(id, |tx, _, meta| {
                meta.stats.in_flight = meta.stats.in_flight.saturating_sub(1);
                tx.delete(&self.pk(&Self::job_suffix(id))?)
            })
        })
    }

    /// Gives a delivered job back, deliverable again after `delay`; false if it is not in flight.
    pub fn nack(&self, id: u64, delay: Duration) -> Result<bool> {
        self.store.measured(crate::metrics::Op::QueueNack, || {
            let native = self.native(|n, prefix| {
                n.queue_settle(prefix, id, Some((self.store.now_ms(), ttl_ms(delay))))
            })?;
            if let Some(back) = native {
                if back {
                    self.store.wrote()?;
                    self.store.bell().ring();
                }
                return Ok(back);
            }
            let at = self.store.now_ms().saturating_add(ttl_ms(delay));
            let back = self.settle(id, |tx, mut rec, meta| {
                meta.shift(IN_FLIGHT, READY);
                rec.state = READY;
                rec.visible_at = at;
                let sched = self.pk(&Self::sched_suffix(at, id))?;
                tx.put(&sched, encode(Kind::Queue, None, &[]))?;
                tx.put(&self.pk(&Self::job_suffix(id))?, rec.encode())
            })?;
            if back {
                self.store.bell().ring();
            }
            Ok(back)
        })
    }

    /// Counts of ready, in-flight and dead jobs.
    pub fn stats(&self) -> Result<QueueStats> {
        self.store.measured(crate::metrics::Op::QueueStats, || {
            if let Some(stats) = self.native(|n, prefix| n.queue_stats(prefix))? {
                return Ok(stats);
            }
            let key = self.key("meta");
            match self.store.read_live(&self.store.data_key(&key)?)? {
                None => Ok(QueueStats::default()),
                Some(raw) => Ok(Meta::decode(&raw, &key)?.stats),
            }
        })
    }

    /// The jobs on the dead-letter list, oldest first.
    pub fn dead_letters(&self) -> Result<Vec<Job>> {
        self.store
            .measured(crate::metrics::Op::QueueDeadLetters, || {
                if let Some(jobs) = self.native(|n, prefix| n.queue_dead_letters(prefix))? {
                    return Ok(jobs.into_iter().map(job_of).collect());
                }
                let start = self.pk("d:")?;
                let mut out = Vec::new();
                scan_prefix(&*self.store.backend()?, &start, |k, _| {
                    let hex = std::str::from_utf8(&k[start.len()..])
                        .map_err(|_| Error::corrupt("malformed dead-letter key"))?;
                    let id = u64::from_str_radix(hex, 16)
                        .map_err(|_| Error::corrupt("malformed dead-letter key"))?;
                    let suffix = Self::job_suffix(id);
                    if let Some(raw) = self.store.read_live(&self.pk(&suffix)?)? {
                        out.push(JobRec::decode(&raw, &self.key(&suffix))?.job(id));
                    }
                    Ok(())
                })?;
                Ok(out)
            })
    }
}

/// Calls `f` on every entry whose physical key starts with `start`, in key order, a page of 256
/// at a time (so a long queue is never read whole into memory at once).
fn scan_prefix(
    backend: &dyn Backend,
    start: &[u8],
    mut f: impl FnMut(&[u8], &[u8]) -> Result<()>,
) -> Result<()> {
    let end = prefix_end(start);
    let end = match &end {
        Bound::Excluded(e) => Bound::Excluded(e.as_slice()),
        _ => Bound::Unbounded,
    };
    let mut from = start.to_vec();
    let mut first = true;
    loop {
        let lower = if first {
            Bound::Included(from.as_slice())
        } else {
            Bound::Excluded(from.as_slice())
        };
        let page = backend.scan(lower, end, false, 256)?;
        for (k, v) in &page {
            f(k, v)?;
        }
        match page.last() {
            Some((k, _)) if page.len() == 256 => {
                from = k.clone();
                first = false;
            }
            _ => break,
        }
    }
    Ok(())
}

/// A job as the engine delivered it (its payload already opened by the codec).
fn job_of(d: Delivered) -> Job {
    Job {
        id: d.id,
        payload: d.payload,
        attempts: d.attempts,
        enqueued_at_ms: d.enqueued_at,
    }
}

enum Claim {
    Delivered(Job),
    Dead,
    Gone,
}
