// create_connection(): resolution and every attempt under one deadline, with Happy Eyeballs
// (RFC 8305) — several non-blocking connects in flight, waited for together through the seam
// (sys::poll), the first to connect wins. create_server(): CPython's recipe.

#include "usocket/connect.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "or_throw.hpp"
#include "socket_access.hpp"
#include "sock_call.hpp"
#include "sys.hpp"
#include "usocket/poller.hpp"
#include "usocket/resolver.hpp"

namespace usocket {

namespace {

using detail::deadline;

struct candidate {
    address_family family;
    socket_type type;
    protocol proto;
    address peer;
};

// RFC 8305 section 4: alternate the families, starting with the family the resolver put
// first (its RFC 6724 order already prefers IPv6 where IPv6 works).
std::vector<candidate> interleave(const std::vector<candidate>& list) {
    if (list.empty()) return list;
    const address_family first = list.front().family;
    std::vector<const candidate*> a, b;
    for (const auto& c : list) (c.family == first ? a : b).push_back(&c);
    std::vector<candidate> out;
    out.reserve(list.size());
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
        if (i < a.size()) out.push_back(*a[i]);
        if (i < b.size()) out.push_back(*b[i]);
    }
    return out;
}

// The connection attempts of one create_connection() call: the candidates in the order they
// are tried, the attempts in flight, and every failure on record.
class attempts {
public:
    attempts(std::vector<candidate> list, const connection_options& o, std::vector<attempt_error>* errors)
        : list_(std::move(list)), o_(o), errors_(errors) {}

    bool more_to_start() const noexcept { return next_ < list_.size(); }
    bool in_flight() const noexcept { return !pending_.empty(); }
    const std::error_code& last_error() const noexcept { return last_; }

    // Starts the next candidate: returns the socket when it connected at once, else records a
    // failure or adds the attempt to those in flight.
    socket start_next(std::error_code& ec) {
        const candidate& c = list_[next_++];
        socket s = socket_access::open(c.family, c.type, c.proto, 0, ec);  // non-blocking
        if (!ec && o_.source_address) s.bind(*o_.source_address, ec);
        if (!ec) s.connect(c.peer, ec);
        if (!ec) return s;
        if (is_would_block(ec) || is_interrupted(ec)) {  // in progress
            ec.assign(0, ec.category());
            pending_.push_back({std::move(s), c.peer});
            return {};
        }
        record(c.peer, ec);
        ec.assign(0, ec.category());
        return {};
    }

    // The slots to wait on: every attempt in flight, for writable (an error counts as ready).
    std::vector<detail::poll_slot>& slots() {
        slots_.clear();
        for (const auto& p : pending_) slots_.push_back({p.sock.fileno(), static_cast<short>(pollout), 0});
        return slots_;
    }

    // After a wait: the first attempt that connected, or none (the ones that failed are on
    // record, the rest stay in flight). `failed` says whether any attempt failed.
    socket collect(bool& failed) {
        failed = false;
        std::vector<attempt> still;
        still.reserve(pending_.size());
        for (std::size_t i = 0; i < pending_.size(); ++i) {
            if (slots_[i].revents == 0) {
                still.push_back(std::move(pending_[i]));
                continue;
            }
            std::error_code se;
            const int so_err = pending_[i].sock.getsockopt(sol_socket, so_error, se);
            if (!se && so_err == 0) return std::move(pending_[i].sock);  // the losers close with pending_
            record(pending_[i].peer, se ? se : system_error_code(so_err));
            failed = true;
        }
        pending_ = std::move(still);
        return {};
    }

    // The deadline passed: what is still in flight is on record as timed out.
    void time_out() {
        for (const auto& p : pending_) record(p.peer, detail::timed_out_code());
        pending_.clear();
    }

private:
    struct attempt {
        socket sock;
        address peer;
    };

    void record(const address& peer, const std::error_code& e) {
        if (errors_ != nullptr) errors_->push_back({peer, e});
        last_ = e;
    }

