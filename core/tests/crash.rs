//! Crash consistency: a child process runs a mixed workload and logs every acknowledged
//! operation; the parent kills it with SIGKILL at a chosen point, reopens the store and checks
//! that nothing acknowledged was lost (durable mode), or nothing acknowledged before the last
//! `flush()` returned (periodic mode).
//!
//! Kill points are workload steps, not times: a time window stops reaching the first `flush()`
//! once the store has grown (issue 18: from cycle ~200 every periodic cycle was killed before
//! it, so half a 400-cycle run checked nothing). The parent draws a step (a flush, a queue
//! transaction, a lock acquire, a write), which occurrence of it, and whether to kill just
//! before it, while it runs (a random delay after it starts) or just after it was logged. The
//! draws come from a seed printed at the start, so a run's kill points can be repeated.
//!
//! Every cycle prints what it acknowledged, what it had flushed and how many writes it added to
//! the check. A cycle that adds none tested nothing new; a run fails when more than 5% of its
//! cycles did, so the test cannot go on passing while checking nothing.
//!
//! Each cycle's log is read once into the running [`Expected`] state. Every cycle checks what
//! that cycle acknowledged plus the counters, fencing and queue; the whole history is checked
//! again every 25 cycles and after the last, so a long soak stays linear in its length.
//!
//! Settings (environment): GROVE_CRASH_CYCLES (default 25 per mode), GROVE_CRASH_SEED (default
//! from the clock), GROVE_CRASH_KILL (one kill point for every cycle, e.g. "flush 2 during").

mod common;

use grove_core::{Durability, Options, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write as _};
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A store engine under test: how to open a store on it through grove_core's API. Everything
/// engine-specific is here; the workload and the checks go through [`Store`] only.
#[derive(Clone, Copy)]
struct Engine {
    name: &'static str,
    /// Writer processes per cycle, all killed at once: more than one only where processes may
    /// share the store. The first is killed at the drawn point, the others wherever they are.
    writers: usize,
    open: fn(&Path, Durability) -> grove_core::Result<Store>,
}

/// The crash tests of one engine, in a module named after it: the child entry point and one
/// test per durability mode (their names keep "durable" and "periodic", for filtering).
macro_rules! crash_tests {
    ($name:ident, $writers:expr, $open:expr) => {
        mod $name {
            use super::*;
            const ENGINE: Engine = Engine {
                name: stringify!($name),
                writers: $writers,
                open: $open,
            };

            #[test]
            #[ignore = "entry point for the child process of the crash tests"]
            fn crash_child() {
                super::crash_child(ENGINE);
            }

            #[test]
            fn durable_store_survives_sigkill_with_every_acknowledged_write() {
                run_cycles(ENGINE, Mode::Durable, &Config::from_env()).assert_tested();
            }

            #[test]
            fn periodic_store_keeps_everything_acknowledged_before_flush_returned() {
                run_cycles(ENGINE, Mode::Periodic, &Config::from_env()).assert_tested();
            }

            /// The guard against silent coverage loss itself: killing every cycle before its
            /// first write is acknowledged must fail the run.
            #[test]
            #[should_panic(expected = "tested nothing new")]
            fn a_run_whose_cycles_test_nothing_fails() {
                let config = Config {
                    cycles: 2,
                    seed: 1,
                    forced: Some("set 1 before".parse().unwrap()),
                };
                // One writer: extra writers would add writes the forced kill cannot stop.
                let one = Engine {
                    writers: 1,
                    ..ENGINE
                };
                run_cycles(one, Mode::Durable, &config).assert_tested();
            }
        }
    };
}

// One line per engine: its name, writer processes per cycle, and how to open it.
crash_tests!(sled, 1, |path, durability| Store::open_with(
    path,
    Options::new().durability(durability)
));
crash_tests!(lmdb, 3, |path, durability| Store::open_with(
    format!("lmdb:{}", path.display()),
    Options::new().durability(durability)
));

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// `Durability::EveryWrite`: everything acknowledged must survive.
    Durable,
    /// A background flush too rare to matter plus `flush()` every [`FLUSH_EVERY`] iterations:
    /// what was acknowledged before the last `flush()` returned must survive.
    Periodic,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Durable => "durable",
            Mode::Periodic => "periodic",
        }
    }

    fn durability(self) -> Durability {
        match self {
            Mode::Durable => Durability::EveryWrite,
            Mode::Periodic => Durability::Periodic { every_ms: 10_000 },
        }
    }
}

