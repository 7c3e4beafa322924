//! CRDTs: merge laws (property tests), a replica simulation with lossy delivery, the seed
//! stories, the Go Syncer failures made impossible, drift refusal, delta export, two processes.

mod common;

use grove_core::{sync, ErrorKind, ManualClock, Options, Store};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

fn replica(node: &str, clock: &Arc<ManualClock>) -> Store {
    Store::open_memory_with(Options::new().node_id(node).clock(clock.clone())).unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Inc(u8),
    Dec(u8),
    Add(u8),
    Remove(u8),
    MapSet(u8, u8),
    MapDel(u8),
    RegSet(u8),
    Tick(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..20).prop_map(Op::Inc),
        (0u8..20).prop_map(Op::Dec),
        (0u8..6).prop_map(Op::Add),
        (0u8..6).prop_map(Op::Remove),
        (0u8..4, 0u8..5).prop_map(|(f, v)| Op::MapSet(f, v)),
        (0u8..4).prop_map(Op::MapDel),
        (0u8..5).prop_map(Op::RegSet),
        (0u16..50).prop_map(Op::Tick),
    ]
}

fn apply(db: &Store, op: &Op, clock: &ManualClock) {
    match op {
        Op::Inc(n) => drop(db.crdt_counter("c").unwrap().increment(*n as u64).unwrap()),
        Op::Dec(n) => drop(db.crdt_counter("c").unwrap().decrement(*n as u64).unwrap()),
        Op::Add(e) => db
            .crdt_set("s")
            .unwrap()
            .add(&format!("{{\"tag\":{e}}}"))
            .unwrap(),
        Op::Remove(e) => drop(
            db.crdt_set("s")
                .unwrap()
                .remove(&format!("{{\"tag\":{e}}}"))
                .unwrap(),
        ),
        Op::MapSet(f, v) => db
            .crdt_map("m")
            .unwrap()
            .set(&format!("f{f}"), &v.to_string())
            .unwrap(),
        Op::MapDel(f) => drop(db.crdt_map("m").unwrap().delete(&format!("f{f}")).unwrap()),
        Op::RegSet(v) => db
            .crdt_register("r")
            .unwrap()
            .set(&format!("[{v}]"))
            .unwrap(),
        Op::Tick(ms) => clock.advance(Duration::from_millis(*ms as u64)),
    }
}

/// Every CRDT's state bytes at one replica, for equality checks.
fn states(db: &Store) -> Vec<Vec<u8>> {
    vec![
        db.crdt_counter("c").unwrap().state().unwrap(),
        db.crdt_set("s").unwrap().state().unwrap(),
        db.crdt_map("m").unwrap().state().unwrap(),
        db.crdt_register("r").unwrap().state().unwrap(),
    ]
}

