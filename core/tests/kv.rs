//! KV semantics: TTL with an injected clock, purge, WrongType, key limits, close, namespaces.

mod common;

use grove_core::{ErrorKind, Kind, ManualClock, Store, MAX_KEY_LEN, MAX_VALUE_LEN};
use std::sync::Arc;
use std::time::Duration;

fn each(f: impl Fn(&str, &Store, &ManualClock)) {
    let clock = Arc::new(ManualClock::default());
    let (stores, _dir) = common::engines(clock.clone());
    for (name, db) in &stores {
        f(name, db, &clock);
    }
}

#[test]
fn ttl_expires_at_once_without_sleeping_and_purge_reclaims() {
    each(|name, db, clock| {
        db.set(b"short", b"1", Some(Duration::from_secs(10)))
            .unwrap();
        db.set(b"long", b"2", Some(Duration::from_secs(100)))
            .unwrap();
        db.set(b"forever", b"3", None).unwrap();
        assert_eq!(db.ttl(b"short").unwrap(), Some(Duration::from_secs(10)));
        assert_eq!(db.ttl(b"forever").unwrap(), None);
        clock.advance(Duration::from_millis(9_999));
        assert!(db.exists(b"short").unwrap(), "{name}");
        clock.advance(Duration::from_millis(1));
        assert_eq!(
            db.get(b"short").unwrap(),
            None,
            "{name}: expired keys are invisible at once"
        );
        assert!(!db.exists(b"short").unwrap());
        assert_eq!(db.ttl(b"short").unwrap_err().kind(), ErrorKind::NotFound);
        let keys: Vec<_> = db.keys(b"").unwrap().map(|k| k.unwrap()).collect();
        assert_eq!(keys, vec![b"forever".to_vec(), b"long".to_vec()]);
        clock.advance(Duration::from_secs(100));
        // `long` has expired but was never read: purge reclaims it.
        assert_eq!(db.purge_expired().unwrap(), 1, "{name}");
        assert_eq!(db.purge_expired().unwrap(), 0);
        assert_eq!(db.get(b"forever").unwrap(), Some(b"3".to_vec()));
    });
}

#[test]
fn expire_persist_and_counters_with_ttl() {
    each(|name, db, clock| {
        assert!(!db.expire(b"missing", Duration::from_secs(1)).unwrap());
        let c = db.counter("hits").unwrap();
        c.increment(5).unwrap();
        assert!(db.expire(b"counter:hits", Duration::from_secs(5)).unwrap());
        c.increment(1).unwrap(); // keeps the expiry, like Redis INCR
        assert_eq!(
            db.ttl(b"counter:hits").unwrap(),
            Some(Duration::from_secs(5))
        );
        clock.advance(Duration::from_secs(5));
        assert_eq!(c.get().unwrap(), 0, "{name}: an expired counter reads as 0");
        assert_eq!(c.increment(1).unwrap(), 1);
        assert_eq!(db.ttl(b"counter:hits").unwrap(), None);
        db.set(b"k", b"v", Some(Duration::from_secs(1))).unwrap();
        assert!(db.persist(b"k").unwrap());
        assert!(!db.persist(b"k").unwrap());
        clock.advance(Duration::from_secs(10));
        assert_eq!(db.get(b"k").unwrap(), Some(b"v".to_vec()));
        assert!(db.expire(b"k", Duration::ZERO).unwrap(), "zero ttl deletes");
        assert!(!db.exists(b"k").unwrap());
        assert_eq!(
            db.set(b"k", b"v", Some(Duration::ZERO)).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    });
}

#[test]
fn wrong_type_is_an_error_and_changes_nothing() {
    each(|name, db, _| {
        db.counter("c").unwrap().increment(7).unwrap();
        db.set(b"plain", b"bytes", None).unwrap();
        let e = db.get(b"counter:c").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WrongType, "{name}");
        assert!(e.message().contains("counter"), "{e}");
        assert_eq!(
            db.set(b"counter:c", b"x", None).unwrap_err().kind(),
            ErrorKind::WrongType
        );
        assert_eq!(
            db.set_many(&[(b"ok", b"1"), (b"counter:c", b"x")], None)
                .unwrap_err()
                .kind(),
            ErrorKind::WrongType
        );
        assert!(!db.exists(b"ok").unwrap(), "set_many is all or nothing");
        assert_eq!(
            db.get_many(&[b"plain", b"counter:c"]).unwrap_err().kind(),
            ErrorKind::WrongType
        );
        db.set(b"counter:d", b"text", None).unwrap();
        let d = db.counter("d").unwrap();
        assert_eq!(d.increment(1).unwrap_err().kind(), ErrorKind::WrongType);
        assert_eq!(d.get().unwrap_err().kind(), ErrorKind::WrongType);
        assert_eq!(d.set(3).unwrap_err().kind(), ErrorKind::WrongType);
        assert_eq!(db.counter("c").unwrap().get().unwrap(), 7);
        assert_eq!(db.get(b"counter:d").unwrap(), Some(b"text".to_vec()));
        assert_eq!(db.kind_of(b"counter:c").unwrap(), Some(Kind::Counter));
        assert_eq!(db.kind_of(b"plain").unwrap(), Some(Kind::Bytes));
        // Delete removes any kind; then the key is free for another kind.
        assert!(db.delete(b"counter:c").unwrap());
        db.set(b"counter:c", b"now bytes", None).unwrap();
    });
}

