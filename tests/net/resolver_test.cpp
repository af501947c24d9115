// Module-level names: getaddrinfo (plain and with a deadline), getnameinfo, the legacy host
// calls, services, protocols, inet_* and byte order. Only names this machine resolves with no
// network: numeric hosts, localhost (/etc/hosts), /etc/services and /etc/protocols. The timed
// resolver is pointed at a silent DNS server on loopback to show that the deadline holds.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "resolver_fake_dns.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using usocket::addrinfo;
using usocket::address;
using usocket::errc;
using usocket_test::seconds_since;

class resolver : public usocket_test::fd_leak_check {};

std::error_code gai(int code) { return {code, usocket::gai_category()}; }

bool contains(const std::vector<addrinfo>& list, int family, int type, const address& a) {
    return std::any_of(list.begin(), list.end(), [&](const addrinfo& ai) {
        return ai.family == family && ai.type == type && ai.sockaddr == a;
    });
}

// --- getaddrinfo ---------------------------------------------------------------------------

TEST_F(resolver, getaddrinfo_localhost_with_a_port_number) {
    const auto list = usocket::getaddrinfo("localhost", 80, usocket::af_inet, usocket::sock_stream);
    ASSERT_FALSE(list.empty());
    EXPECT_EQ(list.front().family, usocket::af_inet);
    EXPECT_EQ(list.front().type, usocket::sock_stream);
    EXPECT_EQ(list.front().proto, usocket::ipproto_tcp);
    EXPECT_EQ(list.front().canonname, "");
    EXPECT_EQ(list.front().sockaddr, address("127.0.0.1", 80));
}

TEST_F(resolver, getaddrinfo_forms_of_port) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "service names; lwIP has no services database (getservbyname)";
#endif
    // A service name from /etc/services, a number, a numeric string, none.
    EXPECT_EQ(usocket::getaddrinfo("127.0.0.1", "http", 0, usocket::sock_stream).front().sockaddr.port(), 80);
    EXPECT_EQ(usocket::getaddrinfo("127.0.0.1", 8080, 0, usocket::sock_stream).front().sockaddr.port(), 8080);
    EXPECT_EQ(usocket::getaddrinfo("127.0.0.1", "5005", 0, usocket::sock_stream).front().sockaddr.port(), 5005);
    EXPECT_EQ(usocket::getaddrinfo("127.0.0.1", std::nullopt, 0, usocket::sock_stream).front().sockaddr.port(), 0);
    const std::string service = "domain";
    EXPECT_EQ(usocket::getaddrinfo("127.0.0.1", service, 0, usocket::sock_dgram).front().sockaddr.port(), 53);
}

TEST_F(resolver, getaddrinfo_full_list_without_type) {
    // No type: one entry per socket type, as CPython shows on Linux.
    const auto list = usocket::getaddrinfo("127.0.0.1", 7);
    EXPECT_TRUE(contains(list, usocket::af_inet, usocket::sock_stream, address("127.0.0.1", 7)));
    EXPECT_TRUE(contains(list, usocket::af_inet, usocket::sock_dgram, address("127.0.0.1", 7)));
    EXPECT_GE(list.size(), 2u);
}

TEST_F(resolver, getaddrinfo_no_host_passive_and_not) {
    const auto passive = usocket::getaddrinfo(std::nullopt, 80, 0, usocket::sock_stream, 0, usocket::ai_passive);
    EXPECT_TRUE(contains(passive, usocket::af_inet, usocket::sock_stream, address("0.0.0.0", 80)));
    const auto loop = usocket::getaddrinfo(std::nullopt, 80, usocket::af_inet, usocket::sock_stream);
    EXPECT_TRUE(contains(loop, usocket::af_inet, usocket::sock_stream, address("127.0.0.1", 80)));
    const auto v6 = usocket::getaddrinfo(std::nullopt, 80, usocket::af_inet6, usocket::sock_stream, 0, usocket::ai_passive);
    EXPECT_TRUE(contains(v6, usocket::af_inet6, usocket::sock_stream, address("::", 80)));
}

