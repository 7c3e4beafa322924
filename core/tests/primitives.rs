//! Lock, rate limiter and sessions: safety under contention, injected-clock expiry, persistence.

mod common;

use grove_core::{ErrorKind, ManualClock, Options, Store};
use proptest::prelude::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::stores;

#[test]
fn lock_contention_never_overlaps_and_fences_strictly_increase() {
    let (stores, _dir, _) = stores();
    for (name, db) in stores {
        let inside = AtomicBool::new(false);
        let overlaps = AtomicUsize::new(0);
        let acquired = AtomicUsize::new(0);
        let fences = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..8 {
                let db = db.clone();
                let (inside, overlaps, acquired, fences) = (&inside, &overlaps, &acquired, &fences);
                s.spawn(move || {
                    let lock = db.lock("critical", Duration::from_secs(30)).unwrap();
                    while acquired.load(Ordering::SeqCst) < 10_000 {
                        if !lock.try_acquire().unwrap() {
                            std::thread::yield_now();
                            continue;
                        }
                        if inside.swap(true, Ordering::SeqCst) {
                            overlaps.fetch_add(1, Ordering::SeqCst);
                        }
                        fences.lock().unwrap().push(lock.fencing_token());
                        acquired.fetch_add(1, Ordering::SeqCst);
                        inside.store(false, Ordering::SeqCst);
                        assert!(lock.release().unwrap(), "the owner's release succeeds");
                    }
                });
            }
        });
        assert_eq!(overlaps.load(Ordering::SeqCst), 0, "{name}");
        let fences = fences.into_inner().unwrap();
        assert!(fences.len() >= 10_000);
        assert!(
            fences.windows(2).all(|w| w[0] < w[1]),
            "{name}: fencing tokens strictly increase"
        );
    }
}

