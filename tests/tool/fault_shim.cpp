// A preloaded library (LD_PRELOAD) that makes the next calls of accept4(), accept() or
// epoll_ctl() in usock fail with errors a loopback test cannot provoke from outside:
// ECONNABORTED and EPROTO from accept() (a connection that died in the queue), ENOBUFS and
// ENOMEM, ENOSPC from epoll_ctl() (the per-user limit of watched descriptors).
//
// USOCK_FAULTS="accept4=103,103,71;epoll_ctl=0,28" — for each function, the errno of each of
// its next calls in turn (0: let that call run); after the list, every call runs. A failed
// call never reaches the kernel, so a connection in the queue stays there, as with EMFILE.

#include <dlfcn.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace {

constexpr int max_faults = 64;

struct fault_list {
    const char* name;
    int errors[max_faults] = {};
    int count = 0;
    std::atomic<int> next{0};
    bool parsed = false;
};

fault_list accept4_faults{"accept4"}, accept_faults{"accept"}, epoll_ctl_faults{"epoll_ctl"};

// The list for `f` in USOCK_FAULTS, read on the first call (usock's first accept or
// epoll_ctl happens on its main thread, before any other thread exists).
void parse(fault_list& f) {
    if (f.parsed) return;
    f.parsed = true;
    const char* spec = std::getenv("USOCK_FAULTS");
    if (spec == nullptr) return;
    const std::size_t len = std::strlen(f.name);
    for (const char* p = spec; *p != '\0';) {
        if (std::strncmp(p, f.name, len) == 0 && p[len] == '=') {
            p += len + 1;
            while (f.count < max_faults && *p >= '0' && *p <= '9') {
                char* end = nullptr;
                f.errors[f.count++] = static_cast<int>(std::strtol(p, &end, 10));
                p = end;
                if (*p != ',') break;
                ++p;
            }
            return;
        }
        const char* semicolon = std::strchr(p, ';');
        if (semicolon == nullptr) return;
        p = semicolon + 1;
    }
}

// The errno the next call must fail with, or 0 to let it run.
int take(fault_list& f) {
    parse(f);
    const int i = f.next.fetch_add(1);
    return i < f.count ? f.errors[i] : 0;
}

template <class F>
F real(const char* name) {
    return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
    if (const int e = take(accept4_faults)) {
        errno = e;
        return -1;
    }
    static const auto next = real<int (*)(int, sockaddr*, socklen_t*, int)>("accept4");
    return next(fd, addr, len, flags);
}

int accept(int fd, sockaddr* addr, socklen_t* len) {
    if (const int e = take(accept_faults)) {
        errno = e;
        return -1;
    }
    static const auto next = real<int (*)(int, sockaddr*, socklen_t*)>("accept");
    return next(fd, addr, len);
}

int epoll_ctl(int epfd, int op, int fd, epoll_event* event) {
    if (const int e = take(epoll_ctl_faults)) {
        errno = e;
        return -1;
    }
    static const auto next = real<int (*)(int, int, int, epoll_event*)>("epoll_ctl");
    return next(epfd, op, fd, event);
}

}  // extern "C"
