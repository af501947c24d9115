// The lwIP backend of the seam declared in src/sys.hpp: the only file that calls lwIP's socket
// functions. Every lwIP socket is non-blocking inside lwIP; the mode the library sets is kept
// here (lw::blocking()), and a blocking socket's call waits in slices (lw::wait_slice()) so that
// the blocking core can run its interrupt check between them (src/lwip/lwip.hpp).
//
// What lwIP 2.1.3 does differently, and what this file makes of it:
//   - connect() to a port nothing listens on ends with ECONNRESET (lwIP cannot tell a RST to a
//     SYN from a reset connection): while a connection is in progress, ECONNRESET is reported
//     as ECONNREFUSED, as every other stack does;
//   - no close-on-exec, no inheritance: lwIP descriptors are not kernel descriptors, so no
//     program this process executes ever gets them;
//   - no dup(): EOPNOTSUPP; socketpair() is emulated over loopback TCP (or UDP), as CPython does
//     where the system has none;
//   - listen(0) lets lwIP accept nothing: it means 1 here, as on Linux;
//   - recvfrom() on a connected stream reports no sender (lwIP gives the peer's address);
//   - MSG_WAITALL (which lwIP ignores) is honoured for blocking stream sockets.

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "lwip.hpp"
#include "usocket/address.hpp"
#include "usocket/buffer.hpp"

#ifdef USOCKET_LWIP_HOST
#include "usocket_lwip_host.h"
#endif

namespace usocket::sys {

namespace lw {

namespace {

// One byte per lwIP socket, beside lwIP's own table: the mode the library set and what the
// backend must remember about the socket.
enum : std::uint8_t {
    mode_blocking = 1,     // calls block (in slices); lwIP's side is non-blocking anyway
    mode_connecting = 2,   // a connection attempt is in progress (ECONNRESET means refused)
    mode_listening = 4,    // listen() was called (close() takes its queue first)
    mode_inet6 = 8,        // an AF_INET6 socket: IPv4 peers are shown IPv4-mapped
    mode_stream = 16,      // SOCK_STREAM
    mode_read_closed = 32, // end of stream seen or reading shut down: recv() gives 0 from then on
    mode_tracked = 64,     // the bits above were set from the socket (track())
    mode_write_closed = 128 // writing shut down: shutting it down again does nothing, as on POSIX
};

std::atomic<std::uint8_t> modes[NUM_SOCKETS];

std::atomic<std::uint8_t>* mode_of(int fd) noexcept {
    return in_range(fd) ? &modes[fd - LWIP_SOCKET_OFFSET] : nullptr;
}

bool has_mode(int fd, std::uint8_t bit) noexcept {
    const auto* m = mode_of(fd);
    return m != nullptr && (m->load(std::memory_order_relaxed) & bit) != 0;
}

void set_mode_bit(int fd, std::uint8_t bit, bool on) noexcept {
    auto* m = mode_of(fd);
    if (m == nullptr || ((m->load(std::memory_order_relaxed) & bit) != 0) == on) return;
    if (on)
        m->fetch_or(bit, std::memory_order_relaxed);
    else
        m->fetch_and(static_cast<std::uint8_t>(~bit), std::memory_order_relaxed);
}

bool connecting(int fd) noexcept { return has_mode(fd, mode_connecting); }
bool listening(int fd) noexcept { return has_mode(fd, mode_listening); }

#ifdef USOCKET_LWIP_HOST
sys::mutex note_lock;
std::atomic<int> note_errno{0};  // the errno the last failed start-up gave, while it is not ready
std::string note_text;           // why (the hub's path), under note_lock
#endif

}  // namespace

void track(int fd, bool is_blocking) noexcept {
    auto* m = mode_of(fd);
    if (m == nullptr) return;
    auto bits = static_cast<std::uint8_t>(mode_tracked | (is_blocking ? mode_blocking : 0));
    int type = 0;
    socklen_t len = sizeof type;
    if (lwip_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM) bits |= mode_stream;
#if LWIP_IPV6
    sockaddr_storage ss{};
    socklen_t sslen = sizeof ss;
    if (lwip_getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sslen) == 0 && ss.ss_family == AF_INET6)
        bits |= mode_inet6;
#endif
    m->store(bits, std::memory_order_relaxed);
    if ((bits & mode_stream) != 0) keep_the_end_of_streams(fd);
}

void forget(int fd) noexcept {
    if (auto* m = mode_of(fd)) m->store(0, std::memory_order_relaxed);
}

bool blocking(int fd) noexcept { return has_mode(fd, mode_blocking); }

bool at_end_of_stream(int fd) noexcept {
    const auto* m = mode_of(fd);
    if (m == nullptr) return false;
    const std::uint8_t bits = m->load(std::memory_order_relaxed);
    return (bits & (mode_stream | mode_read_closed | mode_listening)) == (mode_stream | mode_read_closed);
}

bool stack_ready(std::error_code& ec) noexcept {
#ifdef USOCKET_LWIP_HOST
    char why[512] = "";
    const int rc = usocket_lwip_host_ready(why, sizeof why);
    if (rc == 0 && note_errno.load(std::memory_order_relaxed) == 0) return true;
    const std::lock_guard<sys::mutex> lock(note_lock);
    note_errno.store(rc, std::memory_order_relaxed);
    if (rc == 0) return true;
    note_text = why;  // an allocation failure here ends the process (noexcept)
    ec = make_error(rc);
    return false;
#else
    (void)ec;
    return true;  // the firmware started lwIP before the first socket
#endif
}

bool stack_started(std::error_code& ec) noexcept {
    std::error_code e;
    if (stack_ready(e) || e.value() == ENETUNREACH || e.value() == EINVAL) return true;
    ec = e;
    return false;
}

std::string host_note(int value) {
#ifdef USOCKET_LWIP_HOST
    const std::lock_guard<sys::mutex> lock(note_lock);
    if (value != 0 && value == note_errno.load(std::memory_order_relaxed)) return note_text;
#else
    (void)value;
#endif
    return {};
}

}  // namespace lw

