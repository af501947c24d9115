// The usocket API over lwIP where the lwIP backend is the subject: its constants are lwIP's, its
// descriptors lwIP's, reset() and print_pcbs() act on lwIP's protocol control blocks, blocking
// calls run the interrupt check every slice, two connections of one process with both windows
// at zero do not stop the process, a missing hub is named, interfaces are lwIP's netifs,
// recvmsg() gives lwIP's IP_PKTINFO, and what lwIP cannot do fails as unsupported. Peers are usocket programs
// (usocket_peer) attached to this test's hub.

#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <thread>

#include "hub_env.hpp"
#include "usocket/usocket.hpp"

// lwIP's own numbers, from its headers (only here: they clash with the C library's).
#include "lwip/netdb.h"
#include "lwip/sockets.h"

namespace lwip_test {
namespace {

hub_environment& env() { return hub_environment::get(); }

std::string pcbs() {
    std::ostringstream out;
    usocket::print_pcbs(out);
    return out.str();
}

// The print_pcbs() line of descriptor `fd`, or "".
std::string pcb_line(const std::string& all, int fd) {
    std::istringstream in(all);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("fd=" + std::to_string(fd) + " ", 0) == 0) return line;
    return {};
}

TEST(LwipBackend, ConstantsAndDescriptorsAreLwips) {
    EXPECT_EQ(usocket::sol_socket, SOL_SOCKET);
    EXPECT_EQ(usocket::sol_socket, 0xfff);  // seed 001: SOL_SOCKET=4095
    EXPECT_EQ(usocket::so_reuseaddr, SO_REUSEADDR);
    EXPECT_EQ(usocket::so_reuseaddr, 4);
    EXPECT_EQ(usocket::pollin, POLLIN);
    EXPECT_EQ(usocket::pollout, POLLOUT);
    EXPECT_EQ(usocket::msg_dontwait, MSG_DONTWAIT);
    EXPECT_EQ(usocket::af_inet6, AF_INET6);
    // getaddrinfo's errors are negative (seed 001): lwIP's EAI_* negated.
    EXPECT_EQ(usocket::eai_noname, -EAI_NONAME);
    std::error_code ec;
    (void)usocket::getaddrinfo("127.0.0.1", "http", ec);  // lwIP has no services database
    EXPECT_EQ(ec, std::error_code(-EAI_SERVICE, usocket::gai_category())) << ec.message();
    usocket::socket s(usocket::af_inet, usocket::sock_stream);
    EXPECT_GE(s.fileno(), LWIP_SOCKET_OFFSET) << "above any kernel descriptor";
    EXPECT_EQ(usocket::system_error_code(ETIMEDOUT), std::errc::timed_out);
    EXPECT_TRUE(usocket::is_timeout(usocket::system_error_code(ETIMEDOUT)));
    EXPECT_STREQ(usocket::system_error_code(ETIMEDOUT).category().name(), "lwip");
}

TEST(LwipBackend, WhatLwipHasNot) {
    usocket::socket s(usocket::af_inet, usocket::sock_stream);
    std::error_code ec;
    (void)s.dup(ec);
    EXPECT_EQ(ec, std::errc::operation_not_supported);
    EXPECT_FALSE(s.get_inheritable());  // not a kernel descriptor: never passed to a program
    s.set_inheritable(true, ec);
    EXPECT_EQ(ec, std::errc::operation_not_supported);
    ec.clear();
    (void)usocket::socket::open(usocket::af_unix, usocket::sock_stream, ec);
    EXPECT_EQ(ec, std::errc::address_family_not_supported);
    // socketpair() is made over loopback TCP, as CPython does where the system has none.
    auto [a, b] = usocket::socketpair();
    a.sendall("over loopback");
    EXPECT_EQ(b.recv(64), "over loopback");
    EXPECT_EQ(a.getsockname().host(), "127.0.0.1");
    EXPECT_EQ(b.getpeername(), a.getsockname());
}

TEST(LwipBackend, InterfacesAreLwipsNetifs) {
    const auto all = usocket::if_nameindex();
    bool loopback = false, hub = false;
    for (const auto& i : all) {
        EXPECT_EQ(usocket::if_nametoindex(i.name), i.index) << i.name;
        EXPECT_EQ(usocket::if_indextoname(i.index), i.name) << i.index;
        loopback = loopback || i.name.rfind("lo", 0) == 0;
        hub = hub || i.name.rfind("hb", 0) == 0;
    }
    EXPECT_TRUE(loopback) << "lwIP's loopback netif";
    EXPECT_TRUE(hub) << "the netif attached to usocket-netsim";
    EXPECT_EQ(usocket::if_nametoindex("lo"), usocket::if_nametoindex("lo0"));  // two letters: number 0
    std::error_code ec;
    EXPECT_EQ(usocket::if_nametoindex("eth0", ec), 0u);
    EXPECT_EQ(ec, std::errc::no_such_device);
    ec.clear();
    (void)usocket::if_indextoname(0, ec);
    EXPECT_EQ(ec, std::errc::no_such_device_or_address);
    ec.clear();
    (void)usocket::if_indextoname(200, ec);
    EXPECT_EQ(ec, std::errc::no_such_device_or_address);
}

TEST(LwipBackend, RecvmsgGivesIpPktinfoWhenAsked) {
    const usocket::option_level ip{IPPROTO_IP};
    const usocket::option_name pktinfo{IP_PKTINFO};
    usocket::socket a(usocket::af_inet, usocket::sock_dgram), b(usocket::af_inet, usocket::sock_dgram);
    a.bind(usocket::address("127.0.0.1", 0));
    b.bind(usocket::address("127.0.0.1", 0));
    b.settimeout(5s);
    const std::size_t room = usocket::cmsg_space(sizeof(in_pktinfo));
    (void)a.sendto("not asked", b.getsockname());
    const auto plain = b.recvmsg(64, room);
    EXPECT_EQ(plain.data, "not asked");
    EXPECT_TRUE(plain.ancillary.empty());

    b.setsockopt(ip, pktinfo, 1);
    (void)a.sendto("where to?", b.getsockname());
    const auto m = b.recvmsg(64, room);
    EXPECT_EQ(m.data, "where to?");
    EXPECT_EQ(m.from, a.getsockname());
    const auto* item = m.find(ip, pktinfo);
    ASSERT_NE(item, nullptr);
    ASSERT_EQ(item->data.size(), sizeof(in_pktinfo));
    in_pktinfo info{};
    std::memcpy(&info, item->data.data(), sizeof info);
    EXPECT_EQ(info.ipi_ifindex, usocket::if_nametoindex("lo0"));
    const auto* to = reinterpret_cast<const unsigned char*>(&info.ipi_addr);
    EXPECT_EQ(std::string(to, to + 4), std::string("\x7f\x00\x00\x01", 4));

    (void)a.sendto("no room", b.getsockname());
    const auto cut = b.recvmsg(64, room - 1);
    EXPECT_EQ(cut.data, "no room");
    EXPECT_TRUE(cut.ancillary.empty());
    EXPECT_TRUE(has_any(cut.flags, usocket::msg_ctrunc));
}

TEST(LwipBackend, WhatLwipCannotDoFailsAsUnsupportedAndChangesNothing) {
    std::error_code ec;
    usocket::sethostname("board", ec);  // lwIP's stack has no host name
    EXPECT_EQ(ec, std::errc::operation_not_supported) << ec.message();
    EXPECT_THROW(usocket::sethostname("board"), usocket::os_error);

    // Ancillary data to send: lwip_sendmsg() would drop it silently; the backend refuses the
    // message and sends nothing.
    usocket::socket a(usocket::af_inet, usocket::sock_dgram), b(usocket::af_inet, usocket::sock_dgram);
    b.bind(usocket::address("127.0.0.1", 0));
    b.setblocking(false);
    const int one = 1;
    const std::array<usocket::control_message, 1> anc{usocket::control_message{
        usocket::option_level{IPPROTO_IP}, usocket::option_name{IP_PKTINFO}, {&one, sizeof one}}};
    const std::array<usocket::const_buffer, 1> out{"x"};
    ec.clear();
    EXPECT_EQ(a.sendmsg(out, anc, {}, b.getsockname(), ec), 0u);
    EXPECT_EQ(ec, std::errc::operation_not_supported) << ec.message();
    ec.clear();
    (void)b.recv(16, ec);
    EXPECT_TRUE(usocket::is_would_block(ec)) << "nothing was sent: " << ec.message();
    EXPECT_EQ(a.sendmsg(out, {}, {}, b.getsockname()), 1u);  // the same message without it goes
    b.settimeout(5s);
    EXPECT_EQ(b.recv(16), "x");

    // No kernel sendfile to an lwIP socket: the kernel method is unsupported and sends nothing;
    // the automatic one reads the file and sends it.
    const std::string path = env().dir() + "/sendfile.txt";
    std::FILE* f = std::fopen(path.c_str(), "wb+");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite("over lwIP", 1, 9, f), 9u);
    ASSERT_EQ(std::fflush(f), 0);
    auto [c, d] = usocket::socketpair();
    ec.clear();
    EXPECT_EQ(c.sendfile(::fileno(f), 0, 0, usocket::sendfile_method::kernel, ec), 0u);
    EXPECT_EQ(ec, usocket::errc::unsupported) << ec.message();
    EXPECT_EQ(c.sendfile(::fileno(f)), 9u);
    std::fclose(f);
    c.shutdown(usocket::shut_wr);
    d.settimeout(5s);
    std::string got;
    for (int i = 0; i < 100; ++i) {
        const std::string piece = d.recv(64);
        if (piece.empty()) break;
        got += piece;
    }
    EXPECT_EQ(got, "over lwIP");
}

