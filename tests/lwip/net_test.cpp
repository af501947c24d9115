// Two lwIP stacks in two processes over usocket-netsim (no faults): TCP and UDP, IPv4 and IPv6
// (ARP and neighbour discovery over the hub), a closed port, receive timeouts, and the host
// start-up's answers (hub absent, fork). lwIP's socket API directly: the library's lwIP
// backend will run its own suite over the same hub.

#include "lwip/netif.h"
#include "lwip/tcpip.h"
#include "net_helpers.hpp"

namespace lwip_test {
namespace {

hub_environment& env() { return hub_environment::get(); }

int ready_port(child& peer) {
    const std::string line = read_line(peer, "READY", 20s);
    EXPECT_NE(line, "") << "the peer did not start";
    return static_cast<int>(field(line, "port"));
}

void tcp_exchange_with_peer(const std::string& peer_program, int n, bool ipv6, unsigned long long bytes) {
    child peer = env().start_peer(peer_program, n, {"tcp-exchange", ipv6 ? "6" : "4", std::to_string(bytes)},
                                  peer_program == std::string(LWIP_PEER_SMALL));
    const int port = ready_port(peer);
    ASSERT_GT(port, 0);
    int err = 0;
    const int s = tcp_connect(ipv6 ? v6(n) : v4(n), port, err);
    ASSERT_GE(s, 0) << "connect errno " << err;
    const exchange_result r = exchange(s, bytes, 1, 2);
    EXPECT_EQ(r.received, bytes);
    EXPECT_EQ(r.bad_at, -1);
    EXPECT_EQ(r.send_errno, 0);
    EXPECT_EQ(r.recv_errno, 0);
    EXPECT_EQ(lwip_close(s), 0);
    const std::string done = read_line(peer, "DONE", 30s);
    EXPECT_EQ(field(done, "received"), static_cast<long long>(bytes)) << done;
    EXPECT_EQ(field(done, "bad_at"), -1) << done;
    close_input(peer);  // this side has everything: the peer's stack may stop
    EXPECT_EQ(wait_exit(peer, 30s), 0);
}

TEST(LwipHub, TcpBothWaysIpv4) { tcp_exchange_with_peer(LWIP_PEER, 2, false, 256 * 1024); }

TEST(LwipHub, TcpBothWaysIpv6NeighbourDiscovery) { tcp_exchange_with_peer(LWIP_PEER, 3, true, 256 * 1024); }

// The "small" profile (IPv4, select only, static pools, 536-byte segments) talks to the "test"
// profile over the same wire.
TEST(LwipHub, SmallProfilePeer) { tcp_exchange_with_peer(LWIP_PEER_SMALL, 4, false, 64 * 1024); }

void udp_echo_with_peer(int n, bool ipv6) {
    child peer = env().start_peer(LWIP_PEER, n, {"udp-echo", ipv6 ? "6" : "4"});
    const int port = ready_port(peer);
    ASSERT_GT(port, 0);
    const sock_addr to = make_addr(ipv6 ? v6(n) : v4(n), port);
    const int s = lwip_socket(to.storage.ss_family, SOCK_DGRAM, 0);
    ASSERT_GE(s, 0);
    set_timeouts(s, 5s);
    // Sizes up to one frame, and one of 4000 bytes: fragmented over the 1500-byte MTU.
    for (const std::size_t size : {1u, 100u, 1000u, 1232u, 4000u}) {
        std::vector<unsigned char> out(size), in(size + 16);
        lwip_test_fill(size, 0, out.data(), size);
        ASSERT_EQ(lwip_sendto(s, out.data(), size, 0, to.get(), to.len), static_cast<ssize_t>(size));
        sockaddr_storage from{};
        socklen_t from_len = sizeof from;
        const ssize_t k = lwip_recvfrom(s, in.data(), in.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
        ASSERT_EQ(k, static_cast<ssize_t>(size)) << "errno " << errno;
        EXPECT_EQ(lwip_test_check(size, 0, in.data(), size), -1);
        EXPECT_EQ(from.ss_family, to.storage.ss_family);
    }
    ASSERT_EQ(lwip_sendto(s, "quit", 4, 0, to.get(), to.len), 4);
    EXPECT_EQ(wait_exit(peer, 20s), 0);
    lwip_close(s);
}

TEST(LwipHub, UdpEchoIpv4) { udp_echo_with_peer(5, false); }

TEST(LwipHub, UdpEchoIpv6) { udp_echo_with_peer(6, true); }

// lwIP 2.1.3 answers a connect() to a port nothing listens on with ECONNRESET (the RST in
// SYN_SENT reaches the socket as ERR_RST), not ECONNREFUSED: the backend reports it as refused.
TEST(LwipHub, ClosedPortIsResetNotRefused) {
    child peer = env().start_peer(LWIP_PEER, 7, {"idle"});
    ASSERT_NE(read_line(peer, "READY", 20s), "");
    for (const std::string& host : {v4(7), v6(7)}) {
        int err = 0;
        const auto start = std::chrono::steady_clock::now();
        const int s = tcp_connect(host, 9, err);
        EXPECT_EQ(s, -1) << host;
        EXPECT_EQ(err, ECONNRESET) << host << ": errno " << err;
        EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << host;
    }
    close_input(peer);
    EXPECT_EQ(wait_exit(peer, 20s), 0);
}

// SO_RCVTIMEO: a receive with nothing to read ends with EAGAIN once the timeout has passed.
TEST(LwipHub, ReceiveTimeoutHolds) {
    const sock_addr local = make_addr("10.77.0.1", 0);
    const int s = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(s, 0);
    ASSERT_EQ(lwip_bind(s, local.get(), local.len), 0);
    set_timeouts(s, 300ms);
    char buf[16];
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(lwip_recv(s, buf, sizeof buf, 0), -1);
    EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 5s);
    lwip_close(s);
}

// What a process sends to its own address waits on the interface's loopback queue. The "test"
// profile leaves delivering it to its user (LWIP_NETIF_LOOPBACK_MULTITHREADING 0: usocket's
// backend does it, src/lwip/loopback.cpp); these tests on lwIP's own API do it here.
void deliver_to_self() {
#if !LWIP_NETIF_LOOPBACK_MULTITHREADING
    LOCK_TCPIP_CORE();
    netif_poll_all();
    UNLOCK_TCPIP_CORE();
#endif
}

// lwIP's descriptors start at LWIP_SOCKET_OFFSET (2^30), above any kernel descriptor, and
// lwip_select() and lwip_poll() take them.
TEST(LwipHub, DescriptorsAboveKernelOnesWorkWithSelectAndPoll) {
    const int s = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(s, 1 << 30);
    const sock_addr local = make_addr("10.77.0.1", 0);
    ASSERT_EQ(lwip_bind(s, local.get(), local.len), 0);
    sockaddr_storage self{};
    socklen_t len = sizeof self;
    ASSERT_EQ(lwip_getsockname(s, reinterpret_cast<sockaddr*>(&self), &len), 0);
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(s, &readable);
    timeval zero{0, 0};
    EXPECT_EQ(lwip_select(s + 1, &readable, nullptr, nullptr, &zero), 0);
    ASSERT_EQ(lwip_sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&self), len), 1);
    deliver_to_self();
    FD_ZERO(&readable);
    FD_SET(s, &readable);
    timeval two{2, 0};
    EXPECT_EQ(lwip_select(s + 1, &readable, nullptr, nullptr, &two), 1);
    EXPECT_TRUE(FD_ISSET(s, &readable));
    pollfd p{s, POLLIN, 0};
    EXPECT_EQ(lwip_poll(&p, 1, 2000), 1);
    EXPECT_EQ(p.revents & POLLIN, POLLIN);
    lwip_close(s);
}

