#pragma once
// What the message calls (src/message.cpp, src/batch.cpp) share: they need the descriptor
// itself, so a closed socket is EBADF and one with a transport (TLS) has none of them; and
// bytes the stream methods left buffered come first.

#include <algorithm>
#include <cstring>
#include <mutex>
#include <span>
#include <system_error>

#include "sock_call.hpp"
#include "socket_state.hpp"
#include "usocket/error.hpp"
#include "usocket/message.hpp"

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

// Bytes the stream methods left in the read-ahead buffer, copied into `buffers` in order (a
// message of their own: no ancillary data, no sender; recv's one buffer too). False when the buffer turned out empty, or with `ec`
// (reentrant_call) inside a read of the socket on this thread, or (EAGAIN) with `dontwait`
// while another thread's read holds the buffer.
inline bool take_buffered(detail::socket_state& st, std::span<const mutable_buffer> buffers, bool peek,
                          bool dontwait, std::size_t& got, std::error_code& ec) noexcept {
    if (st.read_lock.held_here()) [[unlikely]] {
        ec = errc::reentrant_call;  // the bytes belong to the read this thread is inside
        return false;
    }
    if (!st.read_lock.lock_for_receive(dontwait)) {
        ec = sys::make_error(sys::err_again);
        return false;
    }
    const std::lock_guard<detail::read_mutex> lock(st.read_lock, std::adopt_lock);
    if (st.rb.empty()) {
        st.publish();
        return false;
    }
    got = 0;
    for (const mutable_buffer& b : buffers) {
        const std::size_t n = std::min(b.size(), st.rb.size() - got);
        if (n != 0) std::memcpy(b.data(), st.rb.head() + got, n);
        got += n;
    }
    if (!peek) {
        st.rb.consume(got);
        st.rb.trim();
    }
    st.publish();
    return true;
}

}  // namespace usocket::detail
