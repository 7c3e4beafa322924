"""The bad-input matrix of the Python door.

Every public call of grovekv gets None, arguments of the wrong type, empty and oversized keys,
negative, NaN, infinite and huge numbers, invalid Unicode, keys holding another kind, garbage
state bytes, and a closed store. Each case asserts the exact exception class (API.md, README
"Types and errors") and then that the store's contents are unchanged: one store per backend is
populated with one of each kind (KV with and without TTL, counter, held lock, rate limiter
entries, a session, a leaderboard, queues with ready, in-flight and dead jobs, each CRDT), and its
snapshot is compared after every case. A case that did change data makes the fixture rebuild the
store, so one failure does not spread to the next case.

Conventions asserted here (the README spells them out): a Python-level wrong type is a
``TypeError``; a value of the right type that is out of range, empty, too long, NaN/infinite or
not valid Unicode is a ``grovekv.InvalidArgumentError`` (also a ``ValueError``); integers beyond
64 bits are out of range (``InvalidArgumentError``), never a ``TypeError``; a counter leaving the
signed 64-bit range is a ``grovekv.OverflowError``; another kind at the key is a
``WrongTypeError``; bytes that are not a Grove state or bundle are a ``CorruptError``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import grovekv

# An error message that fails to print its argument (str() of an int past 4300 digits raises)
# surfaces as an "unraisable exception" warning: make that a failure here.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

# ---------------------------------------------------------------------------------------------
# Bad values

MAX_KEY = grovekv.MAX_KEY_LEN
NAN = math.nan
INF = math.inf
HUGE = 10**400  # far beyond 64 bits, still printable
GIANT = 10**5000  # past Python's 4300-digit str() limit: messages must not try to print it
LONE = "\ud800"  # a lone surrogate: not valid Unicode, not encodable as UTF-8
NOT_UTF8 = b"\xff\xfe"
LONG_KEY = "k" * (MAX_KEY + 1)
LONG_UTF8_KEY = "\u00e9" * (MAX_KEY // 2 + 1)  # 513 characters, 1026 bytes
LONG_BYTES_KEY = b"k" * (MAX_KEY + 1)
OVER_100_YEARS = 100 * 365 * 86400 + 86400
BIG_TEXT = "x" * (grovekv.MAX_VALUE_LEN + 1)
BIG_BYTES = BIG_TEXT.encode()
SESSION_LIKE_ID = "A" * 43  # shaped like a session id; holds a plain string in the world


def _cycle() -> Any:
    a: list[Any] = []
    a.append(a)
    return a


def _nested(depth: int) -> Any:
    v: Any = 1
    for _ in range(depth):
        v = [v]
    return v


CYCLE = _cycle()
TOO_DEEP_FOR_PYTHON = _nested(10_000)  # json.dumps hits RecursionError
TOO_DEEP_FOR_CORE = _nested(200)  # fine for json.dumps, past the core's JSON nesting limit


def raising_iter() -> Iterator[str]:
    """An iterable of keys that fails half-way: its own exception must come through."""
    yield "kv:plain"
    raise RuntimeError("boom from the caller's iterator")


class ItemsOf:
    """A mapping-like object whose ``items()`` yields exactly the given rows."""

    def __init__(self, rows: list[Any]) -> None:
        self.rows = rows

    def items(self) -> list[Any]:
        return self.rows


class ItemsRaise:
    """A mapping-like object whose ``items()`` raises."""

    def items(self) -> list[Any]:
        raise RuntimeError("boom from the caller's mapping")


class IndexRaises:
    """An int-like object whose ``__index__`` raises."""

    def __index__(self) -> int:
        raise RuntimeError("boom from __index__")


class FloatRaises:
    """A float-like object whose ``__float__`` raises."""

    def __float__(self) -> float:
        raise RuntimeError("boom from __float__")


def A(x: object) -> Any:
    """``x`` typed as Any, so mypy lets the bad value through to the call under test."""
    return x


# ---------------------------------------------------------------------------------------------
# The populated store and its snapshot

WORLD_NODE = "world-node"
LB, QUEUE, DLQ = "scores", "jobs", "dlq"


@dataclass
class World:
    """A store holding one of each kind, with the handles the cases call."""

    db: grovekv.Store
    ns: grovekv.Store
    counter: grovekv.Counter
    holder: grovekv.Lock  # holds lock "deploy"
    rival: grovekv.Lock  # another would-be owner of "deploy"
    limiter: grovekv.RateLimiter
    sessions: grovekv.Sessions
    sid: str
    board: grovekv.Leaderboard
    queue: grovekv.Queue
    inflight: int  # the job id in flight on QUEUE
    cc: grovekv.CrdtCounter
    reg: grovekv.CrdtRegister
    cset: grovekv.CrdtSet
    cmap: grovekv.CrdtMap
    iterator: grovekv.KeyIterator
    # Bytes from other replicas.
    bundle_kv_as_crdt: bytes  # "kv:plain" as a crdt-counter, plus a new "crdt:fresh"
    bundle_crdt_as_other: bytes  # "crdt:counter" as a register, plus a new "crdt:fresh2"
    overflow_state: bytes  # a crdt-counter state whose merge leaves the 64-bit range here
    overflow_bundle: bytes
    path: Path | None = None
    witness: grovekv.Store | None = None  # a second handle of the same engine (sled only)
    baseline: dict[str, object] = field(default_factory=dict)
    dirty: bool = False  # set while a case runs; cleared once it proved nothing changed


def foreign_bytes() -> tuple[bytes, bytes, bytes, bytes]:
    """Change bundles and states made by other replicas."""
    a = grovekv.open_memory(node_id="foreign-a")
    a.crdt_set("crdt:fresh").add("must not arrive")
    a.crdt_counter("kv:plain").increment(1)
    kv_as_crdt, _ = a.export_changes()
    b = grovekv.open_memory(node_id="foreign-b")
    b.crdt_counter("crdt:fresh2").increment(1)
    b.crdt_register("crdt:counter").set("not a counter")
    crdt_as_other, _ = b.export_changes()
    c = grovekv.open_memory(node_id="foreign-c")
    c.crdt_counter("crdt:counter").increment(2**63 - 1)
    overflow_state = c.crdt_counter("crdt:counter").state()
    overflow_bundle, _ = c.export_changes()
    for s in (a, b, c):
        s.close()
    return kv_as_crdt, crdt_as_other, overflow_state, overflow_bundle


def populate(db: grovekv.Store, path: Path | None) -> World:
    """Writes one of each kind into ``db`` and returns the handles."""
    db.set("kv:plain", b"plain")
    db.set("kv:ttl", b"expiring", ttl=3600.0)
    db.set(b"kv:bin\xff", b"\x00\xff")
    db.set("counter:text", b"a string where a counter name points")
    db.set("lock:text", b"a string where a lock name points")
    db.set("ratelimit:api:text", b"a string where a rate-limit key points")
    db.set("sess:" + SESSION_LIKE_ID, b"a string where a session id points")
    ns = db.namespace("tenant")
    ns.set("k", b"namespaced")
    counter = db.counter("hits")
    counter.set(42)
    holder = db.lock("deploy", ttl=300.0)
    assert holder.acquire()
    rival = db.lock("deploy", ttl=300.0)
    limiter = db.rate_limiter("api", limit=5, window=300.0)
    limiter.allow("client")
    limiter.allow("client", cost=2)
    sessions = db.sessions(ttl=600.0)
    sid = sessions.create({"user": "ada", "cart": [1, 2]})
    board = db.leaderboard(LB)
    board.add("ada", 10)
    board.add("bob", 20.5)
    board.add("max", 1.7e308)
    queue = db.queue(QUEUE, visibility_timeout=300.0, max_attempts=3)
    for payload in (b"one", b"two", b"three"):
        queue.enqueue(payload)
    job = queue.dequeue()
    assert job is not None
    dlq = db.queue(DLQ, visibility_timeout=300.0, max_attempts=1)
    dlq.enqueue(b"doomed")
    doomed = dlq.dequeue()
    assert doomed is not None and dlq.nack(doomed.id)
    assert dlq.dequeue() is None  # attempts exhausted: now a dead letter
    cc = db.crdt_counter("crdt:counter")
    cc.increment(5)
    cc.decrement(2)
    reg = db.crdt_register("crdt:register")
    reg.set({"v": 1})
    cset = db.crdt_set("crdt:set")
    cset.add("x")
    cset.add(1)
    cmap = db.crdt_map("crdt:map")
    cmap.set("f", "v")
    cmap.set("g", [1])
    w = World(
        db,
        ns,
        counter,
        holder,
        rival,
        limiter,
        sessions,
        sid,
        board,
        queue,
        job.id,
        cc,
        reg,
        cset,
        cmap,
        db.keys(),
        *foreign_bytes(),
        path=path,
    )
    w.baseline = state(w)
    assert w.baseline["queue"] == ((2, 1, 0), [])
    assert w.baseline["dlq"] == ((0, 0, 1), [(doomed.id, b"doomed", 1)])
    return w


def snapshot(db: grovekv.Store, sid: str) -> dict[str, object]:
    """Everything observable in the populated store, read through fresh handles of ``db``."""
    keys = list(db.keys())
    kinds = [db.kind(k) for k in keys]
    q = db.queue(QUEUE, visibility_timeout=300.0, max_attempts=3)
    dlq = db.queue(DLQ, visibility_timeout=300.0, max_attempts=1)
    cc = db.crdt_counter("crdt:counter")
    reg = db.crdt_register("crdt:register")
    cset = db.crdt_set("crdt:set")
    cmap = db.crdt_map("crdt:map")
    board = db.leaderboard(LB)
    return {
        "keys": keys,
        "kinds": kinds,
        "expiring": [db.ttl(k) is not None for k in keys],
        "strings": {k: db.get(k) for k, kind in zip(keys, kinds) if kind == "string"},
        "counter": db.counter("hits").get(),
        "lock": tuple(db.lock_info("deploy"))[:2],
        "limiter": tuple(db.rate_limiter("api", 5, 300.0).peek("client"))[:2],
        "session": db.sessions(ttl=600.0).get(sid),
        "board": (board.top(10), len(board)),
        "queue": (tuple(q.stats()), [(j.id, j.payload, j.attempts) for j in q.dead_letters()]),
        "dlq": (tuple(dlq.stats()), [(j.id, j.payload, j.attempts) for j in dlq.dead_letters()]),
        "crdt_counter": (cc.value(), cc.totals(), cc.contributions(), cc.state()),
        "crdt_register": (reg.get(), reg.state()),
        "crdt_set": (cset.members(), cset.state()),
        "crdt_map": (cmap.all(), cmap.state()),
        # The bundle, not the cursor: a cursor is a position in the change sequence, which
        # every write attempt may advance (a refused one lands nothing, so no key is re-sent).
        "changes": db.export_changes(0)[0],
        "max_drift": db.max_drift,
        "namespace": db.namespace("tenant").get("k"),
    }


def state(w: World) -> dict[str, object]:
    """The snapshot plus what only the lock holder's own handle can tell."""
    s = snapshot(w.db, w.sid)
    s["holder"] = (w.holder.held(), w.holder.fencing_token)
    return s


