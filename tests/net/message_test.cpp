// sendmsg / recvmsg / recvmsg_into: scatter/gather, ancillary data (SCM_RIGHTS,
// SCM_CREDENTIALS, the IPv6 items of RFC 3542), the ownership of received descriptors when a
// message is cut short, CMSG_LEN/CMSG_SPACE, send_fds/recv_fds, and the blocking core's states.
// Socket pairs and loopback only.

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <climits>
#include <cstring>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "fault.hpp"
#include "sys.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using usocket_test::seconds_since;

namespace {

class message_test : public usocket_test::fd_leak_check {};

// A pipe whose read end carries `tag` when read: what a passed descriptor is checked against.
struct tagged_pipe {
    int fds[2] = {-1, -1};
    explicit tagged_pipe(const std::string& tag) {
        EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
        EXPECT_EQ(::write(fds[1], tag.data(), tag.size()), static_cast<ssize_t>(tag.size()));
    }
    ~tagged_pipe() {
        ::close(fds[0]);
        ::close(fds[1]);
    }
    int reader() const { return fds[0]; }
};

[[maybe_unused]] std::string read_some(int fd) {
    char buf[64];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

[[maybe_unused]] bool is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

[[maybe_unused]] int int_at(const std::string& data, std::size_t i) {
    int v = 0;
    std::memcpy(&v, data.data() + i * sizeof v, sizeof v);
    return v;
}

bool give_up_check() noexcept { return true; }

// --- scatter/gather ----------------------------------------------------------------------------

TEST_F(message_test, sendmsg_gathers_buffers_and_recvmsg_into_scatters_them) {
    auto [a, b] = usocket::socketpair(usocket::af_unix, usocket::sock_dgram);
    const std::array<usocket::const_buffer, 3> out{"abc", "", "defgh"};
    EXPECT_EQ(a.sendmsg(out), 8u);
    std::array<char, 2> first{};
    std::array<char, 10> second{};
    const std::array<usocket::mutable_buffer, 2> in{first, second};
    const auto m = b.recvmsg_into(in);
    EXPECT_EQ(m.size, 8u);
    EXPECT_TRUE(m.data.empty());
    EXPECT_EQ(std::string(first.data(), 2), "ab");
    EXPECT_EQ(std::string(second.data(), 6), "cdefgh");
    EXPECT_TRUE(m.ancillary.empty());
    EXPECT_TRUE(m.fds.empty());
    EXPECT_FALSE(has_any(m.flags, usocket::msg_trunc));
}

TEST_F(message_test, recvmsg_returns_bytes_flags_and_sender) {
    usocket::socket a(usocket::af_inet, usocket::sock_dgram), b(usocket::af_inet, usocket::sock_dgram);
    a.bind("127.0.0.1", 0);
    b.bind("127.0.0.1", 0);
    const std::array<usocket::const_buffer, 2> out{"hello ", "world"};
    EXPECT_EQ(a.sendmsg(out, {}, {}, b.getsockname()), 11u);
    const auto m = b.recvmsg(64);
    EXPECT_EQ(m.data, "hello world");
    EXPECT_EQ(m.size, 11u);
    EXPECT_EQ(m.from, a.getsockname());
    EXPECT_EQ(m.flags, 0);
}

TEST_F(message_test, a_datagram_longer_than_the_buffers_is_flagged_truncated) {
    auto [a, b] = usocket::socketpair(usocket::af_unix, usocket::sock_dgram);
    const std::array<usocket::const_buffer, 1> out{"0123456789"};
    (void)a.sendmsg(out);
    const auto m = b.recvmsg(4);
    EXPECT_EQ(m.data, "0123");
    EXPECT_TRUE(has_any(m.flags, usocket::msg_trunc));
}

TEST_F(message_test, recvmsg_on_a_stream_gives_the_bytes_the_stream_methods_buffered_first) {
    auto [a, b] = usocket::socketpair();
    a.sendall("line\nrest");
    EXPECT_EQ(b.readline().value_or(""), "line\n");
    const auto m = b.recvmsg(64);
    EXPECT_EQ(m.data, "rest");
    EXPECT_TRUE(m.from.empty());
}

// --- descriptors -------------------------------------------------------------------------------

TEST_F(message_test, scm_rights_passes_descriptors_close_on_exec_and_owned_by_the_message) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix sockets' ancillary data (SCM_RIGHTS, credentials); lwIP has none";
#else
    auto [a, b] = usocket::socketpair();
    tagged_pipe p0("zero"), p1("one");
    const std::array<usocket::native_handle, 2> fds{p0.reader(), p1.reader()};
    const std::array<usocket::const_buffer, 1> out{"x"};
    const std::array<usocket::control_message, 1> anc{usocket::control_message::descriptors(fds)};
    EXPECT_EQ(a.sendmsg(out, anc), 1u);

    int first = -1;
    {
        auto m = b.recvmsg(16, usocket::cmsg_space(2 * sizeof(int)));
        EXPECT_EQ(m.data, "x");
        EXPECT_FALSE(has_any(m.flags, usocket::msg_ctrunc));
        ASSERT_EQ(m.fds.size(), 2u);
        ASSERT_EQ(m.ancillary.size(), 1u);
        EXPECT_EQ(m.ancillary[0].level, usocket::sol_socket);
        EXPECT_EQ(m.ancillary[0].type, usocket::scm_rights);
        ASSERT_EQ(m.ancillary[0].data.size(), 2 * sizeof(int));
        for (std::size_t i = 0; i < 2; ++i) {
            EXPECT_EQ(int_at(m.ancillary[0].data, i), m.fds[i].get());
            EXPECT_NE(m.fds[i].get(), fds[i]) << "a new descriptor for the same pipe";
            EXPECT_TRUE(usocket_test::has_cloexec(m.fds[i].get()));
        }
        EXPECT_EQ(read_some(m.fds[0].get()), "zero");
        EXPECT_EQ(read_some(m.fds[1].get()), "one");
        first = m.fds[0].get();
    }
    EXPECT_FALSE(is_open(first)) << "the message closed what nobody took";
#endif
}

TEST_F(message_test, descriptors_taken_from_the_message_stay_open) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix sockets' ancillary data (SCM_RIGHTS, credentials); lwIP has none";
#else
    auto [a, b] = usocket::socketpair();
    tagged_pipe p("taken");
    const std::array<usocket::native_handle, 1> fds{p.reader()};
    const std::array<usocket::const_buffer, 1> out{"x"};
    (void)usocket::send_fds(a, out, fds);
    std::vector<usocket::unique_handle> kept;
    {
        auto m = usocket::recv_fds(b, 16, 4);
        EXPECT_EQ(m.data, "x");
        kept = std::move(m.fds);
    }
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_EQ(read_some(kept[0].get()), "taken");
    const int fd = kept[0].get();
    kept.clear();
    EXPECT_FALSE(is_open(fd));
#endif
}

