//! The checks behind the fuzz targets, shared with `core/tests/fuzz_regressions.rs` (which
//! includes this file with `#[path]`), so a saved input replays through exactly the same code on
//! stable Rust. Depends only on `grove_core`, `sled` and `std`.
//!
//! Every check panics (with a message naming the broken rule) when the engine misbehaves; a
//! returned error of an allowed kind is a pass.
#![allow(dead_code)]

use grove_core::{ErrorKind, ManualClock, Options, Store, SyncReport};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The wall clock of every store the checks open: late enough that stamps written by real
/// stores in the past (the shared vectors) are not ahead of it, fixed so runs reproduce.
pub const FUZZ_NOW_MS: u64 = 1_800_000_000_000;

/// Error kinds a decoder of outside bytes may answer with. `Overflow`: a PN-counter merge
/// refuses a state whose merged totals or value would leave 64 bits (nothing is merged).
pub fn decoder_error_ok(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::Corrupt
            | ErrorKind::WrongType
            | ErrorKind::ClockDrift
            | ErrorKind::InvalidArgument
            | ErrorKind::Overflow
    )
}

fn fixed_store(node: &str) -> Store {
    let clock = Arc::new(ManualClock::new(FUZZ_NOW_MS));
    Store::open_memory_with(Options::new().node_id(node).clock(clock)).expect("memory store opens")
}

/// A store holding one CRDT of each type (`c`, `r`, `s`, `m`) and a plain value `k`.
pub fn seeded_store() -> Store {
    let db = fixed_store("fuzz-local");
    db.crdt_counter("c").unwrap().increment(3).unwrap();
    db.crdt_counter("c").unwrap().decrement(1).unwrap();
    db.crdt_register("r").unwrap().set("{\"a\":[1,2]}").unwrap();
    let s = db.crdt_set("s").unwrap();
    s.add("\"x\"").unwrap();
    s.add("2").unwrap();
    s.remove("2").unwrap();
    let m = db.crdt_map("m").unwrap();
    m.set("f", "true").unwrap();
    m.set("g", "null").unwrap();
    m.delete("g").unwrap();
    db.set(b"k", b"plain", None).unwrap();
    db
}

/// Everything observable about a store's keys: each live key, its kind and its bytes
/// (CRDT state, plain value, or nothing for other kinds).
pub fn snapshot(db: &Store) -> Vec<(Vec<u8>, String, Vec<u8>)> {
    let keys = db
        .keys(b"")
        .expect("keys")
        .collect::<grove_core::Result<Vec<_>>>()
        .expect("listing keys of a store the fuzzer can only reach through decoders");
    keys.into_iter()
        .map(|k| {
            let kind = db.kind_of(&k).expect("kind_of").expect("listed key exists");
            let bytes = match kind.name() {
                "string" => db.get(&k).expect("get").unwrap_or_default(),
                n if n.starts_with("crdt-") => db.crdt_state(&k).expect("crdt_state"),
                _ => Vec::new(),
            };
            (k, kind.name().to_string(), bytes)
        })
        .collect()
}

const CRDT_KEYS: [&str; 4] = ["c", "r", "s", "m"];

fn merge_into(db: &Store, ty: usize, key: &str, bytes: &[u8]) -> grove_core::Result<bool> {
    match ty {
        0 => db.crdt_counter(key)?.merge(bytes),
        1 => db.crdt_register(key)?.merge(bytes),
        2 => db.crdt_set(key)?.merge(bytes),
        _ => db.crdt_map(key)?.merge(bytes),
    }
}

fn state_of(db: &Store, ty: usize, key: &str) -> grove_core::Result<Vec<u8>> {
    match ty {
        0 => db.crdt_counter(key)?.state(),
        1 => db.crdt_register(key)?.state(),
        2 => db.crdt_set(key)?.state(),
        _ => db.crdt_map(key)?.state(),
    }
}

/// Reads the CRDT at `key` through its typed API; only `Overflow` (a PN-counter whose
/// totals leave 64 bits) is an acceptable failure of a state the engine accepted.
fn read_typed(db: &Store, ty: usize, key: &str) {
    let r: grove_core::Result<()> = (|| {
        match ty {
            0 => {
                let c = db.crdt_counter(key)?;
                c.contributions()?;
                c.value()?;
            }
            1 => {
                let r = db.crdt_register(key)?;
                r.get()?;
                r.stamp()?;
            }
            2 => {
                let s = db.crdt_set(key)?;
                s.members()?;
                s.len()?;
            }
            _ => {
                let m = db.crdt_map(key)?;
                m.all()?;
                m.keys()?;
            }
        }
        db.crdt_debug_json(key.as_bytes())?;
        Ok(())
    })();
    if let Err(e) = r {
        assert_eq!(e.kind(), ErrorKind::Overflow, "reading merged {key}: {e}");
    }
}

