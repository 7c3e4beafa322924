"""Plain result types returned by the native module (immutable NamedTuples, one dataclass)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["Decision", "Job", "LockInfo", "OpMetrics", "QueueStats", "Ranked", "SyncReport"]


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


class Ranked(NamedTuple):
    """A leaderboard member with its rank and score (:meth:`Leaderboard.around`)."""

    rank: int
    """Position in the board, 0 for the highest score (ties ordered by member)."""
    member: str
    """The member."""
    score: float
    """Its score."""


class Job(NamedTuple):
    """A job delivered by :meth:`Queue.dequeue` (or listed by :meth:`Queue.dead_letters`)."""

    id: int
    """The job's id, unique in its queue; pass it to ``ack`` or ``nack``."""
    payload: bytes
    """The bytes given to ``enqueue`` (a str payload was stored as UTF-8)."""
    attempts: int
    """How many times the job has been delivered, this delivery included."""
    enqueued_at: float
    """When it was enqueued, in seconds since the Unix epoch (as ``time.time()``)."""


class QueueStats(NamedTuple):
    """Counts of a queue's jobs by state (:meth:`Queue.stats`)."""

    ready: int
    """Waiting for delivery, delayed jobs included."""
    in_flight: int
    """Delivered and not yet acked or nacked (a job whose visibility timeout passed stays here
    until it is delivered again)."""
    dead: int
    """Moved to the dead-letter list after ``max_attempts`` deliveries."""


class SyncReport(NamedTuple):
    """What :func:`grovekv.sync` or :meth:`Store.apply_changes` did, counted in CRDT keys."""

    pulled: int
    """Keys this side (``a`` for ``sync``) received that it did not have."""
    pushed: int
    """Keys the other side received that it did not have (0 for ``apply_changes``)."""
    merged: int
    """Keys both sides had whose merge changed at least one of them."""


@dataclass(frozen=True, slots=True)
class OpMetrics:
    """One operation's metrics, a value of :meth:`Store.metrics` (keyed ``"<primitive>.<op>"``).

    A frozen dataclass, not a NamedTuple: a tuple's ``count`` method would shadow the field.
    """

    count: int
    """Calls made through this handle (exact, failed ones included)."""
    errors: int
    """Calls that raised a GroveError (exact)."""
    p50_us: float
    """Median latency in microseconds, over the timed calls (one in 16, the first always)."""
    p99_us: float
    """99th percentile latency in microseconds, over the same timed calls."""
