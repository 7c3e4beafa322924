//! The plain result types (`grovekv.LockInfo`, `grovekv.Decision`, `grovekv.Ranked`,
//! `grovekv.Job`, `grovekv.QueueStats`, `grovekv.SyncReport`: NamedTuples defined in
//! `grovekv._types`) and the JSON codec of session data and CRDT values, each imported from
//! Python once.

use crate::errors::{error_of, invalid_argument};
use grove_core::{Decision, ErrorKind, Job, QueueStats, Ranked, SyncReport};
use pyo3::exceptions::{PyRecursionError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyList, PyString, PyTuple};

/// The NamedTuple classes of `grovekv._types`.
struct Types {
    lock_info: Py<PyAny>,
    decision: Py<PyAny>,
    ranked: Py<PyAny>,
    job: Py<PyAny>,
    queue_stats: Py<PyAny>,
    sync_report: Py<PyAny>,
    op_metrics: Py<PyAny>,
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
            sync_report: m.getattr("SyncReport")?.unbind(),
            op_metrics: m.getattr("OpMetrics")?.unbind(),
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

/// `{"<primitive>.<op>": grovekv.OpMetrics(count, errors, p50_us, p99_us), …}`.
pub fn metrics<'py>(py: Python<'py>, m: &grove_core::Metrics) -> PyResult<Bound<'py, PyDict>> {
    let class = types(py)?.op_metrics.bind(py);
    let out = PyDict::new(py);
    for (name, o) in &m.ops {
        out.set_item(name, class.call1((o.count, o.errors, o.p50_us, o.p99_us))?)?;
    }
    Ok(out)
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
    to_json_as(data, "session data")
}

/// [`to_json`] with `what` naming the value in messages.
fn to_json_as<'py>(data: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyBytes>> {
    let py = data.py();
    let bad = |e: PyErr| {
        if e.is_instance_of::<PyValueError>(py) || e.is_instance_of::<PyRecursionError>(py) {
            let why = e.value(py).to_string();
            invalid_argument(py, format!("{what} is not representable as JSON: {why}"))
        } else {
            e
        }
    };
    let text = json(py)?.0.bind(py).call1((data,)).map_err(bad)?;
    let text = text.cast_into::<PyString>()?;
    text.encode_utf8().map_err(bad)
}

/// A CRDT value (any JSON value) as JSON text for the core, which canonicalizes it. Integers
/// outside the 64-bit range are an InvalidArgumentError: the core's JSON would read them as
/// floats and silently lose digits.
pub fn crdt_json(data: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    let bytes = to_json_as(data, what)?;
    check_ints(data, what)?;
    // `encode_utf8` succeeded, so the bytes are UTF-8.
    String::from_utf8(bytes.as_bytes().to_vec())
        .map_err(|e| invalid_argument(data.py(), format!("{what} is not valid UTF-8: {e}")))
}

/// InvalidArgumentError if `data` (already accepted by `json.dumps`, so acyclic) holds an int
/// that is neither an `i64` nor a `u64`.
fn check_ints(data: &Bound<'_, PyAny>, what: &str) -> PyResult<()> {
    if let Ok(i) = data.cast::<PyInt>() {
        if i.is_instance_of::<PyBool>() || i.extract::<i64>().is_ok() || i.extract::<u64>().is_ok()
        {
            return Ok(());
        }
        return Err(invalid_argument(
            data.py(),
            format!(
                "{what} holds the integer {i}, outside the 64-bit range JSON values keep exactly"
            ),
        ));
    }
    if let Ok(d) = data.cast::<PyDict>() {
        for v in d.values() {
            check_ints(&v, what)?;
        }
    } else if let Ok(l) = data.cast::<PyList>() {
        for v in l.iter() {
            check_ints(&v, what)?;
        }
    } else if let Ok(t) = data.cast::<PyTuple>() {
        for v in t.iter() {
            check_ints(&v, what)?;
        }
    }
    Ok(())
}

/// Canonical JSON text from the core back as a Python value.
pub fn crdt_value<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    from_json(py, text.as_bytes())
}

/// A `grovekv.SyncReport(pulled, pushed, merged)`.
pub fn sync_report<'py>(py: Python<'py>, r: SyncReport) -> PyResult<Bound<'py, PyAny>> {
    types(py)?
        .sync_report
        .bind(py)
        .call1((r.pulled, r.pushed, r.merged))
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
                    format!("stored data is not JSON: {}", e.value(py)),
                )
            } else {
                e
            }
        })
}
