//! Conversions between Python arguments and the core's byte keys, values, integers and TTLs.

use crate::errors::invalid_argument;
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyInt, PyString};
use std::time::Duration;

/// A Python `str` encoded as UTF-8 with `surrogateescape` (so keys read back round-trip).
fn encode_surrogateescape<'py>(s: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyBytes>> {
    // SAFETY: the GIL is held (`s` is a `Bound<'py, _>`) and `s` is a valid str; the C-string
    // literals are NUL-terminated; the result is a new reference to a bytes object (the documented
    // return type, which makes the unchecked cast sound) or NULL with an exception set.
    unsafe {
        let raw = ffi::PyUnicode_AsEncodedString(
            s.as_ptr(),
            c"utf-8".as_ptr(),
            c"surrogateescape".as_ptr(),
        );
        Bound::from_owned_ptr_or_err(s.py(), raw).map(|b| b.cast_into_unchecked::<PyBytes>())
    }
}

/// A key (`str` or `bytes`/`bytearray`) as a `bytes` object whose buffer the caller can borrow.
pub fn key_bytes<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(s) = obj.cast::<PyString>() {
        encode_surrogateescape(s)
            .map_err(|e| invalid_argument(obj.py(), format!("{what} is not valid Unicode: {e}")))
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(b.clone())
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        Ok(PyBytes::new(obj.py(), &b.to_vec()))
    } else {
        Err(PyTypeError::new_err(format!(
            "{what} must be str or bytes, not {}",
            type_name(obj)
        )))
    }
}

/// A value (`bytes`/`bytearray`, or `str` encoded as strict UTF-8) as a `bytes` object.
pub fn value_bytes<'py>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(b.clone())
    } else if let Ok(s) = obj.cast::<PyString>() {
        s.encode_utf8()
            .map_err(|e| invalid_argument(obj.py(), format!("value is not valid Unicode: {e}")))
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        Ok(PyBytes::new(obj.py(), &b.to_vec()))
    } else {
        Err(PyTypeError::new_err(format!(
            "value must be bytes or str, not {}",
            type_name(obj)
        )))
    }
}

/// A key read from the store as `str`, decoding invalid UTF-8 with `surrogateescape`.
pub fn key_to_str<'py>(py: Python<'py>, key: &[u8]) -> PyResult<Bound<'py, PyString>> {
    if let Ok(s) = std::str::from_utf8(key) {
        return Ok(PyString::new(py, s));
    }
    // SAFETY: the GIL is held (`py` token); pointer and length describe `key` (a slice's length
    // fits in `Py_ssize_t`); the error handler name is NUL-terminated; the result is a new
    // reference to a str (which makes the unchecked cast sound) or NULL with an exception set.
    unsafe {
        let raw = ffi::PyUnicode_DecodeUTF8(
            key.as_ptr().cast(),
            key.len() as ffi::Py_ssize_t,
            c"surrogateescape".as_ptr(),
        );
        Bound::from_owned_ptr_or_err(py, raw).map(|s| s.cast_into_unchecked::<PyString>())
    }
}

/// A Python int as `i64`: TypeError for non-integers, InvalidArgumentError outside the range.
pub fn int_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<i64> {
    match obj.extract::<i64>() {
        Ok(v) => Ok(v),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Err(invalid_argument(
            obj.py(),
            format!(
                "{what} {} does not fit in a signed 64-bit integer",
                describe(obj)
            ),
        )),
        Err(e) if e.is_instance_of::<PyTypeError>(obj.py()) => Err(PyTypeError::new_err(format!(
            "{what} must be an int, not {}",
            type_name(obj)
        ))),
        // An exception raised by the object's own `__index__` is the caller's to see.
        Err(e) => Err(e),
    }
}

/// A TTL in float seconds, validated by the core (`None` stays `None`).
pub fn ttl_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Duration>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => ttl_required(o).map(Some),
    }
}

/// A required TTL in float seconds, validated by the core.
pub fn ttl_required(obj: &Bound<'_, PyAny>) -> PyResult<Duration> {
    if obj.cast::<PyString>().is_ok() || obj.cast::<PyBytes>().is_ok() {
        return Err(PyTypeError::new_err(format!(
            "ttl must be a number of seconds, not {}",
            type_name(obj)
        )));
    }
    let secs = seconds_f64(obj, "ttl")?;
    grove_core::ttl_from_secs(secs).map_err(|e| crate::errors::to_py(obj.py(), e))
}

