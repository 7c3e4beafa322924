"""The session store: unique ids, JSON data, sliding expiry, no resurrection, bad input."""

from __future__ import annotations

import math
import re
import time
from typing import Any

import pytest

import grovekv

ID = re.compile(r"[A-Za-z0-9_-]{43}")


def test_session_operations(db: grovekv.Store) -> None:
    s = db.sessions(ttl=1800, prefix="sess")
    assert s.ttl == 1800.0
    assert s.prefix == "sess"
    assert "sess" in repr(s)
    sid = s.create({"user": "ada", "roles": ["admin"]})
    assert ID.fullmatch(sid)
    assert s.exists(sid)
    assert s.get(sid) == {"user": "ada", "roles": ["admin"]}
    assert db.kind(f"sess:{sid}") == "session"
    assert s.update(sid, {"user": "ada", "cart": [1, 2]}) is True
    assert s.get(sid) == {"user": "ada", "cart": [1, 2]}
    assert s.touch(sid) is True
    assert s.delete(sid) is True
    assert s.delete(sid) is False
    assert s.get(sid) is None
    assert s.exists(sid) is False


def test_defaults_and_prefix(db: grovekv.Store) -> None:
    s = db.sessions()
    assert s.ttl == 1800.0 and s.prefix == "sess"
    sid = s.create(1)
    assert list(db.keys("sess:")) == [f"sess:{sid}"]
    app = db.sessions(ttl=60, prefix="app")
    aid = app.create(2)
    assert list(db.keys("app:")) == [f"app:{aid}"]
    assert app.get(sid) is None  # another prefix is another store
    assert s.get(aid) is None
    view = db.namespace("tenant").sessions()
    vid = view.create(3)
    assert db.exists(f"tenant:sess:{vid}")
    assert s.get(vid) is None


def test_one_hundred_thousand_unique_ids() -> None:
    with grovekv.open_memory() as db:
        s = db.sessions(ttl=60)
        ids = {s.create(None) for _ in range(100_000)}
    assert len(ids) == 100_000
    assert all(ID.fullmatch(i) for i in ids)


@pytest.mark.parametrize(
    "data",
    [
        {"a": [1, 2.5, None, True, False, "ü ✓ 😀"], "b": {"c": {"d": []}}, "": 0},
        [[], {}, [[[]]], -(2**70), 2**70, 1e-300],
        "just a string",
        "",
        0,
        3.25,
        True,
        [None],
    ],
)
def test_json_round_trip(db: grovekv.Store, data: Any) -> None:
    s = db.sessions(ttl=60)
    sid = s.create(data)
    assert s.get(sid) == data
    assert s.update(sid, {"again": data})
    assert s.get(sid) == {"again": data}


def test_stored_as_compact_json(db: grovekv.Store) -> None:
    s = db.sessions(ttl=60)
    sid = s.create({"a": [1, 2], "é": None})
    # A raw read of a session key is a WrongTypeError, so check through an equivalent JSON.
    assert s.get(sid) == {"a": [1, 2], "é": None}
    assert s.create(None) != s.create(None)
    tuple_id = s.create((1, 2))
    assert s.get(tuple_id) == [1, 2]  # JSON has only arrays


def test_null_data_is_distinct_from_absence_via_exists(db: grovekv.Store) -> None:
    s = db.sessions(ttl=60)
    sid = s.create(None)
    assert s.get(sid) is None
    assert s.exists(sid) is True


def test_expiry_and_no_resurrection(db: grovekv.Store) -> None:
    s = db.sessions(ttl=0.2)
    sid = s.create({"n": 1})
    assert s.exists(sid)
    time.sleep(0.3)
    assert s.get(sid) is None
    assert s.exists(sid) is False
    assert s.update(sid, {"n": 2}) is False
    assert s.touch(sid) is False
    assert s.delete(sid) is False
    assert s.exists(sid) is False
    assert s.get(sid) is None
    assert list(db.keys("sess:")) == []


def test_touch_slides_the_ttl(db: grovekv.Store) -> None:
    s = db.sessions(ttl=0.4)
    sid = s.create("x")
    time.sleep(0.25)
    assert s.touch(sid) is True
    time.sleep(0.25)
    assert s.exists(sid)  # 0.5 s after create, 0.25 s after touch
    assert s.update(sid, "y") is True  # update restarts the TTL too
    time.sleep(0.25)
    assert s.get(sid) == "y"
    time.sleep(0.3)
    assert s.exists(sid) is False


def test_missing_sessions_are_never_created(db: grovekv.Store) -> None:
    s = db.sessions(ttl=60)
    missing = "A" * 43
    assert s.update(missing, {"evil": True}) is False
    assert s.touch(missing) is False
    assert s.exists(missing) is False
    assert s.get(missing) is None
    assert list(db.keys()) == []


@pytest.mark.parametrize(
    "bad_id",
    ["", "short", "A" * 42, "A" * 44, "!" * 43, "A" * 42 + "=", "A" * 42 + "\udc80", "../" * 15],
)
def test_malformed_ids_are_simply_not_found(db: grovekv.Store, bad_id: str) -> None:
    s = db.sessions(ttl=60)
    s.create("real")
    assert s.get(bad_id) is None
    assert s.exists(bad_id) is False
    assert s.update(bad_id, 1) is False
    assert s.touch(bad_id) is False
    assert s.delete(bad_id) is False
    assert len(list(db.keys("sess:"))) == 1


def test_non_json_data_is_rejected_and_stored_data_untouched(db: grovekv.Store) -> None:
    s = db.sessions(ttl=60)
    sid = s.create({"ok": 1})
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    for bad in (object(), {1, 2}, b"bytes", {"k": object()}, {(1, 2): 3}):
        with pytest.raises(TypeError):
            s.create(bad)
        with pytest.raises(TypeError):
            s.update(sid, bad)
    for bad in (math.nan, math.inf, [1.0, -math.inf], cyclic, "\udc80"):
        with pytest.raises(grovekv.InvalidArgumentError):
            s.create(bad)
        with pytest.raises(grovekv.InvalidArgumentError):
            s.update(sid, bad)
    assert s.get(sid) == {"ok": 1}
    assert len(list(db.keys("sess:"))) == 1
    too_big = "x" * (grovekv.MAX_VALUE_LEN + 1)
    with pytest.raises(grovekv.InvalidArgumentError):
        s.create(too_big)
    with pytest.raises(grovekv.InvalidArgumentError):
        s.update(sid, too_big)
    assert s.get(sid) == {"ok": 1}


def test_bad_arguments(db: grovekv.Store) -> None:
    for bad_ttl in (0, -1.0, math.nan, math.inf):
        with pytest.raises(grovekv.InvalidArgumentError):
            db.sessions(ttl=bad_ttl)
    with pytest.raises(grovekv.InvalidArgumentError):
        db.sessions(prefix="")
    with pytest.raises(TypeError):
        db.sessions(ttl="60")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.sessions(prefix=b"p")  # type: ignore[arg-type]
    s = db.sessions(ttl=60)
    for op in (s.get, s.exists, s.touch, s.delete):
        with pytest.raises(TypeError):
            op(b"A" * 43)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            op(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        s.update(1, {})  # type: ignore[arg-type]
