//! The CRDTs: PN-counter, LWW register, add-wins set and LWW map, at keys of your choice.
//!
//! Values cross as UTF-8 JSON text: the core canonicalizes it (sorted keys, no whitespace) and
//! hands back canonical text; text that is not JSON is `GROVE_INVALID_ARGUMENT`.

use crate::buf::{bytes_arg, grove_bytes, grove_bytes_list, leak_slice, reclaim_slice, text_arg};
use crate::error::{grove_error, grove_status, run_void};
use crate::kv::put;
use crate::store::{check_open, grove_store, put_handle, store_ref};
use grove_core::{CrdtCounter, CrdtMap, CrdtRegister, CrdtSet, Result, Store};

/// A PN-counter CRDT: per-node unsigned increment and decrement totals, merged by per-node
/// maximum; the value is their difference (checked, never wraps). Thread-safe: share it freely
/// until `grove_crdt_counter_free`.
pub struct grove_crdt_counter {
    inner: CrdtCounter,
    store: Store,
}

/// A last-writer-wins register of one JSON value, ordered by hybrid logical clock then node id.
/// Thread-safe: share it freely until `grove_crdt_register_free`.
pub struct grove_crdt_register {
    inner: CrdtRegister,
    store: Store,
}

/// An add-wins observed-remove set of JSON values (identity: canonical JSON). Thread-safe:
/// share it freely until `grove_crdt_set_free`.
pub struct grove_crdt_set {
    inner: CrdtSet,
    store: Store,
}

/// A map of independent last-writer-wins fields holding JSON values; a delete leaves a stamped
/// tombstone, so an older concurrent set cannot bring the field back. Thread-safe: share it
/// freely until `grove_crdt_map_free`.
pub struct grove_crdt_map {
    inner: CrdtMap,
    store: Store,
}

/// One node's share of a PN-counter, as returned in a `grove_crdt_contribution_list`.
#[repr(C)]
#[derive(Debug)]
pub struct grove_crdt_contribution {
    /// The node id: UTF-8, not NUL-terminated; owned by the list (never free it on its own).
    pub node: grove_bytes,
    /// The node's total of increments.
    pub p: u64,
    /// The node's total of decrements.
    pub n: u64,
}

/// An array of `len` contributions at `ptr` (`{NULL, 0}` when empty), in node id order.
/// Release it with `grove_crdt_contribution_list_free`; never call free() on it or its parts.
#[repr(C)]
#[derive(Debug)]
pub struct grove_crdt_contribution_list {
    /// The first item, or NULL for an empty list.
    pub ptr: *mut grove_crdt_contribution,
    /// The number of items.
    pub len: usize,
}

/// One live field of a CRDT map, as returned in a `grove_crdt_field_list`.
#[repr(C)]
#[derive(Debug)]
pub struct grove_crdt_field {
    /// The field name: UTF-8, not NUL-terminated; owned by the list.
    pub name: grove_bytes,
    /// Its value as canonical JSON text (UTF-8, not NUL-terminated); owned by the list.
    pub value: grove_bytes,
}

/// An array of `len` map fields at `ptr` (`{NULL, 0}` when empty), in field name order.
/// Release it with `grove_crdt_field_list_free`; never call free() on it or its parts.
#[repr(C)]
#[derive(Debug)]
pub struct grove_crdt_field_list {
    /// The first field, or NULL for an empty list.
    pub ptr: *mut grove_crdt_field,
    /// The number of fields.
    pub len: usize,
}

/// Releases a list the library returned (every node id and the array) and resets it to
/// `{NULL, 0}`; NULL, and a list already `{NULL, 0}`, are accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_contribution_list_free(
    list: *mut grove_crdt_contribution_list,
) {
    if list.is_null() {
        return;
    }
    run_void(|| {
        // SAFETY: a non-NULL `list` points to a list the caller owns (contract).
        let l = unsafe { &mut *list };
        // SAFETY: ptr/len came from `leak_slice`; reset below, so a second call frees nothing.
        for mut item in unsafe { reclaim_slice(l.ptr, l.len) } {
            // SAFETY: each node id was made by grove_bytes::from_vec and is freed once.
            unsafe { crate::buf::grove_bytes_free(&mut item.node) };
        }
        l.ptr = std::ptr::null_mut();
        l.len = 0;
    });
}

