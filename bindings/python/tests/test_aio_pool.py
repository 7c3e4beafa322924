"""grovekv.aio's own thread pool, which batches calls: exact results from many gathered calls,
error classes and cancellations mixed in one batch, two event loops sharing a store, closing
while calls are in flight, no thread left after close, and how long a slow call can hold up
others.

Store tests run on memory, sled and lmdb, and on ``redis://`` when ``GROVE_TEST_REDIS`` is set
(each test on a store name of its own, ``?store=...``).
"""

from __future__ import annotations

import asyncio
import gc
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

import grovekv
import grovekv._pool
import grovekv.aio as aio

_T = TypeVar("_T")

ENGINES = ["memory", "sled", "lmdb", "redis"]
# The pool's worker threads (not the Queue.dequeue wait threads, "grovekv-aio-dequeue").
POOL_THREAD = re.compile(r"grovekv-aio-\d+")


@pytest.fixture(params=ENGINES)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store target on each engine; Redis only when GROVE_TEST_REDIS is set."""
    engine: str = request.param
    if engine == "memory":
        return "memory:"
    if engine == "sled":
        return str(tmp_path / "db")
    if engine == "lmdb":
        return "lmdb:" + str(tmp_path / "db")
    url = os.environ.get("GROVE_TEST_REDIS")
    if not url:
        pytest.skip("GROVE_TEST_REDIS is not set (scripts/test.sh starts a Redis and sets it)")
    return f"{url}?store=aio-pool-{uuid.uuid4().hex}"


def run(main: Callable[[aio.Store], Coroutine[Any, Any, _T]], target: str, **opts: Any) -> _T:
    """Opens ``target`` with grovekv.aio, runs ``main(db)`` on a fresh event loop, closes."""

    async def wrapper() -> _T:
        async with aio.open(target, **opts) as db:
            return await main(db)

    return asyncio.run(wrapper())


def pool_threads() -> set[threading.Thread]:
    """The live worker threads of every grovekv.aio pool."""
    return {t for t in threading.enumerate() if POOL_THREAD.fullmatch(t.name)}


class Boom(Exception):
    """An error of the caller's own, raised inside a pooled call."""


def boom() -> int:
    raise Boom("boom")


def stop() -> int:
    raise StopIteration


@pytest.mark.parametrize("workers", [1, 2, None])
def test_many_gathered_calls_count_exactly(target: str, workers: int | None) -> None:
    async def main(db: aio.Store) -> None:
        c = db.counter("hits")
        results = await asyncio.gather(*(c.increment() for _ in range(3_000)))
        assert sorted(results) == list(range(1, 3_001))  # each increment saw its own value
        # Reads and increments of several sizes in one gather, each answered with its own result.
        mixed = await asyncio.gather(
            *(c.get() if i % 3 == 0 else c.increment(i) for i in range(600))
        )
        added = sum(i for i in range(600) if i % 3)
        incremented = [r for i, r in enumerate(mixed) if i % 3]
        assert len(set(incremented)) == len(incremented)
        assert max(incremented) == 3_000 + added
        assert all(3_000 <= r <= 3_000 + added for i, r in enumerate(mixed) if i % 3 == 0)
        assert await c.get() == 3_000 + added

    opts = {} if workers is None else {"max_workers": workers}
    run(main, target, **opts)


def test_errors_keep_their_class_in_one_batch(target: str) -> None:
    async def main(db: aio.Store) -> None:
        good = db.counter("n")
        await good.set(0)
        kinds: list[tuple[Callable[[], Awaitable[object]], type]] = [
            (good.increment, int),
            (lambda: db.get("counter:n"), aio.WrongTypeError),
            (lambda: db.set("k", "v", -1), aio.InvalidArgumentError),
            (lambda: db.get(42), TypeError),  # type: ignore[arg-type]
            (lambda: db._runner.run(boom), Boom),
            # A future cannot hold a StopIteration (as a coroutine cannot raise one).
            (lambda: db._runner.run(stop), RuntimeError),
        ]
        calls = [kinds[i % len(kinds)][0] for i in range(600)]
        expected = [kinds[i % len(kinds)][1] for i in range(600)]
        results = await asyncio.gather(*(call() for call in calls), return_exceptions=True)
        for got, want in zip(results, expected):
            assert type(got) is want, (got, want)
        assert sorted(r for r in results if type(r) is int) == list(range(1, 101))
        assert all(r.__cause__ is not None for r in results if type(r) is RuntimeError)
        assert await good.get() == 100

    run(main, target, max_workers=2)


