#pragma once
// The hub of a test process over usocket-netsim, as a GoogleTest environment: started before the
// tests, this process attached to it, peers started on it. No socket header here: tests on lwIP's
// own API (net_helpers.hpp) and tests on the usocket API both use it.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "support.hpp"
#include "usocket_lwip_host.h"

namespace lwip_test {

/// The hub of this test process and this process's attachment to it (10.77.0.1, fd77::1).
/// Peers get 10.77.0.N and fd77::N.
class hub_environment : public ::testing::Environment {
public:
    explicit hub_environment(std::vector<std::string> hub_args) : args_(std::move(hub_args)) {}

    void SetUp() override {
        dir_ = make_temp_dir();
        hub_ = std::make_unique<hub>(dir_, args_);
        set_env("USOCKET_LWIP_NET", hub_->path);
        set_env("USOCKET_LWIP_ADDR", "10.77.0.1/24,fd77::1/64");
        char why[256] = "";
        ASSERT_EQ(usocket_lwip_host_ready(why, sizeof why), 0) << why;
        instance_ = this;
    }

    void TearDown() override {
        const std::string log = hub_->stop();
        std::printf("hub log:\n%s", log.c_str());
        remove_tree(dir_);
    }

    static hub_environment& get() { return *instance_; }
    const std::string& hub_path() const { return hub_->path; }
    std::string hub_counters() { return hub_->counters(); }
    const std::string& dir() const { return dir_; }

    /// The environment of peer number `n` (2..250): 10.77.0.N, and fd77::N unless `ipv4_only`.
    std::vector<std::string> peer_env(int n, bool ipv4_only = false) const {
        std::string addr = "USOCKET_LWIP_ADDR=10.77.0." + std::to_string(n) + "/24";
        if (!ipv4_only) addr += ",fd77::" + std::to_string(n) + "/64";
        return {"USOCKET_LWIP_NET=" + hub_->path, addr};
    }

    /// Starts a peer program; its standard error goes to the test's directory.
    child start_peer(const std::string& program, int n, const std::vector<std::string>& args,
                     bool ipv4_only = false) const {
        std::vector<std::string> argv{program};
        argv.insert(argv.end(), args.begin(), args.end());
        return spawn(argv, peer_env(n, ipv4_only), dir_ + "/peer" + std::to_string(n) + ".log");
    }

private:
    std::vector<std::string> args_;
    std::string dir_;
    std::unique_ptr<hub> hub_;
    static inline hub_environment* instance_ = nullptr;
};

/// The seed of the lossy tests' hub: USOCKET_NETSIM_SEED, or a fixed one (printed, to replay).
inline std::string lossy_seed() {
    const char* s = std::getenv("USOCKET_NETSIM_SEED");
    return s != nullptr && *s != '\0' ? s : "20240514";
}

/// The end of a transfer of `bytes` each way with `peer` over a lossy hub: the peer received
/// them all, in order, and exits; the wire did what it was asked (frames were lost, duplicated
/// and held back).
inline void expect_peer_done_over_the_faulty_wire(child& peer, unsigned long long bytes) {
    const std::string done = read_line(peer, "DONE", 60s);
    EXPECT_EQ(field(done, "received"), static_cast<long long>(bytes)) << done;
    EXPECT_EQ(field(done, "bad_at"), -1) << done;
    close_input(peer);  // this side has everything: the peer's stack may stop
    EXPECT_EQ(wait_exit(peer, 30s), 0);
    const std::string counters = hub_environment::get().hub_counters();
    std::printf("hub: %s", counters.c_str());
    EXPECT_GT(field(counters, "dropped"), 0) << counters;
    EXPECT_GT(field(counters, "duplicated"), 0) << counters;
    EXPECT_GT(field(counters, "reordered"), 0) << counters;
}

inline std::string v4(int n) { return "10.77.0." + std::to_string(n); }
inline std::string v6(int n) { return "fd77::" + std::to_string(n); }

}  // namespace lwip_test
