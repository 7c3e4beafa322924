"""Grove from Python (grovekv) vs Redis from Python (redis-py with hiredis), issue 8.

Follows bench/PROTOCOL.md: every workload in durability tier ``none``, ``counter_incr_hot`` also
in ``everysec`` and ``always`` (1 client, and 8 threads / 8 connections). Rounds are interleaved
(Grove first in even rounds, Redis first in odd ones) and both systems run the same op count in a
round. Per-op latency comes from one ``perf_counter_ns`` reading after each op (the op's latency
is the gap to the previous reading, so the round time is exactly the sum of the per-op times).

Results are appended as JSON lines to ``$GROVE_BENCH_OUT`` (stdout if unset); a short human
summary (median ratio per workload) goes to stderr.

Environment: GROVE_BENCH_OUT, GROVE_BENCH_QUICK (1 = smoke sizes), GROVE_BENCH_TMP,
REDIS_PORT_NONE, REDIS_PORT_EVERYSEC, REDIS_PORT_ALWAYS, GROVE_ROOT (unused: grovekv is imported
from the running interpreter, installed by bindings/python/test.sh).

    .venv/bin/pip install -r bench/python/requirements.txt
    REDIS_PORT_NONE=6411 REDIS_PORT_EVERYSEC=6412 REDIS_PORT_ALWAYS=6413 GROVE_BENCH_QUICK=1 \\
        .venv/bin/python bench/python/bench.py
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import math
import os
import platform
import random
import resource
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import hiredis
import redis

import grovekv
from grovekv import _native

LANG = "python"
PIPELINE_DEPTH = 16
ZIPF_S = 1.1
RL_CLIENTS = 1_000
RL_LIMIT = 1_000_000  # high enough that every allow in the run is admitted
RL_WINDOW_S = 60.0
LB_FILL_BATCH = 1_000  # members per ZADD in the Redis leaderboard fill
SESSION_TTL_S = 1800

# Compare-and-delete: release the lock only if it still holds our token.
LOCK_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

# Sliding-window limiter on a sorted set: KEYS[1] = the client's set; ARGV = limit, window (ms),
# a unique member for this request. Time comes from the server, as Grove takes it from its own.
RATELIMIT_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count + 1 > limit then
    return {0, limit - count}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, limit - count - 1}
"""

Op = Callable[[], object]


class BenchError(RuntimeError):
    """A workload returned something it must not (a failed lock, a refused allow, ...)."""


@dataclass(frozen=True)
class Sizes:
    """Op counts per round (both systems run the same count in a round)."""

    rounds: int
    counter: int  # counter_incr_hot (none, everysec), counter_incr_10k, counter_incr_zipf_1m
    zipf_keys: int
    always_1: int  # counter_incr_hot, always, 1 client
    always_8_per_client: int  # counter_incr_hot, always, 8 clients: ops per client
    lock: int
    ratelimit: int
    session: int
    lb_sizes: tuple[int, ...]
    lb_incr: int
    lb_rank: int
    lb_top10: int
    queue: int
    crdt: int


FULL = Sizes(
    rounds=5,
    counter=20_000,
    zipf_keys=1_000_000,
    always_1=400,
    always_8_per_client=200,
    lock=5_000,
    ratelimit=10_000,
    session=5_000,
    lb_sizes=(1_000, 100_000, 1_000_000),
    lb_incr=10_000,
    lb_rank=10_000,
    lb_top10=5_000,
    queue=4_000,
    crdt=50_000,
)
QUICK = Sizes(
    rounds=3,
    counter=2_000,
    zipf_keys=10_000,
    always_1=100,
    always_8_per_client=40,
    lock=600,
    ratelimit=1_000,
    session=600,
    lb_sizes=(1_000,),
    lb_incr=1_000,
    lb_rank=1_000,
    lb_top10=600,
    queue=500,
    crdt=5_000,
)


@dataclass
class Config:
    """What the orchestrator passed in the environment."""

    out: IO[str]
    quick: bool
    tmp: str
    ports: dict[str, int]
    sizes: Sizes


@dataclass
class Measured:
    """One system's round: wall seconds and, for direct/naive, per-op latencies in ns."""

    seconds: float
    latencies_ns: list[int] | None = None


@dataclass
class Contender:
    """One system/mode in a workload, with a fresh op source per round."""

    system: str
    mode: str
    run: Callable[[int, int], Measured]  # (round, ops) -> Measured
    warm: Callable[[], object] | None = None
    results: list[float] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Timing


