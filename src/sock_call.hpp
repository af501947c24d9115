#pragma once
// The blocking core (CPython's sock_call_ex is the model). ONE loop decides "time left, wait,
// EINTR → interrupt check, retry": wait_loop(). Everything that waits goes through it — a socket
// call that would block (sock_call), select() and the poll object, the selector, Happy Eyeballs'
// connection attempts, a resolver lookup under a deadline.
//
// The three timeout states of a socket call:
//   blocking      the descriptor blocks in the kernel; EINTR is retried,
//   non-blocking  one try; EAGAIN is reported (would-block),
//   timeout       the descriptor is non-blocking; try first, and only when the call would block
//                 wait for readiness with the time left on ONE deadline, then try again.
// EINTR, from the call or from the wait, runs the interrupt check and retries with the time
// left (or gives up with EINTR when the check says so). A retry after the socket was closed by
// another thread gives EBADF: it never touches a descriptor number close() gave back.

#include <cstdint>
#include <system_error>

#include "deadline.hpp"
#include "socket_state.hpp"
#include "sys.hpp"

namespace usocket::detail {

/// Runs the process-wide interrupt check after EINTR: true means give up.
bool give_up_after_interrupt() noexcept;

/// For loops that make progress in pieces (sendall, write, flushes): after a piece that was not
/// the whole, a signal may have cut the call short without EINTR (a blocking send interrupted
/// after copying some bytes returns a short count), so the interrupt check runs. True (with
/// `ec` = EINTR) means give up.
bool interrupted_after_progress(std::error_code& ec) noexcept;

inline std::error_code timed_out_code() noexcept { return sys::make_error(sys::err_timedout); }
inline std::error_code bad_descriptor() noexcept { return sys::make_error(sys::err_badf); }

/// The one deadline loop. `wait(left_ns, ec)` waits at most `left_ns` (negative: no limit) and
/// returns > 0 when something is ready, 0 when its time is up, -1 with `ec` on error. EINTR runs
/// the interrupt check and the wait resumes with the time left; a wait that ends with time
/// still left (a backend that counts in milliseconds) resumes too. Returns the wait's count,
/// 0 when `dl` has passed (`ec` untouched: the caller decides whether that is a timeout), or
/// -1 with `ec`.
template <class Wait>
int wait_loop(deadline& dl, Wait&& wait, std::error_code& ec) noexcept {
    for (;;) {
        const int n = wait(dl.remaining(), ec);
        if (n > 0) return n;
        if (n < 0) {
            if (ec.value() != sys::err_intr || give_up_after_interrupt()) return -1;
            ec.assign(0, ec.category());
            continue;  // the time left (a zero timeout still takes its one look)
        }
        if (dl.non_blocking() || (!dl.unlimited() && dl.remaining() == 0)) return 0;
    }
}

/// Waits for `what` on `fd` until ready or until `dl` expires (ec = ETIMEDOUT).
bool wait_ready(sys::handle fd, sys::wait_for what, deadline& dl, std::error_code& ec) noexcept;
/// Whether a call on `st` from a socket method (closed) or from a file of makefile() (the
/// descriptor released) must stop with EBADF.
inline bool socket_gone(const socket_state& st) { return st.closed(); }
inline bool file_gone(const socket_state& st) { return st.released(); }
/// The same for a call on `st`'s descriptor: a wait that the interrupt check resumed (a signal
/// handler ran) ends with EBADF at once when `gone(st)` says the call's socket went meanwhile
/// (a handler that closed it), instead of waiting on for the peer or the deadline.
bool wait_ready(const socket_state& st, bool (*gone)(const socket_state&), sys::wait_for what, deadline& dl,
                std::error_code& ec) noexcept;

/// What may call on a state: a socket method (refused once the socket is closed), or a file of
/// makefile() (refused once the descriptor is gone).
enum class caller : std::uint8_t { socket, file };

/// After a failed try: decides whether to retry (waiting first if the call would block under a
/// timeout) and clears `ec` when so. Out of line: the success path of a call carries none of it.
bool retry_after_failure(socket_state& st, caller who, sys::wait_for what, deadline& dl, std::error_code& ec) noexcept;
/// True when the kernel's own timeout for `what` (SO_RCVTIMEO/SO_SNDTIMEO) was set by hand: a
/// blocking descriptor's EAGAIN (or connect's EINPROGRESS) is then that timeout.
bool kernel_timeout_set(const socket_state& st, sys::wait_for what) noexcept;

/// Runs `op(ec)` (a system call returning a count, or -1 with `ec` set) under `dl`.
template <class Op>
inline sys::ssize sock_call(socket_state& st, caller who, sys::wait_for what, deadline& dl, Op&& op,
                            std::error_code& ec) noexcept {
    for (;;) {
        const sys::ssize n = op(ec);
        if (n >= 0) [[likely]]
            return n;
        if (!retry_after_failure(st, who, what, dl, ec)) return -1;
    }
}

/// The rest of a call whose first try failed (`ec` set): decides, waits under `dl` and retries
/// `op` as sock_call does. For the out-of-line slow paths of calls whose first try is inline.
template <class Op>
sys::ssize retry_loop(socket_state& st, caller who, sys::wait_for what, deadline& dl, Op&& op,
                      std::error_code& ec) noexcept {
    while (retry_after_failure(st, who, what, dl, ec)) {
        const sys::ssize n = op(ec);
        if (n >= 0) return n;
    }
    return -1;
}

/// The deadline of one call on `st`: its timeout (0 when `dont_wait`) and its absolute deadline.
inline deadline call_deadline(const socket_state& st, bool dont_wait = false) noexcept {
    return deadline(dont_wait ? 0 : st.timeout_ns(), st.deadline_ns());
}

/// True when a call on `st` given `flags`, waiting for `what`, never waits: MSG_DONTWAIT, or
/// a receive with MSG_ERRQUEUE on an IP socket (the kernel reads the error queue without
/// waiting, and a socket readable for its data would have the call wake, find the queue empty
/// and wait again, for ever; the flag means nothing to a send).
inline bool never_waits(const socket_state& st, msg_flags flags, sys::wait_for what) noexcept {
    if (has_any(flags, msg_dontwait)) return true;
#ifdef USOCKET_HAS_MSG_ERRQUEUE
    return what == sys::wait_for::read && has_any(flags, msg_errqueue) &&
           (st.family == af_inet || st.family == af_inet6);
#else
    static_cast<void>(st), static_cast<void>(what);
    return false;
#endif
}

/// The deadline of one call on `st` given `flags`, waiting for `what`. A receive with
/// MSG_ERRQUEUE on a blocking socket (any family) never waits for readiness either: the call's
/// one system call decides, on the blocking descriptor. A family that reads the error queue
/// (IP, packet, CAN, vsock...) answers at once, would-block when the queue is empty, and a wait
/// would find the socket readable for its data and spin for ever; one that ignores the flag
/// (AF_UNIX) blocks inside that call as an ordinary read. (A timed socket of another family
/// waits, as CPython's: to its deadline.)
inline deadline call_deadline(const socket_state& st, msg_flags flags, sys::wait_for what) noexcept {
    const deadline dl = call_deadline(st, never_waits(st, flags, what));
#ifdef USOCKET_HAS_MSG_ERRQUEUE
    if (what == sys::wait_for::read && has_any(flags, msg_errqueue) && dl.unlimited()) return call_deadline(st, true);
#endif
    return dl;
}

}  // namespace usocket::detail