TEST(LwipBackend, PrintPcbsShowsStatesAddressesAndQueuedBytes) {
    usocket::socket l(usocket::af_inet, usocket::sock_stream);
    l.bind(usocket::address("127.0.0.1", 0));
    l.listen();
    usocket::socket c(usocket::af_inet, usocket::sock_stream);
    c.connect(l.getsockname());
    auto [s, peer] = l.accept();
    usocket::socket u(usocket::af_inet, usocket::sock_dgram);
    u.bind(usocket::address("127.0.0.1", 0));
    c.sendall(std::string(1000, 'q'));  // nobody reads it: it waits at s
    const std::string all = pcbs();
    EXPECT_NE(pcb_line(all, l.fileno()).find("proto=tcp state=LISTEN laddr=" + l.getsockname().to_string()),
              std::string::npos) << all;
    const std::string sl = pcb_line(all, s.fileno());
    EXPECT_NE(sl.find("state=ESTABLISHED laddr=" + s.getsockname().to_string() + " raddr=" + c.getsockname().to_string()),
              std::string::npos) << all;
    EXPECT_NE(sl.find("recv_queued=1000"), std::string::npos) << all;
    EXPECT_NE(pcb_line(all, c.fileno()).find("send_queued=0"), std::string::npos) << all;  // acknowledged
    EXPECT_NE(pcb_line(all, u.fileno()).find("proto=udp laddr=" + u.getsockname().to_string()), std::string::npos)
        << all;
    EXPECT_EQ(s.recv(2000).size(), 1000u);
    EXPECT_NE(pcb_line(pcbs(), s.fileno()).find("recv_queued=0"), std::string::npos);
}