    std::vector<candidate> list_;
    const connection_options& o_;
    std::vector<attempt_error>* errors_;
    std::vector<attempt> pending_;
    std::vector<detail::poll_slot> slots_;
    std::size_t next_ = 0;
    std::error_code last_;
};

// The winner gets the timeout asked for (CPython sets it before connecting; the result is the same).
socket finish(socket s, const connection_options& o, std::error_code& ec) {
    s.settimeout(o.timeout, ec);
    if (ec) return {};
    return s;
}

// No time to wait at all: one non-blocking try per address, as CPython does with 0.
socket connect_now(attempts& a, const connection_options& o, std::error_code& ec) {
    while (a.more_to_start()) {
        socket s = a.start_next(ec);
        if (s.is_open()) return finish(std::move(s), o, ec);
    }
    ec = a.in_flight() ? system_error_code(sys::err_inprogress) : a.last_error();
    return {};
}

// Happy Eyeballs under `dl`: start an attempt, and the next one after the attempt delay (or at
// once when one fails), while earlier ones stay in flight; the first to connect wins. Every
// wait is the blocking core's one loop, capped at the next attempt's start.
socket connect_racing(attempts& a, const connection_options& o, deadline& dl, std::error_code& ec) {
    const std::int64_t delay = std::max(o.attempt_delay, duration(std::chrono::milliseconds(10))).count();
    std::int64_t next_start = 0;  // monotonic time at which the next attempt may start
    for (;;) {
        while (a.more_to_start() && (!a.in_flight() || (o.happy_eyeballs && sys::monotonic_ns() >= next_start))) {
            socket s = a.start_next(ec);
            if (ec) return {};
            if (s.is_open()) return finish(std::move(s), o, ec);
            next_start = detail::saturating_add(sys::monotonic_ns(), delay);
        }
        if (!a.in_flight()) break;
        auto& slots = a.slots();
        deadline wait = o.happy_eyeballs && a.more_to_start() ? dl.capped_at(next_start) : dl;
        const int n = detail::wait_loop(
            wait, [&](std::int64_t left, std::error_code& e) { return sys::poll(slots.data(), slots.size(), left, e); },
            ec);
        if (n < 0) return {};
        if (n == 0) {
            if (!dl.unlimited() && dl.remaining() == 0) {
                a.time_out();
                ec = detail::timed_out_code();
                return {};
            }
            continue;  // time for the next attempt
        }
        bool failed = false;
        socket won = a.collect(failed);
        if (won.is_open()) return finish(std::move(won), o, ec);
        if (failed) next_start = 0;  // RFC 8305: a failure starts the next attempt at once
    }
    ec = a.last_error();
    return {};
}

socket connect_any(const std::vector<candidate>& resolved, const connection_options& o, deadline& dl,
                   std::error_code& ec, std::vector<attempt_error>* errors) {
    attempts a(o.happy_eyeballs ? interleave(resolved) : resolved, o, errors);
    return dl.non_blocking() ? connect_now(a, o, ec) : connect_racing(a, o, dl, ec);
}

std::error_code check_timeout(const connection_options& o) noexcept {
    if (!o.timeout.is_valid()) return errc::invalid_timeout;
    return {};
}

template <class F>
socket throw_connection_errors(const connection_options& o, const std::string& what, F&& f) {
    std::vector<attempt_error> errors;
    std::error_code ec;
    socket s = f(ec, errors);
    if (ec) {
#if USOCKET_HAS_EXCEPTIONS
        if (o.all_errors && !errors.empty()) throw connection_errors(std::move(errors), ec);
#else
        (void)o;
#endif
        throw_error(ec, what.c_str());
    }
    return s;
}

}  // namespace

connection_errors::connection_errors(std::vector<attempt_error> errors, const std::error_code& last)
    : os_error(last, "create_connection failed (" + std::to_string(errors.size()) + " attempts)"),
      errors_(std::move(errors)) {}

socket create_connection(std::string_view host, int port, const connection_options& o, std::error_code& ec,
                         std::vector<attempt_error>* errors) {
    if ((ec = check_timeout(o))) return {};
    if (!valid_port(port)) {
        ec = errc::port_out_of_range;
        return {};
    }
    deadline dl(o.timeout.nanoseconds());
    const std::int64_t left = dl.remaining();  // starts the clock: resolution counts too
    const timeout_type limit = o.timeout.is_blocking() ? timeout_type() : timeout_type(duration(left));
    const auto list = getaddrinfo(host, port, o.family, sock_stream, protocol{}, addrinfo_flags{}, limit, ec);
    if (ec) return {};
    std::vector<candidate> candidates;
    for (const auto& ai : list) candidates.push_back({ai.family, ai.type, ai.proto, ai.sockaddr});
    if (candidates.empty()) {
        ec = std::error_code(eai_noname, gai_category());
        return {};
    }
    return connect_any(candidates, o, dl, ec, errors);
}

