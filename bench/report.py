"""Turns bench-out/results.jsonl (one run of scripts/bench.sh) into tables and a chart.

Every ratio pairs rounds of the same run (round k of Grove with round k of Redis), so machine
noise hits both sides; the median and the min..max spread of the per-round ratios are shown.
Quick runs only print; a full run rewrites the Redis section of BENCHMARKS.md (between the
`<!-- redis:begin -->` and `<!-- redis:end -->` markers) and bench/ratios.png.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LANGS = ["rust", "c", "python", "node", "go"]
BEGIN, END = "<!-- redis:begin -->", "<!-- redis:end -->"

Row = dict[str, Any]


def per_op_us(r: Row) -> float:
    """Microseconds per operation of one round."""
    return float(r["seconds"]) / max(1, int(r["ops"])) * 1e6


def version(cmd: list[str]) -> str:
    """First line a tool prints about its version, or 'not found'."""
    try:
        out = subprocess.run(
            cmd, check=False, capture_output=True, text=True, timeout=20
        )
        return (out.stdout or out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not found"


def load(path: Path) -> tuple[list[Row], list[Row]]:
    """Measurement rows (with `system`) and the extra rows (with `kind`)."""
    rows, extra = [], []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        (extra if "kind" in obj else rows).append(obj)
    return rows, extra


def group(rows: list[Row]) -> dict[tuple[Any, ...], dict[str, dict[int, Row]]]:
    """(lang, workload, durability, clients, size) -> system/mode -> round -> row."""
    out: dict[tuple[Any, ...], dict[str, dict[int, Row]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for r in rows:
        key = (
            r["lang"],
            r["workload"],
            r["durability"],
            r.get("clients", 1),
            r.get("size"),
        )
        out[key][f"{r['system']}/{r['mode']}"][int(r["round"])] = r
    return out


def ratio(a: dict[int, Row], b: dict[int, Row]) -> tuple[float, float, float] | None:
    """Median, min and max over rounds of per-op time of `a` divided by that of `b`."""
    rounds = sorted(set(a) & set(b))
    if not rounds:
        return None
    rs = [per_op_us(a[k]) / per_op_us(b[k]) for k in rounds]
    return statistics.median(rs), min(rs), max(rs)


def med_us(series: dict[int, Row]) -> float:
    """Median microseconds per op over rounds."""
    return statistics.median(per_op_us(r) for r in series.values())


def us_or_dash(series: dict[int, Row] | None) -> str:
    """Median µs per op, or a dash when not measured."""
    return f"{med_us(series):.2f}" if series else "-"


def fmt_ratio(x: tuple[float, float, float] | None) -> str:
    """`12.3x (10.1..14.0)`, or a dash."""
    if x is None:
        return "-"
    return f"{x[0]:.1f}x ({x[1]:.1f}..{x[2]:.1f})"


def redis_vs_grove(
    series: dict[str, dict[int, Row]], mode: str
) -> tuple[float, float, float] | None:
    """How many times faster Grove is than Redis in `mode` (Redis time / Grove time)."""
    grove = series.get("grove/direct")
    redis = series.get(f"redis/{mode}")
    if not grove or not redis:
        return None
    return ratio(redis, grove)


def tables(
    rows: list[Row], extra: list[Row]
) -> tuple[str, list[tuple[str, str, float]]]:
    """The markdown report and the (lang, workload, ratio) points of the chart."""
    g = group(rows)
    lines: list[str] = []
    chart: list[tuple[str, str, float]] = []
    lines.append(
        "### Grove vs Redis, persistence off vs periodic flush (tier `none`), 1 client\n"
    )
    lines.append(
        "Ratio = Redis time per op / Grove time per op in the same run (higher: Grove faster); "
        "median over interleaved rounds (min..max).\n"
    )
    lines.append(
        "| workload | size | lang | Grove µs/op | Redis naive µs/op | Grove vs naive | "
        "Redis pipelined µs/op | Grove vs pipelined |"
    )
    lines.append("|---|---:|---|---:|---:|---:|---:|---:|")
    for key in sorted(
        g, key=lambda k: (k[1], k[4] or 0, LANGS.index(k[0]) if k[0] in LANGS else 9)
    ):
        lang, workload, durability, clients, size = key
        s = g[key]
        if durability != "none" or clients != 1 or "grove/direct" not in s:
            continue
        naive = redis_vs_grove(s, "naive")
        piped = redis_vs_grove(s, "pipelined16")
        if naive is None and piped is None:
            continue
        if naive is not None and lang != "c":
            chart.append((lang, workload + (f"@{size}" if size else ""), naive[0]))
        lines.append(
            f"| {workload} | {size or ''} | {lang} | {med_us(s['grove/direct']):.2f} | "
            f"{us_or_dash(s.get('redis/naive'))} | {fmt_ratio(naive)} | "
            f"{us_or_dash(s.get('redis/pipelined16'))} | {fmt_ratio(piped)} |"
        )
    lines.append("\n### Durability matched: counter increment on one key\n")
    lines.append(
        "| lang | tier | clients | Grove µs/op | Redis µs/op | Grove vs Redis |"
    )
    lines.append("|---|---|---:|---:|---:|---:|")
    for key in sorted(g):
        lang, workload, durability, clients, size = key
        s = g[key]
        if (
            workload != "counter_incr_hot"
            or "grove/direct" not in s
            or "redis/naive" not in s
        ):
            continue
        lines.append(
            f"| {lang} | {durability} | {clients} | {med_us(s['grove/direct']):.2f} | "
            f"{med_us(s['redis/naive']):.2f} | {fmt_ratio(redis_vs_grove(s, 'naive'))} |"
        )
    lines.append(
        "\n### Latency per op (tier `none`, 1 client): p50 / p99 / p99.9 in µs\n"
    )
    lines.append("| workload | lang | Grove | Redis naive |")
    lines.append("|---|---|---|---|")
    for key in sorted(g):
        lang, workload, durability, clients, size = key
        s = g[key]
        if (
            durability != "none"
            or clients != 1
            or workload not in ("counter_incr_hot", "lb_rank", "queue_cycle")
        ):
            continue

        def pct(series: dict[int, Row] | None) -> str:
            if not series:
                return "-"
            r = series[max(series)]
            if r.get("p50_us") is None:
                return "-"
            return f"{r['p50_us']:.1f} / {r['p99_us']:.1f} / {r['p999_us']:.1f}"

        lines.append(
            f"| {workload}{'@' + str(size) if size else ''} | {lang} | "
            f"{pct(s.get('grove/direct'))} | {pct(s.get('redis/naive'))} |"
        )
    lines.append(
        "\n### CRDT operations vs Grove's atomic counter (no Redis equivalent)\n"
    )
    lines.append("| workload | lang | CRDT µs/op | atomic µs/op | cost ratio |")
    lines.append("|---|---|---:|---:|---:|")
    for key in sorted(g):
        lang, workload, durability, clients, size = key
        s = g[key]
        if "grove-atomic/direct" in s and "grove/direct" in s:
            r = ratio(s["grove/direct"], s["grove-atomic/direct"])
            lines.append(
                f"| {workload} | {lang} | {med_us(s['grove/direct']):.2f} | "
                f"{med_us(s['grove-atomic/direct']):.2f} | {fmt_ratio(r)} |"
            )
    xr = [(k, s) for k, s in g.items() if "xraph-grove/direct" in s]
    if xr:
        lines.append(
            "\n### The Go library in the seeds (github.com/xraph/grove), same process\n"
        )
        lines.append(
            "| workload | Grove µs/op | xraph/grove µs/op | Grove vs xraph/grove |"
        )
        lines.append("|---|---:|---:|---:|")
        for key, s in sorted(xr):
            lines.append(
                f"| {key[1]} | {med_us(s['grove/direct']):.2f} | "
                f"{med_us(s['xraph-grove/direct']):.2f} | "
                f"{fmt_ratio(ratio(s['xraph-grove/direct'], s['grove/direct']))} |"
            )
    corr = [e for e in extra if e["kind"] == "correctness"]
    if corr:
        lines.append(
            "\n### Correctness: 16 goroutines incrementing one atomic counter\n"
        )
        lines.append(
            "| system | primitive | driver | expected | final | lost updates |"
        )
        lines.append("|---|---|---|---:|---:|---:|")
        for e in corr:
            lines.append(
                f"| {e['system']} | {e.get('primitive', '')} | {e.get('driver', '')} | "
                f"{e['expected']} | {e['final']} | {e['lost']} |"
            )
    rss = [e for e in extra if e["kind"] in ("rss", "rss_redis")]
    if rss:
        lines.append("\n### Memory (RSS)\n")
        lines.append("| process | RSS MiB |")
        lines.append("|---|---:|")
        for e in rss:
            who = (
                f"{e['lang']} harness (Grove in-process + client)"
                if e["kind"] == "rss"
                else f"redis-server :{e.get('port')}"
            )
            lines.append(f"| {who} | {e['rss_bytes'] / 2**20:.1f} |")
    disk = [e for e in extra if e["kind"] == "disk"]
    if disk:
        lines.append("\n### Disk bytes per live key\n")
        lines.append("| system | phase | keys | bytes per key |")
        lines.append("|---|---|---:|---:|")
        for e in disk:
            lines.append(
                f"| {e['system']} | {e['phase']} | {e['keys']} | {e['bytes_per_key']:.1f} |"
            )
    notes = [e for e in extra if e["kind"] == "note"]
    if notes:
        lines.append("\n### Notes from the harnesses\n")
        for e in notes:
            lines.append(f"- {e['lang']}: {e['text']}")
    return "\n".join(lines) + "\n", chart


def goals(rows: list[Row]) -> str:
    """The issue's goals, each checked against this run."""
    g = group(rows)
    out = ["| goal | measured | verdict |", "|---|---|---|"]

    def check(label: str, key: tuple[Any, ...], mode: str, want: float) -> None:
        s = g.get(key)
        r = redis_vs_grove(s, mode) if s else None
        if r is None:
            verdict = "not measured"
        elif r[0] >= want:
            verdict = "met"
        else:
            verdict = f"missed ({r[0]:.1f}x < {want:g}x)"
        out.append(f"| {label} (>= {want:g}x) | {fmt_ratio(r)} | {verdict} |")

    for lang, client in (("python", "redis-py"), ("node", "node-redis")):
        check(
            f"{lang}: counter increment vs {client} one call at a time",
            (lang, "counter_incr_hot", "none", 1, None),
            "naive",
            50,
        )
        size = max(
            (k[4] or 0 for k in g if k[0] == lang and k[1] == "lb_rank"), default=0
        )
        check(
            f"{lang}: leaderboard rank ({size} members) vs {client} one call at a time",
            (lang, "lb_rank", "none", 1, size or None),
            "naive",
            50,
        )
    check(
        "C single thread vs redis-benchmark -P 16, counter increment",
        ("c", "counter_incr_hot", "none", 1, None),
        "pipelined16",
        3,
    )
    for lang in LANGS:
        if (lang, "counter_incr_hot", "always", 8, None) in g:
            check(
                f"{lang}: durable per write, 8 threads vs appendfsync always, 8 clients",
                (lang, "counter_incr_hot", "always", 8, None),
                "naive",
                1,
            )
    return "\n".join(out) + "\n"


