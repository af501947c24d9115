#pragma once
// Counts the bytes of one session both ways: a progress line on standard error while it runs
// (only when standard error is a terminal) and the --stats summary at the end.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace usock {

class meter {
public:
    /// `progress`: draw a progress line; `send_total`: the size of the --send file, if known.
    meter(bool progress, std::optional<std::uint64_t> send_total) noexcept;

    /// Called by the threads that move data; draws at most ten times a second.
    void add_sent(std::uint64_t n);
    void add_received(std::uint64_t n);

    /// Ends the progress line and, with `stats`, prints the summary line.
    void finish(bool stats);

    std::uint64_t sent() const noexcept { return sent_.load(std::memory_order_relaxed); }
    std::uint64_t received() const noexcept { return received_.load(std::memory_order_relaxed); }

private:
    void maybe_draw();
    std::string progress_line(double seconds) const;

    using clock = std::chrono::steady_clock;
    const bool progress_;
    const std::optional<std::uint64_t> send_total_;
    const clock::time_point start_ = clock::now();
    std::atomic<std::uint64_t> sent_{0};
    std::atomic<std::uint64_t> received_{0};
    std::mutex draw_mutex_;
    clock::time_point last_draw_{};
    bool drawn_ = false;
};

/// "1.5 MiB", "512 B": a byte count for people.
std::string human_bytes(double bytes);

}  // namespace usock
