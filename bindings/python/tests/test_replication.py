"""Replication: the seed stories, the Go Syncer scenario, sync reports, export/apply cursors, and
two processes exchanging change bundles through files."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import grovekv


@pytest.fixture(params=["sled", "memory"])
def pair(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[grovekv.Store, grovekv.Store]]:
    """Two replicas with their own node ids ("node-a", "node-b") on one backend."""
    if request.param == "sled":
        a = grovekv.open(tmp_path / "a", node_id="node-a")
        b = grovekv.open(tmp_path / "b", node_id="node-b")
    else:
        a = grovekv.open_memory(node_id="node-a")
        b = grovekv.open_memory(node_id="node-b")
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def snapshot(db: grovekv.Store) -> dict[str, Any]:
    """Every CRDT of the store as plain values, by key."""
    out: dict[str, Any] = {}
    for key in db.keys():
        kind = db.kind(key)
        if kind == "crdt-counter":
            c = db.crdt_counter(key)
            out[key] = (c.value(), c.contributions())
        elif kind == "crdt-register":
            out[key] = db.crdt_register(key).get()
        elif kind == "crdt-set":
            out[key] = db.crdt_set(key).members()
        elif kind == "crdt-map":
            out[key] = db.crdt_map(key).all()
    return out


# --- the seed stories ---------------------------------------------------------------------------


def test_seed_two_regions_count_page_views(tmp_path: Path) -> None:
    east = grovekv.open(tmp_path / "east", node_id="us-east-1")
    west = grovekv.open(tmp_path / "west", node_id="eu-west-1")
    try:
        east.crdt_counter("crdt:page:home:views").increment(100)
        west.crdt_counter("crdt:page:home:views").increment(250)
        assert grovekv.sync(east, west) == grovekv.SyncReport(pulled=0, pushed=0, merged=1)
        for db in (east, west):
            c = db.crdt_counter("crdt:page:home:views")
            assert c.value() == 350
            assert c.contributions() == {"us-east-1": (100, 0), "eu-west-1": (250, 0)}
        assert grovekv.sync(east, west) == (0, 0, 0)
    finally:
        east.close()
        west.close()


def test_seed_increment_and_decrement_across_nodes(
    pair: tuple[grovekv.Store, grovekv.Store],
) -> None:
    a, b = pair
    a.crdt_counter("stock").increment(5)
    b.crdt_counter("stock").increment(3)
    a.crdt_counter("stock").decrement(2)
    grovekv.sync(a, b)
    for db in pair:
        assert db.crdt_counter("stock").value() == 6
        assert db.crdt_counter("stock").totals() == (8, 2)


def test_seed_concurrent_tag_add_and_remove(pair: tuple[grovekv.Store, grovekv.Store]) -> None:
    a, b = pair
    tags_a, tags_b = a.crdt_set("crdt:tags:article:1"), b.crdt_set("crdt:tags:article:1")
    tags_a.add("go")
    tags_a.add("crdt")
    tags_b.add("distributed")
    assert tags_b.remove("crdt") is False  # node B never observed A's "crdt"
    grovekv.sync(a, b)
    for tags in (tags_a, tags_b):
        assert tags.members() == ["crdt", "distributed", "go"]
    # The documented concurrent update: A removes "api" while B adds it again: add wins.
    tags_a.add("api")
    grovekv.sync(a, b)
    assert tags_a.remove("api") is True
    tags_b.add("api")
    grovekv.sync(a, b)
    for tags in (tags_a, tags_b):
        assert "api" in tags


def test_seed_config_map_merges_per_field(pair: tuple[grovekv.Store, grovekv.Store]) -> None:
    a, b = pair
    cfg_a, cfg_b = a.crdt_map("crdt:config:app"), b.crdt_map("crdt:config:app")
    cfg_a.set("max_connections", 100)
    cfg_a.set("log_level", "info")
    cfg_b.set("log_level", "debug")
    cfg_b.set("feature_x", True)
    grovekv.sync(a, b)
    assert cfg_a.all() == cfg_b.all()
    assert cfg_a.keys() == ["feature_x", "log_level", "max_connections"]
    assert cfg_a.get("max_connections") == 100
    assert cfg_a.get("feature_x") is True
    assert cfg_a.get("log_level") in ("info", "debug")  # the later stamp wins, on both sides


# --- the Go Syncer scenario ---------------------------------------------------------------------


def test_every_type_survives_a_sync_unchanged(pair: tuple[grovekv.Store, grovekv.Store]) -> None:
    a, b = pair
    a.crdt_counter("views").increment(42)
    a.crdt_counter("views").decrement(2)
    a.crdt_register("name").set({"first": "Ada", "tags": [1, 2]})
    a.crdt_set("tags").add("go")
    a.crdt_set("tags").add({"k": 1})
    a.crdt_map("config").set("log_level", "info")
    a.crdt_map("config").set("limits", [1, 2, 3])
    b.crdt_counter("b-only").increment(7)
    b.crdt_register("b-name").set("Grace")
    b.crdt_set("b-tags").add(3)
    b.crdt_map("b-config").set("on", True)
    before_a, before_b = snapshot(a), snapshot(b)
    assert len(before_a) == 4 and len(before_b) == 4

    report = grovekv.sync(a, b)
    assert report == grovekv.SyncReport(pulled=4, pushed=4, merged=0)
    expected = {**before_a, **before_b}
    assert snapshot(a) == expected
    assert snapshot(b) == expected
    assert a.crdt_counter("views").value() == 40  # never an empty value written back

    assert grovekv.sync(a, b) == grovekv.SyncReport(0, 0, 0)
    assert grovekv.sync(b, a) == (0, 0, 0)
    assert snapshot(a) == snapshot(b) == expected


def test_map_delete_is_not_resurrected_by_an_older_concurrent_set(
    pair: tuple[grovekv.Store, grovekv.Store],
) -> None:
    a, b = pair
    a.crdt_map("cfg").set("flag", "on")
    a.crdt_map("cfg").set("other", 1)
    grovekv.sync(a, b)
    b.crdt_map("cfg").set("flag", "older")  # concurrent with the delete below, but earlier
    time.sleep(0.005)
    assert a.crdt_map("cfg").delete("flag") is True
    report = grovekv.sync(a, b)
    assert report.merged == 1
    for db in pair:
        assert db.crdt_map("cfg").get("flag") is None
        assert db.crdt_map("cfg").all() == {"other": 1}
    assert grovekv.sync(a, b) == (0, 0, 0)
    b.crdt_map("cfg").set("flag", "newer")  # a set after the delete does win
    grovekv.sync(a, b)
    assert a.crdt_map("cfg").get("flag") == "newer"


def test_future_stamp_refused_during_sync_leaves_both_untouched(
    pair: tuple[grovekv.Store, grovekv.Store],
) -> None:
    a, b = pair
    vectors = Path(__file__).resolve().parents[3] / "tests" / "vectors"
    b.set_max_drift(100 * 365 * 86400)  # b accepts the year-2100 stamp; a does not
    b.crdt_register("r").merge((vectors / "register_future.bin").read_bytes())
    a.crdt_register("r").set("local")
    before = a.crdt_register("r").state()
    with pytest.raises(grovekv.ClockDriftError):
        grovekv.sync(a, b)
    assert a.crdt_register("r").state() == before
    assert a.crdt_register("r").get() == "local"


def test_sync_refuses_same_node_and_same_engine(tmp_path: Path) -> None:
    x = grovekv.open_memory(node_id="same")
    y = grovekv.open_memory(node_id="same")
    d1 = grovekv.open(tmp_path / "d")
    d2 = grovekv.open(tmp_path / "d")  # the same engine, another handle
    try:
        with pytest.raises(grovekv.InvalidArgumentError):
            grovekv.sync(x, y)
        with pytest.raises(grovekv.InvalidArgumentError):
            grovekv.sync(x, x)
        with pytest.raises(grovekv.InvalidArgumentError):
            grovekv.sync(d1, d2)
        with pytest.raises(grovekv.InvalidArgumentError):
            grovekv.sync(d1, d1.namespace("view"))
        with pytest.raises(TypeError):
            grovekv.sync(x, "y")  # type: ignore[arg-type]
    finally:
        for db in (x, y, d1, d2):
            db.close()


# --- export_changes / apply_changes -------------------------------------------------------------


def test_export_since_cursor_carries_only_changes(
    pair: tuple[grovekv.Store, grovekv.Store],
) -> None:
    a, b = pair
    for i in range(20):
        a.crdt_counter(f"c{i}").increment(i + 1)
    a.set("plain", b"not a CRDT")
    full, cursor = a.export_changes()
    assert isinstance(full, bytes) and isinstance(cursor, int) and cursor > 0
    assert b.apply_changes(full) == grovekv.SyncReport(pulled=20, pushed=0, merged=0)
    assert not b.exists("plain")

    nothing, cursor2 = a.export_changes(since=cursor)
    assert cursor2 == cursor
    assert len(nothing) < len(full) // 10
    assert b.apply_changes(nothing) == (0, 0, 0)

    a.crdt_counter("c3").increment(100)
    a.crdt_set("new").add("x")
    delta, cursor3 = a.export_changes(cursor)
    assert cursor3 > cursor
    assert len(delta) < len(full) // 4
    assert b.apply_changes(delta) == grovekv.SyncReport(pulled=1, pushed=0, merged=1)
    assert b.crdt_counter("c3").value() == 104
    assert b.crdt_set("new").members() == ["x"]
    assert b.apply_changes(delta) == (0, 0, 0)  # applying twice is harmless

    with pytest.raises(grovekv.InvalidArgumentError):
        a.export_changes(-1)
    with pytest.raises(TypeError):
        a.export_changes("0")  # type: ignore[arg-type]


def test_namespaces_export_their_own_keys(pair: tuple[grovekv.Store, grovekv.Store]) -> None:
    a, b = pair
    a.namespace("t1").crdt_counter("c").increment(1)
    a.namespace("t2").crdt_counter("c").increment(2)
    data, _ = a.namespace("t1").export_changes()
    assert b.namespace("t9").apply_changes(data).pulled == 1
    assert b.namespace("t9").crdt_counter("c").value() == 1
    assert list(b.keys()) == ["t9:c"]


CHILD = textwrap.dedent(
    """
    import json, sys
    import grovekv

    path, mine, theirs, result = sys.argv[1:5]
    with grovekv.open(path, node_id="eu-west-1") as db:
        db.crdt_counter("crdt:page:home:views").increment(250)
        db.crdt_set("crdt:tags:article:1").add("distributed")
        db.crdt_map("crdt:config:app").set("feature_x", True)
        data, cursor = db.export_changes()
        with open(mine, "wb") as f:
            f.write(data)
        with open(theirs, "rb") as f:
            report = db.apply_changes(f.read())
        # A second round: only what changed since the cursor (the merges just applied).
        data, _ = db.export_changes(since=cursor)
        with open(mine + ".2", "wb") as f:
            f.write(data)
        out = {
            "report": list(report),
            "views": db.crdt_counter("crdt:page:home:views").value(),
            "tags": db.crdt_set("crdt:tags:article:1").members(),
            "config": db.crdt_map("crdt:config:app").all(),
            "name": db.crdt_register("crdt:user:42:name").get(),
        }
    with open(result, "w") as f:
        json.dump(out, f)
    """
)


def test_two_processes_converge_through_files(tmp_path: Path) -> None:
    with grovekv.open(tmp_path / "east", node_id="us-east-1") as db:
        db.crdt_counter("crdt:page:home:views").increment(100)
        db.crdt_set("crdt:tags:article:1").add("go")
        db.crdt_map("crdt:config:app").set("log_level", "info")
        db.crdt_register("crdt:user:42:name").set("Ada")
        data, _ = db.export_changes()
        (tmp_path / "east.bin").write_bytes(data)

        script = tmp_path / "child.py"
        script.write_text(CHILD)
        subprocess.run(
            [
                sys.executable,
                str(script),
                str(tmp_path / "west"),
                str(tmp_path / "west.bin"),
                str(tmp_path / "east.bin"),
                str(tmp_path / "result.json"),
            ],
            check=True,
            timeout=60,
        )
        child = json.loads((tmp_path / "result.json").read_text())
        assert child["report"] == [1, 0, 3]  # the register was new; counter, set and map merged

        assert db.apply_changes((tmp_path / "west.bin").read_bytes()) == (0, 0, 3)
        assert db.apply_changes((tmp_path / "west.bin.2").read_bytes()) == (0, 0, 0)
        mine = {
            "report": child["report"],
            "views": db.crdt_counter("crdt:page:home:views").value(),
            "tags": db.crdt_set("crdt:tags:article:1").members(),
            "config": db.crdt_map("crdt:config:app").all(),
            "name": db.crdt_register("crdt:user:42:name").get(),
        }
    assert mine == child
    assert child["views"] == 350
    assert child["tags"] == ["distributed", "go"]
    assert child["config"] == {"feature_x": True, "log_level": "info"}
    assert child["name"] == "Ada"
