// The socket's stream methods (seed 001): read, readinto, readline, write. A peer sends in
// awkward pieces; every byte sent must be read back once, in order, whatever the mix of calls,
// timeouts and non-blocking reads.

#include <fault.hpp>
#include <read_buffer.hpp>
#include <socket_access.hpp>
#include <socket_state.hpp>
#include <stream_hold.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "test_support.hpp"

using namespace std::chrono_literals;
using usocket_test::seconds_since;

namespace {

class stream : public usocket_test::fd_leak_check {
protected:
    void TearDown() override {
        usocket::testing::clear_faults();
        fd_leak_check::TearDown();
    }
};

/// Sends `pieces` one by one with `gap` between them, from another thread.
class piece_sender {
public:
    piece_sender(usocket::socket& s, std::vector<std::string> pieces, std::chrono::milliseconds gap,
                 bool close_after = false)
        : thread_([&s, pieces = std::move(pieces), gap, close_after] {
              for (const auto& p : pieces) {
                  std::this_thread::sleep_for(gap);
                  s.sendall(p);
              }
              if (close_after) s.shutdown(usocket::shut_wr);
          }) {}
    ~piece_sender() { join(); }
    void join() {
        if (thread_.joinable()) thread_.join();
    }

private:
    std::thread thread_;
};

std::string numbered_lines(int n) {
    std::string all;
    for (int i = 0; i < n; ++i) all += "line " + std::to_string(i) + "\n";
    return all;
}

std::vector<std::string> split_every(const std::string& s, std::size_t n) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < s.size(); i += n) out.push_back(s.substr(i, n));
    return out;
}

}  // namespace

// --- readline ---------------------------------------------------------------------------------

TEST_F(stream, readline_many_lines_in_one_send_then_recv_gets_the_read_ahead) {
    auto [a, b] = usocket::socketpair();
    a.sendall("one\ntwo\nthree\nfour\nrest-without-newline");
    EXPECT_EQ(b.readline(), "one\n");
    // readline read ahead; every other read must see those bytes first, in order.
    EXPECT_EQ(b.recv(4), "two\n");
    EXPECT_EQ(b.readline(), "three\n");
    EXPECT_EQ(b.recv(2, usocket::msg_peek), "fo");
    std::string buf(5, '\0');
    EXPECT_EQ(b.recv_into(buf), 5u);
    EXPECT_EQ(buf, "four\n");
    usocket::address from;
    std::error_code ec;
    EXPECT_EQ(b.recvfrom(64, 0, from, ec), "rest-without-newline");
    ASSERT_FALSE(ec);
}

TEST_F(stream, readline_one_byte_per_recv) {
    auto [a, b] = usocket::socketpair();
    a.sendall("alpha\nbeta\n\ngamma");
    a.shutdown(usocket::shut_wr);
    // Every recv the stream layer makes returns a single byte.
    usocket::testing::inject({usocket::testing::op::recv, 0, 1, 1000});
    EXPECT_EQ(b.readline(), "alpha\n");
    EXPECT_EQ(b.readline(), "beta\n");
    EXPECT_EQ(b.readline(), "\n");
    EXPECT_EQ(b.readline(), "gamma");  // no final newline: the end of the stream ends the line
    EXPECT_EQ(b.readline(), "");
    EXPECT_EQ(b.readline(), "");
}

TEST_F(stream, readline_line_split_across_many_sends) {
    auto [a, b] = usocket_test::tcp_pair();
    a.setsockopt(usocket::ipproto_tcp, usocket::tcp_nodelay, 1);
    piece_sender sender(a, {"he", "l", "lo wo", "rld", "\nsec", "ond\n", "th", "ird"}, 5ms, true);
    EXPECT_EQ(b.readline(), "hello world\n");
    EXPECT_EQ(b.readline(), "second\n");
    EXPECT_EQ(b.readline(), "third");
    EXPECT_EQ(b.readline(), "");
}

TEST_F(stream, readline_line_longer_than_the_buffer) {
    auto [a, b] = usocket::socketpair();
    const std::string long_line = std::string(100000, 'x') + "\n";
    piece_sender sender(a, {long_line, "short\n", std::string(20000, 'y')}, 0ms, true);
    EXPECT_EQ(b.readline(), long_line);
    EXPECT_EQ(b.readline(), "short\n");
    EXPECT_EQ(b.readline(), std::string(20000, 'y'));
    EXPECT_EQ(b.readline(), "");
}