/// Releases a list the library returned (every name, value and the array) and resets it to
/// `{NULL, 0}`; NULL, and a list already `{NULL, 0}`, are accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_field_list_free(list: *mut grove_crdt_field_list) {
    if list.is_null() {
        return;
    }
    run_void(|| {
        // SAFETY: a non-NULL `list` points to a list the caller owns (contract).
        let l = unsafe { &mut *list };
        // SAFETY: ptr/len came from `leak_slice`; reset below, so a second call frees nothing.
        for mut item in unsafe { reclaim_slice(l.ptr, l.len) } {
            // SAFETY: each buffer was made by grove_bytes::from_vec and is freed once.
            unsafe {
                crate::buf::grove_bytes_free(&mut item.name);
                crate::buf::grove_bytes_free(&mut item.value);
            }
        }
        l.ptr = std::ptr::null_mut();
        l.len = 0;
    });
}

/// Borrows the key argument of a `_new` function and checks the store is open.
///
/// # Safety
/// `store` must be live and non-NULL; `key` readable for `key_len` bytes.
unsafe fn new_args<'a>(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
) -> Result<(&'a Store, &'a str)> {
    // SAFETY: caller contract.
    let (store, key) = unsafe { (store_ref(store), text_arg(key, key_len, "key")?) };
    check_open(store)?;
    Ok((store, key))
}

/// Borrows a JSON text argument.
///
/// # Safety
/// `json` readable for `json_len` bytes.
unsafe fn json_arg<'a>(json: *const u8, json_len: usize) -> Result<&'a str> {
    // SAFETY: caller contract.
    unsafe { text_arg(json, json_len, "json") }
}

/// Writes an optional JSON text to `out`/`out_found` (`{NULL, 0}` and false when absent).
///
/// # Safety
/// Both outputs non-NULL and writable.
unsafe fn put_optional(out: *mut grove_bytes, out_found: *mut bool, v: Option<String>) {
    // SAFETY: caller contract.
    unsafe {
        put(out_found, v.is_some());
        put(
            out,
            grove_bytes::from_vec(v.map(String::into_bytes).unwrap_or_default()),
        );
    }
}

// ---------------------------------------------------------------- PN-counter

/// Makes a handle to the PN-counter CRDT at `key` (UTF-8, `key_len` bytes, any key: it is not
/// prefixed) of `store` into `*out`; free it with `grove_crdt_counter_free`. Errors:
/// INVALID_ARGUMENT (NULL, empty, not UTF-8, too long), CLOSED. A key holding another kind is
/// reported by the operations (WRONG_TYPE).
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_counter_new(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    out: *mut *mut grove_crdt_counter,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (store, key) = unsafe { new_args(store, key, key_len) }?;
        let inner = store.crdt_counter(key)?;
        let store = store.clone();
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_crdt_counter { inner, store }) };
        Ok(())
    })
}

/// Borrows the core counter of a live, non-NULL handle; CLOSED once its store is closed.
///
/// # Safety
/// `c` must be a live, non-NULL handle.
unsafe fn counter_ref<'a>(c: *const grove_crdt_counter) -> Result<&'a CrdtCounter> {
    // SAFETY: caller contract.
    let c = unsafe { &*c };
    check_open(&c.store)?;
    Ok(&c.inner)
}

/// Adds `n` to this node's increments and writes the new value to `*out_value`.
/// Errors: INVALID_ARGUMENT, OVERFLOW (nothing changed), WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_counter_increment(
    counter: *const grove_crdt_counter,
    n: u64,
    out_value: *mut i64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_value], {
        // SAFETY: live handle (contract).
        let v = unsafe { counter_ref(counter) }?.increment(n)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_value, v) };
        Ok(())
    })
}

/// Adds `n` to this node's decrements and writes the new value to `*out_value`.
/// Errors: INVALID_ARGUMENT, OVERFLOW (nothing changed), WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_counter_decrement(
    counter: *const grove_crdt_counter,
    n: u64,
    out_value: *mut i64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_value], {
        // SAFETY: live handle (contract).
        let v = unsafe { counter_ref(counter) }?.decrement(n)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_value, v) };
        Ok(())
    })
}

