"""Shared-engine benchmarks from Python (issue 14): many processes on one `lmdb:` store against
diskcache and redis-py, interleaved A/B rounds in one run. Driven by bench/shared/run.sh, which
starts the Redis servers and passes their ports.

    python shared_bench.py WORKLOAD [--quick] --out results.jsonl --tmp DIR

WORKLOAD: counters | leaderboard | durable | footprint (footprint runs one child per engine).
Every result line carries the 1-minute load average at the start and end of the workload.
Processes are started with the `spawn` method (an lmdb environment does not survive fork()), each
opens its own store or connection, waits on a barrier, then times its own loop with
CLOCK_MONOTONIC (shared by all processes); wall time = last end - first start.
"""

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import subprocess
import sys
import threading
import time

SPAWN = mp.get_context("spawn")


def load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


def redis_client(port):
    import redis

    return redis.Redis(host="127.0.0.1", port=int(port))


# ---------------------------------------------------------------- workers (run in child processes)


def open_op(kind, target, durable):
    """Returns (op, close) for one increment of counter `c` on `kind`."""
    if kind == "lmdb":
        import grovekv

        store = grovekv.open("lmdb:" + target, durable=durable)
        c = store.counter("c")
        return c.increment, store.close
    if kind == "diskcache":
        from diskcache import Cache

        cache = Cache(target)
        return (lambda: cache.incr("c")), cache.close
    if kind == "redis":
        r = redis_client(target)
        return (lambda: r.incr("c")), r.close
    raise ValueError(kind)


def w_counter(kind, target, durable, n, threads, barrier, q):
    op, close = open_op(kind, target, durable)
    if threads == 1:
        barrier.wait()
        t0 = time.monotonic()
        for _ in range(n):
            op()
        t1 = time.monotonic()
        q.put((t0, t1))
    else:
        # One process, one store, `threads` threads (the binding releases the GIL in every call).
        tb = threading.Barrier(threads)
        spans = []

        def run():
            tb.wait()
            a = time.monotonic()
            for _ in range(n):
                op()
            spans.append((a, time.monotonic()))

        ts = [threading.Thread(target=run) for _ in range(threads)]
        barrier.wait()
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        q.put((min(s[0] for s in spans), max(s[1] for s in spans)))
    close()


def run_counter(kind, target, durable, procs, threads, n):
    """Wall seconds for procs x threads x n increments."""
    barrier = SPAWN.Barrier(procs + 1)
    q = SPAWN.Queue()
    ps = [
        SPAWN.Process(target=w_counter, args=(kind, target, durable, n, threads, barrier, q))
        for _ in range(procs)
    ]
    for p in ps:
        p.start()
    barrier.wait(timeout=120)
    spans = [q.get(timeout=600) for _ in ps]
    for p in ps:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"{kind} worker failed: exit {p.exitcode}")
    return max(s[1] for s in spans) - min(s[0] for s in spans)


class Counters:
    """Reset / read counter `c` from the parent, to check every count is exact."""

    def __init__(self, kind, target):
        self.kind, self.target = kind, target
        if kind == "lmdb":
            import grovekv

            self.h = grovekv.open("lmdb:" + target)
        elif kind == "diskcache":
            from diskcache import Cache

            self.h = Cache(target)
        else:
            self.h = redis_client(target)

    def reset(self):
        if self.kind == "lmdb":
            self.h.counter("c").set(0)
        elif self.kind == "diskcache":
            self.h.set("c", 0)
        else:
            self.h.set("c", 0)

    def value(self):
        if self.kind == "lmdb":
            return self.h.counter("c").get()
        if self.kind == "diskcache":
            return self.h.get("c")
        return int(self.h.get("c"))

    def close(self):
        self.h.close()


