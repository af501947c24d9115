#pragma once
// usocket::socket — the socket object of the documented module. Every operation comes in two
// forms: one that throws (os_error and its subclasses, value_error) and one that reports
// through a std::error_code& and never throws. No error state is kept in the object.
//
// Timeouts have three states, as in the module: blocking (std::nullopt), non-blocking (zero)
// and a timeout (> 0). A timed operation tries the system call first and waits only when it
// would block; one monotonic deadline covers the whole call (all of a sendall()).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "usocket/address.hpp"
#include "usocket/buffer.hpp"
#include "usocket/constants.hpp"
#include "usocket/error.hpp"
#include "usocket/export.hpp"
#include "usocket/socket_file.hpp"

namespace usocket {

using duration = std::chrono::nanoseconds;
/// std::nullopt: blocking; zero: non-blocking; positive: a timeout.
using timeout_type = std::optional<duration>;

/// The timeout new sockets start with (std::nullopt unless changed). Thread-safe.
USOCKET_API timeout_type getdefaulttimeout() noexcept;
/// Sets the timeout new sockets (and accepted ones) start with. Negative: value_error.
USOCKET_API void setdefaulttimeout(timeout_type t);
USOCKET_API void setdefaulttimeout(timeout_type t, std::error_code& ec) noexcept;

/// Called when a blocking call is interrupted by a signal (EINTR). Return true to give up
/// with EINTR (the Python module runs its signal handlers here and gives up when one raised);
/// false to retry with the time left. The default retries. Process-wide.
using interrupt_check = bool (*)() noexcept;
USOCKET_API void set_interrupt_check(interrupt_check check) noexcept;

namespace detail {
struct read_buffer;
}

class socket;

/// What accept() returns: the new connection and the peer's address.
struct accept_result;

class USOCKET_API socket {
public:
    /// A socket object with no descriptor (as after close()).
    socket() noexcept;
    /// Opens a socket (close-on-exec, mode from getdefaulttimeout()). Throws os_error.
    explicit socket(int family, int type = sock_stream, int proto = 0);
    /// The non-throwing form of the constructor.
    static socket open(int family, int type, int proto, std::error_code& ec) noexcept;
    /// Takes ownership of an open descriptor (the module's fileno= argument): family, type
    /// and protocol are read from it, and its mode is set from getdefaulttimeout().
    static socket adopt(int fd, std::error_code& ec) noexcept;
    static socket adopt(int fd);

    socket(socket&& other) noexcept;
    socket& operator=(socket&& other) noexcept;
    socket(const socket&) = delete;
    socket& operator=(const socket&) = delete;
    /// Closes the descriptor, if any.
    ~socket();

    // --- connections ---------------------------------------------------------------------

    /// Connects to `peer`. With a timeout: non-blocking connect, a wait, then SO_ERROR.
    void connect(const address& peer);
    void connect(const address& peer, std::error_code& ec) noexcept;
    /// Connects to (host, port); a name is resolved for this socket's family first.
    void connect(std::string_view host, int port);
    void connect(std::string_view host, int port, std::error_code& ec) noexcept;
    /// connect() that returns the errno (0 on success) instead of failing; a timeout is
    /// EWOULDBLOCK, as in CPython.
    int connect_ex(const address& peer) noexcept;

    /// Binds to `local`.
    void bind(const address& local);
    void bind(const address& local, std::error_code& ec) noexcept;
    /// Binds to (host, port); "" is every local address, a name is resolved.
    void bind(std::string_view host, int port);
    void bind(std::string_view host, int port, std::error_code& ec) noexcept;
    /// Binds every local address of the socket's family to `port` (seed 002's bind(80)).
    void bind(int port);
    void bind(int port, std::error_code& ec) noexcept;

    /// Listens with the default backlog, min(SOMAXCONN, 128).
    void listen();
    void listen(std::error_code& ec) noexcept;
    /// Listens; a negative backlog counts as 0.
    void listen(int backlog);
    void listen(int backlog, std::error_code& ec) noexcept;

    /// Accepts a connection. The new socket is close-on-exec and its mode is set explicitly
    /// from getdefaulttimeout(), whatever this socket's mode.
    accept_result accept();
    /// The non-throwing form; `peer` (may be null) receives the peer's address.
    socket accept(address* peer, std::error_code& ec) noexcept;

    // --- data ----------------------------------------------------------------------------