TEST_F(message_test, released_descriptors_are_the_callers_to_close) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix sockets' ancillary data (SCM_RIGHTS, credentials); lwIP has none";
#else
    auto [a, b] = usocket::socketpair();
    tagged_pipe p("released");
    const std::array<usocket::native_handle, 1> fds{p.reader()};
    const std::array<usocket::const_buffer, 1> out{"x"};
    (void)usocket::send_fds(a, out, fds);
    std::vector<usocket::native_handle> numbers;
    {
        auto m = b.recvmsg(16, usocket::cmsg_space(sizeof(int)));
        numbers = m.release_fds();
        EXPECT_TRUE(m.fds.empty());
        EXPECT_EQ(m.ancillary.size(), 1u) << "the item keeps the numbers";
    }
    ASSERT_EQ(numbers.size(), 1u);
    EXPECT_TRUE(is_open(numbers[0]));
    EXPECT_EQ(read_some(numbers[0]), "released");
    ::close(numbers[0]);
    EXPECT_FALSE(is_open(numbers[0]));
#endif
}

// The kernel delivers what fits of an SCM_RIGHTS array and sets MSG_CTRUNC: the descriptors that
// arrived belong to the message, and none is left open when it goes. Every size from no room at
// all to one byte short of the whole array.
TEST_F(message_test, a_cut_descriptor_array_leaks_nothing) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix sockets' ancillary data (SCM_RIGHTS, credentials); lwIP has none";
#else
    const std::size_t header = usocket::cmsg_len(0);
    for (const std::size_t ancbuf : {std::size_t{0}, header - 1, header, header + 1, header + sizeof(int),
                                     usocket::cmsg_len(2 * sizeof(int)) - 1, usocket::cmsg_len(2 * sizeof(int))}) {
        SCOPED_TRACE(ancbuf);
        const int before = usocket_test::open_fd_count();
        {
            auto [a, b] = usocket::socketpair();
            tagged_pipe p0("0"), p1("1"), p2("2");
            const std::array<usocket::native_handle, 3> fds{p0.reader(), p1.reader(), p2.reader()};
            const std::array<usocket::const_buffer, 1> out{"m"};
            (void)usocket::send_fds(a, out, fds);
            const auto m = b.recvmsg(16, ancbuf);
            EXPECT_EQ(m.data, "m");
            EXPECT_TRUE(has_any(m.flags, usocket::msg_ctrunc));
            const std::size_t fit = ancbuf >= header ? (ancbuf - header) / sizeof(int) : 0;
            EXPECT_EQ(m.fds.size(), fit);
            for (std::size_t i = 0; i < m.fds.size(); ++i) {
                EXPECT_TRUE(usocket_test::has_cloexec(m.fds[i].get()));
                EXPECT_EQ(read_some(m.fds[i].get()), std::to_string(i));
            }
        }
        EXPECT_EQ(usocket_test::open_fd_count(), before);
    }
