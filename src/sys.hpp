#pragma once
// The backend seam: every call the library makes to the system (or to lwIP) goes through these
// functions, and only through them. They never throw; a failure returns -1 (or false) and sets
// `ec` from the backend's own error number, in the backend's error category (category()).
//
// A backend is one folder (src/posix/, with src/linux/ for what only Linux has; src/lwip/) whose
// backend.cmake lists its own sources and whose backend.hpp gives the compile-time parts (error
// numbers, the mutex type). Every capability a backend may lack has a seam function with a
// portable fallback behind it: non-blocking and close-on-exec creation (socket flags or fcntl),
// accept4 (or accept + fcntl), the descriptor's identity (SO_DOMAIN or getsockname), a kernel
// selector (epoll, or the portable one over poll(): src/selector.cpp).
//
// Conventions: descriptors are native_handle; constants are the backend's values; buffers are
// raw pointer + size; `ssize` results are byte counts. Every descriptor made here is
// close-on-exec, and send functions never raise SIGPIPE.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <system_error>
#include <vector>

#include "backend.hpp"  // the chosen backend's error numbers and mutex (src/<backend>/)
#include "usocket/constants.hpp"

namespace usocket {
class address;
struct addrinfo;
struct host_entry;
struct selector_event;
namespace detail {
struct poll_slot;
}
}  // namespace usocket

namespace usocket::sys {

using handle = native_handle;
using ssize = std::ptrdiff_t;

// --- errors ----------------------------------------------------------------------------------

/// The backend's error category: its error numbers, their messages, and their equivalence to
/// std::errc (so that ec == std::errc::timed_out holds whatever the backend numbers it).
const std::error_category& category() noexcept;
/// An error code of the backend.
inline std::error_code make_error(int e) noexcept { return {e, category()}; }

// --- sockets ---------------------------------------------------------------------------------

/// socket(2): close-on-exec, and non-blocking when `non_blocking`.
handle open_socket(address_family family, socket_type type, protocol proto, bool non_blocking,
                   std::error_code& ec) noexcept;
/// socketpair(2), both close-on-exec (and non-blocking when asked).
bool open_pair(address_family family, socket_type type, protocol proto, bool non_blocking, handle fds[2],
               std::error_code& ec) noexcept;
/// close(2); EINTR counts as closed (Linux releases the descriptor before EINTR).
bool close(handle fd, std::error_code& ec) noexcept;
/// A duplicate (close-on-exec).
handle dup(handle fd, std::error_code& ec) noexcept;
/// Sets or clears non-blocking mode.
bool set_non_blocking(handle fd, bool on, std::error_code& ec) noexcept;
/// Reads a descriptor's family, type and protocol; ENOTSOCK when it is not a socket.
bool describe(handle fd, address_family& family, socket_type& type, protocol& proto, std::error_code& ec) noexcept;
/// Whether the descriptor is inherited by programs this process executes.
bool get_inheritable(handle fd, bool& inheritable, std::error_code& ec) noexcept;
bool set_inheritable(handle fd, bool inheritable, std::error_code& ec) noexcept;

bool connect(handle fd, const address& peer, std::error_code& ec) noexcept;
bool bind(handle fd, const address& local, std::error_code& ec) noexcept;
bool listen(handle fd, int backlog, std::error_code& ec) noexcept;
/// accept(2): the new descriptor is close-on-exec, and non-blocking when `non_blocking`,
/// whatever the listener's mode. `peer` may be null.
handle accept(handle fd, address* peer, bool non_blocking, std::error_code& ec) noexcept;
bool shutdown(handle fd, shutdown_how how, std::error_code& ec) noexcept;

// send(2) and recv(2), the hot calls, are inline in the backend's sys_io.hpp (included at
// the end of this file): send(fd, data, size, flags, ec) never raises SIGPIPE, and each has a
// form that reports the error number as an int, so that success builds no std::error_code.
ssize sendto(handle fd, const void* data, std::size_t size, msg_flags flags, const address& peer,
             std::error_code& ec) noexcept;
/// recvfrom(2); `from` (may be null) receives the sender.
ssize recvfrom(handle fd, void* data, std::size_t size, msg_flags flags, address* from, std::error_code& ec) noexcept;

bool getsockopt(handle fd, option_level level, option_name option, void* value, std::size_t& size,
                std::error_code& ec) noexcept;
bool setsockopt(handle fd, option_level level, option_name option, const void* value, std::size_t size,
                std::error_code& ec) noexcept;
bool getsockname(handle fd, address& out, std::error_code& ec) noexcept;
bool getpeername(handle fd, address& out, std::error_code& ec) noexcept;

// --- waiting ---------------------------------------------------------------------------------

/// What wait() waits for.
enum class wait_for : std::uint8_t { read, write };

/// Waits until `fd` is ready for `what`, at most `timeout_ns` (negative: no limit).
/// Returns 1 when ready, 0 on timeout, -1 on error (EINTR included, for the caller to retry).
int wait(handle fd, wait_for what, std::int64_t timeout_ns, std::error_code& ec) noexcept;

/// poll(2) on `n` slots, at most `timeout_ns` (negative: no limit). Returns the number of slots
/// with revents set, 0 on timeout, -1 on error (EINTR included).
int poll(detail::poll_slot* slots, std::size_t n, std::int64_t timeout_ns, std::error_code& ec) noexcept;

/// What selector_control() does.
enum class selector_op : std::uint8_t { add, modify, remove };

/// A kernel selector (epoll), or invalid_handle with ENOSYS when the backend has none: the
/// portable selector over poll() is used then (src/selector.cpp).
handle selector_open(std::error_code& ec) noexcept;
/// Adds, changes or removes `fd`; `interest` is in usocket::selector's portable bits.
bool selector_control(handle sfd, selector_op op, handle fd, std::uint32_t interest, std::uint64_t token,
                      std::error_code& ec) noexcept;
/// Waits into `out` (events in usocket::selector's portable bits), at most `timeout_ns`
/// (negative: no limit). Returns the count, 0 on timeout, -1 on error (EINTR included).
int selector_wait(handle sfd, selector_event* out, std::size_t max, std::int64_t timeout_ns,
                  std::error_code& ec) noexcept;

/// The monotonic clock, in nanoseconds.
std::int64_t monotonic_ns() noexcept;

// --- the network stack (seed 000's print_pcbs() and reset(), src/socket.cpp) -----------------

/// Writes the network stack's own list of its connections to `os` (lwIP: every protocol
/// control block with its state, addresses and queued bytes). False when the backend has no
/// stack of its own to show (POSIX: the kernel's connections are not the library's);
/// print_pcbs() lists the library's open sockets then.
bool print_stack(std::ostream& os);
/// Resets the network stack where the library runs on one of its own (lwIP: aborts every
/// connection, a reset to each peer, and takes the network interfaces down and up); nothing
/// on POSIX. reset() then shuts down every socket the library owns.
void reset_stack() noexcept;

// --- names and addresses (src/resolver.cpp over src/<backend>/resolve.cpp) ------------------

/// getaddrinfo(3). `host`/`service` may be null. A resolver failure sets `ec` in
/// gai_category() (negative EAI code); EAI_SYSTEM sets the backend's errno instead.
bool getaddrinfo(const char* host, const char* service, address_family family, socket_type type, protocol proto,
                 addrinfo_flags flags, std::vector<addrinfo>& out, std::error_code& ec);
/// getnameinfo(3) for an IP address.
bool getnameinfo(const address& a, nameinfo_flags flags, std::string& host, std::string& service,
                 std::error_code& ec);
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
bool inet_pton(address_family family, const char* text, unsigned char* out, std::size_t& size,
               std::error_code& ec) noexcept;
/// inet_ntop(3) of 4 (af_inet) or 16 (af_inet6) bytes.
bool inet_ntop(address_family family, const unsigned char* bytes, std::string& out, std::error_code& ec);
/// inet_aton(3): the classic forms ("127.1", "0x7f.1"); false for bad text.
bool inet_aton(const char* text, unsigned char out[4]) noexcept;
/// True when the backend has IPv6.
bool has_ipv6() noexcept;

/// A host lookup that can be bounded in time: started, then driven by the caller's wait loop
/// (the blocking core's, src/sock_call.hpp) until done() — so one loop owns every deadline and
/// every EINTR. Backed by c-ares where it is there, by a helper thread otherwise.
class host_lookup {
public:
    /// Starts looking up `host` (port 0) for `family`; `flags` as getaddrinfo's.
    host_lookup(const char* host, address_family family, addrinfo_flags flags) noexcept;
    ~host_lookup();
    host_lookup(const host_lookup&) = delete;
    host_lookup& operator=(const host_lookup&) = delete;

