// select() and the uselect-style poll object: readiness on socket pairs and TCP loopback,
// timeouts, EINTR (injected and real), bad input.

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>
#include <vector>

#include "fault.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using usocket_test::seconds_since;
using fds = std::vector<int>;

namespace {

class select_test : public usocket_test::fd_leak_check {};
class poll_test : public usocket_test::fd_leak_check {};

using usocket_test::count_and_give_up;
using usocket_test::interrupt_checks;
constexpr auto count_and_retry = usocket_test::count_and_go_on;

using usocket_test::interrupt_check_guard;
using usocket_test::signaller;

// A descriptor number that is certainly not open in this process.
int closed_fd() {
    auto [a, b] = usocket::socketpair();
    return a.fileno();  // closed when the pair goes out of scope
}

}  // namespace

// --- select() ------------------------------------------------------------------------------

TEST_F(select_test, ReadableAfterWriteWritableAtOnce) {
    auto [a, b] = usocket::socketpair();
    const fds r{a.fileno(), b.fileno()};
    auto res = usocket::select(r, r, {}, 0s);
    EXPECT_TRUE(res.read.empty());
    EXPECT_EQ(res.write, r) << "both ends of an idle pair can send";
    EXPECT_TRUE(res.except.empty());

    a.sendall("x");
    res = usocket::select(r, {}, {}, 2s);
    EXPECT_EQ(res.read, fds{b.fileno()});
    EXPECT_EQ(b.recv(4), "x");
    res = usocket::select(r, {}, {}, 0s);
    EXPECT_TRUE(res.read.empty()) << "nothing left to read";
}

TEST_F(select_test, KeepsOrderAndDuplicates) {
    auto [a, b] = usocket::socketpair();
    auto [c, d] = usocket::socketpair();
    a.sendall("1");
    c.sendall("2");
    const fds r{d.fileno(), a.fileno(), b.fileno(), d.fileno()};
    const auto res = usocket::select(r, {}, {}, 2s);
    EXPECT_EQ(res.read, (fds{d.fileno(), b.fileno(), d.fileno()}));
}

TEST_F(select_test, SameDescriptorInAllLists) {
    auto [a, b] = usocket::socketpair();
    a.sendall("x");
    const fds l{b.fileno()};
    const auto res = usocket::select(l, l, l, 2s);
    EXPECT_EQ(res.read, l);
    EXPECT_EQ(res.write, l);
    EXPECT_TRUE(res.except.empty());
}

TEST_F(select_test, PeerCloseIsReadable) {
    auto [a, b] = usocket::socketpair();
    a.close();
    const fds l{b.fileno()};
    const auto res = usocket::select(l, {}, {}, 2s);
    EXPECT_EQ(res.read, l);
    EXPECT_EQ(b.recv(4), "") << "readable because of end of stream";
}

// As select(2) (and so CPython's select): exceptional is urgent data only. poll() reports a
// hangup whatever it is asked, so a descriptor whose only news is a hangup leaves the wait, which
// goes on for the others until the deadline, without spinning on it.
TEST_F(select_test, HangupOnlyWatchedForUrgentDataIsNotReportedNorSpunOn) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "a Unix socketpair's hangup; lwIP reports no POLLHUP (a peer's end is POLLIN)";
#endif
    auto [a, b] = usocket::socketpair();
    a.close();
    const fds x{b.fileno()};
    EXPECT_TRUE(usocket::select({}, {}, x, 0s).except.empty());

    constexpr int budget = 1000;  // faults that let the call run: what is left counts the polls
    if (usocket::testing::fault_injection_enabled())
        for (int i = 0; i < budget; ++i) usocket::testing::inject({usocket::testing::op::poll, 0, 0, 1});
    const auto t0 = usocket_test::clock::now();
    const auto res = usocket::select({}, {}, x, 300ms);
    const double waited = seconds_since(t0);
    EXPECT_TRUE(res.read.empty() && res.write.empty() && res.except.empty());
    EXPECT_GE(waited, 0.29) << "the wait went on until its deadline";
    if (usocket::testing::fault_injection_enabled()) {
        EXPECT_LE(budget - usocket::testing::pending_faults(), 2) << "one poll saw the hangup, one waited";
        usocket::testing::clear_faults();
    }

    // Another descriptor in the same call still ends the wait when it becomes ready.
    auto [c, d] = usocket::socketpair();
    const fds r{d.fileno()};
    std::thread writer([&] {
        std::this_thread::sleep_for(100ms);
        EXPECT_EQ(c.send("x"), 1u);
    });
    const auto both = usocket::select(r, {}, x, 10s);
    writer.join();
    EXPECT_EQ(both.read, r);
    EXPECT_TRUE(both.except.empty());
}

