// usocket::selector: events and tokens, level / edge / oneshot, timeouts, EINTR, bad input,
// 1000 socket pairs, and an echo server with 200 concurrent clients on loopback.

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "fault.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using usocket::selector;
using usocket_test::seconds_since;

namespace {

class selector_test : public usocket_test::fd_leak_check {};

using usocket_test::interrupt_checks;
constexpr auto count_and_retry = usocket_test::count_and_go_on;
bool give_up() noexcept { return true; }
using usocket_test::interrupt_check_guard;

void on_signal(int) {}

// Waits once with a span of 16 and returns the events (bounded: 2 s unless told).
std::vector<usocket::selector_event> wait_events(selector& sel, usocket::timeout_type t = 2s) {
    std::array<usocket::selector_event, 16> buf{};
    const std::size_t n = sel.wait(buf, t);
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

}  // namespace

TEST_F(selector_test, OpensCloseOnExecAndCloses) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "the kernel selector's descriptor (epoll); lwIP has none: the portable selector runs";
#endif
    selector sel;
    ASSERT_TRUE(sel.is_open());
    EXPECT_TRUE(usocket_test::has_cloexec(sel.fileno()));
    selector moved = std::move(sel);
    EXPECT_FALSE(sel.is_open());
    EXPECT_TRUE(moved.is_open());
    moved.close();
    EXPECT_EQ(moved.fileno(), -1);
    moved.close();  // a second close does nothing
    std::error_code ec;
    auto other = selector::open(ec);
    EXPECT_FALSE(ec);
    EXPECT_TRUE(other.is_open());
}

TEST_F(selector_test, ReadableAndWritableWithTokens) {
    auto [a, b] = usocket::socketpair();
    selector sel;
    sel.add(b.fileno(), selector::readable, 42);
    sel.add(a.fileno(), selector::writable, 7);
    auto ev = wait_events(sel, 0s);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].token, 7u);
    EXPECT_EQ(ev[0].events, selector::writable);

    sel.modify(a.fileno(), selector::readable, 7);
    a.sendall("x");
    ev = wait_events(sel);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].token, 42u);
    EXPECT_EQ(ev[0].events, selector::readable);

    sel.remove(b.fileno());
    EXPECT_TRUE(wait_events(sel, 0s).empty()) << "removed: no more events";
}

TEST_F(selector_test, PointerTokens) {
    auto [a, b] = usocket::socketpair();
    struct connection {
        usocket::socket* sock;
    } conn{&b};
    selector sel;
    sel.add(b.fileno(), selector::readable, reinterpret_cast<std::uintptr_t>(&conn));
    a.sendall("x");
    const auto ev = wait_events(sel);
    ASSERT_EQ(ev.size(), 1u);
    auto* c = reinterpret_cast<connection*>(static_cast<std::uintptr_t>(ev[0].token));
    EXPECT_EQ(c->sock->recv(4), "x");
}

TEST_F(selector_test, LevelReportsStateEdgeReportsChanges) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "edge triggering needs a kernel selector; the portable one (lwIP's) reports levels";
#endif
    auto [a, b] = usocket::socketpair();
    auto [c, d] = usocket::socketpair();
    selector sel;
    sel.add(b.fileno(), selector::readable, 1);
    sel.add(d.fileno(), selector::readable | selector::edge_triggered, 2);
    a.sendall("x");
    c.sendall("x");
    auto tokens = [&](usocket::timeout_type t) {
        std::set<std::uint64_t> s;
        for (const auto& e : wait_events(sel, t)) s.insert(e.token);
        return s;
    };
    EXPECT_EQ(tokens(2s), (std::set<std::uint64_t>{1, 2}));
    EXPECT_EQ(tokens(0s), (std::set<std::uint64_t>{1})) << "edge: no new data, no event";
    c.sendall("y");
    EXPECT_EQ(tokens(2s), (std::set<std::uint64_t>{1, 2})) << "edge: new data, one event";
}

