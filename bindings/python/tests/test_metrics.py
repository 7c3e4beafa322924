"""Metrics: exact counts and errors per operation, percentiles, Prometheus text."""

from __future__ import annotations

from pathlib import Path

import pytest

import grovekv


@pytest.mark.parametrize("engine", ["memory", "sled", "lmdb"])
def test_metrics_count_exactly(engine: str, tmp_path: Path) -> None:
    target = {"memory": "memory:", "sled": str(tmp_path / "db"), "lmdb": f"lmdb:{tmp_path / 'db'}"}
    db = grovekv.open(target[engine])
    assert db.metrics() == {}
    c = db.counter("hits")
    for _ in range(30):
        c.increment()
    for _ in range(4):
        c.decrement()
    db.set("counter:text", b"x")
    with pytest.raises(grovekv.WrongTypeError):
        db.counter("text").increment()
    view = db.namespace("tenant")
    for _ in range(5):
        assert view.get("absent") is None
    q = view.queue("jobs")
    q.enqueue(b"a")
    job = q.dequeue()
    assert job is not None
    assert q.ack(job.id)

    m = db.metrics()
    assert m == view.metrics()
    counts = {name: (o.count, o.errors) for name, o in m.items()}
    assert counts == {
        "counter.increment": (31, 1),
        "counter.decrement": (4, 0),
        "kv.set": (1, 0),
        "kv.get": (5, 0),
        "queue.enqueue": (1, 0),
        "queue.dequeue": (1, 0),
        "queue.ack": (1, 0),
    }
    for name, o in m.items():
        assert isinstance(o, grovekv.OpMetrics)
        assert 0 < o.p50_us <= o.p99_us, name

    text = db.metrics_prometheus()
    assert 'grove_ops_total{op="counter.increment"} 31\n' in text
    assert 'grove_op_errors_total{op="counter.increment"} 1\n' in text
    assert "# TYPE grove_op_duration_seconds histogram\n" in text

    db.close()
    with pytest.raises(grovekv.ClosedError):
        db.metrics()
    with pytest.raises(grovekv.ClosedError):
        view.metrics_prometheus()