    /// Sends what the kernel takes now; returns the count (may be short).
    std::size_t send(const_buffer data, int flags = 0);
    std::size_t send(const_buffer data, int flags, std::error_code& ec) noexcept;
    /// Sends all of `data` under one deadline for the whole call.
    void sendall(const_buffer data, int flags = 0);
    /// The non-throwing form; returns how many bytes were sent before any error.
    std::size_t sendall(const_buffer data, int flags, std::error_code& ec) noexcept;
    /// Sends a datagram to `peer`.
    std::size_t sendto(const_buffer data, const address& peer, int flags = 0);
    std::size_t sendto(const_buffer data, const address& peer, int flags, std::error_code& ec) noexcept;

    /// Receives at most `bufsize` bytes; "" at the end of the stream.
    std::string recv(std::size_t bufsize, int flags = 0);
    std::string recv(std::size_t bufsize, int flags, std::error_code& ec);
    /// Receives into `buf` (at most `nbytes` bytes; 0 means all of buf); returns the count.
    /// nbytes > buf.size() is value_error (buffer_too_small).
    std::size_t recv_into(mutable_buffer buf, std::size_t nbytes = 0, int flags = 0);
    std::size_t recv_into(mutable_buffer buf, std::size_t nbytes, int flags, std::error_code& ec) noexcept;
    /// Receives a datagram and its sender.
    std::pair<std::string, address> recvfrom(std::size_t bufsize, int flags = 0);
    std::string recvfrom(std::size_t bufsize, int flags, address& from, std::error_code& ec);
    std::pair<std::size_t, address> recvfrom_into(mutable_buffer buf, std::size_t nbytes = 0, int flags = 0);
    std::size_t recvfrom_into(mutable_buffer buf, std::size_t nbytes, int flags, address& from,
                              std::error_code& ec) noexcept;

    // --- stream methods (seed 001) ---------------------------------------------------------
    // MicroPython's stream interface (docs/streams.md). Blocking socket: no short reads or
    // writes. Non-blocking: what could be done now, std::nullopt when nothing (Python: None).
    // Timeout: one deadline for the whole call; bytes received before a timeout or an error
    // stay in the read-ahead buffer, which every read (recv included) drains first.
    // Throws os_error, timeout_error, value_error; the error_code forms never throw.

    /// Reads to the end of the stream (non-blocking: what is there now).
    std::optional<std::string> read();
    std::optional<std::string> read(std::error_code& ec);
    /// Reads `size` bytes; fewer only at the end of the stream (or, non-blocking, when no more
    /// is there now).
    std::optional<std::string> read(std::size_t size);
    std::optional<std::string> read(std::size_t size, std::error_code& ec);
    /// Reads into `buf` (`nbytes` of it; 0 means all of buf) with no short reads; returns the
    /// count. nbytes > buf.size() is value_error (buffer_too_small).
    std::optional<std::size_t> readinto(mutable_buffer buf, std::size_t nbytes = 0);
    std::optional<std::size_t> readinto(mutable_buffer buf, std::size_t nbytes, std::error_code& ec) noexcept;
    /// Reads a line: up to and including '\n', or to the end of the stream, or `limit` bytes.
    /// Reads in chunks; what comes after the line stays buffered. "" at the end of the stream.
    std::optional<std::string> readline(std::size_t limit = no_limit);
    std::optional<std::string> readline(std::size_t limit, std::error_code& ec);
    /// Writes all of `data` (non-blocking: what the kernel takes, std::nullopt when nothing).
    /// The error_code form returns the count written before an error (nullopt if none).
    std::optional<std::size_t> write(const_buffer data);
    std::optional<std::size_t> write(const_buffer data, std::error_code& ec) noexcept;
    /// A file object over this socket (CPython's makefile): mode is any mix of 'r', 'w', 'b'
    /// ("rb", "wb", "rwb", "r"...); buffering < 0 is the default size (8192), 0 unbuffered
    /// (binary modes only). The descriptor stays open until the socket and all its files are
    /// closed. Bad mode: value_error (errc::invalid_argument); closed socket: os_error(EBADF).
    socket_file makefile(std::string_view mode = "rb", std::ptrdiff_t buffering = -1);
    socket_file makefile(std::string_view mode, std::ptrdiff_t buffering, std::error_code& ec);

    // --- modes and options ---------------------------------------------------------------

    /// std::nullopt blocks, zero is non-blocking, a positive duration is a timeout. A negative
    /// duration is value_error and changes nothing.
    void settimeout(timeout_type t);
    void settimeout(timeout_type t, std::error_code& ec) noexcept;
    timeout_type gettimeout() const noexcept { return timeout_; }
    /// setblocking(true) is settimeout(nullopt); setblocking(false) is settimeout(0).
    void setblocking(bool flag);
    void setblocking(bool flag, std::error_code& ec) noexcept;
    /// False when the socket is non-blocking or has a timeout (as CPython).
    bool getblocking() const noexcept { return !timeout_.has_value(); }

