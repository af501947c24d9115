// usocket_bench: usocket against the raw system calls and the peers (Asio, libuv).
//
//   usocket_bench [--rounds R] [--scale S] [--cpu C] WORKLOAD...
//       WORKLOAD: perop udp bulk-tcp bulk-unix pingpong connrate (or all). Prints one JSON
//       object per workload (every sample of every variant; docs/BENCHMARKS.md explains).
//   usocket_bench loop perop|udp CASE N
//       Only runs N iterations of one single-thread case, for valgrind --tool=callgrind.
//   usocket_bench list perop|udp
//       The case names.
//   usocket_bench once bulk-tcp|bulk-unix IMPL BYTES
//       One bulk transfer of one implementation (raw_ variants included), pinned as the
//       workload is, for an outside counter (bench/bulk_syscalls.py counts the sender's
//       system calls with perf).
//
// Everything is pinned to one core (--cpu, default 0), children included. Loopback only.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "connrate.hpp"
#include "loops.hpp"
#include "stream.hpp"

extern "C" __attribute__((noinline)) void usocket_bench_loop(bench::loop_case* c, long n) {
    c->run(n);
}

namespace bench {

variant timed_loop(const loop_def& def, long n) {
    return {def.name, def.label, [&def, n] {
                auto c = def.make();
                const std::int64_t t0 = now_ns();
                usocket_bench_loop(c.get(), n);
                return static_cast<double>(now_ns() - t0) / static_cast<double>(n);
            }};
}

namespace {

const std::vector<loop_def>* loop_kind(const std::string& kind) {
    if (kind == "perop") return &perop_cases();
    if (kind == "udp") return &udp_cases();
    return nullptr;
}

result run_loops(const options& o, const std::vector<loop_def>& cases, long n) {
    std::vector<variant> v;
    for (const auto& c : cases) v.push_back(timed_loop(c, n));
    return run_rounds(o, v);
}

std::vector<variant> stream_variants(bool bulk, bool tcp, long n) {
    std::vector<variant> v;
    for (const auto& impl : stream_impls()) {
        const std::string name = impl.name;
        // The raw poll/try variants model timeout strategies: they matter for latency only,
        // but for raw_nonblocking, the least a sender on an O_NONBLOCK descriptor does (the
        // reference of usocket_timeout's bulk figure).
        if (bulk ? name.rfind("raw_", 0) == 0 && name != "raw_nonblocking" : name == "raw_nonblocking") continue;
        if (bulk)
            v.push_back({impl.name, impl.label, [&impl, tcp, n] { return bulk_once(impl, tcp, n); }});
        else
            v.push_back({impl.name, impl.label, [&impl, n] { return pingpong_once(impl, n); }});
    }
    return v;
}

void run_workload(const options& o, const std::string& w) {
    result r;
    const std::string cpu = std::to_string(o.cpu);
    if (w == "perop") {
        const long n = scaled(o, 100000);
        r = run_loops(o, perop_cases(), n);
        r.title = "Per-operation overhead: 64-byte send + recv, AF_UNIX socketpair, one thread";
        r.unit = "ns per send+recv pair";
        r.params = {{"iterations per sample", std::to_string(n)}, {"cpu", cpu}};
    } else if (w == "udp") {
        const long n = scaled(o, 64000, 16, 16);
        r = run_loops(o, udp_cases(), n);
        r.title = "UDP: 64-byte datagrams over 127.0.0.1, bursts of 16 sendto() then 16 recvfrom(), one thread";
        r.unit = "ns per datagram (sendto + recvfrom)";
        r.params = {{"datagrams per sample", std::to_string(n)}, {"cpu", cpu}};
    } else if (w == "bulk-tcp" || w == "bulk-unix") {
        const bool tcp = w == "bulk-tcp";
        const long total = scaled(o, 512L << 20, 1L << 20, 64L << 10);
        r = run_rounds(o, stream_variants(true, tcp, total));
        r.title = std::string("Bulk throughput, ") + (tcp ? "TCP over 127.0.0.1" : "AF_UNIX stream") +
                  ", 64 KiB chunks, two processes on one core";
        r.unit = "MB/s";
        r.higher_is_better = true;
        r.params = {{"bytes per sample", std::to_string(total)}, {"cpu (both processes)", cpu}};
    } else if (w == "pingpong") {
        const long n = scaled(o, 20000);
        r = run_rounds(o, stream_variants(false, true, n));
        r.title = "Ping-pong: 64-byte request and response, TCP_NODELAY, two processes on one core";
        r.unit = "us per round trip";
        r.params = {{"round trips per sample", std::to_string(n)}, {"cpu (both processes)", cpu}};
    } else if (w == "connrate") {
        const long n = scaled(o, 2000);
        r = run_rounds(o, connrate_variants(n));
        r.title = "Connection rate: connect + accept + close over 127.0.0.1, one process";
        r.unit = "us per connection";
        r.params = {{"connections per sample", std::to_string(n)}, {"cpu", cpu}};
    } else {
        std::fprintf(stderr, "usocket_bench: unknown workload %s\n", w.c_str());
        std::exit(2);
    }
    r.bench = w;
    r.params.emplace_back("rounds", std::to_string(o.rounds));
    print_json(r);
}

int usage() {
    std::fprintf(stderr,
                 "usage: usocket_bench [--rounds R] [--scale S] [--cpu C] "
                 "perop|udp|bulk-tcp|bulk-unix|pingpong|connrate|all...\n"
                 "       usocket_bench loop perop|udp CASE N\n"
                 "       usocket_bench list perop|udp\n"
                 "       usocket_bench once bulk-tcp|bulk-unix IMPL BYTES\n");
    return 2;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
    using namespace bench;
    options o;
    int i = 1;
    for (; i + 1 < argc && std::strncmp(argv[i], "--", 2) == 0; i += 2) {
        const std::string opt = argv[i];
        if (opt == "--rounds")
            o.rounds = std::atoi(argv[i + 1]);
        else if (opt == "--scale")
            o.scale = std::atof(argv[i + 1]);
        else if (opt == "--cpu")
            o.cpu = std::atoi(argv[i + 1]);
        else
            return usage();
    }
    if (i >= argc || o.rounds < 1 || o.scale <= 0) return usage();
    const std::string cmd = argv[i];
    if (cmd == "list" || cmd == "loop") {
        const auto* cases = i + 1 < argc ? loop_kind(argv[i + 1]) : nullptr;
        if (!cases) return usage();
        if (cmd == "list") {
            for (const auto& c : *cases) std::printf("%s\n", c.name);
            return 0;
        }
        if (i + 3 >= argc) return usage();
        for (const auto& c : *cases) {
            if (c.name != std::string(argv[i + 2])) continue;
            auto lc = c.make();
            usocket_bench_loop(lc.get(), std::atol(argv[i + 3]));
            return 0;
        }
        return usage();
    }
    pin_to_cpu(o.cpu);
    if (cmd == "once") {
        if (i + 3 >= argc) return usage();
        const std::string w = argv[i + 1];
        if (w != "bulk-tcp" && w != "bulk-unix") return usage();
        for (const auto& impl : stream_impls()) {
            if (impl.name != std::string(argv[i + 2])) continue;
            std::printf("%.1f MB/s\n", bulk_once(impl, w == "bulk-tcp", std::atol(argv[i + 3])));
            return 0;
        }
        return usage();
    }
    for (; i < argc; ++i) {
        if (std::string(argv[i]) == "all") {
            for (const char* w : {"perop", "udp", "bulk-tcp", "bulk-unix", "pingpong", "connrate"})
                run_workload(o, w);
        } else {
            run_workload(o, argv[i]);
        }
    }
    return 0;
}
