//! Connections to the Redis server that holds a store: its address (on a Redis Cluster, the
//! master serving the store's one hash slot, followed through `MOVED` and `ASK`), a pool of idle
//! connections, timeouts, and the mapping of client errors to Grove's kinds (an unreachable
//! server is `Io` naming the address).

use super::quiet::Quiet;
use crate::error::{Error, ErrorKind, Result};
use crate::sync::Mutex;
use crate::target::{Server, TlsFiles};
use redis::{ConnectionAddr, ConnectionInfo, ConnectionLike};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Default time to establish a connection before `Io`.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Default time a sent command may wait for its reply (or a request for room in the socket's
/// send buffer) before the connection is dropped as an `Io` error: a server that accepts a
/// command and never answers (stopped with SIGSTOP, wedged) fails the call instead of hanging
/// it. Grove sends no blocking commands (its waits are client-side), so every reply is due at
/// once; 20 s leaves room for the longest script (a large leaderboard's `clear`).
pub(crate) const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// Idle connections kept for reuse; more may be open at once while many threads call.
const MAX_IDLE: usize = 16;

/// Refusals one call follows (`MOVED`, `ASK`, `TRYAGAIN`, `CLUSTERDOWN`, `LOADING`) before it
/// reports the last one; with [`backoff`] that is about 10 s of a cluster in transition (a
/// slot migration, a failover).
const MAX_REDIRECTS: u32 = 100;

/// The wait before try `tries + 1` after a "try again": 5 ms doubling to 100 ms.
fn backoff(tries: u32) -> Duration {
    Duration::from_millis((5u64 << tries.min(5)).min(100))
}

/// Whether a failed call may have changed the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// A read: retrying it on a fresh connection is harmless.
    Read,
    /// A write: if the connection failed after the command was sent, it may or may not have been
    /// applied, and retrying could apply it twice; the caller is told instead.
    Write,
}

/// The server the pool talks to now.
struct Node {
    client: redis::Client,
    /// `host:port` (and db) for messages; never the password.
    addr: String,
    /// Bumped at every move, so connections to a former node are not pooled again.
    generation: u64,
}

/// How to find the master serving a store on a cluster.
struct Cluster {
    /// The nodes the target named (credentials included), asked in turn.
    seeds: Vec<ConnectionInfo>,
    /// A key of the store: every key of a store shares its hash tag, so this key's slot is
    /// theirs.
    key: Vec<u8>,
}

/// A connection taken from the pool, with the node generation it was opened for.
pub(crate) struct Conn {
    generation: u64,
    /// Its socket timeouts were shortened to a caller's deadline (see [`Pool::arm`]).
    armed: bool,
    /// The connection itself.
    pub(crate) conn: redis::Connection,
}

/// A small pool of blocking connections to the server (or cluster master) holding a store.
pub(crate) struct Pool {
    /// What every node shares (credentials, TCP settings); only the address changes on a move.
    info: ConnectionInfo,
    node: Mutex<Arc<Node>>,
    cluster: Option<Cluster>,
    timeout: Duration,
    /// Bounds every read and write on a connection (see [`DEFAULT_REPLY_TIMEOUT`]).
    reply_timeout: Duration,
    idle: Mutex<Vec<Conn>>,
    /// A connection failed: on a cluster, ask the seeds where the slot lives before the next
    /// connection (a failover may have moved it).
    suspect: AtomicBool,
}

/// How one try of a call ended when it did not succeed.
enum Failed {
    /// An error to report.
    Final(Error),
    /// The server refused before running the command (a redirect or "try again"): nothing was
    /// applied, so the call may be repeated, writes included.
    Refused(redis::RedisError),
}

/// How long a connection may go without a sign of life from the server's host while a
/// request waits (unacknowledged data, or unanswered keepalive probes) before it is dropped as
/// an `Io` error: a dead host or a network partition never hangs a call. (A live server that
/// acknowledges a request and never answers it is bounded by the reply timeout instead.)
pub(crate) const DEAD_PEER_AFTER: Duration = Duration::from_secs(20);

