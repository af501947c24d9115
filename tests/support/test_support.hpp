#pragma once
// Shared helpers for the C++ tests: descriptor counting, loopback pairs, a bounded clock.

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>

#include <chrono>
#include <usocket/usocket.hpp>
#include <utility>

namespace usocket_test {

/// Open descriptors of this process (/proc/self/fd, less the directory's own).
inline int open_fd_count() {
    int n = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (const dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++n;
        ::closedir(d);
        --n;
    }
    return n;
}

/// A fixture that fails a test which leaves descriptors open. Tests that run threads must
/// join them before the test body ends.
class fd_leak_check : public ::testing::Test {
protected:
    void SetUp() override { fds_before_ = open_fd_count(); }
    void TearDown() override { EXPECT_EQ(open_fd_count(), fds_before_) << "descriptor leak"; }

private:
    int fds_before_ = 0;
};

/// A listening TCP socket on 127.0.0.1, port 0.
inline usocket::socket tcp_listener(int family = usocket::af_inet) {
    usocket::socket l(family, usocket::sock_stream);
    l.setsockopt(usocket::sol_socket, usocket::so_reuseaddr, 1);
    l.bind(usocket::address::loopback(family, 0));
    l.listen();
    return l;
}

/// A connected TCP pair over loopback: {client, server side}.
inline std::pair<usocket::socket, usocket::socket> tcp_pair(int family = usocket::af_inet) {
    auto l = tcp_listener(family);
    usocket::socket c(family, usocket::sock_stream);
    c.connect(l.getsockname());
    auto [s, peer] = l.accept();
    return {std::move(c), std::move(s)};
}

/// True if FD_CLOEXEC is set on fd.
inline bool has_cloexec(int fd) {
    const int f = ::fcntl(fd, F_GETFD);
    return f >= 0 && (f & FD_CLOEXEC) != 0;
}

/// True if O_NONBLOCK is set on fd.
inline bool is_nonblocking(int fd) {
    const int f = ::fcntl(fd, F_GETFL);
    return f >= 0 && (f & O_NONBLOCK) != 0;
}

using clock = std::chrono::steady_clock;

inline double seconds_since(clock::time_point t0) {
    return std::chrono::duration<double>(clock::now() - t0).count();
}

/// Restores the module-wide default timeout when it goes out of scope.
struct default_timeout_guard {
    usocket::timeout_type saved = usocket::getdefaulttimeout();
    ~default_timeout_guard() { usocket::setdefaulttimeout(saved); }
};

}  // namespace usocket_test
