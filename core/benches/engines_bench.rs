//! lmdb against sled in one process (issue 14, goals 3 and 6), interleaved A/B in one run.
//!
//! `cargo bench -p grove-core --bench engines_bench` (`GROVE_BENCH_QUICK=1`: smoke sizes). Driven
//! by `bench/shared/run.sh`, which reads the `RESULT {json}` lines this prints. Each workload runs
//! `rounds` rounds of `n` ops; round k runs lmdb first for even k, sled first for odd k; the ratio
//! is lmdb time / sled time per round (median and min..max). The 1-minute load average is printed
//! beside every figure: the machine is shared.

use grove_core::{Options, Store};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().next().unwrap_or("?").to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Interleaved rounds of `lmdb` and `sled`; prints a line and a RESULT json line.
fn ab(
    name: &str,
    goal: &str,
    rounds: usize,
    n: u64,
    lmdb: &mut dyn FnMut(u64),
    sled: &mut dyn FnMut(u64),
) {
    let (mut a, mut b, mut r) = (Vec::new(), Vec::new(), Vec::new());
    let time = |h: &mut dyn FnMut(u64)| {
        let t = Instant::now();
        h(n);
        t.elapsed().as_nanos() as f64 / n as f64
    };
    let load0 = loadavg();
    for round in 0..rounds {
        let (x, y) = if round % 2 == 0 {
            let x = time(lmdb);
            (x, time(sled))
        } else {
            let y = time(sled);
            (time(lmdb), y)
        };
        a.push(x);
        b.push(y);
        r.push(x / y);
    }
    let load1 = loadavg();
    let (lo, hi) = r
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    let (ma, mb, mr) = (median(a), median(b), median(r));
    println!(
        "{name:<40} lmdb {ma:>9.0} ns  sled {mb:>9.0} ns  lmdb/sled {mr:>6.2}x ({lo:.2}..{hi:.2})  load {load0}->{load1}"
    );
    println!(
        "RESULT {{\"workload\":\"{name}\",\"a\":\"lmdb\",\"b\":\"sled\",\"a_ns\":{ma:.1},\"b_ns\":{mb:.1},\"ratio\":{mr:.4},\"lo\":{lo:.4},\"hi\":{hi:.4},\"goal\":\"{goal}\",\"rounds\":{rounds},\"n\":{n},\"load\":\"{load0}->{load1}\"}}"
    );
}

fn main() {
    let quick = std::env::var("GROVE_BENCH_QUICK").is_ok_and(|v| v != "0");
    let (rounds, n, keys) = if quick {
        (3, 5_000, 10_000u64)
    } else {
        (9, 50_000, 100_000u64)
    };
    let base = std::env::var("GROVE_BENCH_TMP")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir());
    let dir = tempfile::tempdir_in(&base).unwrap();
    let lpath = format!("lmdb:{}", dir.path().join("lmdb").display());
    let spath = format!("sled:{}", dir.path().join("sled").display());
    let lmdb = Store::open_with(&lpath, Options::new()).unwrap();
    let sled = Store::open_with(&spath, Options::new()).unwrap();

    // Goal 3a: counter increment on one hot key.
    let lc = lmdb.counter("hot").unwrap();
    let sc = sled.counter("hot").unwrap();
    ab(
        "counter increment (1 process)",
        "lmdb/sled <= 1.5",
        rounds,
        n,
        &mut |n| {
            for _ in 0..n {
                black_box(lc.increment(1).unwrap());
            }
        },
        &mut |n| {
            for _ in 0..n {
                black_box(sc.increment(1).unwrap());
            }
        },
    );
    let expect = (rounds as i64) * (n as i64);
    assert_eq!(lc.get().unwrap(), expect, "lmdb counter lost increments");
    assert_eq!(sc.get().unwrap(), expect, "sled counter lost increments");

    // Goal 3b: kv get of a random key among `keys` (8-byte values), both stores filled alike.
    let names: Vec<Vec<u8>> = (0..keys)
        .map(|i| format!("key:{i:08}").into_bytes())
        .collect();
    for chunk in names.chunks(10_000) {
        let items: Vec<(&[u8], &[u8])> = chunk.iter().map(|k| (&k[..], &b"12345678"[..])).collect();
        lmdb.set_many(&items, None).unwrap();
        sled.set_many(&items, None).unwrap();
    }
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut order = Vec::with_capacity(n as usize);
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.push((x % keys) as usize);
    }
    ab(
        &format!("kv get (random among {keys})"),
        "lmdb/sled <= 1",
        rounds,
        n,
        &mut |n| {
            for &i in &order[..n as usize] {
                black_box(lmdb.get(&names[i]).unwrap().unwrap());
            }
        },
        &mut |n| {
            for &i in &order[..n as usize] {
                black_box(sled.get(&names[i]).unwrap().unwrap());
            }
        },
    );

    // Goal 6: queue enqueue + dequeue + ack (periodic flush, the default).
    let lq = lmdb.queue("jobs", Duration::from_secs(30), 5).unwrap();
    let sq = sled.queue("jobs", Duration::from_secs(30), 5).unwrap();
    let qn = n / 5;
    ab(
        "queue enqueue+dequeue+ack",
        "lmdb/sled <= 0.333 (>= 3x faster)",
        rounds,
        qn,
        &mut |n| {
            for _ in 0..n {
                lq.enqueue(b"payload of a job", Duration::ZERO).unwrap();
                let j = lq.dequeue().unwrap().unwrap();
                assert!(lq.ack(j.id).unwrap());
            }
        },
        &mut |n| {
            for _ in 0..n {
                sq.enqueue(b"payload of a job", Duration::ZERO).unwrap();
                let j = sq.dequeue().unwrap().unwrap();
                assert!(sq.ack(j.id).unwrap());
            }
        },
    );
    lmdb.close().unwrap();
    sled.close().unwrap();
}
