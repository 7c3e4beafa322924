//! Waiting for a lock or a job that another process frees (issue 14): a waiter is woken by a
//! release or an enqueue made in its own process at once, and by one made in another process
//! (a second engine on the same store, sharing nothing in memory) within a few ms, even when it
//! asked to retry only once a minute. The bounds below are 1,000x the expected wake-up, so they
//! check the mechanism, not the speed; the latencies are printed, and measured in the benches.

mod common;

use grove_core::Store;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A waiter that found nothing would sleep this long between looks if nothing woke it.
const LAZY_RETRY: Duration = Duration::from_secs(60);
/// Far above any wake-up the mechanism allows, far below `LAZY_RETRY`.
const BOUND: Duration = Duration::from_secs(5);
const ROUNDS: usize = 20;

fn report(what: &str, mut waits: Vec<Duration>) {
    waits.sort();
    println!(
        "{what}: {ROUNDS} wake-ups, p50 {:?}, max {:?}",
        waits[waits.len() / 2],
        waits[waits.len() - 1]
    );
    for w in &waits {
        assert!(*w < BOUND, "{what}: a waiter slept {w:?}");
    }
}

/// Holds lock `name` on `holder`, lets `waiter` wait for it, releases, and returns how long the
/// waiter took to get it after the release.
fn lock_handover(holder: &Store, waiter: &Store, name: &str) -> Duration {
    let held = holder.lock(name, Duration::from_secs(600)).unwrap();
    assert!(held.try_acquire().unwrap());
    let (tx, rx) = mpsc::channel();
    let w = waiter.lock(name, Duration::from_secs(600)).unwrap();
    let t = std::thread::spawn(move || {
        tx.send(()).unwrap();
        let got = w.acquire(Duration::from_secs(120), LAZY_RETRY).unwrap();
        let at = Instant::now();
        assert!(got);
        assert!(w.release().unwrap());
        at
    });
    rx.recv().unwrap();
    // Let the waiter fail its first try and go to sleep.
    std::thread::sleep(Duration::from_millis(20));
    let released = Instant::now();
    assert!(held.release().unwrap());
    t.join().unwrap().saturating_duration_since(released)
}

fn job_handover(producer: &Store, consumer: &Store, name: &str) -> Duration {
    let q = consumer.queue(name, Duration::from_secs(30), 5).unwrap();
    let (tx, rx) = mpsc::channel();
    let t = std::thread::spawn(move || {
        tx.send(()).unwrap();
        let job = q.dequeue_wait(Duration::from_secs(120)).unwrap();
        let at = Instant::now();
        let job = job.expect("a job within the timeout");
        assert!(q.ack(job.id).unwrap());
        at
    });
    rx.recv().unwrap();
    // Let the consumer back off to its longest pause.
    std::thread::sleep(Duration::from_millis(200));
    let p = producer.queue(name, Duration::from_secs(30), 5).unwrap();
    let sent = Instant::now();
    p.enqueue(b"job", Duration::ZERO).unwrap();
    t.join().unwrap().saturating_duration_since(sent)
}

#[test]
fn a_release_in_this_process_wakes_a_waiter_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // sled: the engine whose waiters are woken only by the bell (it never needs to poll).
    let db = Store::open(dir.path().join("db")).unwrap();
    let waits = (0..ROUNDS).map(|_| lock_handover(&db, &db, "l")).collect();
    report("lock, same process", waits);
    let waits = (0..ROUNDS).map(|_| job_handover(&db, &db, "q")).collect();
    report("queue, same process", waits);
}

#[test]
fn a_release_in_another_process_wakes_a_waiter_within_a_few_ms() {
    for (engine, a, _dir) in common::shared_engines() {
        let b = a.second_engine_for_tests().unwrap();
        let waits = (0..ROUNDS).map(|_| lock_handover(&a, &b, "l")).collect();
        report(&format!("lock, other process, {engine}"), waits);
        let waits = (0..ROUNDS).map(|_| job_handover(&a, &b, "q")).collect();
        report(&format!("queue, other process, {engine}"), waits);
    }
}
