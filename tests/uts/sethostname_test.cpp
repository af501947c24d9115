// sethostname() for real, in a UTS namespace of its own: CTest runs this program under
// `unshare --uts` (tests/uts/CMakeLists.txt), and it makes one more for itself before the first
// test (unshare(CLONE_NEWUTS)), checking that its namespace changed: run any other way, it
// still never touches the machine's name, and skips when it cannot make a namespace.

#include <sched.h>
#include <unistd.h>

#include <string>

#include "test_support.hpp"

namespace {

std::string uts_namespace() {
    char buf[128] = {};
    const ssize_t n = ::readlink("/proc/self/ns/uts", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// Moves this process (its main thread, where the tests run) into a UTS namespace of its own, on
// top of the one `unshare --uts` made, and checks that the namespace did change. True once
// nothing this program does to the host name can reach the machine's.
bool private_uts_namespace() {
    static const bool isolated = [] {
        const std::string before = uts_namespace();
        return !before.empty() && ::unshare(CLONE_NEWUTS) == 0 && uts_namespace() != before &&
               !uts_namespace().empty();
    }();
    return isolated;
}

class sethostname_test : public usocket_test::fd_leak_check {
protected:
    void SetUp() override {
        fd_leak_check::SetUp();
        if (!private_uts_namespace()) GTEST_SKIP() << "cannot make a private UTS namespace: the host name stays";
    }
};

TEST_F(sethostname_test, sets_the_name_gethostname_reads) {
    usocket::sethostname("usocket-uts-test");
    EXPECT_EQ(usocket::gethostname(), "usocket-uts-test");
    std::error_code ec;
    usocket::sethostname("second.name", ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(usocket::gethostname(), "second.name");
}

TEST_F(sethostname_test, a_name_too_long_is_einval_and_changes_nothing) {
    usocket::sethostname("before");
    std::error_code ec;
    usocket::sethostname(std::string(65, 'x'), ec);
    EXPECT_EQ(ec, std::errc::invalid_argument);
    EXPECT_THROW(usocket::sethostname(std::string(65, 'x')), usocket::os_error);
    EXPECT_EQ(usocket::gethostname(), "before");
    usocket::sethostname(std::string(64, 'y'));
    EXPECT_EQ(usocket::gethostname(), std::string(64, 'y'));
}

TEST_F(sethostname_test, an_empty_name_is_allowed) {
    usocket::sethostname("");
    EXPECT_EQ(usocket::gethostname(), "");
}

}  // namespace
