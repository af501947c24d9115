// Connection rate, one process: connect() a new socket to a listener on 127.0.0.1, accept()
// it, close the accepted socket, then the client. Closing the accepted side first puts the
// TIME_WAIT entry on the listener's port, not on an ephemeral port, so a run does not eat the
// ~28k ephemeral ports; every run also gets a fresh listener (port 0), and counts are bounded.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "connrate.hpp"
#include "peers.hpp"
#include "usocket/usocket.hpp"


namespace bench {
namespace {

double raw_run(long n) {
    sockaddr_in sa;
    const int l = loopback_listener(sa, 128);
    const socklen_t len = sizeof sa;
    const std::int64_t t0 = now_ns();
    for (long i = 0; i < n; ++i) {
        const int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        check(c >= 0, "socket");
        check(connect(c, reinterpret_cast<sockaddr*>(&sa), len) == 0, "connect");
        const int s = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
        check(s >= 0, "accept");
        close(s);
        close(c);
    }
    const auto t = static_cast<double>(now_ns() - t0);
    close(l);
    return t;
}

double usocket_run(long n) {
    usocket::socket l(usocket::af_inet);
    l.bind(usocket::address("127.0.0.1", 0));
    l.listen(128);
    const usocket::address to = l.getsockname();
    const std::int64_t t0 = now_ns();
    for (long i = 0; i < n; ++i) {
        usocket::socket c(usocket::af_inet);
        c.connect(to);
        auto r = l.accept();
        r.sock.close();
        c.close();
    }
    return static_cast<double>(now_ns() - t0);
}

#ifdef USOCKET_BENCH_ASIO
double asio_run(long n) {
    asio::io_context io;
    asio::ip::tcp::acceptor l(io, {asio::ip::address_v4::loopback(), 0});
    const auto to = l.local_endpoint();
    const std::int64_t t0 = now_ns();
    for (long i = 0; i < n; ++i) {
        asio::ip::tcp::socket c(io);
        c.connect(to);
        asio::ip::tcp::socket s(io);
        l.accept(s);
        s.close();
        c.close();
    }
    return static_cast<double>(now_ns() - t0);
}
#endif

}  // namespace

std::vector<variant> connrate_variants(long n) {
    auto v = [n](double (*run)(long)) {
        return [n, run] { return run(n) / static_cast<double>(n) / 1e3; };  // microseconds
    };
    return {
        {"raw", "raw socket()/connect()/accept4()/close()", v(raw_run)},
        {"usocket", "usocket socket/connect()/accept()/close()", v(usocket_run)},
#ifdef USOCKET_BENCH_ASIO
        {"asio", "Asio 1.22 synchronous connect()/accept()/close()", v(asio_run)},
#endif
    };
}

}  // namespace bench
