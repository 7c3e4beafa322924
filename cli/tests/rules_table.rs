//! The shared table of bad inputs (tests/bad_input/rules.tsv), run through the `grove` binary.
//! Each row names an operation, its arguments and the error kind the core gives; here that is
//! the exit status 10 + the kind's code. This file only turns a row into a command line. Rows
//! with no CLI spelling are skipped, each with its reason (see `command`); the test fails if
//! fewer than half the rows ran. The rows on a store run on a fresh sled directory (a `memory:`
//! store would end with the process), which must hold no key afterwards.

use std::path::Path;
use std::process::Command;

use grove_core::ErrorKind;

const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/bad_input/rules.tsv");

/// The exit status of a Grove error of `kind` (as `grove --help` says: 1 for NotFound).
fn exit_status(kind: &str) -> i32 {
    let k = ErrorKind::ALL
        .into_iter()
        .find(|k| k.as_str() == kind)
        .unwrap_or_else(|| panic!("unknown kind {kind} in {TABLE}"));
    match k {
        ErrorKind::NotFound => 1,
        k => 10 + k.code(),
    }
}

fn text(token: &str, dir: &Path) -> String {
    let store = dir.join("store").display().to_string();
    match token {
        "{empty}" => String::new(),
        "{sled}" => store,
        "{lmdb}" => format!("lmdb:{store}"),
        t => match t.strip_prefix("{x*").and_then(|r| r.strip_suffix('}')) {
            Some(n) => "x".repeat(n.parse().unwrap()),
            None => t.to_string(),
        },
    }
}

/// A command's arguments after `--db`, or why the CLI cannot say the row.
type Spelled = Result<(String, Vec<String>), &'static str>;

/// `open TARGET OPTIONS…` as `grove --db TARGET [flags] kv keys`.
fn open_command(a: &[&str], dir: &Path) -> Spelled {
    if a[0] == "{empty}" {
        return Err("an empty --db is a usage error (exit 2): the CLI's parser needs a value");
    }
    let mut args = Vec::new();
    for opt in &a[1..] {
        let (name, value) = opt.split_once('=').unwrap();
        match name {
            "durable" => args.push("--durable".to_string()),
            "connect_timeout_ms" => {
                let ms: f64 = value.parse().unwrap();
                args.push(format!("--connect-timeout={}", ms / 1000.0));
            }
            "key_bytes" | "old_key_bytes" => {
                let n: usize = value.parse().unwrap();
                let file = dir.join(name);
                std::fs::write(&file, vec![7u8; n]).unwrap();
                let flag = if name == "key_bytes" {
                    "--encryption-key-file"
                } else {
                    "--old-encryption-key-file"
                };
                args.push(format!("{flag}={}", file.display()));
            }
            "flush_ms" => return Err("the CLI has no flush interval option"),
            "node_id" => return Err("the CLI has no node id option"),
            _ => panic!("unknown open option {opt} in {TABLE}"),
        }
    }
    args.extend(["kv", "keys"].map(String::from));
    Ok((text(a[0], dir), args))
}

