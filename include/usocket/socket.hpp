#pragma once
// usocket::socket — the socket object of the documented module. Every operation comes in two
// forms: one that throws (os_error and its subclasses, value_error) and one that reports
// through a std::error_code& and never throws; the error_code form takes the same defaulted
// arguments, and clears the error code when it succeeds. No error state is kept in the object.
//
// Timeouts have three states, as in the module: blocking (usocket::blocking), non-blocking
// (zero) and a timeout (> 0, any std::chrono::duration, rounded up to nanoseconds). A timed
// operation tries the system call first and waits only when it would block; one monotonic
// deadline covers the whole call (all of a sendall()). set_deadline() adds an absolute deadline
// that every call ends by, for a protocol with a total budget.
//
// Threads (docs/sockets.md, "Threads"): one thread may read while another writes; close(),
// detach(), shutdown(), settimeout() and the getters may be called from any thread at any time.
// A call racing close() never touches freed memory nor another socket's descriptor: close()
// marks the socket closed at once (fileno() is -1, new calls fail with EBADF), and the
// descriptor is closed when the last call in flight returns. As in CPython, close() does not
// shut the connection down: a blocked call returns when data, end of stream or its deadline
// comes, and a call that would retry after that fails with EBADF. Stream reads (read, readline,
// readinto, makefile() reads) are serialised: two at once are safe, one waits for the other.

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <optional>
#include <span>
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
#include "usocket/message.hpp"
#include "usocket/socket_file.hpp"
#include "usocket/timeout.hpp"

namespace usocket {

/// The timeout new sockets start with (blocking unless changed). Thread-safe.
[[nodiscard]] USOCKET_API timeout_type getdefaulttimeout() noexcept;
/// Sets the timeout new sockets (and accepted ones) start with. Negative: value_error.
USOCKET_API void setdefaulttimeout(timeout_type t);
USOCKET_API void setdefaulttimeout(timeout_type t, std::error_code& ec) noexcept;

/// Called when a blocking call is interrupted by a signal (EINTR), and after every partial send
/// of a call that sends in pieces. Return true to give up with EINTR (the Python module runs its
/// signal handlers here and gives up when one raised); false to go on with the time left. The
/// default goes on. Process-wide.
using interrupt_check = bool (*)() noexcept;
USOCKET_API void set_interrupt_check(interrupt_check check) noexcept;

/// The default backlog of listen(): min(somaxconn, 128), as CPython.
[[nodiscard]] USOCKET_API int default_backlog() noexcept;

namespace detail {
class socket_state;
/// Owns a socket's state: closes the socket and lets go of the state when destroyed.
class USOCKET_API socket_handle {
public:
    socket_handle() noexcept = default;
    explicit socket_handle(socket_state* st) noexcept : st_(st) {}
    socket_handle(socket_handle&& o) noexcept : st_(std::exchange(o.st_, nullptr)) {}
    socket_handle& operator=(socket_handle&& o) noexcept {
        if (this != &o) {
            reset();
            st_ = std::exchange(o.st_, nullptr);
        }
        return *this;
    }
    socket_handle(const socket_handle&) = delete;
    socket_handle& operator=(const socket_handle&) = delete;
    ~socket_handle() { reset(); }
    socket_state* get() const noexcept { return st_; }
    /// Closes the socket (errors ignored) and lets go of the state.
    void reset() noexcept;

private:
    socket_state* st_ = nullptr;
};
}  // namespace detail

class socket;

/// What accept() returns: the new connection and the peer's address.
struct accept_result;

class USOCKET_API socket {
public:
    /// A socket object with no descriptor (as after close()).
    socket() noexcept = default;
    /// Opens a socket (close-on-exec; sock_nonblock in `type` makes it non-blocking, otherwise
    /// its mode comes from getdefaulttimeout()). Throws os_error.
    explicit socket(address_family family, socket_type type = sock_stream, protocol proto = protocol{});
    /// The non-throwing form of the constructor.
    [[nodiscard]] static socket open(address_family family, socket_type type, protocol proto,
                                     std::error_code& ec) noexcept;
    [[nodiscard]] static socket open(address_family family, socket_type type, std::error_code& ec) noexcept;
    [[nodiscard]] static socket open(address_family family, std::error_code& ec) noexcept;
    /// Takes ownership of an open descriptor (the module's fileno= argument): family, type
    /// and protocol are read from it (ENOTSOCK when it is not a socket), and its mode is set
    /// from getdefaulttimeout().
    [[nodiscard]] static socket adopt(native_handle fd, std::error_code& ec) noexcept;
    [[nodiscard]] static socket adopt(native_handle fd);
    /// The same keeping the family, type and protocol given (CPython's socket(family, type,
    /// proto, fileno=)); each one not given is read from the descriptor, which must be a
    /// socket (ENOTSOCK) whatever is given. A type given with sock_nonblock makes the socket
    /// non-blocking (timeout 0), as CPython's.
    [[nodiscard]] static socket adopt(native_handle fd, std::optional<address_family> family,
                                      std::optional<socket_type> type, std::optional<protocol> proto,
                                      std::error_code& ec) noexcept;

