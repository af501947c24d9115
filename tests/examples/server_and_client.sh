#!/usr/bin/env bash
# Runs the seed servers as separate processes and talks to them: echo_server with
# echo_client (seed 003), accept_loop with a plain bash /dev/tcp reader (seed 002).
set -euo pipefail
echo_server=$1 echo_client=$2 accept_loop=$3
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Waits (at most 5 s) for a line matching $2 in file $1 and prints its last field.
port_from() {
  for _ in $(seq 50); do
    if line=$(grep -m1 "$2" "$1" 2>/dev/null); then echo "${line##*[: ]}"; return 0; fi
    sleep 0.1
  done
  echo "no '$2' in $1" >&2; return 1
}

"$echo_server" 127.0.0.1 0 > "$work/server.out" &
server_pid=$!
port=$(port_from "$work/server.out" "listening on")
out=$(timeout 10 "$echo_client" 127.0.0.1 "$port" "echo through two processes")
echo "$out"
[[ "$out" == "Received 'echo through two processes'" ]]
wait "$server_pid"
grep -q "Connected with 127.0.0.1:" "$work/server.out"

"$accept_loop" 0 2 > "$work/loop.out" &
loop_pid=$!
port=$(port_from "$work/loop.out" "listening on port")
for i in 1 2; do
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  reply=$(timeout 5 cat <&3)
  exec 3<&-
  echo "client $i got: $reply"
  [[ "$reply" == "Hello!" ]]
done
wait "$loop_pid"
[[ $(grep -c greeted "$work/loop.out") -eq 2 ]]
echo "examples: ok"