TEST_F(selector_test, OneshotDisarmsUntilModify) {
    auto [a, b] = usocket::socketpair();
    selector sel;
    sel.add(b.fileno(), selector::readable | selector::oneshot, 5);
    a.sendall("x");
    EXPECT_EQ(wait_events(sel).size(), 1u);
    a.sendall("y");
    EXPECT_TRUE(wait_events(sel, 0s).empty()) << "disarmed";
    sel.modify(b.fileno(), selector::readable | selector::oneshot, 6);
    const auto ev = wait_events(sel);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].token, 6u) << "re-armed with the new token";
}

TEST_F(selector_test, HangupAndReadHangup) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "lwIP reports no POLLHUP or POLLRDHUP (a peer's end is POLLIN)";
#endif
    {
        auto [a, b] = usocket::socketpair();
        selector sel;
        sel.add(b.fileno(), selector::readable, 1);
        a.close();
        const auto ev = wait_events(sel);
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_NE(ev[0].events & selector::hangup, 0u) << "hangup is reported unasked";
        EXPECT_NE(ev[0].events & selector::readable, 0u);
    }
    {
        auto [c, s] = usocket_test::tcp_pair();
        selector sel;
        sel.add(s.fileno(), selector::read_hangup, 1);
        EXPECT_TRUE(wait_events(sel, 0s).empty());
        c.shutdown(usocket::shut_wr);
        const auto ev = wait_events(sel);
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].events, selector::read_hangup);
    }
}

TEST_F(selector_test, RefusedConnectReportsError) {
    // A bound socket that does not listen: a connection to it is refused.
    usocket::socket closed_port(usocket::af_inet, usocket::sock_stream);
    closed_port.bind(usocket::address::loopback(usocket::af_inet, 0));
    usocket::socket c(usocket::af_inet, usocket::sock_stream);
    c.setblocking(false);
    (void)c.connect_ex(closed_port.getsockname());
    selector sel;
    sel.add(c.fileno(), selector::writable, 9);
    const auto ev = wait_events(sel);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_NE(ev[0].events & selector::error, 0u);
    EXPECT_EQ(c.getsockopt(usocket::sol_socket, usocket::so_error), ECONNREFUSED);
}

TEST_F(selector_test, TcpUrgentDataIsPriority) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "urgent data (MSG_OOB); lwIP has none";
#endif
    auto [c, s] = usocket_test::tcp_pair();
    selector sel;
    sel.add(s.fileno(), selector::priority, 3);
    (void)c.send("!", usocket::msg_oob);
    const auto ev = wait_events(sel);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].events, selector::priority);
}

TEST_F(selector_test, SelectorIsItselfWatchable) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "the kernel selector's descriptor (epoll); lwIP has none: the portable selector runs";
#endif
    auto [a, b] = usocket::socketpair();
    selector inner;
    inner.add(b.fileno(), selector::readable, 1);
    const std::vector<int> r{inner.fileno()};
    EXPECT_TRUE(usocket::select(r, {}, {}, 0s).read.empty());
    a.sendall("x");
    EXPECT_EQ(usocket::select(r, {}, {}, 2s).read, r);
}

TEST_F(selector_test, TimeoutHonoured) {
    auto [a, b] = usocket::socketpair();
    selector sel;
    sel.add(b.fileno(), selector::readable, 1);
    std::array<usocket::selector_event, 4> buf{};
    auto t0 = usocket_test::clock::now();
    EXPECT_EQ(sel.wait(buf, 300ms), 0u);
    double took = seconds_since(t0);
    EXPECT_GE(took, 0.25);  // never before the deadline, even on a millisecond backend
    EXPECT_LT(took, 3.0);
    t0 = usocket_test::clock::now();
    EXPECT_EQ(sel.wait(buf, 1500us), 0u);
    took = seconds_since(t0);
    EXPECT_GE(took, 0.0014);
    EXPECT_LT(took, 2.0);
    t0 = usocket_test::clock::now();
    EXPECT_EQ(sel.wait(buf, 0s), 0u);
    EXPECT_LT(seconds_since(t0), 0.5);
}