/// Target `crdt_merge`: byte 0 picks the CRDT type (bits 0-1) and the key (bits 2-3: the
/// seeded key of that type, a fresh key, or the seeded key of the next type); the rest goes to
/// that type's `merge`.
pub fn crdt_merge(data: &[u8]) {
    let Some((&sel, bytes)) = data.split_first() else {
        return;
    };
    let ty = (sel & 3) as usize;
    let key = match (sel >> 2) & 3 {
        0 | 3 => CRDT_KEYS[ty],
        1 => "fresh",
        _ => CRDT_KEYS[(ty + 1) % 4],
    };
    let db = seeded_store();
    let before = snapshot(&db);
    match merge_into(&db, ty, key, bytes) {
        Err(e) => {
            assert!(decoder_error_ok(e.kind()), "merge returned {e:?}");
            assert_eq!(
                snapshot(&db),
                before,
                "a refused merge ({e}) changed the store"
            );
        }
        Ok(changed) => {
            let after = snapshot(&db);
            if !changed {
                assert_eq!(
                    after, before,
                    "merge reported no change but changed the store"
                );
            }
            // Idempotent: the same bytes again change nothing.
            assert_eq!(
                merge_into(&db, ty, key, bytes).map_err(|e| e.to_string()),
                Ok(false)
            );
            assert_eq!(
                snapshot(&db),
                after,
                "a second identical merge changed the store"
            );
            if !db.exists(key.as_bytes()).unwrap() {
                // An empty state merged into an absent key writes nothing, not even an empty state.
                assert!(
                    !changed,
                    "merge into {key} reported a change but left no key"
                );
                return;
            }
            // The merged state is readable, re-encodes, and merging it into itself is a no-op.
            read_typed(&db, ty, key);
            let state = state_of(&db, ty, key).expect("state of a merged CRDT");
            assert_eq!(
                merge_into(&db, ty, key, &state).map_err(|e| e.to_string()),
                Ok(false)
            );
            // It travels: export and apply into an empty replica, then the replica holds it.
            let (bundle, _) = db.export_changes(0).expect("export after a merge");
            let other = fixed_store("fuzz-other");
            other
                .apply_changes(&bundle)
                .expect("applying a fresh export");
            assert_eq!(
                other
                    .crdt_state(key.as_bytes())
                    .expect("state on the replica"),
                state_of(&db, ty, key).unwrap(),
                "the replica disagrees after apply_changes"
            );
        }
    }
}

