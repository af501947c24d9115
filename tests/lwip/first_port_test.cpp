// lwIP's first ephemeral TCP port when its random start is the top of the range. lwIP 2.1.3's
// tcp_init() starts at 0xffff for one value of LWIP_RAND() in 16384, and its tcp_new_port() then
// fails the process's first bind to port 0 or connect with ENOBUFS (lwip/port/sys_arch.c). The
// port's generator never gives such a value; this test gives the stack nothing else, before its
// first socket starts it (one test per process: ctest runs each alone).

#include <cstdint>

#include <gtest/gtest.h>

#include "usocket/usocket.hpp"

extern "C" uint32_t (*usocket_lwip_rand_source)(void);

namespace {

std::uint32_t all_ones() { return 0xffffffffu; }

TEST(lwip_first_port, a_start_at_the_top_of_the_range_still_binds_and_connects) {
    usocket_lwip_rand_source = all_ones;  // before any socket: the stack is not started yet
    auto [a, b] = usocket::socketpair();  // a listener bound to port 0, a connection to it
    a.sendall("x");
    EXPECT_EQ(b.recv(1), "x");
    for (int i = 0; i < 3; ++i) {
        usocket::socket s(usocket::af_inet, usocket::sock_stream);
        s.bind(usocket::address::loopback(usocket::af_inet, 0));
        const auto port = s.getsockname().port();
        EXPECT_GE(port, 0xc000) << "an ephemeral port outside lwIP's range";
    }
    usocket_lwip_rand_source = nullptr;
}

}  // namespace
