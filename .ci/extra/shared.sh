#!/usr/bin/env bash
# The whole test suite against the shared library (BUILD_SHARED_LIBS=ON, build-shared/): the
# tests link usocket_testing, built shared with the same export rules as the installed
# libusocket.so, so a public function that is not exported fails to link here. The installed
# library's exports are checked against its headers by .ci/extra/package.sh.
# Budget: about 4 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS
cmake -S . -B build-shared -DBUILD_SHARED_LIBS=ON -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build build-shared -j2
ctest --test-dir build-shared -j2 --output-on-failure --timeout 300
echo "shared: passed in $((SECONDS - start)) s"