    socket(socket&&) noexcept = default;
    socket& operator=(socket&&) noexcept = default;
    /// Closes the socket, if open.
    ~socket() = default;

    // --- connections ---------------------------------------------------------------------

    /// Connects to `peer`. With a timeout: non-blocking connect, a wait, then SO_ERROR.
    void connect(const address& peer);
    void connect(const address& peer, std::error_code& ec) noexcept;
    /// Connects to (host, port); a name is resolved for this socket's family first.
    void connect(std::string_view host, int port);
    void connect(std::string_view host, int port, std::error_code& ec) noexcept;
    /// connect() that returns the errno (0 on success) instead of failing; a timeout is
    /// EWOULDBLOCK, as in CPython.
    [[nodiscard]] int connect_ex(const address& peer) noexcept;

    /// Binds to `local`.
    void bind(const address& local);
    void bind(const address& local, std::error_code& ec) noexcept;
    /// Binds to (host, port); "" is every local address, a name is resolved.
    void bind(std::string_view host, int port);
    void bind(std::string_view host, int port, std::error_code& ec) noexcept;
    /// Binds every local address of the socket's family to `port` (seed 002's bind(80)).
    void bind(int port);
    void bind(int port, std::error_code& ec) noexcept;

    /// Listens with default_backlog().
    void listen();
    void listen(std::error_code& ec) noexcept;
    /// Listens; a negative backlog counts as 0.
    void listen(int backlog);
    void listen(int backlog, std::error_code& ec) noexcept;

    /// Accepts a connection. The new socket is close-on-exec and its mode is set explicitly
    /// from getdefaulttimeout(), whatever this socket's mode.
    [[nodiscard]] accept_result accept();
    [[nodiscard]] accept_result accept(std::error_code& ec) noexcept;
    /// The non-throwing form with the peer's address written to `peer` (may be null).
    [[nodiscard]] socket accept(address* peer, std::error_code& ec) noexcept;

    // --- data ----------------------------------------------------------------------------

    /// Sends what the kernel takes now; returns the count (may be short).
    [[nodiscard]] std::size_t send(const_buffer data, msg_flags flags = {});
    [[nodiscard]] std::size_t send(const_buffer data, std::error_code& ec) noexcept;
    [[nodiscard]] std::size_t send(const_buffer data, msg_flags flags, std::error_code& ec) noexcept;
    /// Sends all of `data` under one deadline for the whole call. A signal that interrupts it
    /// runs the interrupt check, which may end it with EINTR.
    void sendall(const_buffer data, msg_flags flags = {});
    /// The non-throwing form; returns how many bytes were sent before any error.
    std::size_t sendall(const_buffer data, std::error_code& ec) noexcept;
    std::size_t sendall(const_buffer data, msg_flags flags, std::error_code& ec) noexcept;
    /// Sends a datagram to `peer`.
    [[nodiscard]] std::size_t sendto(const_buffer data, const address& peer, msg_flags flags = {});
    [[nodiscard]] std::size_t sendto(const_buffer data, const address& peer, std::error_code& ec) noexcept;
    [[nodiscard]] std::size_t sendto(const_buffer data, const address& peer, msg_flags flags,
                                     std::error_code& ec) noexcept;

