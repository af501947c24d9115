#pragma once
// What a server does when accept() fails, shared by --echo and -l -k: which errors end it,
// which mean "take the next one", which mean "out of descriptors or memory, wait a moment";
// how long that moment is; and a message said at most once a second, so that a server under
// a flood of failures neither spins nor floods its log.

#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>

namespace usock {

/// What to do after accept() failed with an error.
enum class accept_next {
    retry,  ///< that connection died before it was accepted (ECONNABORTED, EPROTO, a network error)
    pause,  ///< out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): stop accepting a moment
    fail,   ///< the listener itself is broken (EBADF, EINVAL, ENOTSOCK...): give up
};

/// The verdict for `ec`. Linux passes errors of a connection that died in the queue on to
/// accept() and asks servers to treat them as EAGAIN (accept(2), "Error handling").
accept_next after_accept_error(const std::error_code& ec) noexcept;

/// How long to stop accepting after running out of resources: 10 ms, doubling on every
/// pause in a row up to 1 s (as Go's net/http server); reset() after an accept succeeds.
class accept_backoff {
public:
    std::chrono::milliseconds next() noexcept;
    void reset() noexcept { delay_ = first_; }

private:
    static constexpr std::chrono::milliseconds first_{10};
    static constexpr std::chrono::milliseconds last_{1000};
    std::chrono::milliseconds delay_ = first_;
};

/// A message that may recur many times a second (an accept() that keeps failing): said at
/// once, then at most once per interval with the count of those held back in between.
class rate_limited_message {
public:
    explicit rate_limited_message(std::chrono::steady_clock::duration interval = std::chrono::seconds(1)) noexcept
        : interval_(interval) {}

    /// Says "usock: TEXT" now, or counts it if a message was said less than an interval ago.
    void say(const std::string& text);

private:
    std::chrono::steady_clock::duration interval_;
    std::chrono::steady_clock::time_point last_{};
    bool said_ = false;
    std::uint64_t held_ = 0;
};

}  // namespace usock
