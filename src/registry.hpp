#pragma once
// The sockets owned by usocket objects in this process, for print_pcbs() and reset(): an
// intrusive list through each socket_state (no allocation, nothing in a noexcept path that can
// fail), split into shards by address so that sockets opened and closed on different threads
// rarely meet on a lock.

#include <type_traits>

namespace usocket::detail {

class socket_state;

class registry {
public:
    /// Adds a state whose descriptor was just opened.
    static void add(socket_state& st) noexcept;
    /// Removes it; called before the descriptor is closed, so that a walk never sees a number
    /// that may belong to someone else.
    static void remove(socket_state& st) noexcept;
    /// Calls `visit(state, ctx)` on every registered state, each shard's lock held meanwhile
    /// (the descriptors stay open while it runs; it must not open or close sockets).
    static void walk(void (*visit)(socket_state&, void*), void* ctx);
    /// walk() with any callable.
    template <class F>
    static void for_each(F&& f) {
        walk([](socket_state& st, void* ctx) { (*static_cast<std::remove_reference_t<F>*>(ctx))(st); }, &f);
    }
};

}  // namespace usocket::detail
