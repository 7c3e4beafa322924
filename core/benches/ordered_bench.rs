//! Leaderboard and queue benchmarks (issue 6), ratios against baselines measured in the same run.
//!
//! `cargo bench -p grove-core --bench ordered_bench` (1,000,000 members; `GROVE_BENCH_QUICK=1`
//! for a 20,000-member smoke run).

use grove_core::{Durability, Options, Store};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Median ns/op of `f` over `rounds` rounds of `n` calls, interleaved with `g`; returns both.
fn ab(rounds: usize, n: u64, f: &mut dyn FnMut(u64), g: &mut dyn FnMut(u64)) -> (f64, f64, f64) {
    let (mut a, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let time = |h: &mut dyn FnMut(u64)| {
            let t = Instant::now();
            h(n);
            t.elapsed().as_nanos() as f64 / n as f64
        };
        let (x, y) = if round % 2 == 0 {
            let x = time(f);
            (x, time(g))
        } else {
            let y = time(g);
            (time(f), y)
        };
        a.push(x);
        b.push(y);
        r.push(x / y);
    }
    (median(a), median(b), median(r))
}

fn report(name: &str, (g, b, r): (f64, f64, f64), goal: f64, base: &str) {
    let verdict = if r <= goal { "ok" } else { "MISSED" };
    println!("{name:<34} {g:>9.0} {b:>9.0} {r:>7.2}x  <={goal} {verdict:<6}  {base}");
}

fn main() {
    let quick = std::env::var("GROVE_BENCH_QUICK").is_ok();
    let members: u64 = if quick { 20_000 } else { 1_000_000 };
    let (rounds, n) = if quick { (3, 2_000) } else { (7, 20_000) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grove");

    // Fill the board (timed for information only).
    let db = Store::open(&path).unwrap();
    let lb = db.leaderboard("scores").unwrap();
    let score = |i: u64| ((i.wrapping_mul(2_654_435_761)) % 1_000_000) as f64;
    let t = Instant::now();
    for i in 0..members {
        lb.add(&format!("player-{i:07}"), score(i)).unwrap();
    }
    println!(
        "filled {members} members in {:.1} s ({:.1} µs per add)",
        t.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64() * 1e6 / members as f64
    );
    for i in 0..1000u64 {
        db.set(format!("plain-{i}").as_bytes(), b"value", None)
            .unwrap();
    }
    db.close().unwrap();

    // Reopen: how long until the board answers `rank`.
    let t = Instant::now();
    let db = Store::open(&path).unwrap();
    let lb = db.leaderboard("scores").unwrap();
    black_box(lb.rank("player-0000042").unwrap());
    let ready = t.elapsed();
    let bytes = lb.index_heap_bytes().unwrap();

    let raw = sled::Config::new()
        .path(dir.path().join("raw"))
        .open()
        .unwrap();
    let mut v: u64 = 0;
    raw.insert(b"cas", &v.to_le_bytes()[..]).unwrap();

    println!(
        "{:<34} {:>9} {:>9} {:>8}  goal  baseline",
        "workload (sled)", "grove ns", "base ns", "ratio"
    );
    let mut x: u64 = 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % members
    };
    let (db2, lb2) = (db.clone(), lb.clone());
    let mut get = move |n: u64| {
        for i in 0..n {
            black_box(db2.get(format!("plain-{}", i % 1000).as_bytes()).unwrap());
        }
    };
    let mut rank = {
        let lb = lb2.clone();
        let mut next = next;
        move |n: u64| {
            for _ in 0..n {
                black_box(lb.rank(&format!("player-{:07}", next())).unwrap());
            }
        }
    };
    report(
        "leaderboard rank, 1 member",
        ab(rounds, n, &mut rank, &mut get),
        5.0,
        "one KV get on the same store",
    );
    let mut top = {
        let lb = lb2.clone();
        move |n: u64| {
            for _ in 0..n {
                black_box(lb.top(10).unwrap());
            }
        }
    };
    report(
        "leaderboard top(10)",
        ab(rounds, n, &mut top, &mut get),
        10.0,
        "one KV get on the same store",
    );
    let mut incr = {
        let lb = lb2.clone();
        move |n: u64| {
            for _ in 0..n {
                black_box(lb.incr(&format!("player-{:07}", next()), 1.0).unwrap());
            }
        }
    };
    let mut cas = move |n: u64| {
        for _ in 0..n {
            let nv = v + 1;
            raw.compare_and_swap(
                b"cas",
                Some(&v.to_le_bytes()[..]),
                Some(&nv.to_le_bytes()[..]),
            )
            .unwrap()
            .unwrap();
            v = nv;
        }
    };
    report(
        "leaderboard incr",
        ab(rounds, n, &mut incr, &mut cas),
        5.0,
        "one raw sled compare_and_swap",
    );
    println!(
        "reopen {members}-member board until rank answers: {:.2} s (goal <= 3 s: {})",
        ready.as_secs_f64(),
        if ready <= Duration::from_secs(3) {
            "ok"
        } else {
            "MISSED"
        }
    );
    println!(
        "index memory: {:.1} bytes per member (goal <= 100: {})",
        bytes as f64 / members as f64,
        if bytes as f64 / members as f64 <= 100.0 {
            "ok"
        } else {
            "MISSED"
        }
    );

    // Queue: enqueue+dequeue+ack on a durable and a periodic store, for the record.
    for (label, durability) in [
        ("periodic flush", Durability::default()),
        ("durable per write", Durability::EveryWrite),
    ] {
        let qdir = tempfile::tempdir().unwrap();
        let qdb = Store::open_with(qdir.path(), Options::new().durability(durability)).unwrap();
        let q = qdb.queue("jobs", Duration::from_secs(30), 5).unwrap();
        let jobs = if durability == Durability::EveryWrite {
            n / 10
        } else {
            n
        };
        let t = Instant::now();
        for _ in 0..jobs {
            q.enqueue(b"payload of a job", Duration::ZERO).unwrap();
            let j = q.dequeue().unwrap().unwrap();
            q.ack(j.id).unwrap();
        }
        println!(
            "queue enqueue+dequeue+ack, {label}: {:.1} µs per job (no goal)",
            t.elapsed().as_secs_f64() * 1e6 / jobs as f64
        );
        qdb.close().unwrap();
    }
    db.close().unwrap();
}
