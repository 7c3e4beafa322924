//! Compression and encryption at rest on every engine: every primitive round-trips through
//! both; a store reads back the same after reopening with compression off; sealed values need
//! their key (the `Encryption` kind otherwise, never garbage), survive a key rotation, and never
//! show their secrets in the data files or to a plain Redis client; a store without the key,
//! in another process, cannot misread a sealed job through the native scripts (nor a lock, which
//! stays plaintext, as a free one).

use grove_core::{ErrorKind, Options, Store};
use std::time::Duration;

mod common;

const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";
const KEY2: [u8; 32] = *b"fedcba9876543210fedcba9876543210";

/// A JSON document of about 10 KB, as the seed's examples store.
fn json_10k() -> Vec<u8> {
    let mut s = String::from("[");
    for i in 0..160 {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "{{\"id\":{i},\"sku\":\"SKU-{i:05}\",\"name\":\"widget {i}\",\"qty\":{}}}",
            i * 7 % 13
        ));
    }
    s.push(']');
    s.into_bytes()
}

/// Writes one of everything with `marker` inside every value that can carry bytes.
fn write_all(db: &Store, marker: &[u8]) {
    let big = [json_10k(), marker.to_vec()].concat();
    db.set(b"empty", b"", None).unwrap();
    db.set(b"bin", &[0, 255, 0, 1], None).unwrap();
    db.set(b"doc", &big, Some(Duration::from_secs(3600)))
        .unwrap();
    db.set(b"secret", marker, None).unwrap();
    db.counter("stock").unwrap().increment(41).unwrap();
    let sess = db.sessions(Duration::from_secs(3600), "sess:").unwrap();
    let id = sess.create(&big).unwrap();
    db.set(b"session-id", id.as_bytes(), None).unwrap();
    let q = db.queue("jobs", Duration::from_secs(60), 3).unwrap();
    q.enqueue(marker, Duration::ZERO).unwrap();
    q.enqueue(&big, Duration::ZERO).unwrap();
    let lock = db.lock("l", Duration::from_secs(60)).unwrap();
    assert!(lock.try_acquire().unwrap());
    db.leaderboard("b").unwrap().add("alice", 3.5).unwrap();
    assert!(
        db.rate_limiter("r", 10, Duration::from_secs(60))
            .unwrap()
            .allow("u", 1)
            .unwrap()
            .allowed
    );
    let m = String::from_utf8(marker.to_vec()).unwrap();
    db.crdt_register("reg")
        .unwrap()
        .set(&format!("\"{m}\""))
        .unwrap();
    db.crdt_set("set")
        .unwrap()
        .add(&format!("\"{m}\""))
        .unwrap();
    db.crdt_map("map")
        .unwrap()
        .set("f", &format!("\"{m}\""))
        .unwrap();
    db.crdt_counter("cc").unwrap().increment(2).unwrap();
}

/// Checks everything `write_all` wrote (the queue's jobs are left in place).
fn read_all(db: &Store, marker: &[u8], engine: &str) {
    let big = [json_10k(), marker.to_vec()].concat();
    assert_eq!(db.get(b"empty").unwrap().unwrap(), b"", "{engine}");
    assert_eq!(db.get(b"bin").unwrap().unwrap(), [0, 255, 0, 1], "{engine}");
    assert_eq!(db.get(b"doc").unwrap().unwrap(), big, "{engine}");
    assert!(db.ttl(b"doc").unwrap().is_some(), "{engine}: expiry kept");
    assert_eq!(db.get(b"secret").unwrap().unwrap(), marker, "{engine}");
    assert_eq!(db.counter("stock").unwrap().get().unwrap(), 41, "{engine}");
    let sess = db.sessions(Duration::from_secs(3600), "sess:").unwrap();
    let id = String::from_utf8(db.get(b"session-id").unwrap().unwrap()).unwrap();
    assert_eq!(sess.get(&id).unwrap().unwrap(), big, "{engine}");
    let q = db.queue("jobs", Duration::from_secs(60), 3).unwrap();
    assert_eq!(q.stats().unwrap().ready, 2, "{engine}");
    let info = db.lock_info("l").unwrap();
    assert!(info.held, "{engine}: {info:?}");
    assert_eq!(
        db.leaderboard("b").unwrap().score("alice").unwrap(),
        Some(3.5),
        "{engine}"
    );
    let m = String::from_utf8(marker.to_vec()).unwrap();
    assert_eq!(
        db.crdt_register("reg").unwrap().get().unwrap().unwrap(),
        format!("\"{m}\""),
        "{engine}"
    );
    assert!(db
        .crdt_set("set")
        .unwrap()
        .contains(&format!("\"{m}\""))
        .unwrap());
    assert_eq!(
        db.crdt_map("map").unwrap().get("f").unwrap().unwrap(),
        format!("\"{m}\"")
    );
    assert_eq!(db.crdt_counter("cc").unwrap().value().unwrap(), 2);
    assert!(db.keys(b"").unwrap().count() >= 10, "{engine}: keys listed");
}

