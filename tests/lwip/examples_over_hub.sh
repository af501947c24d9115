#!/usr/bin/env bash
# The seed examples' programs, built on usocket over lwIP, as separate processes on a virtual
# network: usocket-netsim with echo_server at 10.77.0.2 and echo_client at 10.77.0.3, each
# with its own lwIP stack (what tests/examples/server_and_client.sh does over the kernel's
# loopback). Firmware networking code tested on a PC.
#   examples_over_hub.sh NETSIM ECHO_SERVER ECHO_CLIENT
set -euo pipefail
netsim=$1 echo_server=$2 echo_client=$3
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

"$netsim" "$work/hub" > "$work/hub.log" 2>&1 &
for _ in $(seq 50); do [[ -S "$work/hub" ]] && break; sleep 0.1; done

export USOCKET_LWIP_NET=$work/hub
USOCKET_LWIP_ADDR=10.77.0.2/24 "$echo_server" 10.77.0.2 0 > "$work/server.out" &
server_pid=$!
port=
for _ in $(seq 50); do
  if line=$(grep -m1 "listening on" "$work/server.out" 2>/dev/null); then port=${line##*:}; break; fi
  sleep 0.1
done
[[ -n "$port" ]] || { echo "echo_server never listened" >&2; cat "$work/server.out" >&2; exit 1; }
out=$(USOCKET_LWIP_ADDR=10.77.0.3/24 timeout 20 "$echo_client" 10.77.0.2 "$port" "echo over the virtual network")
echo "$out"
[[ "$out" == "Received 'echo over the virtual network'" ]]
wait "$server_pid"
grep -q "Connected with 10.77.0.3:" "$work/server.out"
echo "examples over the hub: ok"
