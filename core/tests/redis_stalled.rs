//! A Redis server that accepts commands and never answers (stopped with SIGSTOP) fails each call
//! as `Io` within the reply timeout instead of hanging it, and the same handle works again once
//! the server runs; and signals arriving while a call waits on the server (Go's preemption
//! signals, a Python handler without SA_RESTART) never fail the call, although the sockets have
//! read and write timeouts. Runs when `GROVE_TEST_REDIS` is set (the test command installs
//! redis-server and sets it); the stalled server is one of this test's own.

#![allow(unsafe_code)] // installs signal handlers and signals threads, to be the Go runtime

mod common;

use grove_core::{with_call_deadline, ErrorKind, Options, Store};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A redis-server of this test's own on a free loopback port; killed on drop.
struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed where GROVE_TEST_REDIS is set");
        let url = format!("redis://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server on {port} did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Server {
            child,
            url,
            _dir: dir,
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig} failed");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.signal("-CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The time a call on a stopped server may take: one reply timeout (1 s in these tests) or one
/// caller's deadline (1 s), plus slack for a loaded machine; not one wait per reply the call
/// expects (a pipeline's replies after a late one are not waited for, and a new connection sends
/// no handshake to wait on), and far below the hang it replaces.
const ONE_WAIT: Duration = Duration::from_millis(1_900);

