#pragma once
// Nanoseconds of the seam (negative: no limit) as the POSIX waits take them: a timespec for
// ppoll, or milliseconds rounded up for poll where a system has no ppoll (macOS).

#include <poll.h>
#include <time.h>

#include <climits>
#include <cstdint>

namespace usocket::sys {

/// Sets `ts` from `timeout_ns` and returns it, or returns null for no limit (negative).
inline timespec* to_timespec(std::int64_t timeout_ns, timespec& ts) noexcept {
    if (timeout_ns < 0) return nullptr;
    ts.tv_sec = static_cast<time_t>(timeout_ns / 1'000'000'000);
    ts.tv_nsec = static_cast<long>(timeout_ns % 1'000'000'000);
    return &ts;
}

/// poll(2) with a timeout in nanoseconds (negative: no limit).
inline int poll_native(pollfd* fds, nfds_t n, std::int64_t timeout_ns) noexcept {
#if defined(__linux__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || defined(__DragonFly__)
    timespec ts{};
    return ::ppoll(fds, n, to_timespec(timeout_ns, ts), nullptr);
#else
    // Rounded up, so the wait never ends before the deadline (the caller's loop waits again
    // when it ends early).
    const std::int64_t ms = timeout_ns < 0 ? -1 : timeout_ns / 1'000'000 + (timeout_ns % 1'000'000 != 0 ? 1 : 0);
    return ::poll(fds, n, ms > INT_MAX ? INT_MAX : static_cast<int>(ms));
#endif
}

}  // namespace usocket::sys