    /// True once the lookup has an answer (or failed).
    bool done() const noexcept;
    /// Fills `slots` (up to `max`) with what to wait for now and returns their count; `wait_ns`
    /// is capped at the longest the lookup may wait before it needs step() again (its retry
    /// timer). A count of 0 with wait_ns >= 0 means "just wait, then step()".
    std::size_t wait_slots(detail::poll_slot* slots, std::size_t max, std::int64_t& wait_ns) noexcept;
    /// Lets the lookup work after a wait (`slots` as poll() returned them, or none after a
    /// timeout).
    void step(const detail::poll_slot* slots, std::size_t n) noexcept;
    /// The result once done(): the addresses and the canonical name, or false with `ec` (in
    /// gai_category()).
    bool result(std::vector<address>& out, std::string& canonname, std::error_code& ec);

    /// The most descriptors a lookup waits on at once.
    static constexpr std::size_t max_slots = 16;

private:
    struct impl;
    impl* impl_;
};

// === messages, batches, files, interfaces and the host name =====================================
// (src/posix/msg.cpp, src/posix/files.cpp, src/posix/interfaces.cpp.) Each may be missing from a
// backend: it then fails with ENOSYS (err_nosys), and the portable layer falls back or reports
// errc::unsupported, as each says. On lwIP: sendmsg/recvmsg carry what lwIP's recvmsg gives
// (IP_PKTINFO), ancillary data to send is EOPNOTSUPP; send_batch/recv_batch ENOSYS (one call
// per datagram then); sendfile through the kernel is errc::unsupported, and a board's file
// calls and sethostname EOPNOTSUPP; the interface functions give lwIP's netif list.

}  // namespace usocket::sys
namespace usocket {
class const_buffer;
class mutable_buffer;
struct control_message;
struct received_message;
struct outgoing_datagram;
struct incoming_datagram;
struct interface_name;
}  // namespace usocket
namespace usocket::sys {

/// CMSG_LEN(n) into `out`; false with errc::size_too_large beyond what an item's length field
/// holds (socklen_t), or ENOSYS.
bool cmsg_len(std::size_t n, std::size_t& out, std::error_code& ec) noexcept;
/// CMSG_SPACE(n) into `out`, as cmsg_len().
bool cmsg_space(std::size_t n, std::size_t& out, std::error_code& ec) noexcept;
/// Lays `items` out in `out` as a control buffer of exactly `out_size` bytes (the sum of
/// cmsg_space() of their data sizes), aligned as the backend's headers want (max_align_t).
bool encode_control(const control_message* items, std::size_t count, void* out, std::size_t out_size,
                    std::error_code& ec) noexcept;
/// Reads `size` bytes of a received control buffer into `out.ancillary` (each item cut to what
/// arrived; out.truncated_item when one was) and the descriptors of its SCM_RIGHTS items into
/// `out.fds`, close-on-exec. Descriptors are owned by `out` before anything else can fail.
void decode_control(const void* control, std::size_t size, received_message& out);
/// sendmsg(2) of `count` buffers and a control buffer (null, 0 for none), to `to` (null: the
/// connected peer). Never raises SIGPIPE.
ssize sendmsg(handle fd, const const_buffer* buffers, std::size_t count, const void* control,
              std::size_t control_size, msg_flags flags, const address* to, std::error_code& ec) noexcept;
/// recvmsg(2) into `count` buffers, received descriptors close-on-exec. `control_size`: in, the
/// control buffer's size; out, the bytes it holds. `out_flags`: the message's flags. `from`
/// (may be null) gets the sender.
ssize recvmsg(handle fd, const mutable_buffer* buffers, std::size_t count, void* control, std::size_t& control_size,
              msg_flags flags, msg_flags& out_flags, address* from, std::error_code& ec) noexcept;
/// sendmmsg(2): sends up to `count` datagrams in one call; returns how many went. ENOSYS where
/// the system has no such call (the portable layer sends one at a time).
int send_batch(handle fd, const outgoing_datagram* datagrams, std::size_t count, msg_flags flags,
               std::error_code& ec) noexcept;
/// recvmmsg(2) with MSG_WAITFORONE: waits as the descriptor's mode says for the first datagram,
/// then takes what is queued, up to `count`. ENOSYS as send_batch().
int recv_batch(handle fd, incoming_datagram* datagrams, std::size_t count, msg_flags flags,
               std::error_code& ec) noexcept;

/// fstat(2) of a file: whether it is a regular file, and its size.
bool file_info(handle file, bool& regular, std::uint64_t& size, std::error_code& ec) noexcept;
/// sendfile(2): up to `count` bytes of `file` from `offset` to the stream socket `sock`; 0 at
/// the end of the file. ENOSYS where the kernel has none (the portable layer reads and sends).
ssize sendfile(handle sock, handle file, std::uint64_t offset, std::size_t count, std::error_code& ec) noexcept;
/// Reads up to `size` bytes of `file`: at `offset` (pread) when `positional`, else from its
/// position (read, for pipes). EINTR is the caller's.
ssize read_file(handle file, void* data, std::size_t size, std::uint64_t offset, bool positional,
                std::error_code& ec) noexcept;
/// Sets the position of `file` (lseek, SEEK_SET).
bool seek_file(handle file, std::uint64_t offset, std::error_code& ec) noexcept;

/// if_nameindex(3): every interface's index and name.
bool if_nameindex(std::vector<usocket::interface_name>& out, std::error_code& ec);
/// if_nametoindex(3) of the `size` bytes at `name` (no NUL among them); an unknown or too long name is ENODEV.
bool if_nametoindex(const char* name, std::size_t size, std::uint32_t& index, std::error_code& ec) noexcept;
/// if_indextoname(3); an unknown index is ENXIO.
bool if_indextoname(std::uint32_t index, std::string& name, std::error_code& ec);
/// sethostname(2) (EPERM without the privilege, EINVAL when too long).
bool sethostname(const char* name, std::size_t size, std::error_code& ec) noexcept;

}  // namespace usocket::sys

#ifdef USOCKET_TESTING
namespace usocket::testing {
/// Tests: the timed resolver reads the DNS configuration from this resolv.conf and asks its
/// servers on this UDP/TCP port (null and 0: the system's). False when it has no such setting.
USOCKET_API bool set_resolver_config(const char* resolv_conf_path, int dns_port);
}  // namespace usocket::testing
#endif

#include "sys_io.hpp"  // the backend's inline send and recv (src/<backend>/)
