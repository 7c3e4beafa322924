#!/usr/bin/env bash
# cargo-fuzz targets of grove-core (fuzz/, its own workspace, nightly only).
#
#   scripts/fuzz.sh smoke              build, then run each target ~10 s on its corpus (CI)
#   scripts/fuzz.sh long [SECONDS]     run each target SECONDS (default 600), one after another
#   scripts/fuzz.sh cmin               merge the working corpora into fuzz/corpus/ and minimize
#
# Targets run one at a time, each as a single libFuzzer process (no -jobs/-fork). Name some
# after the mode to run only those (`scripts/fuzz.sh long 60 api_model`). New inputs go to
# fuzz/target/corpus/<target> (ignored); the committed fuzz/corpus/<target> is read, never
# written, except by `cmin`. Crashes land in fuzz/artifacts/<target>/. Exits non-zero if any
# target crashed or failed. Env: FUZZ_TOOLCHAIN (default: the nightly pinned in scripts/lib.sh),
# FUZZ_SMOKE_SECONDS (10).
set -uo pipefail

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

mode=${1:-}
[ -n "$mode" ] || usage
shift
case "$mode" in
smoke) secs=${FUZZ_SMOKE_SECONDS:-10} ;;
long)
    secs=600
    if [[ ${1:-} =~ ^[0-9]+$ ]]; then
        secs=$1
        shift
    fi
    ;;
cmin) secs=0 ;;
-h | --help | help) usage ;;
*)
    echo "unknown mode '$mode'" >&2
    usage
    ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
source "$root/scripts/lib.sh"
[ -n "${FUZZ_TOOLCHAIN:-}" ] || ensure_nightly || exit 1
cd "$root/fuzz" || exit 1
tc=+${FUZZ_TOOLCHAIN:-$GROVE_NIGHTLY}
all_targets=(crdt_merge apply_changes value_envelope api_model)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all_targets[@]}"); fi

ensure_cargo_tool cargo-fuzz "$CARGO_FUZZ_VERSION" || exit 1

echo "== building fuzz targets"
cargo "$tc" fuzz build || {
    echo "0 passed, ${#targets[@]} failed"
    exit 1
}

# The value_envelope target plants a sled store per input; keep it on tmpfs and clean it up.
scratch_parent=/tmp
[ -d /dev/shm ] && scratch_parent=/dev/shm
scratch=$(mktemp -d "$scratch_parent/grove-fuzz.XXXXXX")
export GROVE_FUZZ_SCRATCH=$scratch
trap 'rm -rf "$scratch"' EXIT

logs=target/fuzz-logs
mkdir -p "$logs"

if [ "$mode" = cmin ]; then
    passed=0 failed=0
    for t in "${targets[@]}"; do
        mkdir -p "corpus/$t"
        if [ -d "target/corpus/$t" ]; then cp -n "target/corpus/$t"/* "corpus/$t"/ 2>/dev/null; fi
        before=$(find "corpus/$t" -type f | wc -l)
        if cargo "$tc" fuzz cmin "$t" "corpus/$t" >"$logs/$t.cmin.log" 2>&1; then
            after=$(find "corpus/$t" -type f | wc -l)
            echo "$t: corpus $before -> $after files, $(du -sk --apparent-size "corpus/$t" | cut -f1) KiB"
            passed=$((passed + 1))
        else
            echo "$t: cmin FAILED (see fuzz/$logs/$t.cmin.log)"
            failed=$((failed + 1))
        fi
    done
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
fi

stat() { grep -a "^stat::$1:" "$2" | tail -1 | awk '{print $2}'; }

passed=0 failed=0
for t in "${targets[@]}"; do
    work=target/corpus/$t
    mkdir -p "$work" "corpus/$t"
    log=$logs/$t.$mode.log
    echo "== $t: ${secs}s"
    start=$(date +%s)
    cargo "$tc" fuzz run "$t" "$work" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=60 -rss_limit_mb=4096 \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    last=$(grep -aE '^#[0-9]+' "$log" | tail -1)
    cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
    ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
    corp=$(sed -nE 's/.* corp: ([^ ]+).*/\1/p' <<<"$last")
    summary="$t: ${took}s execs=$(stat number_of_executed_units "$log") exec/s=$(stat average_exec_per_sec "$log") cov=$cov ft=$ft corpus=$corp"
    if [ $rc -eq 0 ]; then
        echo "$summary: ok"
        passed=$((passed + 1))
    else
        echo "$summary: FAILED (exit $rc; log fuzz/$log)"
        grep -aE 'panicked at|^SUMMARY|Test unit written|ERROR: libFuzzer' "$log" | head -5 | sed 's/^/    /'
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
