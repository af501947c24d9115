#pragma once
// Nanoseconds of the seam (negative: no limit) as the timespec the POSIX waits take.

#include <time.h>

#include <cstdint>

namespace usocket::sys {

/// Sets `ts` from `timeout_ns` and returns it, or returns null for no limit (negative).
inline timespec* to_timespec(std::int64_t timeout_ns, timespec& ts) noexcept {
    if (timeout_ns < 0) return nullptr;
    ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
    return &ts;
}

}  // namespace usocket::sys