TEST_F(selector_test, BlocksUntilReady) {
    auto [a, b] = usocket::socketpair();
    selector sel;
    sel.add(b.fileno(), selector::readable, 11);
    std::thread writer([&] {
        std::this_thread::sleep_for(100ms);
        a.sendall("late");
    });
    std::array<usocket::selector_event, 4> buf{};
    const std::size_t n = sel.wait(buf);  // no timeout
    writer.join();
    ASSERT_EQ(n, 1u);
    EXPECT_EQ(buf[0].token, 11u);
}

TEST_F(selector_test, BadInputGivesClearErrorsAndChangesNothing) {
    auto [a, b] = usocket::socketpair();
    selector sel;
    sel.add(b.fileno(), selector::readable, 1);
    std::error_code ec;

    sel.add(b.fileno(), selector::writable, 2, ec);
    EXPECT_EQ(ec, std::errc::file_exists);
    ec.clear();
    sel.modify(a.fileno(), selector::readable, 3, ec);
    EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
    ec.clear();
    sel.remove(a.fileno(), ec);
    EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
    EXPECT_THROW((void)sel.remove(a.fileno()), usocket::os_error);
    EXPECT_THROW((void)sel.add(-1, selector::readable, 0), usocket::value_error);
    EXPECT_THROW((void)sel.add(a.fileno(), 1u << 20, 0), usocket::value_error);
    EXPECT_THROW((void)sel.modify(b.fileno(), 1u << 31, 0), usocket::value_error);

    std::array<usocket::selector_event, 4> buf{};
    EXPECT_THROW((void)sel.wait(buf, -1ms), usocket::value_error);
    ec.clear();
    EXPECT_EQ(sel.wait(std::span<usocket::selector_event>(), 0s, ec), 0u);
    EXPECT_EQ(ec, usocket::errc::invalid_argument);

    // Nothing changed: b is still watched for reading with token 1, a is not watched.
    a.sendall("x");
    const auto ev = wait_events(sel);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].token, 1u);
    EXPECT_EQ(ev[0].events, selector::readable);
}

TEST_F(selector_test, ClosedDescriptorsAreEbadf) {
    selector sel;  // first: it would take the number of the descriptor closed below
    int gone = -1;
    {
        auto [x, y] = usocket::socketpair();
        gone = x.fileno();
    }
    std::error_code ec;
    sel.add(gone, selector::readable, 0, ec);
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    sel.close();
    ec.clear();
    auto [a, b] = usocket::socketpair();
    sel.add(a.fileno(), selector::readable, 0, ec);
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    std::array<usocket::selector_event, 2> buf{};
    try {
        (void)sel.wait(buf, 0s);
        ADD_FAILURE() << "no exception";
    } catch (const usocket::os_error& e) {
        EXPECT_EQ(e.code().value(), EBADF);
    }
}

