//! Leaderboards on a store shared by several engines (processes), issue 14: two engines over one
//! memory store (what two processes on one lmdb file have) checked exactly against a model after
//! every step, concurrent increments from both engines, a reader that falls behind the change
//! log, and the log's bound.

mod common;

use grove_core::Ranked;
use std::collections::BTreeMap;

/// A cheap deterministic xorshift stream, so a failing seed replays exactly.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The model's board in rank order: score descending, ties by member.
fn ranked(model: &BTreeMap<String, f64>) -> Vec<Ranked> {
    let mut v: Vec<_> = model.iter().map(|(m, s)| (m.clone(), *s)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.into_iter()
        .enumerate()
        .map(|(rank, (member, score))| Ranked {
            rank: rank as u64,
            member,
            score,
        })
        .collect()
}

/// Checks every read of `lb` against the model.
fn check(lb: &grove_core::Leaderboard, model: &BTreeMap<String, f64>, universe: u64, ctx: &str) {
    let want = ranked(model);
    assert_eq!(lb.len().unwrap(), want.len() as u64, "len, {ctx}");
    assert_eq!(lb.is_empty().unwrap(), want.is_empty(), "is_empty, {ctx}");
    assert_eq!(lb.top(u64::MAX).unwrap(), want, "top, {ctx}");
    assert_eq!(
        lb.range(1, 4).unwrap(),
        want.iter().skip(1).take(3).cloned().collect::<Vec<_>>(),
        "range, {ctx}"
    );
    for m in 0..universe {
        let member = format!("m{m:02}");
        let pos = want.iter().position(|r| r.member == member);
        assert_eq!(
            lb.score(&member).unwrap(),
            model.get(&member).copied(),
            "score of {member}, {ctx}"
        );
        assert_eq!(
            lb.rank(&member).unwrap(),
            pos.map(|p| p as u64),
            "rank of {member}, {ctx}"
        );
        let around = match pos {
            None => Vec::new(),
            Some(p) => want[p.saturating_sub(1)..(p + 2).min(want.len())].to_vec(),
        };
        assert_eq!(
            lb.around(&member, 1).unwrap(),
            around,
            "around {member}, {ctx}"
        );
    }
}

const SEEDS: u64 = 40;
const STEPS: usize = 150;
const UNIVERSE: u64 = 16;

#[test]
fn two_engines_interleaving_writes_agree_with_a_model_after_every_step() {
    println!("seeds 0..{SEEDS}, {STEPS} steps each");
    for seed in 0..SEEDS {
        for (engine, a, _dir) in common::shared_engines() {
            println!("engine {engine}");
            let b = a.second_engine_for_tests().unwrap();
            let boards = [a.leaderboard("lb").unwrap(), b.leaderboard("lb").unwrap()];
            let mut model = BTreeMap::new();
            let mut rng = Rng::new(seed);
            for step in 0..STEPS {
                let e = rng.below(2) as usize;
                let lb = &boards[e];
                let member = format!("m{:02}", rng.below(UNIVERSE));
                let score = rng.below(9) as f64 - 4.0;
                let op = rng.below(40);
                let what = match op {
                    0..=13 => {
                        lb.add(&member, score).unwrap();
                        model.insert(member.clone(), score);
                        format!("add {member} {score}")
                    }
                    14..=29 => {
                        let new = model.get(&member).copied().unwrap_or(0.0) + score;
                        let new = if new == 0.0 { 0.0 } else { new };
                        assert_eq!(
                            lb.incr(&member, score).unwrap(),
                            new,
                            "seed {seed} step {step}: incr {member} {score} on engine {e}"
                        );
                        model.insert(member.clone(), new);
                        format!("incr {member} {score}")
                    }
                    30..=37 => {
                        assert_eq!(
                            lb.remove(&member).unwrap(),
                            model.remove(&member).is_some(),
                            "seed {seed} step {step}: remove {member} on engine {e}"
                        );
                        format!("remove {member}")
                    }
                    _ => {
                        assert_eq!(
                            lb.clear().unwrap(),
                            model.len() as u64,
                            "seed {seed} step {step}: clear on engine {e}"
                        );
                        model.clear();
                        "clear".to_string()
                    }
                };
                // Read from a random engine first, so either one is sometimes many writes behind.
                let first = rng.below(2) as usize;
                for r in [first, 1 - first] {
                    if r != first && rng.below(3) == 0 {
                        continue;
                    }
                    let ctx =
                        format!("seed {seed} step {step} ({what} on engine {e}), read on {r}");
                    check(&boards[r], &model, UNIVERSE, &ctx);
                }
            }
            for (r, lb) in boards.iter().enumerate() {
                check(
                    lb,
                    &model,
                    UNIVERSE,
                    &format!("seed {seed} end, engine {r}"),
                );
            }
        }
    }
}

#[test]
fn namespaced_boards_of_one_name_stay_apart_across_engines() {
    for (engine, a, _dir) in common::shared_engines() {
        println!("engine {engine}");
        let b = a.second_engine_for_tests().unwrap();
        let (root_a, ns_a) = (
            a.leaderboard("lb").unwrap(),
            a.namespace("ns").unwrap().leaderboard("lb").unwrap(),
        );
        let (root_b, ns_b) = (
            b.leaderboard("lb").unwrap(),
            b.namespace("ns").unwrap().leaderboard("lb").unwrap(),
        );
        assert_eq!(root_b.len().unwrap(), 0);
        assert_eq!(ns_b.len().unwrap(), 0);
        root_a.add("x", 1.0).unwrap();
        ns_a.add("y", 2.0).unwrap();
        ns_b.incr("y", 3.0).unwrap();
        assert_eq!(root_b.top(10).unwrap().len(), 1);
        assert_eq!(ns_b.score("y").unwrap(), Some(5.0));
        assert_eq!(ns_a.score("y").unwrap(), Some(5.0));
        assert_eq!(root_a.rank("y").unwrap(), None);
        assert_eq!(ns_b.clear().unwrap(), 1);
        assert_eq!(root_a.len().unwrap(), 1);
        assert_eq!(ns_a.len().unwrap(), 0);
        assert_eq!(root_b.score("x").unwrap(), Some(1.0));
    }
}

#[test]
fn four_threads_on_each_of_two_engines_lose_no_increment() {
    const PER_THREAD: usize = 2_000;
    const MEMBERS: usize = 5;
    for (engine, a, _dir) in common::shared_engines() {
        println!("engine {engine}");
        let b = a.second_engine_for_tests().unwrap();
        let boards = [
            a.leaderboard("race").unwrap(),
            b.leaderboard("race").unwrap(),
        ];
        std::thread::scope(|s| {
            for t in 0..8 {
                let lb = boards[t % 2].clone();
                s.spawn(move || {
                    for i in 0..PER_THREAD {
                        lb.incr(&format!("m{:02}", (i + t) % MEMBERS), 1.0).unwrap();
                    }
                });
            }
        });
        let each = (8 * PER_THREAD / MEMBERS) as f64;
        let model: BTreeMap<String, f64> =
            (0..MEMBERS).map(|m| (format!("m{m:02}"), each)).collect();
        for (e, lb) in boards.iter().enumerate() {
            check(lb, &model, MEMBERS as u64, &format!("engine {e}"));
        }
    }
}

/// More writes than the change log keeps (it keeps the last 65,536).
const BEHIND: u64 = 70_000;
const _: () = assert!(BEHIND > grove_core::LEADERBOARD_LOG_KEEP);

#[test]
fn a_reader_behind_the_log_bound_rebuilds_exactly() {
    for (engine, a, _dir) in common::shared_engines() {
        println!("engine {engine}");
        let b = a.second_engine_for_tests().unwrap();
        let (wa, rb) = (a.leaderboard("big").unwrap(), b.leaderboard("big").unwrap());
        let mut model = BTreeMap::new();
        for m in 0..500u64 {
            wa.add(&format!("m{m:02}"), m as f64).unwrap();
            model.insert(format!("m{m:02}"), m as f64);
        }
        // The reader builds its index now, then falls far behind.
        check(&rb, &model, 20, "reader before");
        let mut rng = Rng::new(7);
        for _ in 0..BEHIND {
            let member = format!("m{:02}", rng.below(700));
            match rng.below(10) {
                0 => {
                    wa.remove(&member).unwrap();
                    model.remove(&member);
                }
                _ => {
                    let d = rng.below(5) as f64 + 1.0;
                    let new = wa.incr(&member, d).unwrap();
                    model.insert(member, new);
                }
            }
        }
        check(&rb, &model, 20, "reader after falling behind");
        check(&wa, &model, 20, "writer");
        // And it keeps up incrementally afterwards.
        wa.add("m03", 1e9).unwrap();
        model.insert("m03".into(), 1e9);
        rb.incr("m04", 2.0).unwrap();
        *model.get_mut("m04").unwrap() += 2.0;
        check(&rb, &model, 20, "reader after catching up");
        check(&wa, &model, 20, "writer after the reader wrote");
    }
}

#[test]
fn the_change_log_stays_bounded() {
    for (engine, a, _dir) in common::shared_engines() {
        println!("engine {engine}");
        let b = a.second_engine_for_tests().unwrap();
        let (lb, other) = (a.leaderboard("log").unwrap(), b.leaderboard("log").unwrap());
        // Another board's log and another namespace's board of the same name are not counted.
        let ns = a.namespace("ns").unwrap().leaderboard("log").unwrap();
        ns.add("x", 1.0).unwrap();
        for i in 0..BEHIND {
            lb.incr(&format!("m{}", i % 100), 1.0).unwrap();
        }
        // Redis keeps a board as its own sorted set, each operation atomic on the server: no
        // per-process index to keep in step, so no log at all.
        let bound = if engine.starts_with("redis") {
            0
        } else {
            grove_core::LEADERBOARD_LOG_KEEP
        };
        assert_eq!(lb.change_log_len().unwrap(), bound);
        assert_eq!(ns.change_log_len().unwrap(), bound.min(1));
        // Writes from the other engine keep it at the bound, and clear is one record too.
        for i in 0..1_000u64 {
            other.add(&format!("m{}", i % 100), i as f64).unwrap();
        }
        assert_eq!(other.clear().unwrap(), 100);
        assert_eq!(lb.change_log_len().unwrap(), bound);
        assert_eq!(lb.len().unwrap(), 0);
        assert_eq!(ns.len().unwrap(), 1);
    }
}

#[test]
fn an_engine_building_its_index_during_writes_is_exact() {
    // Step k sets member (k * STRIDE) % N to score k. STRIDE is coprime with N, so after any
    // step g >= N every member holds one of the last N steps and the scores are exactly the N
    // consecutive numbers g-N .. g-1. Fresh engines build their index (a paged scan, several
    // pages long) while the writer runs and jumps between pages; a scan mixing pages of
    // different moments without replaying the writes made meanwhile shows a state the store
    // never held, with scores further apart.
    const N: u64 = 10_000;
    const STRIDE: u64 = 4_099;
    let member = |k: u64| format!("m{:05}", (k * STRIDE) % N);
    for (engine, a, _dir) in common::shared_engines() {
        println!("engine {engine}");
        let lb = a.leaderboard("shape").unwrap();
        for k in 0..N {
            lb.add(&member(k), k as f64).unwrap();
        }
        let stop = std::sync::atomic::AtomicBool::new(false);
        let bad = std::thread::scope(|s| {
            s.spawn(|| {
                let mut k = N;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    lb.add(&member(k), k as f64).unwrap();
                    k += 1;
                }
            });
            // Check outside the scope: a panic here would wait forever for the writer.
            let bad = (0..30).find_map(|round| {
                let fresh = a.second_engine_for_tests().unwrap();
                let all = fresh.leaderboard("shape").unwrap().top(u64::MAX).unwrap();
                // Rank order is score descending: consecutive numbers step down by exactly 1.
                let exact =
                    all.len() as u64 == N && all.windows(2).all(|w| w[0].score - w[1].score == 1.0);
                (!exact).then(|| {
                    format!(
                        "round {round}: {} members, scores {:?} down to {:?}",
                        all.len(),
                        all.first().map(|r| r.score),
                        all.last().map(|r| r.score)
                    )
                })
            });
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            bad
        });
        assert_eq!(bad, None, "a state the store never held");
    }
}
