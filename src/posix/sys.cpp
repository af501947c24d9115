// The POSIX backend of the seam declared in src/sys.hpp: the only file that calls the socket
// system calls. Written for Linux and the BSDs (macOS in mind): where a system lacks a call or
// a flag, the portable fallback is here too — SOCK_CLOEXEC / SOCK_NONBLOCK at creation (else
// fcntl right after, as CPython does), accept4 (else accept + fcntl), MSG_NOSIGNAL (else
// SO_NOSIGPIPE on the socket), ppoll (else poll with milliseconds rounded up), SO_DOMAIN and
// SO_PROTOCOL (else the family from getsockname and protocol 0).

#include "../sys.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "../fault.hpp"
#include "timespec.hpp"
#include "usocket/address.hpp"

namespace usocket::sys {

namespace {

inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }

inline const sockaddr* sa(const address& a) noexcept { return static_cast<const sockaddr*>(a.data()); }

// A descriptor just made without the creation flags: close-on-exec (always), non-blocking when
// asked, no SIGPIPE where the system can only say it per socket. Closes it on failure.
[[maybe_unused]] bool finish_new_descriptor(int fd, bool non_blocking, std::error_code& ec) noexcept {
    bool ok = ::fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
    if (ok && non_blocking) {
        int on = 1;
        ok = ::ioctl(fd, FIONBIO, &on) == 0;
    }
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
    if (ok) {
        int on = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);  // not every descriptor is a socket
    }
#endif
    if (!ok) {
        ec = last_error();
        ::close(fd);
    }
    return ok;
}

}  // namespace

handle open_socket(address_family family, socket_type type, protocol proto, bool non_blocking,
                   std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::open, unused, -1);
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
    const int fd = ::socket(family, type | SOCK_CLOEXEC | (non_blocking ? SOCK_NONBLOCK : 0), proto);
    if (fd < 0) ec = last_error();
    return fd;
#else
    const int fd = ::socket(family, type, proto);
    if (fd < 0) {
        ec = last_error();
        return -1;
    }
    return finish_new_descriptor(fd, non_blocking, ec) ? fd : -1;
#endif
}

bool open_pair(address_family family, socket_type type, protocol proto, bool non_blocking, handle fds[2],
               std::error_code& ec) noexcept {
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
    if (::socketpair(family, type | SOCK_CLOEXEC | (non_blocking ? SOCK_NONBLOCK : 0), proto, fds) != 0) {
        ec = last_error();
        return false;
    }
    return true;
#else
    if (::socketpair(family, type, proto, fds) != 0) {
        ec = last_error();
        return false;
    }
    if (!finish_new_descriptor(fds[0], non_blocking, ec)) {
        ::close(fds[1]);
        return false;
    }
    if (!finish_new_descriptor(fds[1], non_blocking, ec)) {
        ::close(fds[0]);
        return false;
    }
    return true;
#endif
}

bool close(handle fd, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::close, unused, false);
    if (::close(fd) != 0 && errno != EINTR) {
        ec = last_error();
        return false;
    }
    return true;
}

handle dup(handle fd, std::error_code& ec) noexcept {
    const int nfd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (nfd < 0) ec = last_error();
    return nfd;
}

bool set_non_blocking(handle fd, bool on, std::error_code& ec) noexcept {
    int arg = on ? 1 : 0;
    if (::ioctl(fd, FIONBIO, &arg) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool describe(handle fd, address_family& family, socket_type& type, protocol& proto, std::error_code& ec) noexcept {
    int value = 0;
    socklen_t len = sizeof value;
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &len) != 0) {
        ec = last_error();  // ENOTSOCK for a pipe or a file, EBADF for no descriptor
        return false;
    }
    type = socket_type{value};
#ifdef SO_DOMAIN
    len = sizeof value;
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &value, &len) != 0) {
        ec = last_error();
        return false;
    }
    family = address_family{value};
#else
    sockaddr_storage ss{};
    socklen_t sslen = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sslen) != 0) {
        ec = last_error();
        return false;
    }
    family = address_family{ss.ss_family};
#endif
#ifdef SO_PROTOCOL
    len = sizeof value;
    if (::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &value, &len) != 0) {
        ec = last_error();
        return false;
    }
    proto = protocol{value};
#else
    proto = protocol{0};
#endif
    return true;
}

bool get_inheritable(handle fd, bool& inheritable, std::error_code& ec) noexcept {
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) {
        ec = last_error();
        return false;
    }
    inheritable = (flags & FD_CLOEXEC) == 0;
    return true;
}

