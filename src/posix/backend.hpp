#pragma once
// What the POSIX backend gives the portable code at compile time: its error numbers and its
// mutex. Included through src/sys.hpp only (each backend folder has a backend.hpp; the build
// puts the chosen backend's folder on the library's private include path).

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <mutex>

#include "usocket/export.hpp"

namespace usocket::sys {

/// Error numbers the portable code must recognise, with this backend's values.
inline constexpr int err_intr = EINTR, err_again = EAGAIN, err_wouldblock = EWOULDBLOCK,
                     err_inprogress = EINPROGRESS, err_timedout = ETIMEDOUT, err_badf = EBADF,
                     err_connreset = ECONNRESET, err_inval = EINVAL, err_noent = ENOENT,
                     err_nomem = ENOMEM, err_exist = EEXIST, err_nosys = ENOSYS;

/// A mutex for the library's short critical sections (the C++ library's own here).
using mutex = std::mutex;

#if defined(__linux__)
}  // namespace usocket::sys

namespace usocket::detail {
/// The contended half of sys::stream_mutex (src/linux/stream_mutex.cpp): waits on the futex
/// word, wakes one waiter. Exported (not the backend's seam): the Python module's and the
/// tests' stream calls inline the free path, which calls them.
USOCKET_API void stream_lock_wait(std::atomic<int>& word, int seen) noexcept;
USOCKET_API void stream_lock_wake(std::atomic<int>& word) noexcept;
}  // namespace usocket::detail

namespace usocket::sys {

/// The lock every stream call takes (a socket's read lock, a file's write lock: owned_mutex in
/// src/socket_state.hpp), so its free path is one atomic instruction each way: a glibc mutex
/// costs about 60 instructions a try and release, a tenth of a Python readline(). A futex word,
/// Drepper's "Futexes Are Tricky" mutex 3: 0 free, 1 held, 2 held and maybe waited for; only a
/// release that finds 2 makes a system call. Unfair, as glibc's default mutex.
class stream_mutex {
public:
    void lock() noexcept {
        int seen = 0;
        if (!word_.compare_exchange_strong(seen, 1, std::memory_order_acquire, std::memory_order_relaxed))
            [[unlikely]]
            detail::stream_lock_wait(word_, seen);
    }
    bool try_lock() noexcept {
        int seen = 0;
        return word_.compare_exchange_strong(seen, 1, std::memory_order_acquire, std::memory_order_relaxed);
    }
    void unlock() noexcept {
        if (word_.exchange(0, std::memory_order_release) == 2) [[unlikely]]
            detail::stream_lock_wake(word_);
    }

private:
    std::atomic<int> word_{0};
};
#else
using stream_mutex = std::mutex;
#endif

/// The largest refill a socket's read-ahead buffer grows to for a flowing stream (it starts at
/// CPython's 8 KiB; src/read_buffer.hpp), the most asyncio's transports read at once
/// (max_size): 256 KiB takes a loopback or LAN stream in a thirty-second of the calls, for
/// 248 KiB more memory on a connection that streams that fast, given back once it is read empty.
/// Measured on a socketpair fed by a writer thread on the same core: draining it with
/// recv_into cost 3.65 ns per 34-byte line in 64 KiB reads, 2.94 in 128 KiB and 2.87 in
/// 256 KiB ones; the 0.8 ns is 3 % of a Python readline() served from the buffer.
inline constexpr std::size_t max_read_chunk = 256 * 1024;

/// Shards of the socket registry and of the selectors' watch locks (src/socket_state.cpp):
/// a server holds thousands of sockets opened and closed on many threads.
inline constexpr std::size_t registry_shards = 256;

}  // namespace usocket::sys
