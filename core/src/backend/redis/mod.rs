//! The Redis engine (`redis://`): Grove's ordered key/value contract on a Redis 7+ or Valkey
//! server that any number of processes on any number of machines share, plus native forms of the
//! primitives' hot operations (see [`super::caps`]).
//!
//! Atomicity: single-key writes are one server-side script (compare-and-swap in the stored form,
//! see [`layout`]); a multi-key transaction reads under `WATCH` on a connection of its own and
//! commits with `MULTI`/`EXEC`, starting over when another client changed a key it read. Time is
//! the server's ([`clock::ServerClock`]).

mod bounded;
mod clock;
mod conn;
mod entry;
mod layout;
mod lock;
mod quiet;
mod scripts;

pub(crate) use clock::ServerClock;
pub(crate) use conn::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_REPLY_TIMEOUT};

use super::caps::{
    BoardOp, BoardWrite, CounterAdd, Delivered, Dequeued, Enqueued, Imported, NativeCounter,
    NativeLeaderboard, NativeLock, NativeQueue, NativeRateLimit, QueueStep,
};
use super::{Backend, Page, Txn};
use crate::error::{Error, ErrorKind, Result};
use crate::leaderboard::Ranked;
use crate::queue::QueueStats;
use crate::ratelimit::{Decision, MAX_LOG_ENTRIES};
use crate::sync::Mutex;
use crate::target::{Server, TlsFiles};
use crate::value::Kind;
use bounded::Bounded;
use conn::{Effect, Pool};
use layout::{from_stored, to_stored, Names, Stored};
use scripts::scripts;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

/// A store on a Redis server.
pub(crate) struct RedisBackend {
    pool: Arc<Pool>,
    names: Names,
    /// Whether expiries are also the keys' own (false when the store runs on a given clock).
    native_expiry: bool,
    /// Serializes this process's `WATCH` transactions: optimistic transactions that all touch
    /// one hot key (the CRDT change sequence) would otherwise mostly abort each other and retry,
    /// each retry costing round trips. Other processes still race, and lose only their tries.
    tx_turn: Mutex<()>,
    /// The value this process last saw at each key it updated: [`Backend::update`] computes on
    /// it and sends one compare-and-swap (one round trip) instead of a read and a swap. Only a
    /// guess: every decision made on it is checked by the swap or by a read, so a stale entry
    /// costs a round trip, never a wrong answer.
    seen: Mutex<HashMap<Vec<u8>, Option<Vec<u8>>>>,
}

/// Keys remembered in [`RedisBackend::seen`] before it starts over.
const SEEN_MAX: usize = 10_000;

/// What `GET` plus the deadline script returns.
type GetReply = Option<(Vec<u8>, i64)>;

