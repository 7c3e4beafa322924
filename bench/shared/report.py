"""Prints the issue 14 table (markdown) from bench/shared/run.sh's results.jsonl."""

import json
import sys


def verdict(ok):
    return "met" if ok else "**missed**"


def main(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    print("| # | workload | Grove | baseline | ratio (median, min..max) | goal | verdict | load avg (1 min) |")
    print("|---|---|---:|---:|---|---|---|---|")
    exact = True
    for r in rows:
        w = r["workload"]
        if "ratio" in r:  # Rust: lmdb time / sled time
            goal = {"counter increment (1 process)": 1.5, "queue enqueue+dequeue+ack": 1 / 3}.get(w)
            if w.startswith("kv get"):
                goal = 1.0
            num = "3" if goal != 1 / 3 else "6"
            print(
                f"| {num} | {w}, rust | lmdb {r['a_ns']/1000:.2f} µs | sled {r['b_ns']/1000:.2f} µs "
                f"| {r['ratio']:.2f}x of sled's time ({r['lo']:.2f}..{r['hi']:.2f}) | {r['goal']} "
                f"| {verdict(r['ratio'] <= goal)} | {r['load']} |"
            )
        elif "speedup" in r:
            goal = float(r["goal"].split(">=")[1].strip().rstrip("x"))
            num = {"counter": "1" if "diskcache" in r["b"] else "2", "durable": "5", "leaderboard": "4"}[w.split()[0]]
            if "exact" in r:
                exact &= r["exact"]
            print(
                f"| {num} | {w}: {r['a']} vs {r['b']} | {r['a_us']:.2f} µs/op | {r['b_us']:.2f} µs/op "
                f"| {r['speedup']:.1f}x ({r['lo']:.1f}..{r['hi']:.1f}) | {r['goal']} "
                f"| {verdict(r['speedup'] >= goal)} | {r['load']} |"
            )
        elif w == "leaderboard load":
            extra.append(
                f"- leaderboard load: {r['members']} members via `Leaderboard.add` in {r['load_s']:.1f} s "
                f"({r['load_us_per_add']:.1f} µs/add); first `rank` in a fresh process (index build) "
                f"{r['first_rank_s']:.2f} s; load {r['load']}. {r['note']}"
            )
        elif w == "footprint":
            fp.append(r)
    # Goal 5 for processes: the durable rows are redis/threads and redis/procs against redis.
    if fp:
        print()
        print(f"| 7 | engine ({fp[0]['keys']} keys, 16-byte values) | disk bytes/key | RSS MiB (total) | RSS growth MiB | detail | load avg |")
        print("|---|---|---:|---:|---:|---|---|")
        for r in fp:
            if r["engine"] == "redis":
                detail = f"{r['disk_what']}; used_memory {r['used_memory_per_key']:.0f} B/key"
            else:
                detail = (f"`size_on_disk`; du {r['du_bytes_per_key']:.0f} B/key; RSS anon "
                          f"{r['rss_anon_mib']:.0f} MiB + file-backed {r['rss_file_mib']:.0f} MiB")
            print(f"| 7 | {r['engine']} | {r['disk_bytes_per_key']:.0f} | {r['rss_mib']:.0f} "
                  f"| {r['rss_delta_mib']:.0f} | {detail} | {r['load']} |")
    print()
    for e in extra:
        print(e)
    print(f"- every multi-process count exact: {'yes' if exact else '**NO (bug)**'}")


extra, fp = [], []
if __name__ == "__main__":
    main(sys.argv[1])
