//! What only the Redis engine has: the documented key layout as other Redis clients see it,
//! AUTH, and failures naming the server. Runs when `GROVE_TEST_REDIS` names a server (and, for
//! AUTH, `GROVE_TEST_REDIS_AUTH` one that requires a password); scripts/test.sh starts both.

use grove_core::{ErrorKind, Kind, ManualClock, Options, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

fn fresh(url: &str) -> (Store, String) {
    let name = format!("layout{}", std::process::id());
    let target = format!("{url}?store={name}");
    (Store::open(&target).unwrap(), format!("{{grove:{name}}}:k"))
}

#[test]
fn redis_clients_see_counters_as_integers_and_expiries_as_their_own() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let (db, prefix) = fresh(&url);
    let mut raw = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let c = db.counter("visits").unwrap();
    c.set(0).unwrap();
    assert_eq!(c.increment(41).unwrap(), 41);
    let key = format!("{prefix}counter:visits");
    let shown: String = redis::cmd("GET").arg(&key).query(&mut raw).unwrap();
    assert_eq!(shown, "41", "redis-cli GET shows the counter");
    // Another client's INCRBY is seen by Grove: the same integer.
    let _: i64 = redis::cmd("INCRBY")
        .arg(&key)
        .arg(1)
        .query(&mut raw)
        .unwrap();
    assert_eq!(c.get().unwrap(), 42);
    // Around 2^53, where the script's Lua numbers stop being exact and it reads the text back.
    let edge = 1i64 << 53;
    c.set(edge - 2).unwrap();
    assert_eq!(c.increment(1).unwrap(), edge - 1);
    assert_eq!(c.increment(1).unwrap(), edge);
    assert_eq!(c.increment(1).unwrap(), edge + 1);
    assert_eq!(c.increment(-3).unwrap(), edge - 2);
    c.set(-edge + 1).unwrap();
    assert_eq!(c.increment(-2).unwrap(), -edge - 1);
    // Bounded changes: one script while every number fits a Lua double exactly, the generic
    // path past 15 digits or for a delta from 10^15, the same answers either way.
    c.set(999_999_999_999_998).unwrap();
    assert_eq!(
        c.try_increment(1, i64::MAX).unwrap(),
        Some(999_999_999_999_999)
    );
    assert_eq!(
        c.try_increment(1, i64::MAX).unwrap(),
        Some(1_000_000_000_000_000)
    );
    assert_eq!(c.try_increment(1, 1_000_000_000_000_000).unwrap(), None);
    assert_eq!(c.try_decrement(2, 999_999_999_999_999).unwrap(), None);
    assert_eq!(c.try_decrement(1, 0).unwrap(), Some(999_999_999_999_999));
    assert_eq!(
        c.try_decrement(1_000_000_000_000_000, i64::MIN).unwrap(),
        Some(-1)
    );
    assert_eq!(
        c.try_decrement(1, -1).unwrap(),
        None,
        "the floor holds at -1"
    );
    let shown: String = redis::cmd("GET").arg(&key).query(&mut raw).unwrap();
    assert_eq!(shown, "-1", "still an integer string after bounded changes");
    let stock = db.counter("stock").unwrap();
    assert_eq!(
        stock.try_decrement(0, 1).unwrap(),
        None,
        "absent is 0, below the floor"
    );
    assert_eq!(stock.try_increment(3, 5).unwrap(), Some(3));
    assert!(db
        .keys(b"counter:")
        .unwrap()
        .any(|k| k.unwrap() == b"counter:stock"));
    // A counter made by its first increment is listed like any key.
    let fresh = db.counter("made-by-increment").unwrap();
    assert_eq!(fresh.increment(7).unwrap(), 7);
    assert!(db
        .keys(b"counter:")
        .unwrap()
        .any(|k| k.unwrap() == b"counter:made-by-increment"));
    c.set(42).unwrap();
    db.set(b"session-ish", b"v", Some(Duration::from_secs(60)))
        .unwrap();
    let pttl: i64 = redis::cmd("PTTL")
        .arg(format!("{prefix}session-ish"))
        .query(&mut raw)
        .unwrap();
    // The store's clock is the server's as estimated from TIME (ms readings, half a round trip
    // guessed), so a deadline may land a millisecond or two past 60 s on the server's own.
    assert!(pttl > 55_000 && pttl <= 60_005, "PTTL {pttl}");
    // A string Grove did not write, at a counter's key: WrongType, and nothing changed.
    let _: () = redis::cmd("SET")
        .arg(format!("{prefix}counter:foreign"))
        .arg("not a number")
        .query(&mut raw)
        .unwrap();
    let err = db.counter("foreign").unwrap().increment(1).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::WrongType | ErrorKind::Corrupt),
        "{err}"
    );
    db.close().unwrap();
}

#[test]
fn a_lock_taken_natively_reads_the_same_through_every_path() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let (db, _) = fresh(&url);
    let a = db.lock("l", Duration::from_secs(30)).unwrap();
    let b = db.lock("l", Duration::from_secs(30)).unwrap();
    for round in 1..=3u64 {
        assert!(a.try_acquire().unwrap());
        let info = db.lock_info("l").unwrap();
        assert!(info.held);
        assert!(info.expires_in.unwrap() > Duration::from_secs(25));
        assert!(!b.try_acquire().unwrap());
        assert!(a.extend(Duration::from_secs(60)).unwrap());
        assert!(db.lock_info("l").unwrap().expires_in.unwrap() > Duration::from_secs(55));
        assert!(!b.release().unwrap());
        assert!(a.release().unwrap());
        assert!(!a.release().unwrap());
        assert!(b.try_acquire().unwrap());
        assert_eq!(b.fencing_token(), a.fencing_token() + 1, "round {round}");
        assert!(b.release().unwrap());
    }
    assert_eq!(db.get(b"lock:l").unwrap_err().kind(), ErrorKind::WrongType);
    db.close().unwrap();
}

/// A store of its own (`{grove:NAME}`) for one test, its key prefix, and a plain client.
fn own_store(url: &str, what: &str) -> (Store, String, redis::Connection) {
    let name = format!("{what}{}", std::process::id());
    let db = Store::open(format!("{url}?store={name}")).unwrap();
    let raw = redis::Client::open(url).unwrap().get_connection().unwrap();
    (db, format!("{{grove:{name}}}"), raw)
}

/// The server's clock in ms (`TIME`).
fn server_ms(raw: &mut redis::Connection) -> u64 {
    let (s, us): (u64, u64) = redis::cmd("TIME").query(raw).unwrap();
    s * 1000 + us / 1000
}

/// A lock record as builds before the native layout wrote it (Grove's envelope).
fn old_lock_record(fence: u64, lease_until_ms: u64, owner: &[u8]) -> Vec<u8> {
    let mut v = vec![3, 0];
    v.extend_from_slice(&fence.to_be_bytes());
    v.extend_from_slice(&lease_until_ms.to_be_bytes());
    v.push(owner.len() as u8);
    v.extend_from_slice(owner);
    v
}

