// usocket::address: every form the documents use, text parsing and printing, comparison,
// hashing, and CPython's resolution of (host, port) for socket methods.

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <unordered_set>
#include <usocket/usocket.hpp>
#include <vector>

namespace {

using usocket::address;
using usocket::errc;

std::error_code parse_error(std::string_view text) {
    std::error_code ec;
    (void)address::parse(text, ec);
    return ec;
}

TEST(address_forms, host_port_pair) {
    const address a("192.168.1.10", 8080);
    EXPECT_EQ(a.family(), usocket::af_inet);
    EXPECT_EQ(a.host(), "192.168.1.10");
    EXPECT_EQ(a.port(), 8080);
    const address b("::1", 80);
    EXPECT_EQ(b.family(), usocket::af_inet6);
    EXPECT_EQ(b.host(), "::1");
    EXPECT_EQ(b.port(), 80);
}

TEST(address_forms, ipv6_four_tuple) {
    const address a("fe80::1", 443, 0x12345, 7);
    EXPECT_EQ(a.family(), usocket::af_inet6);
    EXPECT_EQ(a.port(), 443);
    EXPECT_EQ(a.flowinfo(), 0x12345u);
    EXPECT_EQ(a.scope_id(), 7u);
    EXPECT_EQ(a, address::ipv6("fe80::1", 443, 0x12345, 7));
    // flowinfo is 20 bits, as CPython's OverflowError.
    std::error_code ec;
    (void)address::ipv6("::1", 1, 0x100000, 0, ec);
    EXPECT_EQ(ec, errc::invalid_argument);
    EXPECT_THROW((void)address("127.0.0.1", 80, 0, 0), usocket::value_error);  // an IPv4 host in the IPv6 form
}

TEST(address_forms, seed_002_forms) {
    // "192.168.1.10", (192,168,1,10), ("192.168.1.10", 8080), (192,168,1,10,8080).
    EXPECT_EQ(address::ipv4("192.168.1.10"), address("192.168.1.10", 0));
    EXPECT_EQ(address::ipv4({192, 168, 1, 10}), address("192.168.1.10", 0));
    EXPECT_EQ(address::ipv4({192, 168, 1, 10}, 8080), address("192.168.1.10", 8080));
    const std::vector<int> four{192, 168, 1, 10}, five{192, 168, 1, 10, 8080};
    EXPECT_EQ(address::from_octets(four), address("192.168.1.10", 0));
    EXPECT_EQ(address::from_octets(five), address("192.168.1.10", 8080));
    EXPECT_EQ(address::parse("192.168.1.10"), address("192.168.1.10", 0));

    std::error_code ec;
    const std::vector<int> three{1, 2, 3}, six{1, 2, 3, 4, 5, 6}, bad_octet{1, 2, 256, 4}, bad_port{1, 2, 3, 4, 65536};
    (void)address::from_octets(three, ec);
    EXPECT_EQ(ec, errc::bad_address);
    ec.clear();
    (void)address::from_octets(six, ec);
    EXPECT_EQ(ec, errc::bad_address);
    ec.clear();
    (void)address::from_octets(bad_octet, ec);
    EXPECT_EQ(ec, errc::bad_address);
    ec.clear();
    (void)address::from_octets(bad_port, ec);
    EXPECT_EQ(ec, errc::port_out_of_range);
    ec.clear();
    (void)address::ipv4({-1, 0, 0, 0}, 0, ec);
    EXPECT_EQ(ec, errc::bad_address);
}

TEST(address_forms, bare_port_binds_the_wildcard) {
    EXPECT_EQ(address::any(usocket::af_inet, 80).to_string(), "0.0.0.0:80");
    EXPECT_EQ(address::any(usocket::af_inet6, 80).to_string(), "[::]:80");
    EXPECT_EQ(address::ipv4("", 80), address::any(usocket::af_inet, 80));
    std::error_code ec;
    (void)address::any(usocket::af_unix, 80, ec);
    EXPECT_EQ(ec, errc::address_family_mismatch);
    EXPECT_EQ(address::loopback(usocket::af_inet6, 5).to_string(), "[::1]:5");
}

TEST(address_forms, unix_paths_and_abstract_names) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix addresses; lwIP has none";
#endif
    const address p = address::unix_path("/tmp/sock");
    EXPECT_EQ(p.family(), usocket::af_unix);
    EXPECT_EQ(p.path(), "/tmp/sock");
    EXPECT_FALSE(p.is_abstract());
    EXPECT_EQ(p.port(), 0);
    const address a = address::unix_path(std::string_view("\0name", 5));
    EXPECT_TRUE(a.is_abstract());
    EXPECT_EQ(a.path(), std::string("\0name", 5));
    EXPECT_EQ(a.to_string(), "@name");
    // 108 bytes: a path needs its NUL, an abstract name does not.
    std::error_code ec;
    (void)address::unix_path(std::string(108, 'x'), ec);
    EXPECT_EQ(ec, errc::bad_address);
    ec.clear();
    (void)address::unix_path(std::string(107, 'x'), ec);
    EXPECT_FALSE(ec);
    (void)address::unix_path(std::string(1, '\0') + std::string(107, 'x'), ec);
    EXPECT_FALSE(ec);
    // As CPython, a path with a NUL is taken whole; the kernel stops at the NUL.
    const address nul = address::unix_path(std::string("/a\0b", 4), ec);
    EXPECT_FALSE(ec);
    EXPECT_EQ(nul.path(), "/a");
}

