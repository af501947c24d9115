// The accept() error policy of usock's servers (--echo, -l -k).

#include "accept_guard.hpp"

#include <algorithm>
#include <cerrno>

#include "options.hpp"

namespace usock {

accept_next after_accept_error(const std::error_code& ec) noexcept {
    if (ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system ||
        ec == std::errc::no_buffer_space || ec == std::errc::not_enough_memory)
        return accept_next::pause;
    if (ec == std::errc::connection_aborted || ec == std::errc::protocol_error ||
        ec == std::errc::operation_not_permitted ||  // a firewall rule refused it
        ec == std::errc::network_down || ec == std::errc::network_unreachable ||
        ec == std::errc::host_unreachable || ec == std::errc::no_protocol_option ||
        ec == std::errc::operation_not_supported || ec == std::errc::timed_out ||
        ec == std::errc::connection_reset || ec == std::errc::interrupted)
        return accept_next::retry;
#if defined(EHOSTDOWN) || defined(ENONET)
    if (ec.category() == std::system_category()) {
#ifdef EHOSTDOWN
        if (ec.value() == EHOSTDOWN) return accept_next::retry;
#endif
#ifdef ENONET
        if (ec.value() == ENONET) return accept_next::retry;
#endif
    }
#endif
    return accept_next::fail;
}

std::chrono::milliseconds accept_backoff::next() noexcept {
    const auto now = delay_;
    delay_ = std::min(delay_ * 2, last_);
    return now;
}

void rate_limited_message::say(const std::string& text) {
    const auto now = std::chrono::steady_clock::now();
    if (said_ && now - last_ < interval_) {
        ++held_;
        return;
    }
    std::string line = text;
    if (held_ > 0) line += " (and " + std::to_string(held_) + " more since the last message)";
    usock::say(line);
    said_ = true;
    last_ = now;
    held_ = 0;
}

}  // namespace usock