#[test]
fn redis_clients_see_a_lock_as_its_token_with_the_lease_as_pttl() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let (db, tag, mut raw) = own_store(&url, "locklayout");
    let key = format!("{tag}:klock:deploy");
    let fence_key = format!("{tag}#fence:klock:deploy");
    let get = |raw: &mut redis::Connection, k: &str| -> Option<String> {
        redis::cmd("GET").arg(k).query(raw).unwrap()
    };
    let pttl = |raw: &mut redis::Connection, k: &str| -> i64 {
        redis::cmd("PTTL").arg(k).query(raw).unwrap()
    };
    let a = db.lock("deploy", Duration::from_secs(30)).unwrap();
    let b = db.lock("deploy", Duration::from_secs(30)).unwrap();
    assert!(a.try_acquire().unwrap());
    let token = get(&mut raw, &key).unwrap();
    assert_eq!(token.len(), 32, "{token}");
    assert!(token.bytes().all(|c| (b'a'..=b'p').contains(&c)), "{token}");
    let left = pttl(&mut raw, &key);
    assert!(left > 25_000 && left <= 30_000, "PTTL {left}");
    assert_eq!(get(&mut raw, &fence_key).as_deref(), Some("1"));
    assert_eq!(pttl(&mut raw, &fence_key), -1, "the fence never expires");
    assert_eq!(a.fencing_token(), 1);
    // The key/value API sees a lock, as on every engine.
    assert_eq!(db.kind_of(b"lock:deploy").unwrap(), Some(Kind::Lock));
    assert_eq!(
        db.get(b"lock:deploy").unwrap_err().kind(),
        ErrorKind::WrongType
    );
    assert!(db
        .keys(b"lock:")
        .unwrap()
        .any(|k| k.unwrap() == b"lock:deploy"));
    assert!(a.held().unwrap() && !b.held().unwrap());
    assert!(a.extend(Duration::from_secs(60)).unwrap());
    let left = pttl(&mut raw, &key);
    assert!(left > 55_000 && left <= 60_000, "PTTL {left}");
    assert_eq!(
        get(&mut raw, &key).unwrap(),
        token,
        "extend keeps the token"
    );
    // Released: the empty string without expiry, still a lock to the key/value API.
    assert!(a.release().unwrap());
    assert_eq!(get(&mut raw, &key).as_deref(), Some(""));
    assert_eq!(pttl(&mut raw, &key), -1);
    assert_eq!(db.kind_of(b"lock:deploy").unwrap(), Some(Kind::Lock));
    let info = db.lock_info("deploy").unwrap();
    assert_eq!((info.held, info.fencing_token), (false, 1));
    assert!(b.try_acquire().unwrap());
    assert_ne!(get(&mut raw, &key).unwrap(), token, "a fresh token");
    assert_eq!(b.fencing_token(), 2);
    assert_eq!(get(&mut raw, &fence_key).as_deref(), Some("2"));
    // A key/value delete frees the lock; the fence stays and keeps growing.
    assert!(db.delete(b"lock:deploy").unwrap());
    assert_eq!(get(&mut raw, &key), None);
    assert!(!b.held().unwrap() && !b.release().unwrap());
    assert!(a.try_acquire().unwrap());
    assert_eq!(a.fencing_token(), 3);
    // The holder takes it again: a fresh token and fence, as on every engine.
    let before = get(&mut raw, &key).unwrap();
    assert!(a.try_acquire().unwrap() && !b.try_acquire().unwrap());
    assert_eq!(a.fencing_token(), 4);
    assert_ne!(get(&mut raw, &key).unwrap(), before);
    // A key/value expiry on the lock's key: Grove's record with an expiry, which the lock
    // scripts still read (held until the lease ends; the fence goes on from the counter).
    assert!(db.expire(b"lock:deploy", Duration::from_secs(60)).unwrap());
    assert!(db.ttl(b"lock:deploy").unwrap().is_some());
    assert!(a.held().unwrap() && !b.try_acquire().unwrap());
    assert!(db.lock_info("deploy").unwrap().held);
    assert_eq!(db.lock_info("deploy").unwrap().fencing_token, 4);
    assert!(a.extend(Duration::from_secs(30)).unwrap());
    assert!(a.release().unwrap());
    assert!(b.try_acquire().unwrap());
    assert_eq!(b.fencing_token(), 5);
    assert!(db
        .expire(b"lock:deploy", Duration::from_millis(30))
        .unwrap());
    std::thread::sleep(Duration::from_millis(60));
    assert!(!db.lock_info("deploy").unwrap().held);
    assert!(a.try_acquire().unwrap());
    assert_eq!(a.fencing_token(), 6);
    // Another client's hand-written lock value is not Grove's: the generic path reports it.
    let _: () = redis::cmd("SET")
        .arg(format!("{tag}:klock:foreign"))
        .arg("hello")
        .query(&mut raw)
        .unwrap();
    let err = db
        .lock("foreign", Duration::from_secs(1))
        .unwrap()
        .try_acquire()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt, "{err}");
    db.close().unwrap();
}

#[test]
fn on_an_injected_clock_the_lease_follows_the_token() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let name = format!("lockclock{}", std::process::id());
    let db = Store::open_with(
        format!("{url}?store={name}"),
        Options::new().clock(clock.clone()),
    )
    .unwrap();
    let mut raw = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let key = format!("{{grove:{name}}}:klock:l");
    let a = db.lock("l", Duration::from_secs(10)).unwrap();
    let b = db.lock("l", Duration::from_secs(10)).unwrap();
    assert!(a.try_acquire().unwrap());
    let shown: String = redis::cmd("GET").arg(&key).query(&mut raw).unwrap();
    assert!(shown.ends_with("@1700000010000"), "{shown}");
    let pttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut raw).unwrap();
    assert_eq!(pttl, -1, "Redis must not expire on another clock");
    // A key/value expiry on it (kept in Grove's record here): still the same lock.
    assert!(db.expire(b"lock:l", Duration::from_secs(60)).unwrap());
    assert!(a.held().unwrap() && !b.try_acquire().unwrap());
    clock.advance(Duration::from_secs(10));
    assert!(!a.held().unwrap());
    assert!(b.try_acquire().unwrap());
    assert_eq!(b.fencing_token(), 2);
    assert_eq!(
        db.lock_info("l").unwrap().expires_in,
        Some(Duration::from_secs(10))
    );
    assert!(b.release().unwrap() && !a.release().unwrap());
    assert_eq!(db.kind_of(b"lock:l").unwrap(), Some(Kind::Lock));
    db.close().unwrap();
}

