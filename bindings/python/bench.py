"""Counter increment: Python per-op time vs the Rust core's, measured in the same process/run.

Usage: python bindings/python/bench.py [--rounds 7] [--sled-ops 20000] [--memory-ops 200000]

Each round times a plain ``counter.increment()`` loop in Python and then the same loop run in
Rust by ``grovekv._native._bench_core_increment`` on the same store (the sled store is shared
through the in-process registry); the order alternates between rounds and medians are reported.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import grovekv
from grovekv import _native

GOAL_SLED = 1.3


def python_loop(counter: grovekv.Counter, n: int) -> float:
    """Seconds for ``n`` increments called from Python."""
    start = time.perf_counter()
    for _ in range(n):
        counter.increment()
    return time.perf_counter() - start


def measure(label: str, path: str | None, n: int, rounds: int) -> tuple[float, float]:
    """Median ns/op for Python and for the core, on the store at ``path`` (memory if None)."""
    db = grovekv.open(path) if path is not None else grovekv.open_memory()
    counter = db.counter("bench")
    python_loop(counter, max(n // 10, 100))  # warm up
    _native._bench_core_increment(path, max(n // 10, 100), "bench")
    py_ns: list[float] = []
    core_ns: list[float] = []
    for r in range(rounds):
        if r % 2 == 0:
            py_ns.append(python_loop(counter, n) / n * 1e9)
            core_ns.append(_native._bench_core_increment(path, n, "bench") / n * 1e9)
        else:
            core_ns.append(_native._bench_core_increment(path, n, "bench") / n * 1e9)
            py_ns.append(python_loop(counter, n) / n * 1e9)
    db.close()
    py, core = statistics.median(py_ns), statistics.median(core_ns)
    print(
        f"{label:<7} python {py:9.1f} ns/op   core {core:9.1f} ns/op   "
        f"ratio {py / core:5.2f}x   (n={n}, rounds={rounds})"
    )
    return py, core


def main() -> None:
    """Runs the sled and memory benchmarks and prints ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--sled-ops", type=int, default=20_000)
    parser.add_argument("--memory-ops", type=int, default=200_000)
    args = parser.parse_args()
    print(f"grovekv {grovekv.__version__}: counter increment, median of {args.rounds} rounds")
    with tempfile.TemporaryDirectory(prefix="grovekv-bench-") as tmp:
        py, core = measure("sled", str(Path(tmp) / "db"), args.sled_ops, args.rounds)
    measure("memory", None, args.memory_ops, args.rounds)
    verdict = "meets" if py / core <= GOAL_SLED else "MISSES"
    print(f"sled ratio {py / core:.2f}x {verdict} the goal of <= {GOAL_SLED}x")


if __name__ == "__main__":
    main()