/// Every other row, on the store at `db`.
fn command(op: &str, a: &[&str], dir: &Path, db: &str) -> Spelled {
    let t = |i: usize| text(a[i], dir);
    let opt = |flag: &str, v: &str| format!("--{flag}={v}");
    let args: Vec<String> = match op {
        "set" if t(1).len() > 100_000 => return Err("a value past 16 MiB is no argv argument"),
        "set" if a[2] == "-" => vec!["kv".into(), "set".into(), "--".into(), t(0), t(1)],
        "set" => vec![
            "kv".into(),
            "set".into(),
            opt("ttl", a[2]),
            "--".into(),
            t(0),
            t(1),
        ],
        "counter" => vec!["counter".into(), "get".into(), "--".into(), t(0)],
        "lock" => vec![
            "lock".into(),
            "run".into(),
            opt("ttl", a[1]),
            "--".into(),
            t(0),
            "true".into(),
        ],
        "leaderboard" => vec!["lb".into(), "len".into(), "--".into(), t(0)],
        "queue" => vec![
            "queue".into(),
            "stats".into(),
            opt("visibility-timeout", a[1]),
            opt("max-attempts", a[2]),
            "--".into(),
            t(0),
        ],
        "rate_limiter" => vec![
            "ratelimit".into(),
            "peek".into(),
            opt("limit", a[1]),
            opt("window", a[2]),
            "--".into(),
            t(0),
            "u".into(),
        ],
        "sessions" => vec![
            "session".into(),
            "create".into(),
            opt("ttl", a[0]),
            "{}".into(),
        ],
        "crdt" => vec!["crdt".into(), "show".into(), "--".into(), t(1)],
        "crdt_json" => return Err("the CLI writes CRDTs only by merging state bytes"),
        "leaderboard_add" | "leaderboard_incr" => vec![
            "lb".into(),
            if op == "leaderboard_add" {
                "add"
            } else {
                "incr"
            }
            .into(),
            "--".into(),
            "b".into(),
            t(0),
            a[1].into(),
        ],
        "allow" => vec![
            "ratelimit".into(),
            "allow".into(),
            opt("limit", a[0]),
            "--window=60".into(),
            opt("cost", a[1]),
            "api".into(),
            "u".into(),
        ],
        "enqueue" => vec![
            "queue".into(),
            "enqueue".into(),
            opt("delay", a[0]),
            "jobs".into(),
            "job".into(),
        ],
        "nack" => vec![
            "queue".into(),
            "nack".into(),
            opt("delay", a[0]),
            "jobs".into(),
            "1".into(),
        ],
        "expire" => vec!["kv".into(), "expire".into(), "--".into(), t(0), a[1].into()],
        "try_decrement" | "try_increment" => vec![
            "counter".into(),
            if op == "try_decrement" {
                "try-decr"
            } else {
                "try-incr"
            }
            .into(),
            if op == "try_decrement" {
                "--floor=0"
            } else {
                "--cap=100"
            }
            .into(),
            "--".into(),
            "c".into(),
            a[0].into(),
        ],
        "compare_and_set" => vec![
            "kv".into(),
            "set".into(),
            "--if-equals=x".into(),
            "--".into(),
            t(0),
            "v".into(),
        ],
        _ => panic!("unknown op {op} in {TABLE}"),
    };
    Ok((db.to_string(), args))
}

#[test]
fn rules_table_through_the_cli() {
    let table = std::fs::read_to_string(TABLE).unwrap();
    let (mut rows, mut ran) = (0, 0);
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    for line in table.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        rows += 1;
        let f: Vec<&str> = line.split('\t').collect();
        let (op, a, kind) = (f[0], &f[1..f.len() - 1], f[f.len() - 1]);
        let want = exit_status(kind);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let db = dir.join("db").display().to_string();
        let spelled = if op == "open" {
            open_command(a, dir)
        } else {
            command(op, a, dir, &db)
        };
        let (target, args) = match spelled {
            Ok(c) => c,
            Err(why) => {
                skipped.push(format!("{line:?}: {why}"));
                continue;
            }
        };
        // A target wrongly taken for a path lands in the row's own directory.
        let out = Command::new(env!("CARGO_BIN_EXE_grove"))
            .current_dir(dir)
            .env_remove("GROVE_DB")
            .env_remove("GROVE_ENCRYPTION_KEY")
            .arg(format!("--db={target}"))
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut problems = Vec::new();
        if out.status.code() != Some(want) {
            problems.push(format!(
                "exit {:?}, want {want}: {}",
                out.status.code(),
                stderr.trim()
            ));
        } else if stderr.trim().is_empty() {
            problems.push("no message".to_string());
        }
        if op == "open" && dir.join("store").exists() {
            problems.push("a refused open left a store behind".to_string());
        }
        if op != "open" && dir.join("db").exists() {
            let keys = Command::new(env!("CARGO_BIN_EXE_grove"))
                .arg(format!("--db={db}"))
                .args(["kv", "keys"])
                .output()
                .unwrap();
            if !keys.status.success() || !keys.stdout.is_empty() {
                problems.push(format!(
                    "a refused call wrote something: {}",
                    String::from_utf8_lossy(&keys.stdout)
                ));
            }
        }
        if problems.is_empty() {
            ran += 1;
        } else {
            failures.push(format!(
                "{line:?} (grove {args:?}): {}",
                problems.join("; ")
            ));
        }
    }
    eprintln!("skipped (no CLI spelling):\n  {}", skipped.join("\n  "));
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(rows > 50 && ran >= rows / 2, "{rows} rows read, {ran} run");
}
