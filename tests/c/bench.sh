#!/usr/bin/env bash
# Counter increment on the memory backend: Rust core vs C call vs Go call, in the same run,
# interleaved over several rounds; prints per-round ns/op, medians and ratios to the core.
# Goals (issue 3): C <= 1.15x core, Go <= 1.6x core.
# Usage: tests/c/bench.sh [ROUNDS] [ITERATIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-7}"
iterations="${2:-2000000}"
build=tests/c/build
mkdir -p "$build"

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    export PATH="/usr/local/go/bin:$PATH"
fi

cargo build --quiet --release -p grove-ffi --example bench_core
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Iinclude tests/c/bench_counter.c target/release/libgrove.a -lpthread -ldl -lm \
    -o "$build/bench_counter"
(cd bindings/go && go test -c -o "../../$build/grovekv.test" .)

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

core=() c=() go=()
for r in $(seq 1 "$rounds"); do
    core+=("$(target/release/examples/bench_core "$iterations" | awk '{print $3}')")
    c+=("$("$build/bench_counter" "$iterations" | awk '{print $3}')")
    go+=("$("$build/grovekv.test" -test.run='^$' -test.bench='^BenchmarkCounterIncrement$' \
        -test.benchtime="${iterations}x" | awk '/^BenchmarkCounterIncrement/ {print $3}')")
    echo "round $r: core ${core[-1]} ns/op, C ${c[-1]} ns/op, Go ${go[-1]} ns/op"
done

mc="$(printf '%s\n' "${core[@]}" | median)"
mC="$(printf '%s\n' "${c[@]}" | median)"
mg="$(printf '%s\n' "${go[@]}" | median)"
echo "median over $rounds rounds of $iterations increments (memory backend):"
awk -v core="$mc" -v c="$mC" -v go="$mg" 'BEGIN {
    printf "  Rust core  %8.1f ns/op  1.00x\n", core
    printf "  C ABI      %8.1f ns/op  %.2fx  (goal <= 1.15x)\n", c, c / core
    printf "  Go (cgo)   %8.1f ns/op  %.2fx  (goal <= 1.60x)\n", go, go / core
}'
