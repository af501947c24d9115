#pragma once
// Shared helpers for the C++ tests: descriptor counting, loopback pairs, a bounded clock.

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <usocket/usocket.hpp>
#include <utility>
#include <vector>

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
inline usocket::socket tcp_listener(usocket::address_family family = usocket::af_inet) {
    usocket::socket l(family, usocket::sock_stream);
    l.setsockopt(usocket::sol_socket, usocket::so_reuseaddr, 1);
    l.bind(usocket::address::loopback(family, 0));
    l.listen();
    return l;
}

/// A connected TCP pair over loopback: {client, server side}.
inline std::pair<usocket::socket, usocket::socket> tcp_pair(usocket::address_family family = usocket::af_inet) {
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

/// The calling thread's kernel id.
inline pid_t this_tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

/// Waits (at most `limit`) until thread `tid` of this process sleeps in the kernel, so that
/// a racing action hits a call that is really blocked. False when it never did.
inline bool wait_until_blocked(pid_t tid, std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    const std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
    while (std::chrono::steady_clock::now() < until) {
        std::ifstream f(path);
        std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        const auto close = all.rfind(')');  // the state follows the command name
        if (close != std::string::npos && close + 2 < all.size() && all[close + 2] == 'S') {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));  // well inside the call
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
}

/// Restores the interrupt check (none) when it goes out of scope.
struct interrupt_check_guard {
    ~interrupt_check_guard() { usocket::set_interrupt_check(nullptr); }
};

inline void ignore_signal(int) {}

/// Sends SIGUSR1 (a handler without SA_RESTART, so blocking calls fail with EINTR) to `target`
/// after `after`, `times` times, `every` apart. The handler stays installed for the rest of the
/// program: a signal sent may be delivered after the signaller is gone.
struct signaller {
    explicit signaller(pthread_t target, std::chrono::milliseconds after, int times = 1,
                       std::chrono::milliseconds every = std::chrono::milliseconds(0)) {
        static const bool installed = [] {
            struct sigaction sa {};
            sa.sa_handler = ignore_signal;
            sigemptyset(&sa.sa_mask);
            sa.sa_flags = 0;
            return ::sigaction(SIGUSR1, &sa, nullptr) == 0;
        }();
        EXPECT_TRUE(installed);
        thread_ = std::thread([=] {
            std::this_thread::sleep_for(after);
            for (int i = 0; i < times; ++i) {
                if (i != 0) std::this_thread::sleep_for(every);
                ::pthread_kill(target, SIGUSR1);
            }
        });
    }
    ~signaller() { thread_.join(); }
    signaller(const signaller&) = delete;
    signaller& operator=(const signaller&) = delete;
    std::thread thread_;
};

/// Fills the send buffer of `s` (so that the next send blocks while its peer does not read).
inline void fill_send_buffer(usocket::socket& s) {
    const usocket::timeout_type t = s.gettimeout();
    s.setblocking(false);
    const std::string chunk(4096, 'f');
    for (int i = 0; i < 10000; ++i) {
        std::error_code ec;
        if (s.send(chunk, ec) == 0 || ec) break;
    }
    s.settimeout(t);
}

/// Reads what `peer` receives until 300 ms pass with nothing (5 s at most): lets a sender that
/// filled its buffer finish.
inline void drain(usocket::socket& peer) {
    std::thread([&peer] {
        std::vector<char> buf(1 << 16);
        peer.settimeout(std::chrono::milliseconds(300));
        peer.set_deadline(std::chrono::steady_clock::now() + std::chrono::seconds(5));
        for (int i = 0; i < 4000; ++i) {
            std::error_code ec;
            if (peer.recv_into(buf, ec) == 0 || ec) break;
        }
        peer.set_deadline(std::nullopt);
    }).join();
}

/// Interrupt checks that count their calls: one goes on, one gives up.
inline std::atomic<int> interrupt_checks{0};
inline bool count_and_go_on() noexcept {
    ++interrupt_checks;
    return false;
}
inline bool count_and_give_up() noexcept {
    ++interrupt_checks;
    return true;
}

/// Restores the module-wide default timeout when it goes out of scope.
struct default_timeout_guard {
    usocket::timeout_type saved = usocket::getdefaulttimeout();
    ~default_timeout_guard() { usocket::setdefaulttimeout(saved); }
};

}  // namespace usocket_test
