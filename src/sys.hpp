#pragma once
// The backend seam: every system call the library makes goes through these functions, and
// only through them. They never throw; a failure returns -1 (or false) and sets `ec` from the
// platform's error number. One implementation is compiled per platform (src/posix/ now,
// src/lwip/ next); the portable code in src/ calls nothing else.
//
// Conventions: flags and constants are the backend's own values; buffers are raw
// pointer + size; `ssize` results are byte counts. Every descriptor made here is
// close-on-exec, and send functions never raise SIGPIPE.

#include <cstddef>
#include <cstdint>
#include <system_error>

#include <vector>

namespace usocket {
class address;
struct addrinfo;
}

namespace usocket::sys {

using ssize = std::ptrdiff_t;

/// What wait() waits for.
enum class wait_for : std::uint8_t { read, write };

/// socket(2) with close-on-exec (and non-blocking when `non_blocking`).
int open_socket(int family, int type, int proto, bool non_blocking, std::error_code& ec) noexcept;
/// socketpair(2), both close-on-exec (and non-blocking when asked).
bool open_pair(int family, int type, int proto, bool non_blocking, int fds[2], std::error_code& ec) noexcept;
/// close(2); EINTR counts as closed (Linux releases the descriptor before EINTR).
bool close(int fd, std::error_code& ec) noexcept;
/// dup with close-on-exec.
int dup(int fd, std::error_code& ec) noexcept;
/// Sets or clears O_NONBLOCK.
bool set_non_blocking(int fd, bool on, std::error_code& ec) noexcept;
/// Reads the descriptor's family, type and protocol (SO_DOMAIN/SO_TYPE/SO_PROTOCOL).
bool describe(int fd, int& family, int& type, int& proto, std::error_code& ec) noexcept;
/// True if O_NONBLOCK is set (for tests and adoption).
bool is_non_blocking(int fd, std::error_code& ec) noexcept;

bool connect(int fd, const address& peer, std::error_code& ec) noexcept;
bool bind(int fd, const address& local, std::error_code& ec) noexcept;
bool listen(int fd, int backlog, std::error_code& ec) noexcept;
/// accept4(2): close-on-exec, and non-blocking when `non_blocking`. `peer` may be null.
int accept(int fd, address* peer, bool non_blocking, std::error_code& ec) noexcept;
bool shutdown(int fd, int how, std::error_code& ec) noexcept;

/// send(2) with MSG_NOSIGNAL added.
ssize send(int fd, const void* data, std::size_t size, int flags, std::error_code& ec) noexcept;
ssize sendto(int fd, const void* data, std::size_t size, int flags, const address& peer,
             std::error_code& ec) noexcept;
ssize recv(int fd, void* data, std::size_t size, int flags, std::error_code& ec) noexcept;
/// recvfrom(2); `from` (may be null) receives the sender.
ssize recvfrom(int fd, void* data, std::size_t size, int flags, address* from, std::error_code& ec) noexcept;

bool getsockopt(int fd, int level, int option, void* value, std::size_t& size, std::error_code& ec) noexcept;
bool setsockopt(int fd, int level, int option, const void* value, std::size_t size, std::error_code& ec) noexcept;
bool getsockname(int fd, address& out, std::error_code& ec) noexcept;
bool getpeername(int fd, address& out, std::error_code& ec) noexcept;

/// Waits until `fd` is ready for `what`, at most `timeout_ns` (negative: no limit).
/// Returns 1 when ready, 0 on timeout, -1 on error (EINTR included, for the caller to retry).
int wait(int fd, wait_for what, std::int64_t timeout_ns, std::error_code& ec) noexcept;

/// getaddrinfo(3). `host`/`service` may be null. A resolver failure sets `ec` in
/// gai_category() (negative EAI code); EAI_SYSTEM sets the errno instead.
bool getaddrinfo(const char* host, const char* service, int family, int type, int proto, int flags,
                 std::vector<addrinfo>& out, std::error_code& ec);

/// The monotonic clock, in nanoseconds.
std::int64_t monotonic_ns() noexcept;

/// Error numbers the portable code must recognise, with the backend's values.
extern const int err_intr, err_again, err_wouldblock, err_inprogress, err_timedout,
    err_badf, err_connreset, err_inval, err_afnosupport, err_notconn;

}  // namespace usocket::sys

