#pragma once
// One deadline for one call, on the monotonic clock. It is started lazily, the first time a
// call would block, so an operation that completes at once never reads the clock. A socket's
// absolute deadline (socket::set_deadline) caps it.

#include <cstdint>

#include "sys.hpp"

namespace usocket::detail {

/// a + b, held at the int64 limits instead of overflowing (a huge timeout is "very long").
inline std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t r;
    if (!__builtin_add_overflow(a, b, &r)) return r;
    return b > 0 ? INT64_MAX : INT64_MIN;
}
/// a - b, held at the int64 limits.
inline std::int64_t saturating_sub(std::int64_t a, std::int64_t b) noexcept {
    std::int64_t r;
    if (!__builtin_sub_overflow(a, b, &r)) return r;
    return b < 0 ? INT64_MAX : INT64_MIN;
}

class deadline {
public:
    /// `timeout_ns` < 0: no limit; 0: non-blocking; > 0: the limit from the first wait.
    /// `absolute_ns` (monotonic, 0: none): the call ends by then whatever its timeout.
    explicit deadline(std::int64_t timeout_ns, std::int64_t absolute_ns = 0) noexcept
        : timeout_ns_(timeout_ns), expires_(absolute_ns), absolute_(absolute_ns != 0) {}
    /// A deadline that expires at `absolute_ns` on the monotonic clock.
    static deadline at(std::int64_t absolute_ns) noexcept { return deadline(-1, absolute_ns); }

    /// No limit at all: a blocking call.
    bool unlimited() const noexcept { return timeout_ns_ < 0 && !absolute_; }
    /// A call that must not wait.
    bool non_blocking() const noexcept { return timeout_ns_ == 0; }

    /// Nanoseconds left (starting the clock if needed); negative when unlimited; 0 if expired.
    std::int64_t remaining() noexcept {
        if (timeout_ns_ == 0) return 0;
        if (timeout_ns_ < 0 && !absolute_) return -1;
        const std::int64_t now = sys::monotonic_ns();
        if (!started_) {
            started_ = true;
            const std::int64_t mine = saturating_add(now, timeout_ns_);
            if (timeout_ns_ > 0 && (!absolute_ || mine < expires_)) expires_ = mine;
        }
        const std::int64_t left = saturating_sub(expires_, now);
        return left > 0 ? left : 0;
    }
    /// Starts the clock now (sendall and create_connection count from their start).
    void start() noexcept { (void)remaining(); }
    /// The expiry on the monotonic clock once started (0 when unlimited).
    std::int64_t expiry() noexcept {
        start();
        return unlimited() || non_blocking() ? 0 : expires_;
    }
    /// A deadline that ends at the earlier of this one and `absolute_ns` (for a wait that must
    /// also wake for something else: the next Happy Eyeballs attempt, a resolver's retry).
    deadline capped_at(std::int64_t absolute_ns) noexcept {
        const std::int64_t mine = expiry();
        if (non_blocking()) return *this;
        return deadline::at(mine != 0 && mine < absolute_ns ? mine : absolute_ns);
    }

private:
    std::int64_t timeout_ns_;
    std::int64_t expires_;
    bool absolute_;
    bool started_ = false;
};

}  // namespace usocket::detail
