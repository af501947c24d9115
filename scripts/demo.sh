#!/usr/bin/env bash
# Builds usocket and runs the demo: the seeds' echo server and client exchange on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
scripts/install-deps.sh
cmake -S . -B "$build" -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$build" -j2 --target echo_demo
"$build"/examples/echo/echo_demo
