#pragma once
// The per-socket state: ONE object per descriptor, shared by the socket object, the files
// makefile() made from it, its socket_streambuf and the selectors it is registered with. It holds
// the descriptor and its identity, the timeout, the read-ahead buffer of the stream methods, the
// transport slot (TLS fills it) and the count of calls in flight.
//
// Lifetime (two counts):
//   refs  holders of the object (socket, files, streambufs, selector registrations): the memory
//         lives until the last one lets go, so a call racing close() never touches freed memory.
//   use   calls in flight on the descriptor (and one hold per open file), with two flag bits:
//         `closed` (close() or detach() was called) and `released` (the descriptor is gone:
//         closed by the library, or given away by detach()). close() never pulls the descriptor
//         from under a call:
//         the system close happens when the last call in flight leaves (or at once when none
//         is), so until then the number stays ours and cannot be reused for another socket; a
//         call that would retry after close() gets EBADF instead. As in CPython, close() does not
//         shut the connection down: a blocked call returns when data, end of stream or its
//         deadline comes (the kernel keeps the connection open while a call is inside it anyway).
//
// Thread-safety contract (docs/sockets.md): one reader and one writer may run at once, with
// close(), detach(), shutdown(), settimeout() and the getters from any thread. Stream reads
// (read, readline, readinto, makefile() reads) are serialised by read_lock, so two of them in
// parallel are safe (one waits for the other); recv() takes buffered bytes under the same lock.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <system_error>
#include <utility>

#include "fast_tls.hpp"
#include "read_buffer.hpp"
#include "sys.hpp"
#include "usocket/constants.hpp"
#include "usocket/export.hpp"

namespace usocket::detail {

class transport;
class selector_core;

/// Whether a backend's mutex can be tried (lwIP's cannot).
template <class M>
inline constexpr bool mutex_can_try = requires(M& m) { m.try_lock(); };

/// A mutex that knows the thread holding it (the read lock, a file's write lock), so that a call
/// begun on that same thread while it holds it (a signal handler run by the interrupt check of
/// a blocked read or write) is refused with errc::reentrant_call instead of waiting for itself
/// for ever. CPython's buffered reader and writer raise RuntimeError "reentrant call" there.
class owned_mutex {
public:
    void lock() noexcept {
        m_.lock();
        owner_.store(self(), std::memory_order_relaxed);
    }
    /// Takes the lock when it is free, never waiting (false when another thread, or this
    /// one, holds it; always false over a backend whose mutex cannot try, lwIP's: the caller
    /// then takes its waiting way).
    bool try_lock() noexcept {
        if (!try_lock_of(m_)) return false;
        owner_.store(self(), std::memory_order_relaxed);
        return true;
    }
    void unlock() noexcept {
        owner_.store(nullptr, std::memory_order_relaxed);
        m_.unlock();
    }
    /// True when the calling thread holds the lock (only it can have stored its own tag).
    bool held_here() const noexcept { return owner_.load(std::memory_order_relaxed) == self(); }
    /// Takes the lock for a receive; one that must not wait (`dontwait`, MSG_DONTWAIT) only
    /// when it is free, false when another thread holds it (the call would wait for that
    /// read). Over a backend whose mutex cannot try (lwIP's) it always takes it, waiting for
    /// such a read to end.
    bool lock_for_receive(bool dontwait) noexcept {
        if constexpr (mutex_can_try<sys::stream_mutex>) {
            if (dontwait) return try_lock();
        }
        lock();
        return true;
    }

private:
    static const void* self() noexcept {
        USOCKET_FAST_TLS static thread_local const char tag = 0;
        return &tag;
    }
    template <class M>
    static bool try_lock_of(M& m) noexcept {
        if constexpr (requires { m.try_lock(); })
            return m.try_lock();
        else
            return false;
    }
    sys::stream_mutex m_;
    std::atomic<const void*> owner_{nullptr};
};
using read_mutex = owned_mutex;

/// A short step on the read buffer that never waits (a stream's bookkeeping): takes the lock,
/// or, inside a read this thread is in (suspended in its wait, the buffer consistent), runs
/// under that read's hold.
class read_step {
public:
    explicit read_step(owned_mutex& m) noexcept : m_(m.held_here() ? nullptr : &m) {
        if (m_ != nullptr) m_->lock();
    }
    read_step(const read_step&) = delete;
    read_step& operator=(const read_step&) = delete;
    ~read_step() {
        if (m_ != nullptr) m_->unlock();
    }

private:
    owned_mutex* m_;
};

class socket_state {
    // First, at the state's own address: a call's enter() and leave() then need no second
    // register for it (the fast paths of send and recv_into keep only the state's address).
    std::atomic<std::uint32_t> use_{0};

public:
    socket_state(sys::handle handle, address_family af, socket_type kind, protocol protocol_number,
                 std::int64_t timeout) noexcept
        : fd(handle), family(af), type(kind), proto(protocol_number), timeout_ns_(timeout) {}
    socket_state(const socket_state&) = delete;
    socket_state& operator=(const socket_state&) = delete;

