//! Metrics: exact per-operation counts and errors, percentiles, the Prometheus text, and what a
//! store publishes for other processes, on every engine.

mod common;

use grove_core::{ErrorKind, Metrics, Options, Store};
use std::collections::BTreeMap;
use std::time::Duration;

fn count(m: &Metrics, op: &str) -> (u64, u64) {
    m.ops.get(op).map(|o| (o.count, o.errors)).unwrap_or((0, 0))
}

/// Known calls of several primitives, a few of them failing; returns nothing, the test checks.
fn known_calls(db: &Store) {
    let c = db.counter("hits").unwrap();
    for _ in 0..50 {
        c.increment(1).unwrap();
    }
    for _ in 0..5 {
        c.decrement(1).unwrap();
    }
    assert_eq!(c.get().unwrap(), 45);
    for i in 0..20u32 {
        db.set(format!("k{i}").as_bytes(), b"v", None).unwrap();
    }
    for i in 0..30u32 {
        db.get(format!("k{}", i % 20).as_bytes()).unwrap();
    }
    // Errors: a counter over bytes is WrongType; a get of a counter too.
    let wrong = db.counter("k0");
    assert!(wrong.is_ok());
    db.set(b"counter:bytes", b"x", None).unwrap();
    let bad = db.counter("bytes").unwrap();
    for _ in 0..3 {
        assert_eq!(bad.increment(1).unwrap_err().kind(), ErrorKind::WrongType);
    }
    assert_eq!(
        db.get(b"counter:hits").unwrap_err().kind(),
        ErrorKind::WrongType
    );
    // InvalidArgument before any engine work counts as an error too.
    assert_eq!(db.get(b"").unwrap_err().kind(), ErrorKind::InvalidArgument);
    let lock = db.lock("l", Duration::from_secs(10)).unwrap();
    assert!(lock.try_acquire().unwrap());
    assert!(lock.release().unwrap());
    let q = db.queue("jobs", Duration::from_secs(30), 3).unwrap();
    for i in 0..7u8 {
        q.enqueue(&[i], Duration::ZERO).unwrap();
    }
    for _ in 0..7 {
        let job = q.dequeue().unwrap().unwrap();
        assert!(q.ack(job.id).unwrap());
    }
    let cc = db.crdt_counter("views").unwrap();
    for _ in 0..4 {
        cc.increment(2).unwrap();
    }
}

fn expected() -> BTreeMap<&'static str, (u64, u64)> {
    BTreeMap::from([
        ("counter.increment", (53, 3)),
        ("counter.decrement", (5, 0)),
        ("counter.get", (1, 0)),
        ("kv.set", (21, 0)),
        ("kv.get", (32, 2)),
        ("lock.try_acquire", (1, 0)),
        ("lock.release", (1, 0)),
        ("queue.enqueue", (7, 0)),
        ("queue.dequeue", (7, 0)),
        ("queue.ack", (7, 0)),
        ("crdt_counter.increment", (4, 0)),
    ])
}

fn check_exact(engine: &str, m: &Metrics) {
    let want = expected();
    let got: BTreeMap<&str, (u64, u64)> = m
        .ops
        .iter()
        .map(|(k, o)| (k.as_str(), (o.count, o.errors)))
        .collect();
    assert_eq!(got, want, "{engine}");
    for (op, o) in &m.ops {
        assert!(o.p50_us > 0.0, "{engine} {op}: p50 {}", o.p50_us);
        assert!(
            o.p50_us <= o.p99_us,
            "{engine} {op}: {} > {}",
            o.p50_us,
            o.p99_us
        );
        let timed = o.histogram.timed();
        // The first call is always timed, then one in SAMPLE_EVERY.
        let s = grove_core::metrics::SAMPLE_EVERY;
        assert_eq!(timed, o.count.div_ceil(s), "{engine} {op}");
    }
}

#[test]
fn counts_and_errors_are_exact_on_every_engine() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, target) in common::engine_targets(dir.path()) {
        let db = Store::open_with(&target, Options::new()).unwrap();
        assert!(db.metrics().unwrap().ops.is_empty(), "{engine}");
        // A namespace view shares its handle's metrics.
        let view = db.namespace("tenant").unwrap();
        known_calls(&view);
        check_exact(engine, &db.metrics().unwrap());
        check_exact(engine, &view.metrics().unwrap());
        // A second open in this process has its own (same engine, separate handle).
        if engine != "memory" {
            let other = Store::open_with(&target, Options::new()).unwrap();
            assert!(other.metrics().unwrap().ops.is_empty(), "{engine}");
            other.counter("hits").unwrap().get().unwrap();
            assert_eq!(
                count(&other.metrics().unwrap(), "counter.get"),
                (1, 0),
                "{engine}"
            );
            assert_eq!(
                count(&db.metrics().unwrap(), "counter.get"),
                (1, 0),
                "{engine}"
            );
            other.close().unwrap();
        }
        // A call on a closed handle fails with Closed, as reading the metrics does.
        db.close().unwrap();
        assert_eq!(view.get(b"k1").unwrap_err().kind(), ErrorKind::Closed);
        assert_eq!(view.metrics().unwrap_err().kind(), ErrorKind::Closed);
    }
}

