//! Buffers crossing the boundary: borrowed input slices and library-owned output bytes.

use crate::error::run_void;
use grove_core::{Error, ErrorKind, Result};

/// A buffer allocated by the library: `len` bytes at `ptr` (`ptr` is NULL when `len` is 0).
/// Release it with `grove_bytes_free`; never call free() on it.
#[repr(C)]
#[derive(Debug)]
pub struct grove_bytes {
    /// The first byte, or NULL for an empty buffer.
    pub ptr: *mut u8,
    /// The number of bytes.
    pub len: usize,
}

impl grove_bytes {
    /// The empty buffer `{NULL, 0}`.
    pub(crate) const EMPTY: grove_bytes = grove_bytes {
        ptr: std::ptr::null_mut(),
        len: 0,
    };

    /// Hands `data` to the caller.
    pub(crate) fn from_vec(data: Vec<u8>) -> grove_bytes {
        if data.is_empty() {
            return grove_bytes::EMPTY;
        }
        let boxed: Box<[u8]> = data.into_boxed_slice();
        let len = boxed.len();
        let ptr = Box::into_raw(boxed).cast::<u8>();
        grove_bytes { ptr, len }
    }
}

/// A borrowed input buffer: `len` bytes at `ptr` (`ptr` may be NULL only when `len` is 0),
/// read during the call only.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct grove_slice {
    /// The first byte (NULL allowed when `len` is 0).
    pub ptr: *const u8,
    /// The number of bytes.
    pub len: usize,
}

/// A borrowed key/value pair for `grove_store_set_many`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct grove_pair {
    /// The key (non-empty bytes).
    pub key: grove_slice,
    /// The value (any bytes, may be empty).
    pub value: grove_slice,
}

/// An array of `len` buffers at `ptr` (`{NULL, 0}` when empty), such as the members of a CRDT
/// set or the field names of a CRDT map. Release it with `grove_bytes_list_free`; never call
/// free() on it, and never `grove_bytes_free` its items.
#[repr(C)]
#[derive(Debug)]
pub struct grove_bytes_list {
    /// The first buffer, or NULL for an empty list.
    pub ptr: *mut grove_bytes,
    /// The number of buffers.
    pub len: usize,
}

impl grove_bytes_list {
    /// Hands the byte strings `items` to the caller.
    pub(crate) fn from_vecs(items: Vec<Vec<u8>>) -> grove_bytes_list {
        let (ptr, len) = leak_slice(items.into_iter().map(grove_bytes::from_vec).collect());
        grove_bytes_list { ptr, len }
    }
}

/// Hands a vector to C as `(ptr, len)`: `(NULL, 0)` when empty. Take it back with
/// [`reclaim_slice`].
pub(crate) fn leak_slice<T>(items: Vec<T>) -> (*mut T, usize) {
    if items.is_empty() {
        return (std::ptr::null_mut(), 0);
    }
    let boxed: Box<[T]> = items.into_boxed_slice();
    let len = boxed.len();
    (Box::into_raw(boxed).cast::<T>(), len)
}

/// Takes back what [`leak_slice`] handed out (an empty vector for a NULL `ptr`).
///
/// # Safety
/// A non-NULL `ptr` with `len` must come from `leak_slice::<T>` and not have been reclaimed.
pub(crate) unsafe fn reclaim_slice<T>(ptr: *mut T, len: usize) -> Vec<T> {
    if ptr.is_null() {
        return Vec::new();
    }
    let raw = std::ptr::slice_from_raw_parts_mut(ptr, len);
    // SAFETY: ptr/len came from Box::<[T]>::into_raw in `leak_slice` (caller contract).
    unsafe { Box::from_raw(raw) }.into_vec()
}

