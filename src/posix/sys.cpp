// The POSIX backend of the seam declared in src/sys.hpp: the only file that calls the socket
// system calls. Linux first; the BSDs and macOS are kept in mind (accept4 and SOCK_CLOEXEC
// exist there too; MSG_NOSIGNAL is SO_NOSIGPIPE on macOS).

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

#include "../fault.hpp"
#include "timespec.hpp"
#include "usocket/address.hpp"

namespace usocket::sys {

const int err_intr = EINTR, err_again = EAGAIN, err_wouldblock = EWOULDBLOCK,
          err_inprogress = EINPROGRESS, err_timedout = ETIMEDOUT, err_badf = EBADF,
          err_connreset = ECONNRESET, err_inval = EINVAL, err_afnosupport = EAFNOSUPPORT,
          err_notconn = ENOTCONN;

namespace {

inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }

inline const sockaddr* sa(const address& a) noexcept {
    return static_cast<const sockaddr*>(a.data());
}

}  // namespace

int open_socket(int family, int type, int proto, bool non_blocking, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::open, unused, -1);
    const int fd = ::socket(family, type | SOCK_CLOEXEC | (non_blocking ? SOCK_NONBLOCK : 0), proto);
    if (fd < 0) ec = last_error();
    return fd;
}

bool open_pair(int family, int type, int proto, bool non_blocking, int fds[2], std::error_code& ec) noexcept {
    if (::socketpair(family, type | SOCK_CLOEXEC | (non_blocking ? SOCK_NONBLOCK : 0), proto, fds) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool close(int fd, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::close, unused, false);
    if (::close(fd) != 0 && errno != EINTR) {
        ec = last_error();
        return false;
    }
    return true;
}

int dup(int fd, std::error_code& ec) noexcept {
    const int nfd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (nfd < 0) ec = last_error();
    return nfd;
}

bool set_non_blocking(int fd, bool on, std::error_code& ec) noexcept {
    int arg = on ? 1 : 0;
    if (::ioctl(fd, FIONBIO, &arg) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool is_non_blocking(int fd, std::error_code& ec) noexcept {
    const int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0) {
        ec = last_error();
        return false;
    }
    return (fl & O_NONBLOCK) != 0;
}

bool describe(int fd, int& family, int& type, int& proto, std::error_code& ec) noexcept {
    socklen_t len = sizeof(int);
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) != 0) {
        ec = last_error();
        return false;
    }
    len = sizeof(int);
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) {
        ec = last_error();
        return false;
    }
    len = sizeof(int);
    if (::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool connect(int fd, const address& peer, std::error_code& ec) noexcept {
    const bool ok = ::connect(fd, sa(peer), static_cast<socklen_t>(peer.size())) == 0;
    if (!ok) ec = last_error();
    // An injected connect fault replaces the result of the real call, which has started the
    // connection: that is what an interrupted connect() looks like.
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::connect, unused, false);
    return ok;
}

bool bind(int fd, const address& local, std::error_code& ec) noexcept {
    if (::bind(fd, sa(local), static_cast<socklen_t>(local.size())) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool listen(int fd, int backlog, std::error_code& ec) noexcept {
    if (::listen(fd, backlog) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

int accept(int fd, address* peer, bool non_blocking, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::accept, unused, -1);
    const int flags = SOCK_CLOEXEC | (non_blocking ? SOCK_NONBLOCK : 0);
    int nfd;
    if (peer != nullptr) {
        socklen_t len = address::capacity;
        nfd = ::accept4(fd, static_cast<sockaddr*>(peer->data()), &len, flags);
        if (nfd >= 0) peer->resize(len);
    } else {
        nfd = ::accept4(fd, nullptr, nullptr, flags);
    }
    if (nfd < 0) ec = last_error();
    return nfd;
}

bool shutdown(int fd, int how, std::error_code& ec) noexcept {
    if (::shutdown(fd, how) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

ssize send(int fd, const void* data, std::size_t size, int flags, std::error_code& ec) noexcept {
    USOCKET_FAULT_POINT(testing::op::send, size, -1);
    const ssize n = ::send(fd, data, size, flags | MSG_NOSIGNAL);
    if (n < 0) ec = last_error();
    return n;
}

ssize sendto(int fd, const void* data, std::size_t size, int flags, const address& peer,
             std::error_code& ec) noexcept {
    USOCKET_FAULT_POINT(testing::op::sendto, size, -1);
    const ssize n = ::sendto(fd, data, size, flags | MSG_NOSIGNAL, sa(peer),
                             static_cast<socklen_t>(peer.size()));
    if (n < 0) ec = last_error();
    return n;
}

ssize recv(int fd, void* data, std::size_t size, int flags, std::error_code& ec) noexcept {
    USOCKET_FAULT_POINT(testing::op::recv, size, -1);
    const ssize n = ::recv(fd, data, size, flags);
    if (n < 0) ec = last_error();
    return n;
}

ssize recvfrom(int fd, void* data, std::size_t size, int flags, address* from, std::error_code& ec) noexcept {
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

bool getsockopt(int fd, int level, int option, void* value, std::size_t& size, std::error_code& ec) noexcept {
    socklen_t len = static_cast<socklen_t>(size);
    if (::getsockopt(fd, level, option, value, &len) != 0) {
        ec = last_error();
        return false;
    }
    size = len;
    return true;
}

bool setsockopt(int fd, int level, int option, const void* value, std::size_t size, std::error_code& ec) noexcept {
    if (::setsockopt(fd, level, option, value, static_cast<socklen_t>(size)) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool getsockname(int fd, address& out, std::error_code& ec) noexcept {
    socklen_t len = address::capacity;
    if (::getsockname(fd, static_cast<sockaddr*>(out.data()), &len) != 0) {
        ec = last_error();
        return false;
    }
    out.resize(len);
    return true;
}

bool getpeername(int fd, address& out, std::error_code& ec) noexcept {
    socklen_t len = address::capacity;
    if (::getpeername(fd, static_cast<sockaddr*>(out.data()), &len) != 0) {
        ec = last_error();
        return false;
    }
    out.resize(len);
    return true;
}

int wait(int fd, wait_for what, std::int64_t timeout_ns, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::wait, unused, -1);
    pollfd p{fd, static_cast<short>(what == wait_for::read ? POLLIN : POLLOUT), 0};
    timespec ts{};
    const int r = ::ppoll(&p, 1, to_timespec(timeout_ns, ts), nullptr);
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
