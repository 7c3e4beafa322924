//! The workloads of bench/PROTOCOL.md: Grove called directly vs Redis through the `redis` crate.
//!
//! Inputs (keys, payloads) are drawn before each round from generators seeded alike, so every
//! contender sees the same sequence and the timing covers only the calls.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use grove_core::{Durability, Options, Store};
use redis::Connection;

use crate::gen::{Rng, Zipf};
use crate::harness::{
    compare, fail, timed, timed_batches, timed_threads, Contender, Output, Res, Spec,
};

/// Seed shared by every contender's generator.
const SEED: u64 = 0x6772_6f76_6562_656e;
/// Commands per round trip in `pipelined16`.
const DEPTH: u64 = 16;

/// Sizes and where things live; read from the environment the orchestrator sets.
#[derive(Debug, Clone)]
pub struct Config {
    /// Smoke sizes.
    pub quick: bool,
    /// Scratch directory of this harness's Grove stores.
    pub tmp: PathBuf,
    /// Redis with persistence off.
    pub port_none: u16,
    /// Redis with `appendfsync everysec`.
    pub port_everysec: u16,
    /// Redis with `appendfsync always`.
    pub port_always: u16,
    /// Rounds per workload.
    pub rounds: usize,
    /// Ops per round in tiers `none` and `everysec`.
    pub ops: u64,
    /// Ops per round in tier `always`, 1 client.
    pub ops_always_1: u64,
    /// Ops per round in tier `always`, 8 clients together.
    pub ops_always_8: u64,
    /// Key space of `counter_incr_zipf_1m`.
    pub zipf_keys: u64,
    /// Leaderboard sizes.
    pub lb_sizes: Vec<u64>,
    /// Counter keys of the disk-usage store.
    pub disk_keys: u64,
}

impl Config {
    /// Sizes for quick (`GROVE_BENCH_QUICK=1`) or full runs.
    pub fn new(quick: bool, tmp: PathBuf, ports: (u16, u16, u16)) -> Config {
        Config {
            quick,
            tmp,
            port_none: ports.0,
            port_everysec: ports.1,
            port_always: ports.2,
            rounds: if quick { 3 } else { 5 },
            ops: if quick { 2_000 } else { 20_000 },
            ops_always_1: if quick { 40 } else { 300 },
            ops_always_8: if quick { 160 } else { 1_600 },
            zipf_keys: if quick { 10_000 } else { 1_000_000 },
            lb_sizes: if quick {
                vec![1_000]
            } else {
                vec![1_000, 100_000, 1_000_000]
            },
            disk_keys: if quick { 10_000 } else { 100_000 },
        }
    }

    fn spec(&self, workload: &'static str, durability: &'static str) -> Spec {
        Spec {
            workload,
            durability,
            clients: 1,
            size: None,
            ops: self.ops,
            rounds: self.rounds,
            warmup: (self.ops / 10).min(1_000),
        }
    }
}

/// A connection to the Redis on 127.0.0.1:`port`.
pub fn redis_con(port: u16) -> Res<Connection> {
    Ok(redis::Client::open(format!("redis://127.0.0.1:{port}/"))?.get_connection()?)
}

/// `FLUSHALL` (synchronous).
pub fn flushall(con: &mut Connection) -> Res<()> {
    redis::cmd("FLUSHALL").query::<()>(con)?;
    Ok(())
}

/// A fresh sled store at `<tmp>/<name>`: periodic flush, or fsync per write when `durable`.
pub fn fresh_store(cfg: &Config, name: &str, durable: bool) -> Res<Store> {
    let dir = cfg.tmp.join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let durability = if durable {
        Durability::EveryWrite
    } else {
        Durability::default()
    };
    Ok(Store::open_with(
        &dir,
        Options::new().durability(durability),
    )?)
}

fn load_script(con: &mut Connection, src: &str) -> Res<String> {
    Ok(redis::cmd("SCRIPT").arg("LOAD").arg(src).query(con)?)
}

/// How the counter workloads pick keys.
enum Keys<'z> {
    Hot,
    Uniform(u64),
    Zipf(&'z Zipf),
}