    /// Makes the state of a descriptor just opened (refs 1, no call in flight), or null with
    /// ENOMEM, in which case the descriptor is closed.
    static socket_state* make(sys::handle fd, address_family family, socket_type type, protocol proto,
                              std::int64_t timeout_ns, std::error_code& ec) noexcept;

    const sys::handle fd;
    const address_family family;
    const socket_type type;  ///< without sock_nonblock / sock_cloexec
    const protocol proto;

    // --- holders -------------------------------------------------------------------------------

    void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    /// retain(), unless the last holder already let go (the state is being freed): for one
    /// found without a hold (registry::find, under the registry's lock).
    bool try_retain() noexcept {
        std::uint32_t n = refs_.load(std::memory_order_relaxed);
        do {
            if (n == 0) return false;
        } while (!refs_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
        return true;
    }
    /// True when one holder alone holds the state (a selector or a second socket object sharing
    /// it holds another). Exact only for a holder that no other thread can duplicate meanwhile.
    bool sole_holder() const noexcept { return refs_.load(std::memory_order_relaxed) == 1; }
    /// Lets go of one hold. The last one frees the state, or, when calls are still in flight
    /// (a socket object destroyed while another thread is inside one of its calls), leaves that
    /// to the last call out.
    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) orphan();
    }

    // --- the descriptor's use --------------------------------------------------------------------

    static constexpr std::uint32_t closed_bit = 1u << 31;
    static constexpr std::uint32_t released_bit = 1u << 30;
    /// Every holder let go while calls were in flight: the last call out frees the state.
    static constexpr std::uint32_t orphan_bit = 1u << 29;
    static constexpr std::uint32_t count_mask = orphan_bit - 1;

    /// A socket call begins: false (the caller reports EBADF) once the socket is closed. Until
    /// leave(), the descriptor stays open and its number ours.
    bool enter() noexcept {
        const std::uint32_t u = use_.fetch_add(1, std::memory_order_acquire);
        if ((u & closed_bit) == 0) [[likely]]
            return true;
        leave();
        return false;
    }
    /// A call on behalf of a file of makefile(): allowed after the socket's close() (the files
    /// keep the descriptor, CPython's _io_refs), refused after detach().
    bool enter_for_file() noexcept {
        const std::uint32_t u = use_.fetch_add(1, std::memory_order_acquire);
        if ((u & released_bit) == 0) [[likely]]
            return true;
        leave();
        return false;
    }
    /// The call is over. The last one out after close() closes the descriptor.
    void leave() noexcept {
        const std::uint32_t u = use_.fetch_sub(1, std::memory_order_acq_rel);
        if ((u & (closed_bit | orphan_bit)) != 0) [[unlikely]]
            after_leave(u);
    }
    /// True once close() or detach() was called: a call about to retry gives up with EBADF.
    bool closed() const noexcept { return (use_.load(std::memory_order_acquire) & closed_bit) != 0; }
    /// True once the descriptor is gone (closed, or given away by detach()): files get EBADF.
    bool released() const noexcept { return (use_.load(std::memory_order_acquire) & released_bit) != 0; }

    /// socket::close(): marks the state closed; the descriptor is closed now if no call is in
    /// flight (and no file holds it), else by the last to leave. `ec` gets close()'s own error
    /// when it runs here. False when it was closed already.
    bool close(std::error_code& ec) noexcept;
    /// socket::detach(): marks the state closed and released; the descriptor is the caller's.
    /// Returns it, or invalid_handle when the state was closed already.
    sys::handle detach() noexcept;

    // --- the timeout and the deadline ------------------------------------------------------------

    /// Nanoseconds: -1 blocking, 0 non-blocking, > 0 a timeout.
    std::int64_t timeout_ns() const noexcept { return timeout_ns_.load(std::memory_order_relaxed); }
    void set_timeout_ns(std::int64_t ns) noexcept { timeout_ns_.store(ns, std::memory_order_relaxed); }
    /// An absolute deadline on the monotonic clock for every call (0: none).
    std::int64_t deadline_ns() const noexcept { return deadline_ns_.load(std::memory_order_relaxed); }
    void set_deadline_ns(std::int64_t ns) noexcept { deadline_ns_.store(ns, std::memory_order_relaxed); }
    /// Serialises settimeout()/set_deadline() (the descriptor's mode and the stored value change together).
    sys::mutex mode_lock;

