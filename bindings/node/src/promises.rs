//! The native half of `grovekv.promises`: every store operation as a promise whose work runs on
//! a libuv pool thread, never on the JS thread.
//!
//! One task type serves every method. [`Work`] boxes a closure that makes the core call on a
//! pool thread and returns an [`Out`]: plain Rust data, so no JS value is touched off the JS
//! thread. `resolve` then converts it on the JS thread, with the same number, Buffer and object
//! shapes as the synchronous methods, and a core error rejects the promise with an `Error`
//! whose `code` is its kind, exactly what the synchronous method would have thrown. A panic
//! becomes code `Internal`. Arguments are copied into the closure (a string or Buffer becomes a
//! `Vec<u8>`), so JS may reuse a Buffer as soon as the call returns.
//!
//! Nothing here waits. A call is one short transaction, so it holds a pool thread for
//! microseconds. The waits (`Lock.acquire` with a timeout, `Queue.dequeueWait`) live in
//! promises.js: single attempts on the pool, with the pauses between them on libuv timers. A
//! thousand pending waits therefore hold no thread, and cannot starve the 4 threads that
//! `fs`, `dns` and `zlib` share with us.

use crate::coord::{open_check, u64_out, whole, NativeLockInfo, NativeRateLimiter};
use crate::coord::{NativeDecision, NativeLock, NativeSessions};
use crate::crdt::{i64_arg, i64_out, u64_arg};
use crate::crdt::{NativeChanges, NativeCrdtSet, NativeField, NativeSyncReport};
use crate::crdt::{NativeContribution, NativeCrdtCounter, NativeCrdtMap, NativeCrdtRegister};
use crate::ordered::NativeRanked;
use crate::ordered::{job_id, NativeJob, NativeLeaderboard, NativeQueue, NativeQueueStats};
use crate::{catch, closed, guard, next_keys, to_js, Code, NativeKeys, NativeStore, Result};
use grove_core::SyncReport;
use grove_core::{Counter, Decision, ErrorKind, Job, LockInfo, QueueStats, Ranked, Store};
use napi::bindgen_prelude::{AsyncTask, BigInt, Buffer, Either, ToNapiValue, TypeName};
use napi::{sys, Env, JsError, Task, ValueType};
use napi_derive::napi;
use std::sync::Arc;
use std::time::Duration;

/// What a core call returns, as plain Rust data (built on a pool thread, turned into JS values
/// on the JS thread by [`Out::into_js`]).
pub enum Out {
    /// `undefined`.
    Unit,
    /// A boolean.
    Bool(bool),
    /// A number (counts, scores, seconds: all exact as f64 where the sync door says so).
    Num(f64),
    /// A number or null.
    OptNum(Option<f64>),
    /// A signed 64-bit value: a number when exact, else a bigint.
    I64(i64),
    /// A signed 64-bit value (as `I64`) or null.
    OptI64(Option<i64>),
    /// An unsigned 64-bit value: a number when exact, else a bigint.
    U64(u64),
    /// A string.
    Text(String),
    /// A string or null.
    OptText(Option<String>),
    /// An array of strings.
    Texts(Vec<String>),
    /// A Buffer.
    Bytes(Vec<u8>),
    /// A Buffer or null.
    OptBytes(Option<Vec<u8>>),
    /// An array of Buffers.
    ByteList(Vec<Vec<u8>>),
    /// An array of Buffers or nulls.
    OptByteList(Vec<Option<Vec<u8>>>),
    /// A new `NativeStore`.
    Store(Store),
    /// A `NativeLockInfo`.
    LockInfo(LockInfo),
    /// A `NativeDecision`.
    Decision(Decision),
    /// An array of `NativeRanked`.
    Ranked(Vec<Ranked>),
    /// A `NativeJob` or null.
    Job(Option<Job>),
    /// An array of `NativeJob`.
    Jobs(Vec<Job>),
    /// A `NativeQueueStats`.
    Stats(QueueStats),
    /// A `NativeSyncReport`.
    Report(SyncReport),
    /// A `NativeChanges`: the bundle and the cursor.
    Changes(Vec<u8>, u64),
    /// `[positive, negative]`, each a number or a bigint.
    Totals(u64, u64),
    /// An array of `NativeContribution`.
    Contributions(Vec<(String, (u64, u64))>),
    /// An array of `NativeField`.
    Fields(Vec<(String, String)>),
}

/// Converts `v` with its `ToNapiValue` impl.
///
/// # Safety
/// `env` must be the live env of the JS thread this runs on.
unsafe fn js<T: ToNapiValue>(env: sys::napi_env, v: T) -> napi::Result<sys::napi_value> {
    // SAFETY: the caller guarantees `env` is live and that this runs on its JS thread.
    unsafe { T::to_napi_value(env, v) }
}