TEST_F(selector_test, OpenWithoutDescriptorsLeftFailsCleanly) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "lwIP's selector takes no system descriptor";
#endif
    // In a child whose descriptor limit is 0: open(ec) reports EMFILE and the throwing form
    // throws it (neither opens again through the other).
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // UBSan checks each dynamic type once, opening a pipe to do it: check the ones used
        // below before no descriptor is left.
        {
            const std::error_code warm(EMFILE, std::system_category());
            if (warm != std::errc::too_many_files_open) ::_exit(101);
            try {
                usocket::throw_error(warm, "warm");
            } catch (const usocket::os_error& e) {
                (void)e.what();
            }
        }
        const rlimit none{0, 0};
        if (::setrlimit(RLIMIT_NOFILE, &none) != 0) ::_exit(100);
        int code = 0;
        std::error_code ec;
        const selector s = selector::open(ec);
        if (ec != std::errc::too_many_files_open) {
            std::fprintf(stderr, "open(ec): %s\n", ec.message().c_str());
            code |= 1;
        }
        if (s.is_open() || s.fileno() != -1) code |= 2;
        try {
            const selector t;
            code |= 4;
        } catch (const usocket::os_error& e) {
            if (e.code().value() != EMFILE) code |= 8;
        } catch (...) {
            code |= 16;
        }
        ::_exit(code);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(selector_test, CloseWhileAnotherThreadWaitsIsSafe) {
    for (const bool portable : {false, true}) {
        SCOPED_TRACE(portable ? "portable selector" : "kernel selector");
        usocket::testing::force_portable_selector(portable);
        auto [a, b] = usocket::socketpair();
        selector sel;
        usocket::testing::force_portable_selector(false);
        sel.add(b, selector::readable, 7);
        const int kernel_fd = sel.fileno();
        std::atomic<bool> inside{false};
        std::size_t got = 99;
        std::error_code wait_ec;
        std::thread waiter([&] {
            std::array<usocket::selector_event, 4> ev{};
            inside = true;
            got = sel.wait(ev, 1500ms, wait_ec);
        });
        const auto t0 = usocket_test::clock::now();
        while (!inside && seconds_since(t0) < 5) std::this_thread::sleep_for(1ms);
        std::this_thread::sleep_for(100ms);  // the waiter is in the kernel's wait by now
        sel.close();
        EXPECT_FALSE(sel.is_open());
        EXPECT_EQ(sel.fileno(), -1);
        if (kernel_fd >= 0) {
            EXPECT_NE(::fcntl(kernel_fd, F_GETFD), -1) << "closed under the waiter";
        }
        std::error_code ec;
        sel.add(a, selector::readable, 1, ec);
        EXPECT_EQ(ec, std::errc::bad_file_descriptor);
        a.sendall("x");  // the wait goes on until its events or its deadline
        waiter.join();
        EXPECT_FALSE(wait_ec) << wait_ec.message();
        EXPECT_LE(got, 1u);
        if (kernel_fd >= 0) {
            EXPECT_EQ(::fcntl(kernel_fd, F_GETFD), -1) << "the last call out closes it";
        }
        std::array<usocket::selector_event, 2> ev{};
        (void)sel.wait(ev, 0s, ec);
        EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    }
}

TEST_F(selector_test, AddRacingTheSocketsCloseNeverUsesAFreedNumber) {
    for (int round = 0; round < 300; ++round) {
        auto [a, b] = usocket::socketpair();
        selector sel;
        std::error_code add_ec, close_ec;
        std::thread adder([&, &b = b] { sel.add(b, selector::readable, 1, add_ec); });
        std::thread closer([&, &b = b] { b.close(close_ec); });
        adder.join();
        closer.join();
        ASSERT_FALSE(close_ec);
        if (add_ec) {
            ASSERT_EQ(add_ec, std::errc::bad_file_descriptor) << add_ec.message();
        } else {
            std::error_code ec;
            sel.remove(b, ec);  // closed while registered: found by the socket
            ASSERT_FALSE(ec) << ec.message();
        }
    }
}

TEST_F(selector_test, SocketClosedWhileRegisteredCanBeRemoved) {
    for (const bool portable : {false, true}) {
        SCOPED_TRACE(portable ? "portable selector" : "kernel selector");
        usocket::testing::force_portable_selector(portable);
        selector sel;
        usocket::testing::force_portable_selector(false);
        auto [a, b] = usocket::socketpair();
        sel.add(b, selector::readable, 1);
        a.sendall("x");
        b.close();
        std::array<usocket::selector_event, 4> ev{};
        EXPECT_EQ(sel.wait(ev, 50ms), 0u) << "a closed socket is forgotten, as the kernel does";
        std::error_code ec;
        sel.modify(b, selector::readable, 2, ec);
        EXPECT_EQ(ec, std::errc::bad_file_descriptor);
        sel.remove(b);
        sel.remove(b, ec);
        EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
        // One closed and never removed: its number goes to a new socket, which can be added,
        // and only the new one is reported.
        auto [e, f] = usocket::socketpair();
        sel.add(f, selector::readable, 4);
        f.close();
        auto [c, d] = usocket::socketpair();
        sel.add(c, selector::readable, 3);
        d.sendall("y");
        ASSERT_EQ(sel.wait(ev, 2s), 1u);
        EXPECT_EQ(ev[0].token, 3u);
        sel.remove(c);
    }
}