    /// Receives at most `bufsize` bytes; "" at the end of the stream. recv(0) returns "" at
    /// once without waiting or consuming anything (as CPython).
    [[nodiscard]] std::string recv(std::size_t bufsize, msg_flags flags = {});
    [[nodiscard]] std::string recv(std::size_t bufsize, std::error_code& ec);
    [[nodiscard]] std::string recv(std::size_t bufsize, msg_flags flags, std::error_code& ec);
    /// Receives into `buf` (at most `nbytes` bytes; 0 means all of buf); returns the count. An
    /// empty request returns 0 at once. nbytes > buf.size() is value_error (buffer_too_small).
    [[nodiscard]] std::size_t recv_into(mutable_buffer buf, std::size_t nbytes = 0, msg_flags flags = {});
    [[nodiscard]] std::size_t recv_into(mutable_buffer buf, std::error_code& ec) noexcept;
    [[nodiscard]] std::size_t recv_into(mutable_buffer buf, std::size_t nbytes, std::error_code& ec) noexcept;
    [[nodiscard]] std::size_t recv_into(mutable_buffer buf, std::size_t nbytes, msg_flags flags,
                                        std::error_code& ec) noexcept;
    /// Receives a datagram and its sender. Unlike recv(), a zero size still waits for a
    /// datagram and consumes it (CPython's recvfrom(0), an idiom on UDP).
    [[nodiscard]] std::pair<std::string, address> recvfrom(std::size_t bufsize, msg_flags flags = {});
    [[nodiscard]] std::string recvfrom(std::size_t bufsize, address& from, std::error_code& ec);
    [[nodiscard]] std::string recvfrom(std::size_t bufsize, msg_flags flags, address& from, std::error_code& ec);
    [[nodiscard]] std::pair<std::size_t, address> recvfrom_into(mutable_buffer buf, std::size_t nbytes = 0,
                                                                msg_flags flags = {});
    [[nodiscard]] std::size_t recvfrom_into(mutable_buffer buf, address& from, std::error_code& ec) noexcept;
    [[nodiscard]] std::size_t recvfrom_into(mutable_buffer buf, std::size_t nbytes, msg_flags flags, address& from,
                                            std::error_code& ec) noexcept;

    // --- stream methods (seed 001) ---------------------------------------------------------
    // MicroPython's stream interface (docs/streams.md). Blocking socket: no short reads or
    // writes. Non-blocking: what could be done now, std::nullopt when nothing (Python: None).
    // Timeout: one deadline for the whole call; bytes received before a timeout or an error
    // stay in the read-ahead buffer, which every read (recv included) drains first.
    // Throws os_error, timeout_error, value_error; the error_code forms never throw.

    /// Reads to the end of the stream (non-blocking: what is there now).
    [[nodiscard]] std::optional<std::string> read();
    [[nodiscard]] std::optional<std::string> read(std::error_code& ec);
    /// Reads `size` bytes; fewer only at the end of the stream (or, non-blocking, when no more
    /// is there now).
    [[nodiscard]] std::optional<std::string> read(std::size_t size);
    [[nodiscard]] std::optional<std::string> read(std::size_t size, std::error_code& ec);
    /// Reads into `buf` (`nbytes` of it; 0 means all of buf) with no short reads; returns the
    /// count. nbytes > buf.size() is value_error (buffer_too_small).
    [[nodiscard]] std::optional<std::size_t> readinto(mutable_buffer buf, std::size_t nbytes = 0);
    [[nodiscard]] std::optional<std::size_t> readinto(mutable_buffer buf, std::error_code& ec) noexcept;
    [[nodiscard]] std::optional<std::size_t> readinto(mutable_buffer buf, std::size_t nbytes,
                                                      std::error_code& ec) noexcept;
    /// Reads a line: up to and including '\n', or to the end of the stream, or `limit` bytes.
    /// Reads in chunks; what comes after the line stays buffered. "" at the end of the stream.
    [[nodiscard]] std::optional<std::string> readline(std::size_t limit = no_limit);
    [[nodiscard]] std::optional<std::string> readline(std::error_code& ec);
    [[nodiscard]] std::optional<std::string> readline(std::size_t limit, std::error_code& ec);
    /// Writes all of `data` (non-blocking: what the kernel takes, std::nullopt when nothing).
    /// The error_code form returns the count written before an error (nullopt if none).
    std::optional<std::size_t> write(const_buffer data);
    std::optional<std::size_t> write(const_buffer data, std::error_code& ec) noexcept;
    /// A file object over this socket (CPython's makefile): mode is any mix of 'r', 'w', 'b'
    /// ("rb", "wb", "rwb", "r"...); buffering < 0 is the default size (8192), 0 unbuffered
    /// (binary modes only). The descriptor stays open until the socket and all its files are
    /// closed. Bad mode: value_error (errc::bad_mode, errc::unbuffered_text); closed socket:
    /// os_error(EBADF).
    [[nodiscard]] socket_file makefile(std::string_view mode = "rb", std::ptrdiff_t buffering = -1);
    [[nodiscard]] socket_file makefile(std::string_view mode, std::ptrdiff_t buffering, std::error_code& ec);
    [[nodiscard]] socket_file makefile(std::error_code& ec);
    /// Bytes a read returns without waiting for the system: those in the read-ahead buffer (and
    /// those a transport such as TLS holds decrypted). usocket's select(), poll objects and
    /// selectors count them as readable; a waiter on fileno() alone cannot see them.
    [[nodiscard]] std::size_t pending() const noexcept;

