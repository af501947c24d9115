// usocket::socket: argument checks, then the call through the blocking core (sock_call.hpp) on
// the socket's state (socket_state.hpp) and the backend seam (sys.hpp). No OS header here.
//
// Every call that touches the descriptor holds a use_guard for its whole duration: the state
// (and the descriptor number) cannot go away under it, whatever another thread does.

#include "usocket/socket.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <ostream>
#include <type_traits>

#include "message_call.hpp"
#include "or_throw.hpp"
#include "registry.hpp"
#include "sock_call.hpp"
#include "socket_access.hpp"
#include "socket_state.hpp"
#include "stream_hold.hpp"
#include "sys.hpp"
#include "transport.hpp"

namespace usocket {

namespace {

std::atomic<std::int64_t> default_timeout_ns{-1};

// Reports EBADF (a closed socket, or one that never had a descriptor).
template <class T = void>
T closed(std::error_code& ec) noexcept {
    ec = detail::bad_descriptor();
    if constexpr (!std::is_void_v<T>) return T();
}

// Runs `f(st)`, a call on the descriptor, with the call held in flight (EBADF when closed).
template <class T = void, class F>
T on_descriptor(detail::socket_state* st, std::error_code& ec, F&& f) noexcept {
    const detail::use_guard use(st);
    if (!use) return closed<T>(ec);
    if constexpr (std::is_void_v<T>)
        (void)f(*st);
    else
        return f(*st);
}

// A transport (TLS) has no flags of its own but msg_dontwait: any other is refused, as
// CPython's SSLSocket refuses them.
bool transport_flags_ok(msg_flags flags, std::error_code& ec) noexcept {
    if ((flags & ~msg_dontwait) == msg_flags{}) return true;
    ec = errc::invalid_argument;
    return false;
}

// One send of every send call: the transport's, or the system's.
sys::ssize transmit(detail::socket_state& st, const std::byte* data, std::size_t n, msg_flags flags,
                    detail::deadline& dl, std::error_code& ec) noexcept {
    if (st.tr != nullptr) [[unlikely]]
        return transport_flags_ok(flags, ec) ? st.tr->write_some(st, data, n, dl, ec) : -1;
    return detail::sock_call(
        st, detail::caller::socket, sys::wait_for::write, dl,
        [&](std::error_code& e) { return sys::send(st.fd, data, n, flags, e); }, ec);
}

// A receive call that has bytes buffered, or a transport: out of line. -2 when neither turned
// out to answer (the buffer emptied meanwhile): the plain path then.
[[gnu::noinline]] sys::ssize receive_special(detail::socket_state& st, std::byte* data, std::size_t n,
                                             msg_flags flags, std::error_code& ec) noexcept {
    if (st.buffered.load(std::memory_order_acquire) != 0) {
        if (st.read_lock.held_here()) [[unlikely]] {
            ec = errc::reentrant_call;  // the bytes belong to the read this thread is inside
            return -1;
        }
        if (n == 0) return 0;  // readable now (select says so): a zero-size read does not wait
        std::size_t got = 0;
        const mutable_buffer into(data, n);
        if (detail::take_buffered(st, std::span<const mutable_buffer>(&into, 1), has_any(flags, msg_peek),
                                  has_any(flags, msg_dontwait), got, ec))
            return static_cast<sys::ssize>(got);
        if (ec) return -1;  // another thread's read holds the buffer (dontwait)
    }
    if (st.tr != nullptr) {
        if (!transport_flags_ok(flags, ec)) return -1;
        detail::deadline dl = detail::call_deadline(st, flags, sys::wait_for::read);
        return st.tr->read_some(st, data, n, dl, ec);
    }
    return -2;
}

// The slow paths of the plain calls, after a first try that failed: the deadline, the waits
// and the retries, out of line so that the success path carries none of it.
[[gnu::noinline]] sys::ssize recv_retry(detail::socket_state& st, std::byte* data, std::size_t n, msg_flags flags,
                                        address* from, std::error_code& ec) noexcept {
    detail::deadline dl = detail::call_deadline(st, flags, sys::wait_for::read);
    return detail::retry_loop(
        st, detail::caller::socket, sys::wait_for::read, dl,
        [&](std::error_code& e) {
            return from == nullptr ? sys::recv(st.fd, data, n, flags, e) : sys::recvfrom(st.fd, data, n, flags, from, e);
        },
        ec);
}

[[gnu::noinline]] sys::ssize send_retry(detail::socket_state& st, const std::byte* data, std::size_t n,
                                        msg_flags flags, std::error_code& ec) noexcept {
    detail::deadline dl = detail::call_deadline(st, flags, sys::wait_for::write);
    return detail::retry_loop(
        st, detail::caller::socket, sys::wait_for::write, dl,
        [&](std::error_code& e) { return sys::send(st.fd, data, n, flags, e); }, ec);
}

// Every receive call: the bytes the stream methods left in the read-ahead buffer first (a
// stream socket's: no sender to report), then the transport or the system — recv, or
// recvfrom when `from` is given. The plain path is a straight line to the system call.
inline std::size_t receive(detail::socket_state* st, std::byte* data, std::size_t n, msg_flags flags, address* from,
                           std::error_code& ec) noexcept {
    const detail::use_guard use(st);
    if (!use) [[unlikely]]
        return closed<std::size_t>(ec);
    sys::ssize r = -2;
    if ((st->buffered.load(std::memory_order_relaxed) != 0) | (st->tr != nullptr)) [[unlikely]]
        r = receive_special(*st, data, n, flags, ec);
    if (r == -2) [[likely]] {
        r = from == nullptr ? sys::recv(st->fd, data, n, flags, ec) : sys::recvfrom(st->fd, data, n, flags, from, ec);
        if (r < 0) [[unlikely]]
            r = recv_retry(*st, data, n, flags, from, ec);
    }
    return r < 0 ? 0 : static_cast<std::size_t>(r);
}

// The fast paths of send and recv_into: an open plain socket, nothing buffered, the system
// call succeeds. Everything else (closed, a transport, bytes buffered, a failed first try) goes
// to the out-of-line slow path, which finishes the call as the general path would, given the
// call's arguments in a plain_call made only on that path.
enum class first_try : std::uint8_t { done, closed, special, failed };

template <class Ptr>
struct plain_call {
    // No two 8-byte fields side by side: the fast path stores each with one plain move (side
    // by side, the compiler pairs them through a vector register, three instructions more).
    detail::socket_state* st;
    msg_flags flags;
    Ptr data;
    int err;  ///< the first try's error number, when it failed (only then set)
    std::size_t size;
    plain_call(detail::socket_state* s, Ptr d, std::size_t n, msg_flags f, int e) noexcept
        : st(s), flags(f), data(d), err(e), size(n) {}
    plain_call(Ptr d, std::size_t n, msg_flags f) noexcept  // st and err set before a slow path reads them
        : flags(f), data(d), size(n) {}
};
using send_call = plain_call<const std::byte*>;
using recv_call = plain_call<std::byte*>;

// A leave() owed by a slow path whose caller entered.
struct leave_at_end {
    detail::socket_state& st;
    ~leave_at_end() { st.leave(); }
};

inline first_try try_send(send_call& c, sys::ssize& n) noexcept {
    if (c.st == nullptr || !c.st->enter()) [[unlikely]]
        return first_try::closed;
    if (c.st->tr != nullptr) [[unlikely]]
        return first_try::special;
    n = sys::send(c.st->fd, c.data, c.size, c.flags, c.err);
    if (n < 0) [[unlikely]]
        return first_try::failed;
    c.st->leave();
    return first_try::done;
}

// send's fast path: the arguments stay in the registers they came in (all but the descriptor
// are where send(2) takes them); `slow(call, how)` finishes any other case.
template <class Slow>
[[gnu::always_inline]] inline std::size_t fast_send(detail::socket_state* st, const std::byte* data, std::size_t size,
                                                    msg_flags flags, Slow&& slow) {
    // The arguments are stored once for the slow paths (the empty asm makes the compiler store
    // them rather than keep them in saved registers across the system call); the system call
    // takes them from the registers they came in.
    send_call c(data, size, flags);  // the state and the error are set on the slow paths only
    asm volatile("" : : "m"(c.data), "m"(c.size), "m"(c.flags));
    if (st == nullptr || !st->enter()) [[unlikely]] {
        c.st = st;
        return slow(c, first_try::closed);
    }
    if (st->tr != nullptr) [[unlikely]] {
        c.st = st;
        return slow(c, first_try::special);
    }
    int err = 0;
    const sys::ssize n = sys::send(st->fd, data, size, flags, err);
    if (n < 0) [[unlikely]] {
        c.st = st;
        c.err = err;
        return slow(c, first_try::failed);
    }
    st->leave();
    return static_cast<std::size_t>(n);
}

[[gnu::noinline]] std::size_t send_slow(const send_call& c, first_try t, std::error_code& ec) noexcept {
    if (t == first_try::closed) return closed<std::size_t>(ec);
    const leave_at_end leave{*c.st};
    sys::ssize n;
    if (t == first_try::special) {
        detail::deadline dl = detail::call_deadline(*c.st, c.flags, sys::wait_for::write);
        n = transmit(*c.st, c.data, c.size, c.flags, dl, ec);
    } else {
        ec = sys::make_error(c.err);
        n = send_retry(*c.st, c.data, c.size, c.flags, ec);
    }
    return n < 0 ? 0 : static_cast<std::size_t>(n);
}

// recv_into's fast path, as fast_send.
template <class Slow>
[[gnu::always_inline]] inline std::size_t fast_recv(detail::socket_state* st, std::byte* data, std::size_t size,
                                                    msg_flags flags, Slow&& slow) {
    // The arguments are stored once for the slow paths (the empty asm makes the compiler store
    // them rather than keep them in saved registers across the system call); the system call
    // takes them from the registers they came in.
    recv_call c(data, size, flags);  // the state and the error are set on the slow paths only
    asm volatile("" : : "m"(c.data), "m"(c.size), "m"(c.flags));
    if (st == nullptr || !st->enter()) [[unlikely]] {
        c.st = st;
        return slow(c, first_try::closed);
    }
    if ((st->buffered.load(std::memory_order_relaxed) != 0) | (st->tr != nullptr)) [[unlikely]] {
        c.st = st;
        return slow(c, first_try::special);
    }
    int err = 0;
    const sys::ssize n = sys::recv(st->fd, data, size, flags, err);
    if (n < 0) [[unlikely]] {
        c.st = st;
        c.err = err;
        return slow(c, first_try::failed);
    }
    st->leave();
    return static_cast<std::size_t>(n);
}

[[gnu::noinline]] std::size_t recv_slow(const recv_call& c, first_try t, std::error_code& ec) noexcept {
    if (t == first_try::closed) return closed<std::size_t>(ec);
    const leave_at_end leave{*c.st};
    sys::ssize r;
    if (t == first_try::special) {
        r = receive_special(*c.st, c.data, c.size, c.flags, ec);
        if (r != -2) return r < 0 ? 0 : static_cast<std::size_t>(r);  // the buffer or the transport answered
        r = sys::recv(c.st->fd, c.data, c.size, c.flags, ec);
        if (r >= 0) return static_cast<std::size_t>(r);
    } else {
        ec = sys::make_error(c.err);
    }
    r = recv_retry(*c.st, c.data, c.size, c.flags, nullptr, ec);
    return r < 0 ? 0 : static_cast<std::size_t>(r);
}

// The throwing forms' slow paths, out of line so that their frames stay off the fast path.
[[gnu::noinline]] std::size_t send_slow_or_throw(const send_call& c, first_try t) {
    return detail::or_throw("send", [&](std::error_code& ec) { return send_slow(c, t, ec); });
}
[[gnu::noinline]] std::size_t recv_slow_or_throw(const recv_call& c, first_try t) {
    return detail::or_throw("recv_into", [&](std::error_code& ec) { return recv_slow(c, t, ec); });
}

std::string_view constant_name(int value, std::string_view prefix) noexcept {
    for (const auto& c : constant_table())
        if (c.value == value && c.name.starts_with(prefix) && c.name != "SOCK_NONBLOCK" &&
            c.name != "SOCK_CLOEXEC")
            return c.name;
    return {};
}

// The flags of a type that ask for a mode at creation (CPython's): never part of the type a
// socket reports, never passed to the backend (which creates in the mode asked for by itself).
constexpr socket_type creation_flags = sock_nonblock | sock_cloexec;

// A new socket object over an open descriptor whose mode already matches `t`.
socket make_socket(sys::handle fd, address_family family, socket_type type, protocol proto, std::int64_t t,
                   std::error_code& ec) noexcept {
    detail::socket_state* st = detail::socket_state::make(fd, family, type, proto, t, ec);
    return st != nullptr ? socket_access::make(st) : socket();
}

}  // namespace

// --- module-level settings -------------------------------------------------------------------

timeout_type getdefaulttimeout() noexcept {
    return timeout_type::from_nanoseconds(default_timeout_ns.load(std::memory_order_relaxed));
}

void setdefaulttimeout(timeout_type t, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (!t.is_valid()) {
        ec = errc::invalid_timeout;
        return;
    }
    default_timeout_ns.store(t.nanoseconds(), std::memory_order_relaxed);
}

void setdefaulttimeout(timeout_type t) {
    detail::or_throw("setdefaulttimeout", [&](std::error_code& ec) { setdefaulttimeout(t, ec); });
}

int default_backlog() noexcept { return std::min(somaxconn, 128); }

namespace {
// Before the state is closed, its transport says goodbye (TLS's close notification) while the
// descriptor is still ours, under the socket's timeout; a failure there does not stop the close.
void transport_goodbye(detail::socket_state* st) noexcept {
    if (st->tr == nullptr || st->closed()) return;
    const detail::use_guard use(st);
    if (!use) return;
    detail::deadline dl = detail::call_deadline(*st);
    std::error_code ignored;
    st->tr->shutdown(*st, dl, ignored);
}
}  // namespace

void detail::socket_handle::reset() noexcept {
    if (st_ == nullptr) return;
    transport_goodbye(st_);
    std::error_code ignored;
    st_->close(ignored);
    std::exchange(st_, nullptr)->release();
}

// --- construction ------------------------------------------------------------------------

socket::socket(address_family family, socket_type type, protocol proto)
    : socket(detail::or_throw("socket", [&](std::error_code& ec) { return open(family, type, proto, ec); })) {}

socket socket_access::open(address_family family, socket_type type, protocol proto, std::int64_t timeout_ns,
                           std::error_code& ec) noexcept {
    detail::clear_error(ec);
    type &= ~creation_flags;
    const sys::handle fd = sys::open_socket(family, type, proto, timeout_ns >= 0, ec);
    if (fd == invalid_handle) return {};
    return make_socket(fd, family, type, proto, timeout_ns, ec);
}

socket socket::open(address_family family, socket_type type, protocol proto, std::error_code& ec) noexcept {
    // As CPython: sock_nonblock in the type means a non-blocking socket.
    const std::int64_t t = has_any(type, sock_nonblock) ? 0 : getdefaulttimeout().nanoseconds();
    return socket_access::open(family, type, proto, t, ec);
}

socket socket::open(address_family family, socket_type type, std::error_code& ec) noexcept {
    return open(family, type, protocol{}, ec);
}

socket socket::open(address_family family, std::error_code& ec) noexcept {
    return open(family, sock_stream, protocol{}, ec);
}

socket socket::adopt(native_handle fd, std::optional<address_family> given_family,
                     std::optional<socket_type> given_type, std::optional<protocol> given_proto,
                     std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (fd == invalid_handle || fd < 0) {
        ec = errc::invalid_argument;
        return {};
    }
    address_family family;
    socket_type type;
    protocol proto;
    if (!sys::describe(fd, family, type, proto, ec)) return {};
    if (given_family) family = *given_family;
    if (given_type) type = *given_type & ~creation_flags;
    if (given_proto) proto = *given_proto;
    // As CPython's socket(type=..., fileno=): sock_nonblock in the type given means a
    // non-blocking socket, else the default timeout.
    const std::int64_t t =
        given_type && has_any(*given_type, sock_nonblock) ? 0 : getdefaulttimeout().nanoseconds();
    if (!sys::set_non_blocking(fd, t >= 0, ec)) return {};
    return make_socket(fd, family, type, proto, t, ec);
}

socket socket::adopt(native_handle fd, std::error_code& ec) noexcept {
    return adopt(fd, std::nullopt, std::nullopt, std::nullopt, ec);
}

socket socket::adopt(native_handle fd) {
    return detail::or_throw("socket", [&](std::error_code& ec) { return adopt(fd, ec); });
}

// --- connections -------------------------------------------------------------------------

void socket::connect(const address& peer, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    detail::socket_state* st = state();
    const detail::use_guard use(st);
    if (!use) return closed<void>(ec);
    if (sys::connect(st->fd, peer, ec)) return;
    // As CPython (issue 23618): after EINTR the connection goes on in the background, so a
    // blocking or timed socket waits for it; a timed one also waits after EINPROGRESS, and so
    // does a blocking one whose descriptor another thread's settimeout() made non-blocking.
    detail::deadline dl = detail::call_deadline(*st);
    bool wait;
    if (ec.value() == sys::err_intr) {
        if (detail::give_up_after_interrupt()) return;
        wait = !dl.non_blocking();
    } else {
        wait = ec.value() == sys::err_inprogress && !dl.non_blocking() &&
               !(dl.unlimited() && detail::kernel_timeout_set(*st, sys::wait_for::write));
    }
    if (!wait) return;
    ec.assign(0, ec.category());
    if (!detail::wait_ready(*st, detail::socket_gone, sys::wait_for::write, dl, ec)) return;
    if (st->closed()) {
        ec = detail::bad_descriptor();
        return;
    }
    int so_err = 0;
    std::size_t len = sizeof so_err;
    if (!sys::getsockopt(st->fd, sol_socket, so_error, &so_err, len, ec)) return;
    if (so_err != 0) ec = sys::make_error(so_err);
}

void socket::connect(const address& peer) {
    detail::or_throw([&] { return "connect to " + peer.to_string(); }, [&](std::error_code& ec) { connect(peer, ec); });
}

void socket::connect(std::string_view host, int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const address peer = resolve_address(host, port, family(), ec);
    if (!ec) connect(peer, ec);
}

void socket::connect(std::string_view host, int port) {
    detail::or_throw([&] { return detail::host_port_context("connect", host, port); },
                     [&](std::error_code& ec) { connect(host, port, ec); });
}

int socket::connect_ex(const address& peer) noexcept {
    std::error_code ec;
    connect(peer, ec);
    if (!ec) return 0;
    // CPython reports a timeout from connect_ex() as EWOULDBLOCK.
    if (is_timeout(ec)) return sys::err_wouldblock;
    return ec.value();
}

void socket::bind(const address& local, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    on_descriptor(state(), ec, [&](detail::socket_state& st) { return sys::bind(st.fd, local, ec); });
}

void socket::bind(const address& local) {
    detail::or_throw([&] { return "bind to " + local.to_string(); }, [&](std::error_code& ec) { bind(local, ec); });
}

void socket::bind(std::string_view host, int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const address local = resolve_address(host, port, family(), ec);
    if (!ec) bind(local, ec);
}

void socket::bind(std::string_view host, int port) {
    detail::or_throw([&] { return detail::host_port_context("bind", host, port); },
                     [&](std::error_code& ec) { bind(host, port, ec); });
}

void socket::bind(int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const address local = address::any(family(), port, ec);
    if (!ec) bind(local, ec);
}

void socket::bind(int port) {
    detail::or_throw([&] { return "bind to port " + std::to_string(port); },
                     [&](std::error_code& ec) { bind(port, ec); });
}

void socket::listen(int backlog, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    on_descriptor(state(), ec, [&](detail::socket_state& st) { return sys::listen(st.fd, backlog < 0 ? 0 : backlog, ec); });
}

void socket::listen(int backlog) {
    detail::or_throw("listen", [&](std::error_code& ec) { listen(backlog, ec); });
}

void socket::listen(std::error_code& ec) noexcept { listen(default_backlog(), ec); }

void socket::listen() { listen(default_backlog()); }

socket socket::accept(address* peer, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    detail::socket_state* st = state();
    const detail::use_guard use(st);
    if (!use) return closed<socket>(ec);
    // The new socket's mode comes from the default timeout, set by the accept itself: never
    // inherited from the listener (BSDs inherit O_NONBLOCK, Linux does not).
    const std::int64_t t = getdefaulttimeout().nanoseconds();
    detail::deadline dl = detail::call_deadline(*st);
    const auto fd = detail::sock_call(
        *st, detail::caller::socket, sys::wait_for::read, dl,
        [&](std::error_code& e) {
            const sys::handle h = sys::accept(st->fd, peer, t >= 0, e);
            return h == invalid_handle ? sys::ssize{-1} : static_cast<sys::ssize>(h);
        },
        ec);
    if (fd < 0) return {};
    return make_socket(static_cast<sys::handle>(fd), st->family, st->type, st->proto, t, ec);
}

accept_result socket::accept(std::error_code& ec) noexcept {
    accept_result r;
    r.sock = accept(&r.addr, ec);
    return r;
}

accept_result socket::accept() {
    accept_result r;
    r.sock = detail::or_throw("accept", [&](std::error_code& ec) { return accept(&r.addr, ec); });
    return r;
}

// --- data --------------------------------------------------------------------------------

std::size_t socket::send(const_buffer data, msg_flags flags, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    return fast_send(state(), data.data(), data.size(), flags,
                     [&](const send_call& c, first_try t) { return send_slow(c, t, ec); });
}

std::size_t socket::send(const_buffer data, std::error_code& ec) noexcept { return send(data, msg_flags{}, ec); }

std::size_t socket::send(const_buffer data, msg_flags flags) {
    // No std::error_code on the fast path: one is made only when the first try did not do.
    return fast_send(state(), data.data(), data.size(), flags,
                     [](const send_call& c, first_try t) { return send_slow_or_throw(c, t); });
}

namespace {

// sendall from `sent` bytes on (none, or a first try's): the deadline, the pieces, the checks
// between them. `first` says how the first try ended when there was one; `blocking` that the
// socket was blocking without a deadline when the call began (the call goes on as it began,
// whatever another thread's settimeout() does meanwhile).
[[gnu::noinline]] std::size_t sendall_rest(send_call& c, first_try first, std::size_t sent, bool blocking,
                                           std::error_code& ec) noexcept {
    if (first == first_try::closed) return closed<std::size_t>(ec);
    if (first == first_try::done) {
        // A piece short of the rest: a signal may have cut the send short (CPython runs its
        // signal handlers here too), and the socket may have been closed meanwhile (entering
        // again says so).
        if (detail::interrupted_after_progress(ec)) return sent;
        if (!c.st->enter()) {
            ec = detail::bad_descriptor();
            return sent;
        }
    }
    detail::socket_state* const st = c.st;
    const leave_at_end leave{*st};
    // One deadline for the whole call: the caller's timeout bounds the total.
    const bool dont_wait = has_any(c.flags, msg_dontwait);
    detail::deadline dl = blocking ? detail::deadline(dont_wait ? 0 : -1) : detail::call_deadline(*st, dont_wait);
    dl.start();
    if (c.size == 0) {
        // One send even so, as CPython: an unconnected datagram socket learns EDESTADDRREQ.
        if (st->tr == nullptr) (void)transmit(*st, c.data, 0, c.flags, dl, ec);
        return 0;
    }
    if (first == first_try::failed) {
        ec = sys::make_error(c.err);
        if (!detail::retry_after_failure(*st, detail::caller::socket, sys::wait_for::write, dl, ec)) return sent;
    }
    // A timed socket's descriptor is non-blocking: a piece short of the rest means the kernel's
    // buffer was full, so the next piece waits for room first instead of trying into a full
    // buffer (a send that would only say EAGAIN).
    const bool wait_after_short = !blocking && !dl.non_blocking() && st->tr == nullptr;
    while (sent < c.size) {
        const sys::ssize n = transmit(*st, c.data + sent, c.size - sent, c.flags, dl, ec);
        if (n < 0) break;
        sent += static_cast<std::size_t>(n);
        if (sent < c.size) {
            if (detail::interrupted_after_progress(ec)) break;
            if (st->closed()) {
                ec = detail::bad_descriptor();
                break;
            }
            if (wait_after_short && n > 0) {
                if (!detail::wait_ready(*st, detail::socket_gone, sys::wait_for::write, dl, ec)) break;
                if (st->closed()) {
                    ec = detail::bad_descriptor();
                    break;
                }
            }
        }
    }
    return sent;
}

}  // namespace

std::size_t socket::sendall(const_buffer data, msg_flags flags, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    send_call c{state(), data.data(), data.size(), flags, 0};
    // The first try comes before the deadline only when the call has no clock to start (a
    // blocking socket without a deadline): a timeout counts from the call's start.
    if (c.st == nullptr || c.st->timeout_ns() >= 0 || c.st->deadline_ns() != 0 || c.size == 0) [[unlikely]] {
        if (c.st == nullptr || !c.st->enter()) return closed<std::size_t>(ec);
        return sendall_rest(c, first_try::special, 0, false, ec);
    }
    sys::ssize n = 0;
    const first_try t = try_send(c, n);
    if (t == first_try::done && static_cast<std::size_t>(n) == c.size) [[likely]]
        return c.size;
    return sendall_rest(c, t, t == first_try::done ? static_cast<std::size_t>(n) : 0, true, ec);
}

std::size_t socket::sendall(const_buffer data, std::error_code& ec) noexcept { return sendall(data, msg_flags{}, ec); }

void socket::sendall(const_buffer data, msg_flags flags) {
    detail::or_throw("sendall", [&](std::error_code& ec) { return sendall(data, flags, ec); });
}

std::size_t socket::sendto(const_buffer data, const address& peer, msg_flags flags, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    detail::socket_state* st = state();
    const detail::use_guard use(st);
    if (!use) return closed<std::size_t>(ec);
    if (st->tr != nullptr) {
        ec = errc::unsupported;
        return 0;
    }
    detail::deadline dl = detail::call_deadline(*st, flags, sys::wait_for::write);
    const auto n = detail::sock_call(
        *st, detail::caller::socket, sys::wait_for::write, dl,
        [&](std::error_code& e) { return sys::sendto(st->fd, data.data(), data.size(), flags, peer, e); }, ec);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::size_t socket::sendto(const_buffer data, const address& peer, std::error_code& ec) noexcept {
    return sendto(data, peer, msg_flags{}, ec);
}

std::size_t socket::sendto(const_buffer data, const address& peer, msg_flags flags) {
    return detail::or_throw([&] { return "sendto " + peer.to_string(); },
                            [&](std::error_code& ec) { return sendto(data, peer, flags, ec); });
}

std::size_t socket::recv_into(mutable_buffer buf, std::size_t nbytes, msg_flags flags, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const std::size_t want = nbytes == 0 ? buf.size() : nbytes;
    if (want - 1 >= buf.size()) [[unlikely]] {  // more than the buffer holds, or nothing
        if (want == 0) return 0;  // as CPython: nothing asked, nothing waited for or consumed
        ec = errc::buffer_too_small;
        return 0;
    }
    return fast_recv(state(), buf.data(), want, flags,
                     [&](const recv_call& c, first_try t) { return recv_slow(c, t, ec); });
}

std::size_t socket::recv_into(mutable_buffer buf, std::error_code& ec) noexcept {
    return recv_into(buf, 0, msg_flags{}, ec);
}

std::size_t socket::recv_into(mutable_buffer buf, std::size_t nbytes, std::error_code& ec) noexcept {
    return recv_into(buf, nbytes, msg_flags{}, ec);
}

namespace {
// recv_into's throwing form for arguments off the fast path (an empty or too small buffer).
[[gnu::noinline]] std::size_t recv_into_checked(socket& s, mutable_buffer buf, std::size_t nbytes, msg_flags flags) {
    return detail::or_throw("recv_into", [&](std::error_code& ec) { return s.recv_into(buf, nbytes, flags, ec); });
}
}  // namespace

std::size_t socket::recv_into(mutable_buffer buf, std::size_t nbytes, msg_flags flags) {
    // As recv_into(buf, nbytes, flags, ec), with no std::error_code on the fast path.
    const std::size_t want = nbytes == 0 ? buf.size() : nbytes;
    if (want - 1 >= buf.size()) [[unlikely]]
        return recv_into_checked(*this, buf, nbytes, flags);
    return fast_recv(state(), buf.data(), want, flags,
                     [](const recv_call& c, first_try t) { return recv_slow_or_throw(c, t); });
}

std::string socket::recv(std::size_t bufsize, msg_flags flags, std::error_code& ec) {
    detail::clear_error(ec);
    if (bufsize > detail::max_io_size) {
        ec = errc::size_too_large;
        return {};
    }
    std::string out(bufsize, '\0');
    out.resize(recv_into(out, 0, flags, ec));
    return out;
}

std::string socket::recv(std::size_t bufsize, std::error_code& ec) { return recv(bufsize, msg_flags{}, ec); }

std::string socket::recv(std::size_t bufsize, msg_flags flags) {
    return detail::or_throw("recv", [&](std::error_code& ec) { return recv(bufsize, flags, ec); });
}

std::size_t socket::recvfrom_into(mutable_buffer buf, std::size_t nbytes, msg_flags flags, address& from,
                                  std::error_code& ec) noexcept {
    detail::clear_error(ec);
    from = address();
    if (nbytes > buf.size()) {
        ec = errc::buffer_too_small;
        return 0;
    }
    if (nbytes == 0) nbytes = buf.size();
    return receive(state(), buf.data(), nbytes, flags, &from, ec);
}

std::size_t socket::recvfrom_into(mutable_buffer buf, address& from, std::error_code& ec) noexcept {
    return recvfrom_into(buf, 0, msg_flags{}, from, ec);
}

std::pair<std::size_t, address> socket::recvfrom_into(mutable_buffer buf, std::size_t nbytes, msg_flags flags) {
    std::pair<std::size_t, address> r;
    r.first = detail::or_throw(
        "recvfrom_into", [&](std::error_code& ec) { return recvfrom_into(buf, nbytes, flags, r.second, ec); });
    return r;
}

std::string socket::recvfrom(std::size_t bufsize, msg_flags flags, address& from, std::error_code& ec) {
    detail::clear_error(ec);
    if (bufsize > detail::max_io_size) {
        ec = errc::size_too_large;
        return {};
    }
    std::string out(bufsize, '\0');
    // recvfrom(0) receives (and drops) a datagram: unlike recv_into, 0 is not "the whole buffer".
    out.resize(recvfrom_into(mutable_buffer(out.data(), bufsize), bufsize, flags, from, ec));
    return out;
}

std::string socket::recvfrom(std::size_t bufsize, address& from, std::error_code& ec) {
    return recvfrom(bufsize, msg_flags{}, from, ec);
}

std::pair<std::string, address> socket::recvfrom(std::size_t bufsize, msg_flags flags) {
    std::pair<std::string, address> r;
    r.first = detail::or_throw("recvfrom", [&](std::error_code& ec) { return recvfrom(bufsize, flags, r.second, ec); });
    return r;
}

// The calls without a guard, for a caller that vouches no other thread can reach the socket
// meanwhile (stream_hold.hpp): the fast paths' tests and system call, less enter() and leave().
namespace {
template <class Call>
sys::ssize vouched_try(bool socket_answers, std::error_code& ec, Call&& call) noexcept {
    if (socket_answers) [[unlikely]]
        return -2;
    int err = 0;
    const sys::ssize n = call(err);
    if (n >= 0) [[likely]]
        return n;
    if (err == sys::err_intr) return -2;
    ec = sys::make_error(err);
    return -1;
}
}  // namespace

sys::ssize detail::vouched_send(const socket& s, const_buffer data, msg_flags flags, std::error_code& ec) noexcept {
    const detail::socket_state* st = socket_access::state(s);
    return vouched_try(st == nullptr || st->closed() || st->tr != nullptr, ec, [&](int& err) {
        return sys::send(st->fd, data.data(), data.size(), flags | msg_dontwait, err);
    });
}

sys::ssize detail::vouched_recv(const socket& s, mutable_buffer buf, msg_flags flags, std::error_code& ec) noexcept {
    const detail::socket_state* st = socket_access::state(s);
    const bool socket_answers = st == nullptr || st->closed() || st->buffered.load(std::memory_order_relaxed) != 0 ||
                                st->tr != nullptr || buf.size() == 0;
    return vouched_try(socket_answers, ec, [&](int& err) {
        return sys::recv(st->fd, buf.data(), buf.size(), flags | msg_dontwait, err);
    });
}

std::size_t socket::pending() const noexcept {
    const detail::socket_state* st = state();
    if (st == nullptr) return 0;
    std::size_t n = st->buffered.load(std::memory_order_acquire);
    if (st->tr != nullptr) n += st->tr->pending();
    return n;
}

// --- modes and options -------------------------------------------------------------------

namespace {
// The descriptor blocks only when neither a timeout nor a deadline asks the core to wait.
bool apply_mode(detail::socket_state& st, std::int64_t timeout_ns, std::int64_t deadline_ns,
                std::error_code& ec) noexcept {
    const bool non_blocking = timeout_ns >= 0 || deadline_ns != 0;
    if (!sys::set_non_blocking(st.fd, non_blocking, ec)) return false;
    st.set_timeout_ns(timeout_ns);
    st.set_deadline_ns(deadline_ns);
    return true;
}
}  // namespace

void socket::settimeout(timeout_type t, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (!t.is_valid()) {
        ec = errc::invalid_timeout;
        return;
    }
    detail::socket_state* st = state();
    const detail::use_guard use(st);
    if (!use) return closed<void>(ec);
    const std::lock_guard<sys::mutex> lock(st->mode_lock);
    apply_mode(*st, t.nanoseconds(), st->deadline_ns(), ec);
}

void socket::settimeout(timeout_type t) {
    detail::or_throw("settimeout", [&](std::error_code& ec) { settimeout(t, ec); });
}

timeout_type socket::gettimeout() const noexcept {
    const detail::socket_state* st = state();
    return st != nullptr ? timeout_type::from_nanoseconds(st->timeout_ns()) : timeout_type();
}

void socket::setblocking(bool flag, std::error_code& ec) noexcept {
    settimeout(flag ? timeout_type() : timeout_type(duration::zero()), ec);
}

void socket::setblocking(bool flag) {
    detail::or_throw("setblocking", [&](std::error_code& ec) { setblocking(flag, ec); });
}

bool socket::getblocking() const noexcept { return gettimeout().is_blocking(); }

void socket::set_deadline(std::optional<std::chrono::steady_clock::time_point> when, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    detail::socket_state* st = state();
    const detail::use_guard use(st);
    if (!use) return closed<void>(ec);
    std::int64_t ns = 0;
    if (when) {
        // The monotonic clock of the seam and steady_clock may have different epochs: carry the
        // distance from now over.
        // distance from now over (held at the clock's limits: time_point::min() is long past).
        const auto count = [](std::chrono::steady_clock::time_point t) {
            return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
        };
        const std::int64_t from_now =
            detail::saturating_sub(count(*when), count(std::chrono::steady_clock::now()));
        ns = detail::saturating_add(sys::monotonic_ns(), from_now);
        if (ns <= 0) ns = 1;  // in the past (0 means "none")
    }
    const std::lock_guard<sys::mutex> lock(st->mode_lock);
    apply_mode(*st, st->timeout_ns(), ns, ec);
}

void socket::set_deadline(std::optional<std::chrono::steady_clock::time_point> when) {
    detail::or_throw("set_deadline", [&](std::error_code& ec) { set_deadline(when, ec); });
}

std::optional<std::chrono::steady_clock::time_point> socket::deadline() const noexcept {
    const detail::socket_state* st = state();
    if (st == nullptr || st->deadline_ns() == 0) return std::nullopt;
    const std::int64_t left = detail::saturating_sub(st->deadline_ns(), sys::monotonic_ns());
    const auto now = std::chrono::steady_clock::now();
    const std::int64_t at = detail::saturating_add(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count(), left);
    return std::chrono::steady_clock::time_point(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::nanoseconds(at)));
}

void socket::setsockopt(option_level level, option_name option, int value, std::error_code& ec) noexcept {
    setsockopt(level, option, const_buffer(&value, sizeof value), ec);
}

void socket::setsockopt(option_level level, option_name option, int value) {
    detail::or_throw("setsockopt", [&](std::error_code& ec) { setsockopt(level, option, value, ec); });
}

void socket::setsockopt(option_level level, option_name option, const_buffer value, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    // The system's option length is 32 bits: a longer value would be cut, not refused.
    if (value.size() > std::numeric_limits<std::uint32_t>::max()) {
        ec = errc::size_too_large;
        return;
    }
    on_descriptor(state(), ec, [&](detail::socket_state& st) {
        return sys::setsockopt(st.fd, level, option, value.data(), value.size(), ec);
    });
}

void socket::setsockopt(option_level level, option_name option, const_buffer value) {
    detail::or_throw("setsockopt", [&](std::error_code& ec) { setsockopt(level, option, value, ec); });
}

int socket::getsockopt(option_level level, option_name option, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    return on_descriptor<int>(state(), ec, [&](detail::socket_state& st) {
        int value = 0;
        std::size_t len = sizeof value;
        sys::getsockopt(st.fd, level, option, &value, len, ec);
        return value;
    });
}

int socket::getsockopt(option_level level, option_name option) {
    return detail::or_throw("getsockopt", [&](std::error_code& ec) { return getsockopt(level, option, ec); });
}

std::string socket::getsockopt(option_level level, option_name option, std::size_t buflen, std::error_code& ec) {
    detail::clear_error(ec);
    if (buflen == 0 || buflen > 1024) {
        ec = errc::invalid_argument;
        return {};
    }
    detail::socket_state* st = state();
    const detail::use_guard use(st);
    if (!use) return closed<std::string>(ec);
    std::string out(buflen, '\0');
    std::size_t len = buflen;
    if (!sys::getsockopt(st->fd, level, option, out.data(), len, ec)) return {};
    out.resize(len);
    return out;
}

std::string socket::getsockopt(option_level level, option_name option, std::size_t buflen) {
    return detail::or_throw([&] { return "getsockopt with buflen " + std::to_string(buflen); },
                            [&](std::error_code& ec) { return getsockopt(level, option, buflen, ec); });
}

bool socket::get_inheritable(std::error_code& ec) const noexcept {
    detail::clear_error(ec);
    return on_descriptor<bool>(state(), ec, [&](detail::socket_state& st) {
        bool inheritable = false;
        sys::get_inheritable(st.fd, inheritable, ec);
        return inheritable;
    });
}

bool socket::get_inheritable() const {
    return detail::or_throw("get_inheritable", [&](std::error_code& ec) { return get_inheritable(ec); });
}

void socket::set_inheritable(bool inheritable, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    on_descriptor(state(), ec, [&](detail::socket_state& st) { return sys::set_inheritable(st.fd, inheritable, ec); });
}

void socket::set_inheritable(bool inheritable) {
    detail::or_throw("set_inheritable", [&](std::error_code& ec) { set_inheritable(inheritable, ec); });
}

// --- lifetime ----------------------------------------------------------------------------

void socket::shutdown(shutdown_how how, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    on_descriptor(state(), ec, [&](detail::socket_state& st) { return sys::shutdown(st.fd, how, ec); });
}

void socket::shutdown(shutdown_how how) {
    detail::or_throw("shutdown", [&](std::error_code& ec) { shutdown(how, ec); });
}

void socket::close(std::error_code& ec) noexcept {
    detail::clear_error(ec);
    detail::socket_state* st = state();
    if (st == nullptr) return;
    transport_goodbye(st);
    st->close(ec);
}

void socket::close() {
    detail::or_throw("close", [&](std::error_code& ec) { close(ec); });
}

native_handle socket::detach() noexcept {
    detail::socket_state* st = state();
    return st != nullptr ? st->detach() : invalid_handle;
}

socket socket::dup(std::error_code& ec) const noexcept {
    detail::clear_error(ec);
    detail::socket_state* st = state();
    const detail::use_guard use(st);
    if (!use) return closed<socket>(ec);
    const sys::handle fd = sys::dup(st->fd, ec);
    if (fd == invalid_handle) return {};
    return make_socket(fd, st->family, st->type, st->proto, st->timeout_ns(), ec);
}

socket socket::dup() const {
    return detail::or_throw("dup", [&](std::error_code& ec) { return dup(ec); });
}

native_handle socket::fileno() const noexcept {
    const detail::socket_state* st = state();
    return st != nullptr && !st->closed() ? st->fd : invalid_handle;
}

bool socket::is_open() const noexcept { return fileno() != invalid_handle; }

address socket::getpeername(std::error_code& ec) const noexcept {
    detail::clear_error(ec);
    return on_descriptor<address>(state(), ec, [&](detail::socket_state& st) {
        address a;
        sys::getpeername(st.fd, a, ec);
        return a;
    });
}

address socket::getpeername() const {
    return detail::or_throw("getpeername", [&](std::error_code& ec) { return getpeername(ec); });
}

address socket::getsockname(std::error_code& ec) const noexcept {
    detail::clear_error(ec);
    return on_descriptor<address>(state(), ec, [&](detail::socket_state& st) {
        address a;
        sys::getsockname(st.fd, a, ec);
        return a;
    });
}

address socket::getsockname() const {
    return detail::or_throw("getsockname", [&](std::error_code& ec) { return getsockname(ec); });
}

address_family socket::family() const noexcept { return state() != nullptr ? state()->family : address_family{}; }
socket_type socket::type() const noexcept { return state() != nullptr ? state()->type : socket_type{}; }
protocol socket::proto() const noexcept { return state() != nullptr ? state()->proto : protocol{}; }

std::string socket::to_string() const {
    std::string out = "<usocket.socket ";
    const native_handle fd = fileno();
    if (fd == invalid_handle) out += "[closed] ";
    out += "fd=" + std::to_string(fd);
    const auto fam = constant_name(family(), "AF_");
    const auto typ = constant_name(type(), "SOCK_");
    out += ", family=" + (fam.empty() ? std::to_string(family()) : std::string(fam));
    out += ", type=" + (typ.empty() ? std::to_string(type()) : std::string(typ));
    out += ", proto=" + std::to_string(proto());
    if (fd != invalid_handle) {
        std::error_code ec;
        const address local = getsockname(ec);
        if (!ec && !local.empty() && !local.to_string().empty()) out += ", laddr=" + local.to_string();
        const address peer = getpeername(ec);
        if (!ec && !peer.empty() && !peer.to_string().empty()) out += ", raddr=" + peer.to_string();
    }
    out += '>';
    return out;
}

std::ostream& operator<<(std::ostream& os, const socket& s) { return os << s.to_string(); }

// --- module-level ------------------------------------------------------------------------

std::pair<socket, socket> socketpair(address_family family, socket_type type, protocol proto,
                                     std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const std::int64_t t = getdefaulttimeout().nanoseconds();
    sys::handle fds[2];
    if (!sys::open_pair(family, type, proto, t >= 0, fds, ec)) return {};
    type &= ~creation_flags;
    socket a = make_socket(fds[0], family, type, proto, t, ec);
    if (ec) {
        std::error_code ignored;
        sys::close(fds[1], ignored);
        return {};
    }
    socket b = make_socket(fds[1], family, type, proto, t, ec);
    if (ec) return {};
    return {std::move(a), std::move(b)};
}

std::pair<socket, socket> socketpair(std::error_code& ec) noexcept {
    return socketpair(af_unix, sock_stream, protocol{}, ec);
}

std::pair<socket, socket> socketpair(address_family family, socket_type type, protocol proto) {
    return detail::or_throw("socketpair", [&](std::error_code& ec) { return socketpair(family, type, proto, ec); });
}

socket fromfd(native_handle fd, address_family family, socket_type type, protocol proto, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (fd == invalid_handle || fd < 0) {
        ec = errc::invalid_argument;
        return {};
    }
    // As CPython (whose fromfd() is socket(fileno=dup(fd))): a descriptor that is not a
    // socket is ENOTSOCK, and the duplicate is closed again.
    address_family real_family;
    socket_type real_type;
    protocol real_proto;
    if (!sys::describe(fd, real_family, real_type, real_proto, ec)) return {};
    const sys::handle nfd = sys::dup(fd, ec);
    if (nfd == invalid_handle) return {};
    const std::int64_t t = getdefaulttimeout().nanoseconds();
    if (!sys::set_non_blocking(nfd, t >= 0, ec)) {
        std::error_code ignored;
        sys::close(nfd, ignored);
        return {};
    }
    return make_socket(nfd, family, type & ~creation_flags, proto, t, ec);
}

socket fromfd(native_handle fd, address_family family, socket_type type, protocol proto) {
    return detail::or_throw("fromfd", [&](std::error_code& ec) { return fromfd(fd, family, type, proto, ec); });
}

// --- print_pcbs() and reset() -------------------------------------------------------------

std::vector<socket_info> open_sockets() {
    std::vector<socket_info> out;
    detail::registry::for_each([&](detail::socket_state& st) {
        socket_info info;
        info.fd = st.fd;
        info.family = st.family;
        info.type = st.type;
        info.proto = st.proto;
        std::error_code ec;
        sys::getsockname(st.fd, info.local, ec);
        sys::getpeername(st.fd, info.peer, ec);
        int listening = 0;
        std::size_t len = sizeof listening;
        info.listening = sys::getsockopt(st.fd, sol_socket, so_acceptconn, &listening, len, ec) && listening != 0;
        out.push_back(std::move(info));
    });
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.fd < b.fd; });
    return out;
}

void print_pcbs(std::ostream& os) {
    if (sys::print_stack(os)) return;
    for (const auto& s : open_sockets()) {
        os << "fd=" << s.fd << " family=" << s.family << " type=" << s.type << " proto=" << s.proto
           << " state=" << (s.listening ? "LISTEN" : !s.peer.empty() ? "CONNECTED" : "OPEN");
        if (!s.local.empty()) os << " laddr=" << s.local.to_string();
        if (!s.peer.empty()) os << " raddr=" << s.peer.to_string();
        os << '\n';
    }
}

void reset() noexcept {
    sys::reset_stack();
    // The registry's locks keep each descriptor open while it is shut down. Nothing allocates.
    detail::registry::walk(
        [](detail::socket_state& st, void*) noexcept {
            std::error_code ignored;
            sys::shutdown(st.fd, shut_rdwr, ignored);
        },
        nullptr);
}

}  // namespace usocket
