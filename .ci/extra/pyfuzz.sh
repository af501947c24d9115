#!/usr/bin/env bash
# The differential fuzzer of the Python module against CPython's socket (tests/pyfuzz/fuzz.py):
# random sequences of calls on both modules, for USOCKET_PYFUZZ_SECONDS (default 180) on the
# plain build's module, then as long on the ASan+UBSan build's (libasan preloaded into the
# uninstrumented /usr/bin/python3, as tests/python does). It fails on a difference, a crash, a
# hang or a sanitizer report.
# Time budget: 2 x 180 s of fuzzing, plus shrinking a failure (bounded by `timeout`: 2 x 480 s
# at most), plus building the module when CI's earlier stages have not (build/, build-asan/).
# CI runs fixed seeds, so that a run repeats what the last one checked (a new difference fails
# the commit that brought it, not a later one that drew a luckier seed);
# USOCKET_PYFUZZ_SEED=random explores with a fresh seed each run, USOCKET_PYFUZZ_SEED=N repeats
# seed N (each run prints its seed).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${USOCKET_PYFUZZ_SECONDS:-180}
python=/usr/bin/python3
seed=${USOCKET_PYFUZZ_SEED:-}

for build in build build-asan; do
  case $seed in
    random) seed_args=() ;;
    "") seed_args=(--seed "$([[ $build == build ]] && echo 1130103903 || echo 2919502797)") ;;
    *) seed_args=(--seed "$seed") ;;
  esac
  cmake_args=()
  [[ $build == build-asan ]] && cmake_args=(-DCMAKE_BUILD_TYPE=Debug -DUSOCKET_SANITIZE=address,undefined)
  cmake -S . -B "$build" -DPython3_EXECUTABLE=$python "${cmake_args[@]}" > /dev/null
  cmake --build "$build" -j2 --target usocket_python

  env=(PYTHONPATH="$PWD/$build/python" PYTHONDONTWRITEBYTECODE=1)  # absolute: never an installed copy
  if [[ $build == build-asan ]]; then
    cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
    env+=(LD_PRELOAD="$("$cxx" -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1
          UBSAN_OPTIONS=print_stacktrace=1)
  fi
  echo "== pyfuzz on $build/python for ${seconds}s"
  env "${env[@]}" timeout --signal=KILL $((seconds + 300)) \
    $python tests/pyfuzz/fuzz.py --seconds "$seconds" "${seed_args[@]}"
done
