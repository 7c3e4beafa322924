//! The small storage trait every primitive is written against, and its backends.
//!
//! The trait is deliberately narrow (point ops, compare-and-swap, read-modify-write, atomic batch,
//! transactions over known keys, paged ordered scans, flush) so that a networked store such as
//! Redis could implement it later with the same atomicity (GET/SET, WATCH/MULTI, SCAN).

pub(crate) mod caps;
pub(crate) mod codec;
pub(crate) mod lmdb;
pub(crate) mod memory;
pub(crate) mod redis;
pub(crate) mod sled;

use crate::error::Result;
use std::ops::Bound;

/// What a read-modify-write closure decided to do with a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Write {
    /// Store this value.
    Put(Vec<u8>),
    /// Remove the key.
    Delete,
    /// Leave the key as it is.
    Keep,
}

/// A view of the store inside a [`Backend::transaction`]: reads see the transaction's own writes.
pub(crate) trait Txn {
    /// The current value of `key`.
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Stores `value` at `key` when the transaction commits.
    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<()>;
    /// Removes `key` when the transaction commits.
    fn delete(&mut self, key: &[u8]) -> Result<()>;
}

/// One ordered key/value page from [`Backend::scan`].
pub(crate) type Page = Vec<(Vec<u8>, Vec<u8>)>;

