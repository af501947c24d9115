// The signal matrix: every blocking call, blocking and with a timeout, interrupted by real
// signals (SIGUSR1 without SA_RESTART, so the kernel returns EINTR or a short count), with an
// interrupt check that gives up (what a raising Python handler does: the call must end
// promptly with EINTR) and one that goes on (the call must go on and keep its original
// deadline: a timed call times out when it would have without the signals).

#include <array>
#include <future>
#include <string>
#include <vector>

#include "resolver_fake_dns.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
using usocket_test::seconds_since;

namespace {

class signals : public usocket_test::fd_leak_check {};

using usocket_test::interrupt_checks;
constexpr auto give_up = usocket_test::count_and_give_up;
constexpr auto go_on = usocket_test::count_and_go_on;

struct env {
    usocket::socket s;
    usocket::socket peer;
    usocket::address where;
    std::vector<usocket::socket> keep;
};

struct call_case {
    const char* name;
    bool can_block_forever;  // has a blocking form (else only timed)
    std::function<void(env&)> setup;
    std::function<std::error_code(env&)> call;
    std::function<void(env&)> release;  // lets a blocking call finish
};

void fill_send_buffer(env& e) { usocket_test::fill_send_buffer(e.s); }
void drain(env& e) { usocket_test::drain(e.peer); }

void send_line(env& e) {
    std::error_code ec;
    e.peer.sendall("line\n", ec);
}

void pair_setup(env& e) {
    auto [a, b] = usocket::socketpair();
    e.s = std::move(b);
    e.peer = std::move(a);
}

void full_setup(env& e) {
    pair_setup(e);
    fill_send_buffer(e);
}

// A listener whose accept queue is full: a connect to it waits (SYNs are dropped).
void dead_listener_setup(env& e) {
    e.peer = usocket::socket(usocket::af_inet, usocket::sock_stream);
    e.peer.bind(usocket::address::loopback(usocket::af_inet, 0));
    e.peer.listen(0);
    e.where = e.peer.getsockname();
    for (int i = 0; i < 8; ++i) {
        usocket::socket probe(usocket::af_inet, usocket::sock_stream);
        probe.settimeout(100ms);
        std::error_code ec;
        probe.connect(e.where, ec);
        if (usocket::is_timeout(ec)) break;
        e.keep.push_back(std::move(probe));
    }
    e.s = usocket::socket(usocket::af_inet, usocket::sock_stream);
}

std::vector<call_case> cases() {
    return {
        {"recv", true, pair_setup, [](env& e) {
             std::error_code ec;
             (void)e.s.recv(64, ec);
             return ec;
         }, send_line},
        {"recv_into", true, pair_setup, [](env& e) {
             std::error_code ec;
             std::array<char, 16> buf{};
             (void)e.s.recv_into(buf, ec);
             return ec;
         }, send_line},
        {"recvfrom", true, pair_setup, [](env& e) {
             std::error_code ec;
             usocket::address from;
             (void)e.s.recvfrom(64, from, ec);
             return ec;
         }, send_line},
        {"readline", true, pair_setup, [](env& e) {
             std::error_code ec;
             (void)e.s.readline(ec);
             return ec;
         }, send_line},
        {"read(n)", true, pair_setup, [](env& e) {
             std::error_code ec;
             (void)e.s.read(5, ec);
             return ec;
         }, send_line},
        {"readinto", true, pair_setup, [](env& e) {
             std::error_code ec;
             std::array<char, 5> buf{};
             (void)e.s.readinto(buf, ec);
             return ec;
         }, send_line},
        {"makefile read", true, pair_setup, [](env& e) {
             std::error_code ec;
             auto f = e.s.makefile("rb", -1, ec);
             (void)f.readline(ec);
             return ec;
         }, send_line},
        {"accept", true,
         [](env& e) {
             e.s = usocket_test::tcp_listener();
             e.where = e.s.getsockname();
         },
         [](env& e) {
             std::error_code ec;
             (void)e.s.accept(ec);
             return ec;
         },
         [](env& e) {
             e.peer = usocket::socket(usocket::af_inet, usocket::sock_stream);
             std::error_code ec;
             e.peer.connect(e.where, ec);
         }},
        {"send", true, full_setup, [](env& e) {
             std::error_code ec;
             (void)e.s.send(std::string(4096, 's'), ec);
             return ec;
         }, drain},
        {"sendall", true, full_setup, [](env& e) {
             std::error_code ec;
             (void)e.s.sendall(std::string(1 << 20, 's'), ec);
             return ec;
         }, drain},
        {"write", true, full_setup, [](env& e) {
             std::error_code ec;
             (void)e.s.write(std::string(1 << 20, 'w'), ec);
             return ec;
         }, drain},
        {"makefile write+flush", true, full_setup, [](env& e) {
             std::error_code ec;
             auto f = e.s.makefile("wb", -1, ec);
             (void)f.write(std::string(1 << 20, 'm'), ec);
             if (!ec) f.flush(ec);
             return ec;
         }, drain},
        {"select", true, pair_setup, [](env& e) {
             std::error_code ec;
             (void)usocket::select({e.s}, {}, {}, e.s.gettimeout(), ec);
             return ec;
         }, send_line},
        {"poll", true, pair_setup, [](env& e) {
             std::error_code ec;
             usocket::poller p;
             p.register_fd(e.s, usocket::pollin, ec);
             (void)p.poll(e.s.gettimeout(), ec);
             return ec;
         }, send_line},
        {"selector", true, pair_setup, [](env& e) {
             std::error_code ec;
             usocket::selector sel;
             sel.add(e.s, usocket::selector::readable, 1, ec);
             std::array<usocket::selector_event, 4> out{};
             (void)sel.wait(out, e.s.gettimeout(), ec);
             return ec;
         }, send_line},
        {"connect", false, dead_listener_setup, [](env& e) {
             std::error_code ec;
             e.s.connect(e.where, ec);
             return ec;
         }, nullptr},
        {"create_connection", false, dead_listener_setup, [](env& e) {
             std::error_code ec;
             usocket::connection_options o;
             o.timeout = e.s.gettimeout();
             const std::array<usocket::address, 1> to{e.where};
             (void)usocket::create_connection(to, o, ec);
             return ec;
         }, nullptr},
    };
}

struct outcome {
    std::error_code ec;
    double took = 0;
};

outcome run(const call_case& c, env& e, usocket::interrupt_check check, bool timed,
            std::chrono::milliseconds first, int times) {
    usocket_test::interrupt_check_guard guard;
    usocket::set_interrupt_check(check);
    interrupt_checks = 0;
    std::promise<pthread_t> self;
    auto who = self.get_future();
    outcome out;
    std::thread t([&] {
        self.set_value(::pthread_self());
        const auto t0 = usocket_test::clock::now();
        out.ec = c.call(e);
        out.took = seconds_since(t0);
    });
    {
        usocket_test::signaller sig(who.get(), first, times, 50ms);
        if (!timed && check == go_on && c.release) {
            // Blocking and the handler does not raise: after the signals, let it finish.
            std::this_thread::sleep_for(first + 50ms * times + 100ms);
            c.release(e);
        }
    }
    t.join();
    (void)timed;
    return out;
}

TEST_F(signals, giving_up_ends_every_call_promptly_with_eintr) {
    for (const call_case& c : cases()) {
        for (const bool timed : {false, true}) {
            if (!timed && !c.can_block_forever) continue;  // a blocking connect is not bounded here
            SCOPED_TRACE(std::string(c.name) + (timed ? " / timed" : " / blocking"));
            env e;
            c.setup(e);
            if (timed) e.s.settimeout(5s);
            const outcome o = run(c, e, give_up, timed, 150ms, 1);
            EXPECT_TRUE(usocket::is_interrupted(o.ec)) << o.ec.message();
            EXPECT_LT(o.took, 2.0) << "the interrupt check's verdict was not seen";
            EXPECT_GE(interrupt_checks.load(), 1);
        }
    }
}

TEST_F(signals, going_on_keeps_the_original_deadline) {
    for (const call_case& c : cases()) {
        SCOPED_TRACE(std::string(c.name) + " / timed 800ms, 8 signals");
        env e;
        c.setup(e);
        e.s.settimeout(800ms);
        const outcome o = run(c, e, go_on, true, 100ms, 8);
        EXPECT_TRUE(usocket::is_timeout(o.ec) || (std::string(c.name) == "select" && !o.ec) ||
                    (std::string(c.name) == "poll" && !o.ec) || (std::string(c.name) == "selector" && !o.ec))
            << o.ec.message();
        EXPECT_GE(o.took, 0.75) << "a signal shortened the deadline";
        EXPECT_LT(o.took, 2.0) << "a signal restarted the deadline";
        EXPECT_GE(interrupt_checks.load(), 1) << "the interrupt check never ran";
    }
}

TEST_F(signals, going_on_lets_a_blocking_call_finish) {
    for (const call_case& c : cases()) {
        if (!c.can_block_forever) continue;
        SCOPED_TRACE(c.name);
        env e;
        c.setup(e);
        const outcome o = run(c, e, go_on, false, 100ms, 3);
        EXPECT_FALSE(o.ec) << o.ec.message();
        EXPECT_GE(interrupt_checks.load(), 1) << "the interrupt check never ran";
    }
}

// The defect that was: a blocking sendall interrupted after the kernel copied some bytes gets a
// short count, not EINTR — and used to send again without asking the interrupt check, so a
// raising handler was never seen and the next send blocked forever.
TEST_F(signals, blocking_sendall_sees_a_signal_after_a_partial_send) {
    auto [a, b] = usocket::socketpair();
    std::error_code ec;
    std::size_t sent = 0;
    usocket_test::interrupt_check_guard guard;
    usocket::set_interrupt_check(give_up);
    std::promise<pthread_t> self;
    auto who = self.get_future();
    const auto t0 = usocket_test::clock::now();
    std::thread t([&, &a = a] {
        self.set_value(::pthread_self());
        sent = a.sendall(std::string(16 << 20, 'x'), ec);
    });
    {
        usocket_test::signaller sig(who.get(), 300ms);
    }
    t.join();
    EXPECT_TRUE(usocket::is_interrupted(ec)) << ec.message();
    EXPECT_GT(sent, 0u) << "the partial send is reported";
    EXPECT_LT(seconds_since(t0), 3.0);
}

// getaddrinfo under a deadline waits on its DNS server through the same loop.
TEST_F(signals, timed_getaddrinfo_sees_signals) {
    usocket_test::fake_dns dns(usocket_test::fake_dns::mode::silent);
    if (!dns.active()) GTEST_SKIP() << "the timed resolver cannot be pointed at a test server";
    for (const bool raise : {true, false}) {
        SCOPED_TRACE(raise ? "giving up" : "going on");
        usocket_test::interrupt_check_guard guard;
        usocket::set_interrupt_check(raise ? give_up : go_on);
        interrupt_checks = 0;
        std::promise<pthread_t> self;
        auto who = self.get_future();
        std::error_code ec;
        double took = 0;
        std::thread t([&] {
            self.set_value(::pthread_self());
            const auto t0 = usocket_test::clock::now();
            (void)usocket::getaddrinfo("name.invalid.test", 80, 0, 0, 0, 0, 800ms, ec);
            took = seconds_since(t0);
        });
        {
            usocket_test::signaller sig(who.get(), 100ms, 4, 50ms);
        }
        t.join();
        EXPECT_GE(interrupt_checks.load(), 1);
        if (raise) {
            EXPECT_TRUE(usocket::is_interrupted(ec)) << ec.message();
            EXPECT_LT(took, 0.7);
        } else {
            EXPECT_TRUE(usocket::is_timeout(ec)) << ec.message();
            EXPECT_GE(took, 0.75);
            EXPECT_LT(took, 2.0);
        }
    }
}

}  // namespace