/// Iterations between two `flush()` calls of the periodic workload.
const FLUSH_EVERY: u32 = 10;

/// CRDT sets the members are spread over, by round. An add rewrites its whole set, so one set
/// holding every member made each cycle slower than the last (0.2 ms an add in the first
/// cycle, 2.5 ms at 2,100 members): the cost that pushed the old fixed kill window before the
/// first flush.
const SETS: u64 = 16;

/// The steps of one workload iteration, in order; a kill point names one of them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Step {
    Set,
    Incr,
    CrdtIncr,
    SetAdd,
    Acquire,
    Release,
    Enqueue,
    Dequeue,
    Ack,
    Flush,
}

const STEPS: [(Step, &str); 10] = [
    (Step::Set, "set"),
    (Step::Incr, "incr"),
    (Step::CrdtIncr, "crdt"),
    (Step::SetAdd, "add"),
    (Step::Acquire, "acquire"),
    (Step::Release, "release"),
    (Step::Enqueue, "enqueue"),
    (Step::Dequeue, "dequeue"),
    (Step::Ack, "ack"),
    (Step::Flush, "flush"),
];

impl Step {
    fn name(self) -> &'static str {
        STEPS.iter().find(|(s, _)| *s == self).unwrap().1
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// The child stops just before the step starts and waits for the kill.
    Before,
    /// The child signals as the step starts and goes on; the kill follows after a delay.
    During,
    /// The child stops once the step returned and its log line is written.
    After,
}

const PHASES: [(Phase, &str); 3] = [
    (Phase::Before, "before"),
    (Phase::During, "during"),
    (Phase::After, "after"),
];

/// Where a cycle's child is killed: at the `nth` occurrence (from 1) of `step`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct KillPoint {
    step: Step,
    nth: u32,
    phase: Phase,
}

impl std::fmt::Display for KillPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let phase = PHASES.iter().find(|(p, _)| *p == self.phase).unwrap().1;
        write!(f, "{} {} {phase}", self.step.name(), self.nth)
    }
}

impl std::str::FromStr for KillPoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("kill point {s:?}: expected \"<step> <n> before|during|after\"");
        let words: Vec<&str> = s.split_whitespace().collect();
        let [step, nth, phase] = words[..] else {
            return Err(bad());
        };
        Ok(KillPoint {
            step: STEPS.iter().find(|(_, n)| *n == step).ok_or_else(bad)?.0,
            nth: nth.parse().ok().filter(|n| *n > 0).ok_or_else(bad)?,
            phase: PHASES.iter().find(|(_, n)| *n == phase).ok_or_else(bad)?.0,
        })
    }
}

/// A seeded xorshift generator: the same seed draws the same kill points.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: u32, hi: u32) -> u32 {
        lo + (self.next() % u64::from(hi - lo + 1)) as u32
    }
}

