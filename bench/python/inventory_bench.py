"""The seed's inventory story, measured (issue 17): 8 processes x 250 purchases from a stock of
1,000, one purchase = "take one item if any is left".

Systems, each from a fresh stock of 1,000 per round:
- Grove on ``lmdb:`` with ``Counter.try_decrement(1, floor=0)`` (one atomic step);
- the seed's pattern on Grove ``lmdb:``: ``get()``, compare, then ``decrement()`` (two steps, so
  two buyers can both pass the check: it oversells, which is the point of the row);
- Grove on ``redis://`` (the same ``try_decrement``, on the Redis engine);
- Redis by hand: redis-py running a Lua script (``GET``, compare, ``DECRBY``) by ``EVALSHA``.

The processes are started and open their store or connection first, then wait on a barrier; a
round's time runs from the barrier to the last process's last purchase (``time.monotonic`` is
system-wide on Linux). Every round checks that exactly 1,000 were sold and the stock is 0 (except
for the seed's pattern, whose oversold count is reported). Medians over the rounds; the ratio is
purchases per second of Grove on lmdb over Redis by hand (goal: >= 10x).

    .venv/bin/python bench/python/inventory_bench.py --redis-port 6397 [--rounds 5] [--quick]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import statistics
import sys
import tempfile
import time
from typing import Any

import redis

import grovekv

PROCS = 8
ATTEMPTS = 250
STOCK = 1_000

# Take `ARGV[1]` items if that many are left: the hand-written equivalent of try_decrement.
BUY_LUA = """
local left = tonumber(redis.call('GET', KEYS[1]) or '0')
if left >= tonumber(ARGV[1]) then return redis.call('DECRBY', KEYS[1], ARGV[1]) end
return -1
"""


def buyer(system: str, where: str, attempts: int, barrier: Any, out: Any) -> None:
    """One process: opens its store or connection, waits for the others, buys `attempts` times."""
    buy: Any
    if system == "redis-lua":
        r = redis.Redis(port=int(where))
        script = r.register_script(BUY_LUA)
        script(keys=["inventory"], args=[0])  # loads the script before the timed part

        def buy() -> bool:
            return int(script(keys=["inventory"], args=[1])) >= 0

    else:
        db = grovekv.open(where)
        stock = db.counter("inventory")
        if system == "grove-seed-pattern":

            def buy() -> bool:
                if stock.get() >= 1:  # the seed's check ...
                    stock.decrement(1)  # ... then the write: not one step
                    return True
                return False

        else:

            def buy() -> bool:
                return stock.try_decrement(1, floor=0) is not None

    barrier.wait()
    start = time.monotonic()
    sold = sum(1 for _ in range(attempts) if buy())
    out.put((sold, start, time.monotonic()))


def round_of(system: str, where: str, set_stock: Any, get_stock: Any) -> tuple[float, int, int]:
    """One round: seconds from the barrier to the last purchase, items sold, stock left."""
    set_stock(STOCK)
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCS)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=buyer, args=(system, where, ATTEMPTS, barrier, out))
        for _ in range(PROCS)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        if p.exitcode != 0:
            raise SystemExit(f"{system}: a buyer process exited {p.exitcode}")
    sold = sum(r[0] for r in results)
    took = max(r[2] for r in results) - min(r[1] for r in results)
    return took, sold, get_stock()


def main() -> None:
    """Runs every system for the rounds asked and prints the table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis-port", type=int, required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    rounds = 2 if a.quick else a.rounds
    tmp = tempfile.mkdtemp(prefix="grove-inventory-")
    lmdb = f"lmdb:{tmp}/store"
    grove_redis = f"redis://127.0.0.1:{a.redis_port}?store=inventory{os.getpid()}"
    r = redis.Redis(port=a.redis_port)
    here = grovekv.open(lmdb)
    on_redis = grovekv.open(grove_redis)

    def grove_stock(db: Any) -> tuple[Any, Any]:
        c = db.counter("inventory")
        return c.set, c.get

    systems = {
        "grove-lmdb": (lmdb, *grove_stock(here)),
        "grove-seed-pattern": (lmdb, *grove_stock(here)),
        "grove-redis": (grove_redis, *grove_stock(on_redis)),
        "redis-lua": (
            str(a.redis_port),
            lambda v: r.set("inventory", v),
            lambda: int(r.get("inventory") or 0),
        ),
    }
    times: dict[str, list[float]] = {s: [] for s in systems}
    sold: dict[str, list[int]] = {s: [] for s in systems}
    for i in range(rounds):
        order = list(systems) if i % 2 == 0 else list(reversed(systems))
        for s in order:
            where, set_stock, get_stock = systems[s]
            took, n, left = round_of(s, where, set_stock, get_stock)
            if s != "grove-seed-pattern" and (n != STOCK or left != 0):
                raise SystemExit(f"{s}: sold {n} of {STOCK}, {left} left (round {i})")
            times[s].append(took)
            sold[s].append(n)
    load = os.getloadavg()[0]
    print(
        f"Inventory: {PROCS} processes x {ATTEMPTS} purchases from a stock of {STOCK}, {rounds} "
        f"rounds, median (load {load:.1f}; {platform.python_implementation()} "
        f"{platform.python_version()}, grovekv {grovekv.__version__}, redis-py {redis.__version__})"
    )
    print("| system | sold per round | ms per round | purchases/s | vs Redis by hand |")
    print("|---|---|---:|---:|---:|")
    base = statistics.median(times["redis-lua"])
    for s in systems:
        med = statistics.median(times[s])
        counts = sorted(set(sold[s]))
        shown = ", ".join(str(c) for c in counts)
        print(
            f"| {s} | {shown} | {med * 1000:.1f} | {PROCS * ATTEMPTS / med:,.0f} | "
            f"{base / med:.2f}x |"
        )
    ratio = base / statistics.median(times["grove-lmdb"])
    verdict = "met" if ratio >= 10 else "MISSED"
    print(f"Grove lmdb vs Redis by hand: {ratio:.1f}x the purchases per second (>= 10x: {verdict})")
    here.close()
    on_redis.close()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