namespace {

// What the interrupt check of a blocked readline() does: a read of the same socket, as a
// Python signal handler might. Each nested call's outcome is kept. (A plain recv() goes to the
// system, as CPython's does beside a makefile() reader; only buffered bytes are the read's.)
usocket::socket* nested_target = nullptr;
std::vector<std::error_code> nested_errors;

bool read_the_same_socket() noexcept {
    std::error_code ec;
    (void)nested_target->readline(ec);
    nested_errors.push_back(ec);
    ec.clear();
    auto f = nested_target->makefile("rb", -1, ec);
    nested_errors.push_back(ec);
    {
        // A stream over the socket made, used and gone: its reads refused, its bookkeeping
        // (in_avail, sync, the destructor) done without waiting for the outer read's lock.
        usocket::socket_iostream io(*nested_target);
        (void)io.rdbuf()->in_avail();
        std::string got;
        std::getline(io, got);
        nested_errors.push_back(io.fail() ? std::error_code(usocket::errc::reentrant_call) : std::error_code());
        io.sync();
    }
    return false;
}

}  // namespace

namespace {
usocket::socket* closed_by_handler = nullptr;
bool close_the_socket() noexcept {
    std::error_code ignored;
    if (closed_by_handler != nullptr) closed_by_handler->close(ignored);
    return false;  // the handler returned: the call goes on, and finds its socket gone
}
}  // namespace

