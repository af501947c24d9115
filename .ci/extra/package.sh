#!/usr/bin/env bash
# Packaging check: usocket is installed the way a distribution or a user would install it, and
# the consumer projects of tests/package/ are built against it and run (each opens a socket
# pair and exchanges a message). Exits non-zero on the first failure.
#
#   1. the library alone (no tests, tools, examples, Python module), static and shared, each
#      installed to its own temporary prefix and both into one shared prefix;
#   2. the installed trees: expected files (usocket/platform.hpp, generated), no path of the
#      source or build tree left in them, only the public API exported from the shared library
#      and every function of the installed headers exported (tests/package/check_exports.py);
#   3. consumers: find_package (static, shared, both-in-one-prefix, the build tree),
#      pkg-config (static with --static, shared), add_subdirectory (static) and FetchContent
#      from this git repository (shared, installed along with the consumer, then found again);
#   4. the API reference (scripts/apidoc.sh) builds without warnings.
#
# Usage: .ci/extra/package.sh   (USOCKET_PACKAGE_KEEP=1 keeps the temporary directory)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/usocket-package.XXXXXX")
if [[ "${USOCKET_PACKAGE_KEEP:-0}" == 1 ]]; then
  echo "package: keeping $work"
else
  trap 'rm -rf "$work"' EXIT
fi
jobs=${USOCKET_PACKAGE_JOBS:-2}
start=$SECONDS

step() { echo "-- package: $*"; }
fail() { echo "package: FAILED: $*" >&2; exit 1; }
# quiet CMAKE_ARGS...: runs cmake, shows its output only when it fails.
quiet() {
  local log="$work/last.log"
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    fail "$*"
  fi
}
# consumer SOURCE_DIR BUILD_DIR PROGRAM CMAKE_ARGS...: configures, builds and runs one CMake
# consumer project.
consumer() {
  local dir=$1 build=$2 program=$3
  shift 3
  quiet cmake -S "$src/tests/package/$dir" -B "$build" -DCMAKE_BUILD_TYPE=Release "$@"
  quiet cmake --build "$build" -j"$jobs"
  "$build/$program" || fail "$build/$program"
}
# linked_to PROGRAM shared|static: whether PROGRAM loads libusocket.so at run time.
linked_to() {
  if readelf -d "$1" | grep -q 'NEEDED.*libusocket\.so'; then
    [[ $2 == shared ]] || fail "$1 needs libusocket.so but was built against a static usocket"
  else
    [[ $2 == static ]] || fail "$1 does not load libusocket.so but was built against a shared one"
  fi
}

# --- 1. the library, static and shared --------------------------------------------------------

lib_args=(-DCMAKE_BUILD_TYPE=Release -DUSOCKET_BUILD_TESTS=OFF -DUSOCKET_BUILD_EXAMPLES=OFF
          -DUSOCKET_BUILD_TOOLS=OFF -DUSOCKET_BUILD_PYTHON=OFF -DUSOCKET_BUILD_BENCH=OFF
          -DUSOCKET_INSTALL=ON
          # Installed elsewhere below: nothing may depend on the configured prefix.
          -DCMAKE_INSTALL_PREFIX="$work/not-used")
for kind in static shared; do
  step "build and install the $kind library"
  shared=OFF
  [[ $kind == shared ]] && shared=ON
  quiet cmake -S "$src" -B "$work/build-$kind" "${lib_args[@]}" -DBUILD_SHARED_LIBS=$shared
  quiet cmake --build "$work/build-$kind" -j"$jobs" --target usocket
  quiet cmake --install "$work/build-$kind" --prefix "$work/prefix-$kind"
  quiet cmake --install "$work/build-$kind" --prefix "$work/prefix-both"
done

# --- 2. the installed trees ---------------------------------------------------------------

step "check the installed trees"
[[ ! -e "$work/not-used" ]] || fail "something was installed to the configured prefix"
for kind in static shared; do
  prefix="$work/prefix-$kind"
  for file in include/usocket/usocket.hpp include/usocket/socket.hpp include/usocket/export.hpp \
              include/usocket/platform.hpp \
              lib/cmake/usocket/usocketConfig.cmake lib/cmake/usocket/usocketConfigVersion.cmake \
              lib/cmake/usocket/usocket-$kind-targets.cmake \
              lib/cmake/usocket/usocket-$kind-dependencies.cmake lib/pkgconfig/usocket.pc; do
    [[ -f "$prefix/$file" ]] || fail "$kind install: missing $file"
  done
  if grep -rlF -e "$src" -e "$work/build-$kind" "$prefix/lib/cmake" "$prefix/lib/pkgconfig"; then
    fail "$kind install: the files above name the source or build tree"
  fi
