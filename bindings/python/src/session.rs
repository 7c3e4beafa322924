//! `grovekv.Sessions`: the session store at `<prefix>:<id>`, data as any JSON value.

use crate::convert::{str_arg, ttl_required};
use crate::errors::{closed, IntoPy};
use crate::types::{from_json, to_json};
use grove_core::{Sessions, Store};
use pyo3::prelude::*;
use pyo3::types::PyString;
use std::time::Duration;

/// The session TTL when none is given (30 minutes).
const DEFAULT_TTL: Duration = Duration::from_secs(1800);

/// The key prefix when none is given (keys `sess:<id>`).
const DEFAULT_PREFIX: &str = "sess";

/// Creates, reads and expires sessions under one key prefix (`grovekv.Sessions`).
#[pyclass(frozen, module = "grovekv._native", name = "Sessions")]
pub struct PySessions {
    inner: Sessions,
    store: Store,
    prefix: String,
}

/// A session id: a `str` (TypeError otherwise). A str that is not valid Unicode cannot be an id
/// Grove issued, so it comes back as `None` (not found) rather than an error.
fn id_arg(obj: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let s = obj.cast::<PyString>().map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err(format!(
            "session id must be str, not {}",
            crate::convert::type_name(obj)
        ))
    })?;
    Ok(s.to_cow().ok().map(|c| c.into_owned()))
}

impl PySessions {
    /// `Store.sessions(ttl=1800.0, prefix="sess")`.
    pub fn new(
        py: Python<'_>,
        store: &Store,
        ttl: Option<&Bound<'_, PyAny>>,
        prefix: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PySessions> {
        let ttl = match ttl {
            None => DEFAULT_TTL,
            Some(t) => ttl_required(t)?,
        };
        let prefix = match prefix {
            None => DEFAULT_PREFIX.to_owned(),
            Some(p) => str_arg(p, "session prefix")?,
        };
        if store.is_closed() {
            return Err(closed(py));
        }
        let inner = store.sessions(ttl, &prefix).py_err(py)?;
        Ok(PySessions {
            inner,
            store: store.clone(),
            prefix,
        })
    }
}

#[pymethods]
impl PySessions {
    /// Stores `data` (any JSON value) under a new random id and returns the id.
    fn create(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<String> {
        let json = to_json(data)?;
        let json = json.as_bytes();
        py.detach(|| self.inner.create(json)).py_err(py)
    }

    /// The data of a live session, or None (also for an id Grove could not have issued).
    fn get<'py>(
        &self,
        py: Python<'py>,
        id: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(id) = self.id(py, id)? else {
            return Ok(None);
        };
        match py.detach(|| self.inner.get(&id)).py_err(py)? {
            None => Ok(None),
            Some(raw) => from_json(py, &raw).map(Some),
        }
    }

    /// Replaces a live session's data and restarts its TTL; False if missing or expired.
    fn update(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        data: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let id = self.id(py, id)?;
        let json = to_json(data)?;
        let Some(id) = id else {
            return Ok(false);
        };
        let json = json.as_bytes();
        py.detach(|| self.inner.update(&id, json)).py_err(py)
    }

    /// Restarts a live session's TTL; False if missing or expired.
    fn touch(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Some(id) = self.id(py, id)? else {
            return Ok(false);
        };
        py.detach(|| self.inner.touch(&id)).py_err(py)
    }

    /// Deletes a session; True if it was live.
    fn delete(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Some(id) = self.id(py, id)? else {
            return Ok(false);
        };
        py.detach(|| self.inner.delete(&id)).py_err(py)
    }

    /// Whether a session is live.
    fn exists(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Some(id) = self.id(py, id)? else {
            return Ok(false);
        };
        py.detach(|| self.inner.exists(&id)).py_err(py)
    }

    /// The sliding TTL in seconds.
    #[getter]
    fn ttl(&self) -> f64 {
        self.inner.ttl().as_secs_f64()
    }

    /// The key prefix (keys are `<prefix>:<id>`).
    #[getter]
    fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A short description of the session store.
    fn __repr__(&self) -> String {
        format!(
            "<grovekv.Sessions prefix={:?} ttl={} closed={}>",
            self.prefix,
            self.inner.ttl().as_secs_f64(),
            if self.store.is_closed() {
                "True"
            } else {
                "False"
            }
        )
    }
}

impl PySessions {
    /// A session id argument (see [`id_arg`]), after checking the store is open: the core
    /// answers a malformed id without touching the store, but a closed handle must still raise.
    fn id(&self, py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
        let id = id_arg(obj)?;
        if self.store.is_closed() {
            return Err(closed(py));
        }
        Ok(id)
    }
}
