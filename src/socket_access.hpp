#pragma once
// The library's own way into a socket's private state (the stream layer, makefile(), the
// selectors, TLS). Not a public header.

#include "socket_state.hpp"
#include "usocket/socket.hpp"

namespace usocket {

class socket_access {
public:
    /// A socket object owning `st` (one ref the caller gives).
    static socket make(detail::socket_state* st) noexcept { return socket(st); }
    /// The socket's state, or null when it never had one.
    static detail::socket_state* state(const socket& s) noexcept { return s.state(); }
    static detail::socket_state* state_of(const socket* s) noexcept { return s != nullptr ? s->state() : nullptr; }
};

}  // namespace usocket