/// A URL's connection settings: Nagle off, keepalive probes and `TCP_USER_TIMEOUT` on.
fn connection_info(url: &str) -> Result<ConnectionInfo> {
    let keepalive = redis::io::tcp::socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(5))
        .with_interval(Duration::from_secs(5))
        .with_retries(3);
    let tcp = redis::io::tcp::TcpSettings::default()
        // Each call is one small request waiting for its reply: never hold it back (Nagle).
        .set_nodelay(true)
        // Probes find a dead host while a request waits for its reply (it was acknowledged, so
        // nothing else is in flight); the user timeout bounds unacknowledged requests and
        // probes alike (Linux lets it override the probe count).
        .set_keepalive(keepalive)
        .set_user_timeout(DEAD_PEER_AFTER);
    let info = redis::IntoConnectionInfo::into_connection_info(url)
        .map_err(|e| Error::invalid(format!("store target is not a valid Redis URL: {e}")))?;
    // No `CLIENT SETINFO` pair in the handshake: the crate reads each of its replies with the
    // whole time left, so a server that stops answering held a new connection for twice the
    // connect timeout or a caller's deadline; and a server before 7.2 only answers it with
    // errors. `open_connection` sends one PING instead.
    let redis = info.redis_settings().clone().set_skip_set_lib_name();
    Ok(info.set_redis_settings(redis).set_tcp_settings(tcp))
}

/// `info` with the certificates `tls` names read into it (a `rediss://` address only).
fn with_tls(info: ConnectionInfo, tls: &TlsFiles) -> Result<ConnectionInfo> {
    if *tls == TlsFiles::default() {
        return Ok(info);
    }
    let read = |p: &std::path::Path, what: &str| {
        std::fs::read(p).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("reading the TLS {what} {}: {e}", p.display()),
            )
        })
    };
    let root_cert = tls.ca.as_deref().map(|p| read(p, "CA file")).transpose()?;
    let client_tls = match (&tls.cert, &tls.key) {
        (Some(c), Some(k)) => Some(redis::ClientTlsConfig {
            client_cert: read(c, "client certificate")?,
            client_key: read(k, "client key")?,
        }),
        _ => None,
    };
    let certs = redis::TlsCertificates {
        client_tls,
        root_cert,
    };
    let client = redis::Client::build_with_tls(info, certs)
        .map_err(|e| Error::invalid(format!("the TLS settings of the store target: {e}")))?;
    Ok(client.get_connection_info().clone())
}

/// `info` pointed at `host:port` (as `MOVED`, `ASK` and `CLUSTER SLOTS` name nodes).
fn at(info: &ConnectionInfo, host_port: &str) -> Result<ConnectionInfo> {
    let (host, port) = host_port
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
        .ok_or_else(|| bad_node(host_port))?;
    let addr = match info.addr() {
        ConnectionAddr::TcpTls {
            insecure,
            tls_params,
            ..
        } => ConnectionAddr::TcpTls {
            host,
            port,
            insecure: *insecure,
            tls_params: tls_params.clone(),
        },
        _ => ConnectionAddr::Tcp(host, port),
    };
    Ok(info.clone().set_addr(addr))
}

fn bad_node(what: &str) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("Redis Cluster named a node Grove cannot read: {what:?}"),
    )
}

/// True when the server refused a command without running it, and it may be sent again: a
/// cluster redirect or "try again", or such a refusal inside a `MULTI` block (which the server
/// then aborts whole) or a pipeline.
fn is_refusal(e: &redis::RedisError) -> bool {
    matches!(
        e.code(),
        Some("MOVED" | "ASK" | "TRYAGAIN" | "CLUSTERDOWN" | "LOADING" | "MASTERDOWN")
    ) || is_nested_refusal(e)
}

/// A refusal inside an aborted `MULTI` block or a pipeline: the client reports the inner errors
/// only in its message ("Transaction aborted: [(Index 2, error: Ask: 9956 host:port)]").
fn is_nested_refusal(e: &redis::RedisError) -> bool {
    let m = e.to_string();
    (m.starts_with("Transaction aborted") || m.starts_with("Pipeline failures"))
        && ["Moved", "Ask", "TryAgain", "ClusterDown"]
            .iter()
            .any(|w| m.contains(&format!("error: {w}")))
}

/// A read-only script that met a key of its slot already moved to another master (the slot is
/// half-way through a migration): it changed nothing, so it may run again once the move is done.
/// A writing script never meets this: it declares every key it touches (so the server checks
/// them before it starts), or reaches the others with `pcall` before its first write and answers
/// TRYAGAIN (a leaderboard's clear, a queue's move from the earlier layout).
fn is_moved_key_read(e: &redis::RedisError, effect: Effect) -> bool {
    effect == Effect::Read && e.to_string().contains("non local key")
}

