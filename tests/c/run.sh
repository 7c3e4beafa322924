#!/usr/bin/env bash
# The C suite of libgrove: header drift check, header compile checks (C99, C11, C++17), the C
# tests and the bad-input matrix natively, under valgrind (leak-check=full) and with
# ASan+LSan+UBSan.
# Runnable from anywhere; ends with "N passed, M failed" and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

# libgrove.a: normally built by the caller (`cargo build --release -p grove-ffi`); this is a
# no-op when it is up to date, and builds it when it is missing or stale.
echo "== building libgrove (cargo build --release -p grove-ffi)"
cargo build --release -p grove-ffi
test -f target/release/libgrove.a

echo "== header drift check"
if ffi/check-header.sh; then pass "include/grove.h matches a fresh cbindgen run"; else fail "include/grove.h drifted"; fi

echo "== compiling tests and header checks"
make -C tests/c all

for check in header_c99 header_c11 header_cxx17; do
    if out="$(tests/c/build/$check)"; then pass "$check ($out)"; else fail "$check"; fi
done
if command -v clang >/dev/null 2>&1; then
    if clang -std=c99 -Wall -Wextra -Werror -pedantic -Iinclude -fsyntax-only tests/c/header_check.c &&
        clang++ -std=c++17 -Wall -Wextra -Werror -pedantic -Iinclude -fsyntax-only tests/c/header_check.cpp; then
        pass "header compiles with clang (C99, C++17)"
    else
        fail "header compiles with clang"
    fi
fi

# Runs one test binary configuration and adds its "N passed, M failed" to the totals.
run_suite() {
    local label="$1"
    shift
    local log
    log="$(mktemp)"
    local rc=0
    "$@" >"$log" 2>&1 || rc=$?
    cat "$log"
    local line
    line="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1 || true)"
    rm -f "$log"
    if [[ -z "$line" ]]; then
        echo "FAIL $label: no result line (exit $rc)"
        failed=$((failed + 1))
        return
    fi
    local p f
    p="${line%% passed*}"
    f="${line#*, }"
    f="${f%% failed*}"
    passed=$((passed + p))
    failed=$((failed + f))
    if [[ $rc -ne 0 && $f -eq 0 ]]; then
        echo "FAIL $label: exit $rc (sanitizer or valgrind error)"
        failed=$((failed + 1))
    fi
    echo "-- $label: $line (exit $rc)"
}

echo "== C tests (native)"
run_suite "native" tests/c/build/test_grove
run_suite "bad-input native" tests/c/build/test_bad_input
run_suite "rules table native" tests/c/build/test_rules_table
# Native only: its fork()ed children exit without freeing what they inherited from the parent
# (by design: a child must not close the parent's handles), which valgrind reports as leaks;
# otherwise it passes under valgrind (lmdb's map falls back to a smaller reservation there).
run_suite "multiprocess native" tests/c/build/test_multiprocess

echo "== C tests under valgrind"
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind is not installed; installing it with apt-get"
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq valgrind >/dev/null || true
    fi
fi
if command -v valgrind >/dev/null 2>&1; then
    # Fewer increments under valgrind (it serialises threads); the leak check is the point.
    GROVE_TEST_SCALE=10 run_suite "valgrind" valgrind -q --leak-check=full --error-exitcode=1 \
        --errors-for-leak-kinds=definite,indirect,possible \
        --suppressions=tests/c/valgrind.supp tests/c/build/test_grove
    GROVE_TEST_SCALE=10 run_suite "bad-input valgrind" valgrind -q --leak-check=full --error-exitcode=1 \
        --errors-for-leak-kinds=definite,indirect,possible \
        --suppressions=tests/c/valgrind.supp tests/c/build/test_bad_input
    run_suite "rules table valgrind" valgrind -q --leak-check=full --error-exitcode=1 \
        --errors-for-leak-kinds=definite,indirect,possible \
        --suppressions=tests/c/valgrind.supp tests/c/build/test_rules_table
else
    echo "valgrind is not available and could not be installed: the ASan+LSan+UBSan run below is the leak check"
fi

echo "== C tests with ASan + LSan + UBSan"
ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    run_suite "asan+ubsan" tests/c/build/test_grove_asan
ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    run_suite "bad-input asan+ubsan" tests/c/build/test_bad_input_asan
ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    run_suite "rules table asan+ubsan" tests/c/build/test_rules_table_asan

echo "== summary"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
