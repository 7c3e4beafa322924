"""grovekv: Grove's coordination primitives for Python.

KV with TTL, atomic counters, distributed locks with fencing tokens, sliding-window rate limiters,
a session store, leaderboards, job queues and CRDTs (PN-counter, LWW register, add-wins set, LWW
map) that replicate between stores with :func:`sync` or ``export_changes``/``apply_changes``, over
one embedded engine (sled on disk, or memory).

    >>> import grovekv
    >>> with grovekv.open_memory() as db:
    ...     db.counter("visitors").increment()
    1

Every call that touches the store releases the GIL; objects are safe to share between threads.
For asyncio, :mod:`grovekv.aio` is the same API with ``async`` methods.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Union

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
from grovekv._native import (
    MAX_KEY_LEN,
    MAX_VALUE_LEN,
    Counter,
    CrdtCounter,
    CrdtMap,
    CrdtRegister,
    CrdtSet,
    KeyIterator,
    Leaderboard,
    Lock,
    Queue,
    RateLimiter,
    Sessions,
    Store,
    __version__,
    sync,
)
from grovekv._native import open as _open
from grovekv._native import open_memory as _open_memory
from grovekv._types import Decision, Job, LockInfo, OpMetrics, QueueStats, Ranked, SyncReport

__all__ = [
    "DEFAULT_COMPRESS_MIN_BYTES",
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
    "open",
    "open_memory",
    "sync",
]

for _cls in (
    GroveError,
    NotFoundError,
    WrongTypeError,
    InvalidArgumentError,
    OverflowError,
    ClosedError,
    StoreLockedError,
    LockTimeoutError,
    ClockDriftError,
    CorruptError,
    IoError,
    InternalError,
    EncryptionError,
):
    _cls.__module__ = "grovekv"
for _tuple in (Decision, Job, LockInfo, OpMetrics, QueueStats, Ranked, SyncReport):
    _tuple.__module__ = "grovekv"
del _cls, _tuple

StrPath = Union[str, "os.PathLike[str]"]


def _check_node_id(node_id: object) -> None:
    """Raises TypeError unless ``node_id`` is None or a str, InvalidArgumentError if that str
    is not valid Unicode (a lone surrogate); the core checks the rest."""
    if node_id is not None and not isinstance(node_id, str):
        raise TypeError(f"node_id must be str or None, not {type(node_id).__name__}")
    if node_id is not None:
        try:
            node_id.encode("utf-8")
        except UnicodeEncodeError as e:
            raise InvalidArgumentError(f"node_id is not valid Unicode: {e}") from None


def _check_path(path: StrPath) -> None:
    """Raises InvalidArgumentError for a path the file system encoding cannot encode (a lone
    surrogate that ``surrogateescape`` does not map back to a byte): it has no bytes to pass on.
    The core checks the rest (empty, a NUL byte, the scheme)."""
    raw: str | bytes = os.fspath(path)
    if isinstance(raw, bytes):
        return
    try:
        os.fsencode(raw)
    except UnicodeEncodeError as e:
        raise InvalidArgumentError(f"store path {raw!r} cannot be encoded: {e}") from None


_KeyBytes = Union[bytes, bytearray, memoryview]

DEFAULT_COMPRESS_MIN_BYTES = 1024
"""The default ``compress_min_bytes``: with ``compress=True``, values of at least this many bytes
are stored zstd-compressed."""


def _key_bytes(key: object, what: str) -> bytes:
    """``key`` as bytes (TypeError unless bytes-like); the core checks its length."""
    if not isinstance(key, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} must be bytes, not {type(key).__name__}")
    return bytes(key)


def _codec_args(
    compress: bool,
    compress_min_bytes: int,
    encryption_key: _KeyBytes | None,
    old_encryption_keys: Iterable[_KeyBytes],
) -> tuple[int | None, bytes | None, list[bytes]]:
    """The native arguments of the compression and encryption options, type-checked."""
    if not isinstance(compress, bool):
        raise TypeError(f"compress must be bool, not {type(compress).__name__}")
    if isinstance(compress_min_bytes, bool) or not isinstance(compress_min_bytes, int):
        raise TypeError(f"compress_min_bytes must be int, not {type(compress_min_bytes).__name__}")
    if not 0 <= compress_min_bytes < 2**64:
        raise InvalidArgumentError(
            f"compress_min_bytes must be a number of bytes >= 0, got {compress_min_bytes}"
        )
    key = None if encryption_key is None else _key_bytes(encryption_key, "encryption_key")
    if isinstance(old_encryption_keys, (bytes, bytearray, memoryview, str)):
        raise TypeError("old_encryption_keys must be a list of keys, not one key")
    old = [_key_bytes(k, "each of old_encryption_keys") for k in old_encryption_keys]
    return (min(compress_min_bytes, 2**63) if compress else None), key, old


def open(
    path: StrPath,
    node_id: str | None = None,
    durable: bool = False,
    flush_every_ms: int | None = None,
    *,
    connect_timeout: float | None = None,
    reply_timeout: float | None = None,
    compress: bool = False,
    compress_min_bytes: int = DEFAULT_COMPRESS_MIN_BYTES,
    encryption_key: _KeyBytes | None = None,
    old_encryption_keys: Iterable[_KeyBytes] = (),
) -> Store:
    """Opens (creating if needed) the store at ``path``: ``./data`` or ``sled:./data`` (sled),
    ``lmdb:./data``, ``memory:`` or ``redis://host:port[/db]``.

    ``durable=True`` fsyncs every write before it returns; otherwise writes are flushed in the
    background every ``flush_every_ms`` milliseconds (1 to 86400000, default 500; not together
    with ``durable=True``, which is :class:`InvalidArgumentError`) and ``flush()`` makes them
    durable at once. A path already open in this process shares its engine; a sled path held by
    another process raises :class:`StoreLockedError`. ``connect_timeout`` is the seconds a
    ``redis://`` store waits for its server (default 5.0) before an :class:`IoError` naming the
    address; ``reply_timeout`` the seconds it waits for each answer (default 20.0) before an
    :class:`IoError` that drops the connection (a server that stopped answering never hangs a
    call). 0 or less, or any value for an engine with no server, is
    :class:`InvalidArgumentError`.

    ``compress=True`` stores values of at least ``compress_min_bytes`` bytes (default 1024)
    zstd-compressed; reading never depends on it. ``encryption_key`` (32 bytes, e.g.
    ``secrets.token_bytes(32)`` or ``grove keygen``) seals every value written;
    ``old_encryption_keys`` are keys of earlier rotations whose values still open. A key of
    another length is :class:`InvalidArgumentError`; reading a sealed value without its key, or
    with another one, raises :class:`EncryptionError`. Key names stay plaintext, and so do
    counters, rate limiter state and leaderboard scores.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be str or os.PathLike, not {type(path).__name__}")
    _check_path(path)
    _check_node_id(node_id)
    if not isinstance(durable, bool):
        raise TypeError(f"durable must be bool, not {type(durable).__name__}")
    if flush_every_ms is not None:
        if isinstance(flush_every_ms, bool) or not isinstance(flush_every_ms, int):
            raise TypeError(f"flush_every_ms must be int, not {type(flush_every_ms).__name__}")
        if not 0 <= flush_every_ms < 2**64:  # no u64 holds it; the core checks the range
            raise InvalidArgumentError(
                f"flush_every_ms must be an int from 0 to 2**64-1, got {flush_every_ms}"
            )
    for what, secs in (("connect_timeout", connect_timeout), ("reply_timeout", reply_timeout)):
        if secs is not None and (isinstance(secs, bool) or not isinstance(secs, (int, float))):
            raise TypeError(f"{what} must be a number of seconds, not {type(secs).__name__}")
    min_bytes, key, old = _codec_args(
        compress, compress_min_bytes, encryption_key, old_encryption_keys
    )
    return _open(
        path,
        node_id,
        durable,
        flush_every_ms,
        connect_timeout=connect_timeout,
        reply_timeout=reply_timeout,
        compress_min_bytes=min_bytes,
        encryption_key=key,
        old_encryption_keys=old,
    )


def open_memory(
    node_id: str | None = None,
    *,
    compress: bool = False,
    compress_min_bytes: int = DEFAULT_COMPRESS_MIN_BYTES,
    encryption_key: _KeyBytes | None = None,
    old_encryption_keys: Iterable[_KeyBytes] = (),
) -> Store:
    """Opens a fresh in-memory store: the same semantics as :func:`open` (with its compression
    and encryption options), nothing on disk."""
    _check_node_id(node_id)
    min_bytes, key, old = _codec_args(
        compress, compress_min_bytes, encryption_key, old_encryption_keys
    )
    return _open_memory(
        node_id, compress_min_bytes=min_bytes, encryption_key=key, old_encryption_keys=old
    )
