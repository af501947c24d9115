// The POSIX backend's message calls (src/sys.hpp, "messages, batches..."): sendmsg/recvmsg with
// control buffers laid out and read with the system's CMSG_* macros, and sendmmsg/recvmmsg
// where the system has them (Linux; ENOSYS elsewhere, and the portable layer sends one datagram
// at a time).

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>

#include "../fault.hpp"
#include "../scratch.hpp"
#include "../sys.hpp"
#include "usocket/address.hpp"
#include "usocket/error.hpp"
#include "usocket/message.hpp"

#ifdef SCM_CREDENTIALS
// control_message::sender() and received_message::sender() view credentials as struct ucred.
static_assert(sizeof(struct ucred) == sizeof(usocket::credentials));
static_assert(offsetof(struct ucred, pid) == offsetof(usocket::credentials, pid));
static_assert(offsetof(struct ucred, uid) == offsetof(usocket::credentials, uid));
static_assert(offsetof(struct ucred, gid) == offsetof(usocket::credentials, gid));
#endif

namespace usocket::sys {

namespace {

inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }

#ifdef MSG_CMSG_CLOEXEC
constexpr int cmsg_cloexec = MSG_CMSG_CLOEXEC;
#else
constexpr int cmsg_cloexec = 0;
#endif

// CPython's limit (get_CMSG_LEN): the length must fit socklen_t as an int.
constexpr std::size_t socklen_limit = INT_MAX;

constexpr std::size_t iov_inline = 16;

// The iovecs of `count` buffers (const or mutable).
template <class Buffer>
bool fill_iovecs(detail::scratch<iovec, iov_inline>& iov, const Buffer* buffers, std::size_t count,
                 std::error_code& ec) noexcept {
    if (!iov.ok()) {
        ec = make_error(ENOMEM);
        return false;
    }
    for (std::size_t i = 0; i < count; ++i)
        iov.data()[i] = iovec{const_cast<std::byte*>(buffers[i].data()), buffers[i].size()};
    return true;
}

// The complete descriptors of an SCM_RIGHTS item's `len` data bytes at `data`.
template <class F>
void for_each_fd(const unsigned char* data, std::size_t len, F&& f) {
    for (std::size_t off = 0; off + sizeof(int) <= len; off += sizeof(int)) {
        int fd;
        std::memcpy(&fd, data + off, sizeof fd);
        f(fd);
    }
}

// One item of a received control buffer: where its data starts and how much of it arrived.
struct item_view {
    const cmsghdr* header;
    const unsigned char* data;
    std::size_t len;
    bool cut;
};

// Walks a received control buffer as CPython's recvmsg does: an item whose header does not fit
// ends the walk; an item whose data runs past the buffer is cut to what arrived and ends it.
template <class F>
void walk_control(const void* control, std::size_t size, F&& f) {
    if (control == nullptr || size < CMSG_LEN(0)) return;
    msghdr m{};
    m.msg_control = const_cast<void*>(control);
    m.msg_controllen = static_cast<decltype(m.msg_controllen)>(size);
    const auto* base = static_cast<const unsigned char*>(control);
    for (const cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, const_cast<cmsghdr*>(c))) {
        const auto at = static_cast<std::size_t>(reinterpret_cast<const unsigned char*>(c) - base);
        if (at + CMSG_LEN(0) > size) break;
        if (c->cmsg_len < CMSG_LEN(0)) {  // malformed: nothing of it can be read
            f(item_view{c, nullptr, 0, true});
            break;
        }
        const auto* data = reinterpret_cast<const unsigned char*>(CMSG_DATA(c));
        const auto data_at = static_cast<std::size_t>(data - base);
        const std::size_t space = data_at <= size ? size - data_at : 0;
        std::size_t len = c->cmsg_len - CMSG_LEN(0);
        const bool cut = len > space;
        if (cut) len = space;
        if (!f(item_view{c, data, len, cut}) || cut) break;
    }
}

