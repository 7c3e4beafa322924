#!/usr/bin/env bash
# Grove on its Redis engine vs redis-py by hand on the same server (issue 15): one command.
#   bench/redis/run.sh           full run (5,000 ops x 7 rounds per operation)
#   bench/redis/run.sh --quick   smoke sizes (for CI, so the script cannot rot)
# Starts its own redis-server on loopback (port 6397, persistence off) and stops it on exit.
# Needs the Python binding installed in .venv (bindings/python/test.sh does that).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
PY="$PWD/.venv/bin/python"
apt_install redis-server redis-tools
OUT="$PWD/target/bench-redis"
mkdir -p "$OUT"
start_redis "$OUT" none:6397
"$PY" -m pip install -q -r bench/python/requirements.txt
"$PY" bench/redis/redis_engine_bench.py 6397 "$@"