/// Draws a kill point and, for `During`, the delay in µs between the step's start and the kill.
///
/// Every point lies after something that must survive: in durable mode after the first
/// acknowledged write, in periodic mode after the first completed `flush()` (so "before" and
/// "during" a flush aim at the second or a later one). A point that could not add anything to
/// the check would only dilute the run. `Release` is never aimed at: after a kill that leaves
/// the lock held, the next children cannot acquire it until its lease ends, so they would never
/// reach a release.
fn draw(rng: &mut Rng, mode: Mode) -> (KillPoint, u32) {
    // "during" twice as often as the others: it is the only one whose landing varies.
    let phase =
        [Phase::Before, Phase::During, Phase::During, Phase::After][rng.range(0, 3) as usize];
    // Shares in percent: flushes a third in periodic mode (none in durable mode, where every
    // write is one), queue transactions a quarter, the lock acquire a tenth, the plain writes
    // the rest.
    let flushes = if mode == Mode::Periodic { 33 } else { 0 };
    let r = rng.range(0, 99);
    let step = if r < flushes {
        Step::Flush
    } else if r < flushes + 25 {
        [Step::Enqueue, Step::Dequeue, Step::Ack][r as usize % 3]
    } else if r < flushes + 35 {
        Step::Acquire
    } else {
        [Step::Set, Step::Incr, Step::CrdtIncr, Step::SetAdd][r as usize % 4]
    };
    let nth = match (mode, step) {
        (Mode::Periodic, Step::Flush) if phase == Phase::After => rng.range(1, 3),
        (Mode::Periodic, Step::Flush) => rng.range(2, 4),
        // Steps met once an iteration (an ack two times in three): past the first flush.
        (Mode::Periodic, _) => rng.range(FLUSH_EVERY + 1, 4 * FLUSH_EVERY),
        (Mode::Durable, _) => rng.range(2, 16),
    };
    // Half the "during" kills as soon as the signal arrives, the rest up to 2 ms later: most
    // steps take microseconds (periodic) to a few milliseconds (an fsync).
    let delay = if phase == Phase::During && rng.next() % 2 == 1 {
        rng.range(0, 2_000)
    } else {
        0
    };
    (KillPoint { step, nth, phase }, delay)
}

/// The child's side of the kill point: counts steps and signals the parent on the chosen one.
struct Child {
    log: std::fs::File,
    /// `None` for the extra writers, which run until the kill finds them.
    point: Option<KillPoint>,
    seen: [u32; STEPS.len()],
}

impl Child {
    /// One write(2) per line: a kill cuts the log only between lines.
    fn note(&mut self, line: String) {
        self.log.write_all(line.as_bytes()).unwrap();
    }

    fn hit(&self, step: Step) -> Option<KillPoint> {
        self.point
            .filter(|p| step == p.step && self.seen[step as usize] == p.nth)
    }

    fn begin(&mut self, step: Step) {
        self.seen[step as usize] += 1;
        if let Some(p) = self.hit(step).filter(|p| p.phase != Phase::After) {
            signal(p.phase == Phase::Before);
        }
    }

    fn end(&mut self, step: Step) {
        if let Some(p) = self.hit(step) {
            // Tells the parent the chosen step completed before the kill.
            self.note("DONE\n".to_string());
            if p.phase == Phase::After {
                signal(true);
            }
        }
    }
}

/// Tells the parent the kill point is reached; when `hold`, waits there to be killed.
fn signal(hold: bool) {
    println!("GROVE-CHILD-KILL-POINT");
    if hold {
        std::thread::sleep(Duration::from_secs(120));
        panic!("the parent never killed this child");
    }
}

