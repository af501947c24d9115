#pragma once
// The first try of recv and send, made with the GIL held: the system call with MSG_DONTWAIT,
// which never waits. Only when it would block does the call release the GIL and go the way
// that may wait (the library's call with the socket's timeout, deadline and interrupt check),
// so a call whose answer is ready costs no GIL hand-over. A try that cannot be made without
// waiting (bytes buffered by the stream methods, a transport such as TLS, the read lock held by
// another read) goes that way at once.

#include <utility>

#include "module.hpp"
#include "sock_call.hpp"
#include "stream_hold.hpp"

namespace usocket::python {

/// A library call made with the GIL held: the interrupt check must not take back a GIL this
/// thread holds (a signal handler's call nested in an outer call's check), so it sees no
/// released thread state meanwhile (and then lets the library retry an EINTR).
class gil_held_call {
public:
    gil_held_call() noexcept : saved_(std::exchange(detail::released_thread, nullptr)) {}
    gil_held_call(const gil_held_call&) = delete;
    gil_held_call& operator=(const gil_held_call&) = delete;
    ~gil_held_call() { detail::released_thread = saved_; }

private:
    PyThreadState* saved_;
};

/// True when the GIL vouches that no other thread can reach the socket's state until this thread
/// releases the GIL: none of this object's calls is in flight with the GIL released (each is
/// counted in `calls` under the GIL, socket_call(), close()'s and the finalizer's included),
/// and the object alone holds its plain socket's state (a selector's registration or a file
/// would hold it too). A hold on the buffer then needs no lock (nowait_hold's `exclusive`), and
/// a try of the system call no use guard (detail::vouched_send/recv): no other thread can close
/// the descriptor meanwhile. A free-threaded build has no GIL to vouch for it.
inline bool sole_user(PyObject* self) noexcept {
#ifdef Py_GIL_DISABLED
    static_cast<void>(self);
    return false;
#else
    const usocket::detail::socket_state* st = usocket::socket_access::state(sock_of(self));
    return reinterpret_cast<const py_socket*>(self)->calls == 0 && st != nullptr && st->tr == nullptr &&
           st->sole_holder();
#endif
}

/// The socket's state when sole_user() holds and its buffer may be read with no lock
/// (detail::vouched_buffer): the stream methods' straight line. Null otherwise.
inline usocket::detail::socket_state* vouched_state(PyObject* self) noexcept {
    if (!sole_user(self)) [[unlikely]]
        return nullptr;
    return usocket::detail::vouched_buffer(usocket::socket_access::state(sock_of(self)));
}

/// True when a try (for `what`) that would block must wait: a blocking socket or one with a
/// timeout, and flags that may wait (not MSG_DONTWAIT, nor a receive's MSG_ERRQUEUE on an IP
/// socket).
inline bool waits(const usocket::detail::socket_state& st, int flags, usocket::sys::wait_for what) noexcept {
    return st.timeout_ns() != 0 && !usocket::detail::never_waits(st, msg_flags{flags}, what);
}

/// receive_nowait()'s way when the unguarded try did not answer with a count (out of line): `r`
/// is that try's -1 (its error in `ec`), or -2 when none was made or it handed over.
template <class Receive>
[[gnu::noinline]] bool receive_answer(PyObject* self, int flags, std::error_code& ec, std::size_t& got, sys::ssize r,
                                      Receive& receive) {
    const usocket::detail::socket_state* st = usocket::socket_access::state(sock_of(self));
    if (r == -2) {
        if (st == nullptr || st->tr != nullptr || st->buffered.load(std::memory_order_acquire) != 0) return false;
        const gil_held_call held;
        got = receive(msg_flags{flags} | msg_dontwait);
    } else {
        got = 0;
    }
    if (ec && is_would_block(ec) && waits(*st, flags, usocket::sys::wait_for::read)) {
        ec.clear();
        return false;
    }
    return true;
}

/// A receive's first try (not with MSG_WAITALL): `receive(flags)` (the socket's receive call,
/// with `ec`) with MSG_DONTWAIT added, when the socket is plain (no transport) and holds no
/// buffered bytes, the library's own test on its receive's fast path (the buffered count is
/// published after every change of the buffer; a stream read that fills it meanwhile on
/// another thread is a concurrent reader, whose bytes come first to whoever reads next). True
/// when it answered (`got`, or the error in `ec`); false when the call must go the way that
/// may wait. `plain`, when not empty: `receive` is recv(2) into it, which sole_user() lets this
/// try make without the use guard.
template <class Receive>
bool receive_nowait(PyObject* self, int flags, std::error_code& ec, std::size_t& got, Receive&& receive,
                    mutable_buffer plain = {}) {
    // MSG_DONTWAIT would turn MSG_WAITALL's "all of it" into "what is there".
    if (has_any(msg_flags{flags}, msg_waitall)) return false;
    // Over a backend whose mutex cannot be tried (lwIP's), bytes buffered by another thread
    // meanwhile would make the library's call wait for the read lock, with the GIL held.
    if constexpr (!usocket::detail::mutex_can_try<usocket::sys::stream_mutex>) return false;
    sys::ssize r = -2;
    if (plain.size() != 0 && sole_user(self)) [[likely]] {
        r = usocket::detail::vouched_recv(sock_of(self), plain, msg_flags{flags}, ec);
        if (r >= 0) [[likely]] {
            got = static_cast<std::size_t>(r);
            return true;
        }
    }
    return receive_answer(self, flags, ec, got, r, receive);
}

/// send_nowait's way when the unguarded try did not send everything (out of line): `r` is
/// that try's count or -1 (its error in `ec`), or -2 when none was made or it handed over.
bool send_answer(PyObject* self, const_buffer data, int flags, std::error_code& ec, std::size_t& sent, sys::ssize r);

/// send's first try. A blocking socket's send sends everything (fewer only when a signal cuts
/// it short): when the try sent part of it, the rest is sent with the GIL released, and an
/// error or a signal there ends the call with the count sent so far, as the kernel's blocking
/// send does (the signal's handler runs when the call has returned). True when it answered.
/// The unguarded try when sole_user() allows it; everything but its whole success goes on in
/// send_answer().
inline bool send_nowait(PyObject* self, const_buffer data, int flags, std::error_code& ec, std::size_t& sent) {
    sys::ssize r = -2;
    if (sole_user(self)) [[likely]] {
        r = usocket::detail::vouched_send(sock_of(self), data, msg_flags{flags}, ec);
        if (r >= 0 && static_cast<std::size_t>(r) == data.size()) [[likely]] {
            sent = data.size();
            return true;
        }
    }
    return send_answer(self, data, flags, ec, sent, r);
}

}  // namespace usocket::python