// A handler that closes the socket a timed call waits on ends that call with EBADF as soon as
// it returns (as a blocking call's retry after EINTR does), not when the peer or the deadline
// comes.
TEST_F(signals, a_handler_that_closes_the_socket_ends_the_timed_call_waiting_on_it) {
    auto [a, b] = usocket::socketpair();
    b.settimeout(10s);
    closed_by_handler = &b;
    const usocket_test::interrupt_check_guard restore;
    usocket::set_interrupt_check(close_the_socket);
    std::error_code ec;
    const auto t0 = usocket_test::clock::now();
    {
        const usocket_test::signaller sig(::pthread_self(), 100ms);
        char buf[8];
        (void)b.recv_into(usocket::mutable_buffer(buf, sizeof buf), ec);
    }
    closed_by_handler = nullptr;
    EXPECT_EQ(ec, std::errc::bad_file_descriptor) << ec.message();
    EXPECT_LT(usocket_test::seconds_since(t0), 5.0) << "waited on after the handler closed the socket";
    EXPECT_FALSE(b.is_open());
}

// A read begun from inside a read of the same socket on the same thread (the interrupt check
// running a handler) is refused with reentrant_call, as CPython's buffered reader raises
// RuntimeError there; it used to wait for itself for ever.
TEST_F(signals, a_read_inside_a_read_of_the_same_socket_is_refused_not_a_deadlock) {
    auto [a, b] = usocket::socketpair();
    nested_target = &b;
    nested_errors.clear();
    const usocket_test::interrupt_check_guard restore;
    usocket::set_interrupt_check(read_the_same_socket);
    a.sendall("par");  // buffered by the outer readline while it waits for the rest
    std::optional<std::string> line;
    std::error_code ec;
    {
        const usocket_test::signaller sig(::pthread_self(), 100ms);
        std::thread rest([&a = a] {
            std::this_thread::sleep_for(400ms);
            a.sendall("tial\n");
        });
        line = b.readline(ec);
        rest.join();
    }
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(line, "partial\n") << "the outer read lost nothing";
    // The interrupt check runs at least once (more often where a backend's wait wakes more).
    ASSERT_GE(nested_errors.size(), 3u) << "the signal did not reach the interrupt check";
    for (const auto& e : nested_errors) EXPECT_EQ(e, usocket::errc::reentrant_call) << e.message();
}

