//! The LMDB backend (through heed 0.23), behind `lmdb:PATH`: every process of one machine may
//! open the same store at once. Nothing heed-specific leaves this file.
//!
//! What LMDB gives: one write transaction at a time across all processes, serialized by a robust
//! mutex in `lock.mdb` (a writer that dies mid-transaction is detected and its transaction
//! discarded); readers are lock-free MVCC snapshots; the copy-on-write B+tree never needs a
//! recovery step after a crash. So every read-modify-write here is one write transaction:
//! atomic across processes with no retry loop.
//!
//! Durability mirrors sled: the environment is opened with `NO_SYNC`, so a commit reaches the OS
//! page cache (a process crash loses nothing committed) and [`Backend::flush`] is one
//! `mdb_env_sync`; the store's group commit (`EveryWrite`) and the periodic flusher below
//! (`Periodic`) decide when. The LMDB manual's wording for `MDB_NOSYNC`: a system crash (power
//! loss, kernel panic) between syncs can lose the last transactions, and can corrupt the database
//! unless the filesystem preserves write order.
//!
//! Limits: local filesystems only, never NFS or other network filesystems (the lock file relies
//! on shared memory and POSIX locks of one kernel); the data file never shrinks (freed pages are
//! reused); a long-lived read transaction pins old pages (scans here are one short read
//! transaction per page); an environment does not survive `fork()`, so a pre-forking server
//! opens the store in each worker (use from a forked child is refused with a clear error).

#![allow(unsafe_code)] // heed's unsafe `flags`, `open` and `resize` only, each with a SAFETY note

use super::{Backend, Page, Txn, Write};
use crate::error::{Error, ErrorKind, Result};
use crate::sync::RwLock;
use heed::types::Bytes;
use heed::{CommitOrAbort, Database, Env, EnvFlags, EnvOpenOptions, MdbError, RwTxn, WithoutTls};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

/// The map reserved at open: address space, not disk, so a large value costs nothing until used
/// and no user ever has to size the store.
#[cfg(target_pointer_width = "64")]
const MAP_SIZE: usize = 1 << 40;
#[cfg(not(target_pointer_width = "64"))]
const MAP_SIZE: usize = 1 << 30;

/// Reader slots in `lock.mdb`, shared by every process (LMDB's default of 126 is easily reached
/// by a few multi-threaded processes reading at once).
const MAX_READERS: u32 = 1024;

/// Smaller reservations tried when the address space is limited.
const FALLBACK_MAP_SIZES: [usize; 3] = [1 << 36, 1 << 32, 1 << 28];

/// `ENOMEM` on Linux and the BSDs: the map did not fit in the address space.
const ENOMEM: i32 = 12;
/// `EINVAL` on Linux: valgrind's mmap refuses a length as large as the reservation.
const EINVAL: i32 = 22;

/// The data file LMDB keeps in the store directory.
pub(crate) const DATA_FILE: &str = "data.mdb";

type Db = Database<'static, Bytes, Bytes>;

/// An LMDB environment used through its unnamed database.
pub(crate) struct LmdbBackend {
    /// The only strong reference: the flusher holds a weak one, so that a forked child, where
    /// the flusher thread does not exist, can still close its copy of the environment (heed
    /// refuses to open a path again while any clone of its environment lives).
    env: Arc<Env<WithoutTls>>,
    db: Db,
    /// Held shared by every transaction of this process and exclusively by a map resize, which
    /// LMDB allows only while this process has no transaction open.
    gate: RwLock<()>,
    /// The longest key this environment stores (LMDB's limit, from the page size).
    max_key: usize,
    /// `data.mdb`, for [`Backend::size_on_disk`] and to notice it deleted or replaced under us.
    data_file: PathBuf,
    /// `(device, inode)` of `data.mdb` when opened.
    identity: (u64, u64),
    /// The process that opened the environment: LMDB environments do not survive `fork()`.
    opened_by: u32,
    /// The periodic flusher; dropping the sender stops it.
    flusher: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

/// Why a write transaction has to start over.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// The map is full: grow it.
    Grow,
    /// Another process grew the map beyond ours: adopt its size.
    Adopt,
}

