"""The CRDT types one store at a time: counter, register, set and map, their state bytes, the
shared test vectors, bad input, threads and closed handles."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import grovekv

VECTORS = Path(__file__).resolve().parents[3] / "tests" / "vectors"


def vector(name: str) -> bytes:
    """The bytes of ``tests/vectors/<name>`` at the repository root."""
    return (VECTORS / name).read_bytes()


# --- PN-counter ---------------------------------------------------------------------------------


def test_counter_operations(db: grovekv.Store) -> None:
    c = db.crdt_counter("crdt:views")
    assert c.key == "crdt:views"
    assert c.value() == 0
    assert c.totals() == (0, 0)
    assert c.contributions() == {}
    assert c.increment() == 1
    assert c.increment(5) == 6
    assert c.decrement() == 5
    assert c.decrement(3) == 2
    assert c.add(-4) == -2
    assert c.add(10) == 8
    assert c.value() == 8
    assert c.totals() == (16, 8)
    assert c.contributions() == {db.node_id: (16, 8)}
    assert c.reset_local() == 0
    assert c.totals() == (16, 16)
    assert db.kind("crdt:views") == "crdt-counter"
    assert "CrdtCounter" in repr(c)


def test_counter_arguments(db: grovekv.Store) -> None:
    c = db.crdt_counter("c")
    with pytest.raises(grovekv.InvalidArgumentError):
        c.increment(-1)
    with pytest.raises(grovekv.InvalidArgumentError):
        c.decrement(-5)
    with pytest.raises(grovekv.InvalidArgumentError):
        c.add(2**63)
    with pytest.raises(TypeError):
        c.increment(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        c.add("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.crdt_counter(b"c")  # type: ignore[arg-type]
    assert c.value() == 0


def test_counter_overflow_is_an_error_and_keeps_the_value(db: grovekv.Store) -> None:
    c = db.crdt_counter("c")
    assert c.increment(2**63 - 1) == 2**63 - 1
    with pytest.raises(grovekv.OverflowError):
        c.increment(1)  # the value would leave the signed 64-bit range: refused, not wrapped
    with pytest.raises(grovekv.OverflowError):
        c.increment(2**64 - 1)
    assert c.value() == 2**63 - 1
    assert c.totals() == (2**63 - 1, 0)
    assert c.add(-(2**63)) == -1
    with pytest.raises(grovekv.OverflowError):
        c.decrement(2**63)
    assert c.value() == -1


def test_counter_state_merge(db: grovekv.Store) -> None:
    other = grovekv.open_memory(node_id="other")
    try:
        mine, theirs = db.crdt_counter("c"), other.crdt_counter("c")
        mine.increment(3)
        theirs.increment(4)
        theirs.decrement(1)
        assert mine.merge(theirs.state()) is True
        assert mine.merge(bytearray(theirs.state())) is False  # idempotent
        assert mine.merge(memoryview(theirs.state())) is False
        assert mine.value() == 6
        assert mine.contributions() == {db.node_id: (3, 0), "other": (4, 1)}
        mine.reset_local()  # a monotone update: merging the old state back does not undo it
        assert mine.merge(theirs.state()) is False
        assert mine.value() == 3
        with pytest.raises(TypeError):
            mine.merge("GRV")  # type: ignore[arg-type]
    finally:
        other.close()


# --- LWW register -------------------------------------------------------------------------------

JSON_VALUES: list[Any] = [
    "text",
    "ünïcødé ✓",
    0,
    -(2**63),
    2**64 - 1,
    2.5,
    True,
    False,
    [1, "two", [3.0], {"four": None}],
    {"b": 1, "a": {"z": [], "y": {}}},
]


@pytest.mark.parametrize("value", JSON_VALUES)
def test_register_round_trips_json(db: grovekv.Store, value: Any) -> None:
    r = db.crdt_register("r")
    assert r.get() is None
    r.set(value)
    assert r.get() == value


def test_register_last_write_wins_and_canonical_text(db: grovekv.Store) -> None:
    r = db.crdt_register("r")
    r.set({"b": 1, "a": 2})
    r.set("second")
    assert r.get() == "second"
    r.set({"b": 1, "a": 2})
    got = r.get()
    assert got == {"a": 2, "b": 1}
    assert list(got) == ["a", "b"]  # the core keeps canonical JSON: sorted keys
    r.set(None)  # JSON null reads back as None, like an unset register
    assert r.get() is None


def test_register_refuses_what_json_cannot_hold(db: grovekv.Store) -> None:
    r = db.crdt_register("r")
    r.set("kept")
    with pytest.raises(grovekv.InvalidArgumentError):
        r.set(float("nan"))
    with pytest.raises(grovekv.InvalidArgumentError):
        r.set(float("inf"))
    with pytest.raises(grovekv.InvalidArgumentError):
        r.set({"big": 2**64})  # would come back as a float with lost digits
    with pytest.raises(grovekv.InvalidArgumentError):
        r.set([-(2**63) - 1])
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(grovekv.InvalidArgumentError):
        r.set(cyclic)
    with pytest.raises(TypeError):
        r.set({1, 2})
    with pytest.raises(TypeError):
        r.set(b"bytes")
    with pytest.raises(TypeError):
        r.set(object())
    assert r.get() == "kept"


# --- add-wins set -------------------------------------------------------------------------------


def test_set_operations(db: grovekv.Store) -> None:
    s = db.crdt_set("tags")
    assert len(s) == 0
    assert s.members() == []
    s.add("go")
    s.add("crdt")
    s.add("go")
    s.add({"b": 1, "a": 2})
    s.add(7)
    assert len(s) == 4
    assert s.contains("go")
    assert "crdt" in s
    assert s.contains({"a": 2, "b": 1})  # identity is the canonical JSON
    assert not s.contains("rust")
    # in the byte order of their canonical JSON: '"crdt"' < '"go"' < '7' < '{"a":2,"b":1}'
    assert s.members() == ["crdt", "go", 7, {"a": 2, "b": 1}]
    assert s.remove("go") is True
    assert s.remove("go") is False
    assert "go" not in s
    assert len(s) == 3
    with pytest.raises(TypeError):
        s.add({1, 2})
    with pytest.raises(grovekv.InvalidArgumentError):
        s.add(float("nan"))
    with pytest.raises(TypeError):
        s.contains(b"x")
    assert db.kind("tags") == "crdt-set"


def test_set_members_are_python_values(db: grovekv.Store) -> None:
    s = db.crdt_set("s")
    for v in ["a", 1, [1, 2], {"k": "v"}, None, True]:
        s.add(v)
    members = s.members()
    assert len(members) == 6
    for v in ["a", 1, [1, 2], {"k": "v"}, None, True]:
        assert v in members


def test_set_state_merge_add_wins(db: grovekv.Store) -> None:
    other = grovekv.open_memory(node_id="other")
    try:
        a, b = db.crdt_set("s"), other.crdt_set("s")
        a.add("x")
        assert b.merge(a.state()) is True
        b.remove("x")  # observed the add
        a.add("x")  # a concurrent, unobserved add
        a.merge(b.state())
        b.merge(a.state())
        assert a.members() == b.members() == ["x"]
    finally:
        other.close()


# --- LWW map ------------------------------------------------------------------------------------


def test_map_operations(db: grovekv.Store) -> None:
    m = db.crdt_map("crdt:config:app")
    assert m.get("missing") is None
    assert m.keys() == []
    assert m.all() == {}
    m.set("max_connections", 100)
    m.set("log_level", "info")
    m.set("limits", {"rps": 10, "burst": [1, 2]})
    m.set("log_level", "debug")
    assert m.get("log_level") == "debug"
    assert m.keys() == ["limits", "log_level", "max_connections"]
    assert m.all() == {
        "limits": {"burst": [1, 2], "rps": 10},
        "log_level": "debug",
        "max_connections": 100,
    }
    assert m.delete("log_level") is True
    assert m.delete("log_level") is False
    assert m.delete("never") is False
    assert m.get("log_level") is None
    assert m.keys() == ["limits", "max_connections"]
    with pytest.raises(TypeError):
        m.set(1, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        m.get(b"f")  # type: ignore[arg-type]
    with pytest.raises(grovekv.InvalidArgumentError):
        m.set("f", float("nan"))
    assert "f" not in m.keys()


# --- types, vectors and drift -------------------------------------------------------------------


def test_wrong_type(db: grovekv.Store) -> None:
    db.crdt_counter("c").increment()
    db.set("plain", b"bytes")
    with pytest.raises(grovekv.WrongTypeError):
        db.crdt_register("c").get()
    with pytest.raises(grovekv.WrongTypeError):
        db.crdt_set("c").add("x")
    with pytest.raises(grovekv.WrongTypeError):
        db.crdt_map("plain").set("f", 1)
    with pytest.raises(grovekv.WrongTypeError):
        db.get("c")
    with pytest.raises(grovekv.WrongTypeError):
        db.crdt_map("m").merge(db.crdt_counter("c").state())
    assert db.crdt_map("m").all() == {}
    assert db.crdt_counter("c").value() == 1


def test_vector_future_register_is_clock_drift_and_leaves_state(db: grovekv.Store) -> None:
    r = db.crdt_register("crdt:user:42:name")
    r.set("ada")
    before = r.state()
    with pytest.raises(grovekv.ClockDriftError):
        r.merge(vector("register_future.bin"))
    assert r.state() == before
    assert r.get() == "ada"
    empty = db.crdt_register("never-set")
    with pytest.raises(grovekv.ClockDriftError):
        empty.merge(vector("register_future.bin"))
    assert empty.get() is None
    assert db.kind("never-set") is None


def test_max_drift_setting(db: grovekv.Store) -> None:
    assert db.max_drift == 60.0
    db.max_drift = 5.0
    assert db.max_drift == 5.0
    db.set_max_drift(100 * 365 * 86400)  # a century: the year-2100 stamp is now acceptable
    r = db.crdt_register("r")
    assert r.merge(vector("register_future.bin")) is True
    assert r.get() is not None
    with pytest.raises(grovekv.InvalidArgumentError):
        db.set_max_drift(-1)
    with pytest.raises(grovekv.InvalidArgumentError):
        db.max_drift = float("nan")
    with pytest.raises(TypeError):
        db.set_max_drift("60")  # type: ignore[arg-type]


def test_vector_counter_state(db: grovekv.Store) -> None:
    data = vector("counter_us_east_100.bin")
    c = db.crdt_counter("views")
    assert c.merge(data) is True
    assert c.value() == 100
    assert c.contributions() == {"us-east-1": (100, 0)}
    for wrong in (db.crdt_register("r"), db.crdt_set("s"), db.crdt_map("m")):
        with pytest.raises(grovekv.WrongTypeError):
            wrong.merge(data)
        assert db.kind(wrong.key) is None


def test_vector_bundle_and_garbage(db: grovekv.Store) -> None:
    report = db.apply_changes(vector("bundle_us_east.bin"))
    assert report == grovekv.SyncReport(pulled=2, pushed=0, merged=0)
    assert isinstance(report, grovekv.SyncReport)
    assert db.crdt_counter("crdt:page:home:views").value() == 100
    assert db.crdt_set("crdt:tags:article:1").members() == ["go"]
    assert db.apply_changes(vector("bundle_us_east.bin")) == (0, 0, 0)
    garbage = vector("garbage.bin")
    with pytest.raises(grovekv.CorruptError):
        db.apply_changes(garbage)
    for crdt in (
        db.crdt_counter("g1"),
        db.crdt_register("g2"),
        db.crdt_set("g3"),
        db.crdt_map("g4"),
    ):
        with pytest.raises(grovekv.CorruptError):
            crdt.merge(garbage)
        with pytest.raises(grovekv.CorruptError):
            crdt.merge(b"")
    with pytest.raises(TypeError):
        db.apply_changes("GRVX")  # type: ignore[arg-type]
    assert sorted(db.keys()) == ["crdt:page:home:views", "crdt:tags:article:1"]


def test_bundle_with_a_wrong_type_entry_applies_nothing(db: grovekv.Store) -> None:
    db.crdt_map("crdt:tags:article:1").set("f", 1)  # the bundle holds a set at this key
    with pytest.raises(grovekv.WrongTypeError):
        db.apply_changes(vector("bundle_us_east.bin"))
    assert not db.exists("crdt:page:home:views")


# --- threads and closed handles -----------------------------------------------------------------


def test_threads_increment_exactly(db: grovekv.Store) -> None:
    threads, per_thread = 8, 1500
    c = db.crdt_counter("hits")
    barrier = threading.Barrier(threads)

    def work() -> None:
        barrier.wait()
        for i in range(per_thread):
            if i % 3 == 2:
                c.decrement()
            else:
                c.increment(2)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert c.totals() == (threads * per_thread // 3 * 2 * 2, threads * per_thread // 3)
    assert c.value() == threads * per_thread


def test_closed_store_raises_closed() -> None:
    db = grovekv.open_memory()
    c = db.crdt_counter("c")
    r = db.crdt_register("r")
    s = db.crdt_set("s")
    m = db.crdt_map("m")
    c.increment()
    state = c.state()
    other = grovekv.open_memory()
    db.close()
    calls: list[Any] = [
        c.value,
        c.increment,
        c.totals,
        c.contributions,
        c.reset_local,
        c.state,
        lambda: c.merge(state),
        lambda: c.merge(b"garbage"),
        r.get,
        lambda: r.set(1),
        s.members,
        lambda: len(s),
        lambda: s.add("x"),
        lambda: "x" in s,
        m.all,
        m.keys,
        lambda: m.set("f", 1),
        lambda: db.crdt_counter("c"),
        lambda: db.crdt_map("m"),
        db.export_changes,
        lambda: db.apply_changes(b"garbage"),
        lambda: db.set_max_drift(1.0),
        lambda: grovekv.sync(db, other),
        lambda: grovekv.sync(other, db),
    ]
    for call in calls:
        with pytest.raises(grovekv.ClosedError):
            call()
    other.close()
    assert "closed=True" in repr(m)
