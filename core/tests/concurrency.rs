//! Many threads on one counter (and one key) end at exactly the expected values, on both backends.

mod common;

use grove_core::{Durability, ManualClock, Options, Store};
use std::sync::Arc;

fn stores() -> (Vec<(&'static str, Store)>, tempfile::TempDir) {
    common::engines(Arc::new(ManualClock::default()))
}

#[test]
fn eight_threads_twenty_thousand_increments_each() {
    let (stores, _dir) = stores();
    for (name, db) in stores {
        let c = db.counter("visitors").unwrap();
        std::thread::scope(|s| {
            for _ in 0..8 {
                let c = c.clone();
                s.spawn(move || {
                    for _ in 0..20_000 {
                        c.increment(1).unwrap();
                    }
                });
            }
        });
        assert_eq!(c.get().unwrap(), 160_000, "{name}");
    }
}

#[test]
fn mixed_increments_and_decrements_end_at_the_exact_sum() {
    let (stores, _dir) = stores();
    for (name, db) in stores {
        let c = db.counter("mixed").unwrap();
        // Every returned value is unique: an increment that returned the same value twice
        // would mean two threads read the same old value (a lost update).
        let seen = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for t in 0..8i64 {
                let c = c.clone();
                let seen = &seen;
                s.spawn(move || {
                    let mut mine = Vec::new();
                    for i in 0..5_000i64 {
                        let v = if t % 2 == 0 {
                            c.increment(3 + (i % 2)).unwrap()
                        } else {
                            c.decrement(2).unwrap()
                        };
                        mine.push(v);
                    }
                    seen.lock().unwrap().extend(mine);
                });
            }
        });
        // 4 incrementing threads add 2500*3 + 2500*4 each; 4 decrementing threads remove 5000*2.
        let want = 4 * (2_500 * 3 + 2_500 * 4) - 4 * 5_000 * 2;
        assert_eq!(c.get().unwrap(), want, "{name}");
        assert_eq!(seen.lock().unwrap().len(), 40_000);
    }
}

#[test]
fn concurrent_counters_in_separate_namespaces_do_not_interfere() {
    let (stores, _dir) = stores();
    for (name, db) in stores {
        std::thread::scope(|s| {
            for t in 0..4 {
                let ns = db.namespace(&format!("tenant{t}")).unwrap();
                s.spawn(move || {
                    let c = ns.counter("hits").unwrap();
                    for _ in 0..2_000 * (t + 1) {
                        c.increment(1).unwrap();
                    }
                });
            }
        });
        for t in 0..4 {
            let ns = db.namespace(&format!("tenant{t}")).unwrap();
            assert_eq!(
                ns.counter("hits").unwrap().get().unwrap(),
                2_000 * (t + 1),
                "{name}"
            );
        }
        assert_eq!(db.counter("hits").unwrap().get().unwrap(), 0);
    }
}

#[test]
fn durable_writers_share_fsyncs_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = Store::open_with(
        dir.path(),
        Options::new().durability(Durability::EveryWrite),
    )
    .unwrap();
    let c = db.counter("durable").unwrap();
    std::thread::scope(|s| {
        for _ in 0..8 {
            let c = c.clone();
            s.spawn(move || {
                for _ in 0..50 {
                    c.increment(1).unwrap();
                }
            });
        }
    });
    assert_eq!(c.get().unwrap(), 400);
    db.close().unwrap();
}

#[test]
fn set_many_is_atomic_against_concurrent_readers() {
    let (stores, _dir) = stores();
    for (name, db) in stores {
        db.set_many(&[(b"a", b"0"), (b"b", b"0")], None).unwrap();
        std::thread::scope(|s| {
            let w = db.clone();
            s.spawn(move || {
                for i in 0..500u32 {
                    let v = i.to_string();
                    w.set_many(&[(b"a", v.as_bytes()), (b"b", v.as_bytes())], None)
                        .unwrap();
                }
            });
            let r = db.clone();
            s.spawn(move || {
                for _ in 0..500 {
                    let got = r.get_many(&[b"a", b"b"]).unwrap();
                    assert_eq!(got[0], got[1], "{name}: torn read of set_many");
                }
            });
        });
    }
}