static void socket_closed_while_a_file_holds_its_descriptor() {
    // The descriptor stays open (CPython's _io_refs): the kernel still watches it, so remove()
    // tells the kernel, and the number is not free for another registration.
    {
        auto [a, b] = usocket::socketpair();
        auto f = a.makefile("rb");
        selector sel;
        sel.add(a, selector::readable, 77);
        a.close();
        sel.remove(a);
        b.sendall("data\n");
        std::array<usocket::selector_event, 4> ev{};
        EXPECT_EQ(sel.wait(ev, 100ms), 0u) << "the removed registration still reported";
        sel.add(f.fileno(), selector::readable, 78);
        ASSERT_EQ(sel.wait(ev, 2s), 1u);
        EXPECT_EQ(ev[0].token, 78u);
    }
    // add() of its number as a plain descriptor is EEXIST and leaves the socket's watch as it
    // was; the selector gone, a read through the file touches nothing of it (ASan checks).
    {
        auto [a, b] = usocket::socketpair();
        auto f = a.makefile("rb");
        std::optional<selector> sel;
        sel.emplace();
        sel->add(a, selector::readable, 1);
        const int fd = a.fileno();
        a.close();
        std::error_code ec;
        sel->add(fd, selector::readable, 2, ec);
        EXPECT_EQ(ec, std::errc::file_exists);
        sel.reset();
        b.sendall("line1\nline2\n");
        EXPECT_EQ(f.readline(), "line1\n");  // leaves "line2\n" buffered
        EXPECT_EQ(f.readline(), "line2\n");
    }
}

TEST_F(selector_test, SocketClosedWhileAFileHoldsItsDescriptor) {
    // Both selectors (the portable one is lwIP's).
    for (const bool portable : {false, true}) {
        SCOPED_TRACE(portable ? "portable selector" : "kernel selector");
        usocket::testing::force_portable_selector(portable);
        socket_closed_while_a_file_holds_its_descriptor();
    }
    usocket::testing::force_portable_selector(false);
}

TEST_F(selector_test, InjectedEintrIsRetried) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "faults of the kernel selector's wait; lwIP has none: the portable selector runs";
#endif
    if (!usocket::testing::fault_injection_enabled()) GTEST_SKIP() << "built without fault injection";
    interrupt_check_guard g;
    interrupt_checks = 0;
    usocket::set_interrupt_check(count_and_retry);
    auto [a, b] = usocket::socketpair();
    selector sel;
    sel.add(b.fileno(), selector::readable, 4);
    a.sendall("x");
    usocket::testing::inject({usocket::testing::op::selector_wait, EINTR, 0, 3});
    const auto ev = wait_events(sel);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].token, 4u);
    EXPECT_EQ(interrupt_checks.load(), 3);
    EXPECT_EQ(usocket::testing::pending_faults(), 0);

    usocket::set_interrupt_check(give_up);
    usocket::testing::inject({usocket::testing::op::selector_wait, EINTR, 0, 1});
    std::array<usocket::selector_event, 2> buf{};
    std::error_code ec;
    EXPECT_EQ(sel.wait(buf, 2s, ec), 0u);
    EXPECT_EQ(ec, std::errc::interrupted);

    // A failing control call changes nothing and reports its error.
    usocket::testing::inject({usocket::testing::op::selector_control, ENOSPC, 0, 1});
    ec.clear();
    sel.add(a.fileno(), selector::readable, 5, ec);
    EXPECT_EQ(ec, std::errc::no_space_on_device);
}

