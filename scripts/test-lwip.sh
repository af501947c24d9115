#!/usr/bin/env bash
# lwIP on the host: fetches lwIP 2.1.3 (scripts/fetch-lwip.sh), builds its profiles, the host
# start-up, usocket-netsim and the tests of tests/lwip/ in BUILD_DIR (default build-lwip), and
# runs them: scripts/test-lwip.sh [BUILD_DIR]. Extra CMake arguments come from
# USOCKET_CMAKE_ARGS (e.g. -DUSOCKET_SANITIZE=address,undefined). ctest's summary comes last.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-lwip}
scripts/install-deps.sh
lwip_src=$(scripts/fetch-lwip.sh | tail -n1)
# shellcheck disable=SC2086
cmake -S lwip -B "$build" -DUSOCKET_LWIP_SOURCE_DIR="$lwip_src" ${USOCKET_CMAKE_ARGS:-}
cmake --build "$build" -j2
ctest --test-dir "$build" -j2 --output-on-failure --timeout 300