namespace {

using lw::last_error;

inline const sockaddr* sa(const address& a) noexcept { return static_cast<const sockaddr*>(a.data()); }

// Makes lwIP's side of a new descriptor non-blocking and records the library's mode.
bool adopt_new(int fd, bool non_blocking, std::error_code& ec) noexcept {
    if (lwip_fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
        ec = last_error();
        lwip_close(fd);
        return false;
    }
    lw::track(fd, !non_blocking);
    return true;
}

// After a failed call on `fd`: ECONNRESET while a connection is in progress is the peer
// refusing it (lwIP reports a RST to a SYN as a reset).
std::error_code call_error(int fd, bool no_destination = false) noexcept {
    int e = errno;
    if (no_destination && !lw::has_mode(fd, lw::mode_stream)) {
        // lwIP's datagram send with no destination on a socket that is not connected: EINVAL or
        // EHOSTUNREACH (it routes to the any address); POSIX says EDESTADDRREQ.
        sockaddr_storage peer{};
        socklen_t len = sizeof peer;
        if (lwip_getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0 && errno == ENOTCONN) e = EDESTADDRREQ;
    }
    if (lw::connecting(fd)) {
        if (e == ECONNRESET) e = ECONNREFUSED;
        if (e != EALREADY && e != EINPROGRESS && e != EWOULDBLOCK && e != EAGAIN) lw::set_mode_bit(fd, lw::mode_connecting, false);
    }
    return make_error(e);
}

// A call that would block waits when it began on a blocking socket (its mode then: another
// thread's settimeout() applies to the next call, as on POSIX, where the kernel call that is
// already blocked goes on).
bool should_wait(bool blocking_call, msg_flags flags) noexcept {
    return (errno == EWOULDBLOCK || errno == EAGAIN) && (flags & MSG_DONTWAIT) == 0 && blocking_call;
}

// One slice of a blocking call's wait: 1 ready, -1 with `ec`. A slice that ends gives EINTR (the
// blocking core runs the interrupt check and calls again) while the socket is still blocking;
// if another thread changed its mode meanwhile, the call goes on waiting as it began, since the
// next call would not block.
int slice(int fd, wait_for what, std::error_code& ec) noexcept {
    for (;;) {
        const int r = lw::wait_slice(fd, what, ec);
        if (r > 0 || ec.value() != EINTR || lw::blocking(fd)) return r;
        ec.clear();
    }
}

bool stream_socket(int fd) noexcept { return lw::has_mode(fd, lw::mode_stream); }

// An AF_INET6 socket shows an IPv4 peer as an IPv4-mapped address, as POSIX stacks do (lwIP
// gives the AF_INET address of a dual-stack socket's IPv4 peer).
void map_v4(int fd, address& a) noexcept {
#if LWIP_IPV4 && LWIP_IPV6
    ip_parts p;
    if (!lw::has_mode(fd, lw::mode_inet6) || !decode_ip(a.data(), a.size(), p) || p.family != AF_INET) return;
    ip_parts m;
    m.family = af_inet6;
    m.bytes[10] = m.bytes[11] = 0xff;
    std::memcpy(m.bytes + 12, p.bytes, 4);
    m.port = p.port;
    unsigned char native[address::capacity];
    a = address::from_native(native, encode_ip(m, native, sizeof native));
#else
    (void)fd;
    (void)a;
#endif
}

// The pending error of a socket (SO_ERROR), with a refused connection attempt reported as
// such; 0 when connected or still connecting. A connection found made ends the attempt.
int connect_result(int fd) noexcept {
    int err = 0;
    socklen_t len = sizeof err;
    if (lwip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    if (!lw::connecting(fd)) return err;
    if (err == ECONNRESET) err = ECONNREFUSED;
    detail::poll_slot p{fd, POLLOUT, 0};
    if (err != 0 || lw::poll_native(&p, 1, 0) > 0) lw::set_mode_bit(fd, lw::mode_connecting, false);
    return err;
}

}  // namespace

handle open_socket(address_family family, socket_type type, protocol proto, bool non_blocking,
                   std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_LWIP_FAULT(testing::op::open, unused, -1);
    // lwIP takes any family as IPv4 and any protocol of a stream as TCP: refuse what it would
    // misread.
    const bool known_family = false
#if LWIP_IPV4
                              || family == AF_INET
#endif
#if LWIP_IPV6
                              || family == AF_INET6
#endif
        ;
    if (!known_family) {
        ec = make_error(EAFNOSUPPORT);
        return -1;
    }
    if ((type == SOCK_STREAM && proto != 0 && proto != IPPROTO_TCP) ||
        (type == SOCK_DGRAM && proto != 0 && proto != IPPROTO_UDP && proto != IPPROTO_UDPLITE)) {
        ec = make_error(EPROTONOSUPPORT);
        return -1;
    }
    if (!lw::stack_ready(ec)) return -1;
    const int fd = lwip_socket(family, type, proto);
    if (fd < 0) {
        ec = last_error();
        return -1;
    }
    return adopt_new(fd, non_blocking, ec) ? fd : -1;
}

namespace {

// socketpair() over loopback: a listener on the loopback address, a connection to it, the
// accepted end; or two UDP sockets connected to each other. Both ends blocking while they are
// made; the mode asked is set at the end.
bool make_pair(int family, int type, handle fds[2], std::error_code& ec) noexcept {
    sockaddr_storage where{};
    socklen_t len = 0;
    if (family == AF_INET) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&where);
        sin->sin_len = sizeof(sockaddr_in);
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = PP_HTONL(0x7f000001UL);
        len = sizeof(sockaddr_in);
    } else {
#if LWIP_IPV6
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&where);
        sin6->sin6_len = sizeof(sockaddr_in6);
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr.s6_addr[15] = 1;
        len = sizeof(sockaddr_in6);
#endif
    }
    int a = -1, b = -1, l = -1;
    auto fail = [&] {
        ec = last_error();
        for (const int fd : {a, b, l})
            if (fd >= 0) lwip_close(fd);
        return false;
    };
    if (type == SOCK_DGRAM) {
        a = lwip_socket(family, SOCK_DGRAM, 0);
        b = lwip_socket(family, SOCK_DGRAM, 0);
        sockaddr_storage aa{}, ba{};
        socklen_t al = sizeof aa, bl = sizeof ba;
        if (a < 0 || b < 0 || lwip_bind(a, reinterpret_cast<sockaddr*>(&where), len) != 0 ||
            lwip_bind(b, reinterpret_cast<sockaddr*>(&where), len) != 0 ||
            lwip_getsockname(a, reinterpret_cast<sockaddr*>(&aa), &al) != 0 ||
            lwip_getsockname(b, reinterpret_cast<sockaddr*>(&ba), &bl) != 0 ||
            lwip_connect(a, reinterpret_cast<sockaddr*>(&ba), bl) != 0 ||
            lwip_connect(b, reinterpret_cast<sockaddr*>(&aa), al) != 0)
            return fail();
    } else {
        l = lwip_socket(family, SOCK_STREAM, 0);
        sockaddr_storage la{};
        socklen_t ll = sizeof la;
        if (l < 0 || lwip_bind(l, reinterpret_cast<sockaddr*>(&where), len) != 0 || lwip_listen(l, 1) != 0 ||
            lwip_getsockname(l, reinterpret_cast<sockaddr*>(&la), &ll) != 0)
            return fail();
        a = lwip_socket(family, SOCK_STREAM, 0);
        if (a < 0 || lwip_fcntl(a, F_SETFL, O_NONBLOCK) != 0) return fail();
        if (lwip_connect(a, reinterpret_cast<sockaddr*>(&la), ll) != 0 && errno != EINPROGRESS) return fail();
        lw::flush_loopback();
        b = lwip_accept(l, nullptr, nullptr);  // blocking: the handshake is done by then
        if (b < 0) return fail();
        lwip_close(l);
        l = -1;
    }
    fds[0] = a;
    fds[1] = b;
    return true;
}

}  // namespace

