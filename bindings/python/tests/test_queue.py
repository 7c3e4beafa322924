"""The job queue: FIFO, delays, redelivery, dead letters, nack, threads, blocking dequeue."""

from __future__ import annotations

import _thread
import threading
import time
from pathlib import Path

import pytest

import grovekv


def test_fifo_and_result_types(db: grovekv.Store) -> None:
    q = db.queue("tasks")
    assert (q.name, q.visibility_timeout, q.max_attempts) == ("tasks", 30.0, 5)
    assert "tasks" in repr(q)
    assert q.stats() == grovekv.QueueStats(0, 0, 0)
    assert q.dequeue() is None
    before = time.time()
    ids = [q.enqueue(f"job-{i}") for i in range(10)]
    assert ids == sorted(ids) and len(set(ids)) == 10
    stats = q.stats()
    assert isinstance(stats, grovekv.QueueStats)
    assert stats == (10, 0, 0)
    ready, in_flight, dead = stats  # a NamedTuple unpacks
    assert (ready, in_flight, dead) == (10, 0, 0)

    for i, job_id in enumerate(ids):
        job = q.dequeue()
        assert isinstance(job, grovekv.Job)
        assert job.id == job_id
        assert job.payload == f"job-{i}".encode()
        assert job.attempts == 1
        assert before - 1.0 <= job.enqueued_at <= time.time() + 1.0
        assert q.stats().in_flight == i + 1
    assert q.dequeue() is None
    for job_id in ids:
        assert q.ack(job_id) is True
        assert q.ack(job_id) is False  # acked once
    assert q.stats() == (0, 0, 0)
    assert q.ack(12345) is False
    assert q.nack(12345) is False


