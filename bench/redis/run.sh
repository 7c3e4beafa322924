#!/usr/bin/env bash
# Grove on its Redis engine vs the best hand-written client of the same language on the same
# server (issue 15): redis-py (and redis.asyncio), node-redis and go-redis. One command:
#   bench/redis/run.sh           full run (5,000 ops x 7 rounds per operation and language)
#   bench/redis/run.sh --quick   smoke sizes (for CI, so the scripts cannot rot)
# Starts its own redis-server on loopback (port $GROVE_BENCH_REDIS_PORT, default 6397,
# persistence off) and a 3-master Redis Cluster (ports $GROVE_BENCH_CLUSTER_PORTS, default
# 7010 7011 7012), and stops them on exit. Needs the Python binding installed in .venv
# (bindings/python/test.sh does that), the release libgrove.a (cargo build --release -p grove-ffi)
# for Go, and the Node addon (built by bench/node's npm install when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
PY="$PWD/.venv/bin/python"
PORT="${GROVE_BENCH_REDIS_PORT:-6397}"
QUICK=()
[ "${1:-}" = "--quick" ] && QUICK=(--quick)
apt_install redis-server redis-tools
OUT="$PWD/target/bench-redis"
mkdir -p "$OUT"
start_redis "$OUT" "none:$PORT"
read -r -a CLUSTER_PORTS <<<"${GROVE_BENCH_CLUSTER_PORTS:-7010 7011 7012}"
start_redis_cluster "$OUT" "${CLUSTER_PORTS[@]}"
CLUSTER_NODES=$(printf '127.0.0.1:%s,' "${CLUSTER_PORTS[@]}")
"$PY" -m pip install -q -r bench/python/requirements.txt
step "Python: grovekv vs redis-py"
"$PY" bench/redis/redis_engine_bench.py "$PORT" "${QUICK[@]}"
step "Python: grovekv on a Redis Cluster vs redis-py's RedisCluster"
"$PY" bench/redis/cluster_bench.py "${CLUSTER_NODES%,}" "${QUICK[@]}"
step "Python asyncio: 1,000 concurrent increments, grovekv.aio (memory:, lmdb:, redis://) vs redis.asyncio"
AIO_ROUNDS=15
[ ${#QUICK[@]} -eq 0 ] || AIO_ROUNDS=3
"$PY" bench/python/aio_bench.py --redis-port "$PORT" --rounds "$AIO_ROUNDS"
step "Node: grovekv (sync and promises) vs node-redis"
(cd bench/node && npm install --no-audit --no-fund --silent)
node bench/redis/node_bench.js "$PORT" "${QUICK[@]}"
step "Go: grovekv vs go-redis, and 16 goroutines incrementing one counter beside xraph-grove's Redis driver"
(cd bench/go && go run . -redis-engine "$PORT" "${QUICK[@]}")
step "Python: the inventory story, 8 processes x 250 purchases from a stock of 1,000 (issue 17)"
"$PY" bench/python/inventory_bench.py --redis-port "$PORT" "${QUICK[@]}"
