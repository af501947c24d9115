// Host lookup with a deadline. The C library's getaddrinfo() cannot be bounded or cancelled,
// so names go to c-ares (USOCKET_HAVE_CARES): its queries are driven here with ppoll on its
// own sockets until they finish or the deadline passes, and a query that runs out of time is
// cancelled: nothing is left running. c-ares reads /etc/hosts and /etc/resolv.conf itself.
//
// Built without c-ares, a helper thread runs the blocking getaddrinfo() and the caller waits
// for it at most the time given; a lookup that times out finishes in the background.

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <vector>

#include "../sys.hpp"
#include "usocket/address.hpp"
#include "usocket/error.hpp"
#include "usocket/resolver.hpp"

#ifdef USOCKET_HAVE_CARES
#include <ares.h>
#else
#include <condition_variable>
#include <memory>
#include <thread>
#endif

namespace usocket::sys {

namespace {
std::error_code timed_out() noexcept { return {ETIMEDOUT, std::system_category()}; }
}  // namespace

#ifdef USOCKET_HAVE_CARES

namespace {

std::error_code eai(int code) noexcept { return {code < 0 ? code : -code, gai_category()}; }

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

struct query {
    bool done = false;
    int status = ARES_SUCCESS;
    ares_addrinfo* result = nullptr;
};

void on_done(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
    auto* q = static_cast<query*>(arg);
    q->done = true;
    q->status = status;
    q->result = result;
}

// Waits for c-ares' sockets (or its own retry timer), at most `left_ns`, then lets it work.
// Returns false with `ec` set when the wait failed.
bool drive(ares_channel channel, std::int64_t left_ns, bool (*give_up)() noexcept, std::error_code& ec) {
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
    pollfd fds[ARES_GETSOCK_MAXNUM];
    nfds_t n = 0;
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        const bool rd = ARES_GETSOCK_READABLE(bits, i) != 0;
        const bool wr = ARES_GETSOCK_WRITABLE(bits, i) != 0;
        if (!rd && !wr) continue;
        fds[n++] = pollfd{socks[i], static_cast<short>((rd ? POLLIN : 0) | (wr ? POLLOUT : 0)), 0};
    }
    timeval max_tv{static_cast<time_t>(left_ns / 1'000'000'000), static_cast<suseconds_t>(left_ns % 1'000'000'000 / 1000)};
    timeval tv{};
    const timeval* wait_tv = ares_timeout(channel, &max_tv, &tv);
    timespec ts{wait_tv->tv_sec, static_cast<long>(wait_tv->tv_usec) * 1000};
    if (ts.tv_sec == 0 && ts.tv_nsec == 0 && left_ns > 0) ts.tv_nsec = left_ns < 1'000'000 ? static_cast<long>(left_ns) : 1'000'000;
    const int r = ::ppoll(fds, n, &ts, nullptr);
    if (r < 0) {
        if (errno == EINTR && (give_up == nullptr || !give_up())) return true;
        ec = std::error_code(errno, std::system_category());
        return false;
    }
    if (r == 0) {
        ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // c-ares' own retry timers
        return true;
    }
    for (nfds_t i = 0; i < n; ++i) {
        const short ev = fds[i].revents;
        if (ev == 0) continue;
        ares_process_fd(channel, (ev & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD,
                        (ev & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD);
    }
    return true;
}

}  // namespace

bool set_resolver_config_for_tests(const char* resolv_conf_path, int dns_port) {
    const std::lock_guard<std::mutex> lock(config_mutex);
    config_path = resolv_conf_path != nullptr ? resolv_conf_path : "";
    config_port = dns_port;
    return true;
}

bool resolve_host_within(const char* host, int family, int flags, std::int64_t timeout_ns, bool (*give_up)() noexcept,
                         std::vector<address>& out, std::string& canonname, std::error_code& ec) {
    if (library_status() != ARES_SUCCESS) {
        ec = eai(EAI_MEMORY);
        return false;
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
    if (port > 0 && port <= 65535) {
        options.udp_port = static_cast<unsigned short>(port);
        options.tcp_port = static_cast<unsigned short>(port);
        mask |= ARES_OPT_UDP_PORT | ARES_OPT_TCP_PORT;
    }
    // The query outlives the channel: destroying a channel completes its pending queries.
    query q;
    ares_channel channel = nullptr;
    if (const int rc = ares_init_options(&channel, &options, mask); rc != ARES_SUCCESS) {
        ec = from_ares(rc);
        return false;
    }
    const std::int64_t deadline = monotonic_ns() + timeout_ns;
    ares_addrinfo_hints hints{};
    hints.ai_flags = to_ares_flags(flags);
    hints.ai_family = family;
    ares_getaddrinfo(channel, host, nullptr, &hints, on_done, &q);  // may finish at once (hosts file)
    bool ok = true;
    while (!q.done) {
        const std::int64_t left = deadline - monotonic_ns();
        if (left <= 0) {
            ares_cancel(channel);
            ec = timed_out();
            ok = false;
            break;
        }
        if (!drive(channel, left, give_up, ec)) {
            ares_cancel(channel);
            ok = false;
            break;
        }
    }
    ares_destroy(channel);
    if (ok && q.status != ARES_SUCCESS) {
        ec = from_ares(q.status);
        ok = false;
    }
    if (ok && q.result != nullptr) {
        for (const ares_addrinfo_node* n = q.result->nodes; n != nullptr; n = n->ai_next) {
            if (n->ai_family != AF_INET && n->ai_family != AF_INET6) continue;
            out.push_back(address::from_native(n->ai_addr, n->ai_addrlen).with_port(0, ec));
        }
        const char* canon = q.result->name;
        for (const ares_addrinfo_cname* c = q.result->cnames; c != nullptr; c = c->next)
            if (c->name != nullptr) canon = c->name;
        if ((flags & AI_CANONNAME) != 0) canonname = canon != nullptr ? canon : host;
        if (out.empty()) {
            ec = eai(EAI_NONAME);
            ok = false;
        }
    }
    if (q.result != nullptr) ares_freeaddrinfo(q.result);
    return ok;
}

#else  // no c-ares: a helper thread per lookup

namespace {

struct lookup {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    std::vector<address> out;
    std::string canonname;
    std::error_code ec;
};

}  // namespace

bool set_resolver_config_for_tests(const char*, int) { return false; }

bool resolve_host_within(const char* host, int family, int flags, std::int64_t timeout_ns, bool (*)() noexcept,
                         std::vector<address>& out, std::string& canonname, std::error_code& ec) {
    auto state = std::make_shared<lookup>();
    std::string name = host;
    std::thread([state, name, family, flags] {
        std::vector<addrinfo> list;
        std::error_code e;
        getaddrinfo(name.c_str(), nullptr, family, SOCK_STREAM, 0, flags, list, e);
        const std::lock_guard<std::mutex> lock(state->m);
        for (auto& ai : list) {
            if (!ai.canonname.empty() && state->canonname.empty()) state->canonname = ai.canonname;
            state->out.push_back(ai.sockaddr);
        }
        state->ec = e;
        state->done = true;
        state->cv.notify_all();
    }).detach();
    std::unique_lock<std::mutex> lock(state->m);
    if (!state->cv.wait_for(lock, std::chrono::nanoseconds(timeout_ns), [&] { return state->done; })) {
        ec = timed_out();
        return false;
    }
    if (state->ec) {
        ec = state->ec;
        return false;
    }
    out = std::move(state->out);
    canonname = std::move(state->canonname);
    return true;
}

#endif

}  // namespace usocket::sys
