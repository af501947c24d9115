// The blocking core's out-of-line parts (src/sock_call.hpp): the interrupt check, the wait of
// one descriptor, and what a call does after a failed try.

#include "sock_call.hpp"

#include <atomic>

#include "usocket/socket.hpp"

namespace usocket {

namespace {
std::atomic<interrupt_check> the_interrupt_check{nullptr};
}  // namespace

void set_interrupt_check(interrupt_check check) noexcept {
    the_interrupt_check.store(check, std::memory_order_release);
}

namespace detail {

bool give_up_after_interrupt() noexcept {
    const interrupt_check check = the_interrupt_check.load(std::memory_order_acquire);
    return check != nullptr && check();
}

bool interrupted_after_progress(std::error_code& ec) noexcept {
    if (!give_up_after_interrupt()) return false;
    ec = sys::make_error(sys::err_intr);
    return true;
}

bool wait_ready(sys::handle fd, sys::wait_for what, deadline& dl, std::error_code& ec) noexcept {
    const int n = wait_loop(dl, [&](std::int64_t left, std::error_code& e) { return sys::wait(fd, what, left, e); }, ec);
    if (n > 0) return true;
    if (n == 0) ec = timed_out_code();
    return false;
}

bool wait_ready(const socket_state& st, bool (*gone)(const socket_state&), sys::wait_for what, deadline& dl,
                std::error_code& ec) noexcept {
    bool resumed = false;
    const int n = wait_loop(dl, [&](std::int64_t left, std::error_code& e) {
        if (resumed && gone(st)) {
            e = bad_descriptor();
            return -1;
        }
        resumed = true;
        return sys::wait(st.fd, what, left, e);
    }, ec);
    if (n > 0) return true;
    if (n == 0) ec = timed_out_code();
    return false;
}

bool kernel_timeout_set(const socket_state& st, sys::wait_for what) noexcept {
#if defined(USOCKET_HAS_SO_RCVTIMEO) && defined(USOCKET_HAS_SO_SNDTIMEO)
    unsigned char value[32] = {};  // a struct timeval
    std::size_t len = sizeof value;
    std::error_code ignored;
    if (!sys::getsockopt(st.fd, sol_socket, what == sys::wait_for::read ? so_rcvtimeo : so_sndtimeo, value, len,
                         ignored))
        return false;
    for (std::size_t i = 0; i < len && i < sizeof value; ++i)
        if (value[i] != 0) return true;
#else
    (void)st;
    (void)what;
#endif
    return false;
}

bool retry_after_failure(socket_state& st, caller who, sys::wait_for what, deadline& dl, std::error_code& ec) noexcept {
    const int e = ec.value();
    if (e == sys::err_intr) {
        if (give_up_after_interrupt()) return false;
    } else if (e == sys::err_again || e == sys::err_wouldblock) {
        if (dl.non_blocking()) return false;
        // A blocking call meets would-block when its descriptor was made non-blocking by
        // another thread's settimeout() meanwhile (perhaps made blocking again since): it goes
        // on blocking, as it began (with no limit). Only with the kernel's own timeout set by
        // hand (SO_RCVTIMEO/SO_SNDTIMEO) is EAGAIN that timeout, and reported.
        if (dl.unlimited() && kernel_timeout_set(st, what)) return false;
        // Would-block again once the time is up: a timeout, though the wait would find the
        // socket ready (readiness the call cannot use must not keep it going past its deadline).
        if (!dl.unlimited() && dl.remaining() == 0) {
            ec = timed_out_code();
            return false;
        }
        if (!wait_ready(st, who == caller::socket ? socket_gone : file_gone, what, dl, ec)) return false;
    } else {
        return false;
    }
    // Closed meanwhile by another thread: the descriptor is still ours (the call is in flight),
    // but the socket is not, and a retry must not go on as if nothing happened.
    if (who == caller::socket ? socket_gone(st) : file_gone(st)) {
        ec = bad_descriptor();
        return false;
    }
    ec.assign(0, ec.category());
    return true;
}

}  // namespace detail
}  // namespace usocket
