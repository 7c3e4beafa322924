//! Node.js bindings (napi-rs) for Grove: the native half of the npm package `grovekv`.
//!
//! This layer is deliberately plain: typed arguments, Grove errors as JS `Error`s whose `code`
//! is the Grove error kind, and every call guarded so a Rust panic becomes an `Internal` error
//! instead of aborting node. Counter operations are raw Node-API callbacks (`fast.rs`) because
//! napi-rs glue costs more than an in-memory increment. Argument checking (TypeError/RangeError),
//! options objects, iterators and the 64-bit number policy live in the hand-written `index.js`.
#![deny(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod coord;
mod crdt;
mod fast;
mod ordered;
// Public like the root's `#[napi]` functions, which only the generated registration calls (so
// `cargo test` and clippy would otherwise find promises.rs's free functions unused).
pub mod promises;

use grove_core::{Durability, ErrorKind, Keys, Options, Store};
use napi::bindgen_prelude::{BigInt, Buffer, Either, Object, ToNapiValue};
use napi::{sys, Env, JsValue};
use napi_derive::napi;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The `code` of a JS error thrown by this addon: a Grove error kind's name (`"WrongType"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code(ErrorKind);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0.as_str()
    }
}

/// The result type of every export: errors carry a Grove kind as their JS `code`.
pub type Result<T> = napi::Result<T, Code>;

/// Converts a core error into a JS error with `code` = its kind.
fn to_js(e: grove_core::Error) -> napi::Error<Code> {
    napi::Error::new(Code(e.kind()), e.message().to_string())
}

/// An error of `kind` with `message`.
fn js_err(kind: ErrorKind, message: impl Into<String>) -> napi::Error<Code> {
    napi::Error::new(Code(kind), message.into())
}

/// Runs `f`, turning a core error into a coded JS error and a panic into an `Internal` one.
fn guard<T>(f: impl FnOnce() -> grove_core::Result<T>) -> Result<T> {
    catch(f).map_err(to_js)
}

/// Runs `f`, turning a panic into an `Internal` core error (any thread; no JS involved).
fn catch<T>(f: impl FnOnce() -> grove_core::Result<T>) -> grove_core::Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let what = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".to_string());
            // Dropping a payload can itself panic; leaking it is the safe choice.
            std::mem::forget(payload);
            Err(grove_core::Error::new(
                ErrorKind::Internal,
                format!("a bug in grovekv (Rust panic): {what}"),
            ))
        }
    }
}

/// The core's `Closed` error, for checks the core does not make itself.
fn closed() -> grove_core::Error {
    grove_core::Error::new(ErrorKind::Closed, "the store handle is closed")
}

/// The bytes of a key or value as JS gives it: a string (encoded UTF-8) or a Buffer.
fn bytes(b: &Either<String, Buffer>) -> &[u8] {
    match b {
        Either::A(s) => s.as_bytes(),
        Either::B(buf) => buf,
    }
}

/// A TTL in float seconds, validated by the core (finite, >= 0, at most 100 years).
fn ttl(secs: Option<f64>) -> grove_core::Result<Option<Duration>> {
    secs.map(grove_core::ttl_from_secs).transpose()
}

/// Durability from the JS options: `flushEveryMs` as a whole number of milliseconds (any other
/// number cannot become one), then the core's rule (its range, and not together with `durable`).
fn durability(
    durable: Option<bool>,
    flush_every_ms: Option<f64>,
) -> grove_core::Result<Durability> {
    let ms = match flush_every_ms {
        None => None,
        Some(ms) if ms >= 0.0 && ms.fract() == 0.0 && ms <= 9_007_199_254_740_991.0 => {
            Some(ms as u64)
        }
        Some(ms) => {
            return Err(grove_core::Error::new(
                ErrorKind::InvalidArgument,
                format!("flushEveryMs must be a whole number of milliseconds, got {ms}"),
            ))
        }
    };
    Durability::from_options(durable == Some(true), ms)
}

