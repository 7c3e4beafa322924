//! `grovekv.Lock`: the distributed lock at `lock:<name>`, with a waiting `acquire` that releases
//! the GIL (and still answers Ctrl-C) and a `with` form.

use crate::convert::{key_to_str, seconds_arg, str_arg, ttl_required};
use crate::errors::{closed, error_of, IntoPy};
use crate::types::lock_info;
use grove_core::{ErrorKind, Lock, Store, DEFAULT_RETRY_INTERVAL};
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::time::{Duration, Instant};

/// How long one waiting slice may run without the GIL before checking for signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// A would-be owner of a distributed lock (`grovekv.Lock`).
///
/// Ownership belongs to this object: each thread or task that contends should have its own.
#[pyclass(frozen, module = "grovekv._native", name = "Lock")]
pub struct PyLock {
    inner: Lock,
    store: Store,
    name: String,
    /// How long the `with` statement waits; `None` waits until acquired.
    timeout: Option<Duration>,
}

/// A timeout argument: `None` (wait forever) or seconds.
fn timeout_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    match obj {
        Some(o) if !o.is_none() => seconds_arg(o, "timeout").map(Some),
        _ => Ok(None),
    }
}

/// The `timeout` argument of `acquire`: None (wait until acquired) or seconds.
fn timeout_from(obj: &Bound<'_, PyAny>) -> PyResult<Option<Duration>> {
    timeout_arg(Some(obj))
}

/// The `retry_interval` argument of `acquire`, in seconds.
fn retry_from(obj: &Bound<'_, PyAny>) -> PyResult<Duration> {
    seconds_arg(obj, "retry_interval")
}

/// Seconds for messages: `Some(d)` as seconds, `None` as "forever".
fn describe(timeout: Option<Duration>) -> String {
    match timeout {
        Some(t) => format!("{} s", t.as_secs_f64()),
        None => "forever".to_owned(),
    }
}

impl PyLock {
    /// `Store.lock(name, ttl, timeout=None)`.
    pub fn new(
        py: Python<'_>,
        store: &Store,
        name: &Bound<'_, PyAny>,
        ttl: &Bound<'_, PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyLock> {
        let name = str_arg(name, "lock name")?;
        let ttl = ttl_required(ttl)?;
        let timeout = timeout_arg(timeout)?;
        if store.is_closed() {
            return Err(closed(py));
        }
        let inner = store.lock(&name, ttl).py_err(py)?;
        Ok(PyLock {
            inner,
            store: store.clone(),
            name,
            timeout,
        })
    }

    /// Tries until `timeout` passes (`None`: until acquired), sleeping `retry` between tries with
    /// the GIL released; checks for signals about every [`SIGNAL_CHECK`].
    fn wait(&self, py: Python<'_>, timeout: Option<Duration>, retry: Duration) -> PyResult<bool> {
        // No deadline: wait until acquired (also for a timeout past the end of `Instant`).
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let retry = grove_core::retry_pause(retry);
        loop {
            let step = py
                .detach(|| -> grove_core::Result<Option<bool>> {
                    let slice_end = Instant::now() + SIGNAL_CHECK;
                    loop {
                        if self.inner.try_acquire()? {
                            return Ok(Some(true));
                        }
                        let now = Instant::now();
                        let nap = match deadline {
                            Some(d) if now >= d => return Ok(Some(false)),
                            Some(d) => retry.min(d - now),
                            None => retry,
                        };
                        std::thread::sleep(nap);
                        if Instant::now() >= slice_end {
                            return Ok(None);
                        }
                    }
                })
                .py_err(py)?;
            match step {
                Some(got) => return Ok(got),
                None => py.check_signals()?,
            }
        }
    }
}

#[pymethods]
impl PyLock {
    /// Takes the lock, waiting up to `timeout` seconds (0: one try; None: until acquired) and
    /// retrying every `retry_interval` seconds; True on success. The GIL is released meanwhile.
    #[pyo3(
        signature = (timeout=Some(Duration::ZERO), retry_interval=DEFAULT_RETRY_INTERVAL),
        text_signature = "($self, timeout=0.0, retry_interval=0.05)"
    )]
    fn acquire(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = timeout_from)] timeout: Option<Duration>,
        #[pyo3(from_py_with = retry_from)] retry_interval: Duration,
    ) -> PyResult<bool> {
        self.wait(py, timeout, retry_interval)
    }

    /// Releases the lock if this object still owns an unexpired lease; False (and no change)
    /// otherwise.
    fn release(&self, py: Python<'_>) -> PyResult<bool> {
        py.detach(|| self.inner.release()).py_err(py)
    }

    /// Makes the lease end `ttl` seconds from now if this object still owns it; False otherwise.
    fn extend(&self, py: Python<'_>, ttl: &Bound<'_, PyAny>) -> PyResult<bool> {
        let ttl = ttl_required(ttl)?;
        py.detach(|| self.inner.extend(ttl)).py_err(py)
    }

    /// Whether this object owns the lock now (an unexpired lease with its token).
    fn held(&self, py: Python<'_>) -> PyResult<bool> {
        py.detach(|| self.inner.held()).py_err(py)
    }

    /// The fencing token of this object's latest successful acquire (0 before the first).
    #[getter]
    fn fencing_token(&self, py: Python<'_>) -> PyResult<u64> {
        if self.store.is_closed() {
            return Err(closed(py));
        }
        Ok(self.inner.fencing_token())
    }

    /// The lock's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The key the lock lives at (`lock:<name>`).
    #[getter]
    fn key<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyString>> {
        key_to_str(py, self.inner.key())
    }

    /// The lease length in seconds given at creation.
    #[getter]
    fn ttl(&self) -> f64 {
        self.inner.ttl().as_secs_f64()
    }

    /// Seconds the `with` statement waits for the lock (None: until acquired).
    #[getter]
    fn timeout(&self) -> Option<f64> {
        self.timeout.map(|t| t.as_secs_f64())
    }

    /// Acquires the lock (waiting up to `timeout`), or raises LockTimeoutError.
    fn __enter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        let py = slf.py();
        let this = slf.get();
        if !this.wait(py, this.timeout, DEFAULT_RETRY_INTERVAL)? {
            return Err(error_of(
                py,
                ErrorKind::LockTimeout,
                format!(
                    "could not acquire lock {:?} within {}",
                    this.name,
                    describe(this.timeout)
                ),
            ));
        }
        Ok(slf)
    }

    /// Releases the lock (a lease that already expired is left to its new owner).
    #[pyo3(signature = (_exc_type=None, _exc_value=None, _traceback=None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        _exc_type: Option<&Bound<'_, PyAny>>,
        _exc_value: Option<&Bound<'_, PyAny>>,
        _traceback: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.release(py)?;
        Ok(false)
    }

    /// A short description of the lock.
    fn __repr__(&self) -> String {
        format!(
            "<grovekv.Lock {:?} ttl={} fencing_token={} closed={}>",
            self.name,
            self.inner.ttl().as_secs_f64(),
            self.inner.fencing_token(),
            if self.store.is_closed() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// `Store.lock_info(name)`: the lock's state as any observer sees it.
pub fn info<'py>(
    py: Python<'py>,
    store: &Store,
    name: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let name = str_arg(name, "lock name")?;
    let i = py.detach(|| store.lock_info(&name)).py_err(py)?;
    lock_info(
        py,
        i.held,
        i.fencing_token,
        i.expires_in.map(|d| d.as_secs_f64()),
    )
}