socket create_connection(std::string_view host, int port, std::error_code& ec) {
    return create_connection(host, port, connection_options{}, ec);
}

socket create_connection(std::string_view host, int port, const connection_options& o) {
    return throw_connection_errors(o, detail::host_port_context("create_connection", host, port),
                                   [&](std::error_code& ec, std::vector<attempt_error>& errors) {
                                       return create_connection(host, port, o, ec, &errors);
                                   });
}

socket create_connection(std::span<const address> candidates, const connection_options& o, std::error_code& ec,
                         std::vector<attempt_error>* errors) {
    if ((ec = check_timeout(o))) return {};
    if (candidates.empty()) {
        ec = errc::invalid_argument;
        return {};
    }
    std::vector<candidate> list;
    for (const auto& a : candidates) list.push_back({a.family(), sock_stream, protocol{}, a});
    deadline dl(o.timeout.nanoseconds());
    dl.start();
    return connect_any(list, o, dl, ec, errors);
}

socket create_connection(std::span<const address> candidates, const connection_options& o) {
    return throw_connection_errors(o, "create_connection", [&](std::error_code& ec, std::vector<attempt_error>& errors) {
        return create_connection(candidates, o, ec, &errors);
    });
}

// --- create_server -------------------------------------------------------------------------

socket create_server(const address& local, const server_options& o, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const address_family family = local.family();
#ifndef USOCKET_HAS_SO_REUSEPORT
    if (o.reuse_port) {
        ec = errc::unsupported;
        return {};
    }
#endif
    if (o.dualstack_ipv6 && family != af_inet6) {
        ec = errc::invalid_argument;
        return {};
    }
    if (o.dualstack_ipv6 && !has_dualstack_ipv6()) {
        ec = errc::unsupported;
        return {};
    }
    socket s = socket::open(family, sock_stream, ec);
    if (ec) return {};
    std::error_code ignored;  // as CPython: a system without SO_REUSEADDR still gets a server
    if (family != af_unix) s.setsockopt(sol_socket, so_reuseaddr, 1, ignored);
#ifdef USOCKET_HAS_SO_REUSEPORT
    if (o.reuse_port) s.setsockopt(sol_socket, so_reuseport, 1, ec);
#endif
#if defined(USOCKET_HAS_IPPROTO_IPV6) && defined(USOCKET_HAS_IPV6_V6ONLY)
    // Set both ways: the system default (net.ipv6.bindv6only) must not decide.
    if (!ec && family == af_inet6) s.setsockopt(ipproto_ipv6, ipv6_v6only, o.dualstack_ipv6 ? 0 : 1, ec);
#endif
    if (!ec) s.bind(local, ec);
    if (!ec) {
        if (o.backlog)
            s.listen(*o.backlog, ec);
        else
            s.listen(ec);
    }
    if (ec) return {};
    return s;
}

socket create_server(const address& local, const server_options& o) {
    std::error_code ec;
    socket s = create_server(local, o, ec);
    if (ec) throw_error(ec, ("create_server on " + local.to_string()).c_str());
    return s;
}

socket create_server(std::string_view host, int port, const server_options& o, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const address local = resolve_address(host, port, o.family, ec);
    if (ec) return {};
    return create_server(local, o, ec);
}

socket create_server(std::string_view host, int port, const server_options& o) {
    return detail::or_throw([&] { return detail::host_port_context("create_server on", host, port); },
                            [&](std::error_code& ec) { return create_server(host, port, o, ec); });
}

socket create_server(std::string_view host, int port, std::error_code& ec) noexcept {
    return create_server(host, port, server_options{}, ec);
}

socket create_server(const address& local, std::error_code& ec) noexcept { return create_server(local, server_options{}, ec); }

bool has_dualstack_ipv6() noexcept {
#if defined(USOCKET_HAS_IPPROTO_IPV6) && defined(USOCKET_HAS_IPV6_V6ONLY)
    std::error_code ec;
    socket s = socket::open(af_inet6, sock_stream, ec);
    if (ec) return false;
    s.setsockopt(ipproto_ipv6, ipv6_v6only, 0, ec);
    return !ec;
#else
    return false;  // a stack without IPv6 options (lwIP without IPv6) has no dual-stack socket
#endif
}

}  // namespace usocket