#endif
}

TEST_F(message_test, descriptors_and_credentials_in_one_message) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix sockets' ancillary data (SCM_RIGHTS, credentials); lwIP has none";
#else
    auto [a, b] = usocket::socketpair();
    b.setsockopt(usocket::sol_socket, usocket::so_passcred, 1);
    tagged_pipe p("both");
    const std::array<usocket::native_handle, 1> fds{p.reader()};
    const usocket::credentials me{static_cast<std::int32_t>(::getpid()), ::getuid(), ::getgid()};
    const std::array<usocket::control_message, 2> anc{usocket::control_message::descriptors(fds),
                                                      usocket::control_message::sender(me)};
    const std::array<usocket::const_buffer, 1> out{"c"};
    EXPECT_EQ(a.sendmsg(out, anc), 1u);
    const auto m = b.recvmsg(16, usocket::cmsg_space(sizeof(int)) + usocket::cmsg_space(sizeof me));
    EXPECT_FALSE(has_any(m.flags, usocket::msg_ctrunc));
    ASSERT_EQ(m.fds.size(), 1u);
    EXPECT_EQ(read_some(m.fds[0].get()), "both");
    const auto who = m.sender();
    ASSERT_TRUE(who.has_value());
    EXPECT_EQ(who->pid, ::getpid());
    EXPECT_EQ(who->uid, ::getuid());
    EXPECT_EQ(who->gid, ::getgid());
#endif
}

TEST_F(message_test, so_passcred_brings_credentials_without_the_sender_asking) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix sockets' ancillary data (SCM_RIGHTS, credentials); lwIP has none";
#else
    auto [a, b] = usocket::socketpair(usocket::af_unix, usocket::sock_dgram);
    b.setsockopt(usocket::sol_socket, usocket::so_passcred, 1);
    a.sendall("hi");
    const auto m = b.recvmsg(16, usocket::cmsg_space(sizeof(usocket::credentials)));
    ASSERT_TRUE(m.sender().has_value());
    EXPECT_EQ(m.sender()->pid, ::getpid());
    EXPECT_EQ(m.find(usocket::sol_socket, usocket::scm_rights), nullptr);
#endif
}

// --- IPv6 ancillary data (RFC 3542) ------------------------------------------------------------