impl RedisBackend {
    /// Connects to `server` (checking it answers within `timeout`); every later reply is due
    /// within `reply_timeout`.
    pub(crate) fn open(
        server: &Server,
        tls: &TlsFiles,
        name: &str,
        timeout: Duration,
        reply_timeout: Duration,
    ) -> Result<RedisBackend> {
        let names = Names::new(name);
        let pool = Arc::new(Pool::new(
            server,
            tls,
            &names.index,
            timeout,
            reply_timeout,
        )?);
        let (version, cluster_enabled): (String, i64) = pool.run(Effect::Read, |c| {
            let info: redis::InfoDict = redis::cmd("INFO").arg("server").arg("cluster").query(c)?;
            Ok((
                info.get("redis_version").unwrap_or_default(),
                info.get("cluster_enabled").unwrap_or_default(),
            ))
        })?;
        if cluster_enabled == 1 && matches!(server, Server::Standalone(_)) {
            // Its slots are spread over several servers: a store would work until its slot is
            // on another one, then fail on a redirect it was not told to follow.
            return Err(Error::invalid(format!(
                "Redis server {} is a Redis Cluster node: write redis+cluster://HOST:PORT \
                 for a cluster",
                pool.addr()
            )));
        }
        let major: u32 = version
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0);
        if major < 7 {
            return Err(Error::invalid(format!(
                "Redis server {} runs version {version:?}; Grove needs Redis 7 or later (or \
                 Valkey)",
                pool.addr()
            )));
        }
        Ok(RedisBackend {
            pool,
            names,
            native_expiry: true,
            tx_turn: Mutex::new(()),
            seen: Mutex::new(HashMap::new()),
        })
    }

    /// The time a script should use: `now` from the store's clock when it was given one (tests),
    /// or empty for the server's own `TIME`, read inside the script.
    fn time_arg(&self, now: u64) -> String {
        if self.native_expiry {
            String::new()
        } else {
            now.to_string()
        }
    }

    /// Notes what `key` holds now, as far as this process knows.
    fn remember(&self, key: &[u8], value: Option<Vec<u8>>) {
        let mut seen = self.seen.lock();
        if seen.len() >= SEEN_MAX && !seen.contains_key(key) {
            seen.clear();
        }
        seen.insert(key.to_vec(), value);
    }

    /// Keeps expiries in Grove's envelopes only: the store runs on a clock that is not the
    /// server's (tests inject one), so the server must not expire keys by its own.
    pub(crate) fn without_native_expiry(mut self) -> Self {
        self.native_expiry = false;
        self
    }

    /// The clock of this backend's server.
    pub(crate) fn server_clock(&self) -> Result<ServerClock> {
        ServerClock::new(self.pool.clone())
    }

    fn get_stored(&self, pk: &[u8]) -> Result<Option<Vec<u8>>> {
        let rk = self.names.key(pk);
        let reply: GetReply = self
            .pool
            .run(Effect::Read, |c| scripts().get.key(&rk).invoke(c))?;
        reply
            .map(|(raw, exp)| from_stored(pk, raw, exp))
            .transpose()
    }

    /// Adds the commands writing `new` (or deleting) at `pk` to a pipeline.
    fn queue_write(&self, pipe: &mut redis::Pipeline, pk: &[u8], new: Option<&Stored>) {
        let rk = self.names.key(pk);
        let index = &self.names.index;
        match new {
            Some(s) => {
                let set = pipe.cmd("SET").arg(&rk).arg(&s.raw);
                if let Some(t) = s.pxat {
                    set.arg("PXAT").arg(t);
                }
                set.ignore();
                pipe.cmd("ZADD").arg(index).arg(0).arg(pk).ignore();
            }
            None => {
                pipe.cmd("DEL").arg(&rk).ignore();
                pipe.cmd("ZREM").arg(index).arg(pk).ignore();
            }
        }
    }
}

/// A lexicographic range bound for ZRANGEBYLEX.
fn lex(b: Bound<&[u8]>, unbounded: &[u8]) -> Vec<u8> {
    match b {
        Bound::Included(k) => [b"[", k].concat(),
        Bound::Excluded(k) => [b"(", k].concat(),
        Bound::Unbounded => unbounded.to_vec(),
    }
}

