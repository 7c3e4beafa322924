//! Helpers shared by the integration tests.
#![allow(dead_code)]

use grove_core::{ManualClock, Options, Store};
use std::sync::Arc;

/// Every engine the contract tests run on, by name, with the target that opens it in `dir`
/// (memory ignores `dir`). The one list to extend when an engine is added.
/// Redis joins when `GROVE_TEST_REDIS` names a server (`redis://127.0.0.1:6400`, as the test
/// command sets it), each directory getting its own store on it (`?store=`); a Redis Cluster
/// joins when `GROVE_TEST_REDIS_CLUSTER` names one, each directory's store landing in a slot
/// of its own name's, so the stores spread over the masters.
pub fn engine_targets(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("memory", "memory:".to_string()),
        ("sled", format!("sled:{}", dir.join("sled").display())),
        ("lmdb", format!("lmdb:{}", dir.join("lmdb").display())),
    ];
    // The store's name on a server: from the directory, so each test's stores are its own.
    let name: String = dir
        .to_string_lossy()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .rev()
        .take(40)
        .collect();
    if let Some(url) = redis_url() {
        v.push(("redis", format!("{url}?store=t{name}")));
    }
    if let Some(url) = redis_cluster_url() {
        v.push(("redis-cluster", format!("{url}?store=c{name}")));
    }
    v
}

/// The URL in `var`, once per test binary saying what does not run without it.
fn server_url(var: &str, said: &'static std::sync::Once, missing: &str) -> Option<String> {
    let url = std::env::var(var).ok().filter(|u| !u.is_empty());
    if url.is_none() {
        said.call_once(|| {
            eprintln!("NOTE: {var} is not set: {missing} (scripts/test.sh starts it and sets it)")
        });
    }
    url
}

/// The test Redis server, once per test binary saying when there is none.
pub fn redis_url() -> Option<String> {
    static SAID: std::sync::Once = std::sync::Once::new();
    server_url(
        "GROVE_TEST_REDIS",
        &SAID,
        "the contract tests run on memory, sled and lmdb only",
    )
}

/// The test Redis Cluster (`redis+cluster://…`), once per test binary saying when there is none.
pub fn redis_cluster_url() -> Option<String> {
    static SAID: std::sync::Once = std::sync::Once::new();
    server_url(
        "GROVE_TEST_REDIS_CLUSTER",
        &SAID,
        "the contract tests do not run on a Redis Cluster",
    )
}

/// A store on each engine, all reading the same manual clock, plus the temp dir keeping the
/// on-disk ones alive.
pub fn engines(clock: Arc<ManualClock>) -> (Vec<(&'static str, Store)>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options::new().clock(clock);
    let stores = engine_targets(dir.path())
        .into_iter()
        .map(|(name, t)| (name, Store::open_with(&t, opts.clone()).unwrap()))
        .collect();
    (stores, dir)
}

/// Runs this test binary again as a child, executing the ignored test `name` with `env` set.
pub fn child(name: &str, env: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--ignored",
        "--exact",
        name,
        "--nocapture",
        "--test-threads=1",
    ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Every engine on one fresh manual clock, with the clock to move it.
pub fn stores() -> (
    Vec<(&'static str, Store)>,
    tempfile::TempDir,
    Arc<ManualClock>,
) {
    let clock = Arc::new(ManualClock::default());
    let (s, d) = engines(clock.clone());
    (s, d, clock)
}

/// A fresh store on each engine that other processes may share (memory stands for one: it
/// takes the same shared-store paths), with the temp dir keeping the on-disk ones alive. Tests
/// open a second engine on each with `Store::second_engine_for_tests`, as another process would.
pub fn shared_engines_with(opts: Options) -> Vec<(&'static str, Store, tempfile::TempDir)> {
    engine_targets(std::path::Path::new("/"))
        .into_iter()
        .filter(|(name, _)| *name != "sled")
        .map(|(name, _)| {
            let dir = tempfile::tempdir().unwrap();
            let target = engine_targets(dir.path())
                .into_iter()
                .find(|(n, _)| *n == name)
                .unwrap()
                .1;
            (name, Store::open_with(&target, opts.clone()).unwrap(), dir)
        })
        .collect()
}

/// [`shared_engines_with`] default options.
pub fn shared_engines() -> Vec<(&'static str, Store, tempfile::TempDir)> {
    shared_engines_with(Options::new())
}
