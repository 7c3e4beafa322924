# Shared helpers for the project scripts (sourced, not run).

step() { printf '\n==> %s\n' "$*"; }

# Installs Debian packages that are missing (CI runs as root on a clean machine).
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing system packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# Every tool the scripts fetch is pinned here (or in a lockfile / requirements file), so what is
# served on the day cannot change a run. Move a pin on purpose, with a full test run.
# The nightly for Miri and cargo-fuzz: a dated build, never plain `nightly` (Miri's checks move
# with it: nightly 2026-10-29 began rejecting parking_lot 0.11's futex call).
GROVE_NIGHTLY=nightly-2026-10-01
CARGO_FUZZ_VERSION=0.13.2
CARGO_DENY_VERSION=0.20.2

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
      export PATH="$HOME/.cargo/bin:$PATH"
    else
      echo "cargo not found: installing Debian's Rust toolchain (rustup is the better choice: https://rustup.rs)"
      apt_install cargo rustc
    fi
  fi
  # rust-toolchain.toml pins stable; install it up front (with rustup) so a rustup that does
  # not auto-install toolchains still builds with the pin.
  if command -v rustup >/dev/null 2>&1; then
    local pinned
    pinned=$(sed -n 's/^channel = "\(.*\)"$/\1/p' "$(dirname "${BASH_SOURCE[0]}")/../rust-toolchain.toml")
    if [ -n "$pinned" ] && ! rustup run "$pinned" cargo clippy --version >/dev/null 2>&1; then
      echo "installing the pinned stable Rust $pinned (rustup)"
      rustup toolchain install "$pinned" --profile minimal --component rustfmt,clippy
    fi
  fi
}

# The pinned nightly with the given rustup components (Miri needs miri and rust-src).
ensure_nightly() {
  ensure_rust
  local components=${1:-}
  if ! rustup run "$GROVE_NIGHTLY" rustc --version >/dev/null 2>&1; then
    echo "installing the pinned nightly $GROVE_NIGHTLY (rustup)"
    rustup toolchain install "$GROVE_NIGHTLY" --profile minimal ${components:+--component "$components"}
  elif [ -n "$components" ]; then
    rustup component add --toolchain "$GROVE_NIGHTLY" ${components//,/ }
  fi
}

# `cargo install NAME --version VERSION --locked` unless `cargo NAME --version` already says it.
ensure_cargo_tool() {
  local name=$1 version=$2
  if ! cargo "${name#cargo-}" --version 2>/dev/null | grep -qw "$version"; then
    echo "installing $name $version (cargo install --locked)"
    cargo install "$name" --version "$version" --locked
  fi
}