def make_world(backend: str, tmp: pytest.TempPathFactory) -> World:
    if backend == "sled":
        path = tmp.mktemp("bad-input") / "db"
        return populate(grovekv.open(path, node_id=WORLD_NODE), path)
    return populate(grovekv.open_memory(node_id=WORLD_NODE), None)


BACKENDS = ["memory", "sled"]


@pytest.fixture(scope="module")
def worlds() -> Iterator[dict[str, World]]:
    """One open world per backend, shared by the cases of this module."""
    cache: dict[str, World] = {}
    yield cache
    for w in cache.values():
        w.db.close()


def is_intact(w: World) -> bool:
    try:
        return state(w) == w.baseline
    except Exception:
        return False


@pytest.fixture(params=BACKENDS)
def world(
    request: pytest.FixtureRequest,
    worlds: dict[str, World],
    tmp_path_factory: pytest.TempPathFactory,
) -> World:
    """The populated store of one backend; rebuilt if an earlier case changed it."""
    backend: str = request.param
    w = worlds.get(backend)
    if w is None or (w.dirty and not is_intact(w)):
        if w is not None:
            w.db.close()
        w = make_world(backend, tmp_path_factory)
        worlds[backend] = w
    w.dirty = True
    return w


# ---------------------------------------------------------------------------------------------
# Case tables

Call = Callable[[World], object]
Exc = type[BaseException]
IAE = grovekv.InvalidArgumentError
WTE = grovekv.WrongTypeError
COR = grovekv.CorruptError
OVF = grovekv.OverflowError


def case(id: str, exc: Exc, call: Call, core_bug: str | None = None) -> Any:
    marks = []
    if core_bug is not None:
        marks.append(pytest.mark.xfail(strict=True, reason=f"core bug: {core_bug}"))
    return pytest.param(call, exc, id=id, marks=marks)


# Keys (str or bytes): wrong Python types, then values of the right type that are invalid.
KEY_WRONG_TYPES: list[tuple[str, Any]] = [
    ("None", None),
    ("int", 1),
    ("float", 1.5),
    ("list", ["k"]),
    ("object", object()),
    ("memoryview", memoryview(b"kv:plain")),
]
KEY_INVALID: list[tuple[str, Any]] = [
    ("empty-str", ""),
    ("empty-bytes", b""),
    ("oversized-str", LONG_KEY),
    ("oversized-utf8", LONG_UTF8_KEY),
    ("oversized-bytes", LONG_BYTES_KEY),
    ("lone-surrogate", LONE),
]
KEY_CALLS: dict[str, Callable[[grovekv.Store, Any], object]] = {
    "get": lambda db, k: db.get(k),
    "set": lambda db, k: db.set(k, b"v"),
    "delete": lambda db, k: db.delete(k),
    "exists": lambda db, k: db.exists(k),
    "kind": lambda db, k: db.kind(k),
    "expire": lambda db, k: db.expire(k, 10.0),
    "persist": lambda db, k: db.persist(k),
    "ttl": lambda db, k: db.ttl(k),
    "get_many": lambda db, k: db.get_many(["kv:plain", k]),
    # Atomic: the valid first pair must not be written either.
    "set_many": lambda db, k: db.set_many(A(ItemsOf([("kv:new", b"1"), (k, b"v")]))),
    "set_if_absent": lambda db, k: db.set_if_absent(k, b"v"),
    "set_if_present": lambda db, k: db.set_if_present(k, b"v"),
    "compare_and_set": lambda db, k: db.compare_and_set(k, None, b"v"),
    "get_set": lambda db, k: db.get_set(k, b"v"),
    "get_delete": lambda db, k: db.get_delete(k),
}


def on_root(call: Callable[[grovekv.Store, Any], object], arg: Any) -> Call:
    return lambda w: call(w.db, arg)


def on_view(call: Callable[[grovekv.Store, Any], object], arg: Any) -> Call:
    return lambda w: call(w.ns, arg)


def key_cases() -> list[Any]:
    out = []
    for name, call in KEY_CALLS.items():
        for label, key in KEY_WRONG_TYPES:
            out.append(case(f"store.{name}-key-{label}", TypeError, on_root(call, key)))
        for label, key in KEY_INVALID:
            out.append(case(f"store.{name}-key-{label}", IAE, on_root(call, key)))
    for name in ("get", "set", "delete", "set_many", "set_if_absent", "get_delete"):
        for label, key in KEY_INVALID:
            out.append(case(f"view.{name}-key-{label}", IAE, on_view(KEY_CALLS[name], key)))
        out.append(case(f"view.{name}-key-None", TypeError, on_view(KEY_CALLS[name], None)))
    for label, prefix in [("int", 1), ("list", []), ("object", object())]:
        out.append(case(f"store.keys-prefix-{label}", TypeError, on_root(keys_call, prefix)))
    out.append(case("store.keys-prefix-lone-surrogate", IAE, on_root(keys_call, LONE)))
    return out


def keys_call(db: grovekv.Store, prefix: Any) -> object:
    return db.keys(prefix)


# Values: bytes or str.
VALUE_WRONG_TYPES: list[tuple[str, Any]] = [
    ("None", None),
    ("int", 1),
    ("float", 1.5),
    ("list", [b"x"]),
    ("object", object()),
    ("memoryview", memoryview(b"x")),
]
VALUE_INVALID: list[tuple[str, Any]] = [
    ("lone-surrogate", LONE),
    ("oversized-bytes", BIG_BYTES),
    ("oversized-str", BIG_TEXT),
]
VALUE_CALLS: dict[str, Callable[[World, Any], object]] = {
    "store.set": lambda w, v: w.db.set("kv:plain", v),
    "store.set-new-key": lambda w, v: w.db.set("kv:new", v),
    "store.set_many": lambda w, v: w.db.set_many(A({"kv:new": b"1", "kv:plain": v})),
    "view.set": lambda w, v: w.ns.set("k", v),
    "queue.enqueue": lambda w, v: w.queue.enqueue(v),
    "store.set_if_absent": lambda w, v: w.db.set_if_absent("kv:new", v),
    "store.set_if_present": lambda w, v: w.db.set_if_present("kv:plain", v),
    "store.compare_and_set-new": lambda w, v: w.db.compare_and_set("kv:new", None, v),
    "store.get_set": lambda w, v: w.db.get_set("kv:plain", v),
    "view.set_if_absent": lambda w, v: w.ns.set_if_absent("new", v),
}
# compare_and_set's `expected`: None means "absent", every other wrong type is a TypeError.
EXPECTED_CALL: Callable[[World, Any], object] = lambda w, v: w.db.compare_and_set(  # noqa: E731
    "kv:new", v, b"v"
)


def with_arg(call: Callable[[World, Any], object], arg: Any) -> Call:
    return lambda w: call(w, arg)


def value_cases() -> list[Any]:
    out = []
    for name, call in VALUE_CALLS.items():
        for label, v in VALUE_WRONG_TYPES:
            out.append(case(f"{name}-value-{label}", TypeError, with_arg(call, v)))
        for label, v in VALUE_INVALID:
            out.append(case(f"{name}-value-{label}", IAE, with_arg(call, v)))
    for label, v in VALUE_WRONG_TYPES:
        if v is not None:
            out.append(
                case(
                    f"store.compare_and_set-expected-{label}", TypeError, with_arg(EXPECTED_CALL, v)
                )
            )
    out.append(
        case("store.compare_and_set-expected-lone-surrogate", IAE, with_arg(EXPECTED_CALL, LONE))
    )
    return out