TEST_F(stream, readline_limit_splits_a_line_without_losing_bytes) {
    auto [a, b] = usocket::socketpair();
    a.sendall("abcdefgh\nij\n");
    EXPECT_EQ(b.readline(3), "abc");
    EXPECT_EQ(b.readline(3), "def");
    EXPECT_EQ(b.readline(100), "gh\n");
    EXPECT_EQ(b.readline(0), "");
    EXPECT_EQ(b.readline(3), "ij\n");
}

TEST_F(stream, every_byte_once_in_order_under_a_mix_of_calls_and_piece_sizes) {
    auto [a, b] = usocket_test::tcp_pair();
    a.setsockopt(usocket::ipproto_tcp, usocket::tcp_nodelay, 1);
    const std::string all = numbered_lines(400);
    piece_sender sender(a, split_every(all, 7), 0ms, true);
    std::string got;
    for (int i = 0; i < 100000; ++i) {
        std::string part;
        switch (i % 5) {
            case 0: part = *b.readline(); break;
            case 1: part = *b.read(3); break;
            case 2: part = b.recv(5); break;
            case 3: {
                std::string buf(4, '\0');
                buf.resize(*b.readinto(buf));
                part = buf;
                break;
            }
            default: part = *b.readline(6); break;
        }
        if (part.empty()) break;
        got += part;
    }
    EXPECT_EQ(got, all);
}

// The end of a stream that arrives while the receiver's queue is full of small segments is kept,
// whichever end reads: the accepted one or the one that connected. (lwIP 2.1.3 queues each
// segment as one message of a bounded mailbox, 64 in the test profile, 6 in ESP-IDF's; a FIN
// that found it full was acknowledged and dropped: the reader then waited for ever after the
// last byte.) Counts around the queue's size, each segment a write of its own.
TEST_F(stream, the_end_of_a_stream_after_a_full_queue_of_small_segments_is_kept) {
    for (const bool accepted_end_reads : {true, false}) {
        for (int count = 1; count <= 70; ++count) {
            auto [client, server] = usocket_test::tcp_pair();
            auto& writer = accepted_end_reads ? client : server;
            auto& reader = accepted_end_reads ? server : client;
            writer.setsockopt(usocket::ipproto_tcp, usocket::tcp_nodelay, 1);
            for (int i = 0; i < count; ++i) writer.sendall("seg" + std::to_string(i % 10) + "...");
            writer.shutdown(usocket::shut_wr);
            reader.settimeout(20s);  // over lwIP, a FIN that came while a segment was refused is
                                     // dropped and sent again after the peer's retransmission timeout
            std::string got;
            for (int i = 0; i < 1000; ++i) {
                const std::string part = reader.recv(4096);
                if (part.empty()) break;
                got += part;
            }
            ASSERT_EQ(got.size(), static_cast<std::size_t>(count) * 7)
                << count << " segments, accepted end reads: " << accepted_end_reads;
            EXPECT_EQ(reader.recv(1), "") << count << " segments: the end came once and stays";
        }
    }
}

// The end of a stream is for ever: once a call has read it (here a read(3) that returns the
// last byte with it), every later read returns nothing at once, blocking or timed, and
// readiness says readable. (lwIP reports the end once, then ENOTCONN and never readable: a
// blocking recv after it waited for ever.)
TEST_F(stream, the_end_of_a_stream_reads_empty_again_at_once_and_stays_readable) {
    for (const usocket::timeout_type t : {usocket::timeout_type(usocket::blocking), usocket::timeout_type(5s)}) {
        auto [a, b] = usocket_test::tcp_pair();
        b.settimeout(t);
        a.sendall("xy");
        a.close();
        EXPECT_EQ(b.read(3), "xy");  // the end came with it
        for (int i = 0; i < 3; ++i) {
            const auto t0 = usocket_test::clock::now();
            EXPECT_EQ(b.recv(10), "");
            EXPECT_EQ(b.read(4), "");
            EXPECT_EQ(b.readline(), "");
            EXPECT_EQ(usocket::select({b}, {}, {}, 2s).read.size(), 1u);
            const std::vector<usocket::native_handle> fds{b.fileno()};
            EXPECT_EQ(usocket::select(fds, {}, {}, 2s).read.size(), 1u) << "the bare descriptor";
            EXPECT_LT(seconds_since(t0), 1.0) << "a read or a wait after the end of the stream waited";
        }
    }
}

