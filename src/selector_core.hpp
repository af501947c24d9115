#pragma once
// What a usocket::selector holds (src/selector.cpp): the kernel selector, or the registrations
// of the portable selector over poll() when the backend has none; and, either way, the sockets
// added as sockets, so that bytes they already hold count as readable.

#include <cstdint>
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

    /// The kernel selector, or invalid_handle for the portable one.
    const sys::handle kernel;
    bool portable() const noexcept { return kernel == invalid_handle; }

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
};

}  // namespace usocket::detail