# Durations in seconds. TTLs must be > 0 (expire(key, 0) is the documented delete, so 0 is
# not bad there); waits may be 0.
SECONDS_BAD: list[tuple[str, Any, Exc]] = [
    ("negative", -1, IAE),
    ("tiny-negative", -1e-9, IAE),
    ("NaN", NAN, IAE),
    ("inf", INF, IAE),
    ("-inf", -INF, IAE),
    ("over-100-years", OVER_100_YEARS, IAE),
    ("2**64", 2**64, IAE),
    ("10**400", HUGE, IAE),
    ("-10**400", -HUGE, IAE),
    ("10**5000", GIANT, IAE),
    ("str", "10", TypeError),
    ("bytes", b"10", TypeError),
    ("list", [1], TypeError),
    ("object", object(), TypeError),
]
TTL_CALLS: dict[str, Callable[[World, Any], object]] = {
    "store.set-ttl": lambda w, t: w.db.set("kv:plain", b"new", ttl=t),
    "store.set_many-ttl": lambda w, t: w.db.set_many({"kv:plain": b"new", "kv:new": b"1"}, ttl=t),
    "store.expire-persistent": lambda w, t: w.db.expire("kv:plain", t),
    "store.expire-expiring": lambda w, t: w.db.expire("kv:ttl", t),
    "view.set-ttl": lambda w, t: w.ns.set("k", b"new", ttl=t),
    "store.lock-ttl": lambda w, t: w.db.lock("fresh", t).acquire(),
    "lock.extend": lambda w, t: w.holder.extend(t),
    "store.sessions-ttl": lambda w, t: w.db.sessions(ttl=t).create({"new": True}),
    "store.set_if_absent-ttl": lambda w, t: w.db.set_if_absent("kv:new", b"new", ttl=t),
    "store.set_if_present-ttl": lambda w, t: w.db.set_if_present("kv:plain", b"new", ttl=t),
    "store.compare_and_set-ttl": lambda w, t: w.db.compare_and_set("kv:new", None, b"1", ttl=t),
    "store.get_set-ttl": lambda w, t: w.db.get_set("kv:plain", b"new", ttl=t),
}
TTL_ZERO_INVALID = ["store.set-ttl", "store.set_many-ttl", "store.lock-ttl", "lock.extend"]
TTL_ZERO_INVALID += ["store.sessions-ttl", "view.set-ttl"]
TTL_ZERO_INVALID += [
    "store.set_if_absent-ttl",
    "store.set_if_present-ttl",
    "store.compare_and_set-ttl",
    "store.get_set-ttl",
]
WAIT_CALLS: dict[str, Callable[[World, Any], object]] = {
    "store.lock-timeout": lambda w, t: w.db.lock("fresh", 10.0, timeout=t).acquire(),
    "lock.acquire-timeout": lambda w, t: w.rival.acquire(timeout=t),
    "lock.acquire-retry_interval": lambda w, t: w.rival.acquire(0.0, retry_interval=t),
    "store.rate_limiter-window": lambda w, t: w.db.rate_limiter("api", 5, t).allow("client"),
    "store.queue-visibility_timeout": lambda w, t: w.db.queue(QUEUE, visibility_timeout=t).enqueue(
        b"x"
    ),
    "queue.enqueue-delay": lambda w, t: w.queue.enqueue(b"x", delay=t),
    "queue.nack-delay": lambda w, t: w.queue.nack(w.inflight, delay=t),
    "queue.dequeue-timeout": lambda w, t: w.queue.dequeue(timeout=t),
    "store.max_drift=": lambda w, t: setattr(w.db, "max_drift", t),
    "store.set_max_drift": lambda w, t: w.db.set_max_drift(t),
}
# None means "the default" or "forever" for the other waits.
WAIT_NONE_IS_TYPE_ERROR = [
    "lock.acquire-retry_interval",
    "store.rate_limiter-window",
    "store.max_drift=",
    "store.set_max_drift",
]
WAIT_ZERO_INVALID = ["store.rate_limiter-window", "store.queue-visibility_timeout"]


def seconds_cases() -> list[Any]:
    out = []
    for name, call in TTL_CALLS.items():
        for label, t, exc in SECONDS_BAD:
            out.append(case(f"{name}-{label}", exc, with_arg(call, t)))
        if name in TTL_ZERO_INVALID:
            out.append(case(f"{name}-zero", IAE, with_arg(call, 0)))
        if name.startswith("store.expire") or name == "lock.extend":
            out.append(case(f"{name}-None", TypeError, with_arg(call, None)))
        out.append(case(f"{name}-float-raises", RuntimeError, with_arg(call, FloatRaises())))
    for name, call in WAIT_CALLS.items():
        for label, t, exc in SECONDS_BAD:
            out.append(case(f"{name}-{label}", exc, with_arg(call, t)))
        if name in WAIT_NONE_IS_TYPE_ERROR:
            out.append(case(f"{name}-None", TypeError, with_arg(call, None)))
        if name in WAIT_ZERO_INVALID:
            out.append(case(f"{name}-zero", IAE, with_arg(call, 0)))
    return out


# Integers: signed 64-bit (counter deltas and values, CRDT add) and unsigned 64-bit (amounts,
# limits, costs, counts, ranks, job ids, cursors).
INT_WRONG_TYPES: list[tuple[str, Any]] = [
    ("None", None),
    ("float", 1.0),
    ("NaN", NAN),
    ("str", "1"),
    ("bytes", b"1"),
    ("object", object()),
]
I64_OUT_OF_RANGE: list[tuple[str, Any]] = [
    ("2**63", 2**63),
    ("-2**63-1", -(2**63) - 1),
    ("2**64", 2**64),
    ("10**400", HUGE),
    ("-10**400", -HUGE),
    ("10**5000", GIANT),
]
U64_OUT_OF_RANGE: list[tuple[str, Any]] = [
    ("negative", -1),
    ("2**64", 2**64),
    ("10**400", HUGE),
    ("-10**400", -HUGE),
    ("10**5000", GIANT),
]
I64_CALLS: dict[str, Callable[[World, Any], object]] = {
    "counter.increment": lambda w, n: w.counter.increment(n),
    "counter.decrement": lambda w, n: w.counter.decrement(n),
    "counter.set": lambda w, n: w.counter.set(n),
    "crdt_counter.add": lambda w, n: w.cc.add(n),
    "counter.try_decrement-delta": lambda w, n: w.counter.try_decrement(n, floor=-(2**63)),
    "counter.try_decrement-floor": lambda w, n: w.counter.try_decrement(1, n),
    "counter.try_increment-delta": lambda w, n: w.counter.try_increment(n),
    "counter.try_increment-cap": lambda w, n: w.counter.try_increment(1, n),
}
U64_CALLS: dict[str, Callable[[World, Any], object]] = {
    "crdt_counter.increment": lambda w, n: w.cc.increment(n),
    "crdt_counter.decrement": lambda w, n: w.cc.decrement(n),
    "store.rate_limiter-limit": lambda w, n: w.db.rate_limiter("api", n, 300.0).allow("client"),
    "rate_limiter.allow-cost": lambda w, n: w.limiter.allow("client", cost=n),
    "leaderboard.top": lambda w, n: w.board.top(n),
    "leaderboard.range-start": lambda w, n: w.board.range(n, 2),
    "leaderboard.range-stop": lambda w, n: w.board.range(0, n),
    "leaderboard.around": lambda w, n: w.board.around("ada", n),
    "queue.ack": lambda w, n: w.queue.ack(n),
    "queue.nack": lambda w, n: w.queue.nack(n),
    "store.queue-max_attempts": lambda w, n: w.db.queue(QUEUE, max_attempts=n).enqueue(b"x"),
    "store.export_changes": lambda w, n: w.db.export_changes(since=n),
}


def int_cases() -> list[Any]:
    out = []
    for table, bad in ((I64_CALLS, I64_OUT_OF_RANGE), (U64_CALLS, U64_OUT_OF_RANGE)):
        for name, call in table.items():
            for label, n in INT_WRONG_TYPES:
                if n is None and name == "store.queue-max_attempts":
                    continue  # None means the default there
                out.append(case(f"{name}-{label}", TypeError, with_arg(call, n)))
            for label, n in bad:
                out.append(case(f"{name}-{label}", IAE, with_arg(call, n)))
            out.append(case(f"{name}-index-raises", RuntimeError, with_arg(call, IndexRaises())))
    out += [
        case(
            "store.rate_limiter-limit-zero", IAE, with_arg(U64_CALLS["store.rate_limiter-limit"], 0)
        ),
        case("rate_limiter.allow-cost-over-limit", IAE, lambda w: w.limiter.allow("client", 6)),
        case(
            "store.queue-max_attempts-zero", IAE, with_arg(U64_CALLS["store.queue-max_attempts"], 0)
        ),
        case(
            "store.queue-max_attempts-2**32",
            IAE,
            with_arg(U64_CALLS["store.queue-max_attempts"], 2**32),
        ),
        # Results that would leave the signed 64-bit range: grovekv.OverflowError, no change.
        case("counter.increment-overflow", OVF, lambda w: w.counter.increment(2**63 - 1)),
        case("counter.decrement-overflow", OVF, lambda w: w.counter.decrement(-(2**63) + 1)),
        case("counter.decrement-i64-min", OVF, lambda w: w.counter.decrement(-(2**63))),
        case("crdt_counter.increment-u64-max", OVF, lambda w: w.cc.increment(2**64 - 1)),
        case("crdt_counter.decrement-u64-max", OVF, lambda w: w.cc.decrement(2**64 - 1)),
        case("crdt_counter.add-overflow", OVF, lambda w: w.cc.add(2**63 - 1)),
        # The bounded changes take a delta of 0 or more (the bound says which way it goes).
        case("counter.try_decrement-negative", IAE, lambda w: w.counter.try_decrement(-1)),
        case("counter.try_increment-negative", IAE, lambda w: w.counter.try_increment(-1)),
        case("counter.try_decrement-i64-min", IAE, lambda w: w.counter.try_decrement(-(2**63))),
        case("crdt_counter.decrement-below-i64", OVF, lambda w: w.cc.decrement(2**63 + 10)),
    ]
    return out


# Scores: int or float, finite; bool/str are TypeErrors.
SCORE_BAD: list[tuple[str, Any, Exc]] = [
    ("None", None, TypeError),
    ("bool", True, TypeError),
    ("str", "1", TypeError),
    ("bytes", b"1", TypeError),
    ("list", [1], TypeError),
    ("object", object(), TypeError),
    ("NaN", NAN, IAE),
    ("inf", INF, IAE),
    ("-inf", -INF, IAE),
    ("10**400", HUGE, IAE),
    ("10**5000", GIANT, IAE),
]


