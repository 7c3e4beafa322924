#!/usr/bin/env bash
# Builds everything native in release (core, CLI, libgrove for C/Go) and runs `grove demo`
# on a sled store in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_rust
step "build (release): grove CLI, libgrove (C/Go)"
cargo build --release -p grove-cli -p grove-ffi
step "grove demo"
./target/release/grove demo "$@"
