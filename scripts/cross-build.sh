#!/usr/bin/env bash
# Cross-builds for a board and prints the size table: scripts/cross-build.sh cortex-m4 [BUILD_DIR]
#
# cortex-m4: arm-none-eabi-gcc with newlib, -mcpu=cortex-m4 -mthumb -mfloat-abi=hard
# -mfpu=fpv4-sp-d16 -Os (C++: -fno-exceptions -fno-rtti), static libraries only (a firmware
# does the final link with its own startup code and RTOS port; lwip/board/ holds the minimal,
# opaque port headers that stand in for it). Builds lwIP 2.1.3 in the "full" (ESP32-like) and
# "small" profiles and prints text/data/bss of each, and the RAM the structures of one socket
# take. (The library over lwIP joins the table when its lwIP backend exists.)
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-}
[[ "$target" == cortex-m4 ]] || { echo "usage: scripts/cross-build.sh cortex-m4 [BUILD_DIR]" >&2; exit 2; }
build=${2:-build-cortex-m4}
for tool in arm-none-eabi-gcc arm-none-eabi-size arm-none-eabi-nm; do
  command -v "$tool" >/dev/null || { echo "cross-build: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done

lwip_src=$(scripts/fetch-lwip.sh 2>/dev/null | tail -n1)
mkdir -p "$build"
if ! { cmake -S lwip -B "$build" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchain-cortex-m4.cmake" \
         -DCMAKE_BUILD_TYPE=MinSizeRel -DUSOCKET_LWIP_BOARD=ON -DUSOCKET_LWIP_SOURCE_DIR="$lwip_src" &&
       cmake --build "$build" -j2; } >"$build/cross-build.log" 2>&1; then
  cat "$build/cross-build.log" >&2
  exit 1
fi

echo
echo "Cortex-M4 (arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion), -Os, thumb, hard float), bytes:"
printf '%-34s %8s %8s %8s\n' component text data bss
for profile in full small; do
  lib="$build/liblwip_$profile.a"
  read -r text data bss < <(arm-none-eabi-size -t "$lib" | awk '/\(TOTALS\)/ {print $1, $2, $3}')
  printf '%-34s %8s %8s %8s\n' "lwIP 2.1.3, profile $profile" "$text" "$data" "$bss"
done

echo
echo "RAM of the structures behind one socket (lwip_sock + netconn + PCB; buffers and the"
echo "RTOS's mailboxes and semaphores come on top):"
for profile in full small; do
  obj=$(find "$build" -path "*lwip_sizes_$profile.dir*" \( -name sizes.c.o -o -name sizes.c.obj \) | head -n1)
  declare -A size=()
  while read -r _ hex _ name; do
    size[${name#usocket_size_}]=$((16#$hex))
  done < <(arm-none-eabi-nm -S "$obj" | grep usocket_size_)
  tcp=$((size[lwip_sock] + size[netconn] + size[tcp_pcb]))
  udp=$((size[lwip_sock] + size[netconn] + size[udp_pcb]))
  listen=$((size[lwip_sock] + size[netconn] + size[tcp_pcb_listen]))
  echo "  $profile: TCP socket $tcp, listening socket $listen, UDP socket $udp" \
       "(lwip_sock ${size[lwip_sock]}, netconn ${size[netconn]}, tcp_pcb ${size[tcp_pcb]}," \
       "tcp_pcb_listen ${size[tcp_pcb_listen]}, udp_pcb ${size[udp_pcb]})"
done
