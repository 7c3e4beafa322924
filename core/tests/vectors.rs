//! Shared test vectors in `tests/vectors/`, read by every door's tests. This test checks the
//! committed files still mean what their README says; `GROVE_WRITE_VECTORS=1` rewrites them.

use grove_core::{ErrorKind, ManualClock, Options, Store};
use std::path::PathBuf;
use std::sync::Arc;

/// 2100-01-01T00:00:00Z in ms: far beyond any allowed clock drift.
const FUTURE_MS: u64 = 4_102_444_800_000;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn make() -> Vec<(&'static str, Vec<u8>)> {
    let future = Store::open_memory_with(
        Options::new()
            .node_id("future")
            .clock(Arc::new(ManualClock::new(FUTURE_MS))),
    )
    .unwrap();
    future
        .crdt_register("r")
        .unwrap()
        .set("\"from the future\"")
        .unwrap();
    let east = Store::open_memory_with(Options::new().node_id("us-east-1")).unwrap();
    east.crdt_counter("crdt:page:home:views")
        .unwrap()
        .increment(100)
        .unwrap();
    east.crdt_set("crdt:tags:article:1")
        .unwrap()
        .add("\"go\"")
        .unwrap();
    let (bundle, _) = east.export_changes(0).unwrap();
    vec![
        (
            "register_future.bin",
            future.crdt_register("r").unwrap().state().unwrap(),
        ),
        (
            "counter_us_east_100.bin",
            east.crdt_counter("crdt:page:home:views")
                .unwrap()
                .state()
                .unwrap(),
        ),
        ("bundle_us_east.bin", bundle),
        ("garbage.bin", b"this is not a Grove state".to_vec()),
    ]
}

#[test]
fn committed_vectors_mean_what_the_readme_says() {
    if std::env::var_os("GROVE_WRITE_VECTORS").is_some() {
        for (name, bytes) in make() {
            std::fs::write(dir().join(name), bytes).unwrap();
        }
    }
    let read = |n: &str| std::fs::read(dir().join(n)).unwrap();
    let db = Store::open_memory_with(Options::new().node_id("checker")).unwrap();
    let r = db.crdt_register("r").unwrap();
    assert_eq!(
        r.merge(&read("register_future.bin")).unwrap_err().kind(),
        ErrorKind::ClockDrift
    );
    assert_eq!(r.get().unwrap(), None);
    let c = db.crdt_counter("views").unwrap();
    assert!(c.merge(&read("counter_us_east_100.bin")).unwrap());
    assert_eq!(c.value().unwrap(), 100);
    assert_eq!(
        db.crdt_register("x")
            .unwrap()
            .merge(&read("counter_us_east_100.bin"))
            .unwrap_err()
            .kind(),
        ErrorKind::WrongType
    );
    let report = db.apply_changes(&read("bundle_us_east.bin")).unwrap();
    assert_eq!(report.pulled, 2);
    assert_eq!(
        db.crdt_counter("crdt:page:home:views")
            .unwrap()
            .value()
            .unwrap(),
        100
    );
    assert!(db
        .crdt_set("crdt:tags:article:1")
        .unwrap()
        .contains("\"go\"")
        .unwrap());
    assert_eq!(
        c.merge(&read("garbage.bin")).unwrap_err().kind(),
        ErrorKind::Corrupt
    );
    assert_eq!(
        db.apply_changes(&read("garbage.bin")).unwrap_err().kind(),
        ErrorKind::Corrupt
    );
}
