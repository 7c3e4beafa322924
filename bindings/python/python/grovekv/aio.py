"""grovekv.aio: the non-blocking door for asyncio, the same API as :mod:`grovekv` with ``async``.

    >>> import asyncio, grovekv.aio
    >>> async def main() -> int:
    ...     async with grovekv.aio.open_memory() as db:
    ...         return await db.counter("visitors").increment()
    >>> asyncio.run(main())
    1

Every method that touches the store is a coroutine: the synchronous call of the native module
runs in a worker thread of the store's thread pool (it releases the GIL), so the event loop keeps
running meanwhile. The store's own pool batches: the loop queues each call and wakes a worker only
if one sleeps; a worker takes its share of the queued calls (at most 16), runs them one after the
other and completes their futures on their own event loops with one loop wake-up per batch, so a
slow call holds up at most the few calls taken with it. An ``executor=`` of yours gets each call
through ``loop.run_in_executor`` instead. Waiting is done without holding a worker:
``Lock.acquire`` retries on the event loop (``asyncio.sleep`` between tries) and
``Queue.dequeue(timeout=...)`` waits in a thread of its own, so any number of waiters never starve
the pool. Making a handle (``db.counter(name)``, ``db.lock(...)``, ``db.namespace(...)``, ...)
does no I/O and is a plain call, and so are reading its fixed attributes (``name``, ``key``,
``node_id``, ...).

Cancelling a call does not undo a write that already reached the store (as with any client of a
server); a cancelled ``Lock.acquire`` whose last try got the lock releases it, and a cancelled
``Queue.dequeue`` whose last try got a job gives it back with ``nack`` (that delivery still
counts in the job's ``attempts``). Errors are the classes of :mod:`grovekv`, re-exported here.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import os
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Generator, Iterable, Mapping
from concurrent.futures import Executor
from types import TracebackType
from typing import Any, Generic, TypeVar, Union

import grovekv
from grovekv import _native
from grovekv._errors import (
    ClockDriftError,
    ClosedError,
    CorruptError,
    EncryptionError,
    GroveError,
    InternalError,
    InvalidArgumentError,
    IoError,
    LockTimeoutError,
    NotFoundError,
    OverflowError,
    StoreLockedError,
    WrongTypeError,
)
from grovekv._native import MAX_KEY_LEN, MAX_VALUE_LEN, __version__
from grovekv._pool import BatchPool
from grovekv._types import Decision, Job, LockInfo, OpMetrics, QueueStats, Ranked, SyncReport

__all__ = [
    "MAX_KEY_LEN",
    "MAX_VALUE_LEN",
    "ClockDriftError",
    "ClosedError",
    "CorruptError",
    "Counter",
    "CrdtCounter",
    "CrdtMap",
    "CrdtRegister",
    "CrdtSet",
    "Decision",
    "EncryptionError",
    "GroveError",
    "InternalError",
    "InvalidArgumentError",
    "IoError",
    "Job",
    "KeyIterator",
    "Leaderboard",
    "Lock",
    "LockInfo",
    "LockTimeoutError",
    "NotFoundError",
    "OpMetrics",
    "Opening",
    "OverflowError",
    "Queue",
    "QueueStats",
    "Ranked",
    "RateLimiter",
    "Sessions",
    "Store",
    "StoreLockedError",
    "SyncReport",
    "WrongTypeError",
    "__version__",
    "default_max_workers",
    "open",
    "open_memory",
    "sync",
]

_T = TypeVar("_T")

_Key = Union[str, bytes, bytearray]
_Value = Union[bytes, bytearray, str]
_Data = Union[bytes, bytearray, memoryview]
_Score = Union[int, float]
_JSON = Any
_StrPath = Union[str, "os.PathLike[str]"]

# Keys fetched per worker-thread trip by ``KeyIterator``.
_KEY_BATCH = 256
# How long a ``Queue.dequeue`` wait thread blocks in the native call before it looks whether its
# caller was cancelled.
_WAIT_SLICE = 0.05


def default_max_workers() -> int:
    """The default size of a store's thread pool: ``min(32, os.cpu_count() + 4)``."""
    return min(32, (os.cpu_count() or 1) + 4)


def _seconds(obj: object, what: str) -> float:
    """A duration argument, checked by the core's rule as every other duration is."""
    return _native.seconds_arg(obj, what)


def _aio_repr(native: object) -> str:
    """The native repr, renamed into this module (``<grovekv.aio.Store ...>``)."""
    text = repr(native)
    return "<grovekv.aio." + text[len("<grovekv.") :] if text.startswith("<grovekv.") else text