    // --- modes and options ---------------------------------------------------------------

    /// usocket::blocking blocks, zero is non-blocking, a positive duration (of any
    /// std::chrono::duration type; rounded up to nanoseconds so a wait never ends early) is a
    /// timeout. A negative, NaN or unrepresentable duration is value_error and changes nothing.
    void settimeout(timeout_type t);
    void settimeout(timeout_type t, std::error_code& ec) noexcept;
    /// settimeout({}) does not compile: say usocket::blocking (or std::nullopt) to block.
    void settimeout(std::initializer_list<int>) = delete;
    void settimeout(std::initializer_list<int>, std::error_code&) = delete;
    [[nodiscard]] timeout_type gettimeout() const noexcept;
    /// setblocking(true) is settimeout(blocking); setblocking(false) is settimeout(0).
    void setblocking(bool flag);
    void setblocking(bool flag, std::error_code& ec) noexcept;
    /// False when the socket is non-blocking or has a timeout (as CPython).
    [[nodiscard]] bool getblocking() const noexcept;
    /// An absolute deadline (steady clock) that every call of this socket ends by — on top of
    /// the timeout, which still bounds each call — until changed; std::nullopt removes it. A
    /// call that would wait past it fails with timeout_error. For a protocol with a total
    /// budget: set it once, then read and write without clock arithmetic.
    void set_deadline(std::optional<std::chrono::steady_clock::time_point> when);
    void set_deadline(std::optional<std::chrono::steady_clock::time_point> when, std::error_code& ec) noexcept;
    [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> deadline() const noexcept;

    void setsockopt(option_level level, option_name option, int value);
    void setsockopt(option_level level, option_name option, int value, std::error_code& ec) noexcept;
    void setsockopt(option_level level, option_name option, const_buffer value);
    void setsockopt(option_level level, option_name option, const_buffer value, std::error_code& ec) noexcept;
    [[nodiscard]] int getsockopt(option_level level, option_name option);
    [[nodiscard]] int getsockopt(option_level level, option_name option, std::error_code& ec) noexcept;
    /// The option's raw bytes, at most `buflen` (1..1024).
    [[nodiscard]] std::string getsockopt(option_level level, option_name option, std::size_t buflen);
    [[nodiscard]] std::string getsockopt(option_level level, option_name option, std::size_t buflen,
                                         std::error_code& ec);
    /// Whether the descriptor is inherited by programs this process executes (never, unless set).
    [[nodiscard]] bool get_inheritable() const;
    [[nodiscard]] bool get_inheritable(std::error_code& ec) const noexcept;
    void set_inheritable(bool inheritable);
    void set_inheritable(bool inheritable, std::error_code& ec) noexcept;

    // --- lifetime ------------------------------------------------------------------------

    /// Shuts down reading (shut_rd), writing (shut_wr) or both (shut_rdwr).
    void shutdown(shutdown_how how);
    void shutdown(shutdown_how how, std::error_code& ec) noexcept;
    /// Closes the socket (see "Threads" above). A second close() does nothing. ECONNRESET from
    /// the system's close is ignored.
    void close();
    void close(std::error_code& ec) noexcept;
    /// Gives up the descriptor without closing it; the object is left closed. invalid_handle
    /// if none.
    [[nodiscard]] native_handle detach() noexcept;
    /// A new socket on a duplicate descriptor (close-on-exec), same family, type, timeout.
    [[nodiscard]] socket dup() const;
    [[nodiscard]] socket dup(std::error_code& ec) const noexcept;
    /// The descriptor, or invalid_handle once closed.
    [[nodiscard]] native_handle fileno() const noexcept;
    [[nodiscard]] bool is_open() const noexcept;

    [[nodiscard]] address getpeername() const;
    [[nodiscard]] address getpeername(std::error_code& ec) const noexcept;
    [[nodiscard]] address getsockname() const;
    [[nodiscard]] address getsockname(std::error_code& ec) const noexcept;

    /// The family, type (without sock_nonblock / sock_cloexec) and protocol; they stay known
    /// after close() (zero for a socket that never had a descriptor).
    [[nodiscard]] address_family family() const noexcept;
    [[nodiscard]] socket_type type() const noexcept;
    [[nodiscard]] protocol proto() const noexcept;

    /// "<usocket.socket fd=3, family=AF_INET, type=SOCK_STREAM, proto=0, laddr=..., raddr=...>"
    [[nodiscard]] std::string to_string() const;

    // --- messages, files and batches of datagrams (usocket/message.hpp) ----------------------
    // The socket's timeout as for send and recv: one deadline for the whole call, a wait only
    // when the call would block, EINTR to the interrupt check. A socket with a transport (TLS)
    // has none of these (value_error, errc::unsupported), nor has a backend without them.

    /// Sends the bytes of `buffers` in order as one message (scatter/gather) with the ancillary
    /// items `ancillary`, to `to` when it is not empty; returns the bytes sent (may be short on
    /// a stream). CPython's sendmsg(buffers, ancdata, flags, address). Too much ancillary data:
    /// value_error (size_too_large).
    [[nodiscard]] std::size_t sendmsg(std::span<const const_buffer> buffers,
                                      std::span<const control_message> ancillary = {}, msg_flags flags = {},
                                      const address& to = address());
    [[nodiscard]] std::size_t sendmsg(std::span<const const_buffer> buffers,
                                      std::span<const control_message> ancillary, msg_flags flags,
                                      const address& to, std::error_code& ec) noexcept;
    /// Receives one message: at most `bufsize` bytes and `ancbufsize` bytes of ancillary data
    /// (cmsg_space() of what is expected). Descriptors received are close-on-exec and owned by
    /// the result. CPython's recvmsg(bufsize, ancbufsize, flags).
    [[nodiscard]] received_message recvmsg(std::size_t bufsize, std::size_t ancbufsize = 0, msg_flags flags = {});
    [[nodiscard]] received_message recvmsg(std::size_t bufsize, std::size_t ancbufsize, msg_flags flags,
                                           std::error_code& ec);
    /// recvmsg() into `buffers`, filled in order (scatter); the result's size is the count and
    /// its data empty. CPython's recvmsg_into(buffers, ancbufsize, flags).
    [[nodiscard]] received_message recvmsg_into(std::span<const mutable_buffer> buffers, std::size_t ancbufsize = 0,
                                                msg_flags flags = {});
    [[nodiscard]] received_message recvmsg_into(std::span<const mutable_buffer> buffers, std::size_t ancbufsize,
                                                msg_flags flags, std::error_code& ec);

    /// Sends `count` bytes of the open file `file` from `offset` (0: to the end of the file),
    /// on a stream socket in blocking or timeout mode, under one deadline for the whole call;
    /// returns the bytes sent. The kernel's sendfile where it applies (a regular file), reads
    /// and sends otherwise (`how` forces one). The file is read at `offset` whatever its
    /// position, and left positioned after the last byte sent (CPython's file.seek). Not a
    /// stream socket, or non-blocking: value_error (invalid_argument), as CPython's
    /// ValueError. The error_code form returns the bytes sent before an error.
    std::size_t sendfile(native_handle file, std::uint64_t offset = 0, std::size_t count = 0,
                         sendfile_method how = sendfile_method::automatic);
    std::size_t sendfile(native_handle file, std::uint64_t offset, std::size_t count, sendfile_method how,
                         std::error_code& ec) noexcept;

    /// Sends datagrams in as few system calls as the backend allows (sendmmsg; one call per
    /// datagram otherwise); returns how many were sent, from the first: fewer than asked when
    /// the socket would block after some went, and at most the backend's batch (Linux's
    /// UIO_MAXIOV, 1024) per call. Waits, as the timeout says, only for the first. On a stream
    /// socket the messages go one call each, and a message counted went whole: one the kernel
    /// took in part is finished under the call's deadline (when it cannot be, the call fails
    /// with that error and the stream holds part of it, as after a failed sendall).
    [[nodiscard]] std::size_t send_many(std::span<const outgoing_datagram> datagrams, msg_flags flags = {});
    [[nodiscard]] std::size_t send_many(std::span<const outgoing_datagram> datagrams, msg_flags flags,
                                        std::error_code& ec) noexcept;
    /// Receives datagrams in as few system calls as the backend allows (recvmmsg): waits, as
    /// the timeout says, for the first, then takes those already queued, up to
    /// datagrams.size(); returns how many arrived (each one's size, sender and flags set).
    [[nodiscard]] std::size_t recv_many(std::span<incoming_datagram> datagrams, msg_flags flags = {});
    [[nodiscard]] std::size_t recv_many(std::span<incoming_datagram> datagrams, msg_flags flags,
                                        std::error_code& ec) noexcept;

private:
    explicit socket(detail::socket_state* st) noexcept : h_(st) {}
    friend class socket_access;
    detail::socket_state* state() const noexcept { return h_.get(); }

    detail::socket_handle h_;
};

struct accept_result {
    socket sock;
    address addr;
};

USOCKET_API std::ostream& operator<<(std::ostream& os, const socket& s);

/// A connected pair (af_unix by default, as CPython).
[[nodiscard]] USOCKET_API std::pair<socket, socket> socketpair(address_family family, socket_type type, protocol proto,
                                                               std::error_code& ec) noexcept;
[[nodiscard]] USOCKET_API std::pair<socket, socket> socketpair(std::error_code& ec) noexcept;
[[nodiscard]] USOCKET_API std::pair<socket, socket> socketpair(address_family family = af_unix,
                                                               socket_type type = sock_stream,
                                                               protocol proto = protocol{});
/// A socket on a duplicate of `fd` (the original stays open, as CPython's fromfd). ENOTSOCK
/// when `fd` is not a socket.
[[nodiscard]] USOCKET_API socket fromfd(native_handle fd, address_family family, socket_type type, protocol proto,
                                        std::error_code& ec) noexcept;
[[nodiscard]] USOCKET_API socket fromfd(native_handle fd, address_family family, socket_type type,
                                        protocol proto = protocol{});

/// One socket owned by a usocket object in this process (what print_pcbs() lists).
struct socket_info {
    native_handle fd = invalid_handle;
    address_family family{};
    socket_type type{};
    protocol proto{};
    bool listening = false;
    address local;  ///< empty when unbound
    address peer;   ///< empty when not connected
};

/// Every socket currently owned by a usocket object, in descriptor order.
[[nodiscard]] USOCKET_API std::vector<socket_info> open_sockets();
/// Seed 000's print_pcbs() on the POSIX backend: one line per open socket with its state and
/// addresses ("fd=3 family=2 type=1 proto=0 state=LISTEN laddr=127.0.0.1:5005").
USOCKET_API void print_pcbs(std::ostream& os);
/// Seed 000's reset() on the POSIX backend: shuts every open usocket socket down in both
/// directions, so blocked calls return and peers see the end of their connections. The
/// descriptors are not closed under their objects; each object still closes its own.
USOCKET_API void reset() noexcept;

/// Resolves (host, port) to one address of `family` the way CPython does for socket
/// methods: "" is the wildcard, "<broadcast>" the IPv4 broadcast address, numeric literals
/// are parsed without a lookup, other names go through getaddrinfo().
[[nodiscard]] USOCKET_API address resolve_address(std::string_view host, int port, address_family family,
                                                  std::error_code& ec) noexcept;
[[nodiscard]] USOCKET_API address resolve_address(std::string_view host, int port, address_family family);

}  // namespace usocket
