// The lwIP backend's waits (src/sys.hpp): lwip_poll (lwip_select where a profile has no poll)
// for wait() and poll(), in slices of at most lw::slice_ns: a wait that would last longer
// returns EINTR when its slice ends, so that the blocking core runs the interrupt check (lwIP
// never returns EINTR itself: its waits are semaphores, which signals do not interrupt) and
// waits again with the time left. No kernel selector: the portable one runs over poll().

#include <chrono>
#include <algorithm>
#include <climits>
#include <cstddef>

#include "lwip.hpp"
#include "usocket/poller.hpp"

namespace usocket::sys {

#if LWIP_SOCKET_POLL
// The poll object hands its slots to lwip_poll as they are: they must be lwIP's pollfd.
static_assert(sizeof(detail::poll_slot) == sizeof(pollfd));
static_assert(offsetof(detail::poll_slot, fd) == offsetof(pollfd, fd));
static_assert(offsetof(detail::poll_slot, events) == offsetof(pollfd, events));
static_assert(offsetof(detail::poll_slot, revents) == offsetof(pollfd, revents));
#endif

namespace lw {

namespace {

bool is_open(int fd) noexcept { return in_range(fd) && lwip_fcntl(fd, F_GETFL, 0) >= 0; }

// Milliseconds for lwIP, rounded up so that a wait never ends before its time (without adding
// before dividing: a timeout near the int64 limit must not overflow).
int to_ms(std::int64_t timeout_ns) noexcept {
    if (timeout_ns < 0) return -1;
    const std::int64_t ms = timeout_ns / 1'000'000 + (timeout_ns % 1'000'000 != 0 ? 1 : 0);
    return ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
}

#if LWIP_SOCKET_POLL
int poll_lwip(detail::poll_slot* slots, std::size_t n, int ms) noexcept {
    return lwip_poll(n == 0 ? nullptr : reinterpret_cast<pollfd*>(slots), static_cast<nfds_t>(n), ms);
}
#else
// poll() over lwip_select (a profile without LWIP_SOCKET_POLL): POLLIN is the read set,
// POLLOUT the write set, and every descriptor is in the exception set, which lwIP reports for
// a socket with an error (POLLERR).
int poll_lwip(detail::poll_slot* slots, std::size_t n, int ms) noexcept {
    fd_set rd, wr, ex;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_ZERO(&ex);
    int maxfd = -1;
    for (std::size_t i = 0; i < n; ++i) {
        slots[i].revents = 0;
        const int fd = slots[i].fd;
        if (fd < 0) continue;
        if ((slots[i].events & POLLIN) != 0) FD_SET(fd, &rd);
        if ((slots[i].events & POLLOUT) != 0) FD_SET(fd, &wr);
        FD_SET(fd, &ex);
        if (fd > maxfd) maxfd = fd;
    }
    timeval tv{};
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    const int r = lwip_select(maxfd + 1, &rd, &wr, &ex, ms < 0 ? nullptr : &tv);
    if (r <= 0) return r;
    int count = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const int fd = slots[i].fd;
        if (fd < 0) continue;
        int ev = 0;
        if (FD_ISSET(fd, &rd)) ev |= POLLIN;
        if (FD_ISSET(fd, &wr)) ev |= POLLOUT;
        if (FD_ISSET(fd, &ex)) ev |= POLLERR;
        slots[i].revents = static_cast<short>(ev);
        if (ev != 0) ++count;
    }
    return count;
}
#endif

// The flags behind pseudo descriptors -2, -3, ...
constexpr int flag_slots = 16;
std::atomic<const std::atomic<bool>*> flags[flag_slots];

int flag_index(int fd) noexcept { return fd <= -2 && fd > -2 - flag_slots ? -2 - fd : -1; }

// poll() over slots some of which are pseudo descriptors: the real ones are looked at without
// waiting, the flags every 2 ms.
int poll_with_flags(detail::poll_slot* slots, std::size_t n, std::int64_t timeout_ns) noexcept {
    const std::int64_t now = monotonic_ns();
    const std::int64_t until = timeout_ns < 0 ? -1 : timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;
    for (;;) {
        int count = 0;
        for (std::size_t i = 0; i < n; ++i) {
            detail::poll_slot one = slots[i];
            one.revents = 0;
            const int k = flag_index(one.fd);
            if (k >= 0) {
                const std::atomic<bool>* f = flags[k].load(std::memory_order_acquire);
                one.revents = static_cast<short>(f == nullptr ? POLLNVAL : f->load(std::memory_order_acquire) ? POLLIN : 0);
            } else if (one.fd >= 0 && poll_native(&one, 1, 0) < 0) {
                return -1;
            }
            slots[i].revents = one.revents;
            if (one.revents != 0) ++count;
        }
        if (count != 0) return count;
        const std::int64_t left = until < 0 ? 2'000'000 : until - monotonic_ns();
        if (left <= 0) return 0;
        sys_msleep(static_cast<u32_t>(std::min<std::int64_t>(left, 2'000'000) / 1'000'000 + 1));
    }
}

}  // namespace

int flag_descriptor_open(const std::atomic<bool>* flag) noexcept {
    for (int i = 0; i < flag_slots; ++i) {
        const std::atomic<bool>* none = nullptr;
        if (flags[i].compare_exchange_strong(none, flag, std::memory_order_acq_rel)) return -2 - i;
    }
    return -1;
}

void flag_descriptor_close(int fd) noexcept {
    if (const int k = flag_index(fd); k >= 0) flags[k].store(nullptr, std::memory_order_release);
}

int poll_native(detail::poll_slot* slots, std::size_t n, std::int64_t timeout_ns) noexcept {
    for (std::size_t i = 0; i < n; ++i)
        if (slots[i].fd <= -2) return poll_with_flags(slots, n, timeout_ns);
    if (n == 0) {
        // Nothing to watch: a sleep, on the calling thread's lwIP semaphore (lwIP must run).
        std::error_code ec;
        if (!stack_started(ec)) {
            errno = ec.value();
            return -1;
        }
    }
    for (;;) {
        // A descriptor that is not an lwIP socket makes lwip_poll fail as a whole; poll(2)
        // reports POLLNVAL on its slot instead, and so does this.
        std::size_t invalid = 0;
        for (std::size_t i = 0; i < n; ++i) {
            slots[i].revents = 0;
            if (slots[i].fd >= 0 && !is_open(slots[i].fd)) {
                slots[i].revents = POLLNVAL;
                ++invalid;
            }
        }
        if (invalid != 0) {
            int count = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (slots[i].revents == 0 && slots[i].fd >= 0 && poll_lwip(&slots[i], 1, 0) < 0) slots[i].revents = POLLNVAL;
                if (slots[i].revents != 0) ++count;
            }
            return count;
        }
        flush_loopback();  // what lwIP's timers queued since
        // A stream at its end is readable for ever on POSIX; lwIP reports it once only.
        std::size_t at_end = 0;
        for (std::size_t i = 0; i < n; ++i)
            if ((slots[i].events & POLLIN) != 0 && slots[i].fd >= 0 && at_end_of_stream(slots[i].fd)) ++at_end;
        errno = 0;
        const int r = poll_lwip(slots, n, at_end != 0 ? 0 : to_ms(timeout_ns));
        if (at_end != 0 && r >= 0) {
            int count = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if ((slots[i].events & POLLIN) != 0 && slots[i].fd >= 0 && at_end_of_stream(slots[i].fd))
                    slots[i].revents = static_cast<short>(slots[i].revents | POLLIN);
                if (slots[i].revents != 0) ++count;
            }
            return count;
        }
        if (r >= 0 || errno != 0) return r;
        // lwip_poll gives up without an errno when a socket is closed while it waits: look
        // again (that slot is POLLNVAL now).
    }
}

