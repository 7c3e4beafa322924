#!/usr/bin/env bash
# The C harness of issue 8 (bench/PROTOCOL.md): counter_incr_hot, tier none.
# Grove: one thread incrementing one counter on a sled store (periodic flush) through the C ABI
# (bench/c/grove_counter.c against include/grove.h + target/release/libgrove.a).
# Redis: redis-benchmark -t incr against REDIS_PORT_NONE, pipelined 16 deep with 1 client and
# with redis-benchmark's default 50 clients, and naive (-P 1 -c 1).
# Rounds are interleaved: Grove first in even rounds, last in odd rounds.
# Environment: GROVE_BENCH_OUT (JSON lines appended; stdout when unset), GROVE_BENCH_QUICK,
# GROVE_BENCH_TMP, REDIS_PORT_NONE (default 6391), GROVE_ROOT. Exits non-zero on any error.
set -euo pipefail
shopt -s inherit_errexit
root="${GROVE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$root"

# JSON lines go to fd 3: the file, or the original stdout (the µs/op echoes below are captured).
if [[ -n "${GROVE_BENCH_OUT:-}" ]]; then
    exec 3>>"$GROVE_BENCH_OUT"
else
    exec 3>&1
fi
port="${REDIS_PORT_NONE:-6391}"
tmpbase="${GROVE_BENCH_TMP:-${TMPDIR:-/tmp}}"
mkdir -p "$tmpbase"
work="$(mktemp -d "$tmpbase/grove-bench-c.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [[ "${GROVE_BENCH_QUICK:-0}" == "1" ]]; then
    rounds=3 n=50000 n_naive=2000
else
    rounds=5 n=200000 n_naive=20000
fi

for tool in redis-benchmark redis-cli cc; do
    command -v "$tool" >/dev/null || { echo "bench/c: $tool not found" >&2; exit 1; }
done
if [[ ! -f target/release/libgrove.a ]]; then
    cargo build --quiet --release -p grove-ffi
fi
mkdir -p bench/c/build
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror -Iinclude bench/c/grove_counter.c \
    target/release/libgrove.a -lpthread -ldl -lm -o bench/c/build/grove_counter

redis-cli -h 127.0.0.1 -p "$port" FLUSHALL >/dev/null

# emit SYSTEM MODE CLIENTS ROUND OPS SECONDS P50 P99 P999 (percentiles in µs or null)
emit() {
    printf '{"lang": "c", "workload": "counter_incr_hot", "system": "%s", "mode": "%s", "durability": "none", "clients": %s, "size": null, "round": %s, "ops": %s, "seconds": %s, "p50_us": %s, "p99_us": %s, "p999_us": %s}\n' \
        "$@" >&3
}

store="$work/store"
# Grove round: prints "seconds p50 p99 p999 value"; emits and echoes µs/op.
grove_round() {
    local r=$1 line
    line="$(bench/c/build/grove_counter "$store" "$n")"
    read -r secs p50 p99 p999 _ <<<"$line"
    emit grove direct 1 "$r" "$n" "$secs" "$p50" "$p99" "$p999"
    awk -v s="$secs" -v n="$n" 'BEGIN {printf "%.4f\n", s / n * 1e6}'
}

# Redis round: redis-benchmark with OPS PIPELINE CLIENTS; emits and echoes µs/op.
# Throughput from its summary; percentiles (naive only) from its percentile distribution: the
# first bucket at or above 50 / 99 / 99.9 %.
redis_round() {
    local r=$1 ops=$2 depth=$3 clients=$4 mode=$5 text rps secs p
    text="$(redis-benchmark -h 127.0.0.1 -p "$port" -t incr -n "$ops" -P "$depth" -c "$clients" 2>&1 | tr '\r' '\n')"
    rps="$(awk '/throughput summary:/ {print $3}' <<<"$text")"
    if [[ -z "$rps" ]]; then
        echo "bench/c: could not parse redis-benchmark output:" >&2
        echo "$text" | tail -20 >&2
        exit 1
    fi
    secs="$(awk -v n="$ops" -v r="$rps" 'BEGIN {printf "%.9f", n / r}')"
    if [[ "$mode" == naive ]]; then
        p="$(awk '
            /^Latency by percentile distribution/ {on = 1; next}
            on && /^$/ {on = 0}
            on && /% <= / {
                q = $1; sub("%", "", q); ms = $3
                if (p50 == "" && q + 0 >= 50) p50 = ms * 1000
                if (p99 == "" && q + 0 >= 99) p99 = ms * 1000
                if (p999 == "" && q + 0 >= 99.9) p999 = ms * 1000
            }
            END {printf "%s %s %s", (p50 == "" ? "null" : p50), (p99 == "" ? "null" : p99), (p999 == "" ? "null" : p999)}
        ' <<<"$text")"
    else
        p="null null null"
    fi
    read -r p50 p99 p999 <<<"$p"
    emit redis "$mode" "$clients" "$r" "$ops" "$secs" "$p50" "$p99" "$p999"
    awk -v s="$secs" -v n="$ops" 'BEGIN {printf "%.4f\n", s / n * 1e6}'
}

# One untimed warm-up of each side (opens the store, warms the server).
bench/c/build/grove_counter "$store" 1000 >/dev/null
redis-benchmark -h 127.0.0.1 -p "$port" -t incr -n 1000 -P 16 -q >/dev/null 2>&1

g=() p1=() p50=() nv=()
for ((r = 0; r < rounds; r++)); do
    if ((r % 2 == 0)); then
        g+=("$(grove_round "$r")")
        p1+=("$(redis_round "$r" "$n" 16 1 pipelined16)")
        p50+=("$(redis_round "$r" "$n" 16 50 pipelined16)")
        nv+=("$(redis_round "$r" "$n_naive" 1 1 naive)")
    else
        nv+=("$(redis_round "$r" "$n_naive" 1 1 naive)")
        p50+=("$(redis_round "$r" "$n" 16 50 pipelined16)")
        p1+=("$(redis_round "$r" "$n" 16 1 pipelined16)")
        g+=("$(grove_round "$r")")
    fi
done

# Median over rounds of (redis µs/op / grove µs/op), with min..max.
ratio() {
    local -n other=$1
    for i in "${!g[@]}"; do
        awk -v a="${other[$i]}" -v b="${g[$i]}" 'BEGIN {printf "%.4f\n", a / b}'
    done | sort -g | awk '{a[NR] = $1} END {
        m = (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)
        printf "%.2fx (%.2f..%.2f)", m, a[1], a[NR]}'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }

r1="$(ratio p1)" r50="$(ratio p50)" rn="$(ratio nv)"
echo "[c] counter_incr_hot none: grove/direct $(median "${g[@]}")us | redis -P 16 -c 1 $(median "${p1[@]}")us ratio $r1 | redis -P 16 -c 50 $(median "${p50[@]}")us ratio $r50 | redis -P 1 -c 1 $(median "${nv[@]}")us ratio $rn" >&2
printf '{"lang": "c", "kind": "note", "text": "%s"}\n' \
    "C: Grove is one thread on a sled store (periodic flush) through libgrove.a; Redis is redis-benchmark -t incr on one key. pipelined16 rows with clients 1 are -P 16 -c 1 (one connection, what the goal table pairs with single-threaded Grove); rows with clients 50 are redis-benchmark's default -P 16 -c 50, where Redis vs Grove = ${r50} (median (min..max) over rounds; ${rounds} rounds of ${n} ops)." >&3
