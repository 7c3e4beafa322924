//! The CRDTs (`grovekv.CrdtCounter`, `grovekv.CrdtRegister`, `grovekv.CrdtSet`,
//! `grovekv.CrdtMap`), replication between stores (`Store.export_changes`,
//! `Store.apply_changes`, `grovekv.sync`) and the state-bytes argument they share. Values cross
//! as JSON text: `json.dumps` (compact, no NaN) in, the core's canonical JSON through
//! `json.loads` out.

use crate::convert::{int_arg, str_arg, type_name, u64_arg};
use crate::errors::{closed, IntoPy};
use crate::types::{crdt_json, crdt_value, sync_report};
use grove_core::{CrdtCounter, CrdtMap, CrdtRegister, CrdtSet, Store};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView, PyString, PyTuple};

/// State or bundle bytes: `bytes`, `bytearray` or `memoryview` (TypeError for anything else,
/// str included).
pub fn data_arg<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(b.clone())
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        Ok(PyBytes::new(obj.py(), &b.to_vec()))
    } else if obj.is_instance_of::<PyMemoryView>() {
        Ok(obj.call_method0("tobytes")?.cast_into::<PyBytes>()?)
    } else {
        Err(PyTypeError::new_err(format!(
            "{what} must be bytes, bytearray or memoryview, not {}",
            type_name(obj)
        )))
    }
}

/// "True"/"False" for reprs.
fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// A CRDT key argument (str; TypeError otherwise), after which a closed store raises.
fn crdt_key(py: Python<'_>, store: &Store, key: &Bound<'_, PyAny>) -> PyResult<String> {
    let key = str_arg(key, "CRDT key")?;
    if store.is_closed() {
        return Err(closed(py));
    }
    Ok(key)
}

/// The `#[pymethods]` block of a CRDT class: its own methods plus the ones every CRDT shares
/// (`state()`, `merge(data)`, `key` and a repr).
macro_rules! crdt_methods {
    ($ty:ident, $pyname:literal, { $($own:tt)* }) => {
        #[pymethods]
        impl $ty {
            $($own)*

            /// The versioned, type-tagged state bytes (an empty state's when never written).
            fn state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
                let s = py.detach(|| self.inner.state()).py_err(py)?;
                Ok(PyBytes::new(py, &s))
            }

            /// Merges state bytes from another replica; True if this one changed.
            fn merge(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<bool> {
                let data = data_arg(data, "state")?;
                if self.store.is_closed() {
                    return Err(closed(py));
                }
                let data = data.as_bytes();
                py.detach(|| self.inner.merge(data)).py_err(py)
            }

            /// The key the CRDT lives at.
            #[getter]
            fn key(&self) -> &str {
                &self.key
            }

            /// A short description.
            fn __repr__(&self) -> String {
                format!(
                    concat!("<grovekv.", $pyname, " {:?} closed={}>"),
                    self.key,
                    py_bool(self.store.is_closed())
                )
            }
        }
    };
}

/// A PN-counter CRDT (`grovekv.CrdtCounter`).
#[pyclass(frozen, module = "grovekv._native", name = "CrdtCounter")]
pub struct PyCrdtCounter {
    inner: CrdtCounter,
    store: Store,
    key: String,
}

/// An LWW register of a JSON value (`grovekv.CrdtRegister`).
#[pyclass(frozen, module = "grovekv._native", name = "CrdtRegister")]
pub struct PyCrdtRegister {
    inner: CrdtRegister,
    store: Store,
    key: String,
}

/// An add-wins observed-remove set of JSON values (`grovekv.CrdtSet`).
#[pyclass(frozen, module = "grovekv._native", name = "CrdtSet")]
pub struct PyCrdtSet {
    inner: CrdtSet,
    store: Store,
    key: String,
}

/// A map of independent LWW fields holding JSON values (`grovekv.CrdtMap`).
#[pyclass(frozen, module = "grovekv._native", name = "CrdtMap")]
pub struct PyCrdtMap {
    inner: CrdtMap,
    store: Store,
    key: String,
}

impl PyCrdtCounter {
    /// `Store.crdt_counter(key)`.
    pub fn new(py: Python<'_>, store: &Store, key: &Bound<'_, PyAny>) -> PyResult<Self> {
        let key = crdt_key(py, store, key)?;
        let inner = store.crdt_counter(&key).py_err(py)?;
        Ok(PyCrdtCounter {
            inner,
            store: store.clone(),
            key,
        })
    }
}