fn crash_child(engine: Engine) {
    let env = |k: &str| std::env::var(k).unwrap();
    let path = env("GROVE_CHILD_PATH");
    let mode = if env("GROVE_CHILD_MODE") == "durable" {
        Mode::Durable
    } else {
        Mode::Periodic
    };
    let db = (engine.open)(Path::new(&path), mode.durability()).unwrap();
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(env("GROVE_CHILD_LOG"))
        .unwrap();
    let mut c = Child {
        log,
        point: std::env::var("GROVE_CHILD_KILL")
            .ok()
            .map(|p| p.parse().unwrap()),
        seen: [0; STEPS.len()],
    };
    let counter = db.counter("hits").unwrap();
    let crdt = db.crdt_counter("crdt:hits").unwrap();
    // A short lease: a child killed holding the lock blocks the next ones only briefly, so the
    // fencing check keeps running.
    let lock = db.lock("jobs", Duration::from_secs(2)).unwrap();
    let queue = db.queue("jobs", Duration::from_secs(3600), 1000).unwrap();
    let start = db.counter("round").unwrap().increment(1).unwrap();
    let set_no = start as u64 % SETS;
    let set = db.crdt_set(&format!("crdt:seen:{set_no}")).unwrap();
    println!("GROVE-CHILD-READY");
    for i in 0u64.. {
        let key = format!("kv:{start}:{i}");
        c.begin(Step::Set);
        db.set(
            key.as_bytes(),
            format!("v{i}").as_bytes(),
            Some(Duration::from_secs(3600)),
        )
        .unwrap();
        c.note(format!("S {key} v{i}\n"));
        c.end(Step::Set);
        c.begin(Step::Incr);
        let n = counter.increment(1).unwrap();
        c.note(format!("C {n}\n"));
        c.end(Step::Incr);
        c.begin(Step::CrdtIncr);
        let n = crdt.increment(1).unwrap();
        c.note(format!("R {n}\n"));
        c.end(Step::CrdtIncr);
        c.begin(Step::SetAdd);
        set.add(&format!("\"{start}-{i}\"")).unwrap();
        c.note(format!("T {set_no} \"{start}-{i}\"\n"));
        c.end(Step::SetAdd);
        c.begin(Step::Acquire);
        let acquired = lock.try_acquire().unwrap();
        if acquired {
            c.note(format!("F {}\n", lock.fencing_token()));
        }
        c.end(Step::Acquire);
        if acquired {
            c.begin(Step::Release);
            lock.release().unwrap();
            c.end(Step::Release);
        }
        c.begin(Step::Enqueue);
        let id = queue.enqueue(b"job", Duration::ZERO).unwrap();
        c.note(format!("QE {id}\n"));
        c.end(Step::Enqueue);
        c.begin(Step::Dequeue);
        let job = queue.dequeue().unwrap();
        c.end(Step::Dequeue);
        if let Some(job) = job.filter(|j| j.id % 3 != 0) {
            c.begin(Step::Ack);
            // "Qa" before the ack, "QA" after it returned: a kill in between may go either way.
            c.note(format!("Qa {}\n", job.id));
            assert!(queue.ack(job.id).unwrap());
            c.note(format!("QA {}\n", job.id));
            c.end(Step::Ack);
        }
        if mode == Mode::Periodic && i % u64::from(FLUSH_EVERY) == u64::from(FLUSH_EVERY) - 1 {
            c.begin(Step::Flush);
            db.flush().unwrap();
            c.note("FLUSHED\n".to_string());
            c.end(Step::Flush);
        }
    }
}

/// A run's settings, from the environment by default.
struct Config {
    cycles: u32,
    seed: u64,
    /// One kill point for every cycle instead of drawn ones (to repeat or to force a case).
    forced: Option<KillPoint>,
}

impl Config {
    fn from_env() -> Config {
        let var = |k: &str| std::env::var(k).ok();
        let seed = var("GROVE_CRASH_SEED")
            .map(|s| s.parse().expect("GROVE_CRASH_SEED is a number"))
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    ^ u64::from(std::process::id())
            });
        Config {
            cycles: var("GROVE_CRASH_CYCLES").map_or(25, |v| v.parse().unwrap()),
            seed,
            forced: var("GROVE_CRASH_KILL").map(|k| k.parse().unwrap()),
        }
    }
}

/// What one cycle did, for the progress line and the run's figures.
struct CycleFigures {
    point: KillPoint,
    /// Whether the chosen step had not completed when the kill landed.
    landed_inside: bool,
    /// KV writes the child acknowledged, and of those the ones before its last `flush()`.
    acked: usize,
    flushed: usize,
    /// Writes this cycle added to the check (the flushed ones in periodic mode).
    checked: usize,
}

/// A finished run: its figures, and whether it stopped early for testing too little.
struct Summary {
    label: String,
    seed: u64,
    cycles: u32,
    figures: Vec<CycleFigures>,
    sterile: usize,
    allowed: usize,
}

impl Summary {
    /// Fails when more than the allowed share of cycles added no write to the check.
    fn assert_tested(&self) {
        assert!(
            self.sterile <= self.allowed,
            "crash test ({}): {} of {} cycles run tested nothing new (allowed {} of {}); \
             seed {}",
            self.label,
            self.sterile,
            self.figures.len(),
            self.allowed,
            self.cycles,
            self.seed
        );
    }
}

