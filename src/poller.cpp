// Multiplexing: select() and the uselect-style poll object. Argument checks, then the wait
// through the backend seam (sys::poll) in the blocking core's one loop (wait_loop). A socket
// given as a socket is readable while it holds buffered bytes (socket::pending()). The selector
// is in src/selector.cpp. No OS header here.

#include "usocket/poller.hpp"

#include <algorithm>
#include <utility>

#include "deadline.hpp"
#include "or_throw.hpp"
#include "sock_call.hpp"
#include "socket_access.hpp"
#include "socket_state.hpp"
#include "sys.hpp"
#include "transport.hpp"

namespace usocket {

namespace detail {
/// Bytes a read of `st` returns without waiting for the system.
std::size_t ready_bytes(const socket_state* st) noexcept {
    if (st == nullptr || st->closed()) return 0;
    std::size_t n = st->buffered.load(std::memory_order_acquire);
    if (st->tr != nullptr) n += st->tr->pending();
    return n;
}
}  // namespace detail

namespace {

// A registration needs a descriptor (a closed socket's invalid_handle is not one, as CPython
// says) and a mask that fits the backend's 16-bit event field.
bool valid_registration(native_handle fd, int mask, std::error_code& ec) noexcept {
    if (fd != invalid_handle && fd >= 0 && mask >= 0 && mask <= 0xFFFF) return true;
    ec = errc::invalid_argument;
    return false;
}

// The sockets a wait looks at, held in flight for its whole duration (so that a close() from
// another thread cannot give their numbers to other sockets meanwhile).
class held_sockets {
public:
    held_sockets() = default;
    held_sockets(const held_sockets&) = delete;
    held_sockets& operator=(const held_sockets&) = delete;
    ~held_sockets() {
        for (detail::socket_state* st : held_) st->leave();
    }
    /// False when the socket was closed meanwhile.
    bool hold(detail::socket_state* st) {
        if (st == nullptr) return true;
        if (!st->enter()) return false;
        held_.push_back(st);
        return true;
    }

private:
    std::vector<detail::socket_state*> held_;
};

std::int64_t checked_timeout(const timeout_type& t, std::error_code& ec) noexcept {
    if (!t.is_valid()) ec = errc::invalid_timeout;
    return t.nanoseconds();
}

}  // namespace

// --- select() ------------------------------------------------------------------------------

select_result select(std::span<const waitable> rlist, std::span<const waitable> wlist,
                     std::span<const waitable> xlist, timeout_type timeout, std::error_code& ec) {
    detail::clear_error(ec);
    const std::int64_t ns = checked_timeout(timeout, ec);
    if (ec) return {};
    // One slot per distinct descriptor, sorted by descriptor, with the events of every list
    // it is in (poll counts each slot against RLIMIT_NOFILE, so no duplicates).
    std::vector<detail::poll_slot> slots;
    slots.reserve(rlist.size() + wlist.size() + xlist.size());
    held_sockets held;
    for (const auto& [list, events] : {std::pair{rlist, pollin}, {wlist, pollout}, {xlist, pollpri}}) {
        for (const waitable& w : list) {
            if (w.fd() == invalid_handle || w.fd() < 0) {
                ec = errc::invalid_argument;
                return {};
            }
            if (!held.hold(socket_access::state_of(w.sock()))) {
                ec = detail::bad_descriptor();
                return {};
            }
            slots.push_back({w.fd(), static_cast<short>(events), 0});
        }
    }
    std::sort(slots.begin(), slots.end(), [](const auto& a, const auto& b) { return a.fd < b.fd; });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < slots.size(); ++i) {
        if (kept > 0 && slots[kept - 1].fd == slots[i].fd)
            slots[kept - 1].events = static_cast<short>(slots[kept - 1].events | slots[i].events);
        else
            slots[kept++] = slots[i];
    }
    slots.resize(kept);
    // The descriptors, in slot order: a slot left out of the wait has -1 as its descriptor.
    std::vector<native_handle> fds(slots.size());
    std::transform(slots.begin(), slots.end(), fds.begin(), [](const auto& s) { return s.fd; });
    auto revents = [&](native_handle fd) {
        const auto i = std::lower_bound(fds.begin(), fds.end(), fd) - fds.begin();
        return static_cast<int>(static_cast<unsigned short>(slots[static_cast<std::size_t>(i)].revents));
    };
    // Sockets of rlist that already hold bytes: readable whatever the system says, and the
    // wait does not wait.
    auto buffered = [&](const waitable& w) { return detail::ready_bytes(socket_access::state_of(w.sock())) != 0; };
    const bool any_buffered = std::any_of(rlist.begin(), rlist.end(), buffered);