TEST(LwipBackend, ResetAbortsEveryConnectionAndWakesBlockedCalls) {
    child peer = env().start_peer(USOCKET_PEER, 2, {"hold"});
    const int port = static_cast<int>(field(read_line(peer, "READY", 30s), "port"));
    ASSERT_GT(port, 0);
    usocket::socket remote(usocket::af_inet, usocket::sock_stream);
    remote.settimeout(10s);
    remote.connect(v4(2), port);
    auto [a, b] = usocket::socketpair();
    std::error_code blocked_ec;
    std::atomic<bool> returned{false};
    std::thread blocked([&, &b = b] {
        (void)b.recv(16, blocked_ec);
        returned = true;
    });
    std::this_thread::sleep_for(200ms);
    ASSERT_FALSE(returned.load());
    EXPECT_NE(pcbs().find("state=ESTABLISHED"), std::string::npos);
    const auto t0 = std::chrono::steady_clock::now();
    usocket::reset();
    blocked.join();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    EXPECT_EQ(blocked_ec, std::errc::connection_aborted) << blocked_ec.message();
    // Each peer got a reset: the one in the other process too.
    EXPECT_NE(read_line(peer, "RESULT", 30s).find("errno=" + std::to_string(ECONNRESET)), std::string::npos);
    EXPECT_EQ(pcbs().find("state=ESTABLISHED"), std::string::npos) << pcbs();
    EXPECT_TRUE(a.is_open()) << "reset() leaves the descriptors to their objects";
    std::error_code ec;
    (void)a.send("x", ec);
    EXPECT_TRUE(ec);
    // The stack works on: a new connection to the peer's hub address.
    usocket::socket again(usocket::af_inet, usocket::sock_stream);
    again.settimeout(10s);
    again.connect(v4(2), 9, ec);  // refused: the interface came back and answers
    EXPECT_EQ(ec, std::errc::connection_refused) << ec.message();
    close_input(peer);
    EXPECT_EQ(wait_exit(peer, 20s), 0);
}