/// Target `apply_changes`: the bytes as a change bundle, into a store holding a few CRDTs
/// and a plain value.
pub fn apply_changes(data: &[u8]) {
    let db = seeded_store();
    let before = snapshot(&db);
    match db.apply_changes(data) {
        Err(e) => {
            assert!(decoder_error_ok(e.kind()), "apply_changes returned {e:?}");
            assert_eq!(
                snapshot(&db),
                before,
                "a refused bundle ({e}) changed the store"
            );
        }
        Ok(report) => {
            let after = snapshot(&db);
            if report == SyncReport::default() {
                assert_eq!(after, before, "an empty report but the store changed");
            }
            let again = db.apply_changes(data).expect("the same bundle again");
            assert_eq!(
                again,
                SyncReport::default(),
                "a second apply was not a no-op"
            );
            assert_eq!(snapshot(&db), after, "a second apply changed the store");
            for (k, kind, _) in &after {
                let ty = match kind.as_str() {
                    "crdt-counter" => 0,
                    "crdt-register" => 1,
                    "crdt-set" => 2,
                    "crdt-map" => 3,
                    _ => continue,
                };
                if let Ok(k) = std::str::from_utf8(k) {
                    read_typed(&db, ty, k);
                }
            }
            db.export_changes(0).expect("export after apply");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// value_envelope: arbitrary stored bytes, planted with sled under every kind's key, then read
// back through the public API of every primitive.

/// A session id of the right shape.
pub const SESSION_ID: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// Keys (as the caller names them) under which the raw bytes are planted.
pub fn envelope_keys() -> Vec<Vec<u8>> {
    vec![
        b"k".to_vec(),
        b"counter:c".to_vec(),
        b"lock:l".to_vec(),
        format!("sess:{SESSION_ID}").into_bytes(),
        b"ratelimit:r:who".to_vec(),
        b"lb:b:m".to_vec(),
        b"queue:q:meta".to_vec(),
        format!("queue:q:j:{:016x}", 1).into_bytes(),
        format!("queue:q:s:{:016x}{:016x}", 0, 1).into_bytes(),
        b"cc".to_vec(),
        b"cr".to_vec(),
        b"cs".to_vec(),
        b"cm".to_vec(),
    ]
}

/// What the documented envelope layout says about `bytes`, read by a store without an encryption
/// key: `[kind][flags][expires_at u64 BE if flags & 1][payload]` as (tag, expiry, payload), or
/// the error kind every read answers with.
pub fn expected_envelope(bytes: &[u8]) -> Result<(u8, Option<u64>, Vec<u8>), ErrorKind> {
    const CORRUPT: ErrorKind = ErrorKind::Corrupt;
    let (&tag, rest) = bytes.split_first().ok_or(CORRUPT)?;
    let (&flags, rest) = rest.split_first().ok_or(CORRUPT)?;
    // Flags: 1 an expiry follows, 2 compressed, 4 sealed (README, "Compression and encryption").
    if !(1..=11).contains(&tag) || flags & !7 != 0 {
        return Err(CORRUPT);
    }
    let (exp, body) = if flags & 1 == 0 {
        (None, rest)
    } else {
        let ts: [u8; 8] = rest.get(..8).ok_or(CORRUPT)?.try_into().unwrap();
        (Some(u64::from_be_bytes(ts)), &rest[8..])
    };
    if flags & 4 != 0 {
        // Key id, nonce and tag at least; the store has no key to open it with.
        return Err(if body.len() < 4 + 12 + 16 {
            CORRUPT
        } else {
            ErrorKind::Encryption
        });
    }
    if flags & 2 != 0 {
        let len = u32::from_be_bytes(body.get(..4).ok_or(CORRUPT)?.try_into().unwrap()) as usize;
        if len > grove_core::MAX_VALUE_LEN + (1 << 20) {
            return Err(CORRUPT);
        }
        return match zstd::bulk::decompress(&body[4..], len) {
            Ok(p) if p.len() == len => Ok((tag, exp, p)),
            _ => Err(CORRUPT),
        };
    }
    Ok((tag, exp, body.to_vec()))
}

/// Kinds a reader may answer with when the stored bytes are garbage.
fn stored_error_ok(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::Corrupt
            | ErrorKind::WrongType
            | ErrorKind::NotFound
            | ErrorKind::InvalidArgument
            | ErrorKind::Overflow
            | ErrorKind::Encryption
    )
}

fn allowed<T: std::fmt::Debug>(what: &str, r: grove_core::Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            assert!(stored_error_ok(e.kind()), "{what}: unexpected {e:?}");
            None
        }
    }
}

/// A scratch directory for the planted store, one per process (tmpfs when there is one);
/// `GROVE_FUZZ_SCRATCH` names the parent directory, if set.
pub fn envelope_dir() -> PathBuf {
    let base = if let Some(dir) = std::env::var_os("GROVE_FUZZ_SCRATCH") {
        PathBuf::from(dir)
    } else if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    base.join(format!("grove-fuzz-envelope-{}", std::process::id()))
}

/// Target `value_envelope`: `data` is written verbatim as the stored value of every key in
/// [`envelope_keys`] (through sled itself, as a corrupted or foreign store would hold it),
/// then the store is opened with Grove and read through every primitive.
pub fn value_envelope(data: &[u8]) {
    value_envelope_in(&envelope_dir(), data)
}

/// [`value_envelope`] in a given scratch directory (removed and recreated).
pub fn value_envelope_in(dir: &Path, data: &[u8]) {
    let _ = std::fs::remove_dir_all(dir);
    {
        let db = sled::Config::new()
            .path(dir)
            .flush_every_ms(None)
            .open()
            .expect("sled opens a scratch directory");
        for k in envelope_keys() {
            // Grove's data keys are the caller's key behind the marker byte `k`.
            let mut pk = vec![b'k'];
            pk.extend_from_slice(&k);
            db.insert(pk, data).unwrap();
        }
        db.flush().unwrap();
    }
    let clock = Arc::new(ManualClock::new(FUZZ_NOW_MS));
    let opts = Options::new().node_id("fuzz-envelope").clock(clock);
    let db = loop {
        // sled's IO threads may hold the directory lock a moment after the handle is gone.
        match Store::open_with(dir, opts.clone()) {
            Err(e) if e.kind() == ErrorKind::StoreLocked => {
                std::thread::sleep(Duration::from_millis(1))
            }
            other => break other.expect("grove opens the planted store"),
        }
    };
    read_everything(&db, data);
    db.close().expect("close");
}