impl PyCrdtRegister {
    /// `Store.crdt_register(key)`.
    pub fn new(py: Python<'_>, store: &Store, key: &Bound<'_, PyAny>) -> PyResult<Self> {
        let key = crdt_key(py, store, key)?;
        let inner = store.crdt_register(&key).py_err(py)?;
        Ok(PyCrdtRegister {
            inner,
            store: store.clone(),
            key,
        })
    }
}

impl PyCrdtSet {
    /// `Store.crdt_set(key)`.
    pub fn new(py: Python<'_>, store: &Store, key: &Bound<'_, PyAny>) -> PyResult<Self> {
        let key = crdt_key(py, store, key)?;
        let inner = store.crdt_set(&key).py_err(py)?;
        Ok(PyCrdtSet {
            inner,
            store: store.clone(),
            key,
        })
    }
}

impl PyCrdtMap {
    /// `Store.crdt_map(key)`.
    pub fn new(py: Python<'_>, store: &Store, key: &Bound<'_, PyAny>) -> PyResult<Self> {
        let key = crdt_key(py, store, key)?;
        let inner = store.crdt_map(&key).py_err(py)?;
        Ok(PyCrdtMap {
            inner,
            store: store.clone(),
            key,
        })
    }
}

/// The `n` argument of `CrdtCounter.increment`/`decrement` (an int from 0 to 2**64-1).
fn amount_arg(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    u64_arg(obj, "n")
}

crdt_methods!(PyCrdtCounter, "CrdtCounter", {
    /// Adds `n` (>= 0) to this node's increments; returns the new value.
    #[pyo3(signature = (n=1))]
    fn increment(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = amount_arg)] n: u64,
    ) -> PyResult<i64> {
        py.detach(|| self.inner.increment(n)).py_err(py)
    }

    /// Adds `n` (>= 0) to this node's decrements; returns the new value.
    #[pyo3(signature = (n=1))]
    fn decrement(
        &self,
        py: Python<'_>,
        #[pyo3(from_py_with = amount_arg)] n: u64,
    ) -> PyResult<i64> {
        py.detach(|| self.inner.decrement(n)).py_err(py)
    }

    /// Adds a signed amount (an increment or a decrement); returns the new value.
    fn add(&self, py: Python<'_>, delta: &Bound<'_, PyAny>) -> PyResult<i64> {
        let delta = int_arg(delta, "delta")?;
        py.detach(|| self.inner.add(delta)).py_err(py)
    }

    /// Sum of increments minus sum of decrements over all nodes (0 when never written).
    fn value(&self, py: Python<'_>) -> PyResult<i64> {
        py.detach(|| self.inner.value()).py_err(py)
    }

    /// `(positive, negative)`: increments and decrements summed over all nodes.
    fn totals(&self, py: Python<'_>) -> PyResult<(u64, u64)> {
        py.detach(|| self.inner.totals()).py_err(py)
    }

    /// Each node's `(increments, decrements)`, by node id.
    fn contributions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let c = py.detach(|| self.inner.contributions()).py_err(py)?;
        let d = PyDict::new(py);
        for (node, pn) in c {
            d.set_item(node, pn)?;
        }
        Ok(d)
    }

    /// Makes this node's net contribution 0 by a monotone update (it survives merges); returns
    /// the new value.
    fn reset_local(&self, py: Python<'_>) -> PyResult<i64> {
        py.detach(|| self.inner.reset_local()).py_err(py)
    }
});

crdt_methods!(PyCrdtRegister, "CrdtRegister", {
    /// Writes a JSON value, stamped by this node's hybrid logical clock.
    fn set(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let json = crdt_json(value, "register value")?;
        py.detach(|| self.inner.set(&json)).py_err(py)
    }

    /// The current value, or None when never set.
    fn get<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match py.detach(|| self.inner.get()).py_err(py)? {
            None => Ok(None),
            Some(text) => crdt_value(py, &text).map(Some),
        }
    }
});

