"""Every primitive across real OS processes sharing one store, exact: on ``lmdb:``, and on Redis
when ``GROVE_TEST_REDIS`` names a server (the test command starts one and sets it).

Each test starts worker processes (this file run as a script: ``python test_multiprocess.py
<scenario> <target> <index> <params-json>``), each opening ``grovekv.open("lmdb:" + dir)`` on
its own. They talk to the test over stdin/stdout, one JSON value a line: a worker says
``"ready"`` once its store and handles are open and waits for ``"go"``, which the test sends to
all workers only after every one is ready, so their operations really interleave. Multi-phase
scenarios repeat that handshake (a barrier run by the test). Workers report their results as a
JSON line; the test checks them exactly. Nothing is random: payloads, members and schedules are
fixed, so a pass never depends on a lucky draw (only the OS interleaving varies).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import grovekv

WORKER_TIMEOUT = 60.0  # seconds any one wait on a worker may take before the test fails

COUNTER_PROCS = 4
COUNTER_INCREMENTS = 5_000
LOCK_PROCS = 4
LOCK_ACQUISITIONS = 60
LIMITER_PROCS = 4
LIMITER_LIMIT = 500
LIMITER_TRIES = 400  # per process: 1,600 tries in all against a limit of 500
QUEUE_PRODUCERS = 2
QUEUE_CONSUMERS = 3
QUEUE_JOBS = 500  # per producer
LB_PROCS = 4
LB_INCRS = 500
LB_ROUNDS = 20
CRDT_PROCS = 4
CRDT_INCREMENTS = 500
CRDT_ADDS = 100
SESSION_PROCS = 4
SESSIONS_EACH = 6


# ---------------------------------------------------------------------------------------------
# The test side: starting workers and talking to them.


class Worker:
    """One worker process; lines it prints are JSON values, read by a thread into a queue."""

    def __init__(self, scenario: str, target: str, index: int, params: dict[str, Any]) -> None:
        self.name = f"{scenario}[{index}]"
        self.proc = subprocess.Popen(
            [sys.executable, __file__, scenario, target, str(index), json.dumps(params)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)

    def recv(self) -> Any:
        try:
            line = self.lines.get(timeout=WORKER_TIMEOUT)
        except queue.Empty:
            raise AssertionError(f"{self.name}: no answer in {WORKER_TIMEOUT} s") from None
        if line is None:
            self.proc.wait(timeout=WORKER_TIMEOUT)
            time.sleep(0.1)  # let the stderr thread drain
            raise AssertionError(
                f"{self.name} exited ({self.proc.returncode}) early:\n{''.join(self.stderr)}"
            )
        return json.loads(line)

    def expect(self, word: str) -> None:
        got = self.recv()
        assert got == word, f"{self.name}: expected {word!r}, got {got!r}"

    def send(self, value: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(value) + "\n")
        self.proc.stdin.flush()

    def finish(self) -> None:
        """Waits for a clean exit (after its result was read)."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        code = self.proc.wait(timeout=WORKER_TIMEOUT)
        assert code == 0, f"{self.name} exited {code}:\n{''.join(self.stderr)}"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def barrier(workers: list[Worker]) -> None:
    """Waits until every worker said "ready", then lets them all go at once."""
    for w in workers:
        w.expect("ready")
    for w in workers:
        w.send("go")


