"""Type stubs for grovekv._native, the PyO3 extension behind grovekv."""

import os
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any, Final, Literal, TypeAlias, final

from grovekv._types import Decision, Job, LockInfo, OpMetrics, QueueStats, Ranked, SyncReport

__all__ = [
    "CORE_VERSION",
    "MAX_KEY_LEN",
    "MAX_VALUE_LEN",
    "Counter",
    "CrdtCounter",
    "CrdtMap",
    "CrdtRegister",
    "CrdtSet",
    "KeyIterator",
    "Leaderboard",
    "Lock",
    "Queue",
    "RateLimiter",
    "Sessions",
    "Store",
    "__version__",
    "_bench_core_increment",
    "open",
    "open_memory",
    "retry_pause",
    "seconds_arg",
    "sync",
]

__version__: Final[str]
CORE_VERSION: Final[str]
MAX_KEY_LEN: Final[int]
MAX_VALUE_LEN: Final[int]

_Key: TypeAlias = str | bytes | bytearray
_Value: TypeAlias = bytes | bytearray | str
_Seconds: TypeAlias = float
_JSON: TypeAlias = Any
_Score: TypeAlias = int | float
_Data: TypeAlias = bytes | bytearray | memoryview

@final
class Store:
    """An open store, or a namespaced view of one."""

    def get(self, key: _Key) -> bytes | None:
        """The bytes stored at ``key``, or None."""
    def set(self, key: _Key, value: _Value, ttl: _Seconds | None = None) -> None:
        """Stores ``value`` at ``key``, expiring after ``ttl`` seconds if given."""
    def delete(self, key: _Key) -> bool:
        """Removes ``key`` whatever it holds; True if a live key was removed."""
    def set_if_absent(self, key: _Key, value: _Value, ttl: _Seconds | None = None) -> bool:
        """Stores ``value`` at ``key`` only if it holds nothing live; True if it wrote."""
    def set_if_present(self, key: _Key, value: _Value, ttl: _Seconds | None = None) -> bool:
        """Replaces the bytes at ``key`` only if there are some; True if it wrote."""
    def compare_and_set(
        self, key: _Key, expected: _Value | None, new: _Value, ttl: _Seconds | None = None
    ) -> bool:
        """Stores ``new`` only if ``key`` holds exactly ``expected`` (None: absent)."""
    def get_set(self, key: _Key, value: _Value, ttl: _Seconds | None = None) -> bytes | None:
        """Stores ``value`` at ``key`` and returns the bytes it replaced, or None."""
    def get_delete(self, key: _Key) -> bytes | None:
        """Removes ``key`` and returns the bytes it held, or None."""
    def exists(self, key: _Key) -> bool:
        """Whether ``key`` holds a live value of any kind."""
    def kind(self, key: _Key) -> str | None:
        """What ``key`` holds ("string", "counter", ...), or None when absent."""
    def expire(self, key: _Key, ttl: _Seconds) -> bool:
        """Makes ``key`` expire after ``ttl`` seconds (0 deletes it); False if absent."""
    def persist(self, key: _Key) -> bool:
        """Removes the expiry of ``key``; True if it had one."""
    def ttl(self, key: _Key) -> float | None:
        """_Seconds before ``key`` expires, None without expiry; NotFoundError when absent."""
    def keys(self, prefix: _Key | None = None) -> KeyIterator:
        """A lazy iterator over live keys starting with ``prefix``, in byte order."""
    def get_many(self, keys: Iterable[_Key]) -> list[bytes | None]:
        """Values of several keys read as one consistent snapshot."""
    def set_many(self, mapping: Mapping[_Key, _Value], ttl: _Seconds | None = None) -> None:
        """Stores every pair atomically, each expiring after ``ttl`` seconds if given."""
    def purge_expired(self) -> int:
        """Removes every expired key in this view now; returns how many."""
    def namespace(self, name: str) -> Store:
        """A view whose every key is prefixed with ``name:``."""
    def counter(self, name: str) -> Counter:
        """The atomic counter ``name`` (key ``counter:<name>``)."""
    def lock(self, name: str, ttl: _Seconds, timeout: _Seconds | None = None) -> Lock:
        """The distributed lock ``name`` (key ``lock:<name>``) with leases of ``ttl`` seconds.

        ``timeout`` is how long the ``with`` statement waits (None: until acquired).
        """
    def lock_info(self, name: str) -> LockInfo:
        """The state of lock ``name`` as any observer sees it."""
    def rate_limiter(self, name: str, limit: int, window: _Seconds) -> RateLimiter:
        """A sliding-window rate limiter (keys under ``ratelimit:<name>:``; no ':' in ``name``)."""
    def sessions(self, ttl: _Seconds = 1800.0, prefix: str = "sess") -> Sessions:
        """A session store with keys ``<prefix>:<id>`` and a sliding ``ttl``."""
    def leaderboard(self, name: str) -> Leaderboard:
        """The leaderboard ``name`` (members at ``lb:<name>:<member>``; no ':' in ``name``)."""
    def queue(self, name: str, visibility_timeout: _Seconds = 30.0, max_attempts: int = 5) -> Queue:
        """The job queue ``name`` (keys under ``queue:<name>:``; no ':' in ``name``)."""
    def crdt_counter(self, key: str) -> CrdtCounter:
        """The PN-counter CRDT at ``key``."""
    def crdt_register(self, key: str) -> CrdtRegister:
        """The LWW register CRDT at ``key``, holding any JSON value."""
    def crdt_set(self, key: str) -> CrdtSet:
        """The add-wins set CRDT at ``key``, of JSON values."""
    def crdt_map(self, key: str) -> CrdtMap:
        """The LWW-map CRDT at ``key``: independent last-writer-wins fields of JSON values."""
    def export_changes(self, since: int = 0) -> tuple[bytes, int]:
        """CRDT keys of this view changed after cursor ``since``, as ``(bytes, cursor)``."""
    def apply_changes(self, data: _Data) -> SyncReport:
        """Merges bytes from ``export_changes``; all entries or none are applied."""
    @property
    def max_drift(self) -> float:
        """Seconds a remote CRDT stamp may lead this clock before ClockDriftError (default 60)."""
    @max_drift.setter
    def max_drift(self, seconds: _Seconds) -> None: ...
    def set_max_drift(self, seconds: _Seconds) -> None:
        """Sets ``max_drift`` for every handle of this engine."""
    def flush(self) -> None:
        """Makes every write so far durable; returns when fsynced."""
    def close(self) -> None:
        """Closes this handle and everything made from it."""
    def size_on_disk(self) -> int:
        """Bytes the store occupies on disk (0 in memory)."""
    def metrics(self) -> dict[str, OpMetrics]:
        """This handle's metrics by ``"<primitive>.<op>"`` (views share their handle's)."""
    def metrics_prometheus(self) -> str:
        """``metrics()`` in the Prometheus text exposition format."""
    @property
    def closed(self) -> bool:
        """Whether this handle has been closed."""
    @property
    def node_id(self) -> str:
        """This replica's persisted id, used by CRDTs."""
    @property
    def path(self) -> str | None:
        """The store's directory, or None in memory."""
    @property
    def prefix(self) -> str:
        """The namespace prefix this view adds to keys ("" for the root)."""
    def __enter__(self) -> Store:
        """Returns the store itself."""
    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
        /,
    ) -> Literal[False]:
        """Closes the store."""