fn sealed() -> Options {
    Options::new().compress(1024).encryption_key(KEY)
}

#[test]
fn every_primitive_round_trips_sealed_and_compressed_on_every_engine() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, target) in common::engine_targets(dir.path()) {
        let db = Store::open_with(&target, sealed()).unwrap();
        write_all(&db, b"MARKER-roundtrip");
        read_all(&db, b"MARKER-roundtrip", engine);
        // The queue delivers, acks and nacks sealed jobs; conditional writes compare plain
        // values, whatever the stored form (sealed anew on every write).
        let q = db.queue("jobs", Duration::from_secs(60), 3).unwrap();
        let job = q.dequeue().unwrap().unwrap();
        assert_eq!(job.payload, b"MARKER-roundtrip", "{engine}");
        assert!(q.nack(job.id, Duration::ZERO).unwrap());
        // The nacked job is due again now, after the big one (due since its enqueue).
        let mut sizes = Vec::new();
        for _ in 0..2 {
            let j = q.dequeue().unwrap().unwrap();
            sizes.push(j.payload.len());
            assert!(q.ack(j.id).unwrap(), "{engine}");
        }
        sizes.sort();
        assert_eq!(sizes, [16, json_10k().len() + 16], "{engine}");
        assert_eq!(q.dequeue().unwrap(), None, "{engine}");
        assert!(db
            .compare_and_set(b"secret", Some(b"MARKER-roundtrip"), b"v2", None)
            .unwrap());
        assert!(!db
            .compare_and_set(b"secret", Some(b"MARKER-roundtrip"), b"v3", None)
            .unwrap());
        assert!(!db.set_if_absent(b"secret", b"x", None).unwrap());
        assert_eq!(db.get_set(b"secret", b"v4", None).unwrap().unwrap(), b"v2");
        assert_eq!(db.get_delete(b"secret").unwrap().unwrap(), b"v4");
        let lock = db.lock("l2", Duration::from_secs(60)).unwrap();
        assert!(lock.try_acquire().unwrap(), "{engine}");
        assert!(lock.extend(Duration::from_secs(30)).unwrap(), "{engine}");
        assert!(lock.release().unwrap(), "{engine}");
        db.close().unwrap();
    }
}

