#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang and runs each for a bounded time from its
# seed corpus. New inputs go to a scratch corpus in the build directory, never into the tree.
# USOCKET_FUZZ_SECONDS sets the time per target (default 60).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${USOCKET_FUZZ_BUILD:-build-fuzz}
seconds=${USOCKET_FUZZ_SECONDS:-60}
cxx=${USOCKET_FUZZ_CXX:-$(command -v clang++ || command -v clang++-14)}

CXX=$cxx cmake -S fuzz -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j2 --target address_fuzz

for target in address; do
  scratch="$build/corpus-$target"
  mkdir -p "$scratch"
  echo "== fuzzing $target for ${seconds}s"
  "$build/${target}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 "$scratch" "fuzz/corpus/$target"
done