TEST(address_forms, with_port_keeps_scope_and_flow) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix addresses; lwIP has none";
#endif
    const address a = address::ipv6("fe80::1", 1, 9, 3).with_port(2);
    EXPECT_EQ(a.port(), 2);
    EXPECT_EQ(a.flowinfo(), 9u);
    EXPECT_EQ(a.scope_id(), 3u);
    EXPECT_EQ(address::ipv4("10.0.0.1", 1).with_port(65535).port(), 65535);
    std::error_code ec;
    (void)address::ipv4("10.0.0.1", 1).with_port(65536, ec);
    EXPECT_EQ(ec, errc::port_out_of_range);
    ec.clear();
    (void)address::unix_path("/x").with_port(1, ec);
    EXPECT_EQ(ec, errc::address_family_mismatch);
}

TEST(address_parse, accepted_forms) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Linux's interface name \"lo\" and Unix addresses; lwIP's loopback is \"lo0\" and it has no Unix sockets";
#endif
    EXPECT_EQ(address::parse("127.0.0.1:5005"), address("127.0.0.1", 5005));
    EXPECT_EQ(address::parse("[::1]:80"), address("::1", 80));
    EXPECT_EQ(address::parse("[::1]"), address("::1", 0));
    EXPECT_EQ(address::parse("::1"), address("::1", 0));
    EXPECT_EQ(address::parse("[fe80::1%2]:80"), address::ipv6("fe80::1", 80, 0, 2));
    EXPECT_EQ(address::parse("[fe80::1%lo]:80").scope_id(), 1u);  // lo is interface 1 on Linux
    EXPECT_EQ(address::parse("/tmp/sock"), address::unix_path("/tmp/sock"));
    EXPECT_EQ(address::parse("./sock"), address::unix_path("./sock"));
    EXPECT_EQ(address::parse("@abstract"), address::unix_path(std::string_view("\0abstract", 9)));
    EXPECT_EQ(address::parse("1.2.3.4:0065535"), address("1.2.3.4", 65535));  // leading zeros are digits
    EXPECT_EQ(address::parse("[::ffff:1.2.3.4]:9").host(), "::ffff:1.2.3.4");
}

