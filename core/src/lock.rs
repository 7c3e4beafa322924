//! The distributed lock at `lock:<name>`: ownership by a random token, leases that expire, and
//! fencing tokens that only ever grow (persisted, so they survive restarts and expiry).
//!
//! The record is never given an envelope expiry: a free or expired lock keeps its last fencing
//! token, which is what makes "strictly greater than any before it" hold forever. An engine with
//! native locks may keep its own layout instead (Redis: the token with the lease as the key's
//! expiry, the fencing token in a counter that never expires; see `backend::redis::lock`).

use crate::backend::caps::{LockStep, NativeLock};
use crate::backend::Write;
use crate::error::{Error, ErrorKind, Result};
use crate::store::{ttl_ms, Store};
use crate::sync::Mutex;
use crate::value::{encode, Entry, Kind};
use std::time::{Duration, Instant};

/// Default pause between attempts of a waiting [`Lock::acquire`].
pub const DEFAULT_RETRY_INTERVAL: Duration = Duration::from_millis(50);

/// The shortest pause between two tries of a wait (1 ms): a shorter retry interval is raised to it.
pub const MIN_RETRY_INTERVAL: Duration = Duration::from_millis(1);

/// The pause between two tries of a lock wait for the `retry_interval` asked for: at least
/// [`MIN_RETRY_INTERVAL`]. The one place this floor lives; the core's own waits and the wait
/// loops of the doors (Python's, Node's) take their pause from here.
pub fn retry_pause(retry_interval: Duration) -> Duration {
    retry_interval.max(MIN_RETRY_INTERVAL)
}

/// The stored state of a lock.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Record {
    fence: u64,
    lease_until_ms: u64,
    owner: Vec<u8>,
}

impl Record {
    fn decode(e: &Entry<'_>, key: &[u8]) -> Result<Record> {
        e.expect(Kind::Lock, key)?;
        let p = e.payload;
        if p.len() < 17 || p.len() != 17 + p[16] as usize {
            return Err(Error::corrupt("lock record has a bad length"));
        }
        Ok(Record {
            fence: u64::from_be_bytes(p[0..8].try_into().unwrap()),
            lease_until_ms: u64::from_be_bytes(p[8..16].try_into().unwrap()),
            owner: p[17..].to_vec(),
        })
    }

    fn encode(&self) -> Vec<u8> {
        let mut p = Vec::with_capacity(17 + self.owner.len());
        p.extend_from_slice(&self.fence.to_be_bytes());
        p.extend_from_slice(&self.lease_until_ms.to_be_bytes());
        p.push(self.owner.len() as u8);
        p.extend_from_slice(&self.owner);
        encode(Kind::Lock, None, &p)
    }

    fn held_by(&self, token: &[u8], now: u64) -> bool {
        !self.owner.is_empty() && self.owner == token && now < self.lease_until_ms
    }

    fn is_free(&self, now: u64) -> bool {
        self.owner.is_empty() || now >= self.lease_until_ms
    }
}

/// What a lock looks like from outside (see [`Store::lock_info`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockInfo {
    /// Whether some owner holds an unexpired lease now.
    pub held: bool,
    /// The fencing token of the latest acquisition (0 if never acquired).
    pub fencing_token: u64,
    /// Time left on the current lease, when held.
    pub expires_in: Option<Duration>,
}

/// A would-be owner of the lock `lock:<name>`; each successful acquire gets a fresh random token.
#[derive(Debug)]
pub struct Lock {
    store: Store,
    key: Vec<u8>,
    pk: Vec<u8>,
    ttl: Duration,
    /// The token and fencing token of this object's latest successful acquisition.
    mine: Mutex<Option<(Vec<u8>, u64)>>,
}

impl Store {
    /// A lock named `name` whose leases last `ttl` unless extended.
    pub fn lock(&self, name: &str, ttl: Duration) -> Result<Lock> {
        crate::leaderboard::check_plain_name(name, "lock")?;
        if ttl.is_zero() {
            return Err(Error::invalid("lock ttl must be greater than zero"));
        }
        let key = format!("lock:{name}").into_bytes();
        let pk = self.data_key(&key)?;
        Ok(Lock {
            store: self.clone(),
            key,
            pk,
            ttl,
            mine: Mutex::new(None),
        })
    }

    /// The state of lock `name` as any observer sees it.
    pub fn lock_info(&self, name: &str) -> Result<LockInfo> {
        self.measured(crate::metrics::Op::LockInfo, || {
            crate::leaderboard::check_plain_name(name, "lock")?;
            let key = format!("lock:{name}").into_bytes();
            let pk = self.data_key(&key)?;
            let now = self.now_ms();
            if let Some(n) = self.backend()?.native_lock() {
                if let Some(info) = n.lock_info(&pk, now)? {
                    return Ok(info);
                }
            }
            Ok(match self.read_live(&pk)? {
                None => LockInfo {
                    held: false,
                    fencing_token: 0,
                    expires_in: None,
                },
                Some(raw) => {
                    let r = Record::decode(&Entry::decode(&raw)?, &key)?;
                    let held = !r.is_free(now);
                    LockInfo {
                        held,
                        fencing_token: r.fence,
                        expires_in: held.then(|| Duration::from_millis(r.lease_until_ms - now)),
                    }
                }
            })
        })
    }
}

