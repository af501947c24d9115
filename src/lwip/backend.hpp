#pragma once
// What the lwIP backend gives the portable code at compile time: its error numbers and its
// mutex. Included through src/sys.hpp only, so it includes no lwIP header (lwIP's macros,
// fd_set and constants must not reach portable code).
//
// lwIP's errno values are the C library's: the backend requires LWIP_ERRNO_STDINCLUDE or
// LWIP_ERRNO_INCLUDE in the platform's arch/cc.h (glibc's on a host, newlib's on a board);
// src/lwip/errors.cpp checks that the values below are lwIP's.

#include <atomic>
#include <cerrno>
#include <cstddef>

namespace usocket::sys {

/// Error numbers the portable code must recognise, with this backend's values.
inline constexpr int err_intr = EINTR, err_again = EAGAIN, err_wouldblock = EWOULDBLOCK,
                     err_inprogress = EINPROGRESS, err_timedout = ETIMEDOUT, err_badf = EBADF,
                     err_connreset = ECONNRESET, err_inval = EINVAL, err_noent = ENOENT,
                     err_nomem = ENOMEM, err_exist = EEXIST, err_nosys = ENOSYS;

/// A mutex over lwIP's sys_mutex_t (the RTOS's mutex on a board: a microcontroller's C++
/// library may have no std::mutex). Made on first use, so a static array of them costs
/// nothing until locked; a board that cannot make one more mutex stops in LWIP_ASSERT.
class mutex {
public:
    constexpr mutex() noexcept = default;
    ~mutex();
    mutex(const mutex&) = delete;
    mutex& operator=(const mutex&) = delete;
    void lock() noexcept;
    void unlock() noexcept;

private:
    void* get() noexcept;
    std::atomic<void*> impl_{nullptr};
};

/// The lock every stream call takes (owned_mutex): the same RTOS mutex, which cannot be tried.
using stream_mutex = mutex;

/// The largest refill a read-ahead buffer grows to: its starting 8 KiB, no growth (a board's
/// RAM is counted in tens of KiB, and lwIP's receive window is smaller still).
inline constexpr std::size_t max_read_chunk = 8 * 1024;

/// Shards of the socket registry and of the selectors' watch locks (src/socket_state.cpp): a
/// board holds tens of sockets, and each shard's two mutexes are RTOS mutexes once used.
inline constexpr std::size_t registry_shards = 8;

}  // namespace usocket::sys
