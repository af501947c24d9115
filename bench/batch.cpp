// batch_bench: batched datagrams (send_many/recv_many over sendmmsg/recvmmsg) against one system
// call per datagram (sendto/recvfrom_into), usocket and raw C side by side in one run.
//
// One thread, pinned to one CPU: bursts of B 64-byte UDP datagrams from one socket to another on
// 127.0.0.1, then B received (a burst fits the receive buffer, so every figure counts delivered
// datagrams; the receiver asks for the sender's address). Every variant runs once per round, in
// forward order on even rounds and backward on odd ones; medians are printed. System calls are
// counted in the process itself by the raw_syscalls:sys_enter tracepoint (perf_event_open; root
// or perf_event_paranoid <= 1, and tracefs): "n/a" where that cannot be opened. CPU time is the
// thread's own (loopback receive work in softirq may be charged to nobody: compare, do not add).
//
//   batch_bench [--rounds R] [--datagrams N] [--cpu C] [--json]
//   batch_bench loop VARIANT BURST N     one run of N datagrams, for callgrind (VARIANT: raw_per_call,
//                                        raw_mmsg, usocket_per_call, usocket_many)

#include <linux/perf_event.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "usocket/usocket.hpp"

namespace {

constexpr std::size_t msg_size = 64;

// --- system calls of this process, counted by the kernel ---------------------------------------

class syscall_counter {
public:
    syscall_counter() {
        long id = -1;
        for (const char* path : {"/sys/kernel/tracing/events/raw_syscalls/sys_enter/id",
                                 "/sys/kernel/debug/tracing/events/raw_syscalls/sys_enter/id"}) {
            std::ifstream f(path);
            if (f >> id) break;
            id = -1;
        }
        if (id < 0) return;
        perf_event_attr attr{};
        attr.type = PERF_TYPE_TRACEPOINT;
        attr.size = sizeof attr;
        attr.config = static_cast<unsigned long long>(id);
        attr.disabled = 1;
        fd_ = static_cast<int>(::syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
    }
    ~syscall_counter() {
        if (fd_ >= 0) ::close(fd_);
    }
    bool ok() const { return fd_ >= 0; }
    void start() {
        if (fd_ < 0) return;
        ::ioctl(fd_, PERF_EVENT_IOC_RESET, 0);
        ::ioctl(fd_, PERF_EVENT_IOC_ENABLE, 0);
    }
    // System calls since start(), less the one that stops the count.
    long long stop() {
        if (fd_ < 0) return -1;
        ::ioctl(fd_, PERF_EVENT_IOC_DISABLE, 0);
        long long n = 0;
        if (::read(fd_, &n, sizeof n) != static_cast<ssize_t>(sizeof n)) return -1;
        return n - 1;
    }

private:
    int fd_ = -1;
};

// --- the variants ------------------------------------------------------------------------------

struct variant {
    std::string name;
    long burst;
    std::function<void(long)> run;  // sends and receives n datagrams (a multiple of burst)
};

sockaddr_in address_of(int fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    bench::check(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0, "getsockname");
    return sa;
}

struct raw_pair {
    int a = bench::udp_socket(), b = bench::udp_socket();
    sockaddr_in to = address_of(b);
    ~raw_pair() {
        ::close(a);
        ::close(b);
    }
};

struct usocket_pair {
    usocket::socket a{usocket::af_inet, usocket::sock_dgram}, b{usocket::af_inet, usocket::sock_dgram};
    usocket::address to;
    usocket_pair() {
        a.bind(usocket::address("127.0.0.1", 0));
        b.bind(usocket::address("127.0.0.1", 0));
        to = b.getsockname();
    }
};

variant raw_per_call(long burst) {
    auto p = std::make_shared<raw_pair>();
    return {"raw sendto/recvfrom", burst, [p, burst](long n) {
                char msg[msg_size] = {}, buf[msg_size];
                for (long i = 0; i < n; i += burst) {
                    for (long k = 0; k < burst; ++k)
                        bench::check(::sendto(p->a, msg, msg_size, 0, reinterpret_cast<sockaddr*>(&p->to),
                                              sizeof p->to) == static_cast<ssize_t>(msg_size),
                                     "sendto");
                    for (long k = 0; k < burst; ++k) {
                        sockaddr_storage from;
                        socklen_t len = sizeof from;
                        bench::check(::recvfrom(p->b, buf, msg_size, 0, reinterpret_cast<sockaddr*>(&from), &len) ==
                                         static_cast<ssize_t>(msg_size),
                                     "recvfrom");
                    }
                }
            }};
}

variant raw_mmsg(long burst) {
    auto p = std::make_shared<raw_pair>();
    return {"raw sendmmsg/recvmmsg", burst, [p, burst](long n) {
                std::vector<char> msg(msg_size), bufs(msg_size * static_cast<std::size_t>(burst));
                std::vector<iovec> out_iov(burst), in_iov(burst);
                std::vector<mmsghdr> out(burst), in(burst);
                std::vector<sockaddr_storage> from(burst);
                for (long k = 0; k < burst; ++k) {
                    out_iov[k] = {msg.data(), msg_size};
                    out[k].msg_hdr = msghdr{};
                    out[k].msg_hdr.msg_name = &p->to;
                    out[k].msg_hdr.msg_namelen = sizeof p->to;
                    out[k].msg_hdr.msg_iov = &out_iov[k];
                    out[k].msg_hdr.msg_iovlen = 1;
                    in_iov[k] = {bufs.data() + k * msg_size, msg_size};
                }
                for (long i = 0; i < n; i += burst) {
                    bench::check(::sendmmsg(p->a, out.data(), static_cast<unsigned>(burst), 0) == burst, "sendmmsg");
                    for (long k = 0; k < burst; ++k) {
                        in[k].msg_hdr = msghdr{};
                        in[k].msg_hdr.msg_name = &from[k];
                        in[k].msg_hdr.msg_namelen = sizeof from[k];
                        in[k].msg_hdr.msg_iov = &in_iov[k];
                        in[k].msg_hdr.msg_iovlen = 1;
                    }
                    bench::check(::recvmmsg(p->b, in.data(), static_cast<unsigned>(burst), MSG_WAITFORONE, nullptr) ==
                                     burst,
                                 "recvmmsg");
                }
            }};
}

variant usocket_per_call(long burst) {
    auto p = std::make_shared<usocket_pair>();
    return {"usocket sendto/recvfrom_into", burst, [p, burst](long n) {
                char msg[msg_size] = {}, buf[msg_size];
                for (long i = 0; i < n; i += burst) {
                    for (long k = 0; k < burst; ++k)
                        bench::check(p->a.sendto(usocket::const_buffer(msg, msg_size), p->to) == msg_size, "sendto");
                    for (long k = 0; k < burst; ++k)
                        bench::check(p->b.recvfrom_into(usocket::mutable_buffer(buf, msg_size)).first == msg_size,
                                     "recvfrom_into");
                }
            }};
}

variant usocket_many(long burst) {
    auto p = std::make_shared<usocket_pair>();
    return {"usocket send_many/recv_many", burst, [p, burst](long n) {
                std::vector<char> msg(msg_size), bufs(msg_size * static_cast<std::size_t>(burst));
                std::vector<usocket::outgoing_datagram> out(burst, usocket::outgoing_datagram{msg, &p->to});
                std::vector<usocket::incoming_datagram> in(burst);
                for (long k = 0; k < burst; ++k) in[k].buffer = usocket::mutable_buffer(bufs.data() + k * msg_size, msg_size);
                for (long i = 0; i < n; i += burst) {
                    bench::check(p->a.send_many(out) == static_cast<std::size_t>(burst), "send_many");
                    bench::check(p->b.recv_many(in) == static_cast<std::size_t>(burst), "recv_many");
                }
            }};
}

struct sample {
    double per_second;
    double syscalls_per_datagram;
    double cpu_ns_per_datagram;  // this thread's user + system time (softirq work may be missed)
};

std::int64_t thread_cpu_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n == 0 ? 0 : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// batch_bench loop VARIANT BURST N: runs one variant once, unpinned and unmeasured.
int loop(const std::string& name, long burst, long n) {
    const std::pair<const char*, variant (*)(long)> all[] = {{"raw_per_call", raw_per_call},
                                                             {"raw_mmsg", raw_mmsg},
                                                             {"usocket_per_call", usocket_per_call},
                                                             {"usocket_many", usocket_many}};
    for (const auto& [key, make] : all)
        if (name == key && burst > 0 && n >= burst) {
            make(burst).run(n / burst * burst);
            return 0;
        }
    std::fprintf(stderr, "batch_bench loop: raw_per_call|raw_mmsg|usocket_per_call|usocket_many BURST N\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 5 && std::string(argv[1]) == "loop") return loop(argv[2], std::atol(argv[3]), std::atol(argv[4]));
    int rounds = 7, cpu = 0;
    long datagrams = 256'000;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--rounds" && i + 1 < argc) rounds = std::atoi(argv[++i]);
        else if (arg == "--datagrams" && i + 1 < argc) datagrams = std::atol(argv[++i]);
        else if (arg == "--cpu" && i + 1 < argc) cpu = std::atoi(argv[++i]);
        else if (arg == "--json") json = true;
        else {
            std::fprintf(stderr, "usage: batch_bench [--rounds R] [--datagrams N] [--cpu C] [--json]\n");
            return 2;
        }
    }
    if (rounds < 1 || datagrams < 64) return 2;
    datagrams = datagrams / 64 * 64;  // a multiple of every burst
    bench::pin_to_cpu(cpu);

    std::vector<variant> variants = {usocket_per_call(32), usocket_many(8),  usocket_many(32),
                                     usocket_many(64),     raw_per_call(32), raw_mmsg(32)};
    syscall_counter counter;
    std::vector<std::vector<sample>> samples(variants.size());
    for (auto& v : variants) v.run(std::max<long>(datagrams / 16, 64) / 64 * 64);  // warm-up
    for (int round = 0; round < rounds; ++round) {
        const std::size_t n = variants.size();
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t i = round % 2 == 0 ? k : n - 1 - k;
            counter.start();
            const std::int64_t c0 = thread_cpu_ns();
            const std::int64_t t0 = bench::now_ns();
            variants[i].run(datagrams);
            const std::int64_t t1 = bench::now_ns();
            const std::int64_t c1 = thread_cpu_ns();
            const long long calls = counter.stop();
            const auto per = [&](double total) { return total / static_cast<double>(datagrams); };
            samples[i].push_back({static_cast<double>(datagrams) * 1e9 / static_cast<double>(t1 - t0),
                                  calls < 0 ? -1.0 : per(static_cast<double>(calls)),
                                  per(static_cast<double>(c1 - c0))});
        }
    }

