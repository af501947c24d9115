#pragma once
// The least a socket call can cost and keep a call racing close() safe: the descriptor's
// number stays ours from the call's start to its end, so a close() by another thread never
// lets the call reach a descriptor the process has reused (usocket's use guard,
// src/socket_state.hpp). The floor is a use word and a descriptor, no timeout, no transport,
// no read-ahead, errors left to the caller: every real implementation does more. Two builds of
// the same calls: compiled (out of line, in guard_floor.cpp, as a library's exported call is)
// and inline (compiled into the caller, as a header-only library's is). Bench only.

#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace bench::floor {

struct guarded {
    std::atomic<std::uint32_t> use{0};  // calls in flight; the top bit once closed
    int fd = -1;
    static constexpr std::uint32_t closed_bit = 1u << 31;
};

/// The last call out after close() closes the descriptor (out of line: never taken here).
void after_leave(guarded& g) noexcept;

[[gnu::always_inline]] inline bool enter(guarded& g) noexcept {
    if ((g.use.fetch_add(1, std::memory_order_acquire) & guarded::closed_bit) == 0) [[likely]]
        return true;
    if ((g.use.fetch_sub(1, std::memory_order_acq_rel) & ~guarded::closed_bit) == 1) after_leave(g);
    return false;
}

[[gnu::always_inline]] inline void leave(guarded& g) noexcept {
    if ((g.use.fetch_sub(1, std::memory_order_acq_rel) & guarded::closed_bit) != 0) [[unlikely]]
        after_leave(g);
}

/// The same as send_inline/recv_inline below, out of line (guard_floor.cpp).
ssize_t send_compiled(guarded* g, const void* data, std::size_t size, int flags) noexcept;
ssize_t recv_compiled(guarded* g, void* data, std::size_t size, int flags) noexcept;
/// Out of line with no guard: the call boundary's own cost.
ssize_t send_unguarded(const guarded* g, const void* data, std::size_t size, int flags) noexcept;
ssize_t recv_unguarded(const guarded* g, void* data, std::size_t size, int flags) noexcept;

/// send(2)/recv(2) under the guard; -1 when the socket is closed (or absent).
[[gnu::always_inline]] inline ssize_t send_inline(guarded* g, const void* data, std::size_t size, int flags) noexcept {
    if (g == nullptr || !enter(*g)) [[unlikely]]
        return -1;
    const ssize_t n = ::send(g->fd, data, size, flags | MSG_NOSIGNAL);
    leave(*g);
    return n;
}

[[gnu::always_inline]] inline ssize_t recv_inline(guarded* g, void* data, std::size_t size, int flags) noexcept {
    if (g == nullptr || !enter(*g)) [[unlikely]]
        return -1;
    const ssize_t n = ::recv(g->fd, data, size, flags);
    leave(*g);
    return n;
}

}  // namespace bench::floor