impl Lock {
    /// The key this lock lives at (`lock:<name>`).
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The lease length given at creation.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// One attempt: takes the lock if it is free or its lease expired; true on success.
    pub fn try_acquire(&self) -> Result<bool> {
        self.store.measured(crate::metrics::Op::LockTryAcquire, || {
            self.try_acquire_unmeasured()
        })
    }

    fn try_acquire_unmeasured(&self) -> Result<bool> {
        let mut token = [0u8; 16];
        crate::random::fill(&mut token)?;
        let previous = self.mine.lock().as_ref().map(|(t, _)| t.clone());
        let ttl = ttl_ms(self.ttl);
        let now = self.store.now_ms();
        let key = &self.key;
        let native =
            self.native(|n| n.lock_acquire(&self.pk, now, ttl, &token, previous.as_deref()))?;
        match native {
            Some(LockStep::Done(fence)) => {
                self.store.wrote()?;
                *self.mine.lock() = Some((token.to_vec(), fence));
                return Ok(true);
            }
            Some(LockStep::Refused) => return Ok(false),
            // Another kind (or one whose envelope expiry passed): the generic path decides.
            Some(LockStep::Generic) | None => {}
        }
        let got = self.store.update_entry(&self.pk, |cur| {
            let old = match cur {
                None => None,
                Some(e) => Some(Record::decode(&e, key)?),
            };
            let fence = match &old {
                None => 0,
                Some(r) => {
                    let ours = previous.as_deref().is_some_and(|p| r.held_by(p, now));
                    if !r.is_free(now) && !ours {
                        return Ok((Write::Keep, None));
                    }
                    r.fence
                }
            };
            let fence = fence
                .checked_add(1)
                .ok_or_else(|| Error::overflow("fencing token space exhausted"))?;
            let rec = Record {
                fence,
                lease_until_ms: now.saturating_add(ttl),
                owner: token.to_vec(),
            };
            Ok((Write::Put(rec.encode()), Some(fence)))
        })?;
        match got {
            Some(fence) => {
                *self.mine.lock() = Some((token.to_vec(), fence));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Tries until `timeout` passes, true on success. Between attempts it sleeps at most
    /// `retry_interval`, and is woken at once by a release in this process (on a store other
    /// processes share, it looks at least every few ms, so their releases wake it too).
    pub fn acquire(&self, timeout: Duration, retry_interval: Duration) -> Result<bool> {
        self.store.measured(crate::metrics::Op::LockAcquire, || {
            self.acquire_unmeasured(timeout, retry_interval)
        })
    }

    fn acquire_unmeasured(&self, timeout: Duration, retry_interval: Duration) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        let pause = self.store.wait_pause(retry_interval);
        loop {
            // Read before trying, so a release landing between the try and the wait still wakes.
            let seen = self.store.bell().count();
            if self.try_acquire_unmeasured()? {
                return Ok(true);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            self.store.bell().wait(seen, pause.min(deadline - now));
        }
    }

    /// Like [`Lock::acquire`] but `LockTimeout` on failure, and a guard that releases on drop.
    pub fn lock(&self, timeout: Duration) -> Result<LockGuard<'_>> {
        self.store.measured(crate::metrics::Op::LockLock, || {
            if self.acquire_unmeasured(timeout, DEFAULT_RETRY_INTERVAL)? {
                Ok(LockGuard { lock: self })
            } else {
                Err(Error::new(
                    ErrorKind::LockTimeout,
                    format!(
                        "could not acquire '{}' within {:?}",
                        String::from_utf8_lossy(&self.key),
                        timeout
                    ),
                ))
            }
        })
    }

    /// Runs `f` on the engine's native locks, if it has them (see `backend::caps`).
    fn native<T>(&self, f: impl FnOnce(&dyn NativeLock) -> Result<T>) -> Result<Option<T>> {
        let backend = self.store.backend()?;
        match backend.native_lock() {
            Some(n) => f(n).map(Some),
            None => Ok(None),
        }
    }

    /// Release (`extend_ms` `None`) or extend natively, when the engine can and this object
    /// holds a token: `Some(changed)`, or `None` for the generic path.
    fn native_change(&self, extend_ms: Option<u64>) -> Result<Option<bool>> {
        let Some(token) = self.mine.lock().as_ref().map(|(t, _)| t.clone()) else {
            return Ok(None);
        };
        let now = self.store.now_ms();
        match self.native(|n| n.lock_change(&self.pk, now, &token, extend_ms))? {
            Some(LockStep::Done(_)) => {
                self.store.wrote()?;
                Ok(Some(true))
            }
            Some(LockStep::Refused) => Ok(Some(false)),
            Some(LockStep::Generic) | None => Ok(None),
        }
    }

    fn with_own<T>(&self, f: impl Fn(&Record, u64) -> (Write, T), otherwise: T) -> Result<T>
    where
        T: Clone,
    {
        self.store.check_open()?;
        let token = match self.mine.lock().as_ref() {
            Some((t, _)) => t.clone(),
            None => {
                // Never acquired, so nothing to change; the key must still hold a lock (or
                // nothing), like every other call on it.
                self.read_record()?;
                return Ok(otherwise);
            }
        };
        let key = &self.key;
        let now = self.store.now_ms();
        self.store.update_entry(&self.pk, |cur| {
            let rec = match cur {
                None => return Ok((Write::Keep, otherwise.clone())),
                Some(e) => Record::decode(&e, key)?,
            };
            if !rec.held_by(&token, now) {
                return Ok((Write::Keep, otherwise.clone()));
            }
            Ok(f(&rec, now))
        })
    }

    /// Releases the lock if this object still owns an unexpired lease; false (and no change) otherwise.
    pub fn release(&self) -> Result<bool> {
        self.store.measured(crate::metrics::Op::LockRelease, || {
            if let Some(released) = self.native_change(None)? {
                if released {
                    self.store.bell().ring();
                }
                return Ok(released);
            }
            let released = self.with_own(
                |rec, _| {
                    let free = Record {
                        fence: rec.fence,
                        lease_until_ms: 0,
                        owner: Vec::new(),
                    };
                    (Write::Put(free.encode()), true)
                },
                false,
            )?;
            if released {
                self.store.bell().ring();
            }
            Ok(released)
        })
    }

    /// Sets the lease to end `ttl` from now if this object still owns it; false otherwise.
    pub fn extend(&self, ttl: Duration) -> Result<bool> {
        self.store.measured(crate::metrics::Op::LockExtend, || {
            if ttl.is_zero() {
                return Err(Error::invalid("extend ttl must be greater than zero"));
            }
            let ms = ttl_ms(ttl);
            if let Some(extended) = self.native_change(Some(ms))? {
                return Ok(extended);
            }
            self.with_own(
                |rec, now| {
                    let longer = Record {
                        lease_until_ms: now.saturating_add(ms),
                        ..rec.clone()
                    };
                    (Write::Put(longer.encode()), true)
                },
                false,
            )
        })
    }

    /// Whether this object owns the lock now (an unexpired lease with its token).
    pub fn held(&self) -> Result<bool> {
        self.store.measured(crate::metrics::Op::LockHeld, || {
            self.store.check_open()?;
            let token = self.mine.lock().as_ref().map(|(t, _)| t.clone());
            let now = self.store.now_ms();
            // Read even without a token: a key holding another kind is WrongType, not "not held".
            let rec = self.read_record()?;
            Ok(match (rec, token) {
                (Some(rec), Some(token)) => rec.held_by(&token, now),
                _ => false,
            })
        })
    }

    /// The stored record, if any (`WrongType` when the key holds something else).
    fn read_record(&self) -> Result<Option<Record>> {
        match self.store.read_live(&self.pk)? {
            None => Ok(None),
            Some(raw) => Ok(Some(Record::decode(&Entry::decode(&raw)?, &self.key)?)),
        }
    }

    /// The fencing token of this object's latest successful acquire (0 before the first).
    pub fn fencing_token(&self) -> u64 {
        self.mine.lock().as_ref().map_or(0, |(_, f)| *f)
    }
}

/// Holds a [`Lock`] until dropped (released then, errors ignored; call `release` to see them).
#[derive(Debug)]
pub struct LockGuard<'a> {
    lock: &'a Lock,
}

impl LockGuard<'_> {
    /// The fencing token of this acquisition.
    pub fn fencing_token(&self) -> u64 {
        self.lock.fencing_token()
    }

    /// Releases now and reports whether the lease was still ours.
    pub fn release(self) -> Result<bool> {
        let r = self.lock.release();
        std::mem::forget(self);
        r
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        let _ = self.lock.release();
    }
}

#[cfg(test)]
mod token_tests {
    use crate::Store;
    use std::collections::HashSet;
    use std::time::Duration;

    #[test]
    fn every_acquisition_gets_a_fresh_128_bit_token() {
        let db = Store::open_memory();
        let lock = db.lock("t", Duration::from_secs(60)).unwrap();
        let mut seen = HashSet::new();
        for _ in 0..5_000 {
            assert!(lock.try_acquire().unwrap());
            let token = lock.mine.lock().as_ref().unwrap().0.clone();
            assert_eq!(token.len(), 16, "128-bit tokens");
            assert!(seen.insert(token), "a lock token repeated");
            assert!(lock.release().unwrap());
        }
    }
}
