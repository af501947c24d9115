// --echo: an echo server for many clients at once. Streams (TCP, Unix): one thread, an event
// loop on the library's selector (epoll on Linux) over non-blocking sockets; a client whose
// echo cannot be sent at once is not read again until it has been (back-pressure), and -w
// closes clients idle that long. Out of descriptors (EMFILE) or memory, the listener is not
// watched for a moment (until a client leaves, or 10 ms doubling up to 1 s): the connections
// wait in the backlog instead of being dropped, and the loop does not spin on a listener
// that stays readable. Datagrams: each one is sent back to its sender.
//
// --tls: each client's handshake runs in the same loop, step by step on the non-blocking
// socket: the step says whether it waits to read or to write, and the client is watched for
// that. A handshake has handshake_limit() to finish (a FIFO of deadlines, since the limit is
// the same for all), so a client that connects and says nothing holds a descriptor for that
// long and never the loop. At a client's end, its socket is closed once it is writable: the
// close() of a non-blocking socket sends the close notification only when the kernel has room
// for all of it; a client that does not read gets the same limit.

#include "echo.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <thread>
#include <optional>
#include <span>
#include <string>
#include <vector>
#include <usocket/usocket.hpp>

#include "accept_guard.hpp"
#include "net.hpp"
#include "tls_layer.hpp"

namespace usock {

namespace {

using clock = std::chrono::steady_clock;
constexpr std::size_t echo_chunk = 64 * 1024;
constexpr std::uint64_t listener_token = ~std::uint64_t{0};  // no slot has that index
constexpr int accepts_per_turn = 64;  // then the clients get their turn (the listener stays ready)
constexpr int reads_per_turn = 16;    // a client sending without pause lets the others in

struct echo_client {
    usocket::socket sock;
    std::vector<std::byte> pending;  // an echo not yet sent back: only while the client does not read
    std::size_t pending_from = 0;
    std::uint64_t echoed = 0;
    clock::time_point last_activity{};  // with -w only
    std::string name;                   // with -v only
    std::optional<usocket::tls::socket> handshake;  // --tls: the socket until its handshake is done (sock is empty)
    bool read_wants_write = false;      // --tls: a read must send first (watched for writable)
    bool closing = false;               // --tls: ended; closed once its close notification fits
    bool busy = false;  // any of the above (a handshake, closing, a read that must write, an echo held)

    int fd() const noexcept { return handshake ? handshake->fileno() : sock.fileno(); }
    /// Recomputes `busy` after one of the states it sums up changed.
    void settle() noexcept { busy = handshake.has_value() || closing || read_wants_write || !pending.empty(); }
};

// The clients, in slots. A token is a slot's index and generation: an event finds its client
// by indexing, not hashing, and a token left over from a closed client never reaches the next
// one in the same slot.
class client_table {
public:
    std::uint64_t add(echo_client c) {
        std::uint32_t index;
        if (free_.empty()) {
            index = static_cast<std::uint32_t>(slots_.size());
            slots_.emplace_back();
            slot_count_ = static_cast<std::uint32_t>(slots_.size());
        } else {
            index = free_.back();
            free_.pop_back();
        }
        slots_[index].client.emplace(std::move(c));
        ++count_;
        return std::uint64_t{slots_[index].generation} << 32 | index;
    }

    echo_client* find(std::uint64_t token) noexcept {
        const auto index = static_cast<std::uint32_t>(token);
        if (index >= slot_count_) return nullptr;  // not size(): that divides by the slot's size
        slot& s = slots_[index];
        return s.client && s.generation == static_cast<std::uint32_t>(token >> 32) ? &*s.client : nullptr;
    }

    void remove(std::uint64_t token) {
        const auto index = static_cast<std::uint32_t>(token);
        slots_[index].client.reset();
        ++slots_[index].generation;
        free_.push_back(index);
        --count_;
    }

    /// Calls f(token, client) for every client; f may remove that client.
    template <class F>
    void for_each(F&& f) {
        for (std::uint32_t i = 0; i < slots_.size(); ++i)
            if (slots_[i].client) f(std::uint64_t{slots_[i].generation} << 32 | i, *slots_[i].client);
    }

