//! The store: opening and closing engines, the per-process registry, handles, namespaces,
//! durability and node identity. Every primitive is reached from a [`Store`].

use crate::backend::lmdb::LmdbBackend;
use crate::backend::memory::MemoryBackend;
use crate::backend::sled::SledBackend;
use crate::backend::{Backend, Write};
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, ErrorKind, Result};
use crate::sync::{Bell, Mutex, RwLock, SomeReadGuard};
use crate::target::Target;
use crate::value::Entry;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Longest key accepted, in bytes (after any namespace prefix is added, the limit still applies
/// to the part the caller wrote).
pub const MAX_KEY_LEN: usize = 1024;
/// Largest value accepted, in bytes.
pub const MAX_VALUE_LEN: usize = 16 * 1024 * 1024;
/// Longest node id accepted, in bytes.
pub const MAX_NODE_ID_LEN: usize = 64;
/// Default period of the background flush, in milliseconds.
pub const DEFAULT_FLUSH_EVERY_MS: u64 = 500;
/// Longest period of the background flush, in milliseconds (a day).
pub const MAX_FLUSH_EVERY_MS: u64 = 86_400_000;

/// Physical prefix of user data; metadata lives under `m` where no user key can reach.
pub(crate) const DATA_MARKER: u8 = b'k';
/// Metadata key of the store's persisted node id, so every open agrees on it.
pub(crate) const NODE_ID_KEY: &[u8] = b"mnode_id";

/// When writes become durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// A background flush every `every_ms` milliseconds (the default); a crash may lose the
    /// writes of the last period, never corrupt earlier ones. `flush()` makes everything durable.
    Periodic {
        /// Milliseconds between background flushes.
        every_ms: u64,
    },
    /// Every write is fsynced before it returns; concurrent writers share fsyncs (group commit).
    EveryWrite,
}

impl Durability {
    /// The durability of the options every door takes: `durable` (an fsync on every write) or
    /// a flush interval in milliseconds, not both; neither is the default. The one place these
    /// options are checked (InvalidArgument).
    pub fn from_options(durable: bool, flush_every_ms: Option<u64>) -> Result<Durability> {
        let d = match (durable, flush_every_ms) {
            (true, Some(_)) => {
                return Err(Error::invalid(
                    "durable (an fsync on every write) and a flush interval cannot be given \
                     together",
                ))
            }
            (true, None) => Durability::EveryWrite,
            (false, Some(every_ms)) => Durability::Periodic { every_ms },
            (false, None) => Durability::default(),
        };
        d.check()?;
        Ok(d)
    }

    /// Checks a periodic flush's interval: 1 to [`MAX_FLUSH_EVERY_MS`] milliseconds. Every open
    /// checks it.
    pub fn check(self) -> Result<()> {
        match self {
            Durability::Periodic { every_ms } if !(1..=MAX_FLUSH_EVERY_MS).contains(&every_ms) => {
                Err(Error::invalid(format!(
                    "flush interval must be 1 to {MAX_FLUSH_EVERY_MS} ms, got {every_ms}"
                )))
            }
            _ => Ok(()),
        }
    }
}

impl Default for Durability {
    fn default() -> Self {
        Durability::Periodic {
            every_ms: DEFAULT_FLUSH_EVERY_MS,
        }
    }
}

/// Settings for opening a store.
#[derive(Clone, Default)]
pub struct Options {
    /// This replica's id for CRDTs; generated and persisted on first open when `None`.
    pub node_id: Option<String>,
    /// When writes become durable.
    pub durability: Durability,
    /// The wall clock (inject a [`crate::ManualClock`] in tests); the system clock when `None`
    /// (the server's clock on Redis).
    pub clock: Option<Arc<dyn Clock>>,
    /// How long to wait for a connection to a network engine's server (TCP, TLS and AUTH
    /// included) before an `Io` error (5 s when `None`); `InvalidArgument` on engines that have
    /// no server.
    pub connect_timeout: Option<Duration>,
    /// How long a network engine's server may take to answer a command before the call fails
    /// with `Io` and its connection is dropped (20 s when `None`): a server that stopped
    /// answering never hangs a call. `InvalidArgument` on engines that have no server.
    pub reply_timeout: Option<Duration>,
    /// Store payloads of at least this many bytes zstd-compressed (`None`: never). Reading does
    /// not depend on it: compressed values read back with it off.
    pub compress_min_bytes: Option<usize>,
    /// A 32-byte key: every value written is sealed with it (see the README's "Encryption at
    /// rest" for what stays plaintext). `None`: values are written in the clear.
    pub encryption_key: Option<Vec<u8>>,
    /// Keys of earlier rotations: values sealed with them still open; new ones use
    /// [`Options::encryption_key`].
    pub old_encryption_keys: Vec<Vec<u8>>,
}

/// The threshold of `compress=True` in every door, in bytes (API.md).
pub const DEFAULT_COMPRESS_MIN_BYTES: usize = 1024;

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("node_id", &self.node_id)
            .field("durability", &self.durability)
            .field("clock", &self.clock.as_ref().map(|_| "custom"))
            .field("connect_timeout", &self.connect_timeout)
            .field("reply_timeout", &self.reply_timeout)
            .field("compress_min_bytes", &self.compress_min_bytes)
            .field(
                "encryption_key",
                &self.encryption_key.as_ref().map(|_| "<secret>"),
            )
            .field("old_encryption_keys", &self.old_encryption_keys.len())
            .finish()
    }
}