def score_cases() -> list[Any]:
    out = []
    calls: dict[str, Callable[[World, Any], object]] = {
        "leaderboard.add": lambda w, s: w.board.add("ada", s),
        "leaderboard.add-new": lambda w, s: w.board.add("newcomer", s),
        "leaderboard.incr": lambda w, s: w.board.incr("ada", s),
        "leaderboard.incr-new": lambda w, s: w.board.incr("newcomer", s),
    }
    for name, call in calls.items():
        for label, s, exc in SCORE_BAD:
            out.append(case(f"{name}-score-{label}", exc, with_arg(call, s)))
        out.append(case(f"{name}-float-raises", RuntimeError, with_arg(call, FloatRaises())))
    out.append(case("leaderboard.incr-overflow", OVF, lambda w: w.board.incr("max", 1.7e308)))
    return out


# Names, members, fields and limiter keys: str only.
STR_WRONG_TYPES: list[tuple[str, Any]] = [
    ("None", None),
    ("bytes", b"x"),
    ("bytes-not-utf8", NOT_UTF8),
    ("int", 1),
    ("list", ["x"]),
    ("object", object()),
]
STR_INVALID: list[tuple[str, Any]] = [
    ("empty", ""),
    ("lone-surrogate", LONE),
    ("oversized", "n" * (MAX_KEY + 1)),
]
# Each constructor is followed by a call that would write if the name were accepted, so a
# missing check shows up as changed data.
STR_CALLS: dict[str, Callable[[World, Any], object]] = {
    "store.namespace": lambda w, s: w.db.namespace(s).set("k", b"v"),
    "store.counter": lambda w, s: w.db.counter(s).increment(),
    "store.lock": lambda w, s: w.db.lock(s, 10.0).acquire(),
    "store.lock_info": lambda w, s: w.db.lock_info(s),
    "store.rate_limiter": lambda w, s: w.db.rate_limiter(s, 5, 300.0).allow("client"),
    "store.sessions-prefix": lambda w, s: w.db.sessions(prefix=s).create({"new": True}),
    "store.leaderboard": lambda w, s: w.db.leaderboard(s).add("m", 1),
    "store.queue": lambda w, s: w.db.queue(s).enqueue(b"x"),
    "store.crdt_counter": lambda w, s: w.db.crdt_counter(s).increment(),
    "store.crdt_register": lambda w, s: w.db.crdt_register(s).set(1),
    "store.crdt_set": lambda w, s: w.db.crdt_set(s).add(1),
    "store.crdt_map": lambda w, s: w.db.crdt_map(s).set("f", 1),
    "view.counter": lambda w, s: w.ns.counter(s).increment(),
    "view.crdt_counter": lambda w, s: w.ns.crdt_counter(s).increment(),
    "rate_limiter.allow": lambda w, s: w.limiter.allow(s),
    "rate_limiter.peek": lambda w, s: w.limiter.peek(s),
    "rate_limiter.reset": lambda w, s: w.limiter.reset(s),
    "leaderboard.add-member": lambda w, s: w.board.add(s, 1),
    "leaderboard.incr-member": lambda w, s: w.board.incr(s, 1),
    "leaderboard.score": lambda w, s: w.board.score(s),
    "leaderboard.rank": lambda w, s: w.board.rank(s),
    "leaderboard.around-member": lambda w, s: w.board.around(s, 1),
    "leaderboard.remove": lambda w, s: w.board.remove(s),
    "crdt_map.set-field": lambda w, s: w.cmap.set(s, 1),
    "crdt_map.delete": lambda w, s: w.cmap.delete(s),
    "crdt_map.get": lambda w, s: w.cmap.get(s),
}
# Calls whose argument is a str but where "" and oversized strings are plain misses.
STR_TYPE_ONLY: dict[str, Callable[[World, Any], object]] = {
    "sessions.get": lambda w, s: w.sessions.get(s),
    "sessions.update": lambda w, s: w.sessions.update(s, {"new": True}),
    "sessions.touch": lambda w, s: w.sessions.touch(s),
    "sessions.delete": lambda w, s: w.sessions.delete(s),
    "sessions.exists": lambda w, s: w.sessions.exists(s),
}


def str_cases() -> list[Any]:
    out = []
    for name, call in STR_CALLS.items():
        for label, s in STR_WRONG_TYPES:
            if s is None and name == "store.sessions-prefix":
                continue  # None means the default prefix there
            out.append(case(f"{name}-{label}", TypeError, with_arg(call, s)))
        for label, s in STR_INVALID:
            out.append(case(f"{name}-{label}", IAE, with_arg(call, s)))
    for name, call in STR_TYPE_ONLY.items():
        for label, s in STR_WRONG_TYPES:
            out.append(case(f"{name}-{label}", TypeError, with_arg(call, s)))
    for name in ("store.leaderboard", "store.queue", "store.rate_limiter"):
        out.append(case(f"{name}-colon", IAE, with_arg(STR_CALLS[name], "a:b")))
    # ratelimit:<name>:<key> must fit in MAX_KEY_LEN with a one-byte key: refused up front.
    too_long = "n" * (MAX_KEY - len("ratelimit:") - 1)
    no_room = lambda w: w.db.rate_limiter(too_long, 5, 1.0)  # noqa: E731
    out.append(case("store.rate_limiter-no-room-for-a-key", IAE, no_room))
    return out


# JSON values: sessions data and CRDT values.
JSON_BAD: list[tuple[str, Any, Exc]] = [
    ("set", {1}, TypeError),
    ("bytes", b"x", TypeError),
    ("object", object(), TypeError),
    ("tuple-key", {(1, 2): 1}, TypeError),
    ("NaN", NAN, IAE),
    ("inf", INF, IAE),
    ("nested-NaN", {"a": [1, NAN]}, IAE),
    ("cycle", CYCLE, IAE),
    ("lone-surrogate", LONE, IAE),
    ("lone-surrogate-key", {LONE: 1}, IAE),
    ("too-deep", TOO_DEEP_FOR_PYTHON, IAE),
    ("oversized", BIG_TEXT, IAE),
    ("int-10**5000", GIANT, IAE),
]
CRDT_JSON_BAD: list[tuple[str, Any, Exc]] = [
    ("int-2**64", 2**64, IAE),
    ("int--2**63-1", -(2**63) - 1, IAE),
    ("nested-int-10**30", {"a": [10**30]}, IAE),
    ("nesting-200", TOO_DEEP_FOR_CORE, IAE),
]
JSON_CALLS: dict[str, Callable[[World, Any], object]] = {
    "sessions.create": lambda w, v: w.sessions.create(v),
    "sessions.update": lambda w, v: w.sessions.update(w.sid, v),
    "sessions.update-unknown-id": lambda w, v: w.sessions.update("nope", v),
    "crdt_register.set": lambda w, v: w.reg.set(v),
    "crdt_set.add": lambda w, v: w.cset.add(v),
    "crdt_set.remove": lambda w, v: w.cset.remove(v),
    "crdt_set.contains": lambda w, v: w.cset.contains(v),
    "crdt_set.in": lambda w, v: v in w.cset,
    "crdt_map.set-value": lambda w, v: w.cmap.set("f", v),
}
NOT_FOR_CONTAINS = ["oversized"]  # a lookup may hash a big value; it is not stored anyway


def json_cases() -> list[Any]:
    out = []
    for name, call in JSON_CALLS.items():
        bad = JSON_BAD + (CRDT_JSON_BAD if name.startswith("crdt") else [])
        for label, v, exc in bad:
            if label == "oversized" and name.startswith("crdt_set.") and name != "crdt_set.add":
                continue
            out.append(case(f"{name}-{label}", exc, with_arg(call, v)))
    return out


# State bytes and change bundles.
CRDTS = ["cc", "reg", "cset", "cmap"]
DATA_WRONG_TYPES: list[tuple[str, Any]] = [
    ("None", None),
    ("str", "GRV"),
    ("int", 1),
    ("list", [71, 82, 86]),
    ("object", object()),
]
DATA_GARBAGE: list[tuple[str, Any]] = [
    ("empty", b""),
    ("garbage", b"garbage"),
    ("magic-only", b"GRV"),
    ("bytearray-garbage", bytearray(b"junk")),
    ("memoryview-garbage", memoryview(b"junk")),
    ("random", bytes(range(256))),
]


def merge_into(crdt: str, data: Any) -> Call:
    return lambda w: getattr(w, crdt).merge(data)


def merge_mangled(crdt: str, mangle: Callable[[bytes], bytes]) -> Call:
    return lambda w: getattr(w, crdt).merge(mangle(getattr(w, crdt).state()))


def merge_state_of(crdt: str, other: str) -> Call:
    return lambda w: getattr(w, crdt).merge(getattr(w, other).state())


MANGLES: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda s: s[:-1],
    "header-only": lambda s: s[:5],
    "trailing-byte": lambda s: s + b"\x00",
    "future-version": lambda s: s[:3] + b"\x09" + s[4:],
    "unknown-tag": lambda s: s[:4] + b"\xff" + s[5:],
    "tag-zero": lambda s: s[:4] + b"\x00" + s[5:],
}


def apply_mangled(mangle: Callable[[bytes], bytes]) -> Call:
    return lambda w: w.db.apply_changes(mangle(w.db.export_changes()[0]))


