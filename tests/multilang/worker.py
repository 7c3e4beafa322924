"""Multilang worker (Python door) and the final checker.

Worker: python worker.py work <target> <K> <start-file> <acked-log>
Checker: python worker.py check <target> <K> <acked-log>...
"""

from __future__ import annotations

import os
import sys
import time

import grovekv

WORKERS = 4  # python, node, go, c


def wait_for(path: str) -> None:
    deadline = time.monotonic() + 30.0
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            sys.exit(f"python worker: {path} never appeared")
        time.sleep(0.002)


def work(target: str, k: int, start: str, log: str) -> None:
    with grovekv.open(target) as db:
        counter = db.counter("ml")
        board = db.leaderboard("ml")
        q = db.queue("ml", visibility_timeout=120.0, max_attempts=5)
        done = db.counter("ml-producers-done")
        open(log + ".ready", "w").close()
        wait_for(start)
        for i in range(k):
            counter.increment()
            board.incr("shared", 1)
            q.enqueue(f"python-{i}")
        done.increment()
        with open(log, "w") as out:
            while True:
                finished = done.get() == WORKERS  # read before dequeue: see the C worker
                job = q.dequeue()
                if job is None:
                    if finished:
                        break
                    time.sleep(0.001)
                    continue
                acked = q.ack(job.id)
                out.write(f"{job.id} {job.payload.decode()} {job.attempts} {int(acked)}\n")


def check(target: str, k: int, logs: list[str]) -> int:
    failed = 0

    def report(ok: bool, name: str, detail: str) -> None:
        nonlocal failed
        print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}")
        failed += 0 if ok else 1

    total = WORKERS * k
    with grovekv.open(target) as db:
        value = db.counter("ml").get()
        report(value == total, f"counter is exactly {total}", f"got {value}")
        score = db.leaderboard("ml").score("shared")
        report(score == float(total), f"leaderboard score is exactly {total}", f"got {score}")
        stats = db.queue("ml", visibility_timeout=120.0, max_attempts=5).stats()
        report(tuple(stats) == (0, 0, 0), "queue is empty (ready, in_flight, dead)", str(stats))

    seen_ids: dict[int, str] = {}
    payloads: dict[str, int] = {}
    problems: list[str] = []
    for log in logs:
        with open(log) as f:
            for line in f:
                job_id, payload, attempts, acked = line.split()
                if int(job_id) in seen_ids:
                    problems.append(
                        f"job {job_id} delivered twice ({seen_ids[int(job_id)]}, {log})"
                    )
                seen_ids[int(job_id)] = log
                payloads[payload] = payloads.get(payload, 0) + 1
                if acked != "1":
                    problems.append(f"ack of job {job_id} in {log} returned false")
                if attempts != "1":
                    problems.append(f"job {job_id} delivered with attempts {attempts}")
    expected = {f"{lang}-{i}" for lang in ("python", "node", "go", "c") for i in range(k)}
    missing = sorted(expected - payloads.keys())
    extra = sorted(payloads.keys() - expected)
    twice = sorted(p for p, n in payloads.items() if n > 1)
    if missing:
        problems.append(f"{len(missing)} jobs never delivered, e.g. {missing[:5]}")
    if extra:
        problems.append(f"unexpected payloads {extra[:5]}")
    if twice:
        problems.append(f"{len(twice)} payloads delivered more than once, e.g. {twice[:5]}")
    report(not problems, f"each of the {total} jobs acked exactly once", "; ".join(problems[:5]))
    counts = {os.path.basename(log): 0 for log in logs}
    for log in seen_ids.values():
        counts[os.path.basename(log)] += 1
    print(f"     jobs acked per worker: {counts}")
    return failed


def main() -> None:
    mode, target, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "work":
        work(target, k, sys.argv[4], sys.argv[5])
    elif mode == "check":
        sys.exit(1 if check(target, k, sys.argv[4:]) else 0)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
