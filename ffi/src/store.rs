//! Opening, closing and inspecting stores; open options.

use crate::buf::{bytes_arg, grove_bytes, text_arg};
use crate::error::{grove_error, grove_status, run_void};
use grove_core::{validate_node_id, Durability, Error, ErrorKind, Options, Store};
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

/// Durability mode for `grove_options_set_durability`.
pub type grove_durability = i32;
/// Background flush every `every_ms` milliseconds (the default, 500 ms).
pub const GROVE_DURABILITY_PERIODIC: grove_durability = 0;
/// Every write is fsynced before it returns (concurrent writers share fsyncs).
pub const GROVE_DURABILITY_EVERY_WRITE: grove_durability = 1;

/// Settings for opening a store (node id, durability, connect timeout, compression, encryption
/// keys). Not thread-safe: one thread at a time.
pub struct grove_options {
    /// The Rust options this handle builds up, copied into each store opened with it.
    pub(crate) inner: Options,
}

/// An open store or a namespaced view of one. Thread-safe: share it freely between threads
/// until `grove_store_free`.
pub struct grove_store {
    /// The Rust store or view behind this C handle.
    pub(crate) inner: Store,
}

/// Writes a new boxed handle to `out`.
///
/// # Safety
/// `out` must be a valid, writable pointer.
pub(crate) unsafe fn put_handle<T>(out: *mut *mut T, value: T) {
    // SAFETY: `out` is non-NULL and writable (checked by ffi_body!, caller contract).
    unsafe { out.write(Box::into_raw(Box::new(value))) };
}

/// Makes default options in `*out` (periodic flush, generated node id); free with
/// `grove_options_free`. Errors: INVALID_ARGUMENT (NULL `out`).
#[no_mangle]
pub unsafe extern "C" fn grove_options_new(
    out: *mut *mut grove_options,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [out], {
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe {
            put_handle(
                out,
                grove_options {
                    inner: Options::new(),
                },
            )
        };
        Ok(())
    })
}

/// Sets the node id (1 to 64 bytes of `[A-Za-z0-9._:-]`, `len` bytes at `node_id`).
/// Errors: INVALID_ARGUMENT (NULL, not UTF-8, bad node id).
#[no_mangle]
pub unsafe extern "C" fn grove_options_set_node_id(
    opts: *mut grove_options,
    node_id: *const u8,
    node_id_len: usize,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [opts, node_id], {
        // SAFETY: `node_id` points to `node_id_len` readable bytes (contract).
        let id = unsafe { text_arg(node_id, node_id_len, "node_id") }?;
        validate_node_id(id)?;
        // SAFETY: `opts` is a live handle used by one thread at a time (contract).
        unsafe { (*opts).inner.node_id = Some(id.to_string()) };
        Ok(())
    })
}

/// Sets the durability: `GROVE_DURABILITY_PERIODIC` with a flush every `every_ms` (1 to
/// 86400000) milliseconds, or `GROVE_DURABILITY_EVERY_WRITE` with `every_ms` 0 (an interval
/// given together with every-write durability is refused). Errors: INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn grove_options_set_durability(
    opts: *mut grove_options,
    mode: grove_durability,
    every_ms: u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [opts], {
        let durability = match mode {
            GROVE_DURABILITY_PERIODIC => Durability::from_options(false, Some(every_ms))?,
            GROVE_DURABILITY_EVERY_WRITE => {
                Durability::from_options(true, (every_ms != 0).then_some(every_ms))?
            }
            other => {
                return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("unknown durability mode {other}"),
                ))
            }
        };
        // SAFETY: `opts` is a live handle used by one thread at a time (contract).
        unsafe { (*opts).inner.durability = durability };
        Ok(())
    })
}

/// Sets how long opening a network store (`redis://…`) waits for its server before an IO error
/// naming the address: `timeout_ms` milliseconds (5000 when never set). Checked when the store is
/// opened: 0, or any timeout on an engine without a server (a path, `sled:`, `lmdb:`, `memory:`,
/// `grove_store_open_memory`), makes the open fail with INVALID_ARGUMENT. Errors here:
/// INVALID_ARGUMENT (NULL `opts`).
#[no_mangle]
pub unsafe extern "C" fn grove_options_set_connect_timeout(
    opts: *mut grove_options,
    timeout_ms: u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [opts], {
        // SAFETY: `opts` is a live handle used by one thread at a time (contract).
        unsafe { (*opts).inner.connect_timeout = Some(Duration::from_millis(timeout_ms)) };
        Ok(())
    })
}

