#!/usr/bin/env bash
# Builds every installable artifact into dist/, so that users install a binary package and never
# need cargo (the README's "Install" section and tests/install/run.sh use exactly these):
#
#   dist/grovekv-VERSION-cp39-abi3-manylinux_2_34_x86_64.whl  Python, one wheel for CPython 3.9+
#   dist/grovekv-VERSION.tgz                                   npm, with the prebuilt .node binary
#   dist/go/grovekv/                                           Go module with prebuilt libgrove.a
#                                                              (build/linux-x86_64, and
#                                                              build/linux-aarch64 when the Debian
#                                                              cross toolchain is here)
#   dist/grove-VERSION-linux-x86_64.tar.gz                     C/C++: include/, lib/ (libgrove.a,
#                                                              libgrove.so.0), pkg-config, CMake
#
# The version comes from one place, the workspace Cargo.toml ([workspace.package] version):
# maturin reads it for the wheel, grove.pc and the CMake package are stamped with it here, and
# bindings/node/package.json (+ its lock) must say the same or this script fails.
#
# Usage: scripts/dist.sh            (GROVE_DIST_ARM64=auto|1|0: the linux/arm64 libgrove.a for the
#                                   Go module; auto builds it when aarch64-linux-gnu-gcc and the
#                                   rustup target are installed, 1 installs them, 0 skips it)
# Reuses target/release: after `cargo build --release -p grove-ffi` only the wheel's crates (and
# the addon's, unless bindings/node/test.sh built it) are compiled.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
root=$PWD
start=$(date +%s)

ensure_rust
apt_install patchelf python3-venv

# ---- the version, from one place ------------------------------------------------------------
version=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "error: no version in Cargo.toml [workspace.package]" >&2; exit 1; }
node_version=$(node -p "require('./bindings/node/package.json').version")
lock_version=$(node -p "require('./bindings/node/package-lock.json').packages[''].version")
if [[ $node_version != "$version" || $lock_version != "$version" ]]; then
  echo "error: bindings/node/package.json says $node_version (lock: $lock_version), Cargo.toml says $version;" \
    "set the version in package.json and package-lock.json to $version" >&2
  exit 1
fi
abi_major=$(sed -n 's/^#define GROVE_ABI_VERSION_MAJOR \([0-9]*\)$/\1/p' include/grove.h)
[[ -n $abi_major ]] || { echo "error: no GROVE_ABI_VERSION_MAJOR in include/grove.h" >&2; exit 1; }
soname="libgrove.so.$abi_major"
echo "grove $version (C ABI major $abi_major)"

