// Batches of datagrams: socket::send_many and recv_many over the backend's sendmmsg/recvmmsg,
// or one call per datagram where it has none (sys::send_batch / recv_batch give ENOSYS), with
// the same results either way: the first datagram waits as the socket's timeout says, the others
// are only those that go or are there without waiting. A stream socket's send_many sends one
// message per call and counts only whole messages (finish_message).

#include <atomic>
#include <type_traits>

#include "batch.hpp"
#include "message_call.hpp"
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

// The frame of both calls: the checks, one deadline, the backend's batch call (unless not
// `batchable`), and where it has none, `one(datagram, deadline, first, ec)` per datagram: the
// first waits as the timeout says, the others only as a blocking descriptor does; an error
// (`one` < 0) after the first ends the batch with the count so far (as sendmmsg/recvmmsg
// report it), and a datagram taken in part (`one` > 0) ends it counted. `after(count,
// deadline, ec)` has the last word, under the same deadline and while the call still holds the
// descriptor.
template <class Datagram, class Batch, class One, class After>
std::size_t batch_call(detail::socket_state* st, std::span<Datagram> datagrams, msg_flags flags, sys::wait_for what,
                       bool batchable, Batch&& batch, One&& one, After&& after, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (datagrams.empty()) return 0;
    const detail::use_guard use(st);
    if (!detail::plain_descriptor(use, st, ec)) return 0;
    if constexpr (std::is_same_v<Datagram, incoming_datagram>) {
        // Bytes a readline() left buffered come first, as one datagram of their own.
        if (st->buffered.load(std::memory_order_acquire) != 0) [[unlikely]] {
            Datagram& d = datagrams.front();
            std::size_t got = 0;
            if (detail::take_buffered(*st, std::span<const mutable_buffer>(&d.buffer, 1), has_any(flags, msg_peek),
                                      has_any(flags, msg_dontwait), got, ec)) {
                d.size = got;
                d.from = address();
                d.flags = msg_flags{};
                return 1;
            }
            if (ec) return 0;
        }
    }
    detail::deadline dl = detail::call_deadline(*st, flags, what);
    if (batchable && !use_portable()) {
        const auto n = detail::sock_call(*st, detail::caller::socket, what, dl, batch, ec);
        if (n >= 0) return after(static_cast<std::size_t>(n), dl, ec);
        if (ec.value() != sys::err_nosys) return 0;
        ec.assign(0, ec.category());
    }
    std::size_t done = 0;
    for (Datagram& d : datagrams) {
        detail::deadline now_only(0);
        const int r = one(d, done == 0 ? dl : now_only, done == 0, ec);
        if (r < 0) {
            if (done != 0) ec.assign(0, ec.category());
            break;
        }
        ++done;
        if (r > 0) break;
    }
    return after(done, dl, ec);
}

// A stream socket that took part of the last message counted (`sent` bytes, fewer than its
// size: its buffer filled, or a signal cut the call short) gets the rest as sendall sends it,
// under the call's deadline: a message counted went whole, and no later one went before it. When the rest cannot go (the time is up, an
// error, a signal whose handler gives up), the message is not counted and the call fails with
// that error: the stream holds part of it, as after a sendall that fails.
std::size_t finish_message(detail::socket_state& st, std::span<const outgoing_datagram> datagrams, std::size_t done,
                           std::size_t sent, msg_flags flags, detail::deadline& dl, std::error_code& ec) noexcept {
    if (done == 0 || st.type != sock_stream) return done;
    const const_buffer message = datagrams[done - 1].data;
    while (sent < message.size()) {
        if (detail::interrupted_after_progress(ec)) return done - 1;
        if (st.closed()) {
            ec = detail::bad_descriptor();
            return done - 1;
        }
        const sys::ssize n = detail::sock_call(
            st, detail::caller::socket, sys::wait_for::write, dl,
            [&](std::error_code& e) { return sys::send(st.fd, message.data() + sent, message.size() - sent, flags, e); },
            ec);
        if (n < 0) return done - 1;
        sent += static_cast<std::size_t>(n);
    }
    return done;
}

}  // namespace

#ifdef USOCKET_FAULT_INJECTION
void testing::force_portable_batches(bool on) noexcept { portable_only.store(on, std::memory_order_relaxed); }
#endif

std::size_t socket::send_many(std::span<const outgoing_datagram> datagrams, msg_flags flags,
                              std::error_code& ec) noexcept {
    detail::socket_state* st = state();
    std::size_t last_sent = 0;  // the bytes the last message counted took
    // A stream socket sends one message at a time (sendmmsg would go on with the next message
    // after one the kernel took in part, and the stream would mix them).
    const bool stream = st != nullptr && st->type == sock_stream;
    return batch_call(
        st, datagrams, flags, sys::wait_for::write, !stream,
        [&](std::error_code& e) {
            return sys::send_batch(st->fd, datagrams.data(), datagrams.size(), flags, e);
        },
        [&](const outgoing_datagram& d, detail::deadline& dl, bool, std::error_code& e) {
            const sys::ssize n = detail::sock_call(
                *st, detail::caller::socket, sys::wait_for::write, dl,
                [&](std::error_code& e2) {
                    return d.to != nullptr && !d.to->empty()
                               ? sys::sendto(st->fd, d.data.data(), d.data.size(), flags, *d.to, e2)
                               : sys::send(st->fd, d.data.data(), d.data.size(), flags, e2);
                },
                e);
            if (n < 0) return -1;
            last_sent = static_cast<std::size_t>(n);
            return stream && last_sent < d.data.size() ? 1 : 0;
        },
        [&](std::size_t done, detail::deadline& dl, std::error_code& e) {
            return finish_message(*st, datagrams, done, last_sent, flags, dl, e);
        },
        ec);
}

std::size_t socket::send_many(std::span<const outgoing_datagram> datagrams, msg_flags flags) {
    return detail::or_throw("send_many", [&](std::error_code& ec) { return send_many(datagrams, flags, ec); });
}

std::size_t socket::recv_many(std::span<incoming_datagram> datagrams, msg_flags flags, std::error_code& ec) noexcept {
    detail::socket_state* st = state();
    return batch_call(
        st, datagrams, flags, sys::wait_for::read, true,
        [&](std::error_code& e) { return sys::recv_batch(st->fd, datagrams.data(), datagrams.size(), flags, e); },
        [&](incoming_datagram& d, detail::deadline& dl, bool first, std::error_code& e) {
            return receive_one(*st, d, first ? flags : flags | msg_dontwait, dl, e) < 0 ? -1 : 0;
        },
        [](std::size_t done, detail::deadline&, std::error_code&) { return done; }, ec);
}

std::size_t socket::recv_many(std::span<incoming_datagram> datagrams, msg_flags flags) {
    return detail::or_throw("recv_many", [&](std::error_code& ec) { return recv_many(datagrams, flags, ec); });
}

}  // namespace usocket
