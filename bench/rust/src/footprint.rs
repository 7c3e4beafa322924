//! Disk bytes per live key and resident memory, for Grove and the Redis servers.

use std::path::Path;
use std::time::{Duration, Instant};

use grove_core::Store;
use redis::Connection;
use serde_json::json;

use crate::harness::{fail, Output, Res};
use crate::workloads::{flushall, fresh_store, redis_con, Config};

/// One `field:value` of an `INFO` reply.
fn info_field(con: &mut Connection, section: &str, field: &str) -> Res<String> {
    let info: String = redis::cmd("INFO").arg(section).query(con)?;
    let prefix = format!("{field}:");
    match info.lines().find_map(|l| l.strip_prefix(&prefix)) {
        Some(v) => Ok(v.trim().to_string()),
        None => fail(format!("INFO {section} has no {field}")),
    }
}

/// `CONFIG GET name`, or `None` when the server does not know it.
fn config_get(con: &mut Connection, name: &str) -> Res<Option<String>> {
    let kv: Vec<String> = redis::cmd("CONFIG").arg("GET").arg(name).query(con)?;
    Ok(kv.get(1).cloned())
}

/// Waits (bounded) until no AOF rewrite is running or scheduled.
fn wait_rewrite_idle(con: &mut Connection) -> Res<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        let busy = info_field(con, "persistence", "aof_rewrite_in_progress")? != "0"
            || info_field(con, "persistence", "aof_rewrite_scheduled")? != "0";
        if !busy {
            // Redis deletes the replaced AOF files just after the rewrite ends.
            std::thread::sleep(Duration::from_millis(300));
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    fail("AOF rewrite did not finish within 120 s")
}

/// `BGREWRITEAOF`, waited for.
fn rewrite_aof(con: &mut Connection) -> Res<()> {
    wait_rewrite_idle(con)?;
    redis::cmd("BGREWRITEAOF").query::<redis::Value>(con)?;
    wait_rewrite_idle(con)
}

fn dir_bytes(path: &Path) -> Res<u64> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        return Ok(meta.len());
    }
    let mut total = 0;
    for entry in std::fs::read_dir(path)? {
        total += dir_bytes(&entry?.path())?;
    }
    Ok(total)
}

/// Bytes of the server's AOF (the Redis 7 `appendonlydir`, or the single older file).
fn aof_bytes(con: &mut Connection) -> Res<Option<u64>> {
    let Some(dir) = config_get(con, "dir")? else {
        return Ok(None);
    };
    let dir = Path::new(&dir);
    if let Some(sub) = config_get(con, "appenddirname")? {
        let p = dir.join(sub);
        if p.is_dir() {
            return Ok(Some(dir_bytes(&p)?));
        }
    }
    if let Some(file) = config_get(con, "appendfilename")? {
        let p = dir.join(file);
        if p.is_file() {
            return Ok(Some(dir_bytes(&p)?));
        }
    }
    Ok(None)
}

fn fill_redis(con: &mut Connection, keys: u64) -> Res<()> {
    let mut i = 0;
    while i < keys {
        let end = (i + 1_000).min(keys);
        let mut p = redis::pipe();
        for k in i..end {
            p.cmd("INCR").arg(format!("d{k}")).ignore();
        }
        p.query::<()>(con)?;
        i = end;
    }
    Ok(())
}

/// Grove: a store of `disk_keys` counters, measured after the run, after `flush()` and after
/// close + reopen.
pub fn grove_disk(out: &mut Output, cfg: &Config) -> Res<()> {
    let keys = cfg.disk_keys;
    let store = fresh_store(cfg, "disk", false)?;
    for k in 0..keys {
        store.counter(&format!("d{k}"))?.increment(1)?;
    }
    let mut emit = |phase: &str, bytes: u64| -> Res<()> {
        out.extra(
            "disk",
            json!({"system": "grove", "phase": phase, "keys": keys,
                   "bytes": bytes, "bytes_per_key": bytes as f64 / keys as f64}),
        )
    };
    emit("after_run", store.size_on_disk()?)?;
    store.flush()?;
    emit("after_flush", store.size_on_disk()?)?;
    let path = cfg.tmp.join("disk");
    store.close()?;
    drop(store);
    let store = Store::open(&path)?;
    if store.counter(&format!("d{}", keys - 1))?.get()? != 1 {
        return fail("grove disk store lost a counter across reopen");
    }
    emit("after_reopen", store.size_on_disk()?)?;
    store.close()?;
    Ok(())
}

