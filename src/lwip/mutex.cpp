// sys::mutex over lwIP's sys_mutex_t (src/lwip/backend.hpp).

#include <cstdlib>
#include <new>

#include "lwip.hpp"

namespace usocket::sys {

void* mutex::get() noexcept {
    void* m = impl_.load(std::memory_order_acquire);
    if (m != nullptr) return m;
    auto* made = new (std::nothrow) sys_mutex_t;
    const bool ok = made != nullptr && sys_mutex_new(made) == ERR_OK;
    LWIP_ASSERT("usocket: out of memory for a mutex", ok);
    if (!ok) std::abort();  // LWIP_ASSERT may be compiled out (LWIP_NOASSERT)
    // Two threads may race to make it: one wins, the other frees its own.
    if (impl_.compare_exchange_strong(m, made, std::memory_order_acq_rel)) return made;
    sys_mutex_free(made);
    delete made;
    return m;
}

mutex::~mutex() {
    if (void* m = impl_.load(std::memory_order_relaxed); m != nullptr) {
        auto* sm = static_cast<sys_mutex_t*>(m);
        sys_mutex_free(sm);
        delete sm;
    }
}

void mutex::lock() noexcept { sys_mutex_lock(static_cast<sys_mutex_t*>(get())); }

void mutex::unlock() noexcept { sys_mutex_unlock(static_cast<sys_mutex_t*>(impl_.load(std::memory_order_relaxed))); }

}  // namespace usocket::sys