impl Options {
    /// Default options: periodic flush, generated node id, system clock.
    pub fn new() -> Self {
        Options::default()
    }
    /// Sets the node id.
    pub fn node_id(mut self, id: impl Into<String>) -> Self {
        self.node_id = Some(id.into());
        self
    }
    /// Sets how long to wait for a network engine's server (see [`Options::connect_timeout`]).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = Some(t);
        self
    }
    /// Sets how long a network engine's server may take to answer (see
    /// [`Options::reply_timeout`]).
    pub fn reply_timeout(mut self, t: Duration) -> Self {
        self.reply_timeout = Some(t);
        self
    }
    /// Sets the durability mode.
    pub fn durability(mut self, d: Durability) -> Self {
        self.durability = d;
        self
    }
    /// Sets the clock.
    pub fn clock(mut self, c: Arc<dyn Clock>) -> Self {
        self.clock = Some(c);
        self
    }
    /// Compresses payloads of at least `min_bytes` (see [`Options::compress_min_bytes`]).
    pub fn compress(mut self, min_bytes: usize) -> Self {
        self.compress_min_bytes = Some(min_bytes);
        self
    }
    /// Seals every value written with `key` (32 bytes; checked when the store opens).
    pub fn encryption_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.encryption_key = Some(key.into());
        self
    }
    /// Adds a key of an earlier rotation (see [`Options::old_encryption_keys`]).
    pub fn old_encryption_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.old_encryption_keys.push(key.into());
        self
    }

    /// The codec these options describe; every key's length is checked here.
    fn codec(&self) -> Result<crate::backend::codec::Codec> {
        use crate::backend::codec::{Codec, KEY_LEN};
        let key = |k: &Vec<u8>, what: &str| -> Result<[u8; KEY_LEN]> {
            k.as_slice().try_into().map_err(|_| {
                Error::invalid(format!(
                    "{what} must be {KEY_LEN} bytes, got {} (generate one with \
                     `grove keygen` or 32 bytes from a CSPRNG)",
                    k.len()
                ))
            })
        };
        let current = self
            .encryption_key
            .as_ref()
            .map(|k| key(k, "the encryption key"))
            .transpose()?;
        let old = self
            .old_encryption_keys
            .iter()
            .map(|k| key(k, "an old encryption key"))
            .collect::<Result<Vec<_>>>()?;
        Codec::new(self.compress_min_bytes, current.as_ref(), &old)
    }
}

/// Which engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// In memory, this process only.
    Memory,
    /// sled on disk, one process at a time.
    Sled,
    /// LMDB on disk, shared by the processes of one machine.
    Lmdb,
    /// A Redis server, shared by every process that reaches it.
    Redis,
}

impl Kind {
    /// The scheme that names this engine in a target.
    fn scheme(self) -> &'static str {
        match self {
            Kind::Memory => "memory",
            Kind::Sled => "sled",
            Kind::Lmdb => "lmdb",
            Kind::Redis => "redis",
        }
    }
}

/// One open backend shared by every handle to the same path in this process.
pub(crate) struct Engine {
    path: Option<PathBuf>,
    kind: Kind,
    backend: RwLock<Option<Arc<dyn Backend>>>,
    handles: AtomicUsize,
    node_id: String,
    clock: Arc<dyn Clock>,
    durability: Durability,
    /// The backend's [`Backend::exclusive`]: may state derived from the data live in memory?
    exclusive: bool,
    /// The process that opened it: a child forked later opens its own (LMDB cannot cross fork).
    opened_by: u32,
    write_seq: AtomicU64,
    flushed_seq: Mutex<u64>,
    /// In-memory leaderboard indexes, by physical key prefix.
    boards: Mutex<HashMap<Vec<u8>, Arc<crate::leaderboard::Board>>>,
    /// The hybrid logical clock of the CRDTs.
    hlc: Mutex<crate::crdt::hlc::HlcState>,
    /// Allowed lead of a remote CRDT stamp over the wall clock, in ms.
    max_drift_ms: AtomicU64,
    /// Change tracking of the CRDT keys.
    changes: Mutex<crate::crdt::Changes>,
    /// Rung when a lock is released or a job enqueued, for this process's waiters.
    bell: Bell,
    /// The compression and encryption options it was opened with (the backend applies them),
    /// so a second engine over the same data can be opened alike.
    codec_opts: Options,
    /// Those options without secrets, to refuse a second open with other ones.
    codec_fingerprint: String,
}

/// Engines open in this process, by canonical path.
#[derive(Default)]
struct Registry {
    open: HashMap<PathBuf, Arc<Engine>>,
    /// When this process last released each path: sled's background threads may still hold the
    /// directory's file lock for a moment after the last handle is dropped.
    released: HashMap<PathBuf, Instant>,
}

fn registry() -> &'static Mutex<Registry> {
    static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// The longest a waiter on a shared store sleeps between looks at the store: a point read per
/// look, so 200 looks a second cost a waiter well under 1% of a core.
const SHARED_POLL: Duration = Duration::from_millis(4);

/// How long a reopen waits for sled to let go of a path this process just released.
const RELEASE_GRACE: Duration = Duration::from_secs(2);

/// Checks a node id: 1 to 64 characters of `[A-Za-z0-9._:-]`.
pub fn validate_node_id(id: &str) -> Result<()> {
    if id.is_empty() || id.len() > MAX_NODE_ID_LEN {
        return Err(Error::invalid(format!(
            "node id must be 1 to {MAX_NODE_ID_LEN} bytes, got {}",
            id.len()
        )));
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b))
    {
        return Err(Error::invalid(format!(
            "node id {id:?} may only contain letters, digits, '.', '_', ':' and '-'"
        )));
    }
    Ok(())
}

