// The Linux selector of the seam (src/sys.hpp): epoll. One kernel selector is compiled per
// platform (kqueue would take this file's place on the BSDs and macOS); a backend without one
// says ENOSYS from selector_open() and the portable selector over poll() takes over.

#include <sys/epoll.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>

#include "../fault.hpp"
#include "../posix/timespec.hpp"
#include "../sys.hpp"
#include "usocket/poller.hpp"

namespace usocket::sys {

namespace {

inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }

std::uint32_t to_epoll(std::uint32_t interest) noexcept {
    std::uint32_t e = 0;
    if ((interest & selector::readable) != 0) e |= EPOLLIN;
    if ((interest & selector::writable) != 0) e |= EPOLLOUT;
    if ((interest & selector::priority) != 0) e |= EPOLLPRI;
    if ((interest & selector::read_hangup) != 0) e |= EPOLLRDHUP;
    if ((interest & selector::edge_triggered) != 0) e |= EPOLLET;
    if ((interest & selector::oneshot) != 0) e |= EPOLLONESHOT;
    return e;
}

// Branch-free: readable is EPOLLIN's bit, and the others sit one bit from epoll's (checked below).
std::uint32_t from_epoll(std::uint32_t e) noexcept {
    static_assert(selector::readable == EPOLLIN);
    static_assert(selector::writable == EPOLLOUT >> 1);
    static_assert(selector::priority == EPOLLPRI << 1 && selector::error == EPOLLERR << 1 &&
                  selector::hangup == EPOLLHUP << 1);
    static_assert(selector::read_hangup == EPOLLRDHUP >> 10);
    return (e & EPOLLIN) | ((e & EPOLLOUT) >> 1) | ((e & (EPOLLPRI | EPOLLERR | EPOLLHUP)) << 1) |
           ((e & EPOLLRDHUP) >> 10);
}

// epoll_pwait2 (Linux 5.11) keeps nanoseconds; older kernels fall back to epoll_wait.
std::atomic<bool> have_pwait2{true};

int wait_native(int sfd, epoll_event* events, int max, std::int64_t timeout_ns) noexcept {
    if (timeout_ns < 0) return ::epoll_wait(sfd, events, max, -1);
    if (have_pwait2.load(std::memory_order_relaxed)) {
        timespec ts{};
        const int n = ::epoll_pwait2(sfd, events, max, to_timespec(timeout_ns, ts), nullptr);
        if (n >= 0 || errno != ENOSYS) return n;
        have_pwait2.store(false, std::memory_order_relaxed);
    }
    // Milliseconds rounded up, so the wait never ends before the deadline.
    const std::int64_t ms = timeout_ns / 1'000'000 + (timeout_ns % 1'000'000 != 0 ? 1 : 0);
    return ::epoll_wait(sfd, events, max, ms > INT_MAX ? INT_MAX : static_cast<int>(ms));
}

}  // namespace

handle selector_open(std::error_code& ec) noexcept {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) ec = last_error();
    return fd;
}

bool selector_control(handle sfd, selector_op op, handle fd, std::uint32_t interest, std::uint64_t token,
                      std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::selector_control, unused, false);
    epoll_event ev{};
    ev.events = to_epoll(interest);
    ev.data.u64 = token;
    const int how = op == selector_op::add ? EPOLL_CTL_ADD : op == selector_op::modify ? EPOLL_CTL_MOD : EPOLL_CTL_DEL;
    if (::epoll_ctl(sfd, how, fd, &ev) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

// The kernel writes its epoll_event array straight into the caller's selector_event array
// (an epoll_event is no larger: 12 bytes, packed, on x86-64), then each entry is rewritten in
// place, last first, so no entry is overwritten before it is read. No copy buffer, no
// allocation.
static_assert(sizeof(epoll_event) <= sizeof(selector_event));
static_assert(alignof(epoll_event) <= alignof(selector_event));

int selector_wait(handle sfd, selector_event* out, std::size_t max, std::int64_t timeout_ns,
                  std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::selector_wait, unused, -1);
    auto* raw = reinterpret_cast<unsigned char*>(out);
    const int n = wait_native(sfd, reinterpret_cast<epoll_event*>(raw),
                              max > INT_MAX ? INT_MAX : static_cast<int>(max), timeout_ns);
    if (n < 0) {
        ec = last_error();
        return -1;
    }
    for (int i = n; i-- > 0;) {
        epoll_event ev;
        std::memcpy(&ev, raw + static_cast<std::size_t>(i) * sizeof(epoll_event), sizeof ev);
        // Readable alone is what a busy server sees: its bit is the same in both.
        const std::uint32_t events = ev.events == EPOLLIN ? EPOLLIN : from_epoll(ev.events);
        const selector_event se{ev.data.u64, events};
        std::memcpy(raw + static_cast<std::size_t>(i) * sizeof(selector_event), &se, sizeof se);
    }
    return n;
}

}  // namespace usocket::sys