/// Adds a signed `delta` (an increment when >= 0, else a decrement of its magnitude) and writes
/// the new value to `*out_value`. Errors: as `grove_crdt_counter_increment`.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_counter_add(
    counter: *const grove_crdt_counter,
    delta: i64,
    out_value: *mut i64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_value], {
        // SAFETY: live handle (contract).
        let v = unsafe { counter_ref(counter) }?.add(delta)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_value, v) };
        Ok(())
    })
}

/// Writes the value (increments minus decrements over all nodes; 0 when unset) to
/// `*out_value`. Errors: INVALID_ARGUMENT, OVERFLOW, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_counter_value(
    counter: *const grove_crdt_counter,
    out_value: *mut i64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_value], {
        // SAFETY: live handle (contract).
        let v = unsafe { counter_ref(counter) }?.value()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_value, v) };
        Ok(())
    })
}

/// Writes the increments and decrements summed over all nodes to `*out_p` and `*out_n`.
/// Errors: INVALID_ARGUMENT, OVERFLOW, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_counter_totals(
    counter: *const grove_crdt_counter,
    out_p: *mut u64,
    out_n: *mut u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_p, out_n], {
        // SAFETY: live handle (contract).
        let (p, n) = unsafe { counter_ref(counter) }?.totals()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe {
            put(out_p, p);
            put(out_n, n);
        }
        Ok(())
    })
}

/// Writes each node's `{node, p, n}` (in node id order) to `*out_list`; release it with
/// `grove_crdt_contribution_list_free`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_counter_contributions(
    counter: *const grove_crdt_counter,
    out_list: *mut grove_crdt_contribution_list,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_list], {
        // SAFETY: live handle (contract).
        let nodes = unsafe { counter_ref(counter) }?.contributions()?;
        let (ptr, len) = leak_slice(
            nodes
                .into_iter()
                .map(|(node, (p, n))| grove_crdt_contribution {
                    node: grove_bytes::from_vec(node.into_bytes()),
                    p,
                    n,
                })
                .collect(),
        );
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_list, grove_crdt_contribution_list { ptr, len }) };
        Ok(())
    })
}

/// Makes this node's net contribution 0 by raising its smaller total to the larger one (a
/// monotone update, so it survives merges) and writes the new value to `*out_value`.
/// Errors: INVALID_ARGUMENT, OVERFLOW, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_counter_reset_local(
    counter: *const grove_crdt_counter,
    out_value: *mut i64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_value], {
        // SAFETY: live handle (contract).
        let v = unsafe { counter_ref(counter) }?.reset_local()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_value, v) };
        Ok(())
    })
}

/// Writes the counter's versioned, type-tagged state bytes (an empty counter's when unset) to
/// `*out`; release them with `grove_bytes_free`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED,
/// CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_counter_state(
    counter: *const grove_crdt_counter,
    out: *mut grove_bytes,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out], {
        // SAFETY: live handle (contract).
        let state = unsafe { counter_ref(counter) }?.state()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out, grove_bytes::from_vec(state)) };
        Ok(())
    })
}

/// Merges state bytes from another replica (`state_len` bytes at `state`) and writes whether
/// this counter changed to `*out_changed`. Errors: INVALID_ARGUMENT, WRONG_TYPE (the bytes or
/// the key hold another type), CORRUPT (not a Grove state, or an unknown version), CLOCK_DRIFT,
/// CLOSED, IO; on any error nothing changed.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_counter_merge(
    counter: *const grove_crdt_counter,
    state: *const u8,
    state_len: usize,
    out_changed: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [counter, out_changed], {
        // SAFETY: live handle; `state` readable for `state_len` bytes (contract).
        let (c, state) = unsafe { (counter_ref(counter)?, bytes_arg(state, state_len, "state")?) };
        let changed = c.merge(state)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_changed, changed) };
        Ok(())
    })
}

/// Releases a CRDT counter handle (the stored value is kept). NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_counter_free(counter: *mut grove_crdt_counter) {
    if counter.is_null() {
        return;
    }
    // SAFETY: a non-NULL handle came from grove_crdt_counter_new and is freed once, after every
    // other thread is done with it (contract).
    run_void(|| drop(unsafe { Box::from_raw(counter) }));
}

