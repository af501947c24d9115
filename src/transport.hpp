#pragma once
// The transport slot of a socket's state (socket_state::tr). A plain socket has none and its
// calls go straight to the system; a TLS socket plugs its session in here, and every operation
// of the socket (recv and send families, sendall, the stream methods, makefile() files, the
// socket_streambuf, readiness, close) goes through it.

#include <cstddef>
#include <system_error>

#include "deadline.hpp"
#include "sys.hpp"

namespace usocket::detail {

class socket_state;

class transport {
public:
    transport() = default;
    transport(const transport&) = delete;
    transport& operator=(const transport&) = delete;
    virtual ~transport() = default;

    /// Reads at most `size` (> 0) bytes under `dl`: the count, 0 at the end of the stream, or -1
    /// with `ec` (would-block only when `dl` is non-blocking; ETIMEDOUT when it expires).
    virtual sys::ssize read_some(socket_state& st, std::byte* data, std::size_t size, deadline& dl,
                                 std::error_code& ec) noexcept = 0;
    /// Writes at most `size` bytes under `dl`: the count, or -1 with `ec`.
    virtual sys::ssize write_some(socket_state& st, const std::byte* data, std::size_t size, deadline& dl,
                                  std::error_code& ec) noexcept = 0;
    /// Bytes the transport holds that a read returns without waiting (decrypted, unread).
    virtual std::size_t pending() const noexcept = 0;
    /// The socket is closing: say goodbye to the peer if the protocol has a way (TLS's close
    /// notification), under `dl`. Errors are the caller's to ignore.
    virtual void shutdown(socket_state& st, deadline& dl, std::error_code& ec) noexcept = 0;
};

}  // namespace usocket::detail
