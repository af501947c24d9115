// Error codes and the exception classes the throwing forms raise.

#include <gtest/gtest.h>

#include <cerrno>
#include <usocket/usocket.hpp>

namespace {

template <class E>
bool throws_as(const std::error_code& ec) {
    try {
        usocket::throw_error(ec, "op");
    } catch (const E&) {
        return true;
    } catch (...) {
        return false;
    }
    return false;
}

TEST(errors, timeout_is_its_own_class_with_etimedout) {
    const auto ec = usocket::system_error_code(ETIMEDOUT);
    EXPECT_TRUE(usocket::is_timeout(ec));
    EXPECT_FALSE(usocket::is_would_block(ec));
    EXPECT_TRUE(throws_as<usocket::timeout_error>(ec));
    EXPECT_FALSE(throws_as<usocket::blocking_io_error>(ec));
    try {
        usocket::throw_error(ec, "recv");
    } catch (const usocket::os_error& e) {
        EXPECT_EQ(e.code().value(), ETIMEDOUT);
        EXPECT_NE(std::string(e.what()).find("timed out"), std::string::npos);
    }
}

TEST(errors, would_block_is_blocking_io_error) {
    for (int e : {EAGAIN, EWOULDBLOCK, EINPROGRESS}) {
        const auto ec = usocket::system_error_code(e);
        EXPECT_TRUE(usocket::is_would_block(ec)) << e;
        EXPECT_FALSE(usocket::is_timeout(ec)) << e;
        EXPECT_TRUE(throws_as<usocket::blocking_io_error>(ec)) << e;
        EXPECT_FALSE(throws_as<usocket::timeout_error>(ec)) << e;
    }
}

TEST(errors, system_errors_keep_their_errno) {
    try {
        usocket::throw_error(usocket::system_error_code(EPIPE), "send");
        FAIL();
    } catch (const usocket::os_error& e) {
        EXPECT_EQ(e.code().value(), EPIPE);
        EXPECT_EQ(e.code(), std::errc::broken_pipe);
        EXPECT_FALSE(dynamic_cast<const usocket::timeout_error*>(&e));
    }
}

TEST(errors, resolver_errors_are_gaierror_with_negative_code) {
    const std::error_code ec(usocket::eai_noname < 0 ? usocket::eai_noname : -usocket::eai_noname,
                             usocket::gai_category());
    EXPECT_LT(ec.value(), 0);
    EXPECT_FALSE(ec.message().empty());
    EXPECT_TRUE(throws_as<usocket::gaierror>(ec));
    EXPECT_TRUE(throws_as<usocket::os_error>(ec));
    EXPECT_TRUE(throws_as<usocket::herror>(std::error_code(1, usocket::herror_category())));
}

TEST(errors, argument_errors_are_value_errors_not_os_errors) {
    const std::error_code ec = usocket::errc::port_out_of_range;
    EXPECT_EQ(ec.category(), usocket::library_category());
    EXPECT_TRUE(throws_as<usocket::value_error>(ec));
    EXPECT_FALSE(throws_as<usocket::os_error>(ec));
    for (int v = 1; v <= static_cast<int>(usocket::errc::stream_timed_out); ++v)
        EXPECT_NE(usocket::library_category().message(v), "unknown usocket error") << v;
}

}  // namespace
