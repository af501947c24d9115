// Readiness counts the bytes a socket already holds: after readline() has buffered a second
// line, select(), the poll object and the selector — given the socket — report it readable,
// and pending() says how many bytes are there. Given only the descriptor, they see what the
// system sees (the docs say so). And recv(0) returns at once, as CPython's does.

#include <array>
#include <string>
#include <thread>

#include "fault.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using usocket_test::seconds_since;

namespace {

class readiness : public usocket_test::fd_leak_check {};

// b holds "second\n" in its read-ahead buffer and the system has nothing more for it.
std::pair<usocket::socket, usocket::socket> pair_with_a_buffered_line() {
    auto [a, b] = usocket::socketpair();
    a.sendall("first\nsecond\n");
    EXPECT_EQ(b.readline(), "first\n");
    return {std::move(a), std::move(b)};
}

TEST_F(readiness, pending_counts_buffered_bytes) {
    auto [a, b] = pair_with_a_buffered_line();
    EXPECT_EQ(b.pending(), 7u);
    EXPECT_EQ(b.recv(3), "sec");
    EXPECT_EQ(b.pending(), 4u);
    EXPECT_EQ(b.recv(64), "ond\n");
    EXPECT_EQ(b.pending(), 0u);
    usocket::socket never;
    EXPECT_EQ(never.pending(), 0u);
}

TEST_F(readiness, select_sees_a_sockets_buffered_line) {
    auto [a, b] = pair_with_a_buffered_line();
    const auto t0 = usocket_test::clock::now();
    const auto r = usocket::select({b}, {}, {}, 2s);
    EXPECT_LT(seconds_since(t0), 1.0) << "waited although a line was there";
    ASSERT_EQ(r.read.size(), 1u);
    EXPECT_EQ(r.read[0], b.fileno());
    // Given only the descriptor, select sees the system's view: nothing to read.
    const std::vector<usocket::native_handle> fds{b.fileno()};
    EXPECT_TRUE(usocket::select(fds, {}, {}, 50ms).read.empty());
    // Once the bytes are read, the socket is not readable any more.
    EXPECT_EQ(b.readline(), "second\n");
    EXPECT_TRUE(usocket::select({b}, {}, {}, 50ms).read.empty());
}

TEST_F(readiness, poll_object_sees_a_sockets_buffered_line) {
    auto [a, b] = pair_with_a_buffered_line();
    usocket::poller p;
    p.register_fd(b, usocket::pollin);
    const auto t0 = usocket_test::clock::now();
    const auto events = p.poll(2s);
    EXPECT_LT(seconds_since(t0), 1.0);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].fd, b.fileno());
    EXPECT_NE(events[0].revents & usocket::pollin, 0);
    // Registered by descriptor: the system's view.
    usocket::poller q;
    q.register_fd(b.fileno(), usocket::pollin);
    EXPECT_TRUE(q.poll(50ms).empty());
    // ipoll's oneshot disarms a socket reported for its buffered bytes too.
    const auto once = p.ipoll(0s, usocket::ipoll_oneshot);
    EXPECT_EQ(once.size(), 1u);
    EXPECT_TRUE(p.ipoll(0s).empty());
}