def test_cancelled_calls_do_not_break_their_batch() -> None:
    """A call cancelled before it starts does not run; the others of its batch all answer."""

    async def main() -> None:
        async with aio.open_memory(max_workers=1) as db:
            ran: list[int] = []
            started = threading.Event()

            def slow() -> str:
                started.set()
                time.sleep(0.3)
                return "slow"

            def quick(i: int) -> Callable[[], int]:
                def call() -> int:
                    ran.append(i)
                    return i

                return call

            # The only worker waits at a gate while the calls queue up, so the slow call and the
            # first quick ones behind it go in one batch.
            gate = threading.Event()
            gated = asyncio.ensure_future(db._runner.run(lambda: gate.wait(10.0)))
            first = asyncio.ensure_future(db._runner.run(slow))
            tasks = [asyncio.ensure_future(db._runner.run(quick(i))) for i in range(40)]
            await asyncio.sleep(0)  # every call is queued
            gate.set()
            assert await gated
            assert await asyncio.get_running_loop().run_in_executor(None, started.wait, 5.0)
            first.cancel()  # while it runs: its outcome is dropped, the batch's others delivered
            for i in range(0, 40, 3):
                tasks[i].cancel()  # before they start: they never run
            results = await asyncio.wait_for(
                asyncio.gather(*tasks, return_exceptions=True), timeout=10.0
            )
            with pytest.raises(asyncio.CancelledError):
                await first
            kept = [i for i in range(40) if i % 3]
            assert ran == kept  # in order, and never the cancelled ones
            for i, r in enumerate(results):
                if i % 3:
                    assert r == i
                else:
                    assert isinstance(r, asyncio.CancelledError)
            # Cancelling callers whose calls are running: the counter counts what ran, exactly.
            c = db.counter("c")
            tasks2 = [asyncio.ensure_future(c.increment()) for _ in range(500)]
            await asyncio.sleep(0.001)
            for t in tasks2[::2]:
                t.cancel()
            done = await asyncio.gather(*tasks2, return_exceptions=True)
            values = [r for r in done if isinstance(r, int)]
            assert len(values) >= 250
            assert len(set(values)) == len(values)
            total = await c.get()
            assert max(values) <= total <= 500
            assert sorted(await asyncio.gather(*(c.increment() for _ in range(10)))) == list(
                range(total + 1, total + 11)
            )

    asyncio.run(main())


def test_two_event_loops_in_two_threads_share_one_store(target: str) -> None:
    """Each loop's futures are completed on that loop (debug mode raises on a call from another
    thread), and the counts are exact."""

    async def opened() -> aio.Store:
        return await aio.open(target, max_workers=3)

    db = asyncio.run(opened())
    errors: list[BaseException] = []
    seen: dict[int, list[int]] = {}

    async def work(me: int) -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, ctx: errors.append(RuntimeError(str(ctx))))
        c = db.counter("shared")
        got: list[int] = []
        for _ in range(4):
            got += await asyncio.gather(*(c.increment() for _ in range(500)))
            await asyncio.sleep(0)
        seen[me] = got

    def thread_main(me: int) -> None:
        try:
            asyncio.run(work(me), debug=True)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=thread_main, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60.0)
        assert not t.is_alive()
    assert errors == []
    assert sorted(seen[0] + seen[1]) == list(range(1, 4_001))

    async def finish() -> int:
        total: int = await db.counter("shared").get()
        await db.close()
        return total

    assert asyncio.run(finish()) == 4_000


@pytest.mark.parametrize("engine", ["sled", "lmdb"])
def test_close_while_calls_are_in_flight(engine: str, tmp_path: Path) -> None:
    """Every call answers (with its value or ClosedError), none hangs, and what answered with a
    value is exactly what the store kept."""
    path = str(tmp_path / "db") if engine == "sled" else f"lmdb:{tmp_path / 'db'}"

    async def main() -> int:
        db = await aio.open(path, max_workers=2)
        c = db.counter("c")
        tasks = [asyncio.ensure_future(c.increment()) for _ in range(1_000)]
        await asyncio.sleep(0.002)
        closing = asyncio.ensure_future(db.close())
        tasks += [asyncio.ensure_future(c.increment()) for _ in range(1_000)]
        await closing
        results = await asyncio.wait_for(
            asyncio.gather(*tasks, return_exceptions=True), timeout=30.0
        )
        values = [r for r in results if isinstance(r, int)]
        errors = [r for r in results if not isinstance(r, int)]
        assert all(type(e) is aio.ClosedError for e in errors), {type(e) for e in errors}
        assert sorted(values) == list(range(1, len(values) + 1))
        # A call after close raises at once, without the pool.
        assert await asyncio.wait_for(_error(c.increment()), 2.0) is aio.ClosedError
        return len(values)

    kept = asyncio.run(main())
    with grovekv.open(path) as db:
        assert db.counter("c").get() == kept


