#pragma once
// A DNS server on 127.0.0.1 for the timed resolver's tests, and the resolv.conf that names it:
// `silent` never answers (the deadline must end the lookup), `nxdomain` answers every query
// "no such name" (an unknown host without a network). Installed for the object's lifetime.

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "sys.hpp"
#include "test_support.hpp"

namespace usocket_test {

class fake_dns {
public:
    enum class mode { silent, nxdomain };

    explicit fake_dns(mode m) : sock_(usocket::af_inet, usocket::sock_dgram), mode_(m) {
        sock_.bind(usocket::address("127.0.0.1", 0));
        sock_.settimeout(std::chrono::milliseconds(50));
        path_ = "/tmp/usocket-fake-dns-" + std::to_string(::getpid()) + ".conf";
        std::ofstream(path_) << "nameserver 127.0.0.1\noptions timeout:30 attempts:1\n";
        active_ = usocket::testing::set_resolver_config(path_.c_str(), sock_.getsockname().port());
        if (mode_ == mode::nxdomain) server_ = std::thread([this] { serve(); });
    }
    ~fake_dns() {
        stop_ = true;
        if (server_.joinable()) server_.join();
        usocket::testing::set_resolver_config(nullptr, 0);
        std::remove(path_.c_str());
    }
    fake_dns(const fake_dns&) = delete;
    fake_dns& operator=(const fake_dns&) = delete;

    /// False when the library's timed resolver cannot be pointed at a test server.
    bool active() const { return active_; }

    /// Queries received so far (silent mode only: nxdomain mode answers them).
    int queries() {
        int n = 0;
        std::error_code ec;
        char buf[512];
        for (int i = 0; i < 100; ++i) {
            (void)sock_.recv_into(usocket::mutable_buffer(buf, sizeof buf), 0, usocket::msg_dontwait, ec);
            if (ec) break;
            ++n;
        }
        return n;
    }

private:
    // Answers each query with its own header and question, flags QR RD RA and RCODE 3.
    void serve() {
        char q[512];
        for (int i = 0; i < 2000 && !stop_; ++i) {  // bounded: 2000 × 50 ms
            std::error_code ec;
            usocket::address from;
            const std::size_t n = sock_.recvfrom_into(usocket::mutable_buffer(q, sizeof q), 0, 0, from, ec);
            if (ec || n < 12) continue;
            std::size_t end = 12;
            while (end < n && q[end] != 0) end += 1 + static_cast<unsigned char>(q[end]);
            end += 1 + 4;  // the root label, QTYPE, QCLASS
            if (end > n) continue;
            std::string r(q, end);
            r[2] = static_cast<char>(0x81);
            r[3] = static_cast<char>(0x83);
            for (int k = 6; k < 12; ++k) r[static_cast<std::size_t>(k)] = 0;  // no answer, authority, additional
            (void)sock_.sendto(usocket::const_buffer(r.data(), r.size()), from, 0, ec);
        }
    }

    usocket::socket sock_;
    mode mode_;
    std::string path_;
    bool active_ = false;
    std::atomic<bool> stop_{false};
    std::thread server_;
};

}  // namespace usocket_test
