// The raw reference: an echo server on epoll written with the system calls only, the way a C
// programmer would. Level-triggered; per readable event one read() of up to 64 KiB and one
// write() of what it got (a read that did not fill the buffer took all there was, and the next
// wait reports the client again if more came). A client whose echo does not fit at once keeps
// the rest and is watched for writable until it has gone. No state per client in user space
// other than that rare remainder: the descriptor is the token.

#include <sys/epoll.h>

#include <string>
#include <unordered_map>

#include "common.hpp"

namespace {

using echo_bench::die;

int ep = -1;
std::unordered_map<int, std::string> held;  // echoes not yet sent back, by descriptor (rare)
char buffer[echo_bench::chunk];

void drop(int fd) {
    held.erase(fd);
    ::close(fd);  // epoll forgets it with its last descriptor
}

void watch(int fd, unsigned events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(ep, op, fd, &ev) != 0) die("epoll_ctl");
}

void serve(int fd) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN) return;
        return drop(fd);
    }
    const ssize_t sent = ::write(fd, buffer, static_cast<std::size_t>(n));
    if (sent < 0 && errno != EAGAIN) return drop(fd);
    const std::size_t done = sent < 0 ? 0 : static_cast<std::size_t>(sent);
    if (done < static_cast<std::size_t>(n)) {
        held[fd].assign(buffer + done, static_cast<std::size_t>(n) - done);
        watch(fd, EPOLLOUT, EPOLL_CTL_MOD);
    }
}

void flush(int fd) {
    std::string& rest = held[fd];
    const ssize_t sent = ::write(fd, rest.data(), rest.size());
    if (sent < 0 && errno != EAGAIN) return drop(fd);
    if (sent > 0) rest.erase(0, static_cast<std::size_t>(sent));
    if (!rest.empty()) return;
    held.erase(fd);
    watch(fd, EPOLLIN, EPOLL_CTL_MOD);
}

}  // namespace

int main(int argc, char** argv) {
    const int port = echo_bench::port_argument(argc, argv);
    ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
    const int listener = echo_bench::listen_loopback(port, true);
    watch(listener, EPOLLIN, EPOLL_CTL_ADD);
    echo_bench::say_port(listener);
    epoll_event events[echo_bench::max_events];
    for (;;) {
        const int n = echo_bench::wait_events(ep, events);
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd != listener) {
                if ((events[i].events & EPOLLOUT) != 0)
                    flush(fd);
                else
                    serve(fd);
                continue;
            }
            echo_bench::accept_some(listener, [](int c) { watch(c, EPOLLIN, EPOLL_CTL_ADD); });
        }
    }
}
