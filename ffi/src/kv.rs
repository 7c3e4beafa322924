//! Key/value operations with TTL on a store or namespace view.

use crate::buf::{array_arg, bytes_arg, grove_bytes, grove_pair, grove_slice};
use crate::error::{grove_error, grove_status};
use crate::store::{grove_store, store_ref};
use grove_core::{ttl_from_secs, Kind, Result, Store};
use std::time::Duration;

/// What a key holds, as written by `grove_store_kind_of` (`GROVE_KIND_NONE` when absent).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum grove_kind {
    /// The key is absent or expired.
    GROVE_KIND_NONE = 0,
    /// Plain bytes written by `grove_store_set`.
    GROVE_KIND_BYTES = 1,
    /// An atomic counter.
    GROVE_KIND_COUNTER = 2,
    /// A distributed lock.
    GROVE_KIND_LOCK = 3,
    /// Rate-limiter state.
    GROVE_KIND_RATE_LIMIT = 4,
    /// A session.
    GROVE_KIND_SESSION = 5,
    /// Leaderboard data.
    GROVE_KIND_LEADERBOARD = 6,
    /// Job-queue data.
    GROVE_KIND_QUEUE = 7,
    /// A CRDT PN-counter.
    GROVE_KIND_CRDT_COUNTER = 8,
    /// A CRDT LWW register.
    GROVE_KIND_CRDT_REGISTER = 9,
    /// A CRDT add-wins set.
    GROVE_KIND_CRDT_SET = 10,
    /// A CRDT map of LWW fields.
    GROVE_KIND_CRDT_MAP = 11,
}

impl grove_kind {
    /// The C kind of a core kind; exhaustive, so a new core kind fails to compile here.
    const fn from_core(kind: Kind) -> grove_kind {
        match kind {
            Kind::Bytes => grove_kind::GROVE_KIND_BYTES,
            Kind::Counter => grove_kind::GROVE_KIND_COUNTER,
            Kind::Lock => grove_kind::GROVE_KIND_LOCK,
            Kind::RateLimit => grove_kind::GROVE_KIND_RATE_LIMIT,
            Kind::Session => grove_kind::GROVE_KIND_SESSION,
            Kind::Leaderboard => grove_kind::GROVE_KIND_LEADERBOARD,
            Kind::Queue => grove_kind::GROVE_KIND_QUEUE,
            Kind::CrdtCounter => grove_kind::GROVE_KIND_CRDT_COUNTER,
            Kind::CrdtRegister => grove_kind::GROVE_KIND_CRDT_REGISTER,
            Kind::CrdtSet => grove_kind::GROVE_KIND_CRDT_SET,
            Kind::CrdtMap => grove_kind::GROVE_KIND_CRDT_MAP,
        }
    }
}

/// Reads an optional TTL in seconds: NULL means none; the core checks the rest (negative, NaN,
/// infinite, too far away or zero is `InvalidArgument`).
///
/// # Safety
/// A non-NULL `ttl_secs` must point to a readable double.
unsafe fn ttl_arg(ttl_secs: *const f64) -> Result<Option<Duration>> {
    if ttl_secs.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and readable (contract).
    let secs = unsafe { ttl_secs.read() };
    Ok(Some(ttl_from_secs(secs)?))
}

/// Reads a duration given as `secs` seconds for the argument `what`, by the core's rule
/// (negative, NaN, infinite or over 100 years is `InvalidArgument`; 0 is allowed, callers
/// that need a positive value say so, as the core does).
pub(crate) fn secs_arg(secs: f64, what: &str) -> Result<Duration> {
    grove_core::duration_from_secs(what, secs)
}

/// Writes `value` to a non-NULL output pointer.
///
/// # Safety
/// `out` must be non-NULL and writable.
pub(crate) unsafe fn put<T>(out: *mut T, value: T) {
    // SAFETY: caller contract.
    unsafe { out.write(value) }
}

/// Reads the bytes at `key` into `*out_value` (release with `grove_bytes_free`) and sets
/// `*out_found`; when absent, `*out_value` is `{NULL, 0}` and `*out_found` false.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE (the key holds a counter…), CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_get(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    out_value: *mut grove_bytes,
    out_found: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out_value, out_found], {
        // SAFETY: live handle; `key` has `key_len` readable bytes (contract).
        let (store, key) = unsafe { (store_ref(store), bytes_arg(key, key_len, "key")?) };
        let value = store.get(key)?;
        // SAFETY: outputs are non-NULL (checked) and writable (contract).
        unsafe {
            put(out_found, value.is_some());
            put(out_value, grove_bytes::from_vec(value.unwrap_or_default()));
        }
        Ok(())
    })
}