    // Medians of the samples, and of each round's ratio to the first variant (one call per
    // datagram through usocket): only ratios within a round compare like with like.
    std::vector<double> rate(variants.size()), calls(variants.size()), ratio(variants.size()), cpu_ns(variants.size());
    for (std::size_t i = 0; i < variants.size(); ++i) {
        std::vector<double> r, c, q, u;
        for (std::size_t k = 0; k < samples[i].size(); ++k) {
            r.push_back(samples[i][k].per_second);
            c.push_back(samples[i][k].syscalls_per_datagram);
            q.push_back(samples[i][k].per_second / samples[0][k].per_second);
            u.push_back(samples[i][k].cpu_ns_per_datagram);
        }
        rate[i] = median(r);
        calls[i] = median(c);
        ratio[i] = median(q);
        cpu_ns[i] = median(u);
    }
    if (json) {
        std::printf("{\"bench\":\"batch\",\"datagrams\":%ld,\"rounds\":%d,\"cpu\":%d,\"variants\":[", datagrams, rounds,
                    cpu);
        for (std::size_t i = 0; i < variants.size(); ++i)
            std::printf("%s{\"name\":\"%s\",\"burst\":%ld,\"datagrams_per_s\":%.0f,\"ratio\":%.3f,"
                        "\"syscalls_per_datagram\":%.3f,\"cpu_ns_per_datagram\":%.0f}",
                        i == 0 ? "" : ",", variants[i].name.c_str(), variants[i].burst, rate[i], ratio[i], calls[i],
                        cpu_ns[i]);
        std::printf("]}\n");
        return 0;
    }
    std::printf("UDP 127.0.0.1, %zu-byte datagrams, one thread on CPU %d: %ld datagrams per sample, median of %d\n"
                "rounds (order alternating); every datagram sent and received, the sender's address read.\n\n",
                msg_size, cpu, datagrams, rounds);
    std::printf("%-30s %6s %14s %10s %18s %14s\n", "variant", "burst", "datagrams/s", "vs 1/call", "syscalls/datagram",
                "CPU ns/dgram");
    for (std::size_t i = 0; i < variants.size(); ++i) {
        char sc[32];
        if (calls[i] < 0)
            std::snprintf(sc, sizeof sc, "n/a");
        else
            std::snprintf(sc, sizeof sc, "%.3f", calls[i]);
        std::printf("%-30s %6ld %14.0f %9.2fx %18s %14.0f\n", variants[i].name.c_str(), variants[i].burst, rate[i],
                    ratio[i], sc, cpu_ns[i]);
    }
    if (!counter.ok())
        std::printf("\nsystem calls not counted: perf_event_open(raw_syscalls:sys_enter) was refused\n");
    return 0;
}
