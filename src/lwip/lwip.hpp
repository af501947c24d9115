#pragma once
// What the lwIP backend's sources share: lwIP's headers (and only lwIP's: its values clash with
// the C library's socket headers, O_NONBLOCK 1, POLLOUT 2, SOL_SOCKET 0xfff), the table of
// descriptor modes the backend keeps beside lwIP's, and the bounded waits.
//
// Every lwIP socket is non-blocking inside lwIP, whatever its mode: lwIP's blocking calls wait
// on semaphores and never return EINTR, so a blocked call could not run the blocking core's
// interrupt check (signal handlers, Ctrl-C in Python). The backend keeps each socket's mode
// itself and blocks in slices instead (see wait_slice()).

#include "lwip/opt.h"
#include "lwip/errno.h"
#include "lwip/sockets.h"
extern "C" {  // lwIP's private header declares C functions without saying so
#include "lwip/priv/sockets_priv.h"  // NUM_SOCKETS, and the sockets print_stack() walks
}
#include "lwip/sys.h"
#include "lwip/tcpip.h"
#if LWIP_DNS
#include "lwip/netdb.h"
#endif

// lwIP's function-like macros that share names with the seam's functions.
#undef inet_aton
#undef inet_ntoa
#undef inet_addr

#include <atomic>
#include <cstdint>
#include <system_error>

#include "../fault.hpp"
#include "../sockaddr.hpp"
#include "../sys.hpp"
#include "usocket/poller.hpp"

// Fault injection at the seam (test builds): src/fault.hpp's USOCKET_FAULT_POINT, with the
// error in this backend's category.
#ifdef USOCKET_FAULT_INJECTION
#define USOCKET_LWIP_FAULT(WHICH, SIZE, FAIL)                                                  \
    do {                                                                                      \
        if (::usocket::detail::faults_armed.load(std::memory_order_relaxed) != 0) [[unlikely]] { \
            int fault_error_ = 0;                                                             \
            std::size_t fault_limit_ = 0;                                                     \
            if (::usocket::detail::take_fault(WHICH, fault_error_, fault_limit_)) {           \
                if (fault_error_ != 0) {                                                      \
                    ec = ::usocket::sys::make_error(fault_error_);                            \
                    return FAIL;                                                              \
                }                                                                             \
                if (fault_limit_ != 0 && (SIZE) > fault_limit_) (SIZE) = fault_limit_;        \
            }                                                                                 \
        }                                                                                     \
    } while (0)
#else
#define USOCKET_LWIP_FAULT(WHICH, SIZE, FAIL) \
    do {                                      \
        (void)(SIZE);                         \
    } while (0)
#endif

#if !LWIP_SOCKET
#error "usocket's lwIP backend needs LWIP_SOCKET"
#endif
#if !LWIP_SOCKET_SELECT && !LWIP_SOCKET_POLL
#error "usocket's lwIP backend needs LWIP_SOCKET_POLL or LWIP_SOCKET_SELECT"
#endif

namespace usocket::sys::lw {

/// The longest a wait inside the backend lasts before it returns EINTR to the blocking core,
/// which then runs the interrupt check and waits again with the time left.
inline constexpr std::int64_t slice_ns = 50'000'000;

/// lwIP's errno after a failed call, as an error of the backend's category.
inline std::error_code last_error() noexcept { return make_error(errno); }

/// True for a number that may be an lwIP descriptor (the table's range).
inline bool in_range(int fd) noexcept { return fd >= LWIP_SOCKET_OFFSET && fd < LWIP_SOCKET_OFFSET + NUM_SOCKETS; }

// --- the backend's view of each descriptor (src/lwip/sys.cpp) ---------------------------------

/// A descriptor just made: blocking or not, no connection in progress.
void track(int fd, bool blocking) noexcept;
/// The descriptor is about to be closed.
void forget(int fd) noexcept;
/// Whether a call on `fd` blocks (its mode as the library set it; lwIP's is always non-blocking).
bool blocking(int fd) noexcept;
/// A connected stream socket whose end of stream was read or whose reading was shut down:
/// readable for ever, as on POSIX (lwIP reports it once, then says ENOTCONN and never readable).
bool at_end_of_stream(int fd) noexcept;

// --- waiting (src/lwip/poll.cpp) --------------------------------------------------------------

/// lwip_poll (or lwip_select) on `n` slots, at most `timeout_ns` (negative: no limit),
/// without slices: the count, 0 on timeout, -1 with errno. A slot that is not an lwIP socket
/// gets POLLNVAL, as poll(2) does, and counts as ready.
int poll_native(detail::poll_slot* slots, std::size_t n, std::int64_t timeout_ns) noexcept;

/// One slice of a blocking call's wait for `what` on `fd`: 1 ready, -1 with `ec` on error;
/// EINTR when the slice ended with nothing ready (the caller returns it, the blocking core
/// runs the interrupt check and calls again).
int wait_slice(int fd, wait_for what, std::error_code& ec) noexcept;

/// A pseudo descriptor (below -1, which no socket is) that poll_native() reports readable
/// (POLLIN) once `*flag` is true: what a host lookup gives the blocking core to wait on while
/// lwIP's DNS client works. -1 when all are taken.
int flag_descriptor_open(const std::atomic<bool>* flag) noexcept;
void flag_descriptor_close(int fd) noexcept;

// --- the end of a stream (src/lwip/end_of_stream.cpp) ------------------------------------------

/// Wraps the TCP callbacks of `fd`'s PCB (a connection's receive, a connecting one's
/// "connected", a listener's accept) so that an end of stream that finds the receive queue full
/// is offered again instead of lost; the profiles' hook covers every PCB (usocket_hooks.h). Does
/// nothing for other sockets. Without the core lock.
void keep_the_end_of_streams(int fd) noexcept;

// --- loopback (src/lwip/loopback.cpp) -----------------------------------------------------------

/// Delivers the packets this process queued to itself, when the backend is the one that
/// delivers them (LWIP_NETIF_LOOPBACK without LWIP_NETIF_LOOPBACK_MULTITHREADING); nothing
/// otherwise. Called after every call that may have queued some, without the core lock.
void flush_loopback() noexcept;

// --- start-up ---------------------------------------------------------------------------------

/// Before a call that makes a socket: on a host, starts lwIP and attaches the process to
/// usocket-netsim (lwip/host/); on a board, lwIP is the firmware's and this is always true.
/// ENETUNREACH (the hub is not there, the message names its path), EINVAL (no addresses
/// given), ENETDOWN (a fork()ed child: lwIP's thread did not survive the fork).
bool stack_ready(std::error_code& ec) noexcept;
/// Before a call that needs lwIP running but no network (names, interfaces, the PCB lists):
/// stack_ready() without the hub's errors. False only where lwIP cannot run (ENETDOWN).
bool stack_started(std::error_code& ec) noexcept;

}  // namespace usocket::sys::lw