#[test]
fn a_stopped_server_fails_calls_within_the_reply_timeout_and_the_handle_recovers() {
    if common::redis_url().is_none() {
        return;
    }
    let server = Server::start();
    let store = Store::open_with(
        &server.url,
        Options::new()
            .reply_timeout(Duration::from_secs(1))
            .connect_timeout(Duration::from_secs(1)),
    )
    .unwrap();
    let counter = store.counter("hits").unwrap();
    let crdt = store.crdt_counter("likes").unwrap();
    assert_eq!(counter.increment(1).unwrap(), 1);
    crdt.increment(1).unwrap();

    server.signal("-STOP");
    // A native write (a script), a read, and a transaction (WATCH/MULTI): each fails in time.
    let t = Instant::now();
    let e = counter.increment(1).unwrap_err();
    let took = t.elapsed();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(e.to_string().contains("no reply"), "{e}");
    assert!(e.to_string().contains("outcome is unknown"), "{e}");
    assert!(took < ONE_WAIT, "the write waited {took:?}");
    println!("stopped server: a write failed after {took:?}: {e}");

    // The failed write dropped its connection, so the read opens a new one: the kernel accepts
    // it for the stopped server, whose handshake reply never comes (the connect timeout).
    let t = Instant::now();
    let e = store.get(b"k").unwrap_err();
    let took = t.elapsed();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    let m = e.to_string();
    assert!(m.contains("no reply") || m.contains("not reached"), "{e}");
    assert!(
        took < ONE_WAIT,
        "the read waited {took:?} (a timed-out read is not retried)"
    );

    let t = Instant::now();
    let e = crdt.increment(1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(
        t.elapsed() < ONE_WAIT,
        "the transaction waited {:?}",
        t.elapsed()
    );
    // A KV write is a MULTI block of four replies, a batch of two keys of six.
    let t = Instant::now();
    let e = store.set(b"k2", b"v", None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(t.elapsed() < ONE_WAIT, "the set waited {:?}", t.elapsed());
    let t = Instant::now();
    let e = store
        .set_many(&[(&b"k3"[..], &b"v"[..]), (&b"k4"[..], &b"v"[..])], None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(t.elapsed() < ONE_WAIT, "the batch waited {:?}", t.elapsed());

    server.signal("-CONT");
    // The stopped server still held the write that timed out: it applies it when it runs again,
    // which is why that write's outcome was reported as unknown.
    let now = counter.increment(1).unwrap();
    assert!(now == 2 || now == 3, "counter at {now}");
    assert_eq!(counter.get().unwrap(), now);
    assert!(crdt.value().unwrap() >= 1);
    store.set(b"k", b"v", None).unwrap();
    assert_eq!(store.get(b"k").unwrap().as_deref(), Some(&b"v"[..]));
}

#[test]
fn a_callers_deadline_cuts_a_call_to_a_stopped_server_short() {
    if common::redis_url().is_none() {
        return;
    }
    let server = Server::start();
    let store = Store::open(&server.url).unwrap();
    let counter = store.counter("hits").unwrap();
    let crdt = store.crdt_counter("likes").unwrap();
    // A deadline far off changes nothing; one already passed sends nothing.
    let far = Instant::now() + Duration::from_secs(60);
    assert_eq!(with_call_deadline(far, || counter.increment(1)).unwrap(), 1);
    let e = with_call_deadline(Instant::now(), || counter.increment(1)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(e.to_string().contains("deadline passed before"), "{e}");
    assert_eq!(counter.get().unwrap(), 1);

    server.signal("-STOP");
    // The default reply timeout is 20 s; a 1 s deadline ends each call well before it, after
    // one wait (a new connection used to wait twice: the crate's handshake read its two replies
    // with the whole time left each).
    type Call<'a> = Box<dyn Fn() -> grove_core::Result<()> + 'a>;
    let calls: Vec<(&str, Call)> = vec![
        ("a script", Box::new(|| counter.increment(1).map(|_| ()))),
        ("a transaction", Box::new(|| crdt.increment(1).map(|_| ()))),
        ("a read", Box::new(|| store.get(b"k").map(|_| ()))),
        ("a KV write", Box::new(|| store.set(b"k", b"v", None))),
    ];
    for (what, call) in calls {
        let t = Instant::now();
        let e = with_call_deadline(t + Duration::from_secs(1), &call).unwrap_err();
        let took = t.elapsed();
        assert_eq!(e.kind(), ErrorKind::Io, "{what}: {e}");
        assert!(e.to_string().contains("deadline"), "{what}: {e}");
        assert!(took < ONE_WAIT, "{what} waited {took:?}");
        println!("stopped server, 1 s deadline: {what} failed after {took:?}");
    }
    server.signal("-CONT");
    assert!(counter.increment(1).unwrap() >= 2);
    // Local engines never wait on a network: a passed deadline changes nothing there.
    let mem = Store::open_memory();
    let c = mem.counter("c").unwrap();
    assert_eq!(
        with_call_deadline(Instant::now(), || c.increment(1)).unwrap(),
        1
    );
}

/// A new connection to a server that accepts it but never answers (stopped: the kernel still
/// completes the TCP handshake) fails within the connect timeout, after one wait: not after
/// the reply timeout (the first command's), and not after one connect timeout per handshake
/// reply.
#[test]
fn a_new_connection_to_a_stopped_server_fails_within_the_connect_timeout() {
    if common::redis_url().is_none() {
        return;
    }
    let server = Server::start();
    server.signal("-STOP");
    let options = || Options::new().connect_timeout(Duration::from_secs(1));
    let t = Instant::now();
    let e = Store::open_with(&server.url, options()).unwrap_err();
    let took = t.elapsed();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(e.to_string().contains("connect timeout"), "{e}");
    assert!(took < ONE_WAIT, "the open waited {took:?}");
    println!("stopped server: a new connection failed after {took:?}: {e}");
    server.signal("-CONT");
    let db = Store::open_with(&server.url, options()).unwrap();
    assert_eq!(db.counter("c").unwrap().increment(1).unwrap(), 1);
}

#[test]
fn a_reply_timeout_of_zero_or_on_a_local_engine_is_invalid() {
    let e = Store::open_with(
        "memory:",
        Options::new().reply_timeout(Duration::from_secs(1)),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.to_string().contains("reply_timeout"), "{e}");
    let Some(url) = common::redis_url() else {
        return;
    };
    let e = Store::open_with(&url, Options::new().reply_timeout(Duration::ZERO)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

static HANDLED: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_signal(_: libc::c_int) {
    HANDLED.fetch_add(1, Ordering::Relaxed);
}

/// Signals this thread every 20 µs from another one while it makes `n` increments on `url`
/// (with the reply timeout set, so the sockets have timeouts), the handler installed with or
/// without SA_RESTART; every increment must succeed and count once.
fn increments_under_signals(url: &str, restart: bool, n: i64) {
    let name = format!("sig-{restart}");
    // SAFETY: a handler that only bumps an atomic is async-signal-safe; sigaction is given a
    // zeroed, filled-in struct.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
        sa.sa_flags = if restart { libc::SA_RESTART } else { 0 };
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
    }
    let store =
        Store::open_with(url, Options::new().reply_timeout(Duration::from_secs(5))).unwrap();
    let counter = store.counter(&name).unwrap();
    counter.set(0).unwrap();
    let before = HANDLED.load(Ordering::Relaxed);
    // SAFETY: pthread_self is always safe; the id stays valid while this thread runs, and the
    // signaller stops (joined below) before this function returns.
    let me = unsafe { libc::pthread_self() };
    let stop = Arc::new(AtomicBool::new(false));
    let signaller = {
        let stop = stop.clone();
        let me = me as usize;
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // SAFETY: the target thread is alive until `stop` is set and this one joined.
                unsafe { libc::pthread_kill(me as libc::pthread_t, libc::SIGUSR1) };
                std::thread::sleep(Duration::from_micros(20));
            }
        })
    };
    let mut failed = None;
    for i in 0..n {
        if let Err(e) = counter.increment(1) {
            failed = Some(format!("increment {i} failed: {e}"));
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    signaller.join().unwrap();
    let handled = HANDLED.load(Ordering::Relaxed) - before;
    println!("SA_RESTART={restart}: {n} increments, {handled} signals handled meanwhile");
    if let Some(f) = failed {
        panic!("{f}");
    }
    assert_eq!(counter.get().unwrap(), n);
    assert!(handled > 0, "no signal arrived: the test tested nothing");
}

#[test]
fn signals_during_calls_never_fail_them() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let url = format!("{url}?store=signals");
    // One test runs both (the handler is process-wide): Go's handlers (SA_RESTART) and
    // Python's (without it).
    increments_under_signals(&url, true, 3_000);
    increments_under_signals(&url, false, 3_000);
}
