#!/usr/bin/env bash
# Runs core/tests/memory_threads.rs under Miri: threads on the in-memory backend, checked for data
# races and undefined behaviour, with the nightly pinned in scripts/lib.sh (installed with its
# miri component when missing). Miri cannot run sled (file locks, mmap, its own threads), so the
# sled backend is covered by the sanitizer runs of the C suite and `go test -race` instead.
# Nothing is excluded: the memory backend and the core's own locks are std's (core/src/sync.rs);
# parking_lot 0.11, which current Miri rejects, is reached only through sled, not run here.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_nightly miri,rust-src
# Isolation off: the store reads the system clock and the OS random source.
MIRIFLAGS="-Zmiri-disable-isolation" cargo "+$GROVE_NIGHTLY" miri test -p grove-core --test memory_threads
