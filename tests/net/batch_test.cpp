// send_many / recv_many: batches of datagrams over UDP loopback and Unix datagram pairs, through
// sendmmsg/recvmmsg and through the one-call-per-datagram path (forced in the test build), with
// the same results: counts, contents, senders, truncation, timeouts, partial batches.

#include <pthread.h>

#include <array>
#include <string>
#include <thread>
#include <vector>

#include "batch.hpp"
#include "fault.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using usocket_test::seconds_since;

namespace {

class batch_test : public usocket_test::fd_leak_check, public ::testing::WithParamInterface<bool> {
protected:
    void SetUp() override {
        fd_leak_check::SetUp();
        if (GetParam() && !usocket::testing::fault_injection_enabled()) GTEST_SKIP() << "needs the test build";
        usocket::testing::force_portable_batches(GetParam());
    }
    void TearDown() override {
        usocket::testing::force_portable_batches(false);
        fd_leak_check::TearDown();
    }
};

struct udp_pair {
    usocket::socket a{usocket::af_inet, usocket::sock_dgram};
    usocket::socket b{usocket::af_inet, usocket::sock_dgram};
    udp_pair() {
        a.bind("127.0.0.1", 0);
        b.bind("127.0.0.1", 0);
    }
};

TEST_P(batch_test, a_batch_sent_to_addresses_arrives_as_a_batch) {
    udp_pair p;
    usocket::socket c(usocket::af_inet, usocket::sock_dgram);
    c.bind("127.0.0.1", 0);
    const usocket::address to_b = p.b.getsockname(), to_c = c.getsockname();
    std::vector<std::string> payloads;
    for (int i = 0; i < 8; ++i) payloads.push_back("datagram " + std::to_string(i) + std::string(i * 10, '.'));
    std::vector<usocket::outgoing_datagram> out;
    for (int i = 0; i < 8; ++i) out.push_back({payloads[i], i == 5 ? &to_c : &to_b});
    EXPECT_EQ(p.a.send_many(out), 8u);

    std::vector<std::array<char, 256>> bufs(16);
    std::vector<usocket::incoming_datagram> in;
    for (auto& b : bufs) in.push_back({b});
    const std::size_t got = p.b.recv_many(in);
    ASSERT_EQ(got, 7u);
    for (std::size_t i = 0, k = 0; i < 8; ++i) {
        if (i == 5) continue;
        EXPECT_EQ(std::string(bufs[k].data(), in[k].size), payloads[i]);
        EXPECT_EQ(in[k].from, p.a.getsockname());
        EXPECT_EQ(in[k].flags, 0);
        ++k;
    }
    EXPECT_EQ(c.recv(256), payloads[5]);
}

TEST_P(batch_test, a_connected_socket_needs_no_addresses) {
    auto [a, b] = usocket::socketpair(usocket::af_unix, usocket::sock_dgram);
    const std::array<usocket::outgoing_datagram, 3> out{{{"one"}, {"two"}, {"three"}}};
    EXPECT_EQ(a.send_many(out), 3u);
    std::array<char, 8> b0{}, b1{}, b2{}, b3{};
    std::array<usocket::incoming_datagram, 4> in{{{b0}, {b1}, {b2}, {b3}}};
    ASSERT_EQ(b.recv_many(in), 3u);
    EXPECT_EQ(std::string(b0.data(), in[0].size), "one");
    EXPECT_EQ(std::string(b1.data(), in[1].size), "two");
    EXPECT_EQ(std::string(b2.data(), in[2].size), "three");
}

TEST_P(batch_test, a_datagram_longer_than_its_buffer_is_flagged) {
    udp_pair p;
    const usocket::address to = p.b.getsockname();
    const std::array<usocket::outgoing_datagram, 2> out{{{"0123456789", &to}, {"ok", &to}}};
    EXPECT_EQ(p.a.send_many(out), 2u);
    std::array<char, 4> b0{}, b1{};
    std::array<usocket::incoming_datagram, 2> in{{{b0}, {b1}}};
    ASSERT_EQ(p.b.recv_many(in), 2u);
    EXPECT_EQ(in[0].size, 4u);
    EXPECT_EQ(std::string(b0.data(), 4), "0123");
    EXPECT_TRUE(has_any(in[0].flags, usocket::msg_trunc));
    EXPECT_EQ(std::string(b1.data(), in[1].size), "ok");
    EXPECT_FALSE(has_any(in[1].flags, usocket::msg_trunc));
}

TEST_P(batch_test, bytes_a_readline_left_buffered_come_first) {
    for (const auto type : {usocket::sock_stream, usocket::sock_dgram}) {
        SCOPED_TRACE(type == usocket::sock_stream ? "stream" : "datagram");
        auto [a, b] = usocket::socketpair(usocket::af_unix, type);
        a.sendall("line1\nline2\n");
        EXPECT_EQ(b.readline(), "line1\n");  // "line2\n" stays buffered
        a.sendall("line3\n");
        std::array<std::array<char, 64>, 2> bufs{};
        std::array<usocket::incoming_datagram, 2> in{};
        for (std::size_t i = 0; i < in.size(); ++i) in[i].buffer = bufs[i];
        ASSERT_EQ(b.recv_many(in, usocket::msg_peek), 1u);
        EXPECT_EQ(std::string(bufs[0].data(), in[0].size), "line2\n") << "a peek leaves it";
        ASSERT_EQ(b.recv_many(in), 1u);
        EXPECT_EQ(std::string(bufs[0].data(), in[0].size), "line2\n");
        ASSERT_EQ(b.recv_many(in), 1u);
        EXPECT_EQ(std::string(bufs[0].data(), in[0].size), "line3\n");
    }
}

TEST_P(batch_test, recv_many_waits_for_the_first_then_takes_only_what_is_there) {
    udp_pair p;
    p.b.settimeout(5s);
    const usocket::address to = p.b.getsockname();
    std::thread later([&] {
        std::this_thread::sleep_for(100ms);
        (void)p.a.sendto("late", to);
    });
    std::array<char, 16> b0{}, b1{};
    std::array<usocket::incoming_datagram, 2> in{{{b0}, {b1}}};
    const auto t0 = usocket_test::clock::now();
    EXPECT_EQ(p.b.recv_many(in), 1u);
    EXPECT_LT(seconds_since(t0), 4.0) << "waited for a second datagram";
    later.join();
    EXPECT_EQ(std::string(b0.data(), in[0].size), "late");
}

TEST_P(batch_test, a_blocking_recv_many_does_not_wait_after_the_first) {
    udp_pair p;
    (void)p.a.sendto("only", p.b.getsockname());
    std::array<char, 16> b0{}, b1{}, b2{};
    std::array<usocket::incoming_datagram, 3> in{{{b0}, {b1}, {b2}}};
    EXPECT_EQ(p.b.recv_many(in), 1u);
}

TEST_P(batch_test, timeouts_and_would_block_as_recv) {
    udp_pair p;
    std::array<char, 16> b0{};
    std::array<usocket::incoming_datagram, 1> in{{{b0}}};
    p.b.settimeout(200ms);
    const auto t0 = usocket_test::clock::now();
    EXPECT_THROW((void)p.b.recv_many(in), usocket::timeout_error);
    EXPECT_GE(seconds_since(t0), 0.19);
    p.b.setblocking(false);
    EXPECT_THROW((void)p.b.recv_many(in), usocket::blocking_io_error);
    p.b.setblocking(true);
    std::error_code ec;
    EXPECT_EQ(p.b.recv_many(in, usocket::msg_dontwait, ec), 0u);
    EXPECT_TRUE(usocket::is_would_block(ec));
}

// A receiver that does not read: the sender's batch stops where the socket would block and
// reports how many went; the next one, with nothing going, is would-block.
TEST_P(batch_test, a_full_receiver_gives_a_partial_batch_without_error) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "a Unix datagram pair's full receiver blocks the sender; lwIP's UDP never blocks";
#endif
    auto [a, b] = usocket::socketpair(usocket::af_unix, usocket::sock_dgram);
    a.setblocking(false);
    const std::string payload(1024, 'x');
    std::vector<usocket::outgoing_datagram> out(4096, usocket::outgoing_datagram{payload});
    std::error_code ec;
    std::size_t total = 0;
    std::size_t last = 0;
    for (int round = 0; round < 100; ++round) {
        last = a.send_many(out, {}, ec);
        total += last;
        if (ec) break;
        EXPECT_GT(last, 0u);
    }
    EXPECT_TRUE(usocket::is_would_block(ec)) << ec.message();
    EXPECT_EQ(last, 0u);
    EXPECT_GT(total, 0u);
    EXPECT_LT(total, 100u * 4096u);
    // Every one that was counted arrived.
    b.setblocking(false);
    std::size_t received = 0;
    std::array<char, 2048> buf{};
    std::array<usocket::incoming_datagram, 1> in{{{buf}}};
    for (;;) {
        if (b.recv_many(in, {}, ec) == 0) break;
        ++received;
    }
    EXPECT_EQ(received, total);
}