TEST_F(resolver, getaddrinfo_flags) {
    const auto canon = usocket::getaddrinfo("localhost", std::nullopt, usocket::af_inet, usocket::sock_stream, 0,
                                            usocket::ai_canonname);
    ASSERT_FALSE(canon.empty());
    EXPECT_FALSE(canon.front().canonname.empty());
    // AI_NUMERICHOST: "127.1" is numeric (inet_aton's form), "localhost" is not.
    EXPECT_EQ(usocket::getaddrinfo("127.1", std::nullopt, 0, usocket::sock_stream, 0, usocket::ai_numerichost)
                  .front()
                  .sockaddr,
              address("127.0.0.1", 0));
    std::error_code ec;
    (void)usocket::getaddrinfo("localhost", std::nullopt, 0, usocket::sock_stream, 0, usocket::ai_numerichost, ec);
    EXPECT_EQ(ec, gai(usocket::eai_noname));
    EXPECT_EQ(usocket::getaddrinfo("::1", 1, usocket::af_inet6).front().sockaddr, address("::1", 1));
}

TEST_F(resolver, getaddrinfo_failures) {
    std::error_code ec;
    (void)usocket::getaddrinfo("localhost", "no-such-service", 0, usocket::sock_stream, 0, 0, ec);
    EXPECT_EQ(ec, gai(usocket::eai_service));
    ec.clear();
    (void)usocket::getaddrinfo("localhost", 80, usocket::address_family{12345}, 0, 0, 0, ec);
    EXPECT_EQ(ec, gai(usocket::eai_family));
    ec.clear();
#ifdef USOCKET_HAS_EAI_SOCKTYPE  // lwIP has no EAI_SOCKTYPE
    (void)usocket::getaddrinfo("localhost", 80, 0, usocket::socket_type{12345}, 0, 0, ec);
    EXPECT_EQ(ec, gai(usocket::eai_socktype));
    ec.clear();
#endif
    (void)usocket::getaddrinfo("localhost", 65536, 0, 0, 0, 0, ec);
    EXPECT_EQ(ec, errc::port_out_of_range);
    ec.clear();
    (void)usocket::getaddrinfo("localhost", -1, 0, 0, 0, 0, ec);
    EXPECT_EQ(ec, errc::port_out_of_range);
    ec.clear();
    (void)usocket::getaddrinfo(std::string_view("local\0host", 10), 80, 0, 0, 0, 0, ec);
    EXPECT_EQ(ec, errc::invalid_argument);
    ec.clear();
    // An unknown name through the system resolver: a gaierror with a negative code. Its 64-byte
    // label cannot be put in a DNS query, so the resolver refuses it without sending one (no
    // query leaves the machine). timed_lookup_of_an_unknown_name below checks EAI_NONAME
    // exactly, against a local server.
    (void)usocket::getaddrinfo(std::string(64, 'x') + ".invalid", 80, 0, 0, 0, 0, ec);
    EXPECT_EQ(ec.category(), usocket::gai_category());
    EXPECT_LT(ec.value(), 0);
    // The throwing forms raise gaierror, which is an os_error, and value_error.
    try {
        (void)usocket::getaddrinfo("localhost", "no-such-service");
        ADD_FAILURE() << "no exception";
    } catch (const usocket::gaierror& e) {
        EXPECT_EQ(e.code().value(), usocket::eai_service);
        EXPECT_LT(e.code().value(), 0);
    }
    EXPECT_THROW((void)usocket::getaddrinfo("localhost", "no-such-service"), usocket::os_error);
    EXPECT_THROW((void)usocket::getaddrinfo("localhost", 70000), usocket::value_error);
}

// --- getaddrinfo with a deadline -------------------------------------------------------------

using usocket_test::fake_dns;

TEST_F(resolver, timed_lookup_of_localhost_matches_the_system_resolver) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "the service \"http\"; lwIP has no services database (getservbyname)";
#endif
    const auto plain = usocket::getaddrinfo("localhost", 80);
    const auto timed = usocket::getaddrinfo("localhost", 80, 0, 0, 0, 0, 2s);
    EXPECT_EQ(plain, timed);
    const auto plain_canon = usocket::getaddrinfo("localhost", "http", usocket::af_inet, usocket::sock_stream, 0,
                                                  usocket::ai_canonname);
    const auto timed_canon = usocket::getaddrinfo("localhost", "http", usocket::af_inet, usocket::sock_stream, 0,
                                                  usocket::ai_canonname, 2s);
    EXPECT_EQ(plain_canon, timed_canon);
}