impl Out {
    /// The JS value of this result.
    ///
    /// # Safety
    /// `env` must be the live env of the JS thread this runs on.
    unsafe fn into_js(self, env: sys::napi_env) -> napi::Result<sys::napi_value> {
        let buf = Buffer::from;
        let job = |j: Job| NativeJob::from(j);
        // SAFETY: every arm only converts owned Rust data in `env` (caller contract).
        unsafe {
            match self {
                Out::Unit => js(env, ()),
                Out::Bool(b) => js(env, b),
                Out::Num(n) => js(env, n),
                Out::OptNum(n) => js(env, n),
                Out::I64(n) => js(env, i64_out(n)),
                Out::OptI64(n) => js(env, n.map(i64_out)),
                Out::U64(n) => js(env, u64_out(n)),
                Out::Text(s) => js(env, s),
                Out::OptText(s) => js(env, s),
                Out::Texts(v) => js(env, v),
                Out::Bytes(b) => js(env, buf(b)),
                Out::OptBytes(b) => js(env, b.map(buf)),
                Out::ByteList(v) => js(env, v.into_iter().map(buf).collect::<Vec<_>>()),
                Out::OptByteList(v) => {
                    js(env, v.into_iter().map(|b| b.map(buf)).collect::<Vec<_>>())
                }
                Out::Store(inner) => js(env, NativeStore { inner }),
                Out::LockInfo(i) => js(
                    env,
                    NativeLockInfo {
                        held: i.held,
                        fencing_token: u64_out(i.fencing_token),
                        expires_in: i.expires_in.map(|d| d.as_secs_f64()),
                    },
                ),
                Out::Decision(d) => js(env, NativeDecision::from(d)),
                Out::Ranked(v) => js(
                    env,
                    v.into_iter().map(NativeRanked::from).collect::<Vec<_>>(),
                ),
                Out::Job(j) => js(env, j.map(job)),
                Out::Jobs(v) => js(env, v.into_iter().map(job).collect::<Vec<_>>()),
                Out::Stats(s) => js(
                    env,
                    NativeQueueStats {
                        ready: s.ready as f64,
                        in_flight: s.in_flight as f64,
                        dead: s.dead as f64,
                    },
                ),
                Out::Report(r) => js(env, NativeSyncReport::from(r)),
                Out::Changes(data, cursor) => js(
                    env,
                    NativeChanges {
                        data: buf(data),
                        cursor: u64_out(cursor),
                    },
                ),
                Out::Totals(p, n) => js(env, vec![u64_out(p), u64_out(n)]),
                Out::Contributions(v) => js(
                    env,
                    v.into_iter()
                        .map(|(node, (p, n))| NativeContribution {
                            node,
                            positive: u64_out(p),
                            negative: u64_out(n),
                        })
                        .collect::<Vec<_>>(),
                ),
                Out::Fields(v) => js(
                    env,
                    v.into_iter()
                        .map(|(field, json)| NativeField { field, json })
                        .collect::<Vec<_>>(),
                ),
            }
        }
    }
}

/// A JS value already made (what [`Work`] resolves with).
pub struct Raw(sys::napi_value);

