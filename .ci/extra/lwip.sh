#!/usr/bin/env bash
# lwIP on the host and on a board: fetches lwIP 2.1.3 from Debian's source package, builds its
# profiles with usocket's port, the host start-up, usocket-netsim and tests/lwip/, and runs
# them (two lwIP processes over the hub: TCP/UDP, IPv4/IPv6, a lossy wire, the facts of lwIP
# 2.1.3 the backend rests on); again under AddressSanitizer + UndefinedBehaviorSanitizer; then
# the Cortex-M4 cross build and its size table.
# Time budget: about 4 minutes on 2 cores (each host build ~1 min, each test run ~15 s, the
# cross build ~40 s); it must stay under 8.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS
scripts/test-lwip.sh build-lwip
USOCKET_CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Debug -DUSOCKET_SANITIZE=address,undefined" \
  scripts/test-lwip.sh build-lwip-asan
scripts/cross-build.sh cortex-m4 build-cortex-m4
echo "lwip: $((SECONDS - start)) s"
