//! `grovekv._native`: the PyO3 module behind the `grovekv` Python package.
//!
//! Every call that touches the store releases the GIL (`py.detach`); every class is frozen,
//! `Send + Sync`, and safe to share between Python threads.
#![warn(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod convert;
mod crdt;
mod errors;
mod leaderboard;
mod lock;
mod queue;
mod ratelimit;
mod session;
mod types;

use convert::seconds_arg;
use convert::{
    int_arg, key_bytes, key_to_str, str_arg, ttl_arg, ttl_required, type_name, value_bytes,
};
use crdt::{PyCrdtCounter, PyCrdtMap, PyCrdtRegister, PyCrdtSet};
use errors::{closed, IntoPy};
use grove_core::{Counter, Durability, Keys, Options, Store};
use leaderboard::PyLeaderboard;
use lock::PyLock;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use queue::PyQueue;
use ratelimit::PyRateLimiter;
use session::PySessions;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

/// An open store, or a namespaced view of one (`grovekv.Store`).
#[pyclass(frozen, module = "grovekv._native", name = "Store")]
pub struct PyStore {
    inner: Store,
}

/// An atomic signed 64-bit counter (`grovekv.Counter`).
#[pyclass(frozen, module = "grovekv._native", name = "Counter")]
pub struct PyCounter {
    inner: Counter,
    store: Store,
    name: String,
}

/// A lazy iterator over live keys (`grovekv.KeyIterator`).
#[pyclass(frozen, module = "grovekv._native", name = "KeyIterator")]
pub struct PyKeyIterator {
    store: Store,
    inner: Mutex<Keys>,
}

/// Turns a Python sequence of keys into `bytes` objects, rejecting a lone str/bytes.
fn collect_keys<'py>(keys: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyBytes>>> {
    if keys.is_instance_of::<PyString>() || keys.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(
            "keys must be an iterable of keys, not a single str or bytes",
        ));
    }
    keys.try_iter()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "keys must be an iterable of str or bytes, not {}",
                type_name(keys)
            ))
        })?
        .map(|k| key_bytes(&k?, "key"))
        .collect()
}

impl PyStore {
    fn wrap(inner: Store) -> Self {
        PyStore { inner }
    }
}