/// Sets how long a network store's server (`redis://…`) may take to answer a command before the
/// call fails with an IO error and its connection is dropped: `timeout_ms` milliseconds (20000
/// when never set). Checked when the store is opened: 0, or any timeout on an engine without a
/// server, makes the open fail with INVALID_ARGUMENT. Errors here: INVALID_ARGUMENT (NULL `opts`).
#[no_mangle]
pub unsafe extern "C" fn grove_options_set_reply_timeout(
    opts: *mut grove_options,
    timeout_ms: u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [opts], {
        // SAFETY: `opts` is a live handle used by one thread at a time (contract).
        unsafe { (*opts).inner.reply_timeout = Some(Duration::from_millis(timeout_ms)) };
        Ok(())
    })
}

/// Stores payloads of at least `min_bytes` bytes zstd-compressed (1024 is the threshold the
/// other doors use by default; 0 compresses every payload). Reading never depends on it: values
/// written compressed read back with compression off. Errors: INVALID_ARGUMENT (NULL `opts`).
#[no_mangle]
pub unsafe extern "C" fn grove_options_set_compression(
    opts: *mut grove_options,
    min_bytes: u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [opts], {
        // More than the address space holds is "never": no payload can reach it.
        let min = usize::try_from(min_bytes).unwrap_or(usize::MAX);
        // SAFETY: `opts` is a live handle used by one thread at a time (contract).
        unsafe { (*opts).inner.compress_min_bytes = Some(min) };
        Ok(())
    })
}

/// Seals every value written with the `len`-byte key at `key` (32 bytes, e.g. from a CSPRNG or
/// `grove keygen`; the length is checked when the store is opened, which then fails with
/// INVALID_ARGUMENT). The bytes are copied (and zeroed when the options are freed or the key
/// replaced). A store opened without its key, or with another one, reads sealed values as
/// GROVE_ENCRYPTION. Errors here: INVALID_ARGUMENT (NULL `opts` or `key`).
#[no_mangle]
pub unsafe extern "C" fn grove_options_set_encryption_key(
    opts: *mut grove_options,
    key: *const u8,
    len: usize,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [opts, key], {
        // SAFETY: `key` points to `len` readable bytes (contract).
        let key = unsafe { bytes_arg(key, len, "key") }?.to_vec();
        // SAFETY: `opts` is a live handle used by one thread at a time (contract).
        let inner = unsafe { &mut (*opts).inner };
        if let Some(mut old) = inner.encryption_key.replace(key) {
            wipe(&mut old);
        }
        Ok(())
    })
}

/// Adds a key of an earlier rotation (`len` bytes at `key`, 32 bytes, checked at open): values
/// sealed with it still open, new ones are sealed with the key of
/// `grove_options_set_encryption_key`, which must be set too (else opening fails with
/// INVALID_ARGUMENT). Call once per old key. The bytes are copied (and zeroed when the options
/// are freed). Errors here: INVALID_ARGUMENT (NULL `opts` or `key`).
#[no_mangle]
pub unsafe extern "C" fn grove_options_add_old_encryption_key(
    opts: *mut grove_options,
    key: *const u8,
    len: usize,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [opts, key], {
        // SAFETY: `key` points to `len` readable bytes (contract).
        let key = unsafe { bytes_arg(key, len, "key") }?.to_vec();
        // SAFETY: `opts` is a live handle used by one thread at a time (contract).
        unsafe { (*opts).inner.old_encryption_keys.push(key) };
        Ok(())
    })
}

/// Overwrites a copy of key bytes with zeros (volatile writes, so they are not optimised away).
fn wipe(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        // SAFETY: `b` is a valid, exclusive reference to one byte.
        unsafe { std::ptr::write_volatile(b, 0) };
    }
    std::sync::atomic::compiler_fence(std::sync::atomic::Ordering::SeqCst);
}

impl Drop for grove_options {
    fn drop(&mut self) {
        if let Some(k) = self.inner.encryption_key.as_mut() {
            wipe(k);
        }
        for k in &mut self.inner.old_encryption_keys {
            wipe(k);
        }
    }
}

