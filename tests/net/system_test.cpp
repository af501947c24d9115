// Module-level functions about the system: interface names and indexes, close(fd), and
// sethostname's argument check (every call that reaches the system runs only in a private UTS
// namespace: tests/uts/). UDP-Lite sockets and their options on loopback.

#include <fcntl.h>
#include <net/if.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <string>

#include "test_support.hpp"

namespace {

class system_test : public usocket_test::fd_leak_check {};

TEST_F(system_test, the_loopback_interface_by_name_and_index) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Linux's interface \"lo\" and the kernel's if_nametoindex(); lwIP's loopback is \"lo0\"";
#endif
    const auto all = usocket::if_nameindex();
    const auto lo = std::find_if(all.begin(), all.end(), [](const auto& i) { return i.name == "lo"; });
    ASSERT_NE(lo, all.end());
    EXPECT_EQ(lo->index, ::if_nametoindex("lo"));
    EXPECT_EQ(usocket::if_nametoindex("lo"), lo->index);
    EXPECT_EQ(usocket::if_indextoname(lo->index), "lo");
    for (const auto& i : all) {
        EXPECT_GT(i.index, 0u);
        EXPECT_EQ(usocket::if_indextoname(i.index), i.name);
    }
}

TEST_F(system_test, unknown_interfaces_are_os_errors) {
    std::error_code ec;
    EXPECT_EQ(usocket::if_nametoindex("_DEADBEEF", ec), 0u);
    EXPECT_EQ(ec, std::errc::no_such_device);
    EXPECT_THROW((void)usocket::if_nametoindex("_DEADBEEF"), usocket::os_error);
    EXPECT_EQ(usocket::if_nametoindex(std::string(300, 'x'), ec), 0u);
    EXPECT_EQ(ec, std::errc::no_such_device) << "a name longer than any interface's";
    EXPECT_EQ(usocket::if_nametoindex("", ec), 0u);
    EXPECT_TRUE(ec);
    EXPECT_EQ(usocket::if_indextoname(0, ec), "");
    EXPECT_EQ(ec, std::errc::no_such_device_or_address);
    EXPECT_THROW((void)usocket::if_indextoname(0xffffffffu), usocket::os_error);
}

TEST_F(system_test, a_name_with_a_nul_is_a_value_error) {
    using namespace std::string_view_literals;
    std::error_code ec;
    EXPECT_EQ(usocket::if_nametoindex("lo\0x"sv, ec), 0u);
    EXPECT_EQ(ec, usocket::errc::invalid_argument);
    EXPECT_THROW((void)usocket::if_nametoindex("lo\0"sv), usocket::value_error);
    EXPECT_THROW(usocket::sethostname("a\0b"sv), usocket::value_error);
}

TEST_F(system_test, close_closes_a_descriptor_by_number) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "checks the descriptor with fcntl(); lwIP descriptors are not the kernel's";
#endif
    usocket::socket s(usocket::af_inet, usocket::sock_stream);
    const auto fd = s.detach();
    ASSERT_GE(::fcntl(fd, F_GETFD), 0);
    usocket::close(fd);
    EXPECT_LT(::fcntl(fd, F_GETFD), 0);
    std::error_code ec;
    usocket::close(fd, ec);
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    EXPECT_THROW(usocket::close(-1), usocket::os_error);
}

// --- UDP-Lite ----------------------------------------------------------------------------------

class udplite_test : public usocket_test::fd_leak_check, public ::testing::WithParamInterface<usocket::address_family> {
};

TEST_P(udplite_test, datagrams_and_checksum_coverage) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "UDP-Lite's checksum coverage options; lwIP has no UDPLITE_*_CSCOV";
#else
    const auto family = GetParam();
    if (family == usocket::af_inet6 && !usocket::has_ipv6()) GTEST_SKIP() << "no IPv6";
    std::error_code ec;
    auto a = usocket::socket::open(family, usocket::sock_dgram, usocket::ipproto_udplite, ec);
    if (ec == std::errc::protocol_not_supported) GTEST_SKIP() << "the kernel has no UDP-Lite";
    ASSERT_FALSE(ec) << ec.message();
    usocket::socket b(family, usocket::sock_dgram, usocket::ipproto_udplite);
    EXPECT_EQ(b.proto(), usocket::ipproto_udplite);
    const char* host = family == usocket::af_inet ? "127.0.0.1" : "::1";
    a.bind(host, 0);
    b.bind(host, 0);
    a.setsockopt(usocket::ipproto_udplite, usocket::udplite_send_cscov, 20);
    b.setsockopt(usocket::ipproto_udplite, usocket::udplite_recv_cscov, 20);
    EXPECT_EQ(a.getsockopt(usocket::ipproto_udplite, usocket::udplite_send_cscov), 20);
    EXPECT_EQ(b.getsockopt(usocket::ipproto_udplite, usocket::udplite_recv_cscov), 20);
    EXPECT_EQ(a.sendto("lite", b.getsockname()), 4u);
    const auto [data, from] = b.recvfrom(16);
    EXPECT_EQ(data, "lite");
    EXPECT_EQ(from, a.getsockname());
    const std::array<usocket::const_buffer, 2> out{"by ", "sendmsg"};
    EXPECT_EQ(a.sendmsg(out, {}, {}, b.getsockname()), 10u);
    EXPECT_EQ(b.recvmsg(16).data, "by sendmsg");
    // A receiver asking for more coverage than the sender gives drops the datagram (one longer
    // than the coverage: a shorter one is covered whole).
    b.setsockopt(usocket::ipproto_udplite, usocket::udplite_recv_cscov, 100);
    (void)a.sendto(std::string(200, 'd'), b.getsockname());
    b.settimeout(std::chrono::milliseconds(100));
    EXPECT_THROW((void)b.recv(16), usocket::timeout_error);
#endif
}

INSTANTIATE_TEST_SUITE_P(families, udplite_test, ::testing::Values(usocket::af_inet, usocket::af_inet6),
                         [](const auto& param_info) { return param_info.param == usocket::af_inet ? "ipv4" : "ipv6"; });

}  // namespace
