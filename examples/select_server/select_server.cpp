// An echo server for many clients at once, on one thread, built on usocket::selector (epoll
// on Linux): every socket is non-blocking, the selector says which one can move, and each
// connection is a token in the selector plus its unsent bytes.
//
// Usage: select_server [PORT [CLIENTS]]   serve on 127.0.0.1:PORT (0 = any free port) until
//                                         CLIENTS connections have closed (0 = forever)
//        select_server demo [CLIENTS]     the same, with CLIENTS (default 100) clients on a
//                                         second thread that check every byte comes back
//
// Try it: `select_server 7000` and, in other terminals, `nc 127.0.0.1 7000`.

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <unordered_map>
#include <usocket/usocket.hpp>
#include <vector>

namespace {

using usocket::selector;
using namespace std::chrono_literals;

constexpr std::uint64_t listener_token = 0;

struct connection {
    usocket::socket sock;
    std::string unsent;  // echoed bytes the peer's window had no room for yet
};

class echo_server {
public:
    explicit echo_server(int port) : listener_(usocket::af_inet, usocket::sock_stream) {
        listener_.setsockopt(usocket::sol_socket, usocket::so_reuseaddr, 1);
        listener_.bind("127.0.0.1", port);
        listener_.listen(1024);
        listener_.setblocking(false);
        sel_.add(listener_.fileno(), selector::readable, listener_token);
    }

    int port() const { return listener_.getsockname().port(); }

    /// Serves until `clients` connections have closed (0: forever).
    void run(long clients) {
        std::array<usocket::selector_event, 256> events{};
        while (clients == 0 || closed_ < clients) {
            const std::size_t n = sel_.wait(events, 1s);
            for (std::size_t i = 0; i < n; ++i) {
                if (events[i].token == listener_token)
                    accept_all();
                else
                    serve(events[i].token, events[i].events);
            }
        }
    }

private:
    void accept_all() {
        for (;;) {
            std::error_code ec;
            usocket::address peer;
            usocket::socket s = listener_.accept(&peer, ec);
            if (ec) return;  // would block: every pending connection is taken
            s.setblocking(false);
            const std::uint64_t token = next_token_++;
            sel_.add(s.fileno(), selector::readable, token);
            conns_.emplace(token, connection{std::move(s), {}});
        }
    }

    void serve(std::uint64_t token, std::uint32_t events) {
        const auto it = conns_.find(token);
        if (it == conns_.end()) return;
        connection& c = it->second;
        std::error_code ec;
        if ((events & selector::writable) != 0) flush(c, ec);
        if (!ec && (events & (selector::readable | selector::hangup | selector::error)) != 0 &&
            c.unsent.empty()) {
            char buf[16384];
            const std::size_t got = c.sock.recv_into(usocket::mutable_buffer(buf, sizeof buf), 0, 0, ec);
            if (!ec && got == 0) return drop(it);  // the peer closed
            if (!ec) {
                c.unsent.append(buf, got);
                flush(c, ec);
            }
        }
        if (ec && !usocket::is_would_block(ec)) return drop(it);
        // Back-pressure: while echoed bytes wait, watch for room instead of reading more.
        sel_.modify(c.sock.fileno(), c.unsent.empty() ? selector::readable : selector::writable, token);
    }

    static void flush(connection& c, std::error_code& ec) {
        while (!c.unsent.empty()) {
            const std::size_t sent = c.sock.send(c.unsent, 0, ec);
            if (ec) return;
            c.unsent.erase(0, sent);
        }
    }

    void drop(std::unordered_map<std::uint64_t, connection>::iterator it) {
        std::error_code ignored;
        sel_.remove(it->second.sock.fileno(), ignored);
        conns_.erase(it);  // closes the socket
        ++closed_;
    }

    usocket::socket listener_;
    selector sel_;
    std::unordered_map<std::uint64_t, connection> conns_;
    std::uint64_t next_token_ = listener_token + 1;
    long closed_ = 0;
};

// The demo's clients: all connected at once, each sends its own pattern and reads it back.
bool run_clients(int port, long clients) {
    constexpr std::size_t size = 65536;
    std::vector<usocket::socket> socks;
    for (long i = 0; i < clients; ++i) {
        socks.emplace_back(usocket::af_inet, usocket::sock_stream);
        socks.back().settimeout(10s);
        socks.back().connect("127.0.0.1", port);
    }
    bool ok = true;
    for (long i = 0; i < clients; ++i) {
        std::string data(size, static_cast<char>('a' + i % 26));
        auto& s = socks[static_cast<std::size_t>(i)];
        // Send and read in pieces so neither side's buffers fill up.
        std::string back;
        for (std::size_t off = 0; off < size; off += 4096) {
            s.sendall(std::string_view(data).substr(off, 4096));
            while (back.size() < off + 4096) {
                const std::string got = s.recv(8192);
                if (got.empty()) break;
                back += got;
            }
        }
        ok = ok && back == data;
    }
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const bool demo = argc > 1 && std::strcmp(argv[1], "demo") == 0;
        if (demo) {
            const long clients = argc > 2 ? std::atol(argv[2]) : 100;
            echo_server server(0);
            bool ok = false;
            std::thread t([&] {
                try {
                    ok = run_clients(server.port(), clients);
                } catch (const std::exception& e) {
                    std::cerr << "client: " << e.what() << '\n';
                }
            });
            server.run(clients);
            t.join();
            std::cout << clients << " clients echoed " << (ok ? "correctly" : "WRONGLY") << std::endl;
            return ok ? 0 : 1;
        }
        const int port = argc > 1 ? std::atoi(argv[1]) : 0;
        const long clients = argc > 2 ? std::atol(argv[2]) : 0;
        echo_server server(port);
        std::cout << "listening on 127.0.0.1:" << server.port() << std::endl;
        server.run(clients);
    } catch (const std::exception& e) {
        std::cerr << "select_server: " << e.what() << '\n';
        return 1;
    }
}
