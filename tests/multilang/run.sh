#!/usr/bin/env bash
# One store, four languages at once. Starts a Python, a Node, a Go and a C worker on one
# `lmdb:` directory (then on one Redis store and one Redis Cluster store, when GROVE_TEST_REDIS
# and GROVE_TEST_REDIS_CLUSTER name them), releases them together (they wait for a start file), each doing K counter
# increments, K leaderboard incrs of one member and K enqueues, then dequeue/ack until the
# queue is done; the Python worker in check mode then verifies the exact totals (counter 4K,
# score 4K, every job acked exactly once). Ends with "N passed, M failed"; non-zero on failure.
#
# Assumes what scripts/test.sh builds before this step: target/release/libgrove.a
# (`cargo build --release -p grove-ffi`), .venv at the repo root with grovekv installed
# (bindings/python/test.sh) and the Node addon in bindings/node (bindings/node/test.sh).
# Needs cc and Go (/usr/local/go/bin is used when go is not on PATH).
# Usage: tests/multilang/run.sh [K]   (default K=1000, K_REDIS=K on Redis; from any directory)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
K="${1:-1000}"
here="$root/tests/multilang"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
finish() {
    echo "$passed passed, $failed failed"
    [[ $failed -eq 0 ]]
}

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

for need in target/release/libgrove.a .venv/bin/python bindings/node/index.js; do
    if [[ ! -e $need ]]; then
        echo "error: $need is missing (build it first: see the top of $0)" >&2
        fail "prerequisite $need"
        finish
        exit 1
    fi
done
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    export PATH="/usr/local/go/bin:$PATH"
fi
[[ -n "${HOME:-}" ]] || export HOME="${TMPDIR:-/tmp}"  # go needs a cache directory

echo "== building the C and Go workers"
if cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude "$here/worker.c" target/release/libgrove.a \
    -lpthread -ldl -lm -o "$work/worker_c"; then
    pass "C worker compiles against include/grove.h and libgrove.a"
else
    fail "C worker compiles"
fi
if (cd "$here/go" && CGO_ENABLED=1 go build -o "$work/worker_go" .); then
    pass "Go worker builds (cgo, replace => bindings/go)"
else
    fail "Go worker builds"
fi
if [[ $failed -ne 0 ]]; then finish; exit 1; fi

# One round on one store: 4 workers released together, then the exact totals checked.
# run_on TARGET K LABEL (files of the round under $work/LABEL)
run_on() {
    local target=$1 K=$2 run="$work/$3"
    mkdir -p "$run"
    local start="$run/start"
    pids=()
    echo "== $K increments, $K incrs and $K jobs from each of 4 languages on $target"
    begin=$(date +%s%N)
    # each worker under `timeout`: one that dies before its enqueues are done would leave the
    # others waiting for the queue to finish forever
    limit=60
    timeout $limit .venv/bin/python "$here/worker.py" work "$target" "$K" "$start" "$run/python.acked" \
        >"$run/python.out" 2>&1 &
    pids+=($!)
    timeout $limit node "$here/worker.js" "$target" "$K" "$start" "$run/node.acked" >"$run/node.out" 2>&1 &
    pids+=($!)
    timeout $limit "$work/worker_go" "$target" "$K" "$start" "$run/go.acked" >"$run/go.out" 2>&1 &
    pids+=($!)
    timeout $limit "$work/worker_c" "$target" "$K" "$start" "$run/c.acked" >"$run/c.out" 2>&1 &
    pids+=($!)
    # each worker creates <log>.ready once its store and handles are open, then polls for $start
    for _ in $(seq 3000); do
        ready=0
        for lang in python node go c; do [[ -e $run/$lang.acked.ready ]] && ready=$((ready + 1)); done
        [[ $ready -eq 4 ]] && break
        sleep 0.01
    done
    touch "$start"

    langs=(python node go c)
    for i in "${!langs[@]}"; do
        lang="${langs[$i]}"
        if wait "${pids[$i]}"; then
            pass "$lang worker finished"
        else
            fail "$lang worker exited non-zero (124: killed after ${limit} s):"
            sed 's/^/     /' "$run/$lang.out"
            touch "$run/$lang.acked"
        fi
    done
    pids=()
    echo "     workers took $(( ($(date +%s%N) - begin) / 1000000 )) ms"

    echo "== checking totals (Python worker in check mode)"
    check_out="$run/check.out"
    .venv/bin/python "$here/worker.py" check "$target" "$K" \
        "$run/python.acked" "$run/node.acked" "$run/go.acked" "$run/c.acked" >"$check_out" 2>&1 || true
    cat "$check_out"
    passed=$((passed + $(grep -c '^ok ' "$check_out" || true)))
    failed=$((failed + $(grep -c '^FAIL ' "$check_out" || true)))
    if ! grep -q '^ok .*acked exactly once' "$check_out" && ! grep -q '^FAIL .*acked exactly once' "$check_out"; then
        fail "checker ran to the end"
    fi
}

run_on "lmdb:$work/store" "$K" lmdb
# The same on Redis and on a Redis Cluster when the test command started them.
for spec in GROVE_TEST_REDIS:redis GROVE_TEST_REDIS_CLUSTER:redis-cluster; do
    var=${spec%%:*} label=${spec##*:}
    url="${!var:-}"
    if [[ -z $url ]]; then
        echo "NOTE: $var is not set: the $label round did not run"
        continue
    fi
    run_on "$url?store=multilang$$-$label" "${K_REDIS:-$K}" "$label"
done
finish
