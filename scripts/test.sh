#!/usr/bin/env bash
# Builds everything and runs the whole test suite: scripts/test.sh [BUILD_DIR]
# Extra CMake arguments come from USOCKET_CMAKE_ARGS (e.g. -DUSOCKET_SANITIZE=address,undefined).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
scripts/install-deps.sh
# shellcheck disable=SC2086
cmake -S . -B "$build" -DPython3_EXECUTABLE=/usr/bin/python3 ${USOCKET_CMAKE_ARGS:-}
cmake --build "$build" -j2
ctest --test-dir "$build" -j2 --output-on-failure --timeout 300
