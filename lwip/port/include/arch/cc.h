/* lwIP's compiler and platform settings for a host (Linux, glibc): usocket's own unix port.
 * A board uses its firmware's cc.h instead (lwip/board/ has a minimal one for size builds). */
#pragma once

#include <errno.h>
#include <stdint.h>
/* glibc's <stdlib.h> brings in <sys/select.h> (through <sys/types.h>), whose fd_set only holds
 * descriptors below 1024, while lwIP's descriptors start at LWIP_SOCKET_OFFSET, far above any
 * kernel descriptor. Take glibc's header in now, then let lwIP define its own fd_set and FD_*
 * macros under another type name, so every file that sees lwIP's headers agrees on one layout
 * (lwip_select's). Such a file cannot use the kernel's select(); none of usocket's needs to. */
#include <sys/select.h>
#include <sys/time.h>
#undef FD_SET
#undef FD_CLR
#undef FD_ISSET
#undef FD_ZERO
#undef FD_SETSIZE
#define fd_set lwip_fd_set

/* struct timeval comes from <sys/time.h>; errno and its E* values from the C library. */
#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_ERRNO_STDINCLUDE 1

/* Descriptors 2^30 and up: never mistaken for a kernel descriptor (those stay below
 * RLIMIT_NOFILE, at most fs.nr_open, 2^20 by default). */
#define LWIP_SOCKET_OFFSET (1 << 30)

/* 64-bit pointers do not fit in the IPv6 fragment header lwIP reuses for its reassembly list. */
#if UINTPTR_MAX > 0xffffffffu
#define IPV6_FRAG_COPYHEADER 1
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define BYTE_ORDER BIG_ENDIAN
#else
#define BYTE_ORDER LITTLE_ENDIAN
#endif

#ifdef __cplusplus
extern "C" {
#endif
/** Random numbers for lwIP (local port start, DNS query ids, IGMP/MLD delays): getrandom(2). */
uint32_t sys_arch_rand(void);
/** Checks that the caller holds the core lock or is the tcpip thread (aborts otherwise). */
void sys_arch_check_core_locking(void);
/** Records the tcpip thread (lwIP calls it when that thread starts). */
void sys_arch_mark_tcpip_thread(void);
/** A failed LWIP_ASSERT: prints it and aborts, except lwIP 2.1.3's one false alarm (see
 * sys_arch.c). */
void sys_arch_assert(const char* message, int line, const char* file);
#ifdef __cplusplus
}
#endif
#define LWIP_RAND() sys_arch_rand()
#define LWIP_PLATFORM_ASSERT(x) sys_arch_assert((x), __LINE__, __FILE__)
/* Every function of the stack that needs the core lock checks it (a misuse aborts at once
 * instead of corrupting the stack's lists). */
#define LWIP_ASSERT_CORE_LOCKED() sys_arch_check_core_locking()
#define LWIP_MARK_TCPIP_THREAD() sys_arch_mark_tcpip_thread()