/// A scratch replica holding the merge of `parts` in the given order.
fn merged(parts: &[&Vec<Vec<u8>>], clock: &Arc<ManualClock>, node: &str) -> Vec<Vec<u8>> {
    let db = replica(node, clock);
    for p in parts {
        db.crdt_counter("c").unwrap().merge(&p[0]).unwrap();
        db.crdt_set("s").unwrap().merge(&p[1]).unwrap();
        db.crdt_map("m").unwrap().merge(&p[2]).unwrap();
        db.crdt_register("r").unwrap().merge(&p[3]).unwrap();
    }
    states(&db)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]
    #[test]
    fn merge_is_commutative_associative_idempotent_and_commutes_with_ops(
        ops in proptest::collection::vec((0usize..3, op()), 1..40),
        extra in proptest::collection::vec(op(), 1..6),
    ) {
        let clock = Arc::new(ManualClock::default());
        let reps: Vec<Store> = ["a", "b", "c"].iter().map(|n| replica(n, &clock)).collect();
        for (r, op) in &ops {
            apply(&reps[*r], op, &clock);
        }
        let [a, b, c] = [states(&reps[0]), states(&reps[1]), states(&reps[2])];
        // Commutative, associative, idempotent.
        prop_assert_eq!(merged(&[&a, &b], &clock, "x1"), merged(&[&b, &a], &clock, "x2"));
        prop_assert_eq!(
            merged(&[&merged(&[&a, &b], &clock, "x3"), &c], &clock, "x4"),
            merged(&[&a, &merged(&[&b, &c], &clock, "x5")], &clock, "x6")
        );
        prop_assert_eq!(merged(&[&a, &a, &b, &b], &clock, "x7"), merged(&[&a, &b], &clock, "x8"));
        // Op then merge == merge then op: replica a applies `extra` either before or after
        // merging b's state; a's own ops are the same, so the results must be equal.
        let left = replica("a", &clock);
        let right = replica("a", &clock);
        for s in [&left, &right] {
            let sa = &a;
            s.crdt_counter("c").unwrap().merge(&sa[0]).unwrap();
            s.crdt_set("s").unwrap().merge(&sa[1]).unwrap();
            s.crdt_map("m").unwrap().merge(&sa[2]).unwrap();
            s.crdt_register("r").unwrap().merge(&sa[3]).unwrap();
        }
        for op in &extra { if !matches!(op, Op::Tick(_)) { apply(&left, op, &clock); } }
        let lb = merged(&[&states(&left), &b], &clock, "y1");
        // Same ops on `right` after merging b: compare counter and set (stamp-free types).
        right.crdt_counter("c").unwrap().merge(&b[0]).unwrap();
        right.crdt_set("s").unwrap().merge(&b[1]).unwrap();
        for op in &extra {
            if matches!(op, Op::Inc(_) | Op::Dec(_) | Op::Add(_)) { apply(&right, op, &clock); }
        }
        let adds_only = extra.iter().all(|o| !matches!(o, Op::Remove(_)));
        prop_assert_eq!(&lb[0], &states(&right)[0], "counter: op then merge == merge then op");
        if adds_only {
            let l: BTreeSet<String> = replica_members(&lb[1], &clock);
            let r: BTreeSet<String> = right.crdt_set("s").unwrap().members().unwrap().into_iter().collect();
            prop_assert_eq!(l, r, "set adds: op then merge == merge then op");
        }
    }
}

fn replica_members(state: &[u8], clock: &Arc<ManualClock>) -> BTreeSet<String> {
    let db = replica("probe", clock);
    db.crdt_set("s").unwrap().merge(state).unwrap();
    db.crdt_set("s")
        .unwrap()
        .members()
        .unwrap()
        .into_iter()
        .collect()
}

/// A message in flight: destination, bundle, and the set knowledge (add ids, removes) it carries.
type Message = (usize, Vec<u8>, BTreeSet<u64>, BTreeSet<usize>);

