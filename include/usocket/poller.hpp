#pragma once
// Multiplexing: waiting on many descriptors at once.
//
//   usocket::select()    CPython's select.select(): three lists in, the ready subsets out.
//   usocket::poller      MicroPython's uselect.poll object (usocket::poll() makes one):
//                        register_fd / modify / unregister, then poll() or ipoll().
//   usocket::selector    a readiness selector for many sockets (epoll on Linux): tokens, level-
//                        or edge-triggered, wait() fills the caller's array. An event loop is
//                        built on this one.
//
// Timeouts are usocket::timeout_type: usocket::blocking waits without limit, zero polls once, a
// positive duration is the limit of the whole call (one monotonic deadline; a signal (EINTR)
// runs the interrupt check and the wait resumes with the time left). A negative timeout is
// value_error and changes nothing. Every operation has a throwing form and a form that reports
// through std::error_code& and never throws.
//
// Each takes sockets as well as descriptors. Given a socket, it counts the bytes the socket
// already holds (left in its read-ahead buffer by readline() and the other stream methods, or
// decrypted by TLS: socket::pending()) as readable, as MicroPython's poll asks each stream;
// given only a descriptor, it sees what the system sees. A waiter outside usocket (the
// standard library's select, asyncio) has only the descriptor and cannot see those bytes.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "usocket/constants.hpp"
#include "usocket/export.hpp"
#include "usocket/socket.hpp"

namespace usocket {

// --- select() ------------------------------------------------------------------------------

/// What select() and the poll object wait on: a descriptor, or a socket (whose buffered bytes
/// count as readable). Converts from either.
class waitable {
public:
    waitable(native_handle fd) noexcept : fd_(fd) {}                           // NOLINT
    waitable(const socket& s) noexcept : fd_(s.fileno()), sock_(&s) {}         // NOLINT
    [[nodiscard]] native_handle fd() const noexcept { return fd_; }
    [[nodiscard]] const socket* sock() const noexcept { return sock_; }

private:
    native_handle fd_;
    const socket* sock_ = nullptr;
};

/// The ready subsets select() returns: each is the part of the list given that is ready, in
/// the order given, duplicates kept (so a binding maps it back to its own objects by walking
/// both lists side by side).
struct select_result {
    std::vector<native_handle> read;
    std::vector<native_handle> write;
    std::vector<native_handle> except;
};

/// Waits until some descriptor of `rlist` is readable, of `wlist` writable or of `xlist` has
/// an exceptional condition (urgent data), or until `timeout`; returns the ready subsets (all
/// empty on timeout). Readable includes end of stream, a pending connection, an error, and a
/// socket's buffered bytes; writable includes an error. No FD_SETSIZE limit. Throws
/// value_error for a negative timeout or a negative descriptor (a closed socket), os_error
/// (EBADF for a descriptor that is not open, EINTR when the interrupt check gave up, ...).
[[nodiscard]] USOCKET_API select_result select(std::span<const waitable> rlist, std::span<const waitable> wlist,
                                               std::span<const waitable> xlist, timeout_type timeout = blocking);
/// The non-throwing form; on error the result is empty and `ec` is set.
[[nodiscard]] USOCKET_API select_result select(std::span<const waitable> rlist, std::span<const waitable> wlist,
                                               std::span<const waitable> xlist, timeout_type timeout,
                                               std::error_code& ec);
/// Without a timeout: waits until something is ready.
[[nodiscard]] inline select_result select(std::span<const waitable> rlist, std::span<const waitable> wlist,
                                          std::span<const waitable> xlist, std::error_code& ec) {
    return select(rlist, wlist, xlist, blocking, ec);
}
/// The same with braced lists: select({a, b}, {}, {}, 1s).
[[nodiscard]] inline select_result select(std::initializer_list<waitable> rlist, std::initializer_list<waitable> wlist,
                                          std::initializer_list<waitable> xlist, timeout_type timeout = blocking) {
    return select(std::span<const waitable>(rlist.begin(), rlist.size()),
                  std::span<const waitable>(wlist.begin(), wlist.size()),
                  std::span<const waitable>(xlist.begin(), xlist.size()), timeout);
}
[[nodiscard]] inline select_result select(std::initializer_list<waitable> rlist, std::initializer_list<waitable> wlist,
                                          std::initializer_list<waitable> xlist, timeout_type timeout,
                                          std::error_code& ec) {
    return select(std::span<const waitable>(rlist.begin(), rlist.size()),
                  std::span<const waitable>(wlist.begin(), wlist.size()),
                  std::span<const waitable>(xlist.begin(), xlist.size()), timeout, ec);
}
/// The same over descriptors only.
[[nodiscard]] USOCKET_API select_result select(std::span<const native_handle> rlist,
                                               std::span<const native_handle> wlist,
                                               std::span<const native_handle> xlist, timeout_type timeout = blocking);
[[nodiscard]] USOCKET_API select_result select(std::span<const native_handle> rlist,
                                               std::span<const native_handle> wlist,
                                               std::span<const native_handle> xlist, timeout_type timeout,
                                               std::error_code& ec);

// --- the uselect-style poll object -----------------------------------------------------------

/// One ready descriptor reported by poller::poll(): the descriptor and its events (pollin,
/// pollout, pollerr, pollhup, pollpri, pollnval, pollrdhup — the backend's values).
struct poll_event {
    native_handle fd;
    int revents;

