#!/usr/bin/env bash
# Benchmark smoke pass: builds the benchmarks (build-bench-smoke/) and runs every one of them
# for a few iterations — timed workloads, callgrind and strace counts, the Python module against
# CPython, readline — then checks only that each produced its numbers. Nothing here judges a
# timing (benchmarks are not tests); the full run is scripts/bench.sh. About a minute or two.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/bench.sh --smoke
