"""Grove on its Redis engine vs redis-py by hand on the same server (issue 15's benchmarks).

For each operation: microseconds per op, one call at a time from one client, Grove through
``grovekv.open("redis://...")`` against redis-py doing the same job by hand (the scripts of
bench/python/bench.py), interleaved A/B over rounds (median, min..max of the ratio); and the
round trips each Grove op costs, counted from the server with MONITOR (commands a script runs
inside the server are not round trips and are not counted; a MULTI..EXEC group and a WATCH sent
with the read after it are one round trip each).

Usage: redis_engine_bench.py PORT [--quick]
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import redis

import grovekv

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from bench import LOCK_RELEASE_LUA, RATELIMIT_LUA

PORT = int(sys.argv[1])
QUICK = "--quick" in sys.argv
N = 500 if QUICK else 5_000
ROUNDS = 3 if QUICK else 7
URL = f"redis://127.0.0.1:{PORT}"


def per_op_us(fn: Callable[[int], object], n: int) -> float:
    t0 = time.perf_counter_ns()
    for i in range(n):
        fn(i)
    return (time.perf_counter_ns() - t0) / n / 1000


def round_trips(fn: Callable[[int], object], n: int = 50) -> float:
    """Client commands the server saw per call of ``fn`` (MONITOR, script-internal excluded)."""
    mon = redis.Redis(port=PORT)
    seen: list[str] = []
    ready = threading.Event()
    stop = threading.Event()

    def watch() -> None:
        with mon.monitor() as m:
            ready.set()
            for cmd in m.listen():
                if stop.is_set():
                    break
                if cmd.get("client_type") != "lua":
                    seen.append(str(cmd.get("command", "")))

    th = threading.Thread(target=watch, daemon=True)
    th.start()
    ready.wait(5)
    time.sleep(0.2)
    fn(-1)  # warm: scripts loaded, connections open
    time.sleep(0.2)
    start = len(seen)
    for i in range(n):
        fn(i)
    time.sleep(0.3)
    # Grove sends some commands together and waits once: MULTI..EXEC (a transaction's commit,
    # an atomic batch) and WATCH with the read after it. MONITOR lists each command, so those
    # groups are folded into the one round trip they cost.
    count = 0
    in_multi = False
    for cmd in seen[start:]:
        name = cmd.split(" ", 1)[0].strip('"').upper()
        if in_multi:
            in_multi = name != "EXEC"
            continue
        if name == "MULTI":
            in_multi = True
        if name == "WATCH":
            continue
        count += 1
    stop.set()
    redis.Redis(port=PORT).ping()  # wakes the monitor loop so it sees `stop`
    th.join(5)
    return count / n


def main() -> None:
    r = redis.Redis(port=PORT)
    r.flushall()
    db = grovekv.open(f"{URL}?store=bench")
    rows: list[dict[str, Any]] = []

    counter = db.counter("hits")
    lock = db.lock("bench", ttl=10.0)
    release = r.register_script(LOCK_RELEASE_LUA)
    rl = db.rate_limiter("api", limit=10**9, window=60.0)
    rl_script = r.register_script(RATELIMIT_LUA)
    lb = db.leaderboard("board")
    for i in range(1_000):
        lb.add(f"m{i}", float(i))
        r.zadd("board", {f"m{i}": float(i)})

    def g_incr(_i: int) -> object:
        return counter.increment()

    def r_incr(_i: int) -> object:
        return r.incr("hits")

    def g_lock(_i: int) -> object:
        assert lock.acquire(0.0)
        return lock.release()

    def r_lock(_i: int) -> object:
        token = secrets.token_hex(16)
        assert r.set("lock:bench", token, nx=True, px=10_000)
        return release(keys=["lock:bench"], args=[token])

    def g_allow(i: int) -> object:
        return rl.allow(f"c{i % 100}")

    def r_allow(i: int) -> object:
        return rl_script(keys=[f"rl:api:c{i % 100}"], args=[10**9, 60_000, secrets.token_hex(8)])

    def g_rank(i: int) -> object:
        return lb.rank(f"m{i % 1000}")

    def r_rank(i: int) -> object:
        return r.zrevrank("board", f"m{i % 1000}")

    q = db.queue("jobs", visibility_timeout=30.0)

    def g_queue(_i: int) -> object:
        q.enqueue(b"payload")
        job = q.dequeue()
        assert job is not None
        return q.ack(job.id)

    def r_queue(_i: int) -> object:
        # The usual hand-written reliable queue: push, move to a processing list, remove.
        r.lpush("jobs", b"payload")
        item = r.lmove("jobs", "jobs:processing", "RIGHT", "LEFT")
        return r.lrem("jobs:processing", 1, item)

    work = [
        ("counter increment", g_incr, r_incr, "INCR"),
        ("lock acquire+release", g_lock, r_lock, "SET NX PX + release script"),
        ("rate limiter allow", g_allow, r_allow, "sliding-window script"),
        ("leaderboard rank (1,000 members)", g_rank, r_rank, "ZREVRANK"),
        ("queue enqueue+dequeue+ack", g_queue, r_queue, "LPUSH, LMOVE, LREM"),
    ]
    for name, g, h, how in work:
        g(-1)
        h(-1)
        ratios, gs, hs = [], [], []
        for k in range(ROUNDS):
            first, second = (g, h) if k % 2 == 0 else (h, g)
            a = per_op_us(first, N)
            b = per_op_us(second, N)
            gu, hu = (a, b) if k % 2 == 0 else (b, a)
            gs.append(gu)
            hs.append(hu)
            ratios.append(gu / hu)
        trips = round_trips(g)
        rows.append(
            {
                "op": name,
                "grove_us": statistics.median(gs),
                "redis_py_us": statistics.median(hs),
                "how": how,
                "ratio": statistics.median(ratios),
                "lo": min(ratios),
                "hi": max(ratios),
                "trips": trips,
            }
        )
    # Round trips of single operations, where a row above times a pair or a cycle.
    singles: list[tuple[str, float]] = []

    def g_acquire(_i: int) -> object:
        assert lock.acquire(0.0)
        return True

    def g_release(_i: int) -> object:
        return lock.release()

    singles.append(("lock acquire", round_trips(lambda i: (g_acquire(i), g_release(i)))))
    singles[-1] = ("lock acquire + release", singles[-1][1])
    singles.append(("queue enqueue", round_trips(lambda _i: q.enqueue(b"x"))))
    singles.append(("queue dequeue (a job ready)", round_trips(lambda _i: q.dequeue())))
    # A leaderboard is a sorted set on Redis: every operation is one script or command.
    singles.append(("leaderboard incr", round_trips(lambda i: lb.incr(f"m{i % 1000}", 1.0))))
    singles.append(("leaderboard top(10)", round_trips(lambda _i: lb.top(10))))
    singles.append(
        ("leaderboard around(m, 2)", round_trips(lambda i: lb.around(f"m{i % 1000}", 2)))
    )
    load = os.getloadavg()[0]
    print(f"Grove redis:// vs redis-py, {N} ops x {ROUNDS} rounds, load {load:.2f}")
    print(
        "| operation | Grove µs/op | redis-py µs/op (how) | Grove/redis-py time | goal "
        "| round trips per Grove op (goal 1) |"
    )
    print("|---|---:|---:|---|---|---:|")
    for row in rows:
        print(
            f"| {row['op']} | {row['grove_us']:.1f} | {row['redis_py_us']:.1f} ({row['how']}) | "
            f"{row['ratio']:.2f}x ({row['lo']:.2f}..{row['hi']:.2f}) | <= 1.2x "
            f"| {row['trips']:.2f} |"
        )
    print()
    print("| single operation | round trips |")
    print("|---|---:|")
    for name, trips in singles:
        print(f"| {name} | {trips:.2f} |")
    assert counter.get() == int(r.get("{grove:bench}:kcounter:hits") or 0)
    db.close()


if __name__ == "__main__":
    main()
