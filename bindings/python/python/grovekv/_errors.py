"""Grove's exceptions: one class per error kind of the core, each with ``.kind``.

The native module raises these by the core's error kind, never by message text.
"""

from __future__ import annotations

import builtins
from typing import ClassVar

__all__ = [
    "ClockDriftError",
    "ClosedError",
    "CorruptError",
    "EncryptionError",
    "GroveError",
    "InternalError",
    "InvalidArgumentError",
    "IoError",
    "LockTimeoutError",
    "NotFoundError",
    "OverflowError",
    "StoreLockedError",
    "WrongTypeError",
]


class GroveError(Exception):
    """Base class of every error Grove raises; ``.kind`` names the API.md error kind."""

    kind: ClassVar[str] = "Internal"


class NotFoundError(GroveError):
    """The key, job, session or member does not exist."""

    kind = "NotFound"


class WrongTypeError(GroveError):
    """The key holds another kind of value than the operation needs."""

    kind = "WrongType"


class InvalidArgumentError(GroveError, ValueError):
    """An argument is out of range or malformed; nothing was changed (also a ValueError)."""

    kind = "InvalidArgument"


class OverflowError(GroveError, builtins.OverflowError):
    """A checked 64-bit operation would overflow (also the builtin OverflowError).

    The name shadows the builtin only inside the ``grovekv`` namespace.
    """

    kind = "Overflow"


class ClosedError(GroveError):
    """The handle (or the store it came from) was closed."""

    kind = "Closed"


class StoreLockedError(GroveError):
    """Another process holds the store's directory; the message names the path."""

    kind = "StoreLocked"


class LockTimeoutError(GroveError):
    """A lock could not be acquired within the timeout."""

    kind = "LockTimeout"


class ClockDriftError(GroveError):
    """A remote timestamp is further in the future than the allowed drift."""

    kind = "ClockDrift"


class CorruptError(GroveError):
    """Stored or received bytes could not be decoded."""

    kind = "Corrupt"


class IoError(GroveError, OSError):
    """The operating system reported an I/O failure (also an OSError)."""

    kind = "Io"


class InternalError(GroveError):
    """A bug in Grove or in a dependency; please report it."""

    kind = "Internal"


class EncryptionError(GroveError):
    """A sealed value cannot be opened: the store was opened without its encryption key or with
    another one, or the stored bytes were altered or copied from another key."""

    kind = "Encryption"
