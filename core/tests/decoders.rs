//! Every decoder of bytes that can come from outside (CRDT `merge`, `apply_changes`) answers
//! random and mutated input with an error of the right kind, never a panic, and changes nothing.

use grove_core::{ErrorKind, Options, Store};
use proptest::prelude::*;

fn seeded() -> (Store, Vec<Vec<u8>>) {
    let db = Store::open_memory_with(Options::new().node_id("seed")).unwrap();
    db.crdt_counter("c").unwrap().increment(3).unwrap();
    db.crdt_register("r").unwrap().set("{\"a\":[1,2]}").unwrap();
    db.crdt_set("s").unwrap().add("\"x\"").unwrap();
    db.crdt_map("m").unwrap().set("f", "true").unwrap();
    let samples = vec![
        db.crdt_counter("c").unwrap().state().unwrap(),
        db.crdt_register("r").unwrap().state().unwrap(),
        db.crdt_set("s").unwrap().state().unwrap(),
        db.crdt_map("m").unwrap().state().unwrap(),
        db.export_changes(0).unwrap().0,
    ];
    (db, samples)
}

fn snapshot(db: &Store) -> Vec<Vec<u8>> {
    vec![
        db.crdt_counter("c").unwrap().state().unwrap(),
        db.crdt_register("r").unwrap().state().unwrap(),
        db.crdt_set("s").unwrap().state().unwrap(),
        db.crdt_map("m").unwrap().state().unwrap(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn mutated_states_and_bundles_never_panic(
        which in 0usize..5,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        cut in any::<prop::sample::Index>(),
        tail in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let (db, samples) = seeded();
        let target = Store::open_memory_with(Options::new().node_id("target")).unwrap();
        let mut bytes = samples[which].clone();
        for (i, b) in &flips {
            let i = i.index(bytes.len());
            bytes[i] ^= b;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        bytes.extend(&tail);
        let before = snapshot(&db);
        let results = [
            db.crdt_counter("c").unwrap().merge(&bytes).map(|_| ()),
            db.crdt_register("r").unwrap().merge(&bytes).map(|_| ()),
            db.crdt_set("s").unwrap().merge(&bytes).map(|_| ()),
            db.crdt_map("m").unwrap().merge(&bytes).map(|_| ()),
            target.apply_changes(&bytes).map(|_| ()),
        ];
        for r in results {
            if let Err(e) = r {
                prop_assert!(
                    matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::WrongType | ErrorKind::ClockDrift | ErrorKind::InvalidArgument),
                    "unexpected kind {:?}", e
                );
            }
        }
        // Bytes that did decode merged like any state; bytes that did not changed nothing.
        if results_all_failed(&db, &bytes) {
            prop_assert_eq!(snapshot(&db), before);
        }
    }
}

fn results_all_failed(db: &Store, bytes: &[u8]) -> bool {
    db.crdt_counter("c2").unwrap().merge(bytes).is_err()
        && db.crdt_register("r2").unwrap().merge(bytes).is_err()
        && db.crdt_set("s2").unwrap().merge(bytes).is_err()
        && db.crdt_map("m2").unwrap().merge(bytes).is_err()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn random_bytes_are_corrupt(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let db = Store::open_memory();
        let e = db.crdt_counter("c").unwrap().merge(&bytes).unwrap_err();
        prop_assert!(matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::WrongType));
        let e = db.apply_changes(&bytes).unwrap_err();
        prop_assert_eq!(e.kind(), ErrorKind::Corrupt);
        prop_assert!(!db.exists(b"c").unwrap());
    }
}