impl Backend for RedisBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.get_stored(key)
    }

    fn update(
        &self,
        key: &[u8],
        f: &mut dyn FnMut(Option<&[u8]>) -> Result<super::Write>,
    ) -> Result<()> {
        use super::Write;
        let guess = self.seen.lock().get(key).cloned();
        let (mut current, mut verified) = match guess {
            Some(v) => (v, false),
            None => (self.get(key)?, true),
        };
        loop {
            let decided = match f(current.as_deref()) {
                Ok(w) => w,
                Err(e) if !verified => {
                    // An error decided on a guess (`WrongType` from a kind that was since
                    // replaced, by another process or a native script): check the guess.
                    let actual = self.get(key)?;
                    verified = true;
                    if actual == current {
                        return Err(e);
                    }
                    self.remember(key, actual.clone());
                    current = actual;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let new = match decided {
                Write::Put(v) => Some(v),
                Write::Delete if current.is_some() => None,
                Write::Keep | Write::Delete => {
                    if verified {
                        return Ok(());
                    }
                    // A decision to change nothing, made on a guess: check the guess.
                    let actual = self.get(key)?;
                    verified = true;
                    if actual == current {
                        return Ok(());
                    }
                    self.remember(key, actual.clone());
                    current = actual;
                    continue;
                }
            };
            match self.compare_and_swap(key, current.as_deref(), new.clone())? {
                Ok(()) => {
                    self.remember(key, new);
                    return Ok(());
                }
                Err(actual) => {
                    self.remember(key, actual.clone());
                    current = actual;
                    verified = true;
                }
            }
        }
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<()> {
        let s = to_stored(key, &value, self.native_expiry)?;
        let mut pipe = redis::pipe();
        pipe.atomic();
        self.queue_write(&mut pipe, key, Some(&s));
        self.pool
            .run(Effect::Write, |c| pipe.query::<()>(&mut Bounded(c)))
    }

    fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        loop {
            let cur = self.get_stored(key)?;
            match self.compare_and_swap(key, cur.as_deref(), None)? {
                Ok(()) => return Ok(cur),
                Err(_) => continue,
            }
        }
    }

    fn compare_and_swap(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<std::result::Result<(), Option<Vec<u8>>>> {
        let exp = expected
            .map(|e| to_stored(key, e, self.native_expiry))
            .transpose()?;
        let new = new
            .map(|n| to_stored(key, &n, self.native_expiry))
            .transpose()?;
        let rk = self.names.key(key);
        let deadline = |s: &Option<Stored>| {
            s.as_ref()
                .and_then(|s| s.pxat)
                .map_or_else(|| "-1".to_string(), |t| t.to_string())
        };
        let mut inv = scripts().cas.prepare_invoke();
        inv.key(&rk)
            .key(&self.names.index)
            .arg(key)
            .arg(if exp.is_some() { "1" } else { "0" })
            .arg(exp.as_ref().map_or(&[][..], |s| &s.raw[..]))
            .arg(deadline(&exp))
            .arg(if new.is_some() { "1" } else { "0" })
            .arg(new.as_ref().map_or(&[][..], |s| &s.raw[..]))
            .arg(deadline(&new));
        let reply: Vec<redis::Value> = self.pool.run(Effect::Write, |c| inv.invoke(c))?;
        let mut it = reply.into_iter();
        let swapped: i64 = it
            .next()
            .map(redis::from_redis_value)
            .transpose()
            .map_err(bad_reply)?
            .unwrap_or(0);
        if swapped == 1 {
            return Ok(Ok(()));
        }
        let cur: Option<Vec<u8>> = match it.next() {
            None | Some(redis::Value::Nil) => None,
            Some(v) => Some(redis::from_redis_value(v).map_err(bad_reply)?),
        };
        let exp: i64 = match it.next() {
            Some(v) => redis::from_redis_value(v).map_err(bad_reply)?,
            None => -1,
        };
        Ok(Err(cur
            .map(|raw| from_stored(key, raw, exp))
            .transpose()?))
    }

    fn apply_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<()> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for (k, v) in &ops {
            let s = v
                .as_ref()
                .map(|v| to_stored(k, v, self.native_expiry))
                .transpose()?;
            self.queue_write(&mut pipe, k, s.as_ref());
        }
        self.pool
            .run(Effect::Write, |c| pipe.query::<()>(&mut Bounded(c)))
    }

    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<()>) -> Result<()> {
        let _turn = self.tx_turn.lock();
        // Signals stay pending until the connection is back (see the quiet module).
        let _quiet = quiet::Quiet::new();
        let mut conn = self.pool.take()?;
        let mut refusals = 0;
        let out = loop {
            // Each attempt waits no longer than the caller's deadline, if there is one.
            if let Err(e) = self.pool.arm(&mut conn) {
                break Err(e);
            }
            let mut tx = RedisTxn {
                names: &self.names,
                conn: &mut conn.conn,
                writes: BTreeMap::new(),
                refused: None,
            };
            let ran = f(&mut tx);
            let refused = tx.refused.take();
            let writes = std::mem::take(&mut tx.writes);
            if let Err(e) = ran {
                let Some(r) = refused else { break Err(e) };
                // The cluster refused a read (the slot moved or is moving): nothing was
                // written, so start over where the slot lives now.
                refusals += 1;
                if !self.pool.retry_transaction(&r, refusals)? {
                    // A lost connection or a reply past the deadline is named as any call's is
                    // (nothing was written: the writes wait for EXEC).
                    if conn::is_connection_error(&r) {
                        break Err(self.pool.error(r, Effect::Read));
                    }
                    break Err(e);
                }
                let _ = redis::cmd("UNWATCH").query::<()>(&mut conn.conn);
                self.pool.give_back(conn);
                conn = self.pool.take()?;
                continue;
            }
            let stored: Result<Vec<_>> = writes
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k,
                        v.as_ref()
                            .map(|v| to_stored(k, v, self.native_expiry))
                            .transpose()?,
                    ))
                })
                .collect();
            let stored = match stored {
                Ok(s) => s,
                Err(e) => break Err(e),
            };
            let mut pipe = redis::pipe();
            pipe.atomic();
            for (k, s) in &stored {
                self.queue_write(&mut pipe, k, s.as_ref());
            }
            // EXEC answers nil when a watched key changed: run `f` again on fresh reads.
            let done: redis::RedisResult<Option<()>> = pipe.query(&mut Bounded(&mut conn.conn));
            match done {
                Ok(Some(())) => break Ok(()),
                Ok(None) => continue,
                Err(e) => {
                    refusals += 1;
                    if self.pool.retry_transaction(&e, refusals)? {
                        // Refused or aborted as a whole by the cluster: nothing was applied.
                        let _ = redis::cmd("UNWATCH").query::<()>(&mut conn.conn);
                        self.pool.give_back(conn);
                        conn = self.pool.take()?;
                        continue;
                    }
                    return Err(self.pool.error(e, Effect::Write));
                }
            }
        };
        if let Err(e) = &out {
            // A connection that failed (a reply timed out, say) is dropped, not asked to UNWATCH:
            // that would wait for a stalled server once more.
            if e.kind() == crate::error::ErrorKind::Io {
                return out;
            }
            // Leave the connection clean for the next user.
            if redis::cmd("UNWATCH").query::<()>(&mut conn.conn).is_err() {
                return out;
            }
        }
        self.pool.give_back(conn);
        out
    }

    fn scan(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Page> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let lo = lex(start, b"-");
        let hi = lex(end, b"+");
        let mut inv = scripts().scan.prepare_invoke();
        inv.key(&self.names.index)
            .arg(lo)
            .arg(hi)
            .arg(limit)
            .arg(if reverse { "1" } else { "0" })
            .arg(&self.names.prefix);
        let flat: Vec<redis::Value> = self.pool.run(Effect::Read, |c| inv.invoke(c))?;
        let mut out = Vec::with_capacity(flat.len() / 3);
        let mut it = flat.into_iter();
        while let (Some(m), Some(v), Some(exp)) = (it.next(), it.next(), it.next()) {
            let m: Vec<u8> = redis::from_redis_value(m).map_err(bad_reply)?;
            let v: Vec<u8> = redis::from_redis_value(v).map_err(bad_reply)?;
            let exp: i64 = redis::from_redis_value(exp).map_err(bad_reply)?;
            let v = from_stored(&m, v, exp)?;
            out.push((m, v));
        }
        Ok(out)
    }

    fn flush(&self) -> Result<()> {
        // Durability on Redis is the server's own setting (appendonly/appendfsync); a flush
        // checks the server is there, so a lost server is not reported as durable.
        self.pool
            .run(Effect::Read, |c| redis::cmd("PING").query::<()>(c))
    }

    fn size_on_disk(&self) -> Result<u64> {
        Ok(0)
    }

    fn native_counter(&self) -> Option<&dyn NativeCounter> {
        Some(self)
    }

    fn native_lock(&self) -> Option<&dyn NativeLock> {
        Some(self)
    }

    fn native_entry(&self) -> Option<&dyn super::caps::NativeEntry> {
        Some(self)
    }

    fn native_queue(&self) -> Option<&dyn NativeQueue> {
        // Every queue script declares every key it touches (the import of an earlier layout
        // reaches its records with `pcall` first), so queues are native on a cluster too.
        Some(self)
    }

    fn native_leaderboard(&self) -> Option<&dyn NativeLeaderboard> {
        Some(self)
    }

    fn native_rate_limit(&self) -> Option<&dyn NativeRateLimit> {
        // The script declares every key it touches (the limiter's and the index), so it is
        // native on a cluster too.
        Some(self)
    }
}

