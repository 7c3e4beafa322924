//! Native halves of the coordination primitives: the distributed lock, the sliding-window rate
//! limiter and the session store. Every method checks that its store is still open first, so
//! anything made from a closed store throws code `Closed` (the core skips that check on a few
//! paths that need no storage, e.g. releasing a lock never acquired, or a malformed session id).
//! Waiting (`Lock.acquire`) lives in index.js and promises.js, with timers, so the event loop
//! never blocks and no thread sleeps.

use crate::{closed, guard, Result};
use grove_core::{Decision, Lock, RateLimiter, Sessions, Store};
use napi::bindgen_prelude::{BigInt, Either};
use napi_derive::napi;
use std::sync::Arc;

/// The largest integer a JS number holds exactly (2^53 - 1).
const MAX_SAFE: u64 = (1 << 53) - 1;

/// A u64 as a JS number when exact, else a bigint (index.js applies the number policy).
pub(crate) fn u64_out(v: u64) -> Either<f64, BigInt> {
    if v <= MAX_SAFE {
        Either::A(v as f64)
    } else {
        Either::B(BigInt::from(v))
    }
}

/// A non-negative whole number from JS as a u64 (index.js has already range-checked it).
pub(crate) fn whole(v: f64, what: &str) -> grove_core::Result<u64> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= MAX_SAFE as f64 {
        Ok(v as u64)
    } else {
        Err(grove_core::Error::new(
            grove_core::ErrorKind::InvalidArgument,
            format!("{what} must be a whole number from 0 to 2^53-1, got {v}"),
        ))
    }
}

/// `Closed` if `store` has been closed.
pub(crate) fn open_check(store: &Store) -> grove_core::Result<()> {
    if store.is_closed() {
        Err(closed())
    } else {
        Ok(())
    }
}

/// What `lockInfo(name)` returns.
#[napi(object)]
pub struct NativeLockInfo {
    /// Whether some owner holds an unexpired lease now.
    pub held: bool,
    /// The fencing token of the latest acquisition (0 if never acquired).
    pub fencing_token: Either<f64, BigInt>,
    /// Seconds left on the current lease, null when not held.
    pub expires_in: Option<f64>,
}

/// The store-side constructors (called from `NativeStore` in lib.rs).
pub(crate) fn lock(store: &Store, name: &str, ttl_secs: f64) -> Result<NativeLock> {
    guard(|| {
        open_check(store)?;
        Ok(NativeLock {
            inner: Arc::new(store.lock(name, grove_core::ttl_from_secs(ttl_secs)?)?),
            store: store.clone(),
        })
    })
}

/// `lockInfo(name)`: a lock's state read from the store, without taking it.
pub(crate) fn lock_info(store: &Store, name: &str) -> Result<NativeLockInfo> {
    guard(|| {
        open_check(store)?;
        let i = store.lock_info(name)?;
        Ok(NativeLockInfo {
            held: i.held,
            fencing_token: u64_out(i.fencing_token),
            expires_in: i.expires_in.map(|d| d.as_secs_f64()),
        })
    })
}

/// `rateLimiter(name, limit, window)`: `limit` arrives as a JS number, so it is checked whole.
pub(crate) fn rate_limiter(
    store: &Store,
    name: &str,
    limit: f64,
    window_secs: f64,
) -> Result<NativeRateLimiter> {
    guard(|| {
        open_check(store)?;
        let limit = whole(limit, "limit")?;
        let window = grove_core::ttl_from_secs(window_secs)?;
        Ok(NativeRateLimiter {
            inner: store.rate_limiter(name, limit, window)?,
            store: store.clone(),
        })
    })
}

/// `sessions(ttl, prefix)`: a session manager with sessions under `prefix`.
pub(crate) fn sessions(store: &Store, ttl_secs: f64, prefix: &str) -> Result<NativeSessions> {
    guard(|| {
        open_check(store)?;
        Ok(NativeSessions {
            inner: store.sessions(grove_core::ttl_from_secs(ttl_secs)?, prefix)?,
            store: store.clone(),
        })
    })
}

/// A would-be owner of the lock `lock:<name>` (native half of `Lock` in index.js).
#[napi]
pub struct NativeLock {
    /// The lock, shared with the promise forms' pool threads: its owner token lives in this one
    /// object.
    pub(crate) inner: Arc<Lock>,
    /// The store it came from: each call checks that handle is still open (`Closed` otherwise).
    pub(crate) store: Store,
}