/// Parses Prometheus text: `name{labels} value` per sample, with `# TYPE` lines; checks the
/// histogram rules (buckets cumulative, `+Inf` equals `_count`).
fn parse_prometheus(text: &str) -> BTreeMap<(String, String), f64> {
    let mut samples = BTreeMap::new();
    let mut types = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            types.insert(name.to_string(), kind.to_string());
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap();
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value in {line}"));
        let (name, labels) = match series.split_once('{') {
            Some((n, l)) => (n, l.strip_suffix('}').expect("labels close")),
            None => (series, ""),
        };
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{name}"
        );
        for pair in labels.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap();
            assert!(k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            assert!(v.starts_with('"') && v.ends_with('"'), "{pair}");
        }
        let family = name
            .strip_suffix("_bucket")
            .or_else(|| name.strip_suffix("_sum"))
            .or_else(|| name.strip_suffix("_count"))
            .filter(|f| types.get(*f).is_some_and(|t| t == "histogram"))
            .unwrap_or(name);
        assert!(types.contains_key(family), "no TYPE for {name}");
        assert!(
            samples
                .insert((name.to_string(), labels.to_string()), value)
                .is_none(),
            "duplicate {line}"
        );
    }
    // Histogram rules.
    let mut last: BTreeMap<String, f64> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with("grove_op_duration_seconds_bucket"))
    {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let op = series.split("le=").next().unwrap().to_string();
        let v: f64 = value.parse().unwrap();
        let prev = last.insert(op.clone(), v).unwrap_or(0.0);
        assert!(v >= prev, "not cumulative: {line}");
        if series.contains("le=\"+Inf\"") {
            let labels = op
                .trim_start_matches("grove_op_duration_seconds_bucket{")
                .trim_end_matches(',');
            let count = samples[&("grove_op_duration_seconds_count".into(), labels.into())];
            assert_eq!(v, count, "{line}");
        }
    }
    samples
}

#[test]
fn prometheus_text_parses_and_matches_the_snapshot() {
    let db = Store::open_memory();
    known_calls(&db);
    let text = db.metrics_prometheus().unwrap();
    let samples = parse_prometheus(&text);
    for (op, (count, errors)) in expected() {
        let l = format!("op=\"{op}\"");
        assert_eq!(
            samples[&("grove_ops_total".into(), l.clone())],
            count as f64,
            "{op}"
        );
        assert_eq!(
            samples[&("grove_op_errors_total".into(), l.clone())],
            errors as f64,
            "{op}"
        );
        let timed = count.div_ceil(grove_core::metrics::SAMPLE_EVERY);
        assert_eq!(
            samples[&("grove_op_duration_seconds_count".into(), l.clone())],
            timed as f64
        );
        assert!(samples[&("grove_op_duration_seconds_sum".into(), l)] > 0.0);
    }
    assert!(text.contains("# TYPE grove_op_duration_seconds histogram"));
}

#[test]
fn stores_on_disk_and_servers_publish_for_other_processes() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, target) in common::engine_targets(dir.path()) {
        let db = Store::open_with(&target, Options::new()).unwrap();
        known_calls(&db);
        if engine == "memory" {
            db.flush().unwrap();
            assert!(db.published_metrics().unwrap().is_empty());
            continue;
        }
        // Nothing is published before a flush (or PUBLISH_EVERY of calls).
        assert!(db.published_metrics().unwrap().is_empty(), "{engine}");
        db.flush().unwrap();
        let published = db.published_metrics().unwrap();
        assert_eq!(published.len(), 1, "{engine}");
        assert_eq!(published[0].pid, std::process::id());
        check_exact(engine, &published[0].metrics);
        // A second flush within FLUSH_PUBLISH_EVERY does not publish again (an application
        // flushing after every write must not write twice per write); closing publishes the
        // latest, and a later open (as another process would) reads it.
        db.counter("hits").unwrap().increment(1).unwrap();
        db.flush().unwrap();
        let published = db.published_metrics().unwrap();
        assert_eq!(count(&published[0].metrics, "counter.increment"), (53, 3));
        db.close().unwrap();
        let reader = Store::open_with(&target, Options::new()).unwrap();
        let published = reader.published_metrics().unwrap();
        assert_eq!(published.len(), 1, "{engine}");
        assert_eq!(count(&published[0].metrics, "counter.increment"), (54, 3));
        let text = reader.published_metrics_prometheus().unwrap();
        let samples = parse_prometheus(&text);
        let l = format!(
            "process=\"{}\",op=\"counter.increment\"",
            published[0].process
        );
        assert_eq!(samples[&("grove_ops_total".into(), l)], 54.0, "{engine}");
        let json: serde_json::Value =
            serde_json::from_str(&reader.published_metrics_json().unwrap()).unwrap();
        assert_eq!(json["total"]["counter.increment"]["count"], 54, "{engine}");
        assert_eq!(json["total"]["counter.increment"]["errors"], 3, "{engine}");
        // The reader published nothing: it made no calls.
        reader.close().unwrap();
        let again = Store::open_with(&target, Options::new()).unwrap();
        assert_eq!(again.published_metrics().unwrap().len(), 1, "{engine}");
        // Published entries are metadata: no user key shows them.
        assert!(!again
            .keys(b"")
            .unwrap()
            .any(|k| k.unwrap().starts_with(b"metrics")));
        again.close().unwrap();
    }
}
