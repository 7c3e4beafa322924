//! CRDTs on a store that several processes share (issue 14): two engines over one store, sharing
//! nothing in memory (`Store::second_engine_for_tests`), stand for two processes. Every check is
//! exact; each of these failed while change numbers, the change index and the clock's
//! high-water mark were kept per engine.

use grove_core::{ManualClock, Options, Store};
use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};

mod common;

/// On each engine other processes may share: a store and a second engine on it (another
/// process), each with its own clock, plus the temp dir keeping the store alive.
fn two_processes(a_ms: u64, b_ms: u64) -> Vec<(&'static str, Store, Store, tempfile::TempDir)> {
    let opts = |ms| {
        Options::new()
            .node_id("shared")
            .clock(Arc::new(ManualClock::new(ms)))
    };
    common::shared_engines_with(opts(a_ms))
        .into_iter()
        .map(|(name, a, dir)| {
            let b = a
                .second_engine_with_clock_for_tests(Arc::new(ManualClock::new(b_ms)))
                .unwrap();
            (name, a, b, dir)
        })
        .collect()
}

#[test]
fn a_later_write_wins_even_from_a_process_whose_clock_is_behind() {
    for (engine, a, b, _dir) in two_processes(10_000, 5_000) {
        println!("engine {engine}");
        let ra = a.crdt_register("r").unwrap();
        ra.set("\"from a\"").unwrap();
        // What a replica received from A before B wrote.
        let replica_state = ra.state().unwrap();
        let rb = b.crdt_register("r").unwrap();
        rb.set("\"from b\"").unwrap();
        assert_eq!(ra.get().unwrap().as_deref(), Some("\"from b\""));
        assert!(
            rb.stamp().unwrap()
                > Some(grove_core::Stamp {
                    ms: 10_000,
                    logical: 0,
                    node: "shared".into()
                })
        );
        // B's write replaced A's: merging A's older state back must not bring it back, or replicas
        // would settle on a value this store overwrote.
        assert!(!ra.merge(&replica_state).unwrap());
        assert_eq!(ra.get().unwrap().as_deref(), Some("\"from b\""));

        let m = a.crdt_map("m").unwrap();
        m.set("f", "1").unwrap();
        let replica_state = m.state().unwrap();
        let mb = b.crdt_map("m").unwrap();
        mb.set("f", "2").unwrap();
        assert!(!m.merge(&replica_state).unwrap());
        assert_eq!(m.get("f").unwrap().as_deref(), Some("2"));
        mb.delete("f").unwrap();
        assert!(!m.merge(&replica_state).unwrap());
        assert_eq!(m.get("f").unwrap(), None);
    }
}

#[test]
fn processes_sharing_a_node_id_and_a_millisecond_issue_distinct_stamps() {
    for (engine, a, b, _dir) in two_processes(7_000, 7_000) {
        println!("engine {engine}");
        let ra = a.crdt_register("r").unwrap();
        let rb = b.crdt_register("r").unwrap();
        ra.set("1").unwrap();
        let first = ra.stamp().unwrap().unwrap();
        rb.set("2").unwrap();
        let second = rb.stamp().unwrap().unwrap();
        assert!(second > first, "{second:?} must sort after {first:?}");
        assert_eq!(ra.get().unwrap().as_deref(), Some("2"));
    }
}

#[test]
fn the_clock_high_water_mark_never_goes_back() {
    for (engine, a, b, _dir) in two_processes(100_000, 5_000) {
        println!("engine {engine}");
        a.crdt_register("x").unwrap().set("1").unwrap();
        b.crdt_register("y").unwrap().set("2").unwrap();
        // A third process opening now, with a clock further behind, starts above every stamp issued.
        let c = a
            .second_engine_with_clock_for_tests(Arc::new(ManualClock::new(1_000)))
            .unwrap();
        let r = c.crdt_register("z").unwrap();
        r.set("3").unwrap();
        assert!(r.stamp().unwrap().unwrap().ms > 100_000);
    }
}

#[test]
fn each_process_exports_the_changes_of_the_other() {
    for (engine, a, b, _dir) in two_processes(1_000, 1_000) {
        println!("engine {engine}");
        a.crdt_counter("c1").unwrap().increment(1).unwrap();
        let (bundle, cursor) = b.export_changes(0).unwrap();
        let replica = Store::open_memory_with(Options::new().node_id("replica")).unwrap();
        assert_eq!(replica.apply_changes(&bundle).unwrap().pulled, 1);
        a.crdt_counter("c2").unwrap().increment(2).unwrap();
        let (bundle, next) = b.export_changes(cursor).unwrap();
        let report = replica.apply_changes(&bundle).unwrap();
        assert_eq!(report.pulled, 1, "only c2 is new since the cursor");
        assert!(next > cursor);
        assert_eq!(replica.crdt_counter("c2").unwrap().value().unwrap(), 2);
        // Nothing changed since: an export from the new cursor is empty.
        let (bundle, same) = a.export_changes(next).unwrap();
        assert_eq!(replica.apply_changes(&bundle).unwrap(), Default::default());
        assert_eq!(same, next);
    }
}