impl Keys<'_> {
    fn draw(&self, rng: &mut Rng, ops: u64) -> Vec<String> {
        (0..ops)
            .map(|_| match self {
                Keys::Hot => "hot".to_string(),
                Keys::Uniform(n) => format!("c{}", rng.below(*n)),
                Keys::Zipf(z) => format!("z{}", z.sample(rng)),
            })
            .collect()
    }
}

/// Counter increments, 1 client: Grove direct vs Redis naive and pipelined16.
fn counter_1(
    out: &mut Output,
    spec: Spec,
    port: u16,
    store: &Store,
    keys: Keys<'_>,
    pipelined: bool,
) -> Res<()> {
    let mut naive = redis_con(port)?;
    let mut piped = redis_con(port)?;
    flushall(&mut naive)?;
    let hot = store.counter("hot")?;
    let start_value = hot.get()?;
    let (mut rg, mut rn, mut rp) = (Rng::new(SEED), Rng::new(SEED), Rng::new(SEED));
    let keys = &keys;
    let mut contenders = vec![
        Contender::new("grove", "direct", |ops| {
            if let Keys::Hot = keys {
                return timed(ops, |_| {
                    hot.increment(1)?;
                    Ok(())
                });
            }
            let ks = keys.draw(&mut rg, ops);
            timed(ops, |i| {
                store.counter(&ks[i as usize])?.increment(1)?;
                Ok(())
            })
        }),
        Contender::new("redis", "naive", |ops| {
            let ks = keys.draw(&mut rn, ops);
            timed(ops, |i| {
                redis::cmd("INCR")
                    .arg(&ks[i as usize])
                    .query::<i64>(&mut naive)?;
                Ok(())
            })
        }),
    ];
    if pipelined {
        contenders.push(Contender::new("redis", "pipelined16", |ops| {
            let ks = keys.draw(&mut rp, ops);
            timed_batches(ops, DEPTH, |first, n| {
                let mut p = redis::pipe();
                for k in &ks[first as usize..(first + n) as usize] {
                    p.cmd("INCR").arg(k);
                }
                let got: Vec<i64> = p.query(&mut piped)?;
                if got.len() != n as usize {
                    return fail("pipeline returned a short reply");
                }
                Ok(())
            })
        }));
    }
    compare(out, spec, contenders)?;
    if let Keys::Hot = keys {
        // Exactness check: every increment of the round loop landed.
        let per_side = spec.warmup + spec.ops * spec.rounds as u64;
        let grove = hot.get()? - start_value;
        let sides = if pipelined { 2 } else { 1 };
        let redis: i64 = redis::cmd("GET").arg("hot").query(&mut naive)?;
        if grove as u64 != per_side || redis as u64 != per_side * sides {
            return fail(format!(
                "hot counter mismatch: grove {grove} of {per_side}, redis {redis} of {}",
                per_side * sides
            ));
        }
    }
    Ok(())
}

/// `counter_incr_hot` with 8 threads on one durable store vs 8 connections to Redis `always`.
fn counter_hot_8(out: &mut Output, cfg: &Config, store: &Store) -> Res<()> {
    const CLIENTS: u64 = 8;
    let mut cons = (0..CLIENTS)
        .map(|_| redis_con(cfg.port_always))
        .collect::<Res<Vec<_>>>()?;
    flushall(&mut cons[0])?;
    let hot = store.counter("hot8")?;
    let mut counters = vec![hot.clone(); CLIENTS as usize];
    let spec = Spec {
        clients: CLIENTS,
        ops: cfg.ops_always_8,
        warmup: CLIENTS * 2,
        ..cfg.spec("counter_incr_hot", "always")
    };
    let contenders = vec![
        Contender::new("grove", "direct", |ops| {
            timed_threads(&mut counters, ops / CLIENTS, |c, _| {
                c.increment(1)?;
                Ok(())
            })
        }),
        Contender::new("redis", "naive", |ops| {
            timed_threads(&mut cons, ops / CLIENTS, |con, _| {
                redis::cmd("INCR").arg("hot").query::<i64>(con)?;
                Ok(())
            })
        }),
    ];
    compare(out, spec, contenders)?;
    let expected = (spec.warmup + spec.ops * spec.rounds as u64) as i64;
    if hot.get()? != expected {
        return fail(format!(
            "8-thread durable counter lost updates: {} of {expected}",
            hot.get()?
        ));
    }
    Ok(())
}

