// The compiled build of the guarded floor (bench/guard_floor.hpp): its own translation unit,
// and the bench target is built without interprocedural optimisation, so the calls stay out
// of line as a library's are.

#include "guard_floor.hpp"

#include <unistd.h>

namespace bench::floor {

[[gnu::noinline, gnu::cold]] void after_leave(guarded& g) noexcept {
    if (g.use.load(std::memory_order_acquire) == guarded::closed_bit && g.fd >= 0) {
        ::close(g.fd);
        g.fd = -1;
    }
}

[[gnu::noinline]] ssize_t send_compiled(guarded* g, const void* data, std::size_t size, int flags) noexcept {
    return send_inline(g, data, size, flags);
}

[[gnu::noinline]] ssize_t recv_compiled(guarded* g, void* data, std::size_t size, int flags) noexcept {
    return recv_inline(g, data, size, flags);
}

[[gnu::noinline]] ssize_t send_unguarded(const guarded* g, const void* data, std::size_t size, int flags) noexcept {
    return ::send(g->fd, data, size, flags | MSG_NOSIGNAL);
}

[[gnu::noinline]] ssize_t recv_unguarded(const guarded* g, void* data, std::size_t size, int flags) noexcept {
    return ::recv(g->fd, data, size, flags);
}

}  // namespace bench::floor
