//! The in-memory backend: same semantics as sled, nothing on disk; also the reference model.

use super::{Backend, Page, Txn, Write};
use crate::error::Result;
use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// An ordered map behind one reader-writer lock; every write is atomic by holding it.
///
/// std's lock, not parking_lot 0.11's (the version sled pins): Miri reports a data race between a
/// read guard and a write guard of parking_lot 0.11's RwLock (parking_lot issue #294) and none
/// with std's, and this backend is the reference model the other tests trust.
#[derive(Default)]
pub(crate) struct MemoryBackend {
    map: RwLock<BTreeMap<Vec<u8>, Vec<u8>>>,
}

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

impl MemoryBackend {
    /// Reads the map; a panic in another holder cannot leave it half-written (every write is a
    /// single map operation or a batch applied after its checks), so poisoning is ignored.
    fn read(&self) -> RwLockReadGuard<'_, Map> {
        self.map.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes the map (poisoning ignored, as for [`MemoryBackend::read`]).
    fn write(&self) -> RwLockWriteGuard<'_, Map> {
        self.map.write().unwrap_or_else(PoisonError::into_inner)
    }
}

struct MemTxn<'a> {
    map: &'a BTreeMap<Vec<u8>, Vec<u8>>,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Txn for MemTxn<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if let Some(w) = self.writes.get(key) {
            return Ok(w.clone());
        }
        Ok(self.map.get(key).cloned())
    }
    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<()> {
        self.writes.insert(key.to_vec(), Some(value));
        Ok(())
    }
    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.writes.insert(key.to_vec(), None);
        Ok(())
    }
}

fn owned(b: Bound<&[u8]>) -> Bound<Vec<u8>> {
    match b {
        Bound::Included(k) => Bound::Included(k.to_vec()),
        Bound::Excluded(k) => Bound::Excluded(k.to_vec()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

impl Backend for MemoryBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.read().get(key).cloned())
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<()> {
        self.write().insert(key.to_vec(), value);
        Ok(())
    }

    fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.write().remove(key))
    }

    fn compare_and_swap(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<Result<(), Option<Vec<u8>>>> {
        let mut map = self.write();
        let current = map.get(key).map(|v| v.as_slice());
        if current != expected {
            return Ok(Err(current.map(|v| v.to_vec())));
        }
        match new {
            Some(v) => {
                map.insert(key.to_vec(), v);
            }
            None => {
                map.remove(key);
            }
        }
        Ok(Ok(()))
    }

    fn update(&self, key: &[u8], f: &mut dyn FnMut(Option<&[u8]>) -> Result<Write>) -> Result<()> {
        let mut map = self.write();
        match map.get_mut(key) {
            Some(slot) => match f(Some(slot))? {
                Write::Put(v) => *slot = v,
                Write::Delete => {
                    map.remove(key);
                }
                Write::Keep => {}
            },
            None => {
                if let Write::Put(v) = f(None)? {
                    map.insert(key.to_vec(), v);
                }
            }
        }
        Ok(())
    }

    fn apply_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<()> {
        let mut map = self.write();
        for (k, v) in ops {
            match v {
                Some(v) => {
                    map.insert(k, v);
                }
                None => {
                    map.remove(&k);
                }
            }
        }
        Ok(())
    }

    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<()>) -> Result<()> {
        let mut map = self.write();
        let mut tx = MemTxn {
            map: &map,
            writes: BTreeMap::new(),
        };
        f(&mut tx)?;
        let writes = std::mem::take(&mut tx.writes);
        for (k, v) in writes {
            match v {
                Some(v) => {
                    map.insert(k, v);
                }
                None => {
                    map.remove(&k);
                }
            }
        }
        Ok(())
    }

    fn scan(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Page> {
        let map = self.read();
        let range = map.range::<Vec<u8>, _>((owned(start), owned(end)));
        let clone = |(k, v): (&Vec<u8>, &Vec<u8>)| (k.clone(), v.clone());
        Ok(if reverse {
            range.rev().take(limit).map(clone).collect()
        } else {
            range.take(limit).map(clone).collect()
        })
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn size_on_disk(&self) -> Result<u64> {
        Ok(0)
    }
}