/// Releases options. NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_options_free(opts: *mut grove_options) {
    if opts.is_null() {
        return;
    }
    // SAFETY: a non-NULL `opts` came from grove_options_new and is freed once (contract).
    run_void(|| drop(unsafe { Box::from_raw(opts) }));
}

/// Reads optional options: defaults when `opts` is NULL.
///
/// # Safety
/// A non-NULL `opts` must be a live handle.
unsafe fn options_or_default(opts: *const grove_options) -> Options {
    if opts.is_null() {
        Options::default()
    } else {
        // SAFETY: non-NULL and live (contract).
        unsafe { (*opts).inner.clone() }
    }
}

/// Opens (creating if needed) the store at `path` (`path_len` bytes, UTF-8): a directory or
/// `sled:DIR` (sled, the default engine), `lmdb:DIR`, `memory:` or `redis://host:port[/db]`, with
/// `opts` (NULL for defaults); the new handle goes to `*out`, free it with `grove_store_free`.
/// A path already open in this process shares its engine. Errors: INVALID_ARGUMENT (NULL,
/// empty, not UTF-8, or containing a NUL byte, as when `path_len` counts the terminator; an
/// unknown scheme; an option the engine does not take), STORE_LOCKED (another process holds a
/// sled directory), IO (including a server not reached within the connect timeout), CORRUPT.
#[no_mangle]
pub unsafe extern "C" fn grove_store_open(
    path: *const u8,
    path_len: usize,
    opts: *const grove_options,
    out: *mut *mut grove_store,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [path, out], {
        // SAFETY: `path` points to `path_len` readable bytes (contract).
        let path = unsafe { text_arg(path, path_len, "path") }?;
        // A NUL inside the path (a C caller passing `sizeof path`) is the core's to refuse.
        // SAFETY: `opts` is NULL or a live handle (contract).
        let opts = unsafe { options_or_default(opts) };
        let store = Store::open_with(path, opts)?;
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_store { inner: store }) };
        Ok(())
    })
}

/// Opens a fresh in-memory store with `opts` (NULL for defaults) into `*out`; free it with
/// `grove_store_free`. Errors: INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn grove_store_open_memory(
    opts: *const grove_options,
    out: *mut *mut grove_store,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [out], {
        // SAFETY: `opts` is NULL or a live handle (contract).
        let opts = unsafe { options_or_default(opts) };
        let store = Store::open_memory_with(opts)?;
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_store { inner: store }) };
        Ok(())
    })
}

/// A view of `store` whose every key is prefixed with `name:` (UTF-8, `name_len` bytes) into
/// `*out`; free it with `grove_store_free`. It shares the store: closing either closes both.
/// Errors: INVALID_ARGUMENT, CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_store_namespace(
    store: *const grove_store,
    name: *const u8,
    name_len: usize,
    out: *mut *mut grove_store,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, name, out], {
        // SAFETY: `name` points to `name_len` readable bytes (contract).
        let name = unsafe { text_arg(name, name_len, "name") }?;
        // SAFETY: `store` is a live handle (contract).
        let view = unsafe { &(*store).inner }.namespace(name)?;
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_store { inner: view }) };
        Ok(())
    })
}

/// Fails with CLOSED when the handle is closed.
pub(crate) fn check_open(store: &Store) -> grove_core::Result<()> {
    if store.is_closed() {
        Err(Error::new(ErrorKind::Closed, "the store handle is closed"))
    } else {
        Ok(())
    }
}

/// Copies this replica's node id (UTF-8) into `*out`; release it with `grove_bytes_free`.
/// Errors: INVALID_ARGUMENT, CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_store_node_id(
    store: *const grove_store,
    out: *mut grove_bytes,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, out], {
        // SAFETY: `store` is a live handle (contract).
        let store = unsafe { &(*store).inner };
        check_open(store)?;
        let id = store.node_id().as_bytes().to_vec();
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { out.write(grove_bytes::from_vec(id)) };
        Ok(())
    })
}

/// Copies the store's directory into `*out` (`{NULL, 0}` for a store without one: `memory:`,
/// `redis://`); release it with `grove_bytes_free`. Errors: INVALID_ARGUMENT, CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_store_path(
    store: *const grove_store,
    out: *mut grove_bytes,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, out], {
        // SAFETY: `store` is a live handle (contract).
        let store = unsafe { &(*store).inner };
        check_open(store)?;
        let path = store
            .path()
            .map(|p| p.as_os_str().as_bytes().to_vec())
            .unwrap_or_default();
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { out.write(grove_bytes::from_vec(path)) };
        Ok(())
    })
}

