// The load generator of the echo comparison: one thread, non-blocking sockets on epoll.
//
//   echo_load --port P --conns N --rounds M [--size 64] [--pid PID] [--batch 250]
//             [--time-limit SECONDS]
//
// 1. Opens N connections to 127.0.0.1:P in batches of --batch (each batch connected before the
//    next; with --pid, also accepted: the server's descriptor count has grown by as many).
// 2. With --pid: the server's resident size with no client (before 1), with N idle clients
//    that have not sent anything yet, and after the rounds (every client has talked, and is
//    idle again).
// 3. M rounds on every connection, each connection on its own: send a message of --size bytes,
//    read back exactly as many, check every byte (each message has its own content, from the
//    connection and the round), send the next. N * M messages in all; every connection keeps one
//    in flight, so the server always has up to N clients ready at once.
// 4. Closes every connection and (with --pid) waits until the server has closed its side.
//
// Prints one JSON object. Every wait is bounded by --time-limit (default 300 s): past it, the
// generator says where it was and exits with 3. A wrong echo exits with 4.

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct options {
    int port = 0;
    long conns = 1000;
    long rounds = 100;
    std::size_t size = 64;
    long pid = 0;
    long batch = 250;
    double time_limit = 300;
};

using clock_type = std::chrono::steady_clock;
clock_type::time_point started;
options opt;
const char* phase = "start";

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "echo_load: %s: %s\n", what, std::strerror(errno));
    std::exit(2);
}

double elapsed() { return std::chrono::duration<double>(clock_type::now() - started).count(); }

void check_time() {
    if (elapsed() <= opt.time_limit) return;
    std::fprintf(stderr, "echo_load: over the time limit (%.0f s) while %s\n", opt.time_limit, phase);
    std::exit(3);
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) {
            std::fprintf(stderr, "echo_load: %s needs a value\n", a.c_str());
            std::exit(2);
        }
        const char* v = argv[++i];
        if (a == "--port") o.port = std::atoi(v);
        else if (a == "--conns") o.conns = std::atol(v);
        else if (a == "--rounds") o.rounds = std::atol(v);
        else if (a == "--size") o.size = static_cast<std::size_t>(std::atol(v));
        else if (a == "--pid") o.pid = std::atol(v);
        else if (a == "--batch") o.batch = std::atol(v);
        else if (a == "--time-limit") o.time_limit = std::atof(v);
        else {
            std::fprintf(stderr, "echo_load: unknown option %s\n", a.c_str());
            std::exit(2);
        }
    }
    if (o.port <= 0 || o.port > 65535 || o.conns <= 0 || o.rounds <= 0 || o.size == 0 || o.size > 65536 ||
        o.batch <= 0) {
        std::fprintf(stderr, "echo_load: bad arguments\n");
        std::exit(2);
    }
    return o;
}

// --- the server seen from /proc ------------------------------------------------------------

long server_fds() {
    const std::string dir = "/proc/" + std::to_string(opt.pid) + "/fd";
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) die("opendir /proc/PID/fd");
    long n = 0;
    while (const dirent* e = readdir(d))
        if (e->d_name[0] != '.') ++n;
    closedir(d);
    return n;
}

long server_rss_kb(const char* field) {
    const std::string path = "/proc/" + std::to_string(opt.pid) + "/status";
    FILE* f = std::fopen(path.c_str(), "r");
    if (f == nullptr) die("fopen /proc/PID/status");
    char line[256];
    long kb = -1;
    const std::size_t len = std::strlen(field);
    while (std::fgets(line, sizeof line, f) != nullptr)
        if (std::strncmp(line, field, len) == 0 && line[len] == ':') kb = std::atol(line + len + 1);
    std::fclose(f);
    return kb;
}

// Waits until the server holds `want` descriptors (it has accepted, or closed, every client).
void wait_server_fds(long want, bool at_least) {
    for (;;) {
        const long n = server_fds();
        if (at_least ? n >= want : n <= want) return;
        check_time();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

// --- messages ------------------------------------------------------------------------------

// The content of message `round` on connection `conn`: a different byte string for every one,
// so an echo from the wrong connection, or a stale one, does not pass.
void fill(unsigned char* p, std::size_t n, long conn, long round) {
    std::uint64_t x = static_cast<std::uint64_t>(conn) * 0x9E3779B97F4A7C15ull ^ static_cast<std::uint64_t>(round + 1);
    for (std::size_t i = 0; i < n; ++i) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        p[i] = static_cast<unsigned char>((x * 0x2545F4914F6CDD1Dull) >> 56);
    }
}

struct connection {
    int fd = -1;
    long round = 0;
    std::size_t got = 0;
};

void send_message(connection& c, long index, std::vector<unsigned char>& scratch) {
    fill(scratch.data(), opt.size, index, c.round);
    const ssize_t n = ::send(c.fd, scratch.data(), opt.size, MSG_NOSIGNAL);
    if (n != static_cast<ssize_t>(opt.size)) die("send (a whole message into an empty socket buffer)");
    c.got = 0;
}

}  // namespace

