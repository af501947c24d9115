// Every integer constant of CPython's socket module on this system is in usocket's table, with
// CPython's value, except the few listed below with the reason. Debian's /usr/bin/python3 is the
// reference (the test is skipped where it is missing).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <usocket/usocket.hpp>

namespace {

constexpr const char* python = "/usr/bin/python3";

// CPython's constants that usocket leaves out on purpose.
const std::set<std::string> absent_on_purpose = {
    // CPython's own fallback values for an AF_ALG interface the kernel never merged: 6 is
    // ALG_SET_DRBG_ENTROPY in linux/if_alg.h, so passing CPython's ALG_SET_PUBKEY sets another
    // option. No kernel header defines the three.
    "ALG_SET_PUBKEY",
    "ALG_OP_SIGN",
    "ALG_OP_VERIFY",
};

[[maybe_unused]] std::map<std::string, long long> cpython_constants() {
    std::map<std::string, long long> out;
    const std::string cmd = std::string(python) +
                            " -c \"import socket, re\n"
                            "for n in dir(socket):\n"
                            "    v = getattr(socket, n)\n"
                            "    if re.fullmatch('[A-Z][A-Z0-9_]+', n) and isinstance(v, int):\n"
                            "        print(n, int(v))\"";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return out;
    char name[128];
    long long value = 0;
    while (std::fscanf(p, "%127s %lld", name, &value) == 2) out[name] = value;
    ::pclose(p);
    return out;
}

TEST(constants_cpython, every_cpython_constant_is_there_with_its_value) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "CPython's constants on Linux; lwIP's are its own";
#else
    if (::access(python, X_OK) != 0) GTEST_SKIP() << python << " is not installed";
    const auto reference = cpython_constants();
    ASSERT_GT(reference.size(), 300u) << "could not read CPython's constants";
    std::map<std::string, long long> ours;
    for (const auto& c : usocket::constant_table()) ours[std::string(c.name)] = c.value;
    int checked = 0;
    for (const auto& [name, value] : reference) {
        const auto it = ours.find(name);
        if (absent_on_purpose.count(name) != 0) {
            EXPECT_EQ(it, ours.end()) << name << " is listed as absent but is there";
            continue;
        }
        if (it == ours.end()) {
            ADD_FAILURE() << "CPython has " << name << " = " << value << ", usocket does not";
            continue;
        }
        EXPECT_EQ(it->second, value) << name;
        ++checked;
    }
    EXPECT_GT(checked, 340);
#endif
}

TEST(constants_cpython, unsigned_values_keep_their_type_and_value) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "CPython's constants on Linux; lwIP's are its own";
#else
    EXPECT_EQ(usocket::inaddr_broadcast, 0xffffffffu);
    EXPECT_EQ(usocket::inaddr_loopback, 0x7f000001u);
    EXPECT_EQ(usocket::can_eff_flag, 0x80000000u);
    EXPECT_EQ(usocket::vmaddr_cid_any, 0xffffffffu);
    static_assert(std::is_same_v<decltype(usocket::inaddr_none), const std::uint32_t>);
    static_assert(std::is_same_v<decltype(usocket::ipproto_udplite), const usocket::protocol>);
    static_assert(std::is_same_v<decltype(usocket::udplite_send_cscov), const usocket::option_name>);
    static_assert(std::is_same_v<decltype(usocket::sol_tipc), const usocket::option_level>);
    static_assert(std::is_same_v<decltype(usocket::scm_rights), const usocket::option_name>);
    static_assert(std::is_same_v<decltype(usocket::af_vsock), const usocket::address_family>);
#endif
}

TEST(constants_cpython, a_shared_value_prints_as_the_first_name) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "CPython's constants on Linux; lwIP's are its own";
#else
    // AF_ROUTE is AF_NETLINK on Linux: a netlink socket prints as CPython's does.
    EXPECT_EQ(usocket::af_route, usocket::af_netlink);
    usocket::socket s(usocket::af_netlink, usocket::sock_raw, usocket::netlink_route);
    EXPECT_NE(s.to_string().find("family=AF_NETLINK"), std::string::npos) << s.to_string();
#endif
}

}  // namespace
