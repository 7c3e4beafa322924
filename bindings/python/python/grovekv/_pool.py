"""The thread pool a :mod:`grovekv.aio` store owns: calls from event loops run in worker threads,
and their outcomes go back to each loop in batches.

Why not ``loop.run_in_executor``: per call it costs a concurrent.futures Future, a work item, a
queue hand-off and a ``call_soon_threadsafe`` wake-up of the loop, each taking the GIL from workers
that just got their reply; on a network store that overhead was most of an increment's time. Here
the loop appends a call to one deque and wakes a worker only if one sleeps; an awake worker takes
its share of the waiting calls (a few at a time, so the work spreads over the workers and a slow
call holds up only the few taken with it), runs them one after the other (the native calls release
the GIL while they wait for I/O), and hands their outcomes to the calling loop with one
``call_soon_threadsafe``, or none when a hand-back to that loop is scheduled and not yet run (the
outcomes join it).
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import itertools
import threading
import weakref
from collections.abc import Callable
from typing import Any, Optional

# Most calls one worker takes at once: bounds how long a slow call can hold up the calls taken
# with it, and how many results wait for one hand-back.
_BATCH_MAX = 16

# A call waiting for a worker: the loop and future to hand its outcome to (None for ``fire``).
_Call = tuple[
    Optional[asyncio.AbstractEventLoop], Optional["asyncio.Future[Any]"], Callable[[], Any]
]
# A finished call: its future, whether it returned, and its result or exception.
_Outcome = tuple["asyncio.Future[Any]", bool, Any]


class BatchPool:
    """Worker threads running calls for event loops, handing outcomes back in batches."""

    def __init__(self, max_workers: int, thread_name: str) -> None:
        self._max_workers = max_workers
        self._thread_name = thread_name
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._calls: collections.deque[_Call] = collections.deque()
        # Workers waiting on ``_wake`` that no one has notified yet.
        self._idle = 0
        self._threads: set[threading.Thread] = set()
        self._numbers = itertools.count(1)
        # Outcomes per loop whose hand-back is scheduled on that loop and has not run yet.
        self._outboxes: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
        self._shut = False

    def submit(self, loop: asyncio.AbstractEventLoop, fn: Callable[[], Any]) -> asyncio.Future[Any]:
        """Runs ``fn`` in a worker; the future (of ``loop``, the running loop) gets its outcome.
        Raises RuntimeError once the pool is shut down."""
        future = loop.create_future()
        if not self._enqueue((loop, future, fn)):
            raise RuntimeError("grovekv.aio: the store's thread pool is shut down")
        return future

    def fire(self, fn: Callable[[], object]) -> None:
        """Runs ``fn`` in a worker without waiting for it; its outcome is dropped (nothing once
        the pool is shut down)."""
        self._enqueue((None, None, fn))

    def shutdown(self) -> None:
        """Lets the workers end once the calls already given have run."""
        with self._lock:
            self._shut = True
            self._idle = 0
            self._wake.notify_all()

    def _enqueue(self, call: _Call) -> bool:
        """Queues ``call`` and makes sure a worker will take it; False once shut down."""
        with self._lock:
            if self._shut:
                return False
            self._calls.append(call)
            if self._idle:
                self._idle -= 1
                self._wake.notify()
                return True
            if len(self._threads) >= self._max_workers:
                return True  # every worker is busy and looks at the deque when done
            name = f"{self._thread_name}-{next(self._numbers)}"
            # A daemon, so that an idle pool never holds up the interpreter's exit; the calls
            # already given still run then (_finish_at_exit).
            thread = threading.Thread(target=self._work, name=name, daemon=True)
            self._threads.add(thread)
            _live.add(self)
        try:
            thread.start()
        except BaseException:
            with self._lock:
                self._threads.discard(thread)
                if call in self._calls:
                    self._calls.remove(call)
            raise
        return True

    def join(self) -> None:
        """Waits until every worker has ended (call :meth:`shutdown` first)."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join()

    def _work(self) -> None:
        """A worker: takes a share of the waiting calls, runs them, hands back their outcomes."""
        lock, calls, wake = self._lock, self._calls, self._wake
        while True:
            with lock:
                while not calls:
                    if self._shut:
                        self._threads.discard(threading.current_thread())
                        return
                    self._idle += 1
                    wake.wait()
                take = min(_BATCH_MAX, -(-len(calls) // self._max_workers))
                batch = [calls.popleft() for _ in range(take)]
            self._run(batch)
            del batch

    def _run(self, batch: list[_Call]) -> None:
        """Runs the calls of ``batch`` in order and hands their outcomes to their loops."""
        loop: asyncio.AbstractEventLoop | None = None
        outcomes: list[_Outcome] = []
        for call_loop, future, fn in batch:
            if future is not None and future.cancelled():
                continue  # its caller left before it started: do not run it
            try:
                value, ok = fn(), True
            except StopIteration as e:  # a future cannot hold one (as a coroutine cannot raise it)
                value, ok = RuntimeError("grovekv.aio call raised StopIteration"), False
                value.__cause__ = e
            except BaseException as e:
                value, ok = e, False
            if future is None or call_loop is None:
                continue
            if call_loop is not loop:
                if loop is not None and outcomes:
                    self._hand_back(loop, outcomes)
                loop, outcomes = call_loop, []
            outcomes.append((future, ok, value))
        if loop is not None and outcomes:
            self._hand_back(loop, outcomes)

    def _hand_back(self, loop: asyncio.AbstractEventLoop, outcomes: list[_Outcome]) -> None:
        """Gives ``outcomes`` to ``loop``: joins its scheduled hand-back, or schedules one."""
        with self._lock:
            box = self._outboxes.get(loop)
            if box is not None:
                box.extend(outcomes)
                return
            self._outboxes[loop] = outcomes
        try:
            loop.call_soon_threadsafe(self._deliver, loop)
        except RuntimeError:  # the loop is closed: nobody awaits these futures any more
            with self._lock:
                self._outboxes.pop(loop, None)

    def _deliver(self, loop: asyncio.AbstractEventLoop) -> None:
        """On ``loop``: completes every future handed back to it (but those already cancelled)."""
        with self._lock:
            outcomes = self._outboxes.pop(loop, [])
        for future, ok, value in outcomes:
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


# Pools that started workers: the interpreter's exit lets them run the calls already given (a
# lock released, a job given back for a caller that went away) before it ends, as it does for a
# concurrent.futures pool.
_live: weakref.WeakSet[BatchPool] = weakref.WeakSet()


def _finish_at_exit() -> None:
    """Shuts down every pool and waits for its workers (an atexit hook)."""
    for pool in list(_live):
        pool.shutdown()
        pool.join()


atexit.register(_finish_at_exit)
