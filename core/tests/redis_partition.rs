//! A Redis server cut off by a network partition: a call waiting on it fails as `Io` within
//! the dead-peer bound instead of hanging, and the same handle works again once the network is
//! back. The server runs in a network namespace of its own joined to this one by a veth pair;
//! the partition takes the far end of the pair down, so packets vanish without an answer (no
//! reset, no unreachable), the way a dead host or a cut link looks. Runs when
//! `GROVE_TEST_NETNS` is set, which the test command does once it has made (and removed) a
//! network namespace of its own, so it can: root, iproute2 and redis-server are there.

use grove_core::{ErrorKind, Options, Store};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The bound of the Redis engine (`DEAD_PEER_AFTER`, 20 s) plus slack for a loaded machine.
const BOUND: Duration = Duration::from_secs(35);

fn sh(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// A namespace with a redis-server, and the veth pair to it; removed on drop.
struct Island {
    ns: String,
    far: String,
    addr: String,
    dir: tempfile::TempDir,
}

impl Island {
    fn new() -> Island {
        let id = std::process::id() % 10_000;
        let ns = format!("grove-part-{id}");
        let (near, far) = (format!("gp{id}h"), format!("gp{id}n"));
        let net = format!("10.231.{}", id % 250);
        let dir = tempfile::tempdir().unwrap();
        let _ = sh(&["ip", "netns", "del", &ns]);
        let island = Island {
            ns: ns.clone(),
            far: far.clone(),
            addr: format!("{net}.2:6379"),
            dir,
        };
        let steps: Vec<Vec<String>> = vec![
            vec!["ip", "netns", "add", &ns],
            vec![
                "ip", "link", "add", &near, "type", "veth", "peer", "name", &far,
            ],
            vec!["ip", "link", "set", &far, "netns", &ns],
            vec!["ip", "addr", "add", &format!("{net}.1/24"), "dev", &near],
            vec!["ip", "link", "set", &near, "up"],
        ]
        .into_iter()
        .map(|v| v.into_iter().map(String::from).collect())
        .collect();
        for step in &steps {
            let args: Vec<&str> = step.iter().map(String::as_str).collect();
            // The test command sets GROVE_TEST_NETNS only after it made a namespace itself, so
            // here a failure is the test's, not the machine's.
            assert!(sh(&args), "`{}` failed", args.join(" "));
        }
        let inside = |cmd: &[&str]| {
            let mut v = vec!["ip", "netns", "exec", &ns];
            v.extend_from_slice(cmd);
            sh(&v)
        };
        let far_addr = format!("{net}.2/24");
        let dir_s = island.dir.path().to_str().unwrap().to_string();
        assert!(inside(&["ip", "addr", "add", &far_addr, "dev", &far]));
        assert!(inside(&["ip", "link", "set", &far, "up"]));
        assert!(inside(&["ip", "link", "set", "lo", "up"]));
        let bind = format!("{net}.2");
        let pidfile = format!("{dir_s}/redis.pid");
        if !inside(&[
            "redis-server",
            "--pidfile",
            &pidfile,
            "--port",
            "6379",
            "--bind",
            &bind,
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
            "--dir",
            &dir_s,
            "--daemonize",
            "yes",
        ]) {
            panic!("redis-server did not start in namespace {ns}");
        }
        island
    }

    /// Takes the far end of the link down (`false`) or up again (`true`).
    fn link(&self, up: bool) {
        let state = if up { "up" } else { "down" };
        assert!(sh(&[
            "ip", "netns", "exec", &self.ns, "ip", "link", "set", &self.far, state
        ]));
    }
}

impl Drop for Island {
    fn drop(&mut self) {
        // Killing the namespace's processes, then the namespace (which takes the veth pair).
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ip netns pids {ns} | xargs -r kill -9; ip netns del {ns}",
                ns = self.ns
            ))
            .status();
    }
}

/// Runs `f` on a thread, returning its result and how long it took, or panicking after BOUND.
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> (T, Duration) {
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(BOUND) {
        Ok(v) => (v, started.elapsed()),
        Err(_) => panic!("{what} still waiting after {BOUND:?}: a partition hangs the call"),
    }
}

#[test]
fn a_partitioned_server_fails_calls_in_bounded_time_and_the_handle_recovers() {
    if std::env::var("GROVE_TEST_NETNS").is_err() {
        eprintln!("NOTE: GROVE_TEST_NETNS is not set: the partition test did not run");
        return;
    }
    let island = Island::new();
    let url = format!("redis://{}?store=partition", island.addr);
    let opts = Options::new().connect_timeout(Duration::from_secs(2));
    // The daemonized server may still be starting.
    let mut tries = 0;
    let db = loop {
        match Store::open_with(&url, opts.clone()) {
            Ok(db) => break db,
            Err(e) if tries < 100 => {
                tries += 1;
                let _ = e;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("the server in the namespace never answered: {e}"),
        }
    };
    let counter = db.counter("c").unwrap();
    assert_eq!(counter.increment(1).unwrap(), 1);

    island.link(false);
    let c = counter.clone();
    let (out, took) = bounded("an increment", move || c.increment(1));
    let err = out.unwrap_err();
    println!("increment across the partition failed after {took:?}: {err}");
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.message().contains(&island.addr), "{err}");
    assert!(err.message().contains("outcome is unknown"), "{err}");
    // A read opens a fresh connection, bounded by the connect timeout.
    let c = counter.clone();
    let (out, took) = bounded("a read", move || c.get());
    let err = out.unwrap_err();
    println!("read across the partition failed after {took:?}: {err}");
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");

    island.link(true);
    // The increment never reached the server (its link was down before it was sent).
    let mut seen = None;
    for _ in 0..50 {
        match counter.get() {
            Ok(v) => {
                seen = Some(v);
                break;
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    assert_eq!(
        seen,
        Some(1),
        "the same handle reads again once the link is back"
    );
    assert_eq!(counter.increment(1).unwrap(), 2);
    db.close().unwrap();
}
