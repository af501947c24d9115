// The lwIP backend's ancillary data and batches (src/sys.hpp, "messages, batches..."): control
// buffers laid out and read with lwIP's CMSG_* macros (what lwIP's recvmsg() gives: IP_PKTINFO;
// it sends none and passes no descriptors), and no batch calls (ENOSYS: the portable layer sends
// and receives one datagram at a time). sendmsg() and recvmsg() are in src/lwip/sys.cpp.

#include <climits>
#include <cstring>
#include <string>

#include "lwip.hpp"
#include "usocket/error.hpp"
#include "usocket/message.hpp"

namespace usocket::sys {

namespace {
// CPython's limit (get_CMSG_LEN): the length must fit socklen_t as an int.
constexpr std::size_t socklen_limit = INT_MAX;
}  // namespace

bool cmsg_len(std::size_t n, std::size_t& out, std::error_code& ec) noexcept {
    if (n > socklen_limit - CMSG_LEN(0)) {
        ec = errc::size_too_large;
        return false;
    }
    out = CMSG_LEN(n);
    return true;
}

bool cmsg_space(std::size_t n, std::size_t& out, std::error_code& ec) noexcept {
    if (n > socklen_limit - CMSG_SPACE(1)) {
        ec = errc::size_too_large;
        return false;
    }
    out = CMSG_SPACE(n);
    return true;
}

bool encode_control(const control_message* items, std::size_t count, void* out, std::size_t out_size,
                    std::error_code& ec) noexcept {
    std::memset(out, 0, out_size);
    msghdr m{};
    m.msg_control = out;
    m.msg_controllen = static_cast<socklen_t>(out_size);
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    for (std::size_t i = 0; i < count; ++i) {
        if (c == nullptr) {
            ec = make_error(EINVAL);
            return false;
        }
        c->cmsg_level = items[i].level;
        c->cmsg_type = items[i].type;
        c->cmsg_len = static_cast<socklen_t>(CMSG_LEN(items[i].data.size()));
        if (items[i].data.size() != 0) std::memcpy(CMSG_DATA(c), items[i].data.data(), items[i].data.size());
        c = CMSG_NXTHDR(&m, c);
    }
    return true;
}

void decode_control(const void* control, std::size_t size, received_message& out) {
    // As CPython's recvmsg walks it: an item whose header does not fit ends the walk; an item
    // whose data runs past the buffer is cut to what arrived and ends it. lwIP passes no
    // descriptors: nothing goes to out.fds.
    if (control == nullptr || size < CMSG_LEN(0)) return;
    msghdr m{};
    m.msg_control = const_cast<void*>(control);
    m.msg_controllen = static_cast<socklen_t>(size);
    const auto* base = static_cast<const unsigned char*>(control);
    for (const cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, const_cast<cmsghdr*>(c))) {
        const auto at = static_cast<std::size_t>(reinterpret_cast<const unsigned char*>(c) - base);
        if (at + CMSG_LEN(0) > size) break;
        if (c->cmsg_len < CMSG_LEN(0)) {
            out.truncated_item = true;
            break;
        }
        const auto* data = static_cast<const unsigned char*>(CMSG_DATA(c));
        const auto data_at = static_cast<std::size_t>(data - base);
        const std::size_t space = data_at <= size ? size - data_at : 0;
        std::size_t len = c->cmsg_len - CMSG_LEN(0);
        const bool cut = len > space;
        if (cut) len = space;
        out.ancillary.push_back({option_level{c->cmsg_level}, option_name{c->cmsg_type},
                                 std::string(reinterpret_cast<const char*>(data), len)});
        if (cut) {
            out.truncated_item = true;
            break;
        }
    }
}

int send_batch(handle, const outgoing_datagram*, std::size_t, msg_flags, std::error_code& ec) noexcept {
    ec = make_error(ENOSYS);
    return -1;
}

int recv_batch(handle, incoming_datagram*, std::size_t, msg_flags, std::error_code& ec) noexcept {
    ec = make_error(ENOSYS);
    return -1;
}

}  // namespace usocket::sys
