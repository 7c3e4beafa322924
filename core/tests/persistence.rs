//! Data survives close and reopen, in this process and in a child process; a path held by
//! another process gives `StoreLocked` naming the path.

mod common;

use grove_core::{ErrorKind, Store};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

fn write_fixture(db: &Store) {
    db.set(b"plain", b"value", None).unwrap();
    db.set(b"with-ttl", b"later", Some(Duration::from_secs(3600)))
        .unwrap();
    db.counter("visitors").unwrap().increment(41).unwrap();
    db.counter("visitors").unwrap().increment(1).unwrap();
    db.counter("negative").unwrap().set(-7).unwrap();
    let ns = db.namespace("tenant-a").unwrap();
    ns.set(b"k", b"in-namespace", None).unwrap();
    ns.counter("c").unwrap().increment(5).unwrap();
}

fn check_fixture(db: &Store) {
    assert_eq!(db.get(b"plain").unwrap(), Some(b"value".to_vec()));
    assert_eq!(db.get(b"with-ttl").unwrap(), Some(b"later".to_vec()));
    assert!(db.ttl(b"with-ttl").unwrap().unwrap() > Duration::from_secs(3000));
    assert_eq!(db.counter("visitors").unwrap().get().unwrap(), 42);
    assert_eq!(db.counter("negative").unwrap().get().unwrap(), -7);
    let ns = db.namespace("tenant-a").unwrap();
    assert_eq!(ns.get(b"k").unwrap(), Some(b"in-namespace".to_vec()));
    assert_eq!(ns.counter("c").unwrap().get().unwrap(), 5);
    assert_eq!(
        db.get(b"tenant-a:k").unwrap(),
        Some(b"in-namespace".to_vec())
    );
}

#[test]
fn reopen_in_the_same_process_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let db = Store::open(dir.path()).unwrap();
    let id = db.node_id().to_string();
    write_fixture(&db);
    db.close().unwrap();
    assert_eq!(db.get(b"plain").unwrap_err().kind(), ErrorKind::Closed);
    let db = Store::open(dir.path()).unwrap();
    check_fixture(&db);
    assert_eq!(db.node_id(), id, "node id is persisted");
    db.close().unwrap();
}

#[test]
#[ignore = "entry point for the child process of the cross-process tests"]
fn child_entry() {
    let path = std::env::var("GROVE_CHILD_PATH").unwrap();
    match std::env::var("GROVE_CHILD_MODE").unwrap().as_str() {
        "write" => {
            let db = Store::open(&path).unwrap();
            write_fixture(&db);
            println!("node_id={}", db.node_id());
            db.close().unwrap();
        }
        "check" => {
            let db = Store::open(&path).unwrap();
            check_fixture(&db);
            db.close().unwrap();
        }
        "hold" => {
            let db = Store::open(&path).unwrap();
            // libtest may print "test child_entry ... " on the same line first.
            println!("GROVE-CHILD-READY");
            // Hold the store until the parent closes our stdin.
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
            db.close().unwrap();
        }
        other => panic!("unknown child mode {other}"),
    }
}

#[test]
fn a_child_process_reads_what_we_wrote_and_we_read_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let p = path.to_str().unwrap();
    // The child writes; we read.
    let out = common::child(
        "child_entry",
        &[("GROVE_CHILD_PATH", p), ("GROVE_CHILD_MODE", "write")],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = Store::open(&path).unwrap();
    check_fixture(&db);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&format!("node_id={}", db.node_id())));
    db.counter("visitors").unwrap().increment(-42).unwrap();
    db.counter("visitors").unwrap().increment(42).unwrap();
    db.close().unwrap();
    // We wrote; a fresh child reads.
    let out = common::child(
        "child_entry",
        &[("GROVE_CHILD_PATH", p), ("GROVE_CHILD_MODE", "check")],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_path_held_by_another_process_is_store_locked_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let p = path.to_str().unwrap();
    let mut child = common::child(
        "child_entry",
        &[("GROVE_CHILD_PATH", p), ("GROVE_CHILD_MODE", "hold")],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("child exited early").unwrap();
        if line.contains("GROVE-CHILD-READY") {
            break;
        }
    }
    let err = Store::open(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::StoreLocked, "{err}");
    assert!(
        err.message().contains("db"),
        "message names the path: {err}"
    );
    // Once the other process lets go, we can open it.
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let db = Store::open(&path).unwrap();
    db.set(b"mine", b"now", None).unwrap();
    db.close().unwrap();
}

#[test]
fn opening_an_open_path_shares_the_engine_and_the_last_close_releases_it() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::open(dir.path()).unwrap();
    let b = Store::open(dir.path().join(".")).unwrap();
    assert!(a.same_engine(&b));
    a.counter("n").unwrap().increment(1).unwrap();
    assert_eq!(b.counter("n").unwrap().get().unwrap(), 1);
    let view = a.namespace("v").unwrap();
    let counter = a.counter("n").unwrap();
    a.close().unwrap();
    // Everything made from `a` is closed; `b` still works.
    assert_eq!(view.get(b"x").unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(counter.get().unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(a.namespace("w").unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(b.counter("n").unwrap().increment(1).unwrap(), 2);
    b.close().unwrap();
    b.close().unwrap(); // closing twice is fine
                        // All handles closed: a new open gets a fresh engine that sees the data.
    let c = Store::open(dir.path()).unwrap();
    assert!(!c.same_engine(&b));
    assert_eq!(c.counter("n").unwrap().get().unwrap(), 2);
    drop(c); // dropping without close releases the directory too
    let d = Store::open(dir.path()).unwrap();
    assert_eq!(d.counter("n").unwrap().get().unwrap(), 2);
    d.close().unwrap();
}

#[test]
fn a_given_node_id_is_persisted_and_a_conflicting_one_is_refused_while_open() {
    let dir = tempfile::tempdir().unwrap();
    let opts = grove_core::Options::new().node_id("us-east-1");
    let a = Store::open_with(dir.path(), opts).unwrap();
    assert_eq!(a.node_id(), "us-east-1");
    let err =
        Store::open_with(dir.path(), grove_core::Options::new().node_id("eu-west-1")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    a.close().unwrap();
    let b = Store::open(dir.path()).unwrap();
    assert_eq!(b.node_id(), "us-east-1");
    b.close().unwrap();
    for bad in ["", "has space", &"x".repeat(65)] {
        let err = Store::open_memory_with(grove_core::Options::new().node_id(bad)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{bad:?}");
    }
}

#[test]
fn close_then_reopen_at_once_never_sees_our_own_lock() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..50 {
        let db = Store::open(dir.path()).unwrap();
        db.counter("n").unwrap().increment(1).unwrap();
        db.close().unwrap();
        let again = Store::open(dir.path()).unwrap();
        assert_eq!(again.counter("n").unwrap().get().unwrap(), i + 1);
        again.close().unwrap();
    }
}
