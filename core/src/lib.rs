//! Grove: an embedded, crash-safe engine for coordination primitives (atomic counters, locks,
//! rate limiters, sessions, leaderboards, job queues) and CRDTs, over sled, LMDB (`lmdb:`, shared
//! by the processes of one machine) or memory.
//!
//! ```
//! let db = grove_core::Store::open_memory();
//! let visitors = db.counter("visitors")?;
//! assert_eq!(visitors.increment(1)?, 1);
//! db.set(b"greeting", b"hello", None)?;
//! assert_eq!(db.get(b"greeting")?, Some(b"hello".to_vec()));
//! db.close()?;
//! # Ok::<(), grove_core::Error>(())
//! ```
#![warn(missing_docs)]
// Denied everywhere; backend/lmdb.rs alone allows it for heed's unsafe environment calls.
#![deny(unsafe_code)]

mod backend;
mod clock;
mod conditional;
mod counter;
mod crdt;
mod deadline;
mod error;
mod kv;
mod leaderboard;
mod lock;
pub mod metrics;
mod queue;
mod random;
mod ratelimit;
mod session;
mod store;
mod sync;
mod target;
mod value;

pub use backend::codec::{new_encryption_key, KEY_LEN as ENCRYPTION_KEY_LEN};
pub use clock::{Clock, ManualClock, SystemClock};
pub use counter::Counter;
pub use crdt::hlc::DEFAULT_MAX_DRIFT_MS;
pub use crdt::map::CrdtMap;
pub use crdt::orset::CrdtSet;
pub use crdt::pncounter::CrdtCounter;
pub use crdt::register::CrdtRegister;
pub use crdt::{canonical_json, sync, Stamp, SyncReport, STATE_VERSION};
pub use deadline::{set_call_deadline, with_call_deadline};
pub use error::{Error, ErrorKind, Result};
pub use kv::Keys;
#[doc(hidden)]
pub use leaderboard::LOG_KEEP as LEADERBOARD_LOG_KEEP;
pub use leaderboard::{Leaderboard, Ranked};
pub use lock::{
    retry_pause, Lock, LockGuard, LockInfo, DEFAULT_RETRY_INTERVAL, MIN_RETRY_INTERVAL,
};
pub use metrics::{Metrics, OpMetrics};
pub use queue::{Job, Queue, QueueStats};
pub use ratelimit::{Decision, RateLimiter, MAX_LOG_ENTRIES};
pub use session::{Sessions, SESSION_ID_LEN};
pub use store::{
    check_key, check_value, connect_timeout_from_secs, duration_from_secs, reply_timeout_from_secs,
    ttl_from_secs, validate_node_id, Durability, Options, Store, DEFAULT_COMPRESS_MIN_BYTES,
    DEFAULT_FLUSH_EVERY_MS, MAX_DURATION_SECS, MAX_FLUSH_EVERY_MS, MAX_KEY_LEN, MAX_NODE_ID_LEN,
    MAX_VALUE_LEN,
};
pub use value::Kind;

/// The version of this crate (`grove-core`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