/// Set semantics model: adds with ids; removes with the add ids they observed.
#[derive(Default, Clone)]
struct SetModel {
    adds: BTreeMap<u64, u8>,           // add id -> element
    removes: Vec<(u8, BTreeSet<u64>)>, // element, observed add ids
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn replicas_converge_under_dropped_duplicated_reordered_delivery(
        n in 3usize..6,
        steps in proptest::collection::vec((0usize..5, op(), 0usize..5, 0u8..4), 1..80),
    ) {
        let clock = Arc::new(ManualClock::default());
        let names = ["r0", "r1", "r2", "r3", "r4"];
        let reps: Vec<Store> = names[..n].iter().map(|nm| replica(nm, &clock)).collect();
        let mut total: i64 = 0;
        // Per replica: the add ids it has seen, per the model.
        let mut seen: Vec<BTreeSet<u64>> = vec![BTreeSet::new(); n];
        let mut seen_removes: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
        let mut model = SetModel::default();
        let mut next_add = 0u64;
        let mut in_flight: Vec<Message> = Vec::new();
        let mut cursors = vec![0u64; n];
        for (r, op, to, mode) in steps {
            let (r, to) = (r % n, to % n);
            apply(&reps[r], &op, &clock);
            match &op {
                Op::Inc(k) => total += *k as i64,
                Op::Dec(k) => total -= *k as i64,
                Op::Add(e) => {
                    next_add += 1;
                    model.adds.insert(next_add, *e);
                    seen[r].insert(next_add);
                }
                Op::Remove(e) => {
                    let removed: BTreeSet<usize> = seen_removes[r].clone();
                    let observed: BTreeSet<u64> = seen[r]
                        .iter()
                        .filter(|id| model.adds[id] == *e)
                        .filter(|id| !removed.iter().any(|ri| model.removes[*ri].1.contains(id)))
                        .copied()
                        .collect();
                    model.removes.push((*e, observed));
                    seen_removes[r].insert(model.removes.len() - 1);
                }
                _ => {}
            }
            // A message from r: its whole changes since its cursor (mode 0/1), or held back.
            let (bytes, cursor) = reps[r].export_changes(if mode == 0 { 0 } else { cursors[r] }).unwrap();
            cursors[r] = cursor;
            // The message carries r's set knowledge iff it carries the set's (whole) state.
            let probe = replica("probe", &clock);
            probe.apply_changes(&bytes).unwrap();
            let carries_set = probe.exists(b"s").unwrap();
            let (adds, rems) = if carries_set {
                (seen[r].clone(), seen_removes[r].clone())
            } else {
                (BTreeSet::new(), BTreeSet::new())
            };
            in_flight.push((to, bytes, adds, rems));
            // Deliver one message in a random position, sometimes twice, sometimes never.
            if mode != 3 && !in_flight.is_empty() {
                let i = (r + to) % in_flight.len();
                let (dest, bytes, adds, rems) = in_flight.remove(i);
                for _ in 0..(if mode == 2 { 2 } else { 1 }) {
                    reps[dest].apply_changes(&bytes).unwrap();
                }
                seen[dest].extend(adds);
                seen_removes[dest].extend(rems);
            }
        }
        // Full sync until quiet.
        for _ in 0..2 {
            for i in 0..n {
                for j in 0..n {
                    if i != j {
                        sync(&reps[i], &reps[j]).unwrap();
                    }
                }
            }
        }
        let first = states(&reps[0]);
        for rep in &reps[1..] {
            prop_assert_eq!(&states(rep), &first, "replicas differ after a full sync");
        }
        for rep in &reps {
            prop_assert_eq!(rep.crdt_counter("c").unwrap().value().unwrap(), total);
        }
        // Present iff some add is not covered by a remove that observed it.
        let want: BTreeSet<String> = model
            .adds
            .iter()
            .filter(|(id, _)| !model.removes.iter().any(|(_, obs)| obs.contains(id)))
            .map(|(_, e)| format!("{{\"tag\":{e}}}"))
            .collect();
        let got: BTreeSet<String> = reps[0].crdt_set("s").unwrap().members().unwrap().into_iter().collect();
        prop_assert_eq!(got, want);
        // A second round of syncs has nothing to do.
        let r = sync(&reps[0], &reps[1]).unwrap();
        prop_assert_eq!((r.pulled, r.pushed, r.merged), (0, 0, 0));
    }
}

