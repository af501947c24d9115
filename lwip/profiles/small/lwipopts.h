/* lwIP options, profile "small": a small board's stack for usocket. IPv4 only; TCP and UDP;
 * select() (no poll()); DNS; blocking calls with SO_RCVTIMEO/SO_SNDTIMEO; static pools (no
 * heap for the stack); one thread per socket at a time (no full-duplex sockets); four sockets.
 * The platform's settings belong to arch/cc.h, not here. */
#pragma once

#define NO_SYS 0
#define SYS_LIGHTWEIGHT_PROT 1
#define LWIP_TCPIP_CORE_LOCKING 1

/* Memory: static pools and an 8 KiB heap for outgoing data. */
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT 4
#define MEM_SIZE 8192
#define MEMP_NUM_NETCONN 4
#define MEMP_NUM_TCP_PCB 4
#define MEMP_NUM_TCP_PCB_LISTEN 2
#define MEMP_NUM_UDP_PCB 4
#define MEMP_NUM_NETBUF 4
#define MEMP_NUM_TCPIP_MSG_INPKT 8
#define MEMP_NUM_SELECT_CB 4
#define MEMP_NUM_TCP_SEG 16
#define PBUF_POOL_SIZE 12

#define TCPIP_MBOX_SIZE 8
#define TCPIP_THREAD_NAME "lwip_tcpip"
#define TCPIP_THREAD_STACKSIZE 4096
#define TCPIP_THREAD_PRIO 1
#define DEFAULT_THREAD_STACKSIZE 4096
#define DEFAULT_TCP_RECVMBOX_SIZE 4
#define DEFAULT_UDP_RECVMBOX_SIZE 4
#define DEFAULT_ACCEPTMBOX_SIZE 2

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_IGMP 0
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define IP_REASSEMBLY 0
#define IP_FRAG 0
#define LWIP_DNS 1
#define DNS_MAX_SERVERS 1

#define TCP_MSS 536
#define TCP_WND (2 * TCP_MSS)
#define TCP_SND_BUF (2 * TCP_MSS)
#define TCP_QUEUE_OOSEQ 0
#define TCP_LISTEN_BACKLOG 1
#define LWIP_TCP_KEEPALIVE 0

#define LWIP_NETCONN 1
#define LWIP_SOCKET 1
#define LWIP_COMPAT_SOCKETS 0
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_SELECT 1
#define LWIP_SOCKET_POLL 0
#define LWIP_SO_SNDTIMEO 1
#define LWIP_SO_RCVTIMEO 1
#define SO_REUSE 0

#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1
#define LWIP_LOOPBACK_MAX_PBUFS 8

#define LWIP_STATS 0

#include "../usocket_hooks.h"
