// print_pcbs() and reset() over the registry of descriptors owned by socket objects.

#include "registry.hpp"

#include <mutex>
#include <ostream>
#include <set>

#include "sys.hpp"
#include "usocket/socket.hpp"

namespace usocket {

namespace detail {

namespace {
std::mutex registry_mutex;
std::set<int>& registry() {
    static std::set<int> fds;
    return fds;
}
}  // namespace

void register_fd(int fd) noexcept {
    const std::lock_guard lock(registry_mutex);
    registry().insert(fd);
}

void unregister_fd(int fd) noexcept {
    const std::lock_guard lock(registry_mutex);
    registry().erase(fd);
}

std::vector<int> registered_fds() {
    const std::lock_guard lock(registry_mutex);
    return {registry().begin(), registry().end()};
}

}  // namespace detail

std::vector<socket_info> open_sockets() {
    std::vector<socket_info> out;
    for (const int fd : detail::registered_fds()) {
        socket_info info;
        info.fd = fd;
        std::error_code ec;
        if (!sys::describe(fd, info.family, info.type, info.proto, ec)) continue;
        sys::getsockname(fd, info.local, ec);
        ec.clear();
        sys::getpeername(fd, info.peer, ec);
        int listening = 0;
        std::size_t len = sizeof listening;
        ec.clear();
        info.listening = sys::getsockopt(fd, sol_socket, so_acceptconn, &listening, len, ec) && listening != 0;
        out.push_back(std::move(info));
    }
    return out;
}

void print_pcbs(std::ostream& os) {
    for (const auto& s : open_sockets()) {
        os << "fd=" << s.fd << " family=" << s.family << " type=" << s.type << " proto=" << s.proto
           << " state=" << (s.listening ? "LISTEN" : !s.peer.empty() ? "CONNECTED" : "OPEN");
        if (!s.local.empty()) os << " laddr=" << s.local.to_string();
        if (!s.peer.empty()) os << " raddr=" << s.peer.to_string();
        os << '\n';
    }
}

void reset() noexcept {
    // Built without exceptions too: running out of memory here ends the process (noexcept).
    for (const int fd : detail::registered_fds()) {
        std::error_code ignored;
        sys::shutdown(fd, shut_rdwr, ignored);
    }
}

}  // namespace usocket