#[test]
fn an_expired_lock_is_taken_over_and_the_old_owner_can_change_nothing() {
    let (stores, _dir, clock) = stores();
    for (name, db) in stores {
        let a = db.lock("deploy", Duration::from_secs(10)).unwrap();
        let b = db.lock("deploy", Duration::from_secs(10)).unwrap();
        assert!(!b.release().unwrap(), "never acquired: release is a no-op");
        assert!(a.try_acquire().unwrap());
        let fa = a.fencing_token();
        assert!(!b.try_acquire().unwrap(), "{name}");
        assert!(!b.release().unwrap() && !b.extend(Duration::from_secs(60)).unwrap());
        assert!(a.held().unwrap());
        assert!(a.extend(Duration::from_secs(20)).unwrap());
        clock.advance(Duration::from_secs(19));
        assert!(!b.try_acquire().unwrap(), "extend moved the lease");
        clock.advance(Duration::from_secs(1));
        assert!(!a.held().unwrap(), "lease over");
        assert!(b.try_acquire().unwrap(), "{name}: expired lock taken over");
        assert!(b.fencing_token() > fa);
        // The old owner's release and extend change nothing.
        assert!(!a.release().unwrap());
        assert!(!a.extend(Duration::from_secs(60)).unwrap());
        assert!(b.held().unwrap());
        let info = db.lock_info("deploy").unwrap();
        assert!(info.held);
        assert_eq!(info.fencing_token, b.fencing_token());
        assert_eq!(info.expires_in, Some(Duration::from_secs(10)));
        assert!(b.release().unwrap());
        assert!(!db.lock_info("deploy").unwrap().held);
        // Waiting acquire gives up after its timeout with a clear error in the scoped form.
        assert!(a.try_acquire().unwrap());
        let err = b.lock(Duration::from_millis(30)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LockTimeout);
        assert!(a.release().unwrap());
        {
            let g = b.lock(Duration::from_millis(30)).unwrap();
            assert!(g.fencing_token() > fa);
            assert!(b.held().unwrap());
        }
        assert!(!b.held().unwrap(), "the guard released on drop");
        assert_eq!(
            db.get(b"lock:deploy").unwrap_err().kind(),
            ErrorKind::WrongType
        );
        assert_eq!(
            db.lock("", Duration::from_secs(1)).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            db.lock("x", Duration::ZERO).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
}

#[test]
fn fencing_tokens_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = Store::open(dir.path()).unwrap();
    let l = db.lock("jobs", Duration::from_secs(5)).unwrap();
    for _ in 0..3 {
        assert!(l.try_acquire().unwrap());
        assert!(l.release().unwrap());
    }
    assert_eq!(l.fencing_token(), 3);
    db.close().unwrap();
    let db = Store::open(dir.path()).unwrap();
    let l = db.lock("jobs", Duration::from_secs(5)).unwrap();
    assert!(l.try_acquire().unwrap());
    assert_eq!(l.fencing_token(), 4);
    db.close().unwrap();
}

/// Admitted (time, cost) pairs never exceed `limit` in any window-long interval.
fn max_in_any_window(admitted: &[(u64, u64)], window: u64) -> u64 {
    admitted
        .iter()
        .map(|(end, _)| {
            admitted
                .iter()
                .filter(|(t, _)| *t <= *end && t + window > *end)
                .map(|(_, c)| c)
                .sum()
        })
        .max()
        .unwrap_or(0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn no_window_ever_admits_more_than_the_limit(
        limit in 1u64..20,
        window in 10u64..2_000,
        arrivals in proptest::collection::vec((0u64..400, 0u64..6), 1..200),
    ) {
        let clock = Arc::new(ManualClock::new(1_000_000));
        let db = Store::open_memory_with(Options::new().clock(clock.clone())).unwrap();
        let rl = db.rate_limiter("api", limit, Duration::from_millis(window)).unwrap();
        let mut admitted = Vec::new();
        for (gap, cost) in arrivals {
            clock.advance(Duration::from_millis(gap));
            let cost = cost.min(limit);
            let d = rl.allow("client", cost).unwrap();
            let now = grove_core::Clock::now_ms(&*clock);
            if d.allowed {
                admitted.push((now, cost));
                prop_assert_eq!(d.retry_after, Duration::ZERO);
            } else {
                prop_assert!(d.retry_after > Duration::ZERO);
                // Waiting retry_after really is enough.
                let used: u64 = admitted.iter().filter(|(t, _)| t + window > now + d.retry_after.as_millis() as u64).map(|(_, c)| c).sum();
                prop_assert!(used + cost <= limit);
            }
            prop_assert!(d.remaining <= limit);
            prop_assert!(max_in_any_window(&admitted, window) <= limit);
        }
    }
}

#[test]
fn a_steady_client_at_the_limit_is_never_refused() {
    let (stores, _dir, clock) = stores();
    for (name, db) in stores {
        let rl = db
            .rate_limiter("steady", 10, Duration::from_secs(1))
            .unwrap();
        for i in 0..200 {
            let d = rl.allow("c", 1).unwrap();
            assert!(d.allowed, "{name}: request {i} refused");
            clock.advance(Duration::from_millis(100));
        }
        // A burst over the limit is refused, with the right retry_after.
        let rl = db
            .rate_limiter("burst", 3, Duration::from_secs(10))
            .unwrap();
        for _ in 0..3 {
            assert!(rl.allow("c", 1).unwrap().allowed);
        }
        let d = rl.allow("c", 1).unwrap();
        assert!(!d.allowed);
        assert_eq!(d.remaining, 0);
        assert_eq!(d.retry_after, Duration::from_secs(10));
        assert!(!rl.peek("c").unwrap().allowed);
        assert_eq!(rl.peek("other").unwrap().remaining, 3);
        assert!(rl.reset("c").unwrap());
        assert!(rl.allow("c", 3).unwrap().allowed);
        assert_eq!(
            rl.allow("c", 4).unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
}

#[test]
fn eight_threads_on_one_key_admit_exactly_the_limit_per_window() {
    let (stores, _dir, clock) = stores();
    for (name, db) in stores {
        let rl = db
            .rate_limiter("hammer", 1_000, Duration::from_secs(60))
            .unwrap();
        for window in 0..2 {
            let admitted = AtomicUsize::new(0);
            std::thread::scope(|s| {
                for _ in 0..8 {
                    let (rl, admitted) = (rl.clone(), &admitted);
                    s.spawn(move || {
                        for _ in 0..500 {
                            if rl.allow("k", 1).unwrap().allowed {
                                admitted.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    });
                }
            });
            assert_eq!(
                admitted.load(Ordering::SeqCst),
                1_000,
                "{name} window {window}"
            );
            clock.advance(Duration::from_secs(60));
        }
    }
}

#[test]
fn eight_threads_on_the_real_clock_admit_exactly_the_limit_and_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = Store::open(dir.path()).unwrap();
    for round in 0..5 {
        let rl = db
            .rate_limiter(&format!("real{round}"), 1_000, Duration::from_secs(3600))
            .unwrap();
        let admitted = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                let (rl, admitted) = (rl.clone(), &admitted);
                s.spawn(move || {
                    for _ in 0..250 {
                        if rl.allow("k", 1).unwrap().allowed {
                            admitted.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                });
            }
        });
        assert_eq!(admitted.load(Ordering::SeqCst), 1_000, "round {round}");
    }
    db.close().unwrap();
}

#[test]
fn session_ids_are_unique_url_safe_never_lead_with_a_dash_and_carry_257_bits() {
    let db = Store::open_memory();
    let s = db.sessions(Duration::from_secs(1800), "sess").unwrap();
    let mut seen = HashSet::new();
    // Which characters appeared at each position: the first draws from 32 letters (5 bits), every
    // other from all 64 (6 bits), so 5 + 42 * 6 = 257 random bits. A symbol missing from 100,000
    // draws has odds below 64 * (63/64)^100000 = 10^-680: this cannot flake.
    let mut used = [[false; 256]; 43];
    for _ in 0..100_000 {
        let id = s.create(b"{}").unwrap();
        assert_eq!(id.len(), 43);
        assert!(id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        // A leading `-` reads as a flag in a shell (`grove session get -o6i…`: issue 19).
        assert!(!id.starts_with('-'), "{id}");
        for (i, b) in id.bytes().enumerate() {
            used[i][b as usize] = true;
        }
        assert!(seen.insert(id));
    }
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let symbols = |i: usize| -> Vec<u8> { (0..=255u8).filter(|&b| used[i][b as usize]).collect() };
    let mut letters = alphabet[..32].to_vec();
    letters.sort_unstable();
    assert_eq!(
        symbols(0),
        letters,
        "the first character is one of 32 letters"
    );
    let mut all = alphabet.to_vec();
    all.sort_unstable();
    for i in 1..43 {
        assert_eq!(symbols(i), all, "character {i} uses all 64 symbols");
    }
}

#[test]
fn sessions_expire_slide_on_touch_and_are_never_resurrected() {
    let (stores, _dir, clock) = stores();
    for (name, db) in stores {
        let s = db.sessions(Duration::from_secs(100), "sess").unwrap();
        let id = s.create(br#"{"user":42}"#).unwrap();
        assert_eq!(s.get(&id).unwrap(), Some(br#"{"user":42}"#.to_vec()));
        assert!(db.exists(format!("sess:{id}").as_bytes()).unwrap());
        clock.advance(Duration::from_secs(90));
        assert!(s.touch(&id).unwrap());
        clock.advance(Duration::from_secs(90));
        assert!(s.exists(&id).unwrap(), "{name}: touch slid the ttl");
        assert!(s.update(&id, b"v2").unwrap());
        assert_eq!(s.get(&id).unwrap(), Some(b"v2".to_vec()));
        clock.advance(Duration::from_secs(100));
        assert_eq!(s.get(&id).unwrap(), None, "{name}: expired");
        assert!(!s.update(&id, b"back?").unwrap());
        assert!(!s.touch(&id).unwrap());
        assert_eq!(s.get(&id).unwrap(), None, "never resurrected");
        let id2 = s.create(b"x").unwrap();
        assert!(s.delete(&id2).unwrap());
        assert!(!s.delete(&id2).unwrap());
        assert!(!s.touch(&id2).unwrap());
        // Malformed ids (from clients) are simply not found.
        for bad in ["", "short", "../../etc/passwd", &"a".repeat(44)] {
            assert_eq!(s.get(bad).unwrap(), None);
            assert!(!s.update(bad, b"x").unwrap());
        }
        let other = db.sessions(Duration::from_secs(5), "web").unwrap();
        let id3 = other.create(b"y").unwrap();
        assert!(db.exists(format!("web:{id3}").as_bytes()).unwrap());
        assert_eq!(s.get(&id3).unwrap(), None, "prefixes are separate");
        assert_eq!(
            db.sessions(Duration::ZERO, "p").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            db.sessions(Duration::from_secs(1), "").unwrap_err().kind(),
            ErrorKind::InvalidArgument
        );
    }
}

#[test]
fn every_primitive_reports_closed_even_on_early_return_paths() {
    let db = Store::open_memory();
    let lock = db.lock("l", Duration::from_secs(1)).unwrap();
    let rl = db.rate_limiter("r", 1, Duration::from_secs(1)).unwrap();
    let s = db.sessions(Duration::from_secs(1), "sess").unwrap();
    assert_eq!(
        db.lock_info("").unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    db.close().unwrap();
    assert_eq!(lock.release().unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(
        lock.extend(Duration::from_secs(1)).unwrap_err().kind(),
        ErrorKind::Closed
    );
    assert_eq!(lock.held().unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(lock.try_acquire().unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(rl.allow("k", 5).unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(s.get("malformed").unwrap_err().kind(), ErrorKind::Closed);
    assert_eq!(s.touch("malformed").unwrap_err().kind(), ErrorKind::Closed);
}

#[test]
fn a_limiter_with_a_smaller_limit_over_recorded_usage_refuses_without_panicking() {
    let (stores, _dir, _) = stores();
    for (name, db) in stores {
        let w = Duration::from_secs(60);
        assert!(
            db.rate_limiter("api", 5, w)
                .unwrap()
                .allow("k", 3)
                .unwrap()
                .allowed
        );
        let smaller = db.rate_limiter("api", 2, w).unwrap();
        let p = smaller.peek("k").unwrap();
        assert!(!p.allowed && p.remaining == 0, "{name}: {p:?}");
        assert_eq!(p.retry_after, w, "{name}");
        let d = smaller.allow("k", 1).unwrap();
        assert!(!d.allowed && d.remaining == 0, "{name}: {d:?}");
        assert_eq!(d.retry_after, w, "{name}");
        // Nothing recorded by the refusal: the larger limiter still sees 3 used.
        let p = db.rate_limiter("api", 5, w).unwrap().peek("k").unwrap();
        assert_eq!(p.remaining, 2, "{name}");
    }
}

#[test]
fn costs_summing_past_64_bits_are_refused_without_panicking() {
    let (stores, _dir, clock) = stores();
    for (name, db) in stores {
        let w = Duration::from_secs(60);
        let rl = db.rate_limiter("huge", u64::MAX, w).unwrap();
        assert!(rl.allow("k", 1 << 63).unwrap().allowed, "{name}");
        let d = rl.allow("k", 1 << 63).unwrap();
        assert!(!d.allowed, "{name}");
        assert_eq!(d.remaining, (1 << 63) - 1, "{name}");
        assert_eq!(rl.peek("k").unwrap().remaining, (1 << 63) - 1, "{name}");
        assert!(rl.allow("k", (1 << 63) - 1).unwrap().allowed, "{name}");
        assert_eq!(rl.peek("k").unwrap().remaining, 0, "{name}");
        // Usage past u64::MAX in one window: a shorter-window limiter admitted u64::MAX twice
        // into what a longer-window limiter sees as one window.
        let short = db
            .rate_limiter("sum", u64::MAX, Duration::from_millis(10))
            .unwrap();
        assert!(short.allow("k", u64::MAX).unwrap().allowed, "{name}");
        clock.advance(Duration::from_millis(20));
        assert!(short.allow("k", u64::MAX).unwrap().allowed, "{name}");
        let long = db.rate_limiter("sum", u64::MAX, w).unwrap();
        let d = long.allow("k", 1).unwrap();
        assert!(!d.allowed && d.remaining == 0, "{name}: {d:?}");
        let p = long.peek("k").unwrap();
        assert!(!p.allowed && p.remaining == 0, "{name}: {p:?}");
    }
}

#[test]
fn rate_limiter_names_may_not_alias_or_overflow_the_key_limit() {
    let db = Store::open_memory();
    let w = Duration::from_secs(60);
    let invalid = |r: grove_core::Result<_>| r.map(|_: grove_core::RateLimiter| ()).unwrap_err();
    for bad in ["", "a:b", ":", "a:"] {
        assert_eq!(
            invalid(db.rate_limiter(bad, 5, w)).kind(),
            ErrorKind::InvalidArgument,
            "{bad:?}"
        );
    }
    // `ratelimit:<name>:<key>` with a one-byte key must fit in MAX_KEY_LEN.
    let fits = "n".repeat(grove_core::MAX_KEY_LEN - "ratelimit:".len() - 2);
    let rl = db.rate_limiter(&fits, 5, w).unwrap();
    assert!(rl.allow("k", 1).unwrap().allowed);
    let too_long = format!("{fits}n");
    let e = invalid(db.rate_limiter(&too_long, 5, w));
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("rate limiter name"), "{e}");
    // The per-call key: refused up front with a message naming it, and nothing written.
    assert_eq!(
        rl.allow("kk", 1).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    let short = db.rate_limiter("api", 5, w).unwrap();
    let longest = "k".repeat(grove_core::MAX_KEY_LEN - "ratelimit:api:".len());
    assert!(short.allow(&longest, 1).unwrap().allowed);
    let over = format!("{longest}k");
    for e in [
        short.allow(&over, 1).unwrap_err(),
        short.peek(&over).unwrap_err(),
        short.reset(&over).unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("rate limit key"), "{e}");
    }
    // Keys may contain ':' — with ':'-free names they cannot collide.
    let a = db.rate_limiter("a", 5, w).unwrap();
    assert!(a.allow("b:c", 5).unwrap().allowed);
    assert_eq!(a.peek("b").unwrap().remaining, 5);
    assert_eq!(a.peek("b:c").unwrap().remaining, 0);
}

#[test]
fn a_lock_handle_that_never_acquired_reports_wrong_type_on_a_foreign_key() {
    let (stores, _dir, _) = stores();
    for (name, db) in stores {
        db.set(b"lock:kv", b"bytes", None).unwrap();
        let lock = db.lock("kv", Duration::from_secs(5)).unwrap();
        assert_eq!(
            lock.held().unwrap_err().kind(),
            ErrorKind::WrongType,
            "{name}"
        );
        assert_eq!(
            lock.release().unwrap_err().kind(),
            ErrorKind::WrongType,
            "{name}"
        );
        assert_eq!(
            lock.extend(Duration::from_secs(1)).unwrap_err().kind(),
            ErrorKind::WrongType,
            "{name}"
        );
        assert_eq!(db.get(b"lock:kv").unwrap().as_deref(), Some(&b"bytes"[..]));
        // An absent key, or someone else's lock, is still just "not ours".
        let free = db.lock("free", Duration::from_secs(5)).unwrap();
        assert!(!free.held().unwrap() && !free.release().unwrap(), "{name}");
        assert!(!free.extend(Duration::from_secs(1)).unwrap(), "{name}");
        let owner = db.lock("taken", Duration::from_secs(5)).unwrap();
        assert!(owner.try_acquire().unwrap());
        let other = db.lock("taken", Duration::from_secs(5)).unwrap();
        assert!(
            !other.held().unwrap() && !other.release().unwrap(),
            "{name}"
        );
        assert!(!other.extend(Duration::from_secs(1)).unwrap(), "{name}");
        assert!(owner.held().unwrap(), "{name}");
    }
}
