#pragma once
// What every C++ block of the documentation that is not a whole program starts with
// (docs/README.md, "How the examples are tested"): the library, the standard headers the
// examples use, std::chrono's literals, and the doc:: helpers — peers on loopback for examples
// that need someone to talk to, and the runner that calls one block and checks it.

#include <usocket/usocket.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace doc {

/// A TCP server on 127.0.0.1 (the port is chosen by the system: port()) that runs `handler`
/// on every connection, each in a thread of its own, until it is destroyed. The handler gets
/// the connection (a 20 ms timeout, so it can notice `stopping`) and the stop flag.
class server {
public:
    using handler_type = std::function<void(usocket::socket& conn, const std::atomic<bool>& stopping)>;

    explicit server(handler_type handler) : handler_(std::move(handler)) {
        listener_.bind(usocket::address("127.0.0.1", 0));
        listener_.listen();
        listener_.settimeout(20ms);
        address_ = listener_.getsockname();
        acceptor_ = std::thread([this] { accept_loop(); });
    }
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    /// Stops accepting, lets every handler notice, and joins every thread.
    ~server() {
        stopping_ = true;
        acceptor_.join();
        for (std::thread& t : connections_) t.join();
    }

    int port() const { return address_.port(); }
    const usocket::address& address() const { return address_; }

private:
    void accept_loop() {
        while (!stopping_) {
            std::error_code ec;
            usocket::socket conn = listener_.accept(nullptr, ec);
            if (ec) continue;  // the 20 ms timeout: look at the flag again
            conn.settimeout(20ms);
            connections_.emplace_back([this, c = std::move(conn)]() mutable {
                try {
                    handler_(c, stopping_);
                } catch (const std::exception& e) {
                    std::fprintf(stderr, "doc::server: handler: %s\n", e.what());
                }
            });
        }
    }

    handler_type handler_;
    usocket::socket listener_{usocket::af_inet};
    usocket::address address_;
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> connections_;
    std::thread acceptor_;
};

/// Reads from `conn` until the peer closes or the server stops, handing each piece to `f`.
inline void read_until_closed(usocket::socket& conn, const std::atomic<bool>& stopping,
                              const std::function<void(const std::string&)>& f = {}) {
    while (!stopping) {
        std::error_code ec;
        std::string data = conn.recv(4096, 0, ec);
        if (ec) {
            if (usocket::is_timeout(ec)) continue;
            return;
        }
        if (data.empty()) return;
        if (f) f(data);
    }
}

/// A server that sends back every byte it receives, until the client closes.
inline server echo_server() {
    return server([](usocket::socket& conn, const std::atomic<bool>& stopping) {
        read_until_closed(conn, stopping, [&](const std::string& data) { conn.sendall(data); });
    });
}

/// A server that sends `reply` to every client as soon as it connects, then ends its sending
/// side (the client reads to the end of the stream) and reads until the client closes.
inline server reply_server(std::string reply) {
    return server([reply = std::move(reply)](usocket::socket& conn, const std::atomic<bool>& stopping) {
        conn.sendall(reply);
        conn.shutdown(usocket::shut_wr);
        read_until_closed(conn, stopping);
    });
}

// --- the runner ----------------------------------------------------------------------------

/// One block of a page: the line of its opening fence, whether it runs, its function.
struct block {
    int line;
    bool run;
    void (*fn)();
};

inline std::size_t open_descriptors() {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

/// Runs the block whose fence is on line argv[1] of `page`: it must return (not throw) and
/// leave no descriptor open.
template <std::size_t N>
int run_blocks(int argc, char** argv, const char* page, const block (&blocks)[N]) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s LINE (the line of the block's opening fence in %s)\n", argv[0], page);
        return 2;
    }
    const int line = std::atoi(argv[1]);
    for (const block& b : blocks) {
        if (b.line != line) continue;
        if (!b.run) {
            std::printf("%s:%d: compiled (not run)\n", page, line);
            return 0;
        }
        const std::size_t before = open_descriptors();
        try {
            b.fn();
        } catch (const std::system_error& e) {
            std::fprintf(stderr, "%s:%d: the example threw: %s (%s %d)\n", page, line, e.what(),
                         e.code().category().name(), e.code().value());
            return 1;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s:%d: the example threw: %s\n", page, line, e.what());
            return 1;
        }
        const std::size_t after = open_descriptors();
        if (after > before) {
            std::fprintf(stderr, "%s:%d: the example left %zu descriptor(s) open\n", page, line, after - before);
            return 1;
        }
        std::printf("%s:%d: ok\n", page, line);
        return 0;
    }
    std::fprintf(stderr, "%s: no C++ block starts on line %d (the page changed: re-run cmake)\n", page, line);
    return 2;
}

}  // namespace doc
