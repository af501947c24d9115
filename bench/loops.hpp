#pragma once
// Single-thread loops (per-operation overhead, UDP): each case is set up once, then runs `n`
// iterations. The same loop is timed by the harness and counted by callgrind
// (usocket_bench loop KIND CASE N), so the wall time and the instruction count describe the
// same code.

#include <memory>
#include <vector>

#include "harness.hpp"

namespace bench {

struct loop_case {
    virtual ~loop_case() = default;
    virtual void run(long n) = 0;
};

struct loop_def {
    const char* name;
    const char* label;
    std::unique_ptr<loop_case> (*make)();
};

template <class T>
std::unique_ptr<loop_case> make_case() {
    return std::make_unique<T>();
}

/// Per-operation overhead: 64-byte send + recv on a connected AF_UNIX socketpair, one thread.
const std::vector<loop_def>& perop_cases();
/// UDP: bursts of 16 64-byte datagrams sendto() one socket, then recvfrom() on the other.
const std::vector<loop_def>& udp_cases();

/// A variant that sets the case up, runs `n` iterations and returns ns per iteration.
variant timed_loop(const loop_def& def, long n);

}  // namespace bench

/// The measured loop, kept out of line so callgrind can collect only inside it
/// (--toggle-collect=usocket_bench_loop).
extern "C" void usocket_bench_loop(bench::loop_case* c, long n);