/// Every counter workload in every tier it runs in.
pub fn counters(out: &mut Output, cfg: &Config) -> Res<()> {
    let store = fresh_store(cfg, "counters", false)?;
    counter_1(
        out,
        cfg.spec("counter_incr_hot", "none"),
        cfg.port_none,
        &store,
        Keys::Hot,
        true,
    )?;
    counter_1(
        out,
        cfg.spec("counter_incr_10k", "none"),
        cfg.port_none,
        &store,
        Keys::Uniform(10_000),
        true,
    )?;
    let zipf = Zipf::new(cfg.zipf_keys, 1.1);
    counter_1(
        out,
        cfg.spec("counter_incr_zipf_1m", "none"),
        cfg.port_none,
        &store,
        Keys::Zipf(&zipf),
        true,
    )?;
    store.close()?;

    let store = fresh_store(cfg, "counters-everysec", false)?;
    counter_1(
        out,
        cfg.spec("counter_incr_hot", "everysec"),
        cfg.port_everysec,
        &store,
        Keys::Hot,
        true,
    )?;
    store.close()?;

    let store = fresh_store(cfg, "counters-always", true)?;
    let spec = Spec {
        ops: cfg.ops_always_1,
        warmup: 5,
        ..cfg.spec("counter_incr_hot", "always")
    };
    counter_1(out, spec, cfg.port_always, &store, Keys::Hot, false)?;
    counter_hot_8(out, cfg, &store)?;
    store.close()?;
    out.note(
        "tier always: Grove's durable write is sled's flush followed by fdatasync of sled's \
         data file (sled 0.34's own flush stops at sync_file_range); concurrent writers share \
         one fdatasync (group commit). Redis appendfsync always calls fdatasync too, once per \
         event-loop pass.",
    )?;
    Ok(())
}

const UNLOCK_LUA: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then \
    return redis.call('DEL', KEYS[1]) else return 0 end";

/// `lock_acquire_release`: Grove lock vs `SET NX PX` + compare-and-delete script.
pub fn lock(out: &mut Output, cfg: &Config) -> Res<()> {
    let store = fresh_store(cfg, "lock", false)?;
    let mut con = redis_con(cfg.port_none)?;
    flushall(&mut con)?;
    let sha = load_script(&mut con, UNLOCK_LUA)?;
    let lock = store.lock("l", Duration::from_secs(10))?;
    let mut rng = Rng::new(SEED);
    let contenders = vec![
        Contender::new("grove", "direct", |ops| {
            timed(ops, |_| {
                if !lock.try_acquire()? {
                    return fail("grove lock was not free");
                }
                if !lock.release()? {
                    return fail("grove lock release failed");
                }
                Ok(())
            })
        }),
        Contender::new("redis", "naive", |ops| {
            timed(ops, |_| {
                let token = rng.hex(32);
                let got: redis::Value = redis::cmd("SET")
                    .arg("lock:l")
                    .arg(&token)
                    .arg("NX")
                    .arg("PX")
                    .arg(10_000)
                    .query(&mut con)?;
                if got == redis::Value::Nil {
                    return fail("redis lock was not free");
                }
                let released: i64 = redis::cmd("EVALSHA")
                    .arg(&sha)
                    .arg(1)
                    .arg("lock:l")
                    .arg(&token)
                    .query(&mut con)?;
                if released != 1 {
                    return fail("redis lock release failed");
                }
                Ok(())
            })
        }),
    ];
    compare(out, cfg.spec("lock_acquire_release", "none"), contenders)?;
    store.close()?;
    Ok(())
}