    bool empty() const noexcept { return count_ == 0; }

private:
    struct slot {
        std::optional<echo_client> client;
        std::uint32_t generation = 0;
    };
    std::vector<slot> slots_;
    std::vector<std::uint32_t> free_;
    std::uint32_t slot_count_ = 0;  // slots_.size()
    std::size_t count_ = 0;
};

class echo_server {
public:
    echo_server(usocket::socket& listener, usocket::selector sel, const options& opt, const tls_layer* tls)
        : listener_(listener), opt_(opt), tls_(tls), sel_(std::move(sel)) {
        listener_.setblocking(false);
        sel_.add(listener_.fileno(), usocket::selector::readable, listener_token);
        if (opt_.wait_s) {
            idle_limit_ = seconds_duration(*opt_.wait_s);
            idle_tick_ = std::min<clock::duration>(*idle_limit_ / 4 + std::chrono::milliseconds(1),
                                                   std::chrono::milliseconds(250));
        }
    }

    [[noreturn]] void run() {
        std::vector<usocket::selector_event> events(256);
        for (;;) {
            const std::size_t n = sel_.wait(events, wait_limit());
            // The clock is read once per wake-up, and only when something is timed.
            if (idle_limit_ || paused_ || !tls_deadlines_.empty()) now_ = clock::now();
            for (const usocket::selector_event& e : std::span(events).first(n)) {
                if (e.token == listener_token)
                    accept_some();
                else
                    serve(e.token);
            }
            if (!tls_deadlines_.empty()) expire_tls_deadlines();
            if (paused_ && now_ >= resume_at_) resume_accepting();
            if (idle_limit_ && now_ >= next_idle_check_) {
                close_idle();
                next_idle_check_ = now_ + idle_tick_;
            }
        }
    }

private:
    // With -w, wake up often enough to close idle clients on time; while accepting is
    // paused, wake up when the pause ends.
    usocket::timeout_type wait_limit() const {
        std::optional<clock::duration> limit;
        if (idle_limit_ && !clients_.empty()) limit = idle_tick_;
        if (paused_) {
            const auto left = std::max<clock::duration>(resume_at_ - clock::now(), clock::duration::zero());
            limit = limit ? std::min(*limit, left) : left;
        }
        if (!tls_deadlines_.empty()) {
            const auto left = std::max<clock::duration>(tls_deadlines_.front().first - clock::now(), clock::duration::zero());
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
            if (tls_ && !ec) {
                accept_tls(std::move(conn), peer);
                continue;
            }
            const int fd = conn.fileno();
            std::uint64_t token = 0;
            if (!ec) {
                std::string name = opt_.verbose ? peer_name(peer) : std::string();
                token = clients_.add({std::move(conn), {}, 0, 0, now_, std::move(name), std::nullopt, false, false});
                sel_.add(fd, usocket::selector::readable, token, ec);
                if (ec) clients_.remove(token);
            }
            if (ec) {
                accept_errors_.say("cannot serve " + peer_name(peer) + ": " + describe(ec));
                if (ec == std::errc::not_enough_memory || ec == std::errc::no_space_on_device)
                    return pause_accepting();  // the selector is full (ENOSPC: max_user_watches)
                continue;
            }
            if (opt_.verbose) say("connection from " + peer_name(peer));
        }
    }

    // A TLS client: wrapped, watched as a socket (bytes decrypted and not yet read count as
    // readable), its handshake begun (the ClientHello may be there already).
    void accept_tls(usocket::socket conn, const usocket::address& peer) {
        std::error_code ec;
        echo_client c;
        c.handshake.emplace(tls_->wrap_nonblocking(std::move(conn), ec));
        c.settle();
        if (!ec) {
            c.name = opt_.verbose ? peer_name(peer) : std::string();
            c.last_activity = now_ = clock::now();
            const std::uint64_t token = clients_.add(std::move(c));
            echo_client* added = clients_.find(token);
            sel_.add(*added->handshake, usocket::selector::readable, token, ec);
            if (!ec) {
                if (opt_.verbose) say("connection from " + peer_name(peer));
                tls_deadlines_.emplace_back(now_ + tls_->handshake_limit(), token);
                advance_handshake(token, *added);
                return;
            }
            clients_.remove(token);
        }
        accept_errors_.say("cannot serve " + peer_name(peer) + ": " + describe(ec));
        if (ec == std::errc::not_enough_memory || ec == std::errc::no_space_on_device) pause_accepting();
    }

