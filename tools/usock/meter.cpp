// Progress line and --stats summary.

#include "meter.hpp"

#include <cstdio>

#include "options.hpp"

namespace usock {

std::string human_bytes(double bytes) {
    static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int unit = 0;
    while (bytes >= 1024 && unit < 4) {
        bytes /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
    return text;
}

namespace {

std::string rate(std::uint64_t bytes, double seconds) {
    return human_bytes(seconds > 0 ? static_cast<double>(bytes) / seconds : 0) + "/s";
}

}  // namespace

meter::meter(bool progress, std::optional<std::uint64_t> send_total) noexcept
    : progress_(progress), send_total_(send_total) {}

void meter::add_sent(std::uint64_t n) {
    sent_.fetch_add(n, std::memory_order_relaxed);
    if (progress_) maybe_draw();
}

void meter::add_received(std::uint64_t n) {
    received_.fetch_add(n, std::memory_order_relaxed);
    if (progress_) maybe_draw();
}

std::string meter::progress_line(double seconds) const {
    std::string line;
    const std::uint64_t out = sent(), in = received();
    if (send_total_ && *send_total_ > 0) {
        constexpr int width = 24;
        const double done = static_cast<double>(out) / static_cast<double>(*send_total_);
        const int filled = static_cast<int>(done * width);
        line.append(1, '[').append(static_cast<std::size_t>(filled), '#');
        line.append(static_cast<std::size_t>(width - filled), '.').append("] ");
        char percent[8];
        std::snprintf(percent, sizeof percent, "%3d%% ", static_cast<int>(done * 100));
        line += percent;
        line += "sent " + human_bytes(static_cast<double>(out)) + " of " +
                human_bytes(static_cast<double>(*send_total_)) + " " + rate(out, seconds);
    } else if (out > 0) {
        line += "sent " + human_bytes(static_cast<double>(out)) + " " + rate(out, seconds);
    }
    if (in > 0 || line.empty()) {
        if (!line.empty()) line += ", ";
        line += "received " + human_bytes(static_cast<double>(in)) + " " + rate(in, seconds);
    }
    return line;
}

void meter::maybe_draw() {
    std::unique_lock lock(draw_mutex_, std::try_to_lock);
    if (!lock) return;  // the other thread is drawing
    const auto now = clock::now();
    if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    drawn_ = true;
    const std::string line =
        std::string(1, '\r').append(progress_line(std::chrono::duration<double>(now - start_).count())).append("\033[K");
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

void meter::finish(bool stats) {
    std::lock_guard lock(draw_mutex_);
    const double seconds = std::chrono::duration<double>(clock::now() - start_).count();
    if (progress_) {
        const std::string line = std::string(1, '\r').append(progress_line(seconds)).append("\033[K\n");
        std::fwrite(line.data(), 1, line.size(), stderr);
        drawn_ = false;
    }
    if (stats) {
        char text[160];
        std::snprintf(text, sizeof text, "sent %llu bytes, received %llu bytes in %.3f s (%s out, %s in)",
                      static_cast<unsigned long long>(sent()), static_cast<unsigned long long>(received()),
                      seconds, rate(sent(), seconds).c_str(), rate(received(), seconds).c_str());
        say(text);
    }
}

}  // namespace usock