    // The conditions of Linux's select(2): readable is data, end of stream or an error;
    // writable is room or an error; exceptional is urgent data, nothing else. A descriptor
    // whose only news is one select(2) never reports (a hangup seen on a descriptor watched
    // for urgent data only) is left out of the rest of the wait, which goes on for the others
    // or until the deadline, as select(2) would: poll reports a hangup whatever it is asked,
    // so keeping it in the wait would spin on it.
    select_result out;
    auto collect = [&] {
        for (const waitable& w : rlist)
            if ((revents(w.fd()) & (pollin | pollhup | pollerr)) != 0 || buffered(w)) out.read.push_back(w.fd());
        for (const waitable& w : wlist)
            if ((revents(w.fd()) & (pollout | pollerr)) != 0) out.write.push_back(w.fd());
        for (const waitable& w : xlist)
            if ((revents(w.fd()) & pollpri) != 0) out.except.push_back(w.fd());
        return !out.read.empty() || !out.write.empty() || !out.except.empty();
    };

    bool nval = false;
    detail::deadline dl(any_buffered ? 0 : ns);
    const int n = detail::wait_loop(dl, [&](std::int64_t left, std::error_code& e) {
        const int r = sys::poll(slots.data(), slots.size(), left, e);
        if (r < 0) return r;
        if (std::any_of(slots.begin(), slots.end(), [](const auto& s) { return (s.revents & pollnval) != 0; })) {
            nval = true;
            return 1;
        }
        if (r == 0 && !any_buffered) return 0;
        if (collect()) return 1;
        for (auto& s : slots)
            if (s.revents != 0) s.fd = -1;  // nothing select(2) reports: out of the wait
        return 0;
    }, ec);
    if (n < 0) return {};
    if (nval) {
        ec = detail::bad_descriptor();  // as select(2): a descriptor that is not open
        return {};
    }
    return out;
}

select_result select(std::span<const waitable> rlist, std::span<const waitable> wlist,
                     std::span<const waitable> xlist, timeout_type timeout) {
    return detail::or_throw("select", [&](std::error_code& ec) { return select(rlist, wlist, xlist, timeout, ec); });
}

namespace {
std::vector<waitable> as_waitables(std::span<const native_handle> fds) {
    return {fds.begin(), fds.end()};
}
}  // namespace

select_result select(std::span<const native_handle> rlist, std::span<const native_handle> wlist,
                     std::span<const native_handle> xlist, timeout_type timeout, std::error_code& ec) {
    const auto r = as_waitables(rlist), w = as_waitables(wlist), x = as_waitables(xlist);
    return select(std::span<const waitable>(r), w, x, timeout, ec);
}

select_result select(std::span<const native_handle> rlist, std::span<const native_handle> wlist,
                     std::span<const native_handle> xlist, timeout_type timeout) {
    const auto r = as_waitables(rlist), w = as_waitables(wlist), x = as_waitables(xlist);
    return select(std::span<const waitable>(r), w, x, timeout);
}

// --- the poll object ---------------------------------------------------------------------------

poller::poller() noexcept = default;
poller::poller(poller&&) noexcept = default;
poller& poller::operator=(poller&&) noexcept = default;
poller::~poller() = default;

poller poll() { return poller(); }

void poller::add(native_handle fd, int eventmask, detail::socket_state* st, std::error_code& ec) {
    detail::clear_error(ec);
    if (!valid_registration(fd, eventmask, ec)) return;
    const auto it = index_.find(fd);
    if (it != index_.end()) {
        slots_[it->second].events = static_cast<short>(eventmask);
        socks_[it->second] = detail::state_hold(st);
        return;
    }
    slots_.push_back({fd, static_cast<short>(eventmask), 0});
    socks_.emplace_back(st);
    index_.emplace(fd, slots_.size() - 1);
}

void poller::register_fd(native_handle fd, int eventmask, std::error_code& ec) { add(fd, eventmask, nullptr, ec); }

void poller::register_fd(native_handle fd, int eventmask) {
    detail::or_throw("register", [&](std::error_code& ec) { register_fd(fd, eventmask, ec); });
}
void poller::register_fd(native_handle fd) { register_fd(fd, pollin | pollout); }
void poller::register_fd(const socket& s, int eventmask, std::error_code& ec) {
    add(s.fileno(), eventmask, socket_access::state(s), ec);
}
void poller::register_fd(const socket& s, int eventmask) {
    detail::or_throw("register", [&](std::error_code& ec) { register_fd(s, eventmask, ec); });
}
void poller::register_fd(const socket& s) { register_fd(s, pollin | pollout); }

void poller::modify(native_handle fd, int eventmask, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (!valid_registration(fd, eventmask, ec)) return;
    const auto it = index_.find(fd);
    if (it == index_.end()) {
        ec = sys::make_error(sys::err_noent);
        return;
    }
    slots_[it->second].events = static_cast<short>(eventmask);
}