def chart(points: list[tuple[str, str, float]], path: Path) -> None:
    """Bar chart of Grove-vs-Redis-naive ratios per workload and language (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    workloads = sorted({w for _, w, _ in points})
    langs = [lang for lang in LANGS if any(p[0] == lang for p in points)]
    fig, ax = plt.subplots(figsize=(max(8, len(workloads) * 0.9), 5))
    width = 0.8 / max(1, len(langs))
    for i, lang in enumerate(langs):
        xs, ys = [], []
        for j, w in enumerate(workloads):
            for p in points:
                if p[0] == lang and p[1] == w:
                    xs.append(j + i * width)
                    ys.append(p[2])
        ax.bar(xs, ys, width, label=lang)
    ax.set_yscale("log")
    ax.axhline(1, color="black", linewidth=0.8)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(workloads))])
    ax.set_xticklabels(workloads, rotation=35, ha="right", fontsize=8)
    ax.set_ylabel("Redis time / Grove time (log)")
    ax.set_title("Grove in-process vs Redis on loopback, one call at a time, same run")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    """Entry point."""
    ap = argparse.ArgumentParser()
    ap.add_argument("results", type=Path)
    ap.add_argument("--quick", default="0")
    args = ap.parse_args()
    rows, extra = load(args.results)
    body, points = tables(rows, extra)
    head = (
        f"Run: {datetime.date.today()} on {platform.machine()}, {os.cpu_count()} cores; "
        f"{version(['redis-server', '--version'])}; {version(['rustc', '--version'])}; "
        f"Python {platform.python_version()}; node {version(['node', '--version'])}; "
        f"{version(['go', 'version'])}. Command: `./scripts/bench.sh`.\n\n"
    )
    report = head + "#### Goals\n\n" + goals(rows) + "\n" + body
    out_dir = args.results.parent
    (out_dir / "report.md").write_text(report)
    print(report)
    if args.quick == "1":
        print("(quick run: BENCHMARKS.md and the chart are left as they are)")
        return
    chart(points, ROOT / "bench" / "ratios.png")
    bm = ROOT / "BENCHMARKS.md"
    text = bm.read_text()
    section = f"{BEGIN}\n{report}\n![ratios](bench/ratios.png)\n{END}"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + section + text[text.index(END) + len(END) :]
    else:
        text += "\n## Grove vs Redis, every language: issue 8\n\n" + section + "\n"
    bm.write_text(text)
    print(f"wrote {bm} and bench/ratios.png")


if __name__ == "__main__":
    main()