// ---------------------------------------------------------------- LWW register

/// Makes a handle to the LWW register CRDT at `key` (UTF-8, `key_len` bytes, not prefixed) of
/// `store` into `*out`; free it with `grove_crdt_register_free`. Errors: INVALID_ARGUMENT,
/// CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_register_new(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    out: *mut *mut grove_crdt_register,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (store, key) = unsafe { new_args(store, key, key_len) }?;
        let inner = store.crdt_register(key)?;
        let store = store.clone();
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_crdt_register { inner, store }) };
        Ok(())
    })
}

/// Borrows the core register of a live, non-NULL handle; CLOSED once its store is closed.
///
/// # Safety
/// `r` must be a live, non-NULL handle.
unsafe fn register_ref<'a>(r: *const grove_crdt_register) -> Result<&'a CrdtRegister> {
    // SAFETY: caller contract.
    let r = unsafe { &*r };
    check_open(&r.store)?;
    Ok(&r.inner)
}

/// Sets the register to the JSON value `json` (UTF-8 text, `json_len` bytes), stamped by this
/// node's clock. Errors: INVALID_ARGUMENT (NULL, not UTF-8, not JSON, too large; nothing
/// changed), WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_register_set(
    reg: *const grove_crdt_register,
    json: *const u8,
    json_len: usize,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [reg, json], {
        // SAFETY: live handle; `json` readable for `json_len` bytes (contract).
        let (r, json) = unsafe { (register_ref(reg)?, json_arg(json, json_len)?) };
        r.set(json)
    })
}

/// Writes the current value as canonical JSON text to `*out` (release it with
/// `grove_bytes_free`) and whether the register was ever set to `*out_found` (false: `*out` is
/// `{NULL, 0}`). Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_register_get(
    reg: *const grove_crdt_register,
    out: *mut grove_bytes,
    out_found: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [reg, out, out_found], {
        // SAFETY: live handle (contract).
        let v = unsafe { register_ref(reg) }?.get()?;
        // SAFETY: outputs non-NULL (checked) and writable (contract).
        unsafe { put_optional(out, out_found, v) };
        Ok(())
    })
}

/// Writes the register's versioned, type-tagged state bytes to `*out`; release them with
/// `grove_bytes_free`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_register_state(
    reg: *const grove_crdt_register,
    out: *mut grove_bytes,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [reg, out], {
        // SAFETY: live handle (contract).
        let state = unsafe { register_ref(reg) }?.state()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out, grove_bytes::from_vec(state)) };
        Ok(())
    })
}

/// Merges state bytes from another replica and writes whether this register changed to
/// `*out_changed`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CORRUPT, CLOCK_DRIFT (a stamp further
/// ahead than the store's max drift), CLOSED, IO; on any error nothing changed.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_register_merge(
    reg: *const grove_crdt_register,
    state: *const u8,
    state_len: usize,
    out_changed: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [reg, out_changed], {
        // SAFETY: live handle; `state` readable for `state_len` bytes (contract).
        let (r, state) = unsafe { (register_ref(reg)?, bytes_arg(state, state_len, "state")?) };
        let changed = r.merge(state)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_changed, changed) };
        Ok(())
    })
}

/// Releases a CRDT register handle (the stored value is kept). NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_register_free(reg: *mut grove_crdt_register) {
    if reg.is_null() {
        return;
    }
    // SAFETY: a non-NULL handle came from grove_crdt_register_new and is freed once (contract).
    run_void(|| drop(unsafe { Box::from_raw(reg) }));
}

// ---------------------------------------------------------------- add-wins set

/// Makes a handle to the add-wins set CRDT at `key` (UTF-8, `key_len` bytes, not prefixed) of
/// `store` into `*out`; free it with `grove_crdt_set_free`. Errors: INVALID_ARGUMENT, CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_set_new(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    out: *mut *mut grove_crdt_set,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (store, key) = unsafe { new_args(store, key, key_len) }?;
        let inner = store.crdt_set(key)?;
        let store = store.clone();
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_crdt_set { inner, store }) };
        Ok(())
    })
}

