// --echo: an echo server for many clients at once. Streams: one thread per client, each on
// the library's blocking socket calls (-w sets an idle timeout per client). Datagrams: each
// one is sent back to its sender.

#include "echo.hpp"

#include <atomic>
#include <cstddef>
#include <list>
#include <memory>
#include <thread>
#include <vector>
#include <usocket/usocket.hpp>

#include "net.hpp"

namespace usock {

namespace {

constexpr std::size_t echo_chunk = 64 * 1024;

void echo_client(usocket::socket s, const std::string& peer, const options& opt) {
    std::error_code ec;
    if (opt.wait_s)
        s.settimeout(std::chrono::duration_cast<usocket::duration>(std::chrono::duration<double>(*opt.wait_s)), ec);
    std::vector<std::byte> buf(echo_chunk);
    std::uint64_t echoed = 0;
    while (!ec) {
        const std::size_t n = s.recv_into(buf, 0, 0, ec);
        if (ec || n == 0) break;
        s.sendall(usocket::const_buffer(buf.data(), n), 0, ec);
        if (!ec) echoed += n;
    }
    if (opt.verbose) {
        std::string end = ec ? (usocket::is_timeout(ec) ? "idle, closed" : describe(ec)) : "closed";
        say(peer + ": " + end + " after " + std::to_string(echoed) + " bytes echoed");
    }
}

int echo_datagrams(usocket::socket& s, const options& opt) {
    std::vector<std::byte> buf(64 * 1024);
    for (;;) {
        usocket::address from;
        std::error_code ec;
        const std::size_t n = s.recvfrom_into(buf, 0, 0, from, ec);
        if (ec) {
            // ICMP errors from an earlier reply show up here on Linux: not this server's fault.
            if (ec == std::errc::connection_refused) continue;
            throw failure("receive: " + describe(ec));
        }
        if (from.empty() || (from.family() == usocket::af_unix && from.path().empty())) {
            if (opt.verbose) say("datagram of " + std::to_string(n) + " bytes from an unnamed socket: no reply");
            continue;
        }
        s.sendto(usocket::const_buffer(buf.data(), n), from, 0, ec);
        if (opt.verbose)
            say(peer_name(from) + ": " + (ec ? describe(ec) : "echoed " + std::to_string(n) + " bytes"));
    }
}

}  // namespace

int run_echo(const options& opt) {
    usocket::socket listener = open_listener(opt);
    if (listener.type() == usocket::sock_dgram) return echo_datagrams(listener, opt);

    struct client {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::list<client> clients;
    for (;;) {
        usocket::address peer;
        std::error_code ec;
        usocket::socket conn = listener.accept(&peer, ec);
        if (ec) throw failure("accept: " + describe(ec));
        // Join the clients that have finished, so threads do not pile up.
        for (auto it = clients.begin(); it != clients.end();) {
            if (it->done->load()) {
                it->thread.join();
                it = clients.erase(it);
            } else {
                ++it;
            }
        }
        const std::string name = peer_name(peer);
        if (opt.verbose) say("connection from " + name);
        auto done = std::make_shared<std::atomic<bool>>(false);
        clients.push_back({std::thread([conn = std::move(conn), name, &opt, done]() mutable {
                               echo_client(std::move(conn), name, opt);
                               done->store(true);
                           }),
                           done});
    }
}

}  // namespace usock