#[pymethods]
impl PyStore {
    /// The bytes stored at `key`, or None.
    fn get<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let k = key_bytes(key, "key")?;
        let k = k.as_bytes();
        let v = py.detach(|| self.inner.get(k)).py_err(py)?;
        Ok(v.map(|v| PyBytes::new(py, &v)))
    }

    /// Stores `value` (bytes, or str encoded as UTF-8) at `key`, expiring after `ttl` seconds.
    #[pyo3(signature = (key, value, ttl=None))]
    fn set(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
        ttl: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let k = key_bytes(key, "key")?;
        let v = value_bytes(value)?;
        let ttl = ttl_arg(ttl)?;
        let (k, v) = (k.as_bytes(), v.as_bytes());
        py.detach(|| self.inner.set(k, v, ttl)).py_err(py)
    }

    /// Removes `key` whatever it holds; True if a live key was removed.
    fn delete(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        let k = key_bytes(key, "key")?;
        let k = k.as_bytes();
        py.detach(|| self.inner.delete(k)).py_err(py)
    }

    /// Stores `value` at `key` only if it holds nothing live (Redis `SET NX`); True if it wrote.
    #[pyo3(signature = (key, value, ttl=None))]
    fn set_if_absent(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
        ttl: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let k = key_bytes(key, "key")?;
        let v = value_bytes(value)?;
        let ttl = ttl_arg(ttl)?;
        let (k, v) = (k.as_bytes(), v.as_bytes());
        py.detach(|| self.inner.set_if_absent(k, v, ttl)).py_err(py)
    }

    /// Replaces the bytes at `key` only if there are some (Redis `SET XX`); True if it wrote.
    #[pyo3(signature = (key, value, ttl=None))]
    fn set_if_present(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
        ttl: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let k = key_bytes(key, "key")?;
        let v = value_bytes(value)?;
        let ttl = ttl_arg(ttl)?;
        let (k, v) = (k.as_bytes(), v.as_bytes());
        py.detach(|| self.inner.set_if_present(k, v, ttl))
            .py_err(py)
    }

    /// Stores `new` at `key` only if it holds exactly `expected` (None: nothing live); True if
    /// it wrote.
    #[pyo3(signature = (key, expected, new, ttl=None))]
    fn compare_and_set(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        expected: Option<&Bound<'_, PyAny>>,
        new: &Bound<'_, PyAny>,
        ttl: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let k = key_bytes(key, "key")?;
        let e = match expected {
            Some(e) if !e.is_none() => Some(value_bytes(e)?),
            _ => None,
        };
        let v = value_bytes(new)?;
        let ttl = ttl_arg(ttl)?;
        let (k, v) = (k.as_bytes(), v.as_bytes());
        let e = e.as_ref().map(|e| e.as_bytes());
        py.detach(|| self.inner.compare_and_set(k, e, v, ttl))
            .py_err(py)
    }

    /// Stores `value` at `key` and returns the bytes it replaced, or None (Redis `GETSET`).
    #[pyo3(signature = (key, value, ttl=None))]
    fn get_set<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
        ttl: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let k = key_bytes(key, "key")?;
        let v = value_bytes(value)?;
        let ttl = ttl_arg(ttl)?;
        let (k, v) = (k.as_bytes(), v.as_bytes());
        let old = py.detach(|| self.inner.get_set(k, v, ttl)).py_err(py)?;
        Ok(old.map(|o| PyBytes::new(py, &o)))
    }

    /// Removes `key` and returns the bytes it held, or None when it held nothing (Redis `GETDEL`).
    fn get_delete<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let k = key_bytes(key, "key")?;
        let k = k.as_bytes();
        let old = py.detach(|| self.inner.get_delete(k)).py_err(py)?;
        Ok(old.map(|o| PyBytes::new(py, &o)))
    }

    /// Whether `key` holds a live value of any kind.
    fn exists(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        let k = key_bytes(key, "key")?;
        let k = k.as_bytes();
        py.detach(|| self.inner.exists(k)).py_err(py)
    }

    /// What `key` holds ("string", "counter", ...), or None when absent.
    fn kind(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Option<&'static str>> {
        let k = key_bytes(key, "key")?;
        let k = k.as_bytes();
        let kind = py.detach(|| self.inner.kind_of(k)).py_err(py)?;
        Ok(kind.map(|k| k.name()))
    }

    /// Makes `key` expire after `ttl` seconds (0 deletes it now); False if the key is absent.
    fn expire(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        ttl: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let k = key_bytes(key, "key")?;
        let ttl = ttl_required(ttl)?;
        let k = k.as_bytes();
        py.detach(|| self.inner.expire(k, ttl)).py_err(py)
    }

    /// Removes the expiry of `key`; True if it had one.
    fn persist(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        let k = key_bytes(key, "key")?;
        let k = k.as_bytes();
        py.detach(|| self.inner.persist(k)).py_err(py)
    }

    /// Seconds left before `key` expires, None without expiry; NotFoundError when absent.
    fn ttl(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Option<f64>> {
        let k = key_bytes(key, "key")?;
        let k = k.as_bytes();
        let t = py.detach(|| self.inner.ttl(k)).py_err(py)?;
        Ok(t.map(|d| d.as_secs_f64()))
    }

    /// A lazy iterator over live keys starting with `prefix`, in byte order, as str.
    #[pyo3(signature = (prefix=None))]
    fn keys(&self, py: Python<'_>, prefix: Option<&Bound<'_, PyAny>>) -> PyResult<PyKeyIterator> {
        let p = match prefix {
            None => Vec::new(),
            Some(p) => key_bytes(p, "prefix")?.as_bytes().to_vec(),
        };
        let keys = py.detach(|| self.inner.keys(&p)).py_err(py)?;
        Ok(PyKeyIterator {
            store: self.inner.clone(),
            inner: Mutex::new(keys),
        })
    }

    /// Values of several keys read as one consistent snapshot (None for absent keys).
    fn get_many<'py>(
        &self,
        py: Python<'py>,
        keys: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let owned = collect_keys(keys)?;
        let ks: Vec<&[u8]> = owned.iter().map(|k| k.as_bytes()).collect();
        let vs = py.detach(|| self.inner.get_many(&ks)).py_err(py)?;
        PyList::new(
            py,
            vs.iter().map(|v| v.as_ref().map(|v| PyBytes::new(py, v))),
        )
    }

    /// Stores every key/value pair of `mapping` atomically, each expiring after `ttl` seconds.
    #[pyo3(signature = (mapping, ttl=None))]
    fn set_many(
        &self,
        py: Python<'_>,
        mapping: &Bound<'_, PyAny>,
        ttl: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let items = if let Ok(d) = mapping.cast::<PyDict>() {
            d.items().into_any()
        } else if mapping.hasattr("items")? && !mapping.is_instance_of::<PyString>() {
            mapping.call_method0("items")?
        } else {
            return Err(PyTypeError::new_err(format!(
                "mapping must be a mapping of keys to values, not {}",
                type_name(mapping)
            )));
        };
        let mut owned = Vec::new();
        for item in items.try_iter()? {
            let item = item?;
            let pair = item.cast::<PyTuple>().map_err(|_| {
                PyTypeError::new_err("mapping.items() must yield (key, value) pairs")
            })?;
            if pair.len() != 2 {
                return Err(PyTypeError::new_err(
                    "mapping.items() must yield (key, value) pairs",
                ));
            }
            owned.push((
                key_bytes(&pair.get_item(0)?, "key")?,
                value_bytes(&pair.get_item(1)?)?,
            ));
        }
        let ttl = ttl_arg(ttl)?;
        let pairs: Vec<(&[u8], &[u8])> = owned
            .iter()
            .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
            .collect();
        py.detach(|| self.inner.set_many(&pairs, ttl)).py_err(py)
    }

    /// Removes every expired key in this view now; returns how many were removed.
    fn purge_expired(&self, py: Python<'_>) -> PyResult<u64> {
        py.detach(|| self.inner.purge_expired()).py_err(py)
    }

    /// A view whose every key is prefixed with `name:`; closing either closes both.
    fn namespace(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<PyStore> {
        let name = str_arg(name, "namespace name")?;
        self.inner.namespace(&name).py_err(py).map(PyStore::wrap)
    }

    /// The atomic counter `name` (key `counter:<name>`), 0 until first written.
    fn counter(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<PyCounter> {
        let name = str_arg(name, "counter name")?;
        if self.inner.is_closed() {
            return Err(closed(py));
        }
        let inner = self.inner.counter(&name).py_err(py)?;
        Ok(PyCounter {
            inner,
            store: self.inner.clone(),
            name,
        })
    }

    /// The distributed lock `name` (key `lock:<name>`) with leases of `ttl` seconds; `timeout`
    /// is how long the `with` statement waits (None: until acquired).
    #[pyo3(signature = (name, ttl, timeout=None))]
    fn lock(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        ttl: &Bound<'_, PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyLock> {
        PyLock::new(py, &self.inner, name, ttl, timeout)
    }

    /// The state of lock `name` as any observer sees it: `LockInfo(held, fencing_token,
    /// expires_in)`.
    fn lock_info<'py>(
        &self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        lock::info(py, &self.inner, name)
    }

    /// A sliding-window rate limiter `name` admitting `limit` (summed cost) per `window` seconds.
    fn rate_limiter(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        limit: &Bound<'_, PyAny>,
        window: &Bound<'_, PyAny>,
    ) -> PyResult<PyRateLimiter> {
        PyRateLimiter::new(py, &self.inner, name, limit, window)
    }

    /// A session store with keys `<prefix>:<id>` whose sessions live `ttl` seconds after their
    /// last write or touch.
    #[pyo3(
        signature = (ttl=None, prefix=None),
        text_signature = "($self, ttl=1800.0, prefix='sess')"
    )]
    fn sessions(
        &self,
        py: Python<'_>,
        ttl: Option<&Bound<'_, PyAny>>,
        prefix: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySessions> {
        PySessions::new(py, &self.inner, ttl, prefix)
    }

    /// The leaderboard `name` (members at `lb:<name>:<member>`; `name` may not contain ':').
    fn leaderboard(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<PyLeaderboard> {
        PyLeaderboard::new(py, &self.inner, name)
    }

    /// The job queue `name` (keys under `queue:<name>:`; `name` may not contain ':'): a delivered
    /// job is invisible for `visibility_timeout` seconds, and after `max_attempts` deliveries
    /// without an ack it moves to the dead-letter list.
    #[pyo3(
        signature = (name, visibility_timeout=None, max_attempts=None),
        text_signature = "($self, name, visibility_timeout=30.0, max_attempts=5)"
    )]
    fn queue(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        visibility_timeout: Option<&Bound<'_, PyAny>>,
        max_attempts: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyQueue> {
        PyQueue::new(py, &self.inner, name, visibility_timeout, max_attempts)
    }

    /// The PN-counter CRDT at `key` (any key of your choice; it holds a `crdt-counter`).
    fn crdt_counter(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<PyCrdtCounter> {
        PyCrdtCounter::new(py, &self.inner, key)
    }

    /// The LWW register CRDT at `key`, holding any JSON value.
    fn crdt_register(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<PyCrdtRegister> {
        PyCrdtRegister::new(py, &self.inner, key)
    }

    /// The add-wins set CRDT at `key`, of JSON values (identity: canonical JSON).
    fn crdt_set(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<PyCrdtSet> {
        PyCrdtSet::new(py, &self.inner, key)
    }

    /// The LWW-map CRDT at `key`: independent last-writer-wins fields holding JSON values.
    fn crdt_map(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<PyCrdtMap> {
        PyCrdtMap::new(py, &self.inner, key)
    }

    /// The CRDT keys of this view changed after cursor `since` (0: all of them), as bytes any
    /// transport can carry, and the cursor to pass next time: `(bytes, cursor)`.
    #[pyo3(signature = (since=0))]
    fn export_changes<'py>(
        &self,
        py: Python<'py>,
        #[pyo3(from_py_with = crdt::since_arg)] since: u64,
    ) -> PyResult<Bound<'py, PyTuple>> {
        crdt::export_changes(py, &self.inner, since)
    }

    /// Merges bytes from `export_changes` (of any store) into this view; a `SyncReport` whose
    /// `pushed` is 0. If one entry is refused (type, format, clock drift), nothing is applied.
    fn apply_changes<'py>(
        &self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        crdt::apply_changes(py, &self.inner, data)
    }

    /// Seconds a remote CRDT stamp may lead this store's clock before a merge refuses it with
    /// ClockDriftError (default 60.0; shared by every handle of the engine).
    #[getter]
    fn max_drift(&self) -> f64 {
        self.inner.max_drift().as_secs_f64()
    }

    /// Sets the allowed drift in seconds (see `set_max_drift`).
    #[setter(max_drift)]
    fn set_max_drift_prop(&self, py: Python<'_>, seconds: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_max_drift(py, seconds)
    }

    /// Sets how many seconds a remote CRDT stamp may lead this store's clock, for every handle
    /// of the engine.
    fn set_max_drift(&self, py: Python<'_>, seconds: &Bound<'_, PyAny>) -> PyResult<()> {
        let drift = seconds_arg(seconds, "max_drift")?;
        if self.inner.is_closed() {
            return Err(closed(py));
        }
        self.inner.set_max_drift(drift);
        Ok(())
    }

    /// Makes every write so far durable; returns when fsynced.
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.flush()).py_err(py)
    }

    /// Closes this handle and everything made from it; closing twice is fine.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.close()).py_err(py)
    }

    /// This handle's metrics: `{"<primitive>.<op>": OpMetrics(count, errors, p50_us, p99_us)}`
    /// for every operation called through it, its views and the primitives made from them.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let m = self.inner.metrics().py_err(py)?;
        types::metrics(py, &m)
    }

    /// `metrics()` in the Prometheus text exposition format.
    fn metrics_prometheus(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.metrics_prometheus().py_err(py)
    }

    /// Bytes the store occupies on disk (0 in memory).
    fn size_on_disk(&self, py: Python<'_>) -> PyResult<u64> {
        py.detach(|| self.inner.size_on_disk()).py_err(py)
    }

    /// Whether this handle has been closed.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// This replica's persisted id, used by CRDTs.
    #[getter]
    fn node_id(&self) -> &str {
        self.inner.node_id()
    }

    /// The store's directory, or None for an in-memory store.
    #[getter]
    fn path<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyString>> {
        self.inner.path().map(|p| {
            let Ok(s) = p.as_os_str().into_pyobject(py);
            s
        })
    }

    /// The namespace prefix this view adds to keys ("" for the root).
    #[getter]
    fn prefix<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        key_to_str(py, self.inner.namespace_prefix())
    }

    /// Returns the store itself; raises ClosedError if it is closed.
    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        if slf.get().inner.is_closed() {
            return Err(closed(slf.py()));
        }
        Ok(slf)
    }

    /// Closes the store.
    #[pyo3(signature = (_exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.close(py)?;
        Ok(false)
    }

    /// A short description of the store.
    fn __repr__(&self) -> String {
        let path = match self.inner.path() {
            Some(p) => format!("{:?}", p.display().to_string()),
            None => ":memory:".to_owned(),
        };
        format!(
            "<grovekv.Store {path} namespace={:?} closed={}>",
            String::from_utf8_lossy(self.inner.namespace_prefix()),
            if self.inner.is_closed() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// The `delta` argument of increment/decrement as `i64`.
fn delta_arg(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    int_arg(obj, "delta")
}

/// The `floor` argument of try_decrement as `i64`.
fn floor_arg(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    int_arg(obj, "floor")
}

/// The `cap` argument of try_increment as `i64`.
fn cap_arg(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    int_arg(obj, "cap")
}

#[pymethods]
impl PyCounter {
    /// Adds `delta` (may be negative) and returns the new value; OverflowError past 64 bits.
    #[pyo3(signature = (delta=1))]
    fn increment(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = delta_arg)] delta: i64,
    ) -> PyResult<i64> {
        py.detach(|| self.inner.increment(delta)).py_err(py)
    }

    /// Subtracts `delta` and returns the new value.
    #[pyo3(signature = (delta=1))]
    fn decrement(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = delta_arg)] delta: i64,
    ) -> PyResult<i64> {
        py.detach(|| self.inner.decrement(delta)).py_err(py)
    }

    /// Subtracts `delta` (0 or more) only if the value stays at or above `floor`; the new value,
    /// or None when refused.
    #[pyo3(signature = (delta=1, floor=0))]
    fn try_decrement(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = delta_arg)] delta: i64,
        #[pyo3(from_py_with = floor_arg)] floor: i64,
    ) -> PyResult<Option<i64>> {
        py.detach(|| self.inner.try_decrement(delta, floor))
            .py_err(py)
    }

    /// Adds `delta` (0 or more) only if the value stays at or below `cap`; the new value, or
    /// None when refused.
    #[pyo3(
        signature = (delta=1, cap=i64::MAX),
        text_signature = "($self, delta=1, cap=9223372036854775807)"
    )]
    fn try_increment(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = delta_arg)] delta: i64,
        #[pyo3(from_py_with = cap_arg)] cap: i64,
    ) -> PyResult<Option<i64>> {
        py.detach(|| self.inner.try_increment(delta, cap))
            .py_err(py)
    }

    /// The current value (0 when unset).
    fn get(&self, py: Python<'_>) -> PyResult<i64> {
        py.detach(|| self.inner.get()).py_err(py)
    }

    /// Sets the value (clearing any expiry).
    fn set(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = int_arg(value, "value")?;
        py.detach(|| self.inner.set(v)).py_err(py)
    }

    /// Sets the value to 0.
    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.inner.reset()).py_err(py)
    }

    /// The counter's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The key the counter lives at (`counter:<name>`).
    #[getter]
    fn key<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        key_to_str(py, self.inner.key())
    }

    /// A short description of the counter.
    fn __repr__(&self) -> String {
        format!(
            "<grovekv.Counter {:?} closed={}>",
            self.name,
            if self.store.is_closed() {
                "True"
            } else {
                "False"
            }
        )
    }
}