    // One step of a client's handshake. True when it is done: the client is then served as
    // any other.
    bool advance_handshake(std::uint64_t token, echo_client& c) {
        std::string why;
        std::error_code ec;
        switch (tls_->step(*c.handshake, {}, why)) {
            case handshake_step::want_read:
                sel_.modify(c.fd(), usocket::selector::readable, token, ec);
                break;
            case handshake_step::want_write:
                sel_.modify(c.fd(), usocket::selector::writable, token, ec);
                break;
            case handshake_step::failed:
                drop(token, c, why, false);
                return false;
            case handshake_step::done:
                if (opt_.verbose) say(c.name + ": " + tls_->summary(*c.handshake));
                c.sock = std::move(*c.handshake);
                c.handshake.reset();
                c.settle();
                sel_.modify(c.fd(), usocket::selector::readable, token, ec);
                if (!ec) return true;
                break;
        }
        if (ec) drop(token, c, describe(ec));
        return false;
    }

    // Handshakes (and closes) past their deadline end; the FIFO forgets those that finished.
    void expire_tls_deadlines() {
        while (!tls_deadlines_.empty()) {
            const auto [deadline, token] = tls_deadlines_.front();
            echo_client* c = clients_.find(token);
            const bool waiting = c != nullptr && (c->handshake || c->closing);
            if (waiting && deadline > now_) return;
            tls_deadlines_.pop_front();
            if (waiting && c->handshake) drop(token, *c, tls_->handshake_timed_out(), false);
            if (waiting && c->closing) drop(token, *c, "closed, without room for its close notification");
        }
    }

    // A TLS client's end: closed now if its close notification fits, or once it does.
    void close_tls(std::uint64_t token, echo_client& c) {
        std::error_code ec;
        const usocket::waitable w[] = {c.sock.fileno()};
        if (!usocket::select({}, w, {}, usocket::duration::zero(), ec).write.empty() || ec)
            return drop(token, c, "closed");
        c.closing = true;
        c.settle();
        sel_.modify(c.sock.fileno(), usocket::selector::writable, token, ec);
        if (ec) return drop(token, c, describe(ec));
        tls_deadlines_.emplace_back(clock::now() + tls_->handshake_limit(), token);
    }

    // The listener stays readable while accept() fails: stop watching it, or the loop spins.
    void pause_accepting() {
        if (paused_) return;
        std::error_code ignored;
        sel_.remove(listener_.fileno(), ignored);
        paused_ = true;
        now_ = clock::now();
        resume_at_ = now_ + backoff_.next();
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

    // One read and one write per message: a read that leaves room in the buffer has taken all
    // there was, and the selector (level-triggered) reports the client again when more comes;
    // reading on until EAGAIN would cost a failed recv per message.
    // Over TLS what a read decrypted but could not hand out stays in the session; clients are
    // registered as sockets, so the selector reports those bytes as it reports the kernel's.
    void serve(std::uint64_t token) {
        echo_client* c = clients_.find(token);
        if (c == nullptr) return;
        if (idle_limit_) c->last_activity = now_;
        if (c->busy) [[unlikely]] {
            if (c->closing) return drop(token, *c, "closed");
            if (c->handshake && !advance_handshake(token, *c)) return;
            if (!c->pending.empty() && !flush(token, *c)) return;
            if (c->read_wants_write && !resume_reading(token, *c)) return;
        }
        const usocket::mutable_buffer buf(buffer_.data(), echo_chunk);
        std::error_code& ec = io_error_;  // each call clears it: no std::error_code made per message
        for (int round = 0; round < reads_per_turn; ++round) {
            // A count says the call succeeded: `ec` is looked at only when one falls short.
            const std::size_t n = c->sock.recv_into(buf, 0, 0, ec);
            if (n == 0) [[unlikely]] {
                if (!ec) return tls_ ? close_tls(token, *c) : drop(token, *c, "closed");
                if (is_tls_want_write(ec)) return wait_to_write(token, *c);
                if (!usocket::is_would_block(ec)) drop(token, *c, describe(ec));
                return;
            }
            const std::size_t sent = c->sock.send(usocket::const_buffer(buffer_.data(), n), 0, ec);
            c->echoed += sent;
            if (sent < n) [[unlikely]] {
                if (ec && !usocket::is_would_block(ec)) return drop(token, *c, describe(ec));
                return hold(token, *c, sent, n);
            }
            if (n < echo_chunk) return;
        }
    }

    // TLS: a read that must send first (the session's own messages) waits for room.
    void wait_to_write(std::uint64_t token, echo_client& c) {
        c.read_wants_write = true;
        c.settle();
        std::error_code ec;
        sel_.modify(c.sock.fileno(), usocket::selector::writable, token, ec);
        if (ec) drop(token, c, describe(ec));
    }

    bool resume_reading(std::uint64_t token, echo_client& c) {
        c.read_wants_write = false;
        c.settle();
        std::error_code ec;
        sel_.modify(c.sock.fileno(), usocket::selector::readable, token, ec);
        if (ec) drop(token, c, describe(ec));
        return !ec;
    }

    // The client is not reading: keep the rest of the echo, stop reading it, and wait until
    // the rest can be sent (back-pressure: one chunk per client at most).
    void hold(std::uint64_t token, echo_client& c, std::size_t sent, std::size_t n) {
        c.pending.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(sent),
                         buffer_.begin() + static_cast<std::ptrdiff_t>(n));
        c.settle();
        std::error_code ec;
        sel_.modify(c.sock.fileno(), usocket::selector::writable, token, ec);
        if (ec) drop(token, c, describe(ec));
    }

