"""The sliding-window rate limiter: exact under threads, decision fields, sliding, arguments."""

from __future__ import annotations

import math
import threading
import time

import pytest

import grovekv

THREADS = 8
LIMIT = 1_000


@pytest.mark.parametrize("round_", range(5))
def test_eight_threads_admit_exactly_the_limit(db: grovekv.Store, round_: int) -> None:
    rl = db.rate_limiter("api", limit=LIMIT, window=3600.0)
    key = f"client-{round_}"
    admitted = [0] * THREADS
    refused = [0] * THREADS
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def worker(i: int) -> None:
        barrier.wait()
        try:
            for _ in range(2 * LIMIT // THREADS):
                if rl.allow(key).allowed:
                    admitted[i] += 1
                else:
                    refused[i] += 1
        except BaseException as e:  # includes a Rust panic (pyo3 PanicException)
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(admitted) == LIMIT
    assert sum(refused) == LIMIT
    d = rl.peek(key)
    assert not d.allowed and d.remaining == 0
    assert rl.allow("someone-else").allowed  # keys are independent


def test_decision_fields(db: grovekv.Store) -> None:
    rl = db.rate_limiter("api", limit=3, window=60.0)
    assert rl.name == "api"
    assert rl.limit == 3
    assert rl.window == 60.0
    assert "api" in repr(rl)

    fresh = rl.peek("k")
    assert isinstance(fresh, grovekv.Decision)
    assert fresh == grovekv.Decision(True, 3, 0.0, 0.0)

    d = rl.allow("k")
    allowed, remaining, reset_after, retry_after = d  # a NamedTuple unpacks
    assert allowed is True and remaining == 2
    assert isinstance(reset_after, float) and 59.0 < reset_after <= 60.0
    assert retry_after == 0.0
    assert rl.peek("k").remaining == 2  # peek records nothing
    assert rl.peek("k").remaining == 2

    d = rl.allow("k", cost=2)
    assert d.allowed and d.remaining == 0
    d = rl.allow("k")
    assert d.allowed is False
    assert d.remaining == 0
    assert 59.0 < d.retry_after <= 60.0
    assert 59.0 < d.reset_after <= 60.0
    assert rl.allow("k", cost=0).allowed  # cost 0 always fits and records nothing
    assert db.kind("ratelimit:api:k") == "ratelimit"

    assert rl.reset("k") is True
    assert rl.reset("k") is False
    assert rl.peek("k") == grovekv.Decision(True, 3, 0.0, 0.0)
    assert rl.allow("k", cost=3).allowed


def test_the_window_slides(db: grovekv.Store) -> None:
    rl = db.rate_limiter("slide", limit=2, window=0.3)
    assert rl.allow("k").allowed
    assert rl.allow("k").allowed
    refused = rl.allow("k")
    assert not refused.allowed
    assert 0.0 < refused.retry_after <= 0.3
    time.sleep(refused.retry_after + 0.05)
    assert rl.allow("k").allowed


def test_limiters_share_state_by_name(db: grovekv.Store) -> None:
    a = db.rate_limiter("shared", limit=2, window=60.0)
    b = db.rate_limiter("shared", limit=2, window=60.0)
    assert a.allow("k").allowed
    assert b.allow("k").allowed
    assert not a.allow("k").allowed
    assert db.rate_limiter("other", limit=2, window=60.0).allow("k").allowed


def test_cost_above_the_limit_is_invalid(db: grovekv.Store) -> None:
    rl = db.rate_limiter("api", limit=5, window=60.0)
    with pytest.raises(grovekv.InvalidArgumentError) as info:
        rl.allow("k", cost=6)
    assert info.value.kind == "InvalidArgument"
    assert isinstance(info.value, ValueError)
    assert rl.peek("k").remaining == 5  # nothing recorded


@pytest.mark.parametrize("bad", [0.0, -1.0, 0.0001, math.nan, math.inf])
def test_bad_windows_are_invalid(db: grovekv.Store, bad: float) -> None:
    with pytest.raises(grovekv.InvalidArgumentError):
        db.rate_limiter("api", limit=5, window=bad)


def test_bad_arguments(db: grovekv.Store) -> None:
    with pytest.raises(grovekv.InvalidArgumentError):
        db.rate_limiter("api", limit=0, window=1.0)
    with pytest.raises(grovekv.InvalidArgumentError):
        db.rate_limiter("api", limit=-1, window=1.0)
    with pytest.raises(grovekv.InvalidArgumentError):
        db.rate_limiter("", limit=1, window=1.0)
    with pytest.raises(TypeError):
        db.rate_limiter("api", limit=1.5, window=1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.rate_limiter("api", limit=1, window="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.rate_limiter(1, limit=1, window=1.0)  # type: ignore[arg-type]
    rl = db.rate_limiter("api", limit=5, window=60.0)
    with pytest.raises(grovekv.InvalidArgumentError):
        rl.allow("k", cost=-1)
    with pytest.raises(grovekv.InvalidArgumentError):
        rl.allow("k", cost=2**64)
    with pytest.raises(grovekv.InvalidArgumentError):
        rl.allow("")
    with pytest.raises(TypeError):
        rl.allow("k", cost="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rl.allow(b"k")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rl.peek(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rl.reset(1)  # type: ignore[arg-type]
    db.set("ratelimit:api:str", "v")
    with pytest.raises(grovekv.WrongTypeError):
        rl.allow("str")
    with pytest.raises(grovekv.WrongTypeError):
        rl.reset("str")
    assert db.get("ratelimit:api:str") == b"v"