async def _error(call: Coroutine[Any, Any, object]) -> type[BaseException]:
    try:
        await call
    except BaseException as e:
        return type(e)
    raise AssertionError("the call did not raise")


def test_no_thread_is_left_after_close(target: str) -> None:
    before = pool_threads()

    async def main() -> set[threading.Thread]:
        async with aio.open(target, max_workers=4) as db:
            c = db.counter("c")
            assert sorted(await asyncio.gather(*(c.increment() for _ in range(400)))) == list(
                range(1, 401)
            )
            mine = pool_threads() - before
            assert 1 <= len(mine) <= 4  # never more than max_workers
            return mine

    mine = asyncio.run(main())
    for t in mine:
        t.join(5.0)
        assert not t.is_alive(), t.name


def test_a_store_dropped_without_close_lets_its_threads_end() -> None:
    before = pool_threads()

    async def main() -> set[threading.Thread]:
        db = await aio.open_memory(max_workers=3)
        c = db.counter("c")
        assert await asyncio.gather(*(c.increment() for _ in range(100)))
        return pool_threads() - before

    mine = asyncio.run(main())
    assert mine
    gc.collect()
    for t in mine:
        t.join(5.0)
        assert not t.is_alive(), t.name


def test_a_slow_call_holds_up_at_most_the_calls_taken_with_it() -> None:
    """While one call sleeps for a second, every other call but the few its worker took in the
    same batch is answered (the other workers serve them)."""
    slow_for = 1.0

    async def main() -> None:
        async with aio.open_memory(max_workers=3) as db:
            c = db.counter("c")
            # Every worker waits at a gate while the calls queue up, so each takes a full batch.
            gate = threading.Event()
            waiting = threading.Semaphore(0)

            def gated() -> bool:
                waiting.release()
                return gate.wait(10.0)

            gates = [asyncio.ensure_future(db._runner.run(gated)) for _ in range(3)]
            loop = asyncio.get_running_loop()
            for _ in range(3):
                assert await loop.run_in_executor(None, waiting.acquire, True, 5.0)
            slow = asyncio.ensure_future(db._runner.run(lambda: time.sleep(slow_for)))
            quick = [asyncio.ensure_future(c.increment()) for _ in range(300)]
            await asyncio.sleep(0)  # every call is queued
            started = time.monotonic()
            gate.set()
            assert all(await asyncio.gather(*gates))
            done, _ = await asyncio.wait(quick, timeout=slow_for / 2)
            held = len(quick) - len(done)
            assert 0 < held <= grovekv._pool._BATCH_MAX - 1, held
            assert time.monotonic() - started < slow_for
            await slow
            assert sorted(await asyncio.gather(*quick)) == list(range(1, 301))
            # Calls made while the slow one runs do not wait for it either.
            slow = asyncio.ensure_future(db._runner.run(lambda: time.sleep(slow_for)))
            await asyncio.sleep(0.05)
            start = time.monotonic()
            for _ in range(50):
                await c.increment()
            assert time.monotonic() - start < slow_for / 2
            await slow

    asyncio.run(main())


def test_a_users_executor_still_gets_every_call() -> None:
    from concurrent.futures import ThreadPoolExecutor

    class Counting(ThreadPoolExecutor):
        submitted = 0

        def submit(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> Any:
            Counting.submitted += 1
            return super().submit(fn, *args, **kwargs)

    executor = Counting(max_workers=2)
    before = pool_threads()

    async def main() -> None:
        async with aio.open_memory(executor=executor) as db:
            c = db.counter("c")
            assert sorted(await asyncio.gather(*(c.increment() for _ in range(200)))) == list(
                range(1, 201)
            )
            assert pool_threads() - before == set()  # no pool of the store's own

    try:
        asyncio.run(main())
        assert Counting.submitted >= 201  # every increment, and the close
    finally:
        executor.shutdown()


def test_calls_already_given_run_before_the_interpreter_exits(tmp_path: Path) -> None:
    """As with a concurrent.futures pool, exit waits for a call fired without waiting (how a
    cancelled acquire releases its lock), though its pool's threads are daemons."""
    path = str(tmp_path / "db")
    script = f"""
import asyncio, time
import grovekv.aio as aio

async def main() -> None:
    db = await aio.open({path!r})
    native = db._native

    def late_write() -> None:
        time.sleep(0.5)
        native.counter("c").increment()
        native.flush()

    db._runner.fire(late_write)

asyncio.run(main())
"""
    done = subprocess.run([sys.executable, "-c", script], timeout=60, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    with grovekv.open(path) as db:
        assert db.counter("c").get() == 1