TEST_F(resolver, timed_lookup_needs_no_network_for_localhost_and_numbers) {
    fake_dns dns(fake_dns::mode::silent);
    const auto t0 = usocket_test::clock::now();
    // Numeric hosts answer even with no time at all.
    EXPECT_EQ(usocket::getaddrinfo("::1", 80, 0, usocket::sock_stream, 0, 0, 0s).front().sockaddr, address("::1", 80));
    EXPECT_EQ(usocket::getaddrinfo("127.1", 80, 0, usocket::sock_stream, 0, 0, 0s).front().sockaddr,
              address("127.0.0.1", 80));
    // localhost comes from the hosts file: no DNS query (with c-ares: not even any waiting).
    const auto local = usocket::getaddrinfo("localhost", 80, usocket::af_inet, usocket::sock_stream, 0, 0,
                                            dns.active() ? 0s : 2s);
    ASSERT_FALSE(local.empty());
    EXPECT_EQ(local.front().sockaddr, address("127.0.0.1", 80));
    EXPECT_LT(seconds_since(t0), 1.0);
    if (dns.active()) {
        EXPECT_EQ(dns.queries(), 0);
    }
}

TEST_F(resolver, timed_lookup_gives_up_at_the_deadline) {
    fake_dns dns(fake_dns::mode::silent);
    if (!dns.active()) GTEST_SKIP() << "built without c-ares: no DNS test configuration";
    const auto t0 = usocket_test::clock::now();
    std::error_code ec;
    const auto list = usocket::getaddrinfo("needs-dns.example", 80, 0, usocket::sock_stream, 0, 0, 500ms, ec);
    const double took = seconds_since(t0);
    EXPECT_TRUE(list.empty());
    EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
    EXPECT_GE(took, 0.4);
    EXPECT_LT(took, 3.0);
    EXPECT_GE(dns.queries(), 1);  // it did ask, and stopped waiting
    EXPECT_THROW((void)usocket::getaddrinfo("needs-dns.example", 80, 0, 0, 0, 0, 100ms), usocket::timeout_error);
}

TEST_F(resolver, timed_lookup_of_an_unknown_name) {
    fake_dns dns(fake_dns::mode::nxdomain);
    if (!dns.active()) GTEST_SKIP() << "built without c-ares: no DNS test configuration";
    const auto t0 = usocket_test::clock::now();
    std::error_code ec;
    (void)usocket::getaddrinfo("no-such-host.example", 80, 0, usocket::sock_stream, 0, 0, 5s, ec);
    EXPECT_EQ(ec, gai(usocket::eai_noname)) << ec.message();
    EXPECT_LT(seconds_since(t0), 2.0);
    try {
        (void)usocket::getaddrinfo("no-such-host.example", 80, 0, 0, 0, 0, 5s);
        ADD_FAILURE() << "no exception";
    } catch (const usocket::gaierror& e) {
        EXPECT_EQ(e.code().value(), usocket::eai_noname);
    }
}

TEST_F(resolver, timed_lookup_failures) {
    std::error_code ec;
    (void)usocket::getaddrinfo("localhost", 80, 0, 0, 0, 0, -1s, ec);
    EXPECT_EQ(ec, errc::invalid_timeout);
    ec.clear();
    (void)usocket::getaddrinfo("localhost", "no-such-service", 0, usocket::sock_stream, 0, 0, 1s, ec);
    EXPECT_EQ(ec, gai(usocket::eai_service));
    ec.clear();
    (void)usocket::getaddrinfo("localhost", 80, usocket::address_family{12345}, 0, 0, 0, 1s, ec);
    EXPECT_EQ(ec, gai(usocket::eai_family));
    ec.clear();
    (void)usocket::getaddrinfo("localhost", 65536, 0, 0, 0, 0, 1s, ec);
    EXPECT_EQ(ec, errc::port_out_of_range);
}

// --- getnameinfo and the legacy calls ------------------------------------------------------