bool open_pair(address_family family, socket_type type, protocol proto, bool non_blocking, handle fds[2],
               std::error_code& ec) noexcept {
    // AF_UNIX (the portable default) is not lwIP's: the pair is made over IPv4 loopback.
    const int fam = family == AF_INET6 ? AF_INET6 : AF_INET;
    if ((family != AF_INET && family != AF_INET6 && family != AF_UNSPEC
#ifdef USOCKET_HAS_AF_UNIX
         && family != af_unix
#endif
         ) ||
        (fam == AF_INET6 && !LWIP_IPV6)) {
        ec = make_error(EAFNOSUPPORT);
        return false;
    }
    if ((type != SOCK_STREAM && type != SOCK_DGRAM) || (proto != 0 && proto != (type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))) {
        ec = make_error(type != SOCK_STREAM && type != SOCK_DGRAM ? EOPNOTSUPP : EPROTONOSUPPORT);
        return false;
    }
    if (!lw::stack_ready(ec)) return false;
    if (!make_pair(fam, type, fds, ec)) return false;
    if (!adopt_new(fds[0], non_blocking, ec)) {
        lwip_close(fds[1]);
        return false;
    }
    if (!adopt_new(fds[1], non_blocking, ec)) {
        lw::forget(fds[0]);
        lwip_close(fds[0]);
        return false;
    }
    return true;
}

