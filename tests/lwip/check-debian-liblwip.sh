#!/usr/bin/env bash
# Why usocket does not build on Debian's binary liblwip-dev (lwIP 2.1.3, built for the Hurd):
# downloads liblwip0 + liblwip-dev (apt-get download; nothing is installed) into a temporary
# directory and prints the evidence. Run by hand: tests/lwip/check-debian-liblwip.sh
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
apt-get download -q liblwip0 liblwip-dev >/dev/null 2>&1
for deb in *.deb; do dpkg-deb -x "$deb" root; done
lib=$(echo root/usr/lib/*/liblwip.so.0.0.0)
inc=root/usr/include/lwip

echo "== options: $(grep -hE 'define (LWIP_SOCKET_SELECT|LWIP_SOCKET_EXTERNAL_HEADERS|TCP_MSS) ' $inc/lwipopts.h | tr -s ' ' | paste -sd';')"
echo "== LWIP_DNS set: $(grep -c 'define LWIP_DNS ' $inc/lwipopts.h || true) (default 0)"
for sym in lwip_select lwip_poll lwip_getaddrinfo dns_gethostbyname; do
  printf '== %-18s exported: %s\n' "$sym" "$(objdump -T "$lib" | grep -cw "$sym" || true)"
done
echo "== the socket headers are glibc's: $(grep -h '#include <' $inc/posix/sockets.h $inc/posix/inet.h | paste -sd' ')"
echo "   glibc's <netinet/tcp.h>: $(grep -h 'define TCP_MSS' /usr/include/netinet/tcp.h | head -1 | tr -s '\t ' ' ')"
# memp_PBUF_POOL is a struct memp_desc { u16_t size; } with these options.
addr=$(nm -D "$lib" | awk '$3 == "memp_PBUF_POOL" {print $1}')
bytes=$(objdump -s --start-address=0x$addr --stop-address=$(printf '0x%x' $((0x$addr + 2))) "$lib" | tail -1 | awk '{print $2}')
pool=$((0x${bytes:2:2}${bytes:0:2}))
echo "== memp.c (sees glibc's TCP_MSS 512): a PBUF_POOL element is $pool bytes"
start=$(objdump -T "$lib" | awk '$NF == "pbuf_alloc" {print $1}')
size=$(objdump -T "$lib" | awk '$NF == "pbuf_alloc" {print $5}')
const=$(objdump -d --start-address=0x$start --stop-address=$(printf '0x%x' $((0x$start + 0x$size))) "$lib" \
          | grep -oE 'cmp +\$0x[0-9a-f]+,%ecx' | head -1 | grep -oE '0x[0-9a-f]+')
echo "== pbuf.c (sees lwipopts' TCP_MSS 1460): pbuf_alloc fills a pool pbuf with up to $((const)) bytes"
