//! `grovekv.Queue`: the job queue under `queue:<name>:`, with a blocking `dequeue(timeout=)` that
//! releases the GIL (and still answers Ctrl-C).

use crate::convert::{seconds_arg, str_arg, u64_arg, value_bytes};
use crate::errors::{closed, invalid_argument, IntoPy};
use crate::types::{job, queue_stats};
use grove_core::{Queue, Store};
use pyo3::prelude::*;
use pyo3::types::PyList;
use std::time::{Duration, Instant};

/// The visibility timeout when none is given.
const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(30);

/// `max_attempts` when none is given.
const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// How long one waiting slice may run without the GIL before checking for signals (Ctrl-C).
const SIGNAL_CHECK: Duration = Duration::from_millis(100);

/// A FIFO job queue with visibility timeouts, retries and a dead-letter list (`grovekv.Queue`).
#[pyclass(frozen, module = "grovekv._native", name = "Queue")]
pub struct PyQueue {
    inner: Queue,
    store: Store,
    name: String,
    visibility_timeout: Duration,
    max_attempts: u32,
}

/// A `delay` argument in seconds (None counts as 0).
fn delay_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Duration> {
    match obj {
        Some(o) if !o.is_none() => seconds_arg(o, "delay"),
        _ => Ok(Duration::ZERO),
    }
}

/// A job id argument.
fn id_arg(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    u64_arg(obj, "job_id")
}

impl PyQueue {
    /// `Store.queue(name, visibility_timeout=30.0, max_attempts=5)`.
    pub fn new(
        py: Python<'_>,
        store: &Store,
        name: &Bound<'_, PyAny>,
        visibility_timeout: Option<&Bound<'_, PyAny>>,
        max_attempts: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyQueue> {
        let name = str_arg(name, "queue name")?;
        let visibility_timeout = match visibility_timeout {
            None => DEFAULT_VISIBILITY_TIMEOUT,
            Some(t) => seconds_arg(t, "visibility_timeout")?,
        };
        let max_attempts = match max_attempts {
            None => DEFAULT_MAX_ATTEMPTS,
            Some(m) => {
                let m = u64_arg(m, "max_attempts")?;
                u32::try_from(m).map_err(|_| {
                    invalid_argument(py, format!("max_attempts must be at most 2**32-1, got {m}"))
                })?
            }
        };
        if store.is_closed() {
            return Err(closed(py));
        }
        let inner = store
            .queue(&name, visibility_timeout, max_attempts)
            .py_err(py)?;
        Ok(PyQueue {
            inner,
            store: store.clone(),
            name,
            visibility_timeout,
            max_attempts,
        })
    }

    /// ClosedError once the store is closed.
    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.store.is_closed() {
            return Err(closed(py));
        }
        Ok(())
    }
}

#[pymethods]
impl PyQueue {
    /// Adds a job carrying `payload` (bytes, or str encoded as UTF-8), deliverable after `delay`
    /// seconds; returns its id.
    #[pyo3(signature = (payload, delay=None), text_signature = "($self, payload, delay=0.0)")]
    fn enqueue(
        &self,
        py: Python<'_>,
        payload: &Bound<'_, PyAny>,
        delay: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let payload = value_bytes(payload)?;
        let delay = delay_arg(delay)?;
        self.check_open(py)?;
        let payload = payload.as_bytes();
        py.detach(|| self.inner.enqueue(payload, delay)).py_err(py)
    }

    /// Delivers the oldest ready job as a `Job`, or None. `timeout` None or 0 makes one try; a
    /// positive timeout waits up to that many seconds for a job, with the GIL released (Ctrl-C
    /// still interrupts).
    #[pyo3(signature = (timeout=None))]
    fn dequeue<'py>(
        &self,
        py: Python<'py>,
        timeout: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let timeout = match timeout {
            Some(t) if !t.is_none() => seconds_arg(t, "timeout")?,
            _ => Duration::ZERO,
        };
        self.check_open(py)?;
        // seconds_arg caps timeouts at 100 years, so the deadline always exists.
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let left = deadline.map_or(SIGNAL_CHECK, |d| {
                d.saturating_duration_since(Instant::now())
            });
            let slice = left.min(SIGNAL_CHECK);
            let got = py
                .detach(|| {
                    if slice.is_zero() {
                        self.inner.dequeue()
                    } else {
                        self.inner.dequeue_wait(slice)
                    }
                })
                .py_err(py)?;
            if let Some(j) = got {
                return job(py, j).map(Some);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
            py.check_signals()?;
        }
    }

    /// Marks a delivered job done and removes it; False if it is not in flight.
    fn ack(&self, py: Python<'_>, #[pyo3(from_py_with = id_arg)] job_id: u64) -> PyResult<bool> {
        self.check_open(py)?;
        py.detach(|| self.inner.ack(job_id)).py_err(py)
    }

    /// Gives a delivered job back, deliverable again after `delay` seconds; False if it is not
    /// in flight.
    #[pyo3(signature = (job_id, delay=None), text_signature = "($self, job_id, delay=0.0)")]
    fn nack(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = id_arg)] job_id: u64,
        delay: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let delay = delay_arg(delay)?;
        self.check_open(py)?;
        py.detach(|| self.inner.nack(job_id, delay)).py_err(py)
    }

    /// Counts of jobs by state: `QueueStats(ready, in_flight, dead)`.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.check_open(py)?;
        let s = py.detach(|| self.inner.stats()).py_err(py)?;
        queue_stats(py, s)
    }

    /// The jobs on the dead-letter list, oldest first.
    fn dead_letters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.check_open(py)?;
        let jobs = py.detach(|| self.inner.dead_letters()).py_err(py)?;
        let items = jobs
            .into_iter()
            .map(|j| job(py, j))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// The queue's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// Seconds a delivered job stays invisible before it is delivered again.
    #[getter]
    fn visibility_timeout(&self) -> f64 {
        self.visibility_timeout.as_secs_f64()
    }

    /// Deliveries after which an unacked job moves to the dead-letter list.
    #[getter]
    fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// A short description of the queue.
    fn __repr__(&self) -> String {
        format!(
            "<grovekv.Queue {:?} visibility_timeout={} max_attempts={} closed={}>",
            self.name,
            self.visibility_timeout.as_secs_f64(),
            self.max_attempts,
            if self.store.is_closed() {
                "True"
            } else {
                "False"
            }
        )
    }
}
