#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace bench {

long scaled(const options& o, long n, long min, long multiple) {
    long v = std::max(min, std::lround(static_cast<double>(n) * o.scale));
    return (v + multiple - 1) / multiple * multiple;
}

std::int64_t now_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    check(sched_setaffinity(0, sizeof set, &set) == 0, "sched_setaffinity");
}

void die(const char* what) {
    std::fprintf(stderr, "usocket_bench: %s: %s\n", what, std::strerror(errno));
    std::exit(2);
}

result run_rounds(const options& o, const std::vector<variant>& variants) {
    result r;
    for (const auto& v : variants) {
        r.labels.emplace_back(v.name, v.label);
        r.samples.emplace_back(v.name, std::vector<double>{});
        (void)v.run();  // warm-up: caches, lazy binding, first-touch of buffers
    }
    for (int round = 0; round < o.rounds; ++round) {
        const std::size_t n = variants.size();
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t i = round % 2 == 0 ? k : n - 1 - k;
            r.samples[i].second.push_back(variants[i].run());
        }
    }
    return r;
}

namespace {
std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}
}  // namespace

void print_json(const result& r) {
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on a chain of operator+.
    std::string out = "{\"bench\":";
    out.append(quoted(r.bench)).append(",\"title\":").append(quoted(r.title));
    out.append(",\"unit\":").append(quoted(r.unit));
    out.append(",\"higher_is_better\":").append(r.higher_is_better ? "true" : "false");
    out.append(",\"baseline\":").append(quoted(r.baseline)).append(",\"params\":{");
    for (std::size_t i = 0; i < r.params.size(); ++i)
        out.append(i ? "," : "").append(quoted(r.params[i].first)).append(":").append(quoted(r.params[i].second));
    out += "},\"labels\":{";
    for (std::size_t i = 0; i < r.labels.size(); ++i)
        out.append(i ? "," : "").append(quoted(r.labels[i].first)).append(":").append(quoted(r.labels[i].second));
    out += "},\"samples\":{";
    for (std::size_t i = 0; i < r.samples.size(); ++i) {
        out.append(i ? "," : "").append(quoted(r.samples[i].first)).append(":[");
        char num[64];
        for (std::size_t j = 0; j < r.samples[i].second.size(); ++j) {
            std::snprintf(num, sizeof num, "%s%.6g", j ? "," : "", r.samples[i].second[j]);
            out += num;
        }
        out += "]";
    }
    out += "}}\n";
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
}

int loopback_listener(sockaddr_in& sa, int backlog) {
    const int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(l >= 0, "socket");
    sa = sockaddr_in{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    check(bind(l, reinterpret_cast<sockaddr*>(&sa), len) == 0, "bind");
    check(listen(l, backlog) == 0, "listen");
    check(getsockname(l, reinterpret_cast<sockaddr*>(&sa), &len) == 0, "getsockname");
    return l;
}

std::pair<int, int> connected_pair(bool tcp, bool nodelay) {
    int fds[2];
    if (!tcp) {
        check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0, "socketpair");
        return {fds[0], fds[1]};
    }
    sockaddr_in sa;
    const int l = loopback_listener(sa, 1);
    socklen_t len = sizeof sa;
    const int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    check(c >= 0, "socket");
    check(connect(c, reinterpret_cast<sockaddr*>(&sa), len) == 0, "connect");
    const int s = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
    check(s >= 0, "accept");
    close(l);
    if (nodelay) {
        const int one = 1;
        check(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "TCP_NODELAY");
        check(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "TCP_NODELAY");
    }
    return {c, s};
}

int udp_socket() {
    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    check(fd >= 0, "socket");
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    check(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0, "bind");
    return fd;
}

void set_non_blocking(int fd, bool on) {
    const int fl = fcntl(fd, F_GETFL);
    check(fl >= 0 && fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) == 0, "fcntl");
}

int spawn(const std::function<void()>& child) {
    std::fflush(nullptr);
    const pid_t pid = fork();
    check(pid >= 0, "fork");
    if (pid == 0) {
        child();
        std::fflush(nullptr);
        _exit(0);
    }
    return pid;
}

void reap(int pid) {
    int status = 0;
    check(waitpid(pid, &status, 0) == pid, "waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "usocket_bench: child process failed (status %d)\n", status);
        std::exit(2);
    }
}

void raw_write_all(int fd, const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
        const ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        check(k > 0, "send");
        c += k;
        n -= static_cast<std::size_t>(k);
    }
}

void raw_read_all(int fd, void* p, std::size_t n) {
    char* c = static_cast<char*>(p);
    while (n > 0) {
        const ssize_t k = recv(fd, c, n, 0);
        if (k < 0 && errno == EINTR) continue;
        check(k > 0, "recv");
        c += k;
        n -= static_cast<std::size_t>(k);
    }
}

}  // namespace bench
