//! Leaderboard and queue benchmarks (issue 6), ratios against baselines measured in the same run.
//!
//! `cargo bench -p grove-core --bench ordered_bench` (1,000,000 members; `GROVE_BENCH_QUICK=1`
//! for a 20,000-member smoke run). Each goal is checked against a baseline touching a random key
//! among as many keys as the board has members (same store, same distribution); rows against one
//! hot key are shown too, for transparency.

use grove_core::{Durability, Options, Store};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Median ns/op of `f` and `g` over `rounds` interleaved rounds of `n` calls, and the median ratio.
fn ab(rounds: usize, n: u64, f: &mut dyn FnMut(u64), g: &mut dyn FnMut(u64)) -> (f64, f64, f64) {
    let (mut a, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
    let time = |h: &mut dyn FnMut(u64)| {
        let t = Instant::now();
        h(n);
        t.elapsed().as_nanos() as f64 / n as f64
    };
    for round in 0..rounds {
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

fn report(name: &str, (g, b, r): (f64, f64, f64), goal: Option<f64>, base: &str) {
    let verdict = match goal {
        Some(goal) if r <= goal => format!("<={goal} ok"),
        Some(goal) => format!("<={goal} MISSED"),
        None => "-".into(),
    };
    println!("{name:<32} {g:>9.0} {b:>9.0} {r:>7.2}x  {verdict:<10}  {base}");
}

/// A cheap xorshift stream of indexes below `n`.
fn randoms(n: u64, seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed | 1;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    }
}

fn main() {
    let quick = std::env::var("GROVE_BENCH_QUICK").is_ok();
    let members: u64 = if quick { 20_000 } else { 1_000_000 };
    let (rounds, n) = if quick { (3, 2_000) } else { (7, 20_000) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grove");

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
    for i in 0..members {
        db.set(format!("plain-{i:07}").as_bytes(), b"12345678", None)
            .unwrap();
    }
    db.close().unwrap();
    let raw = sled::Config::new()
        .path(dir.path().join("raw"))
        .open()
        .unwrap();
    for i in 0..members {
        raw.insert(format!("raw-{i:07}"), &0u64.to_le_bytes()[..])
            .unwrap();
    }
    raw.insert(b"hot", &0u64.to_le_bytes()[..]).unwrap();

    // Reopen: how long until the board answers `rank`.
    let t = Instant::now();
    let db = Store::open(&path).unwrap();
    let lb = db.leaderboard("scores").unwrap();
    black_box(lb.rank("player-0000042").unwrap());
    let ready = t.elapsed();
    let bytes = lb.index_heap_bytes().unwrap();

    let get = |seed| {
        let (db, mut next) = (db.clone(), randoms(members, seed));
        move |n: u64| {
            for _ in 0..n {
                black_box(db.get(format!("plain-{:07}", next()).as_bytes()).unwrap());
            }
        }
    };
    let hot_get = {
        let db = db.clone();
        move |n: u64| {
            for i in 0..n {
                black_box(db.get(format!("plain-{:07}", i % 1000).as_bytes()).unwrap());
            }
        }
    };
    let rank = |seed| {
        let (lb, mut next) = (lb.clone(), randoms(members, seed));
        move |n: u64| {
            for _ in 0..n {
                black_box(lb.rank(&format!("player-{:07}", next())).unwrap());
            }
        }
    };
    let top = {
        let lb = lb.clone();
        move |n: u64| {
            for _ in 0..n {
                black_box(lb.top(10).unwrap());
            }
        }
    };
    let incr = |seed| {
        let (lb, mut next) = (lb.clone(), randoms(members, seed));
        move |n: u64| {
            for _ in 0..n {
                black_box(lb.incr(&format!("player-{:07}", next()), 1.0).unwrap());
            }
        }
    };
    let cas = |key: Option<u64>, seed| {
        let (raw, mut next) = (raw.clone(), randoms(members, seed));
        move |n: u64| {
            for _ in 0..n {
                let k = match key {
                    Some(_) => "hot".to_string(),
                    None => format!("raw-{:07}", next()),
                };
                let old = raw.get(&k).unwrap().unwrap();
                let nv = u64::from_le_bytes(old.as_ref().try_into().unwrap()) + 1;
                raw.compare_and_swap(&k, Some(old), Some(&nv.to_le_bytes()[..]))
                    .unwrap()
                    .unwrap();
            }
        }
    };

    println!(
        "{:<32} {:>9} {:>9} {:>8}  {:<10}  baseline",
        "workload (sled)", "grove ns", "base ns", "ratio", "goal"
    );
    let same = "KV get of a random key among as many, same store";
    report(
        "leaderboard rank",
        ab(rounds, n, &mut rank(1), &mut get(2)),
        Some(5.0),
        same,
    );
    report(
        "leaderboard top(10)",
        ab(rounds, n, &mut top.clone(), &mut get(3)),
        Some(10.0),
        same,
    );
    report(
        "leaderboard incr",
        ab(rounds, n, &mut incr(4), &mut cas(None, 5)),
        Some(5.0),
        "raw sled get + CAS of a random key among as many",
    );
    report(
        "leaderboard rank (hot base)",
        ab(rounds, n, &mut rank(6), &mut hot_get.clone()),
        None,
        "KV get among 1000 cached keys",
    );
    report(
        "leaderboard incr (hot base)",
        ab(rounds, n, &mut incr(7), &mut cas(Some(0), 8)),
        None,
        "raw sled get + CAS of one hot key",
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
    let per = bytes as f64 / members as f64;
    println!(
        "index memory: {per:.1} bytes per member (goal <= 100: {})",
        if per <= 100.0 { "ok" } else { "MISSED" }
    );

    // The memory engine is not exclusive: it takes the shared-store path (a stored generation
    // read per call, one transaction per write) that the lmdb engine will take, so it shows what
    // sharing costs. For the record, against a memory KV get; no goal.
    {
        let mem = Store::open_memory();
        let mlb = mem.leaderboard("scores").unwrap();
        for i in 0..members {
            mlb.add(&format!("player-{i:07}"), score(i)).unwrap();
            mem.set(format!("plain-{i:07}").as_bytes(), b"12345678", None)
                .unwrap();
        }
        let mem_get = |seed| {
            let (db, mut next) = (mem.clone(), randoms(members, seed));
            move |n: u64| {
                for _ in 0..n {
                    black_box(db.get(format!("plain-{:07}", next()).as_bytes()).unwrap());
                }
            }
        };
        let mem_rank = |seed| {
            let (lb, mut next) = (mlb.clone(), randoms(members, seed));
            move |n: u64| {
                for _ in 0..n {
                    black_box(lb.rank(&format!("player-{:07}", next())).unwrap());
                }
            }
        };
        let mem_incr = |seed| {
            let (lb, mut next) = (mlb.clone(), randoms(members, seed));
            move |n: u64| {
                for _ in 0..n {
                    black_box(lb.incr(&format!("player-{:07}", next()), 1.0).unwrap());
                }
            }
        };
        let mem_base = "KV get of a random key among as many, memory";
        report(
            "leaderboard rank (memory)",
            ab(rounds, n, &mut mem_rank(11), &mut mem_get(12)),
            None,
            mem_base,
        );
        report(
            "leaderboard incr (memory)",
            ab(rounds, n, &mut mem_incr(13), &mut mem_get(14)),
            None,
            mem_base,
        );
    }

    // Queue: enqueue+dequeue+ack on a periodic and a durable store, for the record.
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