impl Node {
    fn new(info: ConnectionInfo, generation: u64) -> Result<Node> {
        let client = redis::Client::open(info)
            .map_err(|e| Error::invalid(format!("store target is not a valid Redis URL: {e}")))?;
        let addr = format!("{}", client.get_connection_info().addr());
        Ok(Node {
            client,
            addr,
            generation,
        })
    }
}

impl Pool {
    /// A pool for the server (or, on a cluster, the master serving `key`'s slot); a standalone
    /// server is connected to lazily, a cluster is asked where the slot lives at once.
    pub(crate) fn new(
        server: &Server,
        tls: &TlsFiles,
        key: &[u8],
        timeout: Duration,
        reply_timeout: Duration,
    ) -> Result<Pool> {
        let (info, cluster) = match server {
            Server::Standalone(url) => (with_tls(connection_info(url)?, tls)?, None),
            Server::Cluster(urls) => {
                let seeds = urls
                    .iter()
                    .map(|u| with_tls(connection_info(u)?, tls))
                    .collect::<Result<Vec<_>>>()?;
                let first = seeds
                    .first()
                    .cloned()
                    .ok_or_else(|| Error::invalid("a Redis Cluster target names no node"))?;
                let cluster = Cluster {
                    seeds,
                    key: key.to_vec(),
                };
                (first, Some(cluster))
            }
        };
        let start = match &cluster {
            Some(c) => master_for(c, timeout, reply_timeout)?,
            None => info.clone(),
        };
        Ok(Pool {
            node: Mutex::new(Arc::new(Node::new(start, 0)?)),
            info,
            cluster,
            timeout,
            reply_timeout,
            idle: Mutex::new(Vec::new()),
            suspect: AtomicBool::new(false),
        })
    }

    /// The server's address as messages name it.
    pub(crate) fn addr(&self) -> String {
        self.node.lock().addr.clone()
    }

    fn connect(&self) -> Result<Conn> {
        if self.cluster.is_some() && self.suspect.swap(false, Ordering::SeqCst) {
            self.refresh();
        }
        let node = self.node.lock().clone();
        let timeout = match crate::deadline::left() {
            Some(left) => self.timeout.min(left.max(Duration::from_millis(1))),
            None => self.timeout,
        };
        let conn = open_connection(&node, timeout, self.reply_timeout)
            .map_err(|e| self.connect_error(&node.addr, e))?;
        Ok(Conn {
            generation: node.generation,
            armed: false,
            conn,
        })
    }

    /// Runs `f` on a pooled connection. A read that fails on the connection (a server restarted
    /// since it was pooled) is tried once more on a fresh one; a write is not (see [`Effect`]).
    /// A command the server refused without running it (a cluster redirect, "try again") is
    /// sent where it belongs, reads and writes alike.
    pub(crate) fn run<T>(
        &self,
        effect: Effect,
        mut f: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        let _quiet = Quiet::new();
        let mut ask: Option<ConnectionInfo> = None;
        let mut tries = 0;
        loop {
            let out = match ask.take() {
                None => self.run_once(effect, &mut f),
                Some(target) => self.run_asking(target, effect, &mut f),
            };
            let refusal = match out {
                Ok(v) => return Ok(v),
                Err(Failed::Final(e)) => return Err(e),
                Err(Failed::Refused(e)) => e,
            };
            tries += 1;
            if tries > MAX_REDIRECTS {
                return Err(self.error(refusal, effect));
            }
            ask = self.follow(&refusal, tries)?;
        }
    }

    fn run_once<T>(
        &self,
        effect: Effect,
        f: &mut impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> std::result::Result<T, Failed> {
        let pooled = self.idle.lock().pop();
        let fresh = pooled.is_none();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect().map_err(Failed::Final)?,
        };
        if let Err(e) = self.arm(&mut conn) {
            self.give_back(conn);
            return Err(Failed::Final(e));
        }
        match f(&mut conn.conn) {
            Ok(v) => {
                self.give_back(conn);
                Ok(v)
            }
            Err(e) if is_connection_error(&e) => {
                // Every idle connection predates the failure and is most likely dead too; on a
                // cluster the slot may have a new master (a failover): the next connection asks
                // (not this failing call, which reports now).
                self.idle.lock().clear();
                self.suspect.store(true, Ordering::SeqCst);
                // A read that timed out is not tried again: the server is there but not
                // answering, and a second try would only double the wait.
                if effect == Effect::Read && !fresh && !e.is_timeout() {
                    let mut conn = self.connect().map_err(Failed::Final)?;
                    self.arm(&mut conn).map_err(Failed::Final)?;
                    return match f(&mut conn.conn) {
                        Ok(v) => {
                            self.give_back(conn);
                            Ok(v)
                        }
                        Err(e) if is_refusal(&e) || is_moved_key_read(&e, effect) => {
                            Err(Failed::Refused(e))
                        }
                        Err(e) => Err(Failed::Final(self.error(e, effect))),
                    };
                }
                Err(Failed::Final(self.error(e, effect)))
            }
            Err(e) => {
                // A server reply error leaves the connection usable.
                self.give_back(conn);
                if is_refusal(&e) || is_moved_key_read(&e, effect) {
                    return Err(Failed::Refused(e));
                }
                Err(Failed::Final(self.error(e, effect)))
            }
        }
    }