#[test]
fn fencing_tokens_keep_growing_across_a_lease_redis_expired() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let (db, tag, mut raw) = own_store(&url, "lockexpiry");
    let key = format!("{tag}:klock:short");
    let a = db.lock("short", Duration::from_millis(50)).unwrap();
    let b = db.lock("short", Duration::from_millis(50)).unwrap();
    let mut last = 0;
    for round in 0..3 {
        assert!(a.try_acquire().unwrap(), "round {round}");
        assert!(a.fencing_token() > last, "round {round}");
        assert!(!b.try_acquire().unwrap(), "round {round}");
        std::thread::sleep(Duration::from_millis(120));
        let exists: i64 = redis::cmd("EXISTS").arg(&key).query(&mut raw).unwrap();
        assert_eq!(exists, 0, "Redis reclaimed the lapsed lease");
        let info = db.lock_info("short").unwrap();
        assert!(!info.held && info.expires_in.is_none(), "{info:?}");
        assert_eq!(
            info.fencing_token,
            a.fencing_token(),
            "the fence outlives the key"
        );
        assert!(!a.held().unwrap() && !a.release().unwrap());
        assert!(!a.extend(Duration::from_secs(1)).unwrap());
        assert!(b.try_acquire().unwrap(), "round {round}");
        assert_eq!(b.fencing_token(), a.fencing_token() + 1, "round {round}");
        assert!(b.release().unwrap());
        last = b.fencing_token();
    }
    db.close().unwrap();
}

#[test]
fn a_lock_record_of_an_earlier_build_is_honoured() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let (db, tag, mut raw) = own_store(&url, "lockold");
    let key = format!("{tag}:klock:legacy");
    let put = |raw: &mut redis::Connection, v: Vec<u8>| {
        let _: () = redis::cmd("SET").arg(&key).arg(v).query(raw).unwrap();
        let _: () = redis::cmd("ZADD")
            .arg(format!("{tag}#index"))
            .arg(0)
            .arg("klock:legacy")
            .query(raw)
            .unwrap();
    };
    // Held by an owner of the earlier build for another minute: it stays held.
    let now = server_ms(&mut raw);
    put(&mut raw, old_lock_record(5, now + 60_000, &[7; 16]));
    let l = db.lock("legacy", Duration::from_secs(10)).unwrap();
    assert!(
        !l.try_acquire().unwrap(),
        "a live lease of the earlier build"
    );
    assert!(!l.held().unwrap() && !l.release().unwrap());
    let info = db.lock_info("legacy").unwrap();
    assert!(info.held, "{info:?}");
    assert_eq!(info.fencing_token, 5);
    assert!(
        info.expires_in.unwrap() > Duration::from_secs(55),
        "{info:?}"
    );
    assert_eq!(db.kind_of(b"lock:legacy").unwrap(), Some(Kind::Lock));
    // Its lease over: taken, with a fence above the record's, in the new layout.
    put(&mut raw, old_lock_record(7, now - 1, &[7; 16]));
    assert!(!db.lock_info("legacy").unwrap().held);
    assert!(l.try_acquire().unwrap());
    assert_eq!(l.fencing_token(), 8);
    let shown: String = redis::cmd("GET").arg(&key).query(&mut raw).unwrap();
    assert_eq!(shown.len(), 32, "{shown}");
    let fence: String = redis::cmd("GET")
        .arg(format!("{tag}#fence:klock:legacy"))
        .query(&mut raw)
        .unwrap();
    assert_eq!(fence, "8");
    assert!(l.release().unwrap());
    // A released record of the earlier build (no owner) is free; its fence still counts.
    put(&mut raw, old_lock_record(20, 0, &[]));
    assert_eq!(db.lock_info("legacy").unwrap().fencing_token, 20);
    assert!(l.try_acquire().unwrap());
    assert_eq!(l.fencing_token(), 21);
    db.close().unwrap();
}

#[test]
fn sessions_and_expiries_are_the_keys_own_deadlines() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let (db, tag, mut raw) = own_store(&url, "sessexp");
    let pttl = |raw: &mut redis::Connection, k: &str| -> i64 {
        redis::cmd("PTTL").arg(k).query(raw).unwrap()
    };
    let s = db.sessions(Duration::from_secs(60), "sess").unwrap();
    let id = s.create(b"cart").unwrap();
    let key = format!("{tag}:ksess:{id}");
    let left = pttl(&mut raw, &key);
    assert!(left > 55_000 && left <= 60_005, "PTTL {left}");
    // Another process (nothing seen by it) updates and touches in one step each.
    let other = db.second_engine_with_for_tests(Options::new()).unwrap();
    let s2 = other.sessions(Duration::from_secs(120), "sess").unwrap();
    assert!(s2.update(&id, b"cart2").unwrap());
    let left = pttl(&mut raw, &key);
    assert!(left > 115_000 && left <= 120_005, "PTTL {left}");
    assert_eq!(s.get(&id).unwrap().as_deref(), Some(&b"cart2"[..]));
    let s3 = other.sessions(Duration::from_secs(30), "sess").unwrap();
    assert!(s3.touch(&id).unwrap());
    let left = pttl(&mut raw, &key);
    assert!(left > 25_000 && left <= 30_005, "PTTL {left}");
    assert_eq!(s.get(&id).unwrap().as_deref(), Some(&b"cart2"[..]));
    // A session key holding something else: WrongType, nothing changed.
    db.set(format!("sess:{}", "B".repeat(43)).as_bytes(), b"x", None)
        .unwrap();
    let err = s2.update(&"B".repeat(43), b"y").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongType, "{err}");
    assert!(s2.delete(&id).unwrap());
    assert!(!s.exists(&id).unwrap() && !s2.touch(&id).unwrap());
    // Key/value expire and persist: the envelope and the key's own deadline together.
    db.set(b"k", b"v", None).unwrap();
    let kk = format!("{tag}:kk");
    assert_eq!(pttl(&mut raw, &kk), -1);
    assert!(other.expire(b"k", Duration::from_secs(10)).unwrap());
    let left = pttl(&mut raw, &kk);
    assert!(left > 5_000 && left <= 10_005, "PTTL {left}");
    let t = db.ttl(b"k").unwrap().unwrap();
    assert!(
        t > Duration::from_secs(5) && t <= Duration::from_secs(11),
        "{t:?}"
    );
    assert!(other.persist(b"k").unwrap());
    assert!(!other.persist(b"k").unwrap(), "no expiry left");
    assert_eq!(pttl(&mut raw, &kk), -1);
    assert_eq!(db.ttl(b"k").unwrap(), None);
    assert_eq!(db.get(b"k").unwrap().as_deref(), Some(&b"v"[..]));
    assert!(other.expire(b"k", Duration::ZERO).unwrap());
    assert!(!db.exists(b"k").unwrap());
    assert!(!other.expire(b"k", Duration::from_secs(1)).unwrap());
    // Counters keep theirs as the key's only: the generic path, the same answers.
    db.counter("c").unwrap().increment(3).unwrap();
    assert!(other.expire(b"counter:c", Duration::from_secs(10)).unwrap());
    let left = pttl(&mut raw, &format!("{tag}:kcounter:c"));
    assert!(left > 5_000 && left <= 10_005, "PTTL {left}");
    assert_eq!(db.counter("c").unwrap().get().unwrap(), 3);
    assert_eq!(db.counter("c").unwrap().increment(1).unwrap(), 4);
    let left = pttl(&mut raw, &format!("{tag}:kcounter:c"));
    assert!(
        left > 5_000 && left <= 10_005,
        "an increment keeps it: PTTL {left}"
    );
    assert!(other.persist(b"counter:c").unwrap());
    assert!(!other.persist(b"counter:c").unwrap());
    assert_eq!(db.ttl(b"counter:c").unwrap(), None);
    assert!(other.expire(b"counter:c", Duration::ZERO).unwrap());
    assert!(!db.exists(b"counter:c").unwrap());
    // Leaderboard members stay the leaderboard's to remove.
    db.leaderboard("b").unwrap().add("ann", 1.0).unwrap();
    let err = other
        .expire(b"lb:b:ann", Duration::from_secs(1))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongType, "{err}");
    other.close().unwrap();
    db.close().unwrap();
}