/// Stores `value` at `key`, expiring after `*ttl_secs` seconds when `ttl_secs` is not NULL
/// (NULL: no expiry). Errors: INVALID_ARGUMENT (empty/oversized key, a new key under `lb:` or
/// `queue:`, which belong to leaderboards and queues, ttl <= 0 or NaN), WRONG_TYPE (the key
/// holds another kind), CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_set(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    ttl_secs: *const f64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key], {
        // SAFETY: live handle; buffers readable for their lengths; ttl NULL or readable.
        let (store, key, value, ttl) = unsafe {
            (
                store_ref(store),
                bytes_arg(key, key_len, "key")?,
                bytes_arg(value, value_len, "value")?,
                ttl_arg(ttl_secs)?,
            )
        };
        store.set(key, value, ttl)
    })
}

/// Stores `value` at `key` only if it holds nothing live (Redis `SET NX`), expiring after
/// `*ttl_secs` seconds when `ttl_secs` is not NULL; `*out_written` tells whether it wrote.
/// Errors: as `grove_store_set` (INVALID_ARGUMENT, WRONG_TYPE, CLOSED, IO).
#[no_mangle]
pub unsafe extern "C" fn grove_store_set_if_absent(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    ttl_secs: *const f64,
    out_written: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    // SAFETY: the caller's contract, as documented above.
    unsafe {
        conditional_set(
            store,
            (key, key_len),
            (value, value_len),
            ttl_secs,
            out_written,
            err,
            Store::set_if_absent,
        )
    }
}

/// Replaces the bytes at `key` only if it holds some (Redis `SET XX`); the new value expires
/// after `*ttl_secs` seconds when `ttl_secs` is not NULL (NULL: no expiry). `*out_written`
/// tells whether it wrote. Errors: as `grove_store_set`.
#[no_mangle]
pub unsafe extern "C" fn grove_store_set_if_present(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    ttl_secs: *const f64,
    out_written: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    // SAFETY: the caller's contract, as documented above.
    unsafe {
        conditional_set(
            store,
            (key, key_len),
            (value, value_len),
            ttl_secs,
            out_written,
            err,
            Store::set_if_present,
        )
    }
}

/// Stores `value` at `key` only if it holds exactly `*expected` (a NULL `expected` means "holds
/// nothing live"; a non-NULL one with `len` 0 means "holds the empty value"), expiring after
/// `*ttl_secs` seconds when `ttl_secs` is not NULL; `*out_written` tells whether it wrote.
/// Errors: as `grove_store_set`.
#[no_mangle]
pub unsafe extern "C" fn grove_store_compare_and_set(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    expected: *const grove_slice,
    value: *const u8,
    value_len: usize,
    ttl_secs: *const f64,
    out_written: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out_written], {
        // SAFETY: live handle; buffers readable for their lengths; `expected` and ttl NULL or
        // readable (contract).
        let (store, key, expected, value, ttl) = unsafe {
            (
                store_ref(store),
                bytes_arg(key, key_len, "key")?,
                match expected.as_ref() {
                    None => None,
                    Some(s) => Some(bytes_arg(s.ptr, s.len, "expected")?),
                },
                bytes_arg(value, value_len, "value")?,
                ttl_arg(ttl_secs)?,
            )
        };
        let written = store.compare_and_set(key, expected, value, ttl)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_written, written) };
        Ok(())
    })
}

/// Stores `value` at `key` (expiring after `*ttl_secs` seconds when `ttl_secs` is not NULL) and
/// returns what it replaced as `grove_store_get` does: `*out_old` (release with
/// `grove_bytes_free`; `{NULL, 0}` when there was nothing) and `*out_found`.
/// Errors: as `grove_store_set`.
#[no_mangle]
pub unsafe extern "C" fn grove_store_get_set(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    ttl_secs: *const f64,
    out_old: *mut grove_bytes,
    out_found: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out_old, out_found], {
        // SAFETY: live handle; buffers readable for their lengths; ttl NULL or readable.
        let (store, key, value, ttl) = unsafe {
            (
                store_ref(store),
                bytes_arg(key, key_len, "key")?,
                bytes_arg(value, value_len, "value")?,
                ttl_arg(ttl_secs)?,
            )
        };
        let old = store.get_set(key, value, ttl)?;
        // SAFETY: outputs are non-NULL (checked) and writable (contract).
        unsafe {
            put(out_found, old.is_some());
            put(out_old, grove_bytes::from_vec(old.unwrap_or_default()));
        }
        Ok(())
    })
}