/// Runs the child until its kill point, kills it, checks the store; `config.cycles` times.
fn run_cycles(engine: Engine, mode: Mode, config: &Config) -> Summary {
    let label = format!("{}, {}", engine.name, mode.name());
    eprintln!(
        "crash test ({label}): {} cycles, GROVE_CRASH_SEED={}{}",
        config.cycles,
        config.seed,
        config
            .forced
            .map_or(String::new(), |p| format!(", every kill at \"{p}\""))
    );
    let started = Instant::now();
    // Kept on failure (for a look at what the engine recovered), removed on success.
    let dir = KeptOnFailure(tempfile::tempdir().unwrap().keep());
    let path = dir.path().join("db");
    let mut rng = Rng(config.seed | 1);
    let mut expected = Expected::default();
    let mut summary = Summary {
        label: label.clone(),
        seed: config.seed,
        cycles: config.cycles,
        figures: Vec::new(),
        sterile: 0,
        // Up to 5% of cycles may add nothing (a kill point can still land before any write,
        // e.g. a child that cannot acquire the lock); more means the kill points drifted.
        allowed: config.cycles as usize / 20,
    };
    for cycle in 0..config.cycles {
        let (drawn, delay_us) = draw(&mut rng, mode);
        let point = config.forced.unwrap_or(drawn);
        // One log per writer and cycle: in periodic mode each run's loss window ends at its own
        // last flush.
        let log_path = dir.path().join(format!("log-{cycle:04}"));
        let point_text = point.to_string();
        // The extra writers start first and write until the kill (no kill point of their own),
        // so the drawn point of the first lands while the others are mid-workload.
        let extras: Vec<(std::process::Child, std::path::PathBuf)> = (1..engine.writers)
            .map(|w| {
                let log = dir.path().join(format!("log-{cycle:04}-{w}"));
                let mut extra = common::child(
                    &format!("{}::crash_child", engine.name),
                    &[
                        ("GROVE_CHILD_PATH", path.to_str().unwrap()),
                        ("GROVE_CHILD_LOG", log.to_str().unwrap()),
                        ("GROVE_CHILD_MODE", mode.name()),
                    ],
                )
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
                let markers = read_markers(extra.stdout.take().unwrap());
                match markers.recv_timeout(Duration::from_secs(300)) {
                    Ok(m) if m == "GROVE-CHILD-READY" => {}
                    other => {
                        let _ = extra.kill();
                        panic!("cycle {cycle} ({label}): writer {w} never got ready: {other:?}");
                    }
                }
                (extra, log)
            })
            .collect();
        let mut child = common::child(
            &format!("{}::crash_child", engine.name),
            &[
                ("GROVE_CHILD_PATH", path.to_str().unwrap()),
                ("GROVE_CHILD_LOG", log_path.to_str().unwrap()),
                ("GROVE_CHILD_MODE", mode.name()),
                ("GROVE_CHILD_KILL", &point_text),
            ],
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
        let spawned = Instant::now();
        let markers = read_markers(child.stdout.take().unwrap());
        let mut wait_for = |marker: &str| match markers.recv_timeout(Duration::from_secs(300)) {
            Ok(m) if m == marker => {}
            other => {
                let _ = child.kill();
                panic!(
                    "cycle {cycle} ({label}): child did not reach {marker} (at \"{point}\"): \
                     {other:?}, exit {:?}",
                    child.wait()
                );
            }
        };
        wait_for("GROVE-CHILD-READY");
        let ready = spawned.elapsed();
        wait_for("GROVE-CHILD-KILL-POINT");
        let ran = spawned.elapsed() - ready;
        std::thread::sleep(Duration::from_micros(u64::from(delay_us)));
        child.kill().unwrap(); // SIGKILL
        let mut logs = vec![log_path.clone()];
        let mut statuses = vec![child.wait().unwrap()];
        for (mut extra, log) in extras {
            extra.kill().unwrap();
            statuses.push(extra.wait().unwrap());
            logs.push(log);
        }
        // A child that died on its own (a panic in the workload) must not pass as a kill.
        for (w, status) in statuses.iter().enumerate() {
            assert_eq!(
                status.signal(),
                Some(9),
                "cycle {cycle} ({label}): writer {w} ended by itself: {status}"
            );
        }
        let logs: Vec<String> = logs
            .iter()
            .map(|l| std::fs::read_to_string(l).unwrap_or_default())
            .collect();
        let fresh = expected.absorb(&logs, mode);
        let everything = cycle % 25 == 24 || cycle + 1 == config.cycles;
        expected.check(engine, &path, mode, cycle, &fresh, everything);
        let f = CycleFigures {
            point,
            landed_inside: !fresh.done,
            acked: fresh.acked,
            flushed: fresh.flushed,
            checked: fresh.kv.len(),
        };
        let landed = match (point.phase, f.landed_inside) {
            (Phase::During, true) => format!(" +{delay_us} µs, landed inside"),
            (Phase::During, false) => format!(" +{delay_us} µs, landed after"),
            _ => String::new(),
        };
        let flushed = match mode {
            Mode::Periodic => format!(", flushed {}", f.flushed),
            Mode::Durable => String::new(),
        };
        eprintln!(
            "crash test ({label}) cycle {cycle}: kill at {point}{landed}; ready {} ms, ran {} ms; \
             acked {}{flushed}, checked {} new; {} writes, {} jobs so far",
            ready.as_millis(),
            ran.as_millis(),
            f.acked,
            f.checked,
            expected.kv.len(),
            expected.jobs_present.len() + expected.jobs_acked.len()
        );
        if f.checked == 0 {
            summary.sterile += 1;
        }
        summary.figures.push(f);
        if summary.sterile > summary.allowed {
            eprintln!(
                "crash test ({label}): stopping, {} cycles tested nothing new",
                summary.sterile
            );
            break;
        }
    }
    summary.print(started.elapsed());
    summary
}

impl Summary {
    fn print(&self, took: Duration) {
        let mut checked: Vec<usize> = self.figures.iter().map(|f| f.checked).collect();
        checked.sort_unstable();
        let n = checked.len().max(1);
        let pick = |q: usize| checked.get((n - 1) * q / 100).copied().unwrap_or(0);
        let count =
            |p: &dyn Fn(&CycleFigures) -> bool| self.figures.iter().filter(|f| p(f)).count();
        let phases =
            PHASES.map(|(phase, name)| format!("{name} {}", count(&|f| f.point.phase == phase)));
        let mut steps = Vec::new();
        let mut inside = Vec::new();
        for (step, name) in STEPS {
            let all = count(&|f| f.point.step == step);
            if all > 0 {
                steps.push(format!("{name} {all}"));
            }
            let during = count(&|f| f.point.step == step && f.point.phase == Phase::During);
            if during > 0 {
                let landed = count(&|f| {
                    f.point.step == step && f.point.phase == Phase::During && f.landed_inside
                });
                inside.push(format!("{name} {landed}/{during}"));
            }
        }
        eprintln!(
            "crash test ({}): {} cycles in {:.1} s, seed {}\n  \
             new writes checked per cycle: min {} / p10 {} / median {} / p90 {} / max {}, \
             total {}; {} cycles tested nothing new (allowed {})\n  \
             kills: {}; by step: {}\n  \
             \"during\" kills that landed inside their step (the others landed after it): {}",
            self.label,
            self.figures.len(),
            took.as_secs_f64(),
            self.seed,
            pick(0),
            pick(10),
            pick(50),
            pick(90),
            pick(100),
            checked.iter().sum::<usize>(),
            self.sterile,
            self.allowed,
            phases.join(", "),
            steps.join(", "),
            if inside.is_empty() {
                "none".to_string()
            } else {
                inside.join(", ")
            }
        );
    }
}

/// Forwards the child's marker lines; the channel closes when the child's stdout does.
fn read_markers(out: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            // libtest may have printed "test <name> ... " on the same line first.
            let Some(at) = line.find("GROVE-CHILD-") else {
                continue;
            };
            if tx.send(line[at..].to_string()).is_err() {
                break;
            }
        }
    });
    rx
}