@final
class Counter:
    """An atomic signed 64-bit counter."""

    def increment(self, delta: int = 1) -> int:
        """Adds ``delta`` and returns the new value."""
    def decrement(self, delta: int = 1) -> int:
        """Subtracts ``delta`` and returns the new value."""
    def try_decrement(self, delta: int = 1, floor: int = 0) -> int | None:
        """Subtracts ``delta`` only if the value stays >= ``floor``; the new value or None."""
    def try_increment(self, delta: int = 1, cap: int = 9223372036854775807) -> int | None:
        """Adds ``delta`` only if the value stays <= ``cap``; the new value or None."""
    def get(self) -> int:
        """The current value (0 when unset)."""
    def set(self, value: int) -> None:
        """Sets the value."""
    def reset(self) -> None:
        """Sets the value to 0."""
    @property
    def name(self) -> str:
        """The counter's name."""
    @property
    def key(self) -> str:
        """The key the counter lives at."""

@final
class KeyIterator:
    """A lazy iterator over live keys, yielding str."""

    def __iter__(self) -> KeyIterator:
        """Returns the iterator itself."""
    def __next__(self) -> str:
        """The next key; ClosedError once the store is closed."""

@final
class Lock:
    """A would-be owner of a distributed lock; one object per contending thread or task."""

    def acquire(self, timeout: _Seconds | None = 0.0, retry_interval: _Seconds = 0.05) -> bool:
        """Takes the lock, waiting up to ``timeout`` seconds (0: one try; None: forever)."""
    def release(self) -> bool:
        """Releases the lock if this object owns an unexpired lease; False otherwise."""
    def extend(self, ttl: _Seconds) -> bool:
        """Makes the lease end ``ttl`` seconds from now if this object owns it."""
    def held(self) -> bool:
        """Whether this object owns the lock now."""
    @property
    def fencing_token(self) -> int:
        """The fencing token of this object's latest successful acquire (0 before)."""
    @property
    def name(self) -> str:
        """The lock's name."""
    @property
    def key(self) -> str:
        """The key the lock lives at (``lock:<name>``)."""
    @property
    def ttl(self) -> float:
        """The lease length in seconds."""
    @property
    def timeout(self) -> float | None:
        """Seconds the ``with`` statement waits (None: until acquired)."""
    def __enter__(self) -> Lock:
        """Acquires the lock, or raises LockTimeoutError."""
    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
        /,
    ) -> Literal[False]:
        """Releases the lock."""

