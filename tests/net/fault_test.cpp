// Error paths driven by faults injected at the backend seam (src/fault.hpp): EINTR, EAGAIN,
// short reads and writes, ECONNRESET — without a kernel that misbehaves.

#include <atomic>
#include <thread>

#include "fault.hpp"
#include "stream_hold.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using usocket::testing::fault;
using usocket::testing::op;

namespace {

class fault_test : public usocket_test::fd_leak_check {
protected:
    void SetUp() override {
        if (!usocket::testing::fault_injection_enabled())
            GTEST_SKIP() << "built without USOCKET_FAULT_INJECTION";
        fd_leak_check::SetUp();
        checks = 0;
        usocket::set_interrupt_check(count_check);
    }
    void TearDown() override {
        if (!usocket::testing::fault_injection_enabled()) return;
        EXPECT_EQ(usocket::testing::pending_faults(), 0) << "an injected fault was never reached";
        usocket::testing::clear_faults();
        usocket::set_interrupt_check(nullptr);
        fd_leak_check::TearDown();
    }
    static inline std::atomic<int> checks{0};
    static bool count_check() noexcept {
        ++checks;
        return false;
    }
};

TEST_F(fault_test, eintr_on_recv_is_retried) {
    auto [a, b] = usocket::socketpair();
    a.sendall("payload");
    usocket::testing::inject({op::recv, EINTR, 0, 3});
    EXPECT_EQ(b.recv(64), "payload");
    EXPECT_EQ(checks.load(), 3);
}

TEST_F(fault_test, eintr_on_send_is_retried_by_sendall) {
    auto [a, b] = usocket::socketpair();
    usocket::testing::inject({op::send, EINTR, 0, 2});
    a.sendall("abc");
    EXPECT_EQ(b.recv(8), "abc");
    EXPECT_EQ(checks.load(), 2);
}

TEST_F(fault_test, short_writes_are_completed_by_sendall_in_order) {
    auto [a, b] = usocket::socketpair();
    usocket::testing::inject({op::send, 0, 3, 5});  // five sends of at most 3 bytes
    const std::string msg = "the quick brown fox jumps over the lazy dog";
    a.sendall(msg);
    std::string got;
    b.settimeout(2s);
    while (got.size() < msg.size()) got += b.recv(64);
    EXPECT_EQ(got, msg);
}

TEST_F(fault_test, send_reports_a_short_write_as_is) {
    auto [a, b] = usocket::socketpair();
    usocket::testing::inject({op::send, 0, 4, 1});
    EXPECT_EQ(a.send("0123456789"), 4u);
    EXPECT_EQ(b.recv(64), "0123");
}

TEST_F(fault_test, short_reads_return_what_came) {
    auto [a, b] = usocket::socketpair();
    a.sendall("abcdef");
    usocket::testing::inject({op::recv, 0, 1, 1});
    EXPECT_EQ(b.recv(64), "a");
    EXPECT_EQ(b.recv(64), "bcdef");
}

TEST_F(fault_test, econnreset_is_reported_with_its_errno) {
    auto [a, b] = usocket::socketpair();
    usocket::testing::inject({op::recv, ECONNRESET});
    try {
        (void)b.recv(8);
        FAIL();
    } catch (const usocket::os_error& e) {
        EXPECT_EQ(e.code(), std::errc::connection_reset);
    }
    EXPECT_TRUE(b.is_open());
    a.sendall("z");
    EXPECT_EQ(b.recv(8), "z");
}

TEST_F(fault_test, spurious_eagain_on_a_timed_socket_waits_and_retries) {
    auto [a, b] = usocket::socketpair();
    b.settimeout(2s);
    a.sendall("ready");
    usocket::testing::inject({op::recv, EAGAIN, 0, 2});
    EXPECT_EQ(b.recv(16), "ready");
}

TEST_F(fault_test, eagain_on_a_blocking_socket_is_reported_only_with_a_kernel_timeout) {
#ifdef USOCKET_HAS_SO_RCVTIMEO
    {
        // With SO_RCVTIMEO set by hand, a blocking descriptor's EAGAIN is that timeout: the
        // caller's choice, reported, never turned into a wait.
        auto [a, b] = usocket::socketpair();
        const long tv[2] = {5, 0};  // struct timeval: 5 s
        b.setsockopt(usocket::sol_socket, usocket::so_rcvtimeo, usocket::const_buffer(tv, sizeof tv));
        usocket::testing::inject({op::recv, EAGAIN});
        EXPECT_THROW((void)b.recv(16), usocket::blocking_io_error);
    }
#endif
    // Without it, EAGAIN on a call that began blocking means another thread made the
    // descriptor non-blocking meanwhile: the call waits, as it began, and gets the bytes.
    auto [a, b] = usocket::socketpair();
    a.sendall("x");
    usocket::testing::inject({op::recv, EAGAIN});
    EXPECT_EQ(b.recv(16), "x");
}

TEST_F(fault_test, eintr_on_the_wait_keeps_the_deadline) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "counts interrupt checks; over lwIP a wait also runs the check after each 50 ms slice";
#endif
    auto [a, b] = usocket::socketpair();
    b.settimeout(300ms);
    usocket::testing::inject({op::wait, EINTR, 0, 4});
    const auto t0 = usocket_test::clock::now();
    EXPECT_THROW((void)b.recv(16), usocket::timeout_error);
    const double took = usocket_test::seconds_since(t0);
    EXPECT_EQ(checks.load(), 4);
    EXPECT_GE(took, 0.25);
    EXPECT_LT(took, 1.5);
}