    void setsockopt(int level, int option, int value);
    void setsockopt(int level, int option, int value, std::error_code& ec) noexcept;
    void setsockopt(int level, int option, const_buffer value);
    void setsockopt(int level, int option, const_buffer value, std::error_code& ec) noexcept;
    int getsockopt(int level, int option);
    int getsockopt(int level, int option, std::error_code& ec) noexcept;
    /// The option's raw bytes, at most `buflen` (1..1024).
    std::string getsockopt(int level, int option, std::size_t buflen);
    std::string getsockopt(int level, int option, std::size_t buflen, std::error_code& ec);

    // --- lifetime ------------------------------------------------------------------------

    /// Shuts down reading (shut_rd), writing (shut_wr) or both (shut_rdwr).
    void shutdown(int how);
    void shutdown(int how, std::error_code& ec) noexcept;
    /// Closes the descriptor. A second close() does nothing. ECONNRESET from close is ignored.
    void close();
    void close(std::error_code& ec) noexcept;
    /// Gives up the descriptor without closing it; the object is left closed. -1 if none.
    int detach() noexcept;
    /// A new socket on a duplicate descriptor (close-on-exec), same family, type, timeout.
    socket dup() const;
    socket dup(std::error_code& ec) const noexcept;
    /// The descriptor, or -1 once closed.
    int fileno() const noexcept { return fd_; }
    bool is_open() const noexcept { return fd_ >= 0; }

    address getpeername() const;
    address getpeername(std::error_code& ec) const noexcept;
    address getsockname() const;
    address getsockname(std::error_code& ec) const noexcept;

    int family() const noexcept { return family_; }
    /// The type, without sock_nonblock / sock_cloexec.
    int type() const noexcept { return type_; }
    int proto() const noexcept { return proto_; }

    /// "<usocket.socket fd=3, family=AF_INET, type=SOCK_STREAM, proto=0, laddr=..., raddr=...>"
    std::string to_string() const;

private:
    socket(int fd, int family, int type, int proto, timeout_type t) noexcept;
    friend class socket_access;
    /// Sets EBADF and returns true when the socket has no descriptor (closed or detached).
    bool report_closed(std::error_code& ec) const noexcept;

    int fd_ = -1;
    int family_ = 0;
    int type_ = 0;
    int proto_ = 0;
    timeout_type timeout_;
    /// Bytes read ahead by the stream methods; every read drains it first. Shared with the
    /// files made by makefile() (src/read_buffer.hpp).
    std::shared_ptr<detail::read_buffer> rbuf_;
};

struct accept_result {
    socket sock;
    address addr;
};

USOCKET_API std::ostream& operator<<(std::ostream& os, const socket& s);

/// A connected pair (af_unix by default, as CPython).
USOCKET_API std::pair<socket, socket> socketpair(int family, int type, int proto, std::error_code& ec) noexcept;
USOCKET_API std::pair<socket, socket> socketpair(int family = af_unix, int type = sock_stream, int proto = 0);
/// A socket on a duplicate of `fd` (the original stays open, as CPython's fromfd).
USOCKET_API socket fromfd(int fd, int family, int type, int proto, std::error_code& ec) noexcept;
USOCKET_API socket fromfd(int fd, int family, int type, int proto = 0);

/// One socket owned by a usocket object in this process (what print_pcbs() lists).
struct socket_info {
    int fd = -1;
    int family = 0;
    int type = 0;
    int proto = 0;
    bool listening = false;
    address local;  ///< empty when unbound
    address peer;   ///< empty when not connected
};

/// Every socket currently owned by a usocket object, in descriptor order.
USOCKET_API std::vector<socket_info> open_sockets();
/// Seed 000's print_pcbs() on the POSIX backend: one line per open socket with its state and
/// addresses ("fd=3 family=2 type=1 proto=0 state=LISTEN laddr=127.0.0.1:5005").
USOCKET_API void print_pcbs(std::ostream& os);
/// Seed 000's reset() on the POSIX backend: shuts every open usocket socket down in both
/// directions, so blocked calls return and peers see the end of their connections. The
/// descriptors are not closed under their objects (a later open could reuse the number);
/// each object still closes its own.
USOCKET_API void reset() noexcept;

/// Resolves (host, port) to one address of `family` the way CPython does for socket
/// methods: "" is the wildcard, "<broadcast>" the IPv4 broadcast address, numeric literals
/// are parsed without a lookup, other names go through getaddrinfo().
USOCKET_API address resolve_address(std::string_view host, int port, int family, std::error_code& ec) noexcept;
USOCKET_API address resolve_address(std::string_view host, int port, int family);

}  // namespace usocket