#[test]
fn seed_stories() {
    let clock = Arc::new(ManualClock::default());
    // US-East +100, EU-West +250: 350 on both.
    let (east, west) = (replica("us-east-1", &clock), replica("eu-west-1", &clock));
    east.crdt_counter("crdt:page:home:views")
        .unwrap()
        .increment(100)
        .unwrap();
    west.crdt_counter("crdt:page:home:views")
        .unwrap()
        .increment(250)
        .unwrap();
    let report = sync(&east, &west).unwrap();
    assert_eq!(report.merged, 1);
    for db in [&east, &west] {
        assert_eq!(
            db.crdt_counter("crdt:page:home:views")
                .unwrap()
                .value()
                .unwrap(),
            350
        );
    }
    assert_eq!(
        sync(&east, &west).unwrap(),
        Default::default(),
        "second sync: nothing to do"
    );

    // A +5, B +3, A -2: 6, with per-node contributions.
    let (a, b) = (replica("node-a", &clock), replica("node-b", &clock));
    a.crdt_counter("n").unwrap().increment(5).unwrap();
    b.crdt_counter("n").unwrap().increment(3).unwrap();
    a.crdt_counter("n").unwrap().decrement(2).unwrap();
    sync(&a, &b).unwrap();
    let c = b.crdt_counter("n").unwrap();
    assert_eq!(c.value().unwrap(), 6);
    assert_eq!(c.totals().unwrap(), (8, 2));
    assert_eq!(c.contributions().unwrap()["node-a"], (5, 2));

    // Concurrent tag add and remove: "crdt" survives (add wins), "go" and "distributed" too.
    let (a, b) = (replica("node-a", &clock), replica("node-b", &clock));
    a.crdt_set("tags").unwrap().add("\"go\"").unwrap();
    a.crdt_set("tags").unwrap().add("\"crdt\"").unwrap();
    b.crdt_set("tags").unwrap().add("\"distributed\"").unwrap();
    assert!(
        !b.crdt_set("tags").unwrap().remove("\"crdt\"").unwrap(),
        "b never saw it"
    );
    sync(&a, &b).unwrap();
    let members = a.crdt_set("tags").unwrap().members().unwrap();
    assert_eq!(members, ["\"crdt\"", "\"distributed\"", "\"go\""]);
    // Remove after observing, concurrent with a re-add elsewhere: the re-add wins.
    assert!(b.crdt_set("tags").unwrap().remove("\"go\"").unwrap());
    a.crdt_set("tags").unwrap().add("\"go\"").unwrap();
    sync(&a, &b).unwrap();
    assert!(b.crdt_set("tags").unwrap().contains("\"go\"").unwrap());
    // A remove that observed every add wins.
    assert!(b.crdt_set("tags").unwrap().remove("\"go\"").unwrap());
    sync(&a, &b).unwrap();
    assert!(!a.crdt_set("tags").unwrap().contains("\"go\"").unwrap());

    // Per-field config merge: different fields never conflict; the same field by HLC.
    let (a, b) = (replica("node-a", &clock), replica("node-b", &clock));
    a.crdt_map("crdt:config:app")
        .unwrap()
        .set("max_connections", "100")
        .unwrap();
    a.crdt_map("crdt:config:app")
        .unwrap()
        .set("log_level", "\"info\"")
        .unwrap();
    clock.advance(Duration::from_millis(5));
    b.crdt_map("crdt:config:app")
        .unwrap()
        .set("log_level", "\"debug\"")
        .unwrap();
    b.crdt_map("crdt:config:app")
        .unwrap()
        .set("feature_x", "true")
        .unwrap();
    sync(&a, &b).unwrap();
    for db in [&a, &b] {
        let m = db.crdt_map("crdt:config:app").unwrap();
        assert_eq!(
            m.keys().unwrap(),
            ["feature_x", "log_level", "max_connections"]
        );
        assert_eq!(m.get("log_level").unwrap().as_deref(), Some("\"debug\""));
    }
}