impl TypeName for Raw {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// A core call run on the pool thread.
type Call = Box<dyn FnOnce() -> grove_core::Result<Out> + Send>;

/// The one task type of the promises door: a boxed core call, run on a libuv pool thread, whose
/// [`Out`] becomes JS on the JS thread (or whose error rejects with its kind as `code`).
pub struct Work(Option<Call>);

impl Task for Work {
    type Output = grove_core::Result<Out>;
    type JsValue = Raw;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let call = self.0.take();
        Ok(catch(move || match call {
            Some(f) => f(),
            None => Err(grove_core::Error::new(
                ErrorKind::Internal,
                "a grovekv task ran twice",
            )),
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Raw> {
        match output {
            // SAFETY: napi-rs calls `resolve` on the JS thread with its live env.
            Ok(out) => unsafe { out.into_js(env.raw()) }.map(Raw),
            Err(e) => {
                // The same coded `Error` the synchronous door throws, handed to napi-rs as the
                // rejection value (an `Error` made from a JS value rejects with that value).
                let value = JsError::<Code>::from(to_js(e)).into_unknown(env);
                Err(napi::Error::from(value))
            }
        }
    }
}

/// A promise of `f(store)`, run on the pool; code `Closed` once `store` is closed.
fn task(
    store: &Store,
    f: impl FnOnce(&Store) -> grove_core::Result<Out> + Send + 'static,
) -> AsyncTask<Work> {
    let store = store.clone();
    AsyncTask::new(Work(Some(Box::new(move || {
        open_check(&store)?;
        f(&store)
    }))))
}

/// A key, value or payload as owned bytes (strings are taken as they are, Buffers copied).
fn owned(b: Either<String, Buffer>) -> Vec<u8> {
    match b {
        Either::A(s) => s.into_bytes(),
        Either::B(buf) => buf.to_vec(),
    }
}

/// Seconds from JS (validated by the core: finite, >= 0, at most 100 years).
fn secs(v: f64) -> grove_core::Result<Duration> {
    grove_core::ttl_from_secs(v)
}

// ---- opening ----

/// Opens (creating if needed) the store at `path`, on the pool.
#[napi(ts_return_type = "Promise<NativeStore>")]
#[allow(clippy::too_many_arguments)]
pub fn open_async(
    path: String,
    node_id: Option<String>,
    durable: Option<bool>,
    flush_every_ms: Option<f64>,
    max_drift_secs: Option<f64>,
    connect_timeout_ms: Option<f64>,
    reply_timeout_ms: Option<f64>,
    compress_min_bytes: Option<f64>,
    encryption_key: Option<Buffer>,
    old_encryption_keys: Option<Vec<Buffer>>,
) -> AsyncTask<Work> {
    // The key bytes are copied here, on the JS thread; a bad argument fails the promise.
    let codec = crate::CodecArgs::new(compress_min_bytes, encryption_key, old_encryption_keys);
    AsyncTask::new(Work(Some(Box::new(move || {
        let s = crate::open_store(
            &path,
            node_id,
            durable,
            flush_every_ms,
            max_drift_secs,
            crate::ServerTimeouts::new(connect_timeout_ms, reply_timeout_ms),
            codec?,
        )?;
        Ok(Out::Store(s))
    }))))
}

/// Opens a fresh in-memory store, on the pool.
#[napi(ts_return_type = "Promise<NativeStore>")]
pub fn open_memory_async(
    node_id: Option<String>,
    max_drift_secs: Option<f64>,
    compress_min_bytes: Option<f64>,
    encryption_key: Option<Buffer>,
    old_encryption_keys: Option<Vec<Buffer>>,
) -> AsyncTask<Work> {
    let codec = crate::CodecArgs::new(compress_min_bytes, encryption_key, old_encryption_keys);
    AsyncTask::new(Work(Some(Box::new(move || {
        Ok(Out::Store(crate::open_memory_store(
            node_id,
            max_drift_secs,
            codec?,
        )?))
    }))))
}

/// Merges every CRDT of `a` and `b` both ways, on the pool.
#[napi(ts_return_type = "Promise<NativeSyncReport>")]
pub fn sync_async(a: &NativeStore, b: &NativeStore) -> AsyncTask<Work> {
    let other = b.inner.clone();
    task(&a.inner, move |s| {
        open_check(&other)?;
        Ok(Out::Report(grove_core::sync(s, &other)?))
    })
}

/// Test helper: a promise whose work panics on the pool thread.
#[napi(js_name = "_panicForTestAsync", ts_return_type = "Promise<void>")]
pub fn panic_for_test_async() -> AsyncTask<Work> {
    AsyncTask::new(Work(Some(Box::new(|| -> grove_core::Result<Out> {
        panic!("deliberate panic on a pool thread for the test suite")
    }))))
}

// ---- the store ----

#[napi]
impl NativeStore {
    /// Closes this handle and everything made from it (the last one flushes), on the pool.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close_async(&self) -> AsyncTask<Work> {
        let s = self.inner.clone();
        AsyncTask::new(Work(Some(Box::new(move || {
            s.close()?;
            Ok(Out::Unit)
        }))))
    }

    /// Makes every write so far durable.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn flush_async(&self) -> AsyncTask<Work> {
        task(&self.inner, |s| s.flush().map(|()| Out::Unit))
    }

    /// Bytes the store occupies on disk (0 in memory).
    #[napi(ts_return_type = "Promise<number>")]
    pub fn size_on_disk_async(&self) -> AsyncTask<Work> {
        task(&self.inner, |s| Ok(Out::Num(s.size_on_disk()? as f64)))
    }

    /// The bytes at `key`, or null.
    #[napi(ts_return_type = "Promise<Buffer | null>")]
    pub fn get_async(&self, key: Either<String, Buffer>) -> AsyncTask<Work> {
        let key = owned(key);
        task(&self.inner, move |s| Ok(Out::OptBytes(s.get(&key)?)))
    }

    /// Stores `value` at `key`, expiring after `ttl` seconds if given.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_async(
        &self,
        key: Either<String, Buffer>,
        value: Either<String, Buffer>,
        ttl_secs: Option<f64>,
    ) -> AsyncTask<Work> {
        let (key, value) = (owned(key), owned(value));
        task(&self.inner, move |s| {
            s.set(&key, &value, crate::ttl(ttl_secs)?)?;
            Ok(Out::Unit)
        })
    }

    /// Stores `value` at `key` only if it holds nothing live; resolves true if it wrote.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn set_if_absent_async(
        &self,
        key: Either<String, Buffer>,
        value: Either<String, Buffer>,
        ttl_secs: Option<f64>,
    ) -> AsyncTask<Work> {
        let (key, value) = (owned(key), owned(value));
        task(&self.inner, move |s| {
            Ok(Out::Bool(s.set_if_absent(
                &key,
                &value,
                crate::ttl(ttl_secs)?,
            )?))
        })
    }