/// Maps a heed error to a Grove error, naming what was being done.
fn map_err(e: heed::Error) -> Error {
    match e {
        heed::Error::Io(io) => Error::new(ErrorKind::Io, format!("lmdb: {io}")),
        heed::Error::Mdb(m) => match m {
            MdbError::Corrupted | MdbError::PageNotFound | MdbError::Invalid => {
                Error::corrupt(format!("lmdb reported corruption: {m}"))
            }
            MdbError::VersionMismatch => Error::corrupt(format!(
                "lmdb: the store was written by an incompatible LMDB version: {m}"
            )),
            MdbError::BadValSize => Error::invalid(format!("lmdb: key or value size: {m}")),
            MdbError::ReadersFull => Error::new(
                ErrorKind::Io,
                format!("lmdb: every reader slot ({MAX_READERS}) is in use: {m}"),
            ),
            other => Error::new(ErrorKind::Internal, format!("lmdb: {other}")),
        },
        heed::Error::EnvAlreadyOpened => Error::new(
            ErrorKind::Internal,
            "lmdb: the environment is already open in this process",
        ),
        other => Error::new(ErrorKind::Internal, format!("lmdb: {other}")),
    }
}

/// Prefixes an error with the store being opened.
fn in_dir(dir: &Path) -> impl Fn(Error) -> Error + Copy + '_ {
    move |e: Error| {
        Error::new(
            e.kind(),
            format!("opening lmdb store {}: {}", dir.display(), e.message()),
        )
    }
}

/// Whether a heed error asks for a restart of the write transaction, and which.
fn retry_of(e: &heed::Error) -> Option<Retry> {
    match e {
        heed::Error::Mdb(MdbError::MapFull) => Some(Retry::Grow),
        heed::Error::Mdb(MdbError::MapResized) => Some(Retry::Adopt),
        _ => None,
    }
}

/// One write transaction in progress, remembering a map-size condition seen by any of its calls
/// (the closure of `update`/`transaction` may turn it into its own error, so it is kept aside).
struct WriteCx<'t, 'e> {
    txn: &'t mut RwTxn<'e>,
    db: Db,
    max_key: usize,
    retry: Option<Retry>,
}

impl WriteCx<'_, '_> {
    fn note(&mut self, e: heed::Error) -> Error {
        if let Some(r) = retry_of(&e) {
            self.retry = Some(r);
        }
        map_err(e)
    }
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        check_key(key, self.max_key)?;
        match self.db.get(self.txn, key) {
            Ok(v) => Ok(v.map(<[u8]>::to_vec)),
            Err(e) => Err(self.note(e)),
        }
    }
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        check_key(key, self.max_key)?;
        self.db.put(self.txn, key, value).map_err(|e| self.note(e))
    }
    fn delete(&mut self, key: &[u8]) -> Result<bool> {
        check_key(key, self.max_key)?;
        self.db.delete(self.txn, key).map_err(|e| self.note(e))
    }
}

impl Txn for WriteCx<'_, '_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        WriteCx::get(self, key)
    }
    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<()> {
        WriteCx::put(self, key, &value)
    }
    fn delete(&mut self, key: &[u8]) -> Result<()> {
        WriteCx::delete(self, key).map(|_| ())
    }
}

/// Refuses a key LMDB cannot store (empty, or longer than the environment's limit) up front, so
/// it is a clear `InvalidArgument` and never an LMDB error mid-transaction.
fn check_key(key: &[u8], max: usize) -> Result<()> {
    if key.is_empty() || key.len() > max {
        return Err(Error::invalid(format!(
            "key is {} bytes with its namespace prefix; the lmdb engine stores 1 to {max}",
            key.len()
        )));
    }
    Ok(())
}

impl LmdbBackend {
    /// Opens (creating if needed) the LMDB environment in the existing directory `dir`.
    ///
    /// `flush_every_ms` is the period of the background flush; `None` disables it.
    pub(crate) fn open(dir: &Path, flush_every_ms: Option<u64>) -> Result<Self> {
        Self::open_sized(dir, flush_every_ms, MAP_SIZE)
    }