TEST_F(select_test, TcpListenerReadableWithPendingConnection) {
    auto l = usocket_test::tcp_listener();
    const fds r{l.fileno()};
    EXPECT_TRUE(usocket::select(r, {}, {}, 0s).read.empty());
    usocket::socket c(usocket::af_inet, usocket::sock_stream);
    c.connect(l.getsockname());
    EXPECT_EQ(usocket::select(r, {}, {}, 2s).read, r);
    auto [s, peer] = l.accept();
    EXPECT_TRUE(s.is_open());
}

TEST_F(select_test, TcpUrgentDataIsExceptional) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "urgent data (MSG_OOB); lwIP has none";
#endif
    auto [c, s] = usocket_test::tcp_pair();
    const fds x{s.fileno()};
    EXPECT_TRUE(usocket::select({}, {}, x, 0s).except.empty());
    (void)c.send("!", usocket::msg_oob);
    const auto res = usocket::select({}, {}, x, 2s);
    EXPECT_EQ(res.except, x);
}

TEST_F(select_test, TcpPeerShutdownIsReadable) {
    auto [c, s] = usocket_test::tcp_pair();
    c.shutdown(usocket::shut_wr);
    const fds r{s.fileno()};
    EXPECT_EQ(usocket::select(r, {}, {}, 2s).read, r);
    EXPECT_EQ(s.recv(4), "");
}

TEST_F(select_test, DescriptorAboveFdSetSize) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "makes kernel descriptors with dup2(); lwIP's are not the kernel's";
#endif
    auto [a, b] = usocket::socketpair();
    const int high = ::fcntl(b.fileno(), F_DUPFD_CLOEXEC, 1500);
    ASSERT_GE(high, 1500);
    a.sendall("x");
    const auto res = usocket::select(fds{high}, {}, {}, 2s);
    EXPECT_EQ(res.read, fds{high});
    ::close(high);
}

TEST_F(select_test, TimeoutHonoured) {
    auto [a, b] = usocket::socketpair();
    const fds r{a.fileno(), b.fileno()};
    auto t0 = usocket_test::clock::now();
    auto res = usocket::select(r, {}, {}, 300ms);
    const double took = seconds_since(t0);
    EXPECT_TRUE(res.read.empty());
    EXPECT_GE(took, 0.25);
    EXPECT_LT(took, 3.0);

    t0 = usocket_test::clock::now();
    res = usocket::select(r, {}, {}, 0s);
    EXPECT_TRUE(res.read.empty());
    EXPECT_LT(seconds_since(t0), 0.5) << "zero timeout polls once";
}

TEST_F(select_test, EmptyListsWaitForTheTimeout) {
    const auto t0 = usocket_test::clock::now();
    const auto res = usocket::select({}, {}, {}, 100ms);
    EXPECT_TRUE(res.read.empty() && res.write.empty() && res.except.empty());
    EXPECT_GE(seconds_since(t0), 0.08);
}

TEST_F(select_test, BlocksUntilReady) {
    auto [a, b] = usocket::socketpair();
    std::thread writer([&] {
        std::this_thread::sleep_for(100ms);
        a.sendall("late");
    });
    const auto res = usocket::select(fds{b.fileno()}, {}, {}, std::nullopt);
    writer.join();
    EXPECT_EQ(res.read, fds{b.fileno()});
}