const RATE_LUA: &str = "local now = tonumber(ARGV[1]) \
    local window = tonumber(ARGV[2]) \
    redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window) \
    if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then \
        redis.call('ZADD', KEYS[1], now, ARGV[4]) \
        redis.call('PEXPIRE', KEYS[1], window) \
        return 1 \
    end \
    return 0";

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// `ratelimit_allow`: 1,000 clients, a limit that always admits; sliding window both sides.
pub fn ratelimit(out: &mut Output, cfg: &Config) -> Res<()> {
    const CLIENTS: u64 = 1_000;
    const LIMIT: u64 = 1_000_000_000;
    const WINDOW_MS: u64 = 60_000;
    let store = fresh_store(cfg, "ratelimit", false)?;
    let mut con = redis_con(cfg.port_none)?;
    flushall(&mut con)?;
    let sha = load_script(&mut con, RATE_LUA)?;
    let rl = store.rate_limiter("api", LIMIT, Duration::from_millis(WINDOW_MS))?;
    let (mut rg, mut rr) = (Rng::new(SEED), Rng::new(SEED));
    let seq = AtomicU64::new(0);
    let draw = |rng: &mut Rng, ops: u64| -> Vec<String> {
        (0..ops)
            .map(|_| format!("client{}", rng.below(CLIENTS)))
            .collect()
    };
    let contenders = vec![
        Contender::new("grove", "direct", |ops| {
            let ks = draw(&mut rg, ops);
            timed(ops, |i| {
                if !rl.allow(&ks[i as usize], 1)?.allowed {
                    return fail("grove rate limiter refused");
                }
                Ok(())
            })
        }),
        Contender::new("redis", "naive", |ops| {
            let ks: Vec<String> = draw(&mut rr, ops)
                .into_iter()
                .map(|k| format!("rl:{k}"))
                .collect();
            timed(ops, |i| {
                let now = now_ms();
                let member = format!("{now}-{}", seq.fetch_add(1, Ordering::Relaxed));
                let ok: i64 = redis::cmd("EVALSHA")
                    .arg(&sha)
                    .arg(1)
                    .arg(&ks[i as usize])
                    .arg(now)
                    .arg(WINDOW_MS)
                    .arg(LIMIT)
                    .arg(member)
                    .query(&mut con)?;
                if ok != 1 {
                    return fail("redis rate limiter refused");
                }
                Ok(())
            })
        }),
    ];
    compare(out, cfg.spec("ratelimit_allow", "none"), contenders)?;
    store.close()?;
    Ok(())
}

/// A JSON document of exactly 1,024 bytes.
fn session_json() -> String {
    let head = r#"{"user_id":"u-1029384756","email":"someone@example.com","roles":["reader","editor"],"cart":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"pad":""#;
    let tail = r#""}"#;
    let pad = 1024 - head.len() - tail.len();
    format!("{head}{}{tail}", "x".repeat(pad))
}

/// `session_create_get`: create a 1 KB JSON session and read it back.
pub fn sessions(out: &mut Output, cfg: &Config) -> Res<()> {
    let store = fresh_store(cfg, "sessions", false)?;
    let mut con = redis_con(cfg.port_none)?;
    flushall(&mut con)?;
    let data = session_json();
    debug_assert_eq!(data.len(), 1024);
    let sess = store.sessions(Duration::from_secs(1800), "sess")?;
    let mut rng = Rng::new(SEED);
    let contenders = vec![
        Contender::new("grove", "direct", |ops| {
            timed(ops, |_| {
                let id = sess.create(data.as_bytes())?;
                match sess.get(&id)? {
                    Some(d) if d.len() == data.len() => Ok(()),
                    _ => fail("grove session missing"),
                }
            })
        }),
        Contender::new("redis", "naive", |ops| {
            timed(ops, |_| {
                let key = format!("sess:{}", rng.hex(43));
                redis::cmd("SET")
                    .arg(&key)
                    .arg(&data)
                    .arg("EX")
                    .arg(1800)
                    .query::<()>(&mut con)?;
                let got: Option<Vec<u8>> = redis::cmd("GET").arg(&key).query(&mut con)?;
                match got {
                    Some(d) if d.len() == data.len() => Ok(()),
                    _ => fail("redis session missing"),
                }
            })
        }),
    ];
    compare(out, cfg.spec("session_create_get", "none"), contenders)?;
    store.close()?;
    Ok(())
}

fn lb_score(i: u64) -> f64 {
    (Rng::new(i ^ SEED).next_u64() % 1_000_000) as f64
}

