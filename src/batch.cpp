// Batches of datagrams: socket::send_many and recv_many over the backend's sendmmsg/recvmmsg,
// or one call per datagram where it has none (sys::send_batch / recv_batch give ENOSYS), with
// the same results either way: the first datagram waits as the socket's timeout says, the others
// are only those that go or are there without waiting.

#include <atomic>

#include "batch.hpp"
#include "or_throw.hpp"
#include "sock_call.hpp"
#include "socket_state.hpp"
#include "sys.hpp"
#include "usocket/socket.hpp"

namespace usocket {

namespace {

#ifdef USOCKET_FAULT_INJECTION
std::atomic<bool> portable_only{false};
bool use_portable() noexcept { return portable_only.load(std::memory_order_relaxed); }
#else
constexpr bool use_portable() noexcept { return false; }
#endif

// One datagram, as recvmmsg fills it (its flags say msg_trunc), by recvmsg where the backend has
// it, else by recvfrom.
sys::ssize receive_one(detail::socket_state& st, incoming_datagram& d, msg_flags flags, detail::deadline& dl,
                       std::error_code& ec) noexcept {
    d.flags = msg_flags{};
    const sys::ssize n = detail::sock_call(
        st, detail::caller::socket, sys::wait_for::read, dl,
        [&](std::error_code& e) {
            std::size_t no_control = 0;
            const sys::ssize r = sys::recvmsg(st.fd, &d.buffer, 1, nullptr, no_control, flags, d.flags, &d.from, e);
            if (r >= 0 || e.value() != sys::err_nosys) return r;
            e.assign(0, e.category());
            return sys::recvfrom(st.fd, d.buffer.data(), d.buffer.size(), flags, &d.from, e);
        },
        ec);
    if (n >= 0) d.size = static_cast<std::size_t>(n);
    return n;
}

}  // namespace

#ifdef USOCKET_FAULT_INJECTION
void testing::force_portable_batches(bool on) noexcept { portable_only.store(on, std::memory_order_relaxed); }
#endif

std::size_t socket::send_many(std::span<const outgoing_datagram> datagrams, msg_flags flags,
                              std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (datagrams.empty()) return 0;
    detail::socket_state* st = state();
    const detail::use_guard use(st);
    if (!use) {
        ec = detail::bad_descriptor();
        return 0;
    }
    if (st->tr != nullptr) {
        ec = errc::unsupported;
        return 0;
    }
    detail::deadline dl = detail::call_deadline(*st, has_any(flags, msg_dontwait));
    if (!use_portable()) {
        const auto n = detail::sock_call(
            *st, detail::caller::socket, sys::wait_for::write, dl,
            [&](std::error_code& e) { return sys::send_batch(st->fd, datagrams.data(), datagrams.size(), flags, e); },
            ec);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (ec.value() != sys::err_nosys) return 0;
        ec.assign(0, ec.category());
    }
    // One call per datagram. After the first, none waits for a timeout (a blocking socket blocks
    // in the kernel, as sendmmsg does), and an error ends the batch with the count so far.
    std::size_t sent = 0;
    for (const outgoing_datagram& d : datagrams) {
        detail::deadline now_only(0);
        detail::deadline& this_dl = sent == 0 ? dl : now_only;
        const auto n = detail::sock_call(
            *st, detail::caller::socket, sys::wait_for::write, this_dl,
            [&](std::error_code& e) {
                return d.to != nullptr && !d.to->empty()
                           ? sys::sendto(st->fd, d.data.data(), d.data.size(), flags, *d.to, e)
                           : sys::send(st->fd, d.data.data(), d.data.size(), flags, e);
            },
            ec);
        if (n < 0) {
            if (sent != 0) ec.assign(0, ec.category());
            break;
        }
        ++sent;
    }
    return sent;
}

std::size_t socket::send_many(std::span<const outgoing_datagram> datagrams, msg_flags flags) {
    return detail::or_throw("send_many", [&](std::error_code& ec) { return send_many(datagrams, flags, ec); });
}

std::size_t socket::recv_many(std::span<incoming_datagram> datagrams, msg_flags flags, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (datagrams.empty()) return 0;
    detail::socket_state* st = state();
    const detail::use_guard use(st);
    if (!use) {
        ec = detail::bad_descriptor();
        return 0;
    }
    if (st->tr != nullptr) {
        ec = errc::unsupported;
        return 0;
    }
    detail::deadline dl = detail::call_deadline(*st, has_any(flags, msg_dontwait));
    if (!use_portable()) {
        const auto n = detail::sock_call(
            *st, detail::caller::socket, sys::wait_for::read, dl,
            [&](std::error_code& e) { return sys::recv_batch(st->fd, datagrams.data(), datagrams.size(), flags, e); },
            ec);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (ec.value() != sys::err_nosys) return 0;
        ec.assign(0, ec.category());
    }
    // One call per datagram: the first waits as the timeout says, the others take only what is
    // queued (recvmmsg's MSG_WAITFORONE).
    std::size_t got = 0;
    for (incoming_datagram& d : datagrams) {
        detail::deadline now_only(0);
        const sys::ssize n = got == 0 ? receive_one(*st, d, flags, dl, ec)
                                      : receive_one(*st, d, flags | msg_dontwait, now_only, ec);
        if (n < 0) {
            if (got != 0) ec.assign(0, ec.category());
            break;
        }
        ++got;
    }
    return got;
}

std::size_t socket::recv_many(std::span<incoming_datagram> datagrams, msg_flags flags) {
    return detail::or_throw("recv_many", [&](std::error_code& ec) { return recv_many(datagrams, flags, ec); });
}

}  // namespace usocket
