//! Key/value operations with TTL, on any [`Store`] or namespace view.

use crate::backend::caps::{EntryEdit, EntryStep};
use crate::backend::Write;
use crate::error::{Error, ErrorKind, Result};
use crate::leaderboard::{kv_may_remove, kv_may_write};
use crate::store::{check_value, ttl_ms, Store};
use crate::value::{encode, wrong_type, Entry, Kind};
use std::collections::VecDeque;
use std::ops::Bound;
use std::time::Duration;

/// Keys read from the backend per page while iterating.
const PAGE: usize = 256;

impl Store {
    /// Makes `edit` to the live entry at `pk` in one step when the engine can (see
    /// `caps::NativeEntry`); `None`: take the generic path (nothing was changed).
    pub(crate) fn edit_native(
        &self,
        pk: &[u8],
        want: Option<Kind>,
        refuse: &[Kind],
        edit: EntryEdit<'_>,
    ) -> Result<Option<EntryStep>> {
        let now = self.now_ms();
        let step = {
            let backend = self.backend()?;
            match backend.native_entry() {
                Some(n) => n.entry_edit(pk, now, want, refuse, edit)?,
                None => return Ok(None),
            }
        };
        match step {
            EntryStep::Generic => Ok(None),
            EntryStep::Done { changed: true } => {
                self.wrote()?;
                Ok(Some(step))
            }
            _ => Ok(Some(step)),
        }
    }

    pub(crate) fn expiry_for(&self, ttl: Option<Duration>) -> Result<Option<u64>> {
        match ttl {
            None => Ok(None),
            Some(t) if t.is_zero() => Err(Error::invalid("ttl must be greater than zero")),
            Some(t) => Ok(Some(self.now_ms().saturating_add(ttl_ms(t)))),
        }
    }