    /// Replaces the bytes at `key` only if there are some; resolves true if it wrote.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn set_if_present_async(
        &self,
        key: Either<String, Buffer>,
        value: Either<String, Buffer>,
        ttl_secs: Option<f64>,
    ) -> AsyncTask<Work> {
        let (key, value) = (owned(key), owned(value));
        task(&self.inner, move |s| {
            Ok(Out::Bool(s.set_if_present(
                &key,
                &value,
                crate::ttl(ttl_secs)?,
            )?))
        })
    }

    /// Stores `value` at `key` only if it holds exactly `expected` (null: nothing live);
    /// resolves true if it wrote.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn compare_and_set_async(
        &self,
        key: Either<String, Buffer>,
        expected: Option<Either<String, Buffer>>,
        value: Either<String, Buffer>,
        ttl_secs: Option<f64>,
    ) -> AsyncTask<Work> {
        let (key, expected, value) = (owned(key), expected.map(owned), owned(value));
        task(&self.inner, move |s| {
            let ttl = crate::ttl(ttl_secs)?;
            Ok(Out::Bool(s.compare_and_set(
                &key,
                expected.as_deref(),
                &value,
                ttl,
            )?))
        })
    }

    /// Stores `value` at `key` and resolves the bytes it replaced, or null.
    #[napi(ts_return_type = "Promise<Buffer | null>")]
    pub fn get_set_async(
        &self,
        key: Either<String, Buffer>,
        value: Either<String, Buffer>,
        ttl_secs: Option<f64>,
    ) -> AsyncTask<Work> {
        let (key, value) = (owned(key), owned(value));
        task(&self.inner, move |s| {
            Ok(Out::OptBytes(s.get_set(
                &key,
                &value,
                crate::ttl(ttl_secs)?,
            )?))
        })
    }

    /// Removes `key` and resolves the bytes it held, or null.
    #[napi(ts_return_type = "Promise<Buffer | null>")]
    pub fn get_delete_async(&self, key: Either<String, Buffer>) -> AsyncTask<Work> {
        let key = owned(key);
        task(&self.inner, move |s| Ok(Out::OptBytes(s.get_delete(&key)?)))
    }

    /// Removes `key`; true if a live key was removed.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn delete_async(&self, key: Either<String, Buffer>) -> AsyncTask<Work> {
        let key = owned(key);
        task(&self.inner, move |s| Ok(Out::Bool(s.delete(&key)?)))
    }

    /// Whether `key` holds a live value of any kind.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn exists_async(&self, key: Either<String, Buffer>) -> AsyncTask<Work> {
        let key = owned(key);
        task(&self.inner, move |s| Ok(Out::Bool(s.exists(&key)?)))
    }

    /// What `key` holds (`"bytes"`, `"counter"`, …), or null.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn kind_of_async(&self, key: Either<String, Buffer>) -> AsyncTask<Work> {
        let key = owned(key);
        task(&self.inner, move |s| {
            Ok(Out::OptText(s.kind_of(&key)?.map(|k| k.name().to_string())))
        })
    }

    /// Sets `key` to expire after `ttl` seconds (0 deletes it); false when absent.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn expire_async(&self, key: Either<String, Buffer>, ttl_secs: f64) -> AsyncTask<Work> {
        let key = owned(key);
        task(&self.inner, move |s| {
            Ok(Out::Bool(s.expire(&key, secs(ttl_secs)?)?))
        })
    }

    /// Removes the expiry of `key`; true if it had one.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn persist_async(&self, key: Either<String, Buffer>) -> AsyncTask<Work> {
        let key = owned(key);
        task(&self.inner, move |s| Ok(Out::Bool(s.persist(&key)?)))
    }

    /// Seconds left before `key` expires, null without expiry; `NotFound` when absent.
    #[napi(ts_return_type = "Promise<number | null>")]
    pub fn ttl_async(&self, key: Either<String, Buffer>) -> AsyncTask<Work> {
        let key = owned(key);
        task(&self.inner, move |s| {
            Ok(Out::OptNum(s.ttl(&key)?.map(|d| d.as_secs_f64())))
        })
    }

    /// Values of several keys, read as one snapshot (null for absent ones).
    #[napi(ts_return_type = "Promise<Array<Buffer | null>>")]
    pub fn get_many_async(&self, keys: Vec<Either<String, Buffer>>) -> AsyncTask<Work> {
        let keys: Vec<Vec<u8>> = keys.into_iter().map(owned).collect();
        task(&self.inner, move |s| {
            let ks: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
            Ok(Out::OptByteList(s.get_many(&ks)?))
        })
    }

    /// Stores `keys[i] = values[i]` for every i atomically, each expiring after `ttl` if given.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_many_async(
        &self,
        keys: Vec<Either<String, Buffer>>,
        values: Vec<Either<String, Buffer>>,
        ttl_secs: Option<f64>,
    ) -> AsyncTask<Work> {
        let keys: Vec<Vec<u8>> = keys.into_iter().map(owned).collect();
        let values: Vec<Vec<u8>> = values.into_iter().map(owned).collect();
        task(&self.inner, move |s| {
            if keys.len() != values.len() {
                return Err(grove_core::Error::new(
                    ErrorKind::InvalidArgument,
                    "setMany needs as many values as keys",
                ));
            }
            let items: Vec<(&[u8], &[u8])> = keys
                .iter()
                .map(Vec::as_slice)
                .zip(values.iter().map(Vec::as_slice))
                .collect();
            s.set_many(&items, crate::ttl(ttl_secs)?)?;
            Ok(Out::Unit)
        })
    }

    /// Removes every expired key in this view; resolves how many.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn purge_expired_async(&self) -> AsyncTask<Work> {
        task(&self.inner, |s| Ok(Out::Num(s.purge_expired()? as f64)))
    }

    /// The state of lock `name` as any observer sees it.
    #[napi(ts_return_type = "Promise<NativeLockInfo>")]
    pub fn lock_info_async(&self, name: String) -> AsyncTask<Work> {
        task(&self.inner, move |s| Ok(Out::LockInfo(s.lock_info(&name)?)))
    }

    /// The CRDT keys of this view changed since the cursor `since` (0: all) as a bundle, with
    /// the cursor to pass next time.
    #[napi(ts_return_type = "Promise<NativeChanges>")]
    pub fn export_changes_async(&self, since: Either<f64, BigInt>) -> AsyncTask<Work> {
        task(&self.inner, move |s| {
            let (data, cursor) = s.export_changes(u64_arg(&since, "since")?)?;
            Ok(Out::Changes(data, cursor))
        })
    }

    /// Merges a bundle from `exportChanges` (of any store); all or nothing.
    #[napi(ts_return_type = "Promise<NativeSyncReport>")]
    pub fn apply_changes_async(&self, data: Buffer) -> AsyncTask<Work> {
        let data = data.to_vec();
        task(&self.inner, move |s| {
            Ok(Out::Report(s.apply_changes(&data)?))
        })
    }

    /// The atomic counter `name` (key `counter:<name>`) for the promises door; `Closed` on a
    /// closed handle.
    #[napi]
    pub fn async_counter(&self, name: String) -> Result<NativeCounter> {
        guard(|| {
            if self.inner.is_closed() {
                return Err(closed());
            }
            Ok(NativeCounter {
                inner: Arc::new(self.inner.counter(&name)?),
                store: self.inner.clone(),
            })
        })
    }
}