// lwIP 2.1.3's recvmsg() on a datagram larger than the buffer copies what fits, sets MSG_TRUNC
// and returns the datagram's full length (Linux returns the bytes copied unless MSG_TRUNC is
// asked); recvfrom() returns the bytes copied. The backend's recvmsg must not pass it on.
TEST(LwipHub, TruncatedUdpRecvmsgReturnsFullLength) {
    const sock_addr local = make_addr("10.77.0.1", 0);
    const int s = lwip_socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(s, 0);
    ASSERT_EQ(lwip_bind(s, local.get(), local.len), 0);
    set_timeouts(s, 2s);
    sockaddr_storage self{};
    socklen_t len = sizeof self;
    ASSERT_EQ(lwip_getsockname(s, reinterpret_cast<sockaddr*>(&self), &len), 0);
    unsigned char out[100];
    lwip_test_fill(7, 0, out, sizeof out);
    ASSERT_EQ(lwip_sendto(s, out, sizeof out, 0, reinterpret_cast<sockaddr*>(&self), len), 100);
    deliver_to_self();
    unsigned char in[10] = {};
    iovec iov{in, sizeof in};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    EXPECT_EQ(lwip_recvmsg(s, &msg, 0), 100);
    EXPECT_NE(msg.msg_flags & MSG_TRUNC, 0);
    EXPECT_EQ(lwip_test_check(7, 0, in, sizeof in), -1);
    ASSERT_EQ(lwip_sendto(s, out, sizeof out, 0, reinterpret_cast<sockaddr*>(&self), len), 100);
    deliver_to_self();
    EXPECT_EQ(lwip_recvfrom(s, in, sizeof in, 0, nullptr, nullptr), 10);
    lwip_close(s);
}

