// Timeouts: one deadline per call, received bytes kept, timeout distinct from would-block,
// EINTR retried with the time left.

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <limits>
#include <thread>
#include <vector>

#include "test_support.hpp"

using namespace std::chrono_literals;
using usocket_test::seconds_since;

namespace {

class timeout_test : public usocket_test::fd_leak_check {};

TEST_F(timeout_test, sendall_has_one_deadline_for_the_whole_call) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "sets SO_SNDBUF; lwIP does not implement it (ENOPROTOOPT)";
#endif
    // A reader that trickles: each wait of sendall is short, so a per-chunk timeout would
    // never fire. One deadline for the call must stop it after about 1 s in total.
    auto [a, b] = usocket_test::tcp_pair();
    a.setsockopt(usocket::sol_socket, usocket::so_sndbuf, 16384);
    b.setsockopt(usocket::sol_socket, usocket::so_rcvbuf, 16384);
    std::atomic<bool> stop{false};
    std::thread trickle([&, &b = b] {
        std::vector<char> buf(4096);
        b.settimeout(50ms);
        while (!stop) {
            std::error_code ec;
            (void)b.recv_into(buf, ec);
            std::this_thread::sleep_for(20ms);
        }
    });
    const std::string data(64 << 20, 'x');
    a.settimeout(1s);
    const auto t0 = usocket_test::clock::now();
    std::error_code ec;
    const std::size_t sent = a.sendall(data, ec);
    const double took = seconds_since(t0);
    stop = true;
    trickle.join();
    EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
    EXPECT_GT(sent, 0u);
    EXPECT_LT(sent, data.size());
    EXPECT_GE(took, 0.9);
    EXPECT_LT(took, 3.0) << "the timeout was applied per chunk, not to the whole call";
}

TEST_F(timeout_test, sendall_to_a_reader_that_stops_raises_timeout_after_the_timeout) {
    auto [a, b] = usocket_test::tcp_pair();
    const std::string data(64 << 20, 'y');
    a.settimeout(1s);
    const auto t0 = usocket_test::clock::now();
    EXPECT_THROW((void)a.sendall(data), usocket::timeout_error);
    const double took = seconds_since(t0);
    EXPECT_GE(took, 0.9);
    EXPECT_LT(took, 3.0);
}

TEST_F(timeout_test, a_timed_recv_keeps_what_it_received) {
    auto [a, b] = usocket_test::tcp_pair();
    b.settimeout(1s);
    a.sendall(std::string(50, 'h'));
    const auto t0 = usocket_test::clock::now();
    EXPECT_EQ(b.recv(100), std::string(50, 'h'));  // half of what was asked, at once
    EXPECT_LT(seconds_since(t0), 0.5);
    // Nothing more: a timeout, not would-block, after about the timeout.
    b.settimeout(300ms);
    const auto t1 = usocket_test::clock::now();
    try {
        (void)b.recv(100);
        FAIL() << "no timeout";
    } catch (const usocket::blocking_io_error&) {
        FAIL() << "a timeout reported as would-block";
    } catch (const usocket::timeout_error& e) {
        EXPECT_EQ(e.code(), std::errc::timed_out);
    }
    const double took = seconds_since(t1);
    EXPECT_GE(took, 0.25);
    EXPECT_LT(took, 2.0);
    // The socket is still usable after a timeout.
    a.sendall("more");
    EXPECT_EQ(b.recv(100), "more");
}

TEST_F(timeout_test, non_blocking_is_would_block_not_timeout) {
    auto [a, b] = usocket_test::tcp_pair();
    b.setblocking(false);
    const auto t0 = usocket_test::clock::now();
    std::error_code ec;
    (void)b.recv(10, ec);
    EXPECT_TRUE(usocket::is_would_block(ec));
    EXPECT_FALSE(usocket::is_timeout(ec));
    EXPECT_LT(seconds_since(t0), 0.5);
}

TEST_F(timeout_test, recv_waits_for_data_that_comes_later) {
    auto [a, b] = usocket_test::tcp_pair();
    b.settimeout(3s);
    std::thread late([&, &a = a] {
        std::this_thread::sleep_for(200ms);
        a.sendall("late");
    });
    const auto t0 = usocket_test::clock::now();
    EXPECT_EQ(b.recv(16), "late");
    const double took = seconds_since(t0);
    late.join();
    EXPECT_GE(took, 0.15);
    EXPECT_LT(took, 2.5);
}

TEST_F(timeout_test, accept_times_out) {
    auto l = usocket_test::tcp_listener();
    l.settimeout(200ms);
    const auto t0 = usocket_test::clock::now();
    EXPECT_THROW((void)l.accept(), usocket::timeout_error);
    const double took = seconds_since(t0);
    EXPECT_GE(took, 0.15);
    EXPECT_LT(took, 2.0);
}

TEST_F(timeout_test, connect_times_out_against_a_full_backlog) {
    // SYNs to a listener whose accept queue is full are dropped: the connect never answers.
    auto l = usocket_test::tcp_listener();
    l.listen(0);
    std::vector<usocket::socket> fillers;
    bool stalled = false;
    for (int i = 0; i < 64 && !stalled; ++i) {
        usocket::socket f(usocket::af_inet, usocket::sock_stream);
        f.settimeout(100ms);
        std::error_code ec;
        f.connect(l.getsockname(), ec);
        stalled = usocket::is_timeout(ec);
        fillers.push_back(std::move(f));
    }
    if (!stalled) GTEST_SKIP() << "this kernel accepts SYNs beyond the backlog";
    usocket::socket c(usocket::af_inet, usocket::sock_stream);
    c.settimeout(500ms);
    const auto t0 = usocket_test::clock::now();
    EXPECT_THROW((void)c.connect(l.getsockname()), usocket::timeout_error);
    const double took = seconds_since(t0);
    EXPECT_GE(took, 0.4);
    EXPECT_LT(took, 3.0);
    usocket::socket d(usocket::af_inet, usocket::sock_stream);
    d.settimeout(200ms);
    EXPECT_EQ(d.connect_ex(l.getsockname()), EWOULDBLOCK) << "connect_ex reports a timeout as CPython";
}

