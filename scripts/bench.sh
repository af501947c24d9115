#!/usr/bin/env bash
# Runs the whole benchmark suite and writes docs/BENCHMARKS.md and its plots (docs/*.svg):
#
#   scripts/bench.sh            full run, about 20 minutes on 2 cores; rewrites docs/
#   scripts/bench.sh --smoke    a few iterations of everything; report under the build directory,
#                               then checks that every figure is there (.ci/extra/bench_smoke.sh)
#   scripts/bench.sh --part echo    only the echo-server comparison (about 9 minutes); replaces
#                               that section of docs/BENCHMARKS.md and keeps the rest
#   scripts/bench.sh --part batch   only the batched datagrams, C++ and Python (3 to 9 minutes);
#                               replaces that part of docs/BENCHMARKS.md and keeps the rest
#   scripts/bench.sh --part python  only the Python module against CPython's socket (about 4
#                               minutes); replaces that section of docs/BENCHMARKS.md
#
# It installs what is missing from .ci/packages.txt, builds in its own build directory
# (build-bench, or build-bench-smoke), runs bench/usocket_bench (timed workloads, all pinned to
# one core), callgrind and strace counts of the single-thread loops, the Python module against
# CPython's socket (bench/python/send_recv.py, bench/python/stream.py, and both under callgrind:
# bench/py_loop.py, stream.py --one), the readline
# benchmark (bench/readline/) when present, the echo servers (bench/echo/: usock --echo, the
# library's selector example, raw epoll, Asio and libuv under one load generator; the server on
# BENCH_CPU, the generator on the other core) and bench/report.py. Loopback only.
# Environment: BENCH_ROUNDS (default 15), BENCH_CPU (default 0).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

smoke=0 part=
while (($#)); do
  case $1 in
    --smoke) smoke=1 ;;
    --part)
      part=${2:-}
      shift
      [[ $part == echo || $part == batch || $part == python ]] || { echo "bench.sh: --part takes: echo, batch, python" >&2; exit 2; }
      ;;
    *) echo "usage: scripts/bench.sh [--smoke] [--part echo|batch|python]" >&2; exit 2 ;;
  esac
  shift
done
if ((smoke)); then
  build=build-bench-smoke rounds=1 scale=0.01 out=$build/report
  n1=160 n2=800 py_n1=200 py_n2=1000 st_lines=2000 st_n1=1000 st_n2=3000
else
  build=build-bench rounds=${BENCH_ROUNDS:-15} scale=1 out=docs
  n1=1600 n2=17600 py_n1=2000 py_n2=22000 st_lines=200000 st_n1=20000 st_n2=120000
fi
cpu=${BENCH_CPU:-0}
python=/usr/bin/python3
results=$build/bench-results
start=$SECONDS

scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-g \
  -DUSOCKET_BUILD_BENCH=ON -DUSOCKET_FAULT_INJECTION=OFF -DUSOCKET_BUILD_TESTS=OFF \
  -DUSOCKET_BUILD_EXAMPLES=OFF -DUSOCKET_BUILD_TOOLS=ON -DUSOCKET_INSTALL=OFF \
  -DPython3_EXECUTABLE=$python >/dev/null
if [[ $part == echo ]]; then
  cmake --build "$build" -j2 --target echo_load echo_raw echo_floor echo_floor_selector echo_asio echo_uv echo_selector usock
  results=$build/bench-results-echo
elif [[ $part == batch ]]; then
  cmake --build "$build" -j2 --target batch_bench usocket_python
  results=$build/bench-results-batch
elif [[ $part == python ]]; then
  cmake --build "$build" -j2 --target usocket_python usocket_floor
  results=$build/bench-results-python
else
  cmake --build "$build" -j2
fi
bench=$build/bench/usocket_bench
rm -rf "$results"
mkdir -p "$results" "$out"

