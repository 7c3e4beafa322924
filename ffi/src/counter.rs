//! The atomic counter at `counter:<name>`.

use crate::buf::text_arg;
use crate::error::{grove_error, grove_status, run_void};
use crate::store::{grove_store, put_handle, store_ref};
use grove_core::Counter;

/// An atomic signed 64-bit counter. Thread-safe: share it freely until `grove_counter_free`.
pub struct grove_counter {
    inner: Counter,
}

/// Makes a handle to the counter `name` (UTF-8, `name_len` bytes; key `counter:<name>`) of
/// `store` into `*out`; free it with `grove_counter_free`. It stays usable after the store
/// handle is freed, until the store is closed. Errors: INVALID_ARGUMENT (NULL, empty, not UTF-8).
#[no_mangle]
pub unsafe extern "C" fn grove_counter_new(
    store: *const grove_store,
    name: *const u8,
    name_len: usize,
    out: *mut *mut grove_counter,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, name, out], {
        // SAFETY: `name` points to `name_len` readable bytes; `store` is live (contract).
        let (store, name) = unsafe { (store_ref(store), text_arg(name, name_len, "name")?) };
        let counter = store.counter(name)?;
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_counter { inner: counter }) };
        Ok(())
    })
}

/// Borrows the core counter of a live, non-NULL handle.
///
/// # Safety
/// `counter` must be a live, non-NULL handle.
unsafe fn counter_ref<'a>(counter: *const grove_counter) -> &'a Counter {
    // SAFETY: caller contract.
    unsafe { &(*counter).inner }
}

/// Adds `delta` (may be negative) atomically and writes the new value to `*out_value`.
/// Errors: INVALID_ARGUMENT, OVERFLOW (nothing changed), WRONG_TYPE, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_counter_increment(
    counter: *const grove_counter,
    delta: i64,
    out_value: *mut i64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_value], {
        // SAFETY: live handle (contract).
        let v = unsafe { counter_ref(counter) }.increment(delta)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { out_value.write(v) };
        Ok(())
    })
}

/// Subtracts `delta` atomically and writes the new value to `*out_value`.
/// Errors: INVALID_ARGUMENT, OVERFLOW (nothing changed), WRONG_TYPE, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_counter_decrement(
    counter: *const grove_counter,
    delta: i64,
    out_value: *mut i64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_value], {
        // SAFETY: live handle (contract).
        let v = unsafe { counter_ref(counter) }.decrement(delta)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { out_value.write(v) };
        Ok(())
    })
}

/// Subtracts `delta` (>= 0) only if the result stays at or above `floor` (0 in the other
/// doors' defaults), in one atomic step, so racing buyers never oversell: `*out_applied` tells
/// whether it did, `*out_value` is the new value (0 when refused; the counter is unchanged).
/// Errors: INVALID_ARGUMENT (negative `delta`), WRONG_TYPE, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_counter_try_decrement(
    counter: *const grove_counter,
    delta: i64,
    floor: i64,
    out_value: *mut i64,
    out_applied: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_value, out_applied], {
        // SAFETY: live handle (contract).
        let v = unsafe { counter_ref(counter) }.try_decrement(delta, floor)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe {
            out_applied.write(v.is_some());
            out_value.write(v.unwrap_or(0));
        }
        Ok(())
    })
}

/// Adds `delta` (>= 0) only if the result stays at or below `cap`, in one atomic step:
/// `*out_applied` tells whether it did, `*out_value` is the new value (0 when refused; the
/// counter is unchanged). Errors: INVALID_ARGUMENT (negative `delta`), WRONG_TYPE, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_counter_try_increment(
    counter: *const grove_counter,
    delta: i64,
    cap: i64,
    out_value: *mut i64,
    out_applied: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_value, out_applied], {
        // SAFETY: live handle (contract).
        let v = unsafe { counter_ref(counter) }.try_increment(delta, cap)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe {
            out_applied.write(v.is_some());
            out_value.write(v.unwrap_or(0));
        }
        Ok(())
    })
}

/// Writes the current value (0 when unset) to `*out_value`.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_counter_get(
    counter: *const grove_counter,
    out_value: *mut i64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_value], {
        // SAFETY: live handle (contract).
        let v = unsafe { counter_ref(counter) }.get()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { out_value.write(v) };
        Ok(())
    })
}

/// Sets the value (clearing any expiry). Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_counter_set(
    counter: *const grove_counter,
    value: i64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter], {
        // SAFETY: live handle (contract).
        unsafe { counter_ref(counter) }.set(value)
    })
}

/// Sets the value to 0. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_counter_reset(
    counter: *const grove_counter,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter], {
        // SAFETY: live handle (contract).
        unsafe { counter_ref(counter) }.reset()
    })
}

/// Releases a counter handle (the stored value is kept). NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_counter_free(counter: *mut grove_counter) {
    if counter.is_null() {
        return;
    }
    // SAFETY: a non-NULL `counter` came from grove_counter_new and is freed once, after every
    // other thread is done with it (contract).
    run_void(|| drop(unsafe { Box::from_raw(counter) }));
}
