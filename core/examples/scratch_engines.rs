use grove_core::{Durability, Options, Store};
use std::time::{Duration, Instant};
fn main() {
    let dir = tempfile::tempdir().unwrap();
    for (name, t) in [
        ("memory", "memory:".to_string()),
        ("sled", format!("sled:{}/s", dir.path().display())),
        ("lmdb", format!("lmdb:{}/l", dir.path().display())),
    ] {
        for durable in [false, true] {
            let opts = if durable {
                Options::new().durability(Durability::EveryWrite)
            } else {
                Options::new()
            };
            let t = if durable && name != "memory" {
                format!("{t}d")
            } else {
                t.clone()
            };
            let db = Store::open_with(&t, opts).unwrap();
            let c = db.counter("x").unwrap();
            let n = if durable { 2000 } else { 50_000 };
            let s = Instant::now();
            for _ in 0..n {
                c.increment(1).unwrap();
            }
            let el = s.elapsed();
            let q = db.queue("q", Duration::from_secs(60), 5).unwrap();
            let m = if durable { 500 } else { 10_000 };
            let s2 = Instant::now();
            for i in 0..m {
                q.enqueue(format!("{i}").as_bytes(), Duration::ZERO)
                    .unwrap();
            }
            for _ in 0..m {
                let j = q.dequeue().unwrap().unwrap();
                q.ack(j.id).unwrap();
            }
            let el2 = s2.elapsed();
            println!("{name} durable={durable}: increment {:.2} us/op; queue enq+deq+ack {:.2} us/job; size {}", el.as_secs_f64()*1e6/n as f64, el2.as_secs_f64()*1e6/m as f64, db.size_on_disk().unwrap());
            db.close().unwrap();
        }
    }
}
