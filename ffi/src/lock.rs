//! The distributed lock at `lock:<name>`: leases owned by a random token, fencing tokens.

use crate::buf::text_arg;
use crate::error::{grove_error, grove_status, run_void};
use crate::kv::{put, secs_arg};
use crate::store::{grove_store, put_handle, store_ref};
use grove_core::Lock;

/// One would-be owner of the lock `lock:<name>`: each successful acquire through this handle
/// gets a fresh random owner token and a fencing token. Thread-safe, but every thread using
/// the same handle acts as the same owner: give each contending thread its own handle.
///
/// The scoped pattern (release on every path once acquired):
///
/// ```c
/// grove_lock *lock = NULL;
/// bool acquired = false, released = false;
/// if (grove_lock_new(db, (const uint8_t *)"deploy", 6, 10.0, &lock, &err) == GROVE_OK &&
///     grove_lock_acquire(lock, 5.0, 0.05, &acquired, &err) == GROVE_OK && acquired) {
///     uint64_t fence = 0;
///     grove_lock_fencing_token(lock, &fence, NULL);
///     do_critical_work(fence);                   // no return, break or goto out of here
///     grove_lock_release(lock, &released, &err); // false: the lease expired meanwhile
/// }
/// grove_lock_free(lock);                         // frees the handle; never releases the lock
/// ```
pub struct grove_lock {
    inner: Lock,
}

/// What any observer sees of a lock, as written by `grove_store_lock_info`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct grove_lock_info {
    /// Whether some owner holds an unexpired lease now.
    pub held: bool,
    /// The fencing token of the latest acquisition (0 if the lock was never acquired).
    pub fencing_token: u64,
    /// Seconds left on the current lease when `held`, else -1.
    pub expires_in_secs: f64,
}

/// Makes a handle to the lock `name` (UTF-8, `name_len` bytes; key `lock:<name>`) of `store`
/// whose leases last `ttl_secs` seconds unless extended, into `*out`; free it with
/// `grove_lock_free`. Making the handle acquires nothing. It stays usable after the store
/// handle is freed, until the store is closed. Errors: INVALID_ARGUMENT (NULL, empty or
/// non-UTF-8 name, ttl <= 0, NaN or infinite), CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_lock_new(
    store: *const grove_store,
    name: *const u8,
    name_len: usize,
    ttl_secs: f64,
    out: *mut *mut grove_lock,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, name, out], {
        // SAFETY: `name` points to `name_len` readable bytes; `store` is live (contract).
        let (store, name) = unsafe { (store_ref(store), text_arg(name, name_len, "name")?) };
        let lock = store.lock(name, secs_arg(ttl_secs, "ttl_secs")?)?;
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_lock { inner: lock }) };
        Ok(())
    })
}

/// Borrows the core lock of a live, non-NULL handle.
///
/// # Safety
/// `lock` must be a live, non-NULL handle.
unsafe fn lock_ref<'a>(lock: *const grove_lock) -> &'a Lock {
    // SAFETY: caller contract.
    unsafe { &(*lock).inner }
}

/// One attempt, never waits: takes the lock if it is free or its lease expired (or this
/// handle already holds it, which renews the lease with a new fencing token) and sets
/// `*out_acquired`. Errors: INVALID_ARGUMENT, WRONG_TYPE (`lock:<name>` holds something else),
/// CLOSED, OVERFLOW (fencing tokens exhausted), CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_lock_try_acquire(
    lock: *const grove_lock,
    out_acquired: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lock, out_acquired], {
        // SAFETY: live handle (contract).
        let got = unsafe { lock_ref(lock) }.try_acquire()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_acquired, got) };
        Ok(())
    })
}