    friend bool operator==(const poll_event&, const poll_event&) = default;
};

/// ipoll() flag: an event disarms its descriptor (as modify(fd, 0)) until modify() re-arms it.
inline constexpr int ipoll_oneshot = 1;

namespace detail {
/// One registered descriptor: a handle and two 16-bit event masks (the layout of POSIX's pollfd
/// and of Winsock's WSAPOLLFD alike, so a backend can hand an array of them to the system).
struct poll_slot {
    native_handle fd;
    short events;
    short revents;
};
class selector_core;
}  // namespace detail

/// The poll object of MicroPython's uselect (and CPython's select.poll): a set of descriptors
/// with an event mask each. Not thread-safe (one thread at a time, as any container).
class USOCKET_API poller {
public:
    /// An empty set.
    poller() noexcept;
    poller(poller&&) noexcept;
    poller& operator=(poller&&) noexcept;
    poller(const poller&) = delete;
    poller& operator=(const poller&) = delete;
    ~poller();

    /// Adds `fd` with `eventmask` (pollin | pollout when none is given); a descriptor
    /// registered already gets the new mask. pollerr, pollhup and pollnval are always
    /// reported. Throws value_error for a negative fd (a closed socket) or a mask that does not
    /// fit the backend's 16-bit event field. A socket registered as a socket (not by its
    /// fileno()) is reported pollin while it holds buffered bytes.
    void register_fd(native_handle fd);
    void register_fd(native_handle fd, int eventmask);
    void register_fd(native_handle fd, int eventmask, std::error_code& ec);
    void register_fd(const socket& s);
    void register_fd(const socket& s, int eventmask);
    void register_fd(const socket& s, int eventmask, std::error_code& ec);

    /// Changes the mask of a registered descriptor. Not registered: os_error ENOENT (as
    /// CPython's poll.modify). Bad fd or mask: value_error.
    void modify(native_handle fd, int eventmask);
    void modify(native_handle fd, int eventmask, std::error_code& ec) noexcept;
    void modify(const socket& s, int eventmask);
    void modify(const socket& s, int eventmask, std::error_code& ec) noexcept;

    /// Removes a descriptor. Not registered: os_error ENOENT, and nothing changes (CPython
    /// raises KeyError here; the Python binding maps ENOENT from unregister to KeyError). A
    /// socket closed while registered (reported pollnval) is removed by giving the socket.
    void unregister(native_handle fd);
    void unregister(native_handle fd, std::error_code& ec) noexcept;
    void unregister(const socket& s);
    void unregister(const socket& s, std::error_code& ec) noexcept;