/// Every read (and a few writes) of every primitive over the planted keys.
pub fn read_everything(db: &Store, data: &[u8]) {
    let now = FUZZ_NOW_MS;
    let expect = expected_envelope(data);
    let live = matches!(expect, Ok((_, exp, _)) if !matches!(exp, Some(t) if now >= t));

    // The envelope itself, on the plain key: kind, value and ttl match the documented layout.
    let kind = db.kind_of(b"k");
    match &expect {
        Err(want) => assert_eq!(
            kind.as_ref().map_err(|e| e.kind()),
            Err(*want),
            "envelope {data:?} decoded as {kind:?}"
        ),
        Ok((tag, exp, payload)) if live => {
            let (tag, exp) = (*tag, *exp);
            let got = kind
                .expect("kind of a well-formed live entry")
                .expect("live");
            assert_eq!(got as u8, tag, "kind tag");
            let v = db.get(b"k");
            if tag == 1 {
                assert_eq!(v.expect("get"), Some(payload.to_vec()), "payload");
            } else {
                assert_eq!(v.map_err(|e| e.kind()), Err(ErrorKind::WrongType));
            }
            let ttl = db.ttl(b"k").expect("ttl of a live key");
            assert_eq!(ttl, exp.map(|t| Duration::from_millis(t - now)), "ttl");
            assert!(db.exists(b"k").unwrap());
        }
        Ok(_) => {
            // Expired: absent, and reclaimed by the read.
            assert_eq!(kind.expect("kind of an expired entry"), None);
            assert!(!db.exists(b"k").unwrap());
            assert_eq!(db.get(b"k").unwrap(), None);
        }
    }

    if let Some(keys) = allowed("keys", db.keys(b"")) {
        for k in keys {
            allowed("keys item", k);
        }
    }
    allowed("get_many", db.get_many(&[b"k", b"cc", b"counter:c"]));
    for k in envelope_keys() {
        allowed("exists", db.exists(&k));
        allowed("kind_of", db.kind_of(&k));
        allowed("ttl", db.ttl(&k));
        allowed("crdt_state", db.crdt_state(&k));
        allowed("crdt_debug_json", db.crdt_debug_json(&k));
    }

    if let Ok(c) = db.counter("c") {
        allowed("counter get", c.get());
        allowed("counter increment", c.increment(1));
    }
    allowed("lock_info", db.lock_info("l"));
    if let Ok(l) = db.lock("l", Duration::from_secs(5)) {
        if allowed("lock try_acquire", l.try_acquire()) == Some(true) {
            allowed("lock extend", l.extend(Duration::from_secs(6)));
            allowed("lock release", l.release());
        }
    }
    if let Ok(s) = db.sessions(Duration::from_secs(60), "sess") {
        allowed("session get", s.get(SESSION_ID));
        allowed("session exists", s.exists(SESSION_ID));
        allowed("session touch", s.touch(SESSION_ID));
    }
    if let Ok(r) = db.rate_limiter("r", 5, Duration::from_secs(1)) {
        allowed("ratelimit peek", r.peek("who"));
        allowed("ratelimit allow", r.allow("who", 1));
    }
    if let Ok(b) = db.leaderboard("b") {
        allowed("leaderboard len", b.len());
        allowed("leaderboard score", b.score("m"));
        allowed("leaderboard rank", b.rank("m"));
        allowed("leaderboard top", b.top(3));
        allowed("leaderboard around", b.around("m", 2));
        allowed("leaderboard incr", b.incr("m", 1.0));
        allowed("leaderboard add", b.add("n", 2.0));
    }
    if let Ok(q) = db.queue("q", Duration::from_secs(30), 3) {
        allowed("queue stats", q.stats());
        allowed("queue dead_letters", q.dead_letters());
        if let Some(Some(job)) = allowed("queue dequeue", q.dequeue()) {
            allowed("queue ack", q.ack(job.id));
        }
        allowed("queue enqueue", q.enqueue(b"job", Duration::ZERO));
    }
    for (ty, key) in ["cc", "cr", "cs", "cm"].into_iter().enumerate() {
        allowed("crdt state", state_of(db, ty, key));
        let r: grove_core::Result<()> = (|| {
            match ty {
                0 => {
                    let c = db.crdt_counter(key)?;
                    c.value()?;
                    c.increment(1)?;
                }
                1 => {
                    let r = db.crdt_register(key)?;
                    r.get()?;
                    r.set("1")?;
                }
                2 => {
                    let s = db.crdt_set(key)?;
                    s.members()?;
                    s.add("1")?;
                }
                _ => {
                    let m = db.crdt_map(key)?;
                    m.all()?;
                    m.set("f", "1")?;
                }
            }
            Ok(())
        })();
        allowed("crdt typed", r);
    }
    allowed("export_changes", db.export_changes(0));
    allowed("purge_expired", db.purge_expired());
    allowed("expire", db.expire(b"k", Duration::from_secs(1)));
    allowed("persist", db.persist(b"k"));
    allowed("delete", db.delete(b"k"));
}

