//! Property tests: random KV and counter operations give the same results on a simple model and
//! on every engine, including TTLs driven by an injected clock; random rate-limiter steps give
//! the same decisions on every engine (Redis's native script included) as on memory.

mod common;

use grove_core::{ErrorKind, ManualClock, Store};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Op {
    Get(u8),
    Set(u8, Vec<u8>, Option<u16>),
    Delete(u8),
    Exists(u8),
    Expire(u8, u16),
    Persist(u8),
    Ttl(u8),
    Incr(u8, i64),
    CounterGet(u8),
    CounterSet(u8, i64),
    SetMany(Vec<(u8, Vec<u8>)>),
    GetMany(Vec<u8>),
    Keys,
    Purge,
    Advance(u16),
}

fn key(k: u8) -> Vec<u8> {
    // Counter names overlap plain keys on purpose: `counter:c1` is both reachable ways.
    if k.is_multiple_of(2) {
        format!("k{}", k % 8).into_bytes()
    } else {
        format!("counter:c{}", k % 8).into_bytes()
    }
}

fn counter_name(k: u8) -> String {
    format!("c{}", k % 8)
}

fn op() -> impl Strategy<Value = Op> {
    let val = proptest::collection::vec(any::<u8>(), 0..6);
    let deltas = prop_oneof![
        -5i64..5,
        Just(i64::MAX),
        Just(i64::MIN),
        Just(i64::MAX / 2 + 1)
    ];
    prop_oneof![
        any::<u8>().prop_map(Op::Get),
        (any::<u8>(), val.clone(), proptest::option::of(1u16..3000))
            .prop_map(|(k, v, t)| Op::Set(k, v, t)),
        any::<u8>().prop_map(Op::Delete),
        any::<u8>().prop_map(Op::Exists),
        (any::<u8>(), 0u16..3000).prop_map(|(k, t)| Op::Expire(k, t)),
        any::<u8>().prop_map(Op::Persist),
        any::<u8>().prop_map(Op::Ttl),
        (any::<u8>(), deltas.clone()).prop_map(|(k, d)| Op::Incr(k, d)),
        any::<u8>().prop_map(Op::CounterGet),
        (any::<u8>(), deltas).prop_map(|(k, d)| Op::CounterSet(k, d)),
        proptest::collection::vec((any::<u8>(), val), 0..4).prop_map(Op::SetMany),
        proptest::collection::vec(any::<u8>(), 0..4).prop_map(Op::GetMany),
        Just(Op::Keys),
        Just(Op::Purge),
        (0u16..2000).prop_map(Op::Advance),
    ]
}

#[derive(Debug, Clone, PartialEq)]
enum MVal {
    Bytes(Vec<u8>),
    Counter(i64),
}

/// The reference model: a sorted map with absolute expiry times.
#[derive(Default)]
struct Model {
    map: BTreeMap<Vec<u8>, (MVal, Option<u64>)>,
}

type Out = Result<String, ErrorKind>;

impl Model {
    fn peek(&self, k: &[u8], now: u64) -> Option<&(MVal, Option<u64>)> {
        self.map
            .get(k)
            .filter(|(_, e)| !matches!(e, Some(t) if now >= *t))
    }

    fn live(&mut self, k: &[u8], now: u64) -> Option<&mut (MVal, Option<u64>)> {
        if matches!(self.map.get(k), Some((_, Some(t))) if now >= *t) {
            self.map.remove(k);
        }
        self.map.get_mut(k)
    }

