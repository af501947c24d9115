// The POSIX poll backend of the seam (src/sys.hpp): ppoll(2) for select() and the poll object.
// ppoll takes a timespec, so timeouts keep their nanoseconds, and has no FD_SETSIZE limit.

#include <poll.h>
#include <time.h>

#include <cerrno>
#include <cstddef>

#include "../fault.hpp"
#include "../sys.hpp"
#include "timespec.hpp"
#include "usocket/poller.hpp"

namespace usocket::sys {

const int err_noent = ENOENT;

// The poll object hands its slots to the kernel as they are: they must be pollfd.
static_assert(sizeof(detail::poll_slot) == sizeof(pollfd));
static_assert(offsetof(detail::poll_slot, fd) == offsetof(pollfd, fd));
static_assert(offsetof(detail::poll_slot, events) == offsetof(pollfd, events));
static_assert(offsetof(detail::poll_slot, revents) == offsetof(pollfd, revents));

int poll(detail::poll_slot* slots, std::size_t n, std::int64_t timeout_ns, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::poll, unused, -1);
    timespec ts{};
    const int r = ::ppoll(reinterpret_cast<pollfd*>(slots), static_cast<nfds_t>(n), to_timespec(timeout_ns, ts), nullptr);
    if (r < 0) ec = {errno, std::system_category()};
    return r;
}

}  // namespace usocket::sys