#[test]
fn a_store_reads_back_with_compression_off_and_needs_its_key() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, target) in common::engine_targets(dir.path()) {
        if engine == "memory" {
            continue; // nothing to reopen
        }
        let db = Store::open_with(&target, sealed()).unwrap();
        write_all(&db, b"MARKER-reopen");
        db.close().unwrap();
        // Each Redis open estimates the server's clock to the ms: let the jobs be due by all.
        std::thread::sleep(Duration::from_millis(20));

        // Compression off, the key given: everything reads back the same.
        let db = Store::open_with(&target, Options::new().encryption_key(KEY)).unwrap();
        read_all(&db, b"MARKER-reopen", engine);
        db.close().unwrap();

        // No key, or the wrong one: the Encryption kind on every sealed read, and nothing is
        // changed by trying; what stays plaintext still reads.
        for opts in [Options::new(), Options::new().encryption_key(KEY2)] {
            let db = Store::open_with(&target, opts).unwrap();
            for key in [&b"doc"[..], b"secret", b"empty"] {
                let err = db.get(key).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::Encryption, "{engine}: {err}");
            }
            // Writing over or deleting a value needs only its (plaintext) kind, not the key.
            db.set(b"bin", b"replaced", None).unwrap();
            assert_eq!(db.get(b"bin").unwrap().unwrap(), b"replaced", "{engine}");
            assert!(db.delete(b"bin").unwrap(), "{engine}");
            assert!(!db.exists(b"bin").unwrap(), "{engine}");
            assert_eq!(
                db.set(b"counter:stock", b"x", None).unwrap_err().kind(),
                ErrorKind::WrongType,
                "{engine}: kinds still apply"
            );
            let q = db.queue("jobs", Duration::from_secs(60), 3).unwrap();
            let got = q.dequeue();
            assert_eq!(
                got.as_ref().map_err(|e| e.kind()).err(),
                Some(ErrorKind::Encryption),
                "{engine}: {got:?}"
            );
            // A lock is a random token, a lease and a fence, stored plaintext: read without the
            // key it is still held by the sealed opener, never taken as free.
            assert!(
                !db.lock("l", Duration::from_secs(1))
                    .unwrap()
                    .try_acquire()
                    .unwrap(),
                "{engine}"
            );
            assert!(db.lock_info("l").unwrap().held, "{engine}");
            assert_eq!(
                db.crdt_register("reg").unwrap().get().unwrap_err().kind(),
                ErrorKind::Encryption
            );
            assert_eq!(db.counter("stock").unwrap().get().unwrap(), 41, "{engine}");
            assert_eq!(
                db.leaderboard("b").unwrap().score("alice").unwrap(),
                Some(3.5)
            );
            db.close().unwrap();
        }

        let db = Store::open_with(&target, Options::new().encryption_key(KEY)).unwrap();
        db.set(b"bin", &[0, 255, 0, 1], None).unwrap();
        db.close().unwrap();
        // Rotation: the new key seals new writes, the old one still opens old values.
        let db = Store::open_with(
            &target,
            Options::new().encryption_key(KEY2).old_encryption_key(KEY),
        )
        .unwrap();
        read_all(&db, b"MARKER-reopen", engine);
        db.set(b"new", b"by key 2", None).unwrap();
        db.close().unwrap();
        let db = Store::open_with(&target, Options::new().encryption_key(KEY2)).unwrap();
        assert_eq!(db.get(b"new").unwrap().unwrap(), b"by key 2");
        let err = db.get(b"secret").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encryption, "{engine}");
        assert!(err.message().contains("key id"), "{err}");
        db.close().unwrap();
    }
}

#[test]
fn bad_keys_are_invalid_arguments_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, target) in common::engine_targets(dir.path()) {
        for opts in [
            Options::new().encryption_key(vec![1u8; 31]),
            Options::new().encryption_key(Vec::new()),
            Options::new().old_encryption_key(KEY),
            Options::new().encryption_key(KEY).old_encryption_key(KEY),
            Options::new()
                .encryption_key(KEY)
                .old_encryption_key(vec![0u8; 33]),
        ] {
            let err = Store::open_with(&target, opts).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{engine}: {err}");
        }
        if engine == "sled" || engine == "lmdb" {
            let path = target.split_once(':').unwrap().1;
            assert!(
                !std::path::Path::new(path).exists(),
                "{engine}: a refused open created {path}"
            );
        }
    }
    // One store open twice in a process must agree on the options (the engine is shared).
    let target = format!("lmdb:{}", dir.path().join("twice").display());
    let db = Store::open_with(&target, sealed()).unwrap();
    let err = Store::open_with(&target, Options::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(!err.message().contains("0123456789abcdef"), "{err}");
    let same = Store::open_with(&target, sealed()).unwrap();
    same.close().unwrap();
    db.close().unwrap();
}

