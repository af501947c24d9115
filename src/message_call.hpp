#pragma once
// What the message calls (src/message.cpp, src/batch.cpp) share: they need the descriptor
// itself, so a closed socket is EBADF and one with a transport (TLS) has none of them.

#include <system_error>

#include "sock_call.hpp"
#include "socket_state.hpp"
#include "usocket/error.hpp"

namespace usocket::detail {

/// True when the call may go on with the system's descriptor; otherwise `ec` says why not.
inline bool plain_descriptor(const use_guard& use, const socket_state* st, std::error_code& ec) noexcept {
    if (!use) {
        ec = bad_descriptor();
        return false;
    }
    if (st->tr != nullptr) {
        ec = errc::unsupported;
        return false;
    }
    return true;
}

}  // namespace usocket::detail