TEST_F(select_test, NegativeTimeoutIsValueError) {
    auto [a, b] = usocket::socketpair();
    a.sendall("x");
    EXPECT_THROW((void)usocket::select(fds{b.fileno()}, {}, {}, -1ms), usocket::value_error);
    std::error_code ec;
    const auto res = usocket::select(fds{b.fileno()}, {}, {}, -1ns, ec);
    EXPECT_EQ(ec, usocket::errc::invalid_timeout);
    EXPECT_TRUE(res.read.empty());
    EXPECT_EQ(b.recv(4), "x") << "nothing changed";
}

TEST_F(select_test, NegativeDescriptorIsValueError) {
    std::error_code ec;
    (void)usocket::select(fds{-1}, {}, {}, 0s, ec);
    EXPECT_EQ(ec, usocket::errc::invalid_argument);
    EXPECT_THROW((void)usocket::select({}, fds{-5}, {}, 0s), usocket::value_error);
    usocket::socket closed;
    EXPECT_THROW((void)usocket::select(fds{closed.fileno()}, {}, {}, 0s), usocket::value_error);
}

TEST_F(select_test, ClosedDescriptorIsEbadf) {
    auto [a, b] = usocket::socketpair();
    const int gone = closed_fd();
    std::error_code ec;
    const auto res = usocket::select(fds{a.fileno(), gone}, fds{a.fileno()}, {}, 1s, ec);
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    EXPECT_TRUE(res.read.empty() && res.write.empty());
    try {
        (void)usocket::select(fds{gone}, {}, {}, 0s);
        ADD_FAILURE() << "no exception";
    } catch (const usocket::os_error& e) {
        EXPECT_EQ(e.code().value(), EBADF);
    }
}

TEST_F(select_test, InjectedEintrIsRetried) {
    if (!usocket::testing::fault_injection_enabled()) GTEST_SKIP() << "built without fault injection";
    interrupt_check_guard g;
    interrupt_checks = 0;
    usocket::set_interrupt_check(count_and_retry);
    auto [a, b] = usocket::socketpair();
    a.sendall("x");
    usocket::testing::inject({usocket::testing::op::poll, EINTR, 0, 3});
    const auto res = usocket::select(fds{b.fileno()}, {}, {}, 2s);
    EXPECT_EQ(res.read, fds{b.fileno()});
    EXPECT_EQ(interrupt_checks.load(), 3);
    EXPECT_EQ(usocket::testing::pending_faults(), 0);

    // A zero timeout still takes its one look after an interruption.
    usocket::testing::inject({usocket::testing::op::poll, EINTR, 0, 1});
    EXPECT_EQ(usocket::select(fds{b.fileno()}, {}, {}, 0s).read, fds{b.fileno()});
}

TEST_F(select_test, InterruptCheckMayGiveUp) {
    if (!usocket::testing::fault_injection_enabled()) GTEST_SKIP() << "built without fault injection";
    interrupt_check_guard g;
    usocket::set_interrupt_check(count_and_give_up);
    auto [a, b] = usocket::socketpair();
    usocket::testing::inject({usocket::testing::op::poll, EINTR, 0, 1});
    std::error_code ec;
    (void)usocket::select(fds{b.fileno()}, {}, {}, 2s, ec);
    EXPECT_EQ(ec, std::errc::interrupted);
    usocket::testing::clear_faults();
}

TEST_F(select_test, RealSignalResumesWithTimeLeft) {
    interrupt_check_guard g;
    interrupt_checks = 0;
    usocket::set_interrupt_check(count_and_retry);
    auto [a, b] = usocket::socketpair();
    const auto t0 = usocket_test::clock::now();
    usocket::select_result res;
    {
        signaller s(::pthread_self(), 100ms, 3);
        res = usocket::select(fds{b.fileno()}, {}, {}, 800ms);
    }
    const double took = seconds_since(t0);
    EXPECT_TRUE(res.read.empty());
    EXPECT_GE(interrupt_checks.load(), 1) << "the wait was interrupted";
    EXPECT_GE(took, 0.75) << "an interruption does not end the wait early";
    EXPECT_LT(took, 3.0) << "an interruption does not restart the full timeout";
}

// --- the poll object -----------------------------------------------------------------------

