#!/usr/bin/env bash
# The Go suite of grovekv: gofmt, go vet, then go test -race with GODEBUG=cgocheck=1, and a
# second run with GOGC=1 to flush out use-after-free. Runnable from anywhere; exits non-zero on
# any failure and ends with "N passed, M failed". It never skips silently: without Go it says
# so and installs Debian's golang-go.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"

# Go: the project's machine ships it in /usr/local/go; elsewhere install Debian's package.
if ! command -v go >/dev/null 2>&1; then
    if [[ -x /usr/local/go/bin/go ]]; then
        export PATH="/usr/local/go/bin:$PATH"
    else
        echo "Go is not installed: installing Debian's golang-go (apt-get update; apt-get install -y golang-go)"
        if [[ $(id -u) -ne 0 ]]; then
            echo "error: not root, cannot apt-get install golang-go; install Go >= 1.19 and rerun" >&2
            exit 1
        fi
        apt-get update
        apt-get install -y golang-go
    fi
fi
if [[ -z "${HOME:-}" ]]; then
    # go needs a cache and a module directory; CI may run without HOME.
    export HOME="${TMPDIR:-/tmp}"
fi
export CGO_ENABLED=1
go version

# libgrove.a: normally built by the caller; this is a no-op when up to date.
echo "== building libgrove (cargo build --release -p grove-ffi)"
(cd "$root" && cargo build --release -p grove-ffi)

echo "== gofmt"
unformatted="$(gofmt -l .)"
if [[ -n "$unformatted" ]]; then
    echo "gofmt -l lists files that need formatting:" >&2
    echo "$unformatted" >&2
    exit 1
fi

echo "== go vet"
go vet ./...

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "== go test -race (GODEBUG=cgocheck=1)"
rc=0
GODEBUG=cgocheck=1 go test -race -count=1 -v ./... 2>&1 | tee "$log" || rc=$?

echo "== go test -race (GODEBUG=cgocheck=1 GOGC=1)"
GOGC=1 GODEBUG=cgocheck=1 go test -race -count=1 ./... || rc=$?

passed="$(grep -c -E '^--- PASS' "$log" || true)"
failed="$(grep -c -E '^--- FAIL' "$log" || true)"
if [[ $rc -ne 0 && $failed -eq 0 ]]; then
    failed=1
fi
echo "$passed passed, $failed failed"
exit $rc