TEST_F(message_test, ipv6_pktinfo_hoplimit_and_tclass_travel_as_ancillary_data) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "IPv6 ancillary data (IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS); lwIP has none";
#else
    if (!usocket::has_ipv6()) GTEST_SKIP() << "no IPv6";
    usocket::socket a(usocket::af_inet6, usocket::sock_dgram), b(usocket::af_inet6, usocket::sock_dgram);
    a.bind("::1", 0);
    b.bind("::1", 0);
    b.setsockopt(usocket::ipproto_ipv6, usocket::ipv6_recvpktinfo, 1);
    b.setsockopt(usocket::ipproto_ipv6, usocket::ipv6_recvhoplimit, 1);
    b.setsockopt(usocket::ipproto_ipv6, usocket::ipv6_recvtclass, 1);
    const int hops = 7, tclass = 0x28;
    const std::array<usocket::control_message, 2> anc{
        usocket::control_message{usocket::ipproto_ipv6, usocket::ipv6_hoplimit, {&hops, sizeof hops}},
        usocket::control_message{usocket::ipproto_ipv6, usocket::ipv6_tclass, {&tclass, sizeof tclass}}};
    const std::array<usocket::const_buffer, 1> out{"six"};
    EXPECT_EQ(a.sendmsg(out, anc, {}, b.getsockname()), 3u);

    const std::size_t pktinfo_size = 16 + sizeof(unsigned);  // struct in6_pktinfo
    const auto m = b.recvmsg(16, usocket::cmsg_space(pktinfo_size) + 2 * usocket::cmsg_space(sizeof(int)));
    EXPECT_EQ(m.data, "six");
    EXPECT_FALSE(has_any(m.flags, usocket::msg_ctrunc));
    const auto* info = m.find(usocket::ipproto_ipv6, usocket::ipv6_pktinfo);
    ASSERT_NE(info, nullptr);
    ASSERT_EQ(info->data.size(), pktinfo_size);
    const usocket::address loopback_address("::1", 0);
    const auto loopback = loopback_address.ip_bytes();
    EXPECT_EQ(std::memcmp(info->data.data(), loopback.data(), 16), 0) << "the destination address";
    unsigned ifindex = 0;
    std::memcpy(&ifindex, info->data.data() + 16, sizeof ifindex);
    EXPECT_EQ(ifindex, ::if_nametoindex("lo"));
    const auto* hop = m.find(usocket::ipproto_ipv6, usocket::ipv6_hoplimit);
    ASSERT_NE(hop, nullptr);
    EXPECT_EQ(int_at(hop->data, 0), hops);
    const auto* tc = m.find(usocket::ipproto_ipv6, usocket::ipv6_tclass);
    ASSERT_NE(tc, nullptr);
    EXPECT_EQ(int_at(tc->data, 0), tclass);
#endif
}

TEST_F(message_test, an_ancillary_item_cut_by_a_small_buffer_keeps_what_fitted) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "IPv6 ancillary data (IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS); lwIP has none";
#else
    if (!usocket::has_ipv6()) GTEST_SKIP() << "no IPv6";
    usocket::socket a(usocket::af_inet6, usocket::sock_dgram), b(usocket::af_inet6, usocket::sock_dgram);
    b.bind("::1", 0);
    b.setsockopt(usocket::ipproto_ipv6, usocket::ipv6_recvpktinfo, 1);
    (void)a.sendto("x", b.getsockname());
    const auto m = b.recvmsg(16, usocket::cmsg_len(4));  // room for 4 of the 20 bytes
    EXPECT_TRUE(has_any(m.flags, usocket::msg_ctrunc));
    ASSERT_EQ(m.ancillary.size(), 1u);
    EXPECT_EQ(m.ancillary[0].type, usocket::ipv6_pktinfo);
    EXPECT_EQ(m.ancillary[0].data.size(), 4u);
    // Linux shortens the item's own length to what fitted: not malformed, as CPython sees it.
    EXPECT_FALSE(m.truncated_item);
#endif
}

