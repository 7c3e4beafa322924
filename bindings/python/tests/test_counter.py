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


def test_try_decrement_stops_at_the_floor(db: grovekv.Store) -> None:
    stock = db.counter("stock")
    stock.set(5)
    assert stock.try_decrement(3) == 2
    assert stock.try_decrement(3) is None  # would leave -1: refused, unchanged
    assert stock.get() == 2
    assert stock.try_decrement() == 1
    assert stock.try_decrement(1, floor=0) == 0
    assert stock.try_decrement() is None
    assert stock.try_decrement(0) == 0  # a zero delta is fine and changes nothing
    assert stock.try_decrement(5, floor=-5) == -5
    assert stock.try_decrement(1, floor=-5) is None
    assert stock.get() == -5
    # An unset counter is 0: the default floor refuses the first decrement.
    assert db.counter("empty").try_decrement() is None
    assert db.exists("counter:empty") is False
    # Past the 64-bit range is below every floor: refused, never an error.
    low = db.counter("low")
    low.set(I64_MIN + 1)
    assert low.try_decrement(2, floor=I64_MIN) is None
    assert low.try_decrement(1, floor=I64_MIN) == I64_MIN


def test_try_increment_stops_at_the_cap(db: grovekv.Store) -> None:
    seats = db.counter("seats")
    assert seats.try_increment(2, cap=3) == 2
    assert seats.try_increment(2, cap=3) is None
    assert seats.get() == 2
    assert seats.try_increment(1, 3) == 3
    assert seats.try_increment(cap=3) is None
    assert seats.try_increment() == 4  # the default cap is the 64-bit maximum
    high = db.counter("high")
    high.set(I64_MAX - 1)
    assert high.try_increment(2) is None
    assert high.try_increment() == I64_MAX
    assert high.try_increment() is None


def test_bounded_changes_take_a_non_negative_delta(db: grovekv.Store) -> None:
    c = db.counter("c")
    c.set(10)
    with pytest.raises(grovekv.InvalidArgumentError):
        c.try_decrement(-1)
    with pytest.raises(grovekv.InvalidArgumentError):
        c.try_increment(-1)
    with pytest.raises(TypeError):
        c.try_decrement(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        c.try_increment(1, cap="9")  # type: ignore[arg-type]
    assert c.get() == 10


def test_bounded_changes_on_another_kind_are_wrong_type(db: grovekv.Store) -> None:
    db.set("counter:text", b"not a number")
    with pytest.raises(grovekv.WrongTypeError):
        db.counter("text").try_decrement()
    with pytest.raises(grovekv.WrongTypeError):
        db.counter("text").try_increment()
    assert db.get("counter:text") == b"not a number"


def test_eight_threads_never_oversell(db: grovekv.Store) -> None:
    """The seed's inventory story: 8 buyers x 100 purchases from a stock of 500 sell 500."""
    threads, attempts, stock = 8, 100, 500
    db.counter("stock").set(stock)
    start = threading.Barrier(threads)
    sold: list[int] = []
    lock = threading.Lock()

    def buyer() -> None:
        c = db.counter("stock")
        start.wait()
        mine = 0
        for _ in range(attempts):
            if c.try_decrement(1) is not None:
                mine += 1
        with lock:
            sold.append(mine)

    pool = [threading.Thread(target=buyer) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert sum(sold) == stock
    assert db.counter("stock").get() == 0