#[pymethods]
impl PyKeyIterator {
    /// Returns the iterator itself.
    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    /// The next live key as str; ClosedError once the store is closed.
    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyString>>> {
        if self.store.is_closed() {
            return Err(closed(py));
        }
        let next = py.detach(|| {
            let mut keys = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            keys.next()
        });
        match next {
            None => Ok(None),
            Some(k) => key_to_str(py, &k.py_err(py)?).map(Some),
        }
    }
}

/// Merges every CRDT of stores `a` and `b` both ways; a `SyncReport(pulled, pushed, merged)`
/// seen from `a`. A second sync reports zeros. Two handles of one engine, or two stores with
/// the same node id, are an InvalidArgumentError.
#[pyfunction]
fn sync<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyStore>,
    b: &Bound<'py, PyStore>,
) -> PyResult<Bound<'py, PyAny>> {
    crdt::sync(py, &a.get().inner, &b.get().inner)
}

/// Sets the compression and encryption options (`grovekv.open` checked the types; the core
/// checks key lengths when the store opens).
fn codec_options(
    opts: &mut Options,
    compress_min_bytes: Option<usize>,
    encryption_key: Option<Bound<'_, PyBytes>>,
    old_encryption_keys: Option<Vec<Bound<'_, PyBytes>>>,
) {
    opts.compress_min_bytes = compress_min_bytes;
    opts.encryption_key = encryption_key.map(|k| k.as_bytes().to_vec());
    opts.old_encryption_keys = old_encryption_keys
        .unwrap_or_default()
        .iter()
        .map(|k| k.as_bytes().to_vec())
        .collect();
}

