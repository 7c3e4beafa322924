"""Key/value operations: get/set/delete/exists/kind, TTL, keys, get_many/set_many, purge."""

from __future__ import annotations

import threading
import time

import pytest

import grovekv


def test_set_get_roundtrip(db: grovekv.Store) -> None:
    assert db.get("missing") is None
    db.set("k", b"\x00\x01binary")
    assert db.get("k") == b"\x00\x01binary"
    db.set("k", "héllo")
    assert db.get("k") == "héllo".encode()
    db.set(b"bk", bytearray(b"ba"))
    assert db.get("bk") == b"ba"
    assert db.get(b"bk") == b"ba"
    db.set("empty", b"")
    assert db.get("empty") == b""


def test_delete_and_exists(db: grovekv.Store) -> None:
    assert db.exists("k") is False
    assert db.delete("k") is False
    db.set("k", "v")
    assert db.exists("k") is True
    assert db.delete("k") is True
    assert db.exists("k") is False
    assert db.get("k") is None


def test_kind(db: grovekv.Store) -> None:
    assert db.kind("nothing") is None
    db.set("s", "v")
    db.counter("c").increment()
    assert db.kind("s") == "string"
    assert db.kind("counter:c") == "counter"


def test_ttl_and_expiry(db: grovekv.Store) -> None:
    # 0.3 s, not 0.05: the key must still be live at the ttl() call even on a busy machine.
    db.set("short", "v", ttl=0.3)
    db.set("forever", "v")
    remaining = db.ttl("short")
    assert remaining is not None and 0 < remaining <= 0.3
    assert db.ttl("forever") is None
    time.sleep(0.4)
    assert db.get("short") is None
    assert db.exists("short") is False
    with pytest.raises(grovekv.NotFoundError) as info:
        db.ttl("short")
    assert info.value.kind == "NotFound"


def test_ttl_accepts_int_and_float(db: grovekv.Store) -> None:
    db.set("a", "v", ttl=100)
    db.set("b", "v", ttl=1.5)
    ta, tb = db.ttl("a"), db.ttl("b")
    assert ta is not None and 99 < ta <= 100
    assert tb is not None and 1 < tb <= 1.5


def test_ttl_missing_key_is_not_found(db: grovekv.Store) -> None:
    with pytest.raises(grovekv.NotFoundError):
        db.ttl("never-set")


def test_expire_and_persist(db: grovekv.Store) -> None:
    assert db.expire("missing", 10) is False
    db.set("k", "v")
    assert db.persist("k") is False
    assert db.expire("k", 10.0) is True
    t = db.ttl("k")
    assert t is not None and 9 < t <= 10
    assert db.persist("k") is True
    assert db.ttl("k") is None
    assert db.expire("k", 0) is True  # a zero ttl deletes at once
    assert db.exists("k") is False


def test_expire_works_on_counters(db: grovekv.Store) -> None:
    c = db.counter("hits")
    c.increment(3)
    assert db.expire("counter:hits", 0.3) is True
    assert c.increment() == 4  # an increment keeps the expiry (0.3 s: still live on a busy machine)
    time.sleep(0.4)
    assert c.get() == 0


@pytest.mark.parametrize("bad", [-1, -0.5, float("nan"), float("inf"), 1e12])
def test_invalid_ttl(db: grovekv.Store, bad: float) -> None:
    db.set("k", "old")
    with pytest.raises(grovekv.InvalidArgumentError) as info:
        db.set("k", "new", ttl=bad)
    assert isinstance(info.value, ValueError)
    assert info.value.kind == "InvalidArgument"
    with pytest.raises(grovekv.InvalidArgumentError):
        db.expire("k", bad)
    with pytest.raises(grovekv.InvalidArgumentError):
        db.set_many({"k": "new"}, ttl=bad)
    assert db.get("k") == b"old"
    assert db.ttl("k") is None


def test_zero_ttl_on_set_is_invalid(db: grovekv.Store) -> None:
    with pytest.raises(grovekv.InvalidArgumentError):
        db.set("k", "v", ttl=0)
    assert db.exists("k") is False


def test_keys_lazy_sorted_and_prefixed(db: grovekv.Store) -> None:
    for i in range(600):  # more than one internal page
        db.set(f"user:{i:04d}", "x")
    db.set("other", "x")
    it = db.keys("user:")
    assert iter(it) is it
    assert next(it) == "user:0000"
    rest = list(it)
    assert len(rest) == 599
    assert rest[-1] == "user:0599"
    assert list(db.keys()) == sorted([f"user:{i:04d}" for i in range(600)] + ["other"])
    assert list(db.keys(b"oth")) == ["other"]
    assert list(db.keys("zzz")) == []
    assert list(db.keys("")) == list(db.keys())