// ---------------------------------------------------------------------------------------------
// api_model: KV and counter calls on a memory store and on a reference model, compared after
// every step (the semantics of core/tests/model.rs).

/// A TTL in ms; `u16::MAX` stands for `Duration::MAX` (saturating expiry).
pub type TtlMs = u16;

/// One API call. Keys are small numbers mapped by [`key`] so calls collide often.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Get(u8),
    Set(u8, Vec<u8>, Option<TtlMs>),
    Delete(u8),
    Exists(u8),
    KindOf(u8),
    Expire(u8, TtlMs),
    Persist(u8),
    Ttl(u8),
    Incr(u8, i64),
    Decr(u8, i64),
    CounterGet(u8),
    CounterSet(u8, i64),
    CounterReset(u8),
    SetMany(Vec<(u8, Vec<u8>)>, Option<TtlMs>),
    GetMany(Vec<u8>),
    Keys(u8),
    Purge,
    Advance(u16),
}

/// Even numbers are plain keys `k0..k7`; odd ones are counter keys `counter:c0..c7`, which the
/// plain KV API reaches too.
pub fn key(k: u8) -> Vec<u8> {
    if k.is_multiple_of(2) {
        format!("k{}", k % 8).into_bytes()
    } else {
        format!("counter:c{}", k % 8).into_bytes()
    }
}

fn counter_name(k: u8) -> String {
    format!("c{}", k % 8)
}

const PREFIXES: [&[u8]; 8] = [
    b"",
    b"k",
    b"k2",
    b"counter:",
    b"counter:c3",
    b"c",
    b"z",
    b"\xff",
];

/// The prefix `Keys(p)` lists.
pub fn prefix(p: u8) -> &'static [u8] {
    PREFIXES[p as usize % PREFIXES.len()]
}

fn ttl_duration(t: TtlMs) -> Duration {
    if t == u16::MAX {
        Duration::MAX
    } else {
        Duration::from_millis(t as u64)
    }
}

fn ttl_ms(t: TtlMs) -> u64 {
    if t == u16::MAX {
        u64::MAX
    } else {
        t as u64
    }
}

#[derive(Debug, Clone, PartialEq)]
enum MVal {
    Bytes(Vec<u8>),
    Counter(i64),
}

/// The reference model: a sorted map with absolute expiry times. An access that finds an
/// expired entry removes it, as the engine's reads do, so `purge` counts agree.
#[derive(Default)]
pub struct Model {
    map: BTreeMap<Vec<u8>, (MVal, Option<u64>)>,
}

/// The printed result of one call, or its error kind.
pub type Out = Result<String, ErrorKind>;

impl Model {
    fn peek(&self, k: &[u8], now: u64) -> Option<&(MVal, Option<u64>)> {
        self.map
            .get(k)
            .filter(|(_, e)| !matches!(e, Some(t) if now >= *t))
    }

    fn live(&mut self, k: &[u8], now: u64) -> Option<&mut (MVal, Option<u64>)> {
        if matches!(self.map.get(k), Some((_, Some(t))) if now >= *t) {
            self.map.remove(k);
        }
        self.map.get_mut(k)
    }

    fn counter_add(&mut self, k: u8, d: i64, now: u64) -> Out {
        let ck = format!("counter:{}", counter_name(k)).into_bytes();
        match self.live(&ck, now) {
            None => {
                self.map.insert(ck, (MVal::Counter(d), None));
                Ok(format!("{d}"))
            }
            Some((MVal::Counter(c), _)) => match c.checked_add(d) {
                Some(n) => {
                    *c = n;
                    Ok(format!("{n}"))
                }
                None => Err(ErrorKind::Overflow),
            },
            Some(_) => Err(ErrorKind::WrongType),
        }
    }

    fn counter_set(&mut self, k: u8, v: i64, now: u64) -> Out {
        let ck = format!("counter:{}", counter_name(k)).into_bytes();
        match self.live(&ck, now) {
            Some((MVal::Bytes(_), _)) => Err(ErrorKind::WrongType),
            _ => {
                self.map.insert(ck, (MVal::Counter(v), None));
                Ok("()".into())
            }
        }
    }