def data_cases() -> list[Any]:
    out = []
    for crdt in CRDTS:
        for label, d in DATA_WRONG_TYPES:
            out.append(case(f"{crdt}.merge-{label}", TypeError, merge_into(crdt, d)))
        for label, d in DATA_GARBAGE:
            out.append(case(f"{crdt}.merge-{label}", COR, merge_into(crdt, d)))
        for label, mangle in MANGLES.items():
            out.append(case(f"{crdt}.merge-{label}", COR, merge_mangled(crdt, mangle)))
        for other in CRDTS:
            if other != crdt:
                out.append(case(f"{crdt}.merge-state-of-{other}", WTE, merge_state_of(crdt, other)))
        out.append(case(f"{crdt}.merge-change-bundle", COR, merge_into_bundle(crdt)))
    for label, d in DATA_WRONG_TYPES:
        out.append(case(f"store.apply_changes-{label}", TypeError, apply_raw(d)))
    for label, d in DATA_GARBAGE:
        out.append(case(f"store.apply_changes-{label}", COR, apply_raw(d)))
    for label, mangle in MANGLES.items():
        if label not in ("unknown-tag", "tag-zero"):
            out.append(case(f"store.apply_changes-{label}", COR, apply_mangled(mangle)))
    out += [
        case("store.apply_changes-a-crdt-state", COR, lambda w: w.db.apply_changes(w.cc.state())),
        # All entries or none: the new key in each bundle must not arrive either.
        case(
            "store.apply_changes-kv-key-as-crdt",
            WTE,
            lambda w: w.db.apply_changes(w.bundle_kv_as_crdt),
        ),
        case(
            "store.apply_changes-crdt-of-other-type",
            WTE,
            lambda w: w.db.apply_changes(w.bundle_crdt_as_other),
        ),
        case(
            "view.apply_changes-kv-key-as-crdt",
            WTE,
            lambda w: w.ns.apply_changes(foreign_bundle_for_view()),
        ),
        # A merge whose result leaves the signed 64-bit range must be refused like add().
        case(
            "crdt_counter.merge-overflowing-state",
            OVF,
            lambda w: w.cc.merge(w.overflow_state),
        ),
        case(
            "store.apply_changes-overflowing-counter",
            OVF,
            lambda w: w.db.apply_changes(w.overflow_bundle),
        ),
        case(
            "sync-overflowing-counter",
            OVF,
            lambda w: grovekv.sync(w.db, overflow_replica()),
        ),
    ]
    return out


def merge_into_bundle(crdt: str) -> Call:
    return lambda w: getattr(w, crdt).merge(w.db.export_changes()[0])


def apply_raw(data: Any) -> Call:
    return lambda w: w.db.apply_changes(data)


def foreign_bundle_for_view() -> bytes:
    """A bundle writing a CRDT at the view's "k", which holds a string."""
    other = grovekv.open_memory(node_id="foreign-view")
    try:
        other.namespace("x").crdt_set("k").add(1)
        return other.namespace("x").export_changes()[0]
    finally:
        other.close()


def overflow_replica() -> grovekv.Store:
    other = grovekv.open_memory(node_id="foreign-overflow")
    other.crdt_counter("crdt:counter").increment(2**63 - 1)
    return other


def wrong_kind_replica() -> grovekv.Store:
    other = grovekv.open_memory(node_id="foreign-kind")
    other.crdt_counter("kv:plain").increment(1)
    other.crdt_set("crdt:fresh").add("must not arrive")
    return other


def same_node_replica() -> grovekv.Store:
    return grovekv.open_memory(node_id=WORLD_NODE)


def closed_replica() -> grovekv.Store:
    other = grovekv.open_memory(node_id="foreign-closed")
    other.close()
    return other


def wrong_kind_cases() -> list[Any]:
    """A key holding one kind used as another: WrongTypeError (reserved prefixes: Invalid)."""
    db_calls: list[tuple[str, Exc, Call]] = [
        ("store.get-counter", WTE, lambda w: w.db.get("counter:hits")),
        ("store.get-lock", WTE, lambda w: w.db.get("lock:deploy")),
        ("store.get-session", WTE, lambda w: w.db.get("sess:" + w.sid)),
        ("store.get-crdt", WTE, lambda w: w.db.get("crdt:register")),
        ("store.get-queue", WTE, lambda w: w.db.get(f"queue:{QUEUE}:meta")),
        ("store.get-leaderboard-member", WTE, lambda w: w.db.get(f"lb:{LB}:ada")),
        ("store.set-counter", WTE, lambda w: w.db.set("counter:hits", b"x")),
        ("store.set-lock", WTE, lambda w: w.db.set("lock:deploy", b"x")),
        ("store.set-session", WTE, lambda w: w.db.set("sess:" + w.sid, b"x")),
        ("store.set-ratelimit", WTE, lambda w: w.db.set("ratelimit:api:client", b"x")),
        ("store.set-crdt", WTE, lambda w: w.db.set("crdt:counter", b"x")),
        ("store.set-queue", WTE, lambda w: w.db.set(f"queue:{QUEUE}:meta", b"x")),
        ("store.set-leaderboard-member", WTE, lambda w: w.db.set(f"lb:{LB}:ada", b"x")),
        ("store.set-reserved-lb-prefix", IAE, lambda w: w.db.set(f"lb:{LB}:eve", b"x")),
        ("store.set-reserved-queue-prefix", IAE, lambda w: w.db.set("queue:other:meta", b"x")),
        (
            "store.set_many-counter",
            WTE,
            lambda w: w.db.set_many({"kv:new": b"1", "counter:hits": b"x"}),
        ),
        (
            "store.set_many-leaderboard-member",
            WTE,
            lambda w: w.db.set_many({"kv:new": b"1", f"lb:{LB}:ada": b"x"}),
        ),
        ("store.delete-leaderboard-member", WTE, lambda w: w.db.delete(f"lb:{LB}:ada")),
        ("store.expire-leaderboard-member", WTE, lambda w: w.db.expire(f"lb:{LB}:ada", 1.0)),
        ("store.get_many-counter", WTE, lambda w: w.db.get_many(["kv:plain", "counter:hits"])),
        ("counter.get-string", WTE, lambda w: w.db.counter("text").get()),
        ("counter.increment-string", WTE, lambda w: w.db.counter("text").increment()),
        ("counter.decrement-string", WTE, lambda w: w.db.counter("text").decrement()),
        ("counter.set-string", WTE, lambda w: w.db.counter("text").set(1)),
        ("counter.reset-string", WTE, lambda w: w.db.counter("text").reset()),
        ("counter.try_decrement-string", WTE, lambda w: w.db.counter("text").try_decrement()),
        ("counter.try_increment-string", WTE, lambda w: w.db.counter("text").try_increment()),
        ("store.set_if_absent-counter", WTE, lambda w: w.db.set_if_absent("counter:hits", b"x")),
        ("store.set_if_present-counter", WTE, lambda w: w.db.set_if_present("counter:hits", b"x")),
        (
            "store.compare_and_set-counter",
            WTE,
            lambda w: w.db.compare_and_set("counter:hits", None, b"x"),
        ),
        ("store.get_set-counter", WTE, lambda w: w.db.get_set("counter:hits", b"x")),
        ("store.get_delete-counter", WTE, lambda w: w.db.get_delete("counter:hits")),
        ("store.get_delete-leaderboard-member", WTE, lambda w: w.db.get_delete(f"lb:{LB}:ada")),
        (
            "store.set_if_absent-reserved-lb-prefix",
            IAE,
            lambda w: w.db.set_if_absent(f"lb:{LB}:eve", b"x"),
        ),
        ("lock.acquire-string", WTE, lambda w: w.db.lock("text", 10.0).acquire()),
        # A handle that never acquired must still read the key, not answer False blindly.
        ("lock.held-string", WTE, lambda w: w.db.lock("text", 10.0).held()),
        ("lock.release-string", WTE, lambda w: w.db.lock("text", 10.0).release()),
        ("lock.extend-string", WTE, lambda w: w.db.lock("text", 10.0).extend(10.0)),
        ("store.lock_info-string", WTE, lambda w: w.db.lock_info("text")),
        ("rate_limiter.allow-string", WTE, lambda w: w.limiter.allow("text")),
        ("rate_limiter.peek-string", WTE, lambda w: w.limiter.peek("text")),
        ("rate_limiter.reset-string", WTE, lambda w: w.limiter.reset("text")),
        ("sessions.get-string", WTE, lambda w: w.sessions.get(SESSION_LIKE_ID)),
        ("sessions.update-string", WTE, lambda w: w.sessions.update(SESSION_LIKE_ID, 1)),
        ("sessions.touch-string", WTE, lambda w: w.sessions.touch(SESSION_LIKE_ID)),
        ("sessions.delete-string", WTE, lambda w: w.sessions.delete(SESSION_LIKE_ID)),
        ("sessions.exists-string", WTE, lambda w: w.sessions.exists(SESSION_LIKE_ID)),
        ("crdt_counter.value-counter", WTE, lambda w: w.db.crdt_counter("counter:hits").value()),
        (
            "crdt_counter.increment-counter",
            WTE,
            lambda w: w.db.crdt_counter("counter:hits").increment(),
        ),
        ("crdt_counter.state-string", WTE, lambda w: w.db.crdt_counter("kv:plain").state()),
        (
            "crdt_counter.merge-into-string",
            WTE,
            lambda w: w.db.crdt_counter("kv:plain").merge(w.cc.state()),
        ),
        ("crdt_counter.add-register", WTE, lambda w: w.db.crdt_counter("crdt:register").add(1)),
        ("crdt_register.get-string", WTE, lambda w: w.db.crdt_register("kv:plain").get()),
        ("crdt_register.set-counter", WTE, lambda w: w.db.crdt_register("crdt:counter").set(1)),
        ("crdt_set.members-map", WTE, lambda w: w.db.crdt_set("crdt:map").members()),
        ("crdt_set.add-lock", WTE, lambda w: w.db.crdt_set("lock:deploy").add(1)),
        ("crdt_set.len-register", WTE, lambda w: len(w.db.crdt_set("crdt:register"))),
        ("crdt_map.all-set", WTE, lambda w: w.db.crdt_map("crdt:set").all()),
        ("crdt_map.set-session", WTE, lambda w: w.db.crdt_map("sess:" + w.sid).set("f", 1)),
        ("crdt_map.delete-string", WTE, lambda w: w.db.crdt_map("kv:plain").delete("f")),
        ("sync-kv-key-as-crdt", WTE, lambda w: grovekv.sync(w.db, wrong_kind_replica())),
    ]
    return [case(id, exc, call) for id, exc, call in db_calls]