done
[[ -f "$work/prefix-static/lib/libusocket.a" ]] || fail "static install: no lib/libusocket.a"
[[ -z "$(find "$work/prefix-static" -name 'libusocket.so*')" ]] || fail "static install has a .so"
lib="$work/prefix-shared/lib/libusocket.so"
[[ -L "$lib" && -f "$lib" ]] || fail "shared install: no lib/libusocket.so link"
soname=$(readelf -d "$lib" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[[ -f "$work/prefix-shared/lib/$soname" ]] || fail "shared install: no $soname (the SONAME)"
exported=$(nm -D --defined-only -C "$lib")
grep -q ' usocket::socketpair(' <<<"$exported" || fail "libusocket.so does not export usocket::socketpair"
if grep -E ' (usocket::sys::|usocket::socket_access|usocket::testing::)' <<<"$exported"; then
  fail "libusocket.so exports the internal symbols above (they must stay hidden)"
fi
# Every function the installed headers declare is exported (clang reads the headers).
/usr/bin/python3 "$src/tests/package/check_exports.py" "$lib" "$work/prefix-shared/include" ||
  fail "libusocket.so does not export a function its headers declare"

# --- 3. consumers ----------------------------------------------------------------------------

for kind in static shared; do
  type=$(tr '[:lower:]' '[:upper:]' <<<"$kind")_LIBRARY
  step "find_package, $kind install"
  consumer find_package "$work/fp-$kind" find_package_consumer \
    -DCMAKE_PREFIX_PATH="$work/prefix-$kind" -DUSOCKET_EXPECTED_TYPE="$type"
  linked_to "$work/fp-$kind/find_package_consumer" $kind
done

step "find_package, static and shared in one prefix: usocket_SHARED_LIBS=ON, then COMPONENTS static"
consumer find_package "$work/fp-both-shared" find_package_consumer \
  -DCMAKE_PREFIX_PATH="$work/prefix-both" -Dusocket_SHARED_LIBS=ON -DUSOCKET_EXPECTED_TYPE=SHARED_LIBRARY
linked_to "$work/fp-both-shared/find_package_consumer" shared
consumer find_package "$work/fp-both-static" find_package_consumer \
  -DCMAKE_PREFIX_PATH="$work/prefix-both" -DUSOCKET_COMPONENT=static -DUSOCKET_EXPECTED_TYPE=STATIC_LIBRARY
linked_to "$work/fp-both-static/find_package_consumer" static

step "find_package, the static build tree (not installed)"
consumer find_package "$work/fp-buildtree" find_package_consumer \
  -Dusocket_DIR="$work/build-static/usocket-package" -DUSOCKET_EXPECTED_TYPE=STATIC_LIBRARY

step "pkg-config, static install (--static)"
mkdir -p "$work/pc-static" "$work/pc-shared"
PKG_CONFIG_PATH="$work/prefix-static/lib/pkgconfig" quiet make -f "$src/tests/package/pkg-config/Makefile" \
  OUT="$work/pc-static" PKG_CONFIG_STATIC=--static EXPECT_STATIC=1
"$work/pc-static/pkg_config_consumer" || fail "pkg-config static consumer"
linked_to "$work/pc-static/pkg_config_consumer" static

step "pkg-config, shared install"
PKG_CONFIG_PATH="$work/prefix-shared/lib/pkgconfig" quiet make -f "$src/tests/package/pkg-config/Makefile" \
  OUT="$work/pc-shared" EXPECT_STATIC=0
"$work/pc-shared/pkg_config_consumer" || fail "pkg-config shared consumer"
linked_to "$work/pc-shared/pkg_config_consumer" shared

step "add_subdirectory, static"
consumer add_subdirectory "$work/as-static" add_subdirectory_consumer \
  -DUSOCKET_SOURCE_DIR="$src" -DUSOCKET_EXPECTED_TYPE=STATIC_LIBRARY
linked_to "$work/as-static/add_subdirectory_consumer" static

step "FetchContent from this git repository ($(git -C "$src" rev-parse --short HEAD)), shared, installed with the consumer"
git -C "$src" diff --quiet HEAD -- || echo "   (FetchContent builds the commit; uncommitted changes are not in it)"
consumer fetchcontent "$work/fc-shared" fetchcontent_consumer \
  -DUSOCKET_GIT_REPOSITORY="$src" -DBUILD_SHARED_LIBS=ON -DUSOCKET_INSTALL=ON \
  -DUSOCKET_EXPECTED_TYPE=SHARED_LIBRARY -DCMAKE_INSTALL_PREFIX="$work/prefix-fc"
linked_to "$work/fc-shared/fetchcontent_consumer" shared
quiet cmake --install "$work/fc-shared"
consumer find_package "$work/fp-fc" find_package_consumer \
  -DCMAKE_PREFIX_PATH="$work/prefix-fc" -DUSOCKET_EXPECTED_TYPE=SHARED_LIBRARY

# --- 4. the API reference --------------------------------------------------------------------

step "API reference (scripts/apidoc.sh)"
quiet "$src/scripts/apidoc.sh" "$work/apidoc"
[[ -f "$work/apidoc/html/index.html" ]] || fail "scripts/apidoc.sh made no html/index.html"

echo "package: all consumers built and ran in $((SECONDS - start)) s"