// --- multiplexing: select(), the poll object, the selector (src/posix/poll.cpp) ------------

namespace usocket {
struct selector_event;
namespace detail {
struct poll_slot;
}
}  // namespace usocket

namespace usocket::sys {

/// ppoll(2) on `n` slots (laid out as pollfd), at most `timeout_ns` (negative: no limit).
/// Returns the number of slots with revents set, 0 on timeout, -1 on error (EINTR included).
int poll(detail::poll_slot* slots, std::size_t n, std::int64_t timeout_ns, std::error_code& ec) noexcept;

/// What selector_control() does.
enum class selector_op : std::uint8_t { add, modify, remove };

/// A new selector descriptor (epoll_create1(EPOLL_CLOEXEC)).
int selector_open(std::error_code& ec) noexcept;
/// epoll_ctl(2); `interest` is in usocket::selector's portable bits.
bool selector_control(int sfd, selector_op op, int fd, std::uint32_t interest, std::uint64_t token,
                      std::error_code& ec) noexcept;
/// epoll_wait(2) into `out` (events in usocket::selector's portable bits), at most `timeout_ns`
/// (negative: no limit). Returns the count, 0 on timeout, -1 on error (EINTR included).
int selector_wait(int sfd, selector_event* out, std::size_t max, std::int64_t timeout_ns,
                  std::error_code& ec) noexcept;

/// ENOENT: a descriptor that is not registered.
extern const int err_noent;

}  // namespace usocket::sys

// --- names and addresses (src/resolver.cpp; src/posix/resolve.cpp, resolve_timed.cpp) -----

#include <string>

namespace usocket {
struct host_entry;
}

namespace usocket::sys {

/// The addresses of `host` (port 0) and its canonical name, from the hosts file or DNS,
/// given up after `timeout_ns` (>= 0; 0 answers only what needs no waiting) with ETIMEDOUT.
/// `give_up` is asked after a signal interrupts the wait (true: stop with EINTR). Errors are
/// gai_category() codes like getaddrinfo()'s.
bool resolve_host_within(const char* host, int family, int flags, std::int64_t timeout_ns, bool (*give_up)() noexcept,
                         std::vector<address>& out, std::string& canonname, std::error_code& ec);
/// Tests: read the DNS configuration from this resolv.conf and ask its servers on this UDP/TCP
/// port (null and 0: the system's). False when the timed resolver has no such setting.
bool set_resolver_config_for_tests(const char* resolv_conf_path, int dns_port);

/// getnameinfo(3) for an IP address.
bool getnameinfo(const address& a, int flags, std::string& host, std::string& service, std::error_code& ec);
/// gethostbyname_r(3) (IPv4) and gethostbyaddr_r(3); errors in herror_category().
bool gethostbyname(const char* name, host_entry& out, std::error_code& ec);
bool gethostbyaddr(const address& a, host_entry& out, std::error_code& ec);
/// gethostname(2).
bool gethostname(std::string& out, std::error_code& ec);
/// getservbyname_r / getservbyport_r / getprotobyname_r; `proto` may be null. False when
/// not found (ec untouched) or on error (ec set).
bool getservbyname(const char* name, const char* proto, int& port, std::error_code& ec);
bool getservbyport(int port, const char* proto, std::string& name, std::error_code& ec);
bool getprotobyname(const char* name, int& proto, std::error_code& ec);
/// inet_pton(3) into `out` (4 or 16 bytes, `size` set); false for bad text, ec set for a bad family.
bool inet_pton(int family, const char* text, unsigned char* out, std::size_t& size, std::error_code& ec) noexcept;
/// inet_ntop(3) of 4 (af_inet) or 16 (af_inet6) bytes.
bool inet_ntop(int family, const unsigned char* bytes, std::string& out, std::error_code& ec);
/// inet_aton(3): the classic forms ("127.1", "0x7f.1"); false for bad text.
bool inet_aton(const char* text, unsigned char out[4]) noexcept;
/// True when the backend has IPv6.
bool has_ipv6() noexcept;

}  // namespace usocket::sys