def timed_ops(op: Op, n: int) -> Measured:
    """Runs ``op`` n times, reading the clock once after each op."""
    clock = time.perf_counter_ns
    stamps = [0] * n
    start = clock()
    for i in range(n):
        op()
        stamps[i] = clock()
    return Measured((stamps[-1] - start) / 1e9, deltas(start, stamps))


def timed_each(fn: Callable[[Any], object], args: Sequence[Any]) -> Measured:
    """Runs ``fn(a)`` for every ``a`` in ``args``, reading the clock once after each call."""
    clock = time.perf_counter_ns
    stamps = [0] * len(args)
    start = clock()
    i = 0
    for a in args:
        fn(a)
        stamps[i] = clock()
        i += 1
    return Measured((stamps[-1] - start) / 1e9, deltas(start, stamps))


def timed_pipelined(pipe: Any, add: Callable[[Any, Any], object], args: Sequence[Any]) -> Measured:
    """Queues ``add(pipe, a)`` for every ``a``, sending PIPELINE_DEPTH commands per execute."""
    n = len(args)
    start = time.perf_counter_ns()
    for lo in range(0, n, PIPELINE_DEPTH):
        for a in args[lo : lo + PIPELINE_DEPTH]:
            add(pipe, a)
        pipe.execute()
    return Measured((time.perf_counter_ns() - start) / 1e9)


def timed_threads(ops: Sequence[Op], per_thread: int) -> Measured:
    """Runs each op ``per_thread`` times on its own thread, all started together."""
    barrier = threading.Barrier(len(ops))
    results: list[tuple[int, list[int]] | None] = [None] * len(ops)
    errors: list[BaseException] = []

    def worker(slot: int, op: Op) -> None:
        try:
            clock = time.perf_counter_ns
            stamps = [0] * per_thread
            barrier.wait()
            start = clock()
            for i in range(per_thread):
                op()
                stamps[i] = clock()
            results[slot] = (start, stamps)
        except BaseException as e:  # re-raised on the main thread
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(i, op)) for i, op in enumerate(ops)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    done = [r for r in results if r is not None]
    first = min(start for start, _ in done)
    last = max(stamps[-1] for _, stamps in done)
    lat: list[int] = []
    for start, stamps in done:
        lat.extend(deltas(start, stamps))
    return Measured((last - first) / 1e9, lat)


def deltas(start: int, stamps: list[int]) -> list[int]:
    """Per-op durations from consecutive clock readings."""
    return [b - a for a, b in zip([start, *stamps[:-1]], stamps)]


def percentile_us(sorted_ns: list[int], q: float) -> float:
    """Nearest-rank percentile, in microseconds."""
    idx = min(len(sorted_ns) - 1, max(0, math.ceil(q * len(sorted_ns)) - 1))
    return round(sorted_ns[idx] / 1000.0, 3)


# ---------------------------------------------------------------------------------------------
# Output


