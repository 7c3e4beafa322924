"""Opening, closing, durability, node ids, namespaces and the cross-process lock."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import grovekv


def test_open_memory_basics() -> None:
    db = grovekv.open_memory()
    assert db.path is None
    assert db.closed is False
    assert db.prefix == ""
    assert len(db.node_id) > 0
    assert db.size_on_disk() == 0
    assert ":memory:" in repr(db)
    db.flush()
    db.close()
    assert db.closed is True
    assert "closed=True" in repr(db)


def test_memory_stores_are_independent() -> None:
    a, b = grovekv.open_memory(), grovekv.open_memory()
    a.set("k", "a")
    assert b.get("k") is None


def test_open_sled_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with grovekv.open(path) as db:
        assert db.path == os.path.realpath(path)
        node = db.node_id
        db.set("k", "v")
        db.counter("c").increment(7)
        db.flush()
        assert db.size_on_disk() > 0
    assert db.closed
    with grovekv.open(str(path)) as db:
        assert db.node_id == node  # generated once, then persisted
        assert db.get("k") == b"v"
        assert db.counter("c").get() == 7


def test_node_id_given_and_validated(tmp_path: Path) -> None:
    with grovekv.open(tmp_path / "n", node_id="replica-1") as db:
        assert db.node_id == "replica-1"
    assert grovekv.open_memory(node_id="mem.1").node_id == "mem.1"
    with pytest.raises(grovekv.InvalidArgumentError):
        grovekv.open_memory(node_id="has space")
    with pytest.raises(grovekv.InvalidArgumentError):
        grovekv.open(tmp_path / "m", node_id="")
    with pytest.raises(TypeError):
        grovekv.open_memory(node_id=5)  # type: ignore[arg-type]


def test_durability_options(tmp_path: Path) -> None:
    with grovekv.open(tmp_path / "d", durable=True) as db:
        db.set("k", "v")
        assert db.counter("c").increment() == 1
    with grovekv.open(tmp_path / "p", flush_every_ms=20) as db:
        db.set("k", "v")
    with pytest.raises(grovekv.InvalidArgumentError):
        grovekv.open(tmp_path / "x", durable=True, flush_every_ms=10)
    with pytest.raises(grovekv.InvalidArgumentError):
        grovekv.open(tmp_path / "x", flush_every_ms=0)
    with pytest.raises(grovekv.InvalidArgumentError):
        grovekv.open(tmp_path / "x", flush_every_ms=-5)
    with pytest.raises(TypeError):
        grovekv.open(tmp_path / "x", durable="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        grovekv.open(tmp_path / "x", flush_every_ms=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        grovekv.open(42)  # type: ignore[arg-type]


def test_connect_timeout(tmp_path: Path, black_hole: str) -> None:
    """``connect_timeout`` reaches the core, which checks it: 0 or less, or any value on an
    engine with no server, is InvalidArgumentError; an unreachable server is IoError naming it."""
    sled = tmp_path / "sled"
    for target in [str(sled), f"sled:{sled}", f"lmdb:{sled}", "memory:"]:
        with pytest.raises(grovekv.InvalidArgumentError, match="connect_timeout"):
            grovekv.open(target, connect_timeout=1.0)
    assert not sled.exists()
    for bad in [0, 0.0, -1.5]:
        with pytest.raises(grovekv.InvalidArgumentError, match="connect_timeout"):
            grovekv.open("redis://127.0.0.1:1", connect_timeout=bad)
    with pytest.raises(TypeError):
        grovekv.open("redis://127.0.0.1:1", connect_timeout="1")  # type: ignore[arg-type]

    # Connection refused: IoError at once, naming the address (an int is seconds too).
    for t in [2.0, 2, 1e-6]:
        with pytest.raises(grovekv.IoError, match=re.escape("127.0.0.1:1")):
            grovekv.open("redis://127.0.0.1:1", connect_timeout=t)
    # A non-routable address: IoError naming it within the 0.2 s timeout (3 s is a correctness
    # bound; the default timeout is 5 s).
    start = time.monotonic()
    with pytest.raises(grovekv.IoError, match=re.escape("10.255.255.1:6379")):
        grovekv.open("redis://10.255.255.1:6379", connect_timeout=0.2)
    assert time.monotonic() - start < 3.0
    # A server that never completes the handshake: IoError after the 0.2 s given.
    start = time.monotonic()
    with pytest.raises(grovekv.IoError, match=re.escape(black_hole)):
        grovekv.open(f"redis://{black_hole}", connect_timeout=0.2)
    assert 0.15 <= time.monotonic() - start < 3.0

    url = os.environ.get("GROVE_TEST_REDIS")
    if url:
        with grovekv.open(url, connect_timeout=2.0) as db:
            db.flush()


def test_reply_timeout(tmp_path: Path) -> None:
    """``reply_timeout`` reaches the core: 0 or less, or any value on an engine with no server,
    is InvalidArgumentError; a server that stopped answering fails a call with IoError after it
    instead of hanging it, and the store works again once the server does."""
    for target in [str(tmp_path / "sled"), f"lmdb:{tmp_path / 'l'}", "memory:"]:
        with pytest.raises(grovekv.InvalidArgumentError, match="reply_timeout"):
            grovekv.open(target, reply_timeout=1.0)
    with pytest.raises(TypeError):
        grovekv.open("redis://127.0.0.1:1", reply_timeout="1")  # type: ignore[arg-type]
    if not os.environ.get("GROVE_TEST_REDIS"):
        pytest.skip("GROVE_TEST_REDIS is not set: no redis-server to stop")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            *("redis-server", "--port", str(port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(tmp_path)),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)
        with pytest.raises(grovekv.InvalidArgumentError, match="reply_timeout"):
            grovekv.open(url, reply_timeout=0)
        with grovekv.open(url, reply_timeout=0.3) as db:
            counter = db.counter("hits")
            assert counter.increment() == 1
            server.send_signal(signal.SIGSTOP)
            start = time.monotonic()
            with pytest.raises(grovekv.IoError, match="no reply within the reply timeout"):
                counter.increment()
            assert time.monotonic() - start < 3.0
            server.send_signal(signal.SIGCONT)
            assert counter.increment() in (2, 3)  # the write that timed out may have applied
    finally:
        server.send_signal(signal.SIGCONT)
        server.kill()
        server.wait()


def test_open_bad_path_is_io_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(grovekv.IoError) as info:
        grovekv.open(blocker / "sub")
    assert isinstance(info.value, OSError)
    assert info.value.kind == "Io"
    with pytest.raises(grovekv.InvalidArgumentError):
        grovekv.open("")


def test_same_path_in_process_shares_the_engine(tmp_path: Path) -> None:
    a = grovekv.open(tmp_path / "s")
    b = grovekv.open(tmp_path / "s")
    a.counter("c").increment()
    assert b.counter("c").get() == 1
    a.close()
    assert b.counter("c").increment() == 2  # b keeps the engine open
    with pytest.raises(grovekv.ClosedError):
        a.counter("c")
    with pytest.raises(grovekv.InvalidArgumentError):
        grovekv.open(tmp_path / "s", node_id="other-id")
    b.close()


def test_context_manager_closes_on_error(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), grovekv.open(tmp_path / "c") as db:
        raise RuntimeError("boom")
    assert db.closed
    with pytest.raises(grovekv.ClosedError), db:
        pass


def test_namespaces(db: grovekv.Store) -> None:
    a = db.namespace("tenant-a")
    b = db.namespace("tenant-b")
    assert a.prefix == "tenant-a:"
    a.set("k", "A")
    b.set("k", "B")
    assert a.get("k") == b"A"
    assert b.get("k") == b"B"
    assert db.get("tenant-a:k") == b"A"
    assert db.get("k") is None
    a.counter("hits").increment(3)
    assert db.counter("hits").get() == 0
    assert db.kind("tenant-a:counter:hits") == "counter"
    assert list(a.keys()) == ["counter:hits", "k"]
    assert sorted(db.keys("tenant-")) == ["tenant-a:counter:hits", "tenant-a:k", "tenant-b:k"]
    nested = a.namespace("inner")
    nested.set("x", "1")
    assert nested.prefix == "tenant-a:inner:"
    assert a.get("inner:x") == b"1"
    a.set("t", "v", ttl=0.01)
    time.sleep(0.05)
    assert a.purge_expired() == 1
    assert a.node_id == db.node_id
    with pytest.raises(grovekv.InvalidArgumentError):
        db.namespace("")


def _store_calls(name: str, s: grovekv.Store) -> list[tuple[str, Callable[[], object]]]:
    """Every key/value operation on ``s``, as named zero-argument calls."""
    return [
        (f"{name}.get", lambda: s.get("k")),
        (f"{name}.set", lambda: s.set("k", "v")),
        (f"{name}.delete", lambda: s.delete("k")),
        (f"{name}.exists", lambda: s.exists("k")),
        (f"{name}.kind", lambda: s.kind("k")),
        (f"{name}.expire", lambda: s.expire("k", 1)),
        (f"{name}.persist", lambda: s.persist("k")),
        (f"{name}.ttl", lambda: s.ttl("k")),
        (f"{name}.keys", lambda: s.keys()),
        (f"{name}.get_many", lambda: s.get_many(["k"])),
        (f"{name}.set_many", lambda: s.set_many({"k": "v"})),
        (f"{name}.purge_expired", s.purge_expired),
        (f"{name}.flush", s.flush),
        (f"{name}.size_on_disk", s.size_on_disk),
        (f"{name}.counter", lambda: s.counter("other")),
        (f"{name}.namespace", lambda: s.namespace("w")),
        (f"{name}.lock", lambda: s.lock("l", ttl=1.0)),
        (f"{name}.lock_info", lambda: s.lock_info("l")),
        (f"{name}.rate_limiter", lambda: s.rate_limiter("r", limit=1, window=1.0)),
        (f"{name}.sessions", lambda: s.sessions()),
        (f"{name}.leaderboard", lambda: s.leaderboard("b")),
        (f"{name}.queue", lambda: s.queue("q")),
    ]


def _counter_calls(name: str, c: grovekv.Counter) -> list[tuple[str, Callable[[], object]]]:
    """Every operation on counter ``c``, as named zero-argument calls."""
    return [
        (f"{name}.increment", c.increment),
        (f"{name}.decrement", c.decrement),
        (f"{name}.get", c.get),
        (f"{name}.set", lambda: c.set(1)),
        (f"{name}.reset", c.reset),
    ]


def _closed_calls(
    db: grovekv.Store,
) -> list[tuple[str, Callable[[], object]]]:
    """Every operation on everything made from ``db`` (views, counters, locks, ...) before close."""
    view = db.namespace("v")
    counter = db.counter("c")
    view_counter = view.counter("c")
    db.set("k", "v")
    it = db.keys()
    lock = view.lock("l", ttl=10.0)
    assert lock.acquire()
    limiter = db.rate_limiter("r", limit=5, window=60.0)
    sessions = view.sessions(ttl=60.0)
    sid = sessions.create({"a": 1})
    board = view.leaderboard("b")
    board.add("m", 1)
    assert board.rank("m") == 0  # the in-memory index is built: it must still refuse
    queue = db.queue("q")
    job_id = queue.enqueue("x")
    calls: list[tuple[str, Callable[[], object]]] = [
        ("iterator", lambda: next(it)),
        ("lock.acquire", lock.acquire),
        ("lock.release", lock.release),
        ("lock.extend", lambda: lock.extend(1.0)),
        ("lock.held", lock.held),
        ("lock.fencing_token", lambda: lock.fencing_token),
        ("lock.__enter__", lock.__enter__),
        ("limiter.allow", lambda: limiter.allow("k")),
        ("limiter.peek", lambda: limiter.peek("k")),
        ("limiter.reset", lambda: limiter.reset("k")),
        ("sessions.create", lambda: sessions.create({})),
        ("sessions.get", lambda: sessions.get(sid)),
        ("sessions.get malformed", lambda: sessions.get("bad id")),
        ("sessions.update", lambda: sessions.update(sid, 2)),
        ("sessions.touch", lambda: sessions.touch(sid)),
        ("sessions.delete", lambda: sessions.delete(sid)),
        ("sessions.exists", lambda: sessions.exists("bad id")),
        ("board.add", lambda: board.add("m", 2)),
        ("board.incr", lambda: board.incr("m", 2)),
        ("board.score", lambda: board.score("m")),
        ("board.rank", lambda: board.rank("m")),
        ("board.top", lambda: board.top(3)),
        ("board.range", lambda: board.range(0, 3)),
        ("board.around", lambda: board.around("m", 1)),
        ("board.remove", lambda: board.remove("m")),
        ("board.clear", board.clear),
        ("board.__len__", lambda: len(board)),
        ("queue.enqueue", lambda: queue.enqueue("y")),
        ("queue.dequeue", queue.dequeue),
        ("queue.dequeue waiting", lambda: queue.dequeue(timeout=0.2)),
        ("queue.ack", lambda: queue.ack(job_id)),
        ("queue.nack", lambda: queue.nack(job_id)),
        ("queue.stats", queue.stats),
        ("queue.dead_letters", queue.dead_letters),
    ]
    for store_name, s in (("root", db), ("view", view)):
        calls += _store_calls(store_name, s)
    for name, c in (("counter", counter), ("view counter", view_counter)):
        calls += _counter_calls(name, c)
    return calls


@pytest.mark.parametrize("close_via", ["root", "view"])
def test_everything_made_from_a_closed_handle_raises_closed(
    db: grovekv.Store, close_via: str
) -> None:
    calls = _closed_calls(db)
    if close_via == "root":
        db.close()
    else:
        db.namespace("closer").close()  # closing a view closes the handle it shares
    assert db.closed
    for name, call in calls:
        with pytest.raises(grovekv.ClosedError) as info:
            call()
        assert info.value.kind == "Closed", name
    db.close()  # closing twice is fine
    assert isinstance(db.node_id, str)  # plain attributes stay readable


CHILD = textwrap.dedent(
    """
    import sys
    import grovekv
    db = grovekv.open(sys.argv[1])
    db.counter("c").increment()
    db.flush()
    print("ready", flush=True)
    sys.stdin.read()
    db.close()
    """
)


def test_store_held_by_another_process_is_store_locked(tmp_path: Path) -> None:
    path = tmp_path / "locked"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        with pytest.raises(grovekv.StoreLockedError) as info:
            grovekv.open(path)
        assert info.value.kind == "StoreLocked"
        assert os.path.realpath(path) in str(info.value)
    finally:
        assert child.stdin is not None
        child.stdin.close()
        assert child.wait(timeout=30) == 0
    with grovekv.open(path) as db:  # released once the other process closed it
        assert db.counter("c").get() == 1