def ab_counter(out, name, goal, systems, rounds, pairs=None):
    """systems: list of (label, kind, target, durable, procs, threads, n); first is Grove. Ratio of
    each other system's time per op to the first's, per round (interleaved, order rotated)."""
    checks = {label: Counters(kind, target) for label, kind, target, *_ in systems}
    l0 = load()
    per = {s[0]: [] for s in systems}
    exact = True
    for rnd in range(rounds):
        order = systems[rnd % len(systems):] + systems[: rnd % len(systems)]
        for label, kind, target, durable, procs, threads, n in order:
            checks[label].reset()
            secs = run_counter(kind, target, durable, procs, threads, n)
            got, want = checks[label].value(), procs * threads * n
            if got != want:
                exact = False
                print(f"!! {name}: {label} counted {got}, expected {want}", flush=True)
            per[label].append(secs / want)
    l1 = load()
    for c in checks.values():
        c.close()
    if pairs is None:
        pairs = [(systems[0][0], s[0]) for s in systems[1:]]
    for base, label in pairs:
        ratios = [o / g for o, g in zip(per[label], per[base])]
        row = {
            "workload": name,
            "a": base,
            "b": label,
            "a_us": median(per[base]) * 1e6,
            "b_us": median(per[label]) * 1e6,
            "speedup": median(ratios),
            "lo": min(ratios),
            "hi": max(ratios),
            "goal": goal,
            "exact": exact,
            "rounds": rounds,
            "load": f"{l0}->{l1}",
        }
        emit(out, row)


def emit(out, row):
    print(json.dumps(row), flush=True)
    with open(out, "a") as f:
        f.write(json.dumps(row) + "\n")


# ---------------------------------------------------------------- workloads


def counters(a):
    rounds = 3 if a.quick else 5
    n_l, n_d, n_r = (2000, 200, 1000) if a.quick else (20000, 1500, 5000)
    lm = os.path.join(a.tmp, "counters-lmdb")
    dc = os.path.join(a.tmp, "counters-diskcache")
    for d in (lm, dc):
        shutil.rmtree(d, ignore_errors=True)
    redis_client(a.redis_none).flushall()
    grove = ("grove lmdb, 4 procs", "lmdb", lm, False, 4, 1, n_l)
    ab_counter(
        a.out,
        "counter increment, 4 processes",
        "diskcache time / lmdb time >= 10x",
        [grove, ("diskcache Cache.incr, 4 procs", "diskcache", dc, False, 4, 1, n_d)],
        rounds,
    )
    ab_counter(
        a.out,
        "counter increment, 4 processes",
        "redis time / lmdb time >= 20x",
        [grove, ("redis-py INCR, 4 procs (persistence off)", "redis", a.redis_none, False, 4, 1, n_r)],
        rounds,
    )


def durable(a):
    rounds = 3 if a.quick else 5
    n_g, n_r = (15, 15) if a.quick else (60, 60)
    lm = os.path.join(a.tmp, "durable-lmdb")
    shutil.rmtree(lm, ignore_errors=True)
    redis_client(a.redis_always).flushall()
    ab_counter(
        a.out,
        "durable counter increment, 8 writers",
        "redis time / lmdb time >= 1x",
        [
            ("grove lmdb durable, 8 threads", "lmdb", lm, True, 1, 8, n_g),
            ("grove lmdb durable, 8 procs", "lmdb", lm, True, 8, 1, n_g),
            ("redis-py INCR appendfsync always, 8 procs", "redis", a.redis_always, False, 8, 1, n_r),
        ],
        rounds,
        pairs=[
            ("grove lmdb durable, 8 threads", "redis-py INCR appendfsync always, 8 procs"),
            ("grove lmdb durable, 8 procs", "redis-py INCR appendfsync always, 8 procs"),
        ],
    )


def lb_writer(kind, target, members, go, stop, q):
    rnd = random.Random(7)
    if kind == "lmdb":
        import grovekv

        store = grovekv.open("lmdb:" + target)
        lb = store.leaderboard("scores")
        op = lambda m: lb.incr(m, 1)
    else:
        r = redis_client(target)
        op = lambda m: r.zincrby("scores", 1, m)
    done = 0
    while not stop.is_set():
        if not go.wait(0.05):
            continue
        for _ in range(50):
            op(f"player-{rnd.randrange(members):07d}")
            done += 1
    q.put(done)