fn bad_reply(e: impl std::fmt::Display) -> Error {
    Error::corrupt(format!("unexpected reply from Redis: {e}"))
}

impl NativeCounter for RedisBackend {
    fn counter_add(&self, pk: &[u8], delta: i64) -> Result<CounterAdd> {
        let rk = self.names.key(pk);
        let mut inv = scripts().counter_add.prepare_invoke();
        inv.key(&rk).key(&self.names.index).arg(pk).arg(delta);
        let (tag, mut it) = tagged(self.pool.run(Effect::Write, |c| inv.invoke(c))?)?;
        Ok(match tag {
            1 | 2 => {
                // An integer below 2^53 in magnitude, or the stored text past it.
                let n: i64 = match it.next() {
                    Some(redis::Value::Int(n)) => n,
                    Some(v) => {
                        let s: String = redis::from_redis_value(v).map_err(bad_reply)?;
                        s.parse().map_err(|_| {
                            Error::corrupt(format!("counter holds {s:?}, not an integer"))
                        })?
                    }
                    None => return Err(bad_reply("a counter reply without its value")),
                };
                if tag == 1 {
                    CounterAdd::Added(n)
                } else {
                    CounterAdd::Overflow { current: n }
                }
            }
            _ => CounterAdd::Generic,
        })
    }