def misc_cases() -> list[Any]:
    return [
        # Containers of keys and pairs.
        case("store.get_many-None", TypeError, lambda w: w.db.get_many(A(None))),
        case("store.get_many-int", TypeError, lambda w: w.db.get_many(A(5))),
        case("store.get_many-str", TypeError, lambda w: w.db.get_many("kv:plain")),
        case("store.get_many-bytes", TypeError, lambda w: w.db.get_many(A(b"kv:plain"))),
        case("store.get_many-object", TypeError, lambda w: w.db.get_many(A(object()))),
        case(
            "store.get_many-iterator-raises", RuntimeError, lambda w: w.db.get_many(raising_iter())
        ),
        case("store.set_many-None", TypeError, lambda w: w.db.set_many(A(None))),
        case("store.set_many-list-of-pairs", TypeError, lambda w: w.db.set_many(A([("k", b"v")]))),
        case("store.set_many-str", TypeError, lambda w: w.db.set_many(A("kv"))),
        case("store.set_many-int", TypeError, lambda w: w.db.set_many(A(5))),
        case(
            "store.set_many-items-not-pairs",
            TypeError,
            lambda w: w.db.set_many(A(ItemsOf([("kv:new", b"1"), ("kv:x",)]))),
        ),
        case(
            "store.set_many-items-triples",
            TypeError,
            lambda w: w.db.set_many(A(ItemsOf([("kv:new", b"1", b"2")]))),
        ),
        case(
            "store.set_many-items-lists",
            TypeError,
            lambda w: w.db.set_many(A(ItemsOf([["kv:new", b"1"]]))),
        ),
        case("store.set_many-items-raises", RuntimeError, lambda w: w.db.set_many(A(ItemsRaise()))),
        # Extra, missing and misspelled arguments.
        case(
            "store.set-unknown-keyword",
            TypeError,
            lambda w: A(w.db).set("kv:plain", b"x", tll=1),
        ),
        case("store.set-missing-value", TypeError, lambda w: A(w.db).set("kv:plain")),
        case("store.get-no-args", TypeError, lambda w: A(w.db).get()),
        case("store.flush-extra-arg", TypeError, lambda w: A(w.db).flush(1)),
        case("store.close-extra-arg", TypeError, lambda w: A(w.db).close(1)),
        case("store.purge_expired-extra-arg", TypeError, lambda w: A(w.db).purge_expired(1)),
        case("store.size_on_disk-extra-arg", TypeError, lambda w: A(w.db).size_on_disk(1)),
        case("counter.get-extra-arg", TypeError, lambda w: A(w.counter).get(1)),
        case("counter.reset-extra-arg", TypeError, lambda w: A(w.counter).reset(1)),
        case("lock.release-extra-arg", TypeError, lambda w: A(w.holder).release(1)),
        case("queue.stats-extra-arg", TypeError, lambda w: A(w.queue).stats(1)),
        case("leaderboard.clear-extra-arg", TypeError, lambda w: A(w.board).clear(1)),
        case("crdt_counter.reset_local-extra-arg", TypeError, lambda w: A(w.cc).reset_local(1)),
        case("store.max_drift-delete", AttributeError, lambda w: delattr(w.db, "max_drift")),
        case("store.node_id-assign", AttributeError, lambda w: setattr(w.db, "node_id", "x")),
        # sync
        case("sync-None-b", TypeError, lambda w: grovekv.sync(w.db, A(None))),
        case("sync-None-a", TypeError, lambda w: grovekv.sync(A(None), w.db)),
        case("sync-str", TypeError, lambda w: grovekv.sync(w.db, A("store"))),
        case("sync-self", IAE, lambda w: grovekv.sync(w.db, w.db)),
        case("sync-own-view", IAE, lambda w: grovekv.sync(w.db, w.ns)),
        case("sync-same-node-id", IAE, lambda w: grovekv.sync(w.db, same_node_replica())),
        case(
            "sync-closed-other", grovekv.ClosedError, lambda w: grovekv.sync(w.db, closed_replica())
        ),
        case(
            "sync-closed-other-first",
            grovekv.ClosedError,
            lambda w: grovekv.sync(closed_replica(), w.db),
        ),
    ]


ALL_BAD_CALLS = (
    key_cases()
    + value_cases()
    + seconds_cases()
    + int_cases()
    + score_cases()
    + str_cases()
    + json_cases()
    + data_cases()
    + wrong_kind_cases()
    + misc_cases()
)
# Cases that are rows of tests/bad_input/rules.tsv (run by test_rules_table.py in every door):
# the same call with the same argument on a new key or name, the same error kind. What stays
# here is Python's own (types, ints past 64 bits, lone surrogates) and the calls on keys that
# already hold data.
IN_TABLE = {
    "store.set-key-empty-str",
    "store.set-key-oversized-str",
    "store.set-new-key-value-oversized-str",
    "store.expire-key-empty-str",
    "store.compare_and_set-key-empty-str",
    "store.compare_and_set-key-oversized-str",
    "store.sessions-ttl-negative",
    "store.sessions-ttl-NaN",
    "store.sessions-ttl-inf",
    "store.sessions-ttl-over-100-years",
    "store.sessions-ttl-zero",
    "queue.enqueue-delay-negative",
    "queue.enqueue-delay-NaN",
    "queue.enqueue-delay-inf",
    "queue.enqueue-delay-over-100-years",
    "leaderboard.add-new-score-NaN",
    "leaderboard.add-new-score-inf",
    "leaderboard.add-new-score--inf",
    "leaderboard.incr-new-score-NaN",
    "leaderboard.incr-new-score-inf",
    "leaderboard.add-member-empty",
    "leaderboard.add-member-oversized",
    "rate_limiter.allow-cost-over-limit",
    "counter.try_decrement-negative",
    "counter.try_increment-negative",
    "store.crdt_counter-empty",
    "store.crdt_register-empty",
    "store.crdt_set-empty",
    "store.crdt_map-empty",
    "store.crdt_register-oversized",
}
assert IN_TABLE <= {c.id for c in ALL_BAD_CALLS}, IN_TABLE - {c.id for c in ALL_BAD_CALLS}
BAD_CALLS = [c for c in ALL_BAD_CALLS if c.id not in IN_TABLE]


@pytest.mark.parametrize(("call", "expected"), BAD_CALLS)
def test_bad_call_raises_and_changes_nothing(world: World, call: Call, expected: Exc) -> None:
    with pytest.raises(expected) as info:
        call(world)
    assert type(info.value) is expected, f"{type(info.value).__name__}: {info.value}"
    assert str(info.value)  # a clear message, never empty
    assert state(world) == world.baseline
    world.dirty = False


# ---------------------------------------------------------------------------------------------
# Calls that are not errors but must answer "no" and change nothing.

QUIET_CALLS = [
    pytest.param(lambda w: w.sessions.get(""), None, id="sessions.get-empty"),
    pytest.param(lambda w: w.sessions.get(LONE), None, id="sessions.get-lone-surrogate"),
    pytest.param(lambda w: w.sessions.get("x" * 5000), None, id="sessions.get-oversized"),
    pytest.param(lambda w: w.sessions.exists(""), False, id="sessions.exists-empty"),
    pytest.param(lambda w: w.sessions.touch(LONE), False, id="sessions.touch-lone-surrogate"),
    pytest.param(lambda w: w.sessions.delete("nope"), False, id="sessions.delete-unknown"),
    pytest.param(
        lambda w: w.sessions.update("nope", {"a": 1}), False, id="sessions.update-unknown"
    ),
    pytest.param(lambda w: w.rival.release(), False, id="lock.release-by-non-owner"),
    pytest.param(lambda w: w.rival.extend(10.0), False, id="lock.extend-by-non-owner"),
    pytest.param(lambda w: w.rival.acquire(), False, id="lock.acquire-held-by-other"),
    pytest.param(lambda w: w.rival.held(), False, id="lock.held-by-non-owner"),
    pytest.param(lambda w: w.queue.ack(2**64 - 1), False, id="queue.ack-u64-max"),
    pytest.param(lambda w: w.queue.nack(0), False, id="queue.nack-zero"),
    pytest.param(lambda w: w.queue.ack(w.inflight + 1), False, id="queue.ack-ready-job"),
    pytest.param(lambda w: w.board.remove("nobody"), False, id="leaderboard.remove-unknown"),
    pytest.param(lambda w: w.board.top(0), [], id="leaderboard.top-zero"),
    pytest.param(lambda w: w.board.range(2, 1), [], id="leaderboard.range-reversed"),
    pytest.param(lambda w: w.board.around("nobody", 5), [], id="leaderboard.around-unknown"),
    pytest.param(lambda w: len(w.board.top(2**64 - 1)), 3, id="leaderboard.top-u64-max"),
    pytest.param(lambda w: len(w.board.range(0, 2**64 - 1)), 3, id="leaderboard.range-u64-max"),
    pytest.param(
        lambda w: len(w.board.around("ada", 2**64 - 1)), 3, id="leaderboard.around-u64-max"
    ),
    pytest.param(lambda w: w.db.delete("kv:absent"), False, id="store.delete-absent"),
    pytest.param(lambda w: w.db.get_delete("kv:absent"), None, id="store.get_delete-absent"),
    pytest.param(
        lambda w: w.db.set_if_absent("kv:plain", b"x"), False, id="store.set_if_absent-held"
    ),
    pytest.param(
        lambda w: w.db.set_if_present("kv:absent", b"x"), False, id="store.set_if_present-absent"
    ),
    pytest.param(
        lambda w: w.db.compare_and_set("kv:plain", b"not it", b"x"), False, id="store.cas-mismatch"
    ),
    pytest.param(
        lambda w: w.counter.try_decrement(2**63 - 1), None, id="counter.try_decrement-refused"
    ),
    pytest.param(
        lambda w: w.counter.try_increment(1, -(2**63)), None, id="counter.try_increment-refused"
    ),
    pytest.param(lambda w: w.db.expire("kv:absent", 1.0), False, id="store.expire-absent"),
    pytest.param(lambda w: w.db.persist("kv:plain"), False, id="store.persist-persistent"),
    pytest.param(lambda w: list(w.db.keys(LONG_KEY)), [], id="store.keys-oversized-prefix"),
    pytest.param(lambda w: w.db.get_many([]), [], id="store.get_many-empty"),
    pytest.param(lambda w: w.db.export_changes(2**64 - 1)[1], 2**64 - 1, id="export-u64-max"),
    pytest.param(lambda w: w.cset.remove("absent"), False, id="crdt_set.remove-absent"),
    pytest.param(lambda w: w.cc.merge(w.cc.state()), False, id="crdt_counter.merge-own-state"),
    pytest.param(lambda w: w.limiter.reset("nobody"), False, id="rate_limiter.reset-unknown"),
    pytest.param(lambda w: w.db.apply_changes(w.db.export_changes()[0]).merged, 0, id="apply-own"),
]