TEST_F(stream, readline_makes_well_under_one_recv_per_short_line) {
    if (!usocket::testing::fault_injection_enabled()) GTEST_SKIP() << "built without the test counter";
    auto [a, b] = usocket::socketpair();
    const int lines = 2000;
    const std::string all = numbered_lines(lines);  // ~20 KB of short lines
    piece_sender sender(a, {all}, 0ms, true);
    const auto before = usocket::testing::recv_calls();
    int read = 0;
    while (!b.readline()->empty()) ++read;
    const auto calls = usocket::testing::recv_calls() - before;
    EXPECT_EQ(read, lines);
    // 8 KiB refills: a few recv calls for the whole stream, not one per byte or per line.
    EXPECT_LT(calls, static_cast<std::uint64_t>(lines / 50)) << calls << " recv calls for " << lines << " lines";
}

// The lock every stream call takes: exclusive under contention, and a waiter is always woken.
TEST(stream_mutex, four_threads_contending_each_get_it_alone_and_all_finish) {
    usocket::sys::stream_mutex m;
    long counter = 0;  // plain: a lost update or a data race (TSan) shows a broken lock
    constexpr int threads = 4, rounds = 20000;
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (int i = 0; i < rounds; ++i) {
                const std::lock_guard<usocket::sys::stream_mutex> hold(m);
                ++counter;
                if (i % 1000 == 0) std::this_thread::yield();  // waiters pile up on the futex
            }
        });
    for (auto& t : pool) t.join();
    EXPECT_EQ(counter, long{threads} * rounds);
#ifndef USOCKET_BACKEND_LWIP  // lwIP's mutex cannot be tried
    {
        m.lock();
        bool taken = true;
        std::thread([&] { taken = m.try_lock(); }).join();
        EXPECT_FALSE(taken) << "try_lock took a held lock";
        m.unlock();
        std::thread([&] {
            taken = m.try_lock();
            if (taken) m.unlock();
        }).join();
        EXPECT_TRUE(taken) << "try_lock refused a free lock";
    }
#endif
}

// The read-ahead's refills grow for a flowing stream, up to the backend's bound, and only then.
namespace {
/// A source that fills the room it is given, at most `limit` bytes a call.
class filling_source final : public usocket::detail::byte_source {
public:
    explicit filling_source(std::size_t limit) : limit_(limit) {}
    usocket::sys::ssize read_some(std::byte* data, std::size_t size, usocket::detail::deadline&,
                                  std::error_code&) noexcept override {
        const std::size_t n = std::min(size, limit_);
        std::fill_n(data, n, std::byte{'x'});
        return static_cast<usocket::sys::ssize>(n);
    }
    usocket::sys::ssize write_some(const std::byte*, std::size_t, usocket::detail::deadline&,
                                   std::error_code& ec) noexcept override {
        ec = std::make_error_code(std::errc::operation_not_supported);
        return -1;
    }

private:
    std::size_t limit_;
};

/// The chunk after `refills` refills from `src`, each after the buffer was read empty.
std::size_t chunk_after(usocket::detail::read_buffer& rb, filling_source& src, int refills) {
    usocket::detail::deadline dl(-1);
    std::error_code ec;
    for (int i = 0; i < refills; ++i) {
        EXPECT_GT(usocket::detail::fill(rb, src, dl, ec), 0) << ec.message();
        rb.consume(rb.size());
    }
    return rb.chunk;
}
}  // namespace

TEST(read_ahead, refills_that_fill_the_room_double_up_to_the_backends_bound) {
    usocket::detail::read_buffer rb;
    filling_source flowing(std::size_t{1} << 30);
    const std::size_t start = usocket::detail::read_buffer::default_chunk;
    EXPECT_EQ(chunk_after(rb, flowing, 1), std::min(2 * start, usocket::sys::max_read_chunk));
    EXPECT_EQ(chunk_after(rb, flowing, 20), usocket::sys::max_read_chunk) << "grows to the bound and stops there";
    EXPECT_LE(rb.capacity, usocket::sys::max_read_chunk) << "the buffer follows the chunk, no further";
    EXPECT_GE(rb.capacity, usocket::sys::max_read_chunk / 2);
}

TEST(read_ahead, refills_that_leave_room_keep_the_size) {
    usocket::detail::read_buffer rb;
    filling_source trickle(100);
    EXPECT_EQ(chunk_after(rb, trickle, 50), usocket::detail::read_buffer::default_chunk);
    EXPECT_EQ(rb.capacity, usocket::detail::read_buffer::default_chunk);
}

TEST(read_ahead, a_size_the_caller_chose_stays) {
    usocket::detail::read_buffer rb;
    rb.chunk = 4096;
    rb.grows = false;
    filling_source flowing(std::size_t{1} << 30);
    EXPECT_EQ(chunk_after(rb, flowing, 20), 4096u);
}