    /// [`LmdbBackend::open`] with an initial map of `map_size` bytes (tests use a small one to
    /// exercise growth).
    pub(crate) fn open_sized(
        dir: &Path,
        flush_every_ms: Option<u64>,
        map_size: usize,
    ) -> Result<Self> {
        let in_dir = in_dir(dir);
        // A process under an address-space limit (`ulimit -v`: ENOMEM) or under valgrind (whose
        // mmap refuses such a length: EINVAL) cannot map 1 TiB: try smaller reservations before
        // giving up; the map still grows on demand from there.
        let mut sizes = vec![map_size];
        sizes.extend(FALLBACK_MAP_SIZES.iter().copied().filter(|&s| s < map_size));
        let mut last = None;
        for size in sizes {
            match Self::open_env(dir, size) {
                Err(heed::Error::Io(e)) if matches!(e.raw_os_error(), Some(ENOMEM | EINVAL)) => {
                    last = Some(e)
                }
                other => {
                    let env = other.map_err(|e| in_dir(map_err(e)))?;
                    return Self::with_env(dir, env, flush_every_ms);
                }
            }
        }
        let e = last.map_or_else(|| Error::invalid("no map size"), |e| map_err(e.into()));
        Err(in_dir(e))
    }

    /// Opens the environment with a map of `map_size` bytes.
    fn open_env(dir: &Path, map_size: usize) -> heed::Result<Env<WithoutTls>> {
        let mut opts = EnvOpenOptions::new().read_txn_without_tls();
        opts.map_size(map_size).max_readers(MAX_READERS);
        // SAFETY: `NO_SYNC` is unsafe only in that commits are not fsynced; durability is
        // restored by `flush` (`mdb_env_sync`), which the store calls per its durability mode
        // (group commit or the periodic flusher below), as documented in the file header.
        unsafe {
            opts.flags(EnvFlags::NO_SYNC);
        }
        // SAFETY: heed's rules for `open`: (1) one environment per path per process — the Store
        // registry opens each canonical path once and heed's own registry refuses a second open
        // (`EnvAlreadyOpened`); (2) the files are only modified through LMDB — Grove never
        // touches `data.mdb`/`lock.mdb` and refuses a directory that holds a sled store;
        // (3) `NO_LOCK` is not used, so LMDB's lock file serializes every process; (4) no
        // transaction outlives its function here, so none is open when a process aborts except
        // the one a crash interrupts, which LMDB's robust mutex and stale-reader check recover.
        // Network filesystems are excluded by documentation (file header, README).
        unsafe { opts.open(dir) }
    }

    /// Finishes opening: clears stale readers, creates the database, starts the flusher.
    fn with_env(dir: &Path, env: Env<WithoutTls>, flush_every_ms: Option<u64>) -> Result<Self> {
        let in_dir = in_dir(dir);
        // Reader slots of processes that died holding them would pin pages forever.
        env.clear_stale_readers().map_err(|e| in_dir(map_err(e)))?;
        let db = loop {
            let wtxn = match env.write_txn() {
                Err(e) if retry_of(&e) == Some(Retry::Adopt) => {
                    adopt_map_size(&env).map_err(in_dir)?;
                    continue;
                }
                other => other.map_err(|e| in_dir(map_err(e)))?,
            };
            let created = env.create_databases_and_commit(wtxn, |opener, wtxn| {
                opener
                    .create_database::<Bytes, Bytes>(wtxn, None)
                    .map(CommitOrAbort::<_, ()>::Commit)
            });
            match created {
                Ok(c) => break c.unwrap_commit(),
                Err(e) if retry_of(&e) == Some(Retry::Grow) => {
                    grow_map(&env).map_err(in_dir)?;
                }
                Err(e) => return Err(in_dir(map_err(e))),
            }
        };
        let max_key = env.max_key_size();
        let data_file = dir.join(DATA_FILE);
        let identity = identity(&data_file).map_err(in_dir)?;
        let env = Arc::new(env);
        let flusher = flush_every_ms.map(|ms| {
            let (stop, wait) = mpsc::channel::<()>();
            let env = Arc::downgrade(&env);
            let thread = std::thread::Builder::new()
                .name("grove-lmdb-flush".into())
                .spawn(move || {
                    // A failed background sync is seen again by the next explicit flush.
                    while let Err(mpsc::RecvTimeoutError::Timeout) =
                        wait.recv_timeout(Duration::from_millis(ms))
                    {
                        let Some(env) = env.upgrade() else { break };
                        let _ = env.force_sync();
                    }
                })
                .map_err(|e| in_dir(Error::new(ErrorKind::Io, format!("flush thread: {e}"))));
            thread.map(|t| (stop, t))
        });
        Ok(LmdbBackend {
            env,
            db,
            gate: RwLock::new(()),
            max_key,
            data_file,
            identity,
            opened_by: std::process::id(),
            flusher: flusher.transpose()?,
        })
    }

