//! `grovekv.RateLimiter`: the sliding-window rate limiter at `ratelimit:<name>:<key>`.

use crate::convert::{seconds_arg, str_arg, u64_arg};
use crate::errors::{closed, IntoPy};
use crate::types::decision;
use grove_core::{RateLimiter, Store};
use pyo3::prelude::*;

/// A sliding-window limiter admitting at most `limit` summed cost per `window`, per key.
#[pyclass(frozen, module = "grovekv._native", name = "RateLimiter")]
pub struct PyRateLimiter {
    inner: RateLimiter,
    store: Store,
    name: String,
}

/// The `cost` argument of `allow`.
fn cost_arg(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    u64_arg(obj, "cost")
}

impl PyRateLimiter {
    /// `Store.rate_limiter(name, limit, window)`.
    pub fn new(
        py: Python<'_>,
        store: &Store,
        name: &Bound<'_, PyAny>,
        limit: &Bound<'_, PyAny>,
        window: &Bound<'_, PyAny>,
    ) -> PyResult<PyRateLimiter> {
        let name = str_arg(name, "rate limiter name")?;
        let limit = u64_arg(limit, "limit")?;
        let window = seconds_arg(window, "window")?;
        if store.is_closed() {
            return Err(closed(py));
        }
        let inner = store.rate_limiter(&name, limit, window).py_err(py)?;
        Ok(PyRateLimiter {
            inner,
            store: store.clone(),
            name,
        })
    }
}

#[pymethods]
impl PyRateLimiter {
    /// Admits `cost` for `key` if it fits in the sliding window (atomically recording it).
    #[pyo3(signature = (key, cost=1))]
    fn allow<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        #[pyo3(from_py_with = cost_arg)] cost: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key = str_arg(key, "key")?;
        let d = py.detach(|| self.inner.allow(&key, cost)).py_err(py)?;
        decision(py, d)
    }

    /// What a cost-1 request for `key` would get now, recording nothing.
    fn peek<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let key = str_arg(key, "key")?;
        let d = py.detach(|| self.inner.peek(&key)).py_err(py)?;
        decision(py, d)
    }

    /// Forgets everything admitted for `key`; True if there was state.
    fn reset(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        let key = str_arg(key, "key")?;
        py.detach(|| self.inner.reset(&key)).py_err(py)
    }

    /// The limiter's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The admitted cost per window.
    #[getter]
    fn limit(&self) -> u64 {
        self.inner.limit()
    }

    /// The window length in seconds.
    #[getter]
    fn window(&self) -> f64 {
        self.inner.window().as_secs_f64()
    }

    /// A short description of the limiter.
    fn __repr__(&self) -> String {
        format!(
            "<grovekv.RateLimiter {:?} limit={} window={} closed={}>",
            self.name,
            self.inner.limit(),
            self.inner.window().as_secs_f64(),
            if self.store.is_closed() {
                "True"
            } else {
                "False"
            }
        )
    }
}