def leaderboard(a):
    import grovekv

    rounds = 3 if a.quick else 5
    members = 10_000 if a.quick else a.members
    n_g, n_r = (2000, 500) if a.quick else (20000, 3000)
    lm = os.path.join(a.tmp, "lb-lmdb")
    shutil.rmtree(lm, ignore_errors=True)
    r = redis_client(a.redis_none)
    r.flushall()
    score = lambda i: float((i * 2654435761) % 1_000_000)
    store = grovekv.open("lmdb:" + lm)
    lb = store.leaderboard("scores")
    # Load: Leaderboard.add, one write transaction per member, is the only bulk path the API has.
    t = time.monotonic()
    l0 = load()
    loaded = 0
    note = ""
    for i in range(members):
        lb.add(f"player-{i:07d}", score(i))
        loaded += 1
        if i == 19_999 and not a.quick:
            per = (time.monotonic() - t) / 20_000
            if per * members > a.load_budget:
                note = (
                    f"loading {members} members would take ~{per * members:.0f} s "
                    f"({per * 1e6:.0f} µs/add) > budget {a.load_budget:.0f} s: measured at 100k"
                )
                members = 100_000
        if loaded >= members:
            break
    load_s = time.monotonic() - t
    pipe = r.pipeline(transaction=False)
    for lo in range(0, members, 10_000):
        pipe.zadd("scores", {f"player-{i:07d}": score(i) for i in range(lo, min(members, lo + 10_000))})
    pipe.execute()
    store.close()
    # Reader: a fresh open (as another process would), first rank builds the index.
    store = grovekv.open("lmdb:" + lm)
    lb = store.leaderboard("scores")
    t = time.monotonic()
    lb.rank("player-0000000")
    first_rank = time.monotonic() - t
    emit(
        a.out,
        {
            "workload": "leaderboard load",
            "members": members,
            "load_s": load_s,
            "load_us_per_add": load_s * 1e6 / members,
            "first_rank_s": first_rank,
            "note": note,
            "load": f"{l0}->{load()}",
        },
    )
    go_l, go_r, stop = SPAWN.Event(), SPAWN.Event(), SPAWN.Event()
    q = SPAWN.Queue()
    wl = SPAWN.Process(target=lb_writer, args=("lmdb", lm, members, go_l, stop, q))
    wr = SPAWN.Process(target=lb_writer, args=("redis", a.redis_none, members, go_r, stop, q))
    wl.start()
    wr.start()
    rnd = random.Random(1)
    names = [f"player-{rnd.randrange(members):07d}" for _ in range(max(n_g, n_r))]
    rank = lb.rank
    zrevrank = r.zrevrank
    l0 = load()
    g, rd, ratios = [], [], []
    time.sleep(1.0)  # writers opened

    def grove_round():
        if not a.no_writer:
            go_l.set()
            time.sleep(0.05)
        t = time.monotonic()
        for m in names[:n_g]:
            if rank(m) is None:
                raise SystemExit(f"lmdb rank({m}) is None")
        s = (time.monotonic() - t) / n_g
        go_l.clear()
        return s

    def redis_round():
        if not a.no_writer:
            go_r.set()
            time.sleep(0.05)
        t = time.monotonic()
        for m in names[:n_r]:
            if zrevrank("scores", m) is None:
                raise SystemExit(f"ZREVRANK {m} is None")
        s = (time.monotonic() - t) / n_r
        go_r.clear()
        return s

    for k in range(rounds):
        if k % 2 == 0:
            x = grove_round()
            y = redis_round()
        else:
            y = redis_round()
            x = grove_round()
        g.append(x)
        rd.append(y)
        ratios.append(y / x)
    stop.set()
    writes = [q.get(timeout=60), q.get(timeout=60)]
    wl.join()
    wr.join()
    # Cross-process visibility: the writer's increments are seen by this reader.
    total = sum(lb.score(f"player-{i:07d}") for i in range(min(members, 2000)))
    emit(
        a.out,
        {
            "workload": f"leaderboard rank, {members} members, "
            + ("writer idle" if a.no_writer else "1 writer process incr"),
            "a": "grove lmdb",
            "b": "redis-py ZREVRANK (persistence off)",
            "a_us": median(g) * 1e6,
            "b_us": median(rd) * 1e6,
            "speedup": median(ratios),
            "lo": min(ratios),
            "hi": max(ratios),
            "goal": "redis time / lmdb time >= 50x",
            "writer_incrs": writes,
            "rounds": rounds,
            "load": f"{l0}->{load()}",
            "checksum": total,
        },
    )
    store.close()


