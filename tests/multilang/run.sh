#!/usr/bin/env bash
# One lmdb: store, four languages at once. Starts a Python, a Node, a Go and a C worker on one
# `lmdb:` directory, releases them together (they wait for a start file), each doing K counter
# increments, K leaderboard incrs of one member and K enqueues, then dequeue/ack until the
# queue is done; the Python worker in check mode then verifies the exact totals (counter 4K,
# score 4K, every job acked exactly once). Ends with "N passed, M failed"; non-zero on failure.
#
# Assumes what scripts/test.sh builds before this step: target/release/libgrove.a
# (`cargo build --release -p grove-ffi`), .venv at the repo root with grovekv installed
# (bindings/python/test.sh) and the Node addon in bindings/node (bindings/node/test.sh).
# Needs cc and Go (/usr/local/go/bin is used when go is not on PATH).
# Usage: tests/multilang/run.sh [K]   (default K=1000; runnable from any directory)
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

target="lmdb:$work/store"
start="$work/start"
echo "== $K increments, $K incrs and $K jobs from each of 4 languages on $target"
begin=$(date +%s%N)
# each worker under `timeout`: one that dies before its enqueues are done would leave the
# others waiting for the queue to finish forever
limit=60
timeout $limit .venv/bin/python "$here/worker.py" work "$target" "$K" "$start" "$work/python.acked" \
    >"$work/python.out" 2>&1 &
pids+=($!)
timeout $limit node "$here/worker.js" "$target" "$K" "$start" "$work/node.acked" >"$work/node.out" 2>&1 &
pids+=($!)
timeout $limit "$work/worker_go" "$target" "$K" "$start" "$work/go.acked" >"$work/go.out" 2>&1 &
pids+=($!)
timeout $limit "$work/worker_c" "$target" "$K" "$start" "$work/c.acked" >"$work/c.out" 2>&1 &
pids+=($!)
# each worker creates <log>.ready once its store and handles are open, then polls for $start
for _ in $(seq 3000); do
    ready=0
    for lang in python node go c; do [[ -e $work/$lang.acked.ready ]] && ready=$((ready + 1)); done
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
        sed 's/^/     /' "$work/$lang.out"
        touch "$work/$lang.acked"
    fi
done
pids=()
echo "     workers took $(( ($(date +%s%N) - begin) / 1000000 )) ms"

echo "== checking totals (Python worker in check mode)"
check_out="$work/check.out"
.venv/bin/python "$here/worker.py" check "$target" "$K" \
    "$work/python.acked" "$work/node.acked" "$work/go.acked" "$work/c.acked" >"$check_out" 2>&1 || true
cat "$check_out"
passed=$((passed + $(grep -c '^ok ' "$check_out" || true)))
failed=$((failed + $(grep -c '^FAIL ' "$check_out" || true)))
if ! grep -q '^ok .*acked exactly once' "$check_out" && ! grep -q '^FAIL .*acked exactly once' "$check_out"; then
    fail "checker ran to the end"
fi
finish
