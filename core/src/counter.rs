//! The atomic counter: a signed 64-bit integer at `counter:<name>`, exact under any concurrency.

use crate::backend::caps::{CounterAdd, NATIVE_BOUNDED_MAX};
use crate::backend::Write;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::value::{encode, Entry, Kind};

/// An atomic signed 64-bit counter stored at `counter:<name>`; overflow is an error, never a wrap.
#[derive(Clone, Debug)]
pub struct Counter {
    store: Store,
    key: Vec<u8>,
    pk: Vec<u8>,
}

impl Store {
    /// The atomic counter named `name` (key `counter:<name>`); 0 until first written.
    pub fn counter(&self, name: &str) -> Result<Counter> {
        crate::leaderboard::check_plain_name(name, "counter")?;
        let key = format!("counter:{name}").into_bytes();
        let pk = self.data_key(&key)?;
        Ok(Counter {
            store: self.clone(),
            key,
            pk,
        })
    }
}

fn overflow(key: &[u8], old: i64, delta: i64) -> Error {
    Error::overflow(format!(
        "counter '{}' at {old} cannot change by {delta}",
        String::from_utf8_lossy(key)
    ))
}

fn decode_value(e: &Entry<'_>, key: &[u8]) -> Result<i64> {
    e.expect(Kind::Counter, key)?;
    let bytes: [u8; 8] = e
        .payload
        .try_into()
        .map_err(|_| Error::corrupt("counter payload is not 8 bytes"))?;
    Ok(i64::from_le_bytes(bytes))
}

impl Counter {
    /// The key this counter lives at (`counter:<name>`).
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// Adds `delta` (may be negative) and returns the new value; an expiry set on the key is kept.
    pub fn increment(&self, delta: i64) -> Result<i64> {
        self.store
            .measured(crate::metrics::Op::CounterIncrement, || {
                self.increment_unmeasured(delta)
            })
    }

    fn increment_unmeasured(&self, delta: i64) -> Result<i64> {
        let key = &self.key;
        let native = {
            let backend = self.store.backend()?;
            match backend.native_counter() {
                Some(n) => Some(n.counter_add(&self.pk, delta)?),
                None => None,
            }
        };
        if let Some(outcome) = native {
            return match outcome {
                CounterAdd::Added(v) => {
                    self.store.wrote()?;
                    Ok(v)
                }
                CounterAdd::Overflow { current } => Err(overflow(key, current, delta)),
                // Another kind, or a counter kept in Grove's envelope (one with an expiry the
                // engine could not give the key itself), or a value whose envelope expiry has
                // passed: the generic path decides (WrongType, or an expired key counts as 0).
                CounterAdd::Refused | CounterAdd::Generic => self.increment_generic(delta),
            };
        }
        self.increment_generic(delta)
    }

    /// [`Counter::increment`] over the ordered key/value store.
    fn increment_generic(&self, delta: i64) -> Result<i64> {
        let key = &self.key;
        self.store.update_entry(&self.pk, |cur| {
            let (old, expires_at) = match cur {
                None => (0, None),
                Some(e) => (decode_value(&e, key)?, e.expires_at),
            };
            let new = old
                .checked_add(delta)
                .ok_or_else(|| overflow(key, old, delta))?;
            Ok((
                Write::Put(encode(Kind::Counter, expires_at, &new.to_le_bytes())),
                new,
            ))
        })
    }

    /// Subtracts `delta` (≥ 0) only if the result stays at or above `floor`: the new value, or
    /// `None` (nothing changed) when it would go below. The check and the write are one atomic
    /// step, so buyers racing for the last items never oversell.
    pub fn try_decrement(&self, delta: i64, floor: i64) -> Result<Option<i64>> {
        self.store
            .measured(crate::metrics::Op::CounterTryDecrement, || {
                if delta < 0 {
                    return Err(Error::invalid(format!(
                        "try_decrement takes a delta of 0 or more, not {delta} (use try_increment)"
                    )));
                }
                // Past i64::MIN is below every floor.
                self.change_within(-delta, floor, i64::MAX, |old| {
                    old.checked_sub(delta).filter(|n| *n >= floor)
                })
            })
    }

