// readline over a stream of short lines (32 bytes) on an AF_UNIX socket pair, a writer thread
// feeding the other end. Compares usocket's chunked readline (socket::readline, a makefile()
// file, std::getline over socket_iostream) with one recv per byte (how MicroPython's readline
// reads). Reports lines/s (items_per_second) and recv calls per line (recv_per_line).
//
//   taskset -c 0 ./readline_bench            # both threads on one core (see MEASURING.md)
//   strace -f -c -e trace=recvfrom ./readline_bench --benchmark_filter=socket_readline
//
// recv_per_line for usocket comes from the stream layer's own counter, which exists when the
// library is built with USOCKET_FAULT_INJECTION (the default with tests); otherwise it reads
// -1 and strace gives the figure.

#include <benchmark/benchmark.h>
#ifdef USOCKET_BENCH_COUNT_RECV
#include <fault.hpp>
#endif

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <usocket/usocket.hpp>

namespace {

constexpr std::size_t line_size = 32;

/// `n` lines of exactly line_size bytes: "line 0000000042 ..........\n".
std::string make_lines(std::size_t n) {
    std::string all;
    all.reserve(n * line_size);
    char buf[line_size + 1];
    for (std::size_t i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "line %010zu ...............\n", i);
        all.append(buf, line_size);
    }
    return all;
}

/// A socket pair whose writer end sends `lines` lines from a thread (64 KiB blocks of them, so
/// memory stays small however many iterations the benchmark picks), then shuts down.
struct feed {
    static constexpr std::size_t block_lines = 2048;
    std::pair<usocket::socket, usocket::socket> pair = usocket::socketpair();
    std::string block = make_lines(block_lines);
    std::thread writer;

    explicit feed(std::size_t lines) {
        writer = std::thread([this, lines] {
            for (std::size_t sent = 0; sent < lines; sent += block_lines) {
                const std::size_t n = std::min(block_lines, lines - sent);
                pair.first.sendall(std::string_view(block).substr(0, n * line_size));
            }
            pair.first.shutdown(usocket::shut_wr);
        });
    }
    ~feed() { writer.join(); }
    usocket::socket& reader() { return pair.second; }
};

#ifdef USOCKET_BENCH_COUNT_RECV
double recv_calls() { return static_cast<double>(usocket::testing::recv_calls()); }
bool counting() { return usocket::testing::fault_injection_enabled(); }
#else
double recv_calls() { return 0; }
bool counting() { return false; }
#endif

void report(benchmark::State& state, double calls) {
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(line_size));
    state.counters["recv_per_line"] = calls / static_cast<double>(state.iterations());
}

void socket_readline(benchmark::State& state) {
    feed f(state.max_iterations);
    const double before = recv_calls();
    for (auto _ : state) {
        auto line = f.reader().readline();
        if (!line || line->size() != line_size) state.SkipWithError("short stream");
        benchmark::DoNotOptimize(line);
    }
    report(state, counting() ? recv_calls() - before : -static_cast<double>(state.iterations()));
}

void file_readline(benchmark::State& state) {
    feed f(state.max_iterations);
    auto file = f.reader().makefile("rb");
    const double before = recv_calls();
    for (auto _ : state) {
        auto line = file.readline();
        if (!line || line->size() != line_size) state.SkipWithError("short stream");
        benchmark::DoNotOptimize(line);
    }
    report(state, counting() ? recv_calls() - before : -static_cast<double>(state.iterations()));
}

void iostream_getline(benchmark::State& state) {
    feed f(state.max_iterations);
    usocket::socket_iostream s(f.reader());
    std::string line;
    const double before = recv_calls();
    for (auto _ : state) {
        if (!std::getline(s, line) || line.size() != line_size - 1) state.SkipWithError("short stream");
        benchmark::DoNotOptimize(line);
    }
    report(state, counting() ? recv_calls() - before : -static_cast<double>(state.iterations()));
}

// MicroPython's mp_stream_unbuffered_readline: one recv of one byte until '\n'.
void byte_at_a_time(benchmark::State& state) {
    feed f(state.max_iterations);
    double calls = 0;
    for (auto _ : state) {
        std::string line;
        char c = 0;
        for (;;) {
            const std::size_t n = f.reader().recv_into(usocket::mutable_buffer(&c, 1));
            ++calls;
            if (n == 0) break;
            line.push_back(c);
            if (c == '\n') break;
        }
        if (line.size() != line_size) state.SkipWithError("short stream");
        benchmark::DoNotOptimize(line);
    }
    report(state, calls);
}

}  // namespace

BENCHMARK(socket_readline)->UseRealTime();
BENCHMARK(file_readline)->UseRealTime();
BENCHMARK(iostream_getline)->UseRealTime();
BENCHMARK(byte_at_a_time)->UseRealTime();

BENCHMARK_MAIN();
