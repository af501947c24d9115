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
    /// Opens a socket whose timeout is `timeout_ns` (0: non-blocking, negative: blocking) from
    /// the start, through the backend's creation (sys::open_socket), with no type flag needed.
    static socket open(address_family family, socket_type type, protocol proto, std::int64_t timeout_ns,
                       std::error_code& ec) noexcept;
};

}  // namespace usocket
