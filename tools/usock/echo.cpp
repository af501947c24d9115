// --echo: an echo server for many clients at once. Streams (TCP, Unix): one thread, an event
// loop on the library's selector (epoll on Linux) over non-blocking sockets; a client whose
// echo cannot be sent at once is not read again until it has been (back-pressure), and -w
// closes clients idle that long. Out of descriptors (EMFILE) or memory, the listener is not
// watched for a moment (until a client leaves, or 10 ms doubling up to 1 s): the connections
// wait in the backlog instead of being dropped, and the loop does not spin on a listener
// that stays readable. Datagrams: each one is sent back to its sender.

#include "echo.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <unordered_map>
#include <vector>
#include <usocket/usocket.hpp>

#include "accept_guard.hpp"
#include "net.hpp"

namespace usock {

namespace {

using clock = std::chrono::steady_clock;
constexpr std::size_t echo_chunk = 64 * 1024;
constexpr std::uint64_t listener_token = 0;
constexpr int accepts_per_turn = 64;  // then the clients get their turn (the listener stays ready)

struct echo_client {
    usocket::socket sock;
    std::string name;
    std::vector<std::byte> pending;  // received, not yet sent back
    std::size_t pending_from = 0;
    std::uint64_t echoed = 0;
    clock::time_point last_activity = clock::now();
};

class echo_server {
public:
    echo_server(usocket::socket& listener, usocket::selector sel, const options& opt)
        : listener_(listener), opt_(opt), sel_(std::move(sel)) {
        listener_.setblocking(false);
        sel_.add(listener_.fileno(), usocket::selector::readable, listener_token);
        if (opt_.wait_s)
            idle_limit_ = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(*opt_.wait_s));
    }

    [[noreturn]] void run() {
        std::vector<usocket::selector_event> events(256);
        for (;;) {
            const std::size_t n = sel_.wait(events, wait_limit());
            for (std::size_t i = 0; i < n; ++i) {
                if (events[i].token == listener_token)
                    accept_some();
                else
                    serve(events[i].token);
            }
            if (paused_ && clock::now() >= resume_at_) resume_accepting();
            if (idle_limit_) close_idle();
        }
    }

private:
    // With -w, wake up often enough to close idle clients on time; while accepting is
    // paused, wake up when the pause ends.
    usocket::timeout_type wait_limit() const {
        std::optional<clock::duration> limit;
        if (idle_limit_ && !clients_.empty())
            limit = std::min<clock::duration>(*idle_limit_ / 4 + std::chrono::milliseconds(1),
                                              std::chrono::milliseconds(250));
        if (paused_) {
            const auto left = std::max<clock::duration>(resume_at_ - clock::now(), clock::duration::zero());
            limit = limit ? std::min(*limit, left) : left;
        }
        if (!limit) return std::nullopt;
        return std::chrono::ceil<usocket::duration>(*limit);
    }

    void accept_some() {
        for (int i = 0; i < accepts_per_turn; ++i) {
            usocket::address peer;
            std::error_code ec;
            usocket::socket conn = listener_.accept(&peer, ec);
            if (usocket::is_would_block(ec)) return;
            if (ec) {
                switch (after_accept_error(ec)) {
                    case accept_next::retry:
                        if (opt_.verbose) say("accept: " + describe(ec));
                        continue;
                    case accept_next::pause:
                        accept_errors_.say("accept: " + describe(ec) + "; new connections wait");
                        return pause_accepting();
                    case accept_next::fail:
                        throw failure("accept: " + describe(ec));
                }
            }
            backoff_.reset();
            conn.setblocking(false, ec);
            const std::uint64_t token = next_token_++;
            if (!ec) sel_.add(conn.fileno(), usocket::selector::readable, token, ec);
            if (ec) {
                accept_errors_.say("cannot serve " + peer_name(peer) + ": " + describe(ec));
                if (ec == std::errc::not_enough_memory || ec == std::errc::no_space_on_device)
                    return pause_accepting();  // the selector is full (ENOSPC: max_user_watches)
                continue;
            }
            if (opt_.verbose) say("connection from " + peer_name(peer));
            clients_.emplace(token, echo_client{std::move(conn), peer_name(peer), {}, 0, 0, clock::now()});
        }
    }

    // The listener stays readable while accept() fails: stop watching it, or the loop spins.
    void pause_accepting() {
        if (paused_) return;
        std::error_code ignored;
        sel_.remove(listener_.fileno(), ignored);
        paused_ = true;
        resume_at_ = clock::now() + backoff_.next();
    }

    void resume_accepting() {
        if (!paused_) return;
        std::error_code ec;
        sel_.add(listener_.fileno(), usocket::selector::readable, listener_token, ec);
        if (ec) {
            accept_errors_.say("cannot watch the listener: " + describe(ec));
            resume_at_ = clock::now() + backoff_.next();
            return;
        }
        paused_ = false;
    }