/// A duration in float seconds named `what` (e.g. "timeout"): TypeError for non-numbers,
/// InvalidArgumentError when negative, NaN, infinite or more than 100 years.
pub fn seconds_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Duration> {
    let not_a_number = || {
        PyTypeError::new_err(format!(
            "{what} must be a number of seconds, not {}",
            type_name(obj)
        ))
    };
    if obj.cast::<PyString>().is_ok() || obj.cast::<PyBytes>().is_ok() {
        return Err(not_a_number());
    }
    let secs = seconds_f64(obj, what)?;
    grove_core::duration_from_secs(what, secs).map_err(|e| crate::errors::to_py(obj.py(), e))
}

/// A connect timeout in float seconds, converted by the core's rule for connect timeouts.
pub fn connect_timeout_arg(obj: &Bound<'_, PyAny>) -> PyResult<Duration> {
    server_timeout_arg(
        obj,
        "connect_timeout",
        grove_core::connect_timeout_from_secs,
    )
}

/// A reply timeout in float seconds, converted by the core's rule for reply timeouts.
pub fn reply_timeout_arg(obj: &Bound<'_, PyAny>) -> PyResult<Duration> {
    server_timeout_arg(obj, "reply_timeout", grove_core::reply_timeout_from_secs)
}

/// A network timeout in float seconds named `what`, converted by the core's `rule`.
fn server_timeout_arg(
    obj: &Bound<'_, PyAny>,
    what: &str,
    rule: fn(f64) -> grove_core::Result<Duration>,
) -> PyResult<Duration> {
    if obj.cast::<PyString>().is_ok() || obj.cast::<PyBytes>().is_ok() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a number of seconds, not {}",
            type_name(obj)
        )));
    }
    let secs = seconds_f64(obj, what)?;
    rule(secs).map_err(|e| crate::errors::to_py(obj.py(), e))
}

/// A number of seconds as `f64`: TypeError for non-numbers, InvalidArgumentError for an int too
/// large for a float (so `10**400` is out of range like `2**64`, not of the wrong type); an
/// exception raised by the object's own `__float__` propagates.
fn seconds_f64(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<f64> {
    match obj.extract::<f64>() {
        Ok(v) => Ok(v),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Err(invalid_argument(
            obj.py(),
            format!("{what} of {} s is out of range", describe(obj)),
        )),
        Err(e) if e.is_instance_of::<PyTypeError>(obj.py()) => Err(PyTypeError::new_err(format!(
            "{what} must be a number of seconds, not {}",
            type_name(obj)
        ))),
        Err(e) => Err(e),
    }
}

/// A Python int as `u64`: TypeError for non-integers, InvalidArgumentError when negative or
/// too large.
pub fn u64_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    match obj.extract::<u64>() {
        Ok(v) => Ok(v),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Err(invalid_argument(
            obj.py(),
            format!(
                "{what} must be an int from 0 to 2**64-1, got {}",
                describe(obj)
            ),
        )),
        Err(e) if e.is_instance_of::<PyTypeError>(obj.py()) => Err(PyTypeError::new_err(format!(
            "{what} must be an int, not {}",
            type_name(obj)
        ))),
        // An exception raised by the object's own `__index__` is the caller's to see.
        Err(e) => Err(e),
    }
}

/// A `str` argument, or TypeError (InvalidArgumentError for lone surrogates).
pub fn str_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    let s = obj
        .cast::<PyString>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be str, not {}", type_name(obj))))?;
    s.to_cow()
        .map(|c| c.into_owned())
        .map_err(|e| invalid_argument(obj.py(), format!("{what} is not valid Unicode: {e}")))
}

/// An argument as message text: its `str()`, except that an int too long to print usefully (or
/// at all: `str()` of an int past 4300 digits raises) is described by its size.
pub fn describe(obj: &Bound<'_, PyAny>) -> String {
    if obj.is_instance_of::<PyInt>() {
        let bits = obj
            .call_method0("bit_length")
            .and_then(|b| b.extract::<u64>())
            .unwrap_or(u64::MAX);
        if bits > 128 {
            let sign = if obj.lt(0i32).unwrap_or(false) {
                "-"
            } else {
                ""
            };
            return format!("{sign}<an int of {bits} bits>");
        }
    }
    match obj.str() {
        Ok(s) => s.to_string_lossy().into_owned(),
        Err(_) => format!("<unprintable {}>", type_name(obj)),
    }
}

/// The name of an object's type, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}