/// An opaque counter handle (a type-tagged external owning a core `Counter`), used with the raw
/// `counter*` functions registered by `fast.rs`.
pub struct CounterHandle(sys::napi_value);

impl ToNapiValue for CounterHandle {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        Ok(val.0)
    }
}

/// Registers the raw counter functions (`counterIncrement`, …) on the module's exports.
#[napi(module_exports)]
pub fn register_fast_paths(exports: Object, env: Env) -> napi::Result<()> {
    // SAFETY: called once per env at module load with that env's exports object.
    unsafe { fast::register(env.raw(), exports.raw()) }
}

/// A connect timeout in JS milliseconds, converted by the core's rule for connect timeouts.
fn connect_timeout(ms: f64) -> grove_core::Result<Duration> {
    grove_core::connect_timeout_from_secs(ms / 1000.0)
}

/// A reply timeout in JS milliseconds, converted by the core's rule for reply timeouts.
fn reply_timeout(ms: f64) -> grove_core::Result<Duration> {
    grove_core::reply_timeout_from_secs(ms / 1000.0)
}

/// The network timeouts of `open`, in JS milliseconds.
#[derive(Default, Clone, Copy)]
pub(crate) struct ServerTimeouts {
    connect_ms: Option<f64>,
    reply_ms: Option<f64>,
}

impl ServerTimeouts {
    /// The two timeouts as `open` received them.
    pub(crate) fn new(connect_ms: Option<f64>, reply_ms: Option<f64>) -> ServerTimeouts {
        ServerTimeouts {
            connect_ms,
            reply_ms,
        }
    }
}

/// The compression and encryption options of `open`/`openMemory`, copied out of JS (so they
/// can move to a pool thread). Key lengths are the core's to check.
#[derive(Default)]
pub(crate) struct CodecArgs {
    compress_min_bytes: Option<usize>,
    encryption_key: Option<Vec<u8>>,
    old_encryption_keys: Vec<Vec<u8>>,
}

impl CodecArgs {
    /// From the native arguments: `compressMinBytes` (a whole number >= 0, or absent for no
    /// compression) and the key Buffers.
    pub(crate) fn new(
        compress_min_bytes: Option<f64>,
        encryption_key: Option<Buffer>,
        old_encryption_keys: Option<Vec<Buffer>>,
    ) -> grove_core::Result<CodecArgs> {
        let compress_min_bytes = match compress_min_bytes {
            None => None,
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => {
                Some(n as usize)
            }
            Some(n) => {
                return Err(grove_core::Error::new(
                    ErrorKind::InvalidArgument,
                    format!("compressMinBytes must be a whole number of bytes >= 0, got {n}"),
                ))
            }
        };
        Ok(CodecArgs {
            compress_min_bytes,
            encryption_key: encryption_key.map(|k| k.to_vec()),
            old_encryption_keys: old_encryption_keys
                .unwrap_or_default()
                .iter()
                .map(|k| k.to_vec())
                .collect(),
        })
    }

    /// Sets these on `opts`.
    fn apply(self, opts: &mut Options) {
        opts.compress_min_bytes = self.compress_min_bytes;
        opts.encryption_key = self.encryption_key;
        opts.old_encryption_keys = self.old_encryption_keys;
    }
}

/// Opens (creating if needed) the store at `path` (any target: `./data`, `lmdb:./data`,
/// `redis://…`, …).
pub(crate) fn open_store(
    path: &str,
    node_id: Option<String>,
    durable: Option<bool>,
    flush_every_ms: Option<f64>,
    max_drift_secs: Option<f64>,
    timeouts: ServerTimeouts,
    codec: CodecArgs,
) -> grove_core::Result<Store> {
    let mut opts = Options::new().durability(durability(durable, flush_every_ms)?);
    opts.node_id = node_id;
    opts.connect_timeout = timeouts.connect_ms.map(connect_timeout).transpose()?;
    opts.reply_timeout = timeouts.reply_ms.map(reply_timeout).transpose()?;
    codec.apply(&mut opts);
    let drift = max_drift_secs.map(crdt::max_drift).transpose()?;
    let store = Store::open_with(path, opts)?;
    if let Some(d) = drift {
        store.set_max_drift(d);
    }
    Ok(store)
}

