//! `grovekv.Leaderboard`: the leaderboard at `lb:<name>:<member>`, ranked by an in-memory index
//! in the core (highest score first, ties by member).

use crate::convert::{describe, str_arg, type_name, u64_arg};
use crate::errors::{closed, invalid_argument, IntoPy};
use crate::types::ranked;
use grove_core::{Leaderboard, Ranked, Store};
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyList, PyString};

/// Members ranked by score, highest first (`grovekv.Leaderboard`).
#[pyclass(frozen, module = "grovekv._native", name = "Leaderboard")]
pub struct PyLeaderboard {
    inner: Leaderboard,
    store: Store,
    name: String,
}

/// A score or delta: an int or a float (not a bool, str or bytes). NaN and infinities pass
/// through and are rejected by the core as InvalidArgumentError; an int too large for a float is
/// an InvalidArgumentError here.
fn score_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    let not_a_number = || {
        PyTypeError::new_err(format!(
            "{what} must be an int or float, not {}",
            type_name(obj)
        ))
    };
    if obj.is_instance_of::<PyBool>()
        || obj.is_instance_of::<PyString>()
        || obj.is_instance_of::<PyBytes>()
        || obj.is_instance_of::<PyByteArray>()
    {
        return Err(not_a_number());
    }
    match obj.extract::<f64>() {
        Ok(v) => Ok(v),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Err(invalid_argument(
            obj.py(),
            format!("{what} {} is too large for a finite float", describe(obj)),
        )),
        Err(e) if e.is_instance_of::<PyTypeError>(obj.py()) => Err(not_a_number()),
        // An exception raised by the object's own `__float__` is the caller's to see.
        Err(e) => Err(e),
    }
}

/// `(member, score)` pairs, the spelling of `top` and `range`.
fn pairs(py: Python<'_>, rows: Vec<Ranked>) -> PyResult<Bound<'_, PyList>> {
    PyList::new(py, rows.into_iter().map(|r| (r.member, r.score)))
}

impl PyLeaderboard {
    /// `Store.leaderboard(name)`.
    pub fn new(py: Python<'_>, store: &Store, name: &Bound<'_, PyAny>) -> PyResult<PyLeaderboard> {
        let name = str_arg(name, "leaderboard name")?;
        if store.is_closed() {
            return Err(closed(py));
        }
        let inner = store.leaderboard(&name).py_err(py)?;
        Ok(PyLeaderboard {
            inner,
            store: store.clone(),
            name,
        })
    }

    /// ClosedError once the store is closed (the in-memory index would otherwise still answer).
    fn check_open(&self, py: Python<'_>) -> PyResult<()> {
        if self.store.is_closed() {
            return Err(closed(py));
        }
        Ok(())
    }
}

#[pymethods]
impl PyLeaderboard {
    /// Sets `member`'s score (adding the member if new).
    fn add(
        &self,
        py: Python<'_>,
        member: &Bound<'_, PyAny>,
        score: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let member = str_arg(member, "member")?;
        let score = score_arg(score, "score")?;
        self.check_open(py)?;
        py.detach(|| self.inner.add(&member, score)).py_err(py)
    }

    /// Adds `delta` to `member`'s score (from 0 if new) and returns the new score;
    /// OverflowError if it would leave the finite range.
    fn incr(
        &self,
        py: Python<'_>,
        member: &Bound<'_, PyAny>,
        delta: &Bound<'_, PyAny>,
    ) -> PyResult<f64> {
        let member = str_arg(member, "member")?;
        let delta = score_arg(delta, "delta")?;
        self.check_open(py)?;
        py.detach(|| self.inner.incr(&member, delta)).py_err(py)
    }

    /// `member`'s score, or None if absent.
    fn score(&self, py: Python<'_>, member: &Bound<'_, PyAny>) -> PyResult<Option<f64>> {
        let member = str_arg(member, "member")?;
        self.check_open(py)?;
        py.detach(|| self.inner.score(&member)).py_err(py)
    }

    /// `member`'s rank (0 = highest; ties by member), or None if absent.
    fn rank(&self, py: Python<'_>, member: &Bound<'_, PyAny>) -> PyResult<Option<u64>> {
        let member = str_arg(member, "member")?;
        self.check_open(py)?;
        py.detach(|| self.inner.rank(&member)).py_err(py)
    }

    /// The `n` highest members as `(member, score)` pairs, best first.
    fn top<'py>(&self, py: Python<'py>, n: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let n = u64_arg(n, "n")?;
        self.check_open(py)?;
        let rows = py.detach(|| self.inner.top(n)).py_err(py)?;
        pairs(py, rows)
    }

    /// The members ranked `start` (inclusive) to `stop` (exclusive) as `(member, score)` pairs,
    /// like the slice `[start:stop]` of the board in rank order.
    fn range<'py>(
        &self,
        py: Python<'py>,
        start: &Bound<'py, PyAny>,
        stop: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let start = u64_arg(start, "start")?;
        let stop = u64_arg(stop, "stop")?;
        self.check_open(py)?;
        let rows = py.detach(|| self.inner.range(start, stop)).py_err(py)?;
        pairs(py, rows)
    }

    /// `member` with up to `n` members ranked above and `n` below, as `Ranked(rank, member,
    /// score)`, best first; empty if `member` is absent.
    fn around<'py>(
        &self,
        py: Python<'py>,
        member: &Bound<'py, PyAny>,
        n: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let member = str_arg(member, "member")?;
        let n = u64_arg(n, "n")?;
        self.check_open(py)?;
        let rows = py.detach(|| self.inner.around(&member, n)).py_err(py)?;
        let items = rows
            .into_iter()
            .map(|r| ranked(py, r))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// Removes `member`; True if it was there.
    fn remove(&self, py: Python<'_>, member: &Bound<'_, PyAny>) -> PyResult<bool> {
        let member = str_arg(member, "member")?;
        self.check_open(py)?;
        py.detach(|| self.inner.remove(&member)).py_err(py)
    }

    /// Removes every member; returns how many there were.
    fn clear(&self, py: Python<'_>) -> PyResult<u64> {
        self.check_open(py)?;
        py.detach(|| self.inner.clear()).py_err(py)
    }

    /// The number of members.
    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.check_open(py)?;
        let n = py.detach(|| self.inner.len()).py_err(py)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// The leaderboard's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// A short description of the leaderboard.
    fn __repr__(&self) -> String {
        format!(
            "<grovekv.Leaderboard {:?} closed={}>",
            self.name,
            if self.store.is_closed() {
                "True"
            } else {
                "False"
            }
        )
    }
}