// A socket that polls readable while its call keeps saying would-block (the call cannot use
// what made it readable): the call ends at its deadline, where it used to retry for ever.
TEST_F(fault_test, would_block_while_readable_ends_at_the_deadline) {
    auto [a, b] = usocket::socketpair();
    a.sendall("x");
    b.settimeout(200ms);
    usocket::testing::inject({op::recv, EAGAIN, 0, 1 << 30});
    const auto t0 = usocket_test::clock::now();
    EXPECT_THROW((void)b.recv(16), usocket::timeout_error);
    const double took = usocket_test::seconds_since(t0);
    usocket::testing::clear_faults();
    EXPECT_GE(took, 0.15);
    EXPECT_LT(took, 1.5);
    EXPECT_EQ(b.recv(16), "x");  // nothing lost
}

// MSG_ERRQUEUE on a blocking socket of a family that reads the error queue (AF_PACKET, CAN,
// vsock: here a Unix socket whose receive is made to answer as theirs do, would-block at once
// while the socket is readable for its data): the call reports would-block, where it used to
// wait for readiness and retry for ever. Nothing queued is lost.
#ifdef USOCKET_HAS_MSG_ERRQUEUE
TEST_F(fault_test, errqueue_on_a_blocking_socket_answers_with_its_one_call) {
    auto [a, b] = usocket::socketpair();
    a.sendall("x");
    usocket::testing::inject({op::recv, EAGAIN, 0, 1000});
    char buf[16];
    std::error_code ec;
    const std::size_t n = b.recv_into(usocket::mutable_buffer(buf, sizeof buf), 0, usocket::msg_errqueue, ec);
    usocket::testing::clear_faults();
    EXPECT_EQ(n, 0u);
    EXPECT_TRUE(usocket::is_would_block(ec)) << ec.message();
    EXPECT_EQ(b.recv(16), "x");
}
#endif

TEST_F(fault_test, eintr_on_accept_is_retried) {
    auto l = usocket_test::tcp_listener();
    usocket::socket c(usocket::af_inet, usocket::sock_stream);
    c.connect(l.getsockname());
    usocket::testing::inject({op::accept, EINTR});
    auto [s, peer] = l.accept();
    EXPECT_EQ(peer, c.getsockname());
    EXPECT_EQ(checks.load(), 1);
}