/// Every file under `dir` joined.
fn files_under(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all.extend(files_under(&p));
        } else {
            all.extend(std::fs::read(&p).unwrap());
        }
    }
    all
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Every value of the Redis store named `name` as a plain client sees it (strings, zsets, and
/// hashes: a queue's jobs).
fn redis_values(url: &str, name: &str) -> Vec<u8> {
    let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS")
        .arg(format!("{{grove:{name}}}*"))
        .query(&mut c)
        .unwrap();
    assert!(!keys.is_empty(), "no keys for store {name}");
    let mut all = Vec::new();
    for k in keys {
        let t: String = redis::cmd("TYPE").arg(&k).query(&mut c).unwrap();
        match t.as_str() {
            "string" => {
                let v: Vec<u8> = redis::cmd("GET").arg(&k).query(&mut c).unwrap();
                all.extend(v);
            }
            "zset" => {
                let v: Vec<Vec<u8>> = redis::cmd("ZRANGE")
                    .arg(&k)
                    .arg(0)
                    .arg(-1)
                    .arg("WITHSCORES")
                    .query(&mut c)
                    .unwrap();
                all.extend(v.concat());
            }
            "hash" => {
                let v: Vec<Vec<u8>> = redis::cmd("HGETALL").arg(&k).query(&mut c).unwrap();
                all.extend(v.concat());
            }
            other => panic!("unexpected type {other} at {}", String::from_utf8_lossy(&k)),
        }
    }
    all
}

#[test]
fn the_secret_never_appears_in_the_data_files_or_in_redis() {
    let marker_on: &[u8] = b"TOPSECRET-c0dec-on";
    let marker_off: &[u8] = b"TOPSECRET-c0dec-off";
    for (engine, _) in common::engine_targets(std::path::Path::new("/")) {
        if engine == "memory" || engine == "redis-cluster" {
            continue; // no files; a cluster's keys are spread (the standalone server covers it)
        }
        for (opts, marker) in [(sealed(), marker_on), (Options::new(), marker_off)] {
            let dir = tempfile::tempdir().unwrap();
            let target = common::engine_targets(dir.path())
                .into_iter()
                .find(|(n, _)| *n == engine)
                .unwrap()
                .1;
            let db = Store::open_with(&target, opts).unwrap();
            write_all(&db, marker);
            db.flush().unwrap();
            db.close().unwrap();
            let seen = if engine == "redis" {
                let (url, name) = target.split_once("?store=").unwrap();
                redis_values(url, name)
            } else {
                files_under(dir.path())
            };
            let found = contains(&seen, marker);
            // Without encryption the same check finds the marker: it can fail.
            assert_eq!(
                found,
                marker == marker_off,
                "{engine}: marker {} found={found} in {} bytes",
                String::from_utf8_lossy(marker),
                seen.len()
            );
            assert!(!contains(&seen, &KEY), "{engine}: the key itself is stored");
        }
    }
}

#[test]
fn another_process_without_the_key_cannot_misread_native_records() {
    // On Redis a plain opener runs the native lock and queue scripts: a lock (stored plaintext,
    // its token is a random handle) reads as held, never as free, and the dequeue script leaves
    // a job sealed with a key the opener lacks as it is (Encryption), instead of delivering it
    // or treating the queue as empty.
    for (engine, db, _dir) in common::shared_engines_with(sealed()) {
        let lock = db.lock("held", Duration::from_secs(60)).unwrap();
        assert!(lock.try_acquire().unwrap());
        let q = db.queue("q", Duration::from_secs(60), 3).unwrap();
        q.enqueue(b"job", Duration::ZERO).unwrap();
        let plain = db.second_engine_with_for_tests(Options::new()).unwrap();
        // The plain engine reads the system clock, the first one Redis's (estimated to the ms):
        // let the job be due by both.
        std::thread::sleep(Duration::from_millis(20));
        let other = plain.lock("held", Duration::from_secs(60)).unwrap();
        assert!(!other.try_acquire().unwrap(), "{engine}: a held lock taken");
        assert!(!other.release().unwrap(), "{engine}");
        assert!(plain.lock_info("held").unwrap().held, "{engine}");
        let got = plain
            .queue("q", Duration::from_secs(60), 3)
            .unwrap()
            .dequeue();
        assert_eq!(
            got.as_ref().map_err(|e| e.kind()).err(),
            Some(ErrorKind::Encryption),
            "{engine}: {got:?}"
        );
        // And the sealed opener still sees both untouched.
        assert!(lock.held().unwrap(), "{engine}");
        assert_eq!(q.dequeue().unwrap().unwrap().payload, b"job", "{engine}");
        plain.close().unwrap();
        db.close().unwrap();
    }
}

#[test]
fn a_sealed_value_copied_onto_another_key_does_not_open() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let name = format!("copy{}", std::process::id());
    let db = Store::open_with(format!("{url}?store={name}"), sealed()).unwrap();
    db.set(b"alice", b"alice's secret", None).unwrap();
    db.set(b"bob", b"bob's", None).unwrap();
    let mut c = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let raw: Vec<u8> = redis::cmd("GET")
        .arg(format!("{{grove:{name}}}:kalice"))
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg(format!("{{grove:{name}}}:kbob"))
        .arg(raw)
        .query(&mut c)
        .unwrap();
    let err = db.get(b"bob").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Encryption, "{err}");
    assert!(err.message().contains("copied"), "{err}");
    assert_eq!(db.get(b"alice").unwrap().unwrap(), b"alice's secret");
    db.close().unwrap();
}

