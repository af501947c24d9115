#!/usr/bin/env bash
# Builds usocket and runs the demo on loopback, every port chosen by the OS:
#   1. the seeds' echo server and echo client (examples/echo/), as two processes;
#   2. usock, the netcat-like tool, serving as an echo server for the same client and for
#      usock itself;
#   3. a 4 MiB binary file through usock and back, compared by checksum.
# Usage: scripts/demo.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
scripts/install-deps.sh
cmake -S . -B "$build" -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
cmake --build "$build" -j2 --target echo_server echo_client usock

usock=$build/tools/usock
examples=$build/examples/echo
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# wait_for_port FILE: the port of the first "listening on HOST:PORT" line in FILE (5 s at most).
wait_for_port() {
  local port=""
  for _ in $(seq 50); do
    port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$1" | head -n 1)
    [[ -n "$port" ]] && { echo "$port"; return 0; }
    sleep 0.1
  done
  echo "demo: nothing listening after 5 s; $1 says: $(cat "$1")" >&2
  return 1
}

section() { printf '\n== %s\n' "$*"; }

section "1. the seeds' echo server and client (examples/echo), on a port the OS chose"
"$examples"/echo_server 127.0.0.1 0 >"$work/server.out" 2>&1 &
pids+=($!)
port=$(wait_for_port "$work/server.out")
echo "\$ echo_server 127.0.0.1 0        -> $(head -n 1 "$work/server.out")"
echo "\$ echo_client 127.0.0.1 $port 'Hello from the seeds'"
"$examples"/echo_client 127.0.0.1 "$port" "Hello from the seeds"
wait "${pids[-1]}"
sed 's/^/  server: /' "$work/server.out"

section "2. usock --echo: an echo server for many clients, on a port the OS chose"
"$usock" --echo -v 127.0.0.1 0 2>"$work/usock.err" &
pids+=($!)
port=$(wait_for_port "$work/usock.err")
echo "\$ usock --echo -v 127.0.0.1 0    -> $(head -n 1 "$work/usock.err")"
message="Hello through usock"
echo "\$ echo_client 127.0.0.1 $port '$message'"
"$examples"/echo_client 127.0.0.1 "$port" "$message"
echo "\$ printf 'line one\\nline two\\n' | usock 127.0.0.1 $port"
printf 'sent:     %s\n' "line one" "line two"
printf 'line one\nline two\n' | "$usock" -w 5 127.0.0.1 "$port" | sed 's/^/received: /'

section "3. 4 MiB of random bytes through usock to the echo server and back"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$work/data.bin"
echo "\$ usock --stats 127.0.0.1 $port < data.bin > back.bin"
"$usock" --stats -w 10 127.0.0.1 "$port" <"$work/data.bin" >"$work/back.bin"
sent=$(sha256sum <"$work/data.bin" | cut -d' ' -f1)
back=$(sha256sum <"$work/back.bin" | cut -d' ' -f1)
echo "sent     sha256 $sent"
echo "received sha256 $back"
[[ "$sent" == "$back" ]] || { echo "demo: the bytes that came back differ" >&2; exit 1; }
sleep 0.2  # let the server log the last client before it stops
kill "${pids[-1]}"
wait "${pids[-1]}" 2>/dev/null || true
sed 's/^/  /' "$work/usock.err"
echo
echo "demo: all exchanges came back byte-identical"
