//! The Redis engine over TLS (`rediss://`) as every door tests it (the C, Go, Python, Node and
//! CLI suites have the same four cases), against the test command's TLS server, which also
//! requires AUTH (`GROVE_TEST_REDIS_TLS`, with its throwaway CA in `GROVE_TEST_REDIS_TLS_DIR`):
//! two handles count exactly, have one lock owner between them and round-trip a value; an
//! untrusted server, a wrong password and TLS to a plain server are `Io`. (`redis.rs` has the
//! rest: every primitive over TLS, another CA, a missing password or CA file.)

use grove_core::{ErrorKind, Options, Store};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The TLS server's URL (`rediss://grove:PASSWORD@localhost:PORT`, no `?ca=`) and the folder of
/// its certificates, or None (with a note) when the test command did not start one.
fn tls_server() -> Option<(String, PathBuf)> {
    match (
        std::env::var("GROVE_TEST_REDIS_TLS"),
        std::env::var("GROVE_TEST_REDIS_TLS_DIR"),
    ) {
        (Ok(url), Ok(dir)) => Some((url, dir.into())),
        _ => {
            eprintln!(
                "NOTE: GROVE_TEST_REDIS_TLS / GROVE_TEST_REDIS_TLS_DIR are not set: TLS not tested \
                 (scripts/test.sh starts a TLS redis-server and sets them)"
            );
            None
        }
    }
}

/// Opening `target` with a connect timeout of `timeout` fails with an `Io` error; its message.
fn io_error(target: &str, timeout: Duration) -> String {
    let err = Store::open_with(target, Options::new().connect_timeout(timeout)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    err.message().to_string()
}

#[test]
fn with_the_ca_two_handles_count_exactly_share_one_lock_owner_and_round_trip_a_value() {
    let Some((url, dir)) = tls_server() else {
        return;
    };
    let target = format!(
        "{url}?store=rs{}x{}&ca={}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
        dir.join("ca.pem").display()
    );
    // The second handle also presents the client certificate (the server accepts one).
    let mutual = format!(
        "{target}&cert={}&key={}",
        dir.join("client.pem").display(),
        dir.join("client.key").display()
    );
    let a = Store::open(&target).unwrap();
    let b = Store::open_with(
        &mutual,
        Options::new().connect_timeout(Duration::from_secs(2)),
    )
    .unwrap();

    const INCREMENTS: i64 = 100;
    std::thread::scope(|s| {
        for db in [&a, &b] {
            s.spawn(move || {
                let hits = db.counter("hits").unwrap();
                for _ in 0..INCREMENTS {
                    hits.increment(1).unwrap();
                }
            });
        }
    });
    for db in [&a, &b] {
        assert_eq!(db.counter("hits").unwrap().get().unwrap(), 2 * INCREMENTS);
    }

    let first = a.lock("deploy", Duration::from_secs(10)).unwrap();
    let second = b.lock("deploy", Duration::from_secs(10)).unwrap();
    assert!(first.try_acquire().unwrap());
    assert!(!second.try_acquire().unwrap(), "one owner across handles");
    assert!(!second.release().unwrap());
    assert!(first.release().unwrap());
    assert!(second.try_acquire().unwrap());
    assert!(second.fencing_token() > first.fencing_token());
    assert!(second.release().unwrap());

    a.set(b"greeting", "héllo over TLS".as_bytes(), None)
        .unwrap();
    assert_eq!(
        b.get(b"greeting").unwrap().unwrap(),
        "héllo over TLS".as_bytes()
    );
    a.close().unwrap();
    b.close().unwrap();
}

#[test]
fn without_the_ca_the_server_is_not_trusted_io_naming_the_certificate() {
    let Some((url, _)) = tls_server() else {
        return;
    };
    // The system's CA store does not trust the test command's throwaway CA.
    let m = io_error(&url, Duration::from_secs(2));
    assert!(m.contains("certificate"), "{m}");
}

#[test]
fn a_wrong_password_is_io_and_not_shown() {
    let Some((url, dir)) = tls_server() else {
        return;
    };
    let password = url
        .split("grove:")
        .nth(1)
        .unwrap()
        .split('@')
        .next()
        .unwrap();
    let wrong = format!(
        "{}?ca={}",
        url.replacen("grove:", "grove:wrong", 1),
        dir.join("ca.pem").display()
    );
    let m = io_error(&wrong, Duration::from_secs(2));
    assert!(m.to_lowercase().contains("authentication"), "{m}");
    assert!(!m.contains(password), "{m}");
}

#[test]
fn tls_to_a_plain_server_is_io_within_the_connect_timeout() {
    let Some((_, dir)) = tls_server() else {
        return;
    };
    let Ok(plain) = std::env::var("GROVE_TEST_REDIS") else {
        eprintln!("NOTE: GROVE_TEST_REDIS is not set: rediss:// to a plain server not tried");
        return;
    };
    let address = plain
        .split("://")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    // A plain server never answers a TLS handshake: the 1 s connect timeout bounds the wait (the
    // 4 s bound is below the 5 s default and leaves room for a slow machine).
    let started = Instant::now();
    let m = io_error(
        &format!("rediss://{address}?ca={}", dir.join("ca.pem").display()),
        Duration::from_secs(1),
    );
    let took = started.elapsed();
    assert!(m.contains(address), "{m}");
    assert!(took < Duration::from_secs(4), "{took:?}");
}
