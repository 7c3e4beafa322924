//! Loops `rank` on a 1,000,000-member board for 12 s, after filling it, for a profiler:
//! `perf record -D 3500 -F 999 --call-graph dwarf -- target/release/examples/profile_rank`
//! (the delay skips the fill). Prints the cost per call.

use std::time::{Duration, Instant};

fn main() {
    let db = grove_core::Store::open_memory();
    let lb = db.leaderboard("b").unwrap();
    let n: u64 = 1_000_000;
    let t = Instant::now();
    for i in 0..n {
        let score = (i.wrapping_mul(2_654_435_761) % 1_000_000) as f64;
        lb.add(&format!("player-{i:07}"), score).unwrap();
    }
    eprintln!("filled in {:.1} s", t.elapsed().as_secs_f64());
    let names: Vec<String> = (0..4096u64)
        .map(|i| format!("player-{:07}", (i * 7919) % n))
        .collect();
    let (t, mut k, mut sum) = (Instant::now(), 0usize, 0u64);
    while t.elapsed() < Duration::from_secs(12) {
        for _ in 0..1000 {
            sum = sum.wrapping_add(lb.rank(&names[k & 4095]).unwrap().unwrap());
            k += 1;
        }
    }
    let ns = t.elapsed().as_nanos() as f64 / k as f64;
    println!("{k} ranks, {ns:.0} ns each (checksum {sum})");
}