def test_keys_skip_expired(db: grovekv.Store) -> None:
    db.set("a", "1", ttl=0.05)
    db.set("b", "2")
    time.sleep(0.12)
    assert list(db.keys()) == ["b"]


def test_non_utf8_keys_round_trip_as_surrogateescape(db: grovekv.Store) -> None:
    db.set(b"raw\xff", b"v")
    (key,) = list(db.keys())
    assert isinstance(key, str)
    assert key == b"raw\xff".decode("utf-8", "surrogateescape")
    assert db.get(key) == b"v"
    assert db.delete(key) is True


def test_get_many_and_set_many(db: grovekv.Store) -> None:
    db.set_many({"a": b"1", b"b": "2", "c": bytearray(b"3")})
    assert db.get_many(["a", "b", "missing", b"c"]) == [b"1", b"2", None, b"3"]
    assert db.get_many([]) == []
    assert db.get_many(k for k in ("a",)) == [b"1"]
    db.set_many({})
    db.set_many({"t1": "x", "t2": "y"}, ttl=0.05)
    time.sleep(0.12)
    assert db.get_many(["t1", "t2"]) == [None, None]


def test_set_many_accepts_any_mapping(db: grovekv.Store) -> None:
    from collections import OrderedDict
    from types import MappingProxyType

    db.set_many(OrderedDict([("a", "1")]))
    db.set_many(MappingProxyType({"b": "2"}))
    assert db.get_many(["a", "b"]) == [b"1", b"2"]


def test_set_many_is_atomic_on_wrong_type(db: grovekv.Store) -> None:
    db.counter("c").increment()
    with pytest.raises(grovekv.WrongTypeError):
        db.set_many({"fresh": "1", "counter:c": "2"})
    assert db.get("fresh") is None
    assert db.counter("c").get() == 1


def test_set_many_is_atomic_on_bad_key(db: grovekv.Store) -> None:
    with pytest.raises(grovekv.InvalidArgumentError):
        db.set_many({"fresh": "1", "": "2"})
    assert db.get("fresh") is None


def test_purge_expired(db: grovekv.Store) -> None:
    db.set("a", "1", ttl=0.3)  # 0.3 s: nothing has expired yet at the first purge, even when busy
    db.set("b", "2", ttl=0.3)
    db.set("c", "3")
    assert db.purge_expired() == 0
    time.sleep(0.4)
    assert db.purge_expired() == 2
    assert db.purge_expired() == 0
    assert list(db.keys()) == ["c"]


def test_wrong_type_between_kv_and_counter(db: grovekv.Store) -> None:
    db.counter("n").increment()
    with pytest.raises(grovekv.WrongTypeError) as info:
        db.get("counter:n")
    assert info.value.kind == "WrongType"
    with pytest.raises(grovekv.WrongTypeError):
        db.set("counter:n", "text")
    with pytest.raises(grovekv.WrongTypeError):
        db.get_many(["counter:n"])
    assert db.delete("counter:n") is True  # delete removes whatever the key holds
    db.set("counter:n", "text")
    with pytest.raises(grovekv.WrongTypeError):
        db.counter("n").increment()
    assert db.get("counter:n") == b"text"


def test_key_and_value_limits(db: grovekv.Store) -> None:
    with pytest.raises(grovekv.InvalidArgumentError):
        db.set("", "v")
    with pytest.raises(grovekv.InvalidArgumentError):
        db.get("")
    with pytest.raises(grovekv.InvalidArgumentError):
        db.set("k" * (grovekv.MAX_KEY_LEN + 1), "v")
    db.set("k" * grovekv.MAX_KEY_LEN, "v")
    with pytest.raises(grovekv.InvalidArgumentError):
        db.set("big", b"x" * (grovekv.MAX_VALUE_LEN + 1))
    assert db.exists("big") is False


@pytest.mark.parametrize("bad_key", [1, 1.5, None, ["k"], object()])
def test_wrong_key_types_are_type_errors(db: grovekv.Store, bad_key: object) -> None:
    with pytest.raises(TypeError, match="key must be str or bytes"):
        db.get(bad_key)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.set(bad_key, "v")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.delete(bad_key)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.exists(bad_key)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad_value", [1, 1.5, None, ["v"], {"a": 1}, memoryview(b"x")])
