//! Connections to one Redis server: the address, a pool of idle connections, timeouts, and the
//! mapping of client errors to Grove's kinds (an unreachable server is `Io` naming the address).

use crate::error::{Error, ErrorKind, Result};
use crate::sync::Mutex;
use redis::ConnectionLike;
use std::time::Duration;

/// Default time to establish a connection before `Io`.
pub(crate) const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle connections kept for reuse; more may be open at once while many threads call.
const MAX_IDLE: usize = 16;

/// Whether a failed call may have changed the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    /// A read: retrying it on a fresh connection is harmless.
    Read,
    /// A write: if the connection failed after the command was sent, it may or may not have been
    /// applied, and retrying could apply it twice; the caller is told instead.
    Write,
}

/// A small pool of blocking connections to one server.
pub(crate) struct Pool {
    client: redis::Client,
    /// `host:port` (and db) for messages; never the password.
    addr: String,
    timeout: Duration,
    idle: Mutex<Vec<redis::Connection>>,
}

impl Pool {
    /// A pool for `url` (`redis://[user:password@]host:port[/db]`); connects lazily.
    pub(crate) fn new(url: &str, timeout: Duration) -> Result<Pool> {
        let info = redis::IntoConnectionInfo::into_connection_info(url)
            .map_err(|e| Error::invalid(format!("store target is not a valid Redis URL: {e}")))?
            // Each call is one small request waiting for its reply: never hold it back (Nagle).
            .set_tcp_settings(redis::io::tcp::TcpSettings::default().set_nodelay(true));
        let client = redis::Client::open(info)
            .map_err(|e| Error::invalid(format!("store target is not a valid Redis URL: {e}")))?;
        let info = client.get_connection_info();
        let addr = format!("{}", info.addr());
        Ok(Pool {
            client,
            addr,
            timeout,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// The server's address as messages name it.
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    fn connect(&self) -> Result<redis::Connection> {
        let conn = self
            .client
            .get_connection_with_timeout(self.timeout)
            .map_err(|e| self.error(e, Effect::Read))?;
        // No socket read/write timeout: with one set, Linux does not restart a read a signal
        // interrupted (even under SA_RESTART), and Go's runtime signals its threads all the time
        // (goroutine preemption), so calls from the Go door failed with EINTR ("Interrupted
        // system call"), writes with an unknown outcome. Connecting is still bounded; a server
        // that accepts a command and never answers is not (yet).
        Ok(conn)
    }

    /// Runs `f` on a pooled connection. A read that fails on the connection (a server restarted
    /// since it was pooled) is tried once more on a fresh one; a write is not (see [`Effect`]).
    pub(crate) fn run<T>(
        &self,
        effect: Effect,
        mut f: impl FnMut(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T> {
        let pooled = self.idle.lock().pop();
        let fresh = pooled.is_none();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        match f(&mut conn) {
            Ok(v) => {
                self.give_back(conn);
                Ok(v)
            }
            Err(e) if is_connection_error(&e) => {
                // Every idle connection predates the failure and is most likely dead too.
                self.idle.lock().clear();
                if effect == Effect::Read && !fresh {
                    let mut conn = self.connect()?;
                    let out = f(&mut conn).map_err(|e| self.error(e, effect))?;
                    self.give_back(conn);
                    return Ok(out);
                }
                Err(self.error(e, effect))
            }
            Err(e) => {
                // A server reply error leaves the connection usable.
                self.give_back(conn);
                Err(self.error(e, effect))
            }
        }
    }

    /// A connection of its own, for a transaction that keeps state on it (WATCH).
    pub(crate) fn take(&self) -> Result<redis::Connection> {
        match self.idle.lock().pop() {
            Some(c) => Ok(c),
            None => self.connect(),
        }
    }

    /// Returns a connection taken with [`Pool::take`] that is known to be clean.
    pub(crate) fn give_back(&self, conn: redis::Connection) {
        let mut idle = self.idle.lock();
        if idle.len() < MAX_IDLE && conn.is_open() {
            idle.push(conn);
        }
    }

    /// Grove's error for a client error, naming the server.
    pub(crate) fn error(&self, e: redis::RedisError, effect: Effect) -> Error {
        if is_connection_error(&e) {
            let what = if e.is_timeout() {
                format!("no reply within {:?}", self.timeout)
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
                format!("Redis server {}: {what}{outcome}", self.addr),
            );
        }
        if e.code() == Some("WRONGTYPE") {
            return Error::new(ErrorKind::WrongType, e.to_string());
        }
        if matches!(e.code(), Some("NOAUTH" | "WRONGPASS" | "NOPERM")) {
            return Error::new(
                ErrorKind::Io,
                format!("Redis server {}: authentication refused: {e}", self.addr),
            );
        }
        Error::new(ErrorKind::Io, format!("Redis server {}: {e}", self.addr))
    }
}

/// True when the connection itself failed (refused, reset, closed, timed out).
fn is_connection_error(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal()
}
