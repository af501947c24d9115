// The usocket API over lwIP on a wire that loses 5% of the frames, duplicates 1% and reorders
// 2%: 1 MiB each way arrives once and in order within 60 s, timeouts still hold, a closed port
// is refused (ECONNREFUSED: lwIP says ECONNRESET, the backend says what every other stack says).
// Both ends are usocket programs with their own lwIP stacks (this test and usocket_peer). The
// hub's seed is fixed (USOCKET_NETSIM_SEED overrides it) and printed, so a failure can be
// replayed; its counters prove the faults happened. The speed comes from the "test" profile's
// TCP_TMR_INTERVAL of 10 ms (lwip/profiles/test).

#include <cstdio>
#include <thread>

#include "hub_env.hpp"
#include "pattern.h"
#include "usocket/usocket.hpp"

namespace lwip_test {
namespace {

hub_environment& env() { return hub_environment::get(); }

void transfer(int n, bool ipv6) {
    constexpr unsigned long long mib = 1024 * 1024;
    child peer = env().start_peer(USOCKET_PEER, n, {"tcp-exchange", ipv6 ? "6" : "4", std::to_string(mib)});
    const std::string ready = read_line(peer, "READY", 30s);
    const int port = static_cast<int>(field(ready, "port"));
    ASSERT_GT(port, 0) << ready;
    const auto start = std::chrono::steady_clock::now();
    usocket::socket s(ipv6 ? usocket::af_inet6 : usocket::af_inet, usocket::sock_stream);
    s.settimeout(60s);
    s.connect(ipv6 ? v6(n) : v4(n), port);
    std::error_code send_ec;
    std::thread sender([&] {
        std::vector<unsigned char> buf(16384);
        for (unsigned long long off = 0; off < mib && !send_ec; off += buf.size()) {
            lwip_test_fill(1, off, buf.data(), buf.size());
            s.sendall(usocket::const_buffer(buf.data(), buf.size()), send_ec);
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
        if (bad_at < 0) bad_at = lwip_test_check(2, received, buf.data(), k);
        received += k;
    }
    sender.join();
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("usocket: 1 MiB each way over %s in %.2f s (loss 5%%, dup 1%%, reorder 2%%, seed %s)\n",
                ipv6 ? "IPv6" : "IPv4", took, lossy_seed().c_str());
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_FALSE(send_ec) << send_ec.message();
    EXPECT_EQ(received, mib);
    EXPECT_EQ(bad_at, -1);
    EXPECT_LT(took, 60.0);
    expect_peer_done_over_the_faulty_wire(peer, mib);
}

TEST(UsocketLossyHub, OneMebibyteEachWayIpv4) { transfer(2, false); }

TEST(UsocketLossyHub, OneMebibyteEachWayIpv6) { transfer(3, true); }

TEST(UsocketLossyHub, ClosedPortIsRefused) {
    child peer = env().start_peer(USOCKET_PEER, 4, {"idle"});
    ASSERT_NE(read_line(peer, "READY", 30s), "");
    for (const usocket::timeout_type t : {usocket::timeout_type(), usocket::timeout_type(5s)}) {
        usocket::socket c(usocket::af_inet, usocket::sock_stream);
        c.settimeout(t.has_value() ? usocket::timeout_type(30s) : t);
        std::error_code ec;
        c.connect(v4(4), 9, ec);
        EXPECT_EQ(ec, std::errc::connection_refused) << ec.message();
    }
    usocket::socket nb(usocket::af_inet, usocket::sock_stream);
    nb.setblocking(false);
    EXPECT_EQ(nb.connect_ex(usocket::address(v4(4), 9)), EINPROGRESS);
    usocket::poller p;
    p.register_fd(nb, usocket::pollout);
    EXPECT_EQ(p.poll(30s).size(), 1u);  // a lost RST costs a SYN retransmission: 3 s
    EXPECT_EQ(nb.getsockopt(usocket::sol_socket, usocket::so_error), ECONNREFUSED);
    close_input(peer);
    EXPECT_EQ(wait_exit(peer, 20s), 0);
}

TEST(UsocketLossyHub, TimeoutsHold) {
    child peer = env().start_peer(USOCKET_PEER, 5, {"hold"});
    const int port = static_cast<int>(field(read_line(peer, "READY", 30s), "port"));
    ASSERT_GT(port, 0);
    usocket::socket c(usocket::af_inet, usocket::sock_stream);
    c.settimeout(10s);
    c.connect(v4(5), port);
    c.settimeout(300ms);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW((void)c.recv(16), usocket::timeout_error);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 5s);
    usocket::socket u(usocket::af_inet, usocket::sock_dgram);
    u.bind(v4(1), 0);
    u.settimeout(250ms);
    std::error_code ec;
    const auto t0 = std::chrono::steady_clock::now();
    (void)u.recv(16, ec);
    EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 250ms);
    c.sendall("x");
    EXPECT_NE(read_line(peer, "RESULT", 30s).find("bytes=1"), std::string::npos);
    close_input(peer);
    EXPECT_EQ(wait_exit(peer, 20s), 0);
}

}  // namespace
}  // namespace lwip_test

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::AddGlobalTestEnvironment(new lwip_test::hub_environment(
        {"--loss", "0.05", "--dup", "0.01", "--reorder", "0.02", "--seed", lwip_test::lossy_seed()}));
    return RUN_ALL_TESTS();
}
