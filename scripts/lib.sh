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

# Loopback redis-server instances for the benchmarks, one per durability tier, each in its own
# folder: `start_redis OUT TIER:PORT...` (TIER: none, everysec or always) starts them, waits
# until each answers PING, and stops them when the calling script exits.
REDIS_PIDS=()
stop_redis() {
  for pid in "${REDIS_PIDS[@]:-}"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
start_redis() {
  local out=$1 spec tier port dir
  shift
  trap stop_redis EXIT
  for spec in "$@"; do
    tier=${spec%%:*} port=${spec##*:} dir="$out/redis-$tier"
    mkdir -p "$dir"
    local args=(--port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --daemonize no
      --logfile "$dir/redis.log")
    case "$tier" in
      none) args+=(--appendonly no) ;;
      everysec) args+=(--appendonly yes --appendfsync everysec) ;;
      always) args+=(--appendonly yes --appendfsync always) ;;
      *) echo "start_redis: unknown tier $tier" >&2; return 1 ;;
    esac
    redis-server "${args[@]}" &
    REDIS_PIDS+=($!)
  done
  for spec in "$@"; do
    port=${spec##*:}
    for _ in $(seq 100); do
      redis-cli -p "$port" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    redis-cli -p "$port" ping >/dev/null
  done
}

# A Redis Cluster of masters on loopback, no replicas, no persistence: `start_redis_cluster OUT
# PORT...` starts one node per port (each in OUT/cluster-PORT, fresh), joins them with
# `redis-cli --cluster create`, waits until every node reports cluster_state:ok, and stops them
# when the calling script exits (with start_redis's servers). With REDIS_CLUSTER_TLS=DIR (the
# folder of make_test_certs) the nodes speak only TLS, to clients and to each other.
start_redis_cluster() {
  local out=$1 port tls=() cli=()
  shift
  trap stop_redis EXIT
  if [ -n "${REDIS_CLUSTER_TLS:-}" ]; then
    tls=(--tls-cluster yes --tls-cert-file "$REDIS_CLUSTER_TLS/server.pem"
      --tls-key-file "$REDIS_CLUSTER_TLS/server.key" --tls-ca-cert-file "$REDIS_CLUSTER_TLS/ca.pem"
      --tls-auth-clients optional)
    cli=(--tls --cacert "$REDIS_CLUSTER_TLS/ca.pem")
  fi
  for port in "$@"; do
    rm -rf "$out/cluster-$port"
    mkdir -p "$out/cluster-$port"
    local listen=(--port "$port")
    [ ${#tls[@]} -gt 0 ] && listen=(--port 0 --tls-port "$port" "${tls[@]}")
    redis-server "${listen[@]}" --bind 127.0.0.1 --dir "$out/cluster-$port" --save "" \
      --appendonly no --daemonize no --logfile "$out/cluster-$port/redis.log" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 &
    REDIS_PIDS+=($!)
  done
  local nodes=()
  for port in "$@"; do
    for _ in $(seq 100); do redis-cli "${cli[@]}" -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    nodes+=("127.0.0.1:$port")
  done
  redis-cli "${cli[@]}" --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$out/cluster-create.log" 2>&1 || {
    echo "redis-cli --cluster create failed (a node left over from an earlier run?):" >&2
    tail -20 "$out/cluster-create.log" >&2; return 1; }
  for port in "$@"; do
    for _ in $(seq 200); do
      redis-cli "${cli[@]}" -p "$port" cluster info | grep -q 'cluster_state:ok' && break
      sleep 0.1
    done
    redis-cli "${cli[@]}" -p "$port" cluster info | grep -q 'cluster_state:ok' || {
      echo "Redis Cluster node $port never reached cluster_state:ok" >&2; return 1; }
  done
}

# Throwaway certificates for the TLS tests, in DIR: a CA (ca.pem), a server certificate for
# localhost and 127.0.0.1 (server.pem, server.key), a client certificate (client.pem,
# client.key) and an unrelated CA (other-ca.pem) that must not be trusted. Valid for 2 days.
make_test_certs() {
  local dir=$1
  mkdir -p "$dir"
  (
    cd "$dir"
    local q=(-nodes -newkey rsa:2048)
    openssl req -x509 "${q[@]}" -days 2 -subj "/CN=Grove test CA" -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -x509 "${q[@]}" -days 2 -subj "/CN=Unrelated CA" -keyout other-ca.key -out other-ca.pem 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
    openssl req "${q[@]}" -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.pem 2>/dev/null
    openssl req "${q[@]}" -subj "/CN=grove-client" -keyout client.key -out client.csr 2>/dev/null
    # Extensions make it an X.509 v3 certificate: rustls refuses v1 ones.
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
      -extfile client.ext -out client.pem 2>/dev/null
  )
}
