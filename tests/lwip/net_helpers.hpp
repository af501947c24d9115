#pragma once
// lwIP socket helpers and the per-process hub of the tests over usocket-netsim. Includes lwIP's
// socket API: a file that includes this must not include the C library's socket headers.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lwip/sockets.h"
#include "pattern.h"
#include "hub_env.hpp"

namespace lwip_test {

/// A socket address for lwIP's socket API.
struct sock_addr {
    sockaddr_storage storage{};
    socklen_t len = 0;
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

inline sock_addr make_addr(const std::string& host, int port) {
    sock_addr a;
    if (host.find(':') != std::string::npos) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
        in6->sin6_len = sizeof *in6;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = lwip_htons(static_cast<u16_t>(port));
        EXPECT_EQ(lwip_inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr), 1) << host;
        a.len = sizeof *in6;
    } else {
        auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
        in->sin_len = sizeof *in;
        in->sin_family = AF_INET;
        in->sin_port = lwip_htons(static_cast<u16_t>(port));
        EXPECT_EQ(lwip_inet_pton(AF_INET, host.c_str(), &in->sin_addr), 1) << host;
        a.len = sizeof *in;
    }
    return a;
}

inline void set_timeouts(int s, std::chrono::milliseconds t) {
    timeval tv{static_cast<long>(t.count() / 1000), static_cast<long>(t.count() % 1000 * 1000)};
    EXPECT_EQ(lwip_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    EXPECT_EQ(lwip_setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), 0);
}

/// A TCP connection to host:port, or -1 with `err` set to lwIP's errno.
inline int tcp_connect(const std::string& host, int port, int& err) {
    const sock_addr a = make_addr(host, port);
    const int s = lwip_socket(a.storage.ss_family, SOCK_STREAM, 0);
    if (s < 0) {
        err = errno;
        return -1;
    }
    set_timeouts(s, std::chrono::seconds(60));
    if (lwip_connect(s, a.get(), a.len) != 0) {
        err = errno;
        lwip_close(s);
        return -1;
    }
    return s;
}

/// What one side of a transfer saw.
struct exchange_result {
    unsigned long long received = 0;
    long long bad_at = -1;  // the first wrong byte, or -1
    int send_errno = 0;
    int recv_errno = 0;
};

/// Sends `n` bytes of stream `out_seed` (then shuts down) while receiving stream `in_seed` to
/// its end: both directions at once, from two threads (lwIP's full-duplex sockets).
inline exchange_result exchange(int s, unsigned long long n, std::uint64_t out_seed, std::uint64_t in_seed) {
    exchange_result r;
    std::thread sender([&] {
        std::vector<unsigned char> buf(16384);
        unsigned long long off = 0;
        while (off < n) {
            const std::size_t want = static_cast<std::size_t>(std::min<unsigned long long>(buf.size(), n - off));
            lwip_test_fill(out_seed, off, buf.data(), want);
            const ssize_t k = lwip_send(s, buf.data(), want, 0);
            if (k <= 0) {
                r.send_errno = errno ? errno : -1;
                return;
            }
            off += static_cast<unsigned long long>(k);
        }
        lwip_shutdown(s, SHUT_WR);
    });
    std::vector<unsigned char> buf(16384);
    for (;;) {
        const ssize_t k = lwip_recv(s, buf.data(), buf.size(), 0);
        if (k == 0) break;
        if (k < 0) {
            r.recv_errno = errno;
            break;
        }
        if (r.bad_at < 0) r.bad_at = lwip_test_check(in_seed, r.received, buf.data(), static_cast<std::size_t>(k));
        r.received += static_cast<unsigned long long>(k);
    }
    sender.join();
    return r;
}

}  // namespace lwip_test
