//! `grove`: inspect and drive a Grove store from the shell, and `grove demo`.

use clap::{Args, Parser, Subcommand};
use grove_core::{ttl_from_secs, Durability, Error, ErrorKind, Kind, Options, Store};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Inspect and drive a Grove store.
#[derive(Parser)]
#[command(
    name = "grove",
    version,
    about = "Inspect and drive a Grove store",
    after_help = "Exit status: 0 ok, 1 not found, 2 usage, 10+N a Grove error of kind N \
                  (12 WrongType, 13 InvalidArgument, 14 Overflow, 16 StoreLocked, 19 Corrupt, 20 Io)."
)]
struct Cli {
    /// Store directory (sled); also read from GROVE_DB.
    #[arg(long, global = true, env = "GROVE_DB")]
    db: Option<PathBuf>,
    /// Fsync every write before returning (default: periodic flush).
    #[arg(long, global = true)]
    durable: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Key/value operations.
    #[command(subcommand)]
    Kv(KvCmd),
    /// Atomic counters (key `counter:<name>`).
    #[command(subcommand)]
    Counter(CounterCmd),
    /// Show the store's path, node id, key counts by kind and size on disk.
    Stats,
    /// Remove expired keys now.
    Purge,
    /// The visitor-counter story: threads count page views, the store is reopened, the total holds.
    Demo(DemoArgs),
}

#[derive(Subcommand)]
enum KvCmd {
    /// Print the value of KEY (exit 1 if absent).
    Get { key: String },
    /// Store VALUE at KEY.
    Set {
        key: String,
        value: String,
        /// Expire after this many seconds.
        #[arg(long, allow_negative_numbers = true)]
        ttl: Option<f64>,
    },
    /// Delete KEY (exit 1 if it did not exist).
    Del { key: String },
    /// Exit 0 if KEY exists, 1 otherwise.
    Exists { key: String },
    /// List keys starting with PREFIX.
    Keys {
        #[arg(default_value = "")]
        prefix: String,
    },
    /// Print the seconds KEY has left ("none" without expiry; exit 1 if absent).
    Ttl { key: String },
    /// Make KEY expire after SECONDS (exit 1 if absent).
    Expire {
        key: String,
        #[arg(allow_negative_numbers = true)]
        seconds: f64,
    },
    /// Print what KEY holds (string, counter, …).
    Type { key: String },
}

#[derive(Subcommand)]
enum CounterCmd {
    /// Add BY (default 1) and print the new value.
    Incr {
        name: String,
        #[arg(default_value_t = 1, allow_negative_numbers = true)]
        by: i64,
    },
    /// Subtract BY (default 1) and print the new value.
    Decr {
        name: String,
        #[arg(default_value_t = 1, allow_negative_numbers = true)]
        by: i64,
    },
    /// Print the value (0 when unset).
    Get { name: String },
    /// Set the value.
    Set {
        name: String,
        #[arg(allow_negative_numbers = true)]
        value: i64,
    },
    /// Set the value to 0.
    Reset { name: String },
}

#[derive(Args)]
struct DemoArgs {
    /// Worker threads counting page views.
    #[arg(long, default_value_t = 8)]
    threads: usize,
    /// Page views each thread counts.
    #[arg(long, default_value_t = 20_000)]
    views: i64,
    /// Store directory to use (default: a fresh temporary folder, removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// A failure with the exit status it maps to.
struct Fail(u8, String);

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        let code = match e.kind() {
            ErrorKind::NotFound => 1,
            k => 10 + k.code() as u8,
        };
        Fail(code, e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(code, msg)) => {
            if !msg.is_empty() {
                eprintln!("grove: {msg}");
            }
            ExitCode::from(code)
        }
    }
}

fn open(cli: &Cli) -> Result<Store, Fail> {
    let path = cli
        .db
        .as_ref()
        .ok_or_else(|| Fail(2, "no store given: pass --db PATH or set GROVE_DB".into()))?;
    let mut opts = Options::new();
    if cli.durable {
        opts = opts.durability(Durability::EveryWrite);
    }
    Ok(Store::open_with(path, opts)?)
}

fn ttl(secs: f64) -> Result<std::time::Duration, Fail> {
    Ok(ttl_from_secs(secs)?)
}

fn out(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(bytes);
    let _ = stdout.write_all(b"\n");
}

fn run(cli: Cli) -> Result<(), Fail> {
    match &cli.command {
        Command::Demo(args) => return demo(args),
        Command::Kv(cmd) => {
            let db = open(&cli)?;
            kv(&db, cmd)?;
            db.close()?;
        }
        Command::Counter(cmd) => {
            let db = open(&cli)?;
            counter(&db, cmd)?;
            db.close()?;
        }
        Command::Stats => {
            let db = open(&cli)?;
            stats(&db)?;
            db.close()?;
        }
        Command::Purge => {
            let db = open(&cli)?;
            println!("{}", db.purge_expired()?);
            db.close()?;
        }
    }
    Ok(())
}

