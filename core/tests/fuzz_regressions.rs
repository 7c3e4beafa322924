//! Replays the committed fuzz inputs on stable Rust, through the very checks the cargo-fuzz
//! targets run (`fuzz/src/checks.rs`, compiled here too):
//! - every crash the fuzzers found, minimized, in `fuzz/regressions/<target>/`
//!   (`api_model` ones as `.ops` text, one call per line);
//! - the minimized seed corpora of the decoder targets in `fuzz/corpus/<target>/`.
//!
//! `GROVE_WRITE_FUZZ_SEEDS=1 cargo test -p grove-core --test fuzz_regressions write_seeds`
//! (re)writes the seed inputs made from real encodings into `fuzz/corpus/` (see fuzz/README.md).

#[path = "../../fuzz/src/checks.rs"]
mod checks;

use grove_core::{ManualClock, Options, Store};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none when the folder is absent).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Runs `check` on every input of `target`, naming the file of the first failure.
fn replay(target: &str, kinds: &[&str], check: impl Fn(&[u8])) -> usize {
    let mut n = 0;
    for kind in kinds {
        for path in inputs(kind, target) {
            let data = std::fs::read(&path).unwrap();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&data)));
            if let Err(e) = r {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!("{target}: {} fails: {msg}", path.display());
            }
            n += 1;
        }
    }
    n
}

#[test]
fn crdt_merge_inputs() {
    let n = replay("crdt_merge", &["regressions", "corpus"], checks::crdt_merge);
    assert!(n > 0, "no crdt_merge inputs found under fuzz/");
}

#[test]
fn apply_changes_inputs() {
    let n = replay(
        "apply_changes",
        &["regressions", "corpus"],
        checks::apply_changes,
    );
    assert!(n > 0, "no apply_changes inputs found under fuzz/");
}

#[test]
fn value_envelope_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("db");
    let n = replay("value_envelope", &["regressions", "corpus"], |d| {
        checks::value_envelope_in(&scratch, d)
    });
    assert!(n > 0, "no value_envelope inputs found under fuzz/");
}

