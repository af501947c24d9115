// The floor of a close-safe echo server: echo_raw.cpp with its two calls per message made the
// least way a library can make them and keep a call racing close() off a reused descriptor (the
// use guard of bench/guard_floor.hpp, compiled out of line as a library's call is). Each client
// has that guard and its descriptor, and the epoll event carries the client itself, so there is
// no lookup. What it costs above echo_raw is what any compiled, close-safe library adds at the
// least; usock --echo also pays its selector, its client table and its calls' checks.
// Built twice: echo_floor on epoll itself, echo_floor_selector (ECHO_FLOOR_SELECTOR) on
// usocket::selector, the portable readiness API usock --echo stands on, with the client's
// address as the token.

#include <sys/epoll.h>
#include <sys/resource.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "../guard_floor.hpp"
#include "common.hpp"
#ifdef ECHO_FLOOR_SELECTOR
#include <usocket/usocket.hpp>
#endif

namespace {

using echo_bench::die;
using bench::floor::guarded;

#ifdef ECHO_FLOOR_SELECTOR
usocket::selector sel;
#else
int ep = -1;
#endif
std::unique_ptr<guarded[]> clients;  // by descriptor
std::unordered_map<int, std::string> held;  // echoes not yet sent back, by descriptor (rare)
char buffer[echo_bench::chunk];
guarded listener;

void drop(guarded& c) {
    held.erase(c.fd);
#ifdef ECHO_FLOOR_SELECTOR
    std::error_code ignored;
    sel.remove(c.fd, ignored);  // before close, as usock --echo
#endif
    ::close(c.fd);  // epoll forgets it with its last descriptor
    c.fd = -1;
}

#ifdef ECHO_FLOOR_SELECTOR
void watch(guarded& c, unsigned events, int op) {
    const std::uint32_t interest = events == EPOLLOUT ? usocket::selector::writable : usocket::selector::readable;
    const auto token = reinterpret_cast<std::uintptr_t>(&c);
    if (op == EPOLL_CTL_ADD)
        sel.add(c.fd, interest, token);
    else
        sel.modify(c.fd, interest, token);
}
#else
void watch(guarded& c, unsigned events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = &c;
    if (::epoll_ctl(ep, op, c.fd, &ev) != 0) die("epoll_ctl");
}
#endif

void serve(guarded& c) {
    const ssize_t n = bench::floor::recv_compiled(&c, buffer, sizeof buffer, 0);
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN) return;
        return drop(c);
    }
    const ssize_t sent = bench::floor::send_compiled(&c, buffer, static_cast<std::size_t>(n), 0);
    if (sent < 0 && errno != EAGAIN) return drop(c);
    const std::size_t done = sent < 0 ? 0 : static_cast<std::size_t>(sent);
    if (done < static_cast<std::size_t>(n)) {
        held[c.fd].assign(buffer + done, static_cast<std::size_t>(n) - done);
        watch(c, EPOLLOUT, EPOLL_CTL_MOD);
    }
}

void flush(guarded& c) {
    std::string& rest = held[c.fd];
    const ssize_t sent = bench::floor::send_compiled(&c, rest.data(), rest.size(), 0);
    if (sent < 0 && errno != EAGAIN) return drop(c);
    if (sent > 0) rest.erase(0, static_cast<std::size_t>(sent));
    if (!rest.empty()) return;
    held.erase(c.fd);
    watch(c, EPOLLIN, EPOLL_CTL_MOD);
}

}  // namespace

int main(int argc, char** argv) {
    const int port = echo_bench::port_argument(argc, argv);
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) die("getrlimit");
    const rlim_t slots = lim.rlim_cur == RLIM_INFINITY ? 1 << 20 : lim.rlim_cur;
    clients.reset(new guarded[slots]);
#ifndef ECHO_FLOOR_SELECTOR
    ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");
#endif
    listener.fd = echo_bench::listen_loopback(port, true);
    watch(listener, EPOLLIN, EPOLL_CTL_ADD);
    echo_bench::say_port(listener.fd);
#ifdef ECHO_FLOOR_SELECTOR
    usocket::selector_event events[echo_bench::max_events];
    for (;;) {
        const std::size_t n = sel.wait(events);
        for (std::size_t i = 0; i < n; ++i) {
            guarded& c = *reinterpret_cast<guarded*>(static_cast<std::uintptr_t>(events[i].token));
            const bool out = (events[i].events & usocket::selector::writable) != 0;
#else
    epoll_event events[echo_bench::max_events];
    for (;;) {
        const int n = echo_bench::wait_events(ep, events);
        for (int i = 0; i < n; ++i) {
            guarded& c = *static_cast<guarded*>(events[i].data.ptr);
            const bool out = (events[i].events & EPOLLOUT) != 0;
#endif
            if (&c != &listener) {
                if (out)
                    flush(c);
                else
                    serve(c);
                continue;
            }
            echo_bench::accept_some(listener.fd, [slots](int fd) {
                if (static_cast<rlim_t>(fd) >= slots) die("descriptor beyond RLIMIT_NOFILE");
                clients[fd].fd = fd;
                watch(clients[fd], EPOLLIN, EPOLL_CTL_ADD);
            });
        }
    }
}
