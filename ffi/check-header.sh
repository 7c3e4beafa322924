#!/usr/bin/env bash
# Regenerates include/grove.h from ffi/src with cbindgen (as a library, no `cargo install`) and
# fails if the committed header differs. `--update` writes the fresh header instead.
set -euo pipefail
cd "$(dirname "$0")/.."

update=0
if [[ "${1:-}" == "--update" ]]; then
    update=1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cargo run --quiet --release -p grove-ffi --features gen-header --bin grove-gen-header -- "$tmp/grove.h"

if [[ $update == 1 ]]; then
    cp "$tmp/grove.h" include/grove.h
    echo "check-header: wrote include/grove.h"
    exit 0
fi

if ! cmp -s "$tmp/grove.h" include/grove.h; then
    echo "check-header: include/grove.h is out of date with ffi/src; run ffi/check-header.sh --update" >&2
    diff -u include/grove.h "$tmp/grove.h" >&2 || true
    exit 1
fi
echo "check-header: include/grove.h is up to date"
