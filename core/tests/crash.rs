//! Crash consistency: a child process runs a mixed workload and logs every acknowledged
//! operation; the parent kills it with SIGKILL at random moments, reopens the store and checks
//! that nothing acknowledged was lost (durable mode), or nothing acknowledged before the last
//! `flush()` returned (periodic mode). Cycles: GROVE_CRASH_CYCLES (default 25).
//!
//! Each cycle's log is read once into the running [`Expected`] state. Every cycle checks what
//! that cycle acknowledged plus the counters, fencing and queue; the whole history is checked
//! again every 25 cycles and after the last, so a long soak stays linear in its length.

mod common;

use grove_core::{Durability, Options, Store};
use std::collections::{BTreeMap, BTreeSet};
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
    let queue = db.queue("jobs", Duration::from_secs(3600), 1000).unwrap();
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
        let id = queue.enqueue(b"job", Duration::ZERO).unwrap();
        note(format!("QE {id}\n"));
        if let Some(job) = queue.dequeue().unwrap() {
            if job.id % 3 != 0 {
                // "Qa" before the ack, "QA" after it returned: a kill in between may go either way.
                note(format!("Qa {}\n", job.id));
                assert!(queue.ack(job.id).unwrap());
                note(format!("QA {}\n", job.id));
            }
        }
        if !durable && i % 25 == 24 {
            db.flush().unwrap();
            note("FLUSHED\n".to_string());
        }
    }
}

fn run_cycles(engine: &str, mode: &str) {
    // Kept on failure (for a look at what the engine recovered), removed on success.
    let dir = KeptOnFailure(tempfile::tempdir().unwrap().keep());
    let path = std::path::PathBuf::from(format!("{engine}:{}", dir.path().join("db").display()));
    let mut seed = std::process::id() as u64 | 1;
    let mut expected = Expected::default();
    let total = cycles();
    for cycle in 0..total {
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
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        let fresh = expected.absorb(&log, mode);
        let everything = cycle % 25 == 24 || cycle + 1 == total;
        expected.check(&path, mode, cycle, &fresh, everything);
        if (cycle + 1) % 50 == 0 {
            eprintln!(
                "crash test ({engine}, {mode}): {} cycles passed, {} writes, {} jobs checked",
                cycle + 1,
                expected.kv.len(),
                expected.jobs_present.len() + expected.jobs_acked.len()
            );
        }
    }
}

/// A directory removed when dropped, unless a panic is under way: then its path is printed.
struct KeptOnFailure(std::path::PathBuf);

impl KeptOnFailure {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for KeptOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "crash test failed: store and logs kept in {}",
                self.0.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// What the reopened store must hold: everything acknowledged (before the last flush, in
/// periodic mode) by every cycle so far.
#[derive(Default)]
struct Expected {
    kv: BTreeMap<String, String>,
    members: BTreeSet<String>,
    /// Highest acknowledged counter, CRDT counter and fencing token ("C", "R", "F").
    max: BTreeMap<String, u64>,
    /// Jobs whose enqueue was acknowledged and whose ack was never started.
    jobs_present: BTreeSet<u64>,
    /// Jobs whose ack returned: never to be seen again.
    jobs_acked: BTreeSet<u64>,
    /// Counter and CRDT counter as the previous check found them: an increment made but not
    /// logged before a kill stays in the store, so each cycle may add one over this, not over
    /// the logged maximum.
    seen: std::cell::Cell<(u64, u64)>,
}

/// The items one cycle added to [`Expected`], checked at once.
#[derive(Default)]
struct Fresh {
    kv: Vec<String>,
    members: Vec<String>,
}

impl Expected {
    /// Reads one cycle's log into the expectations and returns what it added.
    fn absorb(&mut self, log: &str, mode: &str) -> Fresh {
        // Whole lines only: the last one may have been cut by the kill.
        let whole: Vec<&str> = log
            .split_inclusive('\n')
            .filter(|l| l.ends_with('\n'))
            .map(|l| l.trim_end())
            .collect();
        // Periodic mode: only what was acknowledged before that run's last completed flush must
        // survive; what came after may or may not have reached the disk.
        let kept = if mode == "periodic" {
            whole
                .iter()
                .rposition(|l| *l == "FLUSHED")
                .map_or(0, |i| i + 1)
        } else {
            whole.len()
        };
        let mut fresh = Fresh::default();
        for (n, l) in whole.iter().enumerate() {
            let (tag, rest) = l.split_once(' ').unwrap_or((l, ""));
            if tag == "Qa" {
                // An ack was started, durable or not: the job may be gone, whatever came before.
                self.jobs_present.remove(&rest.parse().unwrap());
            }
            if n >= kept {
                continue;
            }
            match tag {
                "S" => {
                    let (key, value) = rest.split_once(' ').unwrap();
                    self.kv.insert(key.to_string(), value.to_string());
                    fresh.kv.push(key.to_string());
                }
                "T" => {
                    self.members.insert(rest.to_string());
                    fresh.members.push(rest.to_string());
                }
                "C" | "R" | "F" => {
                    let v: u64 = rest.parse().unwrap();
                    let m = self.max.entry(tag.to_string()).or_default();
                    *m = (*m).max(v);
                }
                "QE" => {
                    let id = rest.parse().unwrap();
                    let acking = whole.contains(&format!("Qa {id}").as_str());
                    if !acking {
                        self.jobs_present.insert(id);
                    }
                }
                "QA" => {
                    self.jobs_acked.insert(rest.parse().unwrap());
                }
                "Qa" | "FLUSHED" => {}
                other => panic!("unknown log tag {other}"),
            }
        }
        fresh
    }

