//! `grove`: inspect and drive a Grove store from the shell, and `grove demo`.
#![forbid(unsafe_code)]

use clap::{Args, Parser, Subcommand};
use grove_core::{ttl_from_secs, Durability, Error, ErrorKind, Kind, Options, Store};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Prints a line to stdout, ignoring errors: a closed pipe (`grove … | head`) is not a failure.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Inspect and drive a Grove store.
#[derive(Parser)]
#[command(
    name = "grove",
    version,
    about = "Inspect and drive a Grove store",
    after_help = "Exit status: 0 ok, 1 not found (or refused: by a rate limiter, a conditional \
                  `kv set`, `counter try-decr`/`try-incr`), 2 usage, \
                  10+N a Grove error of kind N (12 WrongType, 13 InvalidArgument, 14 Overflow, \
                  16 StoreLocked, 17 LockTimeout, 19 Corrupt, 20 Io, 22 Encryption); `lock run` \
                  exits with its command's status.\n\n\
                  Ids, keys, names, values and files may start with `-` (`grove kv get -k`); \
                  one spelled exactly like a flag of its command (`-h`, `--ttl`) goes after \
                  `--`, or for an option's value after `=` (`--prefix=-h`)."
)]
struct Cli {
    /// Store target: DIR or sled:DIR (sled), lmdb:DIR (shared by processes; preview), memory: or
    /// redis://HOST:PORT[/DB] (rediss://…?ca=CA.pem over TLS); also read from GROVE_DB.
    #[arg(long, global = true, env = "GROVE_DB")]
    db: Option<PathBuf>,
    /// Fsync every write before returning (default: periodic flush).
    #[arg(long, global = true)]
    durable: bool,
    /// Seconds a redis:// store waits for its server before failing (exit 20, Io); default 5.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        allow_negative_numbers = true
    )]
    connect_timeout: Option<f64>,
    /// Seconds a redis:// store waits for each answer before failing (exit 20, Io); default 20.
    #[arg(
        long,
        global = true,
        value_name = "SECONDS",
        allow_negative_numbers = true
    )]
    reply_timeout: Option<f64>,
    /// Store values of at least 1024 bytes (or --compress-min-bytes) zstd-compressed.
    #[arg(long, global = true)]
    compress: bool,
    /// The threshold of --compress in bytes (implies --compress; 0 compresses every value).
    #[arg(long, global = true, value_name = "N")]
    compress_min_bytes: Option<usize>,
    /// File holding the 32-byte encryption key (raw, or 64 hex characters); every value written
    /// is sealed with it. Default: GROVE_ENCRYPTION_KEY (64 hex characters). Never on the
    /// command line itself. Make one with `grove keygen`.
    #[arg(long, global = true, value_name = "PATH")]
    encryption_key_file: Option<PathBuf>,
    /// File holding a key of an earlier rotation (as --encryption-key-file): values sealed with
    /// it still open. Repeatable.
    #[arg(long, global = true, value_name = "PATH")]
    old_encryption_key_file: Vec<PathBuf>,
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
    /// Distributed locks (key `lock:<name>`).
    #[command(subcommand)]
    Lock(LockCmd),
    /// Sliding-window rate limiters (keys `ratelimit:<name>:<key>`).
    #[command(subcommand)]
    Ratelimit(RateCmd),
    /// Sessions (keys `<prefix>:<id>`).
    #[command(subcommand)]
    Session(SessionCmd),
    /// Leaderboards (keys `lb:<board>:<member>`).
    #[command(subcommand)]
    Lb(LbCmd),
    /// Job queues (keys under `queue:<name>:`).
    #[command(subcommand)]
    Queue(QueueCmd),
    /// CRDTs: inspect as JSON, save and merge states, export and apply change bundles.
    #[command(subcommand)]
    Crdt(CrdtCmd),
    /// Merge every CRDT of two stores both ways (each directory is opened by this process).
    Sync {
        #[arg(allow_hyphen_values = true)]
        dir_a: PathBuf,
        #[arg(allow_hyphen_values = true)]
        dir_b: PathBuf,
    },
    /// Show the store's path, node id, key counts by kind and size on disk; or, with
    /// `--prometheus` or `--json`, the operation metrics the processes using the store published
    /// (each publishes at flush, close and every 10 s while it makes calls; kept 24 h).
    Stats {
        /// Print the published metrics in the Prometheus text format, one `process` label each.
        #[arg(long, conflicts_with = "json")]
        prometheus: bool,
        /// Print the published metrics as JSON: `total` (summed) and `processes`.
        #[arg(long)]
        json: bool,
    },
    /// Remove expired keys now.
    Purge,
    /// The visitor-counter story: threads count page views, the store is reopened, the total holds.
    Demo(DemoArgs),
    /// Print a fresh random encryption key as 64 hex characters (for --encryption-key-file or
    /// GROVE_ENCRYPTION_KEY).
    Keygen,
}

