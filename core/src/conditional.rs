//! Conditional key/value writes (Redis's `SET NX`/`XX`, compare-and-set, `GETDEL`, `GETSET`):
//! each decides and writes in one atomic step of the engine, so two callers can never both see
//! "absent" and both write, on any engine and across processes.

use crate::backend::Write;
use crate::error::Result;
use crate::leaderboard::{kv_may_remove, kv_may_write};
use crate::store::{check_value, Store};
use crate::value::{encode, Entry, Kind};
use std::time::Duration;

/// What a conditional write found at its key: the live bytes, or `None`. Another kind is
/// `WrongType`, as for `get` and `set`.
fn bytes_of(cur: &Option<Entry<'_>>, key: &[u8]) -> Result<Option<Vec<u8>>> {
    match cur {
        None => Ok(None),
        Some(e) => {
            e.expect(Kind::Bytes, key)?;
            Ok(Some(e.payload.to_vec()))
        }
    }
}

impl Store {
    /// Writes `value` at `key` only if it holds nothing live (Redis `SET NX`); true if it wrote.
    pub fn set_if_absent(&self, key: &[u8], value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        self.measured(crate::metrics::Op::KvSetIfAbsent, || {
            self.write_if(key, value, ttl, |old| old.is_none())
        })
    }

    /// Replaces the bytes at `key` only if there are some (Redis `SET XX`); true if it wrote. The
    /// new value has `ttl` (none: no expiry), as with `set`.
    pub fn set_if_present(&self, key: &[u8], value: &[u8], ttl: Option<Duration>) -> Result<bool> {
        self.measured(crate::metrics::Op::KvSetIfPresent, || {
            self.write_if(key, value, ttl, |old| old.is_some())
        })
    }

    /// Writes `new` at `key` only if it holds exactly `expected` (`None`: nothing live); true if
    /// it wrote.
    pub fn compare_and_set(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: &[u8],
        ttl: Option<Duration>,
    ) -> Result<bool> {
        self.measured(crate::metrics::Op::KvCompareAndSet, || {
            self.write_if(key, new, ttl, |old| old.as_deref() == expected)
        })
    }

    /// Writes `value` at `key` and returns what it replaced (Redis `GETSET`, `SET … GET`).
    pub fn get_set(
        &self,
        key: &[u8],
        value: &[u8],
        ttl: Option<Duration>,
    ) -> Result<Option<Vec<u8>>> {
        self.measured(crate::metrics::Op::KvGetSet, || {
            let pk = self.data_key(key)?;
            check_value(value)?;
            let new = encode(Kind::Bytes, self.expiry_for(ttl)?, value);
            self.update_entry(&pk, |cur| {
                let old = bytes_of(&cur, key)?;
                if old.is_none() {
                    kv_may_write(key)?;
                }
                Ok((Write::Put(new.clone()), old))
            })
        })
    }

    /// Removes `key` and returns the bytes it held (Redis `GETDEL`); `None` (and no change) when
    /// it held nothing live.
    pub fn get_delete(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.measured(crate::metrics::Op::KvGetDelete, || {
            let pk = self.data_key(key)?;
            self.update_entry(&pk, |cur| {
                let old = bytes_of(&cur, key)?;
                match old {
                    None => Ok((Write::Keep, None)),
                    Some(v) => {
                        kv_may_remove(Kind::Bytes, key)?;
                        Ok((Write::Delete, Some(v)))
                    }
                }
            })
        })
    }

    /// Writes `value` (with `ttl`) at `key` when `ok` holds for the live bytes there, in one
    /// atomic step; true if it wrote.
    fn write_if(
        &self,
        key: &[u8],
        value: &[u8],
        ttl: Option<Duration>,
        ok: impl Fn(&Option<Vec<u8>>) -> bool,
    ) -> Result<bool> {
        let pk = self.data_key(key)?;
        check_value(value)?;
        let new = encode(Kind::Bytes, self.expiry_for(ttl)?, value);
        self.update_entry(&pk, |cur| {
            let old = bytes_of(&cur, key)?;
            if !ok(&old) {
                return Ok((Write::Keep, false));
            }
            if old.is_none() {
                kv_may_write(key)?;
            }
            Ok((Write::Put(new.clone()), true))
        })
    }
}