int wait_slice(int fd, wait_for what, std::error_code& ec) noexcept {
    detail::poll_slot p{fd, static_cast<short>(what == wait_for::read ? POLLIN : POLLOUT), 0};
    const int r = poll_native(&p, 1, slice_ns);
    if (r < 0) {
        ec = last_error();
        return -1;
    }
    if (r == 0) {
        ec = make_error(EINTR);
        return -1;
    }
    return 1;
}

}  // namespace lw

namespace {
int sliced_poll(detail::poll_slot* slots, std::size_t n, std::int64_t timeout_ns, std::error_code& ec) noexcept {
    const bool sliced = timeout_ns < 0 || timeout_ns > lw::slice_ns;
    const int r = lw::poll_native(slots, n, sliced ? lw::slice_ns : timeout_ns);
    if (r < 0) {
        ec = lw::last_error();
        return -1;
    }
    if (r == 0 && sliced) {
        ec = make_error(EINTR);  // the slice ended: the caller runs the interrupt check and waits on
        return -1;
    }
    return r;
}
}  // namespace

int wait(handle fd, wait_for what, std::int64_t timeout_ns, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_LWIP_FAULT(testing::op::wait, unused, -1);
    detail::poll_slot p{fd, static_cast<short>(what == wait_for::read ? POLLIN : POLLOUT), 0};
    const int r = sliced_poll(&p, 1, timeout_ns, ec);
    // POLLERR and POLLNVAL count as ready: the retried call reports what happened.
    return r > 0 ? 1 : r;
}

int poll(detail::poll_slot* slots, std::size_t n, std::int64_t timeout_ns, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_LWIP_FAULT(testing::op::poll, unused, -1);
    return sliced_poll(slots, n, timeout_ns, ec);
}

handle selector_open(std::error_code& ec) noexcept {
    ec = make_error(ENOSYS);
    return invalid_handle;
}

bool selector_control(handle, selector_op, handle, std::uint32_t, std::uint64_t, std::error_code& ec) noexcept {
    ec = make_error(ENOSYS);
    return false;
}

int selector_wait(handle, selector_event*, std::size_t, std::int64_t, std::error_code& ec) noexcept {
    ec = make_error(ENOSYS);
    return -1;
}

std::int64_t monotonic_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace usocket::sys
