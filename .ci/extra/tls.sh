#!/usr/bin/env bash
# The TLS suite on the mbedTLS engine (the OpenSSL one runs in the main suite and under ASan):
# the library's test build with -DUSOCKET_TLS=mbedtls, under AddressSanitizer + UBSan, and the
# TLS tests (tests/tls/) against openssl s_server/s_client and CPython's ssl on loopback, and the
# Python module's (ussl: tests/python/test_tls*.py) on the same engine.
# Budget: about 5.5 minutes on 2 cores (build ~4.5 min, tests ~1 min); well under 8.
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS
build=build-tls-mbedtls
cmake -S . -B "$build" -DUSOCKET_TLS=mbedtls -DCMAKE_BUILD_TYPE=Debug -DUSOCKET_SANITIZE=address,undefined \
  -DPython3_EXECUTABLE=/usr/bin/python3 -DUSOCKET_BUILD_PYTHON=ON -DUSOCKET_BUILD_TOOLS=OFF \
  -DUSOCKET_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j2 --target tls_tls_test usocket_python
ctest --test-dir "$build" -j2 --output-on-failure --timeout 120 -R '^tls_mbedtls\.|^python_test_tls'
echo "tls: mbedTLS leg finished in $((SECONDS - start)) s"
