#!/usr/bin/env bash
# cargo-deny over the workspace: licences, bans and sources (deny.toml). Installs cargo-deny with
# `cargo install --locked` when it is missing (a few minutes, once per machine). The advisories
# check needs the RustSec database from GitHub, which this project's machines cannot reach; see
# deny.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_rust
if ! cargo deny --version >/dev/null 2>&1; then
    echo "installing cargo-deny (cargo install cargo-deny --locked)"
    cargo install cargo-deny --locked
fi
cargo deny --version
cargo deny check licenses bans sources