    fn apply(&mut self, op: &Op, now: u64) -> Out {
        match op {
            Op::Get(k) => match self.live(&key(*k), now) {
                None => Ok("None".into()),
                Some((MVal::Bytes(b), _)) => Ok(format!("{b:?}")),
                Some(_) => Err(ErrorKind::WrongType),
            },
            Op::Set(k, v, ttl) => match self.live(&key(*k), now) {
                Some((MVal::Counter(_), _)) => Err(ErrorKind::WrongType),
                _ => {
                    let exp = ttl.map(|t| now + t as u64);
                    self.map.insert(key(*k), (MVal::Bytes(v.clone()), exp));
                    Ok("()".into())
                }
            },
            Op::Delete(k) => Ok(format!(
                "{}",
                self.live(&key(*k), now).is_some() && self.map.remove(&key(*k)).is_some()
            )),
            Op::Exists(k) => Ok(format!("{}", self.live(&key(*k), now).is_some())),
            Op::Expire(k, t) => match self.live(&key(*k), now) {
                None => Ok("false".into()),
                Some(_) if *t == 0 => {
                    self.map.remove(&key(*k));
                    Ok("true".into())
                }
                Some(e) => {
                    e.1 = Some(now + *t as u64);
                    Ok("true".into())
                }
            },
            Op::Persist(k) => match self.live(&key(*k), now) {
                Some(e) if e.1.is_some() => {
                    e.1 = None;
                    Ok("true".into())
                }
                _ => Ok("false".into()),
            },
            Op::Ttl(k) => match self.live(&key(*k), now) {
                None => Err(ErrorKind::NotFound),
                Some((_, None)) => Ok("None".into()),
                Some((_, Some(t))) => Ok(format!("Some({})", *t - now)),
            },
            Op::Incr(k, d) => {
                let ck = format!("counter:{}", counter_name(*k)).into_bytes();
                match self.live(&ck, now) {
                    None => {
                        self.map.insert(ck, (MVal::Counter(*d), None));
                        Ok(format!("{d}"))
                    }
                    Some((MVal::Counter(c), _)) => match c.checked_add(*d) {
                        Some(n) => {
                            *c = n;
                            Ok(format!("{n}"))
                        }
                        None => Err(ErrorKind::Overflow),
                    },
                    Some(_) => Err(ErrorKind::WrongType),
                }
            }
            Op::CounterGet(k) => {
                let ck = format!("counter:{}", counter_name(*k)).into_bytes();
                match self.live(&ck, now) {
                    None => Ok("0".into()),
                    Some((MVal::Counter(c), _)) => Ok(format!("{c}")),
                    Some(_) => Err(ErrorKind::WrongType),
                }
            }
            Op::CounterSet(k, v) => {
                let ck = format!("counter:{}", counter_name(*k)).into_bytes();
                match self.live(&ck, now) {
                    Some((MVal::Bytes(_), _)) => Err(ErrorKind::WrongType),
                    _ => {
                        self.map.insert(ck, (MVal::Counter(*v), None));
                        Ok("()".into())
                    }
                }
            }
            Op::SetMany(items) => {
                // A failed batch is a rolled-back transaction: check without reclaiming anything.
                for (k, _) in items {
                    if let Some((MVal::Counter(_), _)) = self.peek(&key(*k), now) {
                        return Err(ErrorKind::WrongType);
                    }
                }
                for (k, v) in items {
                    self.map.insert(key(*k), (MVal::Bytes(v.clone()), None));
                }
                Ok("()".into())
            }
            Op::GetMany(ks) => {
                for k in ks {
                    if let Some((MVal::Counter(_), _)) = self.peek(&key(*k), now) {
                        return Err(ErrorKind::WrongType);
                    }
                }
                let mut out = Vec::new();
                for k in ks {
                    match self.live(&key(*k), now) {
                        None => out.push(None),
                        Some((MVal::Bytes(b), _)) => out.push(Some(b.clone())),
                        Some(_) => return Err(ErrorKind::WrongType),
                    }
                }
                Ok(format!("{out:?}"))
            }
            Op::Keys => {
                let ks: Vec<Vec<u8>> = self
                    .map
                    .iter()
                    .filter(|(_, (_, e))| !matches!(e, Some(t) if now >= *t))
                    .map(|(k, _)| k.clone())
                    .collect();
                Ok(format!("{ks:?}"))
            }
            Op::Purge => {
                let before = self.map.len();
                self.map
                    .retain(|_, (_, e)| !matches!(e, Some(t) if now >= *t));
                Ok(format!("{}", before - self.map.len()))
            }
            Op::Advance(_) => Ok("()".into()),
        }
    }
}

