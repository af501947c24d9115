#pragma once
// Fault injection at the backend seam, for tests: make the next system call of one kind fail
// with an errno (EINTR, EAGAIN, ECONNRESET...) or move fewer bytes than asked (a short read or
// write), without a kernel that misbehaves. Compiled only into the test build of the library
// (usocket_testing, USOCKET_FAULT_INJECTION), never into the installed one; faults belong to
// the thread that injected them, so a peer thread in the same test is unaffected.

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "usocket/export.hpp"

namespace usocket {
struct received_message;
}

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
USOCKET_API void inject(const fault& f) noexcept;
/// Drops the calling thread's faults.
USOCKET_API void clear_faults() noexcept;
/// Faults of the calling thread not yet used.
USOCKET_API int pending_faults() noexcept;
/// True when the library was built with fault injection.
USOCKET_API bool fault_injection_enabled() noexcept;
/// The portable selector (over poll()) even where the kernel has one, to test it (src/selector.cpp).
USOCKET_API void force_portable_selector(bool on) noexcept;
/// recv calls the calling thread made through the seam since it started.
USOCKET_API std::uint64_t recv_calls() noexcept;
/// The backend's sys::decode_control, exported by the test build (src/message.cpp).
USOCKET_API void decode_control(const void* control, std::size_t size, received_message& out);

}  // namespace usocket::testing

namespace usocket::detail {
/// Number of faults queued in all threads; the seam checks it before anything else.
extern std::atomic<int> faults_armed;
/// Takes the calling thread's next fault for `which`, if any.
bool take_fault(testing::op which, int& error, std::size_t& limit) noexcept;
/// The calling thread's count of recv calls (testing::recv_calls()).
extern thread_local std::uint64_t thread_recv_calls;
}  // namespace usocket::detail

#ifdef USOCKET_FAULT_INJECTION
#define USOCKET_COUNT_RECV() (++::usocket::detail::thread_recv_calls)
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
/// The same for a seam function that reports the error number in `ERR` (an int).
#define USOCKET_FAULT_POINT_ERRNO(WHICH, SIZE, FAIL, ERR)                                     \
    do {                                                                                      \
        if (::usocket::detail::faults_armed.load(std::memory_order_relaxed) != 0) [[unlikely]] { \
            int fault_error_ = 0;                                                             \
            std::size_t fault_limit_ = 0;                                                     \
            if (::usocket::detail::take_fault(WHICH, fault_error_, fault_limit_)) {           \
                if (fault_error_ != 0) {                                                      \
                    (ERR) = fault_error_;                                                     \
                    return FAIL;                                                              \
                }                                                                             \
                if (fault_limit_ != 0 && (SIZE) > fault_limit_) (SIZE) = fault_limit_;        \
            }                                                                                 \
        }                                                                                     \
    } while (0)
#else
#define USOCKET_COUNT_RECV() ((void)0)
#define USOCKET_FAULT_POINT(WHICH, SIZE, FAIL) \
    do {                                       \
        (void)(SIZE);                          \
    } while (0)
#define USOCKET_FAULT_POINT_ERRNO(WHICH, SIZE, FAIL, ERR) \
    do {                                                  \
        (void)(SIZE);                                     \
        (void)(ERR);                                      \
    } while (0)
#endif
