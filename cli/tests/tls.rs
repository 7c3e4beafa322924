//! The CLI on the Redis engine over TLS (`--db rediss://…`), against the test command's TLS
//! server, which also requires AUTH (GROVE_TEST_REDIS_TLS, with its throwaway CA in
//! GROVE_TEST_REDIS_TLS_DIR): `grove` processes count exactly, have one lock owner among them and
//! round-trip a value; an untrusted server, a wrong password and TLS to a plain server are Io
//! (exit 20).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Exit status of a Grove error of kind Io.
const IO: i32 = 20;
/// Exit status of a Grove error of kind LockTimeout.
const LOCK_TIMEOUT: i32 = 17;

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

/// `grove --db TARGET ARGS…`, with GROVE_DB out of the way.
fn grove(target: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_grove"));
    cmd.env_remove("GROVE_DB")
        .arg("--db")
        .arg(target)
        .args(args);
    cmd
}

fn run(target: &str, args: &[&str]) -> Output {
    grove(target, args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).trim().to_string()
}

#[test]
fn with_the_ca_processes_count_exactly_share_one_lock_owner_and_round_trip_a_value() {
    let Some((url, dir)) = tls_server() else {
        return;
    };
    let target = format!(
        "{url}?store=cli{}x{}&ca={}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
        dir.join("ca.pem").display()
    );
    // The second client also presents the client certificate (the server accepts one).
    let mutual = format!(
        "{target}&cert={}&key={}",
        dir.join("client.pem").display(),
        dir.join("client.key").display()
    );

    // Two clients at once, 100 `counter incr` processes each: exactly 200.
    const INCREMENTS: usize = 100;
    std::thread::scope(|s| {
        for t in [&target, &mutual] {
            s.spawn(move || {
                for _ in 0..INCREMENTS {
                    let o = run(t, &["counter", "incr", "hits"]);
                    assert!(o.status.success(), "{}", stderr(&o));
                }
            });
        }
    });
    for t in [&target, &mutual] {
        assert_eq!(
            stdout(&run(t, &["counter", "get", "hits"])),
            (2 * INCREMENTS).to_string()
        );
    }

    // One process holds the lock (its command says so, then waits for its stdin to close);
    // another is refused with LockTimeout meanwhile, and gets it once the first is done.
    let mut holder = grove(
        &target,
        &["lock", "run", "deploy", "--", "sh", "-c", "echo held; cat"],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .spawn()
    .unwrap();
    let mut line = String::new();
    BufReader::new(holder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "held");
    let refused = run(&mutual, &["lock", "run", "deploy", "--", "true"]);
    assert_eq!(
        refused.status.code(),
        Some(LOCK_TIMEOUT),
        "{}",
        stderr(&refused)
    );
    drop(holder.stdin.take());
    assert!(holder.wait().unwrap().success());
    let after = run(&mutual, &["lock", "run", "deploy", "--", "true"]);
    assert!(after.status.success(), "{}", stderr(&after));
    let info = stdout(&run(&target, &["lock", "info", "deploy"]));
    assert!(
        info.contains("held: false") && info.contains("fencing_token: 2"),
        "{info}"
    );

    // A value set by one process is read by another.
    let set = run(&target, &["kv", "set", "greeting", "héllo over TLS"]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert_eq!(
        stdout(&run(&mutual, &["kv", "get", "greeting"])),
        "héllo over TLS"
    );
}

#[test]
fn without_the_ca_the_server_is_not_trusted_io_naming_the_certificate() {
    let Some((url, _)) = tls_server() else {
        return;
    };
    // The system's CA store does not trust the test command's throwaway CA.
    let o = run(&url, &["--connect-timeout", "2", "counter", "get", "hits"]);
    assert_eq!(o.status.code(), Some(IO), "{}", stderr(&o));
    assert!(stderr(&o).contains("certificate"), "{}", stderr(&o));
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
    let o = run(
        &wrong,
        &["--connect-timeout", "2", "counter", "get", "hits"],
    );
    assert_eq!(o.status.code(), Some(IO), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.to_lowercase().contains("authentication"), "{e}");
    assert!(!e.contains(password), "{e}");
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
    let target = format!("rediss://{address}?ca={}", dir.join("ca.pem").display());
    // A plain server never answers a TLS handshake: the 1 s connect timeout bounds the wait (the
    // 4 s bound is below the 5 s default and leaves room for a slow machine).
    let started = Instant::now();
    let o = run(
        &target,
        &["--connect-timeout", "1", "counter", "get", "hits"],
    );
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(IO), "{}", stderr(&o));
    assert!(stderr(&o).contains(address), "{}", stderr(&o));
    assert!(took < Duration::from_secs(4), "{took:?}");
}
