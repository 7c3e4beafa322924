#!/usr/bin/env bash
# Builds and installs grovekv into REPO_ROOT/.venv, then runs ruff, mypy --strict and pytest.
# Usage: bindings/python/test.sh [extra pytest args]   (runnable from any directory)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../.." && pwd)"
VENV="$REPO_ROOT/.venv"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
export PATH="$VENV/bin:$PATH"
export VIRTUAL_ENV="$VENV"
# Build in the workspace's target dir so builds are incremental and shared with cargo.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO_ROOT/target}"

echo "== dev tools (requirements-dev.txt)"
python -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements-dev.txt"

echo "== building and installing grovekv"
# --no-build-isolation: use the pinned maturin from the venv instead of fetching one per build.
python -m pip install --quiet --disable-pip-version-check --no-build-isolation --no-deps \
    --force-reinstall "$HERE"

cd "$HERE"
echo "== ruff"
ruff check python tests examples bench.py
ruff format --check python tests examples bench.py

echo "== mypy --strict"
mypy --strict python/grovekv tests examples bench.py
echo "== stubtest (_native.pyi against the built module)"
python -m mypy.stubtest grovekv

echo "== pytest"
# The package lives under python/, so this tests the installed build, not the source tree.
pytest "$@"