@pytest.fixture(params=["lmdb", "redis", "redis-cluster"])
def shared_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store every worker of a test opens: an lmdb directory, or a fresh store on Redis
    or on a Redis Cluster."""
    if request.param == "lmdb":
        return "lmdb:" + str(tmp_path / "shared")
    var = "GROVE_TEST_REDIS" if request.param == "redis" else "GROVE_TEST_REDIS_CLUSTER"
    url = os.environ.get(var)
    if not url:
        pytest.skip(f"{var} is not set (scripts/test.sh starts the servers and sets it)")
    return f"{url}?store=mp{uuid.uuid4().hex}"


@contextmanager
def run(target: str, specs: list[tuple[str, dict[str, Any]]]) -> Iterator[list[Worker]]:
    """Starts one worker per (scenario, params) on one store; on a clean exit waits for
    each to exit 0; always reaps them."""
    workers: list[Worker] = []
    try:
        for i, (scenario, params) in enumerate(specs):
            workers.append(Worker(scenario, target, i, params))
        yield workers
        for w in workers:
            w.finish()
    finally:
        for w in workers:
            w.kill()


def run_simple(
    target: str, specs: list[tuple[str, dict[str, Any]]]
) -> tuple[list[Any], grovekv.Store]:
    """Starts the workers, releases them together, returns each one's result and a store handle
    (opened by this process on the same store, after the workers exited)."""
    with run(target, specs) as workers:
        barrier(workers)
        results = [w.recv() for w in workers]
    return results, grovekv.open(target)


# ---------------------------------------------------------------------------------------------
# The tests.


def test_counter_counts_exactly_across_processes(shared_target: str) -> None:
    n = COUNTER_INCREMENTS
    results, db = run_simple(shared_target, [("counter", {"n": n})] * COUNTER_PROCS)
    with db:
        assert db.counter("hits").get() == COUNTER_PROCS * n
    # every increment returned a distinct new value: together exactly 1..4N
    seen = sorted(v for r in results for v in r)
    assert seen == list(range(1, COUNTER_PROCS * n + 1))


def test_lock_excludes_across_processes_and_fencing_tokens_increase(shared_target: str) -> None:
    m = LOCK_ACQUISITIONS
    results, db = run_simple(shared_target, [("lock", {"m": m})] * LOCK_PROCS)
    total = LOCK_PROCS * m
    with db:
        # each holder read, then wrote back +1 (with a pause in between): exact only if no two
        # processes were ever inside at once
        assert db.get("lock-protected") == str(total).encode()
        # the order in which holders entered, as they appended their token under the lock
        order = json.loads(db.get("lock-order") or b"[]")
        info = db.lock_info("mutex")
    tokens = [t for r in results for t in r]
    assert len(tokens) == total
    assert len(set(tokens)) == total, "two acquisitions got the same fencing token"
    for r in results:
        assert r == sorted(r), "one process saw its own fencing tokens go backwards"
    assert len(order) == total
    assert order == sorted(order), f"fencing tokens out of acquisition order: {order}"
    assert sorted(order) == sorted(tokens)
    assert info.held is False
    assert info.fencing_token == max(tokens)


def test_rate_limiter_admits_exactly_limit_across_processes(shared_target: str) -> None:
    results, db = run_simple(
        shared_target,
        [("ratelimit", {"limit": LIMITER_LIMIT, "tries": LIMITER_TRIES})] * LIMITER_PROCS,
    )
    admitted = sum(r["allowed"] for r in results)
    assert admitted == LIMITER_LIMIT, [r["allowed"] for r in results]
    # remaining counts handed out while admitting are each seen once: limit-1 down to 0
    remaining = sorted(x for r in results for x in r["remaining"])
    assert remaining == list(range(LIMITER_LIMIT))
    with db:
        d = db.rate_limiter("api", limit=LIMITER_LIMIT, window=3600.0).peek("client")
        assert d.allowed is False and d.remaining == 0


def test_queue_delivers_every_job_to_exactly_one_consumer(shared_target: str) -> None:
    specs: list[tuple[str, dict[str, Any]]] = [
        ("producer", {"jobs": QUEUE_JOBS}) for _ in range(QUEUE_PRODUCERS)
    ]
    specs += [("consumer", {"producers": QUEUE_PRODUCERS}) for _ in range(QUEUE_CONSUMERS)]
    results, db = run_simple(shared_target, specs)
    produced: dict[int, str] = {}
    for p, r in enumerate(results[:QUEUE_PRODUCERS]):
        assert len(r) == QUEUE_JOBS
        for j, job_id in enumerate(r):
            assert job_id not in produced, f"job id {job_id} handed out twice by enqueue"
            produced[job_id] = f"p{p}-{j}"
    delivered: dict[int, str] = {}
    for c, r in enumerate(results[QUEUE_PRODUCERS:]):
        for job_id, payload, attempts, acked in r:
            assert job_id not in delivered, f"job {job_id} delivered twice (consumer {c})"
            assert acked is True, f"ack of job {job_id} returned False"
            assert attempts == 1
            delivered[job_id] = payload
        # FIFO among ready jobs: each producer's jobs reach a consumer in enqueue order
        for p in range(QUEUE_PRODUCERS):
            mine = [int(pl.split("-")[1]) for _, pl, _, _ in r if pl.startswith(f"p{p}-")]
            assert mine == sorted(mine), f"consumer {c} got producer {p}'s jobs out of order"
    assert delivered == produced  # none lost, none invented, payloads intact
    with db:
        assert db.queue("jobs").stats() == (0, 0, 0)


def test_leaderboard_scores_exact_and_writes_seen_at_once(shared_target: str) -> None:
    results, db = run_simple(
        shared_target, [("lb_incr", {"n": LB_INCRS, "procs": LB_PROCS})] * LB_PROCS
    )
    n = LB_INCRS
    with db:
        lb = db.leaderboard("board")
        assert lb.score("a") == LB_PROCS * n * 1.0
        assert lb.score("b") == LB_PROCS * n * 0.5
        assert lb.score("c") == n * sum(range(1, LB_PROCS + 1)) * 1.0
        assert lb.score("d") == n * sum(range(LB_PROCS)) * 1.0  # process i adds i (0 too)
        assert len(lb) == 4 + LB_PROCS
        for i in range(LB_PROCS):
            assert lb.score(f"own{i}") == float(n)
        expected_top = sorted(
            [(m, lb.score(m)) for m in ["a", "b", "c", "d"] + [f"own{i}" for i in range(LB_PROCS)]],
            key=lambda ms: (-(ms[1] or 0.0), ms[0]),
        )
        assert lb.top(100) == expected_top
    # each incr's return value is the new score: for "a" they are exactly 1..4n
    a_returns = sorted(x for r in results for x in r)
    assert a_returns == [float(k) for k in range(1, LB_PROCS * n + 1)]


def test_leaderboard_write_is_seen_by_another_process_at_once(shared_target: str) -> None:
    with run(shared_target, [("lb_seen", {}), ("lb_seen", {})]) as workers:
        barrier(workers)  # both have the board open, its index built (they read it once)
        for r in range(LB_ROUNDS):
            writer, reader = workers[r % 2], workers[1 - r % 2]
            writer.send({"op": "write", "round": r})
            assert writer.recv() == "done"
            # the reader's handle was open all along; it reads right after the writer returned
            reader.send({"op": "read", "round": r})
            got = reader.recv()
            assert got == {
                "score": float(r + 1),
                "rank": 0,
                "top": [f"m{r}", float(r + 1)],
                "len": r + 1,
                "prev_rank": None if r == 0 else 1,
                "bumped": float(r),
            }, f"round {r}: {got}"
        for w in workers:
            w.send({"op": "stop"})


def test_crdts_lose_nothing_across_processes_sharing_a_node_id(shared_target: str) -> None:
    spec = ("crdt", {"n": CRDT_INCREMENTS, "adds": CRDT_ADDS})
    with run(shared_target, [spec] * CRDT_PROCS) as workers:
        # worker 0 takes a cursor before anyone writes; the others' changes come after it
        barrier(workers)
        barrier(workers)  # everyone has written; now worker 0 exports since its cursor
        results = [w.recv() for w in workers]
    node_ids = {r["node_id"] for r in results}
    assert len(node_ids) == 1, f"one store should mean one node id, got {node_ids}"
    total = CRDT_PROCS * CRDT_INCREMENTS
    members = sorted(f"p{i}-{j}" for i in range(CRDT_PROCS) for j in range(CRDT_ADDS))
    for i, r in enumerate(results):
        # read by each process after all wrote
        assert r["value"] == total, f"process {i} reads {r['value']}"
        assert sorted(r["members"]) == members, f"process {i}: set lost adds"
    with grovekv.open(shared_target) as db:
        assert db.crdt_counter("crdt:visits").value() == total
        assert db.crdt_counter("crdt:visits").totals() == (total, 0)
        assert db.crdt_counter("crdt:visits").contributions() == {results[0]["node_id"]: (total, 0)}
        assert sorted(db.crdt_set("crdt:tags").members()) == members
    # export_changes in process 0 (since a cursor it took before anyone wrote) carries every
    # process's updates: a replica applying only those bytes reaches the same values
    exported = bytes.fromhex(results[0]["export"])
    with grovekv.open_memory(node_id="elsewhere") as replica:
        replica.apply_changes(exported)
        assert replica.crdt_counter("crdt:visits").value() == total
        assert sorted(replica.crdt_set("crdt:tags").members()) == members


def test_sessions_created_in_one_process_are_read_and_updated_in_another(
    shared_target: str,
) -> None:
    with run(shared_target, [("sessions", {"procs": SESSION_PROCS})] * SESSION_PROCS) as workers:
        for _ in range(4):  # phases: create / update the next's / check own, delete / check
            barrier(workers)
        results = [w.recv() for w in workers]
    for i, r in enumerate(results):
        assert r == "ok", f"process {i}: {r}"


# ---------------------------------------------------------------------------------------------
# The worker side (this file run as a script).


def _send(value: Any) -> None:
    print(json.dumps(value), flush=True)


def _recv() -> Any:
    line = sys.stdin.readline()
    if not line:
        raise SystemExit("the test closed stdin")
    return json.loads(line)


def _ready() -> None:
    _send("ready")
    assert _recv() == "go"


def worker_counter(db: grovekv.Store, index: int, p: dict[str, Any]) -> Any:
    c = db.counter("hits")
    _ready()
    return [c.increment() for _ in range(p["n"])]


def worker_lock(db: grovekv.Store, index: int, p: dict[str, Any]) -> Any:
    lock = db.lock("mutex", ttl=60.0)  # long: no lease may expire under a loaded machine
    tokens: list[int] = []
    _ready()
    for _ in range(p["m"]):
        assert lock.acquire(timeout=None, retry_interval=0.002)
        token = lock.fencing_token
        value = int(db.get("lock-protected") or b"0")
        time.sleep(0.001)  # widen the window a second holder would hit
        db.set("lock-protected", str(value + 1))
        order = json.loads(db.get("lock-order") or b"[]")
        order.append(token)
        db.set("lock-order", json.dumps(order))
        tokens.append(token)
        assert lock.release(), "release by the holder returned False"
    return tokens


def worker_ratelimit(db: grovekv.Store, index: int, p: dict[str, Any]) -> Any:
    rl = db.rate_limiter("api", limit=p["limit"], window=3600.0)
    allowed = 0
    remaining: list[int] = []
    _ready()
    for _ in range(p["tries"]):
        d = rl.allow("client")
        if d.allowed:
            allowed += 1
            remaining.append(d.remaining)
    return {"allowed": allowed, "remaining": remaining}


def worker_producer(db: grovekv.Store, index: int, p: dict[str, Any]) -> Any:
    q = db.queue("jobs", visibility_timeout=120.0)
    done = db.counter("producers-done")
    _ready()
    ids = [q.enqueue(f"p{index}-{j}") for j in range(p["jobs"])]
    done.increment()
    return ids


def worker_consumer(db: grovekv.Store, index: int, p: dict[str, Any]) -> Any:
    # visibility_timeout is long, so a job is never redelivered here: "exactly once" is exact
    q = db.queue("jobs", visibility_timeout=120.0)
    done = db.counter("producers-done")
    got: list[tuple[int, str, int, bool]] = []
    _ready()
    while True:
        # read "done" before trying: if every producer had finished and nothing is ready,
        # every job was delivered (none can be in flight for long, none redelivered)
        finished = done.get() == p["producers"]
        job = q.dequeue(timeout=0.02)
        if job is None:
            if finished:
                return got
            continue
        got.append((job.id, job.payload.decode(), job.attempts, q.ack(job.id)))


def worker_lb_incr(db: grovekv.Store, index: int, p: dict[str, Any]) -> Any:
    lb = db.leaderboard("board")
    a_returns: list[float] = []
    _ready()
    for _ in range(p["n"]):
        a_returns.append(lb.incr("a", 1))
        lb.incr("b", 0.5)
        lb.incr("c", index + 1)
        lb.incr("d", index)
        lb.incr(f"own{index}", 1)
    return a_returns


def worker_lb_seen(db: grovekv.Store, index: int, p: dict[str, Any]) -> Any:
    lb = db.leaderboard("seen")
    assert len(lb) == 0 and lb.top(5) == []  # builds this process's index before anyone writes
    _ready()
    while True:
        cmd = _recv()
        r = cmd.get("round", 0)
        if cmd["op"] == "stop":
            return None
        if cmd["op"] == "write":
            # round r: a new member m<r> goes on top with r+1; the previous top drops to r
            if r > 0:
                lb.add(f"m{r - 1}", float(r))
            lb.add(f"m{r}", float(r + 1))
            _send("done")
        else:
            top = lb.top(1)
            _send(
                {
                    "score": lb.score(f"m{r}"),
                    "rank": lb.rank(f"m{r}"),
                    "top": list(top[0]) if top else None,
                    "len": len(lb),
                    "prev_rank": None if r == 0 else lb.rank(f"m{r - 1}"),
                    "bumped": lb.score(f"m{r - 1}") if r > 0 else 0.0,
                }
            )


def worker_crdt(db: grovekv.Store, index: int, p: dict[str, Any]) -> Any:
    counter = db.crdt_counter("crdt:visits")
    tags = db.crdt_set("crdt:tags")
    _, cursor = db.export_changes(since=0)
    _ready()
    for k in range(max(p["n"], p["adds"])):
        if k < p["n"]:
            counter.increment()
        if k < p["adds"]:
            tags.add(f"p{index}-{k}")
    _ready()
    export = db.export_changes(since=cursor)[0].hex() if index == 0 else ""
    return {
        "node_id": db.node_id,
        "value": counter.value(),
        "members": tags.members(),
        "export": export,
    }


def worker_sessions(db: grovekv.Store, index: int, p: dict[str, Any]) -> Any:
    procs = p["procs"]
    nxt, prev = (index + 1) % procs, (index - 1) % procs
    s = db.sessions(ttl=600)
    problems: list[str] = []

    def check(ok: bool, what: str) -> None:
        if not ok:
            problems.append(what)

    # phase 1: create, and publish the ids through the store
    _ready()
    mine = [s.create({"owner": index, "n": k, "cart": []}) for k in range(SESSIONS_EACH)]
    db.set(f"session-ids:{index}", json.dumps(mine))
    # phase 2: read the next process's sessions, update them, touch them
    _ready()
    theirs: list[str] = json.loads(db.get(f"session-ids:{nxt}") or b"[]")
    check(len(theirs) == SESSIONS_EACH, f"saw {len(theirs)} ids of process {nxt}")
    for k, sid in enumerate(theirs):
        check(s.get(sid) == {"owner": nxt, "n": k, "cart": []}, f"read {nxt}'s session {k}")
        check(s.update(sid, {"owner": nxt, "n": k, "by": index}), f"update {nxt}'s session {k}")
        check(s.touch(sid), f"touch {nxt}'s session {k}")
    # phase 3: own sessions carry the previous process's update; delete the even ones
    _ready()
    for k, sid in enumerate(mine):
        got = s.get(sid)
        check(got == {"owner": index, "n": k, "by": prev}, f"own session {k} reads {got}")
        if k % 2 == 0:
            check(s.delete(sid), f"delete own session {k}")
    # phase 4: the next process's deletes are seen here, and update/touch never resurrect them
    _ready()
    for k, sid in enumerate(theirs):
        if k % 2 == 0:
            check(s.get(sid) is None and not s.exists(sid), f"{nxt}'s deleted session {k} seen")
            check(not s.update(sid, {"x": 1}), f"update resurrected {nxt}'s session {k}")
            check(not s.touch(sid), f"touch resurrected {nxt}'s session {k}")
            check(s.get(sid) is None, f"{nxt}'s session {k} came back")
        else:
            check(s.exists(sid), f"{nxt}'s kept session {k} missing")
    return problems or "ok"


WORKERS: dict[str, Callable[[grovekv.Store, int, dict[str, Any]], Any]] = {
    "counter": worker_counter,
    "lock": worker_lock,
    "ratelimit": worker_ratelimit,
    "producer": worker_producer,
    "consumer": worker_consumer,
    "lb_incr": worker_lb_incr,
    "lb_seen": worker_lb_seen,
    "crdt": worker_crdt,
    "sessions": worker_sessions,
}


def worker_main(argv: list[str]) -> None:
    scenario, target, index, params = argv[0], argv[1], int(argv[2]), json.loads(argv[3])
    with grovekv.open(target) as db:
        result = WORKERS[scenario](db, index, params)
        if result is not None:
            _send(result)
        # keep the store open until the test closes stdin (after every worker reported)
        sys.stdin.read()


if __name__ == "__main__":
    worker_main(sys.argv[1:])