TEST_F(selector_test, RealSignalResumesWithTimeLeft) {
    interrupt_check_guard g;
    interrupt_checks = 0;
    usocket::set_interrupt_check(count_and_retry);
    struct sigaction sa {}, saved{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGUSR1, &sa, &saved);
    auto [a, b] = usocket::socketpair();
    selector sel;
    sel.add(b.fileno(), selector::readable, 1);
    const pthread_t self = ::pthread_self();
    std::thread signaller([self] {
        for (int i = 0; i < 3; ++i) {
            std::this_thread::sleep_for(100ms);
            ::pthread_kill(self, SIGUSR1);
        }
    });
    std::array<usocket::selector_event, 2> buf{};
    const auto t0 = usocket_test::clock::now();
    const std::size_t n = sel.wait(buf, 800ms);
    const double took = seconds_since(t0);
    signaller.join();
    ::sigaction(SIGUSR1, &saved, nullptr);
    EXPECT_EQ(n, 0u);
    EXPECT_GE(interrupt_checks.load(), 1);
    EXPECT_GE(took, 0.75);
    EXPECT_LT(took, 3.0);
}

TEST_F(selector_test, ThousandPairsExactlyTheWrittenOnes) {
    constexpr std::size_t pairs = 1000;
    std::vector<std::pair<usocket::socket, usocket::socket>> socks;
    socks.reserve(pairs);
    selector sel;
    for (std::size_t i = 0; i < pairs; ++i) {
        socks.push_back(usocket::socketpair());
        sel.add(socks.back().second.fileno(), selector::readable, i);
    }
    std::set<std::uint64_t> written;
    for (std::size_t i = 0; i < pairs; i += 7) written.insert(i);
    written.insert(pairs - 1);
    for (const auto i : written) socks[i].first.sendall("x");

    // A small array: the events come over several waits; each one is consumed when seen.
    std::array<usocket::selector_event, 64> buf{};
    std::multiset<std::uint64_t> seen;
    const auto t0 = usocket_test::clock::now();
    for (int round = 0; round < 1000 && seconds_since(t0) < 20; ++round) {
        const std::size_t n = sel.wait(buf, seen.empty() ? usocket::timeout_type(5s) : usocket::timeout_type(0s));
        if (n == 0) break;
        EXPECT_LE(n, buf.size());
        for (std::size_t k = 0; k < n; ++k) {
            EXPECT_EQ(buf[k].events, selector::readable);
            ASSERT_LT(buf[k].token, pairs);
            seen.insert(buf[k].token);
            EXPECT_EQ(socks[buf[k].token].second.recv(4), "x");
        }
    }
    EXPECT_EQ(std::set<std::uint64_t>(seen.begin(), seen.end()), written);
    EXPECT_EQ(seen.size(), written.size()) << "each one reported once";
}

// --- an echo server on the selector, 200 concurrent clients --------------------------------

namespace {

constexpr std::uint64_t listener_token = ~std::uint64_t{0};

// Edge-triggered echo server: each connection is watched once for readable | writable and
// never modified; reads and writes run until they would block.
void echo_server(usocket::socket& listener, int clients, std::atomic<bool>& stop, int& served) {
    struct conn {
        usocket::socket sock;
        std::string out;
    };
    std::unordered_map<std::uint64_t, std::unique_ptr<conn>> conns;
    selector sel;
    listener.setblocking(false);
    sel.add(listener.fileno(), selector::readable, listener_token);
    std::array<usocket::selector_event, 64> events{};
    std::uint64_t next_token = 0;
    char buf[8192];
    const auto t0 = usocket_test::clock::now();
    while (served < clients && !stop.load() && seconds_since(t0) < 50) {
        const std::size_t n = sel.wait(events, 100ms);
        for (std::size_t k = 0; k < n; ++k) {
            const auto& ev = events[k];
            if (ev.token == listener_token) {
                for (;;) {
                    std::error_code ec;
                    usocket::socket s = listener.accept(nullptr, ec);
                    if (ec) break;
                    s.setblocking(false);
                    const auto token = next_token++;
                    sel.add(s.fileno(), selector::readable | selector::writable | selector::edge_triggered, token);
                    conns.emplace(token, std::make_unique<conn>(conn{std::move(s), {}}));
                }
                continue;
            }
            auto it = conns.find(ev.token);
            if (it == conns.end()) continue;
            conn& c = *it->second;
            bool closed = false;
            for (;;) {  // drain: edge-triggered
                std::error_code ec;
                const std::size_t got = c.sock.recv_into(usocket::mutable_buffer(buf, sizeof buf), ec);
                if (ec) {
                    closed = !usocket::is_would_block(ec);
                    break;
                }
                if (got == 0) {
                    closed = true;
                    break;
                }
                c.out.append(buf, got);
            }
            while (!c.out.empty()) {
                std::error_code ec;
                const std::size_t sent = c.sock.send(c.out, ec);
                if (ec) break;
                c.out.erase(0, sent);
            }
            if (closed) {
                sel.remove(c.sock.fileno());
                conns.erase(it);
                ++served;
            }
        }
    }
}

}  // namespace

