//! The session store at `<prefix>:<id>`: random ids, sliding TTL, no resurrection.

use crate::buf::{bytes_arg, grove_bytes, text_arg};
use crate::error::{grove_error, grove_status, run_void};
use crate::kv::{put, secs_arg};
use crate::store::{check_open, grove_store, put_handle, store_ref};
use grove_core::Sessions;

/// A session store: sessions at `<prefix>:<id>` with 256-bit random ids (43 characters of
/// unpadded URL-safe base64) and a TTL that restarts on every update and touch. Thread-safe:
/// share it freely until `grove_sessions_free`.
pub struct grove_sessions {
    inner: Sessions,
}

/// Makes a session store whose sessions live `ttl_secs` seconds after their last update or
/// touch, with keys `<prefix>:<id>` (`prefix`: UTF-8, `prefix_len` bytes; the usual one is
/// "sess"), into `*out`; free it with `grove_sessions_free`. Errors: INVALID_ARGUMENT (NULL,
/// empty or non-UTF-8 prefix, prefix too long for a key, ttl <= 0, NaN or infinite), CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_sessions_new(
    store: *const grove_store,
    ttl_secs: f64,
    prefix: *const u8,
    prefix_len: usize,
    out: *mut *mut grove_sessions,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, prefix, out], {
        // SAFETY: `prefix` points to `prefix_len` readable bytes; `store` is live (contract).
        let (store, prefix) =
            unsafe { (store_ref(store), text_arg(prefix, prefix_len, "prefix")?) };
        let sessions = store.sessions(secs_arg(ttl_secs, "ttl_secs")?, prefix)?;
        // The core constructor does not look at the store; CLOSED now, as for locks/counters.
        check_open(store)?;
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_sessions { inner: sessions }) };
        Ok(())
    })
}

/// Borrows the core session store of a live, non-NULL handle.
///
/// # Safety
/// `sessions` must be a live, non-NULL handle.
unsafe fn sessions_ref<'a>(sessions: *const grove_sessions) -> &'a Sessions {
    // SAFETY: caller contract.
    unsafe { &(*sessions).inner }
}

/// Stores `data` (`data_len` bytes, may be empty) under a new random id and writes the id (43
/// ASCII bytes, not NUL-terminated) to `*out_id`; release it with `grove_bytes_free`.
/// Errors: INVALID_ARGUMENT (NULL with a length, oversized data), CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_sessions_create(
    sessions: *const grove_sessions,
    data: *const u8,
    data_len: usize,
    out_id: *mut grove_bytes,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [sessions, out_id], {
        // SAFETY: live handle; `data` readable for `data_len` bytes or NULL with 0 (contract).
        let (sessions, data) =
            unsafe { (sessions_ref(sessions), bytes_arg(data, data_len, "data")?) };
        let id = sessions.create(data)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_id, grove_bytes::from_vec(id.into_bytes())) };
        Ok(())
    })
}

/// Reads the data of the live session `id` (UTF-8, `id_len` bytes) into `*out_data` (release
/// it with `grove_bytes_free`) and sets `*out_found`; a missing, expired or malformed id gives
/// `{NULL, 0}` and false. Errors: INVALID_ARGUMENT (NULL, non-UTF-8 id), WRONG_TYPE, CLOSED,
/// CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_sessions_get(
    sessions: *const grove_sessions,
    id: *const u8,
    id_len: usize,
    out_data: *mut grove_bytes,
    out_found: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [sessions, id, out_data, out_found], {
        // SAFETY: live handle; `id` readable for `id_len` bytes (contract).
        let (sessions, id) = unsafe { (sessions_ref(sessions), text_arg(id, id_len, "id")?) };
        let data = sessions.get(id)?;
        // SAFETY: outputs are non-NULL (checked) and writable (contract).
        unsafe {
            put(out_found, data.is_some());
            put(out_data, grove_bytes::from_vec(data.unwrap_or_default()));
        }
        Ok(())
    })
}

/// Replaces the data of the live session `id` with `data` and restarts its TTL;
/// `*out_updated` is false (and nothing is written, the session is never recreated) when it
/// is missing or expired. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_sessions_update(
    sessions: *const grove_sessions,
    id: *const u8,
    id_len: usize,
    data: *const u8,
    data_len: usize,
    out_updated: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [sessions, id, out_updated], {
        // SAFETY: live handle; `id` and `data` readable for their lengths (contract).
        let (sessions, id, data) = unsafe {
            (
                sessions_ref(sessions),
                text_arg(id, id_len, "id")?,
                bytes_arg(data, data_len, "data")?,
            )
        };
        let updated = sessions.update(id, data)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_updated, updated) };
        Ok(())
    })
}

/// Restarts the TTL of the live session `id`; `*out_touched` is false (and nothing is
/// recreated) when it is missing or expired. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED,
/// CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_sessions_touch(
    sessions: *const grove_sessions,
    id: *const u8,
    id_len: usize,
    out_touched: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [sessions, id, out_touched], {
        // SAFETY: live handle; `id` readable for `id_len` bytes (contract).
        let (sessions, id) = unsafe { (sessions_ref(sessions), text_arg(id, id_len, "id")?) };
        let touched = sessions.touch(id)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_touched, touched) };
        Ok(())
    })
}

/// Deletes the session `id`; `*out_deleted` tells whether it was live.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_sessions_delete(
    sessions: *const grove_sessions,
    id: *const u8,
    id_len: usize,
    out_deleted: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [sessions, id, out_deleted], {
        // SAFETY: live handle; `id` readable for `id_len` bytes (contract).
        let (sessions, id) = unsafe { (sessions_ref(sessions), text_arg(id, id_len, "id")?) };
        let deleted = sessions.delete(id)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_deleted, deleted) };
        Ok(())
    })
}

/// Sets `*out_exists` to whether the session `id` is live (does not restart its TTL).
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_sessions_exists(
    sessions: *const grove_sessions,
    id: *const u8,
    id_len: usize,
    out_exists: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [sessions, id, out_exists], {
        // SAFETY: live handle; `id` readable for `id_len` bytes (contract).
        let (sessions, id) = unsafe { (sessions_ref(sessions), text_arg(id, id_len, "id")?) };
        let exists = sessions.exists(id)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_exists, exists) };
        Ok(())
    })
}

/// Releases a session-store handle (sessions are kept). NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_sessions_free(sessions: *mut grove_sessions) {
    if sessions.is_null() {
        return;
    }
    // SAFETY: a non-NULL `sessions` came from grove_sessions_new and is freed once, after every
    // other thread is done with it (contract).
    run_void(|| drop(unsafe { Box::from_raw(sessions) }));
}