/// Opens a fresh in-memory store.
pub(crate) fn open_memory_store(
    node_id: Option<String>,
    max_drift_secs: Option<f64>,
    codec: CodecArgs,
) -> grove_core::Result<Store> {
    let mut opts = Options::new();
    opts.node_id = node_id;
    codec.apply(&mut opts);
    let drift = max_drift_secs.map(crdt::max_drift).transpose()?;
    let store = Store::open_memory_with(opts)?;
    if let Some(d) = drift {
        store.set_max_drift(d);
    }
    Ok(store)
}

/// Opens (creating if needed) the store at `path` (`./data`, `sled:`, `lmdb:`, `memory:` or
/// `redis://…`); same path in this process = same engine.
#[napi]
#[allow(clippy::too_many_arguments)]
pub fn open(
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
) -> Result<NativeStore> {
    guard(|| {
        let codec = CodecArgs::new(compress_min_bytes, encryption_key, old_encryption_keys)?;
        let inner = open_store(
            &path,
            node_id,
            durable,
            flush_every_ms,
            max_drift_secs,
            ServerTimeouts::new(connect_timeout_ms, reply_timeout_ms),
            codec,
        )?;
        Ok(NativeStore { inner })
    })
}

/// Opens a fresh in-memory store (nothing on disk, same semantics).
#[napi]
pub fn open_memory(
    node_id: Option<String>,
    max_drift_secs: Option<f64>,
    compress_min_bytes: Option<f64>,
    encryption_key: Option<Buffer>,
    old_encryption_keys: Option<Vec<Buffer>>,
) -> Result<NativeStore> {
    guard(|| {
        let codec = CodecArgs::new(compress_min_bytes, encryption_key, old_encryption_keys)?;
        let inner = open_memory_store(node_id, max_drift_secs, codec)?;
        Ok(NativeStore { inner })
    })
}

/// A wait of the JS-side wait loops (`Lock.acquire`, `Queue.dequeueWait`) in seconds, checked
/// by the core's rule for durations and returned as given. Only finite waits come here:
/// `Infinity`, JS's spelling of "no timeout", is the caller's (a type conversion).
#[napi(js_name = "_waitSecs")]
pub fn wait_secs(what: String, secs: f64) -> Result<f64> {
    guard(|| grove_core::duration_from_secs(&what, secs).map(|_| secs))
}

/// The pause in milliseconds between two tries of `Lock.acquire`'s JS loop for a retry interval
/// of `secs` seconds: checked by the core's rule for durations, then raised to the core's floor
/// (`grove_core::retry_pause`).
#[napi(js_name = "_retryPauseMs")]
pub fn retry_pause_ms(secs: f64) -> Result<f64> {
    guard(|| {
        let wanted = grove_core::duration_from_secs("retryInterval", secs)?;
        Ok(grove_core::retry_pause(wanted).as_secs_f64() * 1000.0)
    })
}

/// The version of the Grove core this addon was built with.
#[napi]
pub fn core_version() -> String {
    grove_core::VERSION.to_string()
}

/// Benchmark helper: `n` counter increments run in Rust on the store at `path` (memory when
/// null), returning the elapsed seconds; lets bench.js compare Node with the core in one process.
#[napi(js_name = "_benchCoreIncrement")]
pub fn bench_core_increment(path: Option<String>, n: u32) -> Result<f64> {
    guard(|| {
        let store = match &path {
            Some(p) => Store::open(p)?,
            None => Store::open_memory(),
        };
        let c = store.counter("bench-core")?;
        let start = Instant::now();
        for _ in 0..n {
            std::hint::black_box(c.increment(1)?);
        }
        let secs = start.elapsed().as_secs_f64();
        store.close()?;
        Ok(secs)
    })
}

