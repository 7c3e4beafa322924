#!/usr/bin/env bash
# Runs core/tests/memory_threads.rs under Miri: threads on the in-memory backend, checked for data
# races and undefined behaviour. Needs nightly Rust with the miri component (installed here with
# rustup when missing). Miri cannot run sled (file locks, mmap, its own threads), so the sled
# backend is covered by the sanitizer runs of the C suite and `go test -race` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_rust
if ! cargo +nightly miri --version >/dev/null 2>&1; then
    echo "installing nightly Rust's miri and rust-src components (rustup)"
    rustup toolchain install nightly --profile minimal --component miri,rust-src
fi
# Isolation off: the store reads the system clock and the OS random source.
MIRIFLAGS="-Zmiri-disable-isolation" cargo +nightly miri test -p grove-core --test memory_threads