/// Borrows the core set of a live, non-NULL handle; CLOSED once its store is closed.
///
/// # Safety
/// `s` must be a live, non-NULL handle.
unsafe fn set_ref<'a>(s: *const grove_crdt_set) -> Result<&'a CrdtSet> {
    // SAFETY: caller contract.
    let s = unsafe { &*s };
    check_open(&s.store)?;
    Ok(&s.inner)
}

/// Adds the JSON value `json` (UTF-8 text); it wins over any concurrent remove that did not
/// see this add. Errors: INVALID_ARGUMENT (not UTF-8 or not JSON; nothing changed),
/// WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_set_add(
    set: *const grove_crdt_set,
    json: *const u8,
    json_len: usize,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [set, json], {
        // SAFETY: live handle; `json` readable for `json_len` bytes (contract).
        let (s, json) = unsafe { (set_ref(set)?, json_arg(json, json_len)?) };
        s.add(json)
    })
}

/// Removes the JSON value `json` (the adds this replica has seen) and writes whether it was a
/// member to `*out_removed`. Errors: as `grove_crdt_set_add`.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_set_remove(
    set: *const grove_crdt_set,
    json: *const u8,
    json_len: usize,
    out_removed: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [set, json, out_removed], {
        // SAFETY: live handle; `json` readable for `json_len` bytes (contract).
        let (s, json) = unsafe { (set_ref(set)?, json_arg(json, json_len)?) };
        let had = s.remove(json)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_removed, had) };
        Ok(())
    })
}

/// Writes whether the JSON value `json` is a member to `*out_contains`.
/// Errors: as `grove_crdt_set_add`.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_set_contains(
    set: *const grove_crdt_set,
    json: *const u8,
    json_len: usize,
    out_contains: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [set, json, out_contains], {
        // SAFETY: live handle; `json` readable for `json_len` bytes (contract).
        let (s, json) = unsafe { (set_ref(set)?, json_arg(json, json_len)?) };
        let yes = s.contains(json)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_contains, yes) };
        Ok(())
    })
}

/// Writes every member as canonical JSON text, in canonical-text byte order, to `*out_list`;
/// release it with `grove_bytes_list_free`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED,
/// CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_set_members(
    set: *const grove_crdt_set,
    out_list: *mut grove_bytes_list,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [set, out_list], {
        // SAFETY: live handle (contract).
        let members = unsafe { set_ref(set) }?.members()?;
        let list =
            grove_bytes_list::from_vecs(members.into_iter().map(String::into_bytes).collect());
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_list, list) };
        Ok(())
    })
}

/// Writes the number of members to `*out_len`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED,
/// CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_set_len(
    set: *const grove_crdt_set,
    out_len: *mut u64,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [set, out_len], {
        // SAFETY: live handle (contract).
        let n = unsafe { set_ref(set) }?.len()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_len, n) };
        Ok(())
    })
}

/// Writes the set's versioned, type-tagged state bytes to `*out`; release them with
/// `grove_bytes_free`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_set_state(
    set: *const grove_crdt_set,
    out: *mut grove_bytes,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [set, out], {
        // SAFETY: live handle (contract).
        let state = unsafe { set_ref(set) }?.state()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out, grove_bytes::from_vec(state)) };
        Ok(())
    })
}

/// Merges state bytes from another replica and writes whether this set changed to
/// `*out_changed`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CORRUPT, CLOCK_DRIFT, CLOSED, IO; on
/// any error nothing changed.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_set_merge(
    set: *const grove_crdt_set,
    state: *const u8,
    state_len: usize,
    out_changed: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [set, out_changed], {
        // SAFETY: live handle; `state` readable for `state_len` bytes (contract).
        let (s, state) = unsafe { (set_ref(set)?, bytes_arg(state, state_len, "state")?) };
        let changed = s.merge(state)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_changed, changed) };
        Ok(())
    })
}

/// Releases a CRDT set handle (the stored value is kept). NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_set_free(set: *mut grove_crdt_set) {
    if set.is_null() {
        return;
    }
    // SAFETY: a non-NULL handle came from grove_crdt_set_new and is freed once (contract).
    run_void(|| drop(unsafe { Box::from_raw(set) }));
}