    /// Runs `f` in one write transaction and commits it when `f` says so (`Ok((true, _))`);
    /// starts over, after fixing the map, when LMDB reports it full or resized elsewhere.
    fn write<T>(&self, mut f: impl FnMut(&mut WriteCx<'_, '_>) -> Result<(bool, T)>) -> Result<T> {
        self.check_process()?;
        loop {
            let retry = {
                let _gate = self.gate.read();
                let mut txn = match self.env.write_txn() {
                    Ok(t) => t,
                    Err(e) => match retry_of(&e) {
                        Some(r) => {
                            drop(_gate);
                            self.fix_map(r)?;
                            continue;
                        }
                        None => return Err(map_err(e)),
                    },
                };
                let mut cx = WriteCx {
                    txn: &mut txn,
                    db: self.db,
                    max_key: self.max_key,
                    retry: None,
                };
                let out = f(&mut cx);
                match (cx.retry, out) {
                    (Some(r), _) => r, // dropping `txn` aborts it
                    (None, Err(e)) => return Err(e),
                    (None, Ok((false, v))) => return Ok(v),
                    (None, Ok((true, v))) => match txn.commit() {
                        Ok(()) => return Ok(v),
                        Err(e) => match retry_of(&e) {
                            Some(r) => r,
                            None => return Err(map_err(e)),
                        },
                    },
                }
            };
            self.fix_map(retry)?;
        }
    }

    /// Grows or adopts the map with no transaction of this process open.
    fn fix_map(&self, r: Retry) -> Result<()> {
        let _excl = self.gate.write();
        match r {
            Retry::Grow => grow_map(&self.env),
            Retry::Adopt => adopt_map_size(&self.env),
        }
    }
}

/// `(device, inode)` of the file at `path`, to tell whether it is still the file we opened.
fn identity(path: &Path) -> Result<(u64, u64)> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::new(ErrorKind::Io, format!("{}: {e}", path.display())))?;
    Ok(super::file_identity(&meta))
}

/// Doubles the map. Called only with no transaction of this process open.
fn grow_map(env: &Env<WithoutTls>) -> Result<()> {
    let size = env.info().map_size;
    let page = 1 << 16; // a multiple of every page size LMDB runs with
    let new = size
        .checked_mul(2)
        .map(|n| n.div_ceil(page) * page)
        .ok_or_else(|| Error::new(ErrorKind::Io, "lmdb: the map cannot grow any further"))?;
    // SAFETY: LMDB allows `mdb_env_set_mapsize` while this process has no transaction open;
    // every transaction of this environment runs under `gate.read()` and the caller holds
    // `gate.write()` (or, at open, no other thread has the environment yet).
    unsafe { env.resize(new) }.map_err(map_err)
}

/// Adopts the map size another process has set (LMDB's `mdb_env_set_mapsize(0)`).
fn adopt_map_size(env: &Env<WithoutTls>) -> Result<()> {
    // SAFETY: as in `grow_map`: no transaction of this process is open.
    unsafe { env.resize(0) }.map_err(map_err)
}

