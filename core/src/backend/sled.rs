//! The sled backend (pinned 0.34.7). Nothing sled-specific leaves this file.

use super::{Backend, Page, Txn, Write};
use crate::error::{Error, ErrorKind, Result};
use ::sled as sl;
use sl::transaction::{
    ConflictableTransactionError, TransactionError, TransactionalTree, UnabortableTransactionError,
};
use std::ops::Bound;
use std::path::{Path, PathBuf};

/// A sled database used through its default tree.
pub(crate) struct SledBackend {
    db: sl::Db,
    /// sled's data file, for the fdatasync that sled's own `flush` leaves out.
    file: std::fs::File,
    /// Where that file lives, to notice the directory being deleted or replaced under us.
    path: PathBuf,
    /// `(device, inode)` of that file when opened.
    identity: (u64, u64),
}

/// Maps a sled error to a Grove error; `path` names the store in lock errors.
pub(crate) fn map_err(e: sl::Error) -> Error {
    match e {
        sl::Error::Io(io) => Error::new(ErrorKind::Io, describe_io(&io)),
        sl::Error::Corruption { at, .. } => {
            Error::corrupt(format!("sled reported corruption at {at:?}"))
        }
        sl::Error::ReportableBug(m) => Error::new(ErrorKind::Internal, format!("sled bug: {m}")),
        sl::Error::Unsupported(m) => Error::new(ErrorKind::Internal, format!("sled: {m}")),
        sl::Error::CollectionNotFound(_) => Error::new(ErrorKind::Internal, "sled: missing tree"),
    }
}

/// A readable message for an I/O error from sled, which wraps OS errors in their Debug text
/// (`Os { code: 28, .. }`); the OS's own wording ("No space left on device") is what users search for.
fn describe_io(io: &std::io::Error) -> String {
    let text = io.to_string();
    let code = text
        .split_once("code: ")
        .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse::<i32>().ok());
    match code {
        Some(code) if text.starts_with("Os {") => {
            std::io::Error::from_raw_os_error(code).to_string()
        }
        _ => text,
    }
}

impl SledBackend {
    /// Opens (creating if needed) the sled directory at `path`.
    ///
    /// `flush_every_ms` is sled's background flush period; `None` disables it.
    pub(crate) fn open(path: &Path, flush_every_ms: Option<u64>) -> Result<Self> {
        let db = sl::Config::new()
            .path(path)
            .flush_every_ms(flush_every_ms)
            .open()
            .map_err(|e| match e {
                sl::Error::Io(io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("could not acquire lock") =>
                {
                    Error::new(
                        ErrorKind::StoreLocked,
                        format!(
                            "store {} is held by another process (a sled store has one opener at \
                             a time; to share a store between processes, use an lmdb: store, \
                             e.g. lmdb:{}): {io}",
                            path.display(),
                            path.display()
                        ),
                    )
                }
                other => {
                    let e = map_err(other);
                    Error::new(
                        e.kind(),
                        format!("opening {}: {}", path.display(), e.message()),
                    )
                }
            })?;
        let file = std::fs::File::open(path.join("db")).map_err(|e| {
            Error::new(ErrorKind::Io, format!("opening {}/db: {e}", path.display()))
        })?;
        let identity = super::file_identity(&file.metadata()?);
        Ok(SledBackend {
            db,
            file,
            path: path.join("db"),
            identity,
        })
    }
}

/// Waits until sled's lock on the store at `dir` is really gone (its IO threads may hold the
/// file a moment after the last handle is dropped), so `close()` returning means another
/// process can open the store. Gives up after two seconds.
pub(crate) fn wait_until_released(dir: &Path) {
    let Ok(file) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(dir.join("db"))
    else {
        return;
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < deadline {
        match file.try_lock() {
            // Taken and, on drop of `file`, released at once: nobody holds it any more.
            Ok(()) => return,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(2)),
        }
    }
}

fn bound(b: Bound<&[u8]>) -> Bound<sl::IVec> {
    match b {
        Bound::Included(k) => Bound::Included(k.into()),
        Bound::Excluded(k) => Bound::Excluded(k.into()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Adapts sled's transactional tree to [`Txn`], remembering a conflict so sled can retry.
struct SledTxn<'a> {
    tx: &'a TransactionalTree,
    conflict: Option<UnabortableTransactionError>,
}

impl SledTxn<'_> {
    fn note(&mut self, e: UnabortableTransactionError) -> Error {
        let err = match &e {
            UnabortableTransactionError::Storage(s) => map_err(s.clone()),
            UnabortableTransactionError::Conflict => {
                Error::new(ErrorKind::Internal, "transaction conflict (retried)")
            }
        };
        self.conflict = Some(e);
        err
    }
}

impl Txn for SledTxn<'_> {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.tx.get(key) {
            Ok(v) => Ok(v.map(|v| v.to_vec())),
            Err(e) => Err(self.note(e)),
        }
    }
    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<()> {
        match self.tx.insert(key, value) {
            Ok(_) => Ok(()),
            Err(e) => Err(self.note(e)),
        }
    }
    fn delete(&mut self, key: &[u8]) -> Result<()> {
        match self.tx.remove(key) {
            Ok(_) => Ok(()),
            Err(e) => Err(self.note(e)),
        }
    }
}