// ---------------------------------------------------------------- LWW map

/// Makes a handle to the LWW map CRDT at `key` (UTF-8, `key_len` bytes, not prefixed) of
/// `store` into `*out`; free it with `grove_crdt_map_free`. Errors: INVALID_ARGUMENT, CLOSED.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_map_new(
    store: *const grove_store,
    key: *const u8,
    key_len: usize,
    out: *mut *mut grove_crdt_map,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [store, key, out], {
        // SAFETY: live handle; `key` readable for `key_len` bytes (contract).
        let (store, key) = unsafe { new_args(store, key, key_len) }?;
        let inner = store.crdt_map(key)?;
        let store = store.clone();
        // SAFETY: `out` is non-NULL (checked) and writable (contract).
        unsafe { put_handle(out, grove_crdt_map { inner, store }) };
        Ok(())
    })
}

/// Borrows the core map of a live, non-NULL handle; CLOSED once its store is closed.
///
/// # Safety
/// `m` must be a live, non-NULL handle.
unsafe fn map_ref<'a>(m: *const grove_crdt_map) -> Result<&'a CrdtMap> {
    // SAFETY: caller contract.
    let m = unsafe { &*m };
    check_open(&m.store)?;
    Ok(&m.inner)
}

/// Borrows a field name argument.
///
/// # Safety
/// `field` readable for `field_len` bytes.
unsafe fn field_arg<'a>(field: *const u8, field_len: usize) -> Result<&'a str> {
    // SAFETY: caller contract.
    unsafe { text_arg(field, field_len, "field") }
}

/// Sets `field` (UTF-8, non-empty) to the JSON value `json` (UTF-8 text), stamped by this
/// node's clock. Errors: INVALID_ARGUMENT (NULL, empty field, not UTF-8, not JSON; nothing
/// changed), WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_map_set(
    map: *const grove_crdt_map,
    field: *const u8,
    field_len: usize,
    json: *const u8,
    json_len: usize,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [map, field, json], {
        // SAFETY: live handle; `field` and `json` readable for their lengths (contract).
        let (m, field, json) = unsafe {
            (
                map_ref(map)?,
                field_arg(field, field_len)?,
                json_arg(json, json_len)?,
            )
        };
        m.set(field, json)
    })
}

/// Writes the value of `field` as canonical JSON text to `*out` (release it with
/// `grove_bytes_free`) and whether the field has a value to `*out_found` (false: `*out` is
/// `{NULL, 0}`; a deleted field has none). Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED,
/// CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_map_get(
    map: *const grove_crdt_map,
    field: *const u8,
    field_len: usize,
    out: *mut grove_bytes,
    out_found: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [map, field, out, out_found], {
        // SAFETY: live handle; `field` readable for `field_len` bytes (contract).
        let (m, field) = unsafe { (map_ref(map)?, field_arg(field, field_len)?) };
        let v = m.get(field)?;
        // SAFETY: outputs non-NULL (checked) and writable (contract).
        unsafe { put_optional(out, out_found, v) };
        Ok(())
    })
}

/// Deletes `field` with a stamped tombstone (an older concurrent set elsewhere does not bring
/// it back) and writes whether it had a value to `*out_deleted`. Errors: INVALID_ARGUMENT
/// (NULL, empty field, not UTF-8), WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_map_delete(
    map: *const grove_crdt_map,
    field: *const u8,
    field_len: usize,
    out_deleted: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [map, field, out_deleted], {
        // SAFETY: live handle; `field` readable for `field_len` bytes (contract).
        let (m, field) = unsafe { (map_ref(map)?, field_arg(field, field_len)?) };
        let had = m.delete(field)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_deleted, had) };
        Ok(())
    })
}

/// Writes the names of the fields that have a value, in byte order, to `*out_list`; release it
/// with `grove_bytes_list_free`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_map_keys(
    map: *const grove_crdt_map,
    out_list: *mut grove_bytes_list,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [map, out_list], {
        // SAFETY: live handle (contract).
        let keys = unsafe { map_ref(map) }?.keys()?;
        let list = grove_bytes_list::from_vecs(keys.into_iter().map(String::into_bytes).collect());
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_list, list) };
        Ok(())
    })
}

