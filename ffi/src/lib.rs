//! `libgrove`: the C ABI of Grove, an `extern "C"` layer over `grove-core` and nothing else.
//!
//! Conventions (see `include/README.md`):
//! - opaque handles made by `grove_<noun>_open`/`_new` and released by `grove_<noun>_free`
//!   (every `_free` accepts NULL);
//! - every fallible function returns a [`grove_status`] (0 = OK) and writes results through
//!   out-params; the message of a failure comes back through an explicit `grove_error **`
//!   out-param (never thread-local state, so Go goroutines may switch threads freely);
//! - one macro ([`ffi_body!`]) wraps every export: NULL checks give `GROVE_INVALID_ARGUMENT`,
//!   a panic is caught and gives `GROVE_INTERNAL`;
//! - buffers the library allocates come back as [`grove_bytes`] and are released with
//!   [`grove_bytes_free`]; input buffers are borrowed for the duration of the call only.
#![warn(missing_docs)]
// The C names (`grove_store`, `GROVE_OK`) are the public API; keep them as C spells them.
#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
// Every export's contract (valid handles, buffers of the given length) is stated once in the
// header's conventions and per function in its doc line, not in a `# Safety` section each.
#![allow(clippy::missing_safety_doc)]

#[macro_use]
mod error;
mod buf;
mod counter;
mod crdt;
mod deadline;
mod keys;
mod kv;
mod leaderboard;
mod lock;
mod queue;
mod ratelimit;
mod session;
mod store;
mod sync;

