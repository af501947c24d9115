/* lwIP options, profile "test": the "full" profile with the timers and limits the tests over
 * the lossy virtual network need.
 *
 * TCP_TMR_INTERVAL 10 (lwIP's default is 250): lwIP counts retransmission timeouts in ticks of
 * its slow timer, 2 * TCP_TMR_INTERVAL, so a timeout once the round trip is measured is a few
 * ticks: about 60 ms here instead of 1.5 s. A lost segment then costs tens of milliseconds, and
 * 1 MiB each way over a wire that loses 5% of its frames takes seconds, not minutes. (The SYN's
 * first timeout stays 3 s: lwIP computes it as 3000 / TCP_SLOW_INTERVAL ticks.) The delayed
 * ACK timer is the fast timer, TCP_TMR_INTERVAL: 10 ms.
 *
 * IP_REASS_MAX_PBUFS 64: a 64 KiB UDP datagram arrives in 45 IPv4 fragments over a 1500-byte
 * MTU; the default 10 would drop it.
 *
 * MEMP_NUM_NETCONN 3000: a test process holds more sockets than a board does (a selector test
 * makes a thousand pairs), and DEFAULT_ACCEPTMBOX_SIZE 256 lets as many connections wait for
 * accept() as a backlog can ask (255; lwIP refuses the ones that do not fit, with a RST). A
 * receive queue counts segments, not bytes: 64 of them (ESP-IDF's default is 6), so that a peer
 * sending a byte at a time does not fill it before the window does, and 64 datagrams. */
#pragma once

#include "../full/lwipopts.h"

#ifndef TCP_TMR_INTERVAL /* a build may set it, to measure what the setting buys */
#define TCP_TMR_INTERVAL 10
#endif

#undef IP_REASS_MAX_PBUFS
#define IP_REASS_MAX_PBUFS 64
#undef MEMP_NUM_NETCONN
#define MEMP_NUM_NETCONN 3000
#undef DEFAULT_ACCEPTMBOX_SIZE
#define DEFAULT_ACCEPTMBOX_SIZE 256
#undef DEFAULT_TCP_RECVMBOX_SIZE
#define DEFAULT_TCP_RECVMBOX_SIZE 64
#undef DEFAULT_UDP_RECVMBOX_SIZE
#define DEFAULT_UDP_RECVMBOX_SIZE 64

/* Windows and send buffers of 44 segments (63360 bytes; lwIP's largest without window scaling is
 * 65535), where ESP-IDF has 4: a test that sends 100 kB before its peer in the same thread reads
 * relies on the buffers a kernel gives. */
#undef TCP_WND
#define TCP_WND (44 * TCP_MSS)
#undef TCP_SND_BUF
#define TCP_SND_BUF (44 * TCP_MSS)
#undef MEMP_NUM_TCP_SEG
#define MEMP_NUM_TCP_SEG 256
#undef PBUF_POOL_SIZE
#define PBUF_POOL_SIZE 128

/* Loopback (a process's packets to itself) delivered by usocket's lwIP backend in bounded
 * batches, right after the call that sent them, instead of by lwIP's tcpip thread, which
 * livelocks when two connections of one process both have zero windows
 * (src/lwip/loopback.cpp). lwIP's own socket API alone then has no loopback: tests/lwip's
 * loopback probe runs on the "full" profile. */
#define LWIP_NETIF_LOOPBACK_MULTITHREADING 0
#undef LWIP_LOOPBACK_MAX_PBUFS
#define LWIP_LOOPBACK_MAX_PBUFS 0
/* lwIP 2.1.3's netif.c includes lwip/tcpip.h only with LWIP_NETIF_LOOPBACK_MULTITHREADING, but
 * adds its loopback interface with tcpip_input() either way: declared here (err_t is s8_t). */
#ifdef __cplusplus
extern "C" {
#endif
struct pbuf;
struct netif;
signed char tcpip_input(struct pbuf* p, struct netif* inp);
#ifdef __cplusplus
}
#endif
#undef MEMP_NUM_TCP_PCB
#define MEMP_NUM_TCP_PCB 64
#undef MEMP_NUM_UDP_PCB
#define MEMP_NUM_UDP_PCB 64
#undef MEMP_NUM_SELECT_CB
#define MEMP_NUM_SELECT_CB 64

/* The DNS client's server port as a variable (lwip/port/sys_arch.c) instead of 53, so that a
 * test points lwIP's resolver at a fake server on a port of its own
 * (usocket::testing::set_resolver_config()). */
#ifdef __cplusplus
extern "C" {
#endif
extern unsigned short usocket_lwip_dns_port;
#ifdef __cplusplus
}
#endif
#define DNS_SERVER_PORT usocket_lwip_dns_port
#define USOCKET_LWIP_DNS_PORT_VARIABLE 1
