//! A Redis Cluster reached over TLS (`rediss+cluster://`): every node speaks only TLS, the store's
//! master is found and followed over TLS, and a certificate the target does not trust, or plain
//! text to a TLS node, is a clear `Io` error. Runs when `GROVE_TEST_REDIS_CLUSTER_TLS` names such
//! a cluster with its CA (`rediss+cluster://h:p,h:p?ca=ca.pem`; scripts/test.sh starts one).

use grove_core::{ErrorKind, Store};
use std::time::Duration;

fn tls_cluster() -> Option<String> {
    let url = std::env::var("GROVE_TEST_REDIS_CLUSTER_TLS")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!(
            "NOTE: GROVE_TEST_REDIS_CLUSTER_TLS is not set: TLS to a Redis Cluster is not tested \
             (scripts/test.sh starts one and sets it)"
        );
    }
    url
}

/// The target's nodes (`host:port`) and its query (`ca=...`).
fn parts(url: &str) -> (Vec<String>, String) {
    let rest = url.trim_start_matches("rediss+cluster://");
    let (hosts, query) = rest.split_once('?').unwrap_or((rest, ""));
    (
        hosts.split(',').map(|s| s.to_string()).collect(),
        query.to_string(),
    )
}

#[test]
fn every_primitive_works_on_a_tls_cluster_through_any_seed() {
    let Some(url) = tls_cluster() else {
        return;
    };
    let (seeds, query) = parts(&url);
    let run = std::process::id();
    // Twelve stores spread over the three masters (their names hash to different slots), each
    // reached through every seed in turn, so most are served by a master other than the seed.
    for i in 0..12 {
        let name = format!("tls{run}x{i}");
        for (j, seed) in seeds.iter().enumerate() {
            let db = Store::open(format!("rediss+cluster://{seed}?{query}&store={name}")).unwrap();
            let got = db.counter("c").unwrap().increment(1).unwrap();
            assert_eq!(got, j as i64 + 1, "store {name} through seed {seed}");
            db.set(b"k", format!("v{j}").as_bytes(), None).unwrap();
            assert_eq!(
                db.get(b"k").unwrap().as_deref(),
                Some(format!("v{j}").as_bytes())
            );
            db.close().unwrap();
        }
    }
    // Two handles on one store: a lock excludes, a queue hands a job to one of them, a
    // leaderboard and a CRDT counter see each other's writes.
    let target = format!("{url}&store=tls{run}shared");
    let (a, b) = (Store::open(&target).unwrap(), Store::open(&target).unwrap());
    let held = a.lock("l", Duration::from_secs(30)).unwrap();
    assert!(held.try_acquire().unwrap());
    assert!(!b
        .lock("l", Duration::from_secs(30))
        .unwrap()
        .try_acquire()
        .unwrap());
    assert!(held.release().unwrap());
    let qa = a.queue("q", Duration::from_secs(30), 3).unwrap();
    let qb = b.queue("q", Duration::from_secs(30), 3).unwrap();
    let id = qa.enqueue(b"job", Duration::ZERO).unwrap();
    let job = qb.dequeue().unwrap().expect("the job is due");
    assert_eq!((job.id, job.payload.as_slice()), (id, &b"job"[..]));
    assert!(qa.dequeue().unwrap().is_none());
    assert!(qb.ack(id).unwrap());
    a.leaderboard("lb").unwrap().add("ann", 5.0).unwrap();
    b.leaderboard("lb").unwrap().add("bob", 7.0).unwrap();
    assert_eq!(a.leaderboard("lb").unwrap().rank("ann").unwrap(), Some(1));
    a.crdt_counter("likes").unwrap().increment(2).unwrap();
    b.crdt_counter("likes").unwrap().increment(3).unwrap();
    assert_eq!(a.crdt_counter("likes").unwrap().value().unwrap(), 5);
}

#[test]
fn an_untrusted_certificate_or_plain_text_to_a_tls_cluster_is_io() {
    let Some(url) = tls_cluster() else {
        return;
    };
    let (seeds, _) = parts(&url);
    // Without ?ca= the system's CAs are trusted, and they did not sign the test CA.
    let e = Store::open(format!("rediss+cluster://{}", seeds[0])).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(e.message().to_lowercase().contains("certificate"), "{e}");
    // Plain text to a node that speaks only TLS.
    let e = Store::open_with(
        format!("redis+cluster://{}", seeds[0]),
        grove_core::Options::new().connect_timeout(Duration::from_secs(2)),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(e.message().contains(&seeds[0]), "{e}");
}
