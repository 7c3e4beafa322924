"""1,000 concurrent increments from asyncio: grovekv.aio vs redis.asyncio on a loopback Redis.

Each round starts ``--ops`` tasks at once with ``asyncio.gather``, each awaiting one increment of
the same counter, and times the round until all are done; the count is checked exactly after
every round. Grove runs on ``memory:``, on ``lmdb:`` (a temp directory, periodic flush) and on its
Redis engine (``redis://`` on the same server as redis.asyncio, ``?store=aio-bench``; issue 15),
Redis with persistence off (``--save '' --appendonly no``) through a ``BlockingConnectionPool`` of
``--redis-connections`` connections (default 100, redis-py's default pool size; its default pool
raises ``Too many connections`` past that instead of waiting), opened in the warm-up round.
Rounds alternate which system goes first; medians are reported, with the ratio Redis time /
Grove time (above 1: Grove is faster).

If ``--redis-port`` (or ``$REDIS_PORT``) is not given, the script starts
``redis-server --port P --save '' --appendonly no`` on a free loopback port and stops it.

    .venv/bin/pip install -r bench/python/requirements.txt
    .venv/bin/python bench/python/aio_bench.py [--ops 1000] [--rounds 15] [--max-workers N] \\
        [--redis-connections 100] [--redis-port P]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import redis
import redis.asyncio

import grovekv
import grovekv.aio


def free_port() -> int:
    """A TCP port nobody listens on right now, on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def redis_server(port: int | None) -> Iterator[int]:
    """The port of a Redis server: ``port`` if given, else one started here and stopped after."""
    if port is not None:
        yield port
        return
    exe = shutil.which("redis-server")
    if exe is None:
        sys.exit("no redis-server on PATH and no --redis-port given")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="grove-aio-bench-redis-")
    argv = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    argv += ["--dir", workdir, "--daemonize", "no", "--logfile", os.path.join(workdir, "log")]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        client.ping()
        client.close()
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


async def gathered(increment: Callable[[], Awaitable[int]], n: int) -> float:
    """Seconds for ``n`` concurrent increments started at once."""
    start = time.perf_counter()
    await asyncio.gather(*(increment() for _ in range(n)))
    return time.perf_counter() - start


async def bench(args: argparse.Namespace, redis_port: int) -> None:
    """Runs every round and prints the medians and ratios."""
    tmp = tempfile.mkdtemp(prefix="grove-aio-bench-")
    pool = redis.asyncio.BlockingConnectionPool(
        port=redis_port, max_connections=args.redis_connections, timeout=None
    )
    r = redis.asyncio.Redis.from_pool(pool)
    info = await r.info("server")
    opts = {} if args.max_workers is None else {"max_workers": args.max_workers}
    stores = {
        "memory:": await grovekv.aio.open_memory(**opts),
        "lmdb:": await grovekv.aio.open("lmdb:" + os.path.join(tmp, "db"), **opts),
        "redis://": await grovekv.aio.open(
            f"redis://127.0.0.1:{redis_port}?store=aio-bench", **opts
        ),
    }
    n = args.ops
    times: dict[str, list[float]] = {name: [] for name in [*stores, "redis"]}
    try:
        await r.delete("aio-bench")
        counters = {name: db.counter("aio-bench") for name, db in stores.items()}
        await counters["redis://"].reset()  # a Redis store outlives the run: start from 0

        async def redis_incr() -> int:
            return await r.incr("aio-bench")

        runs: dict[str, Callable[[], Awaitable[int]]] = {
            name: c.increment for name, c in counters.items()
        }
        runs["redis"] = redis_incr
        expected = 0
        for round_ in range(args.rounds + 1):  # round 0 warms up (and fills Redis's pool)
            order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
            for name in order:
                elapsed = await gathered(runs[name], n)
                if round_ > 0:
                    times[name].append(elapsed)
            expected += n
            for name, c in counters.items():
                assert await c.get() == expected, name
            assert int(await r.get("aio-bench") or 0) == expected, "redis"
        await counters["redis://"].reset()
    finally:
        for db in stores.values():
            await db.close()
        await r.delete("aio-bench")
        await r.aclose()
        shutil.rmtree(tmp, ignore_errors=True)

    workers = args.max_workers or grovekv.aio.default_max_workers()
    print(
        f"python {platform.python_version()}, grovekv {grovekv.__version__} "
        f"(aio pool: {workers} threads), redis-py {redis.__version__} "
        f"({args.redis_connections} connections; Grove's redis:// takes one of its pooled "
        f"connections per call in flight, so at most {workers}), "
        f"redis-server {info['redis_version']}; {os.cpu_count()} cores"
    )
    print(f"{n} concurrent increments per round, {args.rounds} rounds, medians:")
    redis_med = statistics.median(times["redis"])
    print(f"  redis.asyncio       {redis_med * 1e3:8.2f} ms   {redis_med / n * 1e6:7.1f} us/op")
    for name in stores:
        med = statistics.median(times[name])
        per_round = [g / h for g, h in zip(times[name], times["redis"])]
        print(
            f"  grovekv.aio {name:<9} {med * 1e3:6.2f} ms   {med / n * 1e6:7.1f} us/op   "
            f"ratio redis/grove {redis_med / med:5.2f}x   grove/redis time "
            f"{statistics.median(per_round):.2f}x ({min(per_round):.2f}..{max(per_round):.2f})"
        )


def main() -> None:
    """Parses the arguments, provides a Redis server and runs the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--ops", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--max-workers", type=int, default=None)
    parser.add_argument("--redis-connections", type=int, default=100)
    env_port = os.environ.get("REDIS_PORT")
    parser.add_argument("--redis-port", type=int, default=int(env_port) if env_port else None)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with redis_server(args.redis_port) as port:
        asyncio.run(bench(args, port))
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