bool is_rights(const cmsghdr* c) noexcept {
#ifdef SCM_RIGHTS
    return c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS;
#else
    (void)c;
    return false;
#endif
}

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
    // CMSG_SPACE(1) counts the padding before and after the data (CPython's get_CMSG_SPACE).
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
    m.msg_controllen = static_cast<decltype(m.msg_controllen)>(out_size);
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    for (std::size_t i = 0; i < count; ++i) {
        if (c == nullptr) {
            ec = make_error(EINVAL);
            return false;
        }
        c->cmsg_level = items[i].level;
        c->cmsg_type = items[i].type;
        c->cmsg_len = static_cast<decltype(c->cmsg_len)>(CMSG_LEN(items[i].data.size()));
        if (items[i].data.size() != 0) std::memcpy(CMSG_DATA(c), items[i].data.data(), items[i].data.size());
        c = CMSG_NXTHDR(&m, c);
    }
    return true;
}

void decode_control(const void* control, std::size_t size, received_message& out) {
    // The descriptors first, so that they are owned before anything below allocates: if a
    // push fails, those not yet owned are closed here.
    std::size_t owned = 0, seen = 0;
#if USOCKET_HAS_EXCEPTIONS
    try {
#endif
        walk_control(control, size, [&](const item_view& v) {
            if (is_rights(v.header))
                for_each_fd(v.data, v.len, [&](int fd) {
#ifndef MSG_CMSG_CLOEXEC
                    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
#endif
                    out.fds.emplace_back(fd);
                    ++owned;
                });
            return true;
        });
#if USOCKET_HAS_EXCEPTIONS
    } catch (...) {
        walk_control(control, size, [&](const item_view& v) {
            if (is_rights(v.header))
                for_each_fd(v.data, v.len, [&](int fd) {
                    if (seen++ >= owned) ::close(fd);
                });
            return true;
        });
        throw;
    }
#endif
    (void)seen;
    walk_control(control, size, [&](const item_view& v) {
        if (v.data == nullptr) {
            out.truncated_item = true;
            return false;
        }
        out.ancillary.push_back({option_level{v.header->cmsg_level}, option_name{v.header->cmsg_type},
                                 std::string(reinterpret_cast<const char*>(v.data), v.len)});
        if (v.cut) out.truncated_item = true;
        return true;
    });
}

ssize sendmsg(handle fd, const const_buffer* buffers, std::size_t count, const void* control,
              std::size_t control_size, msg_flags flags, const address* to, std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::send, unused, -1);
    detail::scratch<iovec, iov_inline> iov(count);
    if (!fill_iovecs(iov, buffers, count, ec)) return -1;
    msghdr m{};
    if (to != nullptr && !to->empty()) {
        m.msg_name = const_cast<void*>(to->data());
        m.msg_namelen = static_cast<socklen_t>(to->size());
    }
    m.msg_iov = iov.data();
    m.msg_iovlen = static_cast<decltype(m.msg_iovlen)>(count);
    m.msg_control = control_size != 0 ? const_cast<void*>(control) : nullptr;
    m.msg_controllen = static_cast<decltype(m.msg_controllen)>(control_size);
    const ssize n = ::sendmsg(fd, &m, flags | no_sigpipe);
    if (n < 0) ec = last_error();
    return n;
}

ssize recvmsg(handle fd, const mutable_buffer* buffers, std::size_t count, void* control, std::size_t& control_size,
              msg_flags flags, msg_flags& out_flags, address* from, std::error_code& ec) noexcept {
    USOCKET_COUNT_RECV();
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::recv, unused, -1);
    detail::scratch<iovec, iov_inline> iov(count);
    if (!fill_iovecs(iov, buffers, count, ec)) return -1;
    msghdr m{};
    if (from != nullptr) {
        m.msg_name = from->data();
        m.msg_namelen = address::capacity;
    }
    m.msg_iov = iov.data();
    m.msg_iovlen = static_cast<decltype(m.msg_iovlen)>(count);
    m.msg_control = control_size != 0 ? control : nullptr;
    m.msg_controllen = static_cast<decltype(m.msg_controllen)>(control_size);
    const ssize n = ::recvmsg(fd, &m, flags | cmsg_cloexec);
    if (n < 0) {
        ec = last_error();
        control_size = 0;
        return -1;
    }
    if (from != nullptr) from->resize(m.msg_namelen);
    control_size = m.msg_control != nullptr ? m.msg_controllen : 0;
    // Linux echoes MSG_CMSG_CLOEXEC in the flags: the caller did not ask for it.
    out_flags = msg_flags{m.msg_flags & ~(cmsg_cloexec & ~static_cast<int>(flags))};
    return n;
}