crdt_methods!(PyCrdtSet, "CrdtSet", {
    /// Adds a JSON value; it wins over any concurrent remove that did not see this add.
    fn add(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let json = crdt_json(value, "set element")?;
        py.detach(|| self.inner.add(&json)).py_err(py)
    }

    /// Removes a value (the adds this replica has seen); True if it was present.
    fn remove(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let json = crdt_json(value, "set element")?;
        py.detach(|| self.inner.remove(&json)).py_err(py)
    }

    /// Whether the value is present.
    fn contains(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        let json = crdt_json(value, "set element")?;
        py.detach(|| self.inner.contains(&json)).py_err(py)
    }

    /// `value in s`: whether the value is present.
    fn __contains__(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.contains(py, value)
    }

    /// Every member, in the order of their canonical JSON text.
    fn members<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let ms = py.detach(|| self.inner.members()).py_err(py)?;
        let items = ms
            .iter()
            .map(|m| crdt_value(py, m))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)
    }

    /// The number of members.
    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        let n = py.detach(|| self.inner.len()).py_err(py)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }
});

/// A map field name: a `str` (TypeError otherwise).
fn field_arg(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    str_arg(obj, "field")
}

crdt_methods!(PyCrdtMap, "CrdtMap", {
    /// Sets `field` to a JSON value.
    fn set(
        &self,
        py: Python<'_>,
        field: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let field = field_arg(field)?;
        let json = crdt_json(value, "map value")?;
        py.detach(|| self.inner.set(&field, &json)).py_err(py)
    }

    /// The value of `field`, or None when it has none (never set, or deleted).
    fn get<'py>(
        &self,
        py: Python<'py>,
        field: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let field = field_arg(field)?;
        match py.detach(|| self.inner.get(&field)).py_err(py)? {
            None => Ok(None),
            Some(text) => crdt_value(py, &text).map(Some),
        }
    }

    /// Deletes `field` with a stamped tombstone (an older concurrent set does not bring it
    /// back); True if it had a value.
    fn delete(&self, py: Python<'_>, field: &Bound<'_, PyAny>) -> PyResult<bool> {
        let field = field_arg(field)?;
        py.detach(|| self.inner.delete(&field)).py_err(py)
    }

    /// Names of the fields that have a value, in order.
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let ks = py.detach(|| self.inner.keys()).py_err(py)?;
        PyList::new(py, ks)
    }

    /// Every field with a value, as a dict in field-name order.
    fn all<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let rows = py.detach(|| self.inner.all()).py_err(py)?;
        let d = PyDict::new(py);
        for (field, text) in rows {
            d.set_item(PyString::new(py, &field), crdt_value(py, &text)?)?;
        }
        Ok(d)
    }
});

/// The `since` cursor of `Store.export_changes` (an int from 0 to 2**64-1).
pub fn since_arg(obj: &Bound<'_, PyAny>) -> PyResult<u64> {
    u64_arg(obj, "since")
}

/// `Store.export_changes(since)`: `(bundle bytes, cursor)`.
pub fn export_changes<'py>(
    py: Python<'py>,
    store: &Store,
    since: u64,
) -> PyResult<Bound<'py, PyTuple>> {
    // The core only notices a closed handle when it reads an entry, so a closed view with no
    // changed CRDT keys would answer an empty bundle.
    if store.is_closed() {
        return Err(closed(py));
    }
    let (bytes, cursor) = py.detach(|| store.export_changes(since)).py_err(py)?;
    PyTuple::new(
        py,
        [
            PyBytes::new(py, &bytes).into_any(),
            cursor.into_pyobject(py)?.into_any(),
        ],
    )
}

/// `Store.apply_changes(data)`: a `SyncReport`.
pub fn apply_changes<'py>(
    py: Python<'py>,
    store: &Store,
    data: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let data = data_arg(data, "changes")?;
    if store.is_closed() {
        return Err(closed(py));
    }
    let data = data.as_bytes();
    let report = py.detach(|| store.apply_changes(data)).py_err(py)?;
    sync_report(py, report)
}

/// `grovekv.sync(a, b)`: merges every CRDT of two stores both ways.
pub fn sync<'py>(py: Python<'py>, a: &Store, b: &Store) -> PyResult<Bound<'py, PyAny>> {
    if a.is_closed() || b.is_closed() {
        return Err(closed(py));
    }
    let report = py.detach(|| grove_core::sync(a, b)).py_err(py)?;
    sync_report(py, report)
}