impl Drop for LmdbBackend {
    fn drop(&mut self) {
        // Stop and join the flusher so no upgrade of its weak reference outlives us: heed
        // closes the environment (and a reopen may follow) only once every clone is dropped.
        if let Some((stop, thread)) = self.flusher.take() {
            drop(stop);
            if std::process::id() == self.opened_by {
                let _ = thread.join();
            } else {
                // A forked child: the thread was not copied by fork(); there is nothing to join.
                std::mem::forget(thread);
            }
        }
    }
}

impl Backend for LmdbBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        check_key(key, self.max_key)?;
        self.read(|rtxn| Ok(self.db.get(rtxn, key).map_err(map_err)?.map(<[u8]>::to_vec)))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<()> {
        check_key(key, self.max_key)?;
        self.write(|cx| cx.put(key, &value).map(|()| (true, ())))
    }

    fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        check_key(key, self.max_key)?;
        self.write(|cx| {
            let old = cx.get(key)?;
            if old.is_some() {
                cx.delete(key)?;
            }
            Ok((old.is_some(), old))
        })
    }

    fn compare_and_swap(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<Result<(), Option<Vec<u8>>>> {
        check_key(key, self.max_key)?;
        self.write(|cx| {
            let current = cx.get(key)?;
            if current.as_deref() != expected {
                return Ok((false, Err(current)));
            }
            match &new {
                Some(v) => cx.put(key, v)?,
                None => {
                    cx.delete(key)?;
                }
            }
            Ok((true, Ok(())))
        })
    }

    fn update(&self, key: &[u8], f: &mut dyn FnMut(Option<&[u8]>) -> Result<Write>) -> Result<()> {
        check_key(key, self.max_key)?;
        self.write(|cx| {
            let current = cx.get(key)?;
            match f(current.as_deref())? {
                Write::Keep => Ok((false, ())),
                Write::Put(v) => cx.put(key, &v).map(|()| (true, ())),
                Write::Delete if current.is_none() => Ok((false, ())),
                Write::Delete => cx.delete(key).map(|_| (true, ())),
            }
        })
    }

    fn apply_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<()> {
        for (k, _) in &ops {
            check_key(k, self.max_key)?;
        }
        self.write(|cx| {
            for (k, v) in &ops {
                match v {
                    Some(v) => cx.put(k, v)?,
                    None => {
                        cx.delete(k)?;
                    }
                }
            }
            Ok((true, ()))
        })
    }

    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<()>) -> Result<()> {
        self.write(|cx| f(cx).map(|()| (true, ())))
    }

    fn scan(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Page> {
        // LMDB positions a cursor with the bound as a key, so it has to be a storable key.
        // Nothing sorts before the empty key, and no stored key is empty.
        let start = match start {
            Bound::Included([]) | Bound::Excluded([]) => Bound::Unbounded,
            b => b,
        };
        if let Bound::Included([]) | Bound::Excluded([]) = end {
            return Ok(Vec::new());
        }
        for b in [start, end] {
            if let Bound::Included(k) | Bound::Excluded(k) = b {
                check_key(k, self.max_key)?;
            }
        }
        if limit == 0 {
            return Ok(Vec::new());
        }
        let range = (start, end);
        self.read(|rtxn| {
            let mut out = Vec::with_capacity(limit.min(1024));
            let mut push = |item: heed::Result<(&[u8], &[u8])>| -> Result<bool> {
                let (k, v) = item.map_err(map_err)?;
                out.push((k.to_vec(), v.to_vec()));
                Ok(out.len() < limit)
            };
            if reverse {
                for item in self.db.rev_range(rtxn, &range).map_err(map_err)? {
                    if !push(item)? {
                        break;
                    }
                }
            } else {
                for item in self.db.range(rtxn, &range).map_err(map_err)? {
                    if !push(item)? {
                        break;
                    }
                }
            }
            Ok(out)
        })
    }

    fn flush(&self) -> Result<()> {
        self.env.force_sync().map_err(|e| {
            let e = map_err(e);
            Error::new(e.kind(), format!("syncing the lmdb store: {}", e.message()))
        })?;
        super::check_still_there(&self.data_file, self.identity)
    }

    fn size_on_disk(&self) -> Result<u64> {
        Ok(std::fs::metadata(&self.data_file)?.len())
    }
}