#if defined(__linux__)

namespace {

constexpr std::size_t batch_inline = 32;

// The headers of one sendmmsg/recvmmsg call: one buffer and one address per datagram.
class batch_headers {
public:
    explicit batch_headers(std::size_t count) noexcept : msgs_(count), iov_(count) {}
    bool ok(std::error_code& ec) const noexcept {
        if (msgs_.ok() && iov_.ok()) return true;
        ec = make_error(ENOMEM);
        return false;
    }
    void set(std::size_t i, void* data, std::size_t size, void* name, std::size_t name_size) noexcept {
        iov_.data()[i] = iovec{data, size};
        msghdr& m = msgs_.data()[i].msg_hdr;
        m = msghdr{};
        m.msg_name = name;
        m.msg_namelen = static_cast<socklen_t>(name_size);
        m.msg_iov = &iov_.data()[i];
        m.msg_iovlen = 1;
        msgs_.data()[i].msg_len = 0;
    }
    mmsghdr* data() noexcept { return msgs_.data(); }

private:
    detail::scratch<mmsghdr, batch_inline> msgs_;
    detail::scratch<iovec, batch_inline> iov_;
};

}  // namespace

int send_batch(handle fd, const outgoing_datagram* datagrams, std::size_t count, msg_flags flags,
               std::error_code& ec) noexcept {
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::sendto, unused, -1);
    if (count > UIO_MAXIOV) count = UIO_MAXIOV;
    batch_headers h(count);
    if (!h.ok(ec)) return -1;
    for (std::size_t i = 0; i < count; ++i) {
        const outgoing_datagram& d = datagrams[i];
        const bool to = d.to != nullptr && !d.to->empty();
        h.set(i, const_cast<std::byte*>(d.data.data()), d.data.size(), to ? const_cast<void*>(d.to->data()) : nullptr,
              to ? d.to->size() : 0);
    }
    const int n = ::sendmmsg(fd, h.data(), static_cast<unsigned>(count), flags | no_sigpipe);
    if (n < 0) ec = last_error();
    return n;
}

int recv_batch(handle fd, incoming_datagram* datagrams, std::size_t count, msg_flags flags,
               std::error_code& ec) noexcept {
    USOCKET_COUNT_RECV();
    std::size_t unused = 0;
    USOCKET_FAULT_POINT(testing::op::recvfrom, unused, -1);
    if (count > UIO_MAXIOV) count = UIO_MAXIOV;
    batch_headers h(count);
    if (!h.ok(ec)) return -1;
    for (std::size_t i = 0; i < count; ++i)
        h.set(i, datagrams[i].buffer.data(), datagrams[i].buffer.size(), datagrams[i].from.data(), address::capacity);
    const int n = ::recvmmsg(fd, h.data(), static_cast<unsigned>(count), flags | MSG_WAITFORONE, nullptr);
    if (n < 0) {
        ec = last_error();
        return -1;
    }
    for (int i = 0; i < n; ++i) {
        incoming_datagram& d = datagrams[i];
        const msghdr& m = h.data()[i].msg_hdr;
        d.size = h.data()[i].msg_len;
        d.from.resize(m.msg_namelen);
        d.flags = msg_flags{m.msg_flags};
    }
    return n;
}

#else

int send_batch(handle, const outgoing_datagram*, std::size_t, msg_flags, std::error_code& ec) noexcept {
    ec = make_error(ENOSYS);
    return -1;
}

int recv_batch(handle, incoming_datagram*, std::size_t, msg_flags, std::error_code& ec) noexcept {
    ec = make_error(ENOSYS);
    return -1;
}

#endif

}  // namespace usocket::sys
