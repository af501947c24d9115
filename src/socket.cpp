// usocket::socket: argument checks, then the system call through the blocking core
// (sock_call.hpp) and the backend seam (sys.hpp). No OS header here.

#include "usocket/socket.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <ostream>

#include "or_throw.hpp"
#include "read_buffer.hpp"
#include "registry.hpp"
#include "sock_call.hpp"
#include "socket_access.hpp"
#include "sys.hpp"

namespace usocket {

namespace {

std::atomic<std::int64_t> default_timeout_ns{-1};
std::atomic<interrupt_check> the_interrupt_check{nullptr};

constexpr std::size_t max_io_size = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());

std::int64_t to_ns(const timeout_type& t) noexcept { return t ? t->count() : -1; }
timeout_type from_ns(std::int64_t ns) noexcept {
    return ns < 0 ? timeout_type{} : timeout_type{duration(ns)};
}


// The timeout one call runs under: MSG_DONTWAIT makes any socket non-blocking for that call.
std::int64_t call_timeout(const timeout_type& t, int flags) noexcept {
    return (flags & msg_dontwait) != 0 ? 0 : to_ns(t);
}

std::string_view constant_name(int value, std::string_view prefix) noexcept {
    for (const auto& c : constant_table())
        if (c.value == value && c.name.starts_with(prefix) && c.name != "SOCK_NONBLOCK" &&
            c.name != "SOCK_CLOEXEC")
            return c.name;
    return {};
}

}  // namespace

namespace detail {
bool give_up_after_interrupt() noexcept {
    const interrupt_check check = the_interrupt_check.load(std::memory_order_acquire);
    return check != nullptr && check();
}
}  // namespace detail

timeout_type getdefaulttimeout() noexcept {
    return from_ns(default_timeout_ns.load(std::memory_order_relaxed));
}

void setdefaulttimeout(timeout_type t, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (t && t->count() < 0) {
        ec = errc::invalid_timeout;
        return;
    }
    default_timeout_ns.store(to_ns(t), std::memory_order_relaxed);
}

void setdefaulttimeout(timeout_type t) {
    detail::or_throw("setdefaulttimeout", [&](std::error_code& ec) { setdefaulttimeout(t, ec); });
}

void set_interrupt_check(interrupt_check check) noexcept {
    the_interrupt_check.store(check, std::memory_order_release);
}

bool socket::report_closed(std::error_code& ec) const noexcept {
    if (fd_ >= 0) [[likely]]
        return false;
    ec = system_error_code(sys::err_badf);
    return true;
}

// --- construction ------------------------------------------------------------------------

socket::socket() noexcept = default;

socket::socket(int fd, int family, int type, int proto, timeout_type t) noexcept
    : fd_(fd), family_(family), type_(type), proto_(proto), timeout_(t) {
    detail::register_fd(fd);
}

socket::socket(int family, int type, int proto)
    : socket(detail::or_throw("socket", [&](std::error_code& ec) { return open(family, type, proto, ec); })) {}

socket socket::open(int family, int type, int proto, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    // As CPython: sock_nonblock in the type means a non-blocking socket; neither flag is
    // part of the type the object reports.
    const timeout_type t = (type & sock_nonblock) != 0 ? timeout_type{duration::zero()} : getdefaulttimeout();
    type &= ~(sock_nonblock | sock_cloexec);
    const int fd = sys::open_socket(family, type, proto, t.has_value(), ec);
    if (fd < 0) return {};
    return socket(fd, family, type, proto, t);
}

socket socket::adopt(int fd, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (fd < 0) {
        ec = errc::invalid_argument;
        return {};
    }
    int family = 0, type = 0, proto = 0;
    if (!sys::describe(fd, family, type, proto, ec)) return {};
    const timeout_type t = getdefaulttimeout();
    if (!sys::set_non_blocking(fd, t.has_value(), ec)) return {};
    return socket(fd, family, type, proto, t);
}

socket socket::adopt(int fd) {
    return detail::or_throw("socket", [&](std::error_code& ec) { return adopt(fd, ec); });
}