#[test]
fn the_go_syncer_failures_are_impossible() {
    let clock = Arc::new(ManualClock::default());
    let (a, b) = (replica("node-a", &clock), replica("node-b", &clock));
    a.crdt_counter("c").unwrap().increment(7).unwrap();
    a.crdt_register("r")
        .unwrap()
        .set("{\"name\":\"Alice\"}")
        .unwrap();
    a.crdt_set("s").unwrap().add("1").unwrap();
    a.crdt_map("m").unwrap().set("k", "\"v\"").unwrap();
    // Every type survives a sync unchanged in value, both ways.
    let report = sync(&a, &b).unwrap();
    assert_eq!((report.pulled, report.pushed, report.merged), (0, 4, 0));
    for db in [&a, &b] {
        assert_eq!(db.crdt_counter("c").unwrap().value().unwrap(), 7);
        assert_eq!(
            db.crdt_register("r").unwrap().get().unwrap().as_deref(),
            Some("{\"name\":\"Alice\"}")
        );
        assert_eq!(db.crdt_set("s").unwrap().members().unwrap(), ["1"]);
        assert_eq!(
            db.crdt_map("m").unwrap().get("k").unwrap().as_deref(),
            Some("\"v\"")
        );
    }
    // A deleted field is not resurrected by an older concurrent set.
    b.crdt_map("m").unwrap().set("k", "\"older\"").unwrap();
    clock.advance(Duration::from_millis(3));
    assert!(a.crdt_map("m").unwrap().delete("k").unwrap());
    sync(&a, &b).unwrap();
    sync(&b, &a).unwrap();
    for db in [&a, &b] {
        assert_eq!(db.crdt_map("m").unwrap().get("k").unwrap(), None);
        assert!(db.crdt_map("m").unwrap().keys().unwrap().is_empty());
    }
    // Merging the wrong type is WrongType and changes nothing; garbage is Corrupt.
    let reg_state = a.crdt_register("r").unwrap().state().unwrap();
    let before = a.crdt_counter("c").unwrap().state().unwrap();
    assert_eq!(
        a.crdt_counter("c")
            .unwrap()
            .merge(&reg_state)
            .unwrap_err()
            .kind(),
        ErrorKind::WrongType
    );
    assert_eq!(
        a.crdt_counter("c")
            .unwrap()
            .merge(b"junk")
            .unwrap_err()
            .kind(),
        ErrorKind::Corrupt
    );
    let mut future = before.clone();
    future[3] = 99;
    assert_eq!(
        a.crdt_counter("c")
            .unwrap()
            .merge(&future)
            .unwrap_err()
            .kind(),
        ErrorKind::Corrupt
    );
    assert_eq!(a.crdt_counter("c").unwrap().state().unwrap(), before);
    assert_eq!(
        a.crdt_counter("r").unwrap().value().unwrap_err().kind(),
        ErrorKind::WrongType
    );
    assert_eq!(a.get(b"c").unwrap_err().kind(), ErrorKind::WrongType);
    // Two stores with the same node id are refused.
    let twin = replica("node-a", &clock);
    assert_eq!(
        sync(&a, &twin).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(sync(&a, &a).unwrap_err().kind(), ErrorKind::InvalidArgument);
}

#[test]
fn a_stamp_beyond_max_drift_is_refused_and_changes_nothing() {
    let clock = Arc::new(ManualClock::default());
    let ahead = Arc::new(ManualClock::new(
        grove_core::Clock::now_ms(&*clock) + 120_000,
    ));
    let local = replica("local", &clock);
    let remote = replica("remote", &ahead);
    local.crdt_register("r").unwrap().set("\"mine\"").unwrap();
    remote
        .crdt_register("r")
        .unwrap()
        .set("\"from the future\"")
        .unwrap();
    let before = local.crdt_register("r").unwrap().state().unwrap();
    let future = remote.crdt_register("r").unwrap().state().unwrap();
    let err = local
        .crdt_register("r")
        .unwrap()
        .merge(&future)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ClockDrift);
    let (bundle, _) = remote.export_changes(0).unwrap();
    assert_eq!(
        local.apply_changes(&bundle).unwrap_err().kind(),
        ErrorKind::ClockDrift
    );
    assert_eq!(
        sync(&local, &remote).unwrap_err().kind(),
        ErrorKind::ClockDrift
    );
    assert_eq!(
        local.crdt_register("r").unwrap().state().unwrap(),
        before,
        "untouched, not clamped"
    );
    // Within a wider allowed drift it merges.
    local.set_max_drift(Duration::from_secs(300));
    assert!(local.crdt_register("r").unwrap().merge(&future).unwrap());
    // And a later local write still wins: the clock moved past the remote stamp.
    local.crdt_register("r").unwrap().set("\"after\"").unwrap();
    assert_eq!(
        local.crdt_register("r").unwrap().get().unwrap().as_deref(),
        Some("\"after\"")
    );
}