/// Removes `key` and returns the bytes it held as `grove_store_get` does: `*out_value` (release
/// with `grove_bytes_free`; `{NULL, 0}` when absent, and nothing changes) and `*out_found`.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE (the key holds a counter…: nothing removed), CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_get_delete(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    out_value: *mut grove_bytes,
    out_found: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out_value, out_found], {
        // SAFETY: live handle; `key` has `key_len` readable bytes (contract).
        let (store, key) = unsafe { (store_ref(store), bytes_arg(key, key_len, "key")?) };
        let value = store.get_delete(key)?;
        // SAFETY: outputs are non-NULL (checked) and writable (contract).
        unsafe {
            put(out_found, value.is_some());
            put(out_value, grove_bytes::from_vec(value.unwrap_or_default()));
        }
        Ok(())
    })
}

/// Removes `key` whatever it holds; `*out_deleted` tells whether a live key was removed.
/// Errors: INVALID_ARGUMENT, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_delete(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    out_deleted: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out_deleted], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (store, key) = unsafe { (store_ref(store), bytes_arg(key, key_len, "key")?) };
        let deleted = store.delete(key)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_deleted, deleted) };
        Ok(())
    })
}

/// Sets `*out_exists` to whether `key` holds a live value of any kind.
/// Errors: INVALID_ARGUMENT, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_exists(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    out_exists: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out_exists], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (store, key) = unsafe { (store_ref(store), bytes_arg(key, key_len, "key")?) };
        let exists = store.exists(key)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_exists, exists) };
        Ok(())
    })
}

/// Writes what `key` holds to `*out_kind` (`GROVE_KIND_NONE` when absent or expired).
/// Errors: INVALID_ARGUMENT, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_kind_of(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    out_kind: *mut grove_kind,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out_kind], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (store, key) = unsafe { (store_ref(store), bytes_arg(key, key_len, "key")?) };
        let kind = store
            .kind_of(key)?
            .map_or(grove_kind::GROVE_KIND_NONE, grove_kind::from_core);
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_kind, kind) };
        Ok(())
    })
}

/// Makes `key` (of any kind) expire after `ttl_secs` seconds (0 deletes it now);
/// `*out_found` is false when the key does not exist. Errors: INVALID_ARGUMENT (negative or
/// NaN ttl), CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_expire(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    ttl_secs: f64,
    out_found: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out_found], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (store, key) = unsafe { (store_ref(store), bytes_arg(key, key_len, "key")?) };
        let ttl = ttl_from_secs(ttl_secs)?;
        let found = store.expire(key, ttl)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_found, found) };
        Ok(())
    })
}

/// Removes the expiry of `key`; `*out_had_ttl` tells whether it had one.
/// Errors: INVALID_ARGUMENT, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_persist(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    out_had_ttl: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out_had_ttl], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (store, key) = unsafe { (store_ref(store), bytes_arg(key, key_len, "key")?) };
        let had = store.persist(key)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_had_ttl, had) };
        Ok(())
    })
}

/// Writes the seconds left before `key` expires to `*out_secs` and whether it has an expiry
/// to `*out_has_ttl` (false: no expiry, `*out_secs` = 0). Errors: NOT_FOUND (absent or
/// expired), INVALID_ARGUMENT, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_ttl(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    out_secs: *mut f64,
    out_has_ttl: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out_secs, out_has_ttl], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (store, key) = unsafe { (store_ref(store), bytes_arg(key, key_len, "key")?) };
        let ttl = store.ttl(key)?;
        // SAFETY: outputs non-NULL (checked) and writable (contract).
        unsafe {
            put(out_has_ttl, ttl.is_some());
            put(out_secs, ttl.map_or(0.0, |d| d.as_secs_f64()));
        }
        Ok(())
    })
}