@final
class RateLimiter:
    """A sliding-window limiter admitting at most ``limit`` summed cost per ``window``, per key."""

    def allow(self, key: str, cost: int = 1) -> Decision:
        """Admits ``cost`` for ``key`` if it fits in the sliding window."""
    def peek(self, key: str) -> Decision:
        """What a cost-1 request for ``key`` would get now, recording nothing."""
    def reset(self, key: str) -> bool:
        """Forgets everything admitted for ``key``; True if there was state."""
    @property
    def name(self) -> str:
        """The limiter's name."""
    @property
    def limit(self) -> int:
        """The admitted cost per window."""
    @property
    def window(self) -> float:
        """The window length in seconds."""

@final
class Sessions:
    """Creates, reads and expires sessions (any JSON value) under one key prefix."""

    def create(self, data: _JSON) -> str:
        """Stores ``data`` under a new random 43-character URL-safe id and returns the id."""
    def get(self, id: str) -> _JSON | None:
        """The data of a live session, or None."""
    def update(self, id: str, data: _JSON) -> bool:
        """Replaces a live session's data and restarts its TTL; False if missing or expired."""
    def touch(self, id: str) -> bool:
        """Restarts a live session's TTL; False if missing or expired."""
    def delete(self, id: str) -> bool:
        """Deletes a session; True if it was live."""
    def exists(self, id: str) -> bool:
        """Whether a session is live."""
    @property
    def ttl(self) -> float:
        """The sliding TTL in seconds."""
    @property
    def prefix(self) -> str:
        """The key prefix."""

@final
class Leaderboard:
    """Members ranked by score, highest first; ties ordered by member."""

    def add(self, member: str, score: _Score) -> None:
        """Sets ``member``'s score (adding the member if new); NaN/inf: InvalidArgumentError."""
    def incr(self, member: str, delta: _Score) -> float:
        """Adds ``delta`` to ``member``'s score (from 0 if new) and returns the new score."""
    def score(self, member: str) -> float | None:
        """``member``'s score, or None if absent."""
    def rank(self, member: str) -> int | None:
        """``member``'s rank (0 = highest), or None if absent."""
    def top(self, n: int) -> list[tuple[str, float]]:
        """The ``n`` highest members as ``(member, score)`` pairs, best first."""
    def range(self, start: int, stop: int) -> list[tuple[str, float]]:
        """Members ranked ``start`` to ``stop`` (exclusive) as ``(member, score)`` pairs."""
    def around(self, member: str, n: int) -> list[Ranked]:
        """``member`` with up to ``n`` members above and below it; empty if absent."""
    def remove(self, member: str) -> bool:
        """Removes ``member``; True if it was there."""
    def clear(self) -> int:
        """Removes every member; returns how many there were."""
    def __len__(self) -> int:
        """The number of members."""
    @property
    def name(self) -> str:
        """The leaderboard's name."""

@final
class Queue:
    """A FIFO job queue with visibility timeouts, retries and a dead-letter list."""

    def enqueue(self, payload: _Value, delay: _Seconds = 0.0) -> int:
        """Adds a job deliverable after ``delay`` seconds; returns its id."""
    def dequeue(self, timeout: _Seconds | None = None) -> Job | None:
        """The oldest ready job, or None; waits up to ``timeout`` seconds (None or 0: one try)."""
    def ack(self, job_id: int) -> bool:
        """Marks a delivered job done and removes it; False if it is not in flight."""
    def nack(self, job_id: int, delay: _Seconds = 0.0) -> bool:
        """Gives a delivered job back, deliverable after ``delay`` s; False if not in flight."""
    def stats(self) -> QueueStats:
        """Counts of jobs by state: ``QueueStats(ready, in_flight, dead)``."""
    def dead_letters(self) -> list[Job]:
        """The jobs on the dead-letter list, oldest first."""
    @property
    def name(self) -> str:
        """The queue's name."""
    @property
    def visibility_timeout(self) -> float:
        """Seconds a delivered job stays invisible before it is delivered again."""
    @property
    def max_attempts(self) -> int:
        """Deliveries after which an unacked job moves to the dead-letter list."""