TEST_F(poll_test, ConstantsAreThePlatformsAndExported) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "compares with the C library's <poll.h>; lwIP numbers its poll events differently";
#else
    EXPECT_EQ(usocket::pollin, POLLIN);
    EXPECT_EQ(usocket::pollout, POLLOUT);
    EXPECT_EQ(usocket::pollerr, POLLERR);
    EXPECT_EQ(usocket::pollhup, POLLHUP);
    EXPECT_EQ(usocket::pollpri, POLLPRI);
    EXPECT_EQ(usocket::pollnval, POLLNVAL);
    EXPECT_EQ(usocket::pollrdhup, POLLRDHUP);
    int found = 0;
    for (const auto& c : usocket::constant_table())
        if (c.name == "POLLIN" || c.name == "POLLOUT" || c.name == "POLLRDHUP") ++found;
    EXPECT_EQ(found, 3);
#endif
}

TEST_F(poll_test, RegisterPollModifyUnregister) {
    auto [a, b] = usocket::socketpair();
    auto p = usocket::poll();
    p.register_fd(b, usocket::pollin);
    p.register_fd(a.fileno());  // default mask: in | out
    EXPECT_EQ(p.size(), 2u);
    EXPECT_EQ(p.eventmask(a.fileno()), usocket::pollin | usocket::pollout);

    auto ev = p.poll(0s);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0], (usocket::poll_event{a.fileno(), usocket::pollout}));

    a.sendall("x");
    ev = p.poll(2s);
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0], (usocket::poll_event{b.fileno(), usocket::pollin})) << "registration order";
    EXPECT_EQ(ev[1], (usocket::poll_event{a.fileno(), usocket::pollout}));

    p.modify(a, usocket::pollin);
    ev = p.poll(0s);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].fd, b.fileno());

    p.unregister(b);
    EXPECT_FALSE(p.contains(b.fileno()));
    EXPECT_TRUE(p.poll(0s).empty());

    // Registering again replaces the mask rather than adding a second entry.
    p.register_fd(a, usocket::pollout);
    EXPECT_EQ(p.size(), 1u);
    EXPECT_EQ(p.eventmask(a.fileno()), usocket::pollout);
}

TEST_F(poll_test, HangupAndReadHangup) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "lwIP reports no POLLHUP or POLLRDHUP (a peer's end is POLLIN)";
#endif
    {
        auto [a, b] = usocket::socketpair();
        auto p = usocket::poll();
        p.register_fd(b, usocket::pollin);
        a.close();
        const auto ev = p.poll(2s);
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_NE(ev[0].revents & usocket::pollhup, 0) << "pollhup is reported unasked";
        EXPECT_NE(ev[0].revents & usocket::pollin, 0);
    }
#ifdef USOCKET_HAS_POLLRDHUP  // lwIP has no POLLRDHUP
    {
        auto [c, s] = usocket_test::tcp_pair();
        auto p = usocket::poll();
        p.register_fd(s, usocket::pollrdhup);
        EXPECT_TRUE(p.poll(0s).empty());
        c.shutdown(usocket::shut_wr);
        auto ev = p.poll(2s);
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_EQ(ev[0].revents, usocket::pollrdhup);
        s.shutdown(usocket::shut_wr);
        ev = p.poll(2s);
        ASSERT_EQ(ev.size(), 1u);
        EXPECT_NE(ev[0].revents & usocket::pollhup, 0) << "both directions closed";
    }
#endif
}

TEST_F(poll_test, TcpConnectCompletesWritable) {
    auto l = usocket_test::tcp_listener();
    usocket::socket c(usocket::af_inet, usocket::sock_stream);
    c.setblocking(false);
    EXPECT_NE(c.connect_ex(l.getsockname()), -1);
    auto p = usocket::poll();
    p.register_fd(c, usocket::pollout);
    const auto ev = p.poll(2s);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0], (usocket::poll_event{c.fileno(), usocket::pollout}));
    EXPECT_EQ(c.getsockopt(usocket::sol_socket, usocket::so_error), 0);
}

TEST_F(poll_test, ClosedDescriptorIsReportedPollnval) {
    auto p = usocket::poll();
    const int gone = closed_fd();
    p.register_fd(gone, usocket::pollin);
    const auto ev = p.poll(1s);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0], (usocket::poll_event{gone, usocket::pollnval}));
}

