//! Timing, interleaved rounds and JSON-lines output, as bench/PROTOCOL.md lays them down.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::Barrier;
use std::time::Instant;

use serde_json::{json, Value};

/// Every error of the harness ends the run with a non-zero exit.
pub type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// A failure the harness itself detects (a wrong answer from a system under test).
pub fn fail<T>(msg: impl Into<String>) -> Res<T> {
    Err(msg.into().into())
}

/// What one system did in one round.
#[derive(Debug)]
pub struct Sample {
    /// Operations done.
    pub ops: u64,
    /// Wall time of the round.
    pub seconds: f64,
    /// Per-op latencies in nanoseconds (`None` when pipelined).
    pub lat_ns: Option<Vec<u64>>,
}

/// Runs `op(i)` for `i` in `0..ops`, timing each op with one clock read per op.
pub fn timed(ops: u64, mut op: impl FnMut(u64) -> Res<()>) -> Res<Sample> {
    let mut lat = Vec::with_capacity(ops as usize);
    let start = Instant::now();
    let mut prev = start;
    for i in 0..ops {
        op(i)?;
        let now = Instant::now();
        lat.push((now - prev).as_nanos() as u64);
        prev = now;
    }
    Ok(Sample {
        ops,
        seconds: (prev - start).as_secs_f64(),
        lat_ns: Some(lat),
    })
}

/// Runs `batch(first, n)` over `0..ops` in chunks of `depth`; only the round is timed.
pub fn timed_batches(
    ops: u64,
    depth: u64,
    mut batch: impl FnMut(u64, u64) -> Res<()>,
) -> Res<Sample> {
    let start = Instant::now();
    let mut i = 0;
    while i < ops {
        let n = depth.min(ops - i);
        batch(i, n)?;
        i += n;
    }
    Ok(Sample {
        ops,
        seconds: start.elapsed().as_secs_f64(),
        lat_ns: None,
    })
}

/// One thread per state, all released together, each doing `ops_per_client` ops timed one by
/// one; the round lasts from the first start to the last finish.
pub fn timed_threads<S: Send>(
    states: &mut [S],
    ops_per_client: u64,
    op: impl Fn(&mut S, u64) -> Res<()> + Sync,
) -> Res<Sample> {
    let barrier = Barrier::new(states.len());
    type Run = Res<(Instant, Instant, Vec<u64>)>;
    let runs: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = states
            .iter_mut()
            .map(|st| {
                let (barrier, op) = (&barrier, &op);
                s.spawn(move || -> Run {
                    barrier.wait();
                    let mut lat = Vec::with_capacity(ops_per_client as usize);
                    let start = Instant::now();
                    let mut prev = start;
                    for i in 0..ops_per_client {
                        op(st, i)?;
                        let now = Instant::now();
                        lat.push((now - prev).as_nanos() as u64);
                        prev = now;
                    }
                    Ok((start, prev, lat))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| fail("a bench thread panicked")))
            .collect()
    });
    let mut first: Option<Instant> = None;
    let mut last: Option<Instant> = None;
    let mut all = Vec::new();
    for run in runs {
        let (start, end, lat) = run?;
        first = Some(first.map_or(start, |f| f.min(start)));
        last = Some(last.map_or(end, |l| l.max(end)));
        all.extend(lat);
    }
    let seconds = match (first, last) {
        (Some(f), Some(l)) => (l - f).as_secs_f64(),
        _ => 0.0,
    };
    Ok(Sample {
        ops: ops_per_client * states.len() as u64,
        seconds,
        lat_ns: Some(all),
    })
}

/// Nearest-rank percentile `q` (0..1) of sorted nanoseconds, in microseconds.
pub fn percentile_us(sorted: &[u64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

/// Where the JSON lines go (appended, one object per line, flushed per line).
pub struct Output {
    w: Box<dyn Write>,
    /// The `lang` field of every line.
    pub lang: &'static str,
}

impl Output {
    /// Appends to `path`, or writes to stdout when `None`.
    pub fn open(path: Option<&str>, lang: &'static str) -> Res<Output> {
        let w: Box<dyn Write> = match path {
            Some(p) if !p.is_empty() => {
                Box::new(OpenOptions::new().create(true).append(true).open(p)?)
            }
            _ => Box::new(std::io::stdout()),
        };
        Ok(Output { w, lang })
    }

    /// Writes one object as a line.
    pub fn line(&mut self, v: &Value) -> Res<()> {
        writeln!(self.w, "{v}")?;
        self.w.flush()?;
        Ok(())
    }

    /// Writes an extra line (`kind` plus fields) with this harness's `lang`.
    pub fn extra(&mut self, kind: &str, mut fields: Value) -> Res<()> {
        if let Value::Object(m) = &mut fields {
            m.insert("lang".into(), json!(self.lang));
            m.insert("kind".into(), json!(kind));
        }
        self.line(&fields)
    }

    /// A `kind: note` line.
    pub fn note(&mut self, text: &str) -> Res<()> {
        self.extra("note", json!({ "text": text }))
    }
}

/// One side of a comparison: a system in a mode, run once per round for a number of ops.
pub struct Contender<'a> {
    /// `grove`, `grove-atomic` or `redis`.
    pub system: &'static str,
    /// `direct`, `naive` or `pipelined16`.
    pub mode: &'static str,
    /// Runs `ops` operations and reports the round.
    pub run: Box<dyn FnMut(u64) -> Res<Sample> + 'a>,
}

impl<'a> Contender<'a> {
    /// Wraps a closure.
    pub fn new(
        system: &'static str,
        mode: &'static str,
        run: impl FnMut(u64) -> Res<Sample> + 'a,
    ) -> Contender<'a> {
        Contender {
            system,
            mode,
            run: Box::new(run),
        }
    }
}

