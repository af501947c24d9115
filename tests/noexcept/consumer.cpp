// Built with -fno-exceptions against a library built the same way (and without c-ares, so the
// timed resolver's helper-thread fallback is the one used): the std::error_code forms cover a
// whole exchange. CI builds and runs it (.ci/run).

#include <cstdio>
#include <usocket/usocket.hpp>

int main() {
    std::error_code ec;
    auto [a, b] = usocket::socketpair(usocket::af_unix, usocket::sock_stream, 0, ec);
    if (ec) return 1;
    a.settimeout(std::chrono::seconds(2), ec);
    b.settimeout(std::chrono::seconds(2), ec);
    a.sendall("no exceptions here", ec);
    if (ec) return 2;
    char buf[64];
    const std::size_t n = b.recv_into(buf, ec);
    if (ec || std::string_view(buf, n) != "no exceptions here") return 3;
    (void)b.recv_into(buf, 0, usocket::msg_dontwait, ec);
    if (!usocket::is_would_block(ec)) return 4;
    (void)b.recv_into(buf, ec);  // nothing comes: a timeout, as an error code
    if (!usocket::is_timeout(ec)) return 5;
    // A name under a deadline: the hosts file answers through the helper thread.
    const auto found = usocket::getaddrinfo("localhost", 80, usocket::af_inet, usocket::sock_stream, 0, 0,
                                            std::chrono::seconds(5), ec);
    if (ec || found.empty() || found.front().sockaddr.port() != 80) return 6;
    auto f = a.makefile(ec);
    if (ec || f.closed()) return 7;
    std::puts("noexcept consumer: ok");
    return 0;
}
