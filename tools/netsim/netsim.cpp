// usocket-netsim: a virtual Ethernet hub for processes running lwIP on a host.
//
//   usocket-netsim PATH [--loss P] [--dup P] [--reorder P] [--delay MS] [--seed N]
//
// Listens on a Unix datagram socket at PATH. Each datagram is one Ethernet frame (or, shorter
// than an Ethernet header, a control message: "HELLO" attaches the sender). A process attaches
// by sending from its own socket; the hub learns the source MAC of every frame, forwards a
// unicast frame to the port that owns its destination MAC and floods broadcast, multicast (ARP,
// IPv6 neighbour discovery) and unknown unicast to every other port. Each delivery to a port can
// be lost (--loss), duplicated (--dup), held back so that later frames overtake it (--reorder),
// all delayed (--delay). P is a probability, 0.05 or 5%. The decisions come from a generator
// seeded with --seed (or a random seed, logged) so that a failure can be replayed.
//
// Frames travel only between the processes attached here over Unix sockets: nothing touches the
// kernel's IP stack. SIGUSR1 prints the counters; SIGINT or SIGTERM ends the hub, which prints
// them and removes PATH.
//
// A plain POSIX program rather than one over usocket: it must run beside processes whose usocket
// is built over lwIP, and a build with the lwIP backend has no POSIX usocket to link.

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::size_t eth_header = 14;
constexpr std::size_t frame_max = eth_header + 1500 + 64;
constexpr std::size_t backlog_max = 4096;     // frames waiting for one slow port
constexpr std::int64_t hold_ns = 2'000'000;   // how long a reordered frame is held back
constexpr std::int64_t retry_ns = 1'000'000;  // a port whose queue was full is tried again

struct options {
    std::string path;
    double loss = 0, dup = 0, reorder = 0;
    std::int64_t delay_ns = 0;
    std::uint64_t seed = 0;
    bool seed_given = false;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "usocket-netsim: %s\n"
                 "usage: usocket-netsim PATH [--loss P] [--dup P] [--reorder P] [--delay MS] [--seed N]\n"
                 "  P: a probability, 0.05 or 5%%\n",
                 why);
    std::exit(2);
}

double parse_probability(std::string_view text) {
    bool percent = false;
    if (!text.empty() && text.back() == '%') {
        percent = true;
        text.remove_suffix(1);
    }
    double v = 0;
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) usage("bad probability");
    if (percent) v /= 100;
    if (!(v >= 0 && v <= 1)) usage("a probability is between 0 and 1");
    return v;
}

template <class T>
T parse_number(std::string_view text, const char* what) {
    T v{};
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) usage(what);
    return v;
}

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) usage("option needs a value");
            return argv[++i];
        };
        if (a == "--loss") {
            o.loss = parse_probability(value());
        } else if (a == "--dup") {
            o.dup = parse_probability(value());
        } else if (a == "--reorder") {
            o.reorder = parse_probability(value());
        } else if (a == "--delay") {
            const double ms = parse_number<double>(value(), "bad --delay");
            if (!(ms >= 0 && ms <= 60'000)) usage("--delay is 0 to 60000 ms");
            o.delay_ns = static_cast<std::int64_t>(ms * 1e6);
        } else if (a == "--seed") {
            o.seed = parse_number<std::uint64_t>(value(), "bad --seed");
            o.seed_given = true;
        } else if (a == "-h" || a == "--help") {
            usage("a virtual Ethernet hub over a Unix datagram socket");
        } else if (!a.empty() && a[0] == '-') {
            usage("unknown option");
        } else if (o.path.empty()) {
            o.path = a;
        } else {
            usage("one PATH only");
        }
    }
    if (o.path.empty()) usage("PATH missing");
    if (o.path.size() >= sizeof(sockaddr_un{}.sun_path)) usage("PATH too long");
    return o;
}

std::int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

using frame = std::vector<unsigned char>;

struct port {
    sockaddr_un addr{};
    socklen_t len = 0;
    std::deque<frame> backlog;    // due, waiting for room in the port's receive queue
    std::int64_t retry_at = 0;    // 0: send now
    bool gone = false;
};

struct delivery {
    std::int64_t due;
    std::uint64_t seq;
    std::size_t port;
    frame data;
    bool operator>(const delivery& o) const { return due != o.due ? due > o.due : seq > o.seq; }
};

struct counters {
    std::uint64_t frames = 0, delivered = 0, dropped = 0, duplicated = 0, reordered = 0, overflow = 0,
                  control = 0;
};