#[napi]
impl NativeKeys {
    /// Up to `max` further keys; an empty array means the end.
    #[napi(ts_return_type = "Promise<Array<Buffer>>")]
    pub fn next_batch_async(&self, max: u32) -> AsyncTask<Work> {
        let keys = Arc::clone(&self.inner);
        task(&self.store, move |s| {
            Ok(Out::ByteList(next_keys(s, &keys, max)?))
        })
    }
}

// ---- the counter (the sync door's counter is raw Node-API in fast.rs; this one is a class) ----

/// The atomic counter `counter:<name>` of the promises door (native half of its `Counter`).
#[napi]
pub struct NativeCounter {
    inner: Arc<Counter>,
    store: Store,
}

#[napi]
impl NativeCounter {
    /// The key this counter lives at (`counter:<name>`).
    #[napi(getter)]
    pub fn key(&self) -> String {
        String::from_utf8_lossy(self.inner.key()).into_owned()
    }

    /// Adds `delta` (may be negative) and resolves the new value.
    #[napi(ts_return_type = "Promise<number | bigint>")]
    pub fn increment_async(&self, delta: Either<f64, BigInt>) -> AsyncTask<Work> {
        let c = Arc::clone(&self.inner);
        task(&self.store, move |_| {
            Ok(Out::I64(c.increment(i64_arg(&delta, "delta")?)?))
        })
    }

    /// Subtracts `delta` and resolves the new value.
    #[napi(ts_return_type = "Promise<number | bigint>")]
    pub fn decrement_async(&self, delta: Either<f64, BigInt>) -> AsyncTask<Work> {
        let c = Arc::clone(&self.inner);
        task(&self.store, move |_| {
            Ok(Out::I64(c.decrement(i64_arg(&delta, "delta")?)?))
        })
    }

    /// Subtracts `delta` (0 or more) only if the value stays at or above `floor`; resolves the
    /// new value, or null when refused.
    #[napi(ts_return_type = "Promise<number | bigint | null>")]
    pub fn try_decrement_async(
        &self,
        delta: Either<f64, BigInt>,
        floor: Either<f64, BigInt>,
    ) -> AsyncTask<Work> {
        let c = Arc::clone(&self.inner);
        task(&self.store, move |_| {
            let (d, f) = (i64_arg(&delta, "delta")?, i64_arg(&floor, "floor")?);
            Ok(Out::OptI64(c.try_decrement(d, f)?))
        })
    }

    /// Adds `delta` (0 or more) only if the value stays at or below `cap`; resolves the new
    /// value, or null when refused.
    #[napi(ts_return_type = "Promise<number | bigint | null>")]
    pub fn try_increment_async(
        &self,
        delta: Either<f64, BigInt>,
        cap: Either<f64, BigInt>,
    ) -> AsyncTask<Work> {
        let c = Arc::clone(&self.inner);
        task(&self.store, move |_| {
            let (d, m) = (i64_arg(&delta, "delta")?, i64_arg(&cap, "cap")?);
            Ok(Out::OptI64(c.try_increment(d, m)?))
        })
    }

    /// The current value (0 when unset).
    #[napi(ts_return_type = "Promise<number | bigint>")]
    pub fn get_async(&self) -> AsyncTask<Work> {
        let c = Arc::clone(&self.inner);
        task(&self.store, move |_| Ok(Out::I64(c.get()?)))
    }

    /// Sets the value.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_async(&self, value: Either<f64, BigInt>) -> AsyncTask<Work> {
        let c = Arc::clone(&self.inner);
        task(&self.store, move |_| {
            c.set(i64_arg(&value, "value")?)?;
            Ok(Out::Unit)
        })
    }

    /// Sets the value to 0.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn reset_async(&self) -> AsyncTask<Work> {
        let c = Arc::clone(&self.inner);
        task(&self.store, move |_| c.reset().map(|()| Out::Unit))
    }
}

// ---- lock, rate limiter, sessions ----