    // --- the read-ahead buffer -----------------------------------------------------------------

    /// Held for the whole of every stream read, and to touch `rb` at all.
    read_mutex read_lock;
    /// Bytes read ahead by the stream methods; every read drains it first.
    read_buffer rb;
    /// rb.size() as the lock-free paths see it (recv's check, readiness, pending()); written
    /// under read_lock by publish().
    std::atomic<std::size_t> buffered{0};
    /// After a change of `rb` under read_lock: publishes its size, and tells a selector that
    /// watches this socket when bytes are left over (inline: every stream call ends with it).
    void publish() noexcept;

    // --- the transport slot ----------------------------------------------------------------------

    /// TLS (or another transport) when one is plugged in; null for a plain socket, whose calls
    /// go straight to the system.
    transport* tr = nullptr;

    // --- files of makefile() ---------------------------------------------------------------------

    /// Open files made from the socket (each also holds one `use` while open).
    std::atomic<int> files{0};

    // --- selectors -------------------------------------------------------------------------------

    /// The selector that watches this socket for readiness (so that bytes already buffered count
    /// as readable), or null. Changed under watch_lock_for(this); read without it only to skip
    /// the lock when there is none.
    std::atomic<selector_core*> watcher{nullptr};

private:
    ~socket_state();
    void orphan() noexcept;
    void after_leave(std::uint32_t before) noexcept;
    /// Closes the descriptor if the state is closed, nothing is in flight and nobody closed it
    /// yet (a compare-and-swap decides, so a file entering at the same moment either gets in
    /// first and closes it when it leaves, or finds it released). Returns close()'s error.
    std::error_code try_close_descriptor() noexcept;

    friend class registry;
    socket_state* reg_prev_ = nullptr;  ///< the registry's list (src/registry.cpp)
    socket_state* reg_next_ = nullptr;
    bool registered_ = false;

    std::atomic<std::uint32_t> refs_{1};
    std::atomic<std::int64_t> timeout_ns_;
    std::atomic<std::int64_t> deadline_ns_{0};
};

/// The lock that guards socket_state::watcher of `st` (a few locks shared by all sockets).
sys::mutex& watch_lock_for(const socket_state* st) noexcept;
/// Tells the selector watching `st` that bytes are buffered (src/selector.cpp). Exported: the
/// Python module's never-waiting reads (src/stream_hold.hpp) reach it across a shared library.
USOCKET_API void notify_watcher(socket_state& st) noexcept;

inline void socket_state::publish() noexcept {
    const std::size_t n = rb.size();
    buffered.store(n, std::memory_order_release);
    if (n != 0 && watcher.load(std::memory_order_acquire) != nullptr) [[unlikely]]
        notify_watcher(*this);
}

/// An owning handle to a socket_state (one ref), movable, null when empty.
class state_ref {
public:
    state_ref() noexcept = default;
    /// Adopts one ref the caller owns.
    explicit state_ref(socket_state* st) noexcept : st_(st) {}
    state_ref(const state_ref& o) noexcept : st_(o.st_) {
        if (st_ != nullptr) st_->retain();
    }
    state_ref(state_ref&& o) noexcept : st_(std::exchange(o.st_, nullptr)) {}
    state_ref& operator=(state_ref o) noexcept {
        std::swap(st_, o.st_);
        return *this;
    }
    ~state_ref() {
        if (st_ != nullptr) st_->release();
    }
    socket_state* get() const noexcept { return st_; }
    socket_state* operator->() const noexcept { return st_; }
    socket_state& operator*() const noexcept { return *st_; }
    explicit operator bool() const noexcept { return st_ != nullptr; }

private:
    socket_state* st_ = nullptr;
};

/// One call on a socket's descriptor: enter() on construction, leave() on destruction.
class use_guard {
public:
    explicit use_guard(socket_state* st) noexcept : st_(st != nullptr && st->enter() ? st : nullptr) {}
    use_guard(const use_guard&) = delete;
    use_guard& operator=(const use_guard&) = delete;
    ~use_guard() {
        if (st_ != nullptr) st_->leave();
    }
    /// False when the socket is closed (or has no state): the call reports EBADF.
    explicit operator bool() const noexcept { return st_ != nullptr; }

private:
    socket_state* st_;
};

}  // namespace usocket::detail