    /// Applies `op` at wall time `now`.
    pub fn apply(&mut self, op: &Op, now: u64) -> Out {
        match op {
            Op::Get(k) => match self.live(&key(*k), now) {
                None => Ok("None".into()),
                Some((MVal::Bytes(b), _)) => Ok(format!("{b:?}")),
                Some(_) => Err(ErrorKind::WrongType),
            },
            Op::Set(k, v, ttl) => {
                if *ttl == Some(0) {
                    return Err(ErrorKind::InvalidArgument);
                }
                match self.live(&key(*k), now) {
                    Some((MVal::Counter(_), _)) => Err(ErrorKind::WrongType),
                    _ => {
                        let exp = ttl.map(|t| now.saturating_add(ttl_ms(t)));
                        self.map.insert(key(*k), (MVal::Bytes(v.clone()), exp));
                        Ok("()".into())
                    }
                }
            }
            Op::Delete(k) => Ok(format!(
                "{}",
                self.live(&key(*k), now).is_some() && self.map.remove(&key(*k)).is_some()
            )),
            Op::Exists(k) => Ok(format!("{}", self.live(&key(*k), now).is_some())),
            Op::KindOf(k) => Ok(match self.live(&key(*k), now) {
                None => "None".into(),
                Some((MVal::Bytes(_), _)) => "Some(string)".into(),
                Some((MVal::Counter(_), _)) => "Some(counter)".into(),
            }),
            Op::Expire(k, t) => match self.live(&key(*k), now) {
                None => Ok("false".into()),
                Some(_) if *t == 0 => {
                    self.map.remove(&key(*k));
                    Ok("true".into())
                }
                Some(e) => {
                    e.1 = Some(now.saturating_add(ttl_ms(*t)));
                    Ok("true".into())
                }
            },
            Op::Persist(k) => match self.live(&key(*k), now) {
                Some(e) if e.1.is_some() => {
                    e.1 = None;
                    Ok("true".into())
                }
                _ => Ok("false".into()),
            },
            Op::Ttl(k) => match self.live(&key(*k), now) {
                None => Err(ErrorKind::NotFound),
                Some((_, None)) => Ok("None".into()),
                Some((_, Some(t))) => Ok(format!("Some({})", *t - now)),
            },
            Op::Incr(k, d) => self.counter_add(*k, *d, now),
            // `decrement(d)` is `increment(-d)`; `-i64::MIN` fails before anything is read.
            Op::Decr(k, d) => match d.checked_neg() {
                None => Err(ErrorKind::Overflow),
                Some(n) => self.counter_add(*k, n, now),
            },
            Op::CounterGet(k) => {
                let ck = format!("counter:{}", counter_name(*k)).into_bytes();
                match self.live(&ck, now) {
                    None => Ok("0".into()),
                    Some((MVal::Counter(c), _)) => Ok(format!("{c}")),
                    Some(_) => Err(ErrorKind::WrongType),
                }
            }
            Op::CounterSet(k, v) => self.counter_set(*k, *v, now),
            Op::CounterReset(k) => self.counter_set(*k, 0, now),
            Op::SetMany(items, ttl) => {
                if *ttl == Some(0) {
                    return Err(ErrorKind::InvalidArgument);
                }
                // A failed batch is a rolled-back transaction: check without reclaiming anything.
                for (k, _) in items {
                    if let Some((MVal::Counter(_), _)) = self.peek(&key(*k), now) {
                        return Err(ErrorKind::WrongType);
                    }
                }
                let exp = ttl.map(|t| now.saturating_add(ttl_ms(t)));
                for (k, v) in items {
                    self.map.insert(key(*k), (MVal::Bytes(v.clone()), exp));
                }
                Ok("()".into())
            }
            Op::GetMany(ks) => {
                for k in ks {
                    if let Some((MVal::Counter(_), _)) = self.peek(&key(*k), now) {
                        return Err(ErrorKind::WrongType);
                    }
                }
                let mut out = Vec::new();
                for k in ks {
                    match self.live(&key(*k), now) {
                        None => out.push(None),
                        Some((MVal::Bytes(b), _)) => out.push(Some(b.clone())),
                        Some(_) => return Err(ErrorKind::WrongType),
                    }
                }
                Ok(format!("{out:?}"))
            }
            Op::Keys(p) => {
                let p = prefix(*p);
                let ks: Vec<Vec<u8>> = self
                    .map
                    .iter()
                    .filter(|(k, (_, e))| k.starts_with(p) && !matches!(e, Some(t) if now >= *t))
                    .map(|(k, _)| k.clone())
                    .collect();
                Ok(format!("{ks:?}"))
            }
            Op::Purge => {
                let before = self.map.len();
                self.map
                    .retain(|_, (_, e)| !matches!(e, Some(t) if now >= *t));
                Ok(format!("{}", before - self.map.len()))
            }
            Op::Advance(_) => Ok("()".into()),
        }
    }
}

