#!/usr/bin/env bash
# The library over lwIP on the host: fetches lwIP 2.1.3 (scripts/fetch-lwip.sh), builds usocket
# with -DUSOCKET_BACKEND=lwip and the "test" profile in BUILD_DIR (default build-lwip), and runs
# the test suite over it: scripts/test-lwip.sh [BUILD_DIR]. Extra CMake arguments come from
# USOCKET_CMAKE_ARGS (e.g. -DUSOCKET_SANITIZE=address,undefined). ctest's summary comes last.
#
# How a test's two ends meet: the suite's own tests (tests/unit, tests/net) keep both ends in one
# process, over lwIP's loopback; the test profile lets the backend deliver loopback packets
# (src/lwip/loopback.cpp), so no test livelocks and each call finds its peer up to date. The
# lwIP tests (tests/lwip) put peers in other processes, each with its own stack, on a
# usocket-netsim hub (the lossy wire, the examples, Python with the seeds' code, Ctrl-C).
#
# TLS (tests/tls) is built with the mbedTLS engine, the one a board has (libmbedtls-dev on the
# host): the tests that pair two usocket ends run over lwIP's loopback; the ones whose peer is
# openssl s_server/s_client or CPython's ssl on the kernel's loopback skip with that reason.
#
# Tests of the suite that are POSIX-specific skip themselves over lwIP with their reason (see
# docs/backends.md); the ones that cannot, because they are not GoogleTest's, are left out
# here:
#   python_*      tests/python: each test runs with CPython's socket and with usocket side by side
#                 in one process, or with CPython peers: kernel sockets cannot meet lwIP's
#   cpython_*     CPython's own test_socket.py against usocket: kernel sockets, fork, Unix sockets
#   pyfuzz_*      the differential fuzzer of the Python module against CPython's socket: kernel
#                 sockets side by side
#   tool_*        usock against nc, socat and CPython's socket: kernel peers
#   doc:*         docs/*.md examples, written for the POSIX build (Unix sockets, services)
#   examples.server_and_client  two processes over the kernel's loopback (each lwIP process has
#                 its own stack: tests/lwip's lwip_examples.echo_over_hub runs them on a hub)
#   sethostname_in_a_uts_namespace  Linux's UTS namespaces (lwIP's stack has no host name)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-lwip}
scripts/install-deps.sh
lwip_src=$(scripts/fetch-lwip.sh | tail -n1)
# shellcheck disable=SC2086
cmake -S . -B "$build" -DUSOCKET_BACKEND=lwip -DUSOCKET_LWIP_PROFILE=test -DUSOCKET_LWIP_SOURCE_DIR="$lwip_src" -DUSOCKET_TLS=mbedtls \
      -DPython3_EXECUTABLE=/usr/bin/python3 ${USOCKET_CMAKE_ARGS:-}
cmake --build "$build" -j2
exclude='^(python_|cpython_|pyfuzz_|tool_|doc:|examples\.server_and_client$|sethostname_in_a_uts_namespace$)'
echo "test-lwip: left out (not GoogleTest, POSIX-specific): $exclude"
ctest --test-dir "$build" -j2 --output-on-failure --timeout 300 -E "$exclude"
