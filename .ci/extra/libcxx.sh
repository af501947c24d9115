#!/usr/bin/env bash
# The library built with clang 16 and libc++ (build-libcxx/), whose <format> GCC 12 lacks (libc++
# 16 gives it with -fexperimental-library):
# usocket/format.hpp's std::formatter is compiled and run (tests/format/format_check.cpp), and
# the headers and sources compile with a second compiler and standard library.
# Budget: about 2 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS
build=build-libcxx
CXX=clang++-16 CXXFLAGS=-stdlib=libc++ LDFLAGS=-stdlib=libc++ \
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DUSOCKET_BUILD_TESTS=OFF -DUSOCKET_BUILD_EXAMPLES=OFF \
  -DUSOCKET_BUILD_TOOLS=OFF -DUSOCKET_BUILD_PYTHON=OFF -DUSOCKET_WITH_CARES=OFF >/dev/null
cmake --build "$build" -j2 --target usocket
clang++-16 -std=c++20 -stdlib=libc++ -fexperimental-library -Wall -Wextra -Werror -Iinclude -I"$build/include" -DUSOCKET_STATIC_DEFINE \
  tests/format/format_check.cpp "$build/libusocket.a" -pthread -o "$build/format_check"
"$build/format_check"
echo "libcxx: passed in $((SECONDS - start)) s"