/// Fills the Redis sorted set `lb` with `size` members, 1,000 per `ZADD`, pipelined.
fn redis_fill_board(con: &mut Connection, size: u64) -> Res<()> {
    flushall(con)?;
    let mut i = 0;
    while i < size {
        let mut p = redis::pipe();
        for _ in 0..64 {
            if i >= size {
                break;
            }
            let end = (i + 1_000).min(size);
            let mut c = redis::cmd("ZADD");
            c.arg("lb");
            for m in i..end {
                c.arg(lb_score(m)).arg(format!("m{m}"));
            }
            p.add_command(c).ignore();
            i = end;
        }
        p.query::<()>(con)?;
    }
    let n: u64 = redis::cmd("ZCARD").arg("lb").query(con)?;
    if n != size {
        return fail(format!("redis board has {n} members, wanted {size}"));
    }
    Ok(())
}

/// `lb_incr`, `lb_rank`, `lb_top10` at every size; returns the largest `used_memory_rss` of the
/// Redis server seen with a full board loaded.
pub fn leaderboards(out: &mut Output, cfg: &Config) -> Res<u64> {
    let mut con = redis_con(cfg.port_none)?;
    let mut peak_rss = 0;
    for &size in &cfg.lb_sizes {
        let store = fresh_store(cfg, &format!("lb-{size}"), false)?;
        let board = store.leaderboard("lb")?;
        for m in 0..size {
            board.add(&format!("m{m}"), lb_score(m))?;
        }
        let draw = |rng: &mut Rng, ops: u64| -> Vec<String> {
            (0..ops).map(|_| format!("m{}", rng.below(size))).collect()
        };
        let spec = |w| Spec {
            size: Some(size),
            ..cfg.spec(w, "none")
        };

        redis_fill_board(&mut con, size)?;
        let (mut rg, mut rr) = (Rng::new(SEED), Rng::new(SEED));
        compare(
            out,
            spec("lb_incr"),
            vec![
                Contender::new("grove", "direct", |ops| {
                    let ms = draw(&mut rg, ops);
                    timed(ops, |i| {
                        board.incr(&ms[i as usize], (1 + i % 10) as f64)?;
                        Ok(())
                    })
                }),
                Contender::new("redis", "naive", |ops| {
                    let ms = draw(&mut rr, ops);
                    timed(ops, |i| {
                        redis::cmd("ZINCRBY")
                            .arg("lb")
                            .arg(1 + i % 10)
                            .arg(&ms[i as usize])
                            .query::<f64>(&mut con)?;
                        Ok(())
                    })
                }),
            ],
        )?;

        redis_fill_board(&mut con, size)?;
        let (mut rg, mut rr) = (Rng::new(SEED), Rng::new(SEED));
        compare(
            out,
            spec("lb_rank"),
            vec![
                Contender::new("grove", "direct", |ops| {
                    let ms = draw(&mut rg, ops);
                    timed(ops, |i| match board.rank(&ms[i as usize])? {
                        Some(_) => Ok(()),
                        None => fail("grove member missing"),
                    })
                }),
                Contender::new("redis", "naive", |ops| {
                    let ms = draw(&mut rr, ops);
                    timed(ops, |i| {
                        let r: Option<i64> = redis::cmd("ZREVRANK")
                            .arg("lb")
                            .arg(&ms[i as usize])
                            .query(&mut con)?;
                        match r {
                            Some(_) => Ok(()),
                            None => fail("redis member missing"),
                        }
                    })
                }),
            ],
        )?;

        redis_fill_board(&mut con, size)?;
        compare(
            out,
            spec("lb_top10"),
            vec![
                Contender::new("grove", "direct", |ops| {
                    timed(ops, |_| {
                        if board.top(10)?.len() != 10 {
                            return fail("grove top10 short");
                        }
                        Ok(())
                    })
                }),
                Contender::new("redis", "naive", |ops| {
                    timed(ops, |_| {
                        let top: Vec<(String, f64)> = redis::cmd("ZREVRANGE")
                            .arg("lb")
                            .arg(0)
                            .arg(9)
                            .arg("WITHSCORES")
                            .query(&mut con)?;
                        if top.len() != 10 {
                            return fail("redis top10 short");
                        }
                        Ok(())
                    })
                }),
            ],
        )?;
        peak_rss = peak_rss.max(crate::footprint::redis_rss(&mut con)?);
        store.close()?;
    }
    Ok(peak_rss)
}