int main(int argc, char** argv) {
    opt = parse(argc, argv);
    started = clock_type::now();
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    const int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1");

    long fds0 = 0, rss0 = -1, anon0 = -1;
    if (opt.pid != 0) {
        fds0 = server_fds();
        rss0 = server_rss_kb("VmRSS");
        anon0 = server_rss_kb("RssAnon");
    }

    // 1. Connect, batch by batch.
    phase = "connecting";
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(static_cast<unsigned short>(opt.port));
    std::vector<connection> conns(static_cast<std::size_t>(opt.conns));
    std::vector<epoll_event> events(1024);
    for (long first = 0; first < opt.conns; first += opt.batch) {
        const long last = std::min(opt.conns, first + opt.batch);
        long waiting = 0;
        for (long i = first; i < last; ++i) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) die("socket");
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            conns[static_cast<std::size_t>(i)].fd = fd;
            if (::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)
                die("connect");
            epoll_event ev{};
            ev.events = EPOLLOUT;
            ev.data.u64 = static_cast<std::uint64_t>(i);
            if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
            ++waiting;
        }
        while (waiting > 0) {
            check_time();
            const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
            if (n < 0 && errno != EINTR) die("epoll_wait");
            for (int k = 0; k < n; ++k) {
                const auto i = static_cast<std::size_t>(events[k].data.u64);
                int err = 0;
                socklen_t len = sizeof err;
                if (getsockopt(conns[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) die("getsockopt");
                if (err != 0) {
                    errno = err;
                    die("connect (completion)");
                }
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u64 = i;
                if (epoll_ctl(ep, EPOLL_CTL_MOD, conns[i].fd, &ev) != 0) die("epoll_ctl");
                --waiting;
            }
        }
        if (opt.pid != 0) wait_server_fds(fds0 + last, true);
    }
    const double connect_s = elapsed();

    long rss_idle = -1, anon_idle = -1;
    if (opt.pid != 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        rss_idle = server_rss_kb("VmRSS");
        anon_idle = server_rss_kb("RssAnon");
    }

    // 3. The rounds.
    phase = "exchanging messages";
    std::vector<unsigned char> scratch(opt.size), expect(opt.size);
    std::vector<unsigned char> inbox(opt.size * conns.size());
    for (std::size_t i = 0; i < conns.size(); ++i) send_message(conns[i], static_cast<long>(i), scratch);
    const double run_start = elapsed();
    long finished = 0;
    long long messages = 0;
    while (finished < opt.conns) {
        check_time();
        const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
        if (n < 0 && errno != EINTR) die("epoll_wait");
        for (int k = 0; k < n; ++k) {
            const auto i = static_cast<std::size_t>(events[k].data.u64);
            connection& c = conns[i];
            unsigned char* box = inbox.data() + i * opt.size;
            const ssize_t r = ::recv(c.fd, box + c.got, opt.size - c.got, 0);
            if (r < 0 && errno == EAGAIN) continue;
            if (r <= 0) {
                std::fprintf(stderr, "echo_load: connection %zu: %s in round %ld\n", i,
                             r == 0 ? "closed by the server" : std::strerror(errno), c.round);
                return 4;
            }
            c.got += static_cast<std::size_t>(r);
            if (c.got < opt.size) continue;
            fill(expect.data(), opt.size, static_cast<long>(i), c.round);
            if (std::memcmp(expect.data(), box, opt.size) != 0) {
                std::fprintf(stderr, "echo_load: connection %zu: wrong echo in round %ld\n", i, c.round);
                return 4;
            }
            ++messages;
            if (++c.round == opt.rounds) {
                ++finished;
                continue;
            }
            send_message(c, static_cast<long>(i), scratch);
        }
    }
    const double run_s = elapsed() - run_start;

    long rss_after = -1, anon_after = -1;
    if (opt.pid != 0) {
        rss_after = server_rss_kb("VmRSS");
        anon_after = server_rss_kb("RssAnon");
    }

    // 4. Close, and let the server see it.
    phase = "closing";
    for (connection& c : conns) ::close(c.fd);
    if (opt.pid != 0) wait_server_fds(fds0, false);

    std::printf("{\"conns\":%ld,\"rounds\":%ld,\"size\":%zu,\"messages\":%lld,\"connect_s\":%.4f,\"run_s\":%.4f,"
                "\"msgs_per_s\":%.0f,\"rss0_kb\":%ld,\"rss_idle_kb\":%ld,\"rss_after_kb\":%ld,"
                "\"anon0_kb\":%ld,\"anon_idle_kb\":%ld,\"anon_after_kb\":%ld,\"total_s\":%.4f}\n",
                opt.conns, opt.rounds, opt.size, messages, connect_s, run_s,
                run_s > 0 ? static_cast<double>(messages) / run_s : 0.0, rss0, rss_idle, rss_after, anon0,
                anon_idle, anon_after, elapsed());
    return 0;
}