def rss_kib():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    return out


def footprint_child(kind, target, n):
    """One engine in its own fresh process: fill n keys (16-byte values), report disk and RSS."""
    import grovekv

    before = rss_kib()
    store = grovekv.open(("lmdb:" if kind == "lmdb" else "sled:") + target)
    val = b"v" * 16
    for lo in range(0, n, 10_000):
        store.set_many({f"key:{i:08d}".encode(): val for i in range(lo, min(n, lo + 10_000))})
    store.flush()
    rnd = random.Random(3)
    for _ in range(10_000):
        assert store.get(f"key:{rnd.randrange(n):08d}".encode()) == val
    after = rss_kib()
    disk = store.size_on_disk()
    store.close()
    du = int(subprocess.run(["du", "-sb", target], capture_output=True, text=True).stdout.split()[0])
    print(json.dumps({"disk": disk, "du": du, "before": before, "after": after}))


def footprint(a):
    n = 20_000 if a.quick else 1_000_000
    l0 = load()
    rows = {}
    for kind in ("lmdb", "sled"):
        d = os.path.join(a.tmp, f"fp-{kind}")
        shutil.rmtree(d, ignore_errors=True)
        res = subprocess.run(
            [sys.executable, __file__, "footprint-child", kind, d, str(n)],
            capture_output=True, text=True, check=True,
        )
        rows[kind] = json.loads(res.stdout.strip().splitlines()[-1])
    r = redis_client(a.redis_none)
    r.flushall()
    r.config_set("save", "")
    base = int(r.info("memory")["used_memory_rss"])
    base_used = int(r.info("memory")["used_memory"])
    pipe = r.pipeline(transaction=False)
    val = b"v" * 16
    for lo in range(0, n, 10_000):
        pipe.mset({f"key:{i:08d}": val for i in range(lo, min(n, lo + 10_000))})
    pipe.execute()
    assert r.dbsize() == n
    mem = r.info("memory")
    r.save()
    rdb = os.path.join(r.config_get("dir")["dir"], r.config_get("dbfilename")["dbfilename"])
    rdb_bytes = os.path.getsize(rdb)
    r.flushall()
    for kind, row in rows.items():
        emit(
            a.out,
            {
                "workload": "footprint",
                "engine": kind,
                "keys": n,
                "disk_bytes_per_key": row["disk"] / n,
                "du_bytes_per_key": row["du"] / n,
                "rss_mib": row["after"]["VmRSS"] / 1024,
                "rss_delta_mib": (row["after"]["VmRSS"] - row["before"]["VmRSS"]) / 1024,
                "rss_anon_mib": row["after"]["RssAnon"] / 1024,
                "rss_file_mib": row["after"]["RssFile"] / 1024,
                "load": f"{l0}->{load()}",
            },
        )
    emit(
        a.out,
        {
            "workload": "footprint",
            "engine": "redis",
            "keys": n,
            "disk_bytes_per_key": rdb_bytes / n,
            "disk_what": "RDB snapshot (SAVE); no AOF",
            "rss_mib": int(mem["used_memory_rss"]) / 2**20,
            "rss_delta_mib": (int(mem["used_memory_rss"]) - base) / 2**20,
            "used_memory_per_key": (int(mem["used_memory"]) - base_used) / n,
            "load": f"{l0}->{load()}",
        },
    )


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "footprint-child":
        footprint_child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    p = argparse.ArgumentParser()
    p.add_argument("workload", choices=["counters", "leaderboard", "durable", "footprint"])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", required=True)
    p.add_argument("--tmp", required=True)
    p.add_argument("--members", type=int, default=1_000_000)
    p.add_argument("--load-budget", type=float, default=240.0)
    p.add_argument("--no-writer", action="store_true", help="leaderboard: writers stay idle")
    a = p.parse_args()
    a.redis_none = os.environ["REDIS_PORT_NONE"]
    a.redis_always = os.environ["REDIS_PORT_ALWAYS"]
    {"counters": counters, "leaderboard": leaderboard, "durable": durable, "footprint": footprint}[
        a.workload
    ](a)


if __name__ == "__main__":
    main()