std::atomic<int> checks{0};
std::atomic<int> give_up_after{0};
bool counting_check() noexcept { return ++checks >= give_up_after.load(); }

TEST(LwipBackend, BlockingCallsRunTheInterruptCheckEverySlice) {
    auto [a, b] = usocket::socketpair();
    checks = 0;
    give_up_after = 4;  // what a raising Ctrl-C handler does, on the fourth look
    usocket::set_interrupt_check(counting_check);
    std::error_code ec;
    const auto t0 = std::chrono::steady_clock::now();
    (void)b.recv(16, ec);  // blocking: nothing comes
    const auto took = std::chrono::steady_clock::now() - t0;
    usocket::set_interrupt_check(nullptr);
    EXPECT_TRUE(usocket::is_interrupted(ec)) << ec.message();
    EXPECT_EQ(checks.load(), 4);
    EXPECT_GE(took, 150ms);  // four slices of 50 ms
    EXPECT_LT(took, 2s);
}

TEST(LwipBackend, BothWindowsAtZeroInOneProcessDoNotStopIt) {
    // lwIP 2.1.3 delivering loopback itself spins forever here (tests/lwip/loopback_probe.c);
    // the backend's loopback (src/lwip/loopback.cpp) keeps the process going.
    auto [a, b] = usocket::socketpair();
    a.setblocking(false);
    b.setblocking(false);
    const std::string chunk(4096, 'w');
    std::size_t sent_a = 0, sent_b = 0;
    for (int quiet = 0, i = 0; quiet < 3 && i < 1000; ++i) {
        std::error_code ea, eb;
        const std::size_t na = a.send(chunk, ea), nb = b.send(chunk, eb);
        sent_a += na;
        sent_b += nb;
        if (na == 0 && nb == 0) {
            ++quiet;
            std::this_thread::sleep_for(50ms);
        } else {
            quiet = 0;
        }
    }
    ASSERT_GT(sent_a, 0u);
    std::this_thread::sleep_for(300ms);  // long enough for window probes and their answers
    const auto t0 = std::chrono::steady_clock::now();
    auto [c, d] = usocket::socketpair();  // the stack still serves other connections
    c.sendall("still here");
    EXPECT_EQ(d.recv(16), "still here");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
    a.settimeout(10s);
    b.settimeout(10s);
    std::size_t got_a = 0, got_b = 0;
    std::thread reader([&, &a = a] {
        while (got_a < sent_b) got_a += a.recv(65536).size();
    });
    while (got_b < sent_a) got_b += b.recv(65536).size();
    reader.join();
    EXPECT_EQ(got_a, sent_b);
    EXPECT_EQ(got_b, sent_a);
}

TEST(LwipBackend, AMissingHubIsUnreachableAndNamed) {
    const std::string missing = env().dir() + "/no-hub-here";
    child p = spawn({USOCKET_PEER, "open"}, {"USOCKET_LWIP_NET=" + missing, "USOCKET_LWIP_ADDR=10.77.0.9/24"},
                    env().dir() + "/open.log");
    const std::string line = read_line(p, "OPEN", 30s);
    EXPECT_EQ(field(line, "errno"), ENETUNREACH) << line;
    EXPECT_NE(line.find(missing), std::string::npos) << line;
    EXPECT_EQ(wait_exit(p, 20s), 0);
}

}  // namespace
}  // namespace lwip_test

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::AddGlobalTestEnvironment(new lwip_test::hub_environment({"--seed", "1"}));
    return RUN_ALL_TESTS();
}
