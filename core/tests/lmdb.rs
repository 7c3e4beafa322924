//! The `lmdb:` engine through `Store`: real OS processes share one store and count exactly, data
//! survives reopen, and sled and lmdb refuse each other's directories with a clear error.

mod common;

use grove_core::{Durability, ErrorKind, Options, Store};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

fn target(dir: &std::path::Path) -> String {
    format!("lmdb:{}", dir.display())
}

#[test]
#[ignore = "entry point for the child processes of the cross-process tests"]
fn lmdb_child_entry() {
    let t = std::env::var("GROVE_CHILD_TARGET").unwrap();
    let n: i64 = std::env::var("GROVE_CHILD_N").unwrap().parse().unwrap();
    let durable = std::env::var("GROVE_CHILD_DURABLE").is_ok();
    let opts = if durable {
        Options::new().durability(Durability::EveryWrite)
    } else {
        Options::new()
    };
    let db = Store::open_with(&t, opts).unwrap();
    let c = db.counter("shared").unwrap();
    let lb = db.leaderboard("board").unwrap();
    let cc = db.crdt_counter("crdt").unwrap();
    println!("GROVE-CHILD-READY");
    // Start together with the siblings, so the increments really interleave.
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    for i in 0..n {
        c.increment(1).unwrap();
        // A leaderboard and a CRDT counter keep state derived from the data: every process
        // must see and build on the others' writes.
        if i % 4 == 0 {
            lb.incr("shared", 1.0).unwrap();
            cc.increment(1).unwrap();
        }
    }
    db.close().unwrap();
}

fn count_from_processes(durable: bool) {
    const PROCS: usize = 3;
    const N: i64 = 400;
    let dir = tempfile::tempdir().unwrap();
    let t = target(&dir.path().join("db"));
    let n = N.to_string();
    let mut env = vec![
        ("GROVE_CHILD_TARGET", t.as_str()),
        ("GROVE_CHILD_N", n.as_str()),
    ];
    if durable {
        env.push(("GROVE_CHILD_DURABLE", "1"));
    }
    // This process holds the store open too, and counts along.
    let db = Store::open(&t).unwrap();
    let mut children: Vec<_> = (0..PROCS)
        .map(|_| {
            common::child("lmdb_child_entry", &env)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    // Kept open until the children exit: their last lines must not hit a closed pipe.
    let mut outputs = Vec::new();
    for child in &mut children {
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        loop {
            let line = lines.next().expect("child exited early").unwrap();
            if line.contains("GROVE-CHILD-READY") {
                break;
            }
        }
        outputs.push(lines);
    }
    let c = db.counter("shared").unwrap();
    let lb = db.leaderboard("board").unwrap();
    let cc = db.crdt_counter("crdt").unwrap();
    // This process builds its leaderboard index before the others are released to write.
    assert_eq!(lb.len().unwrap(), 0);
    for child in &mut children {
        use std::io::Write as _;
        writeln!(child.stdin.take().unwrap()).unwrap();
    }
    for i in 0..N {
        c.increment(1).unwrap();
        if i % 4 == 0 {
            lb.incr("shared", 1.0).unwrap();
            cc.increment(1).unwrap();
        }
    }
    for (mut child, rest) in children.into_iter().zip(outputs) {
        let tail: Vec<String> = rest.map_while(|l| l.ok()).collect();
        assert!(child.wait().unwrap().success(), "{tail:?}");
    }
    let all = PROCS as i64 + 1;
    assert_eq!(c.get().unwrap(), N * all);
    assert_eq!(lb.score("shared").unwrap(), Some((N / 4 * all) as f64));
    assert_eq!(lb.rank("shared").unwrap(), Some(0));
    assert_eq!(cc.value().unwrap(), N / 4 * all);
    // Every process's CRDT change is in this process's export, and nothing is left after it.
    let (bundle, cursor) = db.export_changes(0).unwrap();
    let replica = Store::open_memory();
    replica.apply_changes(&bundle).unwrap();
    assert_eq!(
        replica.crdt_counter("crdt").unwrap().value().unwrap(),
        N / 4 * all
    );
    assert_eq!(
        cursor,
        (N / 4 * all) as u64,
        "one change number per CRDT write"
    );
    db.close().unwrap();
}

#[test]
fn processes_sharing_an_lmdb_store_count_exactly() {
    count_from_processes(false);
}

#[test]
fn processes_sharing_an_lmdb_store_count_exactly_with_every_write_durable() {
    count_from_processes(true);
}

#[test]
fn lmdb_data_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let t = target(dir.path());
    let db = Store::open(&t).unwrap();
    let id = db.node_id().to_string();
    db.set(b"plain", b"value", None).unwrap();
    db.counter("visitors").unwrap().increment(42).unwrap();
    db.namespace("tenant")
        .unwrap()
        .set(b"k", b"ns", None)
        .unwrap();
    assert!(db.size_on_disk().unwrap() > 0);
    assert_eq!(
        db.path(),
        Some(std::fs::canonicalize(dir.path()).unwrap().as_path())
    );
    db.close().unwrap();
    let db = Store::open(&t).unwrap();
    assert_eq!(db.node_id(), id);
    assert_eq!(db.get(b"plain").unwrap(), Some(b"value".to_vec()));
    assert_eq!(db.counter("visitors").unwrap().get().unwrap(), 42);
    assert_eq!(db.get(b"tenant:k").unwrap(), Some(b"ns".to_vec()));
    // The same directory opened twice in this process shares one engine.
    let again = Store::open(&t).unwrap();
    assert!(db.same_engine(&again));
    db.close().unwrap();
    again.close().unwrap();
}

#[test]
fn sled_and_lmdb_refuse_each_other_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let sled_dir = dir.path().join("s");
    let lmdb_dir = dir.path().join("l");
    Store::open(&sled_dir).unwrap().close().unwrap();
    Store::open(target(&lmdb_dir)).unwrap().close().unwrap();

    let err = Store::open(target(&sled_dir)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.message().contains("holds a sled store"), "{err}");
    for t in [
        lmdb_dir.display().to_string(),
        format!("sled:{}", lmdb_dir.display()),
    ] {
        let err = Store::open(&t).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
        assert!(err.message().contains("open it as lmdb:"), "{err}");
    }

    // Open in this process as one engine, the other engine is refused before touching files.
    let fresh = dir.path().join("fresh");
    let held = Store::open(target(&fresh)).unwrap();
    let err = Store::open(&fresh).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(
        err.message()
            .contains("already open in this process as a lmdb"),
        "{err}"
    );
    held.close().unwrap();
}

