// Host lookup that a caller can bound in time (sys::host_lookup, src/sys.hpp). The C library's
// getaddrinfo() cannot be bounded or cancelled, so names go to c-ares (USOCKET_HAVE_CARES): its
// queries run on its own sockets, which the caller's wait loop (the blocking core's, one
// deadline, EINTR and the interrupt check) waits on; a lookup given up is cancelled when the
// object goes, so nothing is left running. c-ares reads /etc/hosts and /etc/resolv.conf itself.
//
// Built without c-ares, a helper thread runs the blocking getaddrinfo() and says it is done
// through a pipe the caller waits on; a lookup given up finishes in the background.

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <vector>

#include "../sys.hpp"
#include "usocket/address.hpp"
#include "usocket/error.hpp"
#include "usocket/poller.hpp"
#include "usocket/resolver.hpp"

#ifdef USOCKET_HAVE_CARES
#include <ares.h>
#else
#include <memory>
#include <thread>
#endif
#include <new>

namespace usocket::sys {

namespace {
std::error_code eai(int code) noexcept { return {code < 0 ? code : -code, gai_category()}; }
}  // namespace

#ifdef USOCKET_HAVE_CARES

namespace {

std::mutex config_mutex;
std::string config_path;  // a resolv.conf for tests; empty: the system's
int config_port = 0;      // the DNS port for tests; 0: 53

int library_status() noexcept {
    static const int status = ares_library_init(ARES_LIB_INIT_ALL);
    return status;
}

std::error_code from_ares(int status) noexcept {
    switch (status) {
        case ARES_ENOTFOUND:
        case ARES_ENONAME:
        case ARES_EBADNAME:
        case ARES_ENODATA: return eai(EAI_NONAME);
        case ARES_ETIMEOUT:
        case ARES_ECONNREFUSED:
        case ARES_ESERVFAIL:
        case ARES_EREFUSED: return eai(EAI_AGAIN);
        case ARES_ENOMEM: return eai(EAI_MEMORY);
        case ARES_EBADFAMILY: return eai(EAI_FAMILY);
        case ARES_EBADFLAGS:
        case ARES_EBADHINTS: return eai(EAI_BADFLAGS);
        case ARES_ESERVICE: return eai(EAI_SERVICE);
        default: return eai(EAI_FAIL);
    }
}

int to_ares_flags(int flags) noexcept {
    int f = 0;
    if (flags & AI_CANONNAME) f |= ARES_AI_CANONNAME;
    if (flags & AI_NUMERICHOST) f |= ARES_AI_NUMERICHOST;
    if (flags & AI_V4MAPPED) f |= ARES_AI_V4MAPPED;
    if (flags & AI_ALL) f |= ARES_AI_ALL;
    if (flags & AI_ADDRCONFIG) f |= ARES_AI_ADDRCONFIG;
    return f;
}

}  // namespace

struct host_lookup::impl {
    ares_channel channel = nullptr;
    bool done = false;
    int status = ARES_SUCCESS;
    ares_addrinfo* result = nullptr;
    int flags = 0;
    std::string host;

    static void on_done(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
        auto* self = static_cast<impl*>(arg);
        self->done = true;
        self->status = status;
        self->result = result;
    }
};

#ifdef USOCKET_TESTING
bool testing_set_resolver_config(const char* resolv_conf_path, int dns_port) {
    const std::lock_guard<std::mutex> lock(config_mutex);
    config_path = resolv_conf_path != nullptr ? resolv_conf_path : "";
    config_port = dns_port;
    return true;
}
#endif

host_lookup::host_lookup(const char* host, address_family family, addrinfo_flags flags) noexcept
    : impl_(new (std::nothrow) impl) {
    if (impl_ == nullptr) return;
    impl_->flags = flags;
    impl_->host = host;  // an allocation failure here ends the process (noexcept): as any
    if (library_status() != ARES_SUCCESS) {
        impl_->done = true;
        impl_->status = ARES_ENOMEM;
        return;
    }
    ares_options options{};
    int mask = 0;
    std::string conf;
    int port = 0;
    {
        const std::lock_guard<std::mutex> lock(config_mutex);
        conf = config_path;
        port = config_port;
    }
    if (!conf.empty()) {
        options.resolvconf_path = conf.data();
        mask |= ARES_OPT_RESOLVCONF;
    }
    if (port > 0 && valid_port(port)) {
        options.udp_port = static_cast<unsigned short>(port);
        options.tcp_port = static_cast<unsigned short>(port);
        mask |= ARES_OPT_UDP_PORT | ARES_OPT_TCP_PORT;
    }
    if (const int rc = ares_init_options(&impl_->channel, &options, mask); rc != ARES_SUCCESS) {
        impl_->channel = nullptr;
        impl_->done = true;
        impl_->status = rc;
        return;
    }
    ares_addrinfo_hints hints{};
    hints.ai_flags = to_ares_flags(flags);
    hints.ai_family = family;
    // May finish at once (the hosts file).
    ares_getaddrinfo(impl_->channel, impl_->host.c_str(), nullptr, &hints, &impl::on_done, impl_);
}

host_lookup::~host_lookup() {
    if (impl_ == nullptr) return;
    // Destroying the channel cancels what is still running and completes it (on_done).
    if (impl_->channel != nullptr) ares_destroy(impl_->channel);
    if (impl_->result != nullptr) ares_freeaddrinfo(impl_->result);
    delete impl_;
}

bool host_lookup::done() const noexcept { return impl_ == nullptr || impl_->done; }

std::size_t host_lookup::wait_slots(detail::poll_slot* slots, std::size_t max, std::int64_t& wait_ns) noexcept {
    wait_ns = -1;
    if (done()) return 0;
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(impl_->channel, socks, ARES_GETSOCK_MAXNUM);
    std::size_t n = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM && n < max; ++i) {
        const bool rd = ARES_GETSOCK_READABLE(bits, i) != 0;
        const bool wr = ARES_GETSOCK_WRITABLE(bits, i) != 0;
        if (!rd && !wr) continue;
        slots[n++] = {socks[i], static_cast<short>((rd ? POLLIN : 0) | (wr ? POLLOUT : 0)), 0};
    }
    timeval tv{};
    if (const timeval* t = ares_timeout(impl_->channel, nullptr, &tv); t != nullptr)
        wait_ns = static_cast<std::int64_t>(t->tv_sec) * 1'000'000'000 + static_cast<std::int64_t>(t->tv_usec) * 1000;
    return n;
}

