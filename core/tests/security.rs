//! Security properties: a namespace view cannot read or write outside its prefix through any
//! primitive, nor through a change bundle; ids and tokens come from the OS CSPRNG (session ids
//! are tested in primitives.rs, lock tokens and the random source in the crate's unit tests).

use grove_core::{sync, ErrorKind, Store};
use std::time::Duration;

/// Writes one of every kind named `x` through `db`, each marked with `tag`.
fn write_everything(db: &Store, tag: &str) {
    db.set(b"x", tag.as_bytes(), None).unwrap();
    db.counter("x").unwrap().set(tag.len() as i64).unwrap();
    let lock = db.lock("x", Duration::from_secs(60)).unwrap();
    assert!(
        lock.try_acquire().unwrap(),
        "{tag}: lock x is free in its own view"
    );
    db.rate_limiter("x", 1, Duration::from_secs(60))
        .unwrap()
        .allow("client", 1)
        .unwrap();
    db.leaderboard("x").unwrap().add(tag, 1.0).unwrap();
    db.queue("x", Duration::from_secs(60), 3)
        .unwrap()
        .enqueue(tag.as_bytes(), Duration::ZERO)
        .unwrap();
    db.crdt_counter("cc")
        .unwrap()
        .add(tag.len() as i64)
        .unwrap();
    db.crdt_set("cs")
        .unwrap()
        .add(&format!("\"{tag}\""))
        .unwrap();
    db.crdt_register("cr")
        .unwrap()
        .set(&format!("\"{tag}\""))
        .unwrap();
    db.crdt_map("cm")
        .unwrap()
        .set("f", &format!("\"{tag}\""))
        .unwrap();
}

/// Checks that `db` sees exactly what `write_everything(db, tag)` wrote, nothing of the others.
fn sees_only(db: &Store, tag: &str) {
    assert_eq!(db.get(b"x").unwrap().as_deref(), Some(tag.as_bytes()));
    assert_eq!(db.counter("x").unwrap().get().unwrap(), tag.len() as i64);
    assert!(db.lock_info("x").unwrap().held);
    let d = db
        .rate_limiter("x", 1, Duration::from_secs(60))
        .unwrap()
        .peek("client")
        .unwrap();
    assert_eq!(d.remaining, 0, "{tag}: its own limiter used its one slot");
    let top = db.leaderboard("x").unwrap().top(10).unwrap();
    assert_eq!(top.len(), 1, "{tag}: {top:?}");
    assert_eq!(top[0].member, tag);
    let q = db.queue("x", Duration::from_secs(60), 3).unwrap();
    assert_eq!(q.stats().unwrap().ready, 1, "{tag}");
    assert_eq!(
        db.crdt_counter("cc").unwrap().value().unwrap(),
        tag.len() as i64
    );
    assert_eq!(
        db.crdt_set("cs").unwrap().members().unwrap(),
        vec![format!("\"{tag}\"")]
    );
    assert_eq!(
        db.crdt_register("cr").unwrap().get().unwrap(),
        Some(format!("\"{tag}\""))
    );
    assert_eq!(
        db.crdt_map("cm").unwrap().get("f").unwrap(),
        Some(format!("\"{tag}\""))
    );
}

#[test]
fn namespace_views_are_isolated_through_every_primitive() {
    let dir = tempfile::tempdir().unwrap();
    for db in [
        Store::open_memory(),
        Store::open(dir.path().join("s")).unwrap(),
    ] {
        let a = db.namespace("tenant-a").unwrap();
        let b = db.namespace("tenant-b").unwrap();
        let nested = a.namespace("inner").unwrap();
        for (view, tag) in [(&db, "root"), (&a, "aaaa"), (&b, "bbbbbb"), (&nested, "n")] {
            write_everything(view, tag);
        }
        for (view, tag) in [(&db, "root"), (&a, "aaaa"), (&b, "bbbbbb"), (&nested, "n")] {
            sees_only(view, tag);
        }
        // A view lists only its own keys; everything it made is under its prefix.
        for k in b.keys(b"").unwrap() {
            let k = k.unwrap();
            assert!(
                db.exists(&[b"tenant-b:".as_slice(), &k].concat()).unwrap()
                    || db
                        .kind_of(&[b"tenant-b:".as_slice(), &k].concat())
                        .unwrap()
                        .is_some(),
                "{:?} listed by tenant-b is not under its prefix",
                String::from_utf8_lossy(&k)
            );
        }
        assert!(a
            .keys(b"")
            .unwrap()
            .all(|k| !k.unwrap().starts_with(b"tenant-b")));
        db.close().unwrap();
    }
}

#[test]
fn change_bundles_land_inside_the_applying_view() {
    let db = Store::open_memory();
    let a = db.namespace("tenant-a").unwrap();
    let b = db.namespace("tenant-b").unwrap();
    db.crdt_counter("cc").unwrap().add(1000).unwrap();
    a.crdt_counter("cc").unwrap().add(7).unwrap();

    // A view exports only its own CRDTs.
    let (from_a, _) = a.export_changes(0).unwrap();
    let other = Store::open_memory();
    let report = other.apply_changes(&from_a).unwrap();
    assert_eq!(
        report.merged + report.pulled + report.pushed,
        1,
        "{report:?}"
    );
    assert_eq!(other.crdt_counter("cc").unwrap().value().unwrap(), 7);

    // A bundle from the root (holding every view's CRDTs, prefixed) applied to tenant-b stays
    // under tenant-b's prefix: the root's and tenant-a's values do not move.
    let (from_root, _) = db.export_changes(0).unwrap();
    b.apply_changes(&from_root).unwrap();
    assert_eq!(db.crdt_counter("cc").unwrap().value().unwrap(), 1000);
    assert_eq!(a.crdt_counter("cc").unwrap().value().unwrap(), 7);
    assert_eq!(b.crdt_counter("cc").unwrap().value().unwrap(), 1000);
    assert_eq!(
        b.crdt_counter("tenant-a:cc").unwrap().value().unwrap(),
        7,
        "tenant-a's counter arrives as tenant-b's own key"
    );

    // Syncing two views of one engine is refused, and moves nothing.
    let c = db.namespace("tenant-c").unwrap();
    let err = sync(&a, &c).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert_eq!(c.crdt_counter("cc").unwrap().value().unwrap(), 0);
    assert_eq!(db.crdt_counter("cc").unwrap().value().unwrap(), 1000);
}

#[test]
fn a_closed_store_exports_nothing() {
    let db = Store::open_memory();
    db.crdt_counter("cc").unwrap().add(1).unwrap();
    db.close().unwrap();
    assert_eq!(db.export_changes(0).unwrap_err().kind(), ErrorKind::Closed);
}