/// The fixed fields of one comparison.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Workload name (fixed by the protocol).
    pub workload: &'static str,
    /// `none`, `everysec` or `always`.
    pub durability: &'static str,
    /// Concurrent clients/threads per system.
    pub clients: u64,
    /// Leaderboard size, or `None`.
    pub size: Option<u64>,
    /// Operations per round (all clients together).
    pub ops: u64,
    /// Rounds.
    pub rounds: usize,
    /// Untimed ops each contender runs once before round 0.
    pub warmup: u64,
}

/// Runs the rounds interleaved (round k in the given order for even k, reversed for odd k),
/// writes one line per contender per round, and prints median ratios to stderr.
pub fn compare(out: &mut Output, spec: Spec, mut contenders: Vec<Contender<'_>>) -> Res<()> {
    for c in contenders.iter_mut() {
        if spec.warmup > 0 {
            (c.run)(spec.warmup)?;
        }
    }
    let n = contenders.len();
    let mut per_op: Vec<Vec<f64>> = vec![Vec::new(); n];
    for round in 0..spec.rounds {
        let order: Vec<usize> = if round % 2 == 0 {
            (0..n).collect()
        } else {
            (0..n).rev().collect()
        };
        for i in order {
            let c = &mut contenders[i];
            let s = (c.run)(spec.ops)?;
            let (p50, p99, p999) = match &s.lat_ns {
                Some(lat) => {
                    let mut sorted = lat.clone();
                    sorted.sort_unstable();
                    (
                        json!(round3(percentile_us(&sorted, 0.50))),
                        json!(round3(percentile_us(&sorted, 0.99))),
                        json!(round3(percentile_us(&sorted, 0.999))),
                    )
                }
                None => (Value::Null, Value::Null, Value::Null),
            };
            per_op[i].push(s.seconds / s.ops.max(1) as f64);
            let lang = out.lang;
            out.line(&json!({
                "lang": lang,
                "workload": spec.workload,
                "system": c.system,
                "mode": c.mode,
                "durability": spec.durability,
                "clients": spec.clients,
                "size": spec.size,
                "round": round,
                "ops": s.ops,
                "seconds": s.seconds,
                "p50_us": p50,
                "p99_us": p99,
                "p999_us": p999,
            }))?;
        }
    }
    summarize(spec, &contenders, &per_op);
    Ok(())
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    if s.is_empty() {
        return f64::NAN;
    }
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

/// Human summary: µs/op per contender and, against the first contender, the median per-round
/// ratio (other time / first time).
fn summarize(spec: Spec, contenders: &[Contender<'_>], per_op: &[Vec<f64>]) {
    let size = spec.size.map(|s| format!(" size={s}")).unwrap_or_default();
    let mut parts = Vec::new();
    for (i, c) in contenders.iter().enumerate() {
        let us = median(&per_op[i]) * 1e6;
        if i == 0 {
            parts.push(format!("{}/{} {us:.2}us", c.system, c.mode));
        } else {
            let ratios: Vec<f64> = per_op[i]
                .iter()
                .zip(&per_op[0])
                .map(|(o, b)| o / b)
                .collect();
            let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            parts.push(format!(
                "{}/{} {us:.2}us ratio {:.2}x ({lo:.2}..{hi:.2})",
                c.system,
                c.mode,
                median(&ratios)
            ));
        }
    }
    eprintln!(
        "[rust] {} {} clients={}{size}: {}",
        spec.workload,
        spec.durability,
        spec.clients,
        parts.join(" | ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let v: Vec<u64> = (1..=1000).map(|x| x * 1000).collect();
        assert_eq!(percentile_us(&v, 0.5), 500.0);
        assert_eq!(percentile_us(&v, 0.99), 990.0);
        assert_eq!(percentile_us(&v, 0.999), 999.0);
        assert_eq!(percentile_us(&[], 0.5), 0.0);
    }

    #[test]
    fn threads_count_every_op() {
        let mut states = vec![0u64; 4];
        let s = timed_threads(&mut states, 10, |st, _| {
            *st += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(s.ops, 40);
        assert_eq!(states, vec![10; 4]);
        assert_eq!(s.lat_ns.unwrap().len(), 40);
    }

    #[test]
    fn batches_cover_the_ops() {
        let mut seen = 0;
        timed_batches(35, 16, |_, n| {
            seen += n;
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, 35);
    }
}
