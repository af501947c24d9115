// The message calls racing close(): a call blocked in recvmsg, recvmsg_into, recv_many, sendmsg,
// send_many or sendfile while another thread closes its socket returns (with what it got, or
// EBADF) once the peer lets it, touches no freed memory (ASan) and leaves no descriptor behind.

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace {

struct race_case {
    const char* name;
    usocket::socket_type type;
    bool fill;  // the call sends: fill the socket first so that it blocks
    std::function<std::error_code(usocket::socket&)> call;
};

class message_threads : public usocket_test::fd_leak_check, public ::testing::WithParamInterface<race_case> {};

std::vector<race_case> cases() {
    static const std::string chunk(64 * 1024, 'm');
    return {
        {"recvmsg", usocket::sock_stream, false,
         [](usocket::socket& s) {
             std::error_code ec;
             (void)s.recvmsg(64, 64, {}, ec);
             return ec;
         }},
        {"recvmsg_into", usocket::sock_stream, false,
         [](usocket::socket& s) {
             std::error_code ec;
             std::array<char, 64> buf{};
             const std::array<usocket::mutable_buffer, 1> bufs{buf};
             (void)s.recvmsg_into(bufs, 64, {}, ec);
             return ec;
         }},
        {"recv_many", usocket::sock_dgram, false,
         [](usocket::socket& s) {
             std::error_code ec;
             std::array<char, 64> b0{}, b1{};
             std::array<usocket::incoming_datagram, 2> in{};
             in[0].buffer = b0;
             in[1].buffer = b1;
             (void)s.recv_many(in, {}, ec);
             return ec;
         }},
        {"sendmsg", usocket::sock_stream, true,
         [](usocket::socket& s) {
             std::error_code ec;
             const std::array<usocket::const_buffer, 1> out{chunk};
             (void)s.sendmsg(out, {}, {}, usocket::address(), ec);
             return ec;
         }},
        {"send_many", usocket::sock_dgram, true,
         [](usocket::socket& s) {
             std::error_code ec;
             const std::array<usocket::outgoing_datagram, 1> out{{{std::string_view(chunk).substr(0, 1024)}}};
             (void)s.send_many(out, {}, ec);
             return ec;
         }},
        {"sendfile", usocket::sock_stream, true,
         [](usocket::socket& s) {
             char path[] = "/tmp/usocket-race-XXXXXX";
             const int fd = ::mkostemp(path, O_CLOEXEC);
             ::unlink(path);
             if (fd < 0 || ::ftruncate(fd, 64 << 20) != 0) return std::make_error_code(std::errc::io_error);
             std::error_code ec;
             (void)s.sendfile(fd, 0, 0, usocket::sendfile_method::automatic, ec);
             ::close(fd);
             return ec;
         }},
    };
}

TEST_P(message_threads, close_while_blocked_touches_nothing_freed) {
    const race_case& c = GetParam();
#ifdef USOCKET_BACKEND_LWIP
    if (c.type == usocket::sock_dgram && c.fill)
        GTEST_SKIP() << "a Unix datagram pair's full receiver blocks the sender; lwIP's UDP never blocks";
#endif
    auto [s, peer] = usocket::socketpair(usocket::af_unix, c.type);
    if (c.fill) usocket_test::fill_send_buffer(s);
    std::error_code result;
    std::atomic<pid_t> tid{0};
    std::thread t([&, &sock = s] {
        tid = usocket_test::this_tid();
        result = c.call(sock);
    });
    while (tid.load() == 0) std::this_thread::yield();
    ASSERT_TRUE(usocket_test::wait_until_blocked(tid.load())) << c.name << " never blocked";
    s.close();
    EXPECT_EQ(s.fileno(), usocket::invalid_handle);
    // Let the call return: a datagram or bytes to read, or room to write.
    if (c.fill)
        usocket_test::drain(peer);
    else
        peer.sendall("wake up");
    t.join();
    EXPECT_TRUE(!result || result == std::errc::bad_file_descriptor) << c.name << ": " << result.message();
    peer.close();
}

INSTANTIATE_TEST_SUITE_P(calls, message_threads, ::testing::ValuesIn(cases()),
                         [](const auto& param_info) { return std::string(param_info.param.name); });

}  // namespace