#[test]
fn targets_pick_the_engine_and_unknown_schemes_are_refused() {
    let m = Store::open("memory:").unwrap();
    assert_eq!(m.path(), None);
    m.close().unwrap();
    // Nothing listens on port 1: an `Io` error naming the address, within the timeout.
    let started = std::time::Instant::now();
    let err = Store::open_with(
        "redis://127.0.0.1:1",
        grove_core::Options::new().connect_timeout(std::time::Duration::from_millis(300)),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.message().contains("127.0.0.1:1"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    let err = Store::open_with(
        "memory:",
        grove_core::Options::new().connect_timeout(std::time::Duration::from_secs(1)),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    // The same through open_memory_with (the C door's grove_store_open_memory takes options).
    let err = Store::open_memory_with(
        grove_core::Options::new().connect_timeout(std::time::Duration::from_secs(1)),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.message().contains("connect_timeout"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let cwd_relative = dir.path().join("lmbd:x");
    for t in ["foo://x", "lmbd:x"] {
        let err = Store::open(t).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.message().contains("unknown scheme"), "{err}");
    }
    // An absolute path with a colon is a sled directory, not a scheme.
    let db = Store::open(&cwd_relative).unwrap();
    db.close().unwrap();
    assert!(cwd_relative.join("db").exists());
}

#[test]
#[ignore = "entry point for the child process of the StoreLocked test"]
fn sled_holder_entry() {
    let db = Store::open(std::env::var("GROVE_CHILD_TARGET").unwrap()).unwrap();
    println!("GROVE-CHILD-READY");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    db.close().unwrap();
}

#[test]
fn a_sled_store_held_elsewhere_says_to_use_lmdb() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("db");
    let ps = p.display().to_string();
    let mut child = common::child("sled_holder_entry", &[("GROVE_CHILD_TARGET", ps.as_str())])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while !lines.next().unwrap().unwrap().contains("GROVE-CHILD-READY") {}
    let drain = std::thread::spawn(move || lines.count());
    let err = Store::open(&p).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StoreLocked, "{err}");
    assert!(err.message().contains("lmdb:"), "{err}");
    drop(child.stdin.take());
    drain.join().unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
#[ignore = "entry point for the child processes of the mixed cross-process test"]
fn lmdb_mixed_child_entry() {
    let db = Store::open(std::env::var("GROVE_CHILD_TARGET").unwrap()).unwrap();
    let lock = db.lock("l", std::time::Duration::from_secs(60)).unwrap();
    let rl = db
        .rate_limiter("rl", 100, std::time::Duration::from_secs(3600))
        .unwrap();
    let q = db
        .queue("q", std::time::Duration::from_secs(3600), 5)
        .unwrap();
    println!("GROVE-CHILD-READY");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).unwrap();
    let mut out = String::new();
    let take_job = |out: &mut String| match q.dequeue().unwrap() {
        Some(job) => {
            assert!(q.ack(job.id).unwrap());
            out.push_str(&format!("J {}\n", job.id));
            true
        }
        None => false,
    };
    for _ in 0..300 {
        if lock.try_acquire().unwrap() {
            // A non-atomic read-then-write: exact only if the lock excludes every other process.
            let n: u64 = db
                .get(b"guarded")
                .unwrap()
                .map_or(0, |v| String::from_utf8(v).unwrap().parse().unwrap());
            db.set(b"guarded", (n + 1).to_string().as_bytes(), None)
                .unwrap();
            out.push_str(&format!("F {}\n", lock.fencing_token()));
            assert!(lock.release().unwrap());
        }
        if rl.allow("k", 1).unwrap().allowed {
            out.push_str("A\n");
        }
        take_job(&mut out);
    }
    while take_job(&mut out) {}
    print!("{out}");
    db.close().unwrap();
}

#[test]
fn locks_limiters_and_queues_hold_across_processes_on_lmdb() {
    const PROCS: usize = 3;
    const JOBS: u64 = 600;
    let dir = tempfile::tempdir().unwrap();
    let t = target(&dir.path().join("db"));
    let db = Store::open(&t).unwrap();
    let q = db
        .queue("q", std::time::Duration::from_secs(3600), 5)
        .unwrap();
    for i in 0..JOBS {
        q.enqueue(format!("{i}").as_bytes(), std::time::Duration::ZERO)
            .unwrap();
    }
    let mut children: Vec<_> = (0..PROCS)
        .map(|_| {
            common::child(
                "lmdb_mixed_child_entry",
                &[("GROVE_CHILD_TARGET", t.as_str())],
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut outputs = Vec::new();
    for child in &mut children {
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while !lines.next().unwrap().unwrap().contains("GROVE-CHILD-READY") {}
        outputs.push(lines);
    }
    for child in &mut children {
        use std::io::Write as _;
        writeln!(child.stdin.take().unwrap()).unwrap();
    }
    let mut tokens = std::collections::HashSet::new();
    let mut jobs = std::collections::HashSet::new();
    let mut admitted = 0;
    for (mut child, lines) in children.into_iter().zip(outputs) {
        for line in lines.map_while(|l| l.ok()) {
            if let Some(tok) = line.strip_prefix("F ") {
                assert!(tokens.insert(tok.to_string()), "fencing token {tok} twice");
            } else if let Some(id) = line.strip_prefix("J ") {
                assert!(jobs.insert(id.to_string()), "job {id} acked twice");
            } else if line == "A" {
                admitted += 1;
            }
        }
        assert!(child.wait().unwrap().success());
    }
    assert!(!tokens.is_empty());
    let guarded: usize = String::from_utf8(db.get(b"guarded").unwrap().unwrap())
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(guarded, tokens.len(), "every lock holder was alone");
    assert_eq!(admitted, 100, "the limit holds summed over every process");
    assert_eq!(jobs.len() as u64, JOBS, "every job delivered once");
    let stats = q.stats().unwrap();
    assert_eq!((stats.ready, stats.in_flight, stats.dead), (0, 0, 0));
    db.close().unwrap();
}

#[test]
#[ignore = "entry point for the child process of the killed-writer test"]
fn lmdb_endless_writer_entry() {
    let db = Store::open(std::env::var("GROVE_CHILD_TARGET").unwrap()).unwrap();
    let c = db.counter("shared").unwrap();
    let q = db
        .queue("q", std::time::Duration::from_secs(3600), 5)
        .unwrap();
    println!("GROVE-CHILD-READY");
    loop {
        c.increment(1).unwrap();
        q.enqueue(b"x", std::time::Duration::ZERO).unwrap();
    }
}

#[test]
fn a_writer_killed_mid_transaction_blocks_no_other_process() {
    let dir = tempfile::tempdir().unwrap();
    let t = target(&dir.path().join("db"));
    // This process keeps the store open throughout, so LMDB's lock file is never re-created:
    // a killed child's write lock and reader slot must be recovered, not reset.
    let db = Store::open(&t).unwrap();
    let c = db.counter("shared").unwrap();
    let mut last = 0;
    let mut seed = u64::from(std::process::id()) | 1;
    for _ in 0..20 {
        let mut child = common::child(
            "lmdb_endless_writer_entry",
            &[("GROVE_CHILD_TARGET", t.as_str())],
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while !lines.next().unwrap().unwrap().contains("GROVE-CHILD-READY") {}
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(std::time::Duration::from_millis(5 + seed % 40));
        child.kill().unwrap(); // SIGKILL, most likely inside a write transaction
        child.wait().unwrap();
        // The next write must get through at once (a watchdog turns a hang into a failure).
        let (tx, rx) = std::sync::mpsc::channel();
        let c2 = c.clone();
        std::thread::spawn(move || tx.send(c2.increment(1).unwrap()).unwrap());
        let v = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("a write after the kill hung: the dead writer's lock was not recovered");
        assert!(v > last, "the counter went from {last} to {v}");
        last = v;
    }
    db.close().unwrap();
    let db = Store::open(&t).unwrap();
    assert_eq!(db.counter("shared").unwrap().get().unwrap(), last);
    db.close().unwrap();
}