// A control buffer whose last item claims more than arrived (as some systems write them), and
// one whose length field is too small to be an item: read as CPython's recvmsg reads them.
TEST_F(message_test, decoding_cuts_an_item_that_runs_past_the_buffer) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "IPv6 ancillary data (IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS); lwIP has none";
#else
    alignas(cmsghdr) unsigned char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(3 * sizeof(int))] = {};
    const int mine = ::dup(0), theirs = ::dup(0);
    ASSERT_GE(mine, 0);
    ASSERT_GE(theirs, 0);
    auto* first = reinterpret_cast<cmsghdr*>(buf);
    first->cmsg_level = IPPROTO_IPV6;
    first->cmsg_type = usocket::ipv6_hoplimit;
    first->cmsg_len = CMSG_LEN(sizeof(int));
    const int hops = 9;
    std::memcpy(CMSG_DATA(first), &hops, sizeof hops);
    auto* second = reinterpret_cast<cmsghdr*>(buf + CMSG_SPACE(sizeof(int)));
    second->cmsg_level = SOL_SOCKET;
    second->cmsg_type = SCM_RIGHTS;
    second->cmsg_len = CMSG_LEN(3 * sizeof(int));  // three claimed...
    std::memcpy(CMSG_DATA(second), &mine, sizeof mine);
    std::memcpy(CMSG_DATA(second) + sizeof(int), &theirs, sizeof theirs);
    // ...but the buffer ends after the second descriptor and one byte of the third.
    const std::size_t size = CMSG_SPACE(sizeof(int)) + CMSG_LEN(2 * sizeof(int) + 1);
    {
        usocket::received_message m;
        usocket::testing::decode_control(buf, size, m);
        EXPECT_TRUE(m.truncated_item);
        ASSERT_EQ(m.ancillary.size(), 2u);
        EXPECT_EQ(int_at(m.ancillary[0].data, 0), 9);
        EXPECT_EQ(m.ancillary[1].data.size(), 2 * sizeof(int) + 1);
        ASSERT_EQ(m.fds.size(), 2u) << "whole descriptors only";
        EXPECT_EQ(m.fds[0].get(), mine);
        EXPECT_EQ(m.fds[1].get(), theirs);
    }
    EXPECT_FALSE(is_open(mine));
    EXPECT_FALSE(is_open(theirs));

    first->cmsg_len = CMSG_LEN(0) - 1;  // malformed: nothing can be read after it
    usocket::received_message bad;
    usocket::testing::decode_control(buf, sizeof buf, bad);
    EXPECT_TRUE(bad.truncated_item);
    EXPECT_TRUE(bad.ancillary.empty());
    EXPECT_TRUE(bad.fds.empty());
#endif
}

// --- CMSG_LEN, CMSG_SPACE and bad arguments ----------------------------------------------------

TEST_F(message_test, cmsg_len_and_space_are_the_systems_macros_with_cpythons_range) {
    for (std::size_t n : {0, 1, 4, 7, 8, 20, 255}) {
        EXPECT_EQ(usocket::cmsg_len(n), CMSG_LEN(n));
        EXPECT_EQ(usocket::cmsg_space(n), CMSG_SPACE(n));
    }
    const std::size_t limit = INT_MAX;
    EXPECT_EQ(usocket::cmsg_len(limit - CMSG_LEN(0)), limit);
    EXPECT_THROW((void)usocket::cmsg_len(limit - CMSG_LEN(0) + 1), usocket::value_error);
    EXPECT_THROW((void)usocket::cmsg_space(limit), usocket::value_error);
    std::error_code ec;
    EXPECT_EQ(usocket::cmsg_len(SIZE_MAX, ec), 0u);
    EXPECT_EQ(ec, usocket::errc::size_too_large);
    EXPECT_NO_THROW((void)usocket::cmsg_space(limit - CMSG_SPACE(1)));
}

TEST_F(message_test, too_much_ancillary_data_is_a_value_error_and_sends_nothing) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix sockets' ancillary data (SCM_RIGHTS, credentials); lwIP has none";
#else
    auto [a, b] = usocket::socketpair(usocket::af_unix, usocket::sock_dgram);
    b.setblocking(false);
    const usocket::const_buffer huge(nullptr, std::size_t{INT_MAX});
    const std::array<usocket::control_message, 1> anc{
        usocket::control_message{usocket::sol_socket, usocket::scm_rights, huge}};
    const std::array<usocket::const_buffer, 1> out{"x"};
    EXPECT_THROW((void)a.sendmsg(out, anc), usocket::value_error);
    std::error_code ec;
    (void)b.recvmsg(16, 0, {}, ec);
    EXPECT_TRUE(usocket::is_would_block(ec));
#endif
}

TEST_F(message_test, a_bad_ancillary_item_is_the_kernels_error) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "Unix sockets' ancillary data (SCM_RIGHTS, credentials); lwIP has none";
#else
    auto [a, b] = usocket::socketpair();
    const int not_a_descriptor = -0x5555;
    const std::array<usocket::control_message, 1> anc{usocket::control_message{
        usocket::sol_socket, usocket::scm_rights, {&not_a_descriptor, sizeof not_a_descriptor}}};
    const std::array<usocket::const_buffer, 1> out{"x"};
    std::error_code ec;
    EXPECT_EQ(a.sendmsg(out, anc, {}, usocket::address(), ec), 0u);
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
#endif
}