/// `api_model` inputs are `arbitrary` bytes in the corpus (replayed by cargo-fuzz only); its
/// regressions are saved as `.ops` text, which needs no `arbitrary` to replay.
#[test]
fn api_model_regressions() {
    for path in inputs("regressions", "api_model") {
        if path.extension().is_some_and(|e| e == "ops") {
            let text = std::fs::read_to_string(&path).unwrap();
            let ops =
                checks::ops_from_text(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            checks::api_model(&ops);
        }
    }
}

#[test]
fn ops_text_round_trips() {
    use checks::Op;
    let ops = vec![
        Op::Set(2, b"hi".to_vec(), Some(1500)),
        Op::Set(4, Vec::new(), None),
        Op::Incr(3, i64::MIN),
        Op::Decr(1, i64::MAX),
        Op::SetMany(vec![(2, b"a".to_vec()), (6, Vec::new())], Some(u16::MAX)),
        Op::SetMany(Vec::new(), None),
        Op::GetMany(vec![1, 2]),
        Op::GetMany(Vec::new()),
        Op::Keys(3),
        Op::Expire(5, 0),
        Op::Advance(10),
        Op::Purge,
    ];
    let text = checks::ops_to_text(&ops);
    assert_eq!(checks::ops_from_text(&text).unwrap(), ops);
    checks::api_model(&ops);
}

// ---------------------------------------------------------------------------------------------
// Seeds from real encodings.

fn write_seed(target: &str, name: &str, bytes: &[u8]) {
    let dir = fuzz_dir().join("corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

/// A replica with one CRDT of each type, stamped a little before the checks' clock.
fn remote() -> Store {
    let clock = Arc::new(ManualClock::new(checks::FUZZ_NOW_MS - 5_000));
    let db = Store::open_memory_with(Options::new().node_id("remote").clock(clock)).unwrap();
    let c = db.crdt_counter("c").unwrap();
    c.increment(40).unwrap();
    c.decrement(2).unwrap();
    db.crdt_register("r")
        .unwrap()
        .set("[1,\"two\",{\"x\":null}]")
        .unwrap();
    let s = db.crdt_set("s").unwrap();
    for m in ["\"x\"", "\"y\"", "3.5"] {
        s.add(m).unwrap();
    }
    s.remove("\"y\"").unwrap();
    let m = db.crdt_map("m").unwrap();
    m.set("f", "false").unwrap();
    m.set("h", "{\"deep\":[1]}").unwrap();
    m.delete("h").unwrap();
    db
}

#[test]
fn write_seeds() {
    if std::env::var_os("GROVE_WRITE_FUZZ_SEEDS").is_none() {
        return;
    }
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let vector = |name: &str| std::fs::read(vectors.join(name)).unwrap();

    // crdt_merge: [selector][state]; selector bits 0-1 the type, bits 2-3 the key.
    let db = remote();
    let empty = Store::open_memory();
    let states = [
        ("counter", db.crdt_counter("c").unwrap().state().unwrap()),
        ("register", db.crdt_register("r").unwrap().state().unwrap()),
        ("set", db.crdt_set("s").unwrap().state().unwrap()),
        ("map", db.crdt_map("m").unwrap().state().unwrap()),
    ];
    let empties = [
        empty.crdt_counter("e").unwrap().state().unwrap(),
        empty.crdt_register("e").unwrap().state().unwrap(),
        empty.crdt_set("e").unwrap().state().unwrap(),
        empty.crdt_map("e").unwrap().state().unwrap(),
    ];
    for (ty, (name, state)) in states.iter().enumerate() {
        for key_sel in 0..3u8 {
            let mut input = vec![ty as u8 | (key_sel << 2)];
            input.extend(state);
            write_seed("crdt_merge", &format!("{name}-key{key_sel}"), &input);
        }
        let mut input = vec![ty as u8];
        input.extend(&empties[ty]);
        write_seed("crdt_merge", &format!("{name}-empty"), &input);
    }
    for (name, ty) in [
        ("counter_us_east_100.bin", 0u8),
        ("register_future.bin", 1),
        ("garbage.bin", 2),
    ] {
        let mut input = vec![ty];
        input.extend(vector(name));
        write_seed("crdt_merge", &format!("vector-{name}"), &input);
    }

    // apply_changes: real bundles, whole and since a cursor, and the shared vectors.
    let (all, cursor) = db.export_changes(0).unwrap();
    write_seed("apply_changes", "export-all", &all);
    db.crdt_counter("c").unwrap().increment(1).unwrap();
    db.crdt_set("k").unwrap().add("1").unwrap(); // `k` is plain bytes in the target's store
    write_seed(
        "apply_changes",
        "export-since",
        &db.export_changes(cursor).unwrap().0,
    );
    write_seed(
        "apply_changes",
        "export-empty",
        &empty.export_changes(0).unwrap().0,
    );
    for name in ["bundle_us_east.bin", "garbage.bin", "register_future.bin"] {
        write_seed("apply_changes", &format!("vector-{name}"), &vector(name));
    }

    // value_envelope: the stored bytes of every primitive, read back raw from sled.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    {
        let clock = Arc::new(ManualClock::new(checks::FUZZ_NOW_MS - 1_000));
        let g = Store::open_with(&path, Options::new().node_id("seeds").clock(clock)).unwrap();
        g.set(b"plain", b"hello", None).unwrap();
        g.set(b"expiring", b"soon", Some(Duration::from_secs(60)))
            .unwrap();
        g.set(b"expired", b"gone", Some(Duration::from_millis(10)))
            .unwrap();
        g.counter("n").unwrap().increment(-7).unwrap();
        g.counter("e").unwrap().set(i64::MAX).unwrap();
        g.expire(b"counter:e", Duration::from_secs(30)).unwrap();
        assert!(g
            .lock("l", Duration::from_secs(10))
            .unwrap()
            .try_acquire()
            .unwrap());
        g.sessions(Duration::from_secs(60), "sess")
            .unwrap()
            .create(b"data")
            .unwrap();
        let r = g.rate_limiter("r", 5, Duration::from_secs(1)).unwrap();
        r.allow("who", 1).unwrap();
        r.allow("who", 2).unwrap();
        g.leaderboard("b").unwrap().add("m", 12.5).unwrap();
        let q = g.queue("q", Duration::from_secs(30), 3).unwrap();
        q.enqueue(b"job1", Duration::ZERO).unwrap();
        q.enqueue(b"job2", Duration::from_secs(5)).unwrap();
        q.dequeue().unwrap();
        let c = g.crdt_counter("cc").unwrap();
        c.increment(5).unwrap();
        g.crdt_register("cr").unwrap().set("\"v\"").unwrap();
        g.crdt_set("cs").unwrap().add("1").unwrap();
        g.crdt_map("cm").unwrap().set("f", "2").unwrap();
        g.close().unwrap();
    }
    let raw = sled::open(&path).unwrap();
    for item in raw.scan_prefix(b"k") {
        let (k, v) = item.unwrap();
        let name: String = String::from_utf8_lossy(&k[1..])
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .take(40)
            .collect();
        write_seed("value_envelope", &name, &v);
    }
}

// ---------------------------------------------------------------------------------------------
// The bugs the fuzz targets found, spelled out (their inputs are also in fuzz/regressions/).

/// `apply_changes` checked each entry against the local store only, so a bundle naming one new
/// key twice with two CRDT types applied the first entry and then failed on the second.
#[test]
fn bundle_with_one_key_of_two_types_changes_nothing() {
    let path = fuzz_dir().join("regressions/apply_changes/duplicate-key-two-types");
    let bundle = std::fs::read(path).unwrap();
    let db = checks::seeded_store();
    let before = checks::snapshot(&db);
    let e = db.apply_changes(&bundle).unwrap_err();
    assert_eq!(e.kind(), grove_core::ErrorKind::WrongType, "{e}");
    assert!(!db.exists(b"fresh").unwrap());
    assert_eq!(checks::snapshot(&db), before);
}

/// A CRDT value stored with a change sequence above the engine's counter (a store whose `mseq`
/// metadata is missing or behind) made every change to that key count up to it one number at
/// a time: 2^18 took 29 s under the fuzzer, 2^62 never finished. It now jumps past it, and
/// the largest sequence is `Corrupt` instead of an overflow.
#[test]
fn crdt_value_with_a_sequence_above_the_counter() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("db");
    for (name, want) in [
        ("crdt-seq-2pow62", None),
        ("crdt-seq-max", Some(grove_core::ErrorKind::Corrupt)),
    ] {
        let data = std::fs::read(fuzz_dir().join("regressions/value_envelope").join(name)).unwrap();
        {
            let raw = sled::open(&scratch).unwrap();
            raw.insert(b"kcm", data).unwrap();
            raw.flush().unwrap();
        }
        let db = loop {
            match Store::open(&scratch) {
                Err(e) if e.kind() == grove_core::ErrorKind::StoreLocked => {
                    std::thread::sleep(Duration::from_millis(1))
                }
                other => break other.unwrap(),
            }
        };
        let start = std::time::Instant::now();
        let r = db.crdt_map("cm").unwrap().set("g", "1");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{name}: took {:?}",
            start.elapsed()
        );
        assert_eq!(r.map_err(|e| e.kind()).err(), want, "{name}");
        if want.is_none() {
            assert_eq!(
                db.crdt_map("cm").unwrap().get("g").unwrap().as_deref(),
                Some("1")
            );
            // Later changes still get fresh, larger numbers and still export.
            db.crdt_counter("other").unwrap().increment(1).unwrap();
            assert!(db.export_changes(0).is_ok());
        }
        db.close().unwrap();
        std::fs::remove_dir_all(&scratch).unwrap();
    }
}