class hub {
public:
    explicit hub(const options& o) : opt_(o), rng_(o.seed) {}

    int run() {
        if (!open_socket()) return 1;
        std::fprintf(stderr,
                     "usocket-netsim: hub on %s: loss=%g dup=%g reorder=%g delay=%gms seed=%llu "
                     "(replay: --seed %llu)\n",
                     opt_.path.c_str(), opt_.loss, opt_.dup, opt_.reorder, static_cast<double>(opt_.delay_ns) / 1e6,
                     static_cast<unsigned long long>(opt_.seed), static_cast<unsigned long long>(opt_.seed));
        sigset_t block, wait_mask;
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigaddset(&block, SIGUSR1);
        ::sigprocmask(SIG_BLOCK, &block, &wait_mask);
        sigdelset(&wait_mask, SIGINT);
        sigdelset(&wait_mask, SIGTERM);
        sigdelset(&wait_mask, SIGUSR1);
        struct sigaction sa {};
        sa.sa_handler = [](int) { stop_ = 1; };
        ::sigaction(SIGINT, &sa, nullptr);
        ::sigaction(SIGTERM, &sa, nullptr);
        sa.sa_handler = [](int) { report_ = 1; };
        ::sigaction(SIGUSR1, &sa, nullptr);

        while (stop_ == 0) {
            const std::int64_t now = now_ns();
            flush(now);
            std::int64_t next = next_event();
            pollfd p{fd_, POLLIN, 0};
            timespec ts{};
            timespec* tsp = nullptr;
            if (next >= 0) {
                const std::int64_t wait = next > now ? next - now : 0;
                ts.tv_sec = static_cast<time_t>(wait / 1'000'000'000);
                ts.tv_nsec = static_cast<long>(wait % 1'000'000'000);
                tsp = &ts;
            }
            const int r = ::ppoll(&p, 1, tsp, &wait_mask);
            if (r < 0 && errno != EINTR) {
                std::perror("usocket-netsim: ppoll");
                break;
            }
            if (r > 0) receive_all();
            if (report_ != 0) {
                report_ = 0;
                report();
            }
        }
        report();
        ::close(fd_);
        ::unlink(opt_.path.c_str());
        return 0;
    }

private:
    void report() const {
        std::fprintf(stderr,
                     "usocket-netsim: frames=%llu delivered=%llu dropped=%llu duplicated=%llu reordered=%llu "
                     "overflow=%llu control=%llu ports=%zu seed=%llu\n",
                     ull(c_.frames), ull(c_.delivered), ull(c_.dropped), ull(c_.duplicated), ull(c_.reordered),
                     ull(c_.overflow), ull(c_.control), live_ports(), ull(opt_.seed));
    }

    static unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }

    bool open_socket() {
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::memcpy(a.sun_path, opt_.path.c_str(), opt_.path.size() + 1);
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd_ < 0) {
            std::perror("usocket-netsim: socket");
            return false;
        }
        auto bind_path = [&] { return ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0; };
        bool bound = bind_path();
        if (!bound && errno == EADDRINUSE) {
            // A socket file with no hub behind it (a hub that was killed) is taken over; a live
            // hub is not.
            const int probe = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            const bool live = ::connect(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
            ::close(probe);
            if (live) {
                std::fprintf(stderr, "usocket-netsim: a hub already listens on %s\n", opt_.path.c_str());
                return false;
            }
            ::unlink(opt_.path.c_str());
            bound = bind_path();
        }
        if (!bound) {
            std::fprintf(stderr, "usocket-netsim: cannot listen on %s: %s\n", opt_.path.c_str(), std::strerror(errno));
            return false;
        }
        const int buf = 4 << 20;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
        return true;
    }

    std::size_t port_of(const sockaddr_un& from, socklen_t len) {
        for (std::size_t i = 0; i < ports_.size(); ++i) {
            const port& p = ports_[i];
            if (!p.gone && p.len == len && std::memcmp(&p.addr, &from, len) == 0) return i;
        }
        port p;
        p.addr = from;
        p.len = len;
        ports_.push_back(std::move(p));
        std::fprintf(stderr, "usocket-netsim: port %zu attached\n", ports_.size() - 1);
        return ports_.size() - 1;
    }

    std::size_t live_ports() const {
        std::size_t n = 0;
        for (const port& p : ports_) n += p.gone ? 0 : 1;
        return n;
    }

    static std::uint64_t mac_key(const unsigned char* m) {
        std::uint64_t k = 0;
        for (int i = 0; i < 6; ++i) k = (k << 8) | m[i];
        return k;
    }

    void receive_all() {
        unsigned char buf[frame_max];
        for (int budget = 0; budget < 256; ++budget) {
            sockaddr_un from{};
            socklen_t len = sizeof from;
            const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n < 0) return;  // EAGAIN: drained
            if (len <= sizeof(sa_family_t)) continue;  // an unbound sender cannot be answered
            const std::size_t src = port_of(from, len);
            if (static_cast<std::size_t>(n) < eth_header) {
                ++c_.control;
                continue;
            }
            ++c_.frames;
            const unsigned char* dst_mac = buf;
            const unsigned char* src_mac = buf + 6;
            if ((src_mac[0] & 1) == 0) macs_[mac_key(src_mac)] = src;
            frame f(buf, buf + n);
            const bool group = (dst_mac[0] & 1) != 0;
            auto known = group ? macs_.end() : macs_.find(mac_key(dst_mac));
            if (known != macs_.end() && !ports_[known->second].gone) {
                if (known->second != src) schedule(known->second, f);
            } else {
                for (std::size_t i = 0; i < ports_.size(); ++i)
                    if (i != src && !ports_[i].gone) schedule(i, f);
            }
        }
    }