impl LmdbBackend {
    /// Refuses use from a child forked after the open (a pre-forking server that opened the store
    /// before forking workers): LMDB's lock table and reader slots belong to the opener, and
    /// using them from the child corrupts its locking.
    fn check_process(&self) -> Result<()> {
        if std::process::id() == self.opened_by {
            return Ok(());
        }
        Err(Error::invalid(format!(
            "this lmdb store was opened by process {} before a fork(); an LMDB environment \
             cannot be used across fork: open the store in each worker after forking (for \
             example not in a gunicorn --preload app, but in post_fork)",
            self.opened_by
        )))
    }

    /// Runs `f` in one read transaction, first adopting a map another process grew.
    fn read<T>(&self, f: impl FnOnce(&heed::RoTxn<'_, WithoutTls>) -> Result<T>) -> Result<T> {
        self.check_process()?;
        loop {
            let gate = self.gate.read();
            match self.env.read_txn() {
                Ok(rtxn) => return f(&rtxn),
                Err(e) if retry_of(&e) == Some(Retry::Adopt) => {
                    drop(gate);
                    self.fix_map(Retry::Adopt)?;
                }
                Err(e) => return Err(map_err(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    /// 100 values of 64 KiB under `tag`: 6.4 MiB, several times a 1 MiB map.
    fn fill(b: &LmdbBackend, tag: &str) {
        for i in 0..100 {
            b.insert(format!("{tag}{i:03}").as_bytes(), vec![i as u8; 64 * 1024])
                .unwrap();
        }
    }

    fn check_filled(b: &LmdbBackend, tag: &str) {
        for i in 0..100 {
            let v = b.get(format!("{tag}{i:03}").as_bytes()).unwrap().unwrap();
            assert_eq!(v, vec![i as u8; 64 * 1024]);
        }
    }

    #[test]
    fn a_full_map_grows_without_losing_a_write() {
        let d = dir();
        let b = LmdbBackend::open_sized(d.path(), None, 1 << 20).unwrap();
        fill(&b, "a");
        check_filled(&b, "a");
        assert!(b.env.info().map_size > 1 << 20);
        // A transaction too big for the grown map retries whole, not half-applied.
        let ops = (0..50)
            .map(|i| (format!("t{i:03}").into_bytes(), Some(vec![7u8; 256 * 1024])))
            .collect();
        b.apply_batch(ops).unwrap();
        assert_eq!(
            b.scan(Bound::Included(b"t"), Bound::Excluded(b"u"), false, 100)
                .unwrap()
                .len(),
            50
        );
    }

    #[test]
    fn the_reserved_map_costs_no_disk() {
        let d = dir();
        let b = LmdbBackend::open(d.path(), None).unwrap();
        b.insert(b"k", b"v".to_vec()).unwrap();
        b.flush().unwrap();
        assert_eq!(b.env.info().map_size, MAP_SIZE);
        let size = b.size_on_disk().unwrap();
        assert!(size > 0 && size < 1 << 20, "data file is {size} bytes");
    }

    #[test]
    fn keys_lmdb_cannot_store_are_invalid_argument_not_a_panic() {
        let d = dir();
        let b = LmdbBackend::open(d.path(), None).unwrap();
        assert!(b.max_key >= 1024 + 64, "longer-keys is on: {}", b.max_key);
        let long = vec![b'x'; b.max_key + 1];
        let kind = |r: Result<()>| r.unwrap_err().kind();
        assert_eq!(
            kind(b.insert(&long, vec![]).map(|_| ())),
            ErrorKind::InvalidArgument
        );
        assert_eq!(kind(b.get(&long).map(|_| ())), ErrorKind::InvalidArgument);
        assert_eq!(kind(b.insert(b"", vec![])), ErrorKind::InvalidArgument);
        assert_eq!(
            kind(b.transaction(&mut |tx| tx.put(&long, vec![]))),
            ErrorKind::InvalidArgument
        );
        let longest = vec![b'y'; b.max_key];
        b.insert(&longest, b"ok".to_vec()).unwrap();
        assert_eq!(b.get(&longest).unwrap(), Some(b"ok".to_vec()));
        // Empty scan bounds mean "from the start" / "nothing".
        assert_eq!(
            b.scan(Bound::Included(b""), Bound::Unbounded, false, 10)
                .unwrap()
                .len(),
            1
        );
        assert!(b
            .scan(Bound::Unbounded, Bound::Excluded(b""), false, 10)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn data_survives_close_and_reopen_and_the_flusher_stops() {
        let d = dir();
        let b = LmdbBackend::open(d.path(), Some(5)).unwrap();
        b.insert(b"k", b"v".to_vec()).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        drop(b); // joins the flusher; heed then closes the environment, so it can reopen
        let b = LmdbBackend::open(d.path(), Some(5)).unwrap();
        assert_eq!(b.get(b"k").unwrap(), Some(b"v".to_vec()));
    }

    #[test]
    #[ignore = "child process of a_map_grown_by_another_process_is_adopted"]
    fn child_grows_the_map() {
        let path = std::env::var("GROVE_LMDB_CHILD_DIR").unwrap();
        let b = LmdbBackend::open_sized(Path::new(&path), None, 1 << 20).unwrap();
        fill(&b, "child");
        b.flush().unwrap();
    }

    #[test]
    fn a_map_grown_by_another_process_is_adopted() {
        let d = dir();
        let b = LmdbBackend::open_sized(d.path(), None, 1 << 20).unwrap();
        b.insert(b"before", b"1".to_vec()).unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "backend::lmdb::tests::child_grows_the_map",
                "--test-threads=1",
            ])
            .env("GROVE_LMDB_CHILD_DIR", d.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"));
        // Our map is still 1 MiB; the file now needs more: the first read adopts the new size.
        check_filled(&b, "child");
        assert!(b.env.info().map_size > 1 << 20);
        b.insert(b"after", b"2".to_vec()).unwrap();
        assert_eq!(b.get(b"before").unwrap(), Some(b"1".to_vec()));
    }
}

#[cfg(test)]
mod process_tests {
    use super::*;

    #[test]
    fn a_forked_child_is_refused_clearly() {
        let d = tempfile::tempdir().unwrap();
        let mut b = LmdbBackend::open(d.path(), None).unwrap();
        b.insert(b"k", b"v".to_vec()).unwrap();
        // As if this process were a child forked after the open.
        b.opened_by = b.opened_by.wrapping_add(1);
        for e in [
            b.get(b"k").unwrap_err(),
            b.insert(b"k", vec![]).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.message().contains("fork"), "{e}");
        }
    }

    #[test]
    #[ignore = "child of an_address_space_limit_gets_a_smaller_map"]
    fn child_under_an_address_space_limit() {
        let dir = std::env::var("GROVE_LMDB_CHILD_DIR").unwrap();
        let b = LmdbBackend::open(Path::new(&dir), None).unwrap();
        b.insert(b"k", vec![1; 1 << 20]).unwrap();
        assert!(b.env.info().map_size < MAP_SIZE);
        println!("MAP {}", b.env.info().map_size);
    }

    #[test]
    fn an_address_space_limit_gets_a_smaller_map() {
        let d = tempfile::tempdir().unwrap();
        let exe = std::env::current_exe().unwrap();
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -v 8000000; exec "$0" "$@""#)
            .arg(exe)
            .args([
                "--ignored",
                "--exact",
                "backend::lmdb::process_tests::child_under_an_address_space_limit",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("GROVE_LMDB_CHILD_DIR", d.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("1 passed"), "{text}");
        assert!(text.contains("MAP 4294967296"), "{text}");
    }
}