    /// Runs `f` once on the node an `ASK` named (a slot half-way through a migration), on a
    /// connection of its own that is not pooled.
    fn run_asking<T>(
        &self,
        target: ConnectionInfo,
        effect: Effect,
        f: &mut impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> std::result::Result<T, Failed> {
        let node = Node::new(target, 0).map_err(Failed::Final)?;
        let limit = self.limit().map_err(Failed::Final)?;
        let timeout = limit.map_or(self.timeout, |l| self.timeout.min(l));
        let reply_timeout = limit.unwrap_or(self.reply_timeout);
        let mut conn = open_connection(&node, timeout, reply_timeout)
            .map_err(|e| Failed::Final(self.connect_error(&node.addr, e)))?;
        let out = redis::cmd("ASKING")
            .query::<()>(&mut conn)
            .and_then(|()| f(&mut conn));
        match out {
            Ok(v) => Ok(v),
            Err(e) if is_refusal(&e) || is_moved_key_read(&e, effect) => Err(Failed::Refused(e)),
            Err(e) => Err(Failed::Final(self.error_at(&node.addr, e, effect))),
        }
    }

    /// Acts on a refusal before the next try: a `MOVED` points the pool at the new master, an
    /// `ASK` is returned (the next try goes there once), anything else waits a little. `tries`
    /// counts the refusals so far.
    fn follow(&self, e: &redis::RedisError, tries: u32) -> Result<Option<ConnectionInfo>> {
        match (e.code(), e.redirect_node()) {
            (Some("MOVED"), Some((to, _))) => {
                if self.cluster.is_none() {
                    return Err(Error::invalid(format!(
                        "Redis server {} is a Redis Cluster node (it answered MOVED): write \
                         redis+cluster://HOST:PORT for a cluster",
                        self.addr()
                    )));
                }
                let to = at(&self.info, to)?;
                self.move_to(to)?;
                Ok(None)
            }
            (Some("ASK"), Some((to, _))) => Ok(Some(at(&self.info, to)?)),
            _ => {
                // The slot is moving (its keys split between two masters) or the cluster is
                // electing: wait, then ask again where the slot lives.
                std::thread::sleep(backoff(tries));
                if e.code() == Some("CLUSTERDOWN") || is_nested_refusal(e) {
                    self.refresh();
                }
                Ok(None)
            }
        }
    }

    /// For a transaction that was refused (see [`is_refusal`]; an `EXEC` aborted because a queued
    /// command was redirected included): true when it may start over, after the pool follows the
    /// redirect or waits. Nothing of a refused transaction was applied.
    pub(crate) fn retry_transaction(&self, e: &redis::RedisError, tries: u32) -> Result<bool> {
        if tries > MAX_REDIRECTS {
            return Ok(false);
        }
        if is_refusal(e) {
            if e.code() == Some("ASK") {
                // A transaction cannot follow ASK command by command; wait for the migration
                // to finish, after which the old master answers MOVED.
                std::thread::sleep(backoff(tries));
                return Ok(true);
            }
            self.follow(e, tries)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Points the pool at `to` unless another thread already did.
    fn move_to(&self, to: ConnectionInfo) -> Result<()> {
        let mut node = self.node.lock();
        if node.client.get_connection_info().addr() == to.addr() {
            return Ok(());
        }
        *node = Arc::new(Node::new(to, node.generation + 1)?);
        drop(node);
        self.idle.lock().clear();
        Ok(())
    }

    /// On a cluster, asks the seeds again which master serves the store (after a failover or a
    /// connection lost); a failure to ask changes nothing, as the next call reports it.
    fn refresh(&self) {
        if let Some(c) = &self.cluster {
            if let Ok(to) = master_for(c, self.timeout, self.reply_timeout) {
                let _ = self.move_to(to);
            }
        }
    }

    /// A connection of its own, for a transaction that keeps state on it (WATCH). The caller
    /// holds a [`Quiet`] guard from before this call until it gives the connection back.
    pub(crate) fn take(&self) -> Result<Conn> {
        match self.idle.lock().pop() {
            Some(c) => Ok(c),
            None => self.connect(),
        }
    }

    /// How long the next round trip may wait: the reply timeout, or less when this thread's
    /// caller set a deadline (see the deadline module); an `Io` error once that has passed.
    fn limit(&self) -> Result<Option<Duration>> {
        match crate::deadline::left() {
            None => Ok(None),
            Some(left) if left.is_zero() => Err(Error::new(
                ErrorKind::Io,
                format!(
                    "Redis server {}: the caller's deadline passed before the call was sent",
                    self.addr()
                ),
            )),
            Some(left) => Ok(Some(left.min(self.reply_timeout))),
        }
    }

    /// Shortens `conn`'s socket timeouts to this thread's deadline, if it has one (undone by
    /// [`Pool::give_back`]); an `Io` error once the deadline has passed. Called before each
    /// round trip or transaction attempt, so none waits past the deadline.
    pub(crate) fn arm(&self, conn: &mut Conn) -> Result<()> {
        let Some(limit) = self.limit()? else {
            return Ok(());
        };
        conn.armed = true;
        let set = conn
            .conn
            .set_read_timeout(Some(limit))
            .and_then(|()| conn.conn.set_write_timeout(Some(limit)));
        set.map_err(|e| self.error(e, Effect::Read))
    }

    /// Returns a connection taken with [`Pool::take`] that is known to be clean.
    pub(crate) fn give_back(&self, mut conn: Conn) {
        if conn.armed {
            conn.armed = false;
            let reset = conn
                .conn
                .set_read_timeout(Some(self.reply_timeout))
                .and_then(|()| conn.conn.set_write_timeout(Some(self.reply_timeout)));
            if reset.is_err() {
                return;
            }
        }
        let current = self.node.lock().generation;
        let mut idle = self.idle.lock();
        if idle.len() < MAX_IDLE && conn.generation == current && conn.conn.is_open() {
            idle.push(conn);
        }
    }

    /// Grove's error for a client error, naming the server.
    pub(crate) fn error(&self, e: redis::RedisError, effect: Effect) -> Error {
        self.error_at(&self.addr(), e, effect)
    }

    /// Grove's error for a connection that could not be made.
    fn connect_error(&self, addr: &str, e: redis::RedisError) -> Error {
        if e.is_timeout() && crate::deadline::left().is_some() {
            return Error::new(
                ErrorKind::Io,
                format!("Redis server {addr}: not reached before the caller's deadline"),
            );
        }
        if e.is_timeout() {
            return Error::new(
                ErrorKind::Io,
                format!(
                    "Redis server {addr}: not reached within the connect timeout ({:?})",
                    self.timeout
                ),
            );
        }
        self.error_at(addr, e, Effect::Read)
    }

    fn error_at(&self, addr: &str, e: redis::RedisError, effect: Effect) -> Error {
        if is_connection_error(&e) {
            let what = if e.is_timeout() && crate::deadline::left().is_some() {
                "no reply before the caller's deadline; the connection was dropped".to_string()
            } else if e.is_timeout() {
                format!(
                    "no reply within the reply timeout ({:?}); the connection was dropped",
                    self.reply_timeout
                )
            } else {
                e.to_string()
            };
            let outcome = match effect {
                Effect::Read => "",
                Effect::Write => {
                    "; the write's outcome is unknown (it may or may not have been applied) and \
                     it was not retried"
                }
            };
            return Error::new(
                ErrorKind::Io,
                format!("Redis server {addr}: {what}{outcome}"),
            );
        }
        if e.code() == Some("WRONGTYPE") {
            return Error::new(ErrorKind::WrongType, e.to_string());
        }
        if matches!(e.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM")) {
            return Error::new(
                ErrorKind::Io,
                format!("Redis server {addr}: authentication refused: {e}"),
            );
        }
        Error::new(ErrorKind::Io, format!("Redis server {addr}: {e}"))
    }
}

/// A new connection to `node`, its reads and writes bounded by `reply_timeout`. The caller
/// holds a [`Quiet`] guard (see the quiet module: a socket timeout without it lets a signal fail
/// the call).
fn open_connection(
    node: &Node,
    timeout: Duration,
    reply_timeout: Duration,
) -> redis::RedisResult<redis::Connection> {
    let started = Instant::now();
    let mut conn = node.client.get_connection_with_timeout(timeout)?;
    // Without a password or a database to select the crate's handshake sends nothing, and a
    // TLS handshake only happens on the first exchange: one PING, in what is left of `timeout`,
    // makes the server answer (and finishes TLS) within the connect timeout rather than the
    // first call's reply timeout. One reply, so one wait (see `connection_info`).
    let left = timeout
        .saturating_sub(started.elapsed())
        .max(Duration::from_millis(1));
    conn.set_read_timeout(Some(left))?;
    conn.set_write_timeout(Some(left))?;
    redis::cmd("PING").query::<()>(&mut conn)?;
    conn.set_read_timeout(Some(reply_timeout))?;
    conn.set_write_timeout(Some(reply_timeout))?;
    Ok(conn)
}

/// Asks the cluster's seed nodes, in turn, which master serves `c.key`'s slot.
/// All of it within `timeout`, however many seeds there are.
fn master_for(c: &Cluster, timeout: Duration, reply_timeout: Duration) -> Result<ConnectionInfo> {
    let _quiet = Quiet::new();
    let mut last = None;
    let deadline = Instant::now() + timeout;
    for seed in &c.seeds {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match ask_seed(seed, &c.key, left, reply_timeout) {
            Ok(found) => return Ok(found),
            Err(e) if e.kind() == ErrorKind::InvalidArgument => return Err(e),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| Error::invalid("a Redis Cluster target names no node")))
}

/// One seed's answer: the master of `key`'s slot from `CLUSTER SLOTS`.
fn ask_seed(
    seed: &ConnectionInfo,
    key: &[u8],
    timeout: Duration,
    reply_timeout: Duration,
) -> Result<ConnectionInfo> {
    let node = Node::new(seed.clone(), 0)?;
    let io = |e: redis::RedisError| {
        Error::new(
            ErrorKind::Io,
            format!("Redis Cluster node {}: {e}", node.addr),
        )
    };
    let mut conn = open_connection(&node, timeout, reply_timeout).map_err(io)?;
    let slot: i64 = match redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query(&mut conn)
    {
        Ok(s) => s,
        Err(e) if e.to_string().contains("cluster support disabled") => {
            return Err(Error::invalid(format!(
                "Redis server {} is not a Redis Cluster node: write redis://HOST:PORT for a \
                 single server",
                node.addr
            )))
        }
        Err(e) => return Err(io(e)),
    };
    let slots: Vec<redis::Value> = redis::cmd("CLUSTER")
        .arg("SLOTS")
        .query(&mut conn)
        .map_err(io)?;
    for range in slots {
        let redis::Value::Array(fields) = range else {
            continue;
        };
        let int = |v: Option<&redis::Value>| match v {
            Some(redis::Value::Int(i)) => Some(*i),
            _ => None,
        };
        let (Some(lo), Some(hi)) = (int(fields.first()), int(fields.get(1))) else {
            continue;
        };
        if !(lo..=hi).contains(&slot) {
            continue;
        }
        let Some(redis::Value::Array(master)) = fields.get(2) else {
            return Err(bad_node("a slot range without a master"));
        };
        let host = match master.first() {
            Some(redis::Value::BulkString(h)) => String::from_utf8_lossy(h).into_owned(),
            Some(redis::Value::SimpleString(h)) => h.clone(),
            _ => String::new(),
        };
        let port = int(master.get(1)).ok_or_else(|| bad_node("a master without a port"))?;
        // An empty host (or "?") means "the address you reached me at".
        let host = if host.is_empty() || host == "?" {
            match seed.addr() {
                ConnectionAddr::Tcp(h, _) | ConnectionAddr::TcpTls { host: h, .. } => h.clone(),
                _ => return Err(bad_node("a node on a Unix socket")),
            }
        } else {
            host
        };
        return at(seed, &format!("{host}:{port}"));
    }
    Err(Error::new(
        ErrorKind::Io,
        format!(
            "Redis Cluster node {}: no master serves slot {slot} (the cluster is not ready)",
            node.addr
        ),
    ))
}

/// True when the connection itself failed (refused, reset, closed, timed out).
pub(crate) fn is_connection_error(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal()
}