TEST_P(batch_test, a_timed_sender_waits_for_room_for_the_first) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "a Unix datagram pair's full receiver blocks the sender; lwIP's UDP never blocks";
#endif
    auto [a, b] = usocket::socketpair(usocket::af_unix, usocket::sock_dgram);
    a.settimeout(200ms);
    const std::string payload(1024, 'x');
    std::vector<usocket::outgoing_datagram> out(256, usocket::outgoing_datagram{payload});
    std::error_code ec;
    for (int round = 0; round < 1000 && !ec; ++round) (void)a.send_many(out, {}, ec);
    EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
}

// On a stream socket a message counted went whole: one the kernel took in part (its buffer
// filled) is finished under the call's deadline, and one not counted did not go at all, so
// sending again from the first not counted makes the stream whole.
TEST_P(batch_test, a_stream_socket_counts_only_whole_messages) {
    auto [a, b] = usocket::socketpair();
    a.settimeout(5s);
    b.settimeout(5s);
    const std::string m1(1 << 20, 'a'), m2(1 << 20, 'b');
    std::string got;
    std::thread reader([&, &b = b] {
        std::this_thread::sleep_for(100ms);  // the sender fills the kernel's buffer meanwhile
        std::vector<char> buf(65536);
        std::error_code ec;
        while (got.size() < m1.size() + m2.size()) {
            const std::size_t n = b.recv_into(usocket::mutable_buffer(buf.data(), buf.size()), ec);
            if (ec || n == 0) break;
            got.append(buf.data(), n);
        }
    });
    const std::vector<usocket::outgoing_datagram> out{{m1}, {m2}};
    std::size_t sent = 0;
    std::error_code ec;
    for (int round = 0; round < 10 && sent < out.size() && !ec; ++round)
        sent += a.send_many(std::span(out).subspan(sent), {}, ec);
    reader.join();
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(sent, 2u);
    EXPECT_EQ(got.size(), m1.size() + m2.size());
    EXPECT_TRUE(got == m1 + m2);
}

TEST_P(batch_test, empty_batches_and_closed_sockets) {
    udp_pair p;
    EXPECT_EQ(p.a.send_many({}), 0u);
    EXPECT_EQ(p.b.recv_many({}), 0u);
    p.a.close();
    std::error_code ec;
    const std::array<usocket::outgoing_datagram, 1> out{{{"x"}}};
    (void)p.a.send_many(out, {}, ec);
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
}

TEST_P(batch_test, an_error_on_the_first_datagram_is_reported) {
    udp_pair p;
    const std::array<usocket::outgoing_datagram, 2> out{{{"no address"}, {"either"}}};
    std::error_code ec;
    EXPECT_EQ(p.a.send_many(out, {}, ec), 0u);
    EXPECT_EQ(ec, std::errc::destination_address_required) << ec.message();
}

INSTANTIATE_TEST_SUITE_P(paths, batch_test, ::testing::Values(false, true),
                         [](const auto& param_info) { return param_info.param ? "one_call_per_datagram" : "batched"; });

}  // namespace
