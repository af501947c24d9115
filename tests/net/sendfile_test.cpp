// socket::sendfile(): both paths (the kernel's sendfile and the read and send loop) over TCP
// loopback and Unix stream pairs: whole files, offsets and counts, where the file is left,
// pipes, CPython's argument errors, one deadline for the whole call, and the interrupt check
// after a partial piece.

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <future>
#include <random>
#include <string>
#include <thread>

#include "test_support.hpp"

using namespace std::chrono_literals;
using usocket::sendfile_method;
using usocket_test::seconds_since;

namespace {

// A temporary file with `content`, removed and closed at the end.
struct temp_file {
    int fd = -1;
    explicit temp_file(const std::string& content) {
        char path[] = "/tmp/usocket-sendfile-XXXXXX";
        fd = ::mkostemp(path, O_CLOEXEC);
        EXPECT_GE(fd, 0);
        ::unlink(path);
        std::size_t done = 0;
        while (done < content.size()) {
            const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
            if (n <= 0) break;
            done += static_cast<std::size_t>(n);
        }
        EXPECT_EQ(done, content.size());
    }
    // A sparse file of `size` bytes (zeros): large without writing it.
    static temp_file sparse(off_t size) {
        temp_file f("");
        EXPECT_EQ(::ftruncate(f.fd, size), 0);
        return f;
    }
    temp_file(temp_file&& o) noexcept : fd(std::exchange(o.fd, -1)) {}
    ~temp_file() {
        if (fd >= 0) ::close(fd);
    }
    off_t position() const { return ::lseek(fd, 0, SEEK_CUR); }
};

std::string random_bytes(std::size_t n) {
    std::mt19937 gen(12345);
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(gen());
    return s;
}

// Reads until the end of the stream, at most `limit` seconds.
std::string read_to_end(usocket::socket& s) {
    s.settimeout(10s);
    std::string all;
    for (;;) {
        std::string piece = s.recv(65536);
        if (piece.empty()) return all;
        all += piece;
    }
}

std::pair<usocket::socket, usocket::socket> stream_pair(bool tcp) {
    return tcp ? usocket_test::tcp_pair() : usocket::socketpair();
}

struct sendfile_case {
    sendfile_method how;
    bool tcp;
};

std::string case_name(const ::testing::TestParamInfo<sendfile_case>& info) {
    const char* how = info.param.how == sendfile_method::kernel      ? "kernel"
                      : info.param.how == sendfile_method::send_loop ? "send_loop"
                                                                     : "automatic";
    return std::string(how) + (info.param.tcp ? "_tcp" : "_unix");
}

class sendfile_test : public usocket_test::fd_leak_check, public ::testing::WithParamInterface<sendfile_case> {
protected:
#ifdef USOCKET_BACKEND_LWIP
    void SetUp() override {
        fd_leak_check::SetUp();
        if (GetParam().how == sendfile_method::kernel)
            GTEST_SKIP() << "the kernel's sendfile to a kernel socket; lwIP's go through the read and send loop";
    }
#endif
    // Sends with the parameter's method from one thread and reads everything in another.
    std::pair<std::size_t, std::string> transfer(int file, std::uint64_t offset, std::size_t count) {
        auto [a, b] = stream_pair(GetParam().tcp);
        auto reader = std::async(std::launch::async, [&b = b] { return read_to_end(b); });
        const std::size_t sent = a.sendfile(file, offset, count, GetParam().how);
        a.shutdown(usocket::shut_wr);
        return {sent, reader.get()};
    }
};

TEST_P(sendfile_test, sends_the_whole_file_and_leaves_it_at_the_end) {
    const std::string content = random_bytes(300'000);
    temp_file f(content);
    ::lseek(f.fd, 123, SEEK_SET);  // the offset counts, not the position
    const auto [sent, got] = transfer(f.fd, 0, 0);
    EXPECT_EQ(sent, content.size());
    EXPECT_TRUE(got == content) << "received " << got.size() << " bytes";
    EXPECT_EQ(f.position(), static_cast<off_t>(content.size()));
}

TEST_P(sendfile_test, offset_and_count_send_a_slice) {
    const std::string content = random_bytes(100'000);
    temp_file f(content);
    const auto [sent, got] = transfer(f.fd, 5000, 70'001);
    EXPECT_EQ(sent, 70'001u);
    EXPECT_TRUE(got == content.substr(5000, 70'001));
    EXPECT_EQ(f.position(), 75'001);
}

TEST_P(sendfile_test, a_count_past_the_end_stops_at_the_end) {
    const std::string content = random_bytes(10'000);
    temp_file f(content);
    const auto [sent, got] = transfer(f.fd, 9000, 50'000);
    EXPECT_EQ(sent, 1000u);
    EXPECT_TRUE(got == content.substr(9000));
}

TEST_P(sendfile_test, an_empty_file_or_an_offset_at_the_end_sends_nothing) {
    temp_file empty("");
    EXPECT_EQ(transfer(empty.fd, 0, 0).first, 0u);
    EXPECT_EQ(empty.position(), 0);
    temp_file f("abc");
    ::lseek(f.fd, 1, SEEK_SET);
    const auto [sent, got] = transfer(f.fd, 3, 0);
    EXPECT_EQ(sent, 0u);
    EXPECT_EQ(got, "");
    EXPECT_EQ(f.position(), 1) << "nothing sent, the position is untouched (as CPython)";
}

// One deadline for the whole call: a reader that never reads makes the call end after the
// timeout, however many pieces went before, with what was sent reported and the file there.
TEST_P(sendfile_test, a_timeout_bounds_the_whole_call) {
    auto f = temp_file::sparse(256 << 20);
    auto [a, b] = stream_pair(GetParam().tcp);
    a.settimeout(300ms);
    std::error_code ec;
    const auto t0 = usocket_test::clock::now();
    const std::size_t sent = a.sendfile(f.fd, 0, 0, GetParam().how, ec);
    const double took = seconds_since(t0);
    EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
    EXPECT_GT(sent, 0u);
    EXPECT_LT(sent, std::size_t{256} << 20);
    EXPECT_EQ(f.position(), static_cast<off_t>(sent));
    EXPECT_GE(took, 0.29);
    EXPECT_LT(took, 3.0);
    EXPECT_THROW((void)a.sendfile(f.fd, 0, 0, GetParam().how), usocket::timeout_error);
}

bool give_up_check() noexcept { return true; }

// A blocking sendfile cut short by a signal after some bytes went runs the interrupt check.
TEST_P(sendfile_test, a_signal_after_a_partial_piece_runs_the_interrupt_check) {
    usocket_test::interrupt_check_guard guard;
    usocket::set_interrupt_check(give_up_check);
    auto f = temp_file::sparse(256 << 20);
    auto [a, b] = stream_pair(GetParam().tcp);
    std::error_code ec;
    std::size_t sent = 0;
    std::promise<pthread_t> self;
    auto who = self.get_future();
    const auto t0 = usocket_test::clock::now();
    std::thread t([&, &a = a] {
        self.set_value(::pthread_self());
        sent = a.sendfile(f.fd, 0, 0, GetParam().how, ec);
    });
    {
        usocket_test::signaller sig(who.get(), 300ms);
    }
    t.join();
    EXPECT_TRUE(usocket::is_interrupted(ec)) << ec.message();
    EXPECT_GT(sent, 0u);
    EXPECT_EQ(f.position(), static_cast<off_t>(sent));
    EXPECT_LT(seconds_since(t0), 5.0);
}

INSTANTIATE_TEST_SUITE_P(each_path, sendfile_test,
                         ::testing::Values(sendfile_case{sendfile_method::automatic, true},
                                           sendfile_case{sendfile_method::kernel, true},
                                           sendfile_case{sendfile_method::send_loop, true},
                                           sendfile_case{sendfile_method::kernel, false},
                                           sendfile_case{sendfile_method::send_loop, false}),
                         case_name);

class sendfile_rules : public usocket_test::fd_leak_check {};

TEST_F(sendfile_rules, a_pipe_goes_through_the_loop_and_the_kernel_path_refuses_it) {
    int p[2];
    ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
    ASSERT_EQ(::write(p[1], "through a pipe", 14), 14);
    ::close(p[1]);
    auto [a, b] = usocket::socketpair();
    std::error_code ec;
    EXPECT_EQ(a.sendfile(p[0], 0, 0, sendfile_method::kernel, ec), 0u);
    EXPECT_EQ(ec, usocket::errc::unsupported);
    EXPECT_EQ(a.sendfile(p[0]), 14u);
    a.shutdown(usocket::shut_wr);
    EXPECT_EQ(read_to_end(b), "through a pipe");
    ::close(p[0]);
}

TEST_F(sendfile_rules, only_blocking_or_timed_stream_sockets_as_cpython) {
    temp_file f("data");
    usocket::socket udp(usocket::af_inet, usocket::sock_dgram);
    EXPECT_THROW((void)udp.sendfile(f.fd), usocket::value_error);
    auto [a, b] = usocket::socketpair();
    a.setblocking(false);
    std::error_code ec;
    EXPECT_EQ(a.sendfile(f.fd, 0, 0, sendfile_method::automatic, ec), 0u);
    EXPECT_EQ(ec, usocket::errc::invalid_argument);
    b.setblocking(false);
    (void)b.recv(16, ec);
    EXPECT_TRUE(usocket::is_would_block(ec)) << "nothing was sent";
}

TEST_F(sendfile_rules, a_bad_file_or_a_closed_socket_is_ebadf) {
    auto [a, b] = usocket::socketpair();
    std::error_code ec;
    for (auto how : {sendfile_method::automatic, sendfile_method::kernel, sendfile_method::send_loop}) {
        (void)a.sendfile(-1, 0, 0, how, ec);
        EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    }
    temp_file f("x");
    a.close();
    (void)a.sendfile(f.fd, 0, 0, sendfile_method::automatic, ec);
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
}

TEST_F(sendfile_rules, a_write_only_file_fails_on_both_paths) {
    char path[] = "/tmp/usocket-sendfile-XXXXXX";
    const int rw = ::mkostemp(path, O_CLOEXEC);
    ASSERT_GE(rw, 0);
    ASSERT_EQ(::write(rw, "abc", 3), 3);
    const int wo = ::open(path, O_WRONLY | O_CLOEXEC);
    ::unlink(path);
    ::close(rw);
    ASSERT_GE(wo, 0);
    auto [a, b] = usocket::socketpair();
    std::error_code ec;
    EXPECT_EQ(a.sendfile(wo, 0, 0, sendfile_method::automatic, ec), 0u);
    EXPECT_EQ(ec, std::errc::bad_file_descriptor) << ec.message();
    ::close(wo);
}

}  // namespace