TEST_F(resolver, getnameinfo_names_and_numbers) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "lwIP has no reverse lookups, no services database and no NI_* flags";
#else
    EXPECT_EQ(usocket::getnameinfo(address("127.0.0.1", 80)), (usocket::nameinfo{"localhost", "http"}));
    EXPECT_EQ(usocket::getnameinfo(address("127.0.0.1", 80), usocket::ni_numerichost | usocket::ni_numericserv),
              (usocket::nameinfo{"127.0.0.1", "80"}));
    EXPECT_EQ(usocket::getnameinfo(address("::1", 80), usocket::ni_numerichost).service, "http");
    EXPECT_EQ(usocket::getnameinfo(address("::1", 80), usocket::ni_numerichost).host, "::1");
    std::error_code ec;
    (void)usocket::getnameinfo(address::unix_path("/tmp/x"), 0, ec);
    EXPECT_EQ(ec, errc::bad_address);
    ec.clear();
    (void)usocket::getnameinfo(address("127.0.0.1", 80), usocket::nameinfo_flags{0x7fff0000}, ec);
    EXPECT_EQ(ec, gai(usocket::eai_badflags));
    EXPECT_THROW((void)usocket::getnameinfo(address("127.0.0.1", 80), usocket::nameinfo_flags{0x7fff0000}), usocket::gaierror);
#endif
}

TEST_F(resolver, gethostbyname_forms) {
    EXPECT_EQ(usocket::gethostbyname("localhost"), "127.0.0.1");
    EXPECT_EQ(usocket::gethostbyname("127.1"), "127.0.0.1");
    EXPECT_EQ(usocket::gethostbyname(""), "0.0.0.0");
    EXPECT_EQ(usocket::gethostbyname("<broadcast>"), "255.255.255.255");
    std::error_code ec;
    (void)usocket::gethostbyname("::1", ec);  // IPv4 only: CPython's gaierror -9
    EXPECT_EQ(ec.category(), usocket::gai_category());
    EXPECT_LT(ec.value(), 0);
    EXPECT_THROW((void)usocket::gethostbyname("::1"), usocket::gaierror);
}

TEST_F(resolver, gethostbyname_ex_and_gethostbyaddr) {
    const auto h = usocket::gethostbyname_ex("localhost");
    EXPECT_FALSE(h.name.empty());
    EXPECT_NE(std::find(h.addresses.begin(), h.addresses.end(), "127.0.0.1"), h.addresses.end());
    const auto n = usocket::gethostbyname_ex("127.0.0.1");
    EXPECT_EQ(n, (usocket::host_entry{"127.0.0.1", {}, {"127.0.0.1"}}));
    const auto r = usocket::gethostbyaddr("127.0.0.1");
    EXPECT_EQ(r.addresses, std::vector<std::string>{"127.0.0.1"});
    EXPECT_FALSE(r.name.empty());
    EXPECT_EQ(usocket::gethostbyaddr("localhost"), r);  // a name is resolved first, as CPython
    std::error_code ec;
    (void)usocket::gethostbyname_ex(std::string_view("a\0b", 3), ec);
    EXPECT_EQ(ec, errc::invalid_argument);
}

TEST_F(resolver, gethostname_and_getfqdn) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "compares with the kernel's host name; lwIP's stack has none";
#endif
    char buf[256] = {};
    ASSERT_EQ(::gethostname(buf, sizeof buf - 1), 0);
    EXPECT_EQ(usocket::gethostname(), buf);
    // getfqdn: the first name with a dot among gethostbyaddr()'s, else its name.
    const auto h = usocket::gethostbyaddr("localhost");
    std::string expected = h.name;
    if (h.name.find('.') == std::string::npos)
        for (const auto& a : h.aliases)
            if (a.find('.') != std::string::npos) {
                expected = a;
                break;
            }
    EXPECT_EQ(usocket::getfqdn("localhost"), expected);
    EXPECT_EQ(usocket::getfqdn("  localhost\t"), expected);
    EXPECT_FALSE(usocket::getfqdn().empty());
    EXPECT_EQ(usocket::getfqdn(), usocket::getfqdn("0.0.0.0"));
}