/// Test helper: panics inside Rust, to prove a panic becomes an `Internal` error.
#[napi(js_name = "_panicForTest")]
pub fn panic_for_test() -> Result<()> {
    guard(|| -> grove_core::Result<()> { panic!("deliberate panic for the test suite") })
}

/// A store handle or namespaced view (native half of `Store` in index.js and promises.js).
#[napi]
pub struct NativeStore {
    /// The Rust store or view behind this JS object.
    pub(crate) inner: Store,
}

#[napi]
impl NativeStore {
    /// Closes this handle and everything made from it; closing twice is fine.
    #[napi]
    pub fn close(&self) -> Result<()> {
        guard(|| self.inner.close())
    }

    /// Makes every write so far durable.
    #[napi]
    pub fn flush(&self) -> Result<()> {
        guard(|| self.inner.flush())
    }

    /// Whether this handle has been closed.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// This replica's persisted id.
    #[napi(getter)]
    pub fn node_id(&self) -> String {
        self.inner.node_id().to_string()
    }

    /// The store directory, or null for a store without one (`memory:`, `redis://`).
    #[napi(getter)]
    pub fn path(&self) -> Option<String> {
        self.inner.path().map(|p| p.to_string_lossy().into_owned())
    }

    /// Whether every write is fsynced before it returns.
    #[napi(getter)]
    pub fn durable(&self) -> bool {
        self.inner.durability() == Durability::EveryWrite
    }

    /// The key prefix this view adds (`"a:b:"`), empty for the root.
    #[napi(getter)]
    pub fn prefix(&self) -> String {
        String::from_utf8_lossy(self.inner.namespace_prefix()).into_owned()
    }

    /// This handle's metrics as the core's JSON (`{"<primitive>.<op>": {count, errors, p50_us,
    /// p99_us}}`); index.js converts it to an object (exact numbers or a RangeError).
    #[napi]
    pub fn metrics_json(&self) -> Result<String> {
        guard(|| self.inner.metrics_json())
    }

    /// This handle's metrics in the Prometheus text exposition format.
    #[napi]
    pub fn metrics_prometheus(&self) -> Result<String> {
        guard(|| self.inner.metrics_prometheus())
    }

    /// Bytes the store occupies on disk (0 in memory).
    #[napi]
    pub fn size_on_disk(&self) -> Result<f64> {
        guard(|| self.inner.size_on_disk().map(|n| n as f64))
    }

    /// A view whose every key is prefixed with `name:`.
    #[napi]
    pub fn namespace(&self, name: String) -> Result<NativeStore> {
        guard(|| {
            Ok(NativeStore {
                inner: self.inner.namespace(&name)?,
            })
        })
    }

    /// The bytes at `key`, or null.
    #[napi]
    pub fn get(&self, key: Either<String, Buffer>) -> Result<Option<Buffer>> {
        guard(|| Ok(self.inner.get(bytes(&key))?.map(Buffer::from)))
    }

    /// Stores `value` at `key`, expiring after `ttl` seconds if given.
    #[napi]
    pub fn set(
        &self,
        key: Either<String, Buffer>,
        value: Either<String, Buffer>,
        ttl_secs: Option<f64>,
    ) -> Result<()> {
        guard(|| self.inner.set(bytes(&key), bytes(&value), ttl(ttl_secs)?))
    }

    /// Removes `key`; true if a live key was removed.
    #[napi]
    pub fn delete(&self, key: Either<String, Buffer>) -> Result<bool> {
        guard(|| self.inner.delete(bytes(&key)))
    }

