// Heap bytes in use and their peak, counted by interposing the C allocator (glibc's __libc_*
// underneath): linked into tls_bench, and preloaded into CPython (libtls_heapcount.so) so both
// are measured the same way, every library's allocations included (OpenSSL's, mbedTLS's).

#include <malloc.h>

#include <atomic>
#include <cerrno>
#include <cstddef>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
void* __libc_memalign(std::size_t, std::size_t);
}

namespace {
std::atomic<long long> current{0};
std::atomic<long long> peak{0};

void* counted(void* p) noexcept {
    if (p != nullptr) {
        const long long now = current.fetch_add(static_cast<long long>(malloc_usable_size(p))) +
                              static_cast<long long>(malloc_usable_size(p));
        long long top = peak.load(std::memory_order_relaxed);
        while (now > top && !peak.compare_exchange_weak(top, now)) {
        }
    }
    return p;
}
void uncounted(void* p) noexcept {
    if (p != nullptr) current.fetch_sub(static_cast<long long>(malloc_usable_size(p)));
}
}  // namespace

extern "C" {
__attribute__((visibility("default"))) long long heapcount_current() { return current.load(); }
__attribute__((visibility("default"))) long long heapcount_peak() { return peak.load(); }
__attribute__((visibility("default"))) void heapcount_reset_peak() { peak.store(current.load()); }

__attribute__((visibility("default"))) void* malloc(std::size_t n) { return counted(__libc_malloc(n)); }
__attribute__((visibility("default"))) void* calloc(std::size_t n, std::size_t m) { return counted(__libc_calloc(n, m)); }
__attribute__((visibility("default"))) void free(void* p) {
    uncounted(p);
    __libc_free(p);
}
__attribute__((visibility("default"))) void* realloc(void* p, std::size_t n) {
    uncounted(p);
    void* q = __libc_realloc(p, n);
    if (q == nullptr && n != 0 && p != nullptr) {  // the old block is still there
        counted(p);
        return nullptr;
    }
    return counted(q);
}
__attribute__((visibility("default"))) void* memalign(std::size_t a, std::size_t n) { return counted(__libc_memalign(a, n)); }
__attribute__((visibility("default"))) void* aligned_alloc(std::size_t a, std::size_t n) { return counted(__libc_memalign(a, n)); }
__attribute__((visibility("default"))) int posix_memalign(void** out, std::size_t a, std::size_t n) {
    void* p = __libc_memalign(a, n);
    if (p == nullptr) return ENOMEM;
    *out = counted(p);
    return 0;
}
}