class Out:
    """Appends JSON lines and keeps a human summary on stderr."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def line(self, obj: dict[str, Any]) -> None:
        self.stream.write(json.dumps(obj, separators=(", ", ": ")) + "\n")
        self.stream.flush()

    def note(self, text: str) -> None:
        self.line({"lang": LANG, "kind": "note", "text": text})
        log(f"note: {text}")

    def result(
        self,
        workload: str,
        c: Contender,
        durability: str,
        clients: int,
        size: int | None,
        rnd: int,
        ops: int,
        m: Measured,
    ) -> None:
        p50 = p99 = p999 = None
        if m.latencies_ns:
            s = sorted(m.latencies_ns)
            p50, p99, p999 = percentile_us(s, 0.50), percentile_us(s, 0.99), percentile_us(s, 0.999)
        self.line(
            {
                "lang": LANG,
                "workload": workload,
                "system": c.system,
                "mode": c.mode,
                "durability": durability,
                "clients": clients,
                "size": size,
                "round": rnd,
                "ops": ops,
                "seconds": round(m.seconds, 6),
                "p50_us": p50,
                "p99_us": p99,
                "p999_us": p999,
            }
        )


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The interleaved runner


def run_workload(
    out: Out,
    cfg: Config,
    workload: str,
    grove: Contender,
    others: list[Contender],
    ops: int,
    durability: str = "none",
    clients: int = 1,
    size: int | None = None,
) -> None:
    """Rounds of ``ops`` ops: Grove first in even rounds, the others first in odd ones."""
    for c in [grove, *others]:
        if c.warm is not None:
            c.warm()
    for rnd in range(cfg.sizes.rounds):
        order = [grove, *others] if rnd % 2 == 0 else [*others, grove]
        for c in order:
            m = c.run(rnd, ops)
            c.results.append(m.seconds)
            out.result(workload, c, durability, clients, size, rnd, ops, m)
    parts = []
    for c in others:
        ratios = [o / g for o, g in zip(c.results, grove.results)]
        parts.append(
            f"{c.system}/{c.mode} {statistics.median(ratios):7.2f}x "
            f"[{min(ratios):.2f}-{max(ratios):.2f}]"
        )
    per_op_us = statistics.median(grove.results) / ops * 1e6
    label = f"{workload}{'' if size is None else f'@{size}'} {durability} c={clients}"
    log(f"{label:<42} grove {per_op_us:8.2f} us/op   " + "   ".join(parts))


def warm_ops(op: Op, n: int) -> Callable[[], object]:
    def warm() -> None:
        for _ in range(n):
            op()

    return warm


# ---------------------------------------------------------------------------------------------
# Workloads


class Bench:
    def __init__(self, cfg: Config, out: Out) -> None:
        self.cfg = cfg
        self.out = out
        self.s = cfg.sizes
        self.clients: dict[str, redis.Redis] = {}
        self.rng = random.Random(8)

    # -- plumbing --------------------------------------------------------------------------

    def rclient(self, tier: str) -> redis.Redis:
        if tier not in self.clients:
            self.clients[tier] = redis.Redis(host="127.0.0.1", port=self.cfg.ports[tier])
        return self.clients[tier]

    def fresh_redis(self, tier: str) -> redis.Redis:
        """The tier's client after FLUSHALL (done before every workload)."""
        r = self.rclient(tier)
        r.flushall()
        return r

    def store(self, name: str, durable: bool = False) -> grovekv.Store:
        path = os.path.join(self.cfg.tmp, name)
        if os.path.exists(path):
            shutil.rmtree(path)
        return grovekv.open(path, durable=durable)

    # -- counters --------------------------------------------------------------------------

    def counter_hot(self, tier: str) -> None:
        r = self.fresh_redis(tier)
        db = self.store(f"counter_hot_{tier}", durable=tier == "always")
        n = self.s.always_1 if tier == "always" else self.s.counter
        inc = db.counter("hot").increment

        def redis_incr() -> object:
            return r.incr("counter:hot")

        pipe = r.pipeline(transaction=False)
        keys = ["counter:hot"] * n
        warm = max(n // 10, 20)
        grove = Contender("grove", "direct", lambda _r, k: timed_ops(inc, k), warm_ops(inc, warm))
        naive = Contender(
            "redis", "naive", lambda _r, k: timed_ops(redis_incr, k), warm_ops(redis_incr, warm)
        )
        piped = Contender(
            "redis", "pipelined16", lambda _r, k: timed_pipelined(pipe, incr_cmd, keys[:k])
        )
        run_workload(self.out, self.cfg, "counter_incr_hot", grove, [naive, piped], n, tier)
        expect = warm + self.s.rounds * n
        check(db.counter("hot").get() == expect, "grove hot counter lost updates")
        check(int(r.get("counter:hot") or 0) == warm + 2 * self.s.rounds * n, "redis hot count")
        db.close()

    def counter_hot_8(self) -> None:
        tier, threads = "always", 8
        r = self.fresh_redis(tier)
        db = self.store("counter_hot_always_8", durable=True)
        per = self.s.always_8_per_client
        grove_ops: list[Op] = [db.counter("hot").increment for _ in range(threads)]
        conns = [redis.Redis(host="127.0.0.1", port=self.cfg.ports[tier]) for _ in range(threads)]
        redis_ops: list[Op] = [bound_incr(c, "counter:hot") for c in conns]
        grove = Contender(
            "grove",
            "direct",
            lambda _r, _k: timed_threads(grove_ops, per),
            lambda: timed_threads(grove_ops, max(per // 10, 5)),
        )
        naive = Contender(
            "redis",
            "naive",
            lambda _r, _k: timed_threads(redis_ops, per),
            lambda: timed_threads(redis_ops, max(per // 10, 5)),
        )
        run_workload(
            self.out, self.cfg, "counter_incr_hot", grove, [naive], per * threads, tier, threads
        )
        total = threads * (max(per // 10, 5) + self.s.rounds * per)
        check(db.counter("hot").get() == total, "grove 8-thread counter lost updates")
        check(int(r.get("counter:hot") or 0) == total, "redis 8-client counter lost updates")
        for c in conns:
            c.close()
        db.close()

    def counter_keys(self, workload: str, pick: Callable[[random.Random, int], list[int]]) -> None:
        """Counter increments over many keys: the op sequence is drawn fresh for each round."""
        r = self.fresh_redis("none")
        db = self.store(workload)
        n = self.s.counter
        rng = random.Random(workload)
        seqs = [pick(rng, n) for _ in range(self.s.rounds + 1)]  # the last one warms up
        # Grove: db.counter(name).increment() per op (the handle is made in the op, as an
        # application addressing counters by name does); Redis: INCR on the same name.
        names = {i: f"k{i}" for seq in seqs for i in seq}
        gseqs = [[names[i] for i in seq] for seq in seqs]
        rseqs = [[f"counter:{names[i]}" for i in seq] for seq in seqs]

        def grove_inc(name: str) -> object:
            return db.counter(name).increment()

        pipe = r.pipeline(transaction=False)
        grove = Contender(
            "grove",
            "direct",
            lambda rnd, k: timed_each(grove_inc, gseqs[rnd][:k]),
            lambda: timed_each(grove_inc, gseqs[-1]),
        )
        naive = Contender(
            "redis",
            "naive",
            lambda rnd, k: timed_each(r.incr, rseqs[rnd][:k]),
            lambda: timed_each(r.incr, rseqs[-1]),
        )
        piped = Contender(
            "redis", "pipelined16", lambda rnd, k: timed_pipelined(pipe, incr_cmd, rseqs[rnd][:k])
        )
        run_workload(self.out, self.cfg, workload, grove, [naive, piped], n)
        db.close()

    # -- coordination ----------------------------------------------------------------------

    def lock(self) -> None:
        r = self.fresh_redis("none")
        db = self.store("lock")
        lock = db.lock("bench", ttl=10.0)
        release = r.register_script(LOCK_RELEASE_LUA)

        def grove_cycle() -> object:
            if not lock.acquire(0.0):
                raise BenchError("grove lock not acquired")
            return lock.release()

        def redis_cycle() -> object:
            token = secrets.token_hex(16)
            if not r.set("lock:bench", token, nx=True, px=10_000):
                raise BenchError("redis lock not acquired")
            if release(keys=["lock:bench"], args=[token]) != 1:
                raise BenchError("redis lock not released")
            return True

        n = self.s.lock
        warm = max(n // 10, 20)
        grove = Contender(
            "grove", "direct", lambda _r, k: timed_ops(grove_cycle, k), warm_ops(grove_cycle, warm)
        )
        naive = Contender(
            "redis", "naive", lambda _r, k: timed_ops(redis_cycle, k), warm_ops(redis_cycle, warm)
        )
        run_workload(self.out, self.cfg, "lock_acquire_release", grove, [naive], n)
        db.close()

    def ratelimit(self) -> None:
        r = self.fresh_redis("none")
        db = self.store("ratelimit")
        rl = db.rate_limiter("api", limit=RL_LIMIT, window=RL_WINDOW_S)
        script = r.register_script(RATELIMIT_LUA)
        n = self.s.ratelimit
        rng = random.Random("ratelimit")
        seqs = [
            [f"c{rng.randrange(RL_CLIENTS)}" for _ in range(n)] for _ in range(self.s.rounds + 1)
        ]
        rseqs = [[f"rl:api:{c}" for c in seq] for seq in seqs]
        uniq = itertools.count()
        window_ms = int(RL_WINDOW_S * 1000)

        def grove_allow(client: str) -> object:
            if not rl.allow(client, 1).allowed:
                raise BenchError("grove limiter refused")
            return True

        def redis_allow(key: str) -> object:
            res = script(keys=[key], args=[RL_LIMIT, window_ms, next(uniq)])
            if res[0] != 1:
                raise BenchError("redis limiter refused")
            return True

        grove = Contender(
            "grove",
            "direct",
            lambda rnd, k: timed_each(grove_allow, seqs[rnd][:k]),
            lambda: timed_each(grove_allow, seqs[-1][: max(n // 10, 20)]),
        )
        naive = Contender(
            "redis",
            "naive",
            lambda rnd, k: timed_each(redis_allow, rseqs[rnd][:k]),
            lambda: timed_each(redis_allow, rseqs[-1][: max(n // 10, 20)]),
        )
        run_workload(self.out, self.cfg, "ratelimit_allow", grove, [naive], n)
        db.close()

    def session(self) -> None:
        r = self.fresh_redis("none")
        db = self.store("session")
        sessions = db.sessions(ttl=float(SESSION_TTL_S), prefix="sess")
        data = session_data()

        def grove_cycle() -> object:
            sid = sessions.create(data)
            if sessions.get(sid) is None:
                raise BenchError("grove session missing")
            return sid

        # Same contract as Grove's: a dict in, a fresh 43-char URL-safe id, a dict out.
        def redis_cycle() -> object:
            key = "sess:" + secrets.token_urlsafe(32)
            r.set(key, json.dumps(data, separators=(",", ":")), ex=SESSION_TTL_S)
            raw = r.get(key)
            if raw is None:
                raise BenchError("redis session missing")
            return json.loads(raw)

        n = self.s.session
        warm = max(n // 10, 20)
        grove = Contender(
            "grove", "direct", lambda _r, k: timed_ops(grove_cycle, k), warm_ops(grove_cycle, warm)
        )
        naive = Contender(
            "redis", "naive", lambda _r, k: timed_ops(redis_cycle, k), warm_ops(redis_cycle, warm)
        )
        run_workload(self.out, self.cfg, "session_create_get", grove, [naive], n)
        db.close()

    # -- leaderboard -----------------------------------------------------------------------

    def leaderboard(self, size: int) -> None:
        db = self.store(f"lb_{size}")
        lb = db.leaderboard("bench")
        rng = random.Random(f"lb{size}")
        members = [f"m{i}" for i in range(size)]
        scores = [rng.randrange(1_000_000_000) for _ in range(size)]
        start = time.perf_counter()
        for m, sc in zip(members, scores):
            lb.add(m, sc)
        grove_fill = time.perf_counter() - start
        check(len(lb) == size, "grove leaderboard fill")
        rkey = "lb:bench"

        def redis_fill() -> float:
            r = self.fresh_redis("none")  # FLUSHALL before every workload, then the same board
            t0 = time.perf_counter()
            pipe = r.pipeline(transaction=False)
            for lo in range(0, size, LB_FILL_BATCH):
                pipe.zadd(
                    rkey,
                    dict(zip(members[lo : lo + LB_FILL_BATCH], scores[lo : lo + LB_FILL_BATCH])),
                )
                if (lo // LB_FILL_BATCH) % 16 == 15:
                    pipe.execute()
            pipe.execute()
            check(r.zcard(rkey) == size, "redis leaderboard fill")
            return time.perf_counter() - t0

        fills = [redis_fill()]
        r = self.rclient("none")
        redis_top10: list[tuple[bytes, float]] = r.zrevrange(rkey, 0, 9, withscores=True)  # type: ignore[assignment]
        check(
            [m for m, _ in lb.top(10)] == [m.decode() for m, _ in redis_top10],
            "grove and redis agree on the top 10",
        )
        rounds = self.s.rounds + 1
        pick = [
            [members[rng.randrange(size)] for _ in range(self.s.lb_incr)] for _ in range(rounds)
        ]

        def grove_incr(m: str) -> object:
            return lb.incr(m, 1)

        def redis_incr(m: str) -> object:
            return r.zincrby(rkey, 1, m)

        self._lb_run("lb_incr", size, self.s.lb_incr, grove_incr, redis_incr, pick)

        fills.append(redis_fill())
        pick = [
            [members[rng.randrange(size)] for _ in range(self.s.lb_rank)] for _ in range(rounds)
        ]

        # Bound methods straight into the timing loop (no wrapper frame on the fast side);
        # every picked member exists, and the answers are checked after the rounds.
        redis_rank = functools.partial(r.zrevrank, rkey)
        self._lb_run("lb_rank", size, self.s.lb_rank, lb.rank, redis_rank, pick)
        check(all(lb.rank(m) is not None for m in pick[0][:100]), "grove ranks")
        check(all(redis_rank(m) is not None for m in pick[0][:100]), "redis ranks")

        fills.append(redis_fill())
        tens = [[10] * self.s.lb_top10 for _ in range(rounds)]

        def redis_top(k: int) -> object:
            return r.zrevrange(rkey, 0, k - 1, withscores=True)

        self._lb_run("lb_top10", size, self.s.lb_top10, lb.top, redis_top, tens)
        self.out.note(
            f"leaderboard fill, {size} members: grove add() in a loop {grove_fill:.3f} s "
            f"({grove_fill / size * 1e6:.2f} us/member); redis pipelined ZADD batches of "
            f"{LB_FILL_BATCH} (16 per round trip) median {statistics.median(fills):.3f} s "
            f"over {len(fills)} fills (Redis is flushed and refilled before each lb workload)"
        )
        db.close()

    def _lb_run(
        self,
        workload: str,
        size: int,
        n: int,
        gfn: Callable[[Any], object],
        rfn: Callable[[Any], object],
        seqs: list[list[Any]],
    ) -> None:
        grove = Contender(
            "grove",
            "direct",
            lambda rnd, k: timed_each(gfn, seqs[rnd][:k]),
            lambda: timed_each(gfn, seqs[-1][: max(n // 10, 20)]),
        )
        naive = Contender(
            "redis",
            "naive",
            lambda rnd, k: timed_each(rfn, seqs[rnd][:k]),
            lambda: timed_each(rfn, seqs[-1][: max(n // 10, 20)]),
        )
        run_workload(self.out, self.cfg, workload, grove, [naive], n, size=size)

    # -- queue -----------------------------------------------------------------------------

    def queue(self) -> None:
        r = self.fresh_redis("none")
        db = self.store("queue")
        q = db.queue("bench")
        payload = b'{"to":"ada@example.com","template":"welcome","attempt":1}'

        def grove_cycle() -> object:
            q.enqueue(payload)
            job = q.dequeue()
            if job is None or not q.ack(job.id):
                raise BenchError("grove queue cycle")
            return True

        def redis_cycle() -> object:
            r.lpush("queue:bench", payload)
            job = r.lmove("queue:bench", "queue:bench:inflight", "RIGHT", "LEFT")
            if job is None or r.lrem("queue:bench:inflight", 1, job) != 1:  # type: ignore[arg-type]
                raise BenchError("redis queue cycle")
            return True

        n = self.s.queue
        warm = max(n // 10, 20)
        grove = Contender(
            "grove", "direct", lambda _r, k: timed_ops(grove_cycle, k), warm_ops(grove_cycle, warm)
        )
        naive = Contender(
            "redis", "naive", lambda _r, k: timed_ops(redis_cycle, k), warm_ops(redis_cycle, warm)
        )
        run_workload(self.out, self.cfg, "queue_cycle", grove, [naive], n)
        db.close()

    # -- CRDTs (no Redis equivalent: against Grove's own atomic counter) -------------------

    def crdt(self) -> None:
        db = self.store("crdt")
        atomic = db.counter("atomic").increment
        pn = db.crdt_counter("crdt:bench:counter").increment
        reg = db.crdt_register("crdt:bench:register").set
        n = self.s.crdt
        values = list(range(n))
        warm = max(n // 10, 20)
        grove_pn = Contender("grove", "direct", lambda _r, k: timed_ops(pn, k), warm_ops(pn, warm))
        grove_reg = Contender(
            "grove",
            "direct",
            lambda _r, k: timed_each(reg, values[:k]),
            lambda: timed_each(reg, values[:warm]),
        )
        for workload, grove in (("crdt_counter_incr", grove_pn), ("crdt_register_set", grove_reg)):
            atom = Contender(
                "grove-atomic", "direct", lambda _r, k: timed_ops(atomic, k), warm_ops(atomic, warm)
            )
            run_workload(self.out, self.cfg, workload, grove, [atom], n)
        db.close()

    # -- all -------------------------------------------------------------------------------

    def run_all(self) -> None:
        s = self.s
        server = self.rclient("none").info("server")
        versions = (
            f"python {platform.python_version()}, grovekv {grovekv.__version__} "
            f"(core {_native.CORE_VERSION}), redis-py {redis.__version__} with hiredis "
            f"{hiredis.__version__}, redis-server {server['redis_version']}"
        )
        self.out.note(
            f"{versions}; {'quick' if self.cfg.quick else 'full'} sizes, {s.rounds} rounds"
        )
        self.counter_hot("none")
        self.counter_hot("everysec")
        self.counter_hot("always")
        self.counter_hot_8()
        self.counter_keys(
            "counter_incr_10k", lambda rng, n: [rng.randrange(10_000) for _ in range(n)]
        )
        zipf = ZipfSampler(s.zipf_keys, ZIPF_S)
        self.counter_keys(
            "counter_incr_zipf_1m", lambda rng, n: [zipf.sample(rng) for _ in range(n)]
        )
        self.lock()
        self.ratelimit()
        self.session()
        for size in s.lb_sizes:
            self.leaderboard(size)
        self.queue()
        self.crdt()
        self.out.note(
            "python methodology: Grove calls run in this process; counter_incr_10k/zipf make the "
            "Grove handle per op (db.counter(name).increment()); session_create_get on Redis "
            "includes a 43-char token_urlsafe id and json.dumps/json.loads, matching Grove's "
            "dict-in/dict-out API; lock tokens are secrets.token_hex(16); the limiter script "
            "reads the server clock (TIME); 8-client rows are 8 Python threads (Grove releases "
            "the GIL per call) vs 8 redis-py connections on 8 threads; the rss line is this "
            "whole process's peak (grovekv, redis-py and the harness's own key lists)"
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KB on Linux
        self.out.line({"lang": LANG, "kind": "rss", "rss_bytes": peak})
        for c in self.clients.values():
            c.close()


# ---------------------------------------------------------------------------------------------
# Helpers


class ZipfSampler:
    """Ranks 0..n-1 drawn with probability proportional to 1 / (rank + 1) ** s."""

    def __init__(self, n: int, s: float) -> None:
        self.cum = list(itertools.accumulate(k**-s for k in range(1, n + 1)))
        self.total = self.cum[-1]

    def sample(self, rng: random.Random) -> int:
        return min(bisect.bisect_left(self.cum, rng.random() * self.total), len(self.cum) - 1)


def incr_cmd(pipe: Any, key: str) -> object:
    return pipe.incr(key)


def bound_incr(client: redis.Redis, key: str) -> Op:
    def op() -> object:
        return client.incr(key)

    return op


def session_data() -> dict[str, Any]:
    """A session of 1 KB of compact JSON."""
    data: dict[str, Any] = {
        "user": "ada",
        "roles": ["admin", "editor"],
        "cart": [{"sku": f"SKU-{i:05d}", "qty": i % 3 + 1} for i in range(8)],
        "csrf": "x" * 43,
        "pad": "",
    }
    size = len(json.dumps(data, separators=(",", ":")))
    data["pad"] = "p" * (1024 - size)
    assert len(json.dumps(data, separators=(",", ":"))) == 1024
    return data


def check(ok: bool, what: str) -> None:
    if not ok:
        raise BenchError(f"check failed: {what}")


def config() -> Config:
    missing = [
        v
        for v in ("REDIS_PORT_NONE", "REDIS_PORT_EVERYSEC", "REDIS_PORT_ALWAYS")
        if v not in os.environ
    ]
    if missing:
        raise SystemExit(f"bench.py: set {', '.join(missing)} (see bench/PROTOCOL.md)")
    quick = os.environ.get("GROVE_BENCH_QUICK", "0") == "1"
    out_path = os.environ.get("GROVE_BENCH_OUT")
    out: IO[str] = open(out_path, "a", encoding="utf-8") if out_path else sys.stdout
    base = os.environ.get("GROVE_BENCH_TMP") or tempfile.gettempdir()
    os.makedirs(base, exist_ok=True)
    return Config(
        out=out,
        quick=quick,
        tmp=tempfile.mkdtemp(prefix="python-", dir=base),
        ports={
            "none": int(os.environ["REDIS_PORT_NONE"]),
            "everysec": int(os.environ["REDIS_PORT_EVERYSEC"]),
            "always": int(os.environ["REDIS_PORT_ALWAYS"]),
        },
        sizes=QUICK if quick else FULL,
    )


def main() -> int:
    cfg = config()
    started = time.perf_counter()
    try:
        Bench(cfg, Out(cfg.out)).run_all()
    finally:
        shutil.rmtree(cfg.tmp, ignore_errors=True)
        if cfg.out is not sys.stdout:
            cfg.out.close()
    log(f"python harness done in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