    /// Stores `value` at `key` only if it holds nothing live (Redis `SET NX`); true if it wrote.
    #[napi]
    pub fn set_if_absent(
        &self,
        key: Either<String, Buffer>,
        value: Either<String, Buffer>,
        ttl_secs: Option<f64>,
    ) -> Result<bool> {
        guard(|| {
            self.inner
                .set_if_absent(bytes(&key), bytes(&value), ttl(ttl_secs)?)
        })
    }

    /// Replaces the bytes at `key` only if there are some (Redis `SET XX`); true if it wrote.
    #[napi]
    pub fn set_if_present(
        &self,
        key: Either<String, Buffer>,
        value: Either<String, Buffer>,
        ttl_secs: Option<f64>,
    ) -> Result<bool> {
        guard(|| {
            self.inner
                .set_if_present(bytes(&key), bytes(&value), ttl(ttl_secs)?)
        })
    }

    /// Stores `value` at `key` only if it holds exactly `expected` (null: nothing live); true if
    /// it wrote.
    #[napi]
    pub fn compare_and_set(
        &self,
        key: Either<String, Buffer>,
        expected: Option<Either<String, Buffer>>,
        value: Either<String, Buffer>,
        ttl_secs: Option<f64>,
    ) -> Result<bool> {
        guard(|| {
            self.inner.compare_and_set(
                bytes(&key),
                expected.as_ref().map(bytes),
                bytes(&value),
                ttl(ttl_secs)?,
            )
        })
    }

    /// Stores `value` at `key` and returns the bytes it replaced, or null (Redis `GETSET`).
    #[napi]
    pub fn get_set(
        &self,
        key: Either<String, Buffer>,
        value: Either<String, Buffer>,
        ttl_secs: Option<f64>,
    ) -> Result<Option<Buffer>> {
        guard(|| {
            Ok(self
                .inner
                .get_set(bytes(&key), bytes(&value), ttl(ttl_secs)?)?
                .map(Buffer::from))
        })
    }

    /// Removes `key` and returns the bytes it held, or null (Redis `GETDEL`).
    #[napi]
    pub fn get_delete(&self, key: Either<String, Buffer>) -> Result<Option<Buffer>> {
        guard(|| Ok(self.inner.get_delete(bytes(&key))?.map(Buffer::from)))
    }

    /// Whether `key` holds a live value of any kind.
    #[napi]
    pub fn exists(&self, key: Either<String, Buffer>) -> Result<bool> {
        guard(|| self.inner.exists(bytes(&key)))
    }

    /// What `key` holds (`"bytes"`, `"counter"`, …), or null.
    #[napi]
    pub fn kind_of(&self, key: Either<String, Buffer>) -> Result<Option<String>> {
        guard(|| {
            Ok(self
                .inner
                .kind_of(bytes(&key))?
                .map(|k| k.name().to_string()))
        })
    }

    /// Sets `key` to expire after `ttl` seconds (0 deletes it); false when absent.
    #[napi]
    pub fn expire(&self, key: Either<String, Buffer>, ttl_secs: f64) -> Result<bool> {
        guard(|| {
            self.inner
                .expire(bytes(&key), grove_core::ttl_from_secs(ttl_secs)?)
        })
    }

    /// Removes the expiry of `key`; true if it had one.
    #[napi]
    pub fn persist(&self, key: Either<String, Buffer>) -> Result<bool> {
        guard(|| self.inner.persist(bytes(&key)))
    }

    /// Seconds left before `key` expires, null without expiry; `NotFound` when absent.
    #[napi]
    pub fn ttl(&self, key: Either<String, Buffer>) -> Result<Option<f64>> {
        guard(|| Ok(self.inner.ttl(bytes(&key))?.map(|d| d.as_secs_f64())))
    }