dist="$root/dist"
rm -rf "$dist"
mkdir -p "$dist"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The command tests/c/run.sh and bindings/go/test.sh run (the same feature resolution, so the
# libgrove those suites tested, and a no-op after them).
step "dist: libgrove (cargo build --release -p grove-ffi; a no-op when up to date)"
cargo build --release -p grove-ffi
# The link line a static libgrove.a needs on linux-gnu (from `--print native-static-libs`:
# -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc; libc and libgcc_s come with every C link).
static_libs="-lpthread -ldl -lm -lrt -lutil"

# ---- C / C++ tarball ------------------------------------------------------------------------
step "dist: C tarball (include/, lib/, pkg-config, CMake package)"
cname="grove-$version-linux-x86_64"
c="$tmp/$cname"
mkdir -p "$c/include" "$c/lib/pkgconfig" "$c/lib/cmake/Grove"
cp include/grove.h "$c/include/"
cp include/README.md "$c/README.md"
# Debug info is half the archive's size; symbols stay (a static library needs them).
strip --strip-debug -o "$c/lib/libgrove.a" target/release/libgrove.a
strip --strip-debug -o "$c/lib/$soname" target/release/libgrove.so
patchelf --set-soname "$soname" "$c/lib/$soname"
ln -s "$soname" "$c/lib/libgrove.so"
cat >"$c/lib/pkgconfig/grove.pc" <<EOF
# Grove $version: links the static libgrove.a (the program needs no libgrove at run time).
# Relocatable: every path is relative to this file, so the tarball may be unpacked anywhere.
prefix=\${pcfiledir}/../..
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: grove
Description: Grove, an embedded crash-safe engine of coordination primitives (C ABI, static)
Version: $version
Cflags: -I\${includedir}
Libs: \${libdir}/libgrove.a $static_libs
EOF
cat >"$c/lib/pkgconfig/grove-shared.pc" <<EOF
# Grove $version: links the shared $soname (run the program with the library on its path,
# e.g. LD_LIBRARY_PATH=\$(pkg-config --variable=libdir grove-shared), or add an rpath).
prefix=\${pcfiledir}/../..
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: grove-shared
Description: Grove, an embedded crash-safe engine of coordination primitives (C ABI, shared)
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lgrove
EOF
cat >"$c/lib/cmake/Grove/GroveConfig.cmake" <<EOF
# Grove $version for CMake: find_package(Grove) gives the imported targets
#   Grove::grove         the static libgrove.a (with the system libraries it needs)
#   Grove::grove_shared  the shared $soname
# Relocatable: paths are found from this file's location.
get_filename_component(_grove_prefix "\${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
include(CMakeFindDependencyMacro)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_dependency(Threads)
if(NOT TARGET Grove::grove)
  add_library(Grove::grove STATIC IMPORTED)
  set_target_properties(Grove::grove PROPERTIES
    IMPORTED_LOCATION "\${_grove_prefix}/lib/libgrove.a"
    IMPORTED_LINK_INTERFACE_LANGUAGES "C"
    INTERFACE_INCLUDE_DIRECTORIES "\${_grove_prefix}/include"
    INTERFACE_LINK_LIBRARIES "Threads::Threads;\${CMAKE_DL_LIBS};m;rt;util")
endif()
if(NOT TARGET Grove::grove_shared)
  add_library(Grove::grove_shared SHARED IMPORTED)
  set_target_properties(Grove::grove_shared PROPERTIES
    IMPORTED_LOCATION "\${_grove_prefix}/lib/$soname"
    IMPORTED_SONAME "$soname"
    INTERFACE_INCLUDE_DIRECTORIES "\${_grove_prefix}/include")
endif()
set(Grove_INCLUDE_DIR "\${_grove_prefix}/include")
unset(_grove_prefix)
EOF
cat >"$c/lib/cmake/Grove/GroveConfigVersion.cmake" <<EOF
# Grove $version: before 1.0 a minor release may change the API, so a request matches only the
# same major.minor at this patch level or below (find_package(Grove 0.1) finds 0.1.x).
set(PACKAGE_VERSION "$version")
if(NOT CMAKE_SIZEOF_VOID_P STREQUAL "8")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
  set(PACKAGE_VERSION "$version (64-bit)")
elseif(NOT PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
elseif(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
elseif("\${PACKAGE_FIND_VERSION_MAJOR}.\${PACKAGE_FIND_VERSION_MINOR}" STREQUAL "$(cut -d. -f1-2 <<<"$version")")
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
else()
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
endif()
EOF
tar -C "$tmp" --owner=0 --group=0 --numeric-owner -czf "$dist/$cname.tar.gz" "$cname"

# ---- Go module (the wasmtime-go layout: prebuilt static libraries inside the module) ---------
step "dist: Go module with prebuilt libgrove.a"
g="$dist/go/grovekv"
mkdir -p "$g/build/include" "$g/build/linux-x86_64"
(cd bindings/go && find . -type f \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name 'README.md' \) \
  ! -name '*_test.go' -print0 | xargs -0 -I{} cp --parents {} "$g/")
cp include/grove.h "$g/build/include/"
cp "$c/lib/libgrove.a" "$g/build/linux-x86_64/"
# In the repository cgo.go links ../../target/release/libgrove.a; the dist module links its own.
cgo_repo_cflags='#cgo CFLAGS: -I${SRCDIR}/../../include'
cgo_repo_ldflags='#cgo LDFLAGS: ${SRCDIR}/../../target/release/libgrove.a -lpthread -ldl -lm'
grep -qxF "$cgo_repo_cflags" "$g/cgo.go" && grep -qxF "$cgo_repo_ldflags" "$g/cgo.go" || {
  echo "error: bindings/go/cgo.go no longer has the #cgo lines this script rewrites" >&2; exit 1; }
GROVE_CGO_LINES="#cgo CFLAGS: -I\${SRCDIR}/build/include
#cgo linux,amd64 LDFLAGS: \${SRCDIR}/build/linux-x86_64/libgrove.a $static_libs
#cgo linux,arm64 LDFLAGS: \${SRCDIR}/build/linux-aarch64/libgrove.a $static_libs" \
  python3 - "$g/cgo.go" "$cgo_repo_cflags" "$cgo_repo_ldflags" <<'PY'
import os, sys
path, cflags, ldflags = sys.argv[1:4]
src = open(path).read()
src = src.replace(cflags + "\n" + ldflags, os.environ["GROVE_CGO_LINES"], 1)
open(path, "w").write(src)
PY

arm64=${GROVE_DIST_ARM64:-auto}
arm_target=aarch64-unknown-linux-gnu
have_arm64() {
  command -v aarch64-linux-gnu-gcc >/dev/null && rustup target list --installed 2>/dev/null | grep -qx "$arm_target"
}
if [[ $arm64 == 1 ]] && ! have_arm64; then
  apt_install gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  rustup target add "$arm_target"
fi
if [[ $arm64 != 0 ]] && have_arm64; then
  step "dist: libgrove.a for linux/arm64 (cross, Debian's aarch64-linux-gnu-gcc)"
  CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar \
    cargo build --release -p grove-ffi --lib --target "$arm_target"
  mkdir -p "$g/build/linux-aarch64"
  aarch64-linux-gnu-strip --strip-debug -o "$g/build/linux-aarch64/libgrove.a" "target/$arm_target/release/libgrove.a"
else
  echo "NOTE: no linux/arm64 libgrove.a (needs gcc-aarch64-linux-gnu and 'rustup target add $arm_target';" \
    "GROVE_DIST_ARM64=1 installs them): the Go module builds on linux/amd64 only"
fi
(cd "$g" && gofmt -l . | { ! grep .; }) || { echo "error: the dist Go module is not gofmt-clean" >&2; exit 1; }

# ---- Python wheel ---------------------------------------------------------------------------
step "dist: Python wheel (maturin, abi3, manylinux_2_34)"
# maturin from the pinned requirements, in the repository's .venv (bindings/python/test.sh's).
[ -x .venv/bin/python ] || python3 -m venv .venv
maturin_pin=$(grep -E '^maturin==' bindings/python/requirements-dev.txt)
.venv/bin/maturin --version 2>/dev/null | grep -qw "${maturin_pin#maturin==}" ||
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "$maturin_pin"
# manylinux_2_34: built on this Debian 12 (glibc 2.36), the library uses symbols of glibc 2.34
# (maturin's auditwheel check refuses manylinux_2_28 for GLIBC_2.34 symbols); no zig here.
.venv/bin/maturin build --release -m bindings/python/Cargo.toml --compatibility manylinux_2_34 --out "$dist"

# ---- npm tarball ----------------------------------------------------------------------------
step "dist: npm tarball (prepack builds and strips grovekv.<platform>.node)"
(cd bindings/node && npm pack --pack-destination "$dist" --silent >/dev/null)
[ -f "$dist/grovekv-$version.tgz" ] || { echo "error: npm pack made no dist/grovekv-$version.tgz" >&2; exit 1; }
npm_listing=$(tar -tzf "$dist/grovekv-$version.tgz")
grep -Eq '^package/grovekv\.linux-x64-gnu\.node$' <<<"$npm_listing" || {
  echo "error: the npm tarball carries no prebuilt grovekv.linux-x64-gnu.node" >&2; exit 1; }

echo
ls -la "$dist" "$dist"/go/grovekv/build/*/libgrove.a
echo "dist/ built in $(( $(date +%s) - start )) s"
