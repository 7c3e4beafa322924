"""Grove on a Redis Cluster vs redis-py's cluster client by hand on the same cluster.

The operations of redis_engine_bench.py, one call at a time from one client: Grove through
``grovekv.open("redis+cluster://...")`` against ``redis.cluster.RedisCluster`` doing the same job
with the same scripts, its keys in one hash slot per job where a job spans keys (``{q}``) as a
hand-written cluster client must. Interleaved A/B over rounds (median, min..max of the ratio).

Usage: cluster_bench.py HOST:PORT[,HOST:PORT...] [--quick]
"""

from __future__ import annotations

import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable

import grovekv
from redis.cluster import ClusterNode, RedisCluster

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from bench import LOCK_RELEASE_LUA, RATELIMIT_LUA

NODES = sys.argv[1]
QUICK = "--quick" in sys.argv
N = 500 if QUICK else 5_000
ROUNDS = 3 if QUICK else 7


def per_op_us(fn: Callable[[int], object], n: int) -> float:
    t0 = time.perf_counter_ns()
    for i in range(n):
        fn(i)
    return (time.perf_counter_ns() - t0) / n / 1000


def main() -> None:
    hosts = [h.rsplit(":", 1) for h in NODES.split(",")]
    r = RedisCluster(startup_nodes=[ClusterNode(h, int(p)) for h, p in hosts])
    r.flushall()
    db = grovekv.open(f"redis+cluster://{NODES}?store=bench")

    counter = db.counter("hits")
    lock = db.lock("bench", ttl=10.0)
    release = r.register_script(LOCK_RELEASE_LUA)
    rl = db.rate_limiter("api", limit=10**9, window=60.0)
    rl_script = r.register_script(RATELIMIT_LUA)
    lb = db.leaderboard("board")
    for i in range(1_000):
        lb.add(f"m{i}", float(i))
        r.zadd("board", {f"m{i}": float(i)})
    q = db.queue("jobs", visibility_timeout=30.0)

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
        return rl_script(
            keys=[f"rl:api:c{i % 100}"], args=[10**9, 60_000, secrets.token_hex(8)]
        )

    def g_rank(i: int) -> object:
        return lb.rank(f"m{i % 1000}")

    def r_rank(i: int) -> object:
        return r.zrevrank("board", f"m{i % 1000}")

    def g_queue(_i: int) -> object:
        q.enqueue(b"payload")
        job = q.dequeue()
        assert job is not None
        return q.ack(job.id)

    def r_queue(_i: int) -> object:
        # LMOVE needs both lists in one slot on a cluster: the {q} tag.
        r.lpush("{q}jobs", b"payload")
        item = r.lmove("{q}jobs", "{q}processing", "RIGHT", "LEFT")
        return r.lrem("{q}processing", 1, item)

    work = [
        ("counter increment", g_incr, r_incr, "INCR"),
        ("lock acquire+release", g_lock, r_lock, "SET NX PX + release script"),
        ("rate limiter allow", g_allow, r_allow, "sliding-window script"),
        ("leaderboard rank (1,000 members)", g_rank, r_rank, "ZREVRANK"),
        ("queue enqueue+dequeue+ack", g_queue, r_queue, "LPUSH, LMOVE, LREM"),
    ]
    load = os.getloadavg()[0]
    print(
        f"Grove redis+cluster:// vs redis-py RedisCluster, {N} ops x {ROUNDS} rounds, load {load:.2f}"
    )
    print(
        "| operation | Grove µs/op | redis-py µs/op (how) | Grove/redis-py time | goal |"
    )
    print("|---|---:|---:|---|---|")
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
        print(
            f"| {name} | {statistics.median(gs):.1f} | {statistics.median(hs):.1f} ({how}) | "
            f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}..{max(ratios):.2f}) | <= 1.2x |"
        )
    # Every increment counted once: the warm-up call plus the timed rounds.
    assert counter.get() == N * ROUNDS + 1, counter.get()
    db.close()


if __name__ == "__main__":
    main()