    /// Waits for events (std::nullopt: no limit) and returns the ready descriptors with their
    /// events, in registration order (a descriptor not open is reported with pollnval).
    /// Empty on timeout. Throws value_error for a negative timeout, os_error (EINTR when the
    /// interrupt check gave up).
    [[nodiscard]] std::vector<poll_event> poll(timeout_type timeout = blocking);
    [[nodiscard]] std::vector<poll_event> poll(timeout_type timeout, std::error_code& ec);
    [[nodiscard]] std::vector<poll_event> poll(std::error_code& ec) { return poll(blocking, ec); }

    /// MicroPython's ipoll(): as poll(), but returns a view of an internal array that stays
    /// valid until the next poll()/ipoll() (registering or unregistering meanwhile is fine)
    /// and is reused then: no allocation once the array has grown to the set's size.
    /// `flags` may be ipoll_oneshot.
    [[nodiscard]] std::span<const poll_event> ipoll(timeout_type timeout = blocking, int flags = 0);
    [[nodiscard]] std::span<const poll_event> ipoll(timeout_type timeout, int flags, std::error_code& ec);
    [[nodiscard]] std::span<const poll_event> ipoll(std::error_code& ec) { return ipoll(blocking, 0, ec); }

    /// Number of registered descriptors.
    [[nodiscard]] std::size_t size() const noexcept { return slots_.size(); }
    /// True if `fd` is registered.
    [[nodiscard]] bool contains(native_handle fd) const noexcept { return index_.count(fd) != 0; }
    /// The mask `fd` is registered with, or -1 if it is not.
    [[nodiscard]] int eventmask(native_handle fd) const noexcept;

private:
    void add(native_handle fd, int eventmask, detail::socket_state* st, std::error_code& ec);

    std::vector<detail::poll_slot> slots_;
    std::vector<detail::state_hold> socks_;  ///< parallel to slots_: the socket, if one was registered
    std::unordered_map<native_handle, std::size_t> index_;
    std::vector<poll_event> ready_;
};

/// A new, empty poll object (MicroPython's select.poll()).
[[nodiscard]] USOCKET_API poller poll();

// --- the selector for many sockets ------------------------------------------------------------

/// One event delivered by selector::wait(): the token given at registration and the events
/// (selector::readable, writable, priority, read_hangup, error, hangup).
struct selector_event {
    std::uint64_t token;
    std::uint32_t events;
};

/// A readiness selector for many descriptors: the kernel's own (epoll on Linux), or, on a
/// backend without one (lwIP), a portable one over poll(). For a descriptor the selector keeps
/// no state of its own: memory per connection is the kernel's only, and wait() fills the
/// caller's array without allocating. A socket added as a socket is also reported readable
/// while it holds buffered bytes (see above); the selector keeps a hold on its state.
///
/// Thread-safety: add/modify/remove may run while another thread waits. Bytes a read on
/// another thread leaves buffered are seen by the next wait(). A descriptor should be removed
/// before it is closed (epoll forgets it by itself only when every duplicate of it is closed).
class USOCKET_API selector {
public:
    // Interest and event bits (portable; the backend maps them to its own).
    static constexpr std::uint32_t readable = 1u << 0;     ///< data, end of stream, a pending accept
    static constexpr std::uint32_t writable = 1u << 1;     ///< room to send, or a connect finished
    static constexpr std::uint32_t priority = 1u << 2;     ///< urgent (out-of-band) data
    static constexpr std::uint32_t read_hangup = 1u << 3;  ///< the peer shut down its writing side
    static constexpr std::uint32_t error = 1u << 4;        ///< an error is pending (always reported)
    static constexpr std::uint32_t hangup = 1u << 5;       ///< both directions closed (always reported)
    // Registration options (interest only, never reported).
    static constexpr std::uint32_t edge_triggered = 1u << 8;  ///< report changes, not state
    static constexpr std::uint32_t oneshot = 1u << 9;  ///< disarm after one event; modify() re-arms

