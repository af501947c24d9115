#pragma once
// The blocking core (CPython's sock_call_ex is the model). Every socket operation hands its
// system call to sock_call(), which owns the three timeout states:
//   blocking      the descriptor blocks in the kernel; EINTR is retried,
//   non-blocking  one try; EAGAIN is reported (would-block),
//   timeout       the descriptor is O_NONBLOCK; try first, and only when the call would block
//                 wait for readiness with the time left on ONE deadline, then try again.
// EINTR, from the call or from the wait, runs the interrupt check and retries with the time
// left (or gives up with EINTR when the check says so).

#include <cstdint>
#include <system_error>

#include "deadline.hpp"
#include "sys.hpp"

namespace usocket::detail {

/// Runs the process-wide interrupt check after EINTR: true means give up.
bool give_up_after_interrupt() noexcept;

inline std::error_code timed_out_code() noexcept {
    return {sys::err_timedout, std::system_category()};
}

/// Waits for `what` on `fd` until ready or until `dl` expires (ec = ETIMEDOUT).
/// Returns false on timeout or error.
inline bool wait_ready(int fd, sys::wait_for what, deadline& dl, std::error_code& ec) noexcept {
    for (;;) {
        const std::int64_t left = dl.remaining();
        if (left == 0) {
            ec = timed_out_code();
            return false;
        }
        const int r = sys::wait(fd, what, left, ec);
        if (r > 0) return true;
        if (r == 0) {
            ec = timed_out_code();
            return false;
        }
        if (ec.value() != sys::err_intr || give_up_after_interrupt()) return false;
        ec.clear();
    }
}

/// Runs `op(ec)` (a system call returning a count, or -1 with `ec` set) under `dl`.
template <class Op>
inline sys::ssize sock_call(int fd, sys::wait_for what, deadline& dl, Op&& op,
                            std::error_code& ec) noexcept {
    for (;;) {
        const sys::ssize n = op(ec);
        if (n >= 0) [[likely]]
            return n;
        const int e = ec.value();
        if (e == sys::err_intr) {
            if (give_up_after_interrupt()) return -1;
        } else {
            if ((e != sys::err_again && e != sys::err_wouldblock) || dl.unlimited() || dl.non_blocking())
                return -1;
            if (!wait_ready(fd, what, dl, ec)) return -1;
        }
        ec.clear();  // the retry starts clean: only its own failure may be reported
    }
}

}  // namespace usocket::detail