#ifndef USOCKET_BACKEND_LWIP  // its read-ahead does not grow (sys::max_read_chunk)
TEST_F(stream, a_flowing_stream_is_read_in_refills_larger_than_the_first) {
    if (!usocket::testing::fault_injection_enabled()) GTEST_SKIP() << "built without the test counter";
    auto [a, b] = usocket::socketpair();
    // 1 MiB of lines, sent faster than lines are parsed: the refills find the socket full.
    const int lines = 100000;
    const std::string all = numbered_lines(lines);
    piece_sender sender(a, {all}, 0ms, true);
    std::this_thread::sleep_for(50ms);  // the socket's buffer full before the first refill
    const auto before = usocket::testing::recv_calls();
    int read = 0;
    while (!b.readline()->empty()) ++read;
    const auto calls = usocket::testing::recv_calls() - before;
    EXPECT_EQ(read, lines);
    // 8 KiB refills would take over 120 calls; grown ones take a fraction of that.
    EXPECT_LT(calls, all.size() / usocket::detail::read_buffer::default_chunk / 2)
        << calls << " recv calls for " << all.size() << " bytes";
    // Read to the end: the grown buffer's memory went back (an idle connection keeps none).
    EXPECT_EQ(usocket::socket_access::state(b)->rb.capacity, 0u);
}
#endif

// A buffer grown for a very long line goes back once the lines after it are read: an idle
// connection does not keep megabytes for one line it once read.
TEST_F(stream, a_buffer_grown_for_a_long_line_goes_back_once_read_empty) {
    auto [a, b] = usocket::socketpair();
    const std::string long_line = std::string(1 << 20, 'x') + "\n";
    piece_sender sender(a, {long_line, "short\n"}, 0ms);  // no shutdown: the connection stays open
    EXPECT_EQ(b.readline(), long_line);
    EXPECT_EQ(b.readline(), "short\n");
    sender.join();
    // None of the grown memory is kept: at most a refill's default room, when "short\n" came
    // apart from the long line's end (lwIP's segments) and a new one was allocated for it.
    EXPECT_LE(usocket::socket_access::state(b)->rb.capacity, usocket::detail::read_buffer::default_chunk);
}

#ifndef USOCKET_BACKEND_LWIP
// A grown buffer's memory goes back whichever read empties it: recv (the bytes buffered first),
// a line that ends where the buffered bytes end, read(n) of exactly what is buffered. The
// connection then stays open and idle: it must hold none of it.
TEST_F(stream, a_grown_buffer_read_empty_by_any_read_gives_its_memory_back) {
    for (const char* way : {"recv", "line", "read"}) {
        SCOPED_TRACE(way);
        auto [a, b] = usocket::socketpair();
        const int lines = 100000;
        const std::string all = numbered_lines(lines);
        piece_sender sender(a, {all}, 0ms);  // no shutdown: the connection stays open
        std::this_thread::sleep_for(50ms);    // the socket's buffer full: the refills fill their room
        const usocket::detail::read_buffer& rb = usocket::socket_access::state(b)->rb;
        std::size_t got = 0;
        int read = 0;
        while (rb.capacity <= usocket::detail::read_buffer::default_chunk && read < lines) {
            got += b.readline()->size();
            ++read;
        }
        ASSERT_GT(rb.capacity, usocket::detail::read_buffer::default_chunk) << "the refills did not grow";
        std::vector<std::byte> buf(1 << 20);
        const auto drain = [&] {  // the rest, with the buffer empty: straight from the socket
            while (got < all.size()) got += b.recv_into(usocket::mutable_buffer(buf.data(), buf.size()));
        };
        if (std::string_view(way) == "recv") {
            drain();
        } else if (std::string_view(way) == "line") {
            for (; read < lines; ++read) got += b.readline()->size();
        } else {
            got += b.read(rb.size())->size();  // exactly the buffered bytes
            EXPECT_EQ(rb.size(), 0u);
            EXPECT_EQ(rb.capacity, 0u) << "read(n) emptied it";
            drain();
        }
        EXPECT_EQ(got, all.size());
        EXPECT_EQ(rb.size(), 0u);
        EXPECT_EQ(rb.capacity, 0u) << "an idle connection keeps the grown buffer";
        // A reader that then finds nothing (an event loop's last try, a timed read that runs
        // out) keeps none either: its refill's room goes back when nothing came.
        b.setblocking(false);
        EXPECT_FALSE(b.readline().has_value());
        EXPECT_FALSE(b.read(100).has_value());
        EXPECT_EQ(rb.capacity, 0u) << "a would-block refill kept its room";
        b.settimeout(10ms);
        std::error_code ec;
        EXPECT_FALSE(b.readline(ec).has_value());
        EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
        EXPECT_EQ(rb.capacity, 0u) << "a timed-out refill kept its room";
    }
}
#endif

