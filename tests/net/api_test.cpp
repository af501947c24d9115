// The C++ API's promises: typed constants (compile-time values; a swapped argument does not
// compile), durations of any type rounded up, usocket::blocking spelled out (settimeout({})
// does not compile), error_code forms with the throwing forms' defaults that clear a stale
// error on success, an owning and movable socket_iostream, messages that name the operation
// and the value, formatters, and the absolute deadline.

#include <array>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>
#include <unordered_set>

#include "test_support.hpp"
#include "usocket/format.hpp"

using namespace std::chrono_literals;
using usocket_test::seconds_since;

namespace {

class api : public usocket_test::fd_leak_check {};

// --- descriptors are native_handle in every public signature (SOCKET on Windows) -------------

template <class T>
using fileno_of = decltype(std::declval<const T&>().fileno());
static_assert(std::is_same_v<fileno_of<usocket::socket>, usocket::native_handle>);
static_assert(std::is_same_v<fileno_of<usocket::socket_file>, usocket::native_handle>);
static_assert(std::is_same_v<fileno_of<usocket::selector>, usocket::native_handle>);
static_assert(std::is_same_v<decltype(usocket::poll_event::fd), usocket::native_handle>);
static_assert(std::is_same_v<decltype(usocket::select_result::read)::value_type, usocket::native_handle>);

// --- typed constants ---------------------------------------------------------------------------

constexpr const char* family_name(usocket::address_family f) {
    switch (f) {
        case usocket::af_inet: return "inet";
        case usocket::af_inet6: return "inet6";
        case usocket::af_unix: return "unix";
        default: return "other";
    }
}
static_assert(std::string_view(family_name(usocket::af_inet6)) == "inet6", "constants work in a switch and a constexpr");
static_assert(usocket::af_inet != usocket::af_inet6);
static_assert((usocket::msg_peek | usocket::msg_dontwait).value() == (usocket::msg_peek.value() | usocket::msg_dontwait.value()));
// A swapped argument does not compile; a kind never converts to another.
static_assert(!std::is_constructible_v<usocket::socket, usocket::socket_type, usocket::address_family>);
static_assert(std::is_constructible_v<usocket::socket, usocket::address_family, usocket::socket_type>);
static_assert(!std::is_convertible_v<usocket::socket_type, usocket::address_family>);
static_assert(!std::is_convertible_v<usocket::option_name, usocket::option_level>);
static_assert(!std::is_convertible_v<int, usocket::msg_flags>, "an int variable is not a flag");
static_assert(std::is_convertible_v<usocket::protocol, usocket::option_level>, "ipproto_tcp is a level");
static_assert(std::is_convertible_v<usocket::address_family, int>, "usable where an int is expected");
// (requires-expressions over a template parameter, so that a failure is an answer, not an error)
template <class S>
constexpr bool swapped_setsockopt_compiles = requires(S& s) { s.setsockopt(usocket::so_reuseaddr, usocket::sol_socket, 1); };
static_assert(!swapped_setsockopt_compiles<usocket::socket>);
template <class S>
constexpr bool setsockopt_compiles = requires(S& s) {
    s.setsockopt(usocket::sol_socket, usocket::so_reuseaddr, 1);
    s.setsockopt(usocket::ipproto_tcp, usocket::tcp_nodelay, 1);
};
static_assert(setsockopt_compiles<usocket::socket>);
// The C habit of a literal 0 for "no flags" still compiles.
template <class S>
constexpr bool literal_zero_flags_compile = requires(S& s) { (void)s.send("x", 0); };
static_assert(literal_zero_flags_compile<usocket::socket>);

// --- timeouts ----------------------------------------------------------------------------------

template <class S>
constexpr bool braces_compile = requires(S& s) { s.settimeout({}); };
static_assert(!braces_compile<usocket::socket>, "settimeout({}) must not mean 'block'");
template <class S>
constexpr bool spelled_timeouts_compile = requires(S& s) {
    s.settimeout(usocket::blocking);
    s.settimeout(std::nullopt);
    s.settimeout(std::chrono::duration<double>(0.25));
};
static_assert(spelled_timeouts_compile<usocket::socket>);
static_assert(usocket::timeout_type(std::chrono::duration<double>(1.5)) == usocket::timeout_type(1500ms));
static_assert(usocket::timeout_type(std::chrono::duration<double, std::nano>(0.1))->count() == 1, "rounded up");
static_assert(usocket::timeout_type(std::chrono::duration<long long, std::pico>(1))->count() == 1, "rounded up");
static_assert(!usocket::timeout_type(-1ms).is_valid());
static_assert(!usocket::timeout_type(std::chrono::duration<double>(-0.5)).is_valid());
static_assert(!usocket::timeout_type(std::chrono::hours::max()).is_valid(), "too large for nanoseconds");
static_assert(usocket::timeout_type(usocket::blocking).is_blocking());

TEST_F(api, any_duration_sets_the_timeout_rounded_up) {
    auto [a, b] = usocket::socketpair();
    using namespace std::chrono_literals;
    a.settimeout(1.5s);
    EXPECT_EQ(a.gettimeout(), usocket::timeout_type(1500ms));
    a.settimeout(std::chrono::duration<double>(0.25));
    EXPECT_EQ(a.gettimeout(), usocket::timeout_type(250ms));
    a.settimeout(std::chrono::duration<float, std::micro>(0.5f));
    EXPECT_EQ(a.gettimeout()->count(), 500);
    a.settimeout(usocket::blocking);
    EXPECT_TRUE(a.getblocking());
    std::error_code ec;
    a.settimeout(std::chrono::duration<double>(std::numeric_limits<double>::quiet_NaN()), ec);
    EXPECT_EQ(ec, usocket::errc::invalid_timeout);
    a.settimeout(std::chrono::duration<double>(std::numeric_limits<double>::infinity()), ec);
    EXPECT_EQ(ec, usocket::errc::invalid_timeout);
    EXPECT_TRUE(a.getblocking()) << "a bad timeout changes nothing";
}

// --- error_code forms --------------------------------------------------------------------------

// Every error_code form clears a stale error when it succeeds (as std::filesystem promises).
TEST_F(api, every_error_code_form_clears_a_stale_error_on_success) {
    const std::error_code stale = std::make_error_code(std::errc::io_error);
    std::error_code ec;
    auto check = [&](const char* what) {
        EXPECT_FALSE(ec) << what << " left " << ec.message();
        ec = stale;
    };
    ec = stale;
    auto [a, b] = usocket::socketpair(ec);
    check("socketpair");
    usocket::socket l = usocket::socket::open(usocket::af_inet, usocket::sock_stream, ec);
    check("open");
    l.setsockopt(usocket::sol_socket, usocket::so_reuseaddr, 1, ec);
    check("setsockopt");
    (void)l.getsockopt(usocket::sol_socket, usocket::so_reuseaddr, ec);
    check("getsockopt");
    (void)l.getsockopt(usocket::sol_socket, usocket::so_reuseaddr, 4, ec);
    check("getsockopt(buflen)");
    l.bind("127.0.0.1", 0, ec);
    check("bind(host, port)");
    l.listen(ec);
    check("listen");
    const usocket::address where = l.getsockname(ec);
    check("getsockname");
    usocket::socket c = usocket::socket::open(usocket::af_inet, usocket::sock_stream, 0, ec);
    check("open(proto)");
    c.settimeout(2s, ec);
    check("settimeout");
    c.connect(where, ec);
    check("connect");
    auto accepted = l.accept(ec);
    check("accept(ec)");
    (void)c.getpeername(ec);
    check("getpeername");
    (void)c.send("abc", ec);
    check("send");
    (void)c.sendall("def\n", ec);
    check("sendall");
    std::array<char, 3> three{};
    (void)accepted.sock.recv_into(three, ec);
    check("recv_into");
    (void)accepted.sock.recv(1, ec);
    check("recv");
    (void)accepted.sock.readline(ec);
    check("readline");
    (void)c.write("xy", ec);
    check("write");
    (void)accepted.sock.read(2, ec);
    check("read(n)");
    c.sendall("zzz", ec);
    check("sendall");
    (void)accepted.sock.readinto(three, ec);
    check("readinto");
    auto f = c.makefile("rwb", -1, ec);
    check("makefile");
    (void)f.write("file\n", ec);
    check("file write");
    f.flush(ec);
    check("file flush");
    (void)accepted.sock.readline(ec);
    check("readline");
    f.close(ec);
    check("file close");
    accepted.sock.setblocking(false, ec);
    check("setblocking");
    c.shutdown(usocket::shut_wr, ec);
    check("shutdown");
#ifndef USOCKET_BACKEND_LWIP  // lwIP has no dup()
    auto d = c.dup(ec);
    check("dup");
    d.close(ec);
    check("close");
#endif
    (void)usocket::getaddrinfo("127.0.0.1", 80, ec);
    check("getaddrinfo");
    (void)usocket::getaddrinfo("127.0.0.1", 80, usocket::af_inet, usocket::sock_stream, 0, 0, 1s, ec);
    check("getaddrinfo(timeout)");
#ifdef USOCKET_HAS_NI_NUMERICHOST
    (void)usocket::getnameinfo(where, usocket::ni_numerichost | usocket::ni_numericserv, ec);
#else
    (void)usocket::getnameinfo(where, usocket::nameinfo_flags{}, ec);  // lwIP has no NI_* flags
#endif
    check("getnameinfo");
    (void)usocket::address::parse("127.0.0.1:80", ec);
    check("address::parse");
    usocket::selector sel = usocket::selector::open(ec);
    check("selector::open");
    sel.add(b, usocket::selector::readable, 1, ec);
    check("selector add");
    std::array<usocket::selector_event, 2> out{};
    (void)sel.wait(out, 0s, ec);
    check("selector wait");
    sel.remove(b, ec);
    check("selector remove");
    (void)usocket::select({a}, {}, {}, 0s, ec);
    check("select");
    usocket::poller p;
    p.register_fd(a, usocket::pollin, ec);
    check("register");
    (void)p.poll(0s, ec);
    check("poll");
    usocket::connection_options o;
    o.timeout = 2s;
    auto cc = usocket::create_connection("127.0.0.1", where.port(), o, ec);
    check("create_connection");
    auto srv = usocket::create_server("127.0.0.1", 0, {}, ec);
    check("create_server");
    usocket::setdefaulttimeout(usocket::blocking, ec);
    check("setdefaulttimeout");
    (void)l.accept(nullptr, ec);
    check("accept(nullptr)");
}

// The error_code forms take the defaulted arguments of the throwing ones.
template <class S>
constexpr bool short_error_code_forms_compile = requires(S& s, std::error_code& ec, std::string buf) {
    (void)s.send("x", ec);
    (void)s.sendall("x", ec);
    (void)s.recv(1, ec);
    (void)s.recv_into(buf, ec);
    (void)s.readline(ec);
    (void)s.readinto(buf, ec);
    (void)s.accept(ec);
    (void)s.sendto("x", usocket::address(), ec);
};
static_assert(short_error_code_forms_compile<usocket::socket>);

// --- ownership and moves -----------------------------------------------------------------------

static_assert(std::is_nothrow_move_constructible_v<usocket::socket>);
static_assert(std::is_nothrow_move_assignable_v<usocket::socket>);
static_assert(std::is_nothrow_move_constructible_v<usocket::socket_file>);
static_assert(std::is_nothrow_move_constructible_v<usocket::socket_iostream>);
static_assert(!std::is_copy_constructible_v<usocket::socket_iostream>);

usocket::socket_iostream connect_stream(const usocket::address& where) {
    usocket::socket s(where.family(), usocket::sock_stream);
    s.settimeout(2s);
    s.connect(where);
    return usocket::socket_iostream(std::move(s));  // owns the socket; returned by move
}

TEST_F(api, socket_iostream_owns_its_socket_and_moves) {
    auto l = usocket_test::tcp_listener();
    usocket::socket_iostream io = connect_stream(l.getsockname());
    auto peer = l.accept();
    peer.sock.settimeout(2s);
    io << "hello" << std::endl;
    EXPECT_EQ(peer.sock.readline(), "hello\n");
    peer.sock.sendall("answer 42\n");
    std::string word;
    int n = 0;
    usocket::socket_iostream moved(std::move(io));
    moved >> word >> n;
    EXPECT_EQ(word, "answer");
    EXPECT_EQ(n, 42);
    moved = connect_stream(l.getsockname());  // the first connection closes here
    auto second = l.accept();
    EXPECT_EQ(peer.sock.recv(16), "") << "the owned socket was closed by the assignment";
    moved << "again" << std::flush;
    second.sock.settimeout(2s);
    EXPECT_EQ(second.sock.recv(16), "again");
}

// --- messages ----------------------------------------------------------------------------------

TEST_F(api, messages_name_the_operation_and_the_value) {
    try {
        usocket::address a("localhost", 80);
        FAIL();
    } catch (const usocket::value_error& e) {
        EXPECT_NE(std::string(e.what()).find("'localhost'"), std::string::npos) << e.what();
    }
    try {
        (void)usocket::address::parse("127.0.0.1:99999");
        FAIL();
    } catch (const usocket::value_error& e) {
        EXPECT_NE(std::string(e.what()).find("127.0.0.1:99999"), std::string::npos) << e.what();
    }
    auto [a, b] = usocket::socketpair();
    b.settimeout(10ms);
    try {
        (void)b.recv(1);
        FAIL();
    } catch (const usocket::timeout_error& e) {
        EXPECT_STREQ(e.what(), "recv: timed out");
    }
    usocket::socket s(usocket::af_inet, usocket::sock_stream);
    const auto refused = usocket_test::tcp_listener().getsockname();  // closed at once: refuses
    try {
        s.connect(refused);
        FAIL();
    } catch (const usocket::os_error& e) {
        EXPECT_NE(std::string(e.what()).find("connect to " + refused.to_string()), std::string::npos) << e.what();
    }
}

// --- formatters --------------------------------------------------------------------------------

TEST_F(api, formatters_print_what_to_string_prints) {
    const usocket::address a("::1", 8080);
#if USOCKET_HAS_FMT
    EXPECT_EQ(fmt::format("{}", a), "[::1]:8080");
    EXPECT_EQ(fmt::format("<{:>12}>", usocket::address("10.0.0.1", 5)), "<  10.0.0.1:5>");
    usocket::socket s(usocket::af_inet, usocket::sock_stream);
    EXPECT_EQ(fmt::format("{}", s), s.to_string());
#endif
#if USOCKET_HAS_STD_FORMAT
    EXPECT_EQ(std::format("{}", a), "[::1]:8080");
#endif
    std::ostringstream os;
    os << a;
    EXPECT_EQ(os.str(), "[::1]:8080");
    EXPECT_EQ(usocket::to_string(a), "[::1]:8080");
}

// --- addresses as keys (they link and work against a shared library too) -----------------------

TEST_F(api, addresses_compare_and_hash_in_containers) {
    std::set<usocket::address> ordered{usocket::address("10.0.0.2", 1), usocket::address("10.0.0.1", 1)};
    EXPECT_EQ(ordered.begin()->host(), "10.0.0.1");
    std::map<usocket::address, int> m{{usocket::address("::1", 1), 7}};
    EXPECT_EQ(m.at(usocket::address("::1", 1)), 7);
    std::unordered_set<usocket::address> h{usocket::address("127.0.0.1", 80)};
    EXPECT_EQ(h.count(usocket::address("127.0.0.1", 80)), 1u);
    EXPECT_TRUE(usocket::address("127.0.0.1", 80) == usocket::address("127.0.0.1", 80));
    EXPECT_TRUE(usocket::address("127.0.0.1", 80) < usocket::address("127.0.0.1", 81));
}

// --- the absolute deadline ---------------------------------------------------------------------

TEST_F(api, one_deadline_across_several_calls) {
    auto [a, b] = usocket::socketpair();
    b.settimeout(5s);  // each call alone could wait 5 s
    const auto t0 = usocket_test::clock::now();
    b.set_deadline(std::chrono::steady_clock::now() + 300ms);
    ASSERT_TRUE(b.deadline().has_value());
    a.sendall("1\n");
    EXPECT_EQ(b.readline(), "1\n");  // in time
    std::error_code ec;
    (void)b.readline(ec);  // nothing comes: ends at the deadline, not after 5 s
    EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
    EXPECT_GE(seconds_since(t0), 0.28);
    EXPECT_LT(seconds_since(t0), 2.0);
    // A blocking socket with a deadline waits until then too.
    b.settimeout(usocket::blocking);
    EXPECT_FALSE(b.getblocking() == false);
    (void)b.recv(1, ec);
    EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
    b.set_deadline(std::nullopt);
    EXPECT_FALSE(b.deadline().has_value());
    a.sendall("2");
    EXPECT_EQ(b.recv(1), "2");
}

TEST_F(api, is_interrupted_and_friends) {
    EXPECT_TRUE(usocket::is_interrupted(usocket::system_error_code(EINTR)));
    EXPECT_FALSE(usocket::is_interrupted(usocket::system_error_code(EAGAIN)));
    EXPECT_TRUE(usocket::is_would_block(usocket::system_error_code(EAGAIN)));
    EXPECT_TRUE(usocket::is_timeout(usocket::system_error_code(ETIMEDOUT)));
    EXPECT_TRUE(usocket::system_error_code(ETIMEDOUT) == std::errc::timed_out);
}

}  // namespace