/// A named operation whose round trips are counted.
type Op<'a> = (&'a str, Box<dyn Fn() + 'a>);

/// Client commands (not those a script runs) the server saw naming store `tag` between the
/// markers `ECHO <tag>:mark:<op>` sent in order; MONITOR lists each command once.
fn round_trips(url: &str, tag: &str, ops: &[Op<'_>]) -> Vec<(String, usize)> {
    use std::sync::mpsc;
    let client = redis::Client::open(url).unwrap();
    let mut mon = client.get_connection().unwrap();
    mon.send_packed_command(&redis::cmd("MONITOR").get_packed_command())
        .unwrap();
    let _ = mon.recv_response().unwrap();
    let end = format!("{tag}:mark:end");
    let (tx, rx) = mpsc::channel();
    let end2 = end.clone();
    let tag2 = tag.to_string();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        loop {
            let line: String = match mon.recv_response().unwrap() {
                redis::Value::SimpleString(s) => s,
                other => format!("{other:?}"),
            };
            if line.contains(&tag2) && !line.contains(" lua]") {
                let done = line.contains(&end2);
                lines.push(line);
                if done {
                    break;
                }
            }
        }
        tx.send(lines).unwrap();
    });
    let mut marker = client.get_connection().unwrap();
    let mark = |m: &mut redis::Connection, what: &str| {
        let _: String = redis::cmd("ECHO")
            .arg(format!("{tag}:mark:{what}"))
            .query(m)
            .unwrap();
    };
    // MONITOR starts listing at once, but let the reader be waiting.
    std::thread::sleep(Duration::from_millis(50));
    for (name, op) in ops {
        mark(&mut marker, name);
        op();
    }
    mark(&mut marker, "end");
    let lines = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    reader.join().unwrap();
    let mut out: Vec<(String, usize)> = Vec::new();
    for line in lines {
        if let Some(i) = line.find(&format!("{tag}:mark:")) {
            let name = line[i + tag.len() + 6..].trim_end_matches('"').to_string();
            out.push((name, 0));
        } else if let Some(last) = out.last_mut() {
            last.1 += 1;
        }
    }
    out.retain(|(n, _)| n != "end");
    out
}

#[test]
fn every_lock_session_and_expiry_operation_is_one_round_trip() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let (db, tag, _raw) = own_store(&url, "trips");
    // Another process's view: it has seen nothing, so no guess saves a read.
    let other = db.second_engine_with_for_tests(Options::new()).unwrap();
    let sess = db.sessions(Duration::from_secs(60), "s").unwrap();
    let sess2 = other.sessions(Duration::from_secs(60), "s").unwrap();
    let a = db.lock("l", Duration::from_secs(30)).unwrap();
    let b = other.lock("l", Duration::from_secs(30)).unwrap();
    let id = std::cell::RefCell::new(String::new());
    let ops: Vec<Op<'_>> = vec![
        (
            "lock.try_acquire",
            Box::new(|| assert!(a.try_acquire().unwrap())),
        ),
        (
            "lock.try_acquire refused",
            Box::new(|| assert!(!b.try_acquire().unwrap())),
        ),
        ("lock.held", Box::new(|| assert!(a.held().unwrap()))),
        (
            "lock.extend",
            Box::new(|| assert!(a.extend(Duration::from_secs(60)).unwrap())),
        ),
        (
            "lock_info",
            Box::new(|| assert!(db.lock_info("l").unwrap().held)),
        ),
        ("lock.release", Box::new(|| assert!(a.release().unwrap()))),
        (
            "session.create",
            Box::new(|| *id.borrow_mut() = sess.create(b"d").unwrap()),
        ),
        (
            "session.get",
            Box::new(|| assert!(sess2.get(&id.borrow()).unwrap().is_some())),
        ),
        (
            "session.update",
            Box::new(|| assert!(sess2.update(&id.borrow(), b"e").unwrap())),
        ),
        (
            "session.touch",
            Box::new(|| assert!(sess2.touch(&id.borrow()).unwrap())),
        ),
        (
            "session.exists",
            Box::new(|| assert!(sess2.exists(&id.borrow()).unwrap())),
        ),
        (
            "session.delete",
            Box::new(|| assert!(sess2.delete(&id.borrow()).unwrap())),
        ),
        (
            "kv.expire",
            Box::new(|| assert!(other.expire(b"k", Duration::from_secs(60)).unwrap())),
        ),
        (
            "kv.ttl",
            Box::new(|| assert!(other.ttl(b"k").unwrap().is_some())),
        ),
        (
            "kv.persist",
            Box::new(|| assert!(other.persist(b"k").unwrap())),
        ),
        (
            "kv.expire (counter)",
            Box::new(|| assert!(other.expire(b"counter:c", Duration::from_secs(60)).unwrap())),
        ),
        (
            "kv.persist (counter)",
            Box::new(|| assert!(other.persist(b"counter:c").unwrap())),
        ),
    ];
    db.set(b"k", b"v", None).unwrap();
    db.counter("c").unwrap().increment(1).unwrap();
    // Once to load the scripts (a first EVALSHA may meet NOSCRIPT), then counted.
    for (_, op) in &ops {
        op();
    }
    let counted = round_trips(&url, &tag, &ops);
    assert_eq!(counted.len(), ops.len(), "{counted:?}");
    for (name, n) in &counted {
        assert_eq!(*n, 1, "{name}: {n} round trips ({counted:?})");
    }
    other.close().unwrap();
    db.close().unwrap();
}

/// Grove's envelope around a rate limiter's log, as `ratelimit.rs` encodes it: varint count,
/// then per entry varint(ms since the previous entry) and varint(cost).
fn rate_record(expires_at: u64, log: &[(u64, u64)]) -> Vec<u8> {
    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut out = vec![4, 1];
    out.extend_from_slice(&expires_at.to_be_bytes());
    varint(&mut out, log.len() as u64);
    let mut prev = 0;
    for &(t, c) in log {
        varint(&mut out, t - prev);
        varint(&mut out, c);
        prev = t;
    }
    out
}

