//! Replication between stores: `grove_sync` in one process, `export_changes`/`apply_changes`
//! bundles across processes and machines, and the clock drift a merge accepts.

use crate::buf::{bytes_arg, grove_bytes};
use crate::error::{grove_error, grove_status};
use crate::kv::{put, secs_arg};
use crate::store::{check_open, grove_store, store_ref};
use grove_core::SyncReport;

/// What a `grove_sync` or a `grove_store_apply_changes` did.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct grove_sync_report {
    /// CRDT keys this side (`a` for `grove_sync`) received that it did not have.
    pub pulled: u64,
    /// CRDT keys the other side received that it did not have (0 for `apply_changes`).
    pub pushed: u64,
    /// CRDT keys both sides had whose merge changed at least one side.
    pub merged: u64,
}

impl grove_sync_report {
    fn from_core(r: SyncReport) -> grove_sync_report {
        grove_sync_report {
            pulled: r.pulled,
            pushed: r.pushed,
            merged: r.merged,
        }
    }
}

/// Writes a bundle of every CRDT key of `store` changed after cursor `since` (0: all) to
/// `*out_bytes` (release it with `grove_bytes_free`; any transport can carry it to
/// `grove_store_apply_changes`) and the cursor to pass next time to `*out_cursor`. A key may
/// come again in a later bundle (merging is idempotent); none changed after `since` is left out.
/// Errors: INVALID_ARGUMENT, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_export_changes(
    store: *const grove_store,
    since: u64,
    out_bytes: *mut grove_bytes,
    out_cursor: *mut u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, out_bytes, out_cursor], {
        // SAFETY: live handle (contract).
        let store = unsafe { store_ref(store) };
        check_open(store)?;
        let (bytes, cursor) = store.export_changes(since)?;
        // SAFETY: outputs non-NULL (checked) and writable (contract).
        unsafe {
            put(out_bytes, grove_bytes::from_vec(bytes));
            put(out_cursor, cursor);
        }
        Ok(())
    })
}

/// Merges a bundle from `grove_store_export_changes` (of any store; `len` bytes at `bytes`)
/// into `store` and writes what it did to `*out_report` (`pushed` is 0). Every entry is checked
/// first: if one is refused, nothing is applied. Errors: INVALID_ARGUMENT, CORRUPT (not a
/// bundle, unknown version, bad state), WRONG_TYPE (an entry's type differs from the local
/// key's), CLOCK_DRIFT, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_apply_changes(
    store: *const grove_store,
    bytes: *const u8,
    len: usize,
    out_report: *mut grove_sync_report,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, out_report], {
        // SAFETY: live handle; `bytes` readable for `len` bytes (contract).
        let (store, bytes) = unsafe { (store_ref(store), bytes_arg(bytes, len, "bytes")?) };
        check_open(store)?;
        let report = store.apply_changes(bytes)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_report, grove_sync_report::from_core(report)) };
        Ok(())
    })
}

/// Merges every CRDT of `a` and `b` both ways and writes what it did to `*out_report`
/// (`pulled`: keys `a` received, `pushed`: keys `b` received, `merged`: keys whose merge changed
/// a side). A second sync reports 0/0/0. Errors: INVALID_ARGUMENT (NULL; two handles of one
/// engine; two stores with the same node id), CLOSED, WRONG_TYPE (a key is a different type on
/// each side), CLOCK_DRIFT, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_sync(
    a: *const grove_store,
    b: *const grove_store,
    out_report: *mut grove_sync_report,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [a, b, out_report], {
        // SAFETY: live handles (contract).
        let (a, b) = unsafe { (store_ref(a), store_ref(b)) };
        check_open(a)?;
        check_open(b)?;
        let report = grove_core::sync(a, b)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_report, grove_sync_report::from_core(report)) };
        Ok(())
    })
}

/// Sets how far ahead of this machine's clock (in seconds, >= 0; default 60) a remote CRDT
/// stamp may be before a merge refuses it with CLOCK_DRIFT; applies to every handle of the
/// store's engine. Errors: INVALID_ARGUMENT (NULL, negative, NaN, infinite, over 100 years),
/// CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_store_set_max_drift(
    store: *const grove_store,
    seconds: f64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store], {
        // SAFETY: live handle (contract).
        let store = unsafe { store_ref(store) };
        check_open(store)?;
        store.set_max_drift(secs_arg(seconds, "seconds")?);
        Ok(())
    })
}

/// Writes the allowed clock drift of remote CRDT stamps, in seconds, to `*out_seconds`.
/// Errors: INVALID_ARGUMENT, CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_store_max_drift(
    store: *const grove_store,
    out_seconds: *mut f64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, out_seconds], {
        // SAFETY: live handle (contract).
        let store = unsafe { store_ref(store) };
        check_open(store)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_seconds, store.max_drift().as_secs_f64()) };
        Ok(())
    })
}
