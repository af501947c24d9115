#pragma once
// The sockets owned by usocket objects in this process, for print_pcbs() and reset(), and to
// find the socket that owns a descriptor number (a selector given a bare descriptor): an
// intrusive list through each socket_state (no allocation, nothing in a noexcept path that can
// fail), split into shards by descriptor number, so that sockets opened and closed on different
// threads rarely meet on a lock and a lookup walks one short list (descriptors are dense small
// numbers: 10000 sockets make about 40 a shard of the 256 POSIX has; lwIP has 8).

#include <type_traits>

#include "sys.hpp"
#include "usocket/socket_file.hpp"

namespace usocket::detail {

class socket_state;

class registry {
public:
    /// Adds a state whose descriptor was just opened.
    static void add(socket_state& st) noexcept;
    /// Removes it; called before the descriptor is closed, so that a walk never sees a number
    /// that may belong to someone else.
    static void remove(socket_state& st) noexcept;
    /// A hold on the state whose open descriptor is `fd` (not yet closed for good, nor detached),
    /// or an empty hold when no usocket socket owns that number.
    static state_hold find(sys::handle fd) noexcept;
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
