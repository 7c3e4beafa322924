#!/usr/bin/env bash
# Syscall and CPU profile of one-process counter increments, lmdb vs sled (and durable), from
# Python: `bench/shared/profile.sh [N]`. Prints strace -c (syscalls per op) and perf stat.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-20000}
PY=.venv/bin/python
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for e in lmdb sled; do
  echo "== $e incr x $N: strace -c -f (top syscalls)"
  strace -c -f -o "$T/$e.strace" $PY bench/shared/profile.py $e incr "$N" "$T/s-$e-1"
  head -14 "$T/$e.strace"
  echo "== $e incr x $N: perf stat"
  perf stat -e task-clock,context-switches,cpu-migrations,page-faults \
    $PY bench/shared/profile.py $e incr "$N" "$T/s-$e-2" 2>&1 | grep -E "µs/op|task-clock|context|faults|elapsed|user|sys"
done
for e in lmdb sled; do
  echo "== $e queue enqueue+dequeue+ack x 2000: strace -c -f"
  strace -c -f -o "$T/$e.q.strace" $PY bench/shared/profile.py $e queue 2000 "$T/q-$e"
  head -12 "$T/$e.q.strace"
done
for e in lmdb sled; do
  echo "== $e rank x $N (10k members, no writer)"
  $PY bench/shared/profile.py $e rank "$N" "$T/r-$e"
done
for e in lmdb-durable sled-durable; do
  echo "== $e incr x 200: strace -c -f"
  strace -c -f -o "$T/$e.strace" $PY bench/shared/profile.py $e incr 200 "$T/s-$e"
  head -12 "$T/$e.strace"
done