/// A directory removed when dropped, unless a panic is under way: then its path is printed.
struct KeptOnFailure(std::path::PathBuf);

impl KeptOnFailure {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for KeptOnFailure {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "crash test failed: store and logs kept in {}",
                self.0.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// What the reopened store must hold: everything acknowledged (before the last flush, in
/// periodic mode) by every cycle so far.
#[derive(Default)]
struct Expected {
    kv: BTreeMap<String, String>,
    /// Set adds, as (set number, member).
    members: BTreeSet<(u64, String)>,
    /// Highest acknowledged counter, CRDT counter and fencing token ("C", "R", "F").
    max: BTreeMap<String, u64>,
    /// Jobs whose enqueue was acknowledged and whose ack was never started.
    jobs_present: BTreeSet<u64>,
    /// Jobs whose ack returned: never to be seen again.
    jobs_acked: BTreeSet<u64>,
    /// Counter and CRDT counter as the previous check found them: an increment made but not
    /// logged before a kill stays in the store, so each cycle may add one over this, not over
    /// the logged maximum.
    seen: std::cell::Cell<(u64, u64)>,
}

/// The items one cycle added to [`Expected`], checked at once, and what its log showed.
#[derive(Default)]
struct Fresh {
    kv: Vec<String>,
    members: Vec<(u64, String)>,
    /// KV writes acknowledged, and of those the ones before the last completed flush.
    acked: usize,
    flushed: usize,
    /// Whether the step of the kill point completed ("DONE" in the log).
    done: bool,
}

impl Expected {
    /// Reads one cycle's logs (the first writer's first) into the expectations and returns what
    /// they added.
    fn absorb(&mut self, logs: &[String], mode: Mode) -> Fresh {
        // Whole lines only: the last one may have been cut by the kill.
        let whole: Vec<Vec<&str>> = logs
            .iter()
            .map(|log| {
                log.split_inclusive('\n')
                    .filter(|l| l.ends_with('\n'))
                    .map(|l| l.trim_end())
                    .collect()
            })
            .collect();
        // An ack started by any writer: one writer may ack what another enqueued.
        let acking: BTreeSet<u64> = whole
            .iter()
            .flatten()
            .filter_map(|l| l.strip_prefix("Qa "))
            .map(|id| id.parse().unwrap())
            .collect();
        let mut fresh = Fresh::default();
        for (w, lines) in whole.iter().enumerate() {
            self.absorb_one(lines, mode, &acking, w == 0, &mut fresh);
        }
        fresh.flushed = fresh.kv.len();
        fresh
    }

