// A POSIX system without a kernel selector this library knows (epoll is in src/linux/): the
// seam says ENOSYS and usocket::selector runs its portable implementation over poll().

#include <cerrno>

#include "../sys.hpp"

namespace usocket::sys {

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

}  // namespace usocket::sys
