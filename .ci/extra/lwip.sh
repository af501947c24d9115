#!/usr/bin/env bash
# The lwIP backend, on the host and on a board: fetches lwIP 2.1.3 from Debian's source package,
# builds usocket with -DUSOCKET_BACKEND=lwip and its TLS layer over mbedTLS, and runs the test
# suite over it (the suite's tests on lwIP's loopback, the TLS tests that pair two usocket ends,
# tests/lwip's processes on usocket-netsim: the lossy wire, the examples, Python with the seeds'
# code and Ctrl-C, lwIP's own facts); again under AddressSanitizer + UndefinedBehaviorSanitizer;
# then the Cortex-M4 cross build of the library over lwIP's "full" and "small" profiles, its TLS
# layer and mbedTLS 2.28 (Debian's source package), and its size table. A profile or a part that
# does not build fails the leg.
# Time budget: about 8.5 minutes on 2 cores (393 s in CI before TLS over lwIP: each host build
# and run ~3.5 min, the cross build ~1 min; mbedTLS's cross build adds ~1 min, the TLS tests
# ~15 s per run); it must stay under 12.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS
scripts/test-lwip.sh build-lwip
USOCKET_CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Debug -DUSOCKET_SANITIZE=address,undefined" \
  scripts/test-lwip.sh build-lwip-asan
scripts/cross-build.sh cortex-m4 build-cortex-m4
echo "lwip: $((SECONDS - start)) s"
