// usocket::selector: the kernel's selector through the seam (epoll), or the portable one over
// poll() when the backend has none (sys::selector_open says ENOSYS); either way, a socket added
// as a socket is reported readable while it holds buffered bytes. Every wait is the blocking
// core's one loop (wait_loop).

#include <algorithm>
#include <mutex>
#include <new>
#include <utility>

#include "or_throw.hpp"
#include "registry.hpp"
#include "selector_core.hpp"
#include "sock_call.hpp"
#include "socket_access.hpp"
#include "sys.hpp"
#include "usocket/poller.hpp"

namespace usocket {

namespace detail {

std::size_t ready_bytes(const socket_state* st) noexcept;  // src/poller.cpp

#ifdef USOCKET_TESTING
namespace {
std::atomic<bool> force_portable{false};
}
#endif

// A read left bytes in `st`'s buffer: its selector lists it for the next wait().
void notify_watcher(socket_state& st) noexcept {
    const std::lock_guard<sys::mutex> watch(watch_lock_for(&st));
    selector_core* core = st.watcher.load(std::memory_order_relaxed);
    if (core == nullptr) return;
    const std::lock_guard<sys::mutex> lock(core->lock);
    const auto it = core->regs.find(st.fd);
    if (it == core->regs.end() || it->second.st.get() != &st || it->second.listed) return;
    it->second.listed = true;
    core->pending.push_back(st.fd);  // an allocation failure here ends the process (noexcept)
}

}  // namespace detail

#ifdef USOCKET_TESTING
namespace testing {
USOCKET_API void force_portable_selector(bool on) noexcept { detail::force_portable.store(on); }
}  // namespace testing
#endif

namespace {

using detail::selector_core;

constexpr std::uint32_t interest_bits = selector::readable | selector::writable | selector::priority |
                                        selector::read_hangup | selector::error | selector::hangup |
                                        selector::edge_triggered | selector::oneshot;

bool check(selector_core* core, native_handle fd, std::uint32_t interest, std::error_code& ec) noexcept {
    if (core == nullptr) {
        ec = detail::bad_descriptor();
        return false;
    }
    if (fd == invalid_handle || fd < 0 || (interest & ~interest_bits) != 0) {
        ec = errc::invalid_argument;
        return false;
    }
    return true;
}

// Makes `st` (or nobody) the socket whose buffered bytes `core` reports.
void watch(detail::socket_state* st, selector_core* core) noexcept {
    if (st == nullptr) return;
    const std::lock_guard<sys::mutex> lock(detail::watch_lock_for(st));
    st->watcher.store(core, std::memory_order_release);
}

void unwatch(detail::socket_state* st, const selector_core* core) noexcept {
    if (st == nullptr) return;
    const std::lock_guard<sys::mutex> lock(detail::watch_lock_for(st));
    if (st->watcher.load(std::memory_order_relaxed) == core) st->watcher.store(nullptr, std::memory_order_release);
}

// A call on the selector, from enter() to leave(): false once it was closed.
class core_use {
public:
    explicit core_use(selector_core* core) noexcept : core_(core != nullptr && core->enter() ? core : nullptr) {}
    core_use(const core_use&) = delete;
    core_use& operator=(const core_use&) = delete;
    ~core_use() {
        if (core_ != nullptr) core_->leave();
    }
    explicit operator bool() const noexcept { return core_ != nullptr; }

private:
    selector_core* core_;
};

// A call on a socket's registration, from enter() to leave() of the socket: its descriptor
// number stays its own meanwhile. Without a socket (a plain descriptor) it always holds.
class socket_use {
public:
    /// `descriptor_only`: holds the descriptor while it is open, the socket closed or not (as
    /// a file of makefile() does); it is gone only once released.
    explicit socket_use(detail::socket_state* st, bool descriptor_only = false) noexcept
        : st_(st != nullptr && (descriptor_only ? st->enter_for_file() : st->enter()) ? st : nullptr),
          ok_(st == nullptr || st_ != nullptr) {}
    socket_use(const socket_use&) = delete;
    socket_use& operator=(const socket_use&) = delete;
    ~socket_use() {
        if (st_ != nullptr) st_->leave();
    }
    /// False when the socket was closed.
    explicit operator bool() const noexcept { return ok_; }

private:
    detail::socket_state* st_;
    bool ok_;
};

// The poll() events of a portable registration, and back.
short to_poll(std::uint32_t interest) noexcept {
    int e = 0;
    if ((interest & selector::readable) != 0) e |= pollin;
    if ((interest & selector::writable) != 0) e |= pollout;
    if ((interest & selector::priority) != 0) e |= pollpri;
#ifdef USOCKET_HAS_POLLRDHUP
    if ((interest & selector::read_hangup) != 0) e |= pollrdhup;
#endif
    return static_cast<short>(e);
}

std::uint32_t from_poll(int revents) noexcept {
    std::uint32_t r = 0;
    if ((revents & pollin) != 0) r |= selector::readable;
    if ((revents & pollout) != 0) r |= selector::writable;
    if ((revents & pollpri) != 0) r |= selector::priority;
#ifdef USOCKET_HAS_POLLRDHUP
    if ((revents & pollrdhup) != 0) r |= selector::read_hangup;
#endif
    if ((revents & (pollerr | pollnval)) != 0) r |= selector::error;
    if ((revents & pollhup) != 0) r |= selector::hangup;
    return r;
}

// Adds the events of sockets that hold buffered bytes to `out` (at most out.size()); drops the
// ones that no longer do. Called with core.lock held.
std::size_t collect_buffered(selector_core& core, std::span<selector_event> out) noexcept {
    std::size_t n = 0;
    std::size_t kept = 0;
    for (const native_handle fd : core.pending) {
        const auto it = core.regs.find(fd);
        if (it == core.regs.end()) continue;
        selector_core::reg& r = it->second;
        const bool readable = (r.interest & selector::readable) != 0 && !r.disarmed;
        if (!readable || detail::ready_bytes(r.st.get()) == 0 || n == out.size()) {
            // Nothing to report now (a full `out` keeps it for the next wait).
            if (readable && detail::ready_bytes(r.st.get()) != 0) {
                core.pending[kept++] = fd;
                continue;
            }
            r.listed = false;
            continue;
        }
        out[n++] = {r.token, selector::readable};
        if ((r.interest & selector::oneshot) != 0) r.disarmed = true;
        if ((r.interest & selector::edge_triggered) != 0) {
            r.listed = false;  // an edge: reported once, until a read buffers bytes again
        } else {
            core.pending[kept++] = fd;  // level: reported while the bytes are there
        }
    }
    core.pending.resize(kept);
    return n;
}

// Merges `extra` events (from the kernel) after the `n` already in `out`: one entry per token.
std::size_t merge(std::span<selector_event> out, std::size_t n, std::size_t extra) noexcept {
    std::size_t total = n;
    for (std::size_t i = n; i < n + extra; ++i) {
        bool merged = false;
        for (std::size_t j = 0; j < n; ++j) {
            if (out[j].token == out[i].token) {
                out[j].events |= out[i].events;
                merged = true;
                break;
            }
        }
        if (!merged) out[total++] = out[i];
    }
    return total;
}

// The portable selector's wait: a poll() over every armed registration.
int portable_wait(selector_core& core, std::span<selector_event> out, std::size_t first, detail::deadline& dl,
                  std::error_code& ec) {
    std::vector<detail::poll_slot> slots;
    std::vector<std::pair<std::uint64_t, std::uint32_t>> regs;  // token, interest
    // The sockets polled keep their descriptors for the wait (their numbers cannot go to
    // others); one whose descriptor is gone is left out, as the kernel selector forgets it. A
    // socket closed while a file of makefile() holds its descriptor is still watched, as the
    // kernel's selector still watches it.
    std::vector<detail::state_hold> held;
    struct leave_all {
        std::vector<detail::state_hold>& held;
        ~leave_all() {
            for (const auto& st : held) st->leave();
        }
    } leaving{held};
    {
        const std::lock_guard<sys::mutex> lock(core.lock);
        slots.reserve(core.regs.size());
        held.reserve(core.regs.size());
        for (const auto& [fd, r] : core.regs) {
            if (r.disarmed) continue;
            if (r.st) {
                if (!r.st->enter_for_file()) continue;
                held.push_back(r.st);
            }
            slots.push_back({fd, to_poll(r.interest), 0});
            regs.emplace_back(r.token, r.interest);
        }
    }
    const int n = detail::wait_loop(
        dl, [&](std::int64_t left, std::error_code& e) { return sys::poll(slots.data(), slots.size(), left, e); }, ec);
    if (n <= 0) return n;
    std::size_t count = first;
    const std::lock_guard<sys::mutex> lock(core.lock);
    for (std::size_t i = 0; i < slots.size() && count < out.size(); ++i) {
        if (slots[i].revents == 0) continue;
        out[count++] = {regs[i].first, from_poll(slots[i].revents)};
        if ((regs[i].second & selector::oneshot) != 0) {
            if (const auto it = core.regs.find(slots[i].fd); it != core.regs.end()) it->second.disarmed = true;
        }
    }
    return static_cast<int>(count - first);
}

}  // namespace

namespace detail {
void selector_core::release(std::error_code* ec) noexcept {
    if (released_.exchange(true, std::memory_order_acq_rel)) return;
    std::unordered_map<native_handle, reg> gone;
    {
        const std::lock_guard<sys::mutex> hold(lock);
        gone.swap(regs);
        pending.clear();
        oneshot_tokens.clear();
    }
    for (const auto& [fd, r] : gone) unwatch(r.st.get(), this);
    if (kernel != invalid_handle) {
        std::error_code ignored;
        sys::close(kernel, ec != nullptr ? *ec : ignored);
    }
}
}  // namespace detail

// --- the selector ------------------------------------------------------------------------------

selector::selector() : selector(detail::or_throw("selector", [](std::error_code& ec) { return open(ec); })) {}

selector selector::open(std::error_code& ec) noexcept {
    detail::clear_error(ec);
    sys::handle kernel = invalid_handle;
#ifdef USOCKET_TESTING
    const bool portable = detail::force_portable.load();
#else
    constexpr bool portable = false;
#endif
    if (!portable) {
        kernel = sys::selector_open(ec);
        if (kernel == invalid_handle) {
            if (ec.value() != sys::err_nosys) return selector(static_cast<selector_core*>(nullptr));
            ec.assign(0, ec.category());  // no kernel selector: the portable one
        }
    }
    auto* core = new (std::nothrow) selector_core(kernel);
    if (core == nullptr) {
        if (kernel != invalid_handle) {
            std::error_code ignored;
            sys::close(kernel, ignored);
        }
        ec = sys::make_error(sys::err_nomem);
        return selector(static_cast<selector_core*>(nullptr));
    }
    return selector(core);
}

selector::selector(selector&& other) noexcept : core_(std::exchange(other.core_, nullptr)) {}

selector& selector::operator=(selector&& other) noexcept {
    if (this != &other) {
        std::error_code ignored;
        close(ignored);
        delete core_;
        core_ = std::exchange(other.core_, nullptr);
    }
    return *this;
}

selector::~selector() {
    std::error_code ignored;
    close(ignored);
    delete core_;
}

native_handle selector::fileno() const noexcept { return is_open() ? core_->kernel : invalid_handle; }

bool selector::is_open() const noexcept { return core_ != nullptr && !core_->closed(); }

namespace {

void add_impl(selector_core* core, native_handle fd, detail::socket_state* st, std::uint32_t interest,
              std::uint64_t token, std::error_code& ec) noexcept {
    // A bare descriptor that a usocket socket owns is that socket (asyncio registers numbers):
    // its buffered bytes count too. Its descriptor is watched while open, as a file of
    // makefile() holds it after the socket's close().
    detail::state_hold owner;
    bool by_number = false;
    if (st == nullptr && fd >= 0) {
        owner = detail::registry::find(fd);
        st = owner.get();
        by_number = st != nullptr;
    }
    const core_use in_use(core);
    const socket_use sock_in_use(st, by_number);
    if (!in_use || !sock_in_use) {
        ec = detail::bad_descriptor();
        return;
    }
    if (st != nullptr) fd = st->fd;
    if (!check(core, fd, interest, ec)) return;
    const bool keep = st != nullptr || core->portable();
    detail::state_hold stale;
    struct unwatch_stale {
        detail::state_hold& st;
        selector_core* core;
        ~unwatch_stale() { unwatch(st.get(), core); }  // on every way out, after the lock
    } unwatch_at_end{stale, core};
    {
        const std::lock_guard<sys::mutex> lock(core->lock);
        // A socket whose descriptor is gone left its registration here (the kernel forgot it
        // with the descriptor): its number is free for this one.
        if (const auto old = core->regs.find(fd);
            old != core->regs.end() && old->second.st && old->second.st.get() != st && old->second.st->released()) {
            core->track_oneshot(fd, old->second, false);
            stale = std::move(old->second.st);
            core->regs.erase(old);
            std::erase(core->pending, fd);
        }
        if (core->portable()) {
            if (core->regs.count(fd) != 0) {
                ec = sys::make_error(sys::err_exist);
                return;
            }
            // A descriptor that is not open cannot be watched.
            int unused = 0;
            std::size_t len = sizeof unused;
            if (!sys::getsockopt(fd, sol_socket, so_type, &unused, len, ec) && ec.value() == sys::err_badf) return;
            ec.assign(0, ec.category());
        } else if (!sys::selector_control(core->kernel, sys::selector_op::add, fd, interest, token, ec)) {
            return;
        }
        if (keep) {
            selector_core::reg& r = core->regs[fd];  // an allocation failure ends the process (noexcept)
            r = {};
            r.st = detail::state_hold(st);
            r.interest = interest;
            r.token = token;
            if (detail::ready_bytes(st) != 0) {
                r.listed = true;
                core->pending.push_back(fd);
            }
            core->track_oneshot(fd, r, true);
        }
    }
    watch(st, core);
}

// The kernel's part of modify() and remove() (lock held): its control call, or, for the
// portable selector, ENOENT when `fd` is not registered. False with `ec` when it failed.
bool control_existing(selector_core& core, sys::selector_op op, native_handle fd, std::uint32_t interest,
                      std::uint64_t token, bool registered, std::error_code& ec) noexcept {
    if (core.portable()) {
        if (registered) return true;
        ec = sys::make_error(sys::err_noent);
        return false;
    }
    return sys::selector_control(core.kernel, op, fd, interest, token, ec);
}

void modify_impl(selector_core* core, native_handle fd, detail::socket_state* st, std::uint32_t interest,
                 std::uint64_t token, std::error_code& ec) noexcept {
    const core_use in_use(core);
    const socket_use sock_in_use(st);
    if (!in_use || !sock_in_use) {
        ec = detail::bad_descriptor();
        return;
    }
    if (st != nullptr) fd = st->fd;
    if (!check(core, fd, interest, ec)) return;
    const std::lock_guard<sys::mutex> lock(core->lock);
    const auto it = core->regs.find(fd);
    if (!control_existing(*core, sys::selector_op::modify, fd, interest, token, it != core->regs.end(), ec)) return;
    if (it == core->regs.end()) return;
    selector_core::reg& r = it->second;
    r.interest = interest;
    r.token = token;
    r.disarmed = false;
    core->track_oneshot(fd, r, true);
    if (!r.listed && detail::ready_bytes(r.st.get()) != 0) {
        r.listed = true;
        core->pending.push_back(fd);
    }
}

void remove_impl(selector_core* core, native_handle fd, detail::socket_state* st, std::error_code& ec) noexcept {
    const core_use in_use(core);
    if (!in_use) {
        ec = detail::bad_descriptor();
        return;
    }
    // A socket closed while registered is found by its state. While its descriptor is still
    // open (a file of makefile() or a call in flight holds it), the kernel is told as usual;
    // once it is gone the kernel forgot it, its number may be another's by now, and only the
    // registration goes.
    const socket_use sock_in_use(st, true);
    const bool closed = !sock_in_use;
    if (st != nullptr) fd = st->fd;
    if (!check(core, fd, 0, ec)) return;
    detail::state_hold gone;
    {
        const std::lock_guard<sys::mutex> lock(core->lock);
        const auto it = core->regs.find(fd);
        if (closed) {
            if (it == core->regs.end() || it->second.st.get() != st) {
                ec = sys::make_error(sys::err_noent);
                return;
            }
        } else if (!control_existing(*core, sys::selector_op::remove, fd, 0, 0, it != core->regs.end(), ec)) {
            // epoll forgot a descriptor closed meanwhile: the registration goes anyway.
            if (it == core->regs.end() || ec.value() != sys::err_badf) return;
            ec.assign(0, ec.category());
        }
        if (it != core->regs.end()) {
            core->track_oneshot(fd, it->second, false);
            gone = std::move(it->second.st);
            core->regs.erase(it);
            std::erase(core->pending, fd);
        }
    }
    unwatch(gone.get(), core);
}

}  // namespace

void selector::add(native_handle fd, std::uint32_t interest, std::uint64_t token, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    add_impl(core_, fd, nullptr, interest, token, ec);
}
void selector::add(native_handle fd, std::uint32_t interest, std::uint64_t token) {
    detail::or_throw("selector add", [&](std::error_code& ec) { add(fd, interest, token, ec); });
}
void selector::add(const socket& s, std::uint32_t interest, std::uint64_t token, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    add_impl(core_, s.fileno(), socket_access::state(s), interest, token, ec);
}
void selector::add(const socket& s, std::uint32_t interest, std::uint64_t token) {
    detail::or_throw("selector add", [&](std::error_code& ec) { add(s, interest, token, ec); });
}

void selector::modify(native_handle fd, std::uint32_t interest, std::uint64_t token, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    modify_impl(core_, fd, nullptr, interest, token, ec);
}
void selector::modify(native_handle fd, std::uint32_t interest, std::uint64_t token) {
    detail::or_throw("selector modify", [&](std::error_code& ec) { modify(fd, interest, token, ec); });
}
void selector::modify(const socket& s, std::uint32_t interest, std::uint64_t token, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    modify_impl(core_, s.fileno(), socket_access::state(s), interest, token, ec);
}
void selector::modify(const socket& s, std::uint32_t interest, std::uint64_t token) {
    detail::or_throw("selector modify", [&](std::error_code& ec) { modify(s, interest, token, ec); });
}

void selector::remove(native_handle fd, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    remove_impl(core_, fd, nullptr, ec);
}
void selector::remove(native_handle fd) {
    detail::or_throw("selector remove", [&](std::error_code& ec) { remove(fd, ec); });
}
void selector::remove(const socket& s, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    remove_impl(core_, s.fileno(), socket_access::state(s), ec);
}
void selector::remove(const socket& s) {
    detail::or_throw("selector remove", [&](std::error_code& ec) { remove(s, ec); });
}

std::size_t selector::wait(std::span<selector_event> out, timeout_type timeout, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (!timeout.is_valid()) {
        ec = errc::invalid_timeout;
        return 0;
    }
    if (out.empty()) {
        ec = errc::invalid_argument;
        return 0;
    }
    selector_core* const core = core_;
    const core_use in_use(core);
    if (!in_use) {
        ec = detail::bad_descriptor();
        return 0;
    }
    std::size_t buffered = 0;
    {
        const std::lock_guard<sys::mutex> lock(core->lock);
        if (!core->pending.empty()) buffered = collect_buffered(*core, out);
    }
    // Bytes already buffered are ready now: look at the rest without waiting.
    detail::deadline dl(buffered != 0 ? 0 : timeout.nanoseconds());
    const std::span<selector_event> rest = out.subspan(buffered);
    if (rest.empty()) return buffered;
    int n;
    if (core->portable()) {
        n = portable_wait(*core, out, buffered, dl, ec);
    } else {
        n = detail::wait_loop(dl, [&](std::int64_t left, std::error_code& e) {
            return sys::selector_wait(core->kernel, rest.data(), rest.size(), left, e);
        }, ec);
        if (n > 0) {
            // A oneshot socket the kernel reported is disarmed there: here too.
            const std::lock_guard<sys::mutex> lock(core->lock);
            if (!core->oneshot_tokens.empty()) {
                for (int i = 0; i < n; ++i) {
                    const auto t = core->oneshot_tokens.find(rest[static_cast<std::size_t>(i)].token);
                    if (t == core->oneshot_tokens.end()) continue;
                    if (const auto r = core->regs.find(t->second); r != core->regs.end()) r->second.disarmed = true;
                }
            }
        }
    }
    if (n < 0) {
        if (buffered == 0) return 0;
        ec.assign(0, ec.category());  // the buffered events stand
        return buffered;
    }
    if (buffered == 0) return static_cast<std::size_t>(n);  // nothing to merge with
    return merge(out, buffered, static_cast<std::size_t>(n));
}

std::size_t selector::wait(std::span<selector_event> out, timeout_type timeout) {
    return detail::or_throw("selector wait", [&](std::error_code& ec) { return wait(out, timeout, ec); });
}

void selector::close(std::error_code& ec) noexcept {
    detail::clear_error(ec);
    // The memory stays until ~selector: a call in flight on another thread finishes on it, and
    // the last one out closes the kernel selector.
    if (core_ != nullptr) core_->shut(ec);
}

void selector::close() {
    detail::or_throw("selector close", [&](std::error_code& ec) { close(ec); });
}

}  // namespace usocket