bool close(handle fd, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_LWIP_FAULT(testing::op::close, unused, false);
    if (lw::listening(fd)) {
        // lwIP 2.1.3 (LWIP_NETCONN_FULLDUPLEX) frees the connections still waiting in a
        // listener's queue from the closing thread, aborting their PCBs without the core lock
        // (a data race in the stack): take them first and close them properly (the peers see
        // the end of the stream). A connection completed between this and lwip_close() still
        // meets lwIP's path.
        for (int i = 0; i < 0x100; ++i) {
            const int pending = lwip_accept(fd, nullptr, nullptr);
            if (pending < 0) break;
            lwip_close(pending);
        }
    }
    lw::forget(fd);
    const int rc = lwip_close(fd);
    lw::flush_loopback();
    if (rc != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

handle dup(handle fd, std::error_code& ec) noexcept {
    // lwIP has no dup(): a descriptor is a slot of its socket table with one netconn.
    ec = make_error(lwip_fcntl(fd, F_GETFL, 0) < 0 ? EBADF : EOPNOTSUPP);
    return -1;
}

bool set_non_blocking(handle fd, bool on, std::error_code& ec) noexcept {
    if (lwip_fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {  // also tells a descriptor that is not lwIP's
        ec = last_error();
        return false;
    }
    if (!lw::has_mode(fd, lw::mode_tracked))
        lw::track(fd, !on);  // a descriptor the library did not make (socket::adopt())
    else
        lw::set_mode_bit(fd, lw::mode_blocking, !on);
    return true;
}

bool describe(handle fd, address_family& family, socket_type& type, protocol& proto, std::error_code& ec) noexcept {
    int value = 0;
    socklen_t len = sizeof value;
    if (!lw::in_range(fd)) {
        ec = make_error(EBADF);
        return false;
    }
    if (lwip_getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &len) != 0) {
        ec = last_error();
        return false;
    }
    type = socket_type{value};
    sockaddr_storage ss{};
    socklen_t sslen = sizeof ss;
    if (lwip_getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sslen) != 0) {
        ec = last_error();
        return false;
    }
    family = address_family{ss.ss_family};
    proto = protocol{value == SOCK_STREAM ? IPPROTO_TCP : value == SOCK_DGRAM ? IPPROTO_UDP : 0};
    return true;
}

bool get_inheritable(handle fd, bool& inheritable, std::error_code& ec) noexcept {
    if (lwip_fcntl(fd, F_GETFL, 0) < 0) {
        ec = last_error();
        return false;
    }
    inheritable = false;  // not a kernel descriptor: never passed to another program
    return true;
}

bool set_inheritable(handle fd, bool inheritable, std::error_code& ec) noexcept {
    if (lwip_fcntl(fd, F_GETFL, 0) < 0) {
        ec = last_error();
        return false;
    }
    if (inheritable) {
        ec = make_error(EOPNOTSUPP);
        return false;
    }
    return true;
}

bool connect(handle fd, const address& peer, std::error_code& ec) noexcept {
    bool ok;
    const int rc = lwip_connect(fd, sa(peer), static_cast<socklen_t>(peer.size()));
    const int err = errno;
    lw::keep_the_end_of_streams(fd);  // lwIP set its callbacks again
    lw::flush_loopback();
    errno = err;
    if (rc == 0) {
        lw::set_mode_bit(fd, lw::mode_connecting, false);
        ok = true;
    } else if (errno != EINPROGRESS && errno != EALREADY) {
        ec = call_error(fd);
        ok = false;
    } else {
        lw::set_mode_bit(fd, lw::mode_connecting, true);
        ok = false;
        ec = make_error(EINPROGRESS);
        if (lw::blocking(fd)) {
            // A blocking connect waits one slice here; the blocking core waits for the rest
            // (it takes EINTR as a connection going on in the background).
            if (lw::wait_slice(fd, wait_for::write, ec) > 0) {
                const int e = connect_result(fd);
                ok = e == 0;
                ec = ok ? std::error_code() : make_error(e);
                if (ok) lw::set_mode_bit(fd, lw::mode_connecting, false);
            }
        }
    }
    std::size_t unused = 0;
    USOCKET_LWIP_FAULT(testing::op::connect, unused, false);
    return ok;
}

bool bind(handle fd, const address& local, std::error_code& ec) noexcept {
    if (lwip_bind(fd, sa(local), static_cast<socklen_t>(local.size())) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool listen(handle fd, int backlog, std::error_code& ec) noexcept {
    if (lwip_listen(fd, std::max(backlog, 1)) != 0) {
        ec = last_error();
        return false;
    }
    lw::set_mode_bit(fd, lw::mode_listening, true);
    lw::keep_the_end_of_streams(fd);  // lwIP made a new PCB for listening
    return true;
}

handle accept(handle fd, address* peer, bool non_blocking, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_LWIP_FAULT(testing::op::accept, unused, -1);
    const bool blocking_call = lw::blocking(fd);
    for (;;) {
        if (lw::listening(fd) && lw::has_mode(fd, lw::mode_read_closed)) {
            ec = make_error(EINVAL);  // shut down (see shutdown())
            return -1;
        }
        sockaddr* where = peer != nullptr ? static_cast<sockaddr*>(peer->data()) : nullptr;
        socklen_t len = address::capacity;
        const int nfd = lwip_accept(fd, where, peer != nullptr ? &len : nullptr);
        if (nfd >= 0) {
            if (!adopt_new(nfd, non_blocking, ec)) return -1;
            if (peer != nullptr) {
                peer->resize(len);
                map_v4(nfd, *peer);
            }
            return nfd;
        }
        if (!should_wait(blocking_call, msg_flags{})) {
            ec = last_error();
            return -1;
        }
        if (slice(fd, wait_for::read, ec) < 0) return -1;
    }
}

bool shutdown(handle fd, shutdown_how how, std::error_code& ec) noexcept {
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) {
        ec = make_error(EINVAL);
        return false;
    }
    if (lw::listening(fd)) {
        // lwIP cannot shut a listener down (lwip_shutdown() fails or does nothing); Linux stops
        // accepting: accept() says EINVAL from then on, and so does the backend (a blocked
        // accept() sees it at the end of its slice).
        if (lwip_fcntl(fd, F_GETFL, 0) < 0) {
            ec = last_error();
            return false;
        }
        if (how != SHUT_WR) lw::set_mode_bit(fd, lw::mode_read_closed, true);
        return true;
    }
    // Marked before the call: a reader in another thread that lwIP's shutdown wakes with
    // ENOTCONN must find the mark and read the end of the stream (0), as on POSIX.
    const bool shut_read = how != SHUT_WR;
    const bool was_read_closed = lw::has_mode(fd, lw::mode_read_closed);
    if (shut_read) lw::set_mode_bit(fd, lw::mode_read_closed, true);
    const int rc = lwip_shutdown(fd, how);
    const int err = errno;
    lw::flush_loopback();
    // lwIP refuses a second SHUT_WR (tcp_shutdown(): ERR_CONN, ENOTCONN); POSIX does nothing.
    if (rc != 0 && !(err == ENOTCONN && how == SHUT_WR && lw::has_mode(fd, lw::mode_write_closed))) {
        if (shut_read && !was_read_closed) lw::set_mode_bit(fd, lw::mode_read_closed, false);
        ec = make_error(err);
        return false;
    }
    if (how != SHUT_RD) lw::set_mode_bit(fd, lw::mode_write_closed, true);
    return true;
}

namespace {

// lwIP knows MSG_NOSIGNAL's value but nothing raises SIGPIPE in lwIP anyway.
constexpr int send_flags(msg_flags flags) noexcept { return flags & ~MSG_NOSIGNAL; }

// A send on a blocking socket sends everything, waiting in slices; a slice that ends with
// nothing sent returns what was sent (a short count, as a signal gives on POSIX) or EINTR.
template <class Send>
ssize send_loop(handle fd, std::size_t size, msg_flags flags, Send&& one, std::error_code& ec) noexcept {
    const bool blocking_call = lw::blocking(fd);
    std::size_t done = 0;
    for (;;) {
        const ssize n = one(done, size - done);
        const int err = errno;
        lw::flush_loopback();  // a peer in this process gets the bytes now
        errno = err;
        if (n >= 0) {
            if (lw::connecting(fd)) lw::set_mode_bit(fd, lw::mode_connecting, false);
            done += static_cast<std::size_t>(n);
            if (done == size || !blocking_call || (flags & MSG_DONTWAIT) != 0) return static_cast<ssize>(done);
            continue;
        }
        if (!should_wait(blocking_call, flags)) {
            if (done != 0) return static_cast<ssize>(done);
            ec = call_error(fd, true);
            return -1;
        }
        std::error_code we;
        if (slice(fd, wait_for::write, we) < 0) {
            if (done != 0) return static_cast<ssize>(done);
            ec = we;
            return -1;
        }
    }
}

}  // namespace

ssize send(handle fd, const void* data, std::size_t size, msg_flags flags, std::error_code& ec) noexcept {
    USOCKET_LWIP_FAULT(testing::op::send, size, -1);
    const auto* p = static_cast<const unsigned char*>(data);
    return send_loop(fd, size, flags, [&](std::size_t at, std::size_t n) {
        return lwip_send(fd, p + at, n, send_flags(flags));
    }, ec);
}

ssize sendto(handle fd, const void* data, std::size_t size, msg_flags flags, const address& peer,
             std::error_code& ec) noexcept {
    USOCKET_LWIP_FAULT(testing::op::sendto, size, -1);
    const bool blocking_call = lw::blocking(fd);
    for (;;) {
        const ssize n = lwip_sendto(fd, data, size, send_flags(flags), sa(peer), static_cast<socklen_t>(peer.size()));
        const int err = errno;
        lw::flush_loopback();
        errno = err;
        if (n >= 0) return n;
        if (!should_wait(blocking_call, flags)) {
            ec = call_error(fd);
            return -1;
        }
        if (slice(fd, wait_for::write, ec) < 0) return -1;
    }
}

namespace {

// A receive on a blocking socket waits in slices; with MSG_WAITALL on a stream it goes on
// until `size` bytes, the end of the stream, an error or a slice with nothing (a short count).
template <class Recv>
ssize recv_loop(handle fd, std::size_t size, msg_flags flags, Recv&& one, std::error_code& ec) noexcept {
    const bool blocking_call = lw::blocking(fd);
    const bool wait_all = (flags & MSG_WAITALL) != 0 && (flags & MSG_PEEK) == 0 && blocking_call;
    const int lwip_flags = flags & ~MSG_WAITALL;
    std::size_t done = 0;
    for (;;) {
        const ssize n = one(done, size - done, lwip_flags);
        if (n > 0) lw::flush_loopback();  // the window update reaches a peer in this process
        if (n > 0) {
            if (lw::connecting(fd)) lw::set_mode_bit(fd, lw::mode_connecting, false);
            done += static_cast<std::size_t>(n);
            if (!wait_all || done == size) return static_cast<ssize>(done);
            continue;
        }
        if (n == 0) {
            if (size != 0 && stream_socket(fd)) lw::set_mode_bit(fd, lw::mode_read_closed, true);
            return static_cast<ssize>(done);
        }
        // After the end of the stream lwIP says ENOTCONN, and its socket is never readable
        // again; POSIX says 0 again at once, blocking or not (a wait would last for ever).
        if (errno == ENOTCONN && lw::has_mode(fd, lw::mode_read_closed)) return static_cast<ssize>(done);
        if (!should_wait(blocking_call, flags)) {
            if (done != 0) return static_cast<ssize>(done);
            ec = call_error(fd);
            return -1;
        }
        std::error_code we;
        if (slice(fd, wait_for::read, we) < 0) {
            if (done != 0) return static_cast<ssize>(done);
            ec = we;
            return -1;
        }
    }
}

}  // namespace

ssize recv(handle fd, void* data, std::size_t size, msg_flags flags, std::error_code& ec) noexcept {
    USOCKET_COUNT_RECV();
    USOCKET_LWIP_FAULT(testing::op::recv, size, -1);
    auto* p = static_cast<unsigned char*>(data);
    return recv_loop(fd, size, flags, [&](std::size_t at, std::size_t n, int f) -> ssize {
        return lwip_recv(fd, p + at, n, f);
    }, ec);
}

ssize recvfrom(handle fd, void* data, std::size_t size, msg_flags flags, address* from, std::error_code& ec) noexcept {
    USOCKET_LWIP_FAULT(testing::op::recvfrom, size, -1);
    auto* p = static_cast<unsigned char*>(data);
    // A connected stream reports no sender, as POSIX stacks do (lwIP would give the peer's).
    if (from != nullptr && stream_socket(fd)) {
        from->resize(0);
        from = nullptr;
    }
    if (from == nullptr) {
        return recv_loop(fd, size, flags, [&](std::size_t at, std::size_t n, int f) -> ssize {
            return lwip_recvfrom(fd, p + at, n, f, nullptr, nullptr);
        }, ec);
    }
    socklen_t len = 0;
    const ssize n = recv_loop(fd, size, flags & ~msg_waitall, [&](std::size_t at, std::size_t want, int f) -> ssize {
        len = address::capacity;
        return lwip_recvfrom(fd, p + at, want, f, static_cast<sockaddr*>(from->data()), &len);
    }, ec);
    if (n >= 0) {
        from->resize(len);
        map_v4(fd, *from);
    }
    return n;
}

bool getsockopt(handle fd, option_level level, option_name option, void* value, std::size_t& size,
                std::error_code& ec) noexcept {
    if (level == SOL_SOCKET && option == SO_ERROR && size >= sizeof(int)) {
        // The result of a connection attempt: ECONNRESET before it was made is a refusal.
        if (lwip_fcntl(fd, F_GETFL, 0) < 0) {
            ec = last_error();
            return false;
        }
        const int e = connect_result(fd);
        std::memcpy(value, &e, sizeof e);
        size = sizeof e;
        return true;
    }
    socklen_t len = static_cast<socklen_t>(size);
    if (lwip_getsockopt(fd, level, option, value, &len) != 0) {
        ec = last_error();
        return false;
    }
    size = len;
    // lwIP answers its flag options with the flag's bit (SO_REUSEADDR gives 4): POSIX says 1.
    const bool flag = (level == SOL_SOCKET && (option == SO_REUSEADDR || option == SO_KEEPALIVE || option == SO_BROADCAST)) ||
                      (level == IPPROTO_TCP && option == TCP_NODELAY);
    if (flag && len == sizeof(int)) {
        int v;
        std::memcpy(&v, value, sizeof v);
        v = v != 0 ? 1 : 0;
        std::memcpy(value, &v, sizeof v);
    }
    return true;
}

bool setsockopt(handle fd, option_level level, option_name option, const void* value, std::size_t size,
                std::error_code& ec) noexcept {
    if (lwip_setsockopt(fd, level, option, value, static_cast<socklen_t>(size)) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

bool getsockname(handle fd, address& out, std::error_code& ec) noexcept {
    socklen_t len = address::capacity;
    if (lwip_getsockname(fd, static_cast<sockaddr*>(out.data()), &len) != 0) {
        ec = last_error();
        return false;
    }
    out.resize(len);
    map_v4(fd, out);
    return true;
}

bool getpeername(handle fd, address& out, std::error_code& ec) noexcept {
    socklen_t len = address::capacity;
    if (lwip_getpeername(fd, static_cast<sockaddr*>(out.data()), &len) != 0) {
        ec = last_error();
        return false;
    }
    out.resize(len);
    map_v4(fd, out);
    return true;
}

}  // namespace usocket::sys

// --- messages (src/sys.hpp, "messages, batches...") ----------------------------------------------

namespace usocket::sys {

namespace {
constexpr std::size_t iov_inline = 16;

// lwIP's iovecs of `count` buffers: in `inline_iov` when they fit, else in `heap`.
template <class Buffer>
iovec* make_iovecs(const Buffer* buffers, std::size_t count, iovec (&inline_iov)[iov_inline],
                   std::unique_ptr<iovec[]>& heap) noexcept {
    iovec* iov = inline_iov;
    if (count > iov_inline) {
        heap.reset(new (std::nothrow) iovec[count]);
        iov = heap.get();
        if (iov == nullptr) return nullptr;
    }
    for (std::size_t i = 0; i < count; ++i)
        iov[i] = iovec{const_cast<std::byte*>(buffers[i].data()), buffers[i].size()};
    return iov;
}
}  // namespace

ssize sendmsg(handle fd, const const_buffer* buffers, std::size_t count, const void* control,
              std::size_t control_size, msg_flags flags, const address* to, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_LWIP_FAULT(testing::op::send, unused, -1);
    if (control_size != 0) {
        ec = make_error(EOPNOTSUPP);  // lwIP sends no ancillary data (lwip_sendmsg() ignores it)
        return -1;
    }
    (void)control;
    iovec inline_iov[iov_inline];
    std::unique_ptr<iovec[]> heap;
    iovec empty{nullptr, 0};
    iovec* iov = count == 0 ? &empty : make_iovecs(buffers, count, inline_iov, heap);
    if (iov == nullptr) {
        ec = make_error(ENOMEM);
        return -1;
    }
    msghdr m{};
    m.msg_name = to != nullptr ? const_cast<void*>(to->data()) : nullptr;
    m.msg_namelen = to != nullptr ? static_cast<socklen_t>(to->size()) : 0;
    m.msg_iov = iov;
    m.msg_iovlen = static_cast<int>(count == 0 ? 1 : count);
    const bool blocking_call = lw::blocking(fd);
    for (;;) {
        const ssize n = lwip_sendmsg(fd, &m, send_flags(flags));
        const int err = errno;
        lw::flush_loopback();
        errno = err;
        if (n >= 0) return n;
        if (!should_wait(blocking_call, flags)) {
            ec = call_error(fd, to == nullptr);
            return -1;
        }
        if (slice(fd, wait_for::write, ec) < 0) return -1;
    }
}

ssize recvmsg(handle fd, const mutable_buffer* buffers, std::size_t count, void* control, std::size_t& control_size,
              msg_flags flags, msg_flags& out_flags, address* from, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_LWIP_FAULT(testing::op::recv, unused, -1);
    iovec inline_iov[iov_inline];
    std::unique_ptr<iovec[]> heap;
    unsigned char none = 0;
    iovec empty{&none, 0};
    iovec* iov = count == 0 ? &empty : make_iovecs(buffers, count, inline_iov, heap);
    if (iov == nullptr) {
        ec = make_error(ENOMEM);
        return -1;
    }
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) total += buffers[i].size();
    const bool stream = stream_socket(fd);
    if (from != nullptr && stream) from->resize(0);  // a connected stream reports no sender
    msghdr m{};
    const std::size_t control_capacity = control_size;
    const ssize n = recv_loop(fd, total, flags & ~msg_waitall, [&](std::size_t, std::size_t, int f) -> ssize {
        m = msghdr{};
        m.msg_name = from != nullptr && !stream ? from->data() : nullptr;
        m.msg_namelen = m.msg_name != nullptr ? address::capacity : 0;
        m.msg_iov = iov;
        m.msg_iovlen = static_cast<int>(count == 0 ? 1 : count);
        m.msg_control = control_capacity != 0 ? control : nullptr;
        m.msg_controllen = static_cast<socklen_t>(control_capacity);
        return lwip_recvmsg(fd, &m, f);
    }, ec);
    if (n < 0) return -1;
    out_flags = msg_flags{m.msg_flags};
    control_size = m.msg_controllen;
    if (from != nullptr && !stream) {
        from->resize(m.msg_namelen);
        map_v4(fd, *from);
    }
    // lwIP 2.1.3 returns a cut datagram's whole length; POSIX the bytes that fitted (MSG_TRUNC
    // says the rest was dropped).
    if (static_cast<std::size_t>(n) > total) {
        out_flags = out_flags | msg_trunc;
        return static_cast<ssize>(total);
    }
    return n;
}

}  // namespace usocket::sys