# --- the machine, and the load it carried (other work shares these cores) --------------------
{
  echo "nproc:       $(nproc)"
  echo "CPU:         $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel:      $(uname -srm)"
  echo "compiler:    $(c++ --version | head -1)"
  echo "libc:        $(ldd --version | head -1)"
  echo "date:        $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit:      $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src include 2>/dev/null || echo ' (library sources modified)')"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$results/machine.txt"

# --- instruction and system-call counts: difference of two run sizes ---------------------------
# counts KIND CASE CMD...: prints (count at n2 - count at n1) / (n2 - n1) for callgrind's Ir and
# strace's system calls; CMD gets the iteration count appended.
callgrind_ir() {  # N CMD...: user-space instructions of the whole run
  local n=$1 f
  shift
  f=$(mktemp "$root/$results/cg.XXXXXX")
  valgrind --tool=callgrind --callgrind-out-file="$f" "$@" "$n" >/dev/null 2>&1
  awk '/^summary:/ {print $2}' "$f"
  rm -f "$f"
}
strace_calls() {  # N CMD...: system calls of the whole run
  local n=$1 f
  shift
  f=$(mktemp "$root/$results/st.XXXXXX")
  strace -f -c -o "$f" "$@" "$n" >/dev/null 2>&1
  awk '$NF == "total" {print $4}' "$f"
  rm -f "$f"
}
per_iteration() {  # A B: (B - A) / (n2 - n1)
  awk -v a="$1" -v b="$2" -v n1="$n1" -v n2="$n2" 'BEGIN {printf "%.2f", (b - a) / (n2 - n1)}'
}

# --- batched datagrams: send_many/recv_many against one call per datagram, C++ and Python -------
# Wall time (bench/batch.cpp, bench/python/batch.py: every variant in the same run, alternating)
# and callgrind's instructions per datagram (difference of two run sizes, bursts of 32).
run_batch() {
  local dg=256000 py_dg=64000 case ir1 ir2 pypath=$root/$build/python
  ((smoke)) && dg=2048 py_dg=2048
  echo "== batched datagrams (pinned to CPU $cpu)"
  "$build/bench/batch_bench" --rounds "$rounds" --datagrams "$dg" --cpu "$cpu" --json >"$results/batch.json"
  for case in raw_per_call raw_mmsg usocket_per_call usocket_many; do
    ir1=$(callgrind_ir $n1 "$build/bench/batch_bench" loop $case 32)
    ir2=$(callgrind_ir $n2 "$build/bench/batch_bench" loop $case 32)
    printf '{"lang":"C++","case":"%s","ir":%s}\n' $case "$(per_iteration "$ir1" "$ir2")" >>"$results/batch_counts.jsonl"
  done
  ls "$pypath"/usocket/_usocket*.so >/dev/null 2>&1 || return 0
  PYTHONPATH=$pypath taskset -c "$cpu" $python bench/python/batch.py --json --rounds "$rounds" \
    --datagrams "$py_dg" >"$results/batch_python.json"
  for case in cpython_per_call usocket_per_call usocket_many_into usocket_many; do
    ir1=$(PYTHONPATH=$pypath callgrind_ir $py_n1 $python bench/python/batch.py loop $case)
    ir2=$(PYTHONPATH=$pypath callgrind_ir $py_n2 $python bench/python/batch.py loop $case)
    printf '{"lang":"Python","case":"%s","ir":%s}\n' $case \
      "$(n1=$py_n1 n2=$py_n2 per_iteration "$ir1" "$ir2")" >>"$results/batch_counts.jsonl"
  done
}
if [[ $part == batch ]]; then
  run_batch
  $python bench/report.py --section batch "$results" "$out"
  echo "== bench (batch part) finished in $((SECONDS - start)) s"
  exit 0
fi

# --- echo servers: one load generator, every server in turn (bench/echo/echo_bench.py) ----------
run_echo() {
  local load_cpu=$cpu
  (($(nproc) > 1)) && load_cpu=$((cpu == 0 ? 1 : 0))
  local args=(--conns 1000,10000 --messages 200000 --reps 3 --cg-messages 20000,100000 --time-limit 1500)
  ((smoke)) && args=(--conns 100 --messages 4000 --reps 1 --cg-messages 1000,4000 --time-limit 300)
  echo "== echo servers (server on CPU $cpu, load generator on CPU $load_cpu)"
  $python bench/echo/echo_bench.py --bin "$build/bench/echo" --usock "$build/tools/usock" --out "$results" \
    --cpu-server "$cpu" --cpu-load "$load_cpu" "${args[@]}"
}
if [[ $part == echo ]]; then
  run_echo
  echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)" >>"$results/machine.txt"
  $python bench/report.py --section echo "$results" "$out"
  echo "== bench (echo part) finished in $((SECONDS - start)) s"
  exit 0
fi