class _Runner:
    """The thread pool one opened store and everything made from it run their calls in."""

    __slots__ = ("__weakref__", "_executor", "_pool", "_shut")

    def __init__(self, executor: Executor | None, max_workers: int | None) -> None:
        if executor is not None and max_workers is not None:
            raise InvalidArgumentError("give executor or max_workers, not both")
        if max_workers is not None:
            if isinstance(max_workers, bool) or not isinstance(max_workers, int):
                raise TypeError(f"max_workers must be int, not {type(max_workers).__name__}")
            if max_workers < 1:
                raise InvalidArgumentError(f"max_workers must be at least 1, got {max_workers}")
        # A user's executor is used as given; without one, the store's own batching pool.
        self._executor = executor
        self._pool: BatchPool | None = None
        if executor is None:
            self._pool = BatchPool(max_workers or default_max_workers(), "grovekv-aio")
            # A store dropped without close() lets its pool's threads end all the same.
            weakref.finalize(self, self._pool.shutdown)
        self._shut = False

    def _submit(self, fn: Callable[[], _T]) -> asyncio.Future[_T]:
        """Schedules ``fn`` on the pool; once the store is closed and the pool shut down, runs it
        here (a call on a closed store raises ClosedError at once)."""
        loop = asyncio.get_running_loop()
        try:
            if self._pool is not None:
                return self._pool.submit(loop, fn)
            assert self._executor is not None
            return loop.run_in_executor(self._executor, fn)
        except RuntimeError:
            if not self._shut:
                raise
        future: asyncio.Future[_T] = loop.create_future()
        try:
            future.set_result(fn())
        except Exception as e:
            future.set_exception(e)
        return future

    async def run(self, fn: Callable[[], _T]) -> _T:
        """Runs ``fn`` on the pool and returns its result (or raises its exception)."""
        return await self._submit(fn)

    async def run_undoable(self, fn: Callable[[], _T], undo: Callable[[_T], object]) -> _T:
        """Like :meth:`run`; if the caller is cancelled while ``fn`` runs, ``undo(result)`` runs
        on the pool once ``fn`` has finished (releasing a lock or a job nobody will see)."""
        future = self._submit(fn)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            future.add_done_callback(lambda f: self._undo_later(f, undo))
            raise

    def _undo_later(self, future: asyncio.Future[_T], undo: Callable[[_T], object]) -> None:
        """Runs ``undo`` on the result of a finished call whose caller went away."""
        if future.cancelled() or future.exception() is not None:
            return
        result = future.result()
        self.fire(lambda: undo(result))

    def fire(self, fn: Callable[[], object]) -> None:
        """Runs ``fn`` on the pool without waiting for it; its errors are dropped (it is
        clean-up: on a closed store there is nothing left to clean)."""
        if self._pool is not None:
            self._pool.fire(fn)
            return
        assert self._executor is not None
        try:
            self._executor.submit(fn)
        except RuntimeError:
            pass

    def shutdown(self) -> None:
        """Lets the pool's threads end once idle (only a pool this runner made)."""
        self._shut = True
        if self._pool is not None:
            self._pool.shutdown()


