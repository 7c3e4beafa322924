"""Plain result types returned by the native module (immutable NamedTuples)."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Decision", "LockInfo"]


class LockInfo(NamedTuple):
    """A lock as any observer sees it (:meth:`Store.lock_info`)."""

    held: bool
    """Whether some owner holds an unexpired lease now."""
    fencing_token: int
    """The fencing token of the latest acquisition (0 if never acquired)."""
    expires_in: float | None
    """Seconds left on the current lease, or None when the lock is free."""


class Decision(NamedTuple):
    """The outcome of :meth:`RateLimiter.allow` or :meth:`RateLimiter.peek`."""

    allowed: bool
    """Whether the request was admitted (for ``peek``: whether a cost-1 request would be)."""
    remaining: int
    """Cost that could still be admitted right now."""
    reset_after: float
    """Seconds until everything admitted so far has left the window (full capacity again)."""
    retry_after: float
    """When refused: seconds until this request's cost would fit; 0.0 when allowed."""
