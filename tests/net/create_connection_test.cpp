// create_connection(): one deadline for the whole call, Happy Eyeballs (RFC 8305), every
// error or the last, the returned socket's mode. A "dead" address is a listener whose accept
// queue is full: Linux drops SYNs to it, so a connect there hangs as on a dead route.

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "resolver_fake_dns.hpp"
#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using usocket::address;
using usocket::connection_options;
using usocket_test::seconds_since;

class create_connection : public usocket_test::fd_leak_check {};

connection_options timed(usocket::timeout_type t) {
    connection_options o;
    o.timeout = t;
    return o;
}

/// A listener on loopback that never completes a handshake: backlog 0, queue filled.
struct dead_listener {
    usocket::socket listener;
    std::vector<usocket::socket> fillers;
    address addr;

    explicit dead_listener(usocket::address_family family) : listener(family, usocket::sock_stream) {
        listener.bind(address::loopback(family, 0));
        listener.listen(0);
        addr = listener.getsockname();
        // Fill the accept queue until a probe no longer connects (bounded: 8 tries).
        for (int i = 0; i < 8; ++i) {
            usocket::socket probe(family, usocket::sock_stream);
            probe.settimeout(100ms);
            std::error_code ec;
            probe.connect(addr, ec);
            if (usocket::is_timeout(ec)) return;
            fillers.push_back(std::move(probe));
        }
        ADD_FAILURE() << "could not fill the accept queue of " << addr;
    }
};

/// An address where nothing listens: connect is refused at once.
address refused_address(usocket::address_family family) {
    usocket::socket s(family, usocket::sock_stream);
    s.bind(address::loopback(family, 0));
    return s.getsockname();  // closed when s goes: the port is free and refuses
}

TEST_F(create_connection, by_name_over_loopback) {
    auto l = usocket_test::tcp_listener();
    const int port = l.getsockname().port();
    auto s = usocket::create_connection("localhost", port, timed(2s));
    EXPECT_EQ(s.getpeername(), address("127.0.0.1", port));
    EXPECT_EQ(s.family(), usocket::af_inet);
    EXPECT_EQ(s.type(), usocket::sock_stream);
    auto [peer, from] = l.accept();
    EXPECT_EQ(from, s.getsockname());
    // The connection works.
    s.sendall("ping");
    EXPECT_EQ(peer.recv(4), "ping");
}

TEST_F(create_connection, family_limits_the_name_to_one_family) {
    auto l = usocket_test::tcp_listener();
    auto o = timed(2s);
    o.family = usocket::af_inet;
    auto s = usocket::create_connection("localhost", l.getsockname().port(), o);
    EXPECT_EQ(s.family(), usocket::af_inet);
    o.family = usocket::af_inet6;  // no IPv6 listener there: refused, or no IPv6 name at all
    std::error_code ec;
    (void)usocket::create_connection("127.0.0.1", l.getsockname().port(), o, ec);
    EXPECT_TRUE(ec) << "an IPv4 literal asked for as IPv6";
}

TEST_F(create_connection, returned_socket_has_the_requested_timeout) {
    usocket_test::default_timeout_guard guard;
    auto l = usocket_test::tcp_listener();
    const int port = l.getsockname().port();
    {
        auto s = usocket::create_connection("127.0.0.1", port, timed(3s));
        EXPECT_EQ(s.gettimeout(), usocket::timeout_type(3s));
#ifndef USOCKET_BACKEND_LWIP  // lwIP descriptors are not the kernel's: no fcntl()
        EXPECT_TRUE(usocket_test::is_nonblocking(s.fileno()));
        EXPECT_TRUE(usocket_test::has_cloexec(s.fileno()));
#endif
    }
    {
        auto s = usocket::create_connection("127.0.0.1", port, timed(std::nullopt));
        EXPECT_EQ(s.gettimeout(), std::nullopt);
        EXPECT_FALSE(usocket_test::is_nonblocking(s.fileno()));  // blocking means blocking in the kernel
    }
    {
        // The default is getdefaulttimeout() when the options are made (CPython's default).
        usocket::setdefaulttimeout(7s);
        auto s = usocket::create_connection("127.0.0.1", port);
        EXPECT_EQ(s.gettimeout(), usocket::timeout_type(7s));
    }
    for (int i = 0; i < 3; ++i) (void)l.accept();
}

TEST_F(create_connection, happy_eyeballs_skips_a_dead_ipv6_address) {
    dead_listener dead(usocket::af_inet6);
    auto alive = usocket_test::tcp_listener(usocket::af_inet);
    const std::vector<address> candidates{dead.addr, alive.getsockname()};
    [[maybe_unused]] const int fds_before = usocket_test::open_fd_count();
    const auto t0 = usocket_test::clock::now();
    auto s = usocket::create_connection(candidates, timed(5s));
    const double took = seconds_since(t0);
    EXPECT_EQ(s.getpeername(), alive.getsockname());
    // IPv6 first, then IPv4 after the 250 ms Connection Attempt Delay: far inside 5 s.
    EXPECT_GE(took, 0.2);
    EXPECT_LT(took, 2.0);
    // The loser (the IPv6 attempt) is closed: only the winner is new.
#ifndef USOCKET_BACKEND_LWIP  // counts kernel descriptors; lwIP's are not
    EXPECT_EQ(usocket_test::open_fd_count(), fds_before + 1);
#endif
    EXPECT_EQ(s.gettimeout(), usocket::timeout_type(5s));
}

