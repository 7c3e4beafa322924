//! 8 threads make durable (`EveryWrite`) counter increments for 5 s; run under
//! `strace -f -c -e trace=fdatasync,fsync,sync_file_range,pwrite64` to count the device barriers
//! each group commit pays and how many writes share one.

use grove_core::{Durability, Options, Store};
use std::time::{Duration, Instant};

fn main() {
    let dir = std::env::temp_dir().join(format!("grove-group-commit-{}", std::process::id()));
    let db = Store::open_with(&dir, Options::new().durability(Durability::EveryWrite)).unwrap();
    let t = Instant::now();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let db = db.clone();
            std::thread::spawn(move || {
                let c = db.counter(&format!("c{i}")).unwrap();
                let mut n = 0u64;
                while t.elapsed() < Duration::from_secs(5) {
                    c.increment(1).unwrap();
                    n += 1;
                }
                n
            })
        })
        .collect();
    let total: u64 = threads.into_iter().map(|h| h.join().unwrap()).sum();
    println!(
        "8 durable writers: {total} increments in 5 s ({:.0}/s)",
        total as f64 / 5.0
    );
    db.close().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