#[test]
fn a_rate_limiter_is_grove_s_record_with_the_server_s_deadline() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let mut raw = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let name = format!("rl{}", std::process::id());
    let db = Store::open(format!("{url}?store={name}")).unwrap();
    let key = format!("{{grove:{name}}}:kratelimit:api:k");
    let w = Duration::from_secs(60);
    let rl = db.rate_limiter("api", 10, w).unwrap();
    let d = rl.allow("k", 3).unwrap();
    assert!(d.allowed && d.remaining == 7 && d.reset_after == w, "{d:?}");
    // On the server's clock: the record's expiry is the entry's time plus the window, and it is
    // the key's own deadline too.
    let bytes: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut raw).unwrap();
    let exp = u64::from_be_bytes(bytes[2..10].try_into().unwrap());
    let t = exp - 60_000;
    assert_eq!(bytes, rate_record(exp, &[(t, 3)]));
    let pexpiretime: i64 = redis::cmd("PEXPIRETIME").arg(&key).query(&mut raw).unwrap();
    assert_eq!(pexpiretime, exp as i64);
    let (secs, micros): (u64, u64) = redis::cmd("TIME").query(&mut raw).unwrap();
    let server_now = secs * 1000 + micros / 1000;
    assert!(
        t <= server_now && server_now - t < 5_000,
        "{t} vs {server_now}"
    );
    // Listed in the index like every key, so keys() sees it.
    let listed: Option<f64> = redis::cmd("ZSCORE")
        .arg(format!("{{grove:{name}}}#index"))
        .arg("kratelimit:api:k")
        .query(&mut raw)
        .unwrap();
    assert_eq!(listed, Some(0.0));
    assert_eq!(
        db.get(b"ratelimit:api:k").unwrap_err().kind(),
        ErrorKind::WrongType
    );
    assert!(rl.reset("k").unwrap());
    assert_eq!(rl.peek("k").unwrap().remaining, 10);
    // Another Redis type at the key: refused as on the generic path, and left alone.
    let _: () = redis::cmd("RPUSH")
        .arg(&key)
        .arg("x")
        .query(&mut raw)
        .unwrap();
    assert!(rl.allow("k", 1).is_err());
    let ty: String = redis::cmd("TYPE").arg(&key).query(&mut raw).unwrap();
    assert_eq!(ty, "list");
    let _: () = redis::cmd("DEL").arg(&key).query(&mut raw).unwrap();
    db.close().unwrap();

    // On an injected clock: byte for byte what the generic path writes (one entry per ms, a
    // second request in the same ms added to it), with no deadline of the server's.
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let name = format!("rlclock{}", std::process::id());
    let db = Store::open_with(
        format!("{url}?store={name}"),
        Options::new().clock(clock.clone()),
    )
    .unwrap();
    let key = format!("{{grove:{name}}}:kratelimit:api:k");
    let rl = db.rate_limiter("api", 10, w).unwrap();
    let t0 = 1_700_000_000_000;
    assert!(rl.allow("k", 2).unwrap().allowed);
    assert!(rl.allow("k", 1).unwrap().allowed);
    assert!(rl.allow("k", 0).unwrap().allowed);
    clock.advance(Duration::from_millis(5));
    let d = rl.allow("k", 4).unwrap();
    assert_eq!(d.remaining, 3);
    let bytes: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut raw).unwrap();
    assert_eq!(bytes, rate_record(t0 + 5 + 60_000, &[(t0, 3), (t0 + 5, 4)]));
    let pexpiretime: i64 = redis::cmd("PEXPIRETIME").arg(&key).query(&mut raw).unwrap();
    assert_eq!(pexpiretime, -1);
    // A record an older build wrote (the same encoding) is read and extended in place.
    let old = rate_record(t0 + 1_000 + 60_000, &[(t0 - 30_000, 6), (t0 + 1_000, 1)]);
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(&old)
        .query(&mut raw)
        .unwrap();
    let p = rl.peek("k").unwrap();
    assert!(p.allowed && p.remaining == 3, "{p:?}");
    assert_eq!(p.reset_after, Duration::from_millis(61_000 - 5));
    let d = rl.allow("k", 4).unwrap();
    assert!(!d.allowed && d.remaining == 3, "{d:?}");
    // Never before the newest entry: `allow` counts from t0 + 1000 (the newest entry, later
    // than the clock's t0 + 5), where `peek` above counted from the clock.
    assert_eq!(d.retry_after, Duration::from_millis(30_000 - 1_000));
    assert!(rl.allow("k", 2).unwrap().allowed);
    let bytes: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut raw).unwrap();
    assert_eq!(
        bytes,
        rate_record(t0 + 1_000 + 60_000, &[(t0 - 30_000, 6), (t0 + 1_000, 3)])
    );
    db.close().unwrap();
}

#[test]
fn redis_clients_see_a_leaderboard_as_a_sorted_set_of_true_scores() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let (db, prefix) = fresh(&url);
    let tag = prefix.trim_end_matches(":k");
    let mut raw = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    let lb = db.leaderboard("scores").unwrap();
    lb.add("alice", 120.5).unwrap();
    lb.add("carol", 120.5).unwrap();
    assert_eq!(lb.incr("bob", 0.1).unwrap(), 0.1);
    assert_eq!(lb.incr("bob", 0.2).unwrap(), 0.1 + 0.2);
    lb.add("zero", -0.0).unwrap();
    let zset = format!("{tag}#lb:klb:scores:");
    let shown: Vec<(String, f64)> = redis::cmd("ZRANGE")
        .arg(&zset)
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query(&mut raw)
        .unwrap();
    assert_eq!(
        shown,
        [
            ("zero".to_string(), 0.0),
            ("bob".to_string(), 0.1 + 0.2),
            ("alice".to_string(), 120.5),
            ("carol".to_string(), 120.5)
        ],
        "redis-cli ZRANGE {zset} 0 -1 WITHSCORES shows the true scores"
    );
    // Grove's order: ties by member ascending (ZREVRANGE would put carol first).
    let top: Vec<_> = lb.top(2).unwrap().into_iter().map(|r| r.member).collect();
    assert_eq!(top, ["alice", "carol"]);
    assert_eq!(lb.rank("carol").unwrap(), Some(1));
    // Each member keeps Grove's record, so the key/value API sees members as on every engine.
    let record: Vec<u8> = redis::cmd("GET")
        .arg(format!("{prefix}lb:scores:alice"))
        .query(&mut raw)
        .unwrap();
    assert_eq!(
        record,
        [&[6u8, 0][..], &120.5f64.to_bits().to_be_bytes()].concat()
    );
    assert_eq!(
        db.kind_of(b"lb:scores:alice").unwrap(),
        Some(grove_core::Kind::Leaderboard)
    );
    let keys: Vec<Vec<u8>> = db
        .keys(b"lb:scores:")
        .unwrap()
        .collect::<grove_core::Result<_>>()
        .unwrap();
    assert_eq!(keys.len(), 4);
    // A Redis type Grove did not write at a member's key: WrongType, not a member, unchanged.
    let _: () = redis::cmd("HSET")
        .arg(format!("{prefix}lb:scores:foreign"))
        .arg("f")
        .arg("v")
        .query(&mut raw)
        .unwrap();
    assert_eq!(
        lb.add("foreign", 1.0).unwrap_err().kind(),
        ErrorKind::WrongType
    );
    assert!(!lb.remove("foreign").unwrap());
    assert_eq!(lb.len().unwrap(), 4);
    assert_eq!(lb.clear().unwrap(), 4);
    let left: i64 = redis::cmd("EXISTS")
        .arg(&zset)
        .arg(format!("{prefix}lb:scores:alice"))
        .query(&mut raw)
        .unwrap();
    assert_eq!(left, 0, "clear leaves neither the set nor the records");
    assert_eq!(lb.index_heap_bytes().unwrap(), 0);
    assert_eq!(lb.change_log_len().unwrap(), 0);
    db.close().unwrap();
}

