#pragma once
// Stream workloads over two processes: bulk throughput and ping-pong latency (stream.cpp).

#include <vector>

#include "harness.hpp"

namespace bench {

/// One implementation of the stream workloads. Each function takes ownership of `fd`.
struct stream_def {
    const char* name;
    const char* label;
    void (*send_bulk)(int fd, long total);    ///< child: waits for the start byte, sends
    double (*recv_bulk)(int fd, long total);  ///< parent: sends the start byte, receives; ns
    double (*ping)(int fd, long n);           ///< parent: n round trips; ns
    void (*pong)(int fd);                     ///< child: echoes until the end of the stream
};

const std::vector<stream_def>& stream_impls();

/// One bulk transfer of `total` bytes; returns MB/s (10^6 bytes per second).
double bulk_once(const stream_def& impl, bool tcp, long total);
/// `n` ping-pong round trips over TCP with TCP_NODELAY; returns microseconds per round trip.
double pingpong_once(const stream_def& impl, long n);

}  // namespace bench