    /// One writer's whole log lines into the expectations; `first`: the writer whose kill point
    /// was drawn (its "DONE" says whether the point's step completed).
    fn absorb_one(
        &mut self,
        whole: &[&str],
        mode: Mode,
        acking: &BTreeSet<u64>,
        first: bool,
        fresh: &mut Fresh,
    ) {
        // Periodic mode: only what was acknowledged before that run's last completed flush must
        // survive; what came after may or may not have reached the disk.
        let kept = if mode == Mode::Periodic {
            whole
                .iter()
                .rposition(|l| *l == "FLUSHED")
                .map_or(0, |i| i + 1)
        } else {
            whole.len()
        };
        for (n, l) in whole.iter().enumerate() {
            let (tag, rest) = l.split_once(' ').unwrap_or((l, ""));
            match tag {
                // An ack was started, durable or not: the job may be gone, whatever came before.
                "Qa" => {
                    self.jobs_present.remove(&rest.parse().unwrap());
                }
                "S" => fresh.acked += 1,
                "DONE" if first => fresh.done = true,
                _ => {}
            }
            if n >= kept {
                continue;
            }
            match tag {
                "S" => {
                    let (key, value) = rest.split_once(' ').unwrap();
                    self.kv.insert(key.to_string(), value.to_string());
                    fresh.kv.push(key.to_string());
                }
                "T" => {
                    let (set, member) = rest.split_once(' ').unwrap();
                    let added = (set.parse().unwrap(), member.to_string());
                    self.members.insert(added.clone());
                    fresh.members.push(added);
                }
                "C" | "R" | "F" => {
                    let v: u64 = rest.parse().unwrap();
                    let m = self.max.entry(tag.to_string()).or_default();
                    *m = (*m).max(v);
                }
                "QE" => {
                    let id = rest.parse().unwrap();
                    if !acking.contains(&id) {
                        self.jobs_present.insert(id);
                    }
                }
                "QA" => {
                    self.jobs_acked.insert(rest.parse().unwrap());
                }
                "Qa" | "FLUSHED" | "DONE" => {}
                other => panic!("unknown log tag {other}"),
            }
        }
    }

