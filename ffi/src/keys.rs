//! Iterating over keys by prefix.

use crate::buf::{bytes_arg, grove_bytes};
use crate::error::{grove_error, grove_status, run_void};
use crate::store::{grove_store, put_handle, store_ref};
use grove_core::Keys;
use std::sync::Mutex;

/// A lazy iterator over live keys, read page by page. Safe to call from any thread (calls are
/// serialised); free it with `grove_keys_free`.
pub struct grove_keys {
    inner: Mutex<Keys>,
}

/// Starts iterating, in byte order, over the live keys of `store` that start with `prefix`
/// (`prefix_len` bytes; NULL with 0 for every key) into `*out`; free it with `grove_keys_free`.
/// Errors: INVALID_ARGUMENT, CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_store_keys(
    store: *const grove_store,
    prefix: *const u8,
    prefix_len: usize,
    out: *mut *mut grove_keys,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, out], {
        // SAFETY: live handle; `prefix` readable for `prefix_len` bytes or NULL with 0.
        let (store, prefix) =
            unsafe { (store_ref(store), bytes_arg(prefix, prefix_len, "prefix")?) };
        let keys = store.keys(prefix)?;
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe {
            put_handle(
                out,
                grove_keys {
                    inner: Mutex::new(keys),
                },
            )
        };
        Ok(())
    })
}

/// Advances the iterator: `*out_has_key` true and the key in `*out_key` (release it with
/// `grove_bytes_free`), or false and `{NULL, 0}` at the end. Errors: INVALID_ARGUMENT, CLOSED
/// (the store was closed meanwhile; the iterator then ends), CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_keys_next(
    keys: *const grove_keys,
    out_key: *mut grove_bytes,
    out_has_key: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [keys, out_key, out_has_key], {
        // SAFETY: `keys` is a live handle (contract).
        let keys = unsafe { &(*keys).inner };
        let next = keys.lock().unwrap_or_else(|p| p.into_inner()).next();
        let key = next.transpose()?;
        // SAFETY: outputs are non-NULL (checked) and writable (contract).
        unsafe {
            out_has_key.write(key.is_some());
            out_key.write(grove_bytes::from_vec(key.unwrap_or_default()));
        }
        Ok(())
    })
}

/// Releases an iterator. NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_keys_free(keys: *mut grove_keys) {
    if keys.is_null() {
        return;
    }
    // SAFETY: a non-NULL `keys` came from grove_store_keys and is freed once (contract).
    run_void(|| drop(unsafe { Box::from_raw(keys) }));
}
