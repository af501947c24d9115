#pragma once
// What the TLS tests share: certificates made once per test program with the openssl command
// (make_certs.sh), peer processes (openssl s_server / s_client, CPython's ssl through peer.py)
// with bounded waits, and a TLS server of our own in a thread.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <usocket/tls.hpp>
#include <utility>
#include <vector>

#include "sys.hpp"
#include "test_support.hpp"

extern char** environ;

namespace usocket_test {

using namespace std::chrono_literals;

/// The certificates of make_certs.sh, made once in a temporary directory removed at exit.
class certs {
public:
    static const certs& get() {
        static const certs c;
        return c;
    }
    std::string path(const std::string& name) const { return dir_ + "/" + name; }
    std::string bytes(const std::string& name) const {
        std::ifstream f(path(name), std::ios::binary);
        return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    }
    ~certs() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

private:
    certs() {
        char tmpl[] = "/tmp/usocket-tls-XXXXXX";
        const char* d = ::mkdtemp(tmpl);
        if (d == nullptr) std::abort();
        dir_ = d;
        const std::string cmd = std::string("sh ") + USOCKET_TLS_TEST_DIR + "/make_certs.sh " + dir_;
        if (std::system(cmd.c_str()) != 0) std::abort();
    }
    std::string dir_;
};

/// A client context that trusts the tests' CA.
inline usocket::tls::context test_client_context() {
    auto ctx = usocket::tls::context::client();
    ctx.load_verify_file(certs::get().path("ca.pem"));
    return ctx;
}

/// A server context with the localhost certificate.
inline usocket::tls::context test_server_context(const std::string& cert = "server.pem") {
    auto ctx = usocket::tls::context::server();
    ctx.load_cert_chain(certs::get().path(cert), certs::get().path("server.key"));
    return ctx;
}

/// A peer process with its standard input and output on pipes (stderr goes to the test's).
/// Destroying it closes its input, then terminates it if it has not exited within a second.
class child {
public:
    explicit child(std::vector<std::string> argv, bool merge_stderr = false) {
        int in[2], out[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) std::abort();
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in[0], 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        if (merge_stderr) posix_spawn_file_actions_adddup2(&fa, out[1], 2);
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        const int r = ::posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(in[0]);
        ::close(out[1]);
        in_ = in[1];
        out_ = out[0];
        if (r != 0) pid_ = -1;
    }
    child(const child&) = delete;
    child& operator=(const child&) = delete;
    ~child() {
        close_input();
        if (pid_ > 0) {
            int status = 0;
            for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) std::this_thread::sleep_for(10ms);
            if (::waitpid(pid_, &status, WNOHANG) == 0) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
            }
        }
        if (out_ >= 0) ::close(out_);
    }

    bool started() const { return pid_ > 0; }
    void close_input() {
        if (in_ >= 0) ::close(in_);
        in_ = -1;
    }
    void write(const std::string& s) { (void)!::write(in_, s.data(), s.size()); }

    /// The next line of its output that starts with `prefix` (other lines are skipped), without
    /// the prefix; "" when none came within `limit` or the output ended.
    std::string line_starting(const std::string& prefix, std::chrono::milliseconds limit = 10s) {
        const auto until = std::chrono::steady_clock::now() + limit;
        for (;;) {
            const auto nl = buf_.find('\n');
            if (nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
                continue;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            if (left.count() <= 0) return {};
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return {};
            char tmp[4096];
            const ssize_t n = ::read(out_, tmp, sizeof tmp);
            if (n <= 0) return {};
            buf_.append(tmp, static_cast<std::size_t>(n));
        }
    }
    /// Everything it writes until it exits (bounded by `limit`).
    std::string rest(std::chrono::milliseconds limit = 10s) {
        const auto until = std::chrono::steady_clock::now() + limit;
        for (;;) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            pollfd p{out_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
            char tmp[4096];
            const ssize_t n = ::read(out_, tmp, sizeof tmp);
            if (n <= 0) break;
            buf_.append(tmp, static_cast<std::size_t>(n));
        }
        return std::exchange(buf_, {});
    }

private:
    pid_t pid_ = -1;
    int in_ = -1;
    int out_ = -1;
    std::string buf_;
};