fn run(store: &Store, op: &Op) -> Out {
    let r: grove_core::Result<String> = (|| {
        Ok(match op {
            Op::Get(k) => match store.get(&key(*k))? {
                None => "None".into(),
                Some(b) => format!("{b:?}"),
            },
            Op::Set(k, v, ttl) => {
                store.set(&key(*k), v, ttl.map(|t| Duration::from_millis(t as u64)))?;
                "()".into()
            }
            Op::Delete(k) => format!("{}", store.delete(&key(*k))?),
            Op::Exists(k) => format!("{}", store.exists(&key(*k))?),
            Op::Expire(k, t) => format!(
                "{}",
                store.expire(&key(*k), Duration::from_millis(*t as u64))?
            ),
            Op::Persist(k) => format!("{}", store.persist(&key(*k))?),
            Op::Ttl(k) => format!("{:?}", store.ttl(&key(*k))?.map(|d| d.as_millis())),
            Op::Incr(k, d) => format!("{}", store.counter(&counter_name(*k))?.increment(*d)?),
            Op::CounterGet(k) => format!("{}", store.counter(&counter_name(*k))?.get()?),
            Op::CounterSet(k, v) => {
                store.counter(&counter_name(*k))?.set(*v)?;
                "()".into()
            }
            Op::SetMany(items) => {
                let ks: Vec<Vec<u8>> = items.iter().map(|(k, _)| key(*k)).collect();
                let pairs: Vec<(&[u8], &[u8])> = ks
                    .iter()
                    .zip(items)
                    .map(|(k, (_, v))| (k.as_slice(), v.as_slice()))
                    .collect();
                store.set_many(&pairs, None)?;
                "()".into()
            }
            Op::GetMany(ks) => {
                let owned: Vec<Vec<u8>> = ks.iter().map(|k| key(*k)).collect();
                let refs: Vec<&[u8]> = owned.iter().map(|k| k.as_slice()).collect();
                format!("{:?}", store.get_many(&refs)?)
            }
            Op::Keys => {
                let ks = store.keys(b"")?.collect::<grove_core::Result<Vec<_>>>()?;
                format!("{ks:?}")
            }
            Op::Purge => format!("{}", store.purge_expired()?),
            Op::Advance(_) => "()".into(),
        })
    })();
    r.map_err(|e| e.kind())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn backends_agree_with_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let (stores, _dir) = common::engines(clock.clone());
        let mut model = Model::default();
        for (i, op) in ops.iter().enumerate() {
            if let Op::Advance(ms) = op {
                clock.advance(Duration::from_millis(*ms as u64));
            }
            let now = clock.now_ms_for_test();
            let want = model.apply(op, now);
            for (name, store) in &stores {
                let got = run(store, op);
                prop_assert_eq!(&got, &want, "step {} {:?} on {}", i, op, name);
            }
        }
        for (_, s) in stores {
            s.close().unwrap();
        }
    }
}

trait NowForTest {
    fn now_ms_for_test(&self) -> u64;
}

impl NowForTest for ManualClock {
    fn now_ms_for_test(&self) -> u64 {
        grove_core::Clock::now_ms(self)
    }
}

/// A small seeded generator (xorshift64*), so a failing run is repeated from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// The limiters the rate-limit agreement test uses, all named "api" so they share each key's
/// log (a limiter with another limit or window over recorded usage, as a redeploy makes):
/// small limits, a long window for the merge past 256 entries, limits at 2^53 and past it (where
/// Redis's script hands over to the generic path, as it does for a window that puts the
/// deadline past 2^53).
const LIMITERS: [(u64, u64); 8] = [
    (5, 1_000),
    (3, 10),
    (1_000, 600_000),
    ((1 << 53) - 2, 60_000),
    ((1 << 53) - 1, 60_000),
    ((1 << 53) + 5, 3_000),
    (u64::MAX, 600_000),
    (100, (1 << 53) - 10),
];

/// A cost for a limiter of `limit`: 0 and 1 often, the limit and its neighbours, halves and
/// powers of two near 2^52 (so sums reach 2^53), anything up to the limit.
fn rl_cost(rng: &mut Rng, limit: u64) -> u64 {
    let c = match rng.below(9) {
        0 | 1 => 0,
        2 | 3 => 1,
        4 => limit,
        5 => limit.saturating_sub(1 + rng.below(3)),
        6 => limit / 2,
        7 => (1u64 << 52) + rng.below(3) - 1,
        _ => rng.below(limit.saturating_add(1).max(1)),
    };
    c.min(limit)
}