    /// The bytes stored at `key`, or `None`; `WrongType` if the key holds something else.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.measured(crate::metrics::Op::KvGet, || {
            let pk = self.data_key(key)?;
            match self.read_live(&pk)? {
                None => Ok(None),
                Some(raw) => {
                    let e = Entry::decode(&raw)?;
                    e.expect(Kind::Bytes, key)?;
                    Ok(Some(e.payload.to_vec()))
                }
            }
        })
    }

    /// Stores `value` at `key`, replacing bytes already there, expiring after `ttl` if given.
    /// A key holding another kind (a counter, a lock…) is `WrongType`: delete it first.
    pub fn set(&self, key: &[u8], value: &[u8], ttl: Option<Duration>) -> Result<()> {
        self.measured(crate::metrics::Op::KvSet, || {
            let pk = self.data_key(key)?;
            check_value(value)?;
            let expires_at = self.expiry_for(ttl)?;
            let new = encode(Kind::Bytes, expires_at, value);
            // Only the kind of what is replaced matters: an encrypted store does not open it.
            self.replace_entry(&pk, |cur| {
                match cur {
                    Some(e) => e.expect(Kind::Bytes, key)?,
                    None => kv_may_write(key)?,
                }
                Ok((Write::Put(new.clone()), ()))
            })
        })
    }

    /// Removes `key` whatever it holds (except leaderboard and queue entries, which their own
    /// APIs remove); true if a live key was removed.
    pub fn delete(&self, key: &[u8]) -> Result<bool> {
        self.measured(crate::metrics::Op::KvDelete, || {
            let pk = self.data_key(key)?;
            self.replace_entry(&pk, |cur| match cur {
                None => Ok((Write::Keep, false)),
                Some(e) => {
                    kv_may_remove(e.kind, key)?;
                    Ok((Write::Delete, true))
                }
            })
        })
    }

    /// Whether `key` holds a live value of any kind.
    pub fn exists(&self, key: &[u8]) -> Result<bool> {
        self.measured(crate::metrics::Op::KvExists, || {
            let pk = self.data_key(key)?;
            Ok(self.read_live(&pk)?.is_some())
        })
    }

    /// What `key` holds, or `None` when it is absent or expired.
    pub fn kind_of(&self, key: &[u8]) -> Result<Option<Kind>> {
        self.measured(crate::metrics::Op::KvKindOf, || {
            let pk = self.data_key(key)?;
            match self.read_live(&pk)? {
                None => Ok(None),
                Some(raw) => Ok(Some(Entry::decode(&raw)?.kind)),
            }
        })
    }

    /// Sets `key` (of any kind) to expire after `ttl`; a zero `ttl` deletes it at once.
    /// False when the key does not exist.
    pub fn expire(&self, key: &[u8], ttl: Duration) -> Result<bool> {
        self.measured(crate::metrics::Op::KvExpire, || {
            let pk = self.data_key(key)?;
            let expires_at = self.now_ms().saturating_add(ttl_ms(ttl));
            let zero = ttl.is_zero();
            let edit = if zero {
                EntryEdit::Delete
            } else {
                EntryEdit::Expire(expires_at)
            };
            match self.edit_native(&pk, None, &[Kind::Leaderboard, Kind::Queue], edit)? {
                Some(EntryStep::Done { .. }) => return Ok(true),
                Some(EntryStep::Absent) => return Ok(false),
                Some(EntryStep::WrongKind(k)) => kv_may_remove(k, key)?,
                Some(EntryStep::Generic) | None => {}
            }
            self.update_entry(&pk, |cur| {
                let Some(e) = cur else {
                    return Ok((Write::Keep, false));
                };
                kv_may_remove(e.kind, key)?;
                if zero {
                    return Ok((Write::Delete, true));
                }
                let expiring = encode(e.kind, Some(expires_at), e.payload);
                Ok((Write::Put(expiring), true))
            })
        })
    }

    /// Removes the expiry of `key`; true if it had one.
    pub fn persist(&self, key: &[u8]) -> Result<bool> {
        self.measured(crate::metrics::Op::KvPersist, || {
            let pk = self.data_key(key)?;
            match self.edit_native(&pk, None, &[], EntryEdit::Persist)? {
                Some(EntryStep::Done { changed }) => return Ok(changed),
                Some(EntryStep::Absent) => return Ok(false),
                Some(EntryStep::WrongKind(_) | EntryStep::Generic) | None => {}
            }
            self.update_entry(&pk, |cur| match cur {
                Some(e) if e.expires_at.is_some() => {
                    Ok((Write::Put(encode(e.kind, None, e.payload)), true))
                }
                _ => Ok((Write::Keep, false)),
            })
        })
    }

    /// Time left before `key` expires: `None` when it has no expiry, `NotFound` when it is absent.
    pub fn ttl(&self, key: &[u8]) -> Result<Option<Duration>> {
        self.measured(crate::metrics::Op::KvTtl, || {
            let pk = self.data_key(key)?;
            let raw = self.read_live(&pk)?.ok_or_else(|| not_found(key))?;
            let e = Entry::decode(&raw)?;
            Ok(e.expires_at
                .map(|t| Duration::from_millis(t.saturating_sub(self.now_ms()))))
        })
    }

    /// Live keys starting with `prefix`, in byte order, read lazily page by page.
    pub fn keys(&self, prefix: &[u8]) -> Result<Keys> {
        self.measured(crate::metrics::Op::KvKeys, || {
            drop(self.backend()?);
            let mut start = self.physical_prefix().to_vec();
            start.extend_from_slice(prefix);
            let end = prefix_end(&start);
            Ok(Keys {
                store: self.clone(),
                next: Bound::Included(start),
                end,
                buf: VecDeque::new(),
                done: false,
            })
        })
    }

    /// Values of several keys read as one consistent snapshot.
    pub fn get_many(&self, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>> {
        self.measured(crate::metrics::Op::KvGetMany, || {
            let pks = keys
                .iter()
                .map(|k| self.data_key(k))
                .collect::<Result<Vec<_>>>()?;
            let now = self.now_ms();
            let mut out = Vec::new();
            self.backend()?.transaction(&mut |tx| {
                out.clear();
                for (pk, key) in pks.iter().zip(keys) {
                    let v = match tx.get(pk)? {
                        None => None,
                        Some(raw) => {
                            let e = Entry::decode(&raw)?;
                            if e.expired_at(now) {
                                tx.delete(pk)?;
                                None
                            } else {
                                e.expect(Kind::Bytes, key)?;
                                Some(e.payload.to_vec())
                            }
                        }
                    };
                    out.push(v);
                }
                Ok(())
            })?;
            Ok(out)
        })
    }

    /// Stores every pair atomically (all or nothing), each expiring after `ttl` if given.
    pub fn set_many(&self, items: &[(&[u8], &[u8])], ttl: Option<Duration>) -> Result<()> {
        self.measured(crate::metrics::Op::KvSetMany, || {
            let expires_at = self.expiry_for(ttl)?;
            let mut writes = Vec::with_capacity(items.len());
            for (k, v) in items {
                check_value(v)?;
                writes.push((self.data_key(k)?, encode(Kind::Bytes, expires_at, v), *k));
            }
            // An empty batch still answers for a closed store, as every other call does.
            self.check_open()?;
            if writes.is_empty() {
                return Ok(());
            }
            let now = self.now_ms();
            self.backend()?.transaction(&mut |tx| {
                for (pk, value, key) in &writes {
                    let live = match tx.get(pk)? {
                        Some(raw) => {
                            let e = Entry::decode(&raw)?;
                            (!e.expired_at(now)).then_some(e.kind)
                        }
                        None => None,
                    };
                    match live {
                        Some(kind) if kind != Kind::Bytes => {
                            return Err(wrong_type(key, kind, Kind::Bytes))
                        }
                        Some(_) => {}
                        None => kv_may_write(key)?,
                    }
                    tx.put(pk, value.clone())?;
                }
                Ok(())
            })?;
            self.wrote()
        })
    }

    /// Removes every expired key in this view now; returns how many were removed.
    pub fn purge_expired(&self) -> Result<u64> {
        self.measured(crate::metrics::Op::KvPurgeExpired, || {
            let start = self.physical_prefix().to_vec();
            let end = prefix_end(&start);
            let mut next = Bound::Included(start);
            let mut purged = 0;
            loop {
                let page = {
                    let b = self.backend()?;
                    b.scan(as_ref(&next), as_ref(&end), false, PAGE)?
                };
                let now = self.now_ms();
                for (k, v) in &page {
                    let e = Entry::decode(v)?;
                    if e.expired_at(now)
                        && self.backend()?.compare_and_swap(k, Some(v), None)?.is_ok()
                    {
                        purged += 1;
                    }
                }
                match page.last() {
                    Some((k, _)) if page.len() == PAGE => next = Bound::Excluded(k.clone()),
                    _ => break,
                }
            }
            if purged > 0 {
                self.wrote()?;
            }
            Ok(purged)
        })
    }
}