TEST(address_parse, rejected_forms_say_why) {
    EXPECT_EQ(parse_error(""), errc::bad_address);
    EXPECT_EQ(parse_error("localhost:80"), errc::bad_address);  // names are not parsed
    EXPECT_EQ(parse_error("127.0.0.1:"), errc::bad_address);
    EXPECT_EQ(parse_error("127.0.0.1:http"), errc::bad_address);
    EXPECT_EQ(parse_error("127.0.0.1:-1"), errc::bad_address);
    EXPECT_EQ(parse_error("127.0.0.1:+80"), errc::bad_address);
    EXPECT_EQ(parse_error("127.0.0.1:65536"), errc::port_out_of_range);
    EXPECT_EQ(parse_error("127.0.0.1:99999999999999999999"), errc::port_out_of_range);
    EXPECT_EQ(parse_error(":80"), errc::bad_address);
    EXPECT_EQ(parse_error("[::1]:"), errc::bad_address);
    EXPECT_EQ(parse_error("[::1]:65536"), errc::port_out_of_range);
    EXPECT_EQ(parse_error("[::1]80"), errc::bad_address);
    EXPECT_EQ(parse_error("[::1"), errc::bad_address);
    EXPECT_EQ(parse_error("[]:80"), errc::bad_address);
    EXPECT_EQ(parse_error("[127.0.0.1]:80"), errc::bad_address);
    EXPECT_EQ(parse_error("[fe80::1%]:80"), errc::bad_address);
    EXPECT_EQ(parse_error("[fe80::1%no-such-if0]:80"), errc::bad_address);
    EXPECT_EQ(parse_error("127.1"), errc::bad_address);  // strict dotted quad here (inet_aton is separate)
    EXPECT_EQ(parse_error("1.2.3.4 "), errc::bad_address);
    EXPECT_EQ(parse_error(std::string_view("1.2.3.4\0junk", 12)), errc::bad_address);
    EXPECT_EQ(parse_error(std::string_view("1.2.3.4\0:80", 11)), errc::bad_address);
    // The kernel reads a filesystem path up to its first NUL: such text names another path.
    EXPECT_EQ(parse_error(std::string_view("/tmp/a\0b", 8)), errc::bad_address);
    EXPECT_EQ(parse_error(std::string_view("x\0\0y/sock", 10)), errc::bad_address);
    EXPECT_EQ(parse_error("@" + std::string(108, 'x')), errc::bad_address);
}

TEST(address_print, to_string_and_stream) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Linux's interface name \"lo\" and Unix addresses; lwIP's loopback is \"lo0\" and it has no Unix sockets";
#endif
    EXPECT_EQ(address("10.1.2.3", 7).to_string(), "10.1.2.3:7");
    EXPECT_EQ(address("2001:db8::1", 443).to_string(), "[2001:db8::1]:443");
    EXPECT_EQ(address::ipv6("::1", 1, 0, 5).to_string(), "[::1%5]:1");  // any scope is shown
    EXPECT_EQ(address::ipv6("fe80::1", 1, 0, 1).to_string(), "[fe80::1%lo]:1");
    EXPECT_EQ(address::ipv6("fe80::1", 1, 0, 1).host(), "fe80::1%lo");  // as getnameinfo
    EXPECT_EQ(address::ipv6("::1", 1, 0, 5).host(), "::1");
    EXPECT_EQ(address().to_string(), "");
    std::ostringstream os;
    os << address("127.0.0.1", 80) << ' ' << address::parse("@x");
    EXPECT_EQ(os.str(), "127.0.0.1:80 @x");
}

TEST(address_print, parse_gives_back_what_to_string_printed) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix addresses; lwIP has none";
#endif
    const std::vector<address> all{
        address("0.0.0.0", 0),           address("255.255.255.255", 65535), address("::", 0),
        address("::ffff:10.0.0.1", 1),   address::ipv6("fe80::1", 8, 0, 1),   address::ipv6("2001:db8::", 9, 0, 77),
        address::unix_path("/tmp/a b"), address::parse("@abs\x01name"),
    };
    for (const auto& a : all) {
        std::error_code ec;
        const address b = address::parse(a.to_string(), ec);
        EXPECT_FALSE(ec) << a.to_string();
        EXPECT_EQ(a, b) << a.to_string();
    }
}

TEST(address_compare, by_meaning_not_by_padding) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix addresses; lwIP has none";
#endif
    // A kernel-reported Unix address counts the terminating NUL in its size; same address.
    address with_nul = address::unix_path("/tmp/x");
    with_nul.resize(with_nul.size() + 1);  // the byte after the path is the zeroed NUL
    EXPECT_EQ(with_nul, address::unix_path("/tmp/x"));
    EXPECT_EQ(std::hash<address>{}(with_nul), std::hash<address>{}(address::unix_path("/tmp/x")));
    // Garbage in sin_zero does not count either.
    address padded("1.2.3.4", 5);
    static_cast<unsigned char*>(padded.data())[padded.size() - 1] = 0xAA;
    EXPECT_EQ(padded, address("1.2.3.4", 5));
    EXPECT_EQ(std::hash<address>{}(padded), std::hash<address>{}(address("1.2.3.4", 5)));
}

