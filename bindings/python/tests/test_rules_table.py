"""The shared table of bad inputs (tests/bad_input/rules.tsv), run through the Python door.

Each row names an operation, its arguments and the error kind the core gives; this file only
turns a row into a call. A new argument rule is a row in the table, not a test here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest

import grovekv

TABLE = Path(__file__).resolve().parents[3] / "tests" / "bad_input" / "rules.tsv"


def _rows() -> list[tuple[str, list[str], str]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        rows.append((fields[0], fields[1:-1], fields[-1]))
    return rows


ROWS = _rows()
IDS = [" ".join([op, *args])[:80] for op, args, _ in ROWS]


def _text(token: str, tmp: Path) -> str:
    if token == "{empty}":
        return ""
    if token == "{sled}":
        return str(tmp / "store")
    if token == "{lmdb}":
        return "lmdb:" + str(tmp / "store")
    m = re.fullmatch(r"\{x\*(\d+)\}", token)
    return "x" * int(m.group(1)) if m else token


def _secs(token: str) -> float | None:
    return None if token == "-" else float(token)


def _open(target: str, options: list[str], tmp: Path) -> None:
    kw: dict[str, Any] = {}
    for opt in options:
        name, _, value = opt.partition("=")
        if name == "flush_ms":
            kw["flush_every_ms"] = int(value)
        elif name == "durable":
            kw["durable"] = value == "1"
        elif name == "node_id":
            kw["node_id"] = _text(value, tmp)
        elif name == "connect_timeout_ms":
            kw["connect_timeout"] = int(value) / 1000
        elif name == "key_bytes":
            kw["encryption_key"] = b"k" * int(value)
        elif name == "old_key_bytes":
            kw["old_encryption_keys"] = [b"o" * int(value)]
        else:
            raise AssertionError(f"unknown open option {opt!r} in {TABLE}")
    grovekv.open(_text(target, tmp), **kw).close()


def _on_store(db: grovekv.Store, op: str, a: list[str], tmp: Path) -> None:
    if op == "set":
        db.set(_text(a[0], tmp), _text(a[1], tmp), ttl=_secs(a[2]))
    elif op == "counter":
        db.counter(_text(a[0], tmp)).get()
    elif op == "lock":
        db.lock(_text(a[0], tmp), ttl=float(a[1])).acquire()
    elif op == "leaderboard":
        len(db.leaderboard(_text(a[0], tmp)))
    elif op == "queue":
        db.queue(_text(a[0], tmp), visibility_timeout=float(a[1]), max_attempts=int(a[2])).stats()
    elif op == "rate_limiter":
        db.rate_limiter(_text(a[0], tmp), limit=int(a[1]), window=float(a[2])).peek("u")
    elif op == "sessions":
        db.sessions(ttl=float(a[0])).create({})
    elif op == "crdt":
        key = _text(a[1], tmp)
        read: dict[str, Callable[[], object]] = {
            "counter": lambda: db.crdt_counter(key).value(),
            "register": lambda: db.crdt_register(key).get(),
            "set": lambda: db.crdt_set(key).members(),
            "map": lambda: db.crdt_map(key).keys(),
        }
        read[a[0]]()
    elif op == "crdt_json":
        pytest.skip("Python's CRDTs take JSON values, not JSON text")
    elif op == "leaderboard_add":
        db.leaderboard("b").add(_text(a[0], tmp), float(a[1]))
    elif op == "leaderboard_incr":
        db.leaderboard("b").incr(_text(a[0], tmp), float(a[1]))
    elif op == "allow":
        db.rate_limiter("api", limit=int(a[0]), window=60).allow("u", cost=int(a[1]))
    elif op == "enqueue":
        db.queue("jobs").enqueue(b"job", delay=float(a[0]))
    elif op == "nack":
        db.queue("jobs").nack(1, delay=float(a[0]))
    elif op == "expire":
        db.expire(_text(a[0], tmp), float(a[1]))
    elif op == "try_decrement":
        db.counter("c").try_decrement(int(a[0]), floor=0)
    elif op == "try_increment":
        db.counter("c").try_increment(int(a[0]), cap=100)
    elif op == "compare_and_set":
        db.compare_and_set(_text(a[0], tmp), None, b"v")
    else:
        raise AssertionError(f"unknown op {op!r} in {TABLE}")


def test_table_is_read() -> None:
    assert len(ROWS) > 50
    assert all(hasattr(grovekv, kind + "Error") for _, _, kind in ROWS)


@pytest.mark.parametrize(("op", "args", "kind"), ROWS, ids=IDS)
def test_bad_input_row(
    op: str, args: list[str], kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a target wrongly taken for a path lands here
    error: type[grovekv.GroveError] = getattr(grovekv, kind + "Error")
    if op == "open":
        with pytest.raises(error) as info:
            _open(args[0], args[1:], tmp_path)
        assert not (tmp_path / "store").exists(), "a refused open left a store behind"
    else:
        with grovekv.open_memory() as db:
            with pytest.raises(error) as info:
                _on_store(db, op, args, tmp_path)
            assert list(db.keys()) == [], "a refused call wrote something"
    assert info.value.kind == kind
    assert str(info.value), "the error has a message"