#[test]
fn export_changes_sends_only_what_changed_since_the_cursor() {
    let clock = Arc::new(ManualClock::default());
    let (a, b) = (replica("a", &clock), replica("b", &clock));
    for i in 0..100 {
        a.crdt_counter(&format!("k{i}"))
            .unwrap()
            .increment(1)
            .unwrap();
    }
    let (all, cursor) = a.export_changes(0).unwrap();
    assert_eq!(b.apply_changes(&all).unwrap().pulled, 100);
    let (none, same) = a.export_changes(cursor).unwrap();
    assert_eq!(same, cursor);
    assert_eq!(b.apply_changes(&none).unwrap(), Default::default());
    for i in [3, 50, 99] {
        a.crdt_counter(&format!("k{i}"))
            .unwrap()
            .increment(1)
            .unwrap();
    }
    let (delta, next) = a.export_changes(cursor).unwrap();
    assert!(next > cursor);
    assert!(
        delta.len() * 10 < all.len(),
        "delta is small: {} vs {}",
        delta.len(),
        all.len()
    );
    let r = b.apply_changes(&delta).unwrap();
    assert_eq!((r.pulled, r.merged), (0, 3));
    assert_eq!(b.crdt_counter("k50").unwrap().value().unwrap(), 2);
    // Namespaced views export only their own keys, relative to the view.
    let ns = a.namespace("t").unwrap();
    ns.crdt_set("tags").unwrap().add("\"x\"").unwrap();
    let (nb, _) = ns.export_changes(0).unwrap();
    let other = replica("c", &clock);
    assert_eq!(other.apply_changes(&nb).unwrap().pulled, 1);
    assert!(other.crdt_set("tags").unwrap().contains("\"x\"").unwrap());
    assert_eq!(
        b.apply_changes(b"GRVX\x09").unwrap_err().kind(),
        ErrorKind::Corrupt
    );
}

#[test]
fn concurrent_local_ops_lose_nothing() {
    let (stores, _dir) = common::engines(Arc::new(ManualClock::default()));
    for (name, db) in stores {
        std::thread::scope(|s| {
            for t in 0..8 {
                let db = db.clone();
                s.spawn(move || {
                    for i in 0..500 {
                        db.crdt_counter("hits").unwrap().increment(1).unwrap();
                        db.crdt_set("seen")
                            .unwrap()
                            .add(&format!("{}", t * 1000 + i))
                            .unwrap();
                    }
                });
            }
        });
        assert_eq!(
            db.crdt_counter("hits").unwrap().value().unwrap(),
            4_000,
            "{name}"
        );
        assert_eq!(db.crdt_set("seen").unwrap().len().unwrap(), 4_000, "{name}");
    }
}

#[test]
fn reset_local_survives_merge_and_hlc_survives_restart() {
    let clock = Arc::new(ManualClock::default());
    let (a, b) = (replica("a", &clock), replica("b", &clock));
    a.crdt_counter("c").unwrap().increment(10).unwrap();
    b.crdt_counter("c").unwrap().increment(5).unwrap();
    sync(&a, &b).unwrap();
    assert_eq!(a.crdt_counter("c").unwrap().reset_local().unwrap(), 5);
    sync(&a, &b).unwrap();
    assert_eq!(
        b.crdt_counter("c").unwrap().value().unwrap(),
        5,
        "the reset survived the merge"
    );

    // After a restart with the wall clock set back, a new write still wins over an old one.
    let dir = tempfile::tempdir().unwrap();
    let c = Arc::new(ManualClock::new(2_000_000_000_000));
    let db = Store::open_with(dir.path(), Options::new().clock(c.clone())).unwrap();
    db.crdt_register("r").unwrap().set("\"old\"").unwrap();
    let old = db.crdt_register("r").unwrap().stamp().unwrap().unwrap();
    db.close().unwrap();
    c.set_ms(1_900_000_000_000);
    let db = Store::open_with(dir.path(), Options::new().clock(c.clone())).unwrap();
    db.crdt_register("r").unwrap().set("\"new\"").unwrap();
    assert!(db.crdt_register("r").unwrap().stamp().unwrap().unwrap() > old);
    db.close().unwrap();
}

#[test]
#[ignore = "entry point for the child process of the two-process exchange"]
fn crdt_child() {
    let dir = std::env::var("GROVE_CHILD_PATH").unwrap();
    let inbox = std::env::var("GROVE_CHILD_IN").unwrap();
    let outbox = std::env::var("GROVE_CHILD_OUT").unwrap();
    let db = Store::open_with(&dir, Options::new().node_id("child")).unwrap();
    db.crdt_counter("views").unwrap().increment(250).unwrap();
    db.crdt_set("tags").unwrap().add("\"child\"").unwrap();
    db.apply_changes(&std::fs::read(inbox).unwrap()).unwrap();
    let (bytes, _) = db.export_changes(0).unwrap();
    std::fs::write(outbox, bytes).unwrap();
    println!(
        "RESULT {} {}",
        db.crdt_counter("views").unwrap().value().unwrap(),
        db.crdt_set("tags").unwrap().members().unwrap().join(",")
    );
    db.close().unwrap();
}