pub use buf::{
    grove_bytes, grove_bytes_free, grove_bytes_list, grove_bytes_list_free, grove_pair, grove_slice,
};
pub use counter::{
    grove_counter, grove_counter_decrement, grove_counter_free, grove_counter_get,
    grove_counter_increment, grove_counter_new, grove_counter_reset, grove_counter_set,
    grove_counter_try_decrement, grove_counter_try_increment,
};
pub use crdt::{
    grove_crdt_contribution, grove_crdt_contribution_list, grove_crdt_contribution_list_free,
    grove_crdt_counter, grove_crdt_counter_add, grove_crdt_counter_contributions,
    grove_crdt_counter_decrement, grove_crdt_counter_free, grove_crdt_counter_increment,
    grove_crdt_counter_merge, grove_crdt_counter_new, grove_crdt_counter_reset_local,
    grove_crdt_counter_state, grove_crdt_counter_totals, grove_crdt_counter_value,
    grove_crdt_field, grove_crdt_field_list, grove_crdt_field_list_free, grove_crdt_map,
    grove_crdt_map_all, grove_crdt_map_delete, grove_crdt_map_free, grove_crdt_map_get,
    grove_crdt_map_keys, grove_crdt_map_merge, grove_crdt_map_new, grove_crdt_map_set,
    grove_crdt_map_state, grove_crdt_register, grove_crdt_register_free, grove_crdt_register_get,
    grove_crdt_register_merge, grove_crdt_register_new, grove_crdt_register_set,
    grove_crdt_register_state, grove_crdt_set, grove_crdt_set_add, grove_crdt_set_contains,
    grove_crdt_set_free, grove_crdt_set_len, grove_crdt_set_members, grove_crdt_set_merge,
    grove_crdt_set_new, grove_crdt_set_remove, grove_crdt_set_state,
};
pub use deadline::{grove_thread_clear_deadline, grove_thread_set_deadline};
pub use error::{
    grove_error, grove_error_free, grove_error_message, grove_error_status, grove_status,
    grove_status_name,
};
pub use keys::{grove_keys, grove_keys_free, grove_keys_next, grove_store_keys};
pub use kv::{
    grove_kind, grove_store_compare_and_set, grove_store_delete, grove_store_exists,
    grove_store_expire, grove_store_get, grove_store_get_delete, grove_store_get_many,
    grove_store_get_set, grove_store_kind_of, grove_store_persist, grove_store_purge_expired,
    grove_store_set, grove_store_set_if_absent, grove_store_set_if_present, grove_store_set_many,
    grove_store_ttl,
};
pub use leaderboard::{
    grove_leaderboard, grove_leaderboard_add, grove_leaderboard_around, grove_leaderboard_clear,
    grove_leaderboard_free, grove_leaderboard_incr, grove_leaderboard_len, grove_leaderboard_new,
    grove_leaderboard_range, grove_leaderboard_rank, grove_leaderboard_remove,
    grove_leaderboard_score, grove_leaderboard_top, grove_ranked, grove_ranked_list,
    grove_ranked_list_free,
};
pub use lock::{
    grove_lock, grove_lock_acquire, grove_lock_extend, grove_lock_fencing_token, grove_lock_free,
    grove_lock_held, grove_lock_info, grove_lock_new, grove_lock_release, grove_lock_try_acquire,
    grove_store_lock_info,
};
pub use queue::{
    grove_job, grove_job_free, grove_job_list, grove_job_list_free, grove_queue, grove_queue_ack,
    grove_queue_counts, grove_queue_dead_letters, grove_queue_dequeue, grove_queue_dequeue_wait,
    grove_queue_enqueue, grove_queue_free, grove_queue_nack, grove_queue_new, grove_queue_stats,
};
pub use ratelimit::{
    grove_ratelimit_decision, grove_ratelimiter, grove_ratelimiter_allow, grove_ratelimiter_free,
    grove_ratelimiter_new, grove_ratelimiter_peek, grove_ratelimiter_reset,
};
pub use session::{
    grove_sessions, grove_sessions_create, grove_sessions_delete, grove_sessions_exists,
    grove_sessions_free, grove_sessions_get, grove_sessions_new, grove_sessions_touch,
    grove_sessions_update,
};
pub use store::{
    grove_durability, grove_options, grove_options_add_old_encryption_key, grove_options_free,
    grove_options_new, grove_options_set_compression, grove_options_set_connect_timeout,
    grove_options_set_durability, grove_options_set_encryption_key, grove_options_set_node_id,
    grove_options_set_reply_timeout, grove_store, grove_store_close, grove_store_flush,
    grove_store_free, grove_store_is_closed, grove_store_metrics_json,
    grove_store_metrics_prometheus, grove_store_namespace, grove_store_node_id, grove_store_open,
    grove_store_open_memory, grove_store_path, grove_store_size_on_disk,
    GROVE_DURABILITY_EVERY_WRITE, GROVE_DURABILITY_PERIODIC,
};
pub use sync::{
    grove_store_apply_changes, grove_store_export_changes, grove_store_max_drift,
    grove_store_set_max_drift, grove_sync, grove_sync_report,
};

use std::ffi::c_char;

/// Major version of the C ABI in this header; a change means existing callers must be rebuilt.
pub const GROVE_ABI_VERSION_MAJOR: u32 = 0;
/// Minor version of the C ABI in this header; a change only adds functions or constants.
pub const GROVE_ABI_VERSION_MINOR: u32 = 8;

/// The crate version with a trailing NUL, handed out by `grove_version`.
const VERSION_NUL: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// The library version at run time ("0.1.0"): a static NUL-terminated string, never free it.
#[no_mangle]
pub extern "C" fn grove_version() -> *const c_char {
    VERSION_NUL.as_ptr().cast()
}

/// The C ABI version the library was built with, as `(MAJOR << 16) | MINOR`; compare it with
/// the `GROVE_ABI_VERSION_MAJOR`/`GROVE_ABI_VERSION_MINOR` macros of the header you compiled with.
#[no_mangle]
pub extern "C" fn grove_abi_version() -> u32 {
    (GROVE_ABI_VERSION_MAJOR << 16) | GROVE_ABI_VERSION_MINOR
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn version_is_nul_terminated_crate_version() {
        // SAFETY: grove_version returns a pointer to a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(grove_version()) };
        assert_eq!(v.to_str().unwrap(), grove_core::VERSION);
        assert_eq!(grove_abi_version(), 8);
    }
}
