//! The core's own locks: std's, with parking_lot's call shape (no poisoning to unwrap).
//!
//! Not parking_lot: the version sled pins (0.11) makes a futex syscall that current Miri rejects
//! as undefined behaviour, and Miri reports a data race in its RwLock (parking_lot issue #294).
//! std's futex-based locks are as fast here (BENCHMARKS.md) and Miri checks them natively.
//! Poisoning is ignored, as parking_lot did: every state these locks guard is a plain value that
//! a panicking holder cannot leave half-written (a sequence number, a cache that is rebuilt).

use std::ops::Deref;
use std::sync::{Arc, PoisonError, RwLockReadGuard};

/// A mutual-exclusion lock whose `lock()` never reports poisoning.
#[derive(Default, Debug)]
pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

/// The guard of [`Mutex`].
pub(crate) type MutexGuard<'a, T> = std::sync::MutexGuard<'a, T>;

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    pub(crate) const fn new(value: T) -> Self {
        Mutex(std::sync::Mutex::new(value))
    }

    /// Blocks until the lock is held.
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A reader-writer lock whose `read()`/`write()` never report poisoning.
#[derive(Default, Debug)]
pub(crate) struct RwLock<T>(std::sync::RwLock<T>);

impl<T> RwLock<T> {
    /// A new unlocked reader-writer lock.
    pub(crate) const fn new(value: T) -> Self {
        RwLock(std::sync::RwLock::new(value))
    }

    /// Shared access.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, T> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Exclusive access.
    pub(crate) fn write(&self) -> std::sync::RwLockWriteGuard<'_, T> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A read guard of an `RwLock<Option<Arc<U>>>` known to hold `Some`, seen as `&U` (std has no
/// stable mapped guards).
pub(crate) struct SomeReadGuard<'a, U: ?Sized>(RwLockReadGuard<'a, Option<Arc<U>>>);

impl<'a, U: ?Sized> SomeReadGuard<'a, U> {
    /// The guard if the option holds a value, `None` otherwise (the guard is then released).
    pub(crate) fn new(guard: RwLockReadGuard<'a, Option<Arc<U>>>) -> Option<Self> {
        guard.is_some().then(|| SomeReadGuard(guard))
    }
}

impl<U: ?Sized> Deref for SomeReadGuard<'_, U> {
    type Target = U;

    fn deref(&self) -> &U {
        // SomeReadGuard::new checked Some, and the read guard keeps writers (close) out.
        self.0.as_deref().expect("SomeReadGuard holds Some")
    }
}

/// Wakes this process's waiters (a waiting lock acquire, a waiting dequeue) the moment something
/// they wait for happens here: a lock released, a job enqueued or put back. What another process
/// does rings no bell in this one, so waiters on a shared store also poll (see
/// `Store::wait_pause`).
#[derive(Default, Debug)]
pub(crate) struct Bell {
    rung: std::sync::Mutex<u64>,
    cv: std::sync::Condvar,
}

impl Bell {
    /// Wakes every waiter.
    pub(crate) fn ring(&self) {
        *self.rung.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.cv.notify_all();
    }

    /// How often the bell has rung; pass it to [`Bell::wait`] to miss no ring after reading it.
    pub(crate) fn count(&self) -> u64 {
        *self.rung.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sleeps until the bell rings after `seen` rings, or `timeout` passes.
    pub(crate) fn wait(&self, seen: u64, timeout: std::time::Duration) {
        let guard = self.rung.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self
            .cv
            .wait_timeout_while(guard, timeout, |rung| *rung == seen)
            .unwrap_or_else(PoisonError::into_inner);
    }
}