    fn counter_add_within(&self, pk: &[u8], delta: i64, lo: i64, hi: i64) -> Result<CounterAdd> {
        let rk = self.names.key(pk);
        let mut inv = scripts().counter_within.prepare_invoke();
        inv.key(&rk)
            .key(&self.names.index)
            .arg(pk)
            .arg(delta)
            .arg(lo)
            .arg(hi);
        let (tag, mut it) = tagged(self.pool.run(Effect::Write, |c| inv.invoke(c))?)?;
        Ok(match tag {
            1 => CounterAdd::Added(next_as(&mut it)?),
            0 => CounterAdd::Refused,
            _ => CounterAdd::Generic,
        })
    }
}

/// The tag of a script reply and the rest of it.
fn tagged(reply: Vec<redis::Value>) -> Result<(i64, std::vec::IntoIter<redis::Value>)> {
    let mut it = reply.into_iter();
    let tag: i64 = match it.next() {
        Some(v) => redis::from_redis_value(v).map_err(bad_reply)?,
        None => return Err(bad_reply("an empty script reply")),
    };
    Ok((tag, it))
}

/// The next value of a script reply as `T`.
fn next_as<T: redis::FromRedisValue>(it: &mut std::vec::IntoIter<redis::Value>) -> Result<T> {
    let v = it.next().ok_or_else(|| bad_reply("a short script reply"))?;
    redis::from_redis_value(v).map_err(bad_reply)
}

/// Ids, counts and times a queue script takes: Lua's numbers are doubles, exact below 2^53.
const QUEUE_MAX: u64 = (1 << 53) - 1;

impl RedisBackend {
    /// Runs a queue script on `queue`'s keys (see [`Names::queue`]), the time given as the
    /// script's first argument when the store has a clock of its own.
    fn queue_script(
        &self,
        script: &redis::Script,
        queue: &[u8],
        effect: Effect,
        args: impl FnOnce(&mut redis::ScriptInvocation<'_>),
    ) -> Result<(i64, std::vec::IntoIter<redis::Value>)> {
        let mut inv = script.prepare_invoke();
        for k in self.names.queue(queue) {
            inv.key(k);
        }
        args(&mut inv);
        tagged(self.pool.run(effect, |c| inv.invoke(c))?)
    }
}

/// The next jobs of a queue script's reply: id, payload, attempts, enqueued at, form.
fn next_job(it: &mut std::vec::IntoIter<redis::Value>) -> Result<Delivered> {
    Ok(Delivered {
        id: next_as(it)?,
        payload: next_as(it)?,
        attempts: next_as(it)?,
        enqueued_at: next_as(it)?,
        form: next_as(it)?,
    })
}

impl NativeQueue for RedisBackend {
    fn queue_enqueue(
        &self,
        queue: &[u8],
        payload: &[u8],
        form: &str,
        expect: Option<u64>,
        now: u64,
        delay_ms: u64,
    ) -> Result<QueueStep<Enqueued>> {
        let (tag, mut it) =
            self.queue_script(&scripts().queue_enqueue, queue, Effect::Write, |inv| {
                inv.arg(self.time_arg(now))
                    .arg(delay_ms.min(QUEUE_MAX))
                    .arg(payload)
                    .arg(form)
                    .arg(expect.map_or(String::new(), |e| e.to_string()));
            })?;
        Ok(match tag {
            1 => QueueStep::Done(Enqueued::Id(next_as(&mut it)?)),
            -4 => QueueStep::Done(Enqueued::NextIs(next_as(&mut it)?)),
            _ => QueueStep::Legacy,
        })
    }

    fn queue_dequeue(
        &self,
        queue: &[u8],
        now: u64,
        visibility_ms: u64,
        max_attempts: u32,
        openable: &[String],
    ) -> Result<QueueStep<Dequeued>> {
        let ids = format!(",{},", openable.join(","));
        let (tag, mut it) =
            self.queue_script(&scripts().queue_dequeue, queue, Effect::Write, |inv| {
                inv.arg(self.time_arg(now))
                    .arg(visibility_ms.min(QUEUE_MAX))
                    .arg(max_attempts)
                    .arg(ids);
            })?;
        Ok(match tag {
            1 => QueueStep::Done(Dequeued::Job(next_job(&mut it)?)),
            0 => QueueStep::Done(Dequeued::Empty),
            -5 => QueueStep::Done(Dequeued::Sealed(next_as(&mut it)?)),
            _ => QueueStep::Legacy,
        })
    }