@final
class CrdtCounter:
    """A PN-counter CRDT: per-node increment and decrement totals, merged by maximum."""

    def increment(self, n: int = 1) -> int:
        """Adds ``n`` (>= 0) to this node's increments; returns the new value."""
    def decrement(self, n: int = 1) -> int:
        """Adds ``n`` (>= 0) to this node's decrements; returns the new value."""
    def add(self, delta: int) -> int:
        """Adds a signed amount; returns the new value."""
    def value(self) -> int:
        """Sum of increments minus sum of decrements over all nodes."""
    def totals(self) -> tuple[int, int]:
        """``(positive, negative)`` summed over all nodes."""
    def contributions(self) -> dict[str, tuple[int, int]]:
        """Each node's ``(increments, decrements)``."""
    def reset_local(self) -> int:
        """Makes this node's net contribution 0 (a monotone update); returns the new value."""
    def state(self) -> bytes:
        """The versioned, type-tagged state bytes."""
    def merge(self, data: _Data) -> bool:
        """Merges state bytes from another replica; True if this one changed."""
    @property
    def key(self) -> str:
        """The key the CRDT lives at."""

@final
class CrdtRegister:
    """A last-writer-wins register of a JSON value, ordered by hybrid logical clock."""

    def set(self, value: _JSON) -> None:
        """Writes a JSON value."""
    def get(self) -> _JSON | None:
        """The current value, or None when never set."""
    def state(self) -> bytes:
        """The versioned, type-tagged state bytes."""
    def merge(self, data: _Data) -> bool:
        """Merges state bytes from another replica; True if this one changed."""
    @property
    def key(self) -> str:
        """The key the CRDT lives at."""

@final
class CrdtSet:
    """An add-wins observed-remove set of JSON values (identity: canonical JSON)."""

    def add(self, value: _JSON) -> None:
        """Adds a value; it wins over a concurrent remove that did not see it."""
    def remove(self, value: _JSON) -> bool:
        """Removes a value (the adds this replica has seen); True if it was present."""
    def contains(self, value: _JSON) -> bool:
        """Whether the value is present."""
    def __contains__(self, value: object, /) -> bool:
        """``value in s``."""
    def members(self) -> list[_JSON]:
        """Every member, in canonical-JSON order."""
    def __len__(self) -> int:
        """The number of members."""
    def state(self) -> bytes:
        """The versioned, type-tagged state bytes."""
    def merge(self, data: _Data) -> bool:
        """Merges state bytes from another replica; True if this one changed."""
    @property
    def key(self) -> str:
        """The key the CRDT lives at."""

@final
class CrdtMap:
    """A map of independent last-writer-wins fields holding JSON values."""

    def set(self, field: str, value: _JSON) -> None:
        """Sets ``field`` to a JSON value."""
    def get(self, field: str) -> _JSON | None:
        """The value of ``field``, or None."""
    def delete(self, field: str) -> bool:
        """Deletes ``field`` with a stamped tombstone; True if it had a value."""
    def keys(self) -> list[str]:
        """Names of the fields that have a value, in order."""
    def all(self) -> dict[str, _JSON]:
        """Every field with a value, in field-name order."""
    def state(self) -> bytes:
        """The versioned, type-tagged state bytes."""
    def merge(self, data: _Data) -> bool:
        """Merges state bytes from another replica; True if this one changed."""
    @property
    def key(self) -> str:
        """The key the CRDT lives at."""

def retry_pause(obj: object) -> float:
    """The pause in seconds between two tries of a lock wait for ``retry_interval`` ``obj``:
    checked as every duration is, then raised to the core's 1 ms floor."""

def seconds_arg(obj: object, what: str) -> float:
    """A duration in seconds checked by the core's rule (negative, NaN, infinite or beyond 100
    years is InvalidArgumentError; a non-number is TypeError)."""

def sync(a: Store, b: Store) -> SyncReport:
    """Merges every CRDT of ``a`` and ``b`` both ways; counts are seen from ``a``."""

def open(
    path: str | os.PathLike[str],
    node_id: str | None = None,
    durable: bool = False,
    flush_every_ms: int | None = None,
    *,
    connect_timeout: float | None = None,
    reply_timeout: float | None = None,
    compress_min_bytes: int | None = None,
    encryption_key: bytes | None = None,
    old_encryption_keys: list[bytes] | None = None,
) -> Store:
    """Opens (creating if needed) the store at ``path``: ``./data`` or ``sled:./data`` (sled, one
    process), ``lmdb:./data`` (shared by this machine's processes), ``memory:`` or
    ``redis://host:port[/db]`` (reached within ``connect_timeout`` seconds, default 5, each
    answer within ``reply_timeout`` seconds, default 20);
    ``compress_min_bytes`` (None: off), ``encryption_key`` and ``old_encryption_keys``."""

def open_memory(
    node_id: str | None = None,
    *,
    compress_min_bytes: int | None = None,
    encryption_key: bytes | None = None,
    old_encryption_keys: list[bytes] | None = None,
) -> Store:
    """Opens a fresh in-memory store."""

def _bench_core_increment(
    path: str | os.PathLike[str] | None, n: int, name: str = "bench"
) -> float:
    """_Seconds the Rust core takes for ``n`` counter increments (benchmark helper)."""
