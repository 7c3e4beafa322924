//! Core benchmarks: every figure is a ratio against a baseline measured in the same run,
//! interleaved A/B over several rounds (these machines are noisy).
//!
//! `cargo bench -p grove-core --bench core_bench` (set `GROVE_BENCH_QUICK=1` for a smoke run).

use grove_core::Store;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::Instant;

struct Case {
    name: &'static str,
    goal: Option<f64>,
    grove: Box<dyn FnMut(u64)>,
    base: Box<dyn FnMut(u64)>,
    base_name: &'static str,
}

fn time(f: &mut dyn FnMut(u64), n: u64) -> f64 {
    let t = Instant::now();
    f(n);
    t.elapsed().as_nanos() as f64 / n as f64
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let quick = std::env::var("GROVE_BENCH_QUICK").is_ok();
    let (rounds, n) = if quick { (3, 2_000) } else { (9, 50_000) };
    let dir = tempfile::tempdir().unwrap();

    let grove_sled = Store::open(dir.path().join("grove")).unwrap();
    let raw = sled::Config::new()
        .path(dir.path().join("raw"))
        .flush_every_ms(Some(grove_core::DEFAULT_FLUSH_EVERY_MS))
        .open()
        .unwrap();
    let grove_mem = Store::open_memory();
    let map: &'static Mutex<HashMap<Vec<u8>, i64>> = Box::leak(Box::default());

    let mut cases: Vec<Case> = Vec::new();

    let c = grove_sled.counter("hot").unwrap();
    let r = raw.clone();
    cases.push(Case {
        name: "counter increment, sled",
        goal: Some(1.3),
        grove: Box::new(move |n| {
            for _ in 0..n {
                black_box(c.increment(1).unwrap());
            }
        }),
        base_name: "raw sled update_and_fetch",
        base: Box::new(move |n| {
            for _ in 0..n {
                black_box(
                    r.update_and_fetch(b"counter:hot", |old| {
                        let v = old
                            .map(|b| i64::from_le_bytes(b.try_into().unwrap()))
                            .unwrap_or(0);
                        Some((v + 1).to_le_bytes().to_vec())
                    })
                    .unwrap(),
                );
            }
        }),
    });

    let c = grove_mem.counter("hot").unwrap();
    cases.push(Case {
        name: "counter increment, memory",
        goal: Some(3.0),
        grove: Box::new(move |n| {
            for _ in 0..n {
                black_box(c.increment(1).unwrap());
            }
        }),
        base_name: "std Mutex<HashMap> increment",
        base: Box::new(move |n| {
            for _ in 0..n {
                let mut m = map.lock().unwrap();
                let v = m.entry(b"counter:hot".to_vec()).or_insert(0);
                *v += 1;
                black_box(*v);
            }
        }),
    });

    // Metrics overhead: the same counter increment on two stores of one engine, one recording
    // metrics (as every store does) and one with recording switched off, interleaved A/B.
    for (label, on, off) in [
        (
            "metrics overhead: counter, sled",
            Store::open(dir.path().join("metrics-on")).unwrap(),
            Store::open(dir.path().join("metrics-off")).unwrap(),
        ),
        (
            "metrics overhead: counter, memory",
            Store::open_memory(),
            Store::open_memory(),
        ),
    ] {
        off.set_metrics_recording(false);
        let (c_on, c_off) = (on.counter("hot").unwrap(), off.counter("hot").unwrap());
        cases.push(Case {
            name: label,
            goal: Some(1.03),
            grove: Box::new(move |n| {
                for _ in 0..n {
                    black_box(c_on.increment(1).unwrap());
                }
            }),
            base_name: "the same store kind with metrics off",
            base: Box::new(move |n| {
                for _ in 0..n {
                    black_box(c_off.increment(1).unwrap());
                }
            }),
        });
    }

    for (label, store) in [("sled", grove_sled.clone()), ("memory", grove_mem.clone())] {
        let keys: Vec<Vec<u8>> = (0..1000)
            .map(|i| format!("key:{i:05}").into_bytes())
            .collect();
        for k in &keys {
            store
                .set(k, b"a 32-byte value for the kv bench", None)
                .unwrap();
            raw.insert(k, &b"a 32-byte value for the kv bench"[..])
                .unwrap();
        }
        let (s1, k1, r1, kb1) = (store.clone(), keys.clone(), raw.clone(), keys.clone());
        cases.push(Case {
            name: if label == "sled" {
                "kv get, sled"
            } else {
                "kv get, memory"
            },
            goal: None,
            grove: Box::new(move |n| {
                for i in 0..n {
                    black_box(s1.get(&k1[i as usize % 1000]).unwrap());
                }
            }),
            base_name: "raw sled get",
            base: Box::new(move |n| {
                for i in 0..n {
                    black_box(r1.get(&kb1[i as usize % 1000]).unwrap());
                }
            }),
        });
        let (s2, k2, r2, kb2) = (store.clone(), keys.clone(), raw.clone(), keys.clone());
        cases.push(Case {
            name: if label == "sled" {
                "kv set, sled"
            } else {
                "kv set, memory"
            },
            goal: None,
            grove: Box::new(move |n| {
                for i in 0..n {
                    s2.set(
                        &k2[i as usize % 1000],
                        b"a 32-byte value for the kv bench",
                        None,
                    )
                    .unwrap();
                }
            }),
            base_name: "raw sled insert",
            base: Box::new(move |n| {
                for i in 0..n {
                    r2.insert(
                        &kb2[i as usize % 1000],
                        &b"a 32-byte value for the kv bench"[..],
                    )
                    .unwrap();
                }
            }),
        });
    }

    // Issue 5: each coordination primitive against one raw sled compare-and-swap.
    let cas = |r: sled::Db, key: &'static [u8]| -> Box<dyn FnMut(u64)> {
        let mut v: u64 = 0;
        r.insert(key, &v.to_le_bytes()[..]).unwrap();
        Box::new(move |n| {
            for _ in 0..n {
                let next = v + 1;
                r.compare_and_swap(
                    key,
                    Some(&v.to_le_bytes()[..]),
                    Some(&next.to_le_bytes()[..]),
                )
                .unwrap()
                .unwrap();
                v = next;
            }
        })
    };
    let lock = grove_sled
        .lock("bench", std::time::Duration::from_secs(30))
        .unwrap();
    cases.push(Case {
        name: "lock acquire+release, sled",
        goal: Some(4.0),
        grove: Box::new(move |n| {
            for _ in 0..n {
                assert!(lock.try_acquire().unwrap());
                assert!(lock.release().unwrap());
            }
        }),
        base_name: "one raw sled compare_and_swap",
        base: cas(raw.clone(), b"cas-lock"),
    });
    // Many clients each under a 1000/minute limit: every call is admitted and written.
    let rl = grove_sled
        .rate_limiter("bench", 1000, std::time::Duration::from_secs(60))
        .unwrap();
    let clients: Vec<String> = (0..10_000).map(|i| format!("client-{i}")).collect();
    let mut next = 0usize;
    cases.push(Case {
        name: "ratelimit allow, sled",
        goal: Some(4.0),
        grove: Box::new(move |n| {
            for _ in 0..n {
                next = (next + 1) % clients.len();
                let d = rl.allow(&clients[next], 1).unwrap();
                assert!(d.allowed);
            }
        }),
        base_name: "one raw sled compare_and_swap",
        base: cas(raw.clone(), b"cas-rl"),
    });
    // The worst case: one key at full speed with no effective limit, so the log stays full.
    let hot = grove_sled
        .rate_limiter("hot", u64::MAX / 2, std::time::Duration::from_secs(60))
        .unwrap();
    cases.push(Case {
        name: "ratelimit allow, hot key",
        goal: None,
        grove: Box::new(move |n| {
            for _ in 0..n {
                black_box(hot.allow("client", 1).unwrap());
            }
        }),
        base_name: "one raw sled compare_and_swap",
        base: cas(raw.clone(), b"cas-hot"),
    });
    let sessions = grove_sled
        .sessions(std::time::Duration::from_secs(1800), "sess")
        .unwrap();
    cases.push(Case {
        name: "session create+get, sled",
        goal: Some(4.0),
        grove: Box::new(move |n| {
            for _ in 0..n {
                let id = sessions.create(br#"{"user":42,"cart":[1,2,3]}"#).unwrap();
                black_box(sessions.get(&id).unwrap());
            }
        }),
        base_name: "one raw sled compare_and_swap",
        base: cas(raw.clone(), b"cas-sess"),
    });

    // Issue 7: CRDT operations against the atomic counter increment on the same store.
    let atomic = grove_sled.counter("crdt-baseline").unwrap();
    let crdt_counter = grove_sled.crdt_counter("crdt:views").unwrap();
    let atomic2 = atomic.clone();
    cases.push(Case {
        name: "crdt counter increment, sled",
        goal: Some(2.0),
        grove: Box::new(move |n| {
            for _ in 0..n {
                black_box(crdt_counter.increment(1).unwrap());
            }
        }),
        base_name: "atomic counter increment, same store",
        base: Box::new(move |n| {
            for _ in 0..n {
                black_box(atomic.increment(1).unwrap());
            }
        }),
    });
    let register = grove_sled.crdt_register("crdt:name").unwrap();
    cases.push(Case {
        name: "crdt register set, sled",
        goal: Some(2.0),
        grove: Box::new(move |n| {
            for i in 0..n {
                register
                    .set(if i % 2 == 0 { "\"Alice\"" } else { "\"Bob\"" })
                    .unwrap();
            }
        }),
        base_name: "atomic counter increment, same store",
        base: Box::new(move |n| {
            for _ in 0..n {
                black_box(atomic2.increment(1).unwrap());
            }
        }),
    });

    // The same shape in raw sled: CAS-insert a fresh random 48-byte key, then get it. Explains
    // what the session row pays for (random inserts into a growing tree), not a Grove cost.
    let sessions2 = grove_sled
        .sessions(std::time::Duration::from_secs(1800), "sess2")
        .unwrap();
    let r = raw.clone();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    cases.push(Case {
        name: "session create+get, sled ",
        goal: None,
        grove: Box::new(move |n| {
            for _ in 0..n {
                let id = sessions2.create(br#"{"user":42,"cart":[1,2,3]}"#).unwrap();
                black_box(sessions2.get(&id).unwrap());
            }
        }),
        base_name: "raw sled CAS-insert of a new random key + get",
        base: Box::new(move |n| {
            for _ in 0..n {
                // xorshift: cheap, well-spread keys like random session ids.
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let key = format!("sess:{x:016x}{:016x}{x:016x}", x.rotate_left(17));
                r.compare_and_swap(
                    &key,
                    None as Option<&[u8]>,
                    Some(&br#"{"user":42,"cart":[1,2,3]}"#[..]),
                )
                .unwrap()
                .unwrap();
                black_box(r.get(&key).unwrap());
            }
        }),
    });

    println!(
        "grove-core bench: {rounds} interleaved rounds of {n} ops, median ns/op (spread = min..max ratio)"
    );
    println!(
        "{:<28} {:>10} {:>10} {:>8} {:>15} {:>6}  baseline",
        "workload", "grove ns", "base ns", "ratio", "ratio spread", "goal"
    );
    // GROVE_BENCH_FILTER=text runs only the workloads whose name contains it.
    let filter = std::env::var("GROVE_BENCH_FILTER").unwrap_or_default();
    for case in cases
        .iter_mut()
        .filter(|c| c.name.contains(filter.as_str()))
    {
        // Warm up both sides, then alternate A/B so drift hits both equally.
        (case.grove)(n / 10 + 1);
        (case.base)(n / 10 + 1);
        let (mut g, mut b, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..rounds {
            let (gt, bt) = if round % 2 == 0 {
                let gt = time(&mut *case.grove, n);
                (gt, time(&mut *case.base, n))
            } else {
                let bt = time(&mut *case.base, n);
                (time(&mut *case.grove, n), bt)
            };
            g.push(gt);
            b.push(bt);
            ratios.push(gt / bt);
        }
        let (gm, bm, rm) = (median(&mut g), median(&mut b), median(&mut ratios));
        let spread = format!("{:.2}..{:.2}", ratios[0], ratios[ratios.len() - 1]);
        let goal = match case.goal {
            Some(goal) if rm <= goal => format!("<={goal} ok"),
            Some(goal) => format!("<={goal} MISSED"),
            None => "-".into(),
        };
        println!(
            "{:<28} {:>10.0} {:>10.0} {:>7.2}x {:>15} {:>6}  {}",
            case.name, gm, bm, rm, spread, goal, case.base_name
        );
    }
    delta_sync(quick);
    grove_sled.close().unwrap();
}

/// Issue 7: `export_changes` since the last cursor, with 0.1% of the keys changed, against a
/// full export of the same store, measured in the same run.
fn delta_sync(quick: bool) {
    let (keys, changed) = if quick { (10_000, 10) } else { (100_000, 100) };
    let dir = tempfile::tempdir().unwrap();
    let db = Store::open(dir.path()).unwrap();
    for i in 0..keys {
        db.crdt_counter(&format!("crdt:k{i:06}"))
            .unwrap()
            .increment(1)
            .unwrap();
    }
    let (_, mut cursor) = db.export_changes(0).unwrap();
    let (mut full, mut delta) = (Vec::new(), Vec::new());
    for round in 0..5 {
        for i in 0..changed {
            let k = format!("crdt:k{:06}", (i * 997 + round * 13) % keys);
            db.crdt_counter(&k).unwrap().increment(1).unwrap();
        }
        let t = Instant::now();
        let (bytes, next) = db.export_changes(cursor).unwrap();
        delta.push(t.elapsed().as_secs_f64());
        black_box(bytes);
        cursor = next;
        let t = Instant::now();
        black_box(db.export_changes(0).unwrap());
        full.push(t.elapsed().as_secs_f64());
    }
    let (f, d) = (median(&mut full), median(&mut delta));
    let share = d / f * 100.0;
    println!(
        "delta export ({changed} of {keys} CRDT keys changed): {:.2} ms vs full export {:.1} ms = {share:.2}% (goal <= 5%: {})",
        d * 1e3,
        f * 1e3,
        if share <= 5.0 { "ok" } else { "MISSED" }
    );
    db.close().unwrap();
}
