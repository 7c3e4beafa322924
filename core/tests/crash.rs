//! Crash consistency: a child process runs a mixed workload and logs every acknowledged
//! operation; the parent kills it with SIGKILL at random moments, reopens the store and checks
//! that nothing acknowledged was lost (durable mode), or nothing acknowledged before the last
//! `flush()` returned (periodic mode). Cycles: GROVE_CRASH_CYCLES (default 25).

mod common;

use grove_core::{Durability, Options, Store};
use std::collections::BTreeMap;
use std::io::{BufRead, Write as _};
use std::time::Duration;

fn cycles() -> u32 {
    std::env::var("GROVE_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(25)
}

#[test]
#[ignore = "entry point for the child process of the crash tests"]
fn crash_child() {
    let path = std::env::var("GROVE_CHILD_PATH").unwrap();
    let durable = std::env::var("GROVE_CHILD_MODE").unwrap() == "durable";
    let durability = if durable {
        Durability::EveryWrite
    } else {
        Durability::Periodic { every_ms: 10_000 }
    };
    let db = Store::open_with(&path, Options::new().durability(durability)).unwrap();
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(std::env::var("GROVE_CHILD_LOG").unwrap())
        .unwrap();
    // One write(2) per line: a kill cuts the log only between lines.
    let mut note = |line: String| log.write_all(line.as_bytes()).unwrap();
    let counter = db.counter("hits").unwrap();
    let crdt = db.crdt_counter("crdt:hits").unwrap();
    let lock = db.lock("jobs", Duration::from_secs(60)).unwrap();
    let set = db.crdt_set("crdt:seen").unwrap();
    let start = db.counter("round").unwrap().increment(1).unwrap();
    println!("GROVE-CHILD-READY");
    for i in 0u64.. {
        let key = format!("kv:{start}:{i}");
        db.set(
            key.as_bytes(),
            format!("v{i}").as_bytes(),
            Some(Duration::from_secs(3600)),
        )
        .unwrap();
        note(format!("S {key} v{i}\n"));
        note(format!("C {}\n", counter.increment(1).unwrap()));
        note(format!("R {}\n", crdt.increment(1).unwrap()));
        set.add(&format!("\"{start}-{i}\"")).unwrap();
        note(format!("T \"{start}-{i}\"\n"));
        if lock.try_acquire().unwrap() {
            note(format!("F {}\n", lock.fencing_token()));
            lock.release().unwrap();
        }
        if !durable && i % 25 == 24 {
            db.flush().unwrap();
            note("FLUSHED\n".to_string());
        }
    }
}

fn run_cycles(mode: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let mut seed = std::process::id() as u64 | 1;
    for cycle in 0..cycles() {
        // One log per cycle: in periodic mode each run's loss window ends at its own last flush.
        let log_path = dir.path().join(format!("log-{cycle:04}"));
        let mut child = common::child(
            "crash_child",
            &[
                ("GROVE_CHILD_PATH", path.to_str().unwrap()),
                ("GROVE_CHILD_LOG", log_path.to_str().unwrap()),
                ("GROVE_CHILD_MODE", mode),
            ],
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while !line.contains("GROVE-CHILD-READY") {
            line.clear();
            assert!(
                out.read_line(&mut line).unwrap() > 0,
                "child died before starting"
            );
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(10 + seed % 120));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        check(&path, dir.path(), mode, cycle);
        if (cycle + 1) % 50 == 0 {
            eprintln!("crash test ({mode}): {} cycles passed", cycle + 1);
        }
    }
}

/// The acknowledged operations of every cycle so far that must have survived.
fn acknowledged(logs: &std::path::Path, mode: &str, upto: u32) -> Vec<String> {
    let mut all = Vec::new();
    for cycle in 0..=upto {
        let log = std::fs::read_to_string(logs.join(format!("log-{cycle:04}"))).unwrap_or_default();
        // Whole lines only: the last one may have been cut by the kill.
        let mut lines: Vec<String> = log
            .split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .map(|l| l.trim_end().to_string())
            .collect();
        if mode == "periodic" {
            // Only what was acknowledged before that run's last completed flush must survive.
            let last = lines
                .iter()
                .rposition(|l| l == "FLUSHED")
                .map_or(0, |i| i + 1);
            lines.truncate(last);
        }
        all.extend(lines);
    }
    all
}

/// Checks the reopened store against the acknowledged operations of every cycle so far.
fn check(path: &std::path::Path, logs: &std::path::Path, mode: &str, cycle: u32) {
    let db = Store::open(path).unwrap();
    let lines = acknowledged(logs, mode, cycle);
    let mut max: BTreeMap<&str, u64> = BTreeMap::new();
    for l in &lines {
        let (tag, rest) = l.split_once(' ').unwrap_or((l.as_str(), ""));
        match tag {
            "S" => {
                let (key, value) = rest.split_once(' ').unwrap();
                assert_eq!(
                    db.get(key.as_bytes()).unwrap().as_deref(),
                    Some(value.as_bytes()),
                    "cycle {cycle} ({mode}): acknowledged set of {key} lost"
                );
            }
            "T" => assert!(
                db.crdt_set("crdt:seen").unwrap().contains(rest).unwrap(),
                "cycle {cycle} ({mode}): acknowledged set add {rest} lost"
            ),
            "C" | "R" | "F" => {
                let v: u64 = rest.parse().unwrap();
                let m = max.entry(tag).or_default();
                *m = (*m).max(v);
            }
            _ => {}
        }
    }
    let counter = db.counter("hits").unwrap().get().unwrap() as u64;
    let crdt = db.crdt_counter("crdt:hits").unwrap().value().unwrap() as u64;
    let c = max.get("C").copied().unwrap_or(0);
    let r = max.get("R").copied().unwrap_or(0);
    // At most one increment may be durable without having been acknowledged (killed between).
    assert!(
        counter >= c,
        "cycle {cycle} ({mode}): counter {counter} < acknowledged {c}"
    );
    assert!(
        crdt >= r,
        "cycle {cycle} ({mode}): CRDT counter {crdt} < acknowledged {r}"
    );
    if mode == "durable" {
        assert!(
            counter <= c + 1 && crdt <= r + 1,
            "cycle {cycle}: counts ran ahead"
        );
    }
    // Fencing tokens never go backwards, across the crash too.
    let lock = db.lock("jobs", Duration::from_secs(60)).unwrap();
    if lock.try_acquire().unwrap() {
        let f = max.get("F").copied().unwrap_or(0);
        assert!(
            lock.fencing_token() > f,
            "cycle {cycle} ({mode}): fencing token went back"
        );
        lock.release().unwrap();
    }
    // Every CRDT state still decodes, and the store exports.
    db.export_changes(0).unwrap();
    db.close().unwrap();
}

#[test]
fn durable_store_survives_sigkill_with_every_acknowledged_write() {
    run_cycles("durable");
}

#[test]
fn periodic_store_keeps_everything_acknowledged_before_flush_returned() {
    run_cycles("periodic");
}