# --- the Python module against CPython's socket ------------------------------------------------
run_python() {
pypath=$root/$build/python
if [[ -d "$pypath/usocket" ]] && ls "$pypath"/usocket/_usocket*.so >/dev/null 2>&1; then
  if [[ -f bench/python/send_recv.py ]]; then
    echo "== bench/python/send_recv.py"
    py_args=()
    ((smoke)) && py_args=(--rounds 1 --iterations 200)
    PYTHONPATH=$pypath taskset -c "$cpu" $python bench/python/send_recv.py --json "${py_args[@]}" \
      >"$results/python.json"
  fi
  echo "== Python instruction counts (bench/py_loop.py)"
  py_modes=(empty recv recv_into timeout)
  ((smoke)) && py_modes=(recv_into)
  floor=
  ls "$pypath"/_usocket_floor*.so >/dev/null 2>&1 && floor=floor
  for module in socket usocket $floor; do
    for mode in "${py_modes[@]}" recv_nogil; do
      [[ $module == usocket && $mode == empty ]] && continue
      if [[ $module == floor ]]; then
        [[ $mode == recv || $mode == recv_nogil ]] || continue
      elif [[ $mode == recv_nogil ]]; then
        continue
      fi
      export PYTHONPATH=$pypath
      ir1=$(callgrind_ir $py_n1 $python bench/py_loop.py $module $mode)
      ir2=$(callgrind_ir $py_n2 $python bench/py_loop.py $module $mode)
      sc1=0 sc2=0
      if ((!smoke)); then
        sc1=$(strace_calls $py_n1 $python bench/py_loop.py $module $mode)
        sc2=$(strace_calls $py_n2 $python bench/py_loop.py $module $mode)
      fi
      unset PYTHONPATH
      pi=$(n1=$py_n1 n2=$py_n2 per_iteration "$ir1" "$ir2")
      ps=$(n1=$py_n1 n2=$py_n2 per_iteration "$sc1" "$sc2")
      printf '{"module":"%s","mode":"%s","ir":%s,"syscalls":%s}\n' $module $mode "$pi" "$ps" \
        >>"$results/py_counts.jsonl"
      echo "   $module $mode: $pi instructions/iteration"
    done
  done
  echo "== bench/python/stream.py (the stream methods against makefile('rb'))"
  st_args=(--lines $st_lines)
  ((smoke)) && st_args+=(--rounds 1 --bulk-mib 4)
  PYTHONPATH=$pypath taskset -c "$cpu" $python bench/python/stream.py --json "${st_args[@]}" \
    >"$results/python_stream.json"
  for module in socket usocket $floor; do
    for op in readline read readinto drain; do
      ((smoke)) && [[ $op != readline ]] && continue
      [[ $module == floor && $op == drain ]] && continue
      export PYTHONPATH=$pypath
      ir1=$(callgrind_ir $st_n1 $python bench/python/stream.py --one $module $op --lines)
      ir2=$(callgrind_ir $st_n2 $python bench/python/stream.py --one $module $op --lines)
      unset PYTHONPATH
      pi=$(n1=$st_n1 n2=$st_n2 per_iteration "$ir1" "$ir2")
      printf '{"module":"%s","op":"%s","ir":%s}\n' $module $op "$pi" >>"$results/py_stream_counts.jsonl"
      echo "   $module $op: $pi instructions/line"
    done
  done
else
  echo "== the Python module was not built (no Python headers?): Python figures skipped"
fi
}
if [[ $part == python ]]; then
  run_python
  echo "Python: $($python --version 2>&1) ($python), pinned to CPU $cpu" >"$results/run.txt"
  $python bench/report.py --section python "$results" "$out"
  echo "== bench (python part) finished in $((SECONDS - start)) s"
  exit 0
fi

# --- timed workloads: every implementation in the same run, alternating ------------------------
echo "== timed workloads (rounds=$rounds, pinned to CPU $cpu)"
for w in perop udp bulk-tcp bulk-unix pingpong connrate; do
  echo "   $w"
  "$bench" --rounds "$rounds" --scale "$scale" --cpu "$cpu" "$w" >>"$results/timed.jsonl"
done

# --- the bulk sender's system calls (perf on tracepoints; skipped where perf cannot count) -------
echo "== bulk sender's system calls per 64 KiB (bench/bulk_syscalls.py)"
bulk_reps=5 bulk_bytes=$((512 << 20))
((smoke)) && bulk_reps=1 bulk_bytes=$((4 << 20))
$python bench/bulk_syscalls.py --bench "$bench" --out "$results/bulk_syscalls.jsonl" --cpu "$cpu" \
  --reps $bulk_reps --bytes $bulk_bytes || echo "   (not counted: perf cannot record tracepoints here)"

