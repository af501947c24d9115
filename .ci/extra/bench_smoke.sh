#!/usr/bin/env bash
# Benchmark smoke pass: builds the benchmarks (build-bench-smoke/) and runs every one of them
# for a few iterations — timed workloads, callgrind and strace counts, the Python module against
# CPython, readline, batched datagrams (C++ and Python, timed and under callgrind: about 30 s),
# the echo servers (100 connections, 40 rounds each, every server once under perf or strace and
# twice under callgrind: about 30 s) — then checks only that each produced its
# numbers. Nothing here judges a timing (benchmarks are not tests); the full run is
# scripts/bench.sh.
# Budget: about 6 minutes on 2 cores (the Release build of the library, usock and the benchmarks
# 3-4, the runs 1-2); well under 10.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/bench.sh --smoke