/// Runs `op` on the store, printing the result the way [`Model::apply`] does.
pub fn run(store: &Store, op: &Op) -> Out {
    let r: grove_core::Result<String> = (|| {
        Ok(match op {
            Op::Get(k) => match store.get(&key(*k))? {
                None => "None".into(),
                Some(b) => format!("{b:?}"),
            },
            Op::Set(k, v, ttl) => {
                store.set(&key(*k), v, ttl.map(ttl_duration))?;
                "()".into()
            }
            Op::Delete(k) => format!("{}", store.delete(&key(*k))?),
            Op::Exists(k) => format!("{}", store.exists(&key(*k))?),
            Op::KindOf(k) => match store.kind_of(&key(*k))? {
                None => "None".into(),
                Some(kind) => format!("Some({})", kind.name()),
            },
            Op::Expire(k, t) => format!("{}", store.expire(&key(*k), ttl_duration(*t))?),
            Op::Persist(k) => format!("{}", store.persist(&key(*k))?),
            Op::Ttl(k) => format!("{:?}", store.ttl(&key(*k))?.map(|d| d.as_millis())),
            Op::Incr(k, d) => format!("{}", store.counter(&counter_name(*k))?.increment(*d)?),
            Op::Decr(k, d) => format!("{}", store.counter(&counter_name(*k))?.decrement(*d)?),
            Op::CounterGet(k) => format!("{}", store.counter(&counter_name(*k))?.get()?),
            Op::CounterSet(k, v) => {
                store.counter(&counter_name(*k))?.set(*v)?;
                "()".into()
            }
            Op::CounterReset(k) => {
                store.counter(&counter_name(*k))?.reset()?;
                "()".into()
            }
            Op::SetMany(items, ttl) => {
                let ks: Vec<Vec<u8>> = items.iter().map(|(k, _)| key(*k)).collect();
                let pairs: Vec<(&[u8], &[u8])> = ks
                    .iter()
                    .zip(items)
                    .map(|(k, (_, v))| (k.as_slice(), v.as_slice()))
                    .collect();
                store.set_many(&pairs, ttl.map(ttl_duration))?;
                "()".into()
            }
            Op::GetMany(ks) => {
                let owned: Vec<Vec<u8>> = ks.iter().map(|k| key(*k)).collect();
                let refs: Vec<&[u8]> = owned.iter().map(|k| k.as_slice()).collect();
                format!("{:?}", store.get_many(&refs)?)
            }
            Op::Keys(p) => {
                let ks = store
                    .keys(prefix(*p))?
                    .collect::<grove_core::Result<Vec<_>>>()?;
                format!("{ks:?}")
            }
            Op::Purge => format!("{}", store.purge_expired()?),
            Op::Advance(_) => "()".into(),
        })
    })();
    r.map_err(|e| e.kind())
}

/// The model's start time (as in `core/tests/model.rs`).
pub const MODEL_START_MS: u64 = 1_000_000;

/// Target `api_model`: runs `ops` on a memory store and on the model, comparing every result.
pub fn api_model(ops: &[Op]) {
    let clock = Arc::new(ManualClock::new(MODEL_START_MS));
    let store = Store::open_memory_with(Options::new().clock(clock.clone())).unwrap();
    let mut model = Model::default();
    let mut now = MODEL_START_MS;
    for (i, op) in ops.iter().enumerate() {
        if let Op::Advance(ms) = op {
            clock.advance(Duration::from_millis(*ms as u64));
            now += *ms as u64;
        }
        let want = model.apply(op, now);
        let got = run(&store, op);
        assert_eq!(got, want, "step {i} {op:?} (ops so far: {:?})", &ops[..=i]);
    }
    store.close().unwrap();
}

// ---------------------------------------------------------------------------------------------
// A line-per-call text form of `Op` lists, for api_model regressions replayed without the
// `arbitrary` crate (`core/tests/fuzz_regressions.rs`).

