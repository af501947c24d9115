#!/usr/bin/env bash
# ThreadSanitizer: the library, the C++ suite and the Python module built with
# -fsanitize=thread (build-tsan/), and the whole ctest suite run. The Python tests run Debian's
# uninstrumented /usr/bin/python3 with libtsan preloaded (tests/python/CMakeLists.txt): the
# module and the library are instrumented, the interpreter is not, so races inside CPython
# itself are not seen — what is checked is usocket's own code under Python's threads. Any
# report fails the leg.
# Budget: about 5 minutes on 2 cores (build 3, tests 1-2).
set -euo pipefail
cd "$(dirname "$0")/../.."
start=$SECONDS
build=${USOCKET_TSAN_BUILD:-build-tsan}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUSOCKET_SANITIZE=thread \
  -DUSOCKET_BUILD_TOOLS=OFF -DUSOCKET_BUILD_EXAMPLES=OFF -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$build" -j2
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
ctest --test-dir "$build" -j2 --output-on-failure --timeout 600
echo "tsan: passed in $((SECONDS - start)) s"
