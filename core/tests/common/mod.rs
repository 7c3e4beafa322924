//! Helpers shared by the integration tests.
#![allow(dead_code)]

use grove_core::{ManualClock, Options, Store};
use std::sync::Arc;

/// A store on each backend, both reading the same manual clock, plus the temp dir keeping sled alive.
pub fn both_backends(clock: Arc<ManualClock>) -> (Vec<(&'static str, Store)>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options::new().clock(clock);
    let mem = Store::open_memory_with(opts.clone()).unwrap();
    let sled = Store::open_with(dir.path().join("db"), opts).unwrap();
    (vec![("memory", mem), ("sled", sled)], dir)
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

/// Both backends on one fresh manual clock, with the clock to move it.
pub fn stores() -> (
    Vec<(&'static str, Store)>,
    tempfile::TempDir,
    Arc<ManualClock>,
) {
    let clock = Arc::new(ManualClock::default());
    let (s, d) = both_backends(clock.clone());
    (s, d, clock)
}
