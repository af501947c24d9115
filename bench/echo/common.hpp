#pragma once
// What the echo servers of the comparison share (bench/echo/): the command line, a TCP listener
// on 127.0.0.1 made with raw calls, and the line that tells the driver the port.
//
//   echo_raw|echo_asio|echo_uv PORT
//
// PORT 0 lets the system choose; the server prints "port N" on standard output once it listens
// and runs until a signal ends it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace echo_bench {

inline constexpr int backlog = 4096;  // somaxconn on the machines measured
inline constexpr int max_events = 256;  // as usock --echo
inline constexpr std::size_t chunk = 64 * 1024;  // one read takes up to this, as usock --echo

[[noreturn]] inline void die(const char* what) {
    std::fprintf(stderr, "echo server: %s: %s\n", what, std::strerror(errno));
    std::exit(2);
}

inline int port_argument(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s PORT (0: any)\n", argv[0]);
        std::exit(2);
    }
    const int port = std::atoi(argv[1]);
    if (port < 0 || port > 65535) {
        std::fprintf(stderr, "echo server: bad port %s\n", argv[1]);
        std::exit(2);
    }
    return port;
}

/// A listening TCP socket on 127.0.0.1:port (SO_REUSEADDR), non-blocking when asked.
inline int listen_loopback(int port, bool non_blocking) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (non_blocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) die("socket");
    const int one = 1;
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) die("setsockopt");
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons(static_cast<unsigned short>(port));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("bind");
    if (::listen(fd, backlog) != 0) die("listen");
    return fd;
}

/// Prints "port N" for the listener `fd` and flushes: the driver waits for that line.
inline void say_port(int fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) die("getsockname");
    std::printf("port %d\n", ntohs(sa.sin_port));
    std::fflush(stdout);
}

/// epoll_wait() with no time limit, again after a signal: the count of events.
inline int wait_events(int ep, epoll_event* events) {
    for (;;) {
        const int n = ::epoll_wait(ep, events, max_events, -1);
        if (n >= 0) return n;
        if (errno != EINTR) die("epoll_wait");
    }
}

/// Accepts the pending connections, up to 64 (then the clients get their turn, as usock
/// --echo), non-blocking and close-on-exec; on_client(fd) watches each.
template <class F>
void accept_some(int listener, F&& on_client) {
    for (int k = 0; k < 64; ++k) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == ECONNABORTED || errno == EINTR) return;
            die("accept4");
        }
        on_client(fd);
    }
}

}  // namespace echo_bench