#[test]
fn counter_overflow_is_an_error_never_a_wrap() {
    each(|name, db, _| {
        let c = db.counter("big").unwrap();
        c.set(i64::MAX - 1).unwrap();
        assert_eq!(c.increment(1).unwrap(), i64::MAX);
        assert_eq!(
            c.increment(1).unwrap_err().kind(),
            ErrorKind::Overflow,
            "{name}"
        );
        assert_eq!(c.get().unwrap(), i64::MAX);
        c.set(i64::MIN + 1).unwrap();
        assert_eq!(c.decrement(1).unwrap(), i64::MIN);
        assert_eq!(c.decrement(1).unwrap_err().kind(), ErrorKind::Overflow);
        assert_eq!(
            c.decrement(i64::MIN).unwrap_err().kind(),
            ErrorKind::Overflow
        );
        c.reset().unwrap();
        assert_eq!(c.decrement(5).unwrap(), -5, "counters may go negative");
    });
}

#[test]
fn bad_keys_and_values_are_invalid_argument_and_store_nothing() {
    each(|name, db, _| {
        let long = vec![b'k'; MAX_KEY_LEN + 1];
        let max = vec![b'k'; MAX_KEY_LEN];
        for bad in [&b""[..], &long[..]] {
            assert_eq!(
                db.get(bad).unwrap_err().kind(),
                ErrorKind::InvalidArgument,
                "{name}"
            );
            assert_eq!(
                db.set(bad, b"v", None).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
            assert_eq!(
                db.delete(bad).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
            assert_eq!(
                db.exists(bad).unwrap_err().kind(),
                ErrorKind::InvalidArgument
            );
            assert_eq!(db.ttl(bad).unwrap_err().kind(), ErrorKind::InvalidArgument);
        }
        db.set(&max, b"ok", None).unwrap();
        let huge = vec![0u8; MAX_VALUE_LEN + 1];
        assert_eq!(
            db.set(b"huge", &huge, None).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            db.counter("").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            db.namespace("").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert!(!db.exists(b"huge").unwrap());
        let keys: Vec<_> = db.keys(b"").unwrap().map(|k| k.unwrap()).collect();
        assert_eq!(keys, vec![max.clone()]);
        // Empty values are fine.
        db.set(b"empty", b"", None).unwrap();
        assert_eq!(db.get(b"empty").unwrap(), Some(vec![]));
    });
    for bad in [-1.0, f64::NAN, f64::INFINITY, 1e300] {
        assert_eq!(
            grove_core::ttl_from_secs(bad).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
    assert_eq!(
        grove_core::ttl_from_secs(1.5).unwrap(),
        Duration::from_millis(1500)
    );
}

#[test]
fn namespaces_cannot_see_or_touch_outside_their_prefix() {
    each(|name, db, _| {
        db.set(b"secret", b"root", None).unwrap();
        let a = db.namespace("a").unwrap();
        let b = db.namespace("b").unwrap();
        a.set(b"k", b"in a", None).unwrap();
        b.set(b"k", b"in b", None).unwrap();
        assert_eq!(a.get(b"k").unwrap(), Some(b"in a".to_vec()), "{name}");
        assert_eq!(a.get(b"secret").unwrap(), None);
        assert!(!a.delete(b"secret").unwrap());
        let ak: Vec<_> = a.keys(b"").unwrap().map(|k| k.unwrap()).collect();
        assert_eq!(ak, vec![b"k".to_vec()]);
        let nested = a.namespace("inner").unwrap();
        nested.set(b"x", b"deep", None).unwrap();
        assert_eq!(db.get(b"a:inner:x").unwrap(), Some(b"deep".to_vec()));
        assert_eq!(nested.namespace_prefix(), b"a:inner:");
        let all: Vec<_> = db.keys(b"a:").unwrap().map(|k| k.unwrap()).collect();
        assert_eq!(all, vec![b"a:inner:x".to_vec(), b"a:k".to_vec()]);
        assert_eq!(db.get(b"secret").unwrap(), Some(b"root".to_vec()));
    });
}

#[test]
fn keys_iterates_lazily_across_pages_and_stops_when_closed() {
    let db = Store::open_memory();
    for i in 0..1000u32 {
        db.set(format!("p{i:04}").as_bytes(), b"", None).unwrap();
    }
    db.set(b"q", b"", None).unwrap();
    let keys: Vec<_> = db.keys(b"p").unwrap().map(|k| k.unwrap()).collect();
    assert_eq!(keys.len(), 1000);
    assert!(keys.windows(2).all(|w| w[0] < w[1]));
    let mut it = db.keys(b"p").unwrap();
    assert!(it.next().unwrap().is_ok());
    db.close().unwrap();
    // Even with a page buffered, the next step reports Closed, then the iterator ends.
    let rest: Vec<_> = it.collect();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].as_ref().unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(db.counter("c").unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(
        db.lock("l", Duration::from_secs(1)).unwrap_err().kind(),
        ErrorKind::Closed
    );
    assert_eq!(db.keys(b"").unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(db.flush().unwrap_err().kind(), ErrorKind::Closed);
}