TEST(address_compare, ordering_is_numeric_and_total) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix addresses; lwIP has none";
#endif
    EXPECT_LT(address("9.0.0.0", 1), address("10.0.0.0", 1));  // bytes, not text
    EXPECT_LT(address("10.0.0.1", 1), address("10.0.0.1", 2));
    EXPECT_LT(address("10.0.0.1", 65535), address("10.0.0.2", 0));
    EXPECT_NE(address::ipv6("::1", 1, 0, 1), address::ipv6("::1", 1, 0, 2));
    EXPECT_NE(address::ipv6("::1", 1, 1, 0), address::ipv6("::1", 1, 0, 0));
    EXPECT_NE(address("127.0.0.1", 1), address("::ffff:127.0.0.1", 1));
    const std::set<address> s{address("10.0.0.2", 0), address("10.0.0.1", 0), address("::1", 0),
                              address::unix_path("/b"), address::unix_path("/a"), address("10.0.0.1", 0)};
    EXPECT_EQ(s.size(), 5u);
    std::unordered_set<address> h(s.begin(), s.end());
    h.insert(address("10.0.0.1", 0));
    EXPECT_EQ(h.size(), 5u);
    EXPECT_TRUE(h.count(address::parse("/a")));
}

TEST(address_compare, empty_address) {
    const address e;
    EXPECT_TRUE(e.empty());
    EXPECT_EQ(e.family(), usocket::af_unspec);
    EXPECT_EQ(e, address());
    EXPECT_NE(e, address("0.0.0.0", 0));
    EXPECT_EQ(address::from_native(nullptr, 0), e);
}

// --- CPython's setipaddr() for socket methods: resolve_address() ----------------------------

TEST(address_resolve, numeric_special_and_local_names) {
    using usocket::resolve_address;
    EXPECT_EQ(resolve_address("127.0.0.1", 80, usocket::af_inet), address("127.0.0.1", 80));
    EXPECT_EQ(resolve_address("::1", 80, usocket::af_inet6), address("::1", 80));
    EXPECT_EQ(resolve_address("::1", 80, usocket::af_unspec), address("::1", 80));
    EXPECT_EQ(resolve_address("", 80, usocket::af_inet), address("0.0.0.0", 80));
    EXPECT_EQ(resolve_address("", 80, usocket::af_inet6), address("::", 80));
    EXPECT_EQ(resolve_address("<broadcast>", 9, usocket::af_inet), address("255.255.255.255", 9));
    // Forms inet_pton refuses go to getaddrinfo, which accepts them as CPython does.
    EXPECT_EQ(resolve_address("127.1", 80, usocket::af_inet), address("127.0.0.1", 80));
    EXPECT_EQ(resolve_address("localhost", 80, usocket::af_inet), address("127.0.0.1", 80));
    EXPECT_EQ(resolve_address("fe80::1%lo", 80, usocket::af_inet6), address::ipv6("fe80::1", 80, 0, 1));
}

TEST(address_resolve, failures) {
    using usocket::resolve_address;
    std::error_code ec;
    (void)resolve_address("127.0.0.1", 65536, usocket::af_inet, ec);
    EXPECT_EQ(ec, errc::port_out_of_range);
    ec.clear();
    (void)resolve_address("127.0.0.1", -1, usocket::af_inet, ec);
    EXPECT_EQ(ec, errc::port_out_of_range);
    ec.clear();
    (void)resolve_address("127.0.0.1", 1, usocket::af_unix, ec);
    EXPECT_EQ(ec, errc::address_family_mismatch);
    ec.clear();
    (void)resolve_address("<broadcast>", 1, usocket::af_inet6, ec);
    EXPECT_EQ(ec, errc::address_family_mismatch);
    ec.clear();
    (void)resolve_address(std::string_view("127.0.0.1\0x", 11), 1, usocket::af_inet, ec);
    EXPECT_EQ(ec, errc::invalid_argument);
    ec.clear();
    (void)resolve_address("::1", 1, usocket::af_inet, ec);  // an IPv6 literal for an IPv4 socket
    EXPECT_EQ(ec.category(), usocket::gai_category());
    EXPECT_LT(ec.value(), 0);
    EXPECT_THROW((void)resolve_address("::1", 1, usocket::af_inet), usocket::gaierror);
}

}  // namespace
