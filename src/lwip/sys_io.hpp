#pragma once
// The lwIP backend's send and recv of the seam (src/sys.hpp includes this file after its
// declarations): the calls themselves stay out of line in sys.cpp (they wait in slices and
// drive the stack's loopback); the forms that report the error number as an int wrap them.

#include <system_error>

namespace usocket::sys {

/// send(2) over lwIP (never a signal): the count, or -1 with `ec`.
ssize send(handle fd, const void* data, std::size_t size, msg_flags flags, std::error_code& ec) noexcept;
/// recv(2) over lwIP: the count, or -1 with `ec`.
ssize recv(handle fd, void* data, std::size_t size, msg_flags flags, std::error_code& ec) noexcept;

/// send(): the count, or -1 with the error number (of category()) in `err`.
inline ssize send(handle fd, const void* data, std::size_t size, msg_flags flags, int& err) noexcept {
    std::error_code ec;
    const ssize n = send(fd, data, size, flags, ec);
    if (n < 0) err = ec.value();
    return n;
}

/// recv(): the count, or -1 with the error number (of category()) in `err`.
inline ssize recv(handle fd, void* data, std::size_t size, msg_flags flags, int& err) noexcept {
    std::error_code ec;
    const ssize n = recv(fd, data, size, flags, ec);
    if (n < 0) err = ec.value();
    return n;
}

}  // namespace usocket::sys
