#!/usr/bin/env bash
# Grove side by side with Redis, from every language (issue 8). One command:
#   ./scripts/bench.sh          full run (about 20 minutes on 2 cores)
#   ./scripts/bench.sh --quick  smoke sizes (run by .ci/run so the suite cannot rot)
# Installs and starts its own redis-server instances on loopback (and stops them), builds release
# artifacts once, runs each language's harness (bench/<lang>/, protocol in bench/PROTOCOL.md),
# then regenerates the Redis section of BENCHMARKS.md and bench/ratios.png from this run only.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ROOT=$(pwd)
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1

ensure_rust
apt_install redis-server redis-tools python3-venv build-essential

OUT="$ROOT/bench-out"
rm -rf "$OUT"
mkdir -p "$OUT/tmp"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"

# Three servers, one per durability tier, each with its own directory, on loopback only.
start_redis "$OUT" none:6391 everysec:6392 always:6393

export GROVE_ROOT="$ROOT" GROVE_BENCH_OUT="$RESULTS" GROVE_BENCH_QUICK="$QUICK"
export GROVE_BENCH_TMP="$OUT/tmp"
export REDIS_PORT_NONE=6391 REDIS_PORT_EVERYSEC=6392 REDIS_PORT_ALWAYS=6393

step "build release artifacts once"
cargo build --release -p grove-ffi -p grove-bench
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -c "import grovekv" 2>/dev/null || bindings/python/test.sh >/dev/null
[ -e bindings/node/grovekv.linux-x64-gnu.node ] || (cd bindings/node && npm install --no-audit --no-fund)
.venv/bin/pip install -q -r bench/python/requirements.txt
[ "$QUICK" = 1 ] || .venv/bin/pip install -q matplotlib==3.10.8  # pinned: the chart only

run() { step "bench: $1"; shift; "$@"; }
run rust ./target/release/grove-bench
run c bench/c/run.sh
run python .venv/bin/python bench/python/bench.py
run node bash -c 'cd bench/node && npm install --no-audit --no-fund --silent && node bench.js'
run go bash -c 'cd bench/go && go run .'

step "report"
.venv/bin/python bench/report.py "$RESULTS" --quick "$QUICK"