impl Backend for SledBackend {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get(key).map_err(map_err)?.map(|v| v.to_vec()))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> Result<()> {
        self.db.insert(key, value).map_err(map_err)?;
        Ok(())
    }

    fn remove(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.db.remove(key).map_err(map_err)?.map(|v| v.to_vec()))
    }

    fn compare_and_swap(
        &self,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<Vec<u8>>,
    ) -> Result<Result<(), Option<Vec<u8>>>> {
        match self
            .db
            .compare_and_swap(key, expected, new)
            .map_err(map_err)?
        {
            Ok(()) => Ok(Ok(())),
            Err(e) => Ok(Err(e.current.map(|v| v.to_vec()))),
        }
    }

    fn update(&self, key: &[u8], f: &mut dyn FnMut(Option<&[u8]>) -> Result<Write>) -> Result<()> {
        // Same loop as sled's own `update_and_fetch`, but the closure may fail or decline.
        let mut current = self.db.get(key).map_err(map_err)?;
        loop {
            let new = match f(current.as_deref())? {
                Write::Keep => return Ok(()),
                Write::Put(v) => Some(sl::IVec::from(v)),
                Write::Delete if current.is_none() => return Ok(()),
                Write::Delete => None,
            };
            match self
                .db
                .compare_and_swap(key, current.as_ref(), new)
                .map_err(map_err)?
            {
                Ok(()) => return Ok(()),
                Err(e) => current = e.current,
            }
        }
    }

    fn apply_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<()> {
        let mut batch = sl::Batch::default();
        for (k, v) in ops {
            match v {
                Some(v) => batch.insert(k, v),
                None => batch.remove(k),
            }
        }
        self.db.apply_batch(batch).map_err(map_err)
    }

    fn transaction(&self, f: &mut dyn FnMut(&mut dyn Txn) -> Result<()>) -> Result<()> {
        // sled wants an `Fn`; the closure only ever runs on this thread, one attempt at a time.
        let f = std::cell::RefCell::new(f);
        let res = self.db.transaction(|tx| {
            let mut t = SledTxn { tx, conflict: None };
            let out = (f.borrow_mut())(&mut t);
            if let Some(c) = t.conflict.take() {
                return Err(ConflictableTransactionError::from(c));
            }
            out.map_err(ConflictableTransactionError::Abort)
        });
        match res {
            Ok(()) => Ok(()),
            Err(TransactionError::Abort(e)) => Err(e),
            Err(TransactionError::Storage(e)) => Err(map_err(e)),
        }
    }

    fn scan(
        &self,
        start: Bound<&[u8]>,
        end: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Page> {
        let range = self.db.range::<sl::IVec, _>((bound(start), bound(end)));
        let mut out = Vec::with_capacity(limit.min(1024));
        let mut push = |item: sl::Result<(sl::IVec, sl::IVec)>| -> Result<bool> {
            let (k, v) = item.map_err(map_err)?;
            out.push((k.to_vec(), v.to_vec()));
            Ok(out.len() < limit)
        };
        if limit > 0 {
            if reverse {
                for item in range.rev() {
                    if !push(item)? {
                        break;
                    }
                }
            } else {
                for item in range {
                    if !push(item)? {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    fn flush(&self) -> Result<()> {
        self.db.flush().map_err(map_err)?;
        // sled 0.34 ends an explicit flush with sync_file_range, which neither flushes the
        // drive's write cache nor the file's metadata; only its background flusher calls
        // sync_all. A durable write must survive power loss, so fdatasync here.
        self.file.sync_data()?;
        super::check_still_there(&self.path, self.identity)
    }

    fn size_on_disk(&self) -> Result<u64> {
        self.db.size_on_disk().map_err(map_err)
    }

    fn exclusive(&self) -> bool {
        // sled's directory lock keeps every other process out.
        true
    }
}
