// socket::makefile(): modes, buffered and unbuffered files, CPython's ownership rule (the
// descriptor closes when the socket and every file are closed), timeouts, lossless sharing of
// the read-ahead buffer with the socket.

#include <fcntl.h>
#include <read_buffer.hpp>

#include <chrono>
#include <string>
#include <thread>

#include "test_support.hpp"

using namespace std::chrono_literals;

namespace {

using makefile = usocket_test::fd_leak_check;

bool fd_is_open(int fd) { return fd >= 0 && ::fcntl(fd, F_GETFD) >= 0; }

}  // namespace

TEST_F(makefile, modes_as_cpython) {
    auto [a, b] = usocket::socketpair();
    for (const char* m : {"r", "rb", "w", "wb", "rw", "rwb", "wrb", "br", "", "rrb"}) {
        auto f = a.makefile(m);
        EXPECT_FALSE(f.closed()) << m;
        EXPECT_EQ(f.mode(), m);
    }
    auto r = a.makefile("rb");
    EXPECT_TRUE(r.readable());
    EXPECT_FALSE(r.writable());
    EXPECT_TRUE(r.binary());
    EXPECT_EQ(r.buffer_size(), 8192u);
    auto w = a.makefile("w", 100);
    EXPECT_FALSE(w.readable());
    EXPECT_TRUE(w.writable());
    EXPECT_FALSE(w.binary());
    EXPECT_EQ(w.buffer_size(), 100u);
    auto rw = a.makefile("rwb", 0);
    EXPECT_TRUE(rw.readable() && rw.writable());
    EXPECT_EQ(rw.buffer_size(), 0u);
    EXPECT_TRUE(a.makefile("").readable());  // no 'w': reading

    for (const char* bad : {"r+", "a", "x", "rt", "rb+", "U"}) {
        std::error_code ec;
        EXPECT_TRUE(a.makefile(bad, -1, ec).closed()) << bad;
        EXPECT_EQ(ec, usocket::errc::bad_mode) << bad;
        EXPECT_THROW((void)a.makefile(bad), usocket::value_error) << bad;
    }
    try {
        (void)a.makefile("r+");
        FAIL();
    } catch (const usocket::value_error& e) {
        EXPECT_NE(std::string(e.what()).find("invalid mode"), std::string::npos) << e.what();
    }
    // Unbuffered text is refused, as CPython refuses it.
    EXPECT_THROW((void)a.makefile("r", 0), usocket::value_error);
    std::error_code ec;
    (void)a.makefile("r", 0, ec);
    EXPECT_EQ(ec, usocket::errc::unbuffered_text);
    try {
        (void)a.makefile("w", 0);
        FAIL();
    } catch (const usocket::value_error& e) {
        EXPECT_NE(std::string(e.what()).find("unbuffered streams must be binary"), std::string::npos) << e.what();
    }
    usocket::socket closed;
    EXPECT_THROW((void)closed.makefile("rb"), usocket::os_error);
}

TEST_F(makefile, buffered_round_trip_and_flush) {
    auto [a, b] = usocket::socketpair();
    auto out = a.makefile("wb");
    auto in = b.makefile("rb");
    EXPECT_EQ(out.write("hello\nwor"), 9u);
    EXPECT_EQ(out.pending(), 9u);
    b.setblocking(false);
    EXPECT_THROW((void)b.recv(16, usocket::msg_peek), usocket::blocking_io_error);  // still buffered
    b.setblocking(true);
    out.flush();
    EXPECT_EQ(out.pending(), 0u);
    out.write("ld\n");
    out.close();  // close flushes
    EXPECT_EQ(in.readline(), "hello\n");
    EXPECT_EQ(in.readline(), "world\n");
    a.shutdown(usocket::shut_wr);
    EXPECT_EQ(in.read(), "");
}