#[test]
fn auth_is_required_and_checked() {
    let Some(url) = std::env::var("GROVE_TEST_REDIS_AUTH").ok() else {
        eprintln!("NOTE: GROVE_TEST_REDIS_AUTH is not set: AUTH not tested");
        return;
    };
    // url is redis://grove:PASSWORD@127.0.0.1:PORT
    let password = url
        .split("grove:")
        .nth(1)
        .unwrap()
        .split('@')
        .next()
        .unwrap();
    let db = Store::open(format!("{url}?store=auth")).unwrap();
    assert!(db.counter("c").unwrap().increment(1).unwrap() >= 1);
    db.close().unwrap();
    let wrong = url.replacen("grove:", "grove:wrong", 1);
    let err = Store::open(&wrong).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(!err.message().contains(password), "{err}");
    let anonymous = format!("redis://{}", url.rsplit('@').next().unwrap());
    let err = Store::open(&anonymous).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(!err.message().contains(password), "{err}");
}

#[test]
fn an_unreachable_server_is_io_naming_it_within_the_timeout() {
    let started = Instant::now();
    let err = Store::open_with(
        "redis://10.255.255.1:6379",
        Options::new().connect_timeout(Duration::from_millis(500)),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.message().contains("10.255.255.1:6379"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn durable_on_redis_is_refused_as_the_servers_setting() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let err = Store::open_with(
        &url,
        Options::new().durability(grove_core::Durability::EveryWrite),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.message().contains("appendfsync"), "{err}");
}

/// The TLS server of the test command (`GROVE_TEST_REDIS_TLS`, AUTH required) and the folder of
/// its throwaway certificates (`GROVE_TEST_REDIS_TLS_DIR`).
fn tls_server() -> Option<(String, std::path::PathBuf)> {
    let url = std::env::var("GROVE_TEST_REDIS_TLS").ok()?;
    let dir = std::env::var("GROVE_TEST_REDIS_TLS_DIR").ok()?;
    Some((url, dir.into()))
}

#[test]
fn tls_with_auth_carries_every_primitive_and_refuses_what_it_should() {
    let Some((url, dir)) = tls_server() else {
        eprintln!("NOTE: GROVE_TEST_REDIS_TLS is not set: TLS not tested");
        return;
    };
    let ca = dir.join("ca.pem");
    let name = format!("tls{}", std::process::id());
    let target = format!("{url}?store={name}&ca={}", ca.display());
    let db = Store::open(&target).unwrap();
    assert_eq!(db.counter("c").unwrap().increment(5).unwrap(), 5);
    db.set(b"k", b"secret value", None).unwrap();
    assert_eq!(db.get(b"k").unwrap().unwrap(), b"secret value");
    let lock = db.lock("l", Duration::from_secs(10)).unwrap();
    assert!(lock.try_acquire().unwrap());
    assert!(lock.release().unwrap());
    let q = db.queue("q", Duration::from_secs(10), 3).unwrap();
    let id = q.enqueue(b"job", Duration::ZERO).unwrap();
    let job = q.dequeue().unwrap().unwrap();
    assert_eq!((job.id, job.payload.as_slice()), (id, &b"job"[..]));
    assert!(q.ack(id).unwrap());
    let lb = db.leaderboard("b").unwrap();
    lb.add("ann", 3.0).unwrap();
    assert_eq!(lb.rank("ann").unwrap(), Some(0));
    db.close().unwrap();

    // A second handle, with a client certificate too (the server accepts one when offered).
    let mtls = format!(
        "{target}&cert={}&key={}",
        dir.join("client.pem").display(),
        dir.join("client.key").display()
    );
    let db = Store::open(&mtls).unwrap();
    assert_eq!(db.counter("c").unwrap().get().unwrap(), 5);
    db.close().unwrap();

    let io = |t: &str| {
        let err = Store::open_with(t, Options::new().connect_timeout(Duration::from_secs(3)))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Io, "{t}: {err}");
        err.message().to_string()
    };
    // A server whose certificate no trusted CA signed.
    let other = format!("{url}?ca={}", dir.join("other-ca.pem").display());
    let m = io(&other);
    let port = url.rsplit(':').next().unwrap();
    assert!(
        m.contains(&format!(":{port}")),
        "the message names the server: {m}"
    );
    // Plain text to the TLS port is not a Redis conversation.
    io(&url.replacen("rediss://", "redis://", 1));
    // TLS without the password.
    let anonymous = format!(
        "rediss://{}?ca={}",
        url.rsplit('@').next().unwrap(),
        ca.display()
    );
    let m = io(&anonymous);
    assert!(m.contains("authentication"), "{m}");
    // A CA file that is not there.
    let m = io(&format!("{url}?ca={}", dir.join("missing.pem").display()));
    assert!(m.contains("missing.pem"), "{m}");
}

#[test]
fn handles_opening_a_fresh_store_at_once_agree_on_its_node_id() {
    // Each open of a Redis store is an engine of its own, as each process's is: threads racing
    // to open a fresh store race as processes do (a CI run saw a process's CRDT writes refused
    // because a later opener had overwritten the id it opened with).
    let Some(url) = common::redis_url() else {
        return;
    };
    for round in 0..20 {
        let target = format!("{url}?store=nodeid{}x{round}", std::process::id());
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let (target, barrier) = (target.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let db = Store::open(&target).unwrap();
                    db.crdt_counter("c").unwrap().increment(1).unwrap();
                    db.node_id().to_string()
                })
            })
            .collect();
        let ids: std::collections::BTreeSet<String> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(
            ids.len(),
            1,
            "round {round}: one store, one node id: {ids:?}"
        );
        let db = Store::open(&target).unwrap();
        assert_eq!(db.crdt_counter("c").unwrap().value().unwrap(), 8);
        assert_eq!(Some(db.node_id()), ids.iter().next().map(String::as_str));
    }
}