#[napi]
impl NativeLock {
    /// One attempt: takes the lock if it is free or its lease expired; true on success.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn try_acquire_async(&self) -> AsyncTask<Work> {
        let l = Arc::clone(&self.inner);
        task(&self.store, move |_| Ok(Out::Bool(l.try_acquire()?)))
    }

    /// Releases the lock if this object still owns an unexpired lease; false otherwise.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn release_async(&self) -> AsyncTask<Work> {
        let l = Arc::clone(&self.inner);
        task(&self.store, move |_| Ok(Out::Bool(l.release()?)))
    }

    /// Sets the lease to end `ttl` seconds from now if this object still owns it; false otherwise.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn extend_async(&self, ttl_secs: f64) -> AsyncTask<Work> {
        let l = Arc::clone(&self.inner);
        task(&self.store, move |_| {
            Ok(Out::Bool(l.extend(secs(ttl_secs)?)?))
        })
    }

    /// Whether this object owns the lock now.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn held_async(&self) -> AsyncTask<Work> {
        let l = Arc::clone(&self.inner);
        task(&self.store, move |_| Ok(Out::Bool(l.held()?)))
    }
}

#[napi]
impl NativeRateLimiter {
    /// Admits `cost` for `key` if it fits in the sliding window, atomically.
    #[napi(ts_return_type = "Promise<NativeDecision>")]
    pub fn allow_async(&self, key: String, cost: f64) -> AsyncTask<Work> {
        let rl = self.inner.clone();
        task(&self.store, move |_| {
            Ok(Out::Decision(rl.allow(&key, whole(cost, "cost")?)?))
        })
    }

    /// What a cost-1 request for `key` would get now, recording nothing.
    #[napi(ts_return_type = "Promise<NativeDecision>")]
    pub fn peek_async(&self, key: String) -> AsyncTask<Work> {
        let rl = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Decision(rl.peek(&key)?)))
    }

    /// Forgets everything admitted for `key`; true if there was state.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn reset_async(&self, key: String) -> AsyncTask<Work> {
        let rl = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bool(rl.reset(&key)?)))
    }
}

#[napi]
impl NativeSessions {
    /// Stores `data` (JSON text) under a new random id and resolves the id.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn create_async(&self, data: String) -> AsyncTask<Work> {
        let ss = self.inner.clone();
        task(&self.store, move |_| {
            Ok(Out::Text(ss.create(data.as_bytes())?))
        })
    }

    /// The data of a live session as text, or null; `WrongType` if it is not UTF-8.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn get_async(&self, id: String) -> AsyncTask<Work> {
        let ss = self.inner.clone();
        task(&self.store, move |_| {
            match ss.get(&id)? {
            None => Ok(Out::OptText(None)),
            Some(b) => String::from_utf8(b)
                .map(|t| Out::OptText(Some(t)))
                .map_err(|_| {
                    grove_core::Error::new(
                        ErrorKind::WrongType,
                        "session data is not UTF-8 JSON text (written as raw bytes by another door?)",
                    )
                }),
        }
        })
    }

    /// Replaces a live session's data and restarts its TTL; false if missing or expired.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn update_async(&self, id: String, data: String) -> AsyncTask<Work> {
        let ss = self.inner.clone();
        task(&self.store, move |_| {
            Ok(Out::Bool(ss.update(&id, data.as_bytes())?))
        })
    }

    /// Restarts a live session's TTL; false if missing or expired.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn touch_async(&self, id: String) -> AsyncTask<Work> {
        let ss = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bool(ss.touch(&id)?)))
    }

    /// Deletes a session; true if it was live.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn delete_async(&self, id: String) -> AsyncTask<Work> {
        let ss = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bool(ss.delete(&id)?)))
    }

    /// Whether a session is live.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn exists_async(&self, id: String) -> AsyncTask<Work> {
        let ss = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bool(ss.exists(&id)?)))
    }
}

// ---- leaderboard and queue ----

#[napi]
impl NativeLeaderboard {
    /// Sets `member`'s score (adding the member if new); `InvalidArgument` for NaN/±Infinity.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn add_async(&self, member: String, score: f64) -> AsyncTask<Work> {
        let lb = self.inner.clone();
        task(&self.store, move |_| {
            lb.add(&member, score).map(|()| Out::Unit)
        })
    }

    /// Adds `delta` to `member`'s score (from 0 if new); resolves the new score.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn incr_async(&self, member: String, delta: f64) -> AsyncTask<Work> {
        let lb = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Num(lb.incr(&member, delta)?)))
    }

    /// `member`'s score, or null.
    #[napi(ts_return_type = "Promise<number | null>")]
    pub fn score_async(&self, member: String) -> AsyncTask<Work> {
        let lb = self.inner.clone();
        task(&self.store, move |_| Ok(Out::OptNum(lb.score(&member)?)))
    }

    /// `member`'s rank (0 = highest, ties by member), or null.
    #[napi(ts_return_type = "Promise<number | null>")]
    pub fn rank_async(&self, member: String) -> AsyncTask<Work> {
        let lb = self.inner.clone();
        task(&self.store, move |_| {
            Ok(Out::OptNum(lb.rank(&member)?.map(|r| r as f64)))
        })
    }

    /// Members ranked in `[start, stop)`; a null `stop` means to the end.
    #[napi(ts_return_type = "Promise<Array<NativeRanked>>")]
    pub fn range_async(&self, start: f64, stop: Option<f64>) -> AsyncTask<Work> {
        let lb = self.inner.clone();
        task(&self.store, move |_| {
            let start = whole(start, "start")?;
            let stop = match stop {
                None => u64::MAX,
                Some(s) => whole(s, "stop")?,
            };
            Ok(Out::Ranked(lb.range(start, stop)?))
        })
    }

    /// `member` with up to `n` members ranked above and `n` below; empty if absent.
    #[napi(ts_return_type = "Promise<Array<NativeRanked>>")]
    pub fn around_async(&self, member: String, n: f64) -> AsyncTask<Work> {
        let lb = self.inner.clone();
        task(&self.store, move |_| {
            Ok(Out::Ranked(lb.around(&member, whole(n, "n")?)?))
        })
    }

    /// Removes `member`; true if it was there.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn remove_async(&self, member: String) -> AsyncTask<Work> {
        let lb = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bool(lb.remove(&member)?)))
    }

    /// Number of members.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn len_async(&self) -> AsyncTask<Work> {
        let lb = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Num(lb.len()? as f64)))
    }

    /// Removes every member; resolves how many there were.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn clear_async(&self) -> AsyncTask<Work> {
        let lb = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Num(lb.clear()? as f64)))
    }
}

