//! `grove-bench`: the Rust harness of issue 8. Grove called in-process vs Redis through the
//! `redis` crate (sync), every workload of bench/PROTOCOL.md, interleaved rounds, JSON lines.
//!
//! Environment (set by scripts/bench.sh): `GROVE_BENCH_OUT` (JSON-lines file to append to;
//! stdout when unset), `GROVE_BENCH_QUICK` (`1` for smoke sizes), `GROVE_BENCH_TMP` (scratch
//! directory), `REDIS_PORT_NONE`, `REDIS_PORT_EVERYSEC`, `REDIS_PORT_ALWAYS` (default 6391,
//! 6392, 6393). Progress and median ratios go to stderr. Any error exits non-zero.

mod footprint;
mod gen;
mod harness;
mod workloads;

use std::path::PathBuf;
use std::time::Instant;

use harness::{Output, Res};
use workloads::Config;

fn port(var: &str, default: u16) -> Res<u16> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Ok(v
            .parse()
            .map_err(|e| format!("{var}={v:?} is not a port: {e}"))?),
        _ => Ok(default),
    }
}

fn config() -> Res<Config> {
    let quick = std::env::var("GROVE_BENCH_QUICK").is_ok_and(|v| v == "1");
    let base = match std::env::var("GROVE_BENCH_TMP") {
        Ok(v) if !v.is_empty() => PathBuf::from(v),
        _ => std::env::temp_dir(),
    };
    let tmp = base.join(format!("grove-bench-rust-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let ports = (
        port("REDIS_PORT_NONE", 6391)?,
        port("REDIS_PORT_EVERYSEC", 6392)?,
        port("REDIS_PORT_ALWAYS", 6393)?,
    );
    Ok(Config::new(quick, tmp, ports))
}

fn run(out: &mut Output, cfg: &Config) -> Res<()> {
    let t = Instant::now();
    out.note(&format!(
        "rust: redis crate (sync, one connection per client, TCP_NODELAY); Grove on sled in \
         the same process; {} rounds x {} ops ({} / {} ops in tier always, 1 / 8 clients)",
        cfg.rounds, cfg.ops, cfg.ops_always_1, cfg.ops_always_8
    ))?;
    workloads::counters(out, cfg)?;
    workloads::lock(out, cfg)?;
    workloads::ratelimit(out, cfg)?;
    workloads::sessions(out, cfg)?;
    let redis_none_peak = workloads::leaderboards(out, cfg)?;
    workloads::queue(out, cfg)?;
    workloads::crdts(out, cfg)?;
    footprint::rss(out, cfg, redis_none_peak)?;
    footprint::grove_disk(out, cfg)?;
    footprint::redis_disk(out, cfg)?;
    eprintln!(
        "[rust] done in {:.1} s ({} mode)",
        t.elapsed().as_secs_f64(),
        if cfg.quick { "quick" } else { "full" }
    );
    Ok(())
}

fn main() {
    let result = config().and_then(|cfg| {
        let mut out = Output::open(std::env::var("GROVE_BENCH_OUT").ok().as_deref(), "rust")?;
        let r = run(&mut out, &cfg);
        // The stores are scratch: remove them whether or not the run succeeded.
        let _ = std::fs::remove_dir_all(&cfg.tmp);
        r
    });
    if let Err(e) = result {
        eprintln!("grove-bench (rust): {e}");
        std::process::exit(1);
    }
}