/// A `MONITOR` connection's lines, read on a thread of their own.
struct Monitor {
    lines: std::sync::mpsc::Receiver<String>,
    marks: u64,
}

impl Monitor {
    fn new(client: &redis::Client) -> Monitor {
        let mut mon = client.get_connection().unwrap();
        let _: () = redis::cmd("MONITOR").query(&mut mon).unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            while let Ok(v) = mon.recv_response() {
                let line: String = redis::from_redis_value(v).unwrap_or_default();
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Monitor { lines, marks: 0 }
    }

    /// The commands naming `tag` that clients sent since the last call (not those a script
    /// ran: their lines say `lua]`), up to a mark sent now on `raw`.
    fn seen(&mut self, raw: &mut redis::Connection, tag: &str) -> Vec<String> {
        self.marks += 1;
        let mark = format!("{tag}-mark-{}", self.marks);
        let _: String = redis::cmd("ECHO").arg(&mark).query(raw).unwrap();
        let mut out = Vec::new();
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(10))
                .expect("the monitor shows the mark");
            if line.contains(&mark) {
                return out;
            }
            if line.contains(tag) && !line.contains("lua]") && !line.contains("-mark-") {
                out.push(line);
            }
        }
    }
}

#[test]
fn redis_clients_see_a_queue_as_hashes_and_sorted_sets_one_script_per_operation() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let name = format!("qlayout{}", std::process::id());
    let db = Store::open(format!("{url}?store={name}")).unwrap();
    let tag = format!("{{grove:{name}}}");
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut raw = client.get_connection().unwrap();
    let q = db.queue("tasks", Duration::from_secs(30), 2).unwrap();
    // Every script loaded (a first call may load its script: a round trip of its own).
    let warm = q.enqueue(b"warm", Duration::ZERO).unwrap();
    assert_eq!(warm, 1);
    let j = q.dequeue().unwrap().unwrap();
    assert!(q.nack(j.id, Duration::ZERO).unwrap());
    let j = q.dequeue().unwrap().unwrap();
    assert!(q.ack(j.id).unwrap());
    q.stats().unwrap();
    q.dead_letters().unwrap();

    let mut mon = Monitor::new(&client);
    let mut ping = client.get_connection().unwrap();
    let mut one_round_trip = |what: &str, op: &mut dyn FnMut()| {
        mon.seen(&mut ping, &tag);
        op();
        let seen = mon.seen(&mut ping, &tag);
        assert_eq!(seen.len(), 1, "{what}: one round trip, saw {seen:#?}");
        assert!(seen[0].contains("\"EVALSHA\""), "{what}: {}", seen[0]);
    };
    let payload = [0u8, 255, 10, 13, 0];
    let mut id = 0;
    one_round_trip("enqueue", &mut || {
        id = q.enqueue(&payload, Duration::ZERO).unwrap()
    });
    let mut later = 0;
    one_round_trip("delayed enqueue", &mut || {
        later = q.enqueue(b"later", Duration::from_secs(3600)).unwrap()
    });
    one_round_trip("dequeue", &mut || {
        let j = q.dequeue().unwrap().unwrap();
        assert_eq!(
            (j.id, j.payload.as_slice(), j.attempts),
            (id, &payload[..], 1)
        );
    });
    one_round_trip("stats", &mut || {
        let s = q.stats().unwrap();
        assert_eq!((s.ready, s.in_flight, s.dead), (1, 1, 0));
    });

    // What redis-cli shows.
    let keys = |part: &str| format!("{tag}#q:kqueue:tasks:{part}");
    let ty = |k: &str, raw: &mut redis::Connection| -> String {
        redis::cmd("TYPE").arg(k).query(raw).unwrap()
    };
    for (part, want) in [
        ("meta", "hash"),
        ("jobs", "hash"),
        ("sched", "zset"),
        ("dead", "none"),
    ] {
        assert_eq!(ty(&keys(part), &mut raw), want, "{part}");
    }
    let meta: std::collections::HashMap<String, i64> = redis::cmd("HGETALL")
        .arg(keys("meta"))
        .query(&mut raw)
        .unwrap();
    assert_eq!(
        meta,
        [("last_id".to_string(), 3), ("ready".to_string(), 1)].into(),
        "the highest id given and the ready count (in flight: the schedule's size minus it)"
    );
    let sched: Vec<(String, i64)> = redis::cmd("ZRANGE")
        .arg(keys("sched"))
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query(&mut raw)
        .unwrap();
    let now: (i64, i64) = redis::cmd("TIME").query(&mut raw).unwrap();
    let now = now.0 * 1000 + now.1 / 1000;
    assert_eq!(sched.len(), 2, "{sched:?}");
    assert_eq!(
        sched[0].0, "0000000000000002",
        "in flight: its visibility deadline"
    );
    assert!(
        (sched[0].1 - (now + 30_000)).abs() < 2_000,
        "{sched:?} at {now}"
    );
    assert_eq!(sched[1].0, "0000000000000003", "delayed: its delay");
    assert!((sched[1].1 - (now + 3_600_000)).abs() < 2_000, "{sched:?}");
    let jobs: std::collections::HashMap<String, Vec<u8>> = redis::cmd("HGETALL")
        .arg(keys("jobs"))
        .query(&mut raw)
        .unwrap();
    assert_eq!(jobs["0000000000000002"], payload, "the payload as given");
    let info = String::from_utf8(jobs["0000000000000002:i"].clone()).unwrap();
    let enqueued: u64 = info["in_flight 1 ".len()..].parse().unwrap();
    assert!(
        (enqueued as i64 - now).abs() < 2_000,
        "{info}: state, attempts, enqueued at"
    );
    assert_eq!(
        String::from_utf8(jobs["0000000000000003:i"].clone())
            .unwrap()
            .split(' ')
            .next(),
        Some("ready")
    );
    // No record: nothing under queue: is listed, and the index does not grow with jobs.
    assert_eq!(db.keys(b"queue:").unwrap().count(), 0);
    let index: i64 = redis::cmd("ZCARD")
        .arg(format!("{tag}#index"))
        .query(&mut raw)
        .unwrap();
    one_round_trip("nack", &mut || assert!(q.nack(id, Duration::ZERO).unwrap()));
    one_round_trip("dequeue again", &mut || {
        assert_eq!(q.dequeue().unwrap().unwrap().attempts, 2)
    });
    one_round_trip("ack", &mut || assert!(q.ack(id).unwrap()));
    one_round_trip("ack of an unknown id", &mut || {
        assert!(!q.ack(999).unwrap())
    });
    // Max attempts 2: the third delivery of a job dead-letters it.
    let d = q.enqueue(b"doomed", Duration::ZERO).unwrap();
    for _ in 0..2 {
        assert_eq!(q.dequeue().unwrap().unwrap().id, d);
        assert!(q.nack(d, Duration::ZERO).unwrap());
    }
    one_round_trip("dequeue that dead-letters", &mut || {
        assert_eq!(q.dequeue().unwrap(), None)
    });
    one_round_trip("dead letters", &mut || {
        let dead = q.dead_letters().unwrap();
        assert_eq!((dead.len(), dead[0].id, dead[0].attempts), (1, d, 2));
    });
    let dead: Vec<(String, i64)> = redis::cmd("ZRANGE")
        .arg(keys("dead"))
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query(&mut raw)
        .unwrap();
    assert_eq!(dead, [(format!("{d:016}"), d as i64)]);
    let after: i64 = redis::cmd("ZCARD")
        .arg(format!("{tag}#index"))
        .query(&mut raw)
        .unwrap();
    assert_eq!(after, index, "queue jobs add nothing to the index");

    // Something else at a queue's key: WrongType, and nothing changed.
    let _: () = redis::cmd("SET")
        .arg(format!("{tag}#q:kqueue:foreign:jobs"))
        .arg("not a hash")
        .query(&mut raw)
        .unwrap();
    let foreign = db.queue("foreign", Duration::from_secs(30), 2).unwrap();
    let err = foreign.enqueue(b"x", Duration::ZERO).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongType, "{err}");
    let _: () = redis::cmd("SET")
        .arg(format!("{tag}#q:kqueue:foreign2:meta"))
        .arg("not a hash")
        .query(&mut raw)
        .unwrap();
    let foreign2 = db.queue("foreign2", Duration::from_secs(30), 2).unwrap();
    assert_eq!(foreign2.stats().unwrap_err().kind(), ErrorKind::WrongType);
    assert_eq!(
        foreign2.enqueue(b"x", Duration::ZERO).unwrap_err().kind(),
        ErrorKind::WrongType
    );
    db.close().unwrap();
}