@pytest.mark.parametrize(("call", "expected"), QUIET_CALLS)
def test_quiet_call_answers_no_and_changes_nothing(
    world: World, call: Call, expected: object
) -> None:
    assert call(world) == expected
    assert state(world) == world.baseline
    world.dirty = False


# ---------------------------------------------------------------------------------------------
# Closed stores: every call on the store and on everything made from it is a ClosedError.

CLOSED_CALLS: list[tuple[str, Call]] = [
    ("store.get", lambda w: w.db.get("kv:plain")),
    ("store.set", lambda w: w.db.set("kv:plain", b"x")),
    ("store.delete", lambda w: w.db.delete("kv:plain")),
    ("store.exists", lambda w: w.db.exists("kv:plain")),
    ("store.kind", lambda w: w.db.kind("kv:plain")),
    ("store.expire", lambda w: w.db.expire("kv:plain", 1.0)),
    ("store.persist", lambda w: w.db.persist("kv:ttl")),
    ("store.ttl", lambda w: w.db.ttl("kv:ttl")),
    ("store.keys", lambda w: w.db.keys()),
    ("store.get_many", lambda w: w.db.get_many(["kv:plain"])),
    ("store.set_many", lambda w: w.db.set_many({"kv:plain": b"x"})),
    ("store.purge_expired", lambda w: w.db.purge_expired()),
    ("store.namespace", lambda w: w.db.namespace("tenant")),
    ("store.counter", lambda w: w.db.counter("hits")),
    ("store.lock", lambda w: w.db.lock("deploy", 1.0)),
    ("store.lock_info", lambda w: w.db.lock_info("deploy")),
    ("store.rate_limiter", lambda w: w.db.rate_limiter("api", 5, 300.0)),
    ("store.sessions", lambda w: w.db.sessions()),
    ("store.leaderboard", lambda w: w.db.leaderboard(LB)),
    ("store.queue", lambda w: w.db.queue(QUEUE)),
    ("store.crdt_counter", lambda w: w.db.crdt_counter("crdt:counter")),
    ("store.crdt_register", lambda w: w.db.crdt_register("crdt:register")),
    ("store.crdt_set", lambda w: w.db.crdt_set("crdt:set")),
    ("store.crdt_map", lambda w: w.db.crdt_map("crdt:map")),
    ("store.export_changes", lambda w: w.db.export_changes()),
    ("store.apply_changes", lambda w: w.db.apply_changes(w.bundle_kv_as_crdt)),
    ("store.max_drift=", lambda w: setattr(w.db, "max_drift", 5.0)),
    ("store.set_max_drift", lambda w: w.db.set_max_drift(5.0)),
    ("store.flush", lambda w: w.db.flush()),
    ("store.size_on_disk", lambda w: w.db.size_on_disk()),
    ("store.__enter__", lambda w: w.db.__enter__()),
    ("sync-a", lambda w: grovekv.sync(w.db, wrong_kind_replica())),
    ("sync-b", lambda w: grovekv.sync(wrong_kind_replica(), w.db)),
    ("key_iterator.next", lambda w: next(w.iterator)),
    ("view.get", lambda w: w.ns.get("k")),
    ("view.set", lambda w: w.ns.set("k", b"x")),
    ("view.counter", lambda w: w.ns.counter("c")),
    ("view.export_changes", lambda w: w.ns.export_changes()),
    ("counter.increment", lambda w: w.counter.increment()),
    ("counter.decrement", lambda w: w.counter.decrement()),
    ("counter.get", lambda w: w.counter.get()),
    ("counter.set", lambda w: w.counter.set(1)),
    ("counter.reset", lambda w: w.counter.reset()),
    ("lock.acquire", lambda w: w.rival.acquire()),
    ("lock.acquire-waiting", lambda w: w.rival.acquire(timeout=None)),
    ("lock.release", lambda w: w.holder.release()),
    ("lock.extend", lambda w: w.holder.extend(10.0)),
    ("lock.held", lambda w: w.holder.held()),
    ("lock.fencing_token", lambda w: w.holder.fencing_token),
    ("lock.__enter__", lambda w: w.rival.__enter__()),
    ("lock.__exit__", lambda w: w.holder.__exit__(None, None, None)),
    ("rate_limiter.allow", lambda w: w.limiter.allow("client")),
    ("rate_limiter.peek", lambda w: w.limiter.peek("client")),
    ("rate_limiter.reset", lambda w: w.limiter.reset("client")),
    ("sessions.create", lambda w: w.sessions.create({"a": 1})),
    ("sessions.get", lambda w: w.sessions.get(w.sid)),
    ("sessions.get-malformed-id", lambda w: w.sessions.get("nope")),
    ("sessions.update", lambda w: w.sessions.update(w.sid, 1)),
    ("sessions.touch", lambda w: w.sessions.touch(w.sid)),
    ("sessions.delete", lambda w: w.sessions.delete(w.sid)),
    ("sessions.exists", lambda w: w.sessions.exists(w.sid)),
    ("leaderboard.add", lambda w: w.board.add("ada", 1)),
    ("leaderboard.incr", lambda w: w.board.incr("ada", 1)),
    ("leaderboard.score", lambda w: w.board.score("ada")),
    ("leaderboard.rank", lambda w: w.board.rank("ada")),
    ("leaderboard.top", lambda w: w.board.top(3)),
    ("leaderboard.range", lambda w: w.board.range(0, 3)),
    ("leaderboard.around", lambda w: w.board.around("ada", 1)),
    ("leaderboard.remove", lambda w: w.board.remove("ada")),
    ("leaderboard.clear", lambda w: w.board.clear()),
    ("leaderboard.len", lambda w: len(w.board)),
    ("queue.enqueue", lambda w: w.queue.enqueue(b"x")),
    ("queue.dequeue", lambda w: w.queue.dequeue()),
    ("queue.dequeue-waiting", lambda w: w.queue.dequeue(timeout=5.0)),
    ("queue.ack", lambda w: w.queue.ack(w.inflight)),
    ("queue.nack", lambda w: w.queue.nack(w.inflight)),
    ("queue.stats", lambda w: w.queue.stats()),
    ("queue.dead_letters", lambda w: w.queue.dead_letters()),
    ("crdt_counter.increment", lambda w: w.cc.increment()),
    ("crdt_counter.decrement", lambda w: w.cc.decrement()),
    ("crdt_counter.add", lambda w: w.cc.add(-1)),
    ("crdt_counter.value", lambda w: w.cc.value()),
    ("crdt_counter.totals", lambda w: w.cc.totals()),
    ("crdt_counter.contributions", lambda w: w.cc.contributions()),
    ("crdt_counter.reset_local", lambda w: w.cc.reset_local()),
    ("crdt_counter.state", lambda w: w.cc.state()),
    ("crdt_counter.merge", lambda w: w.cc.merge(w.overflow_state)),
    ("crdt_register.set", lambda w: w.reg.set(1)),
    ("crdt_register.get", lambda w: w.reg.get()),
    ("crdt_register.state", lambda w: w.reg.state()),
    ("crdt_register.merge", lambda w: w.reg.merge(w.reg.state())),
    ("crdt_set.add", lambda w: w.cset.add(1)),
    ("crdt_set.remove", lambda w: w.cset.remove(1)),
    ("crdt_set.contains", lambda w: w.cset.contains(1)),
    ("crdt_set.in", lambda w: 1 in w.cset),
    ("crdt_set.members", lambda w: w.cset.members()),
    ("crdt_set.len", lambda w: len(w.cset)),
    ("crdt_set.state", lambda w: w.cset.state()),
    ("crdt_set.merge", lambda w: w.cset.merge(b"GRV")),
    ("crdt_map.set", lambda w: w.cmap.set("f", 1)),
    ("crdt_map.get", lambda w: w.cmap.get("f")),
    ("crdt_map.delete", lambda w: w.cmap.delete("f")),
    ("crdt_map.keys", lambda w: w.cmap.keys()),
    ("crdt_map.all", lambda w: w.cmap.all()),
    ("crdt_map.state", lambda w: w.cmap.state()),
    ("crdt_map.merge", lambda w: w.cmap.merge(b"")),
]


@pytest.fixture(scope="module")
def closed_worlds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, World]]:
    """Per backend, a populated world whose store handle is closed. On sled a second handle of
    the same engine (the witness) stays open to check the data afterwards."""
    out: dict[str, World] = {}
    for backend in BACKENDS:
        w = make_world(backend, tmp_path_factory)
        if w.path is not None:
            w.witness = grovekv.open(w.path)
        w.db.close()
        out[backend] = w
    yield out
    for w in out.values():
        if w.witness is not None:
            w.witness.close()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("call", [pytest.param(c, id=i) for i, c in CLOSED_CALLS])
def test_closed_store_raises_closed(
    closed_worlds: dict[str, World], backend: str, call: Call
) -> None:
    w = closed_worlds[backend]
    with pytest.raises(grovekv.ClosedError) as info:
        call(w)
    assert type(info.value) is grovekv.ClosedError
    assert w.db.closed and w.ns.closed
    if w.witness is not None:
        after = snapshot(w.witness, w.sid)
        before = dict(w.baseline)
        del before["holder"]
        assert after == before