#[napi]
impl NativeQueue {
    /// Adds a job deliverable after `delay` seconds (default 0); resolves its id.
    #[napi(ts_return_type = "Promise<number | bigint>")]
    pub fn enqueue_async(
        &self,
        payload: Either<String, Buffer>,
        delay_secs: Option<f64>,
    ) -> AsyncTask<Work> {
        let (q, payload) = (self.inner.clone(), owned(payload));
        task(&self.store, move |_| {
            let delay = secs(delay_secs.unwrap_or(0.0))?;
            Ok(Out::U64(q.enqueue(&payload, delay)?))
        })
    }

    /// One attempt: delivers the oldest ready job (or one whose visibility timeout passed), or null.
    #[napi(ts_return_type = "Promise<NativeJob | null>")]
    pub fn dequeue_async(&self) -> AsyncTask<Work> {
        let q = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Job(q.dequeue()?)))
    }

    /// Marks a delivered job done and removes it; false if it is not in flight.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn ack_async(&self, id: Either<f64, BigInt>) -> AsyncTask<Work> {
        let q = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bool(q.ack(job_id(&id)?)?)))
    }

    /// Gives a delivered job back, deliverable again after `delay` seconds; false if not in flight.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn nack_async(&self, id: Either<f64, BigInt>, delay_secs: Option<f64>) -> AsyncTask<Work> {
        let q = self.inner.clone();
        task(&self.store, move |_| {
            let delay = secs(delay_secs.unwrap_or(0.0))?;
            Ok(Out::Bool(q.nack(job_id(&id)?, delay)?))
        })
    }

    /// Counts of ready, in-flight and dead jobs.
    #[napi(ts_return_type = "Promise<NativeQueueStats>")]
    pub fn stats_async(&self) -> AsyncTask<Work> {
        let q = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Stats(q.stats()?)))
    }

    /// The jobs on the dead-letter list, oldest first.
    #[napi(ts_return_type = "Promise<Array<NativeJob>>")]
    pub fn dead_letters_async(&self) -> AsyncTask<Work> {
        let q = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Jobs(q.dead_letters()?)))
    }
}

// ---- CRDTs ----

#[napi]
impl NativeCrdtCounter {
    /// Adds `n` (>= 0) to this node's increments; resolves the new value.
    #[napi(ts_return_type = "Promise<number | bigint>")]
    pub fn increment_async(&self, n: Either<f64, BigInt>) -> AsyncTask<Work> {
        let c = self.inner.clone();
        task(&self.store, move |_| {
            Ok(Out::I64(c.increment(u64_arg(&n, "n")?)?))
        })
    }

    /// Adds `n` (>= 0) to this node's decrements; resolves the new value.
    #[napi(ts_return_type = "Promise<number | bigint>")]
    pub fn decrement_async(&self, n: Either<f64, BigInt>) -> AsyncTask<Work> {
        let c = self.inner.clone();
        task(&self.store, move |_| {
            Ok(Out::I64(c.decrement(u64_arg(&n, "n")?)?))
        })
    }

    /// Adds a signed amount; resolves the new value.
    #[napi(ts_return_type = "Promise<number | bigint>")]
    pub fn add_async(&self, delta: Either<f64, BigInt>) -> AsyncTask<Work> {
        let c = self.inner.clone();
        task(&self.store, move |_| {
            Ok(Out::I64(c.add(i64_arg(&delta, "delta")?)?))
        })
    }

    /// Sum of increments minus sum of decrements over all nodes.
    #[napi(ts_return_type = "Promise<number | bigint>")]
    pub fn value_async(&self) -> AsyncTask<Work> {
        let c = self.inner.clone();
        task(&self.store, move |_| Ok(Out::I64(c.value()?)))
    }

    /// `[increments, decrements]` summed over all nodes.
    #[napi(ts_return_type = "Promise<Array<number | bigint>>")]
    pub fn totals_async(&self) -> AsyncTask<Work> {
        let c = self.inner.clone();
        task(&self.store, move |_| {
            let (p, n) = c.totals()?;
            Ok(Out::Totals(p, n))
        })
    }

