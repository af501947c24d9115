#!/usr/bin/env bash
# The library built with clang 16 and libc++ (build-libcxx/), whose <format> GCC 12 lacks (libc++
# 16 gives it with -fexperimental-library): the documentation's ```cpp std-format programs
# (usocket/format.hpp's std::formatter, taken from the pages by tests/docs/doctest.py) are
# compiled and run, and the headers and sources compile with a second compiler and standard
# library.
# Budget: about 2 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS
build=build-libcxx
CXX=clang++-16 CXXFLAGS=-stdlib=libc++ LDFLAGS=-stdlib=libc++ \
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DUSOCKET_BUILD_TESTS=OFF -DUSOCKET_BUILD_EXAMPLES=OFF \
  -DUSOCKET_BUILD_TOOLS=OFF -DUSOCKET_BUILD_PYTHON=OFF -DUSOCKET_WITH_CARES=OFF >/dev/null
cmake --build "$build" -j2 --target usocket
mapfile -t programs < <(python3 tests/docs/doctest.py programs --mode std-format --out "$build/doc-std-format" \
                          docs/*.md README.md)
[[ ${#programs[@]} -gt 0 ]] || { echo "libcxx: no std-format example found in the pages" >&2; exit 1; }
for src in "${programs[@]}"; do
  exe=${src%.cpp}
  clang++-16 -std=c++20 -stdlib=libc++ -fexperimental-library -Wall -Wextra -Werror -UNDEBUG \
    -Iinclude -I"$build/include" -DUSOCKET_STATIC_DEFINE "$src" "$build/libusocket.a" -pthread -o "$exe"
  "$exe"
  echo "libcxx: ran $src"
done
echo "libcxx: passed in $((SECONDS - start)) s"