namespace {

usocket::socket_file* nested_file = nullptr;
std::vector<std::error_code> nested_file_errors;

bool use_the_same_file() noexcept {
    if (!nested_file_errors.empty()) return false;
    std::error_code ec;
    (void)nested_file->write(usocket::const_buffer("x", 1), ec);
    nested_file_errors.push_back(ec);
    ec.clear();
    nested_file->close(ec);
    nested_file_errors.push_back(ec);
    return false;
}

}  // namespace

// A write or close() of a file begun from inside a blocked write of the same file on its thread
// is refused (CPython's BufferedWriter raises RuntimeError "reentrant call"), not a deadlock,
// and the outer write goes on.
TEST_F(signals, a_write_inside_a_write_of_the_same_file_is_refused_not_a_deadlock) {
    auto [a, b] = usocket::socketpair();
    auto f = a.makefile("wb");
    nested_file = &f;
    nested_file_errors.clear();
    const usocket_test::interrupt_check_guard restore;
    usocket::set_interrupt_check(use_the_same_file);
    const std::string big(4 << 20, 'y');
    std::error_code ec;
    std::optional<std::size_t> wrote;
    std::atomic<pid_t> tid{0};
    std::thread writer([&] {
        tid = usocket_test::this_tid();
        wrote = f.write(usocket::const_buffer(big.data(), big.size()), ec);
    });
    while (tid == 0) std::this_thread::yield();
    ASSERT_TRUE(usocket_test::wait_until_blocked(tid));
    {
        const usocket_test::signaller sig(writer.native_handle(), 0ms);
    }
    std::this_thread::sleep_for(100ms);
    usocket_test::drain(b);
    writer.join();
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(wrote, big.size());
    ASSERT_EQ(nested_file_errors.size(), 2u) << "the signal did not reach the interrupt check";
    for (const auto& e : nested_file_errors) EXPECT_EQ(e, usocket::errc::reentrant_call) << e.message();
    EXPECT_FALSE(f.closed()) << "a refused close() changed nothing";
}
