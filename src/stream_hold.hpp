#pragma once
// A hold on a socket's read-ahead buffer that never waits, for a caller that must not wait where
// it stands (the Python module, which holds the GIL): the stream methods serve bytes already
// buffered there, and recv/send try the system once without waiting, before anything that may
// wait (which then runs with the GIL released, through the socket's own calls). Not a public
// header.

#include "socket_access.hpp"
#include "socket_state.hpp"

namespace usocket::detail {

/// The socket's read lock, taken only when free, on an open socket: when the socket is closed,
/// has no state, or the lock is held (by another thread's read, or by a read this thread is
/// inside: a reentrant call), the hold is empty and the caller goes the way that may wait,
/// which reports or waits as usual. The hold reads the buffer only: it does not enter as a call
/// on the descriptor (the buffer's memory is released under the read lock when the descriptor
/// closes, and the caller's socket object keeps the state alive); a system call made under it
/// enters as usual (the socket's own call).
class nowait_hold {
public:
    /// `exclusive`: the caller vouches that no other thread can touch the state's read lock or
    /// buffer until the hold ends (the Python module under the GIL, for a socket object with no
    /// call in flight that alone holds its state: every other way to the buffer goes through
    /// that object's calls, counted under the GIL). The hold then takes no lock: the GIL orders
    /// it with every earlier holder of the lock. Otherwise the lock is tried.
    explicit nowait_hold(const socket& s, bool exclusive = false) noexcept
        : st_(socket_access::state(s)), locked_(!exclusive) {
        if (st_ == nullptr) return;
        if (exclusive) {
            if (st_->closed()) [[unlikely]]
                st_ = nullptr;
            else
                st_->rb.settle();
            return;
        }
        if (!st_->read_lock.try_lock()) [[unlikely]] {
            st_ = nullptr;
            return;
        }
        if (st_->closed()) [[unlikely]] {  // after the lock: the buffer is not released under it
            st_->read_lock.unlock();
            st_ = nullptr;
            return;
        }
        st_->rb.settle();
    }
    nowait_hold(const nowait_hold&) = delete;
    nowait_hold& operator=(const nowait_hold&) = delete;
    ~nowait_hold() {
        if (st_ == nullptr) return;
        if (consumed_) st_->publish();
        if (locked_) st_->read_lock.unlock();
    }
    explicit operator bool() const noexcept { return st_ != nullptr; }
    socket_state& state() const noexcept { return *st_; }
    /// The buffered bytes (settled: a socket_streambuf's get area committed).
    const std::byte* head() const noexcept { return st_->rb.head(); }
    std::size_t size() const noexcept { return st_->rb.size(); }
    /// Drops the first n buffered bytes (n <= size()); the buffer's size is published on release.
    void consume(std::size_t n) noexcept {
        st_->rb.consume(n);
        st_->rb.trim();
        consumed_ = true;
    }

private:
    socket_state* st_;
    bool locked_;
    bool consumed_ = false;
};

/// The state whose read-ahead buffer a caller that vouches as nowait_hold's `exclusive` does
/// may read with no lock and no hold object (the stream methods' straight line): the socket
/// open, no stream's get area to settle. Null otherwise: the caller then takes a nowait_hold.
inline socket_state* vouched_buffer(socket_state* st) noexcept {
    if (st == nullptr || st->closed() || st->rb.settle_fn != nullptr) [[unlikely]]
        return nullptr;
    return st;
}

/// Drops the first n bytes of a vouched buffer (n <= its size) and publishes its size, as a
/// nowait_hold's consume() and release do.
inline void consume_vouched(socket_state& st, std::size_t n) noexcept {
    st.rb.consume(n);
    st.rb.trim();
    st.publish();
}

/// One send(2) or recv(2) with MSG_DONTWAIT added, made with neither the use guard nor the read
/// lock, for a caller that vouches, as nowait_hold's `exclusive`, that no other thread can
/// close the socket, detach it or reach its buffer until the call returns (the Python module
/// under the GIL). The count; -1 with the error in `ec`; -2 when the socket's own call must
/// answer instead (the socket closed, a transport, bytes buffered for a receive, or the system
/// call interrupted, whose retry runs the interrupt check).
USOCKET_API sys::ssize vouched_send(const socket& s, const_buffer data, msg_flags flags, std::error_code& ec) noexcept;
USOCKET_API sys::ssize vouched_recv(const socket& s, mutable_buffer buf, msg_flags flags, std::error_code& ec) noexcept;

/// socket::read() (to the end of the stream, one deadline, every byte kept on an error) into
/// storage the caller grows: the Python module grows memory with realloc, which moves the pages
/// instead of copying them, where a std::string's growth writes each byte again.
USOCKET_API std::optional<std::size_t> read_to_end(const socket& s, growable& out, std::error_code& ec) noexcept;

/// Puts `n` bytes a stream read returned back in front of the socket's read-ahead buffer, to be
/// read again: bytes the caller could not deliver (the Python module when memory for their
/// bytes object fails). Waits for the read lock as a read does. False when the socket is closed
/// (the bytes are gone with it), the lock is this thread's own, or memory fails.
USOCKET_API bool give_back(const socket& s, const std::byte* data, std::size_t n) noexcept;

}  // namespace usocket::detail