def test_payloads(db: grovekv.Store) -> None:
    q = db.queue("payloads")
    q.enqueue(b"\x00\xff raw")
    q.enqueue("héllo")
    q.enqueue(bytearray(b"ba"))
    got = [q.dequeue() for _ in range(3)]
    assert [j.payload for j in got if j is not None] == [b"\x00\xff raw", "héllo".encode(), b"ba"]
    with pytest.raises(TypeError):
        q.enqueue(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        q.enqueue(None)  # type: ignore[arg-type]


def test_delayed_jobs_become_ready_at_their_time(db: grovekv.Store) -> None:
    q = db.queue("delay")
    late = q.enqueue("late", delay=0.3)
    now = q.enqueue("now")
    job = q.dequeue()
    assert job is not None and job.id == now
    assert q.dequeue() is None
    assert q.stats() == (1, 1, 0)  # a delayed job counts as ready
    start = time.monotonic()
    job = q.dequeue(timeout=2.0)
    assert job is not None and job.id == late
    assert time.monotonic() - start >= 0.2


def test_unacked_job_is_redelivered_after_the_visibility_timeout(db: grovekv.Store) -> None:
    q = db.queue("redeliver", visibility_timeout=0.2)
    job_id = q.enqueue("work")
    first = q.dequeue()
    assert first is not None and first.attempts == 1
    assert q.dequeue() is None  # invisible while in flight
    time.sleep(0.25)
    second = q.dequeue()
    assert second is not None
    assert (second.id, second.payload, second.attempts) == (job_id, b"work", 2)
    assert second.enqueued_at == first.enqueued_at
    assert q.stats() == (0, 1, 0)
    assert q.ack(job_id) is True
    assert q.stats() == (0, 0, 0)


def test_dead_letters_after_max_attempts(db: grovekv.Store) -> None:
    q = db.queue("dlq", visibility_timeout=0.1, max_attempts=2)
    keep = q.enqueue("poison")
    for attempt in (1, 2):
        job = q.dequeue()
        assert job is not None and job.attempts == attempt
        time.sleep(0.15)
    assert q.dequeue() is None  # the third delivery would exceed max_attempts
    assert q.stats() == (0, 0, 1)
    dead = q.dead_letters()
    assert len(dead) == 1
    assert isinstance(dead[0], grovekv.Job)
    assert (dead[0].id, dead[0].payload, dead[0].attempts) == (keep, b"poison", 2)
    assert q.ack(keep) is False and q.nack(keep) is False
    other = q.enqueue("fine")  # the queue keeps working
    job = q.dequeue()
    assert job is not None and job.id == other
    assert q.ack(other)
    assert q.stats() == (0, 0, 1)


def test_nack_with_and_without_delay(db: grovekv.Store) -> None:
    q = db.queue("nack")
    job_id = q.enqueue("retry me")
    job = q.dequeue()
    assert job is not None
    assert q.nack(job_id, delay=0.3) is True
    assert q.nack(job_id) is False  # no longer in flight
    assert q.stats() == (1, 0, 0)
    assert q.dequeue() is None  # not before its delay
    start = time.monotonic()
    again = q.dequeue(timeout=2.0)
    assert again is not None and again.id == job_id and again.attempts == 2
    assert time.monotonic() - start >= 0.2
    assert q.nack(job_id) is True  # no delay: ready at once
    third = q.dequeue()
    assert third is not None and third.attempts == 3
    assert q.ack(job_id) is True


def test_blocking_dequeue_times_out_without_blocking_other_threads(db: grovekv.Store) -> None:
    q = db.queue("idle")
    result: list[grovekv.Job | None] = []
    thread = threading.Thread(target=lambda: result.append(q.dequeue(timeout=0.6)))
    ticks = 0
    longest_gap = 0.0
    start = last = time.monotonic()
    thread.start()
    while thread.is_alive():
        ticks += 1
        now = time.monotonic()
        longest_gap = max(longest_gap, now - last)
        last = now
        time.sleep(0.001)
    elapsed = time.monotonic() - start
    assert result == [None]
    assert 0.55 <= elapsed < 2.0
    assert ticks > 50, f"the main thread made little progress ({ticks} ticks)"
    assert longest_gap < 0.4, f"the main thread stalled for {longest_gap:.3f} s"
    # timeout=None and 0 make one try.
    start = time.monotonic()
    assert q.dequeue() is None and q.dequeue(timeout=None) is None and q.dequeue(0) is None
    assert time.monotonic() - start < 0.3


def test_blocking_dequeue_wakes_for_a_job_from_another_thread(db: grovekv.Store) -> None:
    q = db.queue("wake")
    timer = threading.Timer(0.2, lambda: q.enqueue("hello"))
    start = time.monotonic()
    timer.start()
    try:
        job = q.dequeue(timeout=5.0)
    finally:
        timer.join()
    assert job is not None and job.payload == b"hello"
    assert time.monotonic() - start < 2.0


def test_blocking_dequeue_answers_ctrl_c(db: grovekv.Store) -> None:
    q = db.queue("sigint")
    timer = threading.Timer(0.2, _thread.interrupt_main)
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            q.dequeue(timeout=10.0)
    finally:
        timer.join()
    assert time.monotonic() - start < 2.0


def test_four_producers_and_four_consumers_move_every_job_exactly_once(
    db: grovekv.Store,
) -> None:
    producers, consumers, per_producer = 4, 4, 5_000
    total = producers * per_producer
    q = db.queue("busy", visibility_timeout=60.0)
    enqueued: dict[int, bytes] = {}
    delivered: list[list[tuple[int, bytes]]] = [[] for _ in range(consumers)]
    held: set[int] = set()
    held_lock = threading.Lock()
    acked = [0]
    done = threading.Event()
    errors: list[BaseException] = []
    barrier = threading.Barrier(producers + consumers)

    def produce(p: int) -> None:
        try:
            barrier.wait()
            mine = {}
            for i in range(per_producer):
                payload = f"{p}-{i}".encode()
                mine[q.enqueue(payload)] = payload
            with held_lock:
                enqueued.update(mine)
        except BaseException as e:
            errors.append(e)
            done.set()

    def consume(c: int) -> None:
        try:
            barrier.wait()
            while not done.is_set():
                job = q.dequeue(timeout=0.05)
                if job is None:
                    continue
                with held_lock:
                    assert job.id not in held, f"job {job.id} held by two consumers"
                    held.add(job.id)
                delivered[c].append((job.id, job.payload))
                ok = q.ack(job.id)
                with held_lock:
                    held.discard(job.id)
                    assert ok, f"ack of job {job.id} failed"
                    acked[0] += 1
                    if acked[0] == total:
                        done.set()
        except BaseException as e:
            errors.append(e)
            done.set()

    threads = [threading.Thread(target=produce, args=(p,)) for p in range(producers)]
    threads += [threading.Thread(target=consume, args=(c,)) for c in range(consumers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    got = [pair for per in delivered for pair in per]
    assert len(got) == total
    assert len({job_id for job_id, _ in got}) == total  # no job delivered twice
    assert dict(got) == enqueued  # none lost, payloads intact
    assert q.stats() == (0, 0, 0)
    assert q.dequeue() is None


def test_jobs_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "db"
    with grovekv.open(path) as db:
        q = db.queue("durable", visibility_timeout=60.0)
        first = q.enqueue("one")
        second = q.enqueue("two")
        job = q.dequeue()
        assert job is not None and job.id == first
    with grovekv.open(path) as db:
        q = db.queue("durable", visibility_timeout=60.0)
        assert q.stats() == (1, 1, 0)
        job = q.dequeue()
        assert job is not None and job.id == second
        assert q.ack(first) and q.ack(second)
        assert q.stats() == (0, 0, 0)


def test_queues_are_separate_by_name_and_namespace(db: grovekv.Store) -> None:
    a = db.queue("a")
    b = db.queue("b")
    view = db.namespace("t").queue("a")
    a.enqueue("x")
    assert b.dequeue() is None and view.dequeue() is None
    assert db.queue("a").stats().ready == 1  # same name, same queue


def test_bad_arguments(db: grovekv.Store) -> None:
    for name in ["", "a:b"]:
        with pytest.raises(grovekv.InvalidArgumentError):
            db.queue(name)
    with pytest.raises(TypeError):
        db.queue(b"q")  # type: ignore[arg-type]
    for vt in [0, -1.0, float("nan"), float("inf")]:
        with pytest.raises(grovekv.InvalidArgumentError):
            db.queue("q", visibility_timeout=vt)
    with pytest.raises(TypeError):
        db.queue("q", visibility_timeout="30")  # type: ignore[arg-type]
    for ma in [0, -1, 2**32]:
        with pytest.raises(grovekv.InvalidArgumentError):
            db.queue("q", max_attempts=ma)
    with pytest.raises(TypeError):
        db.queue("q", max_attempts=1.5)  # type: ignore[arg-type]
    q = db.queue("q")
    for bad in [-1.0, float("nan"), float("inf")]:
        with pytest.raises(grovekv.InvalidArgumentError):
            q.enqueue("x", delay=bad)
        with pytest.raises(grovekv.InvalidArgumentError):
            q.dequeue(timeout=bad)
        with pytest.raises(grovekv.InvalidArgumentError):
            q.nack(1, delay=bad)
    with pytest.raises(TypeError):
        q.dequeue(timeout="1")  # type: ignore[arg-type]
    with pytest.raises(grovekv.InvalidArgumentError):
        q.ack(-1)
    with pytest.raises(TypeError):
        q.ack("1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        q.nack(1.0)  # type: ignore[arg-type]
    assert q.stats() == (0, 0, 0)
