#!/usr/bin/env bash
# Runs every test suite in every language, plus the linters, on a clean machine.
# Installs what it needs: Debian packages, a Python virtualenv at .venv, npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
export CARGO_TERM_COLOR=never
start=$(date +%s)

ensure_rust
apt_install valgrind build-essential python3-venv

step "rust: cargo fmt --check"
cargo fmt --all --check

step "rust: cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "rust: release build, once, reused by every suite below"
cargo build --release -p grove-cli -p grove-ffi

step "redis: servers for the Redis engine's contract tests (loopback, no persistence): one, one with AUTH, one with TLS and AUTH, a 3-master cluster, and one speaking only TLS"
apt_install redis-server redis-tools
start_redis "$PWD/target/test-redis" none:6400
export GROVE_TEST_REDIS=redis://127.0.0.1:6400
# One that requires AUTH (an ACL user with a password), for the AUTH tests.
redis_auth_pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -p target/test-redis/auth
redis-server --port 6401 --bind 127.0.0.1 --save "" --appendonly no --dir target/test-redis/auth \
  --logfile "$PWD/target/test-redis/auth/redis.log" --daemonize no \
  --user default off --user grove on ">$redis_auth_pw" '~*' '&*' '+@all' &
REDIS_PIDS+=($!)
for _ in $(seq 100); do redis-cli -p 6401 ping 2>&1 | grep -q NOAUTH && break; sleep 0.1; done
export GROVE_TEST_REDIS_AUTH="redis://grove:$redis_auth_pw@127.0.0.1:6401"
# One that speaks only TLS, with certificates of this run's own CA, and requires the same AUTH.
apt_install openssl
make_test_certs "$PWD/target/test-redis/tls"
tls="$PWD/target/test-redis/tls"
redis-server --port 0 --tls-port 6402 --bind 127.0.0.1 --save "" --appendonly no --dir "$tls" \
  --logfile "$tls/redis.log" --daemonize no --tls-cert-file "$tls/server.pem" \
  --tls-key-file "$tls/server.key" --tls-ca-cert-file "$tls/ca.pem" --tls-auth-clients optional \
  --user default off --user grove on ">$redis_auth_pw" '~*' '&*' '+@all' &
REDIS_PIDS+=($!)
for _ in $(seq 100); do
  redis-cli --tls --cacert "$tls/ca.pem" -p 6402 ping 2>&1 | grep -q NOAUTH && break
  sleep 0.1
done
redis-cli --tls --cacert "$tls/ca.pem" -p 6402 ping 2>&1 | grep -q NOAUTH || {
  echo "the TLS redis-server on 6402 did not come up:" >&2; tail -20 "$tls/redis.log" >&2; exit 1; }
export GROVE_TEST_REDIS_TLS="rediss://grove:$redis_auth_pw@localhost:6402"
export GROVE_TEST_REDIS_TLS_DIR="$tls"
# The partition test cuts a Redis server off in a network namespace of its own (needs root).
apt_install iproute2
if ip netns add grove-probe 2>/dev/null && ip netns del grove-probe; then
  export GROVE_TEST_NETNS=1
else
  echo "NOTE: this machine cannot make a network namespace (not root, or no CAP_NET_ADMIN): the partition test will not run"
fi
# A Redis Cluster of three masters, for the contract tests on a cluster and slot moves.
start_redis_cluster "$PWD/target/test-redis" 7000 7001 7002
export GROVE_TEST_REDIS_CLUSTER=redis+cluster://127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002
# The same over TLS only (clients and the cluster bus), with the TLS server's certificates.
REDIS_CLUSTER_TLS="$tls" start_redis_cluster "$PWD/target/test-redis/tls-cluster" 7003 7004 7005
export GROVE_TEST_REDIS_CLUSTER_TLS="rediss+cluster://127.0.0.1:7003,127.0.0.1:7004?ca=$tls/ca.pem"

step "rust: tests (core, CLI, FFI; includes the crash, fault, soak and security tests)"
cargo test --release -p grove-core -p grove-cli -p grove-ffi

step "rust: Miri over threads on the in-memory backend"
scripts/miri.sh

step "rust: fuzz smoke (every cargo-fuzz target a few seconds on its committed corpus)"
scripts/fuzz.sh smoke

step "rust: cargo deny (licences, bans, sources)"
scripts/deny.sh

step "rust: benchmark smoke run (ratios; not a pass/fail timing)"
GROVE_BENCH_QUICK=1 cargo bench -p grove-core --bench core_bench
GROVE_BENCH_QUICK=1 cargo bench -p grove-core --bench ordered_bench

step "C: header drift, compile checks, tests under valgrind and sanitizers"
tests/c/run.sh

step "Go: gofmt, go vet, go test -race"
bindings/go/test.sh

step "Python: ruff, mypy --strict, pytest"
bindings/python/test.sh

step "Node: node --test"
bindings/node/test.sh

step "install: scripts/dist.sh builds dist/ (wheel, npm tarball, Go module, C tarball), then each is installed with no cargo on PATH and runs its README quickstart"
# The linux/arm64 libgrove.a too (Debian's cross toolchain, installed here; about 4 minutes on 2
# cores), and qemu-user so the install test runs the arm64 Go quickstart, not only links it.
apt_install qemu-user
GROVE_DIST_ARM64=1 scripts/dist.sh
tests/install/run.sh

step "multilang: Python, Node, Go and C processes on one lmdb: store at once"
tests/multilang/run.sh

step "benchmarks vs Redis, quick (so the suite cannot rot; figures are not pass/fail)"
./scripts/bench.sh --quick

step "benchmarks of the Redis engine vs redis-py, node-redis and go-redis, quick (figures are not pass/fail)"
bench/redis/run.sh --quick

step "demo"
./target/release/grove demo --threads 4 --views 5000

echo
echo "All suites passed in $(( $(date +%s) - start )) s."
