#pragma once
// The library's own way into a socket's private state (the stream layer, socketpair,
// fromfd). Not a public header.

#include <memory>

#include "read_buffer.hpp"
#include "usocket/socket.hpp"

namespace usocket {

class socket_access {
public:
    /// A socket object owning `fd`, with the given identity and timeout (the descriptor's
    /// mode must already match the timeout).
    static socket make(int fd, int family, int type, int proto, timeout_type t) noexcept {
        return socket(fd, family, type, proto, t);
    }
    /// The read-ahead buffer of the stream methods (created on first use by the caller).
    static std::shared_ptr<detail::read_buffer>& read_buffer(socket& s) noexcept { return s.rbuf_; }
};

}  // namespace usocket
