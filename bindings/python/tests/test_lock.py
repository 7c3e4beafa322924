"""The distributed lock: mutual exclusion under threads, fencing, ownership, expiry, `with`."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import pytest

import grovekv

THREADS = 8
ACQUISITIONS = 10_000


def test_lock_basics(db: grovekv.Store) -> None:
    lock = db.lock("deploy", ttl=10.0)
    assert lock.name == "deploy"
    assert lock.key == "lock:deploy"
    assert lock.ttl == 10.0
    assert lock.timeout is None
    assert "deploy" in repr(lock)
    assert lock.fencing_token == 0
    assert lock.held() is False
    assert db.lock_info("deploy") == grovekv.LockInfo(False, 0, None)

    assert lock.acquire() is True
    assert lock.held() is True
    assert lock.fencing_token == 1
    info = db.lock_info("deploy")
    assert isinstance(info, grovekv.LockInfo)
    held, token, expires_in = info  # a NamedTuple unpacks
    assert held is True and token == 1
    assert expires_in is not None and 9.0 < expires_in <= 10.0
    assert db.exists("lock:deploy")
    assert db.kind("lock:deploy") == "lock"

    assert lock.extend(60.0) is True
    expires_in = db.lock_info("deploy").expires_in
    assert expires_in is not None and 59.0 < expires_in <= 60.0

    assert lock.release() is True
    assert lock.release() is False  # no longer ours
    assert lock.held() is False
    assert lock.fencing_token == 1  # the latest acquisition's token stays readable
    assert db.lock_info("deploy") == grovekv.LockInfo(False, 1, None)
    assert lock.acquire() is True
    assert lock.fencing_token == 2


def test_eight_threads_never_overlap_and_fencing_tokens_increase(db: grovekv.Store) -> None:
    guard = threading.Lock()  # protects the bookkeeping only, not the critical section
    inside = 0
    overlaps = 0
    tokens: list[int] = []
    failed_tries = 0
    errors: list[BaseException] = []

    def worker() -> None:
        nonlocal inside, overlaps, failed_tries
        lock = db.lock("critical", ttl=30.0)  # one owner object per thread
        try:
            for _ in range(ACQUISITIONS // THREADS):
                while not lock.acquire(timeout=0.0):
                    with guard:
                        failed_tries += 1
                    time.sleep(0)
                with guard:
                    inside += 1
                    if inside > 1:
                        overlaps += 1
                tokens.append(lock.fencing_token)  # in acquisition order: sections are exclusive
                time.sleep(0)  # let other threads run (and fail to acquire) while we hold it
                with guard:
                    inside -= 1
                assert lock.release() is True
        except BaseException as e:  # surfaced by the main thread
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert overlaps == 0
    assert len(tokens) == ACQUISITIONS
    assert all(a < b for a, b in zip(tokens, tokens[1:])), "fencing tokens must strictly increase"
    assert tokens == list(range(1, ACQUISITIONS + 1))
    assert failed_tries > 0, "the threads never actually contended"
    assert db.lock_info("critical") == grovekv.LockInfo(False, ACQUISITIONS, None)


def test_non_owner_release_and_extend_change_nothing(db: grovekv.Store) -> None:
    owner = db.lock("res", ttl=10.0)
    other = db.lock("res", ttl=10.0)
    assert owner.acquire()
    before = db.lock_info("res")
    assert other.release() is False  # never acquired
    assert other.extend(100.0) is False
    assert other.held() is False
    assert other.acquire() is False  # held by owner
    assert other.release() is False
    assert other.extend(100.0) is False
    after = db.lock_info("res")
    assert after.held and after.fencing_token == before.fencing_token == 1
    assert after.expires_in is not None and after.expires_in <= 10.0  # not extended
    assert owner.held() is True
    assert owner.release() is True


def test_expired_lease_is_taken_over_and_the_old_owner_is_powerless(db: grovekv.Store) -> None:
    first = db.lock("job", ttl=0.2)
    second = db.lock("job", ttl=10.0)
    assert first.acquire()
    assert second.acquire() is False
    time.sleep(0.3)
    assert first.held() is False  # the lease ran out
    assert db.lock_info("job").held is False
    assert second.acquire() is True
    assert second.fencing_token > first.fencing_token
    # The old owner can neither release nor extend the new owner's lease.
    assert first.release() is False
    assert first.extend(10.0) is False
    assert second.held() is True
    assert db.lock_info("job").fencing_token == second.fencing_token
    assert second.release() is True


def test_with_statement_acquires_and_releases(db: grovekv.Store) -> None:
    with db.lock("deploy", ttl=10) as lock:
        assert isinstance(lock, grovekv.Lock)
        assert lock.held()
        assert lock.fencing_token == 1
        assert db.lock_info("deploy").held
    assert not db.lock_info("deploy").held

    with pytest.raises(RuntimeError, match="boom"), db.lock("deploy", ttl=10) as lock:
        raise RuntimeError("boom")
    assert not db.lock_info("deploy").held  # released on the way out of an exception
    assert lock.fencing_token == 2


def test_with_statement_raises_lock_timeout(db: grovekv.Store) -> None:
    holder = db.lock("deploy", ttl=10.0)
    assert holder.acquire()
    waiter = db.lock("deploy", ttl=10.0, timeout=0.1)
    assert waiter.timeout == pytest.approx(0.1)
    ran = False
    start = time.monotonic()
    with pytest.raises(grovekv.LockTimeoutError) as info, waiter:
        ran = True
    assert 0.09 <= time.monotonic() - start < 2.0
    assert not ran
    assert info.value.kind == "LockTimeout"
    assert "deploy" in str(info.value)
    assert holder.held()  # the failed attempt changed nothing
    assert db.lock_info("deploy").fencing_token == 1


def test_timeouts(db: grovekv.Store) -> None:
    holder = db.lock("t", ttl=10.0)
    waiter = db.lock("t", ttl=10.0)
    assert holder.acquire()
    start = time.monotonic()
    assert waiter.acquire() is False  # timeout 0: one try
    assert waiter.acquire(0) is False
    assert time.monotonic() - start < 0.05
    start = time.monotonic()
    assert waiter.acquire(timeout=0.2, retry_interval=0.01) is False
    assert 0.19 <= time.monotonic() - start < 2.0


def test_waiting_acquire_gets_the_lock_once_released(db: grovekv.Store) -> None:
    holder = db.lock("w", ttl=10.0)
    waiter = db.lock("w", ttl=10.0)
    assert holder.acquire()
    timer = threading.Timer(0.2, holder.release)
    timer.start()
    start = time.monotonic()
    try:
        assert waiter.acquire(timeout=5.0, retry_interval=0.01) is True
    finally:
        timer.join()
    assert 0.15 <= time.monotonic() - start < 4.0
    assert waiter.fencing_token == 2
    # timeout=None waits until acquired.
    timer = threading.Timer(0.1, waiter.release)
    timer.start()
    try:
        assert holder.acquire(timeout=None, retry_interval=0.01) is True
    finally:
        timer.join()


def test_waiting_acquire_releases_the_gil(db: grovekv.Store) -> None:
    holder = db.lock("gil", ttl=10.0)
    waiter = db.lock("gil", ttl=10.0)
    assert holder.acquire()
    result: list[bool] = []
    # A long retry interval: if the wait held the GIL, this thread would stall for the whole wait.
    thread = threading.Thread(
        target=lambda: result.append(waiter.acquire(timeout=1.0, retry_interval=0.5))
    )
    ticks = 0
    longest_gap = 0.0
    start = last = time.monotonic()
    thread.start()
    while thread.is_alive():
        ticks += 1
        now = time.monotonic()
        longest_gap = max(longest_gap, now - last)
        last = now
        time.sleep(0.001)
    assert result == [False]
    assert time.monotonic() - start >= 0.95
    assert ticks > 50, f"the main thread made little progress ({ticks} ticks)"
    assert longest_gap < 0.4, f"the main thread stalled for {longest_gap:.3f} s"


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_bad_durations_are_invalid_arguments(db: grovekv.Store, bad: float) -> None:
    lock = db.lock("x", ttl=1.0)
    with pytest.raises(grovekv.InvalidArgumentError):
        db.lock("x", ttl=bad)
    with pytest.raises(grovekv.InvalidArgumentError):
        db.lock("x", ttl=1.0, timeout=bad)
    with pytest.raises(grovekv.InvalidArgumentError):
        lock.acquire(timeout=bad)
    with pytest.raises(grovekv.InvalidArgumentError):
        lock.acquire(retry_interval=bad)
    assert lock.acquire()
    with pytest.raises(grovekv.InvalidArgumentError):
        lock.extend(bad)
    assert lock.held()


def test_bad_arguments(db: grovekv.Store) -> None:
    with pytest.raises(grovekv.InvalidArgumentError):
        db.lock("", ttl=1.0)
    with pytest.raises(grovekv.InvalidArgumentError):
        db.lock("x", ttl=0)  # a lease must last
    lock = db.lock("x", ttl=1.0)
    assert lock.acquire()
    with pytest.raises(grovekv.InvalidArgumentError):
        lock.extend(0)
    with pytest.raises(TypeError):
        db.lock(b"x", ttl=1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.lock("x", ttl="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.lock("x", ttl=1.0, timeout="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        lock.acquire(timeout="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        lock.acquire(retry_interval=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        lock.extend("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.lock_info(1)  # type: ignore[arg-type]
    with pytest.raises(grovekv.WrongTypeError):
        db.set("lock:str", "v")
        db.lock("str", ttl=1.0).acquire()
    assert db.get("lock:str") == b"v"


def test_locks_live_in_namespaces(db: grovekv.Store) -> None:
    a = db.namespace("a").lock("x", ttl=10.0)
    b = db.namespace("b").lock("x", ttl=10.0)
    assert a.acquire() and b.acquire()
    assert db.namespace("a").lock_info("x").held
    assert not db.lock_info("x").held


def test_fencing_tokens_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "db"
    with grovekv.open(path) as db:
        lock = db.lock("deploy", ttl=0.3)
        for _ in range(3):
            assert lock.acquire()
            assert lock.release()
        assert lock.acquire()  # left held: the lease expires on its own
    with grovekv.open(path) as db:
        assert db.lock_info("deploy").fencing_token == 4
        lock = db.lock("deploy", ttl=10.0)
        assert lock.acquire(timeout=5.0, retry_interval=0.01)
        assert lock.fencing_token == 5
