#pragma once
// The benchmark harness: plain timing loops with medians, no framework.
//
// Why not Google Benchmark: a ratio means something on a shared VM only when A and B are
// measured in the same run, alternating (docs/BENCHMARKS.md, "Method"). The harness runs every
// variant of a workload once per round, in forward order on even rounds and backward on odd
// ones, and prints every sample; the report takes per-round ratios to the raw system calls
// and their median. Several workloads need two processes pinned to one core (fork), and the
// callgrind counts need a fixed, known number of iterations with no calibration loop around
// it — both awkward inside Google Benchmark's adaptive iteration counts.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct sockaddr_in;

namespace bench {

struct options {
    int rounds = 7;
    double scale = 1.0;  ///< multiplies every iteration count (smoke runs use ~0.01)
    int cpu = 0;         ///< the core every process of the benchmark is pinned to
};

/// Iterations scaled by the options, at least `min` (and a multiple of `multiple`).
long scaled(const options& o, long n, long min = 16, long multiple = 1);

/// Monotonic time in nanoseconds.
std::int64_t now_ns() noexcept;

/// Pins the calling process (and the children it forks later) to one CPU.
void pin_to_cpu(int cpu);

/// Prints what failed with errno and exits with status 2. Benchmarks do not recover.
[[noreturn]] void die(const char* what);
/// Exits with status 2 when `ok` is false.
inline void check(bool ok, const char* what) {
    if (!ok) die(what);
}

/// One measured implementation of a workload: runs it once and returns the figure.
struct variant {
    std::string name;   ///< short key: raw, usocket, asio, libuv...
    std::string label;  ///< what it is, for the report
    std::function<double()> run;
};

/// A workload's results: every sample of every variant, printed as one JSON object.
struct result {
    std::string bench;     ///< key, e.g. "perop"
    std::string title;     ///< for the report
    std::string unit;      ///< of the samples, e.g. "ns per send+recv"
    bool higher_is_better = false;
    std::string baseline = "raw";
    std::vector<std::pair<std::string, std::string>> params;  ///< shown in the report
    std::vector<std::pair<std::string, std::string>> labels;  ///< variant name -> label
    std::vector<std::pair<std::string, std::vector<double>>> samples;
};

/// Runs one warm-up pass and then `o.rounds` rounds of every variant, alternating the order.
result run_rounds(const options& o, const std::vector<variant>& variants);

/// Prints `r` as one line of JSON on stdout.
void print_json(const result& r);

// --- sockets, with raw calls (setup only: the measured loops use each library's own calls) ---

/// Two connected stream descriptors: TCP over 127.0.0.1 (listener on port 0) or a Unix
/// socketpair. TCP ones get TCP_NODELAY when `nodelay`.
std::pair<int, int> connected_pair(bool tcp, bool nodelay = false);

/// A TCP listener on 127.0.0.1, port 0; `sa` receives its address.
int loopback_listener(sockaddr_in& sa, int backlog);

/// A UDP socket bound to 127.0.0.1 port 0.
int udp_socket();

/// Sets or clears O_NONBLOCK.
void set_non_blocking(int fd, bool on);

/// Runs `child` in a forked process (same CPU pinning) and returns its pid; the child exits
/// with 0 after `child` returns.
int spawn(const std::function<void()>& child);
/// Waits for the child and exits if it failed.
void reap(int pid);

/// Exactly `n` bytes with raw blocking calls (setup and synchronisation only).
void raw_write_all(int fd, const void* p, std::size_t n);
void raw_read_all(int fd, void* p, std::size_t n);

}  // namespace bench