    /// Checks the reopened store: this cycle's items, counters, fencing and jobs always; every
    /// key and member ever acknowledged when `everything`.
    fn check(
        &self,
        path: &std::path::Path,
        mode: &str,
        cycle: u32,
        fresh: &Fresh,
        everything: bool,
    ) {
        let db = Store::open(path).unwrap();
        let all_kv: Vec<&String> = self.kv.keys().collect();
        let kv_keys: Vec<&String> = if everything {
            all_kv
        } else {
            fresh.kv.iter().collect()
        };
        for key in kv_keys {
            assert_eq!(
                db.get(key.as_bytes()).unwrap().as_deref(),
                Some(self.kv[key].as_bytes()),
                "cycle {cycle} ({mode}): acknowledged set of {key} lost"
            );
        }
        let set = db.crdt_set("crdt:seen").unwrap();
        let members: Vec<&String> = if everything {
            self.members.iter().collect()
        } else {
            fresh.members.iter().collect()
        };
        for m in members {
            assert!(
                set.contains(m).unwrap(),
                "cycle {cycle} ({mode}): acknowledged set add {m} lost"
            );
        }
        let counter = db.counter("hits").unwrap().get().unwrap() as u64;
        let crdt = db.crdt_counter("crdt:hits").unwrap().value().unwrap() as u64;
        let c = self.max.get("C").copied().unwrap_or(0);
        let r = self.max.get("R").copied().unwrap_or(0);
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
            let (seen_c, seen_r) = self.seen.get();
            assert!(
                counter <= c.max(seen_c) + 1 && crdt <= r.max(seen_r) + 1,
                "cycle {cycle}: counts ran ahead (counter {counter}, logged {c}, seen {seen_c}; \
                 CRDT {crdt}, logged {r}, seen {seen_r})"
            );
        }
        self.seen.set((counter, crdt));
        // Fencing tokens never go backwards, across the crash too.
        let lock = db.lock("jobs", Duration::from_secs(60)).unwrap();
        if lock.try_acquire().unwrap() {
            let f = self.max.get("F").copied().unwrap_or(0);
            assert!(
                lock.fencing_token() > f,
                "cycle {cycle} ({mode}): fencing token went back"
            );
            lock.release().unwrap();
        }
        // No job lost once its enqueue returned; none acked comes back.
        let job_exists = |id: u64| {
            db.exists(format!("queue:jobs:j:{id:016x}").as_bytes())
                .unwrap()
        };
        for &id in &self.jobs_present {
            assert!(
                job_exists(id),
                "cycle {cycle} ({mode}): job {id} was enqueued and is lost"
            );
        }
        for &id in &self.jobs_acked {
            assert!(
                !job_exists(id),
                "cycle {cycle} ({mode}): job {id} was acked and came back"
            );
        }
        let stats = db
            .queue("jobs", Duration::from_secs(3600), 1000)
            .unwrap()
            .stats()
            .unwrap();
        assert!(
            stats.ready + stats.in_flight >= self.jobs_present.len() as u64,
            "cycle {cycle} ({mode}): queue counts {stats:?} below the {} jobs known present",
            self.jobs_present.len()
        );
        // Every CRDT state still decodes, and the store exports.
        db.export_changes(0).unwrap();
        db.close().unwrap();
    }
}

#[test]
fn durable_store_survives_sigkill_with_every_acknowledged_write() {
    run_cycles("sled", "durable");
}

#[test]
fn periodic_store_keeps_everything_acknowledged_before_flush_returned() {
    run_cycles("sled", "periodic");
}

#[test]
fn durable_lmdb_store_survives_sigkill_with_every_acknowledged_write() {
    run_cycles("lmdb", "durable");
}

#[test]
fn periodic_lmdb_store_keeps_everything_acknowledged_before_flush_returned() {
    run_cycles("lmdb", "periodic");
}
