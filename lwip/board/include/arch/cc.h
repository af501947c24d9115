/* A minimal board port for size builds (scripts/cross-build.sh): the compiler settings a
 * Cortex-M firmware with newlib gives lwIP. A real firmware brings its own arch/cc.h and
 * sys_arch (FreeRTOS's, for example); nothing here runs. */
#pragma once

#include <errno.h>
#include <stdint.h>
#include <sys/time.h>

#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_NOASSERT 1
#define LWIP_PLATFORM_DIAG(x) do { } while (0)
#define LWIP_PLATFORM_ASSERT(x) board_lwip_assert(x)

#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

#ifdef __cplusplus
extern "C" {
#endif
uint32_t board_rand(void);
void board_lwip_assert(const char* message);
#ifdef __cplusplus
}
#endif
/* lwIP 2.1.3 starts its TCP ephemeral ports at 0xffff when a value's low 14 bits are all ones,
 * and then fails the first bind to port 0 or connect with ENOBUFS (lwip/port/sys_arch.c,
 * sys_arch_rand): never such a value. */
static inline uint32_t usocket_board_rand(void) {
  const uint32_t v = board_rand();
  return (v & 0x3fffu) == 0x3fffu ? v ^ 1u : v;
}
#define LWIP_RAND() usocket_board_rand()
