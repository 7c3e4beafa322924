//! The `grove` binary end to end: commands, output, exit codes, a locked store, the demo.

use std::process::{Command, Output};

fn grove(db: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_grove"))
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn kv_and_counter_commands_round_trip_with_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path();
    assert!(
        grove(db, &["kv", "set", "greeting", "hello", "--ttl", "60"])
            .status
            .success()
    );
    assert_eq!(stdout(&grove(db, &["kv", "get", "greeting"])), "hello");
    let ttl: f64 = stdout(&grove(db, &["kv", "ttl", "greeting"]))
        .parse()
        .unwrap();
    assert!(ttl > 50.0 && ttl <= 60.0);
    assert_eq!(stdout(&grove(db, &["counter", "incr", "visitors"])), "1");
    assert_eq!(
        stdout(&grove(db, &["counter", "incr", "visitors", "41"])),
        "42"
    );
    assert_eq!(
        stdout(&grove(db, &["counter", "decr", "visitors", "50"])),
        "-8"
    );
    assert!(grove(db, &["counter", "set", "visitors", "-3"])
        .status
        .success());
    assert_eq!(stdout(&grove(db, &["counter", "get", "visitors"])), "-3");
    assert!(grove(db, &["counter", "reset", "visitors"])
        .status
        .success());
    assert_eq!(stdout(&grove(db, &["counter", "get", "visitors"])), "0");
    assert_eq!(
        stdout(&grove(db, &["kv", "type", "counter:visitors"])),
        "counter"
    );
    assert_eq!(
        stdout(&grove(db, &["kv", "keys"])),
        "counter:visitors\ngreeting"
    );
    let stats = stdout(&grove(db, &["stats"]));
    assert!(stats.contains("keys: 2"), "{stats}");
    assert!(stats.contains("counter: 1"), "{stats}");

    // A missing key is exit 1 with a message; a wrong type is 12; bad input 13.
    let missing = grove(db, &["kv", "get", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not found"));
    let wrong = grove(db, &["kv", "get", "counter:visitors"]);
    assert_eq!(wrong.status.code(), Some(12));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("WrongType"));
    assert_eq!(
        grove(db, &["kv", "set", "k", "v", "--ttl", "-1"])
            .status
            .code(),
        Some(13)
    );
    assert_eq!(
        grove(db, &["counter", "set", "visitors", "9223372036854775807"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        grove(db, &["counter", "incr", "visitors"]).status.code(),
        Some(14)
    );
    assert!(grove(db, &["kv", "del", "greeting"]).status.success());
    assert_eq!(grove(db, &["kv", "del", "greeting"]).status.code(), Some(1));
    assert_eq!(
        grove(db, &["kv", "exists", "greeting"]).status.code(),
        Some(1)
    );
}

#[test]
fn a_store_held_by_another_process_gives_exit_16_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let held = grove_core::Store::open(dir.path()).unwrap();
    let out = grove(dir.path(), &["kv", "get", "x"]);
    assert_eq!(out.status.code(), Some(16), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("StoreLocked") && err.contains(&dir.path().display().to_string()),
        "{err}"
    );
    held.close().unwrap();
    assert_eq!(
        grove(dir.path(), &["kv", "get", "x"]).status.code(),
        Some(1)
    );
}

#[test]
fn demo_counts_exactly_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_grove"))
        .args(["demo", "--threads", "4", "--views", "2500", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains("after reopen: 10000"), "{text}");
    // Running it again on the same store continues from the persisted total.
    let again = Command::new(env!("CARGO_BIN_EXE_grove"))
        .args(["demo", "--threads", "2", "--views", "100", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(stdout(&again).contains("after reopen: 10200"));
}

#[test]
fn lock_run_holds_the_lock_for_the_command_and_passes_its_status() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path();
    assert!(stdout(&grove(db, &["lock", "info", "deploy"])).contains("held: false"));
    let out = grove(
        db,
        &[
            "lock",
            "run",
            "deploy",
            "--ttl",
            "1",
            "--",
            "sh",
            "-c",
            "echo token=$GROVE_FENCING_TOKEN; sleep 1.5; exit 3",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(stdout(&out), "token=1");
    // The lease (1 s) was extended while the 1.5 s command ran, so no warning was printed (neither
    // "lost the lease" nor, had it never been extended, "expired before release"). The renewal
    // every 0.33 s leaves a 0.67 s margin for a busy machine (0.3 s / 0.5 s left 0.2 s).
    assert!(out.stderr.is_empty(), "{out:?}");
    let info = stdout(&grove(db, &["lock", "info", "deploy"]));
    assert!(
        info.contains("held: false") && info.contains("fencing_token: 1"),
        "{info}"
    );
    let again = grove(db, &["lock", "run", "deploy", "--", "true"]);
    assert!(again.status.success());
    assert!(stdout(&grove(db, &["lock", "info", "deploy"])).contains("fencing_token: 2"));
}

#[test]
fn ratelimit_and_session_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path();
    let args = [
        "ratelimit",
        "allow",
        "api",
        "alice",
        "--limit",
        "2",
        "--window",
        "60",
    ];
    for _ in 0..2 {
        let out = grove(db, &args);
        assert!(out.status.success());
        assert!(stdout(&out).starts_with("allowed: true"));
    }
    let refused = grove(db, &args);
    assert_eq!(refused.status.code(), Some(1));
    // About 60 s: the oldest admission leaves the window then, less the time these processes
    // took (allow a busy machine 10 s, as the kv ttl check does, rather than 1 s).
    let retry: f64 = stdout(&refused)
        .lines()
        .find_map(|l| l.strip_prefix("retry_after: "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{refused:?}"));
    assert!(retry > 50.0 && retry <= 60.0, "{refused:?}");
    let peek = grove(
        db,
        &[
            "ratelimit",
            "peek",
            "api",
            "alice",
            "--limit",
            "2",
            "--window",
            "60",
        ],
    );
    assert!(stdout(&peek).contains("remaining: 0"));
    assert!(grove(
        db,
        &[
            "ratelimit",
            "reset",
            "api",
            "alice",
            "--limit",
            "2",
            "--window",
            "60"
        ]
    )
    .status
    .success());
    assert!(grove(db, &args).status.success());

    let id = stdout(&grove(db, &["session", "create", r#"{"user":1}"#]));
    assert_eq!(id.len(), 43);
    assert_eq!(
        stdout(&grove(db, &["session", "get", &id])),
        r#"{"user":1}"#
    );
    assert!(grove(db, &["session", "update", &id, "v2"])
        .status
        .success());
    assert!(grove(db, &["session", "touch", &id]).status.success());
    assert_eq!(stdout(&grove(db, &["session", "get", &id])), "v2");
    assert!(grove(db, &["session", "delete", &id]).status.success());
    assert_eq!(grove(db, &["session", "get", &id]).status.code(), Some(1));
    assert_eq!(grove(db, &["session", "touch", &id]).status.code(), Some(1));
    assert_eq!(
        grove(db, &["kv", "type", &format!("sess:{id}")])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn leaderboard_and_queue_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path();
    for (m, s) in [("alice", "10"), ("bob", "12"), ("carol", "10")] {
        assert!(grove(db, &["lb", "add", "scores", m, s]).status.success());
    }
    assert_eq!(
        stdout(&grove(db, &["lb", "incr", "scores", "alice", "-1.5"])),
        "8.5"
    );
    assert_eq!(
        stdout(&grove(db, &["lb", "top", "scores", "2"])),
        "0 bob 12\n1 carol 10"
    );
    assert_eq!(
        stdout(&grove(db, &["lb", "range", "scores", "1", "3"])),
        "1 carol 10\n2 alice 8.5"
    );
    assert_eq!(
        stdout(&grove(db, &["lb", "get", "scores", "alice"])),
        "score: 8.5\nrank: 2"
    );
    assert_eq!(stdout(&grove(db, &["lb", "len", "scores"])), "3");
    assert_eq!(
        grove(db, &["lb", "add", "scores", "x", "NaN"])
            .status
            .code(),
        Some(13)
    );
    assert_eq!(
        grove(db, &["kv", "del", "lb:scores:bob"]).status.code(),
        Some(12)
    );
    assert!(grove(db, &["lb", "remove", "scores", "bob"])
        .status
        .success());
    assert_eq!(
        grove(db, &["lb", "get", "scores", "bob"]).status.code(),
        Some(1)
    );

    assert_eq!(
        stdout(&grove(db, &["queue", "enqueue", "tasks", "first"])),
        "1"
    );
    assert_eq!(
        stdout(&grove(db, &["queue", "enqueue", "tasks", "second"])),
        "2"
    );
    assert_eq!(
        stdout(&grove(db, &["queue", "dequeue", "tasks"])),
        "1 1 first"
    );
    assert!(grove(db, &["queue", "ack", "tasks", "1"]).status.success());
    assert_eq!(
        grove(db, &["queue", "ack", "tasks", "1"]).status.code(),
        Some(1)
    );
    let deq = grove(db, &["queue", "dequeue", "tasks", "--max-attempts", "1"]);
    assert_eq!(stdout(&deq), "2 1 second");
    assert!(grove(db, &["queue", "nack", "tasks", "2"]).status.success());
    // Delivered max_attempts (1) times: the next dequeue dead-letters it instead.
    assert_eq!(
        grove(db, &["queue", "dequeue", "tasks", "--max-attempts", "1"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        stdout(&grove(db, &["queue", "stats", "tasks"])),
        "ready: 0\nin_flight: 0\ndead: 1"
    );
    assert_eq!(
        stdout(&grove(db, &["queue", "dead", "tasks"])),
        "2 1 second"
    );
}

#[test]
fn crdt_commands_and_sync_between_two_directories() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for (d, n) in [(&a, 100), (&b, 250)] {
        let db = grove_core::Store::open(d).unwrap();
        db.crdt_counter("views").unwrap().increment(n).unwrap();
        db.close().unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_grove"))
        .arg("sync")
        .args([&a, &b])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "pulled: 0\npushed: 0\nmerged: 1");
    let again = Command::new(env!("CARGO_BIN_EXE_grove"))
        .arg("sync")
        .args([&a, &b])
        .output()
        .unwrap();
    assert_eq!(stdout(&again), "pulled: 0\npushed: 0\nmerged: 0");
    let show = stdout(&grove(&b, &["crdt", "show", "views"]));
    assert!(show.contains("nodes"), "{show}");

    // State files and bundles move CRDTs between stores.
    let state = dir.path().join("state.bin");
    assert!(
        grove(&a, &["crdt", "state", "views", state.to_str().unwrap()])
            .status
            .success()
    );
    let c = dir.path().join("c");
    assert!(
        grove(&c, &["crdt", "merge", "copy", state.to_str().unwrap()])
            .status
            .success()
    );
    assert_eq!(
        grove(&c, &["crdt", "merge", "copy", state.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
    let bundle = dir.path().join("bundle.bin");
    let cursor = stdout(&grove(&a, &["crdt", "export", bundle.to_str().unwrap()]));
    assert!(cursor.parse::<u64>().unwrap() > 0);
    assert_eq!(
        stdout(&grove(&c, &["crdt", "apply", bundle.to_str().unwrap()])),
        "pulled: 1\npushed: 0\nmerged: 0"
    );
    let db = grove_core::Store::open(&c).unwrap();
    assert_eq!(db.crdt_counter("views").unwrap().value().unwrap(), 350);
    assert_eq!(db.crdt_counter("copy").unwrap().value().unwrap(), 350);
    db.close().unwrap();
    assert_eq!(grove(&c, &["crdt", "show", "nope"]).status.code(), Some(1));
}

/// Copies the raw entry of user key `from` to user key `to` in the sled store at `db`: the same
/// bytes, so the same kind, expiry and data, under a key no public call would write.
fn plant_copy(db: &std::path::Path, from: &[u8], to: &[u8]) {
    {
        let raw = sled::open(db).unwrap();
        let (key, value) = raw
            .iter()
            .map(Result::unwrap)
            .find(|(k, _)| k.ends_with(from))
            .expect("the entry to copy");
        let mut planted = key[..key.len() - from.len()].to_vec();
        planted.extend_from_slice(to);
        raw.insert(planted, value).unwrap();
        raw.flush().unwrap();
    }
    // sled releases its file lock from a background thread: wait until the store opens again.
    loop {
        match grove_core::Store::open(db) {
            Err(e) if e.kind() == grove_core::ErrorKind::StoreLocked => {
                std::thread::sleep(std::time::Duration::from_millis(5))
            }
            other => break other.unwrap().close().unwrap(),
        }
    }
}

/// Runs `grove --db <db> ARGS` in `cwd`, asserting success; returns trimmed stdout.
fn ok_in(cwd: &std::path::Path, db: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_grove"))
        .current_dir(cwd)
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "grove {args:?}: {out:?}");
    stdout(&out)
}

// Issue 19: one session id in 64 used to start with `-`, and clap read it as a flag. Every
// argument that carries a user's id, key, name, value or file must take a leading `-`, in every
// command, with options still accepted after it. New session ids never start with `-`, so the
// test plants a live session under a dash id, as stores written before that change hold.
#[test]
fn ids_keys_values_and_files_may_start_with_a_dash_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let db = cwd.join("store");
    let ok = |args: &[&str]| ok_in(cwd, &db, args);
    let code = |args: &[&str]| grove(&db, args).status.code();

    // kv: every command, options after the positionals, and `--` still working.
    ok(&["kv", "set", "-k", "-v", "--ttl", "60"]);
    assert_eq!(ok(&["kv", "get", "-k"]), "-v");
    ok(&["kv", "exists", "-k"]);
    let ttl: f64 = ok(&["kv", "ttl", "-k"]).parse().unwrap();
    assert!(ttl > 50.0 && ttl <= 60.0, "{ttl}");
    ok(&["kv", "expire", "-k", "120"]);
    assert_eq!(ok(&["kv", "type", "-k"]), "string");
    assert_eq!(ok(&["kv", "keys", "-"]), "-k");
    ok(&["kv", "del", "-k"]);
    assert_eq!(code(&["kv", "get", "-k"]), Some(1));
    assert_eq!(code(&["kv", "exists", "-k"]), Some(1));
    ok(&["kv", "set", "--", "--ttl", "-x"]);
    assert_eq!(ok(&["kv", "get", "--", "--ttl"]), "-x");
    ok(&["kv", "set", "-1", "-2"]);
    assert_eq!(ok(&["kv", "get", "-1"]), "-2");

    // counter: dash names with negative amounts.
    assert_eq!(ok(&["counter", "incr", "-c"]), "1");
    assert_eq!(ok(&["counter", "incr", "-c", "-5"]), "-4");
    assert_eq!(ok(&["counter", "decr", "-c"]), "-5");
    assert_eq!(ok(&["counter", "decr", "-c", "-5"]), "0");
    ok(&["counter", "set", "-c", "-7"]);
    assert_eq!(ok(&["counter", "get", "-c"]), "-7");
    ok(&["counter", "reset", "-c"]);
    assert_eq!(ok(&["counter", "get", "-c"]), "0");

    // lock
    assert!(ok(&["lock", "info", "-l"]).contains("held: false"));
    ok(&["lock", "run", "-l", "--ttl", "5", "--", "true"]);
    assert!(ok(&["lock", "info", "-l"]).contains("fencing_token: 1"));

    // ratelimit: dash limiter name and client key.
    let rl = |cmd: &'static str| {
        [
            "ratelimit",
            cmd,
            "-api",
            "-alice",
            "--limit",
            "1",
            "--window",
            "60",
        ]
    };
    assert!(ok(&rl("allow")).starts_with("allowed: true"));
    assert_eq!(code(&rl("allow")), Some(1));
    assert!(ok(&rl("peek")).contains("remaining: 0"));
    ok(&rl("reset"));
    assert!(ok(&rl("allow")).starts_with("allowed: true"));

    // session: data starting with `-`, then every command on a live session whose id starts
    // with `-`, options before or after it.
    let id = ok(&["session", "create", "-data", "--ttl", "60"]);
    assert_eq!(ok(&["session", "get", &id]), "-data");
    let dash = format!("-{}", &id[1..]);
    plant_copy(
        &db,
        format!("sess:{id}").as_bytes(),
        format!("sess:{dash}").as_bytes(),
    );
    assert_eq!(ok(&["session", "get", &dash]), "-data");
    assert_eq!(ok(&["session", "get", &dash, "--ttl", "60"]), "-data");
    ok(&["session", "update", &dash, "-v2", "--prefix", "sess"]);
    assert_eq!(ok(&["session", "get", "--prefix", "sess", &dash]), "-v2");
    ok(&["session", "touch", &dash]);
    ok(&["session", "delete", &dash]);
    let gone = grove(&db, &["session", "touch", &dash]);
    assert_eq!(gone.status.code(), Some(1), "{gone:?}");
    assert!(
        String::from_utf8_lossy(&gone.stderr).contains(&format!("session '{dash}' not found")),
        "{gone:?}"
    );
    assert_eq!(
        ok(&["session", "get", &id]),
        "-data",
        "the original is untouched"
    );

    // lb: dash board and member, negative scores.
    ok(&["lb", "add", "-b", "-m", "-3"]);
    ok(&["lb", "add", "-b", "-n", "1"]);
    assert_eq!(ok(&["lb", "incr", "-b", "-m", "-1.5"]), "-4.5");
    assert_eq!(ok(&["lb", "get", "-b", "-m"]), "score: -4.5\nrank: 1");
    assert_eq!(ok(&["lb", "top", "-b"]), "0 -n 1\n1 -m -4.5");
    assert_eq!(ok(&["lb", "range", "-b", "1", "2"]), "1 -m -4.5");
    assert_eq!(ok(&["lb", "around", "-b", "-m", "0"]), "1 -m -4.5");
    assert_eq!(ok(&["lb", "len", "-b"]), "2");
    ok(&["lb", "remove", "-b", "-m"]);

    // queue: dash name and payload.
    assert_eq!(ok(&["queue", "enqueue", "-q", "-p", "--delay", "0"]), "1");
    assert_eq!(ok(&["queue", "dequeue", "-q"]), "1 1 -p");
    ok(&["queue", "nack", "-q", "1"]);
    assert_eq!(
        ok(&["queue", "dequeue", "-q", "--max-attempts", "2"]),
        "1 2 -p"
    );
    ok(&["queue", "ack", "-q", "1"]);
    assert_eq!(
        ok(&["queue", "stats", "-q"]),
        "ready: 0\nin_flight: 0\ndead: 0"
    );
    assert_eq!(ok(&["queue", "dead", "-q"]), "");

    // crdt and sync: dash keys and file names (relative to cwd).
    let s = grove_core::Store::open(&db).unwrap();
    s.crdt_counter("-views").unwrap().increment(7).unwrap();
    s.close().unwrap();
    assert!(ok(&["crdt", "show", "-views"]).contains("nodes"));
    ok(&["crdt", "state", "-views", "-state.bin"]);
    ok(&["crdt", "merge", "-copy", "-state.bin"]);
    ok(&["crdt", "export", "-bundle.bin", "--since", "0"]);
    let other = cwd.join("-other");
    assert_eq!(
        ok_in(cwd, &other, &["crdt", "apply", "-bundle.bin"]),
        "pulled: 2\npushed: 0\nmerged: 0"
    );
    assert_eq!(
        ok(&["sync", "-other", "store"]),
        "pulled: 0\npushed: 0\nmerged: 0"
    );

    // A negative duration is the core's InvalidArgument (13) in every option, not a usage error.
    for args in [
        &["session", "create", "x", "--ttl", "-1"][..],
        &[
            "ratelimit",
            "peek",
            "a",
            "b",
            "--limit",
            "1",
            "--window",
            "-1",
        ],
        &["lock", "run", "l", "--ttl", "-1", "--", "true"],
        &["lock", "run", "l", "--timeout", "-1", "--", "true"],
        &["queue", "stats", "q", "--visibility-timeout", "-1"],
        &["queue", "enqueue", "q", "p", "--delay", "-1"],
        &["queue", "dequeue", "q", "--wait", "-1"],
        &["queue", "nack", "q", "1", "--delay", "-1"],
    ] {
        assert_eq!(code(args), Some(13), "{args:?}");
    }
}

/// The CLI on the Redis engine (`--db redis://…`), when GROVE_TEST_REDIS names a server (the
/// test command starts one): two `grove` processes see one store, and `lock run` holds the lock
/// for its command against another process.
#[test]
fn the_same_commands_work_on_redis() {
    let Ok(url) = std::env::var("GROVE_TEST_REDIS") else {
        eprintln!("NOTE: GROVE_TEST_REDIS is not set: the CLI was not tried on Redis");
        return;
    };
    let target = format!("{url}?store=cli{}", std::process::id());
    let db = std::path::Path::new(&target);
    for _ in 0..3 {
        assert!(grove(db, &["counter", "incr", "visits"]).status.success());
    }
    assert_eq!(stdout(&grove(db, &["counter", "get", "visits"])), "3");
    let held = Command::new(env!("CARGO_BIN_EXE_grove"))
        .args(["--db", &target, "lock", "run", "deploy", "--", "sleep", "2"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let info = stdout(&grove(db, &["lock", "info", "deploy"]));
    assert!(info.contains("held: true"), "{info}");
    let out = held.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let info = stdout(&grove(db, &["lock", "info", "deploy"]));
    assert!(
        info.contains("held: false") && info.contains("fencing_token: 1"),
        "{info}"
    );
    let refused = grove(
        std::path::Path::new("redis://127.0.0.1:1"),
        &["counter", "get", "x"],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("127.0.0.1:1"));
}

/// `--reply-timeout SECONDS` reaches the core, which checks it as it checks `--connect-timeout`:
/// 0 or less, or the flag on an engine with no server, is InvalidArgument (exit 13).
#[test]
fn reply_timeout_flag() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_grove"))
            .args(args)
            .env_remove("GROVE_DB")
            .output()
            .unwrap()
    };
    let err = |o: &Output| String::from_utf8_lossy(&o.stderr).to_string();
    let o = run(&["--db", "memory:", "--reply-timeout", "1", "stats"]);
    assert_eq!(o.status.code(), Some(13), "{}", err(&o));
    assert!(err(&o).contains("reply_timeout"), "{}", err(&o));
    for bad in ["0", "-1", "nan", "1e300"] {
        let flag = format!("--reply-timeout={bad}");
        let o = run(&["--db", "redis://127.0.0.1:1", &flag, "stats"]);
        assert_eq!(o.status.code(), Some(13), "{bad}: {}", err(&o));
        assert!(err(&o).contains("reply_timeout"), "{}", err(&o));
    }
    let Ok(url) = std::env::var("GROVE_TEST_REDIS") else {
        eprintln!("NOTE: GROVE_TEST_REDIS is not set: --reply-timeout not tried on a server");
        return;
    };
    let o = run(&[
        "--db",
        &url,
        "--reply-timeout",
        "2",
        "counter",
        "incr",
        "reply-flag",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
}

/// `--connect-timeout SECONDS` reaches the core, which checks it: 0 or less, or the flag on an
/// engine with no server, is InvalidArgument (exit 13); an unreachable server is Io (exit 20)
/// naming the address, within the timeout.
#[test]
fn connect_timeout_flag() {
    let run = |args: &[&str]| {
        let started = std::time::Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_grove"))
            .args(args)
            .env_remove("GROVE_DB")
            .output()
            .unwrap();
        (out, started.elapsed())
    };
    let err = |o: &Output| String::from_utf8_lossy(&o.stderr).to_string();
    let dir = tempfile::tempdir().unwrap();
    let sled = dir.path().join("sled");
    let sled = sled.to_str().unwrap();
    for target in [
        sled.to_string(),
        format!("sled:{sled}"),
        format!("lmdb:{sled}"),
        "memory:".into(),
    ] {
        let (o, _) = run(&["--db", &target, "--connect-timeout", "1", "stats"]);
        assert_eq!(o.status.code(), Some(13), "{target}: {}", err(&o));
        assert!(err(&o).contains("connect_timeout"), "{}", err(&o));
    }
    assert!(
        !std::path::Path::new(sled).exists(),
        "a refused open created {sled}"
    );
    // The flag is global: after the subcommand too, and for `sync`'s two stores.
    let (o, _) = run(&["--db", "memory:", "stats", "--connect-timeout", "1"]);
    assert_eq!(o.status.code(), Some(13), "{}", err(&o));
    let (o, _) = run(&["--connect-timeout", "1", "sync", sled, sled]);
    assert_eq!(o.status.code(), Some(13), "{}", err(&o));
    for bad in ["0", "-1", "-inf", "nan", "inf", "1e300"] {
        let flag = format!("--connect-timeout={bad}");
        let (o, _) = run(&["--db", "redis://127.0.0.1:1", &flag, "stats"]);
        assert_eq!(o.status.code(), Some(13), "{bad}: {}", err(&o));
    }
    let (o, _) = run(&[
        "--db",
        "redis://127.0.0.1:1",
        "--connect-timeout",
        "x",
        "stats",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "not a number is a usage error: {}",
        err(&o)
    );

    // Connection refused: Io at once, naming the address (fractions of a second are fine).
    for t in ["2", "0.5", "0.000001"] {
        let (o, _) = run(&[
            "--db",
            "redis://127.0.0.1:1",
            "--connect-timeout",
            t,
            "stats",
        ]);
        assert_eq!(o.status.code(), Some(20), "{t}: {}", err(&o));
        assert!(err(&o).contains("127.0.0.1:1"), "{}", err(&o));
    }
    // A non-routable address: Io naming it within the 0.2 s timeout (3 s is a correctness
    // bound; the default timeout is 5 s).
    let (o, took) = run(&[
        "--db",
        "redis://10.255.255.1:6379",
        "--connect-timeout",
        "0.2",
        "stats",
    ]);
    assert_eq!(o.status.code(), Some(20), "{}", err(&o));
    assert!(err(&o).contains("10.255.255.1:6379"), "{}", err(&o));
    assert!(took < std::time::Duration::from_secs(3), "{took:?}");
    // A server that never completes the handshake: a listener whose accept queue is full of
    // connections nobody accepts, so the kernel (Linux) drops further SYNs. Io after the 0.2 s.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    while fillers.len() < 4096 {
        match std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(200)) {
            Ok(s) => fillers.push(s),
            Err(_) => break, // the queue is full
        }
    }
    assert!(fillers.len() < 4096, "{addr} kept completing handshakes");
    let target = format!("redis://{addr}");
    let (o, took) = run(&["--db", &target, "--connect-timeout", "0.2", "stats"]);
    assert_eq!(o.status.code(), Some(20), "{}", err(&o));
    assert!(err(&o).contains(&addr.to_string()), "{}", err(&o));
    assert!(
        took >= std::time::Duration::from_millis(150) && took < std::time::Duration::from_secs(3),
        "{took:?}"
    );
    drop(fillers);

    if let Ok(url) = std::env::var("GROVE_TEST_REDIS") {
        let (o, _) = run(&["--db", &url, "--connect-timeout", "2", "stats"]);
        assert!(o.status.success(), "{}", err(&o));
    }
}

#[test]
fn conditional_kv_writes_and_bounded_counter_commands() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path();
    let code = |args: &[&str]| grove(db, args).status.code();

    // kv set --if-absent / --if-present / --if-equals: exit 1 when not written.
    assert_eq!(code(&["kv", "set", "k", "one", "--if-absent"]), Some(0));
    let refused = grove(db, &["kv", "set", "k", "two", "--if-absent"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not written"));
    assert_eq!(stdout(&grove(db, &["kv", "get", "k"])), "one");
    assert_eq!(code(&["kv", "set", "none", "x", "--if-present"]), Some(1));
    assert_eq!(code(&["kv", "exists", "none"]), Some(1));
    assert_eq!(
        code(&["kv", "set", "k", "three", "--if-present", "--ttl", "60"]),
        Some(0)
    );
    let ttl: f64 = stdout(&grove(db, &["kv", "ttl", "k"])).parse().unwrap();
    assert!(ttl > 50.0 && ttl <= 60.0);
    assert_eq!(
        code(&["kv", "set", "k", "four", "--if-equals", "nope"]),
        Some(1)
    );
    assert_eq!(
        code(&["kv", "set", "k", "four", "--if-equals", "three"]),
        Some(0)
    );
    assert_eq!(code(&["kv", "set", "k", "-v", "--if-equals=four"]), Some(0));
    assert_eq!(stdout(&grove(db, &["kv", "get", "k"])), "-v");
    // Two conditions at once are a usage error.
    assert_eq!(
        code(&["kv", "set", "k", "x", "--if-absent", "--if-present"]),
        Some(2)
    );

    // getset prints the old value (exit 1 when there was none, written anyway); getdel.
    assert_eq!(stdout(&grove(db, &["kv", "getset", "k", "five"])), "-v");
    assert_eq!(
        code(&["kv", "getset", "fresh", "first", "--ttl", "60"]),
        Some(1)
    );
    assert_eq!(stdout(&grove(db, &["kv", "get", "fresh"])), "first");
    assert_eq!(stdout(&grove(db, &["kv", "getdel", "k"])), "five");
    assert_eq!(code(&["kv", "getdel", "k"]), Some(1));
    assert_eq!(code(&["kv", "exists", "k"]), Some(1));

    // Bad input and wrong types keep the CLI's codes: 13 InvalidArgument, 12 WrongType.
    assert_eq!(code(&["kv", "set", "", "x", "--if-absent"]), Some(13));
    assert_eq!(
        code(&["kv", "set", "z", "x", "--if-absent", "--ttl", "0"]),
        Some(13)
    );
    assert_eq!(code(&["kv", "getset", "z", "x", "--ttl", "-1"]), Some(13));
    assert_eq!(code(&["kv", "getdel", ""]), Some(13));
    assert_eq!(code(&["kv", "exists", "z"]), Some(1));
    assert_eq!(code(&["counter", "set", "stock", "3"]), Some(0));
    assert_eq!(code(&["kv", "getdel", "counter:stock"]), Some(12));
    assert_eq!(
        code(&["kv", "set", "counter:stock", "x", "--if-present"]),
        Some(12)
    );

    // counter try-decr (floor 0 by default) / try-incr --cap: exit 1 when refused.
    assert_eq!(
        stdout(&grove(db, &["counter", "try-decr", "stock", "2"])),
        "1"
    );
    let no = grove(db, &["counter", "try-decr", "stock", "2"]);
    assert_eq!(no.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no.stderr).contains("refused"));
    assert_eq!(stdout(&grove(db, &["counter", "get", "stock"])), "1");
    assert_eq!(stdout(&grove(db, &["counter", "try-decr", "stock"])), "0");
    assert_eq!(
        stdout(&grove(
            db,
            &["counter", "try-decr", "stock", "5", "--floor", "-5"]
        )),
        "-5"
    );
    assert_eq!(
        stdout(&grove(
            db,
            &["counter", "try-incr", "stock", "10", "--cap", "5"]
        )),
        "5"
    );
    assert_eq!(
        code(&["counter", "try-incr", "stock", "--cap", "5"]),
        Some(1)
    );
    assert_eq!(code(&["counter", "try-incr", "stock"]), Some(2)); // --cap is required
    assert_eq!(code(&["counter", "try-decr", "stock", "-1"]), Some(13));
    assert_eq!(
        code(&["counter", "try-incr", "stock", "-1", "--cap", "9"]),
        Some(13)
    );
    assert_eq!(code(&["counter", "try-decr", "-c", "0"]), Some(0)); // a dash name
    assert_eq!(stdout(&grove(db, &["counter", "get", "stock"])), "5");
    assert_eq!(code(&["kv", "set", "counter:text", "x"]), Some(0));
    assert_eq!(code(&["counter", "try-decr", "text"]), Some(12));
}

/// Runs `grove` with `args` and the environment variables `env` (GROVE_DB and
/// GROVE_ENCRYPTION_KEY cleared first).
fn grove_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_grove"));
    cmd.args(args)
        .env_remove("GROVE_DB")
        .env_remove("GROVE_ENCRYPTION_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Whether a file directly in `dir` holds `marker`.
fn dir_contains(dir: &std::path::Path, marker: &str) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let path = e.unwrap().path();
        path.is_file()
            && std::fs::read(&path)
                .unwrap()
                .windows(marker.len())
                .any(|w| w == marker.as_bytes())
    })
}

#[test]
fn keygen_encryption_key_file_env_and_compression_flags() {
    let err = |o: &Output| String::from_utf8_lossy(&o.stderr).to_string();
    // keygen: 64 lowercase hex characters, a new key each time.
    let k1 = stdout(&grove_env(&["keygen"], &[]));
    let k2 = stdout(&grove_env(&["keygen"], &[]));
    assert_eq!(k1.len(), 64, "{k1}");
    assert!(k1
        .bytes()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_ne!(k1, k2);

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sealed");
    let target = format!("lmdb:{}", data.display());
    let hex_file = dir.path().join("key.hex");
    std::fs::write(&hex_file, format!("{k1}\n")).unwrap();
    let raw_file = dir.path().join("key.bin");
    let raw: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&k1[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    std::fs::write(&raw_file, &raw).unwrap();
    let hex_flag = format!("--encryption-key-file={}", hex_file.display());
    let raw_flag = format!("--encryption-key-file={}", raw_file.display());

    // Written with the hex key file: kv, a session and a job.
    let run = |extra: &[&str], args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["--db", target.as_str()];
        all.extend_from_slice(extra);
        all.extend_from_slice(args);
        grove_env(&all, env)
    };
    let o = run(&[&hex_flag], &["kv", "set", "kv", "MARKER-cli-kv-3b7"], &[]);
    assert!(o.status.success(), "{}", err(&o));
    let sid = stdout(&run(
        &[&hex_flag],
        &["session", "create", "MARKER-cli-session-3b7"],
        &[],
    ));
    assert_eq!(sid.len(), 43, "{sid}");
    let o = run(
        &[&hex_flag],
        &["queue", "enqueue", "jobs", "MARKER-cli-job-3b7"],
        &[],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(
        !dir_contains(&data, "MARKER-cli-"),
        "plaintext in the data files"
    );

    // Read back with the raw key file, and with the environment variable.
    assert_eq!(
        stdout(&run(&[&raw_flag], &["kv", "get", "kv"], &[])),
        "MARKER-cli-kv-3b7"
    );
    let env = [("GROVE_ENCRYPTION_KEY", k1.as_str())];
    assert_eq!(
        stdout(&run(&[], &["session", "get", &sid], &env)),
        "MARKER-cli-session-3b7"
    );
    assert_eq!(
        stdout(&run(&[], &["queue", "dequeue", "jobs"], &env)),
        "1 1 MARKER-cli-job-3b7"
    );

    // No key, or another key: exit 22 (Encryption).
    let o = run(&[], &["kv", "get", "kv"], &[]);
    assert_eq!(o.status.code(), Some(22), "{}", err(&o));
    assert!(err(&o).contains("Encryption"), "{}", err(&o));
    let o = run(
        &[],
        &["kv", "get", "kv"],
        &[("GROVE_ENCRYPTION_KEY", k2.as_str())],
    );
    assert_eq!(o.status.code(), Some(22), "{}", err(&o));
    // Rotation: the new key from the environment, the old one from a file.
    let old_flag = format!("--old-encryption-key-file={}", hex_file.display());
    assert_eq!(
        stdout(&run(
            &[&old_flag],
            &["kv", "get", "kv"],
            &[("GROVE_ENCRYPTION_KEY", k2.as_str())]
        )),
        "MARKER-cli-kv-3b7"
    );

    // Bad keys: exit 13 (InvalidArgument), and nothing is opened.
    let short = dir.path().join("short");
    std::fs::write(&short, [7u8; 31]).unwrap();
    let not_hex = dir.path().join("nothex");
    std::fs::write(&not_hex, "z".repeat(64)).unwrap();
    for (flags, env) in [
        (
            vec![format!("--encryption-key-file={}", short.display())],
            vec![],
        ),
        (
            vec![format!("--encryption-key-file={}", not_hex.display())],
            vec![],
        ),
        (vec![], vec![("GROVE_ENCRYPTION_KEY", &k1[..62])]),
        (vec![], vec![("GROVE_ENCRYPTION_KEY", "xy")]),
        (vec![], vec![("GROVE_ENCRYPTION_KEY", "")]),
        (vec![old_flag.clone()], vec![]),
    ] {
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let o = run(&flags, &["kv", "get", "kv"], &env);
        assert_eq!(o.status.code(), Some(13), "{flags:?} {env:?}: {}", err(&o));
    }
    let o = grove_env(
        &[
            "--db",
            "memory:",
            "--encryption-key-file",
            "/nonexistent/key",
            "stats",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(20), "{}", err(&o));
    // A key on the command line itself is not an option.
    let o = grove_env(&["--db", "memory:", "--encryption-key", &k1, "stats"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));

    // The same write without a key is in the files, so the check above can fail.
    let plain = dir.path().join("plain");
    let plain_target = format!("lmdb:{}", plain.display());
    let o = grove_env(
        &[
            "--db",
            &plain_target,
            "kv",
            "set",
            "kv",
            "MARKER-cli-kv-3b7",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", err(&o));
    assert!(dir_contains(&plain, "MARKER-cli-kv-3b7"));

    // Compression: a 10 KB value round-trips, and reads back without the flag.
    let big = "compressible text ".repeat(600)[..10 * 1024].to_string();
    let z = format!("lmdb:{}", dir.path().join("z").display());
    for flags in [&["--compress"][..], &["--compress-min-bytes", "0"][..]] {
        let mut args = vec!["--db", z.as_str()];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["kv", "set", "big", &big]);
        let o = grove_env(&args, &[]);
        assert!(o.status.success(), "{}", err(&o));
        assert_eq!(
            stdout(&grove_env(&["--db", &z, "kv", "get", "big"], &[])),
            big
        );
    }
}

#[test]
fn stats_prometheus_shows_what_other_processes_did_on_lmdb() {
    let dir = tempfile::tempdir().unwrap();
    let target = format!("lmdb:{}", dir.path().display());
    let db = std::path::Path::new(&target);
    // Three processes count once each; a fourth fails with WrongType.
    for _ in 0..3 {
        assert!(grove(db, &["counter", "incr", "hits"]).status.success());
    }
    assert!(grove(db, &["kv", "set", "counter:bytes", "x"])
        .status
        .success());
    assert!(!grove(db, &["counter", "incr", "bytes"]).status.success());
    // This test process is another one, still open, having flushed.
    let store = grove_core::Store::open(&target).unwrap();
    let c = store.counter("hits").unwrap();
    for _ in 0..10 {
        c.increment(1).unwrap();
    }
    store.flush().unwrap();

    let out = grove(db, &["stats", "--prometheus"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("# TYPE grove_op_duration_seconds histogram"),
        "{text}"
    );
    let sum = |metric: &str, op: &str| -> (u64, usize) {
        let mut total = 0;
        let mut series = 0;
        for line in text
            .lines()
            .filter(|l| l.starts_with(&format!("{metric}{{")))
        {
            if line.contains(&format!("op=\"{op}\"")) {
                assert!(line.contains("process=\""), "{line}");
                total += line.rsplit_once(' ').unwrap().1.parse::<u64>().unwrap();
                series += 1;
            }
        }
        (total, series)
    };
    // 3 + 1 CLI calls (one failing) and this process's 10, one series per process.
    assert_eq!(
        sum("grove_ops_total", "counter.increment"),
        (14, 5),
        "{text}"
    );
    assert_eq!(sum("grove_op_errors_total", "counter.increment"), (1, 5));
    assert_eq!(sum("grove_ops_total", "kv.set"), (1, 1));
    // `stats` itself records nothing: asking twice shows the same.
    let again = grove(db, &["stats", "--prometheus"]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), text);

    let out = grove(db, &["stats", "--json"]);
    assert!(out.status.success());
    let json = stdout(&out);
    assert!(
        json.contains("\"counter.increment\":{\"count\":14,\"errors\":1,"),
        "{json}"
    );
    store.close().unwrap();
}