fn not_found(key: &[u8]) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("key '{}' does not exist", String::from_utf8_lossy(key)),
    )
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k),
        Bound::Excluded(k) => Bound::Excluded(k),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The smallest key greater than every key starting with `prefix`.
pub(crate) fn prefix_end(prefix: &[u8]) -> Bound<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Bound::Excluded(end);
        }
    }
    Bound::Unbounded
}

/// A lazy iterator over live keys (see [`Store::keys`]); yields `Closed` if the store closes.
#[derive(Debug)]
pub struct Keys {
    store: Store,
    next: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    buf: VecDeque<Vec<u8>>,
    done: bool,
}

impl Keys {
    fn refill(&mut self) -> Result<()> {
        let page =
            self.store
                .backend()?
                .scan(as_ref(&self.next), as_ref(&self.end), false, PAGE)?;
        if page.len() < PAGE {
            self.done = true;
        }
        if let Some((k, _)) = page.last() {
            self.next = Bound::Excluded(k.clone());
        }
        let now = self.store.now_ms();
        let strip = self.store.physical_prefix().len();
        for (k, v) in page {
            if !Entry::decode(&v)?.expired_at(now) {
                self.buf.push_back(k[strip..].to_vec());
            }
        }
        Ok(())
    }
}

impl Iterator for Keys {
    type Item = Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        if !self.done && self.store.is_closed() {
            self.done = true;
            self.buf.clear();
            return Some(Err(Error::closed()));
        }
        loop {
            if let Some(k) = self.buf.pop_front() {
                return Some(Ok(k));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.refill() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_handles_ff() {
        assert_eq!(prefix_end(b"ab"), Bound::Excluded(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Bound::Excluded(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), Bound::Unbounded);
    }
}