/// Releases a list the library returned (every buffer and the array) and resets it to
/// `{NULL, 0}`; NULL, and a list already `{NULL, 0}`, are accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_bytes_list_free(list: *mut grove_bytes_list) {
    if list.is_null() {
        return;
    }
    run_void(|| {
        // SAFETY: a non-NULL `list` points to a grove_bytes_list the caller owns (contract).
        let l = unsafe { &mut *list };
        // SAFETY: ptr/len came from `leak_slice` in `from_vecs`; reset below, so a second call
        // frees nothing.
        for mut item in unsafe { reclaim_slice(l.ptr, l.len) } {
            // SAFETY: each item was made by grove_bytes::from_vec and is freed once.
            unsafe { grove_bytes_free(&mut item) };
        }
        l.ptr = std::ptr::null_mut();
        l.len = 0;
    });
}

/// Releases a buffer the library returned and resets it to `{NULL, 0}`; NULL, and a buffer
/// already `{NULL, 0}`, are accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_bytes_free(bytes: *mut grove_bytes) {
    if bytes.is_null() {
        return;
    }
    run_void(|| {
        // SAFETY: a non-NULL `bytes` points to a grove_bytes the caller owns (contract).
        let b = unsafe { &mut *bytes };
        if !b.ptr.is_null() {
            let raw = std::ptr::slice_from_raw_parts_mut(b.ptr, b.len);
            // SAFETY: ptr/len came from Box::<[u8]>::into_raw in `from_vec`; they are reset
            // below, so a second call on the same struct frees nothing.
            drop(unsafe { Box::from_raw(raw) });
        }
        *b = grove_bytes::EMPTY;
    });
}

/// Borrows `len` bytes at `ptr` for the call; NULL is allowed only with `len == 0`.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that stay valid and unmodified while the
/// returned slice is in use.
pub(crate) unsafe fn bytes_arg<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8]> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("argument `{what}` is NULL with length {len}"),
        ));
    }
    if len > isize::MAX as usize {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("argument `{what}` has an impossible length {len}"),
        ));
    }
    // SAFETY: non-NULL, length checked above; readability for `len` bytes is the caller's
    // contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows `len` bytes at `ptr` as UTF-8 text; invalid UTF-8 is `InvalidArgument`.
///
/// # Safety
/// As [`bytes_arg`].
pub(crate) unsafe fn text_arg<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a str> {
    // SAFETY: same contract as ours.
    let bytes = unsafe { bytes_arg(ptr, len, what) }?;
    std::str::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("argument `{what}` is not valid UTF-8: {e}"),
        )
    })
}

/// Borrows an array of `n` items; NULL is allowed only with `n == 0`.
///
/// # Safety
/// A non-NULL `ptr` must point to `n` initialised items valid for the call.
pub(crate) unsafe fn array_arg<'a, T>(ptr: *const T, n: usize, what: &str) -> Result<&'a [T]> {
    if ptr.is_null() {
        if n == 0 {
            return Ok(&[]);
        }
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("argument `{what}` is NULL with count {n}"),
        ));
    }
    if n.checked_mul(std::mem::size_of::<T>())
        .map_or(true, |bytes| bytes > isize::MAX as usize)
    {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            format!("argument `{what}` has an impossible count {n}"),
        ));
    }
    // SAFETY: non-NULL, size checked above; validity of `n` items is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, n) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_double_free_is_harmless() {
        let mut b = grove_bytes::from_vec(b"hello".to_vec());
        assert_eq!(b.len, 5);
        // SAFETY: `b` was made by from_vec; grove_bytes_free resets it, so freeing twice is fine.
        unsafe {
            grove_bytes_free(&mut b);
            assert!(b.ptr.is_null());
            grove_bytes_free(&mut b);
            grove_bytes_free(std::ptr::null_mut());
        }
        let e = grove_bytes::from_vec(Vec::new());
        assert!(e.ptr.is_null());
    }

    #[test]
    fn null_with_length_is_invalid_and_bad_utf8_is_invalid() {
        // SAFETY: NULL pointers are never dereferenced; the text slice is a live local.
        unsafe {
            assert!(bytes_arg(std::ptr::null(), 0, "x").unwrap().is_empty());
            let e = bytes_arg(std::ptr::null(), 3, "x").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            let bad = [0xffu8, 0xfe];
            let e = text_arg(bad.as_ptr(), 2, "name").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        }
    }
}
