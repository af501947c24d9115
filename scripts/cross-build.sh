#!/usr/bin/env bash
# Cross-builds usocket over lwIP for a board and prints the size table:
#   scripts/cross-build.sh cortex-m4 [BUILD_DIR]
#
# cortex-m4: arm-none-eabi-gcc with newlib, -mcpu=cortex-m4 -mthumb -mfloat-abi=hard
# -mfpu=fpv4-sp-d16 -Os, C++ with -fno-exceptions -fno-rtti (cmake/toolchain-cortex-m4.cmake).
# Static libraries only: a firmware does the final link with its own startup code and RTOS port
# (lwip/board/ holds the minimal, opaque port headers that stand in for them). Builds the library
# (-DUSOCKET_BACKEND=lwip, the "full" profile: ESP32-like) with its TLS layer over mbedTLS 2.28
# (built here from Debian's source package, scripts/fetch-debian-source.sh, configured by
# lwip/board/mbedtls_config.h), then once more over the "small" profile (IPv4, select only;
# without TLS), lwIP in both profiles, and prints text/data/bss of each and the RAM of the
# structures behind one socket. A profile that does not build fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-}
[[ "$target" == cortex-m4 ]] || { echo "usage: scripts/cross-build.sh cortex-m4 [BUILD_DIR]" >&2; exit 2; }
build=${2:-build-cortex-m4}
for tool in arm-none-eabi-gcc arm-none-eabi-g++ arm-none-eabi-size arm-none-eabi-nm; do
  command -v "$tool" >/dev/null || { echo "cross-build: $tool missing (scripts/install-deps.sh)" >&2; exit 1; }
done

lwip_src=$(scripts/fetch-lwip.sh 2>/dev/null | tail -n1)
mbedtls_src=$(scripts/fetch-debian-source.sh mbedtls 2>/dev/null | tail -n1)
mkdir -p "$build"
configure() {  # configure DIR PROFILE [CMAKE ARGS...]
  local dir=$1 profile=$2
  shift 2
  cmake -S . -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchain-cortex-m4.cmake" -DCMAKE_BUILD_TYPE=MinSizeRel \
        -DUSOCKET_BACKEND=lwip -DUSOCKET_LWIP_PROFILE="$profile" -DUSOCKET_LWIP_SOURCE_DIR="$lwip_src" \
        -DUSOCKET_NO_EXCEPTIONS=ON -DUSOCKET_WITH_CARES=OFF -DUSOCKET_BUILD_TESTS=OFF \
        -DUSOCKET_BUILD_EXAMPLES=OFF -DUSOCKET_BUILD_TOOLS=OFF -DUSOCKET_BUILD_PYTHON=OFF "$@"
}
with_tls=(-DUSOCKET_TLS=mbedtls -DUSOCKET_MBEDTLS_SOURCE_DIR="$mbedtls_src"
          -DUSOCKET_MBEDTLS_USER_CONFIG="$PWD/lwip/board/mbedtls_config.h")
without_tls=(-DUSOCKET_TLS=none)
# Libraries and the objects of lwip/board/*sizes*: nothing that a board's own link must finish.
# A profile that does not build fails the script, with its log.
build_profile() {  # build_profile DIR PROFILE LOG tls|no-tls TARGETS...
  local dir=$1 profile=$2 log=$3 args=("${without_tls[@]}")
  [[ $4 == tls ]] && args=("${with_tls[@]}")
  shift 4
  if ! { configure "$dir" "$profile" "${args[@]}" && cmake --build "$dir" -j2 --target "$@"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "cross-build: the library over lwIP's \"$profile\" profile does not build (log: $log)" >&2
    exit 1
  fi
}
build_profile "$build" full "$build/cross-build.log" tls \
  usocket usocket_sizes usocket_mbedtls lwip_full lwip_small lwip_sizes_full lwip_sizes_small
# The IPv4-only profile: portable code names no constant this lwIP lacks (USOCKET_HAS_*).
build_profile "$build/small" small "$build/cross-build-small.log" no-tls usocket usocket_sizes

totals() { arm-none-eabi-size -t "$@" | awk '/\(TOTALS\)/ {print $1, $2, $3}'; }
row() { printf '%-44s %8s %8s %8s\n' "$@"; }
echo
echo "Cortex-M4 (arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion), -Os, thumb, hard float;" \
     "C++: -fno-exceptions -fno-rtti), bytes:"
row component text data bss
# The full build's library holds the TLS layer (src/tls/): shown on its own row.
mapfile -t tls_objects < <(find "$build/CMakeFiles/usocket.dir/src/tls" \( -name '*.o' -o -name '*.obj' \))
read -r all_text all_data all_bss < <(totals "$build/libusocket.a")
read -r tls_text tls_data tls_bss < <(totals "${tls_objects[@]}")
row "usocket over lwIP (profile full)" $((all_text - tls_text)) $((all_data - tls_data)) $((all_bss - tls_bss))
# shellcheck disable=SC2046
row "usocket over lwIP (profile small)" $(totals "$build/small/libusocket.a")
row "usocket's TLS layer, mbedTLS engine" "$tls_text" "$tls_data" "$tls_bss"
# shellcheck disable=SC2046
row "mbedTLS 2.28 (lwip/board/mbedtls_config.h)" $(totals "$build/libusocket_mbedtls.a")
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
