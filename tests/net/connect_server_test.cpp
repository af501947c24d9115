// create_server() as CPython's socket.create_server, and has_dualstack_ipv6().

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "test_support.hpp"

namespace {

using namespace std::chrono_literals;
using usocket::address;
using usocket::server_options;

class create_server : public usocket_test::fd_leak_check {};

server_options v6(bool dualstack) {
    server_options o;
    o.family = usocket::af_inet6;
    o.dualstack_ipv6 = dualstack;
    return o;
}

TEST_F(create_server, listens_with_reuseaddr_on_the_address_given) {
    auto srv = usocket::create_server(address("127.0.0.1", 0));
    EXPECT_EQ(srv.family(), usocket::af_inet);
    EXPECT_EQ(srv.getsockopt(usocket::sol_socket, usocket::so_acceptconn), 1);
    EXPECT_EQ(srv.getsockopt(usocket::sol_socket, usocket::so_reuseaddr), 1);
    EXPECT_EQ(srv.getsockname().host(), "127.0.0.1");
    EXPECT_NE(srv.getsockname().port(), 0);
#ifndef USOCKET_BACKEND_LWIP  // lwIP descriptors are not the kernel's: no fcntl()
    EXPECT_TRUE(usocket_test::has_cloexec(srv.fileno()));
#endif
    const address local = srv.getsockname();
    auto c = usocket::create_connection(std::span<const address>(&local, 1));
    auto [peer, from] = srv.accept();
    EXPECT_EQ(from, c.getsockname());
}

TEST_F(create_server, host_and_port_form) {
    auto srv = usocket::create_server("localhost", 0);
    EXPECT_EQ(srv.getsockname().host(), "127.0.0.1");
    auto any = usocket::create_server("", 0);
    EXPECT_EQ(any.getsockname().host(), "0.0.0.0");
}

TEST_F(create_server, ipv6_only_unless_dualstack) {
    ASSERT_TRUE(usocket::has_dualstack_ipv6());
    {
        auto srv = usocket::create_server("", 0, v6(false));
        EXPECT_EQ(srv.family(), usocket::af_inet6);
        EXPECT_EQ(srv.getsockopt(usocket::ipproto_ipv6, usocket::ipv6_v6only), 1);
        // IPv4 does not reach an IPv6-only server.
        usocket::socket c(usocket::af_inet, usocket::sock_stream);
        c.settimeout(2s);
        std::error_code ec;
        c.connect(address("127.0.0.1", srv.getsockname().port()), ec);
        EXPECT_EQ(ec, usocket::system_error_code(ECONNREFUSED));
    }
    {
        auto srv = usocket::create_server("", 0, v6(true));
        EXPECT_EQ(srv.getsockopt(usocket::ipproto_ipv6, usocket::ipv6_v6only), 0);
        const int port = srv.getsockname().port();
        auto c4 = usocket::create_connection("127.0.0.1", port);
        auto [p4, from4] = srv.accept();
        EXPECT_EQ(from4.host(), "::ffff:127.0.0.1");
        auto c6 = usocket::create_connection("::1", port);
        auto [p6, from6] = srv.accept();
        EXPECT_EQ(from6.host(), "::1");
    }
}

TEST_F(create_server, reuse_port_lets_two_servers_share_a_port) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "lwIP defines SO_REUSEPORT but does not implement it (ENOPROTOOPT)";
#endif
    server_options o;
    o.reuse_port = true;
    auto a = usocket::create_server(address("127.0.0.1", 0), o);
    EXPECT_EQ(a.getsockopt(usocket::sol_socket, usocket::so_reuseport), 1);
    auto b = usocket::create_server(a.getsockname(), o);
    EXPECT_EQ(b.getsockname(), a.getsockname());
}

TEST_F(create_server, errors_name_the_address_and_leak_nothing) {
    auto a = usocket::create_server(address("127.0.0.1", 0));
    try {
        (void)usocket::create_server(a.getsockname());
        ADD_FAILURE() << "bound twice";
    } catch (const usocket::os_error& e) {
        EXPECT_EQ(e.code(), usocket::system_error_code(EADDRINUSE));
        EXPECT_NE(std::string(e.what()).find(a.getsockname().to_string()), std::string::npos) << e.what();
    }
    std::error_code ec;
    server_options o;
    o.dualstack_ipv6 = true;  // with af_inet
    (void)usocket::create_server(address("127.0.0.1", 0), o, ec);
    EXPECT_EQ(ec, usocket::errc::invalid_argument);
    EXPECT_THROW((void)usocket::create_server("127.0.0.1", 65536), usocket::value_error);
    EXPECT_THROW((void)usocket::create_server("::1", 0), usocket::gaierror);  // af_inet by default
}

TEST_F(create_server, unix_socket_server) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix sockets; lwIP has none";
#endif
    const std::string path = "/tmp/usocket-create-server-" + std::to_string(::getpid());
    std::remove(path.c_str());
    {
        server_options o;
        o.backlog = 4;
        auto srv = usocket::create_server(address::unix_path(path), o);
        EXPECT_EQ(srv.family(), usocket::af_unix);
        usocket::socket c(usocket::af_unix, usocket::sock_stream);
        c.connect(address::unix_path(path));
        auto [peer, from] = srv.accept();
        c.sendall("x");
        EXPECT_EQ(peer.recv(1), "x");
    }
    std::remove(path.c_str());
}

}  // namespace