/// peer.py as a server in `mode`: the child and its port.
struct python_server {
    explicit python_server(const std::string& mode, std::vector<std::string> extra = {},
                           const std::string& cert = "server.pem")
        : proc([&] {
              std::vector<std::string> argv{"/usr/bin/python3", std::string(USOCKET_TLS_TEST_DIR) + "/peer.py",
                                            "server", mode, "--cert", certs::get().path(cert), "--key",
                                            certs::get().path("server.key"), "--ca", certs::get().path("ca.pem")};
              argv.insert(argv.end(), extra.begin(), extra.end());
              return argv;
          }()) {
        port = std::atoi(proc.line_starting("PORT ").c_str());
    }
    child proc;
    int port = 0;
};

/// openssl s_server on 127.0.0.1 (port 0) with the localhost certificate: the child and its port.
/// What the client sends appears in its output; what is written to it goes to the client.
struct openssl_server {
    explicit openssl_server(std::vector<std::string> extra = {})
        : proc([&] {
              // Line-buffered: its output goes to a pipe.
              std::vector<std::string> argv{"stdbuf", "-oL", "openssl", "s_server", "-accept", "127.0.0.1:0",
                                            "-cert", certs::get().path("server.pem"), "-key",
                                            certs::get().path("server.key"), "-naccept", "1"};
              argv.insert(argv.end(), extra.begin(), extra.end());
              return argv;
          }(), true) {
        const std::string a = proc.line_starting("ACCEPT ");
        const auto colon = a.rfind(':');
        port = colon == std::string::npos ? 0 : std::atoi(a.c_str() + colon + 1);
    }
    child proc;
    int port = 0;
};

/// Whether the transport under a TLS socket (the backend's descriptor: the kernel's or lwIP's)
/// is ready for `what` within `limit`: what the backend's own wait sees (select() given the bare
/// descriptor), not the bytes the session has decrypted. Public calls only: the tests also link
/// the shared library, whose internals are hidden.
inline bool transport_ready(usocket::native_handle fd, usocket::sys::wait_for what,
                            std::chrono::milliseconds limit = 0ms) {
    const std::vector<usocket::native_handle> one{fd};
    const std::vector<usocket::native_handle> none;
    std::error_code ec;
    const auto r = what == usocket::sys::wait_for::read ? usocket::select(one, none, none, limit, ec)
                                                        : usocket::select(none, one, none, limit, ec);
    return !ec && (!r.read.empty() || !r.write.empty());
}
inline bool transport_readable(usocket::native_handle fd, std::chrono::milliseconds limit = 0ms) {
    return transport_ready(fd, usocket::sys::wait_for::read, limit);
}

/// One recv() of the transport under a TLS socket, without waiting (the backend's call, under
/// the session): the count, or -1.
inline long transport_recv_now(usocket::native_handle fd, char* data, std::size_t size) {
    int err = 0;
    return static_cast<long>(usocket::sys::recv(fd, data, size, usocket::msg_dontwait, err));
}

/// A TCP connection to 127.0.0.1:port with a timeout.
inline usocket::socket connect_local(int port, usocket::timeout_type timeout = std::chrono::seconds(10)) {
    usocket::socket s(usocket::af_inet);
    s.settimeout(timeout);
    s.connect(usocket::address("127.0.0.1", port));
    return s;
}

/// A server of our own: accepts one connection on 127.0.0.1:0 in a thread and runs `serve` on
/// it, wrapped with `ctx` (or plain); the thread is joined on destruction. A peer every backend
/// reaches: lwIP's sockets cannot reach a peer process on the kernel's loopback.
class thread_server {
public:
    thread_server(usocket::tls::context ctx, std::function<void(usocket::tls::socket&)> serve)
        : thread_server(plain, [ctx = std::move(ctx), serve = std::move(serve)](usocket::socket& conn) {
              auto t = ctx.wrap_socket(std::move(conn));
              serve(t);
          }) {}
    struct plain_t {};
    static constexpr plain_t plain{};
    thread_server(plain_t, std::function<void(usocket::socket&)> serve) : listener_(tcp_listener()) {
        port_ = listener_.getsockname().port();
        listener_.settimeout(10s);
        thread_ = std::thread([this, serve = std::move(serve)] {
            try {
                auto [conn, peer] = listener_.accept();
                conn.settimeout(10s);
                serve(conn);
            } catch (const std::exception& e) {
                error_ = e.what();
            }
        });
    }
    ~thread_server() { join(); }
    void join() {
        if (thread_.joinable()) thread_.join();
        listener_.close();
    }
    int port() const { return port_; }
    /// What the server thread threw ("" if nothing); call after join().
    const std::string& error() const { return error_; }

private:
    usocket::socket listener_;
    int port_ = 0;
    std::thread thread_;
    std::string error_;
};

}  // namespace usocket_test