    /// A lazy cursor over live keys starting with `prefix`.
    #[napi]
    pub fn keys(&self, prefix: Either<String, Buffer>) -> Result<NativeKeys> {
        guard(|| {
            Ok(NativeKeys {
                inner: Arc::new(Mutex::new(self.inner.keys(bytes(&prefix))?)),
                store: self.inner.clone(),
            })
        })
    }

    /// Values of several keys, read as one snapshot (null for absent ones).
    #[napi]
    pub fn get_many(&self, keys: Vec<Either<String, Buffer>>) -> Result<Vec<Option<Buffer>>> {
        guard(|| {
            let ks: Vec<&[u8]> = keys.iter().map(bytes).collect();
            Ok(self
                .inner
                .get_many(&ks)?
                .into_iter()
                .map(|v| v.map(Buffer::from))
                .collect())
        })
    }

    /// Stores `keys[i] = values[i]` for every i atomically, each expiring after `ttl` if given.
    #[napi]
    pub fn set_many(
        &self,
        keys: Vec<Either<String, Buffer>>,
        values: Vec<Either<String, Buffer>>,
        ttl_secs: Option<f64>,
    ) -> Result<()> {
        guard(|| {
            if keys.len() != values.len() {
                return Err(grove_core::Error::new(
                    ErrorKind::InvalidArgument,
                    "setMany needs as many values as keys",
                ));
            }
            let items: Vec<(&[u8], &[u8])> = keys
                .iter()
                .map(bytes)
                .zip(values.iter().map(bytes))
                .collect();
            self.inner.set_many(&items, ttl(ttl_secs)?)
        })
    }

    /// Removes every expired key in this view; returns how many.
    #[napi]
    pub fn purge_expired(&self) -> Result<f64> {
        guard(|| self.inner.purge_expired().map(|n| n as f64))
    }

    /// A would-be owner of the lock `name` (key `lock:<name>`) with leases of `ttl` seconds.
    #[napi]
    pub fn lock(&self, name: String, ttl_secs: f64) -> Result<coord::NativeLock> {
        coord::lock(&self.inner, &name, ttl_secs)
    }

    /// The state of lock `name` as any observer sees it.
    #[napi]
    pub fn lock_info(&self, name: String) -> Result<coord::NativeLockInfo> {
        coord::lock_info(&self.inner, &name)
    }

    /// A sliding-window rate limiter `name` admitting `limit` per `window` seconds, per key.
    #[napi]
    pub fn rate_limiter(
        &self,
        name: String,
        limit: f64,
        window_secs: f64,
    ) -> Result<coord::NativeRateLimiter> {
        coord::rate_limiter(&self.inner, &name, limit, window_secs)
    }

    /// A session store with keys `<prefix>:<id>` and a sliding TTL of `ttl` seconds.
    #[napi]
    pub fn sessions(&self, ttl_secs: f64, prefix: String) -> Result<coord::NativeSessions> {
        coord::sessions(&self.inner, ttl_secs, &prefix)
    }

    /// The leaderboard `name` (members at `lb:<name>:<member>`; `name` without ':').
    #[napi]
    pub fn leaderboard(&self, name: String) -> Result<ordered::NativeLeaderboard> {
        ordered::leaderboard(&self.inner, &name)
    }

    /// The job queue `name` (keys under `queue:<name>:`; `name` without ':') whose delivered
    /// jobs are invisible for `visibilityTimeout` seconds and dead-lettered after `maxAttempts`.
    #[napi]
    pub fn queue(
        &self,
        name: String,
        visibility_timeout_secs: f64,
        max_attempts: f64,
    ) -> Result<ordered::NativeQueue> {
        ordered::queue(&self.inner, &name, visibility_timeout_secs, max_attempts)
    }

    /// The PN-counter CRDT at `key` (a key of your choice, no prefix added).
    #[napi]
    pub fn crdt_counter(&self, key: String) -> Result<crdt::NativeCrdtCounter> {
        crdt::counter(&self.inner, &key)
    }