    fn queue_settle(
        &self,
        queue: &[u8],
        id: u64,
        nack: Option<(u64, u64)>,
    ) -> Result<QueueStep<bool>> {
        if id == 0 || id >= QUEUE_MAX {
            // No id is 0 or reaches 2^53 (the enqueue script refuses to give one).
            return Ok(QueueStep::Done(false));
        }
        let (tag, _) = self.queue_script(&scripts().queue_settle, queue, Effect::Write, |inv| {
            inv.arg(id);
            match nack {
                None => inv.arg("a"),
                Some((now, delay)) => inv
                    .arg("n")
                    .arg(self.time_arg(now))
                    .arg(delay.min(QUEUE_MAX)),
            };
        })?;
        Ok(match tag {
            1 => QueueStep::Done(true),
            0 => QueueStep::Done(false),
            _ => QueueStep::Legacy,
        })
    }

    fn queue_stats(&self, queue: &[u8]) -> Result<QueueStep<QueueStats>> {
        let (tag, mut it) =
            self.queue_script(&scripts().queue_stats, queue, Effect::Read, |_| {})?;
        if tag != 1 {
            return Ok(QueueStep::Legacy);
        }
        let mut count = || -> Result<u64> { Ok(next_as::<i64>(&mut it)?.max(0) as u64) };
        Ok(QueueStep::Done(QueueStats {
            ready: count()?,
            in_flight: count()?,
            dead: count()?,
        }))
    }

    fn queue_dead_letters(&self, queue: &[u8]) -> Result<QueueStep<Vec<Delivered>>> {
        let (tag, mut it) =
            self.queue_script(&scripts().queue_dead, queue, Effect::Read, |_| {})?;
        if tag != 1 {
            return Ok(QueueStep::Legacy);
        }
        let mut out = Vec::with_capacity(it.len() / 5);
        while it.len() > 0 {
            out.push(next_job(&mut it)?);
        }
        Ok(QueueStep::Done(out))
    }

    fn queue_import(
        &self,
        queue: &[u8],
        last_id: u64,
        stats: QueueStats,
        jobs: Vec<Imported>,
    ) -> Result<bool> {
        let too_big = |n: u64| n >= QUEUE_MAX;
        if too_big(last_id)
            || jobs
                .iter()
                .any(|j| too_big(j.job.enqueued_at) || too_big(j.visible_at))
        {
            return Err(Error::corrupt(
                "a queue of the earlier layout holds an id or time from 2^53, which the native \
                 layout cannot keep exactly",
            ));
        }
        // Only the ready count is kept: the others are the sizes of the schedule (less the
        // ready jobs) and the dead-letter set, which the jobs fill.
        let mut inv = scripts().queue_import.prepare_invoke();
        for k in self.names.queue(queue) {
            inv.key(k);
        }
        inv.key(&self.names.index)
            .arg(&self.names.prefix)
            .arg(queue)
            .arg(last_id)
            .arg(stats.ready);
        for j in &jobs {
            inv.arg(j.job.id)
                .arg(j.state)
                .arg(j.job.attempts)
                .arg(j.job.enqueued_at)
                .arg(j.visible_at)
                .arg(&j.job.payload)
                .arg(&j.job.form);
        }
        let moved: i64 = self.pool.run(Effect::Write, |c| inv.invoke(c))?;
        Ok(moved == 1)
    }
}

/// Numbers a rate-limit script takes: Lua's are doubles, exact below 2^53; a limit or window
/// from there on takes the generic path without asking the server.
const RATE_MAX: u64 = (1 << 53) - 1;

impl RedisBackend {
    /// Runs the rate-limit script in `mode` ('a' allow, 'p' peek).
    fn rate_limit(
        &self,
        pk: &[u8],
        now: u64,
        limit: u64,
        window_ms: u64,
        cost: u64,
        mode: &str,
    ) -> Result<Option<Decision>> {
        if limit >= RATE_MAX || window_ms >= RATE_MAX {
            return Ok(None);
        }
        let rk = self.names.key(pk);
        let mut inv = scripts().rate_limit.prepare_invoke();
        inv.key(&rk)
            .key(&self.names.index)
            .arg(pk)
            .arg(self.time_arg(now))
            .arg(limit)
            .arg(window_ms)
            .arg(cost)
            .arg(mode)
            .arg(MAX_LOG_ENTRIES);
        // A peek changes nothing but the reclaiming of an expired record, which may run twice.
        let effect = if mode == "p" {
            Effect::Read
        } else {
            Effect::Write
        };
        let (tag, mut it) = tagged(self.pool.run(effect, |c| inv.invoke(c))?)?;
        if tag != 1 {
            return Ok(None);
        }
        let allowed: i64 = next_as(&mut it)?;
        let remaining: u64 = next_as(&mut it)?;
        let reset: u64 = next_as(&mut it)?;
        let retry: u64 = next_as(&mut it)?;
        Ok(Some(Decision {
            allowed: allowed == 1,
            remaining,
            reset_after: Duration::from_millis(reset),
            retry_after: Duration::from_millis(retry),
        }))
    }
}

impl NativeRateLimit for RedisBackend {
    fn rate_allow(
        &self,
        pk: &[u8],
        now: u64,
        limit: u64,
        window_ms: u64,
        cost: u64,
    ) -> Result<Option<Decision>> {
        self.rate_limit(pk, now, limit, window_ms, cost, "a")
    }

