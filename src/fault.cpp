#include "fault.hpp"

#include <vector>

namespace usocket::detail {

std::atomic<int> faults_armed{0};
thread_local std::uint64_t thread_recv_calls = 0;

namespace {
thread_local std::vector<testing::fault> thread_faults;
}

bool take_fault(testing::op which, int& error, std::size_t& limit) noexcept {
    for (auto it = thread_faults.begin(); it != thread_faults.end(); ++it) {
        if (it->which != which) continue;
        error = it->error;
        limit = it->limit;
        if (--it->times <= 0) {
            thread_faults.erase(it);
            faults_armed.fetch_sub(1, std::memory_order_relaxed);
        }
        return true;
    }
    return false;
}

}  // namespace usocket::detail

namespace usocket::testing {

void inject(const fault& f) noexcept {
    detail::thread_faults.push_back(f);
    detail::faults_armed.fetch_add(1, std::memory_order_relaxed);
}

void clear_faults() noexcept {
    detail::faults_armed.fetch_sub(static_cast<int>(detail::thread_faults.size()),
                                   std::memory_order_relaxed);
    detail::thread_faults.clear();
}

int pending_faults() noexcept { return static_cast<int>(detail::thread_faults.size()); }

std::uint64_t recv_calls() noexcept { return detail::thread_recv_calls; }

bool fault_injection_enabled() noexcept {
#ifdef USOCKET_FAULT_INJECTION
    return true;
#else
    return false;
#endif
}

}  // namespace usocket::testing