def test_wrong_value_types_are_type_errors(db: grovekv.Store, bad_value: object) -> None:
    with pytest.raises(TypeError, match="value must be bytes or str"):
        db.set("k", bad_value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.set_many({"k": bad_value})  # type: ignore[dict-item]
    assert db.exists("k") is False


def test_other_wrong_argument_types(db: grovekv.Store) -> None:
    with pytest.raises(TypeError):
        db.set("k", "v", ttl="10")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.expire("k", None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.get_many("abc")
    with pytest.raises(TypeError):
        db.get_many(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.set_many(["k", "v"])  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.keys(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.counter(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.namespace(b"ns")  # type: ignore[arg-type]


def test_lone_surrogates(db: grovekv.Store) -> None:
    with pytest.raises(grovekv.InvalidArgumentError):
        db.set("k", "\udcff")  # values are strict UTF-8
    with pytest.raises(grovekv.InvalidArgumentError):
        db.set("\ud800", "v")  # not a surrogateescape byte
    with pytest.raises(grovekv.InvalidArgumentError):
        db.counter("\ud800")
    assert list(db.keys()) == []


def test_set_if_absent(db: grovekv.Store) -> None:
    assert db.set_if_absent("k", b"first") is True
    assert db.set_if_absent("k", "second") is False
    assert db.get("k") == b"first"
    assert db.set_if_absent(b"bk", bytearray(b"v"), ttl=60) is True
    ttl = db.ttl("bk")
    assert ttl is not None and 0 < ttl <= 60
    db.set("gone", b"x", ttl=0.05)
    time.sleep(0.1)
    assert db.set_if_absent("gone", b"again") is True  # an expired key is absent
    assert db.get("gone") == b"again"


def test_set_if_present(db: grovekv.Store) -> None:
    assert db.set_if_present("k", b"v") is False
    assert db.exists("k") is False
    db.set("k", b"old", ttl=60)
    assert db.set_if_present("k", "new") is True
    assert db.get("k") == b"new"
    assert db.ttl("k") is None  # the new value has the given ttl: none
    assert db.set_if_present("k", b"newer", ttl=30) is True
    ttl = db.ttl("k")
    assert ttl is not None and 0 < ttl <= 30


def test_compare_and_set(db: grovekv.Store) -> None:
    assert db.compare_and_set("k", b"x", b"v") is False  # absent is not b"x"
    assert db.compare_and_set("k", None, b"v1") is True  # None: only if absent
    assert db.compare_and_set("k", None, b"v2") is False
    assert db.compare_and_set("k", b"wrong", b"v2") is False
    assert db.get("k") == b"v1"
    assert db.compare_and_set("k", "v1", "v2") is True  # str compares as UTF-8
    assert db.compare_and_set(b"k", bytearray(b"v2"), b"v3", ttl=60) is True
    assert db.get("k") == b"v3"
    assert db.ttl("k") is not None
    db.set("e", b"")
    assert db.compare_and_set("e", None, b"x") is False  # empty is present, not absent
    assert db.compare_and_set("e", b"", b"x") is True


def test_get_set_and_get_delete(db: grovekv.Store) -> None:
    assert db.get_set("k", b"one") is None
    assert db.get_set("k", "two") == b"one"
    assert db.get_set("k", b"three", ttl=60) == b"two"
    assert db.ttl("k") is not None
    assert db.get_delete("k") == b"three"
    assert db.exists("k") is False
    assert db.get_delete("k") is None
    db.set("e", b"")
    assert db.get_delete("e") == b""


def test_conditional_writes_on_another_kind_are_wrong_type(db: grovekv.Store) -> None:
    db.counter("c").set(7)
    for call in (
        lambda: db.set_if_absent("counter:c", b"x"),
        lambda: db.set_if_present("counter:c", b"x"),
        lambda: db.compare_and_set("counter:c", None, b"x"),
        lambda: db.get_set("counter:c", b"x"),
        lambda: db.get_delete("counter:c"),
    ):
        with pytest.raises(grovekv.WrongTypeError):
            call()
    assert db.counter("c").get() == 7


def test_conditional_writes_check_their_arguments(db: grovekv.Store) -> None:
    with pytest.raises(grovekv.InvalidArgumentError):
        db.set_if_absent("", b"v")
    with pytest.raises(grovekv.InvalidArgumentError):
        db.set_if_absent("k", b"v", ttl=0)
    with pytest.raises(TypeError):
        db.compare_and_set("k", 1, b"v")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        db.get_set("k", None)  # type: ignore[arg-type]
    assert db.exists("k") is False


def test_set_if_absent_has_one_winner_among_threads(db: grovekv.Store) -> None:
    threads = 8
    start = threading.Barrier(threads)
    wins: list[bool] = []
    lock = threading.Lock()

    def claim(i: int) -> None:
        start.wait()
        won = db.set_if_absent("owner", f"t{i}")
        with lock:
            wins.append(won)

    pool = [threading.Thread(target=claim, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert wins.count(True) == 1