/// Writes every field that has a value, as `{name, canonical JSON}` in name order, to
/// `*out_list`; release it with `grove_crdt_field_list_free`. Errors: INVALID_ARGUMENT,
/// WRONG_TYPE, CLOSED, CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_map_all(
    map: *const grove_crdt_map,
    out_list: *mut grove_crdt_field_list,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [map, out_list], {
        // SAFETY: live handle (contract).
        let all = unsafe { map_ref(map) }?.all()?;
        let (ptr, len) = leak_slice(
            all.into_iter()
                .map(|(name, value)| grove_crdt_field {
                    name: grove_bytes::from_vec(name.into_bytes()),
                    value: grove_bytes::from_vec(value.into_bytes()),
                })
                .collect(),
        );
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_list, grove_crdt_field_list { ptr, len }) };
        Ok(())
    })
}

/// Writes the map's versioned, type-tagged state bytes (tombstones included) to `*out`;
/// release them with `grove_bytes_free`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CLOSED,
/// CORRUPT, IO.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_map_state(
    map: *const grove_crdt_map,
    out: *mut grove_bytes,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [map, out], {
        // SAFETY: live handle (contract).
        let state = unsafe { map_ref(map) }?.state()?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out, grove_bytes::from_vec(state)) };
        Ok(())
    })
}

/// Merges state bytes from another replica and writes whether this map changed to
/// `*out_changed`. Errors: INVALID_ARGUMENT, WRONG_TYPE, CORRUPT, CLOCK_DRIFT, CLOSED, IO; on
/// any error nothing changed.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_map_merge(
    map: *const grove_crdt_map,
    state: *const u8,
    state_len: usize,
    out_changed: *mut bool,
    err: *mut *mut grove_error,
) -> grove_status {
    ffi_body!(err, [map, out_changed], {
        // SAFETY: live handle; `state` readable for `state_len` bytes (contract).
        let (m, state) = unsafe { (map_ref(map)?, bytes_arg(state, state_len, "state")?) };
        let changed = m.merge(state)?;
        // SAFETY: non-NULL (checked) and writable (contract).
        unsafe { put(out_changed, changed) };
        Ok(())
    })
}

/// Releases a CRDT map handle (the stored value is kept). NULL is accepted and ignored.
#[no_mangle]
pub unsafe extern "C" fn grove_crdt_map_free(map: *mut grove_crdt_map) {
    if map.is_null() {
        return;
    }
    // SAFETY: a non-NULL handle came from grove_crdt_map_new and is freed once (contract).
    run_void(|| drop(unsafe { Box::from_raw(map) }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_frees_are_idempotent() {
        let mut c = grove_crdt_contribution_list {
            ptr: std::ptr::null_mut(),
            len: 0,
        };
        let (ptr, len) = leak_slice(vec![grove_crdt_contribution {
            node: grove_bytes::from_vec(b"a".to_vec()),
            p: 1,
            n: 2,
        }]);
        c.ptr = ptr;
        c.len = len;
        let (ptr, len) = leak_slice(vec![grove_crdt_field {
            name: grove_bytes::from_vec(b"f".to_vec()),
            value: grove_bytes::from_vec(b"1".to_vec()),
        }]);
        let mut f = grove_crdt_field_list { ptr, len };
        let mut b = grove_bytes_list::from_vecs(vec![b"x".to_vec(), Vec::new()]);
        // SAFETY: each list was made above and is reset by its free, so freeing twice is fine.
        unsafe {
            grove_crdt_contribution_list_free(&mut c);
            grove_crdt_contribution_list_free(&mut c);
            grove_crdt_field_list_free(&mut f);
            grove_crdt_field_list_free(&mut f);
            crate::buf::grove_bytes_list_free(&mut b);
            crate::buf::grove_bytes_list_free(&mut b);
            grove_crdt_contribution_list_free(std::ptr::null_mut());
            grove_crdt_field_list_free(std::ptr::null_mut());
            crate::buf::grove_bytes_list_free(std::ptr::null_mut());
        }
        assert!(c.ptr.is_null() && f.ptr.is_null() && b.ptr.is_null());
    }
}