    /// Checks the reopened store: this cycle's items, counters, fencing and jobs always; every
    /// key and member ever acknowledged when `everything`.
    fn check(
        &self,
        engine: Engine,
        path: &Path,
        mode: Mode,
        cycle: u32,
        fresh: &Fresh,
        everything: bool,
    ) {
        let m = mode.name();
        let db = (engine.open)(path, Durability::default()).unwrap();
        let all_kv: Vec<&String> = self.kv.keys().collect();
        let kv_keys: Vec<&String> = if everything {
            all_kv
        } else {
            fresh.kv.iter().collect()
        };
        for key in kv_keys {
            assert_eq!(
                db.get(key.as_bytes()).unwrap().as_deref(),
                Some(self.kv[key].as_bytes()),
                "cycle {cycle} ({m}): acknowledged set of {key} lost"
            );
        }
        let added: Vec<&(u64, String)> = if everything {
            self.members.iter().collect()
        } else {
            fresh.members.iter().collect()
        };
        // Each set read once: `contains` decodes the whole set every time.
        let mut sets: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
        for (set, member) in added {
            let present = sets.entry(*set).or_insert_with(|| {
                let members = db.crdt_set(&format!("crdt:seen:{set}")).unwrap().members();
                members.unwrap().into_iter().collect()
            });
            assert!(
                present.contains(member),
                "cycle {cycle} ({m}): acknowledged add of {member} to set {set} lost"
            );
        }
        let counter = db.counter("hits").unwrap().get().unwrap() as u64;
        let crdt = db.crdt_counter("crdt:hits").unwrap().value().unwrap() as u64;
        let c = self.max.get("C").copied().unwrap_or(0);
        let r = self.max.get("R").copied().unwrap_or(0);
        // At most one increment per writer may be durable without having been acknowledged
        // (killed between).
        assert!(
            counter >= c,
            "cycle {cycle} ({m}): counter {counter} < acknowledged {c}"
        );
        assert!(
            crdt >= r,
            "cycle {cycle} ({m}): CRDT counter {crdt} < acknowledged {r}"
        );
        if mode == Mode::Durable {
            let (seen_c, seen_r) = self.seen.get();
            assert!(
                counter <= c.max(seen_c) + engine.writers as u64
                    && crdt <= r.max(seen_r) + engine.writers as u64,
                "cycle {cycle}: counts ran ahead (counter {counter}, logged {c}, seen {seen_c}; \
                 CRDT {crdt}, logged {r}, seen {seen_r})"
            );
        }
        self.seen.set((counter, crdt));
        // Fencing tokens never go backwards, across the crash too.
        let lock = db.lock("jobs", Duration::from_secs(2)).unwrap();
        if lock.try_acquire().unwrap() {
            let f = self.max.get("F").copied().unwrap_or(0);
            assert!(
                lock.fencing_token() > f,
                "cycle {cycle} ({m}): fencing token went back"
            );
            lock.release().unwrap();
        }
        // No job lost once its enqueue returned; none acked comes back.
        let job_exists = |id: u64| {
            db.exists(format!("queue:jobs:j:{id:016x}").as_bytes())
                .unwrap()
        };
        for &id in &self.jobs_present {
            assert!(
                job_exists(id),
                "cycle {cycle} ({m}): job {id} was enqueued and is lost"
            );
        }
        for &id in &self.jobs_acked {
            assert!(
                !job_exists(id),
                "cycle {cycle} ({m}): job {id} was acked and came back"
            );
        }
        let stats = db
            .queue("jobs", Duration::from_secs(3600), 1000)
            .unwrap()
            .stats()
            .unwrap();
        assert!(
            stats.ready + stats.in_flight >= self.jobs_present.len() as u64,
            "cycle {cycle} ({m}): queue counts {stats:?} below the {} jobs known present",
            self.jobs_present.len()
        );
        // Every CRDT state still decodes, and the store exports.
        db.export_changes(0).unwrap();
        db.close().unwrap();
    }
}
