// The per-socket state (src/socket_state.hpp): its lifetime, the deferred close, and the
// registry behind print_pcbs() and reset().

#include "socket_state.hpp"

#include <array>
#include <cstdint>
#include <mutex>
#include <new>

#include "registry.hpp"
#include "transport.hpp"

namespace usocket::detail {

// --- the registry ------------------------------------------------------------------------------

namespace {

constexpr std::size_t shard_count = sys::registry_shards;

struct shard {
    sys::mutex lock;
    socket_state* head = nullptr;
};

std::array<shard, shard_count>& shards() noexcept {
    static std::array<shard, shard_count> all;
    return all;
}

// A state's fd is constant for its life, so the shard it joined is the one it leaves.
shard& shard_of(sys::handle fd) noexcept {
    return shards()[static_cast<std::uintptr_t>(fd) % shard_count];
}

}  // namespace

void registry::add(socket_state& st) noexcept {
    shard& s = shard_of(st.fd);
    const std::lock_guard<sys::mutex> lock(s.lock);
    st.reg_prev_ = nullptr;
    st.reg_next_ = s.head;
    if (s.head != nullptr) s.head->reg_prev_ = &st;
    s.head = &st;
    st.registered_ = true;
}

void registry::remove(socket_state& st) noexcept {
    shard& s = shard_of(st.fd);
    const std::lock_guard<sys::mutex> lock(s.lock);
    if (!st.registered_) return;
    if (st.reg_prev_ != nullptr)
        st.reg_prev_->reg_next_ = st.reg_next_;
    else
        s.head = st.reg_next_;
    if (st.reg_next_ != nullptr) st.reg_next_->reg_prev_ = st.reg_prev_;
    st.reg_prev_ = st.reg_next_ = nullptr;
    st.registered_ = false;
}

state_hold registry::find(sys::handle fd) noexcept {
    shard& s = shard_of(fd);
    const std::lock_guard<sys::mutex> lock(s.lock);
    for (socket_state* p = s.head; p != nullptr; p = p->reg_next_) {
        // Listed means alive: a state leaves the list (under this lock) before it is freed or
        // its descriptor closed. Its last holder may be letting go right now, though: a hold
        // is taken only while another one exists.
        if (p->fd != fd || !p->try_retain()) continue;
        state_hold hold(p);
        p->release();  // try_retain()'s, now that `hold` has its own
        return hold;
    }
    return {};
}

void registry::walk(void (*visit)(socket_state&, void*), void* ctx) {
    for (shard& s : shards()) {
        const std::lock_guard<sys::mutex> lock(s.lock);
        for (socket_state* p = s.head; p != nullptr; p = p->reg_next_) visit(*p, ctx);
    }
}

sys::mutex& watch_lock_for(const socket_state* st) noexcept {
    static std::array<sys::mutex, shard_count> locks;
    return locks[(reinterpret_cast<std::uintptr_t>(st) >> 6) % shard_count];
}

// --- the state ---------------------------------------------------------------------------------

socket_state* socket_state::make(sys::handle fd, address_family family, socket_type type, protocol proto,
                                 std::int64_t timeout_ns, std::error_code& ec) noexcept {
    auto* st = new (std::nothrow) socket_state(fd, family, type, proto, timeout_ns);
    if (st == nullptr) {
        std::error_code ignored;
        sys::close(fd, ignored);
        ec = sys::make_error(sys::err_nomem);
        return nullptr;
    }
    registry::add(*st);
    return st;
}

socket_state::~socket_state() {
    // A state is normally closed before its last holder lets go; one that never was (an
    // object abandoned half-made) still gives its descriptor back.
    if ((use_.load(std::memory_order_relaxed) & released_bit) == 0) {
        registry::remove(*this);
        std::error_code ignored;
        sys::close(fd, ignored);
    }
    delete tr;
}

void socket_state::orphan() noexcept {
    const std::uint32_t u = use_.fetch_or(orphan_bit, std::memory_order_acq_rel);
    if ((u & count_mask) == 0) delete this;  // else the last call out does it (after_leave)
}

void socket_state::after_leave(std::uint32_t before) noexcept {
    if ((before & count_mask) != 1) return;  // not the last one out
    if ((before & closed_bit) != 0) try_close_descriptor();
    if ((before & orphan_bit) != 0) delete this;
}

std::error_code socket_state::try_close_descriptor() noexcept {
    // Closed, nothing in flight, not yet released: mark it released, once.
    std::uint32_t u = use_.load(std::memory_order_acquire);
    do {
        if ((u & closed_bit) == 0 || (u & released_bit) != 0 || (u & count_mask) != 0) return {};
    } while (!use_.compare_exchange_weak(u, u | released_bit, std::memory_order_acq_rel));
    // From here no call can enter: the descriptor and the buffer are this thread's alone.
    registry::remove(*this);
    {
        // Under the read lock: a hold that reads the buffer without entering as a call
        // (nowait_hold, src/stream_hold.hpp) counts on it.
        const read_step step(read_lock);
        if (rb.settle_fn == nullptr) {  // a socket_streambuf may still point into the bytes
            rb.release();
            buffered.store(0, std::memory_order_relaxed);
        }
    }
    std::error_code ec;
    // As CPython: ECONNRESET from close() means the peer went first, not a failure.
    if (!sys::close(fd, ec) && ec.value() == sys::err_connreset) ec.assign(0, ec.category());
    return ec;
}

bool socket_state::close(std::error_code& ec) noexcept {
    const std::uint32_t u = use_.fetch_or(closed_bit, std::memory_order_acq_rel);
    if ((u & closed_bit) != 0) return false;
    if ((u & count_mask) == 0) ec = try_close_descriptor();
    return true;
}

sys::handle socket_state::detach() noexcept {
    const std::uint32_t u = use_.fetch_or(closed_bit | released_bit, std::memory_order_acq_rel);
    if ((u & (closed_bit | released_bit)) != 0) return invalid_handle;
    registry::remove(*this);
    return fd;
}

}  // namespace usocket::detail