socket::socket(socket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      family_(other.family_),
      type_(other.type_),
      proto_(other.proto_),
      timeout_(other.timeout_),
      rbuf_(std::move(other.rbuf_)) {}

socket& socket::operator=(socket&& other) noexcept {
    if (this != &other) {
        std::error_code ignored;
        close(ignored);
        fd_ = std::exchange(other.fd_, -1);
        family_ = other.family_;
        type_ = other.type_;
        proto_ = other.proto_;
        timeout_ = other.timeout_;
        rbuf_ = std::move(other.rbuf_);
    }
    return *this;
}

socket::~socket() {
    std::error_code ignored;
    close(ignored);
}

// --- connections -------------------------------------------------------------------------

void socket::connect(const address& peer, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (report_closed(ec)) return;
    if (sys::connect(fd_, peer, ec)) return;
    // As CPython (issue 23618): after EINTR the connection goes on in the background, so a
    // blocking or timed socket waits for it; a timed one also waits after EINPROGRESS.
    bool wait;
    if (ec.value() == sys::err_intr) {
        if (detail::give_up_after_interrupt()) return;
        wait = timeout_ != duration::zero();
    } else {
        wait = ec.value() == sys::err_inprogress && timeout_ && timeout_->count() > 0;
    }
    if (!wait) return;
    ec.clear();
    detail::deadline dl(to_ns(timeout_));
    if (!detail::wait_ready(fd_, sys::wait_for::write, dl, ec)) return;
    int so_err = 0;
    std::size_t len = sizeof so_err;
    if (!sys::getsockopt(fd_, sol_socket, so_error, &so_err, len, ec)) return;
    if (so_err != 0) ec = system_error_code(so_err);
}

void socket::connect(const address& peer) {
    detail::or_throw("connect", [&](std::error_code& ec) { connect(peer, ec); });
}

void socket::connect(std::string_view host, int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const address peer = resolve_address(host, port, family_, ec);
    if (!ec) connect(peer, ec);
}

void socket::connect(std::string_view host, int port) {
    detail::or_throw("connect", [&](std::error_code& ec) { connect(host, port, ec); });
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
    if (report_closed(ec)) return;
    sys::bind(fd_, local, ec);
}

void socket::bind(const address& local) {
    detail::or_throw("bind", [&](std::error_code& ec) { bind(local, ec); });
}

void socket::bind(std::string_view host, int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const address local = resolve_address(host, port, family_, ec);
    if (!ec) bind(local, ec);
}

void socket::bind(std::string_view host, int port) {
    detail::or_throw("bind", [&](std::error_code& ec) { bind(host, port, ec); });
}

void socket::bind(int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const address local = address::any(family_, port, ec);
    if (!ec) bind(local, ec);
}

void socket::bind(int port) {
    detail::or_throw("bind", [&](std::error_code& ec) { bind(port, ec); });
}

void socket::listen(int backlog, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (report_closed(ec)) return;
    sys::listen(fd_, backlog < 0 ? 0 : backlog, ec);
}

void socket::listen(int backlog) {
    detail::or_throw("listen", [&](std::error_code& ec) { listen(backlog, ec); });
}

void socket::listen(std::error_code& ec) noexcept { listen(std::min(somaxconn, 128), ec); }

void socket::listen() { listen(std::min(somaxconn, 128)); }

socket socket::accept(address* peer, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (report_closed(ec)) return {};
    // The new socket's mode comes from the default timeout, set by accept4 itself: never
    // inherited from the listener (BSDs inherit O_NONBLOCK, Linux does not).
    const timeout_type t = getdefaulttimeout();
    detail::deadline dl(to_ns(timeout_));
    const auto fd = detail::sock_call(
        fd_, sys::wait_for::read, dl,
        [&](std::error_code& e) { return static_cast<sys::ssize>(sys::accept(fd_, peer, t.has_value(), e)); },
        ec);
    if (fd < 0) return {};
    return socket(static_cast<int>(fd), family_, type_, proto_, t);
}

accept_result socket::accept() {
    accept_result r;
    r.sock = detail::or_throw("accept", [&](std::error_code& ec) { return accept(&r.addr, ec); });
    return r;
}

// --- data --------------------------------------------------------------------------------

std::size_t socket::send(const_buffer data, int flags, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (report_closed(ec)) return 0;
    detail::deadline dl(call_timeout(timeout_, flags));
    const auto n = detail::sock_call(
        fd_, sys::wait_for::write, dl,
        [&](std::error_code& e) { return sys::send(fd_, data.data(), data.size(), flags, e); }, ec);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::size_t socket::send(const_buffer data, int flags) {
    return detail::or_throw("send", [&](std::error_code& ec) { return send(data, flags, ec); });
}

std::size_t socket::sendall(const_buffer data, int flags, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (report_closed(ec)) return 0;
    // One deadline for the whole call, started now: the caller's timeout bounds the total.
    detail::deadline dl(call_timeout(timeout_, flags));
    dl.remaining();
    std::size_t sent = 0;
    do {
        const auto n = detail::sock_call(
            fd_, sys::wait_for::write, dl,
            [&](std::error_code& e) { return sys::send(fd_, data.data() + sent, data.size() - sent, flags, e); },
            ec);
        if (n < 0) break;
        sent += static_cast<std::size_t>(n);
    } while (sent < data.size());
    return sent;
}

void socket::sendall(const_buffer data, int flags) {
    detail::or_throw("sendall", [&](std::error_code& ec) { return sendall(data, flags, ec); });
}

std::size_t socket::sendto(const_buffer data, const address& peer, int flags, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (report_closed(ec)) return 0;
    detail::deadline dl(call_timeout(timeout_, flags));
    const auto n = detail::sock_call(
        fd_, sys::wait_for::write, dl,
        [&](std::error_code& e) { return sys::sendto(fd_, data.data(), data.size(), flags, peer, e); }, ec);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::size_t socket::sendto(const_buffer data, const address& peer, int flags) {
    return detail::or_throw("sendto", [&](std::error_code& ec) { return sendto(data, peer, flags, ec); });
}

std::size_t socket::recv_into(mutable_buffer buf, std::size_t nbytes, int flags, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (nbytes > buf.size()) {
        ec = errc::buffer_too_small;
        return 0;
    }
    if (nbytes == 0) nbytes = buf.size();
    if (report_closed(ec)) return 0;
    if (rbuf_ && !rbuf_->empty()) [[unlikely]]
        return rbuf_->take(buf.data(), nbytes, (flags & msg_peek) != 0);
    detail::deadline dl(call_timeout(timeout_, flags));
    const auto n = detail::sock_call(
        fd_, sys::wait_for::read, dl,
        [&](std::error_code& e) { return sys::recv(fd_, buf.data(), nbytes, flags, e); }, ec);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::size_t socket::recv_into(mutable_buffer buf, std::size_t nbytes, int flags) {
    return detail::or_throw("recv_into", [&](std::error_code& ec) { return recv_into(buf, nbytes, flags, ec); });
}

std::string socket::recv(std::size_t bufsize, int flags, std::error_code& ec) {
    detail::clear_error(ec);
    if (bufsize > max_io_size) {
        ec = errc::size_too_large;
        return {};
    }
    std::string out(bufsize, '\0');
    out.resize(recv_into(out, 0, flags, ec));
    return out;
}

std::string socket::recv(std::size_t bufsize, int flags) {
    return detail::or_throw("recv", [&](std::error_code& ec) { return recv(bufsize, flags, ec); });
}

std::size_t socket::recvfrom_into(mutable_buffer buf, std::size_t nbytes, int flags, address& from,
                                  std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (nbytes > buf.size()) {
        ec = errc::buffer_too_small;
        return 0;
    }
    if (nbytes == 0) nbytes = buf.size();
    if (report_closed(ec)) return 0;
    if (rbuf_ && !rbuf_->empty()) [[unlikely]] {
        from = address();  // a stream socket reports no sender
        return rbuf_->take(buf.data(), nbytes, (flags & msg_peek) != 0);
    }
    detail::deadline dl(call_timeout(timeout_, flags));
    const auto n = detail::sock_call(
        fd_, sys::wait_for::read, dl,
        [&](std::error_code& e) { return sys::recvfrom(fd_, buf.data(), nbytes, flags, &from, e); }, ec);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::pair<std::size_t, address> socket::recvfrom_into(mutable_buffer buf, std::size_t nbytes, int flags) {
    std::pair<std::size_t, address> r;
    r.first = detail::or_throw(
        "recvfrom_into", [&](std::error_code& ec) { return recvfrom_into(buf, nbytes, flags, r.second, ec); });
    return r;
}

std::string socket::recvfrom(std::size_t bufsize, int flags, address& from, std::error_code& ec) {
    detail::clear_error(ec);
    if (bufsize > max_io_size) {
        ec = errc::size_too_large;
        return {};
    }
    std::string out(bufsize, '\0');
    out.resize(recvfrom_into(out, 0, flags, from, ec));
    return out;
}

std::pair<std::string, address> socket::recvfrom(std::size_t bufsize, int flags) {
    std::pair<std::string, address> r;
    r.first = detail::or_throw("recvfrom", [&](std::error_code& ec) { return recvfrom(bufsize, flags, r.second, ec); });
    return r;
}

// --- modes and options -------------------------------------------------------------------

void socket::settimeout(timeout_type t, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (t && t->count() < 0) {
        ec = errc::invalid_timeout;
        return;
    }
    if (report_closed(ec)) return;
    // Timed and non-blocking sockets are O_NONBLOCK; the blocking core waits for them.
    if (!sys::set_non_blocking(fd_, t.has_value(), ec)) return;
    timeout_ = t;
    if (rbuf_) rbuf_->timeout_ns.store(to_ns(t), std::memory_order_relaxed);  // makefile() files follow
}

void socket::settimeout(timeout_type t) {
    detail::or_throw("settimeout", [&](std::error_code& ec) { settimeout(t, ec); });
}

void socket::setblocking(bool flag, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    settimeout(flag ? timeout_type{} : timeout_type{duration::zero()}, ec);
}

void socket::setblocking(bool flag) {
    detail::or_throw("setblocking", [&](std::error_code& ec) { setblocking(flag, ec); });
}

void socket::setsockopt(int level, int option, int value, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (report_closed(ec)) return;
    sys::setsockopt(fd_, level, option, &value, sizeof value, ec);
}

void socket::setsockopt(int level, int option, int value) {
    detail::or_throw("setsockopt", [&](std::error_code& ec) { setsockopt(level, option, value, ec); });
}

void socket::setsockopt(int level, int option, const_buffer value, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (report_closed(ec)) return;
    sys::setsockopt(fd_, level, option, value.data(), value.size(), ec);
}

void socket::setsockopt(int level, int option, const_buffer value) {
    detail::or_throw("setsockopt", [&](std::error_code& ec) { setsockopt(level, option, value, ec); });
}

int socket::getsockopt(int level, int option, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (report_closed(ec)) return 0;
    int value = 0;
    std::size_t len = sizeof value;
    sys::getsockopt(fd_, level, option, &value, len, ec);
    return value;
}

int socket::getsockopt(int level, int option) {
    return detail::or_throw("getsockopt", [&](std::error_code& ec) { return getsockopt(level, option, ec); });
}

std::string socket::getsockopt(int level, int option, std::size_t buflen, std::error_code& ec) {
    detail::clear_error(ec);
    if (buflen == 0 || buflen > 1024) {
        ec = errc::invalid_argument;
        return {};
    }
    if (report_closed(ec)) return {};
    std::string out(buflen, '\0');
    std::size_t len = buflen;
    if (!sys::getsockopt(fd_, level, option, out.data(), len, ec)) return {};
    out.resize(len);
    return out;
}

std::string socket::getsockopt(int level, int option, std::size_t buflen) {
    return detail::or_throw("getsockopt", [&](std::error_code& ec) { return getsockopt(level, option, buflen, ec); });
}

// --- lifetime ----------------------------------------------------------------------------

void socket::shutdown(int how, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (report_closed(ec)) return;
    sys::shutdown(fd_, how, ec);
}

void socket::shutdown(int how) {
    detail::or_throw("shutdown", [&](std::error_code& ec) { shutdown(how, ec); });
}

void socket::close(std::error_code& ec) noexcept {
    detail::clear_error(ec);
    // Leave the registry before the number is freed: another socket may get it at once.
    if (fd_ >= 0) detail::unregister_fd(fd_);
    // Files from makefile() still open keep the descriptor; the last of them closes it.
    if (rbuf_ && fd_ >= 0 && rbuf_->hand_over_to_files()) fd_ = -1;
    rbuf_.reset();
    if (fd_ < 0) return;
    const int fd = std::exchange(fd_, -1);
    // As CPython: ECONNRESET from close() means the peer went first, not a failure.
    if (!sys::close(fd, ec) && ec.value() == sys::err_connreset) ec.clear();
}

void socket::close() {
    detail::or_throw("close", [&](std::error_code& ec) { close(ec); });
}

int socket::detach() noexcept {
    if (fd_ >= 0) detail::unregister_fd(fd_);
    if (rbuf_) rbuf_->forget_descriptor();
    rbuf_.reset();
    return std::exchange(fd_, -1);
}

socket socket::dup(std::error_code& ec) const noexcept {
    detail::clear_error(ec);
    if (report_closed(ec)) return {};
    const int fd = sys::dup(fd_, ec);
    if (fd < 0) return {};
    return socket(fd, family_, type_, proto_, timeout_);
}

socket socket::dup() const {
    return detail::or_throw("dup", [&](std::error_code& ec) { return dup(ec); });
}

address socket::getpeername(std::error_code& ec) const noexcept {
    detail::clear_error(ec);
    address a;
    if (!report_closed(ec)) sys::getpeername(fd_, a, ec);
    return a;
}

address socket::getpeername() const {
    return detail::or_throw("getpeername", [&](std::error_code& ec) { return getpeername(ec); });
}

address socket::getsockname(std::error_code& ec) const noexcept {
    detail::clear_error(ec);
    address a;
    if (!report_closed(ec)) sys::getsockname(fd_, a, ec);
    return a;
}

address socket::getsockname() const {
    return detail::or_throw("getsockname", [&](std::error_code& ec) { return getsockname(ec); });
}

std::string socket::to_string() const {
    std::string out = "<usocket.socket ";
    if (fd_ < 0) out += "[closed] ";
    out += "fd=" + std::to_string(fd_);
    const auto fam = constant_name(family_, "AF_");
    const auto typ = constant_name(type_, "SOCK_");
    out += ", family=" + (fam.empty() ? std::to_string(family_) : std::string(fam));
    out += ", type=" + (typ.empty() ? std::to_string(type_) : std::string(typ));
    out += ", proto=" + std::to_string(proto_);
    if (fd_ >= 0) {
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

std::pair<socket, socket> socketpair(int family, int type, int proto, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const timeout_type t = getdefaulttimeout();
    int fds[2];
    if (!sys::open_pair(family, type, proto, t.has_value(), fds, ec)) return {};
    type &= ~(sock_nonblock | sock_cloexec);
    return {socket_access::make(fds[0], family, type, proto, t), socket_access::make(fds[1], family, type, proto, t)};
}

std::pair<socket, socket> socketpair(int family, int type, int proto) {
    return detail::or_throw("socketpair", [&](std::error_code& ec) { return socketpair(family, type, proto, ec); });
}

socket fromfd(int fd, int family, int type, int proto, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (fd < 0) {
        ec = errc::invalid_argument;
        return {};
    }
    const int nfd = sys::dup(fd, ec);
    if (nfd < 0) return {};
    const timeout_type t = getdefaulttimeout();
    if (!sys::set_non_blocking(nfd, t.has_value(), ec)) {
        std::error_code ignored;
        sys::close(nfd, ignored);
        return {};
    }
    return socket_access::make(nfd, family, type & ~(sock_nonblock | sock_cloexec), proto, t);
}

socket fromfd(int fd, int family, int type, int proto) {
    return detail::or_throw("fromfd", [&](std::error_code& ec) { return fromfd(fd, family, type, proto, ec); });
}

}  // namespace usocket