/// Opens (creating if needed) the store at `path` (a directory, `sled:`, `lmdb:`, `memory:` or
/// `redis://` target); `connect_timeout` (float seconds) bounds reaching a server,
/// `reply_timeout` (float seconds) each of its answers;
/// `compress_min_bytes` (None: off), `encryption_key` and `old_encryption_keys` (bytes).
#[pyfunction]
#[pyo3(signature = (
    path, node_id=None, durable=false, flush_every_ms=None, *, connect_timeout=None,
    reply_timeout=None, compress_min_bytes=None, encryption_key=None, old_encryption_keys=None
))]
#[allow(clippy::too_many_arguments)]
fn open(
    py: Python<'_>,
    path: PathBuf,
    node_id: Option<String>,
    durable: bool,
    flush_every_ms: Option<u64>,
    connect_timeout: Option<Bound<'_, PyAny>>,
    reply_timeout: Option<Bound<'_, PyAny>>,
    compress_min_bytes: Option<usize>,
    encryption_key: Option<Bound<'_, PyBytes>>,
    old_encryption_keys: Option<Vec<Bound<'_, PyBytes>>>,
) -> PyResult<PyStore> {
    let durability = Durability::from_options(durable, flush_every_ms).py_err(py)?;
    let connect_timeout = match &connect_timeout {
        Some(t) if !t.is_none() => Some(convert::connect_timeout_arg(t)?),
        _ => None,
    };
    let reply_timeout = match &reply_timeout {
        Some(t) if !t.is_none() => Some(convert::reply_timeout_arg(t)?),
        _ => None,
    };
    let mut opts = Options {
        node_id,
        durability,
        connect_timeout,
        reply_timeout,
        ..Options::default()
    };
    codec_options(
        &mut opts,
        compress_min_bytes,
        encryption_key,
        old_encryption_keys,
    );
    py.detach(|| Store::open_with(&path, opts))
        .py_err(py)
        .map(PyStore::wrap)
}