TEST_F(selector_test, EchoServerWith200Clients) {
    constexpr int clients = 200;
    constexpr std::size_t payload = 20000;
    auto listener = usocket_test::tcp_listener();
    listener.listen(512);
    const auto where = listener.getsockname();
    std::atomic<bool> stop{false};
    int served = 0;
    std::thread server([&] { echo_server(listener, clients, stop, served); });

    struct client {
        usocket::socket sock;
        std::string data;
        std::size_t sent = 0;
        std::string echoed;
        bool done = false;
    };
    std::vector<client> cs(clients);
    selector sel;
    for (int i = 0; i < clients; ++i) {
        auto& c = cs[static_cast<std::size_t>(i)];
        c.sock = usocket::socket(usocket::af_inet, usocket::sock_stream);
        c.sock.setblocking(false);
        for (std::size_t k = 0; k < payload; ++k) c.data.push_back(static_cast<char>('A' + (i + k * 7) % 61));
        const int r = c.sock.connect_ex(where);
        ASSERT_TRUE(r == 0 || r == EINPROGRESS) << r;
        sel.add(c.sock.fileno(), selector::readable | selector::writable, static_cast<std::uint64_t>(i));
    }

    int done = 0;
    std::array<usocket::selector_event, 128> events{};
    char buf[8192];
    const auto t0 = usocket_test::clock::now();
    while (done < clients && seconds_since(t0) < 40) {
        const std::size_t n = sel.wait(events, 200ms);
        for (std::size_t k = 0; k < n; ++k) {
            auto& c = cs[events[k].token];
            if (c.done) continue;
            if ((events[k].events & selector::writable) != 0 && c.sent < c.data.size()) {
                std::error_code ec;
                const std::size_t sent = c.sock.send(std::string_view(c.data).substr(c.sent), 0, ec);
                if (!ec) c.sent += sent;
                if (c.sent == c.data.size()) sel.modify(c.sock.fileno(), selector::readable, events[k].token);
            }
            if ((events[k].events & (selector::readable | selector::hangup | selector::error)) != 0) {
                std::error_code ec;
                const std::size_t got = c.sock.recv_into(usocket::mutable_buffer(buf, sizeof buf), ec);
                if (!ec) {
                    ASSERT_GT(got, 0u) << "server closed early on client " << events[k].token;
                    c.echoed.append(buf, got);
                }
            }
            if (c.echoed.size() >= c.data.size()) {
                EXPECT_EQ(c.echoed, c.data) << "client " << events[k].token;
                sel.remove(c.sock.fileno());
                c.sock.close();
                c.done = true;
                ++done;
            }
        }
    }
    const double took = seconds_since(t0);
    stop = done < clients;
    server.join();
    EXPECT_EQ(done, clients);
    EXPECT_EQ(served, clients) << "the server saw every client close";
    EXPECT_LT(took, 40.0);
    std::printf("[ info ] %d clients x %zu bytes echoed in %.3f s\n", clients, payload, took);
}