TEST_F(readiness, selector_sees_a_sockets_buffered_line_level_and_edge) {
    for (const bool portable : {false, true}) {
        SCOPED_TRACE(portable ? "portable selector" : "kernel selector");
        usocket::testing::force_portable_selector(portable);
        auto [a, b] = usocket::socketpair();
        usocket::selector sel;
        sel.add(b, usocket::selector::readable, 7);
        std::array<usocket::selector_event, 4> out{};
        a.sendall("first\nsecond\n");
        ASSERT_EQ(sel.wait(out, 2s), 1u);
        EXPECT_EQ(b.readline(), "first\n");  // "second\n" stays buffered; the system has nothing
        const auto t0 = usocket_test::clock::now();
        ASSERT_EQ(sel.wait(out, 2s), 1u) << "the buffered line is not seen";
        EXPECT_LT(seconds_since(t0), 1.0);
        EXPECT_EQ(out[0].token, 7u);
        EXPECT_NE(out[0].events & usocket::selector::readable, 0u);
        ASSERT_EQ(sel.wait(out, 0s), 1u) << "level-triggered: reported while the bytes are there";
        EXPECT_EQ(b.readline(), "second\n");
        EXPECT_EQ(sel.wait(out, 50ms), 0u);

        // Edge-triggered: reported once per read that leaves bytes behind.
        sel.modify(b, usocket::selector::readable | usocket::selector::edge_triggered, 8);
        a.sendall("x\ny\n");
        ASSERT_EQ(sel.wait(out, 2s), 1u);
        EXPECT_EQ(b.readline(), "x\n");
        ASSERT_EQ(sel.wait(out, 2s), 1u);
        EXPECT_EQ(out[0].token, 8u);
        EXPECT_EQ(sel.wait(out, 50ms), 0u) << "an edge is reported once";
        EXPECT_EQ(b.readline(), "y\n");

        // Oneshot: disarmed after the report, until modify() re-arms it.
        sel.modify(b, usocket::selector::readable | usocket::selector::oneshot, 9);
        a.sendall("p\nq\n");
        ASSERT_EQ(sel.wait(out, 2s), 1u);
        EXPECT_EQ(b.readline(), "p\n");
        EXPECT_EQ(sel.wait(out, 50ms), 0u) << "a oneshot registration fired already";
        sel.modify(b, usocket::selector::readable | usocket::selector::oneshot, 10);
        ASSERT_EQ(sel.wait(out, 2s), 1u);
        EXPECT_EQ(out[0].token, 10u);
        EXPECT_EQ(b.readline(), "q\n");

        // Removed: nothing more, and a later read does not reach the selector.
        sel.remove(b);
        a.sendall("r\ns\n");
        EXPECT_EQ(b.readline(), "r\n");
        EXPECT_EQ(sel.wait(out, 50ms), 0u);
    }
    usocket::testing::force_portable_selector(false);
}

TEST_F(readiness, selector_closed_before_its_socket_reads_again) {
    auto [a, b] = usocket::socketpair();
    {
        usocket::selector sel;
        sel.add(b, usocket::selector::readable, 1);
    }  // the selector goes first: the socket must not tell a selector that is gone
    a.sendall("1\n2\n");
    EXPECT_EQ(b.readline(), "1\n");
    EXPECT_EQ(b.pending(), 2u);
}

// asyncio registers descriptor numbers: a number that a usocket socket owns is that socket,
// before and after the read that buffers, and its registration ends as a socket's does.
TEST_F(readiness, selector_given_a_sockets_number_sees_its_buffered_line) {
    for (const bool portable : {false, true}) {
        SCOPED_TRACE(portable ? "portable selector" : "kernel selector");
        usocket::testing::force_portable_selector(portable);
        auto [a, b] = pair_with_a_buffered_line();  // buffered before the add
        usocket::selector sel;
        sel.add(b.fileno(), usocket::selector::readable, 3);
        std::array<usocket::selector_event, 4> out{};
        const auto t0 = usocket_test::clock::now();
        ASSERT_EQ(sel.wait(out, 2s), 1u) << "the buffered line is not seen";
        EXPECT_LT(seconds_since(t0), 1.0);
        EXPECT_EQ(out[0].token, 3u);
        EXPECT_EQ(b.readline(), "second\n");
        EXPECT_EQ(sel.wait(out, 50ms), 0u);
        // A read after the add that leaves bytes behind reaches the selector too.
        a.sendall("3\n4\n");
        ASSERT_EQ(sel.wait(out, 2s), 1u);
        EXPECT_EQ(b.readline(), "3\n");
        ASSERT_EQ(sel.wait(out, 2s), 1u) << "bytes buffered after the add are not seen";
        EXPECT_EQ(b.readline(), "4\n");
        EXPECT_EQ(sel.wait(out, 50ms), 0u);
        sel.remove(b.fileno());
        a.sendall("5\n6\n");
        EXPECT_EQ(b.readline(), "5\n");
        EXPECT_EQ(sel.wait(out, 50ms), 0u) << "removed, yet reported";
        // A descriptor no usocket socket owns is the system's view, as before.
        auto [c, d] = usocket::socketpair();
        const usocket::native_handle raw = d.detach();
        sel.add(raw, usocket::selector::readable, 4);
        EXPECT_EQ(sel.wait(out, 50ms), 0u);
        c.sendall("z");
        ASSERT_EQ(sel.wait(out, 2s), 1u);
        EXPECT_EQ(out[0].token, 4u);
        sel.remove(raw);
        usocket::socket::adopt(raw).close();
    }
    usocket::testing::force_portable_selector(false);
}