TEST_F(message_test, a_closed_socket_is_ebadf) {
    auto [a, b] = usocket::socketpair();
    a.close();
    std::error_code ec;
    const std::array<usocket::const_buffer, 1> out{"x"};
    (void)a.sendmsg(out, {}, {}, usocket::address(), ec);
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    (void)a.recvmsg(4, 0, {}, ec);
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    EXPECT_THROW((void)a.recvmsg_into({}), usocket::os_error);
}

// --- the blocking core -------------------------------------------------------------------------

TEST_F(message_test, recvmsg_times_out_after_its_timeout) {
    auto [a, b] = usocket::socketpair();
    b.settimeout(200ms);
    const auto t0 = usocket_test::clock::now();
    EXPECT_THROW((void)b.recvmsg(16, 64), usocket::timeout_error);
    const double took = seconds_since(t0);
    EXPECT_GE(took, 0.19);
    EXPECT_LT(took, 2.0);
}

TEST_F(message_test, non_blocking_is_would_block_and_msg_dontwait_too) {
    auto [a, b] = usocket::socketpair();
    std::error_code ec;
    (void)b.recvmsg(16, 0, usocket::msg_dontwait, ec);
    EXPECT_TRUE(usocket::is_would_block(ec)) << ec.message();
    b.setblocking(false);
    EXPECT_THROW((void)b.recvmsg(16), usocket::blocking_io_error);
}

TEST_F(message_test, a_timed_recvmsg_waits_for_data_that_comes_later) {
    auto [a, b] = usocket::socketpair();
    b.settimeout(5s);
    std::thread later([&a = a] {
        std::this_thread::sleep_for(100ms);
        a.sendall("later");
    });
    EXPECT_EQ(b.recvmsg(16).data, "later");
    later.join();
}

TEST_F(message_test, sendmsg_on_a_full_timed_socket_times_out) {
    auto [a, b] = usocket::socketpair();
    a.settimeout(200ms);
    const std::string chunk(65536, 'x');
    const std::array<usocket::const_buffer, 1> out{chunk};
    std::error_code ec;
    for (int i = 0; i < 1000 && !ec; ++i) (void)a.sendmsg(out, {}, {}, usocket::address(), ec);
    EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
}

TEST_F(message_test, the_interrupt_check_ends_a_blocking_recvmsg) {
    usocket_test::interrupt_check_guard guard;
    usocket::set_interrupt_check(give_up_check);
    auto [a, b] = usocket::socketpair();
    std::error_code ec;
    {
        usocket_test::signaller sig(::pthread_self(), 150ms);
        (void)b.recvmsg(16, 64, {}, ec);
    }
    EXPECT_TRUE(usocket::is_interrupted(ec)) << ec.message();
}

TEST_F(message_test, eintr_at_the_seam_is_retried) {
    if (!usocket::testing::fault_injection_enabled()) GTEST_SKIP();
    auto [a, b] = usocket::socketpair();
    a.sendall("through");
    usocket::testing::inject({usocket::testing::op::recv, EINTR, 0, 2});
    EXPECT_EQ(b.recvmsg(16).data, "through");
    usocket::testing::inject({usocket::testing::op::send, EINTR, 0, 1});
    const std::array<usocket::const_buffer, 1> out{"back"};
    EXPECT_EQ(b.sendmsg(out), 4u);
    EXPECT_EQ(a.recv(16), "back");
    EXPECT_EQ(usocket::testing::pending_faults(), 0);
}

}  // namespace

// Bytes a stream read left in the socket's buffer make it readable (select says so): a receive
// of zero bytes returns at once, takes nothing, and does not wait for the kernel.
TEST_F(message_test, zero_size_receives_return_at_once_when_bytes_are_buffered) {
    auto [a, b] = usocket::socketpair();
    b.settimeout(5s);
    a.sendall("line\nrest");
    ASSERT_EQ(b.readline(), "line\n");
    const auto t0 = std::chrono::steady_clock::now();
    char none[1];
    EXPECT_EQ(b.recvfrom_into(usocket::mutable_buffer(none, 0)).first, 0u);
    EXPECT_EQ(b.recvmsg(0).size, 0u);
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0)
        << "a zero-size receive waited on the kernel";
    EXPECT_EQ(b.recv(16), "rest") << "nothing was taken";
}