class Opening:
    """What :func:`open` returns: ``await`` it for a :class:`Store`, or ``async with`` it."""

    __slots__ = ("_open", "_store")

    def __init__(self, open_: Callable[[], Awaitable[Store]]) -> None:
        self._open = open_
        self._store: Store | None = None

    def __await__(self) -> Generator[Any, None, Store]:
        """Opens the store."""
        return self._open().__await__()

    async def __aenter__(self) -> Store:
        """Opens the store for the ``async with`` block."""
        self._store = await self._open()
        return self._store

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Closes the store."""
        if self._store is not None:
            await self._store.close()


def open(
    path: _StrPath,
    node_id: str | None = None,
    durable: bool = False,
    flush_every_ms: int | None = None,
    *,
    connect_timeout: float | None = None,
    reply_timeout: float | None = None,
    compress: bool = False,
    compress_min_bytes: int = grovekv.DEFAULT_COMPRESS_MIN_BYTES,
    encryption_key: _Data | None = None,
    old_encryption_keys: Iterable[_Data] = (),
    max_workers: int | None = None,
    executor: Executor | None = None,
) -> Opening:
    """Opens (creating if needed) the store at ``path`` without blocking the event loop.

    ``path``, ``node_id``, ``durable``, ``flush_every_ms``, ``connect_timeout`` and
    ``reply_timeout`` (seconds),
    ``compress``, ``compress_min_bytes``, ``encryption_key`` and ``old_encryption_keys`` are
    those of :func:`grovekv.open` (``./data`` or ``sled:./data``, ``lmdb:./data``, ``memory:``,
    ``redis://host:port[/db]``); a server not reached within ``connect_timeout`` fails the open
    with :class:`grovekv.IoError`, and the event loop runs meanwhile. The store's calls run on a
    thread pool of its own, of ``max_workers`` threads (default :func:`default_max_workers`,
    started as needed) that :meth:`Store.close` ends, or on ``executor`` if given (which is left
    running).
    Use ``db = await grovekv.aio.open(...)`` or ``async with grovekv.aio.open(...) as db:``.
    """
    runner = _Runner(executor, max_workers)

    async def opened() -> Store:
        try:
            native = await runner.run(
                lambda: grovekv.open(
                    path,
                    node_id,
                    durable=durable,
                    flush_every_ms=flush_every_ms,
                    connect_timeout=connect_timeout,
                    reply_timeout=reply_timeout,
                    compress=compress,
                    compress_min_bytes=compress_min_bytes,
                    encryption_key=encryption_key,
                    old_encryption_keys=old_encryption_keys,
                )
            )
        except BaseException:
            runner.shutdown()
            raise
        return Store(native, runner)

    return Opening(opened)


def open_memory(
    node_id: str | None = None,
    *,
    compress: bool = False,
    compress_min_bytes: int = grovekv.DEFAULT_COMPRESS_MIN_BYTES,
    encryption_key: _Data | None = None,
    old_encryption_keys: Iterable[_Data] = (),
    max_workers: int | None = None,
    executor: Executor | None = None,
) -> Opening:
    """Opens a fresh in-memory store: the same semantics as :func:`open`, nothing on disk."""
    runner = _Runner(executor, max_workers)

    async def opened() -> Store:
        try:
            native = grovekv.open_memory(
                node_id,
                compress=compress,
                compress_min_bytes=compress_min_bytes,
                encryption_key=encryption_key,
                old_encryption_keys=old_encryption_keys,
            )
        except BaseException:
            runner.shutdown()
            raise
        return Store(native, runner)

    return Opening(opened)


async def sync(a: Store, b: Store) -> SyncReport:
    """Merges every CRDT of ``a`` and ``b`` both ways; counts are seen from ``a``."""
    if not isinstance(a, Store) or not isinstance(b, Store):
        raise TypeError("sync takes two grovekv.aio.Store objects")
    na, nb = a._native, b._native
    return await a._runner.run(lambda: _native.sync(na, nb))


class Store:
    """An open store, or a namespaced view of one, whose calls do not block the event loop."""

    __slots__ = ("_native", "_runner")

    def __init__(self, native: _native.Store, runner: _Runner) -> None:
        self._native = native
        self._runner = runner

    async def get(self, key: _Key) -> bytes | None:
        """The bytes stored at ``key``, or None."""
        n = self._native
        return await self._runner.run(lambda: n.get(key))

    async def set(self, key: _Key, value: _Value, ttl: float | None = None) -> None:
        """Stores ``value`` at ``key``, expiring after ``ttl`` seconds if given."""
        n = self._native
        await self._runner.run(lambda: n.set(key, value, ttl))

    async def delete(self, key: _Key) -> bool:
        """Removes ``key`` whatever it holds; True if a live key was removed."""
        n = self._native
        return await self._runner.run(lambda: n.delete(key))

    async def set_if_absent(self, key: _Key, value: _Value, ttl: float | None = None) -> bool:
        """Stores ``value`` at ``key`` only if it holds nothing live; True if it wrote."""
        n = self._native
        return await self._runner.run(lambda: n.set_if_absent(key, value, ttl))

    async def set_if_present(self, key: _Key, value: _Value, ttl: float | None = None) -> bool:
        """Replaces the bytes at ``key`` only if there are some; True if it wrote."""
        n = self._native
        return await self._runner.run(lambda: n.set_if_present(key, value, ttl))

    async def compare_and_set(
        self, key: _Key, expected: _Value | None, new: _Value, ttl: float | None = None
    ) -> bool:
        """Stores ``new`` only if ``key`` holds exactly ``expected`` (None: absent)."""
        n = self._native
        return await self._runner.run(lambda: n.compare_and_set(key, expected, new, ttl))

    async def get_set(self, key: _Key, value: _Value, ttl: float | None = None) -> bytes | None:
        """Stores ``value`` at ``key`` and returns the bytes it replaced, or None."""
        n = self._native
        return await self._runner.run(lambda: n.get_set(key, value, ttl))

    async def get_delete(self, key: _Key) -> bytes | None:
        """Removes ``key`` and returns the bytes it held, or None."""
        n = self._native
        return await self._runner.run(lambda: n.get_delete(key))

    async def exists(self, key: _Key) -> bool:
        """Whether ``key`` holds a live value of any kind."""
        n = self._native
        return await self._runner.run(lambda: n.exists(key))

    async def kind(self, key: _Key) -> str | None:
        """What ``key`` holds ("string", "counter", ...), or None when absent."""
        n = self._native
        return await self._runner.run(lambda: n.kind(key))

    async def expire(self, key: _Key, ttl: float) -> bool:
        """Makes ``key`` expire after ``ttl`` seconds (0 deletes it); False if absent."""
        n = self._native
        return await self._runner.run(lambda: n.expire(key, ttl))

    async def persist(self, key: _Key) -> bool:
        """Removes the expiry of ``key``; True if it had one."""
        n = self._native
        return await self._runner.run(lambda: n.persist(key))

    async def ttl(self, key: _Key) -> float | None:
        """Seconds before ``key`` expires, None without expiry; NotFoundError when absent."""
        n = self._native
        return await self._runner.run(lambda: n.ttl(key))

    def keys(self, prefix: _Key | None = None) -> KeyIterator:
        """An async iterator over live keys starting with ``prefix``, in byte order
        (``async for key in db.keys("user:")``); keys are fetched in batches."""
        return KeyIterator(self._native.keys(prefix), self._runner)

    async def get_many(self, keys: Iterable[_Key]) -> list[bytes | None]:
        """Values of several keys read as one consistent snapshot."""
        n = self._native
        return await self._runner.run(lambda: n.get_many(keys))

    async def set_many(self, mapping: Mapping[_Key, _Value], ttl: float | None = None) -> None:
        """Stores every pair atomically, each expiring after ``ttl`` seconds if given."""
        n = self._native
        await self._runner.run(lambda: n.set_many(mapping, ttl))

    async def purge_expired(self) -> int:
        """Removes every expired key in this view now; returns how many."""
        return await self._runner.run(self._native.purge_expired)

    def namespace(self, name: str) -> Store:
        """A view whose every key is prefixed with ``name:`` (sharing this store's pool)."""
        return Store(self._native.namespace(name), self._runner)

    def counter(self, name: str) -> Counter:
        """The atomic counter ``name`` (key ``counter:<name>``)."""
        return Counter(self._native.counter(name), self._runner)

    def lock(self, name: str, ttl: float, timeout: float | None = None) -> Lock:
        """The distributed lock ``name`` (key ``lock:<name>``) with leases of ``ttl`` seconds.

        ``timeout`` is how long ``async with`` waits (None: until acquired).
        """
        return Lock(self._native.lock(name, ttl, timeout), self._runner)

    async def lock_info(self, name: str) -> LockInfo:
        """The state of lock ``name`` as any observer sees it."""
        n = self._native
        return await self._runner.run(lambda: n.lock_info(name))

    def rate_limiter(self, name: str, limit: int, window: float) -> RateLimiter:
        """A sliding-window rate limiter (keys under ``ratelimit:<name>:``; no ':' in ``name``)."""
        return RateLimiter(self._native.rate_limiter(name, limit, window), self._runner)

    def sessions(self, ttl: float = 1800.0, prefix: str = "sess") -> Sessions:
        """A session store with keys ``<prefix>:<id>`` and a sliding ``ttl``."""
        return Sessions(self._native.sessions(ttl, prefix), self._runner)

    def leaderboard(self, name: str) -> Leaderboard:
        """The leaderboard ``name`` (members at ``lb:<name>:<member>``; no ':' in ``name``)."""
        return Leaderboard(self._native.leaderboard(name), self._runner)

    def queue(self, name: str, visibility_timeout: float = 30.0, max_attempts: int = 5) -> Queue:
        """The job queue ``name`` (keys under ``queue:<name>:``; no ':' in ``name``)."""
        return Queue(self._native.queue(name, visibility_timeout, max_attempts), self._runner)

    def crdt_counter(self, key: str) -> CrdtCounter:
        """The PN-counter CRDT at ``key``."""
        return CrdtCounter(self._native.crdt_counter(key), self._runner)

    def crdt_register(self, key: str) -> CrdtRegister:
        """The LWW register CRDT at ``key``, holding any JSON value."""
        return CrdtRegister(self._native.crdt_register(key), self._runner)

    def crdt_set(self, key: str) -> CrdtSet:
        """The add-wins set CRDT at ``key``, of JSON values."""
        return CrdtSet(self._native.crdt_set(key), self._runner)

    def crdt_map(self, key: str) -> CrdtMap:
        """The LWW-map CRDT at ``key``: independent last-writer-wins fields of JSON values."""
        return CrdtMap(self._native.crdt_map(key), self._runner)

    async def export_changes(self, since: int = 0) -> tuple[bytes, int]:
        """CRDT keys of this view changed after cursor ``since``, as ``(bytes, cursor)``."""
        n = self._native
        return await self._runner.run(lambda: n.export_changes(since))

    async def apply_changes(self, data: _Data) -> SyncReport:
        """Merges bytes from ``export_changes``; all entries or none are applied."""
        n = self._native
        return await self._runner.run(lambda: n.apply_changes(data))

    @property
    def max_drift(self) -> float:
        """Seconds a remote CRDT stamp may lead this clock before ClockDriftError (default 60)."""
        return self._native.max_drift

    @max_drift.setter
    def max_drift(self, seconds: float) -> None:
        self._native.max_drift = seconds

    def set_max_drift(self, seconds: float) -> None:
        """Sets ``max_drift`` for every handle of this engine (in memory only, so not async)."""
        self._native.set_max_drift(seconds)

    async def flush(self) -> None:
        """Makes every write so far durable; returns when fsynced."""
        await self._runner.run(self._native.flush)

    async def close(self) -> None:
        """Closes this handle and everything made from it, then lets the pool's threads end."""
        await self._runner.run(self._native.close)
        self._runner.shutdown()

    async def size_on_disk(self) -> int:
        """Bytes the store occupies on disk (0 in memory)."""
        return await self._runner.run(self._native.size_on_disk)

    def metrics(self) -> dict[str, OpMetrics]:
        """This handle's metrics by ``"<primitive>.<op>"`` (in memory only, so not async)."""
        return self._native.metrics()

    def metrics_prometheus(self) -> str:
        """``metrics()`` in the Prometheus text format (in memory only, so not async)."""
        return self._native.metrics_prometheus()

    @property
    def closed(self) -> bool:
        """Whether this handle has been closed."""
        return self._native.closed

    @property
    def node_id(self) -> str:
        """This replica's persisted id, used by CRDTs."""
        return self._native.node_id

    @property
    def path(self) -> str | None:
        """The store's directory, or None in memory."""
        return self._native.path

    @property
    def prefix(self) -> str:
        """The namespace prefix this view adds to keys ("" for the root)."""
        return self._native.prefix

    async def __aenter__(self) -> Store:
        """Returns the store itself."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Closes the store."""
        await self.close()

    def __repr__(self) -> str:
        """A short description of the store."""
        return _aio_repr(self._native)


class KeyIterator:
    """An async iterator over live keys, yielding str; fetches keys in batches."""

    __slots__ = ("_buffer", "_done", "_native", "_runner")

    def __init__(self, native: _native.KeyIterator, runner: _Runner) -> None:
        self._native = native
        self._runner = runner
        self._buffer: collections.deque[str] = collections.deque()
        self._done = False

    def __aiter__(self) -> KeyIterator:
        """Returns the iterator itself."""
        return self

    async def __anext__(self) -> str:
        """The next key; ClosedError once the store is closed."""
        if not self._buffer and not self._done:
            n = self._native
            batch = await self._runner.run(lambda: list(itertools.islice(n, _KEY_BATCH)))
            if len(batch) < _KEY_BATCH:
                self._done = True
            self._buffer.extend(batch)
        if not self._buffer:
            raise StopAsyncIteration
        return self._buffer.popleft()


class Counter:
    """An atomic signed 64-bit counter."""

    __slots__ = ("_native", "_runner")

    def __init__(self, native: _native.Counter, runner: _Runner) -> None:
        self._native = native
        self._runner = runner

    async def increment(self, delta: int = 1) -> int:
        """Adds ``delta`` and returns the new value."""
        n = self._native
        return await self._runner.run(lambda: n.increment(delta))

    async def decrement(self, delta: int = 1) -> int:
        """Subtracts ``delta`` and returns the new value."""
        n = self._native
        return await self._runner.run(lambda: n.decrement(delta))

    async def try_decrement(self, delta: int = 1, floor: int = 0) -> int | None:
        """Subtracts ``delta`` only if the value stays >= ``floor``; the new value or None."""
        n = self._native
        return await self._runner.run(lambda: n.try_decrement(delta, floor))

    async def try_increment(self, delta: int = 1, cap: int = 9223372036854775807) -> int | None:
        """Adds ``delta`` only if the value stays <= ``cap``; the new value or None."""
        n = self._native
        return await self._runner.run(lambda: n.try_increment(delta, cap))

    async def get(self) -> int:
        """The current value (0 when unset)."""
        return await self._runner.run(self._native.get)

    async def set(self, value: int) -> None:
        """Sets the value."""
        n = self._native
        await self._runner.run(lambda: n.set(value))

    async def reset(self) -> None:
        """Sets the value to 0."""
        await self._runner.run(self._native.reset)

    @property
    def name(self) -> str:
        """The counter's name."""
        return self._native.name

    @property
    def key(self) -> str:
        """The key the counter lives at."""
        return self._native.key

    def __repr__(self) -> str:
        """A short description of the counter."""
        return _aio_repr(self._native)


class Lock:
    """A would-be owner of a distributed lock; one object per contending task.

    ``async with db.lock("deploy", ttl=10.0, timeout=5.0) as lock:`` acquires (raising
    LockTimeoutError after ``timeout``) and releases.
    """

    __slots__ = ("_native", "_runner")

    def __init__(self, native: _native.Lock, runner: _Runner) -> None:
        self._native = native
        self._runner = runner

    async def acquire(self, timeout: float | None = 0.0, retry_interval: float = 0.05) -> bool:
        """Takes the lock, waiting up to ``timeout`` seconds (0: one try; None: until acquired)
        and retrying every ``retry_interval`` seconds; the event loop runs meanwhile."""
        wait = None if timeout is None else _seconds(timeout, "timeout")
        retry = _native.retry_pause(retry_interval)
        loop = asyncio.get_running_loop()
        deadline = None if wait is None else loop.time() + wait
        n = self._native
        while True:
            got = await self._runner.run_undoable(n.acquire, lambda got: got and n.release())
            if got:
                return True
            now = loop.time()
            if deadline is not None and now >= deadline:
                return False
            await asyncio.sleep(retry if deadline is None else min(retry, deadline - now))

    async def release(self) -> bool:
        """Releases the lock if this object owns an unexpired lease; False otherwise."""
        return await self._runner.run(self._native.release)

    async def extend(self, ttl: float) -> bool:
        """Makes the lease end ``ttl`` seconds from now if this object owns it."""
        n = self._native
        return await self._runner.run(lambda: n.extend(ttl))

    async def held(self) -> bool:
        """Whether this object owns the lock now."""
        return await self._runner.run(self._native.held)

    @property
    def fencing_token(self) -> int:
        """The fencing token of this object's latest successful acquire (0 before)."""
        return self._native.fencing_token

    @property
    def name(self) -> str:
        """The lock's name."""
        return self._native.name

    @property
    def key(self) -> str:
        """The key the lock lives at (``lock:<name>``)."""
        return self._native.key

    @property
    def ttl(self) -> float:
        """The lease length in seconds."""
        return self._native.ttl

    @property
    def timeout(self) -> float | None:
        """Seconds ``async with`` waits (None: until acquired)."""
        return self._native.timeout

    async def __aenter__(self) -> Lock:
        """Acquires the lock, or raises LockTimeoutError."""
        timeout = self._native.timeout
        if not await self.acquire(timeout):
            within = "forever" if timeout is None else f"{timeout} s"
            raise LockTimeoutError(f"could not acquire lock {self.name!r} within {within}")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Releases the lock (a lease that already expired is left to its new owner)."""
        await self.release()

    def __repr__(self) -> str:
        """A short description of the lock."""
        return _aio_repr(self._native)


class RateLimiter:
    """A sliding-window limiter admitting at most ``limit`` summed cost per ``window``, per key."""

    __slots__ = ("_native", "_runner")

    def __init__(self, native: _native.RateLimiter, runner: _Runner) -> None:
        self._native = native
        self._runner = runner

    async def allow(self, key: str, cost: int = 1) -> Decision:
        """Admits ``cost`` for ``key`` if it fits in the sliding window."""
        n = self._native
        return await self._runner.run(lambda: n.allow(key, cost))

    async def peek(self, key: str) -> Decision:
        """What a cost-1 request for ``key`` would get now, recording nothing."""
        n = self._native
        return await self._runner.run(lambda: n.peek(key))

    async def reset(self, key: str) -> bool:
        """Forgets everything admitted for ``key``; True if there was state."""
        n = self._native
        return await self._runner.run(lambda: n.reset(key))

    @property
    def name(self) -> str:
        """The limiter's name."""
        return self._native.name

    @property
    def limit(self) -> int:
        """The admitted cost per window."""
        return self._native.limit

    @property
    def window(self) -> float:
        """The window length in seconds."""
        return self._native.window

    def __repr__(self) -> str:
        """A short description of the limiter."""
        return _aio_repr(self._native)


class Sessions:
    """Creates, reads and expires sessions (any JSON value) under one key prefix."""

    __slots__ = ("_native", "_runner")

    def __init__(self, native: _native.Sessions, runner: _Runner) -> None:
        self._native = native
        self._runner = runner

    async def create(self, data: _JSON) -> str:
        """Stores ``data`` under a new random 43-character URL-safe id and returns the id."""
        n = self._native
        return await self._runner.run(lambda: n.create(data))

    async def get(self, id: str) -> _JSON | None:
        """The data of a live session, or None."""
        n = self._native
        return await self._runner.run(lambda: n.get(id))

    async def update(self, id: str, data: _JSON) -> bool:
        """Replaces a live session's data and restarts its TTL; False if missing or expired."""
        n = self._native
        return await self._runner.run(lambda: n.update(id, data))

    async def touch(self, id: str) -> bool:
        """Restarts a live session's TTL; False if missing or expired."""
        n = self._native
        return await self._runner.run(lambda: n.touch(id))

    async def delete(self, id: str) -> bool:
        """Deletes a session; True if it was live."""
        n = self._native
        return await self._runner.run(lambda: n.delete(id))

    async def exists(self, id: str) -> bool:
        """Whether a session is live."""
        n = self._native
        return await self._runner.run(lambda: n.exists(id))

    @property
    def ttl(self) -> float:
        """The sliding TTL in seconds."""
        return self._native.ttl

    @property
    def prefix(self) -> str:
        """The key prefix."""
        return self._native.prefix

    def __repr__(self) -> str:
        """A short description of the session store."""
        return _aio_repr(self._native)


class Leaderboard:
    """Members ranked by score, highest first; ties ordered by member."""

    __slots__ = ("_native", "_runner")

    def __init__(self, native: _native.Leaderboard, runner: _Runner) -> None:
        self._native = native
        self._runner = runner

    async def add(self, member: str, score: _Score) -> None:
        """Sets ``member``'s score (adding the member if new); NaN/inf: InvalidArgumentError."""
        n = self._native
        await self._runner.run(lambda: n.add(member, score))

    async def incr(self, member: str, delta: _Score) -> float:
        """Adds ``delta`` to ``member``'s score (from 0 if new) and returns the new score."""
        n = self._native
        return await self._runner.run(lambda: n.incr(member, delta))

    async def score(self, member: str) -> float | None:
        """``member``'s score, or None if absent."""
        n = self._native
        return await self._runner.run(lambda: n.score(member))

    async def rank(self, member: str) -> int | None:
        """``member``'s rank (0 = highest), or None if absent."""
        n = self._native
        return await self._runner.run(lambda: n.rank(member))

    async def top(self, n: int) -> list[tuple[str, float]]:
        """The ``n`` highest members as ``(member, score)`` pairs, best first."""
        native = self._native
        return await self._runner.run(lambda: native.top(n))

    async def range(self, start: int, stop: int) -> list[tuple[str, float]]:
        """Members ranked ``start`` to ``stop`` (exclusive) as ``(member, score)`` pairs."""
        n = self._native
        return await self._runner.run(lambda: n.range(start, stop))

    async def around(self, member: str, n: int) -> list[Ranked]:
        """``member`` with up to ``n`` members above and below it; empty if absent."""
        native = self._native
        return await self._runner.run(lambda: native.around(member, n))

    async def remove(self, member: str) -> bool:
        """Removes ``member``; True if it was there."""
        n = self._native
        return await self._runner.run(lambda: n.remove(member))

    async def clear(self) -> int:
        """Removes every member; returns how many there were."""
        return await self._runner.run(self._native.clear)

    async def len(self) -> int:
        """The number of members (``len(lb)`` of the blocking API)."""
        return await self._runner.run(self._native.__len__)

    @property
    def name(self) -> str:
        """The leaderboard's name."""
        return self._native.name

    def __repr__(self) -> str:
        """A short description of the leaderboard."""
        return _aio_repr(self._native)


class Queue:
    """A FIFO job queue with visibility timeouts, retries and a dead-letter list."""

    __slots__ = ("_native", "_runner")

    def __init__(self, native: _native.Queue, runner: _Runner) -> None:
        self._native = native
        self._runner = runner

    async def enqueue(self, payload: _Value, delay: float = 0.0) -> int:
        """Adds a job deliverable after ``delay`` seconds; returns its id."""
        n = self._native
        return await self._runner.run(lambda: n.enqueue(payload, delay))

    async def dequeue(self, timeout: float | None = None) -> Job | None:
        """The oldest ready job, or None; waits up to ``timeout`` seconds (None or 0: one try).

        A wait runs in a thread of its own (woken at once by an enqueue in this process), never
        in the store's pool, and the event loop runs meanwhile.
        """
        n = self._native
        wait = 0.0 if timeout is None else _seconds(timeout, "timeout")
        if wait == 0.0:
            return await self._runner.run_undoable(n.dequeue, self._give_back)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Job | None] = loop.create_future()
        cancelled = threading.Event()
        deadline = time.monotonic() + wait

        def deliver(job: Job | None, error: BaseException | None) -> None:
            # On the event loop: hand over the result, or give the job back if nobody waits.
            if future.cancelled():
                if job is not None:
                    self._runner.fire(lambda: n.nack(job.id))
            elif error is not None:
                future.set_exception(error)
            else:
                future.set_result(job)

        def waiting() -> None:
            job: Job | None = None
            error: BaseException | None = None
            try:
                while not cancelled.is_set():
                    left = deadline - time.monotonic()
                    job = n.dequeue(min(_WAIT_SLICE, left)) if left > 0 else n.dequeue()
                    if job is not None or left <= _WAIT_SLICE:
                        break
            except BaseException as e:
                error = e
            try:
                loop.call_soon_threadsafe(deliver, job, error)
            except RuntimeError:  # the event loop is closed: nobody will take the job
                if job is not None:
                    self._give_back(job)

        threading.Thread(target=waiting, name="grovekv-aio-dequeue", daemon=True).start()
        try:
            return await future
        except asyncio.CancelledError:
            cancelled.set()
            raise

    def _give_back(self, job: Job | None) -> None:
        """Nacks a job that was delivered to a caller who went away."""
        if job is not None:
            try:
                self._native.nack(job.id)
            except GroveError:
                pass

    async def ack(self, job_id: int) -> bool:
        """Marks a delivered job done and removes it; False if it is not in flight."""
        n = self._native
        return await self._runner.run(lambda: n.ack(job_id))

    async def nack(self, job_id: int, delay: float = 0.0) -> bool:
        """Gives a delivered job back, deliverable after ``delay`` s; False if not in flight."""
        n = self._native
        return await self._runner.run(lambda: n.nack(job_id, delay))

    async def stats(self) -> QueueStats:
        """Counts of jobs by state: ``QueueStats(ready, in_flight, dead)``."""
        return await self._runner.run(self._native.stats)

    async def dead_letters(self) -> list[Job]:
        """The jobs on the dead-letter list, oldest first."""
        return await self._runner.run(self._native.dead_letters)

    @property
    def name(self) -> str:
        """The queue's name."""
        return self._native.name

    @property
    def visibility_timeout(self) -> float:
        """Seconds a delivered job stays invisible before it is delivered again."""
        return self._native.visibility_timeout

    @property
    def max_attempts(self) -> int:
        """Deliveries after which an unacked job moves to the dead-letter list."""
        return self._native.max_attempts

    def __repr__(self) -> str:
        """A short description of the queue."""
        return _aio_repr(self._native)


_N = TypeVar("_N", _native.CrdtCounter, _native.CrdtRegister, _native.CrdtSet, _native.CrdtMap)


class _Crdt(Generic[_N]):
    """What every CRDT handle shares: ``state()``, ``merge(data)`` and ``key``."""

    __slots__ = ("_native", "_runner")

    def __init__(self, native: _N, runner: _Runner) -> None:
        self._native: _N = native
        self._runner = runner

    async def state(self) -> bytes:
        """The versioned, type-tagged state bytes."""
        return await self._runner.run(self._native.state)

    async def merge(self, data: _Data) -> bool:
        """Merges state bytes from another replica; True if this one changed."""
        n = self._native
        return await self._runner.run(lambda: n.merge(data))

    @property
    def key(self) -> str:
        """The key the CRDT lives at."""
        return self._native.key

    def __repr__(self) -> str:
        """A short description of the CRDT."""
        return _aio_repr(self._native)


class CrdtCounter(_Crdt[_native.CrdtCounter]):
    """A PN-counter CRDT: per-node increment and decrement totals, merged by maximum."""

    __slots__ = ()

    async def increment(self, n: int = 1) -> int:
        """Adds ``n`` (>= 0) to this node's increments; returns the new value."""
        native = self._native
        return await self._runner.run(lambda: native.increment(n))

    async def decrement(self, n: int = 1) -> int:
        """Adds ``n`` (>= 0) to this node's decrements; returns the new value."""
        native = self._native
        return await self._runner.run(lambda: native.decrement(n))

    async def add(self, delta: int) -> int:
        """Adds a signed amount; returns the new value."""
        native = self._native
        return await self._runner.run(lambda: native.add(delta))

    async def value(self) -> int:
        """Sum of increments minus sum of decrements over all nodes."""
        return await self._runner.run(self._native.value)

    async def totals(self) -> tuple[int, int]:
        """``(positive, negative)`` summed over all nodes."""
        return await self._runner.run(self._native.totals)

    async def contributions(self) -> dict[str, tuple[int, int]]:
        """Each node's ``(increments, decrements)``."""
        return await self._runner.run(self._native.contributions)

    async def reset_local(self) -> int:
        """Makes this node's net contribution 0 (a monotone update); returns the new value."""
        return await self._runner.run(self._native.reset_local)


class CrdtRegister(_Crdt[_native.CrdtRegister]):
    """A last-writer-wins register of a JSON value, ordered by hybrid logical clock."""

    __slots__ = ()

    async def set(self, value: _JSON) -> None:
        """Writes a JSON value."""
        n = self._native
        await self._runner.run(lambda: n.set(value))

    async def get(self) -> _JSON | None:
        """The current value, or None when never set."""
        return await self._runner.run(self._native.get)


class CrdtSet(_Crdt[_native.CrdtSet]):
    """An add-wins observed-remove set of JSON values (identity: canonical JSON)."""

    __slots__ = ()

    async def add(self, value: _JSON) -> None:
        """Adds a value; it wins over a concurrent remove that did not see it."""
        n = self._native
        await self._runner.run(lambda: n.add(value))

    async def remove(self, value: _JSON) -> bool:
        """Removes a value (the adds this replica has seen); True if it was present."""
        n = self._native
        return await self._runner.run(lambda: n.remove(value))

    async def contains(self, value: _JSON) -> bool:
        """Whether the value is present (``value in s`` of the blocking API)."""
        n = self._native
        return await self._runner.run(lambda: n.contains(value))

    async def members(self) -> list[_JSON]:
        """Every member, in canonical-JSON order."""
        return await self._runner.run(self._native.members)

    async def len(self) -> int:
        """The number of members (``len(s)`` of the blocking API)."""
        return await self._runner.run(self._native.__len__)


class CrdtMap(_Crdt[_native.CrdtMap]):
    """A map of independent last-writer-wins fields holding JSON values."""

    __slots__ = ()

    async def set(self, field: str, value: _JSON) -> None:
        """Sets ``field`` to a JSON value."""
        n = self._native
        await self._runner.run(lambda: n.set(field, value))

    async def get(self, field: str) -> _JSON | None:
        """The value of ``field``, or None."""
        n = self._native
        return await self._runner.run(lambda: n.get(field))

    async def delete(self, field: str) -> bool:
        """Deletes ``field`` with a stamped tombstone; True if it had a value."""
        n = self._native
        return await self._runner.run(lambda: n.delete(field))

    async def keys(self) -> list[str]:
        """Names of the fields that have a value, in order."""
        return await self._runner.run(self._native.keys)

    async def all(self) -> dict[str, _JSON]:
        """Every field with a value, in field-name order."""
        return await self._runner.run(self._native.all)


for _cls in (
    Store,
    KeyIterator,
    Counter,
    Lock,
    RateLimiter,
    Sessions,
    Leaderboard,
    Queue,
    CrdtCounter,
    CrdtRegister,
    CrdtSet,
    CrdtMap,
    Opening,
):
    _cls.__module__ = "grovekv.aio"
del _cls