/// Opens a fresh in-memory store (same semantics, nothing on disk), with the compression and
/// encryption options of `open`.
#[pyfunction]
#[pyo3(signature = (
    node_id=None, *, compress_min_bytes=None, encryption_key=None, old_encryption_keys=None
))]
fn open_memory(
    py: Python<'_>,
    node_id: Option<String>,
    compress_min_bytes: Option<usize>,
    encryption_key: Option<Bound<'_, PyBytes>>,
    old_encryption_keys: Option<Vec<Bound<'_, PyBytes>>>,
) -> PyResult<PyStore> {
    let mut opts = Options {
        node_id,
        ..Options::default()
    };
    codec_options(
        &mut opts,
        compress_min_bytes,
        encryption_key,
        old_encryption_keys,
    );
    Store::open_memory_with(opts).py_err(py).map(PyStore::wrap)
}

/// Benchmark helper: seconds the Rust core takes for `n` increments of counter `name` on the
/// store at `path` (shared with this process's handle if open) or on a new in-memory store.
#[pyfunction]
#[pyo3(signature = (path, n, name="bench"))]
fn _bench_core_increment(
    py: Python<'_>,
    path: Option<PathBuf>,
    n: u64,
    name: &str,
) -> PyResult<f64> {
    py.detach(|| {
        let store = match &path {
            Some(p) => Store::open(p)?,
            None => Store::open_memory(),
        };
        let counter = store.counter(name)?;
        let start = Instant::now();
        for _ in 0..n {
            std::hint::black_box(counter.increment(std::hint::black_box(1))?);
        }
        let secs = start.elapsed().as_secs_f64();
        store.close()?;
        Ok(secs)
    })
    .py_err(py)
}

