"""Where the time goes, for the goals run.sh reports missed (issue 14). One loop per call:

    python profile.py ENGINE OP N DIR      ENGINE: lmdb | sled | lmdb-durable | sled-durable
                                           OP: incr | get | rank | queue
Run it under `strace -c -f` or `perf stat -e task-clock,context-switches,...` (profile.sh does).
"""

import sys
import time
import grovekv

engine, op, n, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
kind, _, durable = engine.partition("-")
s = grovekv.open(f"{kind}:{d}", durable=bool(durable))
if op == "incr":
    f = s.counter("c").increment
    t = time.monotonic()
    for _ in range(n):
        f()
elif op == "get":
    s.set_many({f"key:{i:08d}".encode(): b"v" * 16 for i in range(10_000)})
    keys = [f"key:{i % 10_000:08d}".encode() for i in range(n)]
    g = s.get
    t = time.monotonic()
    for k in keys:
        g(k)
elif op == "rank":
    lb = s.leaderboard("scores")
    for i in range(10_000):
        lb.add(f"p{i}", float(i))
    t = time.monotonic()
    for i in range(n):
        lb.rank(f"p{i % 10_000}")
elif op == "queue":
    q = s.queue("jobs")
    t = time.monotonic()
    for _ in range(n):
        q.enqueue(b"payload of a job")
        j = q.dequeue()
        q.ack(j.id)
else:
    raise SystemExit(op)
el = time.monotonic() - t
print(f"{engine} {op}: {el * 1e6 / n:.2f} µs/op over {n}", file=sys.stderr)
s.close()