    /// Opens a selector (close-on-exec). Throws os_error (EMFILE...).
    selector();
    /// The non-throwing form; on error the selector is closed and `ec` is set.
    [[nodiscard]] static selector open(std::error_code& ec) noexcept;
    selector(selector&& other) noexcept;
    selector& operator=(selector&& other) noexcept;
    selector(const selector&) = delete;
    selector& operator=(const selector&) = delete;
    /// Closes the selector's descriptor.
    ~selector();

    /// Watches `fd` for `interest` (readable | writable | priority | read_hangup, optionally
    /// | edge_triggered | oneshot); wait() reports it with `token`. Throws value_error for a
    /// negative fd or unknown bits, os_error EEXIST if already added, EBADF, EPERM (a regular
    /// file), ENOSPC (the kernel's per-user limit). A descriptor that a usocket socket owns is
    /// added as that socket (as below: its buffered bytes count), found by its number.
    void add(native_handle fd, std::uint32_t interest, std::uint64_t token);
    void add(native_handle fd, std::uint32_t interest, std::uint64_t token, std::error_code& ec) noexcept;
    /// The same for a socket, whose buffered bytes count as readable. A socket's buffered bytes
    /// are reported by one selector: the last it was added to (another still sees the system's
    /// events for its descriptor).
    void add(const socket& s, std::uint32_t interest, std::uint64_t token);
    void add(const socket& s, std::uint32_t interest, std::uint64_t token, std::error_code& ec) noexcept;
    /// Replaces the interest and token of a watched descriptor (re-arms a oneshot one).
    /// Throws os_error ENOENT if `fd` is not watched, value_error as add().
    void modify(native_handle fd, std::uint32_t interest, std::uint64_t token);
    void modify(native_handle fd, std::uint32_t interest, std::uint64_t token, std::error_code& ec) noexcept;
    void modify(const socket& s, std::uint32_t interest, std::uint64_t token);
    void modify(const socket& s, std::uint32_t interest, std::uint64_t token, std::error_code& ec) noexcept;
    /// Stops watching `fd`. Throws os_error ENOENT if it is not watched; nothing changes. A
    /// socket closed while registered can still be removed as a socket (the kernel forgot it
    /// with its descriptor; its registration goes); modify() of one is EBADF.
    void remove(native_handle fd);
    void remove(native_handle fd, std::error_code& ec) noexcept;
    void remove(const socket& s);
    void remove(const socket& s, std::error_code& ec) noexcept;

    /// Waits until at least one watched descriptor is ready or `timeout` passes, then fills
    /// `out` with up to out.size() events and returns their count (0 on timeout). Throws
    /// value_error for an empty `out` or a negative timeout, os_error (EBADF once closed,
    /// EINTR when the interrupt check gave up).
    [[nodiscard]] std::size_t wait(std::span<selector_event> out, timeout_type timeout = blocking);
    [[nodiscard]] std::size_t wait(std::span<selector_event> out, timeout_type timeout, std::error_code& ec) noexcept;
    [[nodiscard]] std::size_t wait(std::span<selector_event> out, std::error_code& ec) noexcept {
        return wait(out, blocking, ec);
    }

    /// Closes the selector (a second close does nothing). Calls after it fail with EBADF. A
    /// call in progress on another thread finishes safely: a wait() goes on until its events
    /// or its deadline (close() does not wake it), and the kernel selector's descriptor is
    /// closed when the last such call returns. Destroying the selector while another thread
    /// is inside one of its calls is an error (as for any object).
    void close();
    void close(std::error_code& ec) noexcept;
    /// The selector's own descriptor (readable when an event is pending, so a selector can be
    /// watched by another), or invalid_handle once closed or when the selector is the portable
    /// one (which has no descriptor).
    [[nodiscard]] native_handle fileno() const noexcept;
    [[nodiscard]] bool is_open() const noexcept;

private:
    explicit selector(detail::selector_core* core) noexcept : core_(core) {}
    detail::selector_core* core_ = nullptr;
};

}  // namespace usocket
