//! Leaderboard and job queue: model-checked ranks, exact concurrency, redelivery and
//! dead-lettering with an injected clock, and a SIGKILL crash test of the queue.

mod common;

use grove_core::{Durability, ErrorKind, ManualClock, Options, Ranked, Store};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn stores() -> (
    Vec<(&'static str, Store)>,
    tempfile::TempDir,
    Arc<ManualClock>,
) {
    let clock = Arc::new(ManualClock::default());
    let (s, d) = common::engines(clock.clone());
    (s, d, clock)
}

#[derive(Debug, Clone)]
enum LbOp {
    Add(u8, i8),
    Incr(u8, i8),
    Remove(u8),
    Rank(u8),
    Score(u8),
    Range(u8, u8),
    Around(u8, u8),
    Len,
    Reopen,
}

fn lb_op() -> impl Strategy<Value = LbOp> {
    prop_oneof![
        (0u8..24, any::<i8>()).prop_map(|(m, s)| LbOp::Add(m, s % 8)),
        (0u8..24, any::<i8>()).prop_map(|(m, s)| LbOp::Incr(m, s % 4)),
        (0u8..24).prop_map(LbOp::Remove),
        (0u8..24).prop_map(LbOp::Rank),
        (0u8..24).prop_map(LbOp::Score),
        (0u8..30, 0u8..30).prop_map(|(a, b)| LbOp::Range(a, b)),
        (0u8..24, 0u8..4).prop_map(|(m, n)| LbOp::Around(m, n)),
        Just(LbOp::Len),
        Just(LbOp::Reopen),
    ]
}

/// The model: a plain vector sorted by (score desc, member asc) on every read.
fn sorted(model: &HashMap<String, f64>) -> Vec<(String, f64)> {
    let mut v: Vec<_> = model.iter().map(|(m, s)| (m.clone(), *s)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

fn ranked(v: &[(String, f64)], start: usize) -> Vec<Ranked> {
    v.iter()
        .enumerate()
        .map(|(i, (m, s))| Ranked {
            rank: (start + i) as u64,
            member: m.clone(),
            score: *s,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn leaderboard_agrees_with_a_sorted_vector(ops in proptest::collection::vec(lb_op(), 1..80)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut sled = Store::open(&path).unwrap();
        let mem = Store::open_memory();
        let mut model: HashMap<String, f64> = HashMap::new();
        for op in &ops {
            if let LbOp::Reopen = op {
                // The index is rebuilt from the store after a reopen.
                sled.close().unwrap();
                sled = Store::open(&path).unwrap();
                continue;
            }
            let member = |m: &u8| format!("m{m:02}");
            let want: String = match op {
                LbOp::Add(m, s) => { model.insert(member(m), *s as f64); "()".into() }
                LbOp::Incr(m, d) => {
                    let e = model.entry(member(m)).or_insert(0.0);
                    *e += *d as f64;
                    format!("{}", *e)
                }
                LbOp::Remove(m) => format!("{}", model.remove(&member(m)).is_some()),
                LbOp::Rank(m) => format!("{:?}", sorted(&model).iter().position(|(x, _)| *x == member(m))),
                LbOp::Score(m) => format!("{:?}", model.get(&member(m))),
                LbOp::Range(a, b) => {
                    let v = sorted(&model);
                    let (a, b) = (*a as usize, (*b as usize).min(v.len()));
                    format!("{:?}", if a < b { ranked(&v[a..b], a) } else { vec![] })
                }
                LbOp::Around(m, n) => {
                    let v = sorted(&model);
                    match v.iter().position(|(x, _)| *x == member(m)) {
                        None => "[]".into(),
                        Some(r) => {
                            let lo = r.saturating_sub(*n as usize);
                            let hi = (r + *n as usize + 1).min(v.len());
                            format!("{:?}", ranked(&v[lo..hi], lo))
                        }
                    }
                }
                LbOp::Len => format!("{}", model.len()),
                LbOp::Reopen => unreachable!(),
            };
            for (name, db) in [("memory", &mem), ("sled", &sled)] {
                let lb = db.leaderboard("scores").unwrap();
                let got: String = match op {
                    LbOp::Add(m, s) => { lb.add(&member(m), *s as f64).unwrap(); "()".into() }
                    LbOp::Incr(m, d) => format!("{}", lb.incr(&member(m), *d as f64).unwrap()),
                    LbOp::Remove(m) => format!("{}", lb.remove(&member(m)).unwrap()),
                    LbOp::Rank(m) => format!("{:?}", lb.rank(&member(m)).unwrap().map(|r| r as usize)),
                    LbOp::Score(m) => format!("{:?}", lb.score(&member(m)).unwrap()),
                    LbOp::Range(a, b) => format!("{:?}", lb.range(*a as u64, *b as u64).unwrap()),
                    LbOp::Around(m, n) => format!("{:?}", lb.around(&member(m), *n as u64).unwrap()),
                    LbOp::Len => format!("{}", lb.len().unwrap()),
                    LbOp::Reopen => unreachable!(),
                };
                prop_assert_eq!(&got, &want, "{:?} on {}", op, name);
            }
        }
        sled.close().unwrap();
    }
}

/// Scores that find precision and ordering mistakes: small integers (many ties), any finite
/// double (subnormals and both zeros included), and hand-picked edges.
fn any_score() -> impl Strategy<Value = f64> {
    use proptest::num::f64 as f;
    prop_oneof![
        3 => (-3i8..3).prop_map(f64::from),
        2 => f::POSITIVE | f::NEGATIVE | f::NORMAL | f::SUBNORMAL | f::ZERO,
        1 => proptest::sample::select(vec![
            f64::MAX, -f64::MAX, f64::MIN_POSITIVE, 5e-324, -0.0, 0.1, 0.30000000000000004,
            1e300, -1e-300, 9007199254740993.0, 1.0 / 3.0, 123456789.12345678,
        ]),
    ]
}

#[derive(Debug, Clone)]
enum FloatOp {
    Add(usize, f64),
    Incr(usize, f64),
    Remove(usize),
    Range(u8, u8),
    Around(usize, u8),
    Clear,
}

/// Members whose byte order differs from other orders one might get wrong (case, prefixes,
/// multi-byte UTF-8).
const MEMBERS: [&str; 10] = ["a", "ab", "B", "b", "b a", "z", "é", "éa", "日本", "a:b"];

fn float_op() -> impl Strategy<Value = FloatOp> {
    let m = 0..MEMBERS.len();
    prop_oneof![
        4 => (m.clone(), any_score()).prop_map(|(m, s)| FloatOp::Add(m, s)),
        3 => (m.clone(), any_score()).prop_map(|(m, s)| FloatOp::Incr(m, s)),
        1 => m.clone().prop_map(FloatOp::Remove),
        1 => (0u8..12, 0u8..12).prop_map(|(a, b)| FloatOp::Range(a, b)),
        1 => (m, 0u8..4).prop_map(|(m, n)| FloatOp::Around(m, n)),
        1 => Just(FloatOp::Clear),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Every engine (Redis's sorted sets included, when GROVE_TEST_REDIS is set) against a model
    /// with arbitrary finite scores: every score must come back bit for bit and every rank, range
    /// and neighbourhood in Grove's order, after every step.
    #[test]
    fn every_engine_ranks_arbitrary_scores_like_the_model(
        ops in proptest::collection::vec(float_op(), 1..40)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let stores: Vec<(&str, Store)> = common::engine_targets(dir.path())
            .into_iter()
            .map(|(name, t)| (name, Store::open(&t).unwrap()))
            .collect();
        let mut model: HashMap<String, f64> = HashMap::new();
        let zero = |x: f64| if x == 0.0 { 0.0 } else { x };
        for op in &ops {
            // What the model says, as text: `{:?}` of f64 tells -0.0 from 0.0 and every bit.
            let want = match op {
                FloatOp::Add(m, s) => {
                    model.insert(MEMBERS[*m].to_string(), zero(*s));
                    "Ok(())".to_string()
                }
                FloatOp::Incr(m, d) => {
                    let new = model.get(MEMBERS[*m]).copied().unwrap_or(0.0) + zero(*d);
                    if new.is_finite() {
                        model.insert(MEMBERS[*m].to_string(), zero(new));
                        format!("Ok({:?})", zero(new))
                    } else {
                        "Err(Overflow)".to_string()
                    }
                }
                FloatOp::Remove(m) => format!("Ok({})", model.remove(MEMBERS[*m]).is_some()),
                FloatOp::Range(a, b) => {
                    let v = sorted(&model);
                    let (a, b) = (*a as usize, (*b as usize).min(v.len()));
                    format!("Ok({:?})", if a < b { ranked(&v[a..b], a) } else { vec![] })
                }
                FloatOp::Around(m, n) => {
                    let v = sorted(&model);
                    format!("Ok({:?})", match v.iter().position(|(x, _)| x == MEMBERS[*m]) {
                        None => vec![],
                        Some(r) => {
                            let lo = r.saturating_sub(*n as usize);
                            ranked(&v[lo..(r + *n as usize + 1).min(v.len())], lo)
                        }
                    })
                }
                FloatOp::Clear => {
                    let n = model.len();
                    model.clear();
                    format!("Ok({n})")
                }
            };
            let full = ranked(&sorted(&model), 0);
            for (name, db) in &stores {
                let lb = db.leaderboard("floats").unwrap();
                let show = |r: grove_core::Result<String>| match r {
                    Ok(s) => format!("Ok({s})"),
                    Err(e) => format!("Err({:?})", e.kind()),
                };
                let got = show(match op {
                    FloatOp::Add(m, s) => lb.add(MEMBERS[*m], *s).map(|()| "()".into()),
                    FloatOp::Incr(m, d) => lb.incr(MEMBERS[*m], *d).map(|x| format!("{x:?}")),
                    FloatOp::Remove(m) => lb.remove(MEMBERS[*m]).map(|x| x.to_string()),
                    FloatOp::Range(a, b) => lb.range(*a as u64, *b as u64).map(|v| format!("{v:?}")),
                    FloatOp::Around(m, n) => {
                        lb.around(MEMBERS[*m], *n as u64).map(|v| format!("{v:?}"))
                    }
                    FloatOp::Clear => lb.clear().map(|n| n.to_string()),
                });
                prop_assert_eq!(&got, &want, "{:?} on {}", op, name);
                // The whole board, each member's score and rank, after every step.
                prop_assert_eq!(
                    format!("{:?}", lb.top(u64::MAX).unwrap()),
                    format!("{full:?}"),
                    "top after {:?} on {}", op, name
                );
                prop_assert_eq!(lb.len().unwrap(), full.len() as u64, "len on {}", name);
                for m in MEMBERS {
                    let r = full.iter().find(|r| r.member == m);
                    prop_assert_eq!(
                        format!("{:?}", lb.score(m).unwrap()),
                        format!("{:?}", r.map(|r| r.score)),
                        "score of {} on {}", m, name
                    );
                    prop_assert_eq!(lb.rank(m).unwrap(), r.map(|r| r.rank), "rank of {} on {}", m, name);
                }
            }
        }
        for (_, db) in stores {
            db.close().unwrap();
        }
    }
}

#[test]
fn ties_bad_scores_and_kv_protection() {
    let (stores, _dir, _) = stores();
    for (name, db) in stores {
        let lb = db.leaderboard("ties").unwrap();
        for m in ["carol", "alice", "bob"] {
            lb.add(m, 10.0).unwrap();
        }
        lb.add("dave", 11.0).unwrap();
        let top: Vec<_> = lb.top(10).unwrap().into_iter().map(|r| r.member).collect();
        assert_eq!(
            top,
            ["dave", "alice", "bob", "carol"],
            "{name}: ties by member"
        );
        assert_eq!(lb.rank("bob").unwrap(), Some(2));
        assert_eq!(lb.rank("nobody").unwrap(), None);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(
                lb.add("x", bad).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
            assert_eq!(
                lb.incr("alice", bad).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
        }
        lb.add("huge", f64::MAX).unwrap();
        assert_eq!(
            lb.incr("huge", f64::MAX).unwrap_err().kind(),
            ErrorKind::Overflow
        );
        assert_eq!(lb.score("huge").unwrap(), Some(f64::MAX));
        assert_eq!(lb.score("alice").unwrap(), Some(10.0));
        assert_eq!(lb.len().unwrap(), 5);
        assert_eq!(
            db.delete(b"lb:ties:alice").unwrap_err().kind(),
            ErrorKind::WrongType
        );
        assert_eq!(
            db.expire(b"lb:ties:alice", Duration::from_secs(1))
                .unwrap_err()
                .kind(),
            ErrorKind::WrongType
        );
        assert_eq!(
            db.get(b"lb:ties:alice").unwrap_err().kind(),
            ErrorKind::WrongType
        );
        // Plain KV writes cannot slip a non-member under a board's prefix…
        assert_eq!(
            db.set(b"lb:ties:zed", b"x", None).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            db.set_many(&[(b"ok", b"1"), (b"queue:q:meta", b"x")], None)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument
        );
        // …and a CRDT that chose such a key is skipped by the index, not mistaken for a member.
        db.crdt_counter("lb:ties:crdt")
            .unwrap()
            .increment(1)
            .unwrap();
        assert_eq!(
            lb.add("crdt", 1.0).unwrap_err().kind(),
            ErrorKind::WrongType
        );
        assert_eq!(
            db.leaderboard("a:b").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            lb.add("", 1.0).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        let other = db.leaderboard("closing").unwrap();
        other.add("x", 1.0).unwrap();
        assert_eq!(lb.clear().unwrap(), 5);
        assert!(lb.is_empty().unwrap());
        assert!(!db.exists(b"lb:ties:alice").unwrap());
        // A built index does not outlive its handle.
        db.close().unwrap();
        assert_eq!(other.len().unwrap_err().kind(), ErrorKind::Closed);
        assert_eq!(other.top(1).unwrap_err().kind(), ErrorKind::Closed);
    }
}

#[test]
fn rank_is_right_for_every_member_of_a_100k_board_and_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let n = 100_000u64;
    let score = |i: u64| ((i * 7919) % 1000) as f64; // many ties
    let mut want: Vec<(f64, String)> = (0..n).map(|i| (score(i), format!("p{i:06}"))).collect();
    want.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let sled = Store::open(&path).unwrap();
    let mem = Store::open_memory();
    for db in [&sled, &mem] {
        let lb = db.leaderboard("big").unwrap();
        for i in 0..n {
            lb.add(&format!("p{i:06}"), score(i)).unwrap();
        }
    }
    sled.close().unwrap();
    let sled = Store::open(&path).unwrap();
    for (name, db) in [("sled (reopened)", &sled), ("memory", &mem)] {
        let lb = db.leaderboard("big").unwrap();
        assert_eq!(lb.len().unwrap(), n);
        for (r, (_, m)) in want.iter().enumerate() {
            assert_eq!(lb.rank(m).unwrap(), Some(r as u64), "{name}: {m}");
        }
        let top = lb.top(3).unwrap();
        assert_eq!(top[0].member, want[0].1);
        let mid = lb.range(50_000, 50_003).unwrap();
        assert_eq!(mid[2].member, want[50_002].1);
    }
    sled.close().unwrap();
}

#[test]
fn concurrent_incr_on_a_leaderboard_is_exact() {
    let (stores, _dir, _) = stores();
    for (name, db) in stores {
        let lb = db.leaderboard("race").unwrap();
        std::thread::scope(|s| {
            for t in 0..8 {
                let lb = lb.clone();
                s.spawn(move || {
                    for i in 0..1_000 {
                        lb.incr(&format!("m{}", (i + t) % 10), 1.0).unwrap();
                    }
                });
            }
        });
        let total: f64 = lb.top(100).unwrap().iter().map(|r| r.score).sum();
        assert_eq!(total, 8_000.0, "{name}");
        assert_eq!(lb.len().unwrap(), 10);
    }
}

#[test]
fn queue_fifo_delay_redelivery_dead_letters_and_nack() {
    let (stores, _dir, clock) = stores();
    for (name, db) in stores {
        let q = db.queue("tasks", Duration::from_secs(30), 3).unwrap();
        let a = q.enqueue(b"a", Duration::ZERO).unwrap();
        let later = q.enqueue(b"later", Duration::from_secs(10)).unwrap();
        let b = q.enqueue(b"b", Duration::ZERO).unwrap();
        assert_eq!(q.stats().unwrap().ready, 3);
        let j = q.dequeue().unwrap().unwrap();
        assert_eq!(
            (j.id, j.payload.as_slice(), j.attempts),
            (a, &b"a"[..], 1),
            "{name}"
        );
        let j2 = q.dequeue().unwrap().unwrap();
        assert_eq!(j2.id, b, "{name}: FIFO, delayed job not yet ready");
        assert!(q.dequeue().unwrap().is_none());
        assert_eq!(q.stats().unwrap().in_flight, 2);
        assert!(q.ack(b).unwrap());
        assert!(!q.ack(b).unwrap(), "acked once");
        clock.advance(Duration::from_secs(10));
        assert_eq!(q.dequeue().unwrap().unwrap().id, later);
        assert!(q.ack(later).unwrap());
        // `a` was never acked: after the visibility timeout it comes back with attempts + 1.
        clock.advance(Duration::from_secs(20));
        let again = q.dequeue().unwrap().unwrap();
        assert_eq!((again.id, again.attempts), (a, 2), "{name}: redelivered");
        assert!(q.nack(a, Duration::from_secs(5)).unwrap());
        assert!(q.dequeue().unwrap().is_none(), "nack delay");
        clock.advance(Duration::from_secs(5));
        assert_eq!(q.dequeue().unwrap().unwrap().attempts, 3);
        clock.advance(Duration::from_secs(30));
        // Delivered max_attempts (3) times without an ack: dead-lettered, not delivered again.
        assert!(q.dequeue().unwrap().is_none(), "{name}");
        let stats = q.stats().unwrap();
        assert_eq!(
            (stats.ready, stats.in_flight, stats.dead),
            (0, 0, 1),
            "{name}"
        );
        let dead = q.dead_letters().unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!((dead[0].id, dead[0].attempts), (a, 3));
        assert!(!q.ack(a).unwrap() && !q.nack(a, Duration::ZERO).unwrap());
        if name.starts_with("redis") {
            // Redis keeps a queue in its own hashes and sorted sets, not in records: the key
            // names nothing, and deleting it changes nothing.
            assert!(!db.delete(b"queue:tasks:meta").unwrap(), "{name}");
            assert_eq!(q.stats().unwrap().dead, 1, "{name}");
        } else {
            assert_eq!(
                db.delete(b"queue:tasks:meta").unwrap_err().kind(),
                ErrorKind::WrongType
            );
        }
        assert_eq!(
            db.queue("x", Duration::ZERO, 1).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            db.queue("x", Duration::from_secs(1), 0).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            db.queue("a:b", Duration::from_secs(1), 1)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidArgument
        );
    }
}

#[test]
fn four_producers_four_consumers_move_100k_jobs_exactly_once() {
    let (stores, _dir, _) = stores();
    for (name, db) in stores {
        let q = db.queue("bulk", Duration::from_secs(3600), 5).unwrap();
        let total = 100_000u64;
        let produced = AtomicU64::new(0);
        let acked = Mutex::new(HashSet::new());
        let holding = Mutex::new(HashSet::new());
        let double = AtomicU64::new(0);
        std::thread::scope(|s| {
            for p in 0..4u64 {
                let (q, produced) = (q.clone(), &produced);
                s.spawn(move || {
                    for i in 0..total / 4 {
                        q.enqueue(format!("{p}-{i}").as_bytes(), Duration::ZERO)
                            .unwrap();
                        produced.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
            for _ in 0..4 {
                let q = q.clone();
                let (acked, holding, double, produced) = (&acked, &holding, &double, &produced);
                s.spawn(move || loop {
                    match q.dequeue().unwrap() {
                        Some(job) => {
                            if !holding.lock().unwrap().insert(job.id) {
                                double.fetch_add(1, Ordering::SeqCst);
                            }
                            holding.lock().unwrap().remove(&job.id);
                            assert!(q.ack(job.id).unwrap());
                            if !acked.lock().unwrap().insert(job.payload) {
                                double.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        None => {
                            if produced.load(Ordering::SeqCst) == total
                                && acked.lock().unwrap().len() as u64 == total
                            {
                                break;
                            }
                            std::thread::yield_now();
                        }
                    }
                });
            }
        });
        assert_eq!(
            double.load(Ordering::SeqCst),
            0,
            "{name}: no job held or acked twice"
        );
        assert_eq!(
            acked.lock().unwrap().len() as u64,
            total,
            "{name}: none lost"
        );
        let stats = q.stats().unwrap();
        assert_eq!(
            (stats.ready, stats.in_flight, stats.dead),
            (0, 0, 0),
            "{name}"
        );
    }
}

#[test]
#[ignore = "entry point for the child process of the queue crash test"]
fn queue_crash_child() {
    let path = std::env::var("GROVE_CHILD_PATH").unwrap();
    let log_path = std::env::var("GROVE_CHILD_LOG").unwrap();
    let db = Store::open_with(&path, Options::new().durability(Durability::EveryWrite)).unwrap();
    let q = db.queue("crash", Duration::from_secs(3600), 1000).unwrap();
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .unwrap();
    println!("GROVE-CHILD-READY");
    // One write(2) per line, so SIGKILL can cut the log only between lines (or leave the
    // last one without its newline, which the parent ignores).
    let mut note = |line: String| log.write_all(line.as_bytes()).unwrap();
    for iteration in 1u64.. {
        // The parent kills after a drawn number of iterations, wherever the next one is then.
        println!("ITERATION {iteration}");
        let id = q.enqueue(b"job", Duration::ZERO).unwrap();
        note(format!("E {id}\n"));
        if let Some(job) = q.dequeue().unwrap() {
            if job.id % 3 != 0 {
                // "a" before the ack, "A" after it returned: a kill in between may go either way.
                note(format!("a {}\n", job.id));
                assert!(q.ack(job.id).unwrap());
                note(format!("A {}\n", job.id));
            }
        }
    }
}

/// Kills a durable queue worker at drawn points (after 1 to 40 iterations, wherever the next
/// one is: in an enqueue, a dequeue or an ack) on each on-disk engine; every cycle must add
/// jobs to check, and the child must die by the kill, not by a panic, or the run fails.
#[test]
fn queue_survives_sigkill_at_random_moments() {
    const CYCLES: u32 = 20;
    let seed: u64 = std::env::var("GROVE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("queue crash test: seed {seed} (GROVE_CRASH_SEED={seed} repeats the kill points)");
    for engine in ["sled", "lmdb"] {
        queue_crash_cycles(engine, CYCLES, seed);
    }
}

fn queue_crash_cycles(engine: &str, cycles: u32, seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let path = format!("{engine}:{}", dir.path().join("db").display());
    let log_path = dir.path().join("log");
    let mut seed = seed | 1;
    let mut checked_before = 0;
    let mut per_cycle = Vec::new();
    for cycle in 0..cycles {
        let mut child = common::child(
            "queue_crash_child",
            &[
                ("GROVE_CHILD_PATH", path.as_str()),
                ("GROVE_CHILD_LOG", log_path.to_str().unwrap()),
            ],
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let kill_after = 1 + seed % 40;
        let mut line = String::new();
        while line.trim_end() != format!("ITERATION {}", kill_after + 1) {
            line.clear();
            assert!(
                std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0,
                "{engine} cycle {cycle}: the child died before iteration {kill_after}"
            );
        }
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(
            status.signal(),
            Some(9),
            "{engine} cycle {cycle}: the child ended by itself ({status}), not by the kill"
        );

        let db = Store::open(&path).unwrap();
        let log = std::fs::read_to_string(&log_path).unwrap();
        let (mut enqueued, mut acking, mut acked) =
            (HashSet::new(), HashSet::new(), HashSet::new());
        // Only whole lines count: the last one may have been cut by the kill.
        for l in log.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
            let (tag, id) = l.trim_end().split_once(' ').expect("log lines are whole");
            let id: u64 = id.parse().unwrap();
            match tag {
                "E" => enqueued.insert(id),
                "a" => acking.insert(id),
                "A" => acked.insert(id),
                other => panic!("unknown log tag {other}"),
            };
        }
        for id in &enqueued {
            let present = db
                .exists(format!("queue:crash:j:{id:016x}").as_bytes())
                .unwrap();
            if acked.contains(id) {
                assert!(!present, "cycle {cycle}: job {id} was acked but came back");
            } else if !acking.contains(id) {
                assert!(present, "cycle {cycle}: job {id} was enqueued and is lost");
            }
        }
        let live = enqueued.len() as u64 - acking.len() as u64;
        let stats = db
            .queue("crash", Duration::from_secs(3600), 1000)
            .unwrap()
            .stats()
            .unwrap();
        assert!(
            stats.ready + stats.in_flight >= live,
            "cycle {cycle}: {stats:?} vs {live}"
        );
        db.close().unwrap();
        // What this cycle added to the check: it must be something, or the cycle tested nothing.
        let checked = enqueued.len() + acked.len();
        assert!(
            checked > checked_before,
            "{engine} cycle {cycle}: no new job was logged before the kill"
        );
        per_cycle.push(checked - checked_before);
        checked_before = checked;
    }
    per_cycle.sort_unstable();
    println!(
        "queue crash test ({engine}): {cycles} cycles, {checked_before} enqueues and acks checked, \
         per cycle min {} / median {} / max {}",
        per_cycle[0],
        per_cycle[per_cycle.len() / 2],
        per_cycle[per_cycle.len() - 1]
    );
}