/// Makes every write so far durable; returns when fsynced. Errors: INVALID_ARGUMENT, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_flush(
    store: *const grove_store,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store], {
        // SAFETY: `store` is a live handle (contract).
        unsafe { &(*store).inner }.flush()
    })
}

/// Closes the handle and every view, counter and iterator made from it (they then fail with
/// CLOSED); the last handle in the process flushes and releases the directory. Closing twice is
/// fine. The handle itself stays allocated until `grove_store_free`. Errors: INVALID_ARGUMENT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_close(
    store: *const grove_store,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store], {
        // SAFETY: `store` is a live handle (contract).
        unsafe { &(*store).inner }.close()
    })
}

/// Writes whether the handle has been closed to `*out`. Errors: INVALID_ARGUMENT.
#[no_mangle]
pub unsafe extern "C" fn grove_store_is_closed(
    store: *const grove_store,
    out: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, out], {
        // SAFETY: `store` is a live handle and `out` is writable (contract; NULLs checked).
        unsafe { out.write((*store).inner.is_closed()) };
        Ok(())
    })
}

/// Writes the bytes the store occupies on disk (0 in memory and on Redis) to `*out`.
/// Errors: INVALID_ARGUMENT, CLOSED, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_store_size_on_disk(
    store: *const grove_store,
    out: *mut u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, out], {
        // SAFETY: `store` is a live handle (contract).
        let size = unsafe { &(*store).inner }.size_on_disk()?;
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { out.write(size) };
        Ok(())
    })
}

/// Releases a store handle (closing it first if it is the last reference to an open handle
/// and nothing made from it is still alive). NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_store_free(store: *mut grove_store) {
    if store.is_null() {
        return;
    }
    // SAFETY: a non-NULL `store` came from this library and is freed once, after every other
    // thread is done with it (contract).
    run_void(|| drop(unsafe { Box::from_raw(store) }));
}

/// Borrows the core store of a handle; used by the other modules.
///
/// # Safety
/// `store` must be a live, non-NULL handle.
pub(crate) unsafe fn store_ref<'a>(store: *const grove_store) -> &'a Store {
    // SAFETY: non-NULL and live (caller contract).
    unsafe { &(*store).inner }
}

/// Copies this handle's metrics into `*out` as UTF-8 JSON: `{"<primitive>.<op>": {"count": N,
/// "errors": N, "p50_us": X, "p99_us": X}, …}` for every operation called through this handle,
/// its views and clones since it was opened (count and errors exact; percentiles over one call
/// in 16 of each, the first always). Release it with `grove_bytes_free`. Errors:
/// INVALID_ARGUMENT, CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_store_metrics_json(
    store: *const grove_store,
    out: *mut grove_bytes,
    err: *mut *mut grove_error,
) -> grove_status {
    // SAFETY: the caller's contract, as documented above.
    unsafe { text_out(store, out, err, Store::metrics_json) }
}

/// Copies this handle's metrics into `*out` in the Prometheus text exposition format
/// (`grove_ops_total`, `grove_op_errors_total` and the histogram `grove_op_duration_seconds`, each
/// with an `op` label). Release it with `grove_bytes_free`. Errors: INVALID_ARGUMENT, CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_store_metrics_prometheus(
    store: *const grove_store,
    out: *mut grove_bytes,
    err: *mut *mut grove_error,
) -> grove_status {
    // SAFETY: the caller's contract, as documented above.
    unsafe { text_out(store, out, err, Store::metrics_prometheus) }
}

/// The body of the metrics calls: copies the text `make` returns for the store into `*out`.
///
/// # Safety
/// As for `grove_store_metrics_json`.
unsafe fn text_out(
    store: *const grove_store,
    out: *mut grove_bytes,
    err: *mut *mut grove_error,
    make: fn(&Store) -> grove_core::Result<String>,
) -> grove_status {
    ffi_body!(err, [store, out], {
        // SAFETY: `store` is a live handle (contract).
        let text = make(unsafe { &(*store).inner })?;
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { out.write(grove_bytes::from_vec(text.into_bytes())) };
        Ok(())
    })
}
