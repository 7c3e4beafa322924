"""Draws a soak run's CSV (core/tests/soak.rs, GROVE_SOAK_OUT) as RSS and p99 latency over time.

Usage: python tests/soak/chart.py OUT.png RUN.csv [LABEL] [RUN2.csv LABEL2 ...]
"""

from __future__ import annotations

import csv
import sys


def main(argv: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out, rest = argv[0], argv[1:]
    runs = [(rest[i], rest[i + 1] if i + 1 < len(rest) else rest[i]) for i in range(0, len(rest), 2)]
    fig, (rss_ax, lat_ax) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for path, label in runs:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
        t = [int(r["second"]) for r in rows]
        rss_ax.plot(t, [float(r["rss_mb"]) for r in rows], label=label)
        lat_ax.plot(t, [float(r["p99_us"]) / 1000 for r in rows], label=label, linewidth=0.8)
    rss_ax.set_ylabel("RSS (MB)")
    rss_ax.set_ylim(bottom=0)
    rss_ax.legend(loc="upper left")
    rss_ax.set_title("Grove soak: 8 threads on a sled store, per-second samples")
    lat_ax.set_ylabel("p99 latency (ms)")
    lat_ax.set_xlabel("seconds")
    lat_ax.set_yscale("log")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1:])