void poller::modify(native_handle fd, int eventmask) {
    detail::or_throw("modify", [&](std::error_code& ec) { modify(fd, eventmask, ec); });
}
void poller::modify(const socket& s, int eventmask, std::error_code& ec) noexcept { modify(s.fileno(), eventmask, ec); }
void poller::modify(const socket& s, int eventmask) { modify(s.fileno(), eventmask); }

void poller::unregister(native_handle fd, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (!valid_registration(fd, 0, ec)) return;
    const auto it = index_.find(fd);
    if (it == index_.end()) {
        ec = sys::make_error(sys::err_noent);
        return;
    }
    // Erase (not swap) so that events keep coming in registration order.
    const std::size_t at = it->second;
    index_.erase(it);
    slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(at));
    socks_.erase(socks_.begin() + static_cast<std::ptrdiff_t>(at));
    for (std::size_t i = at; i < slots_.size(); ++i) index_[slots_[i].fd] = i;
}

void poller::unregister(native_handle fd) {
    detail::or_throw("unregister", [&](std::error_code& ec) { unregister(fd, ec); });
}
void poller::unregister(const socket& s, std::error_code& ec) noexcept {
    // A socket closed while registered (fileno() is invalid_handle now) is found by its state,
    // so that a loop that unregisters by object can drop it.
    const detail::socket_state* st = socket_access::state(s);
    if (s.fileno() == invalid_handle && st != nullptr) {
        for (std::size_t i = 0; i < socks_.size(); ++i) {
            if (socks_[i].get() == st) {
                unregister(slots_[i].fd, ec);
                return;
            }
        }
    }
    unregister(s.fileno(), ec);
}
void poller::unregister(const socket& s) {
    detail::or_throw("unregister", [&](std::error_code& ec) { unregister(s, ec); });
}

int poller::eventmask(native_handle fd) const noexcept {
    const auto it = index_.find(fd);
    return it == index_.end() ? -1 : static_cast<int>(static_cast<unsigned short>(slots_[it->second].events));
}

std::span<const poll_event> poller::ipoll(timeout_type timeout, int flags, std::error_code& ec) {
    detail::clear_error(ec);
    ready_.clear();
    // Grown here, never in register_fd(): the span of the previous call stays valid while its
    // reader registers or unregisters (the accept-and-register pattern).
    ready_.reserve(slots_.size());
    const std::int64_t ns = checked_timeout(timeout, ec);
    if (ec) return {};
    // A registered socket closed since is reported pollnval (as a descriptor that is not open)
    // and left out of the wait, whose other sockets stay ours until it ends.
    held_sockets held;
    std::vector<std::size_t> gone;
    for (std::size_t i = 0; i < socks_.size(); ++i) {
        if (!held.hold(socks_[i].get())) {
            gone.push_back(i);
            slots_[i].fd = -1;  // poll() skips a negative descriptor
        }
    }
    struct restore_fds {
        poller& p;
        std::vector<std::size_t>& gone;
        ~restore_fds() {
            for (const std::size_t i : gone) p.slots_[i].fd = p.socks_[i]->fd;
        }
    } restore{*this, gone};
    // A registered socket that holds bytes is readable now: poll the rest without waiting.
    auto holds_bytes = [&](std::size_t i) {
        return (slots_[i].events & pollin) != 0 && detail::ready_bytes(socks_[i].get()) != 0;
    };
    bool any_buffered = !gone.empty();
    for (std::size_t i = 0; i < slots_.size() && !any_buffered; ++i) any_buffered = holds_bytes(i);
    detail::deadline dl(any_buffered ? 0 : ns);
    const int n = detail::wait_loop(dl, [&](std::int64_t left, std::error_code& e) {
        return sys::poll(slots_.data(), slots_.size(), left, e);
    }, ec);
    if (n < 0) return {};
    if (n == 0 && !any_buffered) return ready_;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        auto& s = slots_[i];
        int revents = static_cast<int>(static_cast<unsigned short>(s.revents));
        if (any_buffered && holds_bytes(i)) revents |= pollin;
        if (s.fd < 0) revents = pollnval;
        if (revents == 0) continue;
        ready_.push_back({s.fd < 0 ? socks_[i]->fd : s.fd, revents});
        if ((flags & ipoll_oneshot) != 0) s.events = 0;
    }
    return ready_;
}

std::span<const poll_event> poller::ipoll(timeout_type timeout, int flags) {
    return detail::or_throw("ipoll", [&](std::error_code& ec) { return ipoll(timeout, flags, ec); });
}

std::vector<poll_event> poller::poll(timeout_type timeout, std::error_code& ec) {
    detail::clear_error(ec);
    const auto ready = ipoll(timeout, 0, ec);
    return {ready.begin(), ready.end()};
}

std::vector<poll_event> poller::poll(timeout_type timeout) {
    return detail::or_throw("poll", [&](std::error_code& ec) { return poll(timeout, ec); });
}

}  // namespace usocket