/// Redis: AOF bytes per key on the `everysec` server (after the fill and after `BGREWRITEAOF`),
/// and `used_memory` growth per key on the persistence-off server.
pub fn redis_disk(out: &mut Output, cfg: &Config) -> Res<()> {
    let keys = cfg.disk_keys;
    let mut con = redis_con(cfg.port_everysec)?;
    flushall(&mut con)?;
    rewrite_aof(&mut con)?;
    fill_redis(&mut con, keys)?;
    let live: u64 = redis::cmd("DBSIZE").query(&mut con)?;
    let emit = |out: &mut Output, phase: &str, bytes: u64, what: &str| -> Res<()> {
        out.extra(
            "disk",
            json!({"system": "redis", "phase": phase, "keys": live, "bytes": bytes,
                   "bytes_per_key": bytes as f64 / live.max(1) as f64, "measure": what}),
        )
    };
    match aof_bytes(&mut con)? {
        Some(bytes) => {
            emit(out, "after_run", bytes, "aof (appendfsync everysec)")?;
            rewrite_aof(&mut con)?;
            if let Some(bytes) = aof_bytes(&mut con)? {
                emit(out, "after_flush", bytes, "aof after BGREWRITEAOF")?;
            }
            out.note(
                "Redis disk per key: AOF files of the appendfsync-everysec server after the \
                 fill (after_run) and after BGREWRITEAOF (after_flush); after_reopen is not \
                 measured because the harness does not restart the orchestrator's server.",
            )?;
        }
        None => out.note("Redis AOF directory not readable: disk per key not measured")?,
    }
    flushall(&mut con)?;

    let mut con = redis_con(cfg.port_none)?;
    flushall(&mut con)?;
    let before: u64 = info_field(&mut con, "memory", "used_memory")?.parse()?;
    fill_redis(&mut con, keys)?;
    let after: u64 = info_field(&mut con, "memory", "used_memory")?.parse()?;
    let live: u64 = redis::cmd("DBSIZE").query(&mut con)?;
    let grown = after.saturating_sub(before);
    out.extra(
        "memory",
        json!({"system": "redis", "measure": "used_memory growth", "keys": live,
               "bytes": grown, "bytes_per_key": grown as f64 / live.max(1) as f64}),
    )?;
    flushall(&mut con)?;
    Ok(())
}

/// Peak resident set of this process (`VmHWM`), in bytes.
pub fn own_peak_rss() -> Res<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    for line in status.lines() {
        if let Some(v) = line.strip_prefix("VmHWM:") {
            let kb: u64 = v.trim().trim_end_matches("kB").trim().parse()?;
            return Ok(kb * 1024);
        }
    }
    fail("no VmHWM in /proc/self/status")
}

/// `used_memory_rss` of a Redis server.
pub fn redis_rss(con: &mut Connection) -> Res<u64> {
    Ok(info_field(con, "memory", "used_memory_rss")?.parse()?)
}

/// Peak RSS of this process, and of each Redis server (`used_memory_rss` now; for the
/// persistence-off server, the larger of now and `none_peak`, sampled with the largest
/// leaderboard loaded).
pub fn rss(out: &mut Output, cfg: &Config, none_peak: u64) -> Res<()> {
    out.extra("rss", json!({ "rss_bytes": own_peak_rss()? }))?;
    let mut ports = vec![cfg.port_none, cfg.port_everysec, cfg.port_always];
    ports.dedup();
    for port in ports {
        let mut rss = redis_rss(&mut redis_con(port)?)?;
        if port == cfg.port_none {
            rss = rss.max(none_peak);
        }
        out.extra("rss_redis", json!({ "port": port, "rss_bytes": rss }))?;
    }
    Ok(())
}
