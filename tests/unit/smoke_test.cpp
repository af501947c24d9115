#include "test_support.hpp"
TEST(smoke, pair) {
    auto [a, b] = usocket::socketpair();
    a.sendall("hello");
    EXPECT_EQ(b.recv(16), "hello");
}
