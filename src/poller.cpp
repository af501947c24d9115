// Multiplexing: select(), the uselect-style poll object and the selector. Argument checks,
// then the wait through the backend seam (sys::poll, sys::selector_*) under one deadline, as
// the blocking core does for single descriptors. No OS header here.

#include "usocket/poller.hpp"

#include <algorithm>
#include <utility>

#include "deadline.hpp"
#include "or_throw.hpp"
#include "sock_call.hpp"
#include "sys.hpp"

namespace usocket {

namespace {

std::error_code bad_fd() noexcept { return system_error_code(sys::err_badf); }
std::error_code not_registered() noexcept { return system_error_code(sys::err_noent); }

// The timeout of one call in nanoseconds (-1: no limit), or false with ec for a negative one.
bool timeout_ns(const timeout_type& t, std::int64_t& ns, std::error_code& ec) noexcept {
    if (t && t->count() < 0) {
        ec = errc::invalid_timeout;
        return false;
    }
    ns = t ? t->count() : -1;
    return true;
}

// A registration needs a descriptor (a closed socket's -1 is not one, as CPython says) and a
// mask that fits the backend's 16-bit event field.
bool valid_registration(int fd, int mask, std::error_code& ec) noexcept {
    if (fd >= 0 && mask >= 0 && mask <= 0xFFFF) return true;
    ec = errc::invalid_argument;
    return false;
}

// Runs `wait(left_ns, ec)` (a count, 0 on timeout, -1 with ec) under one deadline of
// `timeout_ns`. EINTR runs the interrupt check and the wait resumes with the time left; a
// wait that ends with time still left (a millisecond backend) resumes too. Returns the count,
// 0 when the time is up, -1 with ec.
template <class Wait>
int wait_under_deadline(std::int64_t timeout_ns, Wait&& wait, std::error_code& ec) noexcept {
    detail::deadline dl(timeout_ns);
    for (;;) {
        const int n = wait(dl.remaining(), ec);
        if (n > 0) return n;
        if (n < 0) {
            if (ec.value() != sys::err_intr || detail::give_up_after_interrupt()) return -1;
            ec.clear();
        }
        if (dl.non_blocking()) {
            if (n == 0) return 0;
        } else if (!dl.unlimited() && dl.remaining() == 0) {
            return 0;
        }
    }
}

}  // namespace

// --- select() ------------------------------------------------------------------------------

select_result select(std::span<const int> rlist, std::span<const int> wlist,
                     std::span<const int> xlist, timeout_type timeout, std::error_code& ec) {
    detail::clear_error(ec);
    std::int64_t ns = 0;
    if (!timeout_ns(timeout, ns, ec)) return {};
    // One slot per distinct descriptor, sorted by descriptor, with the events of every list
    // it is in (ppoll counts each slot against RLIMIT_NOFILE, so no duplicates).
    std::vector<detail::poll_slot> slots;
    slots.reserve(rlist.size() + wlist.size() + xlist.size());
    for (const auto& [list, events] : {std::pair{rlist, pollin}, {wlist, pollout}, {xlist, pollpri}}) {
        for (const int fd : list) {
            if (fd < 0) {
                ec = errc::invalid_argument;
                return {};
            }
            slots.push_back({fd, static_cast<short>(events), 0});
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
    auto revents = [&](int fd) {
        const auto it = std::lower_bound(slots.begin(), slots.end(), fd,
                                         [](const auto& s, int f) { return s.fd < f; });
        return static_cast<int>(static_cast<unsigned short>(it->revents));
    };

    // The conditions of Linux's select(2): readable is data, end of stream or an error;
    // writable is room or an error; exceptional is urgent data. A hangup seen only on a
    // descriptor that waits for writing or urgent data cannot be left out of the wait (poll
    // always reports it), so it is reported in those lists rather than spinning on it.
    select_result out;
    auto collect = [&](bool hangup_counts) {
        const int extra = hangup_counts ? (pollhup | pollerr) : 0;
        for (const int fd : rlist)
            if ((revents(fd) & (pollin | pollhup | pollerr)) != 0) out.read.push_back(fd);
        for (const int fd : wlist)
            if ((revents(fd) & (pollout | pollerr | extra)) != 0) out.write.push_back(fd);
        for (const int fd : xlist)
            if ((revents(fd) & (pollpri | extra)) != 0) out.except.push_back(fd);
        return !out.read.empty() || !out.write.empty() || !out.except.empty();
    };

    bool nval = false;
    const int n = wait_under_deadline(ns, [&](std::int64_t left, std::error_code& e) {
        const int r = sys::poll(slots.data(), slots.size(), left, e);
        if (r <= 0) return r;
        if (std::any_of(slots.begin(), slots.end(), [](const auto& s) { return (s.revents & pollnval) != 0; }))
            nval = true;
        else if (!collect(false))
            collect(true);
        return r;
    }, ec);
    if (n < 0) return {};
    if (nval) {
        ec = bad_fd();  // as select(2): a descriptor that is not open
        return {};
    }
    return out;
}

select_result select(std::span<const int> rlist, std::span<const int> wlist,
                     std::span<const int> xlist, timeout_type timeout) {
    return detail::or_throw("select", [&](std::error_code& ec) { return select(rlist, wlist, xlist, timeout, ec); });
}

// --- the poll object ---------------------------------------------------------------------------

poller::poller() noexcept = default;
poller::poller(poller&&) noexcept = default;
poller& poller::operator=(poller&&) noexcept = default;
poller::~poller() = default;

poller poll() { return poller(); }

void poller::register_fd(int fd, int eventmask, std::error_code& ec) {
    detail::clear_error(ec);
    if (!valid_registration(fd, eventmask, ec)) return;
    const auto it = index_.find(fd);
    if (it != index_.end()) {
        slots_[it->second].events = static_cast<short>(eventmask);
        return;
    }
    slots_.push_back({fd, static_cast<short>(eventmask), 0});
    index_.emplace(fd, slots_.size() - 1);
}

void poller::register_fd(int fd, int eventmask) {
    detail::or_throw("register", [&](std::error_code& ec) { register_fd(fd, eventmask, ec); });
}
void poller::register_fd(int fd) { register_fd(fd, pollin | pollout); }
void poller::register_fd(const socket& s, int eventmask, std::error_code& ec) { register_fd(s.fileno(), eventmask, ec); }
void poller::register_fd(const socket& s, int eventmask) { register_fd(s.fileno(), eventmask); }
void poller::register_fd(const socket& s) { register_fd(s.fileno()); }

void poller::modify(int fd, int eventmask, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (!valid_registration(fd, eventmask, ec)) return;
    const auto it = index_.find(fd);
    if (it == index_.end()) {
        ec = not_registered();
        return;
    }
    slots_[it->second].events = static_cast<short>(eventmask);
}

void poller::modify(int fd, int eventmask) {
    detail::or_throw("modify", [&](std::error_code& ec) { modify(fd, eventmask, ec); });
}
void poller::modify(const socket& s, int eventmask, std::error_code& ec) noexcept { modify(s.fileno(), eventmask, ec); }
void poller::modify(const socket& s, int eventmask) { modify(s.fileno(), eventmask); }

void poller::unregister(int fd, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (!valid_registration(fd, 0, ec)) return;
    const auto it = index_.find(fd);
    if (it == index_.end()) {
        ec = not_registered();
        return;
    }
    // Erase (not swap) so that events keep coming in registration order.
    const std::size_t at = it->second;
    index_.erase(it);
    slots_.erase(slots_.begin() + static_cast<std::ptrdiff_t>(at));
    for (std::size_t i = at; i < slots_.size(); ++i) index_[slots_[i].fd] = i;
}

void poller::unregister(int fd) {
    detail::or_throw("unregister", [&](std::error_code& ec) { unregister(fd, ec); });
}
void poller::unregister(const socket& s, std::error_code& ec) noexcept { unregister(s.fileno(), ec); }
void poller::unregister(const socket& s) { unregister(s.fileno()); }

int poller::eventmask(int fd) const noexcept {
    const auto it = index_.find(fd);
    return it == index_.end() ? -1 : static_cast<int>(static_cast<unsigned short>(slots_[it->second].events));
}

std::span<const poll_event> poller::ipoll(timeout_type timeout, int flags, std::error_code& ec) {
    detail::clear_error(ec);
    ready_.clear();
    // Grown here, never in register_fd(): the span of the previous call stays valid while its
    // reader registers or unregisters (the accept-and-register pattern).
    ready_.reserve(slots_.size());
    std::int64_t ns = 0;
    if (!timeout_ns(timeout, ns, ec)) return {};
    const int n = wait_under_deadline(ns, [&](std::int64_t left, std::error_code& e) {
        return sys::poll(slots_.data(), slots_.size(), left, e);
    }, ec);
    if (n <= 0) return {};
    for (auto& s : slots_) {
        if (s.revents == 0) continue;
        ready_.push_back({s.fd, static_cast<int>(static_cast<unsigned short>(s.revents))});
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

// --- the selector ------------------------------------------------------------------------------

namespace {
constexpr std::uint32_t interest_bits = selector::readable | selector::writable | selector::priority |
                                        selector::read_hangup | selector::error | selector::hangup |
                                        selector::edge_triggered | selector::oneshot;
}  // namespace

selector::selector() : selector(detail::or_throw("selector", [](std::error_code& ec) { return open(ec); })) {}

selector selector::open(std::error_code& ec) noexcept { return selector(sys::selector_open(ec)); }

selector::selector(selector&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

selector& selector::operator=(selector&& other) noexcept {
    if (this != &other) {
        std::error_code ignored;
        close(ignored);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

selector::~selector() {
    std::error_code ignored;
    close(ignored);
}

namespace {
bool control(int sfd, sys::selector_op op, int fd, std::uint32_t interest, std::uint64_t token,
             std::error_code& ec) noexcept {
    if (sfd < 0) {
        ec = bad_fd();
        return false;
    }
    if (fd < 0 || (interest & ~interest_bits) != 0) {
        ec = errc::invalid_argument;
        return false;
    }
    return sys::selector_control(sfd, op, fd, interest, token, ec);
}
}  // namespace

void selector::add(int fd, std::uint32_t interest, std::uint64_t token, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    control(fd_, sys::selector_op::add, fd, interest, token, ec);
}
void selector::add(int fd, std::uint32_t interest, std::uint64_t token) {
    detail::or_throw("selector add", [&](std::error_code& ec) { add(fd, interest, token, ec); });
}

void selector::modify(int fd, std::uint32_t interest, std::uint64_t token, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    control(fd_, sys::selector_op::modify, fd, interest, token, ec);
}
void selector::modify(int fd, std::uint32_t interest, std::uint64_t token) {
    detail::or_throw("selector modify", [&](std::error_code& ec) { modify(fd, interest, token, ec); });
}

void selector::remove(int fd, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    control(fd_, sys::selector_op::remove, fd, 0, 0, ec);
}
void selector::remove(int fd) {
    detail::or_throw("selector remove", [&](std::error_code& ec) { remove(fd, ec); });
}

std::size_t selector::wait(std::span<selector_event> out, timeout_type timeout, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    std::int64_t ns = 0;
    if (!timeout_ns(timeout, ns, ec)) return 0;
    if (out.empty()) {
        ec = errc::invalid_argument;
        return 0;
    }
    if (fd_ < 0) {
        ec = bad_fd();
        return 0;
    }
    const int n = wait_under_deadline(ns, [&](std::int64_t left, std::error_code& e) {
        return sys::selector_wait(fd_, out.data(), out.size(), left, e);
    }, ec);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::size_t selector::wait(std::span<selector_event> out, timeout_type timeout) {
    return detail::or_throw("selector wait", [&](std::error_code& ec) { return wait(out, timeout, ec); });
}

void selector::close(std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (fd_ < 0) return;
    sys::close(std::exchange(fd_, -1), ec);
}

void selector::close() {
    detail::or_throw("selector close", [&](std::error_code& ec) { close(ec); });
}

}  // namespace usocket
