/* lwIP options, profile "full": what an ESP32 firmware's lwIP offers (ESP-IDF's defaults),
 * for usocket's whole API. Sockets with select() and poll(), DNS and getaddrinfo, IPv4 and
 * IPv6, one socket read and written from two threads (LWIP_NETCONN_FULLDUPLEX), SO_RCVTIMEO
 * and SO_SNDTIMEO, SO_REUSEADDR, SO_LINGER, TCP keepalive, the loopback interface; memory from
 * the C library's heap, as ESP-IDF does. The platform's settings (errno, fd_set, descriptor
 * offset, struct timeval) belong to arch/cc.h, not here. */
#pragma once

#define NO_SYS 0
#define SYS_LIGHTWEIGHT_PROT 1
#define LWIP_TCPIP_CORE_LOCKING 1
#define LWIP_NETCONN_SEM_PER_THREAD 1
#define LWIP_NETCONN_FULLDUPLEX 1

/* Memory: the heap (malloc) for the heap and the pools. */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 4
#define MEMP_NUM_NETCONN 10
#define MEMP_NUM_TCP_PCB 16
#define MEMP_NUM_TCP_PCB_LISTEN 16
#define MEMP_NUM_UDP_PCB 16
#define MEMP_NUM_RAW_PCB 16
#define MEMP_NUM_NETBUF 32
#define MEMP_NUM_TCPIP_MSG_INPKT 32
#define MEMP_NUM_SELECT_CB 16
#define PBUF_POOL_SIZE 32
#define MEMP_NUM_TCP_SEG 64

/* Mailboxes (messages): the stack's, and each socket's receive and accept queues. */
#define TCPIP_MBOX_SIZE 32
#define TCPIP_THREAD_NAME "lwip_tcpip"
#define TCPIP_THREAD_STACKSIZE 8192
#define TCPIP_THREAD_PRIO 1
#define DEFAULT_THREAD_STACKSIZE 8192
#define DEFAULT_TCP_RECVMBOX_SIZE 6
#define DEFAULT_UDP_RECVMBOX_SIZE 6
#define DEFAULT_RAW_RECVMBOX_SIZE 6
#define DEFAULT_ACCEPTMBOX_SIZE 6

/* Protocols. */
#define LWIP_IPV4 1
#define LWIP_IPV6 1
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 1
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_IGMP 1
#define LWIP_IPV6_MLD 1
#define LWIP_IPV6_AUTOCONFIG 0
#define LWIP_IPV6_DHCP6 0
#define LWIP_IPV6_NUM_ADDRESSES 3
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_IPV6_REASS 1
#define LWIP_IPV6_FRAG 1
#define LWIP_BROADCAST_PING 1
#define LWIP_MULTICAST_PING 1
#define LWIP_DNS 1
#define DNS_MAX_SERVERS 3

/* TCP as ESP-IDF sets it. */
#define TCP_MSS 1440
#define TCP_WND (4 * TCP_MSS)
#define TCP_SND_BUF (4 * TCP_MSS)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF + (TCP_MSS - 1)) / TCP_MSS)
#define TCP_QUEUE_OOSEQ 1
#define TCP_OVERSIZE TCP_MSS
#define TCP_MAXRTX 12
#define TCP_SYNMAXRTX 12
#define TCP_LISTEN_BACKLOG 1
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_TCP_TIMESTAMPS 0

/* The socket API. */
#define LWIP_NETCONN 1
#define LWIP_SOCKET 1
#define LWIP_COMPAT_SOCKETS 0
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_SELECT 1
#define LWIP_SOCKET_POLL 1
#define LWIP_SO_SNDTIMEO 1
#define LWIP_SO_RCVTIMEO 1
#define LWIP_SO_RCVBUF 1
/* recvmsg() gives IP_PKTINFO (the datagram's destination and interface) to a UDP socket that
 * sets it, as ESP-IDF's CONFIG_LWIP_NETBUF_RECVINFO does. */
#define LWIP_NETBUF_RECVINFO 1
#define LWIP_SO_LINGER 1
#define SO_REUSE 1
#define SO_REUSE_RXTOALL 1
#define LWIP_FIONREAD_LINUXMODE 1

/* The loopback interface (127.0.0.1, ::1). */
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1
#define LWIP_LOOPBACK_MAX_PBUFS 64
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_NETIF_STATUS_CALLBACK 1

#define LWIP_STATS 0

#include "../usocket_hooks.h"