// --- EINTR from real signals ------------------------------------------------------------

std::atomic<int> interrupt_checks{0};
std::atomic<bool> give_up{false};
bool counting_check() noexcept {
    ++interrupt_checks;
    return give_up.load();
}
void on_usr1(int) {}

struct signal_setup {
    struct sigaction old {};
    signal_setup() {
        struct sigaction sa {};
        sa.sa_handler = on_usr1;  // no SA_RESTART: blocking calls fail with EINTR
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, &old);
        interrupt_checks = 0;
        give_up = false;
        usocket::set_interrupt_check(counting_check);
    }
    ~signal_setup() {
        usocket::set_interrupt_check(nullptr);
        sigaction(SIGUSR1, &old, nullptr);
    }
};

TEST_F(timeout_test, eintr_in_a_blocking_recv_is_retried) {
    signal_setup signals;
    auto [a, b] = usocket::socketpair();
    const pthread_t me = pthread_self();
    std::thread poke([&, &a = a] {
        std::this_thread::sleep_for(100ms);
        pthread_kill(me, SIGUSR1);
        std::this_thread::sleep_for(100ms);
        a.sendall("after the signal");
    });
    EXPECT_EQ(b.recv(64), "after the signal");
    poke.join();
    EXPECT_GE(interrupt_checks.load(), 1);
}

TEST_F(timeout_test, eintr_during_a_timed_wait_keeps_the_deadline) {
    signal_setup signals;
    auto [a, b] = usocket::socketpair();
    b.settimeout(600ms);
    const pthread_t me = pthread_self();
    std::atomic<bool> done{false};
    std::thread poke([&] {
        for (int i = 0; i < 20 && !done; ++i) {
            std::this_thread::sleep_for(100ms);
            if (!done) pthread_kill(me, SIGUSR1);
        }
    });
    const auto t0 = usocket_test::clock::now();
    EXPECT_THROW((void)b.recv(64), usocket::timeout_error);
    const double took = seconds_since(t0);
    done = true;
    poke.join();
    EXPECT_GE(interrupt_checks.load(), 2);
    EXPECT_GE(took, 0.5);
    EXPECT_LT(took, 1.5) << "each EINTR restarted the timeout";
}

TEST_F(timeout_test, the_interrupt_check_can_abandon_the_call) {
    signal_setup signals;
    give_up = true;
    auto [a, b] = usocket::socketpair();
    const pthread_t me = pthread_self();
    std::thread poke([&] {
        std::this_thread::sleep_for(100ms);
        pthread_kill(me, SIGUSR1);
    });
    std::error_code ec;
    (void)b.recv(64, ec);
    poke.join();
    EXPECT_EQ(ec, std::errc::interrupted);
    EXPECT_EQ(interrupt_checks.load(), 1);
}

}  // namespace

namespace {

// A call that should wait for the byte sent after 150 ms: true when it got it.
bool waits_for_late_byte(usocket::socket& a, usocket::socket& b) {
    std::thread late([&a] {
        std::this_thread::sleep_for(150ms);
        a.sendall("x");
    });
    std::error_code ec;
    const std::string got = b.recv(1, ec);
    late.join();
    return !ec && got == "x";
}

}  // namespace

// The largest timeouts and deadlines mean "very long", the smallest deadline "long past": none
// overflows the clock arithmetic (UBSan checks), none times out at once by wrapping around.
TEST_F(timeout_test, extreme_timeouts_and_deadlines_neither_overflow_nor_wrap) {
    const usocket::duration longest(std::numeric_limits<std::int64_t>::max() - 1);  // max() is out of range
    {
        auto [a, b] = usocket::socketpair();
        b.settimeout(longest);
        EXPECT_TRUE(waits_for_late_byte(a, b));
    }
    {
        auto [a, b] = usocket::socketpair();
        b.settimeout(longest);
        b.set_deadline(std::chrono::steady_clock::time_point::max());
        ASSERT_TRUE(b.deadline().has_value());
        EXPECT_GT(*b.deadline(), std::chrono::steady_clock::now() + std::chrono::hours(24 * 365));
        EXPECT_TRUE(waits_for_late_byte(a, b));
    }
    {
        auto [a, b] = usocket::socketpair();
        b.settimeout(longest);
        b.set_deadline(std::chrono::steady_clock::time_point::min());
        const auto t0 = usocket_test::clock::now();
        std::error_code ec;
        (void)b.recv(1, ec);
        EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
        EXPECT_LT(seconds_since(t0), 1.0);
    }
    {
        auto l = usocket_test::tcp_listener();
        usocket::connection_options o;
        o.timeout = 2s;
        o.attempt_delay = usocket::duration::max();
        const int port = l.getsockname().port();
        auto c = usocket::create_connection("127.0.0.1", port, o);
        EXPECT_TRUE(c.is_open());
        o.timeout = longest;
        o.attempt_delay = usocket::duration::max();
        auto d = usocket::create_connection("127.0.0.1", port, o);
        EXPECT_TRUE(d.is_open());
    }
}
