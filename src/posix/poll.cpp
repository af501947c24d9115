// The POSIX poll backend of the seam (src/sys.hpp): poll(2) for select() and the poll object,
// with nanosecond timeouts where the system has ppoll, and no FD_SETSIZE limit.

#include <poll.h>

#include <cerrno>
#include <cstddef>

#include "../fault.hpp"
#include "../sys.hpp"
#include "timespec.hpp"
#include "usocket/poller.hpp"

namespace usocket::sys {

// The poll object hands its slots to the kernel as they are: they must be pollfd.
static_assert(sizeof(detail::poll_slot) == sizeof(pollfd));
static_assert(offsetof(detail::poll_slot, fd) == offsetof(pollfd, fd));
static_assert(offsetof(detail::poll_slot, events) == offsetof(pollfd, events));
static_assert(offsetof(detail::poll_slot, revents) == offsetof(pollfd, revents));

int poll(detail::poll_slot* slots, std::size_t n, std::int64_t timeout_ns, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::poll, unused, -1);
    const int r = poll_native(reinterpret_cast<pollfd*>(slots), static_cast<nfds_t>(n), timeout_ns);
    if (r < 0) ec = {errno, std::system_category()};
    return r;
}

}  // namespace usocket::sys