TEST_F(create_connection, attempt_delay_is_configurable) {
    dead_listener dead(usocket::af_inet6);
    auto alive = usocket_test::tcp_listener(usocket::af_inet);
    const std::vector<address> candidates{dead.addr, alive.getsockname()};
    const auto t0 = usocket_test::clock::now();
    connection_options o;
    o.timeout = 5s;
    o.attempt_delay = 1s;
    auto s = usocket::create_connection(candidates, o);
    const double took = seconds_since(t0);
    EXPECT_EQ(s.getpeername(), alive.getsockname());
    EXPECT_GE(took, 0.9);
    EXPECT_LT(took, 3.0);
}

TEST_F(create_connection, without_happy_eyeballs_a_dead_first_address_eats_the_deadline) {
    dead_listener dead(usocket::af_inet6);
    auto alive = usocket_test::tcp_listener(usocket::af_inet);
    const std::vector<address> candidates{dead.addr, alive.getsockname()};
    connection_options o;
    o.timeout = 1s;
    o.happy_eyeballs = false;
    std::error_code ec;
    std::vector<usocket::attempt_error> errors;
    const auto t0 = usocket_test::clock::now();
    auto s = usocket::create_connection(candidates, o, ec, &errors);
    const double took = seconds_since(t0);
    EXPECT_FALSE(s.is_open());
    EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
    EXPECT_GE(took, 0.8);
    EXPECT_LT(took, 3.0);
    ASSERT_EQ(errors.size(), 1u);  // the second address never got a turn
    EXPECT_EQ(errors[0].peer, dead.addr);
}

TEST_F(create_connection, one_deadline_for_every_address) {
    // Three dead addresses under a 1 s total: about 1 s, not 1 s each (CPython issue 123793).
    dead_listener d1(usocket::af_inet6), d2(usocket::af_inet), d3(usocket::af_inet6);
    const std::vector<address> candidates{d1.addr, d2.addr, d3.addr};
    for (const bool happy : {true, false}) {
        connection_options o;
        o.timeout = 1s;
        o.happy_eyeballs = happy;
        const auto t0 = usocket_test::clock::now();
        std::error_code ec;
        (void)usocket::create_connection(candidates, o, ec);
        const double took = seconds_since(t0);
        EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
        EXPECT_GE(took, 0.8) << "happy_eyeballs=" << happy;
        EXPECT_LT(took, 2.5) << "happy_eyeballs=" << happy;
    }
    // With all_errors, every attempt in flight at the deadline is reported as a timeout.
    connection_options o;
    o.timeout = 1s;
    o.all_errors = true;
    try {
        (void)usocket::create_connection(candidates, o);
        ADD_FAILURE() << "connected to a dead address";
    } catch (const usocket::connection_errors& e) {
        ASSERT_EQ(e.errors().size(), 3u);
        for (const auto& a : e.errors()) EXPECT_TRUE(usocket::is_timeout(a.code)) << a.peer;
        EXPECT_TRUE(usocket::is_timeout(e.code()));
    }
}

TEST_F(create_connection, the_throwing_form_raises_timeout_error) {
    dead_listener dead(usocket::af_inet);
    const std::vector<address> candidates{dead.addr};
    const auto t0 = usocket_test::clock::now();
    EXPECT_THROW((void)usocket::create_connection(candidates, timed(300ms)), usocket::timeout_error);
    EXPECT_LT(seconds_since(t0), 2.0);
}

TEST_F(create_connection, a_failure_starts_the_next_attempt_at_once) {
    auto alive = usocket_test::tcp_listener(usocket::af_inet);
    const std::vector<address> candidates{refused_address(usocket::af_inet6), alive.getsockname()};
    connection_options o;
    o.timeout = 10s;
    o.attempt_delay = 2s;  // the refusal, not the delay, must start the IPv4 attempt
    const auto t0 = usocket_test::clock::now();
    auto s = usocket::create_connection(candidates, o);
    EXPECT_LT(seconds_since(t0), 1.0);
    EXPECT_EQ(s.getpeername(), alive.getsockname());
}

