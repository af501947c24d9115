#pragma once
// Fault injection at the backend seam, for tests: make the next system call of one kind fail
// with an errno (EINTR, EAGAIN, ECONNRESET...) or move fewer bytes than asked (a short read or
// write), without a kernel that misbehaves. Compiled only with USOCKET_FAULT_INJECTION; faults
// belong to the thread that injected them, so a peer thread in the same test is unaffected.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace usocket::testing {

enum class op : std::uint8_t {
    open, accept, connect, send, sendto, recv, recvfrom, wait, close,
    poll, selector_wait, selector_control  // multiplexing (sys::poll, sys::selector_*)
};

struct fault {
    op which;
    int error = 0;           ///< errno to fail with; 0 to let the call run
    std::size_t limit = 0;   ///< when error == 0: cap the byte count (a short read or write)
    int times = 1;           ///< how many calls of this kind it applies to
};

/// Queues a fault for the calling thread.
void inject(const fault& f) noexcept;
/// Drops the calling thread's faults.
void clear_faults() noexcept;
/// Faults of the calling thread not yet used.
int pending_faults() noexcept;
/// True when the library was built with fault injection.
bool fault_injection_enabled() noexcept;

}  // namespace usocket::testing

namespace usocket::detail {
/// Number of faults queued in all threads; the seam checks it before anything else.
extern std::atomic<int> faults_armed;
/// Takes the calling thread's next fault for `which`, if any.
bool take_fault(testing::op which, int& error, std::size_t& limit) noexcept;
}  // namespace usocket::detail

#ifdef USOCKET_FAULT_INJECTION
#define USOCKET_FAULT_POINT(WHICH, SIZE, FAIL)                                                \
    do {                                                                                      \
        if (::usocket::detail::faults_armed.load(std::memory_order_relaxed) != 0) [[unlikely]] { \
            int fault_error_ = 0;                                                             \
            std::size_t fault_limit_ = 0;                                                     \
            if (::usocket::detail::take_fault(WHICH, fault_error_, fault_limit_)) {           \
                if (fault_error_ != 0) {                                                      \
                    ec = std::error_code(fault_error_, std::system_category());               \
                    return FAIL;                                                              \
                }                                                                             \
                if (fault_limit_ != 0 && (SIZE) > fault_limit_) (SIZE) = fault_limit_;        \
            }                                                                                 \
        }                                                                                     \
    } while (0)
#else
#define USOCKET_FAULT_POINT(WHICH, SIZE, FAIL) \
    do {                                       \
        (void)(SIZE);                          \
    } while (0)
#endif