/// Random allow/peek/reset/clock steps (bursts of hundreds of distinct milliseconds, costs of
/// 0, limits near 2^53, clock steps back) on every engine with one manual clock: every engine's
/// decision must be memory's, after every step. On Redis `allow` and `peek` are its native
/// script (falling back to the generic path past 2^53) and `reset` is generic, so the two read
/// each other's records. GROVE_RL_SEED=<n> repeats a run.
#[test]
fn rate_limiters_decide_alike_on_every_engine() {
    let seed: u64 = std::env::var("GROVE_RL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    println!("rate limiter agreement: seed {seed} (GROVE_RL_SEED={seed} repeats it)");
    let mut rng = Rng(seed | 1);
    for case in 0..10 {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000 + rng.below(1 << 30)));
        let (stores, _dir) = common::engines(clock.clone());
        let limiters: Vec<Vec<grove_core::RateLimiter>> = stores
            .iter()
            .map(|(_, db)| {
                LIMITERS
                    .iter()
                    .map(|&(l, w)| db.rate_limiter("api", l, Duration::from_millis(w)).unwrap())
                    .collect()
            })
            .collect();
        let show = |r: grove_core::Result<grove_core::Decision>| match r {
            Ok(d) => format!("{d:?}"),
            Err(e) => format!("Err({:?})", e.kind()),
        };
        for step in 0..300 {
            let key = ["a", "b", "c"][rng.below(3) as usize];
            let li = rng.below(LIMITERS.len() as u64) as usize;
            // (what was done, one closure per engine index giving its outcome)
            let run = |what: String, f: &dyn Fn(usize) -> String| {
                let want = f(0);
                for (i, (name, _)) in stores.iter().enumerate().skip(1) {
                    assert_eq!(
                        f(i),
                        want,
                        "seed {seed} case {case} step {step}: {what} on {name}"
                    );
                }
            };
            // Every case starts with a burst of more than 256 distinct milliseconds.
            let pick = if step == 0 { 45 } else { rng.below(100) };
            match pick {
                0..=44 => {
                    let cost = rl_cost(&mut rng, LIMITERS[li].0);
                    run(format!("allow {key} cost {cost} on {li}"), &|i| {
                        show(limiters[i][li].allow(key, cost))
                    });
                }
                45..=47 => {
                    // A burst, 1 ms apart, on the long window: past 256 distinct ms the log
                    // merges its two closest entries.
                    let n = if step == 0 {
                        257 + rng.below(50)
                    } else {
                        1 + rng.below(300)
                    };
                    let li = 2;
                    for j in 0..n {
                        let cost = if step == 0 { 1 } else { rng.below(3) };
                        run(
                            format!("burst {j}/{n} allow {key} cost {cost} on {li}"),
                            &|i| show(limiters[i][li].allow(key, cost)),
                        );
                        clock.advance(Duration::from_millis(1));
                    }
                }
                48..=67 => run(format!("peek {key} on {li}"), &|i| {
                    show(limiters[i][li].peek(key))
                }),
                68..=71 => run(format!("reset {key}"), &|i| {
                    format!("{:?}", limiters[i][0].reset(key).map_err(|e| e.kind()))
                }),
                72 => {
                    // Another kind at a limiter's key: WrongType everywhere.
                    run(format!("set ratelimit:api:{key}"), &|i| {
                        let k = format!("ratelimit:api:{key}");
                        format!(
                            "{:?}",
                            stores[i]
                                .1
                                .set(k.as_bytes(), b"x", None)
                                .map_err(|e| e.kind())
                        )
                    });
                }
                73..=75 => {
                    let now = grove_core::Clock::now_ms(&*clock);
                    clock.set_ms(now - rng.below(50));
                }
                76..=87 => clock.advance(Duration::from_millis(rng.below(6))),
                88..=95 => clock.advance(Duration::from_millis(rng.below(2_000))),
                _ => clock.advance(Duration::from_millis(rng.below(700_000))),
            }
            // What every limiter sees of both keys after each step.
            for key in ["a", "b"] {
                for li in [0, 2, 6] {
                    run(format!("after: peek {key} on {li}"), &|i| {
                        show(limiters[i][li].peek(key))
                    });
                }
            }
        }
        for (_, db) in stores {
            db.close().unwrap();
        }
    }
}