TEST_F(create_connection, last_error_or_all_errors) {
    const std::vector<address> candidates{refused_address(usocket::af_inet6), refused_address(usocket::af_inet)};
    const auto refused = usocket::system_error_code(ECONNREFUSED);
    for (const bool happy : {true, false}) {
        connection_options o;
        o.timeout = 5s;
        o.happy_eyeballs = happy;
        std::error_code ec;
        std::vector<usocket::attempt_error> errors;
        auto s = usocket::create_connection(candidates, o, ec, &errors);
        EXPECT_EQ(ec, refused);
        ASSERT_EQ(errors.size(), 2u);
        EXPECT_EQ(errors[0], (usocket::attempt_error{candidates[0], refused}));
        EXPECT_EQ(errors[1], (usocket::attempt_error{candidates[1], refused}));
        // The last error alone, as CPython without all_errors: a plain os_error.
        try {
            (void)usocket::create_connection(candidates, o);
            ADD_FAILURE() << "connected";
        } catch (const usocket::connection_errors&) {
            ADD_FAILURE() << "connection_errors without all_errors";
        } catch (const usocket::os_error& e) {
            EXPECT_EQ(e.code(), refused);
        }
        o.all_errors = true;
        try {
            (void)usocket::create_connection(candidates, o);
            ADD_FAILURE() << "connected";
        } catch (const usocket::connection_errors& e) {
            EXPECT_EQ(e.errors(), errors);
            EXPECT_EQ(e.code(), refused);
        }
    }
}

TEST_F(create_connection, source_address_is_bound_first) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "binds 127.0.0.2; lwIP's loopback interface has 127.0.0.1 only";
#endif
    auto l = usocket_test::tcp_listener();
    connection_options o;
    o.timeout = 2s;
    o.source_address = address("127.0.0.2", 0);
    auto s = usocket::create_connection("127.0.0.1", l.getsockname().port(), o);
    EXPECT_EQ(s.getsockname().host(), "127.0.0.2");
    auto [peer, from] = l.accept();
    EXPECT_EQ(from.host(), "127.0.0.2");
    // A source of the wrong family makes that attempt fail (EAFNOSUPPORT or EINVAL).
    o.source_address = address("::1", 0);
    std::error_code ec;
    (void)usocket::create_connection("127.0.0.1", l.getsockname().port(), o, ec);
    EXPECT_TRUE(ec);
    EXPECT_EQ(ec.category(), std::system_category());
}

TEST_F(create_connection, bad_arguments_and_unknown_names) {
    std::error_code ec;
    (void)usocket::create_connection("127.0.0.1", 65536, timed(1s), ec);
    EXPECT_EQ(ec, usocket::errc::port_out_of_range);
    ec.clear();
    (void)usocket::create_connection("127.0.0.1", 80, timed(-1s), ec);
    EXPECT_EQ(ec, usocket::errc::invalid_timeout);
    ec.clear();
    (void)usocket::create_connection(std::span<const address>(), timed(1s), ec);
    EXPECT_EQ(ec, usocket::errc::invalid_argument);
    ec.clear();
    (void)usocket::create_connection("localhost", 1, timed(1s), ec);  // nothing listens on port 1
    EXPECT_EQ(ec, usocket::system_error_code(ECONNREFUSED));
    EXPECT_THROW((void)usocket::create_connection("127.0.0.1", 70000), usocket::value_error);

    usocket_test::fake_dns dns(usocket_test::fake_dns::mode::nxdomain);
    if (!dns.active()) GTEST_SKIP() << "built without c-ares";
    ec.clear();
    (void)usocket::create_connection("no-such-host.example", 80, timed(5s), ec);
    EXPECT_EQ(ec, std::error_code(usocket::eai_noname, usocket::gai_category()));
    EXPECT_THROW((void)usocket::create_connection("no-such-host.example", 80, timed(5s)), usocket::gaierror);
}

TEST_F(create_connection, the_deadline_covers_name_resolution) {
    usocket_test::fake_dns dns(usocket_test::fake_dns::mode::silent);
    if (!dns.active()) GTEST_SKIP() << "built without c-ares";
    const auto t0 = usocket_test::clock::now();
    std::error_code ec;
    (void)usocket::create_connection("needs-dns.example", 80, timed(500ms), ec);
    const double took = seconds_since(t0);
    EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
    EXPECT_GE(took, 0.4);
    EXPECT_LT(took, 3.0);
}

TEST_F(create_connection, zero_timeout_is_one_non_blocking_try) {
    auto l = usocket_test::tcp_listener();
    const std::vector<address> candidates{l.getsockname()};
    std::error_code ec;
    auto s = usocket::create_connection(candidates, timed(0s), ec);
    // Either connected at once (non-blocking), or in progress: BlockingIOError, as CPython.
    if (ec) {
        EXPECT_TRUE(usocket::is_would_block(ec)) << ec.message();
        EXPECT_FALSE(s.is_open());
    } else {
        EXPECT_EQ(s.gettimeout(), usocket::timeout_type(0s));
    }
}

TEST_F(create_connection, many_parallel_connects_from_threads) {
    auto l = usocket_test::tcp_listener();
    const int port = l.getsockname().port();
    std::vector<std::thread> threads;
    std::vector<int> ok(4, 0);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([t, port, &ok] {
            for (int i = 0; i < 5; ++i) {
                std::error_code ec;
                auto s = usocket::create_connection("localhost", port, timed(5s), ec);
                if (!ec && s.getpeername().port() == port) ++ok[static_cast<std::size_t>(t)];
            }
        });
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok, std::vector<int>(4, 5));
    l.settimeout(0s);
    std::error_code ec;
    for (int i = 0; i < 20 && !ec; ++i) (void)l.accept(nullptr, ec);
}

}  // namespace