/// Reads `n` keys as one consistent snapshot: for each `keys[i]`, `out_values[i]` gets the bytes
/// (release each with `grove_bytes_free`; `{NULL, 0}` when absent) and `out_found[i]` whether
/// it exists. Arrays may be NULL only when `n` is 0; on error nothing is written.
/// Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_get_many(
    store: *const grove_store,
    keys: *const grove_slice,
    n: usize,
    out_values: *mut grove_bytes,
    out_found: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store], {
        // SAFETY: `keys` has `n` readable items (contract); NULL only with n == 0 (checked).
        let slices = unsafe { array_arg(keys, n, "keys") }?;
        if n > 0 && (out_values.is_null() || out_found.is_null()) {
            return Err(crate::error::null_arg(if out_values.is_null() {
                "out_values"
            } else {
                "out_found"
            }));
        }
        let mut borrowed = Vec::with_capacity(n);
        for s in slices {
            // SAFETY: each slice points to `len` readable bytes (contract).
            borrowed.push(unsafe { bytes_arg(s.ptr, s.len, "keys[i]") }?);
        }
        // SAFETY: live handle (contract).
        let values = unsafe { store_ref(store) }.get_many(&borrowed)?;
        for (i, v) in values.into_iter().enumerate() {
            // SAFETY: both output arrays have `n` writable items (contract), i < n.
            unsafe {
                put(out_found.add(i), v.is_some());
                put(
                    out_values.add(i),
                    grove_bytes::from_vec(v.unwrap_or_default()),
                );
            }
        }
        Ok(())
    })
}

/// Stores `n` pairs atomically (all or nothing), each expiring after `*ttl_secs` seconds when
/// `ttl_secs` is not NULL. `items` may be NULL only when `n` is 0. Errors: INVALID_ARGUMENT
/// (including a new key under `lb:` or `queue:`), WRONG_TYPE (any key holds another kind: nothing
/// is written), CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_set_many(
    store: *const grove_store,
    items: *const grove_pair,
    n: usize,
    ttl_secs: *const f64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store], {
        // SAFETY: `items` has `n` readable pairs (contract); NULL only with n == 0 (checked).
        let pairs = unsafe { array_arg(items, n, "items") }?;
        // SAFETY: `ttl_secs` is NULL or readable (contract).
        let ttl = unsafe { ttl_arg(ttl_secs) }?;
        let mut borrowed = Vec::with_capacity(n);
        for p in pairs {
            // SAFETY: each slice points to `len` readable bytes (contract).
            let kv = unsafe {
                (
                    bytes_arg(p.key.ptr, p.key.len, "items[i].key")?,
                    bytes_arg(p.value.ptr, p.value.len, "items[i].value")?,
                )
            };
            borrowed.push(kv);
        }
        // SAFETY: live handle (contract).
        unsafe { store_ref(store) }.set_many(&borrowed, ttl)
    })
}

/// Removes every expired key in this view now and writes how many to `*out_count`.
/// Errors: INVALID_ARGUMENT, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_purge_expired(
    store: *const grove_store,
    out_count: *mut u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, out_count], {
        // SAFETY: live handle (contract).
        let n = unsafe { store_ref(store) }.purge_expired()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_count, n) };
        Ok(())
    })
}

/// A core conditional write: `Store::set_if_absent` or `Store::set_if_present`.
type ConditionalSet = fn(&Store, &[u8], &[u8], Option<Duration>) -> Result<bool>;

/// The body of the `set_if_*` calls: converts the arguments, runs `write` and reports whether it
/// wrote.
///
/// # Safety
/// As for `grove_store_set_if_absent`.
unsafe fn conditional_set(
    store: *const grove_store,
    (key, key_len): (*const u8, usize),
    (value, value_len): (*const u8, usize),
    ttl_secs: *const f64,
    out_written: *mut bool,
    err: *mut *mut grove_error,
    write: ConditionalSet,
) -> grove_status {
    ffi_body!(err, [store, key, out_written], {
        // SAFETY: live handle; buffers readable for their lengths; ttl NULL or readable.
        let (store, key, value, ttl) = unsafe {
            (
                store_ref(store),
                bytes_arg(key, key_len, "key")?,
                bytes_arg(value, value_len, "value")?,
                ttl_arg(ttl_secs)?,
            )
        };
        let written = write(store, key, value, ttl)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_written, written) };
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_numbers_equal_the_core_tags() {
        for tag in 1..=11u8 {
            let kind = Kind::from_tag(tag).expect("every tag 1..=11 is a kind");
            assert_eq!(grove_kind::from_core(kind) as i32, i32::from(tag));
        }
        assert!(Kind::from_tag(12).is_none());
        assert!(Kind::from_tag(0).is_none());
    }
}
