#!/usr/bin/env bash
# The install test: installs each package of dist/ (built by scripts/dist.sh) the way the README
# says, in a fresh folder outside the repository with no cargo or rustc on PATH, and runs that
# language's README quickstart, which asserts its results (a wrong answer exits non-zero).
#
# README and test are tied: the README's "Install" section marks blocks with
#   <!-- install-test: LANG FILE -->
# before a fenced block. This script writes every marked block of LANG into FILE in LANG's fresh
# folder (blocks for the same FILE are appended in README order) and then runs that folder's
# run.sh with bash -eu, verbatim, with GROVE set to this repository. So the install lines and the
# programs a reader copies are exactly the ones run here.
#
# Usage: tests/install/run.sh [python] [node] [go] [c]     (default: all four; dist/ must exist)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
start=$(date +%s)
langs=("$@")
[ ${#langs[@]} -gt 0 ] || langs=(python node go c)
[ -d dist ] || { echo "error: no dist/ (run scripts/dist.sh first)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/grove-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
case "$work/" in "$root"/*) echo "error: the temp folder is inside the repository" >&2; exit 1 ;; esac

# The README's marked blocks, into $work/LANG/FILE.
python3 - "$root/README.md" "$work" <<'PY'
import os, re, sys
readme, work = sys.argv[1:3]
lines = open(readme, encoding="utf-8").read().split("\n")
mark = re.compile(r"^<!-- install-test: (\w+) ([\w.]+) -->$")
found = {}
i = 0
while i < len(lines):
    m = mark.match(lines[i])
    i += 1
    if not m:
        continue
    lang, name = m.groups()
    if not lines[i].startswith("```"):
        sys.exit(f"README.md:{i}: an install-test mark must be followed by a fenced block")
    j = i + 1
    while lines[j] != "```":
        j += 1
    os.makedirs(os.path.join(work, lang), exist_ok=True)
    with open(os.path.join(work, lang, name), "a", encoding="utf-8") as f:
        f.write("\n".join(lines[i + 1 : j]) + "\n")
    found.setdefault(lang, []).append(name)
    i = j + 1
for lang in ("python", "node", "go", "c"):
    if "run.sh" not in found.get(lang, []):
        sys.exit(f"README.md has no install-test block '{lang} run.sh'")
print("README install-test blocks:", {k: sorted(set(v)) for k, v in found.items()})
PY

# PATH: the system's bin folders plus only the tools the quickstarts use (Go is in /usr/local/go
# on the project's machines); no ~/.cargo/bin, no .venv. Fail if cargo or rustc is reachable.
tools="$work/tools"
mkdir -p "$tools"
for t in go gofmt; do
  if p="$(command -v "$t")"; then ln -s "$(readlink -f "$p")" "$tools/$t"; fi
done
if [ ! -x /usr/bin/python3 ]; then ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$tools/python3"; fi
clean_path="$tools:/usr/bin:/bin"
for t in cargo rustc rustup; do
  if env PATH="$clean_path" sh -c "command -v $t" >/dev/null; then
    echo "error: $t is on $clean_path, so this test could not show the packages need no Rust" >&2
    exit 1
  fi
done

run_lang() {
  local lang=$1 dir="$work/$1" t0
  t0=$(date +%s)
  echo
  echo "==> install test: $lang (in $dir; PATH=$clean_path)"
  (
    cd "$dir"
    # Nothing of the build environment: no cargo/rustup variables, a Go build cache of this run
    # only (cgo's cache does not track a changed libgrove.a), npm's cache preferred for the
    # pinned typescript (bindings/node's npm install put it there).
    unset CARGO_TARGET_DIR CARGO_HOME RUSTUP_HOME RUSTUP_TOOLCHAIN VIRTUAL_ENV
    env PATH="$clean_path" GROVE="$root" GOCACHE="$work/gocache" \
      npm_config_prefer_offline=true npm_config_update_notifier=false \
      bash -euo pipefail run.sh
  )
  if [ "$lang" = go ] && [ -f dist/go/grovekv/build/linux-aarch64/libgrove.a ]; then
    # The module's linux/arm64 libgrove.a: cross-build the same quickstart with Debian's
    # aarch64 compiler, and run it under qemu-user when that is installed.
    if [ -x /usr/bin/aarch64-linux-gnu-gcc ]; then
      echo "-- go quickstart for linux/arm64 (cgo with aarch64-linux-gnu-gcc)"
      (cd "$dir" && env PATH="$clean_path" GOCACHE="$work/gocache-arm64" CGO_ENABLED=1 GOOS=linux \
        GOARCH=arm64 CC=aarch64-linux-gnu-gcc go build -o quickstart-arm64 .)
      file "$dir/quickstart-arm64" | grep -q 'ARM aarch64' || { echo "error: not an arm64 binary" >&2; exit 1; }
      if [ -x /usr/bin/qemu-aarch64 ]; then
        (cd "$dir" && rm -rf data && qemu-aarch64 -L /usr/aarch64-linux-gnu ./quickstart-arm64)
      else
        echo "NOTE: no qemu-aarch64 (Debian's qemu-user): the arm64 quickstart was built, not run"
      fi
    else
      echo "NOTE: dist has a linux/arm64 libgrove.a but no aarch64-linux-gnu-gcc is here to link it"
    fi
  fi
  echo "<== install test: $lang passed in $(( $(date +%s) - t0 )) s"
}

apt_missing=()
for pkg in pkg-config cmake python3-venv; do dpkg -s "$pkg" >/dev/null 2>&1 || apt_missing+=("$pkg"); done
if [ ${#apt_missing[@]} -gt 0 ]; then
  source "$root/scripts/lib.sh"
  apt_install "${apt_missing[@]}"
fi

for lang in "${langs[@]}"; do
  run_lang "$lang"
done
echo
echo "install test: ${langs[*]} passed in $(( $(date +%s) - start )) s"
