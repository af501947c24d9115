/* The headers that define the lwIP backend's constants (src/constants.list), read when the
 * library is configured (cmake/usocket_constants.cmake): lwIP's own socket and netdb headers,
 * with the profile's lwipopts.h and the platform's arch/cc.h on the include path. lwIP's values,
 * never the C library's (SOL_SOCKET is 0xfff, O_NONBLOCK 1, POLLOUT 2); what lwIP lacks is
 * absent (no AF_UNIX, SO_DOMAIN, POLLRDHUP, NI_*...). */
#include "lwip/opt.h"
#include "lwip/sockets.h"
#include "lwip/netdb.h"

/* getaddrinfo()'s errors are negative, as glibc numbers them and as seed 001 documents for the
 * module on lwIP ("the error is marked with a negative number"): lwIP's EAI_* (200 and up)
 * become their negatives, the values a gaierror carries (src/lwip/resolve.cpp). */
#if defined(EAI_NONAME) && EAI_NONAME > 0
#undef EAI_NONAME
#define EAI_NONAME (-200)
#undef EAI_SERVICE
#define EAI_SERVICE (-201)
#undef EAI_FAIL
#define EAI_FAIL (-202)
#undef EAI_MEMORY
#define EAI_MEMORY (-203)
#undef EAI_FAMILY
#define EAI_FAMILY (-204)
#endif

/* STOPGAP, to go when the portable code no longer needs them (each use is listed in
 * docs/backends.md): constants lwIP does not have, which src/, include/ and python/ use
 * without asking USOCKET_HAS_*. They are given values lwIP never sees:
 *   AF_UNIX         socketpair()'s default family and the Unix address paths: 1, a family
 *                   lwip_socket() refuses here (EAFNOSUPPORT); socketpair() makes its pair
 *                   over loopback TCP instead;
 *   SOCK_NONBLOCK,  type flags socket() strips before the backend sees the type (Linux's
 *   SOCK_CLOEXEC    values, no lwIP type has those bits);
 *   SOMAXCONN       listen()'s default backlog: lwIP takes at most 255 (its backlog is a u8_t). */
#ifndef AF_UNIX
#define AF_UNIX 1
#endif
#ifndef SOCK_NONBLOCK
#define SOCK_NONBLOCK 0x800
#endif
#ifndef SOCK_CLOEXEC
#define SOCK_CLOEXEC 0x80000
#endif
#ifndef SOMAXCONN
#define SOMAXCONN 255
#endif