TEST_F(fault_test, interrupted_connect_waits_for_the_connection_and_checks_so_error) {
    auto l = usocket_test::tcp_listener();
    for (bool timed : {false, true}) {
        usocket::socket c(usocket::af_inet, usocket::sock_stream);
        if (timed) c.settimeout(2s);
        usocket::testing::inject({op::connect, EINTR});
        c.connect(l.getsockname());
        EXPECT_EQ(c.getpeername(), l.getsockname()) << "timed=" << timed;
        auto [s, peer] = l.accept();
        EXPECT_EQ(peer, c.getsockname());
    }
    // A refused connection after EINTR is reported from SO_ERROR.
    usocket::address dead;
    {
        usocket::socket t(usocket::af_inet, usocket::sock_stream);
        t.bind("127.0.0.1", 0);
        dead = t.getsockname();
    }
    usocket::socket r(usocket::af_inet, usocket::sock_stream);
    r.settimeout(2s);
    usocket::testing::inject({op::connect, EINTR});
    std::error_code ec;
    r.connect(dead, ec);
    EXPECT_EQ(ec, std::errc::connection_refused);
}

TEST_F(fault_test, faults_belong_to_the_injecting_thread) {
    auto [a, b] = usocket::socketpair();
    usocket::testing::inject({op::send, ECONNRESET});
    std::thread other([&, &a = a] { a.sendall("from another thread"); });
    other.join();
    EXPECT_EQ(b.recv(64), "from another thread");
    EXPECT_THROW((void)a.send("x"), usocket::os_error);
}

// The unguarded tries the Python module makes under the GIL (stream_hold.hpp): a count or the
// error of one system call that never waits; the socket's own call whenever it must answer.
TEST_F(fault_test, a_vouched_try_answers_with_one_call_or_hands_over_to_the_socket) {
    using usocket::detail::vouched_recv;
    using usocket::detail::vouched_send;
    auto [a, b] = usocket::socketpair();  // blocking: the tries never wait all the same
    char buf[16];
    const usocket::mutable_buffer into(buf, sizeof buf);
    std::error_code ec;
    EXPECT_EQ(vouched_recv(b, into, 0, ec), -1);
    EXPECT_EQ(ec, std::errc::resource_unavailable_try_again);
    ec.clear();
    EXPECT_EQ(vouched_send(a, usocket::const_buffer("abc", 3), 0, ec), 3);
    EXPECT_EQ(vouched_recv(b, usocket::mutable_buffer(buf, 2), 0, ec), 2);
    EXPECT_EQ(std::string(buf, 2), "ab");
    EXPECT_FALSE(ec);

    // An interrupted call is the socket's to retry (its interrupt check runs): nothing lost.
    usocket::testing::inject({op::recv, EINTR});
    EXPECT_EQ(vouched_recv(b, into, 0, ec), -2);
    usocket::testing::inject({op::send, EINTR});
    EXPECT_EQ(vouched_send(a, usocket::const_buffer("d", 1), 0, ec), -2);
    EXPECT_FALSE(ec);
    EXPECT_EQ(checks.load(), 0);
    EXPECT_EQ(b.recv(16), "c");

    // Any other error is the answer, reported once (a second try would read the end instead).
    usocket::testing::inject({op::recv, ECONNRESET});
    EXPECT_EQ(vouched_recv(b, into, 0, ec), -1);
    EXPECT_EQ(ec, std::errc::connection_reset);
    ec.clear();

    // Bytes the stream methods buffered come first: the socket's call serves them.
    a.sendall("line\nrest");
    EXPECT_EQ(b.readline(), "line\n");
    EXPECT_EQ(vouched_recv(b, into, 0, ec), -2);
    EXPECT_EQ(b.recv(16), "rest");
    EXPECT_EQ(vouched_recv(b, usocket::mutable_buffer(buf, 0), 0, ec), -2);  // nothing asked

    // Detached or closed: the descriptor is no longer the socket's to use.
    const usocket::native_handle fd = a.detach();
    EXPECT_EQ(vouched_send(a, usocket::const_buffer("x", 1), 0, ec), -2);
    b.close();
    EXPECT_EQ(vouched_recv(b, into, 0, ec), -2);
    EXPECT_FALSE(ec);
    usocket::close(fd);
}

}  // namespace