fn kv(db: &Store, cmd: &KvCmd) -> Result<(), Fail> {
    match cmd {
        KvCmd::Get { key } => match db.get(key.as_bytes())? {
            Some(v) => out(&v),
            None => return Err(Fail(1, format!("key '{key}' not found"))),
        },
        KvCmd::Set { key, value, ttl: t } => {
            let t = t.map(ttl).transpose()?;
            db.set(key.as_bytes(), value.as_bytes(), t)?;
        }
        KvCmd::Del { key } => {
            if !db.delete(key.as_bytes())? {
                return Err(Fail(1, format!("key '{key}' not found")));
            }
        }
        KvCmd::Exists { key } => {
            if !db.exists(key.as_bytes())? {
                return Err(Fail(1, String::new()));
            }
        }
        KvCmd::Keys { prefix } => {
            for k in db.keys(prefix.as_bytes())? {
                out(&k?);
            }
        }
        KvCmd::Ttl { key } => match db.ttl(key.as_bytes())? {
            Some(d) => println!("{:.3}", d.as_secs_f64()),
            None => println!("none"),
        },
        KvCmd::Expire { key, seconds } => {
            if !db.expire(key.as_bytes(), ttl(*seconds)?)? {
                return Err(Fail(1, format!("key '{key}' not found")));
            }
        }
        KvCmd::Type { key } => match db.kind_of(key.as_bytes())? {
            Some(k) => println!("{}", k.name()),
            None => return Err(Fail(1, format!("key '{key}' not found"))),
        },
    }
    Ok(())
}

fn counter(db: &Store, cmd: &CounterCmd) -> Result<(), Fail> {
    match cmd {
        CounterCmd::Incr { name, by } => println!("{}", db.counter(name)?.increment(*by)?),
        CounterCmd::Decr { name, by } => println!("{}", db.counter(name)?.decrement(*by)?),
        CounterCmd::Get { name } => println!("{}", db.counter(name)?.get()?),
        CounterCmd::Set { name, value } => db.counter(name)?.set(*value)?,
        CounterCmd::Reset { name } => db.counter(name)?.reset()?,
    }
    Ok(())
}

fn stats(db: &Store) -> Result<(), Fail> {
    let mut by_kind: std::collections::BTreeMap<&'static str, u64> = Default::default();
    let mut total = 0u64;
    for k in db.keys(b"")? {
        let k = k?;
        if let Some(kind) = db.kind_of(&k)? {
            *by_kind.entry(kind.name()).or_default() += 1;
            total += 1;
        }
    }
    println!(
        "path: {}",
        db.path()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    println!("node_id: {}", db.node_id());
    println!("keys: {total}");
    for (kind, n) in by_kind {
        println!("  {kind}: {n}");
    }
    println!("size_on_disk: {} bytes", db.size_on_disk()?);
    Ok(())
}

fn demo(args: &DemoArgs) -> Result<(), Fail> {
    let tmp;
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => {
            tmp = tempfile::Builder::new()
                .prefix("grove-demo-")
                .tempdir()
                .map_err(|e| Fail(20, format!("creating a temporary folder: {e}")))?;
            tmp.path().join("store")
        }
    };
    println!("Grove demo: the visitor counter");
    println!("  store: sled at {}", dir.display());
    let db = Store::open(&dir)?;
    let visitors = db.counter("page-views")?;
    let before = visitors.get()?;
    let want = before + args.threads as i64 * args.views;
    println!(
        "  {} threads each count {} page views on counter:page-views (starting at {before})",
        args.threads, args.views
    );
    let start = Instant::now();
    let results: Vec<Result<(), Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..args.threads)
            .map(|_| {
                let c = visitors.clone();
                s.spawn(move || {
                    for _ in 0..args.views {
                        c.increment(1)?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in results {
        r?;
    }
    let elapsed = start.elapsed();
    let total = visitors.get()?;
    let ops = (args.threads as i64 * args.views) as f64;
    println!(
        "  counted in {:.3} s ({:.0} increments/s, {:.2} µs each across threads)",
        elapsed.as_secs_f64(),
        ops / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / ops
    );
    println!("  total now: {total} (expected {want})");
    db.close()?;
    println!("  store closed (flushed); reopening…");
    let db = Store::open(&dir)?;
    let reopened = db.counter("page-views")?.get()?;
    println!("  after reopen: {reopened}");
    let kind = db.kind_of(b"counter:page-views")?;
    db.close()?;
    if total != want || reopened != want || kind != Some(Kind::Counter) {
        return Err(Fail(
            1,
            format!("demo FAILED: expected {want}, counted {total}, reopened {reopened}"),
        ));
    }
    println!("OK: every page view counted exactly once, and the total survived a reopen.");
    Ok(())
}