    fn rate_peek(
        &self,
        pk: &[u8],
        now: u64,
        limit: u64,
        window_ms: u64,
    ) -> Result<Option<Decision>> {
        self.rate_limit(pk, now, limit, window_ms, 1, "p")
    }
}

/// Ranks and counts sent to a board script: Lua's numbers are doubles, exact up to 2^53, and no
/// board comes near that many members, so a larger request means "to the end".
const BOARD_MAX_RANK: u64 = 1 << 53;

/// A score as a script's text (Rust's shortest form that reads back as the same double).
fn score_arg(x: f64) -> String {
    format!("{x:?}")
}

/// A score as Redis or a script sent it (17 significant digits, or Redis's own shortest form).
fn parse_score(text: &[u8]) -> Result<f64> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|x| x.is_finite())
        .ok_or_else(|| {
            Error::corrupt(format!(
                "leaderboard score {:?} is not a finite number",
                String::from_utf8_lossy(text)
            ))
        })
}

/// Flat `member, score, ...` from a board script as ranked members from rank `first`.
fn ranked(first: u64, it: &mut std::vec::IntoIter<redis::Value>) -> Result<Vec<Ranked>> {
    let mut out = Vec::with_capacity(it.len() / 2);
    while it.len() > 0 {
        let member: Vec<u8> = next_as(it)?;
        let score: Vec<u8> = next_as(it)?;
        let member = String::from_utf8(member)
            .map_err(|_| Error::corrupt("leaderboard member is not UTF-8"))?;
        out.push(Ranked {
            rank: first + out.len() as u64,
            member,
            score: parse_score(&score)?,
        });
    }
    Ok(out)
}

impl RedisBackend {
    /// The Redis keys of one member: its record and the board's sorted set, plus the record's
    /// physical key (its index entry).
    fn member_keys(&self, board: &[u8], member: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let pk = [board, member.as_bytes()].concat();
        (self.names.key(&pk), self.names.board(board), pk)
    }
}

impl NativeLeaderboard for RedisBackend {
    fn board_write(&self, board: &[u8], member: &str, op: BoardOp) -> Result<BoardWrite> {
        let (rk, zk, pk) = self.member_keys(board, member);
        let (mode, x) = match op {
            BoardOp::Set(x) => ("s", x),
            BoardOp::Add(x) => ("i", x),
        };
        let mut inv = scripts().board_write.prepare_invoke();
        inv.key(&rk)
            .key(&self.names.index)
            .key(&zk)
            .arg(&pk)
            .arg(member)
            .arg(mode)
            .arg(score_arg(x));
        let (tag, mut it) = tagged(self.pool.run(Effect::Write, |c| inv.invoke(c))?)?;
        Ok(match tag {
            1 => BoardWrite::Done(parse_score(&next_as::<Vec<u8>>(&mut it)?)?),
            0 => BoardWrite::Overflow,
            _ => {
                let b: Vec<u8> = next_as(&mut it)?;
                BoardWrite::WrongKind(b.first().and_then(|&t| Kind::from_tag(t)))
            }
        })
    }