    /// Adds `delta` (≥ 0) only if the result stays at or below `cap`: the new value, or `None`
    /// (nothing changed) when it would pass it, atomically.
    pub fn try_increment(&self, delta: i64, cap: i64) -> Result<Option<i64>> {
        self.store
            .measured(crate::metrics::Op::CounterTryIncrement, || {
                if delta < 0 {
                    return Err(Error::invalid(format!(
                        "try_increment takes a delta of 0 or more, not {delta} (use try_decrement)"
                    )));
                }
                // Past i64::MAX is above every cap.
                self.change_within(delta, i64::MIN, cap, |old| {
                    old.checked_add(delta).filter(|n| *n <= cap)
                })
            })
    }

    /// Adds `delta` when the result stays within `lo..=hi` (`next` says the same for the generic
    /// path), keeping the expiry: the new value, or `None` with nothing changed. One native step
    /// where the engine has one (a script on Redis) and the numbers fit it.
    fn change_within(
        &self,
        delta: i64,
        lo: i64,
        hi: i64,
        next: impl Fn(i64) -> Option<i64>,
    ) -> Result<Option<i64>> {
        if delta.unsigned_abs() < NATIVE_BOUNDED_MAX.unsigned_abs() {
            // Bounds past ±(2^53 - 1) cannot matter: every native sum is smaller.
            let lim = (1i64 << 53) - 1;
            let native = {
                let backend = self.store.backend()?;
                match backend.native_counter() {
                    Some(n) => Some(n.counter_add_within(
                        &self.pk,
                        delta,
                        lo.clamp(-lim, lim),
                        hi.clamp(-lim, lim),
                    )?),
                    None => None,
                }
            };
            match native {
                Some(CounterAdd::Added(v)) => {
                    self.store.wrote()?;
                    return Ok(Some(v));
                }
                Some(CounterAdd::Refused) => return Ok(None),
                Some(CounterAdd::Overflow { .. } | CounterAdd::Generic) | None => {}
            }
        }
        let key = &self.key;
        self.store.update_entry(&self.pk, |cur| {
            let (old, expires_at) = match cur {
                None => (0, None),
                Some(e) => (decode_value(&e, key)?, e.expires_at),
            };
            match next(old) {
                None => Ok((Write::Keep, None)),
                Some(new) if new == old => Ok((Write::Keep, Some(new))),
                Some(new) => Ok((
                    Write::Put(encode(Kind::Counter, expires_at, &new.to_le_bytes())),
                    Some(new),
                )),
            }
        })
    }

    /// Subtracts `delta` and returns the new value.
    pub fn decrement(&self, delta: i64) -> Result<i64> {
        self.store
            .measured(crate::metrics::Op::CounterDecrement, || {
                let neg = delta
                    .checked_neg()
                    .ok_or_else(|| Error::overflow(format!("cannot decrement by {delta}")))?;
                self.increment_unmeasured(neg)
            })
    }

    /// The current value (0 when unset).
    pub fn get(&self) -> Result<i64> {
        self.store.measured(crate::metrics::Op::CounterGet, || {
            match self.store.read_live(&self.pk)? {
                None => Ok(0),
                Some(raw) => decode_value(&Entry::decode(&raw)?, &self.key),
            }
        })
    }

    /// Sets the value (clearing any expiry); `WrongType` if the key holds something else.
    pub fn set(&self, value: i64) -> Result<()> {
        self.store.measured(crate::metrics::Op::CounterSet, || {
            self.set_unmeasured(value)
        })
    }

    fn set_unmeasured(&self, value: i64) -> Result<()> {
        let key = &self.key;
        let new = encode(Kind::Counter, None, &value.to_le_bytes());
        self.store.update_entry(&self.pk, |cur| {
            if let Some(e) = cur {
                e.expect(Kind::Counter, key)?;
            }
            Ok((Write::Put(new.clone()), ()))
        })
    }

    /// Sets the value to 0.
    pub fn reset(&self) -> Result<()> {
        self.store
            .measured(crate::metrics::Op::CounterReset, || self.set_unmeasured(0))
    }
}