TEST_F(stream, a_file_with_its_own_buffer_size_keeps_it) {
    if (!usocket::testing::fault_injection_enabled()) GTEST_SKIP() << "built without the test counter";
    auto [a, b] = usocket::socketpair();
    const std::string all = numbered_lines(20000);  // ~190 KB
    piece_sender sender(a, {all}, 0ms, true);
    auto f = b.makefile("rb", 4096);
    const auto before = usocket::testing::recv_calls();
    std::size_t got = 0;
    while (true) {
        const auto line = f.readline();
        if (!line || line->empty()) break;
        got += line->size();
    }
    const auto calls = usocket::testing::recv_calls() - before;
    EXPECT_EQ(got, all.size());
    // Each refill takes at most the room of a buffer made for 4096 bytes (8 KiB, the library's
    // smallest allocation): grown refills would take a few calls.
    EXPECT_GE(calls, all.size() / (2 * 4096)) << "refills grew past the size asked for";
}

// --- read / readinto ------------------------------------------------------------------------

TEST_F(stream, read_n_has_no_short_reads_on_a_blocking_socket) {
    auto [a, b] = usocket::socketpair();
    piece_sender sender(a, {"ab", "c", "defg", "hij"}, 5ms, true);
    EXPECT_EQ(b.read(5), "abcde");
    EXPECT_EQ(b.read(0), "");
    EXPECT_EQ(b.read(100), "fghij");  // fewer only at the end of the stream
    EXPECT_EQ(b.read(1), "");
}

