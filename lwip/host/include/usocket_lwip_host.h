/* lwIP on a host: starts the stack in this process and attaches it to a virtual network.
 *
 * On a board the firmware owns lwIP's start-up (tcpip_init, the interfaces, DHCP) and this
 * component is not built. On a host (Linux) it is the firmware's stand-in:
 *
 *   USOCKET_LWIP_NET=PATH    attach to the usocket-netsim hub listening at PATH (a Unix
 *                            datagram socket) through an Ethernet interface ("hb": ARP, IPv6
 *                            neighbour discovery), frames carried over that socket.
 *   USOCKET_LWIP_ADDR=LIST   its addresses, comma-separated, IPv4 and IPv6 together:
 *                            "10.77.0.2/24,fd77::2/64" (one IPv4 address at most; IPv6
 *                            prefixes are /64, the only on-link length lwIP 2.1.3 knows).
 *                            The MAC address is derived from the first one, locally
 *                            administered: 02:00:0a:4d:00:02 for 10.77.0.2, 02 and the last
 *                            five bytes for an IPv6 address. No default gateway: other
 *                            subnets are unreachable.
 *
 * Without USOCKET_LWIP_NET the process has lwIP's loopback interface only (127.0.0.1, ::1).
 * Static addresses skip duplicate address detection: they are usable at once.
 *
 * One lwIP stack per process, started on first use. Its thread does not survive fork(): a
 * forked child cannot use lwIP (usocket_lwip_host_ready() says so there); exec() is fine.
 *
 * Used by usocket's lwIP backend (src/lwip/), which calls usocket_lwip_host_ready() before a
 * call that makes a socket, and by the tests. */
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct netif;

/** Starts lwIP (tcpip_init) if it is not running yet; thread-safe, idempotent, never fails
 * for a missing hub (the stack runs with its loopback interface). Then attaches to the hub as
 * usocket_lwip_host_ready() does. */
void usocket_lwip_host_start(void);

/** Starts lwIP if needed and tells whether sockets can be used: 0 when they can, else an
 * errno value with a message in `why` (`n` bytes, may be 0):
 *   ENETUNREACH  USOCKET_LWIP_NET names a hub that is not there (the message names its path);
 *                asked again, it tries to attach again, so a hub started later is found;
 *   EINVAL       USOCKET_LWIP_ADDR is missing or malformed while USOCKET_LWIP_NET is set;
 *   ENETDOWN     this process is a fork()ed child of the one that started lwIP.
 * Cheap once attached (no system call). */
int usocket_lwip_host_ready(char* why, size_t n);

/** The interface attached to the hub, or NULL (no USOCKET_LWIP_NET, or not attached yet).
 * Call lwIP's netif functions on it under LOCK_TCPIP_CORE(). */
struct netif* usocket_lwip_host_netif(void);

/** Frames this process sent to and received from the hub, and frames it could not send. */
void usocket_lwip_host_counters(unsigned long long* sent, unsigned long long* received,
                                unsigned long long* send_failures);

#ifdef __cplusplus
}
#endif
