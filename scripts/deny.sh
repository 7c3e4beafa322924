#!/usr/bin/env bash
# cargo-deny over the workspace: licences, bans and sources (deny.toml). Installs the cargo-deny
# pinned in scripts/lib.sh with `cargo install --locked` when it is missing (a few minutes, once
# per machine). The advisories check needs the RustSec database from GitHub, which this project's
# machines cannot reach; see deny.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_rust
ensure_cargo_tool cargo-deny "$CARGO_DENY_VERSION"
cargo deny --version
cargo deny check licenses bans sources