/// A duration argument in seconds, checked by the core's rule for durations (TypeError for
/// non-numbers, InvalidArgumentError when negative, NaN, infinite or beyond 100 years), for the
/// waits `grovekv.aio` runs itself.
#[pyfunction]
#[pyo3(name = "seconds_arg")]
fn py_seconds_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    convert::seconds_arg(obj, what).map(|d| d.as_secs_f64())
}

/// The pause between two tries of a lock wait for a `retry_interval` in seconds: checked by the
/// core's rule for durations, then raised to the core's floor (`grove_core::retry_pause`), for
/// the lock wait `grovekv.aio` runs itself.
#[pyfunction]
#[pyo3(name = "retry_pause")]
fn py_retry_pause(obj: &Bound<'_, PyAny>) -> PyResult<f64> {
    convert::seconds_arg(obj, "retry_interval").map(|d| grove_core::retry_pause(d).as_secs_f64())
}

/// The `grovekv._native` module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("CORE_VERSION", grove_core::VERSION)?;
    m.add("MAX_KEY_LEN", grove_core::MAX_KEY_LEN)?;
    m.add("MAX_VALUE_LEN", grove_core::MAX_VALUE_LEN)?;
    m.add_class::<PyStore>()?;
    m.add_class::<PyCounter>()?;
    m.add_class::<PyKeyIterator>()?;
    m.add_class::<PyLock>()?;
    m.add_class::<PyRateLimiter>()?;
    m.add_class::<PySessions>()?;
    m.add_class::<PyLeaderboard>()?;
    m.add_class::<PyQueue>()?;
    m.add_class::<PyCrdtCounter>()?;
    m.add_class::<PyCrdtRegister>()?;
    m.add_class::<PyCrdtSet>()?;
    m.add_class::<PyCrdtMap>()?;
    m.add_function(wrap_pyfunction!(open, m)?)?;
    m.add_function(wrap_pyfunction!(open_memory, m)?)?;
    m.add_function(wrap_pyfunction!(sync, m)?)?;
    m.add_function(wrap_pyfunction!(py_seconds_arg, m)?)?;
    m.add_function(wrap_pyfunction!(py_retry_pause, m)?)?;
    m.add_function(wrap_pyfunction!(_bench_core_increment, m)?)?;
    Ok(())
}