    /// Each node's increments and decrements, by node id.
    #[napi(ts_return_type = "Promise<Array<NativeContribution>>")]
    pub fn contributions_async(&self) -> AsyncTask<Work> {
        let c = self.inner.clone();
        task(&self.store, move |_| {
            Ok(Out::Contributions(c.contributions()?.into_iter().collect()))
        })
    }

    /// Makes this node's net contribution 0 by a monotone update; resolves the new value.
    #[napi(ts_return_type = "Promise<number | bigint>")]
    pub fn reset_local_async(&self) -> AsyncTask<Work> {
        let c = self.inner.clone();
        task(&self.store, move |_| Ok(Out::I64(c.reset_local()?)))
    }

    /// The versioned, type-tagged state bytes.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn state_async(&self) -> AsyncTask<Work> {
        let c = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bytes(c.state()?)))
    }

    /// Merges state bytes from another replica; true if this one changed.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn merge_async(&self, state: Buffer) -> AsyncTask<Work> {
        let (c, state) = (self.inner.clone(), state.to_vec());
        task(&self.store, move |_| Ok(Out::Bool(c.merge(&state)?)))
    }
}

#[napi]
impl NativeCrdtRegister {
    /// Writes a JSON value (text), stamped by this node's clock.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_async(&self, json: String) -> AsyncTask<Work> {
        let r = self.inner.clone();
        task(&self.store, move |_| r.set(&json).map(|()| Out::Unit))
    }

    /// The current value as canonical JSON text, or null when never set.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn get_async(&self) -> AsyncTask<Work> {
        let r = self.inner.clone();
        task(&self.store, move |_| Ok(Out::OptText(r.get()?)))
    }

    /// The versioned, type-tagged state bytes.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn state_async(&self) -> AsyncTask<Work> {
        let r = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bytes(r.state()?)))
    }

    /// Merges state bytes from another replica; true if this one changed.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn merge_async(&self, state: Buffer) -> AsyncTask<Work> {
        let (r, state) = (self.inner.clone(), state.to_vec());
        task(&self.store, move |_| Ok(Out::Bool(r.merge(&state)?)))
    }
}

#[napi]
impl NativeCrdtSet {
    /// Adds a JSON value (text).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn add_async(&self, json: String) -> AsyncTask<Work> {
        let set = self.inner.clone();
        task(&self.store, move |_| set.add(&json).map(|()| Out::Unit))
    }

    /// Removes a value (the adds this replica has seen); true if it was present.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn remove_async(&self, json: String) -> AsyncTask<Work> {
        let set = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bool(set.remove(&json)?)))
    }

    /// Whether the value is present.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn contains_async(&self, json: String) -> AsyncTask<Work> {
        let set = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bool(set.contains(&json)?)))
    }

    /// Every member as canonical JSON text, in canonical-text order.
    #[napi(ts_return_type = "Promise<Array<string>>")]
    pub fn members_async(&self) -> AsyncTask<Work> {
        let set = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Texts(set.members()?)))
    }

    /// Number of members.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn len_async(&self) -> AsyncTask<Work> {
        let set = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Num(set.len()? as f64)))
    }

    /// The versioned, type-tagged state bytes.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn state_async(&self) -> AsyncTask<Work> {
        let set = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bytes(set.state()?)))
    }

    /// Merges state bytes from another replica; true if this one changed.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn merge_async(&self, state: Buffer) -> AsyncTask<Work> {
        let (set, state) = (self.inner.clone(), state.to_vec());
        task(&self.store, move |_| Ok(Out::Bool(set.merge(&state)?)))
    }
}

#[napi]
impl NativeCrdtMap {
    /// Sets `field` to a JSON value (text).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_async(&self, field: String, json: String) -> AsyncTask<Work> {
        let m = self.inner.clone();
        task(&self.store, move |_| {
            m.set(&field, &json).map(|()| Out::Unit)
        })
    }

    /// The value of `field` as canonical JSON text, or null.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn get_async(&self, field: String) -> AsyncTask<Work> {
        let m = self.inner.clone();
        task(&self.store, move |_| Ok(Out::OptText(m.get(&field)?)))
    }

    /// Deletes `field` with a tombstone; true if it had a value.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn delete_async(&self, field: String) -> AsyncTask<Work> {
        let m = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bool(m.delete(&field)?)))
    }

    /// Names of the fields that have a value, in order.
    #[napi(ts_return_type = "Promise<Array<string>>")]
    pub fn keys_async(&self) -> AsyncTask<Work> {
        let m = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Texts(m.keys()?)))
    }

    /// Every field with a value, in name order.
    #[napi(ts_return_type = "Promise<Array<NativeField>>")]
    pub fn all_async(&self) -> AsyncTask<Work> {
        let m = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Fields(m.all()?)))
    }

    /// The versioned, type-tagged state bytes.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn state_async(&self) -> AsyncTask<Work> {
        let m = self.inner.clone();
        task(&self.store, move |_| Ok(Out::Bytes(m.state()?)))
    }

    /// Merges state bytes from another replica; true if this one changed.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn merge_async(&self, state: Buffer) -> AsyncTask<Work> {
        let (m, state) = (self.inner.clone(), state.to_vec());
        task(&self.store, move |_| Ok(Out::Bool(m.merge(&state)?)))
    }
}