    /// The LWW-register CRDT at `key`.
    #[napi]
    pub fn crdt_register(&self, key: String) -> Result<crdt::NativeCrdtRegister> {
        crdt::register(&self.inner, &key)
    }

    /// The add-wins set CRDT at `key`.
    #[napi]
    pub fn crdt_set(&self, key: String) -> Result<crdt::NativeCrdtSet> {
        crdt::set(&self.inner, &key)
    }

    /// The LWW-map CRDT at `key`.
    #[napi]
    pub fn crdt_map(&self, key: String) -> Result<crdt::NativeCrdtMap> {
        crdt::map(&self.inner, &key)
    }

    /// Merges every CRDT of this store and `other` both ways; `InvalidArgument` for two handles
    /// of one engine or two stores with the same node id.
    #[napi]
    pub fn sync(&self, other: &NativeStore) -> Result<crdt::NativeSyncReport> {
        crdt::sync(&self.inner, &other.inner)
    }

    /// The CRDT keys of this view changed since the cursor `since` (0: all) as a bundle, with
    /// the cursor to pass next time.
    #[napi]
    pub fn export_changes(&self, since: Either<f64, BigInt>) -> Result<crdt::NativeChanges> {
        crdt::export_changes(&self.inner, &since)
    }

    /// Merges a bundle from `exportChanges` (of any store); all or nothing.
    #[napi]
    pub fn apply_changes(&self, data: Buffer) -> Result<crdt::NativeSyncReport> {
        crdt::apply_changes(&self.inner, &data)
    }

    /// Sets how far (seconds) a remote CRDT stamp may lead the wall clock, for every handle of
    /// this engine (default 60).
    #[napi]
    pub fn set_max_drift(&self, secs: f64) -> Result<()> {
        crdt::set_max_drift(&self.inner, secs)
    }

    /// How far (seconds) a remote CRDT stamp may lead the wall clock before a merge refuses it.
    #[napi(getter)]
    pub fn max_drift(&self) -> f64 {
        self.inner.max_drift().as_secs_f64()
    }

    /// The atomic counter `name` (key `counter:<name>`) as a handle for the `counter*`
    /// functions; `Closed` on a closed handle.
    #[napi(ts_return_type = "object")]
    pub fn counter(&self, env: Env, name: String) -> Result<CounterHandle> {
        let c = guard(|| {
            if self.inner.is_closed() {
                return Err(closed());
            }
            self.inner.counter(&name)
        })?;
        // SAFETY: `env` is the live env of this call.
        unsafe { fast::new_counter(env.raw(), c) }
            .map(CounterHandle)
            .map_err(|e| js_err(ErrorKind::Internal, e.reason))
    }
}

/// A lazy cursor over keys (native half of `Store.keys` in index.js and promises.js). The
/// cursor is shared with the pool threads of `nextBatchAsync`, hence the mutex.
#[napi]
pub struct NativeKeys {
    /// The Rust cursor, behind the mutex the pool threads share.
    pub(crate) inner: Arc<Mutex<Keys>>,
    /// The store it came from: each call checks that handle is still open (`Closed` otherwise).
    pub(crate) store: Store,
}

/// Up to `max` further keys of `keys` (at least one); an empty batch means the end.
fn next_keys(store: &Store, keys: &Mutex<Keys>, max: u32) -> grove_core::Result<Vec<Vec<u8>>> {
    if store.is_closed() {
        return Err(closed());
    }
    let mut keys = keys.lock().unwrap_or_else(PoisonError::into_inner);
    keys.by_ref().take(max.max(1) as usize).collect()
}

#[napi]
impl NativeKeys {
    /// Up to `max` further keys; an empty array means the end.
    #[napi]
    pub fn next_batch(&self, max: u32) -> Result<Vec<Buffer>> {
        guard(|| {
            let batch = next_keys(&self.store, &self.inner, max)?;
            Ok(batch.into_iter().map(Buffer::from).collect())
        })
    }
}
