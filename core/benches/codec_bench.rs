//! Store options against the same store without them, interleaved A/B in one run: encryption
//! on (counter increment, KV set+get) with its goal of 1.3x, and compression of a 10 KB JSON
//! document (time per set+get and the bytes stored).
//!
//! `cargo bench -p grove-core --bench codec_bench` (`GROVE_BENCH_QUICK=1` for a smoke run;
//! `GROVE_BENCH_ENGINE=lmdb|sled|memory|redis`, default sled; redis needs `GROVE_BENCH_REDIS`).

use grove_core::{Options, Store};
use std::hint::black_box;
use std::time::Instant;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// ns per op of `f` over `n` ops.
fn time(f: &mut dyn FnMut(u64), n: u64) -> f64 {
    let t = Instant::now();
    f(n);
    t.elapsed().as_nanos() as f64 / n as f64
}

/// A JSON document of about 10 KB: an order list as the seed's examples store.
fn json_10k() -> Vec<u8> {
    let mut s = String::from("[");
    let mut i = 0;
    while s.len() < 10_000 {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "{{\"order\":{i},\"customer\":\"c{:04}\",\"sku\":\"SKU-{:05}\",\"qty\":{},\"status\":\"{}\"}}",
            i * 37 % 1000,
            i * 7919 % 100_000,
            i % 9 + 1,
            ["paid", "shipped", "pending"][i % 3]
        ));
        i += 1;
    }
    s.push(']');
    s.into_bytes()
}

fn main() {
    let quick = std::env::var("GROVE_BENCH_QUICK").is_ok();
    let (rounds, n) = if quick { (3, 1_000) } else { (9, 20_000) };
    let engine = std::env::var("GROVE_BENCH_ENGINE").unwrap_or_else(|_| "sled".into());
    let dir = tempfile::tempdir().unwrap();
    let run = std::process::id();
    let target = |name: &str| match engine.as_str() {
        "memory" => "memory:".to_string(),
        // GROVE_BENCH_REDIS=redis://127.0.0.1:6379 (a server on loopback).
        "redis" => format!(
            "{}?store=codecbench{run}{name}",
            std::env::var("GROVE_BENCH_REDIS").expect("GROVE_BENCH_REDIS names the server")
        ),
        e => format!("{e}:{}", dir.path().join(name).display()),
    };
    let key = [42u8; 32];
    let plain = Store::open(target("plain")).unwrap();
    let sealed = Store::open_with(target("sealed"), Options::new().encryption_key(key)).unwrap();
    let zplain = Store::open(target("zplain")).unwrap();
    let zstd = Store::open_with(target("zstd"), Options::new().compress(1024)).unwrap();
    let value = br#"{"user":42,"cart":[1,2,3],"total":"19.99"}"#.to_vec();
    let doc = json_10k();

    type Op = Box<dyn FnMut(u64)>;
    let counter = |db: &Store| -> Op {
        let c = db.counter("hot").unwrap();
        Box::new(move |n| {
            for _ in 0..n {
                black_box(c.increment(1).unwrap());
            }
        })
    };
    let kv = |db: &Store, v: Vec<u8>| -> Op {
        let db = db.clone();
        Box::new(move |n| {
            for i in 0..n {
                let k = format!("k{}", i % 1000);
                db.set(k.as_bytes(), &v, None).unwrap();
                black_box(db.get(k.as_bytes()).unwrap());
            }
        })
    };
    let cases: Vec<(&str, Option<f64>, Op, Op)> = vec![
        (
            "counter increment, encrypted",
            Some(1.3),
            counter(&sealed),
            counter(&plain),
        ),
        (
            "kv set+get 42 B, encrypted",
            Some(1.3),
            kv(&sealed, value.clone()),
            kv(&plain, value.clone()),
        ),
        (
            "kv set+get 10 KB JSON, zstd",
            None,
            kv(&zstd, doc.clone()),
            kv(&zplain, doc.clone()),
        ),
    ];

    println!(
        "grove-core codec bench on {engine}: {rounds} interleaved rounds of {n} ops, median ns/op"
    );
    println!(
        "{:<30} {:>10} {:>10} {:>8} {:>13} {:>10}",
        "workload", "on ns", "off ns", "ratio", "spread", "goal"
    );
    // GROVE_BENCH_FILTER=text runs only the workloads whose name contains it.
    let filter = std::env::var("GROVE_BENCH_FILTER").unwrap_or_default();
    for (name, goal, mut on, mut off) in cases {
        if !name.contains(filter.as_str()) {
            continue;
        }
        on(n / 10 + 1);
        off(n / 10 + 1);
        let (mut a, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let (x, y) = if round % 2 == 0 {
                let x = time(&mut *on, n);
                (x, time(&mut *off, n))
            } else {
                let y = time(&mut *off, n);
                (time(&mut *on, n), y)
            };
            a.push(x);
            b.push(y);
            r.push(x / y);
        }
        let (am, bm, rm) = (median(&mut a), median(&mut b), median(&mut r));
        let goal = match goal {
            Some(g) if rm <= g => format!("<={g} ok"),
            Some(g) => format!("<={g} MISSED"),
            None => "-".into(),
        };
        println!(
            "{:<30} {:>10.0} {:>10.0} {:>7.2}x {:>6.2}..{:<6.2} {:>10}",
            name,
            am,
            bm,
            rm,
            r[0],
            r[r.len() - 1],
            goal
        );
    }

    // Size: 1,000 distinct 10 KB documents, each store flushed; what the engine holds.
    if (engine == "sled" || engine == "lmdb") && filter.is_empty() {
        for (name, db) in [("zstd", &zstd), ("off", &zplain)] {
            for i in 0..1000 {
                db.set(format!("doc{i}").as_bytes(), &doc, None).unwrap();
            }
            db.flush().unwrap();
            println!(
                "size of 1,000 x {} B JSON, compression {name}: {} bytes on disk",
                doc.len(),
                db.size_on_disk().unwrap()
            );
        }
    }
    let frame = zstd_len(&doc);
    println!(
        "one {} B JSON document as zstd level 3: {} B ({:.1}x smaller)",
        doc.len(),
        frame,
        doc.len() as f64 / frame as f64
    );
    for db in [plain, sealed, zplain, zstd] {
        db.close().unwrap();
    }
}

/// The compressed size of `doc` as the store writes it (level 3), through a store in memory:
/// the payload's stored length is what `get` cannot show, so measure the frame directly.
fn zstd_len(doc: &[u8]) -> usize {
    zstd::bulk::compress(doc, 3).unwrap().len() + 4
}
