//! Fuzz targets for grove-core. The checks live in `checks.rs`, which
//! `core/tests/fuzz_regressions.rs` also compiles, so every saved input replays on stable.

pub mod checks;

use arbitrary::Arbitrary;
use checks::{Op, TtlMs};

/// A counter delta, biased towards the values where 64-bit arithmetic breaks.
#[derive(Debug, Arbitrary)]
pub enum Delta {
    Small(i8),
    Max,
    Min,
    HalfMaxPlusOne,
    Any(i64),
}

impl Delta {
    fn value(&self) -> i64 {
        match self {
            Delta::Small(d) => *d as i64,
            Delta::Max => i64::MAX,
            Delta::Min => i64::MIN,
            Delta::HalfMaxPlusOne => i64::MAX / 2 + 1,
            Delta::Any(d) => *d,
        }
    }
}

/// A TTL: short (so the clock passes it), zero, or `Duration::MAX`.
#[derive(Debug, Arbitrary)]
pub enum Ttl {
    Ms(u16),
    Zero,
    Forever,
}

impl Ttl {
    fn ms(&self) -> TtlMs {
        match self {
            Ttl::Ms(m) => *m % 3000,
            Ttl::Zero => 0,
            Ttl::Forever => u16::MAX,
        }
    }
}

fn short(mut v: Vec<u8>, n: usize) -> Vec<u8> {
    v.truncate(n);
    v
}

/// One generated call; converted to the shared [`Op`].
#[derive(Debug, Arbitrary)]
pub enum ArbOp {
    Get(u8),
    Set(u8, Vec<u8>, Option<Ttl>),
    Delete(u8),
    Exists(u8),
    KindOf(u8),
    Expire(u8, Ttl),
    Persist(u8),
    Ttl(u8),
    Incr(u8, Delta),
    Decr(u8, Delta),
    CounterGet(u8),
    CounterSet(u8, Delta),
    CounterReset(u8),
    SetMany(Vec<(u8, Vec<u8>)>, Option<Ttl>),
    GetMany(Vec<u8>),
    Keys(u8),
    Purge,
    Advance(u16),
}

impl From<ArbOp> for Op {
    fn from(op: ArbOp) -> Op {
        match op {
            ArbOp::Get(k) => Op::Get(k),
            ArbOp::Set(k, v, t) => Op::Set(k, short(v, 16), t.map(|t| t.ms())),
            ArbOp::Delete(k) => Op::Delete(k),
            ArbOp::Exists(k) => Op::Exists(k),
            ArbOp::KindOf(k) => Op::KindOf(k),
            ArbOp::Expire(k, t) => Op::Expire(k, t.ms()),
            ArbOp::Persist(k) => Op::Persist(k),
            ArbOp::Ttl(k) => Op::Ttl(k),
            ArbOp::Incr(k, d) => Op::Incr(k, d.value()),
            ArbOp::Decr(k, d) => Op::Decr(k, d.value()),
            ArbOp::CounterGet(k) => Op::CounterGet(k),
            ArbOp::CounterSet(k, d) => Op::CounterSet(k, d.value()),
            ArbOp::CounterReset(k) => Op::CounterReset(k),
            ArbOp::SetMany(items, t) => Op::SetMany(
                items
                    .into_iter()
                    .take(6)
                    .map(|(k, v)| (k, short(v, 8)))
                    .collect(),
                t.map(|t| t.ms()),
            ),
            ArbOp::GetMany(ks) => Op::GetMany(short(ks, 6)),
            ArbOp::Keys(p) => Op::Keys(p),
            ArbOp::Purge => Op::Purge,
            ArbOp::Advance(ms) => Op::Advance(ms % 4000),
        }
    }
}

/// Decodes a fuzz input into at most 64 calls.
pub fn ops_from_bytes(data: &[u8]) -> Vec<Op> {
    let mut u = arbitrary::Unstructured::new(data);
    let mut ops = Vec::new();
    while ops.len() < 64 && !u.is_empty() {
        match ArbOp::arbitrary(&mut u) {
            Ok(op) => ops.push(op.into()),
            Err(_) => break,
        }
    }
    ops
}