#[derive(Subcommand)]
enum KvCmd {
    /// Print the value of KEY (exit 1 if absent).
    Get {
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
    /// Store VALUE at KEY; with --if-absent, --if-present or --if-equals only when that holds,
    /// in one atomic step (exit 1 if not written).
    Set {
        #[arg(allow_hyphen_values = true)]
        key: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
        /// Expire after this many seconds.
        #[arg(long, allow_negative_numbers = true)]
        ttl: Option<f64>,
        /// Write only if KEY holds nothing (Redis SET NX).
        #[arg(long, conflicts_with_all = ["if_present", "if_equals"])]
        if_absent: bool,
        /// Write only if KEY holds a value (Redis SET XX).
        #[arg(long, conflicts_with = "if_equals")]
        if_present: bool,
        /// Write only if KEY holds exactly OLD (compare-and-set; --if-absent for "holds nothing").
        #[arg(long, value_name = "OLD", allow_hyphen_values = true)]
        if_equals: Option<String>,
    },
    /// Store VALUE at KEY and print the value it replaced (exit 1 if there was none: VALUE is
    /// written all the same).
    Getset {
        #[arg(allow_hyphen_values = true)]
        key: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
        /// Expire after this many seconds.
        #[arg(long, allow_negative_numbers = true)]
        ttl: Option<f64>,
    },
    /// Delete KEY and print the value it held (exit 1 if absent).
    Getdel {
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
    /// Delete KEY (exit 1 if it did not exist).
    Del {
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
    /// Exit 0 if KEY exists, 1 otherwise.
    Exists {
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
    /// List keys starting with PREFIX.
    Keys {
        #[arg(allow_hyphen_values = true, default_value = "")]
        prefix: String,
    },
    /// Print the seconds KEY has left ("none" without expiry; exit 1 if absent).
    Ttl {
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
    /// Make KEY expire after SECONDS (exit 1 if absent).
    Expire {
        #[arg(allow_hyphen_values = true)]
        key: String,
        #[arg(allow_negative_numbers = true)]
        seconds: f64,
    },
    /// Print what KEY holds (string, counter, …).
    Type {
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
}

#[derive(Subcommand)]
enum CounterCmd {
    /// Add BY (default 1) and print the new value.
    Incr {
        #[arg(allow_hyphen_values = true)]
        name: String,
        #[arg(default_value_t = 1, allow_negative_numbers = true)]
        by: i64,
    },
    /// Subtract BY (default 1) and print the new value.
    Decr {
        #[arg(allow_hyphen_values = true)]
        name: String,
        #[arg(default_value_t = 1, allow_negative_numbers = true)]
        by: i64,
    },
    /// Subtract BY (default 1, >= 0) only if the result stays at or above --floor (default 0),
    /// atomically; print the new value (exit 1 if refused: nothing changed).
    TryDecr {
        #[arg(allow_hyphen_values = true)]
        name: String,
        #[arg(default_value_t = 1, allow_negative_numbers = true)]
        by: i64,
        /// The lowest value allowed.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        floor: i64,
    },
    /// Add BY (default 1, >= 0) only if the result stays at or below --cap, atomically; print
    /// the new value (exit 1 if refused: nothing changed).
    TryIncr {
        #[arg(allow_hyphen_values = true)]
        name: String,
        #[arg(default_value_t = 1, allow_negative_numbers = true)]
        by: i64,
        /// The highest value allowed.
        #[arg(long, allow_negative_numbers = true)]
        cap: i64,
    },
    /// Print the value (0 when unset).
    Get {
        #[arg(allow_hyphen_values = true)]
        name: String,
    },
    /// Set the value.
    Set {
        #[arg(allow_hyphen_values = true)]
        name: String,
        #[arg(allow_negative_numbers = true)]
        value: i64,
    },
    /// Set the value to 0.
    Reset {
        #[arg(allow_hyphen_values = true)]
        name: String,
    },
}

#[derive(Subcommand)]
enum LockCmd {
    /// Print whether NAME is held, its latest fencing token and the lease time left.
    Info {
        #[arg(allow_hyphen_values = true)]
        name: String,
    },
    /// Hold NAME while running COMMAND (lease extended every ttl/3), then release it.
    /// The command sees the fencing token in GROVE_FENCING_TOKEN; exits with its status.
    Run {
        #[arg(allow_hyphen_values = true)]
        name: String,
        /// Lease length in seconds.
        #[arg(long, allow_negative_numbers = true, default_value_t = 30.0)]
        ttl: f64,
        /// Seconds to wait for the lock (0: one try); exit 17 (LockTimeout) if not acquired.
        #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
        timeout: f64,
        /// The command and its arguments (after `--`).
        #[arg(trailing_var_arg = true, required = true)]
        command: Vec<String>,
    },
}

#[derive(Args)]
struct LimitArgs {
    /// Limiter name.
    #[arg(allow_hyphen_values = true)]
    name: String,
    /// The client key being limited.
    #[arg(allow_hyphen_values = true)]
    key: String,
    /// Cost admitted per window.
    #[arg(long)]
    limit: u64,
    /// Window length in seconds.
    #[arg(long, allow_negative_numbers = true)]
    window: f64,
}

#[derive(Subcommand)]
enum RateCmd {
    /// Admit COST for KEY if it fits (exit 1 if refused); prints the decision.
    Allow {
        #[command(flatten)]
        args: LimitArgs,
        /// Cost of this request.
        #[arg(long, default_value_t = 1)]
        cost: u64,
    },
    /// Print what a cost-1 request would get, recording nothing.
    Peek {
        #[command(flatten)]
        args: LimitArgs,
    },
    /// Forget everything admitted for KEY.
    Reset {
        #[command(flatten)]
        args: LimitArgs,
    },
}

#[derive(Args)]
struct SessArgs {
    /// Session lifetime in seconds after the last touch.
    #[arg(long, allow_negative_numbers = true, default_value_t = 1800.0)]
    ttl: f64,
    /// Key prefix.
    #[arg(long, default_value = "sess")]
    prefix: String,
}

#[derive(Subcommand)]
enum SessionCmd {
    /// Store DATA in a new session and print its id.
    Create {
        #[command(flatten)]
        s: SessArgs,
        #[arg(allow_hyphen_values = true)]
        data: String,
    },
    /// Print a session's data (exit 1 if missing or expired).
    Get {
        #[command(flatten)]
        s: SessArgs,
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Replace a live session's data and restart its TTL (exit 1 if missing).
    Update {
        #[command(flatten)]
        s: SessArgs,
        #[arg(allow_hyphen_values = true)]
        id: String,
        #[arg(allow_hyphen_values = true)]
        data: String,
    },
    /// Restart a live session's TTL (exit 1 if missing).
    Touch {
        #[command(flatten)]
        s: SessArgs,
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
    /// Delete a session (exit 1 if missing).
    Delete {
        #[command(flatten)]
        s: SessArgs,
        #[arg(allow_hyphen_values = true)]
        id: String,
    },
}

#[derive(Subcommand)]
enum LbCmd {
    /// Set MEMBER's score.
    Add {
        #[arg(allow_hyphen_values = true)]
        board: String,
        #[arg(allow_hyphen_values = true)]
        member: String,
        #[arg(allow_negative_numbers = true)]
        score: f64,
    },
    /// Add DELTA to MEMBER's score and print the new score.
    Incr {
        #[arg(allow_hyphen_values = true)]
        board: String,
        #[arg(allow_hyphen_values = true)]
        member: String,
        #[arg(allow_negative_numbers = true)]
        delta: f64,
    },
    /// Print MEMBER's score and rank (exit 1 if absent).
    Get {
        #[arg(allow_hyphen_values = true)]
        board: String,
        #[arg(allow_hyphen_values = true)]
        member: String,
    },
    /// Print the N highest members, one "rank member score" line each.
    Top {
        #[arg(allow_hyphen_values = true)]
        board: String,
        #[arg(default_value_t = 10)]
        n: u64,
    },
    /// Print members ranked in [START, STOP).
    Range {
        #[arg(allow_hyphen_values = true)]
        board: String,
        start: u64,
        stop: u64,
    },
    /// Print MEMBER with up to N members above and below.
    Around {
        #[arg(allow_hyphen_values = true)]
        board: String,
        #[arg(allow_hyphen_values = true)]
        member: String,
        #[arg(default_value_t = 5)]
        n: u64,
    },
    /// Remove MEMBER (exit 1 if absent).
    Remove {
        #[arg(allow_hyphen_values = true)]
        board: String,
        #[arg(allow_hyphen_values = true)]
        member: String,
    },
    /// Print the number of members.
    Len {
        #[arg(allow_hyphen_values = true)]
        board: String,
    },
}

#[derive(Args)]
struct QueueArgs {
    /// Queue name.
    #[arg(allow_hyphen_values = true)]
    name: String,
    /// Seconds a delivered job stays invisible before it is delivered again.
    #[arg(long, allow_negative_numbers = true, default_value_t = 30.0)]
    visibility_timeout: f64,
    /// Deliveries before a job goes to the dead-letter list.
    #[arg(long, default_value_t = 5)]
    max_attempts: u32,
}

#[derive(Subcommand)]
enum QueueCmd {
    /// Add a job and print its id.
    Enqueue {
        #[command(flatten)]
        q: QueueArgs,
        #[arg(allow_hyphen_values = true)]
        payload: String,
        /// Seconds before the job may be delivered.
        #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
        delay: f64,
    },
    /// Deliver one job: prints "id attempts payload" (exit 1 if none is ready).
    Dequeue {
        #[command(flatten)]
        q: QueueArgs,
        /// Seconds to wait for a job.
        #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
        wait: f64,
    },
    /// Mark job ID done (exit 1 if it is not in flight).
    Ack {
        #[command(flatten)]
        q: QueueArgs,
        id: u64,
    },
    /// Give job ID back, deliverable after DELAY seconds (exit 1 if it is not in flight).
    Nack {
        #[command(flatten)]
        q: QueueArgs,
        id: u64,
        #[arg(long, allow_negative_numbers = true, default_value_t = 0.0)]
        delay: f64,
    },
    /// Print the ready, in-flight and dead counts.
    Stats {
        #[command(flatten)]
        q: QueueArgs,
    },
    /// Print the dead-letter list, "id attempts payload" per line.
    Dead {
        #[command(flatten)]
        q: QueueArgs,
    },
}

#[derive(Subcommand)]
enum CrdtCmd {
    /// Print the CRDT at KEY (its full state) as JSON.
    Show {
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
    /// Write the CRDT's versioned state bytes to FILE.
    State {
        #[arg(allow_hyphen_values = true)]
        key: String,
        #[arg(allow_hyphen_values = true)]
        file: PathBuf,
    },
    /// Merge state bytes from FILE into KEY (any CRDT type; exit 1 if nothing changed).
    Merge {
        #[arg(allow_hyphen_values = true)]
        key: String,
        #[arg(allow_hyphen_values = true)]
        file: PathBuf,
    },
    /// Write the CRDT keys changed since cursor SINCE to FILE; prints the next cursor.
    Export {
        #[arg(allow_hyphen_values = true)]
        file: PathBuf,
        #[arg(long, default_value_t = 0)]
        since: u64,
    },
    /// Merge a bundle written by `export` (from any store); prints what changed.
    Apply {
        #[arg(allow_hyphen_values = true)]
        file: PathBuf,
    },
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
    let mut opts = codec_options(cli)?;
    if cli.durable {
        opts = opts.durability(Durability::EveryWrite);
    }
    opts.connect_timeout = cli.connect_timeout.map(connect_timeout).transpose()?;
    opts.reply_timeout = cli.reply_timeout.map(reply_timeout).transpose()?;
    Ok(Store::open_with(path, opts)?)
}

/// The environment variable holding the encryption key as 64 hex characters.
const KEY_ENV: &str = "GROVE_ENCRYPTION_KEY";

/// Options with the compression and encryption settings of the command line: the key from
/// `--encryption-key-file`, else `GROVE_ENCRYPTION_KEY`. Only the text is converted here; the
/// core checks the lengths when the store opens.
fn codec_options(cli: &Cli) -> Result<Options, Fail> {
    let mut opts = Options::new();
    if cli.compress || cli.compress_min_bytes.is_some() {
        opts = opts.compress(
            cli.compress_min_bytes
                .unwrap_or(grove_core::DEFAULT_COMPRESS_MIN_BYTES),
        );
    }
    match &cli.encryption_key_file {
        Some(file) => opts = opts.encryption_key(key_file(file)?),
        None => {
            if let Some(text) = std::env::var_os(KEY_ENV) {
                let text = text.to_str().ok_or_else(|| {
                    invalid(format!(
                        "{KEY_ENV} must be hex characters, got non-UTF-8 text"
                    ))
                })?;
                opts = opts.encryption_key(hex_key(text.trim(), KEY_ENV)?);
            }
        }
    }
    for file in &cli.old_encryption_key_file {
        opts = opts.old_encryption_key(key_file(file)?);
    }
    Ok(opts)
}

/// A Grove `InvalidArgument` failure (exit 13).
fn invalid(why: String) -> Fail {
    Fail::from(Error::new(ErrorKind::InvalidArgument, why))
}

/// The key in a key file: its bytes when it holds exactly 32, else 64 hex characters
/// (surrounding whitespace, such as a final newline, ignored). Any other content is handed to
/// the core as is, which reports its length.
fn key_file(path: &std::path::Path) -> Result<Vec<u8>, Fail> {
    let bytes = read_file(path)?;
    if bytes.len() == grove_core::ENCRYPTION_KEY_LEN {
        return Ok(bytes);
    }
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace());
    let text = match (start, end) {
        (Some(s), Some(e)) => &bytes[s..=e],
        _ => &[][..],
    };
    if text.len() == 2 * grove_core::ENCRYPTION_KEY_LEN {
        let text = std::str::from_utf8(text).map_err(|_| {
            invalid(format!(
                "key file {} holds neither 32 raw bytes nor hex characters",
                path.display()
            ))
        })?;
        return hex_key(text, &format!("key file {}", path.display()));
    }
    Ok(bytes)
}

/// Decodes hex text (either case) to bytes; `what` names where it came from in the error.
fn hex_key(text: &str, what: &str) -> Result<Vec<u8>, Fail> {
    let digit = |c: u8| (c as char).to_digit(16);
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(invalid(format!(
            "{what} must be hex characters (64 for a key), got an odd number ({})",
            bytes.len()
        )));
    }
    bytes
        .chunks(2)
        .map(|pair| match (digit(pair[0]), digit(pair[1])) {
            (Some(hi), Some(lo)) => Ok((hi * 16 + lo) as u8),
            _ => Err(invalid(format!(
                "{what} must be hex characters (64 for a key), got a character that is not one"
            ))),
        })
        .collect()
}

/// `grove keygen`: a fresh key from the OS CSPRNG, as 64 lowercase hex characters.
fn keygen() -> Result<(), Fail> {
    let key = grove_core::new_encryption_key()?;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    say!("{hex}");
    Ok(())
}

/// `--connect-timeout` seconds, converted by the core's rule for connect timeouts.
fn connect_timeout(secs: f64) -> Result<Duration, Fail> {
    Ok(grove_core::connect_timeout_from_secs(secs)?)
}

/// `--reply-timeout` seconds, converted by the core's rule for reply timeouts.
fn reply_timeout(secs: f64) -> Result<Duration, Fail> {
    Ok(grove_core::reply_timeout_from_secs(secs)?)
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
    if let Command::Demo(args) = &cli.command {
        return demo(args);
    }
    if let Command::Keygen = &cli.command {
        return keygen();
    }
    if let Command::Sync { dir_a, dir_b } = &cli.command {
        let timeout = cli.connect_timeout.map(connect_timeout).transpose()?;
        let replies = cli.reply_timeout.map(reply_timeout).transpose()?;
        let codec = codec_options(&cli)?;
        let open = |target: &PathBuf| {
            let mut opts = codec.clone();
            opts.connect_timeout = timeout;
            opts.reply_timeout = replies;
            Store::open_with(target, opts)
        };
        let (a, b) = (open(dir_a)?, open(dir_b)?);
        let report = grove_core::sync(&a, &b);
        let closed = (a.close(), b.close());
        print_report(&report?);
        closed.0?;
        closed.1?;
        return Ok(());
    }
    let db = open(&cli)?;
    let result = match &cli.command {
        Command::Kv(cmd) => kv(&db, cmd),
        Command::Counter(cmd) => counter(&db, cmd),
        Command::Lock(cmd) => lock(&db, cmd),
        Command::Ratelimit(cmd) => ratelimit(&db, cmd),
        Command::Session(cmd) => session(&db, cmd),
        Command::Lb(cmd) => leaderboard(&db, cmd),
        Command::Queue(cmd) => queue(&db, cmd),
        Command::Crdt(cmd) => crdt(&db, cmd),
        Command::Stats { prometheus, json } => {
            // Inspecting a store is not one of the calls its metrics are about.
            db.set_metrics_recording(false);
            if *prometheus {
                let _ = write!(std::io::stdout(), "{}", db.published_metrics_prometheus()?);
                Ok(())
            } else if *json {
                say!("{}", db.published_metrics_json()?);
                Ok(())
            } else {
                stats(&db)
            }
        }
        Command::Purge => db.purge_expired().map(|n| say!("{n}")).map_err(Fail::from),
        Command::Demo(_) | Command::Sync { .. } | Command::Keygen => {
            unreachable!("handled above")
        }
    };
    // Close (and so flush) even when the command failed; report the command's error first.
    let closed = db.close();
    result?;
    closed?;
    Ok(())
}

fn kv(db: &Store, cmd: &KvCmd) -> Result<(), Fail> {
    match cmd {
        KvCmd::Get { key } => match db.get(key.as_bytes())? {
            Some(v) => out(&v),
            None => return Err(Fail(1, format!("key '{key}' not found"))),
        },
        KvCmd::Set {
            key,
            value,
            ttl: t,
            if_absent,
            if_present,
            if_equals,
        } => {
            let (k, v, t) = (key.as_bytes(), value.as_bytes(), t.map(ttl).transpose()?);
            let written = if *if_absent {
                db.set_if_absent(k, v, t)?
            } else if *if_present {
                db.set_if_present(k, v, t)?
            } else if let Some(old) = if_equals {
                db.compare_and_set(k, Some(old.as_bytes()), v, t)?
            } else {
                db.set(k, v, t)?;
                true
            };
            if !written {
                return Err(Fail(
                    1,
                    format!("key '{key}' not written: its condition did not hold"),
                ));
            }
        }
        KvCmd::Getset { key, value, ttl: t } => {
            let t = t.map(ttl).transpose()?;
            match db.get_set(key.as_bytes(), value.as_bytes(), t)? {
                Some(old) => out(&old),
                None => return Err(Fail(1, format!("key '{key}' did not exist (now written)"))),
            }
        }
        KvCmd::Getdel { key } => match db.get_delete(key.as_bytes())? {
            Some(v) => out(&v),
            None => return Err(Fail(1, format!("key '{key}' not found"))),
        },
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
            Some(d) => say!("{:.3}", d.as_secs_f64()),
            None => say!("none"),
        },
        KvCmd::Expire { key, seconds } => {
            if !db.expire(key.as_bytes(), ttl(*seconds)?)? {
                return Err(Fail(1, format!("key '{key}' not found")));
            }
        }
        KvCmd::Type { key } => match db.kind_of(key.as_bytes())? {
            Some(k) => say!("{}", k.name()),
            None => return Err(Fail(1, format!("key '{key}' not found"))),
        },
    }
    Ok(())
}

fn counter(db: &Store, cmd: &CounterCmd) -> Result<(), Fail> {
    match cmd {
        CounterCmd::Incr { name, by } => say!("{}", db.counter(name)?.increment(*by)?),
        CounterCmd::Decr { name, by } => say!("{}", db.counter(name)?.decrement(*by)?),
        CounterCmd::TryDecr { name, by, floor } => {
            match db.counter(name)?.try_decrement(*by, *floor)? {
                Some(v) => say!("{v}"),
                None => {
                    return Err(Fail(
                        1,
                        format!("refused: '{name}' would go below {floor} (unchanged)"),
                    ))
                }
            }
        }
        CounterCmd::TryIncr { name, by, cap } => {
            match db.counter(name)?.try_increment(*by, *cap)? {
                Some(v) => say!("{v}"),
                None => {
                    return Err(Fail(
                        1,
                        format!("refused: '{name}' would pass {cap} (unchanged)"),
                    ))
                }
            }
        }
        CounterCmd::Get { name } => say!("{}", db.counter(name)?.get()?),
        CounterCmd::Set { name, value } => db.counter(name)?.set(*value)?,
        CounterCmd::Reset { name } => db.counter(name)?.reset()?,
    }
    Ok(())
}

fn lock(db: &Store, cmd: &LockCmd) -> Result<(), Fail> {
    match cmd {
        LockCmd::Info { name } => {
            let info = db.lock_info(name)?;
            say!("held: {}", info.held);
            say!("fencing_token: {}", info.fencing_token);
            if let Some(left) = info.expires_in {
                say!("expires_in: {:.3}", left.as_secs_f64());
            }
        }
        LockCmd::Run {
            name,
            ttl: t,
            timeout,
            command,
        } => {
            let lease = ttl(*t)?;
            let lock = db.lock(name, lease)?;
            let guard = lock.lock(ttl(*timeout)?)?;
            let token = guard.fencing_token();
            let mut child = std::process::Command::new(&command[0])
                .args(&command[1..])
                .env("GROVE_FENCING_TOKEN", token.to_string())
                .spawn()
                .map_err(|e| Fail(20, format!("running {}: {e}", command[0])))?;
            let done = AtomicBool::new(false);
            let status = std::thread::scope(|s| {
                // Keep the lease alive while the command runs. Measure real time, not ticks: on
                // a loaded machine each 20 ms sleep can last far longer, and counted ticks would
                // stretch the renewal past the lease.
                s.spawn(|| {
                    let tick = Duration::from_millis(20);
                    let mut renewed = Instant::now();
                    while !done.load(Ordering::SeqCst) {
                        std::thread::sleep(tick);
                        if renewed.elapsed() >= lease / 3 {
                            renewed = Instant::now();
                            if !matches!(lock.extend(lease), Ok(true)) {
                                eprintln!("grove: warning: lost the lease on lock '{name}'");
                            }
                        }
                    }
                });
                let status = child.wait();
                done.store(true, Ordering::SeqCst);
                status
            })
            .map_err(|e| Fail(20, format!("waiting for {}: {e}", command[0])))?;
            if !guard.release()? {
                eprintln!("grove: warning: the lease on lock '{name}' expired before release");
            }
            let code = status.code().unwrap_or(1);
            if code != 0 {
                return Err(Fail(code.clamp(1, 255) as u8, String::new()));
            }
        }
    }
    Ok(())
}

fn print_decision(d: &grove_core::Decision) {
    say!("allowed: {}", d.allowed);
    say!("remaining: {}", d.remaining);
    say!("reset_after: {:.3}", d.reset_after.as_secs_f64());
    say!("retry_after: {:.3}", d.retry_after.as_secs_f64());
}

fn ratelimit(db: &Store, cmd: &RateCmd) -> Result<(), Fail> {
    let limiter = |a: &LimitArgs| -> Result<grove_core::RateLimiter, Fail> {
        Ok(db.rate_limiter(&a.name, a.limit, ttl(a.window)?)?)
    };
    match cmd {
        RateCmd::Allow { args, cost } => {
            let d = limiter(args)?.allow(&args.key, *cost)?;
            print_decision(&d);
            if !d.allowed {
                return Err(Fail(1, String::new()));
            }
        }
        RateCmd::Peek { args } => print_decision(&limiter(args)?.peek(&args.key)?),
        RateCmd::Reset { args } => {
            limiter(args)?.reset(&args.key)?;
        }
    }
    Ok(())
}

fn session(db: &Store, cmd: &SessionCmd) -> Result<(), Fail> {
    let sessions = |a: &SessArgs| -> Result<grove_core::Sessions, Fail> {
        Ok(db.sessions(ttl(a.ttl)?, &a.prefix)?)
    };
    let missing = |id: &str| Fail(1, format!("session '{id}' not found"));
    let found = |ok: bool, id: &str| if ok { Ok(()) } else { Err(missing(id)) };
    match cmd {
        SessionCmd::Create { s, data } => say!("{}", sessions(s)?.create(data.as_bytes())?),
        SessionCmd::Get { s, id } => match sessions(s)?.get(id)? {
            Some(d) => out(&d),
            None => return Err(missing(id)),
        },
        SessionCmd::Update { s, id, data } => found(sessions(s)?.update(id, data.as_bytes())?, id)?,
        SessionCmd::Touch { s, id } => found(sessions(s)?.touch(id)?, id)?,
        SessionCmd::Delete { s, id } => found(sessions(s)?.delete(id)?, id)?,
    }
    Ok(())
}

fn print_ranked(list: &[grove_core::Ranked]) {
    for r in list {
        say!("{} {} {}", r.rank, r.member, r.score);
    }
}

fn leaderboard(db: &Store, cmd: &LbCmd) -> Result<(), Fail> {
    let board = |name: &str| -> Result<grove_core::Leaderboard, Fail> { Ok(db.leaderboard(name)?) };
    let absent = |m: &str| Fail(1, format!("member '{m}' not found"));
    match cmd {
        LbCmd::Add {
            board: b,
            member,
            score,
        } => board(b)?.add(member, *score)?,
        LbCmd::Incr {
            board: b,
            member,
            delta,
        } => say!("{}", board(b)?.incr(member, *delta)?),
        LbCmd::Get { board: b, member } => {
            let lb = board(b)?;
            match (lb.score(member)?, lb.rank(member)?) {
                (Some(s), Some(r)) => say!("score: {s}\nrank: {r}"),
                _ => return Err(absent(member)),
            }
        }
        LbCmd::Top { board: b, n } => print_ranked(&board(b)?.top(*n)?),
        LbCmd::Range {
            board: b,
            start,
            stop,
        } => print_ranked(&board(b)?.range(*start, *stop)?),
        LbCmd::Around {
            board: b,
            member,
            n,
        } => {
            let list = board(b)?.around(member, *n)?;
            if list.is_empty() {
                return Err(absent(member));
            }
            print_ranked(&list);
        }
        LbCmd::Remove { board: b, member } => {
            if !board(b)?.remove(member)? {
                return Err(absent(member));
            }
        }
        LbCmd::Len { board: b } => say!("{}", board(b)?.len()?),
    }
    Ok(())
}

fn print_job(j: &grove_core::Job) {
    say!(
        "{} {} {}",
        j.id,
        j.attempts,
        String::from_utf8_lossy(&j.payload)
    );
}

fn queue(db: &Store, cmd: &QueueCmd) -> Result<(), Fail> {
    let open_q = |a: &QueueArgs| -> Result<grove_core::Queue, Fail> {
        Ok(db.queue(&a.name, ttl(a.visibility_timeout)?, a.max_attempts)?)
    };
    let not_in_flight = |id: u64| Fail(1, format!("job {id} is not in flight"));
    match cmd {
        QueueCmd::Enqueue { q, payload, delay } => {
            say!("{}", open_q(q)?.enqueue(payload.as_bytes(), ttl(*delay)?)?)
        }
        QueueCmd::Dequeue { q, wait } => match open_q(q)?.dequeue_wait(ttl(*wait)?)? {
            Some(j) => print_job(&j),
            None => return Err(Fail(1, "no job is ready".into())),
        },
        QueueCmd::Ack { q, id } => {
            if !open_q(q)?.ack(*id)? {
                return Err(not_in_flight(*id));
            }
        }
        QueueCmd::Nack { q, id, delay } => {
            if !open_q(q)?.nack(*id, ttl(*delay)?)? {
                return Err(not_in_flight(*id));
            }
        }
        QueueCmd::Stats { q } => {
            let s = open_q(q)?.stats()?;
            say!(
                "ready: {}\nin_flight: {}\ndead: {}",
                s.ready,
                s.in_flight,
                s.dead
            );
        }
        QueueCmd::Dead { q } => {
            for j in open_q(q)?.dead_letters()? {
                print_job(&j);
            }
        }
    }
    Ok(())
}

fn print_report(r: &grove_core::SyncReport) {
    say!(
        "pulled: {}\npushed: {}\nmerged: {}",
        r.pulled,
        r.pushed,
        r.merged
    );
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, Fail> {
    std::fs::read(path).map_err(|e| Fail(20, format!("reading {}: {e}", path.display())))
}

fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<(), Fail> {
    std::fs::write(path, bytes).map_err(|e| Fail(20, format!("writing {}: {e}", path.display())))
}

fn crdt(db: &Store, cmd: &CrdtCmd) -> Result<(), Fail> {
    match cmd {
        CrdtCmd::Show { key } => say!("{}", db.crdt_debug_json(key.as_bytes())?),
        CrdtCmd::State { key, file } => write_file(file, &db.crdt_state(key.as_bytes())?)?,
        CrdtCmd::Merge { key, file } => {
            if !db.crdt_merge_state(key.as_bytes(), &read_file(file)?)? {
                return Err(Fail(1, "nothing changed".into()));
            }
        }
        CrdtCmd::Export { file, since } => {
            let (bytes, cursor) = db.export_changes(*since)?;
            write_file(file, &bytes)?;
            say!("{cursor}");
        }
        CrdtCmd::Apply { file } => print_report(&db.apply_changes(&read_file(file)?)?),
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
    say!(
        "path: {}",
        db.path()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    );
    say!("node_id: {}", db.node_id());
    say!("keys: {total}");
    for (kind, n) in by_kind {
        say!("  {kind}: {n}");
    }
    say!("size_on_disk: {} bytes", db.size_on_disk()?);
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
    say!("Grove demo: the visitor counter");
    say!("  store: sled at {}", dir.display());
    let db = Store::open(&dir)?;
    let visitors = db.counter("page-views")?;
    let before = visitors.get()?;
    let want = before + args.threads as i64 * args.views;
    say!(
        "  {} threads each count {} page views on counter:page-views (starting at {before})",
        args.threads,
        args.views
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
    say!(
        "  counted in {:.3} s ({:.0} increments/s, {:.2} µs each across threads)",
        elapsed.as_secs_f64(),
        ops / elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / ops
    );
    say!("  total now: {total} (expected {want})");
    db.close()?;
    say!("  store closed (flushed); reopening…");
    let db = Store::open(&dir)?;
    let reopened = db.counter("page-views")?.get()?;
    say!("  after reopen: {reopened}");
    let kind = db.kind_of(b"counter:page-views")?;
    db.close()?;
    if total != want || reopened != want || kind != Some(Kind::Counter) {
        return Err(Fail(
            1,
            format!("demo FAILED: expected {want}, counted {total}, reopened {reopened}"),
        ));
    }
    say!("OK: every page view counted exactly once, and the total survived a reopen.");
    Ok(())
}