TEST_F(makefile, large_buffered_write_goes_straight_out) {
    auto [a, b] = usocket::socketpair();
    auto out = a.makefile("wb", 16);
    EXPECT_EQ(out.write("abc"), 3u);
    const std::string big(100000, 'x');
    std::string got;
    std::thread reader([&b = b, &got] { got = *b.read(100003); });
    EXPECT_EQ(out.write(big), big.size());
    EXPECT_EQ(out.pending(), 0u);
    reader.join();
    EXPECT_EQ(got, "abc" + big);
}

TEST_F(makefile, descriptor_closes_when_socket_and_all_files_are_closed) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "checks the descriptor with fcntl(); lwIP descriptors are not the kernel's";
#endif
    auto [a, b] = usocket::socketpair();
    const int fd = a.fileno();
    auto f1 = a.makefile("rb");
    auto f2 = a.makefile("wb", 0);
    a.close();
    EXPECT_EQ(a.fileno(), -1);
    EXPECT_TRUE(fd_is_open(fd));  // the files still use it
    EXPECT_EQ(f2.write("still here"), 10u);
    EXPECT_EQ(b.recv(64), "still here");
    f1.close();
    EXPECT_TRUE(fd_is_open(fd));
    EXPECT_EQ(f2.fileno(), fd);
    f2.close();
    EXPECT_FALSE(fd_is_open(fd));  // the last one closed it: the peer sees the end
    EXPECT_EQ(b.recv(16), "");
    f2.close();  // twice is harmless
}

TEST_F(makefile, files_closed_first_then_the_socket) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "checks the descriptor with fcntl(); lwIP descriptors are not the kernel's";
#endif
    auto [a, b] = usocket::socketpair();
    const int fd = a.fileno();
    {
        auto f = a.makefile("rwb");
        f.close();
    }
    EXPECT_TRUE(fd_is_open(fd));
    EXPECT_EQ(a.write("x"), 1u);  // the socket is untouched by its files closing
    a.close();
    EXPECT_FALSE(fd_is_open(fd));
}

TEST_F(makefile, a_file_outlives_the_socket_object) {
    usocket::socket peer;
    usocket::socket_file f;
    {
        auto [a, b] = usocket::socketpair();
        f = a.makefile("rwb");
        peer = std::move(b);
    }  // the socket object is destroyed here
    peer.sendall("alive\n");
    EXPECT_EQ(f.readline(), "alive\n");
    f.write("back");
    f.flush();
    EXPECT_EQ(peer.recv(8), "back");
    f.close();
    EXPECT_EQ(peer.recv(8), "");
}

TEST_F(makefile, file_and_socket_share_one_read_buffer) {
    auto [a, b] = usocket::socketpair();
    a.sendall("s1\nf1\ns2\nf2\nrest");
    a.shutdown(usocket::shut_wr);
    auto f = b.makefile("rb");
    EXPECT_EQ(b.readline(), "s1\n");
    EXPECT_EQ(f.readline(), "f1\n");
    EXPECT_EQ(b.recv(3), "s2\n");
    EXPECT_EQ(f.read(3), "f2\n");
    EXPECT_EQ(b.read(), "rest");
    EXPECT_EQ(f.read(), "");
}

TEST_F(makefile, unbuffered_reads_make_one_call) {
    auto [a, b] = usocket::socketpair();
    auto raw = b.makefile("rb", 0);
    a.sendall("abc");
    EXPECT_EQ(raw.read(100), "abc");  // a short read: what one recv gave
    a.sendall("defg");
    std::string buf(10, '\0');
    EXPECT_EQ(raw.readinto(buf), 4u);
    a.sendall("x\ny");
    EXPECT_EQ(raw.readline(), "x\n");
    EXPECT_EQ(b.recv(8), "y");  // what readline read ahead is the socket's
}

