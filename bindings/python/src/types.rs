//! The plain result types (`grovekv.LockInfo`, `grovekv.Decision`, `grovekv.Ranked`,
//! `grovekv.Job`, `grovekv.QueueStats`: NamedTuples defined in `grovekv._types`) and the JSON
//! codec of session data, each imported from Python once.

use crate::errors::{error_of, invalid_argument};
use grove_core::{Decision, ErrorKind, Job, QueueStats, Ranked};
use pyo3::exceptions::{PyRecursionError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyString, PyTuple};

/// The NamedTuple classes of `grovekv._types`.
struct Types {
    lock_info: Py<PyAny>,
    decision: Py<PyAny>,
    ranked: Py<PyAny>,
    job: Py<PyAny>,
    queue_stats: Py<PyAny>,
}

/// `grovekv._types`' classes, imported once.
static TYPES: PyOnceLock<Types> = PyOnceLock::new();

/// `json.dumps` with compact separators and strict JSON (no NaN), and `json.loads`.
static JSON: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

fn types(py: Python<'_>) -> PyResult<&'static Types> {
    TYPES.get_or_try_init(py, || {
        let m = py.import("grovekv._types")?;
        Ok(Types {
            lock_info: m.getattr("LockInfo")?.unbind(),
            decision: m.getattr("Decision")?.unbind(),
            ranked: m.getattr("Ranked")?.unbind(),
            job: m.getattr("Job")?.unbind(),
            queue_stats: m.getattr("QueueStats")?.unbind(),
        })
    })
}

fn json(py: Python<'_>) -> PyResult<&'static (Py<PyAny>, Py<PyAny>)> {
    JSON.get_or_try_init(py, || {
        let json = py.import("json")?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("separators", (",", ":"))?;
        kwargs.set_item("ensure_ascii", false)?;
        kwargs.set_item("allow_nan", false)?;
        let dumps = py
            .import("functools")?
            .getattr("partial")?
            .call((json.getattr("dumps")?,), Some(&kwargs))?;
        Ok((dumps.unbind(), json.getattr("loads")?.unbind()))
    })
}

/// A `grovekv.LockInfo(held, fencing_token, expires_in)`.
pub fn lock_info<'py>(
    py: Python<'py>,
    held: bool,
    fencing_token: u64,
    expires_in: Option<f64>,
) -> PyResult<Bound<'py, PyAny>> {
    types(py)?
        .lock_info
        .bind(py)
        .call1((held, fencing_token, expires_in))
}

/// A `grovekv.Decision(allowed, remaining, reset_after, retry_after)`, durations in seconds.
pub fn decision<'py>(py: Python<'py>, d: Decision) -> PyResult<Bound<'py, PyAny>> {
    types(py)?.decision.bind(py).call1((
        d.allowed,
        d.remaining,
        d.reset_after.as_secs_f64(),
        d.retry_after.as_secs_f64(),
    ))
}

/// A `grovekv.Ranked(rank, member, score)`.
pub fn ranked<'py>(py: Python<'py>, r: Ranked) -> PyResult<Bound<'py, PyAny>> {
    types(py)?
        .ranked
        .bind(py)
        .call1((r.rank, PyString::new(py, &r.member), r.score))
}

/// A `grovekv.Job(id, payload, attempts, enqueued_at)`, `enqueued_at` in float seconds since the
/// Unix epoch.
pub fn job<'py>(py: Python<'py>, j: Job) -> PyResult<Bound<'py, PyAny>> {
    types(py)?.job.bind(py).call1((
        j.id,
        PyBytes::new(py, &j.payload),
        j.attempts,
        j.enqueued_at_ms as f64 / 1000.0,
    ))
}

/// A `grovekv.QueueStats(ready, in_flight, dead)`.
pub fn queue_stats<'py>(py: Python<'py>, s: QueueStats) -> PyResult<Bound<'py, PyAny>> {
    types(py)?
        .queue_stats
        .bind(py)
        .call1((s.ready, s.in_flight, s.dead))
}

/// Any JSON value as compact UTF-8 JSON text. A type JSON cannot hold stays a TypeError; a value
/// it cannot represent (NaN, a cycle, a lone surrogate, nesting too deep) is an
/// InvalidArgumentError.
pub fn to_json<'py>(data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    let py = data.py();
    let bad = |e: PyErr| {
        if e.is_instance_of::<PyValueError>(py) || e.is_instance_of::<PyRecursionError>(py) {
            let why = e.value(py).to_string();
            invalid_argument(
                py,
                format!("session data is not representable as JSON: {why}"),
            )
        } else {
            e
        }
    };
    let text = json(py)?.0.bind(py).call1((data,)).map_err(bad)?;
    let text = text.cast_into::<PyString>()?;
    text.encode_utf8().map_err(bad)
}

/// Stored JSON text back as a Python value; CorruptError when it is not JSON (e.g. raw bytes
/// written by the C or Go door).
pub fn from_json<'py>(py: Python<'py>, raw: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    json(py)?
        .1
        .bind(py)
        .call1(PyTuple::new(py, [PyBytes::new(py, raw)])?)
        .map_err(|e| {
            if e.is_instance_of::<PyValueError>(py) {
                error_of(
                    py,
                    ErrorKind::Corrupt,
                    format!("session data is not JSON: {}", e.value(py)),
                )
            } else {
                e
            }
        })
}
