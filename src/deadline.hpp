#pragma once
// One deadline for one call, on the monotonic clock. It is started lazily, the first time a
// call would block, so an operation that completes at once never reads the clock.

#include <cstdint>

#include "sys.hpp"

namespace usocket::detail {

class deadline {
public:
    /// `timeout_ns` < 0: no limit; 0: non-blocking; > 0: the limit from the first wait.
    explicit deadline(std::int64_t timeout_ns) noexcept : timeout_ns_(timeout_ns) {}

    bool unlimited() const noexcept { return timeout_ns_ < 0; }
    bool non_blocking() const noexcept { return timeout_ns_ == 0; }

    /// Nanoseconds left (starting the clock if needed); negative when unlimited; 0 if expired.
    std::int64_t remaining() noexcept {
        if (timeout_ns_ <= 0) return timeout_ns_;
        const std::int64_t now = sys::monotonic_ns();
        if (expires_ == 0) expires_ = now + timeout_ns_;
        const std::int64_t left = expires_ - now;
        return left > 0 ? left : 0;
    }

private:
    std::int64_t timeout_ns_;
    std::int64_t expires_ = 0;
};

}  // namespace usocket::detail