    void serve(std::uint64_t token) {
        const auto it = clients_.find(token);
        if (it == clients_.end()) return;
        echo_client& c = it->second;
        c.last_activity = clock::now();
        std::error_code ec;
        if (c.pending_from < c.pending.size()) {
            // Writable again: send what is left, then read again.
            c.pending_from += c.sock.send(usocket::const_buffer(c.pending).skip(c.pending_from), 0, ec);
            if (ec && !usocket::is_would_block(ec)) return drop(it, describe(ec));
            if (c.pending_from < c.pending.size()) return;
            c.echoed += c.pending.size();
            c.pending.clear();
            c.pending_from = 0;
            sel_.modify(c.sock.fileno(), usocket::selector::readable, token, ec);
            if (ec) return drop(it, describe(ec));
        }
        for (int rounds = 0; rounds < 16; ++rounds) {  // fairness: others get their turn
            const std::size_t n = c.sock.recv_into(buffer_, 0, 0, ec);
            if (usocket::is_would_block(ec)) return;
            if (ec) return drop(it, describe(ec));
            if (n == 0) return drop(it, "closed");
            const std::size_t sent = c.sock.send(usocket::const_buffer(buffer_.data(), n), 0, ec);
            if (ec && !usocket::is_would_block(ec)) return drop(it, describe(ec));
            c.echoed += sent;
            if (sent < n) {
                // The client is not reading: keep the rest and wait until it can be sent.
                c.pending.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(sent),
                                 buffer_.begin() + static_cast<std::ptrdiff_t>(n));
                sel_.modify(c.sock.fileno(), usocket::selector::writable, token, ec);
                if (ec) drop(it, describe(ec));
                return;
            }
        }
    }

    void close_idle() {
        const auto now = clock::now();
        for (auto it = clients_.begin(); it != clients_.end();) {
            auto next = std::next(it);
            if (now - it->second.last_activity >= *idle_limit_) drop(it, "idle, closed");
            it = next;
        }
    }

    void drop(std::unordered_map<std::uint64_t, echo_client>::iterator it, const std::string& why) {
        echo_client& c = it->second;
        if (opt_.verbose) say(c.name + ": " + why + " after " + std::to_string(c.echoed) + " bytes echoed");
        std::error_code ignored;
        sel_.remove(c.sock.fileno(), ignored);  // before close: epoll tracks the open file
        clients_.erase(it);
        resume_accepting();  // a descriptor is free again
    }

    usocket::socket& listener_;
    const options& opt_;
    usocket::selector sel_;
    std::optional<clock::duration> idle_limit_;
    std::unordered_map<std::uint64_t, echo_client> clients_;
    std::uint64_t next_token_ = listener_token + 1;
    bool paused_ = false;
    clock::time_point resume_at_{};
    accept_backoff backoff_;
    rate_limited_message accept_errors_;
    std::vector<std::byte> buffer_ = std::vector<std::byte>(echo_chunk);
};

int echo_datagrams(usocket::socket& s, const options& opt) {
    std::vector<std::byte> buf(64 * 1024);
    accept_backoff backoff;
    rate_limited_message errors;
    for (;;) {
        usocket::address from;
        std::error_code ec;
        const std::size_t n = s.recvfrom_into(buf, 0, 0, from, ec);
        if (ec) {
            // ICMP errors from an earlier reply show up here on Linux: not this server's fault.
            if (ec == std::errc::connection_refused) continue;
            if (ec == std::errc::not_enough_memory || ec == std::errc::no_buffer_space) {
                errors.say("receive: " + describe(ec));
                std::this_thread::sleep_for(backoff.next());
                continue;
            }
            throw failure("receive: " + describe(ec));
        }
        backoff.reset();
        if (from.empty() || (from.family() == usocket::af_unix && from.path().empty())) {
            if (opt.verbose) say("datagram of " + std::to_string(n) + " bytes from an unnamed socket: no reply");
            continue;
        }
        // Never wait for a sender to make room: a Unix datagram client that does not read would
        // block the server for everyone. Its reply is dropped instead, as the network may.
        s.sendto(usocket::const_buffer(buf.data(), n), from, usocket::msg_dontwait, ec);
        if (opt.verbose)
            say(peer_name(from) + ": " + (ec ? describe(ec) : "echoed " + std::to_string(n) + " bytes"));
    }
}

}  // namespace

int run_echo(const options& opt) {
    if (opt.udp) {
        usocket::socket s = open_listener(opt);
        return echo_datagrams(s, opt);
    }
    // Opened first, so that once "listening on" is said the server holds every descriptor it
    // keeps for its whole life (tests count them).
    usocket::selector sel;
    usocket::socket listener = open_listener(opt);
    echo_server(listener, std::move(sel), opt).run();
}

}  // namespace usock
