#pragma once
// The POSIX backend's hot calls of the seam (send, recv), inline: the seam stays the only place
// that calls the system, but a socket's send or recv costs no call into another unit. Every
// backend folder has a sys_io.hpp giving these functions (inline, or declared and defined in
// its sys.cpp). Included by src/sys.hpp only, after the seam's declarations.

#include <sys/socket.h>

#include <cerrno>

#include "../fault.hpp"

namespace usocket::sys {

#ifdef MSG_NOSIGNAL
inline constexpr int no_sigpipe = MSG_NOSIGNAL;
#else
inline constexpr int no_sigpipe = 0;  // SO_NOSIGPIPE is set on each socket instead (sys.cpp)
#endif

/// send(2) that never raises SIGPIPE: the count, or -1 with the error number in `err`.
inline ssize send(handle fd, const void* data, std::size_t size, msg_flags flags, int& err) noexcept {
    USOCKET_FAULT_POINT_ERRNO(testing::op::send, size, -1, err);
    const ssize n = ::send(fd, data, size, flags | no_sigpipe);
    if (n < 0) [[unlikely]]
        err = errno;
    return n;
}

/// recv(2): the count, or -1 with the error number in `err`.
inline ssize recv(handle fd, void* data, std::size_t size, msg_flags flags, int& err) noexcept {
    USOCKET_COUNT_RECV();
    USOCKET_FAULT_POINT_ERRNO(testing::op::recv, size, -1, err);
    const ssize n = ::recv(fd, data, size, flags);
    if (n < 0) [[unlikely]]
        err = errno;
    return n;
}

inline ssize send(handle fd, const void* data, std::size_t size, msg_flags flags, std::error_code& ec) noexcept {
    int err = 0;
    const ssize n = send(fd, data, size, flags, err);
    if (n < 0) [[unlikely]]
        ec = make_error(err);
    return n;
}

inline ssize recv(handle fd, void* data, std::size_t size, msg_flags flags, std::error_code& ec) noexcept {
    int err = 0;
    const ssize n = recv(fd, data, size, flags, err);
    if (n < 0) [[unlikely]]
        ec = make_error(err);
    return n;
}

}  // namespace usocket::sys
