//! Counter increment on the memory backend through the Rust core, the baseline that
//! `tests/c/bench.sh` compares the C and Go doors against.
//!
//! Usage: `bench_core [ITERATIONS]`; prints `core ns/op <float>`.

use std::time::Instant;

fn main() -> Result<(), grove_core::Error> {
    let iterations: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let db = grove_core::Store::open_memory();
    let counter = db.counter("bench")?;
    // Warm up allocator and caches.
    for _ in 0..iterations / 10 {
        counter.increment(1)?;
    }
    let start = Instant::now();
    for _ in 0..iterations {
        std::hint::black_box(counter.increment(std::hint::black_box(1))?);
    }
    let elapsed = start.elapsed();
    println!(
        "core ns/op {:.2}",
        elapsed.as_nanos() as f64 / iterations as f64
    );
    db.close()
}