    // Writable again: send what is left. True when all of it has gone and reading resumes.
    bool flush(std::uint64_t token, echo_client& c) {
        std::error_code ec;
        c.pending_from += c.sock.send(usocket::const_buffer(c.pending).skip(c.pending_from), 0, ec);
        if (ec && !usocket::is_would_block(ec)) {
            drop(token, c, describe(ec));
            return false;
        }
        if (c.pending_from < c.pending.size()) return false;
        c.echoed += c.pending.size();
        std::vector<std::byte>().swap(c.pending);  // its memory too: a client that reads costs no buffer
        c.pending_from = 0;
        c.settle();
        sel_.modify(c.sock.fileno(), usocket::selector::readable, token, ec);
        if (ec) {
            drop(token, c, describe(ec));
            return false;
        }
        return true;
    }

    void close_idle() {
        clients_.for_each([&](std::uint64_t token, echo_client& c) {
            if (now_ - c.last_activity >= *idle_limit_) drop(token, c, "idle, closed");
        });
    }

    void drop(std::uint64_t token, echo_client& c, const std::string& why, bool served = true) {
        if (opt_.verbose)
            say(c.name + ": " + why + (served ? " after " + std::to_string(c.echoed) + " bytes echoed" : std::string()));
        std::error_code ignored;
        sel_.remove(c.fd(), ignored);  // before close: epoll tracks the open file
        clients_.remove(token);
        resume_accepting();  // a descriptor is free again
    }

    usocket::socket& listener_;
    const options& opt_;
    const tls_layer* tls_;  // --tls; null otherwise
    usocket::selector sel_;
    std::deque<std::pair<clock::time_point, std::uint64_t>> tls_deadlines_;  // handshakes and closes: deadline, token
    std::optional<clock::duration> idle_limit_;
    clock::duration idle_tick_{};
    clock::time_point now_{};
    clock::time_point next_idle_check_{};
    client_table clients_;
    bool paused_ = false;
    clock::time_point resume_at_{};
    accept_backoff backoff_;
    rate_limited_message accept_errors_;
    std::vector<std::byte> buffer_ = std::vector<std::byte>(echo_chunk);
    std::error_code io_error_;  // serve()'s
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
        (void)s.sendto(usocket::const_buffer(buf.data(), n), from, usocket::msg_dontwait, ec);
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
    const tls_layer tls(opt);
    usocket::selector sel;
    usocket::socket listener = open_listener(opt);
    echo_server(listener, std::move(sel), opt, opt.tls ? &tls : nullptr).run();
}

}  // namespace usock