void host_lookup::step(const detail::poll_slot* slots, std::size_t n) noexcept {
    if (done()) return;
    bool any = false;
    for (std::size_t i = 0; i < n; ++i) {
        const short ev = slots[i].revents;
        if (ev == 0) continue;
        any = true;
        ares_process_fd(impl_->channel, (ev & (POLLIN | POLLERR | POLLHUP)) ? slots[i].fd : ARES_SOCKET_BAD,
                        (ev & POLLOUT) ? slots[i].fd : ARES_SOCKET_BAD);
    }
    if (!any) ares_process_fd(impl_->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // c-ares' own timers
}

bool host_lookup::result(std::vector<address>& out, std::string& canonname, std::error_code& ec) {
    if (impl_ == nullptr) {
        ec = eai(EAI_MEMORY);
        return false;
    }
    if (impl_->status != ARES_SUCCESS) {
        ec = from_ares(impl_->status);
        return false;
    }
    if (impl_->result != nullptr) {
        for (const ares_addrinfo_node* n = impl_->result->nodes; n != nullptr; n = n->ai_next) {
            if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
            out.push_back(address::from_native(n->ai_addr, n->ai_addrlen).with_port(0, ec));
        }
        const char* canon = impl_->result->name;
        for (const ares_addrinfo_cname* c = impl_->result->cnames; c != nullptr; c = c->next)
            if (c->name != nullptr) canon = c->name;
        if ((impl_->flags & AI_CANONNAME) != 0) canonname = canon != nullptr ? canon : impl_->host;
    }
    if (out.empty()) {
        ec = eai(EAI_NONAME);
        return false;
    }
    return true;
}

#else  // no c-ares: a helper thread per lookup

namespace {
struct thread_result {
    std::mutex m;
    bool done = false;
    std::vector<address> out;
    std::string canonname;
    std::error_code ec;
    int pipe_fds[2] = {-1, -1};  // the thread writes one byte when done

    ~thread_result() {
        for (const int fd : pipe_fds)
            if (fd >= 0) ::close(fd);
    }
};
}  // namespace

struct host_lookup::impl {
    std::shared_ptr<thread_result> r;  // shared with the thread, which may outlive the lookup
    bool failed_to_start = false;
};

#ifdef USOCKET_TESTING
bool testing_set_resolver_config(const char*, int) { return false; }
#endif

host_lookup::host_lookup(const char* host, address_family family, addrinfo_flags flags) noexcept
    : impl_(new (std::nothrow) impl) {
    if (impl_ == nullptr) return;
    impl_->r = std::shared_ptr<thread_result>(new (std::nothrow) thread_result);
    if (!impl_->r || ::pipe2(impl_->r->pipe_fds, O_CLOEXEC) != 0) {
        impl_->failed_to_start = true;
        return;
    }
    std::string name = host;  // an allocation failure here ends the process (noexcept)
    std::thread([r = impl_->r, name, family, flags] {
        std::vector<addrinfo> list;
        std::error_code e;
        getaddrinfo(name.c_str(), nullptr, family, sock_stream, protocol{}, flags, list, e);
        const std::lock_guard<std::mutex> lock(r->m);
        for (auto& ai : list) {
            if (!ai.canonname.empty() && r->canonname.empty()) r->canonname = ai.canonname;
            r->out.push_back(ai.sockaddr);
        }
        r->ec = e;
        r->done = true;
        const char byte = 1;
        (void)!::write(r->pipe_fds[1], &byte, 1);
    }).detach();
}

host_lookup::~host_lookup() { delete impl_; }

bool host_lookup::done() const noexcept {
    if (impl_ == nullptr || impl_->failed_to_start) return true;
    const std::lock_guard<std::mutex> lock(impl_->r->m);
    return impl_->r->done;
}

std::size_t host_lookup::wait_slots(detail::poll_slot* slots, std::size_t max, std::int64_t& wait_ns) noexcept {
    wait_ns = -1;
    if (done() || max == 0) return 0;
    slots[0] = {impl_->r->pipe_fds[0], static_cast<short>(POLLIN), 0};
    return 1;
}

void host_lookup::step(const detail::poll_slot*, std::size_t) noexcept {}

bool host_lookup::result(std::vector<address>& out, std::string& canonname, std::error_code& ec) {
    if (impl_ == nullptr || impl_->failed_to_start) {
        ec = eai(EAI_MEMORY);
        return false;
    }
    const std::lock_guard<std::mutex> lock(impl_->r->m);
    if (impl_->r->ec) {
        ec = impl_->r->ec;
        return false;
    }
    out = impl_->r->out;
    canonname = impl_->r->canonname;
    return true;
}

#endif

#ifdef USOCKET_TESTING
}  // namespace usocket::sys
namespace usocket::testing {
bool set_resolver_config(const char* resolv_conf_path, int dns_port) {
    return sys::testing_set_resolver_config(resolv_conf_path, dns_port);
}
}  // namespace usocket::testing
namespace usocket::sys {
#endif

}  // namespace usocket::sys