TEST_F(poll_test, SocketClosedWhileRegisteredIsPollnvalAndUnregistersBySocket) {
    auto [a, b] = usocket::socketpair();
    auto [c, d] = usocket::socketpair();
    auto p = usocket::poll();
    p.register_fd(b, usocket::pollin);
    p.register_fd(d, usocket::pollin);
    const int b_fd = b.fileno();
    b.close();
    auto ev = p.poll(1s);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0], (usocket::poll_event{b_fd, usocket::pollnval}));
    p.unregister(b);  // a loop that unregisters by object can drop it
    std::error_code ec;
    p.unregister(b, ec);
    EXPECT_EQ(ec, usocket::errc::invalid_argument) << "as CPython's poll for a closed socket";
    EXPECT_TRUE(p.poll(20ms).empty()) << "no pollnval once it is gone";
    c.sendall("x");
    ev = p.poll(1s);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].fd, d.fileno());
}

TEST_F(poll_test, UnknownDescriptorIsEnoentAndChangesNothing) {
    auto [a, b] = usocket::socketpair();
    auto p = usocket::poll();
    p.register_fd(a, usocket::pollout);
    std::error_code ec;
    p.unregister(b.fileno(), ec);
    EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
    ec.clear();
    p.modify(b.fileno(), usocket::pollin, ec);
    EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
    try {
        p.unregister(b);
        ADD_FAILURE() << "no exception";
    } catch (const usocket::os_error& e) {
        EXPECT_EQ(e.code().value(), ENOENT);
    }
    EXPECT_EQ(p.size(), 1u);
    EXPECT_EQ(p.eventmask(a.fileno()), usocket::pollout);
    EXPECT_EQ(p.eventmask(b.fileno()), -1);
}

TEST_F(poll_test, BadArgumentsAreValueErrors) {
    auto [a, b] = usocket::socketpair();
    auto p = usocket::poll();
    p.register_fd(a, usocket::pollin);
    EXPECT_THROW((void)p.register_fd(-1, usocket::pollin), usocket::value_error);
    usocket::socket closed;
    EXPECT_THROW((void)p.register_fd(closed, usocket::pollin), usocket::value_error);
    EXPECT_THROW((void)p.register_fd(b, 0x10000), usocket::value_error);
    EXPECT_THROW((void)p.register_fd(b, -1), usocket::value_error);
    EXPECT_THROW((void)p.modify(a, 0x10000), usocket::value_error);
    EXPECT_THROW((void)p.unregister(-3), usocket::value_error);
    std::error_code ec;
    EXPECT_TRUE(p.poll(-1ms, ec).empty());
    EXPECT_EQ(ec, usocket::errc::invalid_timeout);
    EXPECT_THROW((void)p.poll(-1s), usocket::value_error);
    EXPECT_EQ(p.size(), 1u);
    EXPECT_EQ(p.eventmask(a.fileno()), usocket::pollin);
}

TEST_F(poll_test, TimeoutHonoured) {
    auto [a, b] = usocket::socketpair();
    auto p = usocket::poll();
    p.register_fd(b, usocket::pollin);
    const auto t0 = usocket_test::clock::now();
    EXPECT_TRUE(p.poll(300ms).empty());
    const double took = seconds_since(t0);
    EXPECT_GE(took, 0.25);
    EXPECT_LT(took, 3.0);

    auto empty = usocket::poll();
    const auto t1 = usocket_test::clock::now();
    EXPECT_TRUE(empty.poll(100ms).empty()) << "an empty set sleeps for the timeout";
    EXPECT_GE(seconds_since(t1), 0.08);
}

TEST_F(poll_test, IpollOneshotDisarmsUntilModify) {
    auto [a, b] = usocket::socketpair();
    auto p = usocket::poll();
    p.register_fd(b, usocket::pollin);
    a.sendall("x");
    auto ev = p.ipoll(2s, usocket::ipoll_oneshot);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0], (usocket::poll_event{b.fileno(), usocket::pollin}));
    EXPECT_EQ(p.eventmask(b.fileno()), 0);
    EXPECT_TRUE(p.ipoll(0s, usocket::ipoll_oneshot).empty()) << "disarmed although data waits";
    p.modify(b, usocket::pollin);
    ev = p.ipoll(0s);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(p.eventmask(b.fileno()), usocket::pollin) << "without the flag the mask stays";
}