TEST_F(resolver, parse_port_takes_numbers_and_service_names) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "service names; lwIP has no services database (getservbyname)";
#endif
    EXPECT_EQ(usocket::parse_port("0"), 0);
    EXPECT_EQ(usocket::parse_port("65535"), 65535);
    EXPECT_EQ(usocket::parse_port("http"), 80);
    EXPECT_EQ(usocket::parse_port("domain", "udp"), 53);
    std::error_code ec;
    for (const char* bad : {"65536", "-1", "99999999999999999999"}) {
        (void)usocket::parse_port(bad, {}, ec);
        EXPECT_EQ(ec, errc::port_out_of_range) << bad;
    }
    (void)usocket::parse_port("", {}, ec);
    EXPECT_EQ(ec, errc::bad_address);
    (void)usocket::parse_port("no-such-service-here", "tcp", ec);
    EXPECT_EQ(ec, usocket::netdb_errc::service_not_found);
    (void)usocket::parse_port("8080", {}, ec);
    EXPECT_FALSE(ec) << "a success clears the error";
    try {
        (void)usocket::parse_port("70000");
        FAIL();
    } catch (const usocket::value_error& e) {
        EXPECT_NE(std::string(e.what()).find("'70000'"), std::string::npos) << e.what();
    }
}

TEST_F(resolver, services_and_protocols) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "lwIP has no services database (getservbyname)";
#endif
    EXPECT_EQ(usocket::getservbyname("http"), 80);
    EXPECT_EQ(usocket::getservbyname("http", "tcp"), 80);
    EXPECT_EQ(usocket::getservbyname("domain", "udp"), 53);
    EXPECT_EQ(usocket::getservbyport(80), "http");
    EXPECT_EQ(usocket::getservbyport(22, "tcp"), "ssh");
    EXPECT_EQ(usocket::getprotobyname("tcp"), usocket::ipproto_tcp);
    EXPECT_EQ(usocket::getprotobyname("udp"), usocket::ipproto_udp);
    EXPECT_EQ(usocket::getprotobyname("icmp"), usocket::ipproto_icmp);

    std::error_code ec;
    (void)usocket::getservbyname("no-such-service", "", ec);
    EXPECT_EQ(ec, usocket::netdb_errc::service_not_found);
    EXPECT_EQ(ec.message(), "service/proto not found");
    ec.clear();
    (void)usocket::getservbyport(0, "", ec);
    EXPECT_EQ(ec, usocket::netdb_errc::port_not_found);
    ec.clear();
    (void)usocket::getservbyport(65536, "", ec);
    EXPECT_EQ(ec, errc::port_out_of_range);
    ec.clear();
    (void)usocket::getservbyport(-1, "", ec);
    EXPECT_EQ(ec, errc::port_out_of_range);
    ec.clear();
    (void)usocket::getprotobyname("no-such-protocol", ec);
    EXPECT_EQ(ec, usocket::netdb_errc::protocol_not_found);
    // Not found is a plain OSError in CPython: os_error, not gaierror nor value_error.
    try {
        (void)usocket::getservbyname("no-such-service");
        ADD_FAILURE() << "no exception";
    } catch (const usocket::gaierror&) {
        ADD_FAILURE() << "gaierror";
    } catch (const usocket::os_error& e) {
        EXPECT_EQ(e.code(), usocket::netdb_errc::service_not_found);
    }
    EXPECT_THROW((void)usocket::getservbyport(70000), usocket::value_error);
}

