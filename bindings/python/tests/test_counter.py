"""The atomic counter: every operation, overflow, argument checks, exact under threads."""

from __future__ import annotations

import threading

import pytest

import grovekv

I64_MAX = 2**63 - 1
I64_MIN = -(2**63)


def test_counter_operations(db: grovekv.Store) -> None:
    c = db.counter("visitors")
    assert c.name == "visitors"
    assert c.key == "counter:visitors"
    assert "visitors" in repr(c)
    assert c.get() == 0
    assert c.increment() == 1
    assert c.increment(5) == 6
    assert c.increment(-2) == 4
    assert c.decrement() == 3
    assert c.decrement(10) == -7
    assert c.get() == -7
    c.set(42)
    assert c.get() == 42
    c.reset()
    assert c.get() == 0
    assert db.exists("counter:visitors")


def test_counters_share_state_by_name(db: grovekv.Store) -> None:
    db.counter("a").increment(2)
    assert db.counter("a").get() == 2
    assert db.counter("b").get() == 0


def test_counter_limits_and_overflow(db: grovekv.Store) -> None:
    c = db.counter("big")
    c.set(I64_MAX)
    with pytest.raises(grovekv.OverflowError) as info:
        c.increment()
    assert info.value.kind == "Overflow"
    assert isinstance(info.value, OverflowError)  # the builtin
    assert isinstance(info.value, grovekv.GroveError)
    assert c.get() == I64_MAX
    c.set(I64_MIN)
    with pytest.raises(grovekv.OverflowError):
        c.decrement()
    with pytest.raises(grovekv.OverflowError):
        c.decrement(I64_MIN)  # -(-2**63) does not fit
    assert c.get() == I64_MIN


@pytest.mark.parametrize("bad", [2**63, -(2**63) - 1, 2**100])
def test_out_of_range_ints_are_invalid_arguments(db: grovekv.Store, bad: int) -> None:
    c = db.counter("c")
    c.set(5)
    with pytest.raises(grovekv.InvalidArgumentError, match="64-bit"):
        c.increment(bad)
    with pytest.raises(grovekv.InvalidArgumentError):
        c.decrement(bad)
    with pytest.raises(grovekv.InvalidArgumentError):
        c.set(bad)
    assert c.get() == 5


@pytest.mark.parametrize("bad", ["1", 1.0, None, b"1", [1]])
def test_non_int_arguments_are_type_errors(db: grovekv.Store, bad: object) -> None:
    c = db.counter("c")
    with pytest.raises(TypeError, match="must be an int"):
        c.increment(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        c.decrement(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        c.set(bad)  # type: ignore[arg-type]
    assert c.get() == 0


def test_empty_counter_name_is_invalid(db: grovekv.Store) -> None:
    with pytest.raises(grovekv.InvalidArgumentError):
        db.counter("")


def test_counter_wrong_type(db: grovekv.Store) -> None:
    db.set("counter:text", "not a number")
    c = db.counter("text")
    for op in (c.increment, c.decrement, c.get, c.reset):
        with pytest.raises(grovekv.WrongTypeError):
            op()
    with pytest.raises(grovekv.WrongTypeError):
        c.set(1)
    assert db.get("counter:text") == b"not a number"


def test_eight_threads_increment_exactly(db: grovekv.Store) -> None:
    threads, per_thread = 8, 20_000
    counter = db.counter("shared")
    start = threading.Barrier(threads)
    results: list[int] = []
    lock = threading.Lock()

    def work() -> None:
        c = db.counter("shared")  # each thread its own handle to the same counter
        start.wait()
        last = 0
        for _ in range(per_thread):
            last = c.increment()
        with lock:
            results.append(last)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert counter.get() == threads * per_thread
    assert max(results) == threads * per_thread


def test_threads_share_one_counter_object(db: grovekv.Store) -> None:
    c = db.counter("one-object")

    def work() -> None:
        for _ in range(2_000):
            c.increment(2)
            c.decrement()

    pool = [threading.Thread(target=work) for _ in range(4)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert c.get() == 4 * 2_000