/// An ordered byte-key store with atomic single-key and known-key multi-key updates.
pub(crate) trait Backend: Send + Sync {
    /// The value at `key`.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Stores `value` at `key`.
    fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<()>;
    /// Removes `key`, returning the old value.
    fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Replaces `expected` with `new` atomically; on mismatch returns the current value in `Err`.
    fn compare_and_swap(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<Result<(), Option<Vec<u8>>>>;
    /// Atomically applies `f` to the current value; `f` may run several times, so keep it pure.
    fn update(&self, key: &[u8], f: &mut dyn FnMut(Option<&[u8]>) -> Result<Write>) -> Result<()> {
        loop {
            let current = self.get(key)?;
            let new = match f(current.as_deref())? {
                Write::Keep => return Ok(()),
                Write::Put(v) => Some(v),
                Write::Delete => {
                    if current.is_none() {
                        return Ok(());
                    }
                    None
                }
            };
            if self.compare_and_swap(key, current.as_deref(), new)?.is_ok() {
                return Ok(());
            }
        }
    }
    /// [`Backend::update`] for an `f` that reads only the envelope header (kind, expiry) of the
    /// current value: a wrapper may hand it the header alone (see `codec`).
    fn update_header(
        &self,
        key: &[u8],
        f: &mut dyn FnMut(Option<&[u8]>) -> Result<Write>,
    ) -> Result<()> {
        self.update(key, f)
    }
    /// Applies every put (`Some`) and delete (`None`) atomically.
    #[allow(dead_code)] // part of the storage contract; exercised by the backend tests
    fn apply_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<()>;
    /// Runs `f` as one serializable transaction over the keys it touches; `f` may run several times.
    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<()>) -> Result<()>;
    /// Up to `limit` entries in `[start, end)` order (descending when `reverse`).
    fn scan(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Page>;
    /// Makes every completed write durable; returns when the data is fsynced.
    fn flush(&self) -> Result<()>;
    /// Bytes the store occupies on disk (0 in memory).
    fn size_on_disk(&self) -> Result<u64>;
    /// True when this engine is the only writer of the data (sled holds its directory for one
    /// process), so state the core derives from the data may be kept in memory and trusted.
    /// Otherwise another process (or [`crate::Store::second_engine_for_tests`]) may write at any
    /// moment, and such state must be stored or checked against the store in the same
    /// transaction. The memory backend says false on purpose: it is the model every shared-store
    /// path is tested on.
    fn exclusive(&self) -> bool {
        false
    }
    /// Native counters, when this engine has them (see [`caps`]).
    fn native_counter(&self) -> Option<&dyn caps::NativeCounter> {
        None
    }
    /// Native locks, when this engine has them (see [`caps`]).
    fn native_lock(&self) -> Option<&dyn caps::NativeLock> {
        None
    }
    /// Native edits of one entry (sessions, expiries), when this engine has them (see [`caps`]).
    fn native_entry(&self) -> Option<&dyn caps::NativeEntry> {
        None
    }
    /// Native queues, when this engine has them (see [`caps`]).
    fn native_queue(&self) -> Option<&dyn caps::NativeQueue> {
        None
    }
    /// Native leaderboards, when this engine has them (see [`caps`]).
    fn native_leaderboard(&self) -> Option<&dyn caps::NativeLeaderboard> {
        None
    }
    /// Native rate limiters, when this engine has them (see [`caps`]).
    fn native_rate_limit(&self) -> Option<&dyn caps::NativeRateLimit> {
        None
    }
    /// The engine under a wrapper such as [`codec::CodecBackend`], to wrap it anew.
    fn unwrapped(&self) -> Option<std::sync::Arc<dyn Backend>> {
        None
    }
}

/// The `(device, inode)` of a store's file as opened, to notice it deleted or replaced later.
pub(crate) fn file_identity(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// `Io` unless the file at `path` is still the one opened (`identity`). A deleted (or replaced)
/// store directory leaves an engine writing into unlinked files: every write "succeeds" and is
/// gone at close. Engines call this at each flush, to say so at the first one instead.
pub(crate) fn check_still_there(path: &std::path::Path, identity: (u64, u64)) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if file_identity(&meta) == identity => Ok(()),
        _ => Err(crate::error::Error::new(
            crate::error::ErrorKind::Io,
            format!(
                "the store's file {} was deleted or replaced while the store was open; writes \
                 since then are not on disk (close the store and reopen it)",
                path.display()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind};

    fn backends() -> Vec<(Box<dyn Backend>, Option<tempdir::Dir>)> {
        let dir = tempdir::Dir::new();
        let sled = sled::SledBackend::open(dir.path(), Some(100)).unwrap();
        let ldir = tempdir::Dir::new();
        std::fs::create_dir_all(ldir.path()).unwrap();
        let lmdb = lmdb::LmdbBackend::open(ldir.path(), Some(100)).unwrap();
        vec![
            (Box::new(memory::MemoryBackend::default()), None),
            (Box::new(sled), Some(dir)),
            (Box::new(lmdb), Some(ldir)),
        ]
    }

    mod tempdir {
        /// A temporary directory removed on drop, so engine tests leave nothing behind.
        pub struct Dir(std::path::PathBuf);
        impl Dir {
            /// A fresh path (not yet created) under the system temp dir, unique per call.
            pub fn new() -> Self {
                let p = std::env::temp_dir().join(format!(
                    "grove-backend-{}-{}",
                    std::process::id(),
                    crate::random::hex_token(8).unwrap()
                ));
                Dir(p)
            }
            /// Where the directory is.
            pub fn path(&self) -> &std::path::Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn point_ops_cas_and_update() {
        for (b, _dir) in backends() {
            assert_eq!(b.get(b"a").unwrap(), None);
            b.insert(b"a", b"1".to_vec()).unwrap();
            assert_eq!(b.get(b"a").unwrap(), Some(b"1".to_vec()));
            assert_eq!(
                b.compare_and_swap(b"a", Some(b"2"), Some(b"3".to_vec()))
                    .unwrap(),
                Err(Some(b"1".to_vec()))
            );
            assert_eq!(
                b.compare_and_swap(b"a", Some(b"1"), Some(b"3".to_vec()))
                    .unwrap(),
                Ok(())
            );
            assert_eq!(
                b.compare_and_swap(b"new", None, Some(b"x".to_vec()))
                    .unwrap(),
                Ok(())
            );
            b.update(b"a", &mut |cur| {
                assert_eq!(cur, Some(&b"3"[..]));
                Ok(Write::Put(b"4".to_vec()))
            })
            .unwrap();
            assert_eq!(b.get(b"a").unwrap(), Some(b"4".to_vec()));
            let err = b
                .update(b"a", &mut |_| Err(Error::invalid("no")))
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert_eq!(b.get(b"a").unwrap(), Some(b"4".to_vec()));
            b.update(b"a", &mut |_| Ok(Write::Delete)).unwrap();
            assert_eq!(b.get(b"a").unwrap(), None);
            assert_eq!(b.remove(b"new").unwrap(), Some(b"x".to_vec()));
            assert_eq!(b.remove(b"new").unwrap(), None);
        }
    }

    #[test]
    fn batch_transaction_and_scan() {
        for (b, _dir) in backends() {
            b.apply_batch(vec![
                (b"k1".to_vec(), Some(b"v1".to_vec())),
                (b"k2".to_vec(), Some(b"v2".to_vec())),
                (b"k3".to_vec(), Some(b"v3".to_vec())),
                (b"k2".to_vec(), None),
            ])
            .unwrap();
            let all = b
                .scan(Bound::Unbounded, Bound::Unbounded, false, 10)
                .unwrap();
            assert_eq!(
                all.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
                vec![b"k1".to_vec(), b"k3".to_vec()]
            );
            let rev = b
                .scan(Bound::Included(b"k1"), Bound::Excluded(b"k9"), true, 1)
                .unwrap();
            assert_eq!(rev, vec![(b"k3".to_vec(), b"v3".to_vec())]);
            // A failing transaction changes nothing.
            let err = b
                .transaction(&mut |tx| {
                    tx.put(b"k1", b"changed".to_vec())?;
                    assert_eq!(tx.get(b"k1")?, Some(b"changed".to_vec()));
                    Err(Error::invalid("abort"))
                })
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument);
            assert_eq!(b.get(b"k1").unwrap(), Some(b"v1".to_vec()));
            b.transaction(&mut |tx| {
                let v = tx.get(b"k1")?.unwrap();
                tx.put(b"k4", v)?;
                tx.delete(b"k1")
            })
            .unwrap();
            assert_eq!(b.get(b"k1").unwrap(), None);
            assert_eq!(b.get(b"k4").unwrap(), Some(b"v1".to_vec()));
            b.flush().unwrap();
        }
    }
}