#[test]
fn a_sealed_job_payload_moved_to_another_job_or_queue_does_not_open() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let name = format!("qmove{}", std::process::id());
    let db = Store::open_with(format!("{url}?store={name}"), sealed()).unwrap();
    let q = db.queue("jobs", Duration::from_secs(60), 3).unwrap();
    let other = db.queue("other", Duration::from_secs(60), 3).unwrap();
    assert_eq!(q.enqueue(b"first job", Duration::ZERO).unwrap(), 1);
    assert_eq!(q.enqueue(b"second job", Duration::ZERO).unwrap(), 2);
    assert_eq!(other.enqueue(b"other's", Duration::ZERO).unwrap(), 1);
    let mut c = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let jobs = |queue: &str| format!("{{grove:{name}}}#q:kqueue:{queue}:jobs");
    let get = |c: &mut redis::Connection, key: &str, field: &str| -> Vec<u8> {
        redis::cmd("HGET").arg(key).arg(field).query(c).unwrap()
    };
    let second = get(&mut c, &jobs("jobs"), "0000000000000002");
    assert!(!contains(&second, b"second job"), "sealed on the server");
    let info = String::from_utf8(get(&mut c, &jobs("jobs"), "0000000000000002:i")).unwrap();
    assert!(
        info.starts_with("ready 0 ") && info.contains(" zs") || info.contains(" s"),
        "{info}: the form names the sealing key's id"
    );
    // Job 2's payload copied over job 1's, and queue jobs's job 1 over other's job 1.
    let first = get(&mut c, &jobs("jobs"), "0000000000000001");
    for (key, field, value) in [
        (jobs("jobs"), "0000000000000001", &second),
        (jobs("other"), "0000000000000001", &first),
    ] {
        let _: () = redis::cmd("HSET")
            .arg(key)
            .arg(field)
            .arg(value)
            .query(&mut c)
            .unwrap();
    }
    for queue in [&q, &other] {
        let err = queue.dequeue().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Encryption, "{err}");
        assert!(err.message().contains("job 1"), "{err}");
    }
    // Job 2 itself still opens.
    assert_eq!(q.dequeue().unwrap().unwrap().payload, b"second job");
    db.close().unwrap();
}

#[test]
fn sealed_enqueues_racing_from_two_engines_get_every_id_once_and_open() {
    // On Redis a sealed payload is bound to an id the server gives: each engine seals for the
    // id it expects and again when another took it, so a race must still lose or misbind none.
    for (engine, db, _dir) in common::shared_engines_with(sealed()) {
        let other = db.second_engine_with_for_tests(sealed()).unwrap();
        let per = 40;
        std::thread::scope(|s| {
            for (t, store) in [(0, &db), (1, &other), (2, &db), (3, &other)] {
                s.spawn(move || {
                    let q = store.queue("race", Duration::from_secs(60), 3).unwrap();
                    for i in 0..per {
                        q.enqueue(format!("{t}:{i}").as_bytes(), Duration::ZERO)
                            .unwrap();
                    }
                });
            }
        });
        let q = other.queue("race", Duration::from_secs(60), 3).unwrap();
        let mut ids = std::collections::BTreeSet::new();
        let mut payloads = std::collections::BTreeSet::new();
        while let Some(j) = q.dequeue().unwrap() {
            assert!(ids.insert(j.id), "{engine}: id {} twice", j.id);
            payloads.insert(String::from_utf8(j.payload).unwrap());
        }
        assert_eq!(ids.len(), 4 * per, "{engine}");
        assert_eq!(ids.last(), Some(&(4 * per as u64)), "{engine}: ids 1..=n");
        assert_eq!(
            payloads.len(),
            4 * per,
            "{engine}: every payload opened, none twice"
        );
        other.close().unwrap();
        db.close().unwrap();
    }
}