/// `queue_cycle`: enqueue + dequeue + ack vs `LPUSH` + `LMOVE` + `LREM`.
pub fn queue(out: &mut Output, cfg: &Config) -> Res<()> {
    let store = fresh_store(cfg, "queue", false)?;
    let mut con = redis_con(cfg.port_none)?;
    flushall(&mut con)?;
    let q = store.queue("jobs", Duration::from_secs(30), 3)?;
    let payloads = |ops: u64| -> Vec<String> {
        (0..ops)
            .map(|i| format!(r#"{{"task":"send_email","to":"user{i}@example.com","attempt":1}}"#))
            .collect()
    };
    let contenders = vec![
        Contender::new("grove", "direct", |ops| {
            let ps = payloads(ops);
            timed(ops, |i| {
                q.enqueue(ps[i as usize].as_bytes(), Duration::ZERO)?;
                let Some(job) = q.dequeue()? else {
                    return fail("grove queue empty");
                };
                if !q.ack(job.id)? {
                    return fail("grove ack failed");
                }
                Ok(())
            })
        }),
        Contender::new("redis", "naive", |ops| {
            let ps = payloads(ops);
            timed(ops, |i| {
                redis::cmd("LPUSH")
                    .arg("q:jobs")
                    .arg(&ps[i as usize])
                    .query::<i64>(&mut con)?;
                let job: Option<Vec<u8>> = redis::cmd("LMOVE")
                    .arg("q:jobs")
                    .arg("q:inflight")
                    .arg("RIGHT")
                    .arg("LEFT")
                    .query(&mut con)?;
                let Some(job) = job else {
                    return fail("redis queue empty");
                };
                let removed: i64 = redis::cmd("LREM")
                    .arg("q:inflight")
                    .arg(1)
                    .arg(job)
                    .query(&mut con)?;
                if removed != 1 {
                    return fail("redis ack failed");
                }
                Ok(())
            })
        }),
    ];
    compare(out, cfg.spec("queue_cycle", "none"), contenders)?;
    store.close()?;
    Ok(())
}

/// `crdt_counter_incr`, `crdt_register_set` vs Grove's atomic counter (`grove-atomic`).
pub fn crdts(out: &mut Output, cfg: &Config) -> Res<()> {
    let store = fresh_store(cfg, "crdt", false)?;
    let atomic = store.counter("atomic")?;
    let cc = store.crdt_counter("cc")?;
    let atomic_run = |ops: u64| {
        timed(ops, |_| {
            atomic.increment(1)?;
            Ok(())
        })
    };
    compare(
        out,
        cfg.spec("crdt_counter_incr", "none"),
        vec![
            Contender::new("grove", "direct", |ops| {
                timed(ops, |_| {
                    cc.increment(1)?;
                    Ok(())
                })
            }),
            Contender::new("grove-atomic", "direct", atomic_run),
        ],
    )?;
    let reg = store.crdt_register("reg")?;
    let values = |ops: u64| -> Vec<String> {
        (0..ops)
            .map(|i| format!(r#"{{"status":"online","seq":{i}}}"#))
            .collect()
    };
    compare(
        out,
        cfg.spec("crdt_register_set", "none"),
        vec![
            Contender::new("grove", "direct", |ops| {
                let vs = values(ops);
                timed(ops, |i| {
                    reg.set(&vs[i as usize])?;
                    Ok(())
                })
            }),
            Contender::new("grove-atomic", "direct", atomic_run),
        ],
    )?;
    store.close()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_document_is_one_kib_of_json() {
        let s = session_json();
        assert_eq!(s.len(), 1024);
        assert!(serde_json::from_str::<serde_json::Value>(&s).is_ok());
    }

    #[test]
    fn key_draws_repeat_per_seed() {
        let z = Zipf::new(100, 1.1);
        let a = Keys::Zipf(&z).draw(&mut Rng::new(3), 50);
        let b = Keys::Zipf(&z).draw(&mut Rng::new(3), 50);
        assert_eq!(a, b);
        assert!(Keys::Uniform(10)
            .draw(&mut Rng::new(1), 20)
            .iter()
            .all(|k| k.len() == 2));
    }
}
