//! Threads on the in-memory backend, small enough to run under Miri (`scripts/miri.sh`), which
//! checks the atomic and locking paths for data races and undefined behaviour; under plain
//! `cargo test` it is one more exact-count concurrency test.

use grove_core::{Durability, Options, Store};
use std::sync::Arc;
use std::time::Duration;

const THREADS: usize = 4;
const ROUNDS: i64 = if cfg!(miri) { 4 } else { 500 };

#[test]
fn threads_on_the_memory_backend_count_exactly() {
    let db = Store::open_memory_with(Options::new().durability(Durability::EveryWrite)).unwrap();
    let overlap = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (db, overlap) = (db.clone(), overlap.clone());
            std::thread::spawn(move || {
                let counter = db.counter("hits").unwrap();
                let crdt = db.crdt_counter("crdt").unwrap();
                let set = db.crdt_set("seen").unwrap();
                let lock = db.lock("l", Duration::from_secs(60)).unwrap();
                let q = db.queue("q", Duration::from_secs(60), 3).unwrap();
                let mut fences = Vec::new();
                for i in 0..ROUNDS {
                    counter.increment(1).unwrap();
                    crdt.increment(1).unwrap();
                    db.set(format!("k{t}:{i}").as_bytes(), b"v", None).unwrap();
                    db.set_many(&[(b"shared", format!("{t}").as_bytes())], None)
                        .unwrap();
                    set.add(&format!("\"{t}:{i}\"")).unwrap();
                    q.enqueue(b"job", Duration::ZERO).unwrap();
                    if let Some(job) = q.dequeue().unwrap() {
                        assert!(q.ack(job.id).unwrap());
                    }
                    if lock.try_acquire().unwrap() {
                        // Nobody else may be inside while this thread holds the lock.
                        assert_eq!(overlap.fetch_add(1, std::sync::atomic::Ordering::SeqCst), 0);
                        fences.push(lock.fencing_token());
                        overlap.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                        assert!(lock.release().unwrap());
                    }
                }
                fences
            })
        })
        .collect();
    let mut fences: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let n = THREADS as i64 * ROUNDS;
    assert_eq!(db.counter("hits").unwrap().get().unwrap(), n);
    assert_eq!(db.crdt_counter("crdt").unwrap().value().unwrap(), n);
    assert_eq!(db.crdt_set("seen").unwrap().len().unwrap(), n as u64);
    assert_eq!(db.keys(b"k").unwrap().count() as i64, n);
    let q = db.queue("q", Duration::from_secs(60), 3).unwrap();
    while let Some(job) = q.dequeue().unwrap() {
        assert!(q.ack(job.id).unwrap());
    }
    let stats = q.stats().unwrap();
    assert_eq!((stats.ready, stats.in_flight, stats.dead), (0, 0, 0));
    // Fencing tokens are all distinct: each acquisition got its own.
    let before = fences.len();
    fences.sort_unstable();
    fences.dedup();
    assert_eq!(fences.len(), before);
}
