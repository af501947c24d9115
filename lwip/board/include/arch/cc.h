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
#define LWIP_RAND() board_rand()
