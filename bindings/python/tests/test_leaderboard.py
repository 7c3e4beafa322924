"""The leaderboard: a seeded model check, ties, 10,000-member ranks, bad scores, arguments."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

import grovekv


class Model:
    """The board as a plain dict, ranked by sorting (higher score first, ties by member)."""

    def __init__(self) -> None:
        self.scores: dict[str, float] = {}

    def ordered(self) -> list[tuple[str, float]]:
        return sorted(self.scores.items(), key=lambda kv: (-kv[1], kv[0]))

    def rank(self, member: str) -> int | None:
        if member not in self.scores:
            return None
        return [m for m, _ in self.ordered()].index(member)


def check_all(lb: grovekv.Leaderboard, model: Model) -> None:
    ordered = model.ordered()
    assert len(lb) == len(ordered)
    assert lb.range(0, len(ordered) + 5) == ordered
    for rank, (member, score) in enumerate(ordered):
        assert lb.rank(member) == rank, member
        assert lb.score(member) == score


@pytest.mark.parametrize("seed", [1, 2])
def test_random_operations_match_a_sorted_list_model(db: grovekv.Store, seed: int) -> None:
    rng = random.Random(seed)
    lb = db.leaderboard("model")
    model = Model()
    # Few members and few distinct scores, so ties and re-adds are frequent.
    members = [f"m{i:02d}" for i in range(40)] + ["a", "ab", "b", "é", "zz"]

    def some_score() -> float:
        return rng.choice([float(rng.randint(-5, 5)), rng.uniform(-100, 100), 0.5, -0.0])

    for step in range(2_000):
        op = rng.choice(["add", "add", "incr", "remove", "rank", "range", "top", "around"])
        member = rng.choice(members)
        if op == "add":
            score: float | int = some_score()
            if rng.random() < 0.3:
                score = rng.randint(-5, 5)  # ints are accepted
            lb.add(member, score)
            model.scores[member] = float(score)
        elif op == "incr":
            delta = some_score()
            expected = model.scores.get(member, 0.0) + delta
            assert lb.incr(member, delta) == expected
            model.scores[member] = expected
        elif op == "remove":
            assert lb.remove(member) is (model.scores.pop(member, None) is not None)
        elif op == "rank":
            assert lb.rank(member) == model.rank(member)
            assert lb.score(member) == model.scores.get(member)
        elif op == "range":
            start, stop = rng.randint(0, 50), rng.randint(0, 50)
            assert lb.range(start, stop) == model.ordered()[start:stop]
        elif op == "top":
            n = rng.randint(0, 50)
            assert lb.top(n) == model.ordered()[:n]
        else:
            n = rng.randint(0, 4)
            r = model.rank(member)
            expected_around = (
                []
                if r is None
                else [
                    grovekv.Ranked(i, m, s)
                    for i, (m, s) in enumerate(model.ordered())
                    if r - n <= i <= r + n
                ]
            )
            assert lb.around(member, n) == expected_around
        if step % 250 == 0:
            check_all(lb, model)
    check_all(lb, model)


def test_ties_are_ordered_by_member(db: grovekv.Store) -> None:
    lb = db.leaderboard("ties")
    for m in ["carol", "alice", "dave", "bob"]:
        lb.add(m, 10)
    lb.add("eve", 11)
    lb.add("zed", 9.5)
    assert lb.top(10) == [
        ("eve", 11.0),
        ("alice", 10.0),
        ("bob", 10.0),
        ("carol", 10.0),
        ("dave", 10.0),
        ("zed", 9.5),
    ]
    assert [lb.rank(m) for m in ["eve", "alice", "bob", "carol", "dave", "zed"]] == list(range(6))
    assert lb.rank("nobody") is None
    assert lb.score("nobody") is None
    # -0.0 and 0.0 are one score, so the tie is broken by member.
    lb.add("y0", -0.0)
    lb.add("x0", 0.0)
    assert lb.range(6, 8) == [("x0", 0.0), ("y0", 0.0)]


def test_basics_and_result_types(db: grovekv.Store) -> None:
    lb = db.leaderboard("scores")
    assert lb.name == "scores"
    assert "scores" in repr(lb)
    assert len(lb) == 0 and not lb
    assert lb.top(3) == [] and lb.range(0, 10) == [] and lb.around("x", 2) == []
    lb.add("alice", 100)
    lb.add("bob", 50.5)
    assert lb.incr("carol", 75) == 75.0
    assert lb.incr("bob", 30) == 80.5
    score = lb.score("alice")
    assert isinstance(score, float) and score == 100.0
    assert len(lb) == 3 and lb

    top = lb.top(2)
    assert top == [("alice", 100.0), ("bob", 80.5)]
    member, s = top[0]  # plain (member, score) pairs
    assert (member, s) == ("alice", 100.0)

    around = lb.around("bob", 1)
    assert around == [
        grovekv.Ranked(0, "alice", 100.0),
        grovekv.Ranked(1, "bob", 80.5),
        grovekv.Ranked(2, "carol", 75.0),
    ]
    r = around[1]
    assert isinstance(r, grovekv.Ranked)
    assert (r.rank, r.member, r.score) == (1, "bob", 80.5)
    rank, who, points = r  # a NamedTuple unpacks
    assert (rank, who, points) == (1, "bob", 80.5)
    assert lb.around("alice", 0) == [grovekv.Ranked(0, "alice", 100.0)]

    # range is half-open by rank, like a slice; out-of-range bounds are clipped.
    assert lb.range(1, 3) == [("bob", 80.5), ("carol", 75.0)]
    assert lb.range(1, 1) == []
    assert lb.range(2, 1) == []
    assert lb.range(2, 2**64 - 1) == [("carol", 75.0)]
    assert lb.range(5, 9) == []

    assert db.kind("lb:scores:alice") == "leaderboard"
    assert lb.remove("alice") is True
    assert lb.remove("alice") is False
    assert lb.rank("bob") == 0
    assert lb.clear() == 2
    assert len(lb) == 0 and lb.top(5) == []
    assert db.exists("lb:scores:bob") is False
    assert lb.clear() == 0


def test_boards_share_state_by_name_and_live_in_namespaces(db: grovekv.Store) -> None:
    a = db.leaderboard("s")
    b = db.leaderboard("s")
    a.add("x", 1)
    assert b.rank("x") == 0 and len(b) == 1
    other = db.leaderboard("s2")
    assert len(other) == 0
    tenant = db.namespace("t").leaderboard("s")
    assert len(tenant) == 0
    tenant.add("y", 2)
    assert db.kind("t:lb:s:y") == "leaderboard"
    assert len(a) == 1


def test_ten_thousand_members_rank_correctly(db: grovekv.Store, tmp_path: Path) -> None:
    rng = random.Random(10_000)
    lb = db.leaderboard("big")
    model = Model()
    for i in range(10_000):
        member = f"player-{i:05d}"
        score = float(rng.randint(0, 2_000))  # about five members per score: many ties
        lb.add(member, score)
        model.scores[member] = score
    ordered = model.ordered()
    assert len(lb) == 10_000
    for rank, (member, _) in enumerate(ordered):
        assert lb.rank(member) == rank
    assert lb.range(0, 10_000) == ordered
    assert lb.top(10) == ordered[:10]
    assert lb.range(5_000, 5_010) == ordered[5_000:5_010]
    assert lb.around(ordered[4_321][0], 3) == [
        grovekv.Ranked(i, *ordered[i]) for i in range(4_318, 4_325)
    ]
    if db.path is not None:  # sled: the index is rebuilt from the store after a reopen
        path = db.path
        db.close()
        with grovekv.open(path) as again:
            lb2 = again.leaderboard("big")
            assert len(lb2) == 10_000
            for rank in range(0, 10_000, 7):
                assert lb2.rank(ordered[rank][0]) == rank
            assert lb2.range(0, 10_000) == ordered


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinite_scores_are_invalid(db: grovekv.Store, bad: float) -> None:
    lb = db.leaderboard("bad")
    lb.add("m", 1)
    with pytest.raises(grovekv.InvalidArgumentError) as info:
        lb.add("m", bad)
    assert info.value.kind == "InvalidArgument"
    assert isinstance(info.value, ValueError)
    with pytest.raises(grovekv.InvalidArgumentError):
        lb.add("new", bad)
    with pytest.raises(grovekv.InvalidArgumentError):
        lb.incr("m", bad)
    assert lb.score("m") == 1.0
    assert lb.score("new") is None
    assert len(lb) == 1


def test_incr_past_the_finite_range_overflows(db: grovekv.Store) -> None:
    lb = db.leaderboard("big")
    lb.add("m", 1.5e308)
    with pytest.raises(grovekv.OverflowError) as info:
        lb.incr("m", 1.5e308)
    assert info.value.kind == "Overflow"
    assert lb.score("m") == 1.5e308
    with pytest.raises(grovekv.InvalidArgumentError):
        lb.add("m", 10**400)  # an int too large for a float
    assert lb.score("m") == 1.5e308


def test_member_keys_are_not_plain_values(db: grovekv.Store) -> None:
    lb = db.leaderboard("kv")
    lb.add("alice", 3)
    with pytest.raises(grovekv.WrongTypeError):
        db.delete("lb:kv:alice")
    with pytest.raises(grovekv.WrongTypeError):
        db.set("lb:kv:alice", "v")
    with pytest.raises(grovekv.WrongTypeError):
        db.get("lb:kv:alice")
    assert lb.rank("alice") == 0 and lb.score("alice") == 3.0


def test_bad_arguments(db: grovekv.Store) -> None:
    for name in ["", "a:b"]:
        with pytest.raises(grovekv.InvalidArgumentError):
            db.leaderboard(name)
    with pytest.raises(TypeError):
        db.leaderboard(b"x")  # type: ignore[arg-type]
    lb = db.leaderboard("args")
    with pytest.raises(grovekv.InvalidArgumentError):
        lb.add("", 1)  # empty member
    for bad in [True, "1", b"1", None, [1]]:
        with pytest.raises(TypeError):
            lb.add("m", bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            lb.incr("m", bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        lb.add(1, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        lb.rank(b"m")  # type: ignore[arg-type]
    with pytest.raises(grovekv.InvalidArgumentError):
        lb.top(-1)
    with pytest.raises(grovekv.InvalidArgumentError):
        lb.range(-1, 3)
    with pytest.raises(grovekv.InvalidArgumentError):
        lb.around("m", -1)
    with pytest.raises(TypeError):
        lb.top(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        lb.range(0, None)  # type: ignore[arg-type]
    assert len(lb) == 0