    // One delivery over the faulty wire: lost, or sent (maybe twice), maybe held back.
    void schedule(std::size_t to, const frame& f) {
        if (chance(opt_.loss)) {
            ++c_.dropped;
            return;
        }
        std::int64_t due = now_ns() + opt_.delay_ns;
        if (chance(opt_.reorder)) {
            ++c_.reordered;
            due += hold_ns;
        }
        const bool twice = chance(opt_.dup);
        queue_.push(delivery{due, seq_++, to, f});
        if (twice) {
            ++c_.duplicated;
            queue_.push(delivery{due, seq_++, to, f});
        }
    }

    bool chance(double p) { return p > 0 && uniform_(rng_) < p; }

    std::int64_t next_event() const {
        std::int64_t next = queue_.empty() ? -1 : queue_.top().due;
        for (const port& p : ports_)
            if (!p.gone && !p.backlog.empty() && (next < 0 || p.retry_at < next)) next = p.retry_at;
        return next;
    }

    void flush(std::int64_t now) {
        while (!queue_.empty() && queue_.top().due <= now) {
            delivery d = queue_.top();
            queue_.pop();
            port& p = ports_[d.port];
            if (p.gone) continue;
            if (p.backlog.size() >= backlog_max) {
                ++c_.overflow;
                continue;
            }
            p.backlog.push_back(std::move(d.data));
        }
        for (std::size_t i = 0; i < ports_.size(); ++i) {
            port& p = ports_[i];
            if (p.gone || p.backlog.empty() || p.retry_at > now) continue;
            p.retry_at = 0;
            while (!p.backlog.empty()) {
                const frame& f = p.backlog.front();
                if (::sendto(fd_, f.data(), f.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&p.addr), p.len) >= 0) {
                    ++c_.delivered;
                    p.backlog.pop_front();
                    continue;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
                    p.retry_at = now + retry_ns;  // the port's receive queue is full
                } else {
                    detach(i);  // ECONNREFUSED, ENOENT: the process is gone
                }
                break;
            }
        }
    }

    void detach(std::size_t i) {
        ports_[i].gone = true;
        ports_[i].backlog.clear();
        for (auto it = macs_.begin(); it != macs_.end();) it = it->second == i ? macs_.erase(it) : std::next(it);
        std::fprintf(stderr, "usocket-netsim: port %zu detached\n", i);
    }

    options opt_;
    int fd_ = -1;
    std::mt19937_64 rng_;
    std::uniform_real_distribution<double> uniform_{0.0, 1.0};
    std::vector<port> ports_;
    std::map<std::uint64_t, std::size_t> macs_;
    std::priority_queue<delivery, std::vector<delivery>, std::greater<>> queue_;
    std::uint64_t seq_ = 0;
    counters c_;
    static inline volatile sig_atomic_t stop_ = 0;
    static inline volatile sig_atomic_t report_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    options o = parse(argc, argv);
    if (!o.seed_given) o.seed = std::random_device{}();
    ::signal(SIGPIPE, SIG_IGN);
    return hub(o).run();
}
