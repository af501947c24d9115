#!/usr/bin/env bash
# Cross-builds usocket over lwIP for a board and prints the size table:
#   scripts/cross-build.sh cortex-m4 [BUILD_DIR]
#
# cortex-m4: arm-none-eabi-gcc with newlib, -mcpu=cortex-m4 -mthumb -mfloat-abi=hard
# -mfpu=fpv4-sp-d16 -Os, C++ with -fno-exceptions -fno-rtti (cmake/toolchain-cortex-m4.cmake).
# Static libraries only: a firmware does the final link with its own startup code and RTOS port
# (lwip/board/ holds the minimal, opaque port headers that stand in for them). Builds the library
# (-DUSOCKET_BACKEND=lwip, the "full" profile: ESP32-like) and then once more over the "small"
# profile (IPv4, select only), lwIP in both profiles, and prints text/data/bss of each and the RAM
# of the structures behind one socket.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-}
[[ "$target" == cortex-m4 ]] || { echo "usage: scripts/cross-build.sh cortex-m4 [BUILD_DIR]" >&2; exit 2; }
build=${2:-build-cortex-m4}
for tool in arm-none-eabi-gcc arm-none-eabi-g++ arm-none-eabi-size arm-none-eabi-nm; do
  command -v "$tool" >/dev/null || { echo "cross-build: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done

lwip_src=$(scripts/fetch-lwip.sh 2>/dev/null | tail -n1)
mkdir -p "$build"
configure() {  # configure DIR PROFILE
  cmake -S . -B "$1" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchain-cortex-m4.cmake" -DCMAKE_BUILD_TYPE=MinSizeRel \
        -DUSOCKET_BACKEND=lwip -DUSOCKET_LWIP_PROFILE="$2" -DUSOCKET_LWIP_SOURCE_DIR="$lwip_src" \
        -DUSOCKET_NO_EXCEPTIONS=ON -DUSOCKET_WITH_CARES=OFF -DUSOCKET_BUILD_TESTS=OFF \
        -DUSOCKET_BUILD_EXAMPLES=OFF -DUSOCKET_BUILD_TOOLS=OFF -DUSOCKET_BUILD_PYTHON=OFF
}
# Libraries and the objects of lwip/board/*sizes*: nothing that a board's own link must finish.
# A profile that does not build fails the script, with its log.
build_profile() {  # build_profile DIR PROFILE LOG TARGETS...
  local dir=$1 profile=$2 log=$3
  shift 3
  if ! { configure "$dir" "$profile" && cmake --build "$dir" -j2 --target "$@"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "cross-build: the library over lwIP's \"$profile\" profile does not build (log: $log)" >&2
    exit 1
  fi
}
build_profile "$build" full "$build/cross-build.log" \
  usocket usocket_sizes lwip_full lwip_small lwip_sizes_full lwip_sizes_small
# The IPv4-only profile: portable code names no constant this lwIP lacks (USOCKET_HAS_*).
build_profile "$build/small" small "$build/cross-build-small.log" usocket usocket_sizes

totals() { arm-none-eabi-size -t "$1" | awk '/\(TOTALS\)/ {print $1, $2, $3}'; }
row() { printf '%-44s %8s %8s %8s\n' "$@"; }
echo
echo "Cortex-M4 (arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion), -Os, thumb, hard float;" \
     "C++: -fno-exceptions -fno-rtti), bytes:"
row component text data bss
# shellcheck disable=SC2046
row "usocket over lwIP (profile full)" $(totals "$build/libusocket.a")
# shellcheck disable=SC2046
row "usocket over lwIP (profile small)" $(totals "$build/small/libusocket.a")
for profile in full small; do
  # shellcheck disable=SC2046
  row "lwIP 2.1.3, profile $profile" $(totals "$build/liblwip_$profile.a")
done

# Sizes of structures, read back from the objects of lwip/board/*sizes*.
sizes_of() {  # sizes_of OBJECT: "name=bytes" for each usocket_size_* symbol
  local _addr hex _kind name
  while read -r _addr hex _kind name; do
    [[ $name == usocket_size_* ]] && echo "${name#usocket_size_}=$((16#$hex))"
  done < <(arm-none-eabi-nm -S "$1")
}
object() { find "$1" -path "*$2*" \( -name "$3.o" -o -name "$3.obj" \) | head -n1; }
echo
echo "RAM behind one socket, bytes (the library's state + lwip_sock + netconn + PCB; the RTOS's"
echo "mailboxes and semaphores of the netconn and the buffers of data in flight come on top):"
for profile in full small; do
  dir=$build
  [[ $profile == small ]] && dir=$build/small
  declare -A size=()
  while IFS='=' read -r name bytes; do size[$name]=$bytes; done < <(
    sizes_of "$(object "$build" "lwip_sizes_$profile.dir" sizes.c)"
    sizes_of "$(object "$dir" usocket_sizes.dir usocket_sizes.cpp)")
  base=$((size[socket_state] + size[lwip_sock] + size[netconn]))
  echo "  $profile: TCP socket $((base + size[tcp_pcb])), listening socket $((base + size[tcp_pcb_listen]))," \
       "UDP socket $((base + size[udp_pcb])) (socket_state ${size[socket_state]}, lwip_sock ${size[lwip_sock]}," \
       "netconn ${size[netconn]}, tcp_pcb ${size[tcp_pcb]}, tcp_pcb_listen ${size[tcp_pcb_listen]}," \
       "udp_pcb ${size[udp_pcb]})"
  unset size
done
echo "  plus 1 byte per descriptor of lwIP's socket table (the backend's modes, src/lwip/sys.cpp)"