impl Engine {
    fn new(
        path: Option<PathBuf>,
        kind: Kind,
        backend: Arc<dyn Backend>,
        opts: &Options,
    ) -> Result<Engine> {
        let codec = opts.codec()?;
        let codec_fingerprint = codec.fingerprint().to_string();
        let backend: Arc<dyn Backend> = Arc::new(crate::backend::codec::CodecBackend::new(
            backend.unwrapped().unwrap_or(backend),
            codec,
        ));
        let stored = backend
            .get(NODE_ID_KEY)?
            .map(|v| {
                String::from_utf8(v).map_err(|_| Error::corrupt("stored node id is not UTF-8"))
            })
            .transpose()?;
        let node_id = match (&opts.node_id, stored) {
            (Some(given), stored) => {
                validate_node_id(given)?;
                if stored.as_deref() != Some(given.as_str()) {
                    backend.insert(NODE_ID_KEY, given.as_bytes().to_vec())?;
                    backend.flush()?;
                }
                given.clone()
            }
            (None, Some(stored)) => stored,
            (None, None) => {
                // Several processes may open a fresh shared store at once: the first id written
                // is the store's, and every other opener takes it (an overwrite would leave the
                // earlier openers' handles with an id the store no longer has).
                let id = crate::random::hex_token(8)?;
                let mut chosen = Ok(id.clone());
                backend.update(NODE_ID_KEY, &mut |cur| match cur {
                    None => {
                        chosen = Ok(id.clone());
                        Ok(Write::Put(id.as_bytes().to_vec()))
                    }
                    Some(v) => {
                        chosen = String::from_utf8(v.to_vec())
                            .map_err(|_| Error::corrupt("stored node id is not UTF-8"));
                        Ok(Write::Keep)
                    }
                })?;
                backend.flush()?;
                chosen?
            }
        };
        let hwm = match backend.get(crate::crdt::hlc::HLC_KEY)? {
            Some(v) => u64::from_be_bytes(
                v.as_slice()
                    .try_into()
                    .map_err(|_| Error::corrupt("stored clock high-water mark is malformed"))?,
            ),
            None => 0,
        };
        let seq_hwm = match backend.get(crate::crdt::SEQ_KEY)? {
            Some(v) => u64::from_be_bytes(
                v.as_slice()
                    .try_into()
                    .map_err(|_| Error::corrupt("stored change sequence is malformed"))?,
            ),
            None => 0,
        };
        Ok(Engine {
            path,
            kind,
            exclusive: backend.exclusive(),
            opened_by: std::process::id(),
            backend: RwLock::new(Some(backend)),
            handles: AtomicUsize::new(1),
            node_id,
            clock: opts.clock.clone().unwrap_or_else(|| Arc::new(SystemClock)),
            durability: opts.durability,
            write_seq: AtomicU64::new(0),
            flushed_seq: Mutex::new(0),
            boards: Mutex::new(HashMap::new()),
            hlc: Mutex::new(crate::crdt::hlc::HlcState::starting_at(hwm)),
            max_drift_ms: AtomicU64::new(crate::crdt::hlc::DEFAULT_MAX_DRIFT_MS),
            changes: Mutex::new(crate::crdt::Changes::starting_at(seq_hwm)),
            bell: Bell::default(),
            codec_opts: Options {
                compress_min_bytes: opts.compress_min_bytes,
                encryption_key: opts.encryption_key.clone(),
                old_encryption_keys: opts.old_encryption_keys.clone(),
                ..Options::default()
            },
            codec_fingerprint,
        })
    }

    /// Drops one handle; the last one flushes, releases the directory and unregisters the path.
    fn release(&self) -> Result<()> {
        match &self.path {
            Some(path) => {
                // Hold the registry while the backend is dropped, so a concurrent open of the
                // same path cannot race the release of sled's file lock.
                let mut reg = registry().lock();
                if self.handles.fetch_sub(1, Ordering::SeqCst) != 1 {
                    return Ok(());
                }
                reg.open.remove(path);
                reg.released.retain(|_, t| t.elapsed() < RELEASE_GRACE);
                reg.released.insert(path.clone(), Instant::now());
                self.shut_down()
            }
            None => {
                if self.handles.fetch_sub(1, Ordering::SeqCst) != 1 {
                    return Ok(());
                }
                self.shut_down()
            }
        }
    }

    fn shut_down(&self) -> Result<()> {
        let backend = self.backend.write().take();
        let flushed = match &backend {
            Some(b) => b.flush(),
            None => Ok(()),
        };
        drop(backend);
        // Only sled lets go of its directory lock a moment after the drop; LMDB's environment is
        // closed when the backend (and its flusher thread) is dropped.
        if let (Some(path), Kind::Sled) = (&self.path, self.kind) {
            crate::backend::sled::wait_until_released(path);
        }
        flushed
    }
}

/// One `open` call's claim on an engine; closing it closes every view and primitive made from it.
struct Handle {
    engine: Arc<Engine>,
    closed: AtomicBool,
    /// This handle's metrics (shared by its clones and views).
    metrics: crate::metrics::Registry,
}

