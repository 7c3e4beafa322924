//! Maps the core's error kinds to the exception classes of `grovekv._errors` (by kind, never
//! by message).

use grove_core::{Error, ErrorKind};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// The exception classes, indexed by `ErrorKind::code() - 1`, imported once from Python.
static CLASSES: PyOnceLock<Vec<Py<PyType>>> = PyOnceLock::new();

/// Imports the exception classes from `grovekv._errors`, one per kind.
fn classes(py: Python<'_>) -> PyResult<&'static Vec<Py<PyType>>> {
    CLASSES.get_or_try_init(py, || {
        let module = py.import("grovekv._errors")?;
        ErrorKind::ALL
            .iter()
            .map(|k| {
                let cls = module.getattr(format!("{}Error", k.as_str()))?;
                Ok(cls.cast_into::<PyType>()?.unbind())
            })
            .collect()
    })
}

/// An exception of the class for `kind` carrying `message`.
pub fn error_of(py: Python<'_>, kind: ErrorKind, message: impl Into<String>) -> PyErr {
    let message = message.into();
    match classes(py) {
        Ok(cls) => PyErr::from_type(cls[(kind.code() - 1) as usize].bind(py).clone(), message),
        Err(e) => e,
    }
}

/// The Python exception for a core error.
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    error_of(py, e.kind(), e.message())
}

/// An `InvalidArgumentError` (also a `ValueError`).
pub fn invalid_argument(py: Python<'_>, message: impl Into<String>) -> PyErr {
    error_of(py, ErrorKind::InvalidArgument, message)
}

/// A `ClosedError`.
pub fn closed(py: Python<'_>) -> PyErr {
    error_of(py, ErrorKind::Closed, "the store handle is closed")
}

/// Converts a core result into a Python one.
pub trait IntoPy<T> {
    /// The value, or the mapped exception.
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPy<T> for grove_core::Result<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}