# --- instruction and system-call counts --------------------------------------------------------
echo "== callgrind and strace counts"
for kind in perop udp; do
  for case in $("$bench" list $kind); do
    ir1=$(callgrind_ir $n1 "$bench" loop $kind "$case")
    ir2=$(callgrind_ir $n2 "$bench" loop $kind "$case")
    sc1=$(strace_calls $n1 "$bench" loop $kind "$case")
    sc2=$(strace_calls $n2 "$bench" loop $kind "$case")
    printf '{"kind":"%s","case":"%s","ir":%s,"syscalls":%s}\n' $kind "$case" \
      "$(per_iteration "$ir1" "$ir2")" "$(per_iteration "$sc1" "$sc2")" >>"$results/counts.jsonl"
    echo "   $kind $case: $(per_iteration "$ir1" "$ir2") instructions/iteration"
  done
done
# Where usocket's instructions go: only the measured loop, by function.
for case in usocket usocket_timeout; do
  ((smoke)) && break
  f=$results/cg.annotate
  valgrind --tool=callgrind --toggle-collect=usocket_bench_loop --callgrind-out-file="$f" \
    "$bench" loop perop $case $n2 >/dev/null 2>&1
  { echo "iterations $n2"; callgrind_annotate --inclusive=no "$f"; } >"$results/annotate_perop_$case.raw"
  rm -f "$f"
done

# The library built with interprocedural optimisation (the seam's calls inlined into the socket
# methods; the harness itself stays out of it): what the fix proposed in the report would give.
if ((!smoke)); then
  echo "== the library built with IPO (${build}-ipo)"
  cmake -S . -B "${build}-ipo" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS=-g \
    -DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON -DUSOCKET_BUILD_BENCH=ON -DUSOCKET_FAULT_INJECTION=OFF \
    -DUSOCKET_BUILD_TESTS=OFF -DUSOCKET_BUILD_EXAMPLES=OFF -DUSOCKET_BUILD_TOOLS=OFF \
    -DUSOCKET_BUILD_PYTHON=OFF -DUSOCKET_INSTALL=OFF >/dev/null
  cmake --build "${build}-ipo" -j2 --target usocket_bench >/dev/null
  for case in usocket usocket_ec usocket_timeout; do
    ir1=$(callgrind_ir $n1 "${build}-ipo/bench/usocket_bench" loop perop "$case")
    ir2=$(callgrind_ir $n2 "${build}-ipo/bench/usocket_bench" loop perop "$case")
    printf '{"kind":"perop-ipo","case":"%s","ir":%s,"syscalls":null}\n' "$case" \
      "$(per_iteration "$ir1" "$ir2")" >>"$results/counts.jsonl"
    echo "   perop $case (library with IPO): $(per_iteration "$ir1" "$ir2") instructions/iteration"
  done
fi

run_python

# --- readline (bench/readline/, when it exists) --------------------------------------------------
readline_bin=$build/bench/readline/readline_bench
if [[ -x "$readline_bin" ]]; then
  echo "== bench/readline"
  rl_time=0.5 rl_lines=200000
  ((smoke)) && rl_time=0.01 rl_lines=2000
  taskset -c "$cpu" "$readline_bin" --benchmark_min_time=$rl_time >"$results/readline.txt" 2>&1 ||
    echo "(readline_bench exited with $?)" >>"$results/readline.txt"
  if [[ -f bench/readline/cpython_readline.py ]]; then
    taskset -c "$cpu" $python bench/readline/cpython_readline.py $rl_lines \
      >"$results/readline_cpython.txt" 2>&1 || echo "(exited with $?)" >>"$results/readline_cpython.txt"
  fi
fi

run_batch
run_echo

{
  echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "duration:    $((SECONDS - start)) s"
} >>"$results/machine.txt"
{
  echo "rounds per workload: $rounds (plus one warm-up pass), scale: $scale, pinned to CPU $cpu"
  echo "callgrind/strace run sizes: $n1 and $n2 iterations (Python: $py_n1 and $py_n2)"
  echo "Python: $($python --version 2>&1) ($python)"
} >"$results/run.txt"

$python bench/report.py "$results" "$out"
if ((smoke)); then
  $python bench/report.py "$results" "$out" --check
fi
echo "== bench finished in $((SECONDS - start)) s"