    fn board_score(&self, board: &[u8], member: &str) -> Result<Option<f64>> {
        let zk = self.names.board(board);
        let s: Option<Vec<u8>> = self.pool.run(Effect::Read, |c| {
            redis::cmd("ZSCORE").arg(&zk).arg(member).query(c)
        })?;
        s.map(|s| parse_score(&s)).transpose()
    }

    fn board_rank(&self, board: &[u8], member: &str) -> Result<Option<u64>> {
        let zk = self.names.board(board);
        let mut inv = scripts().board_rank.prepare_invoke();
        inv.key(&zk).arg(member);
        self.pool.run(Effect::Read, |c| inv.invoke(c))
    }

    fn board_range(&self, board: &[u8], start: u64, stop: u64) -> Result<Vec<Ranked>> {
        if start >= stop {
            return Ok(Vec::new());
        }
        let zk = self.names.board(board);
        let mut inv = scripts().board_range.prepare_invoke();
        inv.key(&zk)
            .arg(start.min(BOARD_MAX_RANK))
            .arg(stop.min(BOARD_MAX_RANK));
        let reply: Vec<redis::Value> = self.pool.run(Effect::Read, |c| inv.invoke(c))?;
        ranked(start, &mut reply.into_iter())
    }

    fn board_around(&self, board: &[u8], member: &str, n: u64) -> Result<Vec<Ranked>> {
        let zk = self.names.board(board);
        let mut inv = scripts().board_around.prepare_invoke();
        inv.key(&zk).arg(member).arg(n.min(BOARD_MAX_RANK));
        let reply: Vec<redis::Value> = self.pool.run(Effect::Read, |c| inv.invoke(c))?;
        if reply.is_empty() {
            return Ok(Vec::new());
        }
        let mut it = reply.into_iter();
        let first: u64 = next_as(&mut it)?;
        ranked(first, &mut it)
    }

    fn board_remove(&self, board: &[u8], member: &str) -> Result<bool> {
        let (rk, zk, pk) = self.member_keys(board, member);
        let mut inv = scripts().board_remove.prepare_invoke();
        inv.key(&rk)
            .key(&self.names.index)
            .key(&zk)
            .arg(&pk)
            .arg(member);
        let n: i64 = self.pool.run(Effect::Write, |c| inv.invoke(c))?;
        Ok(n == 1)
    }

    fn board_len(&self, board: &[u8]) -> Result<u64> {
        let zk = self.names.board(board);
        self.pool
            .run(Effect::Read, |c| redis::cmd("ZCARD").arg(&zk).query(c))
    }

    fn board_clear(&self, board: &[u8]) -> Result<u64> {
        let zk = self.names.board(board);
        let mut inv = scripts().board_clear.prepare_invoke();
        inv.key(&zk)
            .key(&self.names.index)
            .arg(&self.names.prefix)
            .arg(board);
        self.pool.run(Effect::Write, |c| inv.invoke(c))
    }
}

/// A transaction's view: reads are watched, writes wait for `EXEC`.
struct RedisTxn<'a> {
    names: &'a Names,
    conn: &'a mut redis::Connection,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// A read the cluster refused (a redirect): the transaction starts over once it is followed.
    refused: Option<redis::RedisError>,
}

impl Txn for RedisTxn<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(w) = self.writes.get(key) {
            return Ok(w.clone());
        }
        let rk = self.names.key(key);
        // WATCH and the read in one round trip; the script is loaded once if the server lacks it.
        let get = &scripts().get;
        let mut pipe = redis::pipe();
        pipe.cmd("WATCH").arg(&rk).ignore();
        pipe.cmd("EVALSHA").arg(get.get_hash()).arg(1).arg(&rk);
        let mut reply: redis::RedisResult<(GetReply,)> = pipe.query(&mut Bounded(self.conn));
        if matches!(&reply, Err(e) if e.code() == Some("NOSCRIPT")) {
            reply = get
                .load(self.conn)
                .and_then(|_| pipe.query(&mut Bounded(self.conn)));
        }
        let reply = match reply {
            Ok((r,)) => r,
            Err(e) => {
                let err = Error::new(ErrorKind::Io, format!("Redis transaction read failed: {e}"));
                self.refused = Some(e);
                return Err(err);
            }
        };
        reply
            .map(|(raw, exp)| from_stored(key, raw, exp))
            .transpose()
    }

    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<()> {
        self.writes.insert(key.to_vec(), Some(value));
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.writes.insert(key.to_vec(), None);
        Ok(())
    }
}
