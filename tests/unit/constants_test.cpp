// The constants carry the platform's own values, and the table the bindings export is whole.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <usocket/usocket.hpp>

TEST(constants, have_the_platform_values) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "compares with the C library's values; lwIP's are its own (tests/lwip/backend_test.cpp)";
#endif
    EXPECT_EQ(usocket::af_inet, AF_INET);
    EXPECT_EQ(usocket::af_inet6, AF_INET6);
    EXPECT_EQ(usocket::af_unix, AF_UNIX);
    EXPECT_EQ(usocket::sock_stream, SOCK_STREAM);
    EXPECT_EQ(usocket::sock_dgram, SOCK_DGRAM);
    EXPECT_EQ(usocket::sol_socket, SOL_SOCKET);
    EXPECT_EQ(usocket::so_reuseaddr, SO_REUSEADDR);
    EXPECT_EQ(usocket::tcp_nodelay, TCP_NODELAY);
    EXPECT_EQ(usocket::msg_peek, MSG_PEEK);
    EXPECT_EQ(usocket::shut_wr, SHUT_WR);
    EXPECT_EQ(usocket::somaxconn, SOMAXCONN);
}

TEST(constants, table_is_complete_and_named_in_upper_case) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "compares with the C library's values; lwIP's are its own (tests/lwip/backend_test.cpp)";
#endif
    std::set<std::string> names;
    for (const auto& c : usocket::constant_table()) {
        EXPECT_TRUE(names.insert(std::string(c.name)).second) << "duplicate " << c.name;
        for (char ch : c.name) EXPECT_FALSE(ch >= 'a' && ch <= 'z') << c.name;
    }
    EXPECT_TRUE(names.count("AF_INET"));
    EXPECT_TRUE(names.count("SO_REUSEADDR"));
    EXPECT_TRUE(names.count("SOL_SOCKET"));
    EXPECT_TRUE(names.count("IPPROTO_TCP"));
    EXPECT_TRUE(names.count("MSG_DONTWAIT"));
    EXPECT_TRUE(names.count("SHUT_RDWR"));
    for (const auto& c : usocket::constant_table())
        if (c.name == "SO_REUSEADDR") {
            EXPECT_EQ(c.value, SO_REUSEADDR);
        }
}