#[napi]
impl NativeLock {
    /// One attempt: takes the lock if it is free or its lease expired; true on success.
    #[napi]
    pub fn try_acquire(&self) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.try_acquire()
        })
    }

    /// Releases the lock if this object still owns an unexpired lease; false otherwise.
    #[napi]
    pub fn release(&self) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.release()
        })
    }

    /// Sets the lease to end `ttl` seconds from now if this object still owns it; false otherwise.
    #[napi]
    pub fn extend(&self, ttl_secs: f64) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.extend(grove_core::ttl_from_secs(ttl_secs)?)
        })
    }

    /// Whether this object owns the lock now.
    #[napi]
    pub fn held(&self) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.held()
        })
    }

    /// The fencing token of this object's latest successful acquire (0 before the first).
    #[napi(getter)]
    pub fn fencing_token(&self) -> Either<f64, BigInt> {
        u64_out(self.inner.fencing_token())
    }

    /// The key this lock lives at (`lock:<name>`).
    #[napi(getter)]
    pub fn key(&self) -> String {
        String::from_utf8_lossy(self.inner.key()).into_owned()
    }

    /// The lease length in seconds.
    #[napi(getter)]
    pub fn ttl(&self) -> f64 {
        self.inner.ttl().as_secs_f64()
    }
}

/// The outcome of `allow` or `peek` (seconds as numbers).
#[napi(object)]
pub struct NativeDecision {
    /// Whether the request was admitted (for `peek`: whether a cost-1 request would be).
    pub allowed: bool,
    /// Cost that could still be admitted right now.
    pub remaining: f64,
    /// Seconds until everything admitted so far has left the window.
    pub reset_after: f64,
    /// When refused: seconds until this request's cost would fit; 0 when allowed.
    pub retry_after: f64,
}

impl From<Decision> for NativeDecision {
    fn from(d: Decision) -> Self {
        NativeDecision {
            allowed: d.allowed,
            // remaining <= limit <= 2^53-1 (checked at construction): exact.
            remaining: d.remaining as f64,
            reset_after: d.reset_after.as_secs_f64(),
            retry_after: d.retry_after.as_secs_f64(),
        }
    }
}

/// A sliding-window rate limiter (native half of `RateLimiter` in index.js).
#[napi]
pub struct NativeRateLimiter {
    /// The Rust rate limiter this object wraps.
    pub(crate) inner: RateLimiter,
    /// The store it came from: each call checks that handle is still open (`Closed` otherwise).
    pub(crate) store: Store,
}

#[napi]
impl NativeRateLimiter {
    /// Admits `cost` for `key` if it fits in the sliding window, atomically.
    #[napi]
    pub fn allow(&self, key: String, cost: f64) -> Result<NativeDecision> {
        guard(|| {
            open_check(&self.store)?;
            Ok(self.inner.allow(&key, whole(cost, "cost")?)?.into())
        })
    }

    /// What a cost-1 request for `key` would get now, recording nothing.
    #[napi]
    pub fn peek(&self, key: String) -> Result<NativeDecision> {
        guard(|| {
            open_check(&self.store)?;
            Ok(self.inner.peek(&key)?.into())
        })
    }

    /// Forgets everything admitted for `key`; true if there was state.
    #[napi]
    pub fn reset(&self, key: String) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.reset(&key)
        })
    }

    /// The admitted cost per window.
    #[napi(getter)]
    pub fn limit(&self) -> f64 {
        self.inner.limit() as f64
    }

    /// The window length in seconds.
    #[napi(getter)]
    pub fn window(&self) -> f64 {
        self.inner.window().as_secs_f64()
    }
}

/// The session store (native half of `Sessions` in index.js); data is JSON text.
#[napi]
pub struct NativeSessions {
    /// The Rust session manager this object wraps.
    pub(crate) inner: Sessions,
    /// The store it came from: each call checks that handle is still open (`Closed` otherwise).
    pub(crate) store: Store,
}

#[napi]
impl NativeSessions {
    /// Stores `data` under a new random 43-character URL-safe id and returns the id.
    #[napi]
    pub fn create(&self, data: String) -> Result<String> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.create(data.as_bytes())
        })
    }

    /// The data of a live session as text, or null; `WrongType` if it is not UTF-8.
    #[napi]
    pub fn get(&self, id: String) -> Result<Option<String>> {
        guard(|| {
            open_check(&self.store)?;
            match self.inner.get(&id)? {
                None => Ok(None),
                Some(b) => String::from_utf8(b).map(Some).map_err(|_| {
                    grove_core::Error::new(
                        grove_core::ErrorKind::WrongType,
                        "session data is not UTF-8 JSON text (written as raw bytes by another door?)",
                    )
                }),
            }
        })
    }

    /// Replaces a live session's data and restarts its TTL; false if missing or expired.
    #[napi]
    pub fn update(&self, id: String, data: String) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.update(&id, data.as_bytes())
        })
    }

    /// Restarts a live session's TTL; false if missing or expired.
    #[napi]
    pub fn touch(&self, id: String) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.touch(&id)
        })
    }

    /// Deletes a session; true if it was live.
    #[napi]
    pub fn delete(&self, id: String) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.delete(&id)
        })
    }

    /// Whether a session is live.
    #[napi]
    pub fn exists(&self, id: String) -> Result<bool> {
        guard(|| {
            open_check(&self.store)?;
            self.inner.exists(&id)
        })
    }

    /// The sliding TTL in seconds.
    #[napi(getter)]
    pub fn ttl(&self) -> f64 {
        self.inner.ttl().as_secs_f64()
    }
}
