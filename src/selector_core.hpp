#pragma once
// What a usocket::selector holds (src/selector.cpp): the kernel selector, or the registrations
// of the portable selector over poll() when the backend has none; and, either way, the sockets
// added as sockets, so that bytes they already hold count as readable.

#include <atomic>
#include <cstdint>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "socket_state.hpp"
#include "sys.hpp"
#include "usocket/poller.hpp"

namespace usocket::detail {

class selector_core {
public:
    /// One registration. In kernel mode only sockets have one (for their buffered bytes); in
    /// portable mode every descriptor does.
    struct reg {
        state_hold st;  ///< the socket, when added as one
        std::uint32_t interest = 0;
        std::uint64_t token = 0;
        bool disarmed = false;  ///< a oneshot registration that fired
        bool listed = false;    ///< in `pending`
    };

    explicit selector_core(sys::handle kernel_selector) noexcept : kernel(kernel_selector) {}

    /// The kernel selector, or invalid_handle for the portable one. Closed when the last call
    /// leaves after close(), so that no call in flight ever uses a number given to another.
    const sys::handle kernel;
    bool portable() const noexcept { return kernel == invalid_handle; }

    // --- calls in flight and close() (the memory itself lives until ~selector) ---------------

    static constexpr std::uint32_t closed_bit = 1u << 31;
    /// A call begins: false (EBADF) once close() was called.
    bool enter() noexcept {
        if ((use_.fetch_add(1, std::memory_order_acquire) & closed_bit) == 0) [[likely]]
            return true;
        leave();
        return false;
    }
    void leave() noexcept {
        if (use_.fetch_sub(1, std::memory_order_acq_rel) == (closed_bit | 1u)) [[unlikely]]
            release(nullptr);
    }
    /// close(): no call begins after it; the resources go now, or when the last call leaves.
    /// False when it was closed already. `ec` is the kernel selector's close(), when it went now.
    bool shut(std::error_code& ec) noexcept {
        const std::uint32_t u = use_.fetch_or(closed_bit, std::memory_order_acq_rel);
        if ((u & closed_bit) != 0) return false;
        if (u == 0) release(&ec);
        return true;
    }
    bool closed() const noexcept { return (use_.load(std::memory_order_acquire) & closed_bit) != 0; }

    sys::mutex lock;
    std::unordered_map<native_handle, reg> regs;
    /// Sockets that may hold buffered bytes (told by notify_watcher()).
    std::vector<native_handle> pending;
    /// The tokens of oneshot socket registrations (kernel mode): an event the kernel reports for
    /// one disarms its buffered-bytes reporting too.
    std::unordered_map<std::uint64_t, native_handle> oneshot_tokens;

    /// Keeps oneshot_tokens in step with a registration's interest and token (lock held).
    void track_oneshot(native_handle fd, const reg& r, bool present) {
        for (auto it = oneshot_tokens.begin(); it != oneshot_tokens.end();) {
            if (it->second == fd)
                it = oneshot_tokens.erase(it);
            else
                ++it;
        }
        if (present && !portable() && r.st && (r.interest & selector::oneshot) != 0) oneshot_tokens[r.token] = fd;
    }

private:
    /// Drops every registration and closes the kernel selector, once (src/selector.cpp).
    void release(std::error_code* ec) noexcept;

    std::atomic<std::uint32_t> use_{0};
    std::atomic<bool> released_{false};
};

}  // namespace usocket::detail