/// Writers on two engines while a third follows with cursors: the follower's replica ends up
/// with every key at its final value, so no change was skipped by a cursor.
#[test]
fn cursors_never_skip_a_change_made_by_another_process() {
    const WRITERS: usize = 2;
    const KEYS: u64 = 40;
    const ROUNDS: u64 = 150;
    for (engine, a, b, _dir) in two_processes(1_000, 1_000) {
        println!("engine {engine}");
        let follower = a.second_engine_for_tests().unwrap();
        let replica = Store::open_memory_with(Options::new().node_id("replica")).unwrap();
        let barrier = Arc::new(Barrier::new(WRITERS * 2 + 1));
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut handles = Vec::new();
        for (e, engine) in [a.clone(), b.clone()].into_iter().enumerate() {
            for w in 0..WRITERS {
                let (engine, barrier, done) = (engine.clone(), barrier.clone(), done.clone());
                handles.push(std::thread::spawn(move || {
                    barrier.wait();
                    for r in 0..ROUNDS {
                        let k = (r * 7 + w as u64 * 13 + e as u64 * 29) % KEYS;
                        engine
                            .crdt_counter(&format!("k{k}"))
                            .unwrap()
                            .increment(1)
                            .unwrap();
                    }
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }));
            }
        }
        barrier.wait();
        let mut cursor = 0;
        let mut exports = 0;
        loop {
            let finished = done.load(std::sync::atomic::Ordering::SeqCst) == WRITERS * 2;
            let (bundle, next) = follower.export_changes(cursor).unwrap();
            replica.apply_changes(&bundle).unwrap();
            assert!(next >= cursor);
            cursor = next;
            exports += 1;
            if finished {
                break;
            }
        }
        for h in handles {
            h.join().unwrap();
        }
        // The cursor moved with the changes, so a follower does not resend everything each time:
        // nothing is left after the last cursor.
        let (bundle, last) = follower.export_changes(cursor).unwrap();
        assert_eq!(replica.apply_changes(&bundle).unwrap(), Default::default());
        assert_eq!(last, cursor);
        assert!(
            cursor >= (WRITERS as u64) * 2 * ROUNDS,
            "cursor {cursor} counts every change"
        );
        let mut expected: BTreeMap<u64, i64> = BTreeMap::new();
        for e in 0..2u64 {
            for w in 0..WRITERS as u64 {
                for r in 0..ROUNDS {
                    *expected
                        .entry((r * 7 + w * 13 + e * 29) % KEYS)
                        .or_default() += 1;
                }
            }
        }
        for (k, n) in &expected {
            let key = format!("k{k}");
            assert_eq!(a.crdt_counter(&key).unwrap().value().unwrap(), *n, "{key}");
            assert_eq!(
                replica.crdt_counter(&key).unwrap().value().unwrap(),
                *n,
                "{key} on the replica that followed with cursors ({exports} exports)"
            );
        }
    }
}

#[test]
fn a_process_whose_node_id_was_replaced_may_not_write_crdts_under_the_old_one() {
    for (engine, a, _b, _dir) in two_processes(1_000, 1_000) {
        println!("engine {engine}");
        a.crdt_counter("c").unwrap().increment(1).unwrap();
        let other = a
            .second_engine_with_for_tests(Options::new().node_id("renamed"))
            .unwrap();
        assert_eq!(other.node_id(), "renamed");
        other.crdt_counter("c").unwrap().increment(2).unwrap();
        let err = a.crdt_counter("c").unwrap().increment(4).unwrap_err();
        assert_eq!(err.kind(), grove_core::ErrorKind::InvalidArgument, "{err}");
        assert!(err.to_string().contains("renamed"), "{err}");
        // Nothing was lost or written under the stale id: 1 (as "shared") + 2 (as "renamed").
        assert_eq!(other.crdt_counter("c").unwrap().value().unwrap(), 3);
        assert_eq!(a.crdt_counter("c").unwrap().value().unwrap(), 3);
        // Reads still work from the stale handle; a reopen as "renamed" writes again.
        let again = a
            .second_engine_with_for_tests(Options::new().node_id("renamed"))
            .unwrap();
        again.crdt_counter("c").unwrap().increment(1).unwrap();
        assert_eq!(other.crdt_counter("c").unwrap().value().unwrap(), 4);
    }
}
