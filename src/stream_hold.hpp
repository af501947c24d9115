#pragma once
// A hold on a socket's read-ahead buffer that never waits, for a caller that must not wait where
// it stands (the Python module, which holds the GIL): the stream methods serve bytes already
// buffered there, and recv/send try the system once without waiting, before anything that may
// wait (which then runs with the GIL released, through the socket's own calls). Not a public
// header.

#include "socket_access.hpp"
#include "socket_state.hpp"

namespace usocket::detail {

/// The call is in flight on the socket (as use_guard: a close() racing it leaves the descriptor
/// and the state alone until it ends) and holds its read lock, taken only when free: when the
/// socket is closed, has no state, or the lock is held (by another thread's read, or by a read
/// this thread is inside: a reentrant call), the hold is empty and the caller goes the way that
/// may wait, which reports or waits as usual.
class nowait_hold {
public:
    explicit nowait_hold(const socket& s) noexcept : st_(socket_access::state(s)) {
        if (st_ == nullptr) return;
        if (!st_->enter()) [[unlikely]] {
            st_ = nullptr;
            return;
        }
        if (!st_->read_lock.try_lock()) [[unlikely]] {
            st_->leave();
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
        st_->read_lock.unlock();
        st_->leave();
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
    /// A plain socket (no transport) with nothing buffered: a system call is its whole answer.
    bool plain_and_empty() const noexcept { return st_->tr == nullptr && st_->rb.size() == 0; }

private:
    socket_state* st_;
    bool consumed_ = false;
};

}  // namespace usocket::detail