#[test]
fn two_processes_converge_through_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::open_with(dir.path().join("a"), Options::new().node_id("parent")).unwrap();
    a.crdt_counter("views").unwrap().increment(100).unwrap();
    a.crdt_set("tags").unwrap().add("\"parent\"").unwrap();
    let (bytes, _) = a.export_changes(0).unwrap();
    let (inbox, outbox) = (dir.path().join("to-child"), dir.path().join("to-parent"));
    std::fs::write(&inbox, bytes).unwrap();
    let out = common::child(
        "crdt_child",
        &[
            ("GROVE_CHILD_PATH", dir.path().join("b").to_str().unwrap()),
            ("GROVE_CHILD_IN", inbox.to_str().unwrap()),
            ("GROVE_CHILD_OUT", outbox.to_str().unwrap()),
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    a.apply_changes(&std::fs::read(&outbox).unwrap()).unwrap();
    let mine = format!(
        "RESULT {} {}",
        a.crdt_counter("views").unwrap().value().unwrap(),
        a.crdt_set("tags").unwrap().members().unwrap().join(",")
    );
    assert_eq!(mine, "RESULT 350 \"child\",\"parent\"");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&mine),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    a.close().unwrap();
}

#[test]
fn cursors_stay_valid_across_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = Store::open(dir.path()).unwrap();
    for i in 0..10 {
        db.crdt_counter(&format!("k{i}"))
            .unwrap()
            .increment(1)
            .unwrap();
    }
    let (_, cursor) = db.export_changes(0).unwrap();
    db.close().unwrap();
    let db = Store::open(dir.path()).unwrap();
    db.crdt_counter("k3").unwrap().increment(1).unwrap();
    let (delta, next) = db.export_changes(cursor).unwrap();
    assert!(next > cursor);
    let probe = Store::open_memory();
    assert_eq!(
        probe.apply_changes(&delta).unwrap().pulled,
        1,
        "the change after restart is sent"
    );
    assert_eq!(probe.crdt_counter("k3").unwrap().value().unwrap(), 2);
    db.close().unwrap();
}

#[test]
fn exports_racing_writers_never_miss_a_change() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (stores, _dir) = common::engines(Arc::new(ManualClock::default()));
    for (name, src) in stores {
        let dst = Store::open_memory();
        let finished = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let (src, finished) = (src.clone(), &finished);
                s.spawn(move || {
                    for i in 0..2_000u64 {
                        let k = format!("c{}", (i * 7 + t) % 50);
                        src.crdt_counter(&k).unwrap().increment(1).unwrap();
                    }
                    finished.fetch_add(1, Ordering::SeqCst);
                });
            }
            let (src, dst, finished) = (&src, &dst, &finished);
            s.spawn(move || {
                // Incremental exports while the writers run, then one last pass from the cursor:
                // only correct if no cursor ever skipped a change that landed late.
                let mut cursor = 0;
                loop {
                    let last = finished.load(Ordering::SeqCst) == 4;
                    let (bytes, next) = src.export_changes(cursor).unwrap();
                    dst.apply_changes(&bytes).unwrap();
                    cursor = next;
                    if last {
                        break;
                    }
                }
            });
        });
        for i in 0..50 {
            let k = format!("c{i}");
            assert_eq!(
                dst.crdt_counter(&k).unwrap().value().unwrap(),
                src.crdt_counter(&k).unwrap().value().unwrap(),
                "{name}: {k}"
            );
        }
        let total: i64 = (0..50)
            .map(|i| dst.crdt_counter(&format!("c{i}")).unwrap().value().unwrap())
            .sum();
        assert_eq!(total, 8_000, "{name}");
    }
}

