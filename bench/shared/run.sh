#!/usr/bin/env bash
# Shared engine (lmdb) benchmarks, issue 14: one command, one table.
#   bench/shared/run.sh           full run (1M-member leaderboard, 1M-key footprint)
#   bench/shared/run.sh --quick   smoke sizes, under 60 s (for CI)
# Starts its own redis-server instances on loopback (persistence off, and appendfsync always; the
# approach of scripts/bench.sh) and stops them on exit; builds the Rust bench once; runs the
# Rust A/B (lmdb vs sled, one process) and the Python multi-process A/B (lmdb vs diskcache and
# redis-py); prints a markdown table of ratios with the load average beside every figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ROOT=$(pwd)
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
PY="$ROOT/.venv/bin/python"

ensure_rust
apt_install redis-server redis-tools

OUT="$ROOT/target/bench-shared"
rm -rf "$OUT"
mkdir -p "$OUT/tmp"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"

# Ports apart from scripts/bench.sh's (6391-6393) so both may run at once.
start_redis "$OUT" none:6394 always:6395
export REDIS_PORT_NONE=6394 REDIS_PORT_ALWAYS=6395
export GROVE_BENCH_TMP="$OUT/tmp" GROVE_BENCH_QUICK="$QUICK"

if ! "$PY" -c "import grovekv" 2>/dev/null; then
  echo "the Python binding is not installed in .venv: run bindings/python/test.sh first" >&2
  exit 1
fi
"$PY" -m pip install -q -r bench/python/requirements.txt

step "build the Rust bench"
cargo bench -q -p grove-core --bench engines_bench --no-run
T0=$SECONDS

step "rust: lmdb vs sled, one process (goals 3, 6)"
cargo bench -q -p grove-core --bench engines_bench 2>&1 | tee "$OUT/rust.log"
sed -n 's/^RESULT //p' "$OUT/rust.log" >> "$RESULTS"

Q=()
[ "$QUICK" = 1 ] && Q=(--quick)
for w in counters footprint durable leaderboard; do
  step "python: $w ($((SECONDS - T0)) s so far; load $(cut -d' ' -f1 /proc/loadavg))"
  "$PY" bench/shared/shared_bench.py "$w" "${Q[@]}" --out "$RESULTS" --tmp "$OUT/tmp"
done

step "report"
"$PY" bench/shared/report.py "$RESULTS"
echo
echo "harness time (after the build): $((SECONDS - T0)) s; results: $RESULTS"