/// Tries until `timeout_secs` seconds have passed (0: one attempt), sleeping `retry_interval_secs`
/// (at least 1 ms) between attempts; blocks the calling thread without spinning. Sets
/// `*out_acquired` (false when the timeout passed: that is not an error). Errors:
/// INVALID_ARGUMENT (negative, NaN or infinite durations), and as `grove_lock_try_acquire`.
#[no_mangle]
pub unsafe extern "C" fn grove_lock_acquire(
    lock: *const grove_lock,
    timeout_secs: f64,
    retry_interval_secs: f64,
    out_acquired: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lock, out_acquired], {
        let timeout = secs_arg(timeout_secs, "timeout_secs")?;
        let retry = secs_arg(retry_interval_secs, "retry_interval_secs")?;
        // SAFETY: live handle (contract).
        let got = unsafe { lock_ref(lock) }.acquire(timeout, retry)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_acquired, got) };
        Ok(())
    })
}

/// Releases the lock if this handle still owns an unexpired lease; `*out_released` is false
/// (and nothing changes) otherwise: never acquired, already released, or the lease expired
/// (perhaps taken by another owner). The fencing token is kept.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_lock_release(
    lock: *const grove_lock,
    out_released: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lock, out_released], {
        // SAFETY: live handle (contract).
        let released = unsafe { lock_ref(lock) }.release()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_released, released) };
        Ok(())
    })
}

/// Makes the lease end `ttl_secs` seconds from now if this handle still owns it;
/// `*out_extended` is false (and nothing changes) otherwise. The fencing token is unchanged.
/// Errors: INVALID_ARGUMENT (ttl <= 0, NaN or infinite), WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_lock_extend(
    lock: *const grove_lock,
    ttl_secs: f64,
    out_extended: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lock, out_extended], {
        let ttl = secs_arg(ttl_secs, "ttl_secs")?;
        // SAFETY: live handle (contract).
        let extended = unsafe { lock_ref(lock) }.extend(ttl)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_extended, extended) };
        Ok(())
    })
}

/// Sets `*out_held` to whether this handle owns the lock now (an unexpired lease with its
/// token). Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_lock_held(
    lock: *const grove_lock,
    out_held: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lock, out_held], {
        // SAFETY: live handle (contract).
        let held = unsafe { lock_ref(lock) }.held()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_held, held) };
        Ok(())
    })
}

/// Writes the fencing token of this handle's latest successful acquire to `*out_token` (0
/// before the first). Tokens only grow per lock, across owners, expiry and restarts: pass it to
/// the resource you protect and have it reject smaller ones. Reads no storage, so it works
/// after the store is closed. Errors: INVALID_ARGUMENT (NULL).
#[no_mangle]
pub unsafe extern "C" fn grove_lock_fencing_token(
    lock: *const grove_lock,
    out_token: *mut u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [lock, out_token], {
        // SAFETY: live handle (contract).
        let token = unsafe { lock_ref(lock) }.fencing_token();
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_token, token) };
        Ok(())
    })
}

/// Releases a lock handle. It does not release the lock: call `grove_lock_release` first, or
/// the lease runs until it expires. NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_lock_free(lock: *mut grove_lock) {
    if lock.is_null() {
        return;
    }
    // SAFETY: a non-NULL `lock` came from grove_lock_new and is freed once, after every other
    // thread is done with it (contract).
    run_void(|| drop(unsafe { Box::from_raw(lock) }));
}

/// Writes the state of the lock `name` (UTF-8, `name_len` bytes) as any observer sees it to
/// `*out_info`. Errors: INVALID_ARGUMENT (NULL, empty or non-UTF-8 name), WRONG_TYPE,
/// CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_lock_info(
    store: *const grove_store,
    name: *const u8,
    name_len: usize,
    out_info: *mut grove_lock_info,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, name, out_info], {
        // SAFETY: `name` points to `name_len` readable bytes; `store` is live (contract).
        let (store, name) = unsafe { (store_ref(store), text_arg(name, name_len, "name")?) };
        let info = store.lock_info(name)?;
        let out = grove_lock_info {
            held: info.held,
            fencing_token: info.fencing_token,
            expires_in_secs: info.expires_in.map_or(-1.0, |d| d.as_secs_f64()),
        };
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_info, out) };
        Ok(())
    })
}
