// The far end of the tests of usocket over lwIP: a program on the usocket API (the library built
// with the lwIP backend), in its own process with its own lwIP stack, attached to the hub named
// by USOCKET_LWIP_NET with the addresses of USOCKET_LWIP_ADDR.
//
//   usocket_peer tcp-exchange 4|6 NBYTES  listen on port 0, print "READY port=N", accept one
//                                         connection, send NBYTES of stream 2 (then shut down)
//                                         while receiving stream 1 to its end, print
//                                         "DONE received=N bad_at=K", and live on until standard
//                                         input closes (its stack still retransmits until then)
//   usocket_peer hold                     listen on port 0, print "READY port=N", accept one
//                                         connection and wait in recv(): print
//                                         "RESULT errno=E bytes=N" with what it ended with
//   usocket_peer idle                     print "READY", live until standard input closes
//   usocket_peer open                     make a socket: print "OPEN ok" or
//                                         "OPEN errno=E message=TEXT"
//
// Every wait is bounded (timeouts of 60 s): a peer never outlives its test.

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "pattern.h"
#include "usocket/usocket.hpp"

using namespace std::chrono_literals;

namespace {

void wait_for_stdin_close() {
    std::string line;
    while (std::getline(std::cin, line)) {
    }
}

usocket::socket listen_any(usocket::address_family family) {
    usocket::socket l(family, usocket::sock_stream);
    l.bind(usocket::address::any(family, 0));
    l.listen();
    l.settimeout(60s);
    std::printf("READY port=%d\n", l.getsockname().port());
    std::fflush(stdout);
    return l;
}

int tcp_exchange(usocket::address_family family, unsigned long long n) {
    auto l = listen_any(family);
    auto [s, peer] = l.accept();
    s.settimeout(60s);
    std::error_code send_ec;
    std::thread sender([&, &s = s] {
        std::vector<unsigned char> buf(16384);
        for (unsigned long long off = 0; off < n && !send_ec;) {
            const std::size_t want = static_cast<std::size_t>(std::min<unsigned long long>(buf.size(), n - off));
            lwip_test_fill(2, off, buf.data(), want);
            s.sendall(usocket::const_buffer(buf.data(), want), send_ec);
            off += want;
        }
        std::error_code ignored;
        s.shutdown(usocket::shut_wr, ignored);
    });
    unsigned long long received = 0;
    long long bad_at = -1;
    std::vector<unsigned char> buf(16384);
    std::error_code ec;
    for (;;) {
        const std::size_t k = s.recv_into(usocket::mutable_buffer(buf.data(), buf.size()), ec);
        if (ec || k == 0) break;
        if (bad_at < 0) bad_at = lwip_test_check(1, received, buf.data(), k);
        received += k;
    }
    sender.join();
    std::printf("DONE received=%llu bad_at=%lld send_errno=%d recv_errno=%d\n", received, bad_at, send_ec.value(),
                ec.value());
    std::fflush(stdout);
    wait_for_stdin_close();
    return 0;
}

int hold() {
    auto l = listen_any(usocket::af_inet);
    auto [s, peer] = l.accept();
    s.settimeout(60s);
    std::error_code ec;
    const std::string got = s.recv(64, ec);
    std::printf("RESULT errno=%d bytes=%zu\n", ec.value(), got.size());
    std::fflush(stdout);
    wait_for_stdin_close();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "tcp-exchange" && argc == 4)
        return tcp_exchange(std::strcmp(argv[2], "6") == 0 ? usocket::af_inet6 : usocket::af_inet,
                            std::stoull(argv[3]));
    if (mode == "hold") return hold();
    if (mode == "idle") {
        // The stack starts (and attaches to the hub) with the first socket.
        usocket::socket first(usocket::af_inet, usocket::sock_dgram);
        std::printf("READY\n");
        std::fflush(stdout);
        wait_for_stdin_close();
        return 0;
    }
    if (mode == "open") {
        std::error_code ec;
        auto s = usocket::socket::open(usocket::af_inet, usocket::sock_stream, ec);
        if (ec)
            std::printf("OPEN errno=%d message=%s\n", ec.value(), ec.message().c_str());
        else
            std::printf("OPEN ok\n");
        return 0;
    }
    std::fprintf(stderr, "usage: usocket_peer tcp-exchange 4|6 NBYTES | hold | idle | open\n");
    return 2;
}