TEST_F(stream, read_without_size_reads_to_the_end) {
    auto [a, b] = usocket::socketpair();
    std::string big(300000, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    piece_sender sender(a, split_every(big, 70000), 1ms, true);
    EXPECT_EQ(b.read(), big);
    EXPECT_EQ(b.read(), "");
}

namespace {
// Storage for detail::read_to_end that grows with realloc, as the Python module's does, and
// can be told to refuse a growth (out of memory).
struct realloc_storage final : usocket::detail::growable {
    std::byte* data = nullptr;
    int grows_left = 1 << 20;
    realloc_storage() = default;
    realloc_storage(const realloc_storage&) = delete;
    realloc_storage& operator=(const realloc_storage&) = delete;
    ~realloc_storage() { std::free(data); }
    std::byte* grow(std::size_t n) noexcept override {
        if (grows_left-- <= 0) return nullptr;
        void* p = std::realloc(data, n);
        if (p != nullptr) data = static_cast<std::byte*>(p);
        return static_cast<std::byte*>(p);
    }
    std::string str(std::size_t n) const { return {reinterpret_cast<const char*>(data), n}; }
};
}  // namespace

TEST_F(stream, read_to_end_into_growing_storage_has_every_byte_once) {
    auto [a, b] = usocket::socketpair();
    std::string big(700001, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 + i / 251);
    piece_sender sender(a, split_every("head\n" + big, 90000), 1ms, true);
    EXPECT_EQ(b.readline(), "head\n");  // some of the rest is buffered now
    realloc_storage out;
    std::error_code ec;
    const auto got = usocket::detail::read_to_end(b, out, ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(got);
    EXPECT_EQ(out.str(*got), big);
    realloc_storage again;
    EXPECT_EQ(usocket::detail::read_to_end(b, again, ec), std::optional<std::size_t>(0));
}

TEST_F(stream, read_to_end_that_cannot_grow_keeps_the_bytes) {
    auto [a, b] = usocket::socketpair();
    std::string big(100000, 'q');
    a.sendall(big);
    a.shutdown(usocket::shut_wr);
    realloc_storage out;
    out.grows_left = 1;  // the first room only: 8 KiB of 100000 bytes
    std::error_code ec;
    EXPECT_FALSE(usocket::detail::read_to_end(b, out, ec));
    EXPECT_EQ(ec, std::errc::not_enough_memory);
    EXPECT_EQ(b.read(), big);  // every byte read before the refusal is still there
}

TEST_F(stream, read_to_end_error_mid_read_keeps_the_bytes) {
    auto [a, b] = usocket::socketpair();
    a.sendall("abcdef");
    usocket::testing::inject({usocket::testing::op::recv, 0, 3, 1});
    usocket::testing::inject({usocket::testing::op::recv, ECONNRESET, 0, 1});
    realloc_storage out;
    std::error_code ec;
    EXPECT_FALSE(usocket::detail::read_to_end(b, out, ec));
    EXPECT_EQ(ec, std::errc::connection_reset);
    EXPECT_EQ(b.read(6), "abcdef");
}

TEST_F(stream, read_to_end_on_a_closed_socket_is_a_clear_error) {
    auto [a, b] = usocket::socketpair();
    b.close();
    realloc_storage out;
    std::error_code ec;
    EXPECT_FALSE(usocket::detail::read_to_end(b, out, ec));
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
}

TEST_F(stream, readinto_fills_the_buffer_and_checks_nbytes) {
    auto [a, b] = usocket::socketpair();
    piece_sender sender(a, {"12", "345", "6789"}, 5ms, true);
    std::string buf(6, '.');
    EXPECT_EQ(b.readinto(buf, 4), 4u);
    EXPECT_EQ(buf, "1234..");
    EXPECT_EQ(b.readinto(buf), 5u);  // the stream ends after 5 more
    EXPECT_EQ(buf.substr(0, 5), "56789");
    EXPECT_EQ(b.readinto(buf), 0u);
    std::error_code ec;
    EXPECT_FALSE(b.readinto(buf, 7, ec));
    EXPECT_EQ(ec, usocket::errc::buffer_too_small);
    EXPECT_THROW((void)b.readinto(buf, 7), usocket::value_error);
}

TEST_F(stream, large_readinto_goes_straight_to_the_caller) {
    auto [a, b] = usocket::socketpair();
    std::string big(200000, 'q');
    big[199999] = 'z';
    piece_sender sender(a, split_every(big, 33333), 1ms, true);
    std::string buf(big.size(), '\0');
    EXPECT_EQ(b.readinto(buf), big.size());
    EXPECT_EQ(buf, big);
}

// --- timeouts: one deadline, nothing lost ---------------------------------------------------

TEST_F(stream, readline_timeout_keeps_the_partial_line) {
    auto [a, b] = usocket::socketpair();
    b.settimeout(200ms);
    a.sendall("abc");
    const auto t0 = usocket_test::clock::now();
    EXPECT_THROW((void)b.readline(), usocket::timeout_error);
    const double took = seconds_since(t0);
    EXPECT_GE(took, 0.15);
    EXPECT_LT(took, 3.0);
    a.sendall("def\nnext");
    EXPECT_EQ(b.readline(), "abcdef\n");  // the bytes received before the timeout come first
    std::error_code ec;
    EXPECT_FALSE(b.readline(ec));
    EXPECT_TRUE(usocket::is_timeout(ec));
    EXPECT_EQ(b.recv(10), "next");  // ... and recv sees them too
}

TEST_F(stream, read_n_timeout_keeps_what_was_received_micropython_issue_3155) {
    auto [a, b] = usocket::socketpair();
    b.settimeout(200ms);
    a.sendall("12345");
    EXPECT_THROW((void)b.read(10), usocket::timeout_error);
    std::string buf(10, '\0');
    EXPECT_THROW((void)b.readinto(buf), usocket::timeout_error);
    EXPECT_EQ(b.recv(3), "123");
    a.sendall("6789A");
    EXPECT_EQ(b.read(7), "456789A");
}

TEST_F(stream, a_trickling_peer_cannot_stretch_one_deadline) {
    auto [a, b] = usocket::socketpair();
    b.settimeout(500ms);
    // One byte every 100 ms, never a newline, for 2 s: a per-recv timeout would never fire.
    std::vector<std::string> drip(20, "z");
    piece_sender sender(a, drip, 100ms);
    const auto t0 = usocket_test::clock::now();
    EXPECT_THROW((void)b.readline(), usocket::timeout_error);
    const double took = seconds_since(t0);
    EXPECT_GE(took, 0.4);
    EXPECT_LT(took, 1.8);
    sender.join();
    b.settimeout(0ms);
    EXPECT_EQ(b.read(), std::string(20, 'z'));  // nothing lost
}

TEST_F(stream, an_error_mid_read_keeps_the_bytes) {
    auto [a, b] = usocket::socketpair();
    a.sendall("abcdef");
    usocket::testing::inject({usocket::testing::op::recv, 0, 3, 1});
    usocket::testing::inject({usocket::testing::op::recv, ECONNRESET, 0, 1});
    std::error_code ec;
    EXPECT_FALSE(b.read(10, ec));
    EXPECT_EQ(ec, std::errc::connection_reset);
    EXPECT_EQ(b.read(6), "abcdef");
}

TEST_F(stream, eintr_is_retried_inside_one_call) {
    auto [a, b] = usocket::socketpair();
    a.sendall("hi\n");
    usocket::testing::inject({usocket::testing::op::recv, EINTR, 0, 2});
    EXPECT_EQ(b.readline(), "hi\n");
}

// --- non-blocking ----------------------------------------------------------------------------

TEST_F(stream, non_blocking_reads_return_what_they_could_or_none) {
    auto [a, b] = usocket::socketpair();
    b.setblocking(false);
    EXPECT_EQ(b.readline(), std::nullopt);
    EXPECT_EQ(b.read(4), std::nullopt);
    EXPECT_EQ(b.read(), std::nullopt);
    std::string buf(4, '\0');
    EXPECT_EQ(b.readinto(buf), std::nullopt);
    EXPECT_THROW((void)b.recv(4), usocket::blocking_io_error);  // recv still raises

    a.sendall("par");
    EXPECT_EQ(b.readline(), "par");  // a partial line, as MicroPython returns it
    a.sendall("xy\nz");
    EXPECT_EQ(b.read(10), "xy\nz");
    a.sendall("12");
    EXPECT_EQ(b.readinto(buf), 2u);
    a.sendall("tail");
    EXPECT_EQ(b.read(), "tail");
    a.close();
    EXPECT_EQ(b.read(), "");  // the end of the stream is "", not none
    EXPECT_EQ(b.readline(), "");
}

TEST_F(stream, non_blocking_write_returns_the_count_taken) {
    auto [a, b] = usocket::socketpair();
    a.setblocking(false);
    const std::string chunk(1 << 20, 'w');
    std::size_t total = 0;
    std::optional<std::size_t> n;
    for (int i = 0; i < 64 && (n = a.write(chunk)); ++i) total += *n;
    EXPECT_EQ(n, std::nullopt);  // the kernel buffer is full: nothing taken
    EXPECT_GT(total, 0u);
    b.setblocking(false);
    std::size_t drained = 0;
    while (auto got = b.read(1 << 16)) drained += got->size();
    EXPECT_EQ(drained, total);
}

TEST_F(stream, blocking_write_has_no_short_writes) {
    auto [a, b] = usocket::socketpair();
    const std::string big(3 << 20, 'B');
    std::string got;
    std::thread reader([&b = b, &got] { got = *b.read(3 << 20); });
    EXPECT_EQ(a.write(big), big.size());
    reader.join();
    EXPECT_EQ(got, big);
}

// --- errors -----------------------------------------------------------------------------------

TEST_F(stream, closed_socket_is_ebadf_in_both_forms) {
    usocket::socket s;
    std::error_code ec;
    EXPECT_FALSE(s.readline(ec));
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    ec.clear();
    EXPECT_FALSE(s.write("x", ec));
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    EXPECT_THROW((void)s.read(), usocket::os_error);
    std::string buf(2, '\0');
    EXPECT_THROW((void)s.readinto(buf), usocket::os_error);
}

TEST_F(stream, close_drops_the_read_ahead_and_move_keeps_it) {
    auto [a, b] = usocket::socketpair();
    a.sendall("1\n2\n");
    EXPECT_EQ(b.readline(), "1\n");
    usocket::socket moved = std::move(b);
    EXPECT_EQ(moved.recv(8), "2\n");  // the buffer moved with the socket
    moved.close();
    EXPECT_THROW((void)moved.readline(), usocket::os_error);
}

// A read that made progress short of its whole asks the interrupt check (a signal handler may
// be waiting to run, for a signal that did not interrupt a system call): when it gives up, the
// read ends with EINTR and every byte it took goes back, to be read again.
TEST_F(stream, an_interrupt_after_progress_ends_the_read_and_keeps_every_byte) {
    struct read_case {
        const char* name;
        std::optional<std::string> (*read)(usocket::socket&, std::size_t, std::error_code&);
    };
    const read_case cases[] = {
        {"read(n)", [](usocket::socket& s, std::size_t n, std::error_code& ec) { return s.read(n, ec); }},
        {"read()", [](usocket::socket& s, std::size_t, std::error_code& ec) { return s.read(ec); }},
        {"readline()", [](usocket::socket& s, std::size_t, std::error_code& ec) { return s.readline(ec); }},
        {"readinto", [](usocket::socket& s, std::size_t n, std::error_code& ec) -> std::optional<std::string> {
             std::string buf(n, '\0');
             const auto got = s.readinto(usocket::mutable_buffer(buf.data(), n), n, ec);
             if (!got) return std::nullopt;
             buf.resize(*got);
             return buf;
         }},
        {"read_to_end", [](usocket::socket& s, std::size_t, std::error_code& ec) -> std::optional<std::string> {
             realloc_storage out;
             const auto got = usocket::detail::read_to_end(s, out, ec);
             if (!got) return std::nullopt;
             return out.str(*got);
         }},
    };
    std::string first(30000, '\0');
    for (std::size_t i = 0; i < first.size(); ++i) first[i] = static_cast<char>('a' + i % 26);
    const std::string rest = std::string(30000, 'z') + "\n";
    const std::size_t total = first.size() + rest.size();
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto [a, b] = usocket::socketpair();
        b.settimeout(2s);  // without the check, the read would wait for the rest
        a.sendall(first);
        std::error_code ec;
        {
            usocket_test::interrupt_check_guard guard;
            usocket::set_interrupt_check(usocket_test::count_and_give_up);
            usocket_test::interrupt_checks = 0;
            const auto t0 = usocket_test::clock::now();
            EXPECT_FALSE(c.read(b, total, ec));
            EXPECT_TRUE(usocket::is_interrupted(ec)) << ec.message();
            EXPECT_GE(usocket_test::interrupt_checks.load(), 1);
            EXPECT_LT(seconds_since(t0), 1.5);
        }
        a.sendall(rest);
        a.shutdown(usocket::shut_wr);
        ec.clear();
        EXPECT_EQ(c.read(b, total, ec), std::optional<std::string>(first + rest));
        EXPECT_FALSE(ec) << ec.message();
    }
}

// A read of nothing answers at once, even while another thread's read waits with the read lock.
TEST_F(stream, a_read_of_nothing_does_not_wait_for_another_read) {
    auto [a, b] = usocket::socketpair();
    std::optional<std::string> line;
    std::thread reader([&b = b, &line] { line = b.readline(); });
    std::this_thread::sleep_for(50ms);  // the reader waits inside readline, holding the read lock
    const auto t0 = usocket_test::clock::now();
    EXPECT_EQ(b.read(0), std::optional<std::string>(""));
    char none = 0;
    EXPECT_EQ(b.readinto(usocket::mutable_buffer(&none, 0)), std::optional<std::size_t>(0));
    EXPECT_LT(seconds_since(t0), 0.5);
    a.sendall("done\n");
    reader.join();
    EXPECT_EQ(line, std::optional<std::string>("done\n"));
    b.close();
    std::error_code ec;
    EXPECT_FALSE(b.read(0, ec));
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
}

// What a stream read gave back to the socket (bytes its caller could not deliver) is read
// first, before the bytes still buffered.
TEST_F(stream, bytes_given_back_are_read_first) {
    auto [a, b] = usocket::socketpair();
    a.sendall("first\nsecond\n");
    const auto line = b.readline();
    ASSERT_EQ(line, std::optional<std::string>("first\n"));
    EXPECT_TRUE(usocket::detail::give_back(b, reinterpret_cast<const std::byte*>(line->data()), line->size()));
    EXPECT_EQ(b.read(13), std::optional<std::string>("first\nsecond\n"));
    b.close();
    EXPECT_FALSE(usocket::detail::give_back(b, reinterpret_cast<const std::byte*>("x"), 1));
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
// Allocations of this size or more through the throwing operator new fail while it is not 0
// (std::string's); the read-ahead buffer's nothrow array allocations never do.
namespace {
std::atomic<std::size_t> refuse_news_from{0};
}  // namespace
// Out of line, so that the compiler pairs each allocation with its own operator delete.
[[gnu::noinline]] void* operator new(std::size_t n) {
    const std::size_t limit = refuse_news_from.load(std::memory_order_relaxed);
    if (limit != 0 && n >= limit) throw std::bad_alloc();
    if (void* p = std::malloc(n != 0 ? n : 1)) return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    return std::malloc(n != 0 ? n : 1);
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

// A readline whose line cannot be allocated throws std::bad_alloc with the line still buffered,
// and the buffered count stays published: recv and select still see those bytes.
TEST_F(stream, a_read_out_of_memory_keeps_its_bytes_seen) {
    auto [a, b] = usocket::socketpair();
    const std::string line = std::string(150000, 'x') + "\n";
    piece_sender sender(a, {line}, 0ms);  // more than a socket buffer holds over lwIP
    b.settimeout(1s);  // a stale count would send recv to the kernel, which has nothing left
    std::error_code ec;
    refuse_news_from = 100000;
    EXPECT_THROW((void)b.readline(ec), std::bad_alloc);
    refuse_news_from = 0;
    sender.join();
    EXPECT_EQ(b.recv(10), "xxxxxxxxxx");
    EXPECT_EQ(b.readline(), line.substr(10));
}
#endif
