// create_connection(): resolution and every attempt under one deadline, with Happy Eyeballs
// (RFC 8305) — several non-blocking connects in flight, waited for together through the seam
// (sys::poll), the first to connect wins. create_server(): CPython's recipe.

#include "usocket/connect.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "or_throw.hpp"
#include "sock_call.hpp"
#include "sys.hpp"
#include "usocket/poller.hpp"
#include "usocket/resolver.hpp"

namespace usocket {

namespace {

using detail::deadline;

struct candidate {
    int family;
    int type;
    int proto;
    address peer;
};

struct attempt {
    socket sock;
    address peer;
};

// RFC 8305 section 4: alternate the families, starting with the family the resolver put
// first (its RFC 6724 order already prefers IPv6 where IPv6 works).
std::vector<candidate> interleave(const std::vector<candidate>& list) {
    if (list.empty()) return list;
    const int first = list.front().family;
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

bool is_in_progress(const std::error_code& ec) noexcept {
    return ec.category() == std::system_category() &&
           (ec.value() == sys::err_inprogress || ec.value() == sys::err_intr);
}

// Opens a non-blocking socket for `c`, binds it and starts connecting.
// Returns 1 when connected at once, 0 when the connection is in progress, -1 on failure.
int start_attempt(const candidate& c, const connection_options& o, socket& s, std::error_code& ec) {
    s = socket::open(c.family, c.type | sock_nonblock, c.proto, ec);
    if (ec) return -1;
    if (o.source_address) {
        s.bind(*o.source_address, ec);
        if (ec) return -1;
    }
    s.connect(c.peer, ec);
    if (!ec) return 1;
    if (!is_in_progress(ec)) return -1;
    ec.clear();
    return 0;
}

// The winner gets the timeout asked for (CPython sets it before connecting; the result is the same).
socket finish(socket s, const connection_options& o, std::error_code& ec) {
    s.settimeout(o.timeout, ec);
    if (ec) return {};
    return s;
}

socket connect_any(const std::vector<candidate>& resolved, const connection_options& o, deadline& dl,
                   std::error_code& ec, std::vector<attempt_error>* errors) {
    std::error_code last;
    const auto record = [&](const address& peer, const std::error_code& e) {
        if (errors) errors->push_back({peer, e});
        last = e;
    };
    const std::vector<candidate> list = o.happy_eyeballs ? interleave(resolved) : resolved;

    if (dl.non_blocking()) {
        // No time to wait at all: one non-blocking try per address, as CPython does with 0.
        for (const auto& c : list) {
            socket s;
            std::error_code e;
            const int r = start_attempt(c, o, s, e);
            if (r == 1) return finish(std::move(s), o, ec);
            record(c.peer, r == 0 ? system_error_code(sys::err_inprogress) : e);
        }
        ec = last;
        return {};
    }

    const std::int64_t delay = std::max(o.attempt_delay, duration(std::chrono::milliseconds(10))).count();
    std::vector<attempt> pending;
    std::vector<detail::poll_slot> slots;
    std::size_t next = 0;
    std::int64_t next_start = 0;  // monotonic time at which the next attempt may start
    for (;;) {
        // Start the next attempt when none is in flight, or when the delay has passed.
        while (next < list.size() &&
               (pending.empty() || (o.happy_eyeballs && sys::monotonic_ns() >= next_start))) {
            const candidate& c = list[next++];
            socket s;
            std::error_code e;
            const int r = start_attempt(c, o, s, e);
            if (r == 1) return finish(std::move(s), o, ec);
            if (r < 0) {
                record(c.peer, e);  // failed at once: go straight to the next one
                continue;
            }
            pending.push_back({std::move(s), c.peer});
            next_start = sys::monotonic_ns() + delay;
        }
        if (pending.empty()) break;

        const std::int64_t left = dl.remaining();  // negative: no limit
        if (left == 0) {
            for (const auto& p : pending) record(p.peer, detail::timed_out_code());
            ec = detail::timed_out_code();
            return {};
        }
        std::int64_t wait_ns = left;
        if (o.happy_eyeballs && next < list.size()) {
            const std::int64_t until_next = std::max<std::int64_t>(0, next_start - sys::monotonic_ns());
            if (wait_ns < 0 || until_next < wait_ns) wait_ns = until_next;
        }
        slots.clear();
        for (const auto& p : pending) slots.push_back({p.sock.fileno(), static_cast<short>(pollout), 0});
        std::error_code e;
        if (sys::poll(slots.data(), slots.size(), wait_ns, e) < 0) {
            if (e.value() == sys::err_intr && !detail::give_up_after_interrupt()) continue;
            ec = e;
            return {};
        }
        bool failed = false;
        std::vector<attempt> still;
        still.reserve(pending.size());
        for (std::size_t i = 0; i < pending.size(); ++i) {
            if (slots[i].revents == 0) {  // error and hang-up count as ready: SO_ERROR tells
                still.push_back(std::move(pending[i]));
                continue;
            }
            std::error_code se;
            const int so_err = pending[i].sock.getsockopt(sol_socket, so_error, se);
            if (!se && so_err == 0) return finish(std::move(pending[i].sock), o, ec);  // the losers close here
            record(pending[i].peer, se ? se : system_error_code(so_err));
            failed = true;
        }
        pending = std::move(still);
        if (failed) next_start = 0;  // RFC 8305: a failure starts the next attempt at once
    }
    ec = last;
    return {};
}

std::error_code check_timeout(const connection_options& o) noexcept {
    if (o.timeout && o.timeout->count() < 0) return errc::invalid_timeout;
    return {};
}

std::int64_t timeout_ns(const connection_options& o) noexcept { return o.timeout ? o.timeout->count() : -1; }

template <class F>
socket throw_connection_errors(const connection_options& o, F&& f) {
    std::vector<attempt_error> errors;
    std::error_code ec;
    socket s = f(ec, errors);
    if (ec) {
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
        if (o.all_errors && !errors.empty()) throw connection_errors(std::move(errors), ec);
#else
        (void)o;
#endif
        throw_error(ec, "create_connection");
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
    if (port < 0 || port > 65535) {
        ec = errc::port_out_of_range;
        return {};
    }
    deadline dl(timeout_ns(o));
    const std::int64_t left = dl.remaining();  // starts the clock: resolution counts too
    const auto limit = o.timeout ? std::optional<std::chrono::nanoseconds>(std::chrono::nanoseconds(left)) : std::nullopt;
    const auto list = getaddrinfo(host, port, af_unspec, sock_stream, 0, 0, limit, ec);
    if (ec) return {};
    std::vector<candidate> candidates;
    for (const auto& ai : list) candidates.push_back({ai.family, ai.type, ai.proto, ai.sockaddr});
    if (candidates.empty()) {
        ec = std::error_code(eai_noname, gai_category());
        return {};
    }
    return connect_any(candidates, o, dl, ec, errors);
}

socket create_connection(std::string_view host, int port, const connection_options& o) {
    return throw_connection_errors(o, [&](std::error_code& ec, std::vector<attempt_error>& errors) {
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
    for (const auto& a : candidates) list.push_back({a.family(), sock_stream, 0, a});
    deadline dl(timeout_ns(o));
    dl.remaining();
    return connect_any(list, o, dl, ec, errors);
}

socket create_connection(std::span<const address> candidates, const connection_options& o) {
    return throw_connection_errors(o, [&](std::error_code& ec, std::vector<attempt_error>& errors) {
        return create_connection(candidates, o, ec, &errors);
    });
}

// --- create_server -------------------------------------------------------------------------

socket create_server(const address& local, const server_options& o, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const int family = local.family();
    if (o.reuse_port && so_reuseport < 0) {
        ec = errc::unsupported;
        return {};
    }
    if (o.dualstack_ipv6 && family != af_inet6) {
        ec = errc::invalid_argument;
        return {};
    }
    if (o.dualstack_ipv6 && !has_dualstack_ipv6()) {
        ec = errc::unsupported;
        return {};
    }
    socket s = socket::open(family, sock_stream, 0, ec);
    if (ec) return {};
    std::error_code ignored;  // as CPython: a system without SO_REUSEADDR still gets a server
    s.setsockopt(sol_socket, so_reuseaddr, 1, ignored);
    if (o.reuse_port) s.setsockopt(sol_socket, so_reuseport, 1, ec);
    // Set both ways: the system default (net.ipv6.bindv6only) must not decide.
    if (!ec && family == af_inet6) s.setsockopt(ipproto_ipv6, ipv6_v6only, o.dualstack_ipv6 ? 0 : 1, ec);
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
    return create_server(resolve_address(host, port, o.family), o);
}

bool has_dualstack_ipv6() noexcept {
    std::error_code ec;
    socket s = socket::open(af_inet6, sock_stream, 0, ec);
    if (ec) return false;
    s.setsockopt(ipproto_ipv6, ipv6_v6only, 0, ec);
    return !ec;
}

}  // namespace usocket