def test_closed_store_still_answers_its_metadata(closed_worlds: dict[str, World]) -> None:
    """Like a closed Python file's ``name`` and ``closed``: static facts stay readable."""
    w = closed_worlds["sled"]
    assert w.db.closed
    assert w.db.node_id == WORLD_NODE
    assert w.db.path == str(w.path)
    assert w.ns.prefix == "tenant:"
    assert w.counter.key == "counter:hits"
    assert w.holder.key == "lock:deploy"
    w.db.close()  # closing twice is fine


# ---------------------------------------------------------------------------------------------
# Opening: bad paths, node ids and durability settings.


def open_cases() -> list[Any]:
    def at(p: Callable[[Path], Any], **kw: Any) -> Callable[[Path], object]:
        return lambda tmp: grovekv.open(p(tmp), **kw)

    def mem(**kw: Any) -> Callable[[Path], object]:
        return lambda tmp: grovekv.open_memory(**kw)

    good: Callable[[Path], Any] = lambda tmp: tmp / "db"  # noqa: E731
    redis: Callable[[Path], Any] = lambda tmp: "redis://127.0.0.1:1"  # noqa: E731
    # The argument rules themselves (empty path, node ids, flush interval, durable with an
    # interval, connect timeouts) are rows of tests/bad_input/rules.tsv (test_rules_table.py);
    # these are the Python-only cases: types, keywords, open_memory, values with no u64/float.
    rows: list[tuple[str, Exc, Callable[[Path], object]]] = [
        ("open-path-None", TypeError, at(lambda tmp: None)),
        ("open-path-int", TypeError, at(lambda tmp: 1)),
        ("open-path-bytes", TypeError, at(lambda tmp: b"/tmp/x")),
        ("open-path-NUL", IAE, at(lambda tmp: str(tmp / "a\0b"))),
        ("open-path-lone-surrogate", IAE, at(lambda tmp: str(tmp / LONE))),
        ("open-path-is-a-file", grovekv.IoError, at(lambda tmp: a_file(tmp))),
        ("open-node_id-int", TypeError, at(good, node_id=1)),
        ("open-node_id-bytes", TypeError, at(good, node_id=b"n")),
        ("open-node_id-lone-surrogate", IAE, at(good, node_id=LONE)),
        ("open-durable-str", TypeError, at(good, durable="yes")),
        ("open-durable-int", TypeError, at(good, durable=1)),
        ("open-durable-None", TypeError, at(good, durable=None)),
        ("open-flush_every_ms-negative", IAE, at(good, flush_every_ms=-1)),
        ("open-flush_every_ms-2**64", IAE, at(good, flush_every_ms=2**64)),
        ("open-flush_every_ms-10**400", IAE, at(good, flush_every_ms=HUGE)),
        ("open-flush_every_ms-float", TypeError, at(good, flush_every_ms=1.5)),
        ("open-flush_every_ms-str", TypeError, at(good, flush_every_ms="5")),
        ("open-flush_every_ms-bool", TypeError, at(good, flush_every_ms=True)),
        ("open-connect_timeout-str", TypeError, at(good, connect_timeout="1")),
        ("open-connect_timeout-bytes", TypeError, at(good, connect_timeout=b"1")),
        ("open-connect_timeout-bool", TypeError, at(good, connect_timeout=True)),
        (
            "open-connect_timeout-positional",
            TypeError,
            lambda tmp: grovekv.open(tmp / "db", None, False, None, 1.0),  # type: ignore[call-arg]
        ),
        ("open-connect_timeout-negative", IAE, at(redis, connect_timeout=-1.0)),
        ("open-connect_timeout-nan", IAE, at(redis, connect_timeout=math.nan)),
        ("open-connect_timeout-inf", IAE, at(redis, connect_timeout=math.inf)),
        ("open-connect_timeout--inf", IAE, at(redis, connect_timeout=-math.inf)),
        ("open-connect_timeout-10**400", IAE, at(redis, connect_timeout=HUGE)),
        ("open_memory-connect_timeout", TypeError, mem(connect_timeout=1.0)),
        ("open-unknown-keyword", TypeError, at(good, nodeid="x")),
        ("open_memory-node_id-int", TypeError, mem(node_id=1)),
        ("open_memory-node_id-empty", IAE, mem(node_id="")),
        ("open_memory-node_id-slash", IAE, mem(node_id="a/b")),
        ("open_memory-node_id-too-long", IAE, mem(node_id="n" * 65)),
        ("open_memory-node_id-lone-surrogate", IAE, mem(node_id=LONE)),
        ("open_memory-node_id-non-ascii", IAE, mem(node_id="n\u00f6de")),
        ("open_memory-unknown-keyword", TypeError, mem(path="x")),
    ]
    return [pytest.param(call, exc, id=id) for id, exc, call in rows]


def a_file(tmp: Path) -> str:
    f = tmp / "plain-file"
    f.write_bytes(b"not a store")
    return str(f)


@pytest.mark.parametrize(("call", "expected"), open_cases())
def test_bad_open_raises(tmp_path: Path, call: Callable[[Path], object], expected: Exc) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(expected) as info:
        store = call(tmp_path)
        assert isinstance(store, grovekv.Store)
        store.close()  # not reached when the call raises as it must
    assert type(info.value) is expected, f"{type(info.value).__name__}: {info.value}"
    # Nothing was created, except the file the case made itself.
    assert sorted(p.name for p in tmp_path.iterdir()) in (before, [*before, "plain-file"])
    if (tmp_path / "plain-file").exists():
        assert (tmp_path / "plain-file").read_bytes() == b"not a store"


def test_bad_reopen_leaves_the_open_store_alone(
    worlds: dict[str, World], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Opening an open store's path again with bad settings fails and disturbs nothing."""
    w = worlds.get("sled")
    if w is None or not is_intact(w):
        w = worlds["sled"] = make_world("sled", tmp_path_factory)
    assert w.path is not None
    bad: list[tuple[dict[str, Any], Exc]] = [
        ({"node_id": "bad id"}, IAE),
        ({"node_id": LONE}, IAE),
        ({"flush_every_ms": 0}, IAE),
        ({"durable": "yes"}, TypeError),
        ({"node_id": "another-node"}, IAE),  # already open here with WORLD_NODE
    ]
    for kw, exc in bad:
        with pytest.raises(exc) as info:
            grovekv.open(w.path, **kw)
        assert type(info.value) is exc
    assert state(w) == w.baseline


# ---------------------------------------------------------------------------------------------
# Boundaries that are valid must stay valid (the checks above are not off by one).


@pytest.mark.parametrize("backend", BACKENDS)
def test_limits_themselves_are_accepted(backend: str, tmp_path: Path) -> None:
    db = grovekv.open(tmp_path / "db") if backend == "sled" else grovekv.open_memory()
    try:
        key = "k" * MAX_KEY
        db.set(key, b"v")
        assert db.get(key) == b"v"
        utf8_key = "\u00e9" * (MAX_KEY // 2)
        db.set(utf8_key, b"v")
        assert db.get(utf8_key.encode()) == b"v"
        db.set("ttl:100y", b"v", ttl=100 * 365 * 86400)
        assert db.exists("ttl:100y")
        db.set("surrogateescape:\udcff", b"v")  # the escape of byte 0xff: a valid key
        assert db.get(b"surrogateescape:\xff") == b"v"
        c = db.counter("edge")
        c.set(2**63 - 1)
        assert c.get() == 2**63 - 1
        c.set(-(2**63))
        assert c.decrement(0) == -(2**63)
        reg = db.crdt_register("r")
        reg.set([2**64 - 1, -(2**63)])
        assert reg.get() == [2**64 - 1, -(2**63)]
        assert db.queue("q").ack(2**64 - 1) is False
        assert db.export_changes(2**64 - 1)[1] == 2**64 - 1
        assert db.lock("l", 1e-3).acquire()
        rl = db.rate_limiter("r", 2**64 - 1, 1e-3)
        assert rl.allow("k", 2**64 - 1).allowed
        if backend == "memory":
            db.set("big", b"x" * grovekv.MAX_VALUE_LEN)
            assert len(db.get("big") or b"") == grovekv.MAX_VALUE_LEN
    finally:
        db.close()


def test_invalid_argument_is_a_value_error(world: World) -> None:
    with pytest.raises(ValueError):
        world.db.get("")
    with pytest.raises(ValueError):
        world.counter.increment(2**64)
    assert state(world) == world.baseline
    world.dirty = False


# ---------------------------------------------------------------------------------------------
# Core bugs found by this matrix, now fixed in the core. Each runs on its own store.


@pytest.mark.parametrize("method", ["peek", "allow"])
def test_rate_limiter_with_smaller_limit_does_not_panic(method: str) -> None:
    db = grovekv.open_memory()
    try:
        db.rate_limiter("api", 5, 60.0).allow("k", cost=3)
        smaller = db.rate_limiter("api", 2, 60.0)
        d = getattr(smaller, method)("k")
        assert not d.allowed and d.remaining == 0
    finally:
        db.close()


def test_rate_limiter_costs_summing_past_64_bits_do_not_panic() -> None:
    db = grovekv.open_memory()
    try:
        rl = db.rate_limiter("huge", 2**64 - 1, 60.0)
        assert rl.allow("k", 2**63).allowed
        d = rl.allow("k", 2**63)
        assert not d.allowed
        assert rl.peek("k").remaining == 2**63 - 1
    finally:
        db.close()


def test_rate_limiter_names_do_not_alias() -> None:
    db = grovekv.open_memory()
    try:
        db.rate_limiter("a", 5, 60.0).allow("b:c", cost=5)
        # ':' is refused in limiter names (as in leaderboard and queue names), so limiter "a"
        # key "b:c" and limiter "a:b" key "c" can never share ratelimit:a:b:c.
        with pytest.raises(grovekv.InvalidArgumentError):
            db.rate_limiter("a:b", 5, 60.0)
        assert db.rate_limiter("a", 5, 60.0).peek("b").remaining == 5
    finally:
        db.close()