// The socket a registration by number found may be closed and freed while the selector still
// has it: its registration keeps the state, never the descriptor, and a new socket that gets
// the same number is found as itself.
TEST_F(readiness, selector_by_number_outlives_the_socket_and_finds_the_next_owner) {
    usocket::selector sel;
    std::array<usocket::selector_event, 4> out{};
    usocket::native_handle n = -1;
    {
        auto [a, b] = pair_with_a_buffered_line();
        n = b.fileno();
        sel.add(n, usocket::selector::readable, 1);
    }  // both closed and freed; the selector's registration still holds b's state
    auto [c, d] = usocket::socketpair();
    auto& same = c.fileno() == n ? c : d;
    ASSERT_EQ(same.fileno(), n) << "the number was not reused";
    auto& other = &same == &c ? d : c;
    sel.add(n, usocket::selector::readable, 2);  // the stale registration of a closed socket goes
    other.sendall("p\nq\n");
    ASSERT_EQ(sel.wait(out, 2s), 1u);
    EXPECT_EQ(same.readline(), "p\n");
    ASSERT_EQ(sel.wait(out, 2s), 1u) << "the new owner's buffered bytes are not seen";
    EXPECT_EQ(out[0].token, 2u);
}

// A receive with msg_dontwait never waits for another thread's stream read: bytes are buffered,
// but a readline() on another thread holds the buffer while it waits for the rest of its line.
// The call says it would block (the Python module's first try, made with the GIL held, then
// waits the usual way, without the GIL); before, it waited for that read to end.
TEST_F(readiness, dontwait_receive_does_not_wait_for_another_threads_read) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "lwIP's mutex cannot be tried: a msg_dontwait receive waits for the read that holds the buffer";
#endif
    bool reader_was_inside = false;
    for (int round = 0; round < 5 && !reader_was_inside; ++round) {
        auto [a, b] = usocket::socketpair();
        a.sendall("line1\nrest");
        ASSERT_EQ(b.readline(), "line1\n");  // "rest" stays buffered
        std::string got;
        std::thread reader([&, &b = b] { got = b.readline().value_or("(none)"); });  // holds the buffer, waits for "\n"
        std::this_thread::sleep_for(100ms);
        std::thread finisher([&, &a = a] {
            std::this_thread::sleep_for(2s);
            a.sendall("\n");
        });
        std::array<std::byte, 16> buf{};
        std::error_code ec;
        const auto t0 = usocket_test::clock::now();
        const std::size_t n = b.recv_into(usocket::mutable_buffer(buf), 0, usocket::msg_dontwait, ec);
        EXPECT_LT(seconds_since(t0), 1.0) << "a msg_dontwait receive waited for another thread's read";
        if (ec) {
            EXPECT_TRUE(usocket::is_would_block(ec)) << ec.message();
            reader_was_inside = true;
        } else {
            EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), n), "rest");  // the reader came late
        }
        finisher.join();
        reader.join();
        if (reader_was_inside) {
            EXPECT_EQ(got, "rest\n");
        }
    }
    EXPECT_TRUE(reader_was_inside) << "the reader never held the buffer in time";
}

// --- recv(0) --------------------------------------------------------------------------------

TEST_F(readiness, recv_zero_returns_at_once_in_every_mode) {
    for (const usocket::timeout_type t : {usocket::timeout_type(usocket::blocking), usocket::timeout_type(2s),
                                          usocket::timeout_type(0s)}) {
        auto [a, b] = usocket::socketpair();
        b.settimeout(t);
        const auto t0 = usocket_test::clock::now();
        EXPECT_EQ(b.recv(0), "");
        std::array<char, 4> buf{};
        EXPECT_EQ(b.recv_into(usocket::mutable_buffer(buf.data(), 0)), 0u);
        EXPECT_LT(seconds_since(t0), 0.5);
        // Nothing consumed.
        a.sendall("ab");
        EXPECT_EQ(b.recv(0), "");
        EXPECT_EQ(b.recv(8), "ab");
    }
}

TEST_F(readiness, recv_zero_consumes_no_datagram_but_recvfrom_zero_does) {
    usocket::socket rx(usocket::af_inet, usocket::sock_dgram);
    rx.bind("127.0.0.1", 0);
    usocket::socket tx(usocket::af_inet, usocket::sock_dgram);
    (void)tx.sendto("one", rx.getsockname());
    (void)tx.sendto("two", rx.getsockname());
    rx.settimeout(2s);
    EXPECT_EQ(rx.recv(0), "");  // at once, nothing consumed
    // recvfrom(0) waits for a datagram and consumes it (the UDP idiom), reporting its sender.
    auto [data, from] = rx.recvfrom(0);
    EXPECT_EQ(data, "");
    EXPECT_EQ(from.port(), tx.getsockname().port());
    EXPECT_EQ(rx.recv(16), "two");
}

}  // namespace