TEST_F(poll_test, RegisteringWhileReadingIpollKeepsItsView) {
    // The accept-and-register pattern: the set grows while ipoll()'s view is being read.
    auto l = usocket_test::tcp_listener();
    std::vector<usocket::socket> clients, accepted;
    for (int i = 0; i < 3; ++i) {
        clients.emplace_back(usocket::af_inet, usocket::sock_stream);
        clients.back().connect(l.getsockname());
    }
    auto p = usocket::poll();
    p.register_fd(l, usocket::pollin);
    const auto view = p.ipoll(2s);
    ASSERT_EQ(view.size(), 1u);
    for (int i = 0; i < 3; ++i) {
        auto [s, peer] = l.accept();
        p.register_fd(s);
        accepted.push_back(std::move(s));
    }
    for (int k = 0; k < 64; ++k) {  // enough registrations to move any array that grows
        auto [x, y] = usocket::socketpair();
        p.register_fd(x.fileno(), usocket::pollin);
        p.unregister(x.fileno());
    }
    EXPECT_EQ(view[0], (usocket::poll_event{l.fileno(), usocket::pollin})) << "the view is intact";
    EXPECT_EQ(p.size(), 4u);
    EXPECT_EQ(p.eventmask(accepted[0].fileno()), usocket::pollin | usocket::pollout);
    EXPECT_EQ(p.ipoll(2s).size(), 3u) << "the accepted sockets are writable";
}

TEST_F(poll_test, InjectedEintrIsRetried) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "counts interrupt checks; over lwIP a wait also runs the check after each 50 ms slice";
#endif
    if (!usocket::testing::fault_injection_enabled()) GTEST_SKIP() << "built without fault injection";
    interrupt_check_guard g;
    interrupt_checks = 0;
    usocket::set_interrupt_check(count_and_retry);
    auto [a, b] = usocket::socketpair();
    auto p = usocket::poll();
    p.register_fd(b, usocket::pollin);
    usocket::testing::inject({usocket::testing::op::poll, EINTR, 0, 2});
    const auto t0 = usocket_test::clock::now();
    EXPECT_TRUE(p.poll(200ms).empty());
    EXPECT_GE(seconds_since(t0), 0.15);
    EXPECT_EQ(interrupt_checks.load(), 2);
    EXPECT_EQ(usocket::testing::pending_faults(), 0);

    usocket::set_interrupt_check(count_and_give_up);
    usocket::testing::inject({usocket::testing::op::poll, EINTR, 0, 1});
    a.sendall("x");
    std::error_code ec;
    EXPECT_TRUE(p.poll(1s, ec).empty());
    EXPECT_EQ(ec, std::errc::interrupted);
}

TEST_F(poll_test, RealSignalResumesWithTimeLeft) {
    interrupt_check_guard g;
    interrupt_checks = 0;
    usocket::set_interrupt_check(count_and_retry);
    auto [a, b] = usocket::socketpair();
    auto p = usocket::poll();
    p.register_fd(b, usocket::pollin);
    const auto t0 = usocket_test::clock::now();
    std::vector<usocket::poll_event> ev;
    {
        signaller s(::pthread_self(), 100ms, 3);
        ev = p.poll(800ms);
    }
    const double took = seconds_since(t0);
    EXPECT_TRUE(ev.empty());
    EXPECT_GE(interrupt_checks.load(), 1);
    EXPECT_GE(took, 0.75);
    EXPECT_LT(took, 3.0);
}

TEST_F(poll_test, MovedPollerKeepsItsSet) {
    auto [a, b] = usocket::socketpair();
    auto p = usocket::poll();
    p.register_fd(a, usocket::pollout);
    usocket::poller q = std::move(p);
    EXPECT_EQ(q.size(), 1u);
    EXPECT_EQ(q.poll(0s).size(), 1u);
}