/// `RateLimiter::decide` computed `limit - used` in u64: a stored log whose cost is above this
/// limiter's limit panicked with "attempt to subtract with overflow" (HEAD
/// `core/src/ratelimit.rs:188`). Found by `value_envelope` with a planted log; the same state
/// comes from the API alone, through two limiters of one name with different limits.
#[test]
fn ratelimit_usage_above_a_smaller_limit() {
    let db = Store::open_memory();
    let wide = db.rate_limiter("r", 10, Duration::from_secs(60)).unwrap();
    assert!(wide.allow("who", 8).unwrap().allowed);
    let narrow = db.rate_limiter("r", 5, Duration::from_secs(60)).unwrap();
    let d = narrow.peek("who").unwrap();
    assert!(!d.allowed);
    assert_eq!(d.remaining, 0);
    assert!(!narrow.allow("who", 1).unwrap().allowed);
}

/// Once a PN-counter merge could be refused with `Overflow`, `apply_changes` applied a bundle's
/// earlier entries and then refused a counter entry: "nothing is applied" broke again. The
/// counter merges are now tried in the validation pass.
#[test]
fn bundle_with_an_overflowing_counter_changes_nothing() {
    let path = fuzz_dir().join("regressions/apply_changes/counter-overflow-after-another-entry");
    let bundle = std::fs::read(path).unwrap();
    let db = checks::seeded_store();
    let before = checks::snapshot(&db);
    let e = db.apply_changes(&bundle).unwrap_err();
    assert_eq!(e.kind(), grove_core::ErrorKind::Overflow, "{e}");
    assert!(!db.exists(b"fresh").unwrap());
    assert_eq!(checks::snapshot(&db), before);
}
