// The contended half of sys::stream_mutex (src/posix/backend.hpp): waiting on the futex word and
// waking one waiter. The free path is inline in the header.

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include "../sys.hpp"

namespace usocket::detail {

namespace {

static_assert(sizeof(std::atomic<int>) == sizeof(int) && std::atomic<int>::is_always_lock_free,
              "the futex word is the atomic's int");

int* word_of(std::atomic<int>& w) noexcept { return reinterpret_cast<int*>(&w); }

}  // namespace

void stream_lock_wait(std::atomic<int>& word, int seen) noexcept {
    // Mark the word "held and waited for" before sleeping, so that the holder's release wakes
    // a sleeper; a wake-up (or EINTR, EAGAIN when the word changed first) tries again.
    if (seen != 2) seen = word.exchange(2, std::memory_order_acquire);
    while (seen != 0) {
        ::syscall(SYS_futex, word_of(word), FUTEX_WAIT_PRIVATE, 2, nullptr, nullptr, 0);
        seen = word.exchange(2, std::memory_order_acquire);
    }
}

void stream_lock_wake(std::atomic<int>& word) noexcept {
    ::syscall(SYS_futex, word_of(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace usocket::detail