#[test]
fn json_values_are_canonical_and_never_rounded() {
    let db = Store::open_memory();
    let s = db.crdt_set("s").unwrap();
    s.add("{\"b\": 1, \"a\": [1.0, 1e2, -0]}").unwrap();
    assert!(
        s.contains("{\"a\":[1.0,100.0,0],\"b\":1}").unwrap(),
        "{:?}",
        s.members()
    );
    s.add("18446744073709551615").unwrap(); // u64::MAX stays exact
    assert!(s.contains("18446744073709551615").unwrap());
    for bad in [
        "123456789012345678901234567890",
        "-99999999999999999999",
        "{\"x\":",
        "NaN",
    ] {
        assert_eq!(
            s.add(bad).unwrap_err().kind(),
            ErrorKind::InvalidArgument,
            "{bad}"
        );
    }
    // A no-op on an absent key writes nothing.
    assert!(!db.crdt_set("absent").unwrap().remove("1").unwrap());
    // (A map delete of an absent field does write: its tombstone must beat older remote sets.)
    assert!(!db.crdt_map("absent-map").unwrap().delete("f").unwrap());
    assert!(db.exists(b"absent-map").unwrap());
    db.crdt_counter("absent-counter")
        .unwrap()
        .reset_local()
        .unwrap();
    assert!(!db.exists(b"absent").unwrap());
    assert!(!db.exists(b"absent-counter").unwrap());
    // Closed is reported before the input is looked at.
    db.close().unwrap();
    assert_eq!(db.crdt_set("s").unwrap_err().kind(), ErrorKind::Closed);
}

#[test]
fn a_counter_merge_that_would_leave_i64_is_refused_and_changes_nothing() {
    let clock = Arc::new(ManualClock::default());
    let a = replica("a", &clock);
    let big = replica("big", &clock);
    a.crdt_counter("c").unwrap().add(5).unwrap();
    big.crdt_counter("c").unwrap().add(i64::MAX).unwrap();
    let before = a.crdt_counter("c").unwrap().state().unwrap();
    let remote = big.crdt_counter("c").unwrap().state().unwrap();

    // merge
    let e = a.crdt_counter("c").unwrap().merge(&remote).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Overflow, "{e}");
    let c = a.crdt_counter("c").unwrap();
    assert_eq!(c.value().unwrap(), 5);
    assert_eq!(c.state().unwrap(), before);

    // apply_changes
    let (bundle, _) = big.export_changes(0).unwrap();
    let e = a.apply_changes(&bundle).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Overflow, "{e}");
    assert_eq!(c.value().unwrap(), 5);
    assert_eq!(c.state().unwrap(), before);

    // sync, either way round: neither side ends up unreadable
    for (x, y) in [(&a, &big), (&big, &a)] {
        let e = sync(x, y).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Overflow, "{e}");
        assert_eq!(a.crdt_counter("c").unwrap().value().unwrap(), 5);
        assert_eq!(big.crdt_counter("c").unwrap().value().unwrap(), i64::MAX);
    }

    // The negative side too, and totals past u64 with an in-range value.
    let neg = replica("neg", &clock);
    neg.crdt_counter("c").unwrap().add(i64::MIN + 1).unwrap();
    neg.crdt_counter("c").unwrap().decrement(2).unwrap_err();
    let low = replica("low", &clock);
    low.crdt_counter("c").unwrap().decrement(2).unwrap();
    let e = neg
        .crdt_counter("c")
        .unwrap()
        .merge(&low.crdt_counter("c").unwrap().state().unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Overflow, "{e}");
    assert_eq!(
        neg.crdt_counter("c").unwrap().value().unwrap(),
        i64::MIN + 1
    );

    // A merge that stays in range is still accepted, including one that brings a value back.
    let back = replica("back", &clock);
    back.crdt_counter("c").unwrap().decrement(10).unwrap();
    let bc = big.crdt_counter("c").unwrap();
    assert!(bc
        .merge(&back.crdt_counter("c").unwrap().state().unwrap())
        .unwrap());
    assert_eq!(bc.value().unwrap(), i64::MAX - 10);
}

#[test]
fn a_map_get_of_an_empty_field_is_invalid() {
    let db = Store::open_memory();
    let m = db.crdt_map("m").unwrap();
    for e in [
        m.get("").unwrap_err(),
        m.set("", "1").unwrap_err(),
        m.delete("").unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    }
    assert_eq!(
        m.get(&"f".repeat(grove_core::MAX_KEY_LEN + 1))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
    assert!(!db.exists(b"m").unwrap());
}
