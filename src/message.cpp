// Scatter/gather messages with ancillary data: socket::sendmsg, recvmsg and recvmsg_into, the
// types that carry their items and descriptors (usocket/message.hpp), CMSG_LEN/CMSG_SPACE and
// CPython's send_fds/recv_fds. Argument checks and the blocking core here; the control buffer's
// layout is the backend's (sys::encode_control / sys::decode_control).

#include <cstring>
#include <limits>
#include <mutex>

#include "fault.hpp"
#include "message_call.hpp"
#include "or_throw.hpp"
#include "scratch.hpp"
#include "sock_call.hpp"
#include "socket_state.hpp"
#include "sys.hpp"
#include "usocket/message.hpp"
#include "usocket/socket.hpp"

namespace usocket {

namespace {

// recvmsg_into's work, for both forms: `out` gets everything but the bytes themselves.
void receive_message(detail::socket_state* st, std::span<const mutable_buffer> buffers, std::size_t ancbufsize,
                     msg_flags flags, received_message& out, std::error_code& ec) {
    detail::clear_error(ec);
    std::size_t total = 0;
    for (const mutable_buffer& b : buffers) {
        if (b.size() > detail::max_io_size - total) {
            ec = errc::size_too_large;
            return;
        }
        total += b.size();
    }
    if (ancbufsize > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        ec = errc::size_too_large;
        return;
    }
    const detail::use_guard use(st);
    if (!detail::plain_descriptor(use, st, ec)) return;
    if (st->buffered.load(std::memory_order_acquire) != 0) [[unlikely]] {
        if (total == 0) return;  // readable now: nothing to take, and no wait (out.size is 0)
        std::size_t got = 0;
        if (detail::take_buffered(*st, buffers, has_any(flags, msg_peek), has_any(flags, msg_dontwait), got, ec)) {
            out.size = got;
            return;
        }
        if (ec) return;
    }
    // The control buffer, aligned for the backend's headers.
    const std::size_t units = (ancbufsize + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t);
    detail::scratch<std::max_align_t, 8> control(units);
    if (!control.ok()) {
        ec = sys::make_error(sys::err_nomem);
        return;
    }
    detail::deadline dl = detail::call_deadline(*st, flags, sys::wait_for::read);
    std::size_t control_size = 0;
    msg_flags out_flags{};
    const auto n = detail::sock_call(
        *st, detail::caller::socket, sys::wait_for::read, dl,
        [&](std::error_code& e) {
            control_size = ancbufsize;
            return sys::recvmsg(st->fd, buffers.data(), buffers.size(), control.data(), control_size, flags,
                                out_flags, &out.from, e);
        },
        ec);
    if (n < 0) {
        out.from = address();
        return;
    }
    out.size = static_cast<std::size_t>(n);
    out.flags = out_flags;
    sys::decode_control(control.data(), control_size, out);
}

}  // namespace

// --- the types ---------------------------------------------------------------------------------

void unique_handle::reset(native_handle h) noexcept {
    const native_handle old = std::exchange(h_, h);
    if (old != invalid_handle) {
        std::error_code ignored;
        sys::close(old, ignored);
    }
}

std::vector<native_handle> received_message::release_fds() {
    std::vector<native_handle> out;
    out.reserve(fds.size());
    for (unique_handle& fd : fds) out.push_back(fd.release());
    fds.clear();
    return out;
}

const received_control_message* received_message::find(option_level level, option_name type) const noexcept {
    for (const auto& item : ancillary)
        if (item.level == level && item.type == type) return &item;
    return nullptr;
}

std::optional<credentials> received_message::sender() const noexcept {
#ifdef USOCKET_HAS_SCM_CREDENTIALS
    const received_control_message* item = find(sol_socket, scm_credentials);
    if (item == nullptr || item->data.size() < sizeof(credentials)) return std::nullopt;
    credentials c;
    std::memcpy(&c, item->data.data(), sizeof c);
    return c;
#else
    return std::nullopt;
#endif
}

std::size_t cmsg_len(std::size_t n, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    std::size_t out = 0;
    return sys::cmsg_len(n, out, ec) ? out : 0;
}

std::size_t cmsg_len(std::size_t n) {
    return detail::or_throw("CMSG_LEN() argument out of range", [&](std::error_code& ec) { return cmsg_len(n, ec); });
}

std::size_t cmsg_space(std::size_t n, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    std::size_t out = 0;
    return sys::cmsg_space(n, out, ec) ? out : 0;
}

std::size_t cmsg_space(std::size_t n) {
    return detail::or_throw("CMSG_SPACE() argument out of range",
                            [&](std::error_code& ec) { return cmsg_space(n, ec); });
}

// --- the socket's calls ------------------------------------------------------------------------

std::size_t socket::sendmsg(std::span<const const_buffer> buffers, std::span<const control_message> ancillary,
                            msg_flags flags, const address& to, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    // The control buffer's size: the sum of each item's space, within what a msghdr holds.
    std::size_t control_size = 0;
    for (const control_message& item : ancillary) {
        std::size_t space = 0;
        if (!sys::cmsg_space(item.data.size(), space, ec)) return 0;
        if (space > static_cast<std::size_t>(std::numeric_limits<int>::max()) - control_size) {
            ec = errc::size_too_large;
            return 0;
        }
        control_size += space;
    }
    detail::socket_state* st = state();
    const detail::use_guard use(st);
    if (!detail::plain_descriptor(use, st, ec)) return 0;
    const std::size_t units = (control_size + sizeof(std::max_align_t) - 1) / sizeof(std::max_align_t);
    detail::scratch<std::max_align_t, 8> control(units);
    if (!control.ok()) {
        ec = sys::make_error(sys::err_nomem);
        return 0;
    }
    if (control_size != 0 &&
        !sys::encode_control(ancillary.data(), ancillary.size(), control.data(), control_size, ec))
        return 0;
    detail::deadline dl = detail::call_deadline(*st, flags, sys::wait_for::write);
    const auto n = detail::sock_call(
        *st, detail::caller::socket, sys::wait_for::write, dl,
        [&](std::error_code& e) {
            return sys::sendmsg(st->fd, buffers.data(), buffers.size(), control.data(), control_size, flags,
                                to.empty() ? nullptr : &to, e);
        },
        ec);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::size_t socket::sendmsg(std::span<const const_buffer> buffers, std::span<const control_message> ancillary,
                            msg_flags flags, const address& to) {
    return detail::or_throw("sendmsg", [&](std::error_code& ec) { return sendmsg(buffers, ancillary, flags, to, ec); });
}

received_message socket::recvmsg_into(std::span<const mutable_buffer> buffers, std::size_t ancbufsize,
                                      msg_flags flags, std::error_code& ec) {
    received_message out;
    receive_message(state(), buffers, ancbufsize, flags, out, ec);
    return out;
}

received_message socket::recvmsg_into(std::span<const mutable_buffer> buffers, std::size_t ancbufsize,
                                      msg_flags flags) {
    return detail::or_throw("recvmsg_into",
                            [&](std::error_code& ec) { return recvmsg_into(buffers, ancbufsize, flags, ec); });
}

received_message socket::recvmsg(std::size_t bufsize, std::size_t ancbufsize, msg_flags flags, std::error_code& ec) {
    detail::clear_error(ec);
    if (bufsize > detail::max_io_size) {
        ec = errc::size_too_large;
        return {};
    }
    received_message out;
    out.data.resize(bufsize);
    const mutable_buffer whole(out.data.data(), bufsize);
    receive_message(state(), std::span<const mutable_buffer>(&whole, 1), ancbufsize, flags, out, ec);
    out.data.resize(out.size);
    return out;
}

received_message socket::recvmsg(std::size_t bufsize, std::size_t ancbufsize, msg_flags flags) {
    return detail::or_throw("recvmsg", [&](std::error_code& ec) { return recvmsg(bufsize, ancbufsize, flags, ec); });
}

// --- CPython's helpers -------------------------------------------------------------------------

std::size_t send_fds(socket& s, std::span<const const_buffer> buffers, std::span<const native_handle> fds,
                     msg_flags flags, const address& to, std::error_code& ec) noexcept {
#ifdef USOCKET_HAS_SCM_RIGHTS
    const control_message item = control_message::descriptors(fds);
    return s.sendmsg(buffers, std::span<const control_message>(&item, 1), flags, to, ec);
#else
    (void)s, (void)buffers, (void)fds, (void)flags, (void)to;
    ec = errc::unsupported;
    return 0;
#endif
}

std::size_t send_fds(socket& s, std::span<const const_buffer> buffers, std::span<const native_handle> fds,
                     msg_flags flags, const address& to) {
    return detail::or_throw("send_fds", [&](std::error_code& ec) { return send_fds(s, buffers, fds, flags, to, ec); });
}

received_message recv_fds(socket& s, std::size_t bufsize, std::size_t maxfds, msg_flags flags, std::error_code& ec) {
    detail::clear_error(ec);
    if (maxfds > std::numeric_limits<int>::max() / sizeof(native_handle)) {
        ec = errc::size_too_large;
        return {};
    }
    const std::size_t ancbufsize = cmsg_len(maxfds * sizeof(native_handle), ec);
    if (ec) return {};
    return s.recvmsg(bufsize, ancbufsize, flags, ec);
}

received_message recv_fds(socket& s, std::size_t bufsize, std::size_t maxfds, msg_flags flags) {
    return detail::or_throw("recv_fds", [&](std::error_code& ec) { return recv_fds(s, bufsize, maxfds, flags, ec); });
}

#ifdef USOCKET_TESTING
USOCKET_API void testing::decode_control(const void* control, std::size_t size, received_message& out) {
    sys::decode_control(control, size, out);
}
#endif

}  // namespace usocket