TEST_F(resolver, reentrant_calls_from_threads_agree) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "services; lwIP has no services database (getservbyname)";
#endif
    std::vector<std::thread> threads;
    std::vector<int> bad(4, 0);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([t, &bad] {
            for (int i = 0; i < 50; ++i) {
                std::error_code ec;
                if (usocket::getservbyname("http", "tcp", ec) != 80 || ec) ++bad[t];
                if (usocket::getservbyport(53, "udp", ec) != "domain" || ec) ++bad[t];
                if (usocket::gethostbyname_ex("localhost", ec).addresses.empty() || ec) ++bad[t];
                if (usocket::getprotobyname("udp", ec) != usocket::ipproto_udp || ec) ++bad[t];
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(bad, std::vector<int>(4, 0));
}

// --- text and bytes ------------------------------------------------------------------------

TEST(resolver_bytes, inet_pton_and_ntop) {
    EXPECT_EQ(usocket::inet_pton(usocket::af_inet, "127.0.0.1"), std::string("\x7f\0\0\x01", 4));
    EXPECT_EQ(usocket::inet_pton(usocket::af_inet6, "::1"), std::string(15, '\0') + '\x01');
    EXPECT_EQ(usocket::inet_ntop(usocket::af_inet, std::string("\x7f\0\0\x01", 4)), "127.0.0.1");
    EXPECT_EQ(usocket::inet_ntop(usocket::af_inet6, std::string(15, '\0') + '\x01'), "::1");
    EXPECT_EQ(usocket::inet_ntop(usocket::af_inet6, usocket::inet_pton(usocket::af_inet6, "::ffff:127.0.0.1")),
              "::ffff:127.0.0.1");
    std::error_code ec;
    (void)usocket::inet_pton(usocket::af_inet, "127.1", ec);  // strict, unlike inet_aton
    EXPECT_EQ(ec, errc::bad_address);
    ec.clear();
    (void)usocket::inet_pton(usocket::address_family{12345}, "::1", ec);
    EXPECT_EQ(ec, usocket::system_error_code(EAFNOSUPPORT));
    ec.clear();
    (void)usocket::inet_ntop(usocket::af_inet6, std::string(15, '\0'), ec);
    EXPECT_EQ(ec, errc::bad_address);
    ec.clear();
    (void)usocket::inet_ntop(usocket::address_family{12345}, std::string(4, '\0'), ec);
    EXPECT_EQ(ec, errc::invalid_argument);
    EXPECT_THROW((void)usocket::inet_pton(usocket::af_inet, "1.2.3"), usocket::value_error);
}

TEST(resolver_bytes, inet_aton_accepts_the_classic_forms) {
    const std::string loop("\x7f\0\0\x01", 4);
    EXPECT_EQ(usocket::inet_aton("127.0.0.1"), loop);
    EXPECT_EQ(usocket::inet_aton("127.1"), loop);
    EXPECT_EQ(usocket::inet_aton("0x7f.1"), loop);
    EXPECT_EQ(usocket::inet_aton("2130706433"), loop);
    EXPECT_EQ(usocket::inet_aton("1.2.65535"), std::string("\x01\x02\xff\xff", 4));
    EXPECT_EQ(usocket::inet_aton("4294967295"), std::string(4, '\xff'));
    for (const char* bad : {"", "1.2.3.4.5", "1.2.3.256", "1.2.65536", "4294967296", "1.2.3.", " 1.2.3.4", "x"}) {
        std::error_code ec;
        (void)usocket::inet_aton(bad, ec);
        EXPECT_EQ(ec, errc::bad_address) << bad;
    }
    std::error_code ec;
    (void)usocket::inet_aton(std::string_view("1.2.3.4\0", 8), ec);
    EXPECT_EQ(ec, errc::bad_address);
    EXPECT_EQ(usocket::inet_ntoa(loop), "127.0.0.1");
    EXPECT_EQ(usocket::inet_ntoa(std::string(4, '\xff')), "255.255.255.255");
    ec.clear();
    (void)usocket::inet_ntoa(std::string(3, '\0'), ec);
    EXPECT_EQ(ec, errc::bad_address);
}

TEST(resolver_bytes, ip_to_tuple_and_byte_order) {
    EXPECT_EQ(usocket::ip_to_tuple("192.168.1.10"), (std::array<int, 4>{192, 168, 1, 10}));
    EXPECT_EQ(usocket::ip_to_tuple("0.0.0.0"), (std::array<int, 4>{0, 0, 0, 0}));
    for (const char* bad : {"", "1.2.3", "127.1", "1.2.3.256", "a.b.c.d", "1.2.3.4:80", "::1"}) {
        std::error_code ec;
        (void)usocket::ip_to_tuple(bad, ec);
        EXPECT_EQ(ec, errc::bad_address) << bad;
    }
    static_assert((usocket::htons)(0x1234) == ((std::endian::native == std::endian::little) ? 0x3412 : 0x1234));
    static_assert((usocket::ntohl)((usocket::htonl)(0x01020304u)) == 0x01020304u);
    EXPECT_EQ((usocket::htons)(80), htons(80));
    EXPECT_EQ((usocket::ntohs)(htons(8080)), 8080);
    EXPECT_EQ((usocket::htonl)(0x7f000001u), htonl(0x7f000001u));
    EXPECT_EQ((usocket::ntohl)(htonl(0xdeadbeefu)), 0xdeadbeefu);
    EXPECT_TRUE(usocket::has_ipv6());
}

}  // namespace