/// A queue record of the generic layout earlier builds wrote: `[7][0]` + `payload`.
fn old_record(payload: &[u8]) -> Vec<u8> {
    [&[7u8, 0][..], payload].concat()
}

#[test]
fn a_queue_of_the_earlier_generic_layout_is_moved_over_whole_at_the_first_call() {
    let Some(url) = common::redis_url() else {
        return;
    };
    let name = format!("qmigrate{}", std::process::id());
    let tag = format!("{{grove:{name}}}");
    let mut raw = redis::Client::open(url.as_str())
        .unwrap()
        .get_connection()
        .unwrap();
    // As an earlier build left it: job 1 ready, 2 in flight (attempts 1, lease far ahead), 3
    // dead after 3 deliveries, 4 ready but delayed; the meta's next id 5.
    let far = 4_000_000_000_000u64;
    let be = |n: u64| n.to_be_bytes().to_vec();
    let job = |state: u8, attempts: u32, enq: u64, vis: u64, payload: &[u8]| {
        old_record(
            &[
                vec![state],
                attempts.to_be_bytes().to_vec(),
                be(enq),
                be(vis),
                payload.to_vec(),
            ]
            .concat(),
        )
    };
    let t0 = 1_700_000_000_000u64;
    let records: Vec<(String, Vec<u8>)> = vec![
        (
            "meta".into(),
            old_record(&[be(5), be(2), be(1), be(1)].concat()),
        ),
        (format!("j:{:016x}", 1), job(0, 0, t0, t0, b"one")),
        (format!("j:{:016x}", 2), job(1, 1, t0, far, b"two")),
        (format!("j:{:016x}", 3), job(2, 3, t0, t0, b"three")),
        (format!("j:{:016x}", 4), job(0, 0, t0, far, b"four")),
        (format!("s:{t0:016x}{:016x}", 1), old_record(b"")),
        (format!("s:{far:016x}{:016x}", 2), old_record(b"")),
        (format!("s:{far:016x}{:016x}", 4), old_record(b"")),
        (format!("d:{:016x}", 3), old_record(b"")),
    ];
    for (queue, (suffix, value)) in ["old", "old2", "old3"]
        .iter()
        .flat_map(|q| records.iter().map(move |r| (q, r)))
    {
        let pk = format!("kqueue:{queue}:{suffix}");
        let _: () = redis::cmd("SET")
            .arg(format!("{tag}:{pk}"))
            .arg(value)
            .query(&mut raw)
            .unwrap();
        let _: () = redis::cmd("ZADD")
            .arg(format!("{tag}#index"))
            .arg(0)
            .arg(&pk)
            .query(&mut raw)
            .unwrap();
    }
    let db = Store::open(format!("{url}?store={name}")).unwrap();
    let q = db.queue("old", Duration::from_secs(30), 3).unwrap();
    let s = q.stats().unwrap();
    assert_eq!((s.ready, s.in_flight, s.dead), (2, 1, 1), "counts moved");
    let left: i64 = redis::cmd("ZLEXCOUNT")
        .arg(format!("{tag}#index"))
        .arg("[kqueue:old:")
        .arg("[kqueue:old:\u{7f}")
        .query(&mut raw)
        .unwrap();
    assert_eq!(left, 0, "no old record left in the index");
    let old_meta: i64 = redis::cmd("EXISTS")
        .arg(format!("{tag}:kqueue:old:meta"))
        .arg(format!("{tag}:kqueue:old:j:{:016x}", 1))
        .query(&mut raw)
        .unwrap();
    assert_eq!(old_meta, 0);
    let j = q.dequeue().unwrap().unwrap();
    assert_eq!(
        (j.id, j.payload.as_slice(), j.attempts),
        (1, &b"one"[..], 1)
    );
    assert_eq!(j.enqueued_at_ms, t0);
    assert_eq!(q.dequeue().unwrap(), None, "2 in flight, 4 delayed");
    assert!(q.ack(2).unwrap(), "the in-flight job is still in flight");
    let dead = q.dead_letters().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].id, dead[0].payload.as_slice(), dead[0].attempts),
        (3, &b"three"[..], 3)
    );
    assert_eq!(q.enqueue(b"five", Duration::ZERO).unwrap(), 5, "ids go on");
    let s = q.stats().unwrap();
    assert_eq!((s.ready, s.in_flight, s.dead), (2, 1, 1));
    // Whatever the first call is, it moves the queue first: an enqueue (which takes the next
    // id), an ack.
    let q2 = db.queue("old2", Duration::from_secs(30), 3).unwrap();
    assert_eq!(q2.enqueue(b"five", Duration::ZERO).unwrap(), 5);
    let s = q2.stats().unwrap();
    assert_eq!((s.ready, s.in_flight, s.dead), (3, 1, 1));
    let q3 = db.queue("old3", Duration::from_secs(30), 3).unwrap();
    assert!(q3.ack(2).unwrap());
    assert_eq!(q3.dequeue().unwrap().unwrap().payload, b"one");
    let left: i64 = redis::cmd("ZLEXCOUNT")
        .arg(format!("{tag}#index"))
        .arg("[kqueue:")
        .arg("[kqueue:\u{7f}")
        .query(&mut raw)
        .unwrap();
    assert_eq!(left, 0);
    db.close().unwrap();
}