fn hex(b: &[u8]) -> String {
    if b.is_empty() {
        return "-".into();
    }
    b.iter().fold(String::new(), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if s == "-" {
        return Ok(Vec::new());
    }
    if !s.len().is_multiple_of(2) {
        return Err(format!("odd hex {s:?}"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|e| format!("hex {s:?}: {e}")))
        .collect()
}

fn opt_ttl(t: &Option<TtlMs>) -> String {
    t.map_or("-".into(), |t| t.to_string())
}

fn parse_opt_ttl(s: &str) -> Result<Option<TtlMs>, String> {
    if s == "-" {
        Ok(None)
    } else {
        s.parse().map(Some).map_err(|e| format!("ttl {s:?}: {e}"))
    }
}

/// One line per call, e.g. `set 2 6869 1500`, `incr 3 -9223372036854775808`, `setmany - 2:61,4:-`.
pub fn ops_to_text(ops: &[Op]) -> String {
    let mut out = String::new();
    for op in ops {
        let line = match op {
            Op::Get(k) => format!("get {k}"),
            Op::Set(k, v, t) => format!("set {k} {} {}", hex(v), opt_ttl(t)),
            Op::Delete(k) => format!("delete {k}"),
            Op::Exists(k) => format!("exists {k}"),
            Op::KindOf(k) => format!("kind {k}"),
            Op::Expire(k, t) => format!("expire {k} {t}"),
            Op::Persist(k) => format!("persist {k}"),
            Op::Ttl(k) => format!("ttl {k}"),
            Op::Incr(k, d) => format!("incr {k} {d}"),
            Op::Decr(k, d) => format!("decr {k} {d}"),
            Op::CounterGet(k) => format!("cget {k}"),
            Op::CounterSet(k, v) => format!("cset {k} {v}"),
            Op::CounterReset(k) => format!("creset {k}"),
            Op::SetMany(items, t) => {
                let items: Vec<String> = items
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", hex(v)))
                    .collect();
                let items = if items.is_empty() {
                    "-".into()
                } else {
                    items.join(",")
                };
                format!("setmany {} {items}", opt_ttl(t))
            }
            Op::GetMany(ks) => {
                let ks: Vec<String> = ks.iter().map(|k| k.to_string()).collect();
                format!(
                    "getmany {}",
                    if ks.is_empty() {
                        "-".into()
                    } else {
                        ks.join(",")
                    }
                )
            }
            Op::Keys(p) => format!("keys {p}"),
            Op::Purge => "purge".into(),
            Op::Advance(ms) => format!("advance {ms}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Parses [`ops_to_text`] output (blank lines and `#` comments are skipped).
pub fn ops_from_text(text: &str) -> Result<Vec<Op>, String> {
    fn num<T: std::str::FromStr>(s: Option<&str>) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        let s = s.ok_or("missing argument")?;
        s.parse().map_err(|e| format!("{s:?}: {e}"))
    }
    let mut ops = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut w = line.split_whitespace();
        let name = w.next().unwrap_or_default();
        let op = (|| -> Result<Op, String> {
            Ok(match name {
                "get" => Op::Get(num(w.next())?),
                "set" => Op::Set(
                    num(w.next())?,
                    unhex(w.next().ok_or("missing value")?)?,
                    parse_opt_ttl(w.next().ok_or("missing ttl")?)?,
                ),
                "delete" => Op::Delete(num(w.next())?),
                "exists" => Op::Exists(num(w.next())?),
                "kind" => Op::KindOf(num(w.next())?),
                "expire" => Op::Expire(num(w.next())?, num(w.next())?),
                "persist" => Op::Persist(num(w.next())?),
                "ttl" => Op::Ttl(num(w.next())?),
                "incr" => Op::Incr(num(w.next())?, num(w.next())?),
                "decr" => Op::Decr(num(w.next())?, num(w.next())?),
                "cget" => Op::CounterGet(num(w.next())?),
                "cset" => Op::CounterSet(num(w.next())?, num(w.next())?),
                "creset" => Op::CounterReset(num(w.next())?),
                "setmany" => {
                    let ttl = parse_opt_ttl(w.next().ok_or("missing ttl")?)?;
                    let list = w.next().ok_or("missing items")?;
                    let mut items = Vec::new();
                    if list != "-" {
                        for it in list.split(',') {
                            let (k, v) = it.split_once(':').ok_or("item without ':'")?;
                            items.push((num(Some(k))?, unhex(v)?));
                        }
                    }
                    Op::SetMany(items, ttl)
                }
                "getmany" => {
                    let list = w.next().ok_or("missing keys")?;
                    let mut ks = Vec::new();
                    if list != "-" {
                        for k in list.split(',') {
                            ks.push(num(Some(k))?);
                        }
                    }
                    Op::GetMany(ks)
                }
                "keys" => Op::Keys(num(w.next())?),
                "purge" => Op::Purge,
                "advance" => Op::Advance(num(w.next())?),
                other => return Err(format!("unknown call {other:?}")),
            })
        })()
        .map_err(|e| format!("line {}: {e}: {line:?}", n + 1))?;
        ops.push(op);
    }
    Ok(ops)
}