TEST_F(makefile, timeout_then_reads_refused_and_bytes_kept) {
    auto [a, b] = usocket::socketpair();
    auto f = b.makefile("rb");
    b.settimeout(200ms);  // after makefile: the file follows the socket's timeout
    a.sendall("partial");
    const auto t0 = usocket_test::clock::now();
    EXPECT_THROW((void)f.readline(), usocket::timeout_error);
    const double took = usocket_test::seconds_since(t0);
    EXPECT_GE(took, 0.15);
    EXPECT_LT(took, 3.0);
    std::error_code ec;
    EXPECT_FALSE(f.read(1, ec));
    EXPECT_EQ(ec, usocket::errc::stream_timed_out);
    try {
        (void)f.read();
        FAIL();
    } catch (const usocket::value_error& e) {
        EXPECT_NE(std::string(e.what()).find("cannot read from timed out object"), std::string::npos);
    }
    EXPECT_EQ(b.recv(16), "partial");  // the socket still has every byte
    auto g = b.makefile("rb");         // and a new file reads normally
    a.sendall("ok\n");
    EXPECT_EQ(g.readline(), "ok\n");
}

TEST_F(makefile, non_blocking_file) {
    auto [a, b] = usocket::socketpair();
    b.setblocking(false);
    auto f = b.makefile("rwb", 64);
    EXPECT_EQ(f.readline(), std::nullopt);
    EXPECT_EQ(f.read(5), std::nullopt);
    a.sendall("12");
    EXPECT_EQ(f.read(5), "12");
    // A full kernel buffer: writes are taken while they fit in the file's buffer, then none.
    const std::string chunk(1 << 20, 'n');
    std::optional<std::size_t> n;
    for (int i = 0; i < 64 && (n = f.write(chunk)); ++i) {
    }
    EXPECT_EQ(n, std::nullopt);
    EXPECT_EQ(f.pending(), 64u);
    EXPECT_THROW((void)f.flush(), usocket::blocking_io_error);
    EXPECT_EQ(f.pending(), 64u);  // kept, not dropped
    std::error_code ec;
    f.close(ec);
    EXPECT_TRUE(usocket::is_would_block(ec));
}

TEST_F(makefile, wrong_direction_and_closed_file) {
    auto [a, b] = usocket::socketpair();
    auto w = a.makefile("wb");
    auto r = a.makefile("rb");
    std::error_code ec;
    EXPECT_FALSE(w.read(1, ec));
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    ec.clear();
    EXPECT_FALSE(r.write("x", ec));
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    r.close();
    EXPECT_TRUE(r.closed());
    EXPECT_EQ(r.fileno(), -1);
    EXPECT_THROW((void)r.readline(), usocket::value_error);
}

TEST_F(makefile, detach_leaves_files_without_a_descriptor) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "checks the descriptor with fcntl(); lwIP descriptors are not the kernel's";
#endif
    auto [a, b] = usocket::socketpair();
    auto f = a.makefile("rb");
    const int fd = a.detach();
    std::error_code ec;
    EXPECT_FALSE(f.readline(ec));
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    f.close();
    EXPECT_TRUE(fd_is_open(fd));  // the caller owns it now
    usocket::socket::adopt(fd).close();
}

// A buffer no memory holds fails in makefile() itself (as CPython's MemoryError), and changes
// nothing: the socket's own reads and other files go on.
TEST_F(makefile, a_buffer_too_large_fails_in_makefile_and_changes_nothing) {
    auto [a, b] = usocket::socketpair();
    std::error_code ec;
    {
        auto f = b.makefile("rb", std::ptrdiff_t(1) << 61, ec);
        EXPECT_EQ(ec, std::errc::not_enough_memory);
        EXPECT_TRUE(f.closed());
    }
    a.sendall("hello\nworld\n");
    EXPECT_EQ(b.readline(ec), "hello\n");
    EXPECT_FALSE(ec) << ec.message();
    auto g = b.makefile("rb", 1 << 16);
    EXPECT_EQ(g.readline(), "world\n");
    g.close();
    b.close();  // no hold left behind by the failed makefile(): the descriptor closes now
    EXPECT_EQ(a.recv(1), "");
}
