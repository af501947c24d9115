// TCP over a wire that loses 5% of the frames, duplicates 1% and reorders 2%: 1 MiB each way
// arrives once and in order, within 60 s; timeouts still hold; a closed port is still refused.
// The hub's seed is fixed (USOCKET_NETSIM_SEED overrides it) and printed, so a failure can be
// replayed; the hub's counters prove the faults happened.
//
// The speed comes from the "test" profile's TCP_TMR_INTERVAL of 10 ms (lwip/profiles/test).

#include <cstdio>

#include "net_helpers.hpp"

namespace lwip_test {
namespace {

hub_environment& env() { return hub_environment::get(); }

void transfer(int n, bool ipv6) {
    constexpr unsigned long long mib = 1024 * 1024;
    child peer = env().start_peer(LWIP_PEER, n, {"tcp-exchange", ipv6 ? "6" : "4", std::to_string(mib)});
    const std::string ready = read_line(peer, "READY", 30s);
    const int port = static_cast<int>(field(ready, "port"));
    ASSERT_GT(port, 0) << ready;
    const auto start = std::chrono::steady_clock::now();
    int err = 0;
    const int s = tcp_connect(ipv6 ? v6(n) : v4(n), port, err);
    ASSERT_GE(s, 0) << "connect errno " << err;
    const exchange_result r = exchange(s, mib, 1, 2);
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("1 MiB each way over %s in %.2f s (loss 5%%, dup 1%%, reorder 2%%, seed %s)\n", ipv6 ? "IPv6" : "IPv4",
                took, lossy_seed().c_str());
    EXPECT_EQ(r.received, mib);
    EXPECT_EQ(r.bad_at, -1);
    EXPECT_EQ(r.send_errno, 0);
    EXPECT_EQ(r.recv_errno, 0);
    EXPECT_LT(took, 60.0);
    lwip_close(s);
    expect_peer_done_over_the_faulty_wire(peer, mib);
}

TEST(LwipLossyHub, OneMebibyteEachWayIpv4) { transfer(2, false); }

TEST(LwipLossyHub, OneMebibyteEachWayIpv6) { transfer(3, true); }

TEST(LwipLossyHub, ClosedPortIsStillRefusedAndTimeoutsHold) {
    child peer = env().start_peer(LWIP_PEER, 4, {"idle"});
    ASSERT_NE(read_line(peer, "READY", 30s), "");
    int err = 0;
    EXPECT_EQ(tcp_connect(v4(4), 9, err), -1);
    EXPECT_EQ(err, ECONNRESET) << "errno " << err;

    const sock_addr local = make_addr("10.77.0.1", 0);
    const int s = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(s, 0);
    ASSERT_EQ(lwip_bind(s, local.get(), local.len), 0);
    set_timeouts(s, 250ms);
    char buf[8];
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(lwip_recv(s, buf, sizeof buf, 0), -1);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 250ms);
    EXPECT_LT(took, 5s);
    lwip_close(s);
    close_input(peer);
    EXPECT_EQ(wait_exit(peer, 20s), 0);
}

}  // namespace
}  // namespace lwip_test

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::AddGlobalTestEnvironment(new lwip_test::hub_environment(
        {"--loss", "0.05", "--dup", "0.01", "--reorder", "0.02", "--seed", lwip_test::lossy_seed()}));
    const int rc = RUN_ALL_TESTS();
    return rc;
}