// The host start-up with no hub at USOCKET_LWIP_NET: lwIP starts, sockets are refused with
// ENETUNREACH and a message naming the path; once a hub listens there, the next call attaches.
TEST(LwipHost, AbsentHubIsUnreachableThenFound) {
    const std::string dir = make_temp_dir();
    const std::string path = dir + "/hub";  // where hub(dir) will listen
    child peer = spawn({LWIP_PEER, "ready-check"},
                       {"USOCKET_LWIP_NET=" + path, "USOCKET_LWIP_ADDR=10.78.0.2/24"}, dir + "/peer.log");
    const std::string first = read_line(peer, "READY-CHECK", 20s);
    EXPECT_EQ(field(first, "rc"), ENETUNREACH) << first;
    EXPECT_NE(first.find(path), std::string::npos) << first;
    {
        hub later(dir, {});
        write_line(peer, "again");
        const std::string second = read_line(peer, "READY-CHECK", 20s);
        EXPECT_EQ(field(second, "rc"), 0) << second;
        close_input(peer);
        EXPECT_EQ(wait_exit(peer, 20s), 0);
        later.stop();
    }
    remove_tree(dir);
}

TEST(LwipHost, MalformedAddressesAreRejected) {
    const std::string dir = make_temp_dir();
    for (const char* bad : {"", "10.0.0.1", "10.0.0.1/33", "fd00::1/48", "10.0.0.1/24,10.0.0.2/24", "x/8"}) {
        child peer = spawn({LWIP_PEER, "ready-check"}, {"USOCKET_LWIP_NET=" + dir + "/hub", std::string("USOCKET_LWIP_ADDR=") + bad},
                           dir + "/peer.log");
        const std::string line = read_line(peer, "READY-CHECK", 20s);
        EXPECT_EQ(field(line, "rc"), EINVAL) << "\"" << bad << "\": " << line;
        close_input(peer);
        EXPECT_EQ(wait_exit(peer, 20s), 0);
    }
    remove_tree(dir);
}

TEST(LwipHost, ForkedChildCannotUseLwip) {
    const std::string dir = make_temp_dir();
    child peer = spawn({LWIP_PEER, "fork-check"}, {"USOCKET_LWIP_NET="}, dir + "/peer.log");
    const std::string parent = read_line(peer, "PARENT", 20s);
    EXPECT_EQ(field(parent, "rc"), 0) << parent;
    const std::string line = read_line(peer, "CHILD", 20s);
    EXPECT_EQ(field(line, "rc"), ENETDOWN) << line;
    EXPECT_NE(line.find("fork"), std::string::npos) << line;
    EXPECT_EQ(wait_exit(peer, 20s), 0);
    remove_tree(dir);
}

}  // namespace
}  // namespace lwip_test

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::AddGlobalTestEnvironment(new lwip_test::hub_environment({"--seed", "1"}));
    return RUN_ALL_TESTS();
}