impl Handle {
    fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        self.publish_metrics(true);
        self.engine.release()
    }

    /// Publishes this handle's metrics into the store's metadata (not in memory: no other
    /// process could read them), best effort; on a flush (`always` false) at most once a second.
    fn publish_metrics(&self, always: bool) {
        if self.engine.kind == Kind::Memory {
            return;
        }
        if let Some(backend) = self.engine.backend.read().clone() {
            self.metrics
                .publish(&*backend, self.engine.clock.now_ms(), always);
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            eprintln!("grove: error while closing a dropped store handle: {e}");
        }
    }
}

/// A handle to an open store, or a namespaced view of one. Cheap to clone; share it across threads.
///
/// Clones and views share the handle: closing any of them closes them all.
#[derive(Clone)]
pub struct Store {
    handle: Arc<Handle>,
    /// Physical key prefix: the data marker plus every namespace (`name:`) applied so far.
    prefix: Arc<[u8]>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.handle.engine.path)
            .field(
                "namespace",
                &String::from_utf8_lossy(self.namespace_prefix()),
            )
            .field("node_id", &self.handle.engine.node_id)
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the store at `target` with default options.
    ///
    /// The target names the engine and the place: `./data` or `sled:./data` (sled, the default),
    /// `lmdb:./data` (LMDB, shared by every process of this machine), `memory:` (in memory).
    pub fn open(target: impl AsRef<Path>) -> Result<Store> {
        Store::open_with(target, Options::default())
    }

    /// Opens the store at `target` (see [`Store::open`]); a path already open in this process
    /// shares its engine.
    pub fn open_with(target: impl AsRef<Path>, opts: Options) -> Result<Store> {
        let parsed = crate::target::parse(target.as_ref())?;
        opts.durability.check()?;
        if let Target::Redis { server, name, tls } = parsed {
            return Store::open_redis(&server, &tls, &name, opts);
        }
        refuse_connect_timeout(&opts)?;
        let (kind, path) = match parsed {
            Target::Memory => return Store::open_memory_with(opts),
            Target::Sled(p) => (Kind::Sled, p),
            Target::Lmdb(p) => (Kind::Lmdb, p),
            Target::Redis { .. } => unreachable!("handled above"),
        };
        let path = path.as_path();
        // Refuse a bad node id before touching the disk, so a refused open leaves nothing behind.
        if let Some(id) = &opts.node_id {
            validate_node_id(id)?;
        }
        opts.codec()?;
        std::fs::create_dir_all(path)
            .map_err(|e| Error::new(ErrorKind::Io, format!("creating {}: {e}", path.display())))?;
        let canon = std::fs::canonicalize(path)
            .map_err(|e| Error::new(ErrorKind::Io, format!("resolving {}: {e}", path.display())))?;
        let mut reg = registry().lock();
        if reg
            .open
            .get(&canon)
            .is_some_and(|e| e.kind == Kind::Lmdb && e.opened_by != std::process::id())
        {
            // A forked child (a pre-forking server whose master opened the store): the
            // inherited environment belongs to the parent and cannot be used here. Close this
            // process's copy of it (LMDB's close in a child touches only the child's own
            // mappings, descriptors and reader slots) so a fresh one can be opened; handles
            // inherited from before the fork report `Closed`.
            if let Some(stale) = reg.open.remove(&canon) {
                stale.backend.write().take();
                stale.handles.store(0, Ordering::SeqCst);
            }
        }
        if let Some(engine) = reg.open.get(&canon) {
            if engine.kind != kind {
                return Err(Error::invalid(format!(
                    "store {} is already open in this process as a {} store; it cannot be \
                     opened as {}: too",
                    canon.display(),
                    engine.kind.scheme(),
                    kind.scheme()
                )));
            }
            if let Some(id) = &opts.node_id {
                if *id != engine.node_id {
                    return Err(Error::invalid(format!(
                        "store {} is already open in this process with node id {:?}",
                        canon.display(),
                        engine.node_id
                    )));
                }
            }
            if opts.codec()?.fingerprint() != engine.codec_fingerprint {
                return Err(Error::invalid(format!(
                    "store {} is already open in this process with other compression or \
                     encryption options ({}); open it with the same ones",
                    canon.display(),
                    engine.codec_fingerprint
                )));
            }
            engine.handles.fetch_add(1, Ordering::SeqCst);
            return Ok(Store::from_engine(engine.clone()));
        }
        refuse_other_engine(&canon, kind)?;
        let flush_ms = match opts.durability {
            Durability::Periodic { every_ms } => Some(every_ms),
            Durability::EveryWrite => None,
        };
        let backend: Box<dyn Backend> = match kind {
            Kind::Lmdb => Box::new(LmdbBackend::open(&canon, flush_ms)?),
            Kind::Redis => unreachable!("Redis stores are opened by open_redis"),
            Kind::Sled | Kind::Memory => {
                let released = reg.released.get(&canon).copied();
                Box::new(loop {
                    match SledBackend::open(&canon, flush_ms) {
                        Err(e)
                            if e.kind() == ErrorKind::StoreLocked
                                && released.is_some_and(|t| t.elapsed() < RELEASE_GRACE) =>
                        {
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        other => break other?,
                    }
                })
            }
        };
        reg.released.remove(&canon);
        let engine = Arc::new(Engine::new(
            Some(canon.clone()),
            kind,
            Arc::from(backend),
            &opts,
        )?);
        reg.open.insert(canon, engine.clone());
        Ok(Store::from_engine(engine))
    }

    /// Opens a store on a Redis server or cluster: no registry (each open has its own pool of
    /// connections), the server's clock unless one is given.
    fn open_redis(
        server: &crate::target::Server,
        tls: &crate::target::TlsFiles,
        name: &str,
        opts: Options,
    ) -> Result<Store> {
        if let Some(id) = &opts.node_id {
            validate_node_id(id)?;
        }
        if opts.durability == Durability::EveryWrite {
            return Err(Error::invalid(
                "durable (EveryWrite) does not apply to Redis: a Redis store is as durable as \
                 the server's own appendonly/appendfsync setting (appendfsync always fsyncs \
                 every write)",
            ));
        }
        let timeout = opts
            .connect_timeout
            .unwrap_or(crate::backend::redis::DEFAULT_CONNECT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::invalid("connect_timeout must be greater than 0"));
        }
        let reply_timeout = opts
            .reply_timeout
            .unwrap_or(crate::backend::redis::DEFAULT_REPLY_TIMEOUT);
        if reply_timeout.is_zero() {
            return Err(Error::invalid("reply_timeout must be greater than 0"));
        }
        let mut backend =
            crate::backend::redis::RedisBackend::open(server, tls, name, timeout, reply_timeout)?;
        let mut opts = opts;
        match opts.clock {
            None => opts.clock = Some(Arc::new(backend.server_clock()?)),
            Some(_) => backend = backend.without_native_expiry(),
        }
        let engine = Engine::new(None, Kind::Redis, Arc::new(backend), &opts)?;
        Ok(Store::from_engine(Arc::new(engine)))
    }

    /// Opens a fresh in-memory store with default options.
    pub fn open_memory() -> Store {
        Store::open_memory_with(Options::default()).expect("an in-memory store always opens")
    }

    /// Opens a fresh in-memory store; fails on an invalid node id, or a connect timeout (there is
    /// no server to connect to).
    pub fn open_memory_with(opts: Options) -> Result<Store> {
        opts.durability.check()?;
        refuse_connect_timeout(&opts)?;
        let engine = Engine::new(
            None,
            Kind::Memory,
            Arc::new(MemoryBackend::default()),
            &opts,
        )?;
        Ok(Store::from_engine(Arc::new(engine)))
    }

    /// A second engine over this store's data that shares nothing in memory with the first:
    /// what another process opening the same shared store has. Tests use it to check the
    /// cross-process guarantees on every engine, even in one process (not part of the API).
    #[doc(hidden)]
    pub fn second_engine_for_tests(&self) -> Result<Store> {
        self.second_engine_with_clock_for_tests(self.handle.engine.clock.clone())
    }

    /// [`Store::second_engine_for_tests`] with its own wall clock, as another process has
    /// (not part of the API).
    #[doc(hidden)]
    pub fn second_engine_with_clock_for_tests(&self, clock: Arc<dyn Clock>) -> Result<Store> {
        let engine = &self.handle.engine;
        self.second_engine_with_for_tests(Options {
            node_id: Some(engine.node_id.clone()),
            durability: engine.durability,
            clock: Some(clock),
            ..engine.codec_opts.clone()
        })
    }

    /// [`Store::second_engine_for_tests`] opened with `opts`, as another process may open the
    /// store with its own node id or clock (not part of the API).
    #[doc(hidden)]
    pub fn second_engine_with_for_tests(&self, opts: Options) -> Result<Store> {
        self.check_open()?;
        let engine = &self.handle.engine;
        let backend = engine.backend.read().clone().ok_or_else(Error::closed)?;
        if backend.exclusive() {
            return Err(Error::invalid(
                "this engine keeps its store to one process; a second engine needs a shared one",
            ));
        }
        Ok(Store::from_engine(Arc::new(Engine::new(
            None,
            engine.kind,
            backend,
            &opts,
        )?)))
    }

    fn from_engine(engine: Arc<Engine>) -> Store {
        Store {
            handle: Arc::new(Handle {
                engine,
                closed: AtomicBool::new(false),
                metrics: crate::metrics::Registry::new(),
            }),
            prefix: Arc::from(&[DATA_MARKER][..]),
        }
    }

    /// A view whose every key is prefixed with `name:`; views nest.
    pub fn namespace(&self, name: &str) -> Result<Store> {
        if name.is_empty() {
            return Err(Error::invalid("namespace name is empty"));
        }
        if name.len() > MAX_KEY_LEN {
            return Err(Error::invalid(format!(
                "namespace name is {} bytes, the limit is {MAX_KEY_LEN}",
                name.len()
            )));
        }
        self.check_open()?;
        let mut prefix = self.prefix.to_vec();
        prefix.extend_from_slice(name.as_bytes());
        prefix.push(b':');
        Ok(Store {
            handle: self.handle.clone(),
            prefix: prefix.into(),
        })
    }

    /// The namespace prefix this view adds to keys (empty for the root).
    pub fn namespace_prefix(&self) -> &[u8] {
        &self.prefix[1..]
    }

    /// This replica's persisted id, used by CRDTs.
    pub fn node_id(&self) -> &str {
        &self.handle.engine.node_id
    }

    /// The directory of an on-disk store (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.handle.engine.path.as_deref()
    }

    /// The durability mode the engine was opened with.
    pub fn durability(&self) -> Durability {
        self.handle.engine.durability
    }

    /// Whether this handle has been closed.
    pub fn is_closed(&self) -> bool {
        self.handle.closed.load(Ordering::SeqCst)
    }

    /// Whether two stores share one engine (same path in this process).
    pub fn same_engine(&self, other: &Store) -> bool {
        Arc::ptr_eq(&self.handle.engine, &other.handle.engine)
    }

    /// Makes every write so far durable; returns the fsync error if there is one.
    pub fn flush(&self) -> Result<()> {
        let seq = self.handle.engine.write_seq.load(Ordering::SeqCst);
        self.check_open()?;
        self.handle.publish_metrics(false);
        self.backend()?.flush()?;
        let mut flushed = self.handle.engine.flushed_seq.lock();
        *flushed = (*flushed).max(seq);
        Ok(())
    }

    /// Closes this handle and every view and primitive made from it; the last handle in the
    /// process flushes and releases the directory. Closing twice is fine.
    pub fn close(&self) -> Result<()> {
        self.handle.close()
    }

    /// Bytes the store occupies on disk (0 in memory).
    pub fn size_on_disk(&self) -> Result<u64> {
        self.backend()?.size_on_disk()
    }

    /// The current wall-clock time of the engine, in ms since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        self.handle.engine.clock.now_ms()
    }

    /// `Closed` once this handle (or any view or clone of it) was closed.
    pub(crate) fn check_open(&self) -> Result<()> {
        if self.is_closed() {
            Err(Error::closed())
        } else {
            Ok(())
        }
    }

    /// This handle's metrics registry.
    pub(crate) fn metrics_registry(&self) -> &crate::metrics::Registry {
        &self.handle.metrics
    }

    /// Whether this store publishes its metrics for other processes (not in memory).
    pub(crate) fn publishes_metrics(&self) -> bool {
        self.handle.engine.kind != Kind::Memory
    }

    /// The bell this process's waiters sleep on.
    pub(crate) fn bell(&self) -> &Bell {
        &self.handle.engine.bell
    }

    /// How long a waiter sleeps on the bell before it looks at the store again, at most
    /// `wanted`: on a store other processes share, their releases and enqueues ring no bell
    /// here, so it looks at least every [`SHARED_POLL`] to wake within 10 ms of them.
    pub(crate) fn wait_pause(&self, wanted: Duration) -> Duration {
        let wanted = crate::lock::retry_pause(wanted);
        if self.exclusive() {
            wanted
        } else {
            wanted.min(SHARED_POLL)
        }
    }

    /// Whether this engine is the only writer of its data (see [`Backend::exclusive`]).
    pub(crate) fn exclusive(&self) -> bool {
        self.handle.engine.exclusive
    }

    /// Visits the entries in `[start, end)` in key order, reading `page` at a time (no backend
    /// lock or read transaction is held between pages), until `f` returns false.
    pub(crate) fn scan_pages(
        &self,
        start: std::ops::Bound<&[u8]>,
        end: std::ops::Bound<&[u8]>,
        page: usize,
        mut f: impl FnMut(&[u8], &[u8]) -> Result<bool>,
    ) -> Result<()> {
        use std::ops::Bound;
        let mut lower: Bound<Vec<u8>> = start.map(<[u8]>::to_vec);
        loop {
            let rows = self
                .backend()?
                .scan(lower.as_ref().map(Vec::as_slice), end, false, page)?;
            for (k, v) in &rows {
                if !f(k, v)? {
                    return Ok(());
                }
            }
            match rows.last() {
                Some((k, _)) if rows.len() == page => lower = Bound::Excluded(k.clone()),
                _ => return Ok(()),
            }
        }
    }

    /// The backend, or `Closed`. Never hold the guard across another call to `backend()`.
    pub(crate) fn backend(&self) -> Result<SomeReadGuard<'_, dyn Backend>> {
        self.check_open()?;
        SomeReadGuard::new(self.handle.engine.backend.read()).ok_or_else(Error::closed)
    }

    /// Checks a caller's key (and that the handle is open) and returns its physical key.
    pub(crate) fn data_key(&self, key: &[u8]) -> Result<Vec<u8>> {
        self.check_open()?;
        check_key(key)?;
        let mut k = Vec::with_capacity(self.prefix.len() + key.len());
        k.extend_from_slice(&self.prefix);
        k.extend_from_slice(key);
        Ok(k)
    }

    /// The physical prefix of this view's data.
    pub(crate) fn physical_prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// Called after every write: in `EveryWrite` mode, waits until it is fsynced, sharing one
    /// fsync among all writers that finished before it started (group commit).
    pub(crate) fn wrote(&self) -> Result<()> {
        let engine = &self.handle.engine;
        if engine.durability != Durability::EveryWrite {
            return Ok(());
        }
        let mine = engine.write_seq.fetch_add(1, Ordering::SeqCst) + 1;
        let mut flushed = engine.flushed_seq.lock();
        if *flushed >= mine {
            return Ok(());
        }
        let target = engine.write_seq.load(Ordering::SeqCst);
        self.backend()?.flush()?;
        *flushed = target;
        Ok(())
    }

    /// Atomically reads the live entry at physical key `pk` (expired counts as absent), lets `f`
    /// decide the write and an output, and applies it. `f` may run several times.
    pub(crate) fn update_entry<T>(
        &self,
        pk: &[u8],
        f: impl FnMut(Option<Entry<'_>>) -> Result<(Write, T)>,
    ) -> Result<T> {
        self.update_entry_with(pk, false, f)
    }

    /// [`Store::update_entry`] for an `f` that reads only the current entry's kind and expiry,
    /// never its payload (which may be empty): a sealed value it replaces is not opened.
    pub(crate) fn replace_entry<T>(
        &self,
        pk: &[u8],
        f: impl FnMut(Option<Entry<'_>>) -> Result<(Write, T)>,
    ) -> Result<T> {
        self.update_entry_with(pk, true, f)
    }

    fn update_entry_with<T>(
        &self,
        pk: &[u8],
        header_only: bool,
        mut f: impl FnMut(Option<Entry<'_>>) -> Result<(Write, T)>,
    ) -> Result<T> {
        let mut out = None;
        let mut wrote = false;
        {
            let backend = self.backend()?;
            let clock = &self.handle.engine.clock;
            let mut step = |raw: Option<&[u8]>| {
                let mut expired = false;
                let live = match raw {
                    None => None,
                    Some(raw) => {
                        let e = Entry::decode(raw)?;
                        expired = e.expires_at.is_some() && e.expired_at(clock.now_ms());
                        (!expired).then_some(e)
                    }
                };
                let (mut w, t) = f(live)?;
                if expired && w == Write::Keep {
                    // Opportunistic reclamation of the expired entry we just looked at.
                    w = Write::Delete;
                }
                wrote = w != Write::Keep;
                out = Some(t);
                Ok(w)
            };
            if header_only {
                backend.update_header(pk, &mut step)?;
            } else {
                backend.update(pk, &mut step)?;
            }
        }
        if wrote {
            self.wrote()?;
        }
        out.ok_or_else(|| Error::new(ErrorKind::Internal, "update closure never ran"))
    }

    /// The engine's hybrid logical clock.
    pub(crate) fn hlc(&self) -> &Mutex<crate::crdt::hlc::HlcState> {
        &self.handle.engine.hlc
    }

    /// How far ahead of the wall clock a remote CRDT stamp may be before a merge refuses it.
    pub fn max_drift(&self) -> Duration {
        Duration::from_millis(self.max_drift_ms())
    }

    /// [`Store::max_drift`] in milliseconds, as the HLC compares stamps.
    pub(crate) fn max_drift_ms(&self) -> u64 {
        self.handle.engine.max_drift_ms.load(Ordering::SeqCst)
    }

    /// Sets the allowed drift for every handle of this engine (default 60 s).
    pub fn set_max_drift(&self, drift: Duration) {
        let ms = drift.as_millis().min(u64::MAX as u128) as u64;
        self.handle.engine.max_drift_ms.store(ms, Ordering::SeqCst);
    }

    /// The engine's CRDT change tracking.
    pub(crate) fn changes(&self) -> &Mutex<crate::crdt::Changes> {
        &self.handle.engine.changes
    }

    /// The engine-wide state of the leaderboard whose members live under `pk_prefix`.
    pub(crate) fn board(&self, pk_prefix: &[u8]) -> Arc<crate::leaderboard::Board> {
        self.handle
            .engine
            .boards
            .lock()
            .entry(pk_prefix.to_vec())
            .or_default()
            .clone()
    }

    /// Stores `value` at `pk` only if the key is absent (one compare-and-swap); true if stored.
    pub(crate) fn insert_new(&self, pk: &[u8], value: Vec<u8>) -> Result<bool> {
        let stored = self
            .backend()?
            .compare_and_swap(pk, None, Some(value))?
            .is_ok();
        if stored {
            self.wrote()?;
        }
        Ok(stored)
    }

    /// The live raw bytes at physical key `pk`; an expired entry is reclaimed and reads as absent.
    pub(crate) fn read_live(&self, pk: &[u8]) -> Result<Option<Vec<u8>>> {
        let raw = match self.backend()?.get(pk)? {
            None => return Ok(None),
            Some(raw) => raw,
        };
        let e = Entry::decode(&raw)?;
        if e.expires_at.is_some() && e.expired_at(self.now_ms()) {
            // Opportunistic reclamation; losing the race to a concurrent write is fine.
            let _ = self.backend()?.compare_and_swap(pk, Some(&raw), None)?;
            return Ok(None);
        }
        Ok(Some(raw))
    }
}

/// Refuses to open `dir` as `kind` when it holds the other engine's files: each engine would
/// otherwise start an empty store next to the other's data, and the user would see their data
/// "vanish".
fn refuse_other_engine(dir: &Path, kind: Kind) -> Result<()> {
    let (other, files): (Kind, &[&str]) = match kind {
        Kind::Lmdb => (Kind::Sled, &["db", "conf"]),
        Kind::Sled => (Kind::Lmdb, &[crate::backend::lmdb::DATA_FILE]),
        Kind::Memory | Kind::Redis => return Ok(()),
    };
    if files.iter().any(|f| dir.join(f).exists()) {
        return Err(Error::invalid(format!(
            "{} holds a {} store, not a {} one; open it as {}:{} (the two engines cannot \
             share a directory)",
            dir.display(),
            other.scheme(),
            kind.scheme(),
            other.scheme(),
            dir.display()
        )));
    }
    Ok(())
}

/// Checks a key: non-empty and at most [`MAX_KEY_LEN`] bytes.
pub fn check_key(key: &[u8]) -> Result<()> {
    if key.is_empty() {
        return Err(Error::invalid("key is empty"));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::invalid(format!(
            "key is {} bytes, the limit is {MAX_KEY_LEN}",
            key.len()
        )));
    }
    Ok(())
}

/// Checks a value's size: at most [`MAX_VALUE_LEN`] bytes.
pub fn check_value(value: &[u8]) -> Result<()> {
    if value.len() > MAX_VALUE_LEN {
        return Err(Error::invalid(format!(
            "value is {} bytes, the limit is {MAX_VALUE_LEN}",
            value.len()
        )));
    }
    Ok(())
}

/// `InvalidArgument` when `opts` sets a connect or reply timeout: only network engines take
/// them.
fn refuse_connect_timeout(opts: &Options) -> Result<()> {
    if opts.connect_timeout.is_some() {
        return Err(Error::invalid(
            "connect_timeout applies to network engines (redis://) only; this store has no \
             server to connect to",
        ));
    }
    if opts.reply_timeout.is_some() {
        return Err(Error::invalid(
            "reply_timeout applies to network engines (redis://) only; this store has no \
             server to wait for",
        ));
    }
    Ok(())
}

/// Converts a TTL in seconds (as the doors receive it) to a `Duration`: finite, >= 0, <= 100 years.
pub fn ttl_from_secs(secs: f64) -> Result<Duration> {
    duration_from_secs("ttl", secs)
}

/// Longest duration argument accepted, in seconds (100 years).
pub const MAX_DURATION_SECS: f64 = 100.0 * 365.0 * 86400.0;

/// Converts a duration argument named `what` (a TTL, a timeout, a window, a drift…) given in
/// seconds, as the doors receive it, to a `Duration`: finite, >= 0, at most 100 years. The one
/// place this rule lives; every door passes its seconds through here.
pub fn duration_from_secs(what: &str, secs: f64) -> Result<Duration> {
    if !secs.is_finite() || secs < 0.0 {
        return Err(Error::invalid(format!(
            "{what} must be a finite number of seconds >= 0, got {secs}"
        )));
    }
    if secs > MAX_DURATION_SECS {
        return Err(Error::invalid(format!(
            "{what} of {secs} s is too far away"
        )));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Converts a connect timeout given in seconds to what [`Options::connect_timeout`] holds:
/// NaN, or a number too large for a `Duration`, is InvalidArgument here; 0 and negative numbers
/// become zero, which every open refuses (as it refuses a zero `Duration` from Rust or C).
pub fn connect_timeout_from_secs(secs: f64) -> Result<Duration> {
    server_timeout_from_secs("connect_timeout", secs)
}

/// Converts a reply timeout given in seconds to what [`Options::reply_timeout`] holds, by the
/// rule of [`connect_timeout_from_secs`].
pub fn reply_timeout_from_secs(secs: f64) -> Result<Duration> {
    server_timeout_from_secs("reply_timeout", secs)
}

/// The one rule of the network timeouts given in seconds (see [`connect_timeout_from_secs`]).
fn server_timeout_from_secs(what: &str, secs: f64) -> Result<Duration> {
    if secs.is_nan() {
        return Err(Error::invalid(format!(
            "{what} must be a number of seconds, got NaN"
        )));
    }
    if secs <= 0.0 {
        return Ok(Duration::ZERO);
    }
    Duration::try_from_secs_f64(secs)
        .map_err(|_| Error::invalid(format!("{what} of {secs} s is out of range")))
}

/// Milliseconds of a TTL, rounded up so a tiny TTL still expires strictly later than now.
pub(crate) fn ttl_ms(ttl: Duration) -> u64 {
    let ms = ttl.as_millis();
    let ms = if Duration::from_millis(ms as u64) < ttl {
        ms + 1
    } else {
        ms
    };
    ms.min(u64::MAX as u128) as u64
}

#[cfg(test)]
mod rule_tests {
    use super::*;

    #[test]
    fn durability_options_are_checked_once_here() {
        let bad = |r: Result<Durability>| r.unwrap_err().kind() == ErrorKind::InvalidArgument;
        assert!(bad(Durability::from_options(true, Some(5))));
        assert!(bad(Durability::from_options(false, Some(0))));
        assert!(bad(Durability::from_options(
            false,
            Some(MAX_FLUSH_EVERY_MS + 1)
        )));
        assert_eq!(
            Durability::from_options(false, Some(MAX_FLUSH_EVERY_MS)).unwrap(),
            Durability::Periodic {
                every_ms: MAX_FLUSH_EVERY_MS
            }
        );
        assert_eq!(
            Durability::from_options(true, None).unwrap(),
            Durability::EveryWrite
        );
        assert_eq!(
            Durability::from_options(false, None).unwrap(),
            Durability::default()
        );
        // Every open checks it, whichever way the options were built.
        let zero = Options::new().durability(Durability::Periodic { every_ms: 0 });
        assert!(bad(
            Store::open_memory_with(zero.clone()).map(|_| Durability::EveryWrite)
        ));
        let dir = std::env::temp_dir().join(format!("grove-rule-{}", std::process::id()));
        assert!(bad(
            Store::open_with(&dir, zero).map(|_| Durability::EveryWrite)
        ));
        assert!(!dir.exists(), "a refused open leaves nothing on disk");
    }

    #[test]
    fn durations_and_connect_timeouts() {
        for s in [-1.0, f64::NAN, f64::INFINITY, MAX_DURATION_SECS * 2.0] {
            let e = duration_from_secs("window", s).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.to_string().contains("window"), "{e}");
        }
        assert_eq!(
            duration_from_secs("ttl", 1.5).unwrap(),
            Duration::from_millis(1500)
        );
        assert!(connect_timeout_from_secs(f64::NAN).is_err());
        assert!(connect_timeout_from_secs(1e300).is_err());
        assert_eq!(connect_timeout_from_secs(-3.0).unwrap(), Duration::ZERO);
        assert_eq!(
            connect_timeout_from_secs(0.25).unwrap(),
            Duration::from_millis(250)
        );
    }
}