bool set_inheritable(handle fd, bool inheritable, std::error_code& ec) noexcept {
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0 || ::fcntl(fd, F_SETFD, inheritable ? (flags & ~FD_CLOEXEC) : (flags | FD_CLOEXEC)) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool connect(handle fd, const address& peer, std::error_code& ec) noexcept {
    const bool ok = ::connect(fd, sa(peer), static_cast<socklen_t>(peer.size())) == 0;
    if (!ok) ec = last_error();
    // An injected connect fault replaces the result of the real call, which has started the
    // connection: that is what an interrupted connect() looks like.
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::connect, unused, false);
    return ok;
}

bool bind(handle fd, const address& local, std::error_code& ec) noexcept {
    if (::bind(fd, sa(local), static_cast<socklen_t>(local.size())) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool listen(handle fd, int backlog, std::error_code& ec) noexcept {
    if (::listen(fd, backlog) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

handle accept(handle fd, address* peer, bool non_blocking, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::accept, unused, -1);
    sockaddr* where = peer != nullptr ? static_cast<sockaddr*>(peer->data()) : nullptr;
    socklen_t len = address::capacity;
    socklen_t* lenp = peer != nullptr ? &len : nullptr;
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK) && !defined(__APPLE__)
    const int nfd = ::accept4(fd, where, lenp, SOCK_CLOEXEC | (non_blocking ? SOCK_NONBLOCK : 0));
    if (nfd < 0) {
        ec = last_error();
        return -1;
    }
#else
    const int nfd = ::accept(fd, where, lenp);
    if (nfd < 0) {
        ec = last_error();
        return -1;
    }
    // The mode is set explicitly either way: the BSDs inherit O_NONBLOCK from the listener.
    if (!finish_new_descriptor(nfd, non_blocking, ec)) return -1;
    if (!non_blocking) {
        int off = 0;
        ::ioctl(nfd, FIONBIO, &off);
    }
#endif
    if (peer != nullptr) peer->resize(len);
    return nfd;
}

bool shutdown(handle fd, shutdown_how how, std::error_code& ec) noexcept {
    if (::shutdown(fd, how) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

ssize sendto(handle fd, const void* data, std::size_t size, msg_flags flags, const address& peer,
             std::error_code& ec) noexcept {
    USOCKET_FAULT_POINT(testing::op::sendto, size, -1);
    const ssize n = ::sendto(fd, data, size, flags | no_sigpipe, sa(peer), static_cast<socklen_t>(peer.size()));
    if (n < 0) ec = last_error();
    return n;
}

ssize recvfrom(handle fd, void* data, std::size_t size, msg_flags flags, address* from, std::error_code& ec) noexcept {
    USOCKET_FAULT_POINT(testing::op::recvfrom, size, -1);
    ssize n;
    if (from != nullptr) {
        socklen_t len = address::capacity;
        n = ::recvfrom(fd, data, size, flags, static_cast<sockaddr*>(from->data()), &len);
        // A connected stream socket reports no sender: the address stays empty.
        if (n >= 0) from->resize(len);
    } else {
        n = ::recvfrom(fd, data, size, flags, nullptr, nullptr);
    }
    if (n < 0) ec = last_error();
    return n;
}

bool getsockopt(handle fd, option_level level, option_name option, void* value, std::size_t& size,
                std::error_code& ec) noexcept {
    socklen_t len = static_cast<socklen_t>(size);
    if (::getsockopt(fd, level, option, value, &len) != 0) {
        ec = last_error();
        return false;
    }
    size = len;
    return true;
}

bool setsockopt(handle fd, option_level level, option_name option, const void* value, std::size_t size,
                std::error_code& ec) noexcept {
    if (::setsockopt(fd, level, option, value, static_cast<socklen_t>(size)) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool getsockname(handle fd, address& out, std::error_code& ec) noexcept {
    socklen_t len = address::capacity;
    if (::getsockname(fd, static_cast<sockaddr*>(out.data()), &len) != 0) {
        ec = last_error();
        return false;
    }
    out.resize(len);
    return true;
}

bool getpeername(handle fd, address& out, std::error_code& ec) noexcept {
    socklen_t len = address::capacity;
    if (::getpeername(fd, static_cast<sockaddr*>(out.data()), &len) != 0) {
        ec = last_error();
        return false;
    }
    out.resize(len);
    return true;
}

int wait(handle fd, wait_for what, std::int64_t timeout_ns, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::wait, unused, -1);
    pollfd p{fd, static_cast<short>(what == wait_for::read ? POLLIN : POLLOUT), 0};
    const int r = poll_native(&p, 1, timeout_ns);
    if (r < 0) {
        ec = last_error();
        return -1;
    }
    // POLLERR/POLLHUP count as ready: the retried call reports what happened.
    return r > 0 ? 1 : 0;
}

std::int64_t monotonic_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace usocket::sys
