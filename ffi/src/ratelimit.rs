//! The sliding-window rate limiter at `ratelimit:<name>:<key>`.

use crate::buf::text_arg;
use crate::error::{grove_error, grove_status, run_void};
use crate::kv::{put, secs_arg};
use crate::store::{check_open, grove_store, put_handle, store_ref};
use grove_core::{Decision, RateLimiter};

/// A true sliding-window rate limiter: at most `limit` summed cost per key inside any
/// window-long interval, atomically across threads. Thread-safe: share it freely until
/// `grove_ratelimiter_free`.
pub struct grove_ratelimiter {
    inner: RateLimiter,
}

/// The outcome of `grove_ratelimiter_allow` or `grove_ratelimiter_peek`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct grove_ratelimit_decision {
    /// Whether the request was admitted (for peek: whether a cost-1 request would be).
    pub allowed: bool,
    /// Cost that could still be admitted right now.
    pub remaining: u64,
    /// Seconds until everything admitted so far has left the window (full capacity again).
    pub reset_after_secs: f64,
    /// When refused: seconds until this request's cost would fit; 0 when allowed.
    pub retry_after_secs: f64,
}

impl grove_ratelimit_decision {
    fn from_core(d: Decision) -> grove_ratelimit_decision {
        grove_ratelimit_decision {
            allowed: d.allowed,
            remaining: d.remaining,
            reset_after_secs: d.reset_after.as_secs_f64(),
            retry_after_secs: d.retry_after.as_secs_f64(),
        }
    }
}

/// Makes a rate limiter named `name` (UTF-8, `name_len` bytes, no ':'; keys
/// `ratelimit:<name>:<key>`) admitting `limit` summed cost per sliding window of `window_secs`
/// seconds, into `*out`; free it with `grove_ratelimiter_free`. Errors: INVALID_ARGUMENT (NULL,
/// empty or non-UTF-8 name or one containing ':', name leaving no room for a key, limit 0, window
/// under 1 ms, negative, NaN or infinite), CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_ratelimiter_new(
    store: *const grove_store,
    name: *const u8,
    name_len: usize,
    limit: u64,
    window_secs: f64,
    out: *mut *mut grove_ratelimiter,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, name, out], {
        // SAFETY: `name` points to `name_len` readable bytes; `store` is live (contract).
        let (store, name) = unsafe { (store_ref(store), text_arg(name, name_len, "name")?) };
        let window = secs_arg(window_secs, "window_secs")?;
        // The core constructor does not look at the store; CLOSED now, as for locks/counters.
        check_open(store)?;
        let rl = store.rate_limiter(name, limit, window)?;
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_ratelimiter { inner: rl }) };
        Ok(())
    })
}

/// Borrows the core limiter of a live, non-NULL handle.
///
/// # Safety
/// `rl` must be a live, non-NULL handle.
unsafe fn rl_ref<'a>(rl: *const grove_ratelimiter) -> &'a RateLimiter {
    // SAFETY: caller contract.
    unsafe { &(*rl).inner }
}

/// Admits `cost` for `key` (UTF-8, `key_len` bytes) if it fits in the sliding window, and
/// records it if so, atomically; the decision goes to `*out_decision` (refused is not an
/// error). Cost 0 admits nothing and only reports. Errors: INVALID_ARGUMENT (NULL, empty or
/// non-UTF-8 key, cost > limit), WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_ratelimiter_allow(
    rl: *const grove_ratelimiter,
    key: *const u8,
    key_len: usize,
    cost: u64,
    out_decision: *mut grove_ratelimit_decision,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [rl, key, out_decision], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (rl, key) = unsafe { (rl_ref(rl), text_arg(key, key_len, "key")?) };
        let d = rl.allow(key, cost)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_decision, grove_ratelimit_decision::from_core(d)) };
        Ok(())
    })
}

/// Writes what a cost-1 request for `key` would get now to `*out_decision`, recording nothing.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_ratelimiter_peek(
    rl: *const grove_ratelimiter,
    key: *const u8,
    key_len: usize,
    out_decision: *mut grove_ratelimit_decision,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [rl, key, out_decision], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (rl, key) = unsafe { (rl_ref(rl), text_arg(key, key_len, "key")?) };
        let d = rl.peek(key)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_decision, grove_ratelimit_decision::from_core(d)) };
        Ok(())
    })
}

/// Forgets everything admitted for `key`; `*out_existed` tells whether there was state.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_ratelimiter_reset(
    rl: *const grove_ratelimiter,
    key: *const u8,
    key_len: usize,
    out_existed: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [rl, key, out_existed], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (rl, key) = unsafe { (rl_ref(rl), text_arg(key, key_len, "key")?) };
        let existed = rl.reset(key)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_existed, existed) };
        Ok(())
    })
}

/// Releases a rate-limiter handle (the recorded state is kept). NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_ratelimiter_free(rl: *mut grove_ratelimiter) {
    if rl.is_null() {
        return;
    }
    // SAFETY: a non-NULL `rl` came from grove_ratelimiter_new and is freed once, after every
    // other thread is done with it (contract).
    run_void(|| drop(unsafe { Box::from_raw(rl) }));
}
