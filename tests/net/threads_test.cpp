// The thread matrix: close(), detach(), shutdown() and settimeout() from another thread while a
// call is blocked, for every blocking call, on a blocking and on a timed socket. Under
// AddressSanitizer it proves no call touches freed memory; under ThreadSanitizer, no data race.
// Each case checks what the caller sees (the call returns, with data, end of stream or EBADF),
// that the descriptor number is not given to another socket while the call is in flight, and
// that no descriptor leaks.

#include <fcntl.h>

#include <array>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "test_support.hpp"

using namespace std::chrono_literals;

namespace {

class threads : public usocket_test::fd_leak_check {};

// What the racing thread does.
enum class action { close, detach, shutdown, settimeout_short, settimeout_blocking };

const char* name_of(action a) {
    switch (a) {
        case action::close: return "close";
        case action::detach: return "detach";
        case action::shutdown: return "shutdown";
        case action::settimeout_short: return "settimeout(50ms)";
        case action::settimeout_blocking: return "settimeout(blocking)";
    }
    return "?";
}

// The sockets of one case: `s` is the one the blocked call uses, `peer` its other end (or a
// client of the listener `s`).
struct env {
    usocket::socket s;
    usocket::socket peer;
    usocket::address where;  // for accept: the listener's address
    std::vector<usocket::socket> extra;
};

struct call_case {
    const char* name;
    std::function<void(env&)> setup;                         // makes `s` (and whatever blocks it)
    std::function<std::error_code(env&, std::string&)> call;  // the blocking call; what it got
    std::function<void(env&)> release;                       // makes the call able to return
};

// A connected pair: Unix stream sockets (no TCP window to slow a sender down).
std::pair<usocket::socket, usocket::socket> stream_pair() { return usocket::socketpair(); }

void fill_send_buffer(env& e) { usocket_test::fill_send_buffer(e.s); }
void drain(env& e) { usocket_test::drain(e.peer); }

void send_line(env& e) {
    std::error_code ec;
    e.peer.sendall("line\nmore\n", ec);
}

std::vector<call_case> cases() {
    auto pair_setup = [](env& e) {
        auto [a, b] = stream_pair();
        e.s = std::move(b);
        e.peer = std::move(a);
    };
    return {
        {"recv", pair_setup,
         [](env& e, std::string& got) {
             std::error_code ec;
             got = e.s.recv(64, ec);
             return ec;
         },
         send_line},
        {"recv_into", pair_setup,
         [](env& e, std::string& got) {
             std::error_code ec;
             std::array<char, 64> buf{};
             got.assign(buf.data(), e.s.recv_into(buf, ec));
             return ec;
         },
         send_line},
        {"recvfrom", pair_setup,
         [](env& e, std::string& got) {
             std::error_code ec;
             usocket::address from;
             got = e.s.recvfrom(64, from, ec);
             return ec;
         },
         send_line},
        {"readline", pair_setup,
         [](env& e, std::string& got) {
             std::error_code ec;
             got = e.s.readline(ec).value_or("");
             return ec;
         },
         send_line},
        {"read(n)", pair_setup,
         [](env& e, std::string& got) {
             std::error_code ec;
             got = e.s.read(5, ec).value_or("");
             return ec;
         },
         send_line},
        {"readinto", pair_setup,
         [](env& e, std::string& got) {
             std::error_code ec;
             std::array<char, 5> buf{};
             got.assign(buf.data(), e.s.readinto(buf, ec).value_or(0));
             return ec;
         },
         send_line},
        {"makefile readline", pair_setup,
         [](env& e, std::string& got) {
             std::error_code ec;
             auto f = e.s.makefile("rb", -1, ec);
             if (ec) return ec;
             got = f.readline(ec).value_or("");
             return ec;
         },
         send_line},
        {"iostream getline", pair_setup,
         [](env& e, std::string& got) {
             usocket::socket_iostream io(e.s);
             std::getline(io, got);
             return io.error();
         },
         send_line},
        {"accept",
         [](env& e) {
             e.s = usocket_test::tcp_listener();
             e.where = e.s.getsockname();
         },
         [](env& e, std::string& got) {
             std::error_code ec;
             auto r = e.s.accept(ec);
             if (!ec) got = "accepted";
             return ec;
         },
         [](env& e) {
             e.peer = usocket::socket(usocket::af_inet, usocket::sock_stream);
             std::error_code ec;
             e.peer.connect(e.where, ec);
         }},
        {"sendall",
         [&](env& e) {
             pair_setup(e);
             fill_send_buffer(e);
         },
         [](env& e, std::string& got) {
             std::error_code ec;
             got = std::to_string(e.s.sendall(std::string(64 * 1024, 's'), ec));
             return ec;
         },
         drain},
        {"write",
         [&](env& e) {
             pair_setup(e);
             fill_send_buffer(e);
         },
         [](env& e, std::string& got) {
             std::error_code ec;
             got = std::to_string(e.s.write(std::string(64 * 1024, 'w'), ec).value_or(0));
             return ec;
         },
         drain},
        {"makefile write+flush",
         [&](env& e) {
             pair_setup(e);
             fill_send_buffer(e);
         },
         [](env& e, std::string& got) {
             std::error_code ec;
             auto f = e.s.makefile("wb", -1, ec);
             if (ec) return ec;
             (void)f.write(std::string(64 * 1024, 'm'), ec);
             if (!ec) f.flush(ec);
             got = "written";
             return ec;
         },
         drain},
        {"select on the socket", pair_setup,
         [](env& e, std::string& got) {
             std::error_code ec;
             const auto r = usocket::select({e.s}, {}, {}, usocket::blocking, ec);
             got = std::to_string(r.read.size());
             return ec;
         },
         send_line},
        {"poll object with the socket", pair_setup,
         [](env& e, std::string& got) {
             std::error_code ec;
             usocket::poller p;
             p.register_fd(e.s, usocket::pollin, ec);
             if (ec) return ec;
             got = std::to_string(p.poll(usocket::blocking, ec).size());
             return ec;
         },
         send_line},
    };
}

// Runs one cell of the matrix.
void run_cell(const call_case& c, action act, bool timed) {
    SCOPED_TRACE(std::string(c.name) + " / " + name_of(act) + (timed ? " / timed" : " / blocking"));
    env e;
    c.setup(e);
    if (timed) e.s.settimeout(5s);
    const usocket::native_handle fd = e.s.fileno();
    std::atomic<pid_t> tid{0};
    std::string got;
    std::error_code result;
    auto done = std::async(std::launch::async, [&] {
        tid = usocket_test::this_tid();
        result = c.call(e, got);
    });
    while (tid == 0) std::this_thread::yield();
    ASSERT_TRUE(usocket_test::wait_until_blocked(tid)) << "the call never blocked";

    usocket::native_handle detached = usocket::invalid_handle;
    switch (act) {
        case action::close: e.s.close(); break;
        case action::detach: detached = e.s.detach(); break;
        case action::shutdown: e.s.shutdown(usocket::shut_rdwr); break;
        case action::settimeout_short: e.s.settimeout(50ms); break;
        case action::settimeout_blocking: e.s.settimeout(usocket::blocking); break;
    }
    if (act == action::close || act == action::detach) {
        EXPECT_EQ(e.s.fileno(), usocket::invalid_handle) << "closed at once for everyone but the call in flight";
        // The number stays the call's while it runs: a new socket never gets it.
        auto [x, y] = usocket::socketpair();
        EXPECT_NE(x.fileno(), fd);
        EXPECT_NE(y.fileno(), fd);
        e.extra.push_back(std::move(x));
        e.extra.push_back(std::move(y));
    }
    if (act == action::detach) {
        EXPECT_EQ(detached, fd);
    }

    // Let it finish: data, a connection or room arrives. Each case ends within a few seconds.
    std::this_thread::sleep_for(20ms);
    c.release(e);
    if (done.wait_for(10s) != std::future_status::ready) {
        ADD_FAILURE() << "the call did not return";
        std::error_code ignored;
        e.peer.shutdown(usocket::shut_rdwr, ignored);  // last resort, so the test can end
        done.wait();
    }
    done.get();

    const bool gone = act == action::close || act == action::detach || act == action::shutdown;
    if (result) {
        // A call that lost its socket may fail, with a clear error: EBADF after close/detach,
        // a connection error after shutdown; a settimeout(50ms) on a timed socket applies to
        // the next call only, never to this one.
        EXPECT_TRUE(gone) << result.message();
        if (act == action::close || act == action::detach) {
            EXPECT_TRUE(result == std::errc::bad_file_descriptor || !result) << result.message();
        }
    }
#ifndef USOCKET_BACKEND_LWIP  // lwIP descriptors are not the kernel's: no fcntl()
    if (act == action::close) {
        // The number was freed when the call left (no other thread opens descriptors here).
        errno = 0;
        EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
        EXPECT_EQ(errno, EBADF);
    }
#endif
    if (detached != usocket::invalid_handle) ::close(detached);
}

TEST_F(threads, matrix_of_racing_actions_and_blocking_calls) {
    for (const call_case& c : cases())
        for (const action a : {action::close, action::detach, action::shutdown, action::settimeout_short,
                               action::settimeout_blocking})
            for (const bool timed : {false, true}) run_cell(c, a, timed);
}

// The defect that was: a readline blocked, the socket closed from another thread, then bytes
// arrive — they were written into the freed read-ahead buffer, or into another socket's.
TEST_F(threads, close_during_readline_then_data_touches_no_freed_memory) {
    for (int round = 0; round < 20; ++round) {
        auto [a, b] = usocket::socketpair();
        std::atomic<pid_t> tid{0};
        std::optional<std::string> line;
        std::error_code ec;
        std::thread reader([&, &b = b] {
            tid = usocket_test::this_tid();
            line = b.readline(ec);
        });
        while (tid == 0) std::this_thread::yield();
        ASSERT_TRUE(usocket_test::wait_until_blocked(tid));
        b.close();
        // Another socket, likely to get the freed memory (and, were it given back, the number).
        auto [c, d] = usocket::socketpair();
        c.sendall("other socket's line\n");
        ASSERT_EQ(d.readline(), "other socket's line\n");
        a.sendall(std::string(20000, 'x') + "\n");  // more than one refill
        reader.join();
        EXPECT_TRUE(!ec || ec == std::errc::bad_file_descriptor) << ec.message();
        if (!ec) {
            EXPECT_EQ(line->size(), 20001u);
        }
        c.sendall("still mine\n");
        EXPECT_EQ(d.readline(), "still mine\n") << "bytes crossed between connections";
    }
}

// A retry after close() never uses the number close() gave back: the timed reader waits in
// poll, the socket is closed, another socket is made, data arrives for the first — the reader
// gets EBADF, and the new socket's bytes stay its own.
TEST_F(threads, retry_after_close_is_ebadf_and_never_reads_another_socket) {
    auto [a, b] = usocket::socketpair();
    b.settimeout(5s);
    std::atomic<pid_t> tid{0};
    std::error_code ec;
    std::string got;
    std::thread reader([&, &b = b] {
        tid = usocket_test::this_tid();
        got = b.recv(64, ec);
    });
    while (tid == 0) std::this_thread::yield();
    ASSERT_TRUE(usocket_test::wait_until_blocked(tid));
    b.close();
    auto [c, d] = usocket::socketpair();
    c.sendall("for d only");
    a.sendall("wakes the reader");
    reader.join();
    EXPECT_EQ(ec, std::errc::bad_file_descriptor);
    EXPECT_EQ(got, "");
    EXPECT_EQ(d.recv(64), "for d only");
}

// A blocking sendall() keeps blocking when another thread makes the socket non-blocking or
// timed meanwhile (the call in flight keeps the deadline it started with): a signal cuts its
// send short, the next send meets would-block, and it waits for room rather than failing.
TEST_F(threads, blocking_sendall_goes_on_after_settimeout_from_another_thread) {
    for (const auto t : {usocket::timeout_type(0s), usocket::timeout_type(5s)}) {
        auto [a, b] = usocket::socketpair();
        usocket_test::fill_send_buffer(b);
        const std::string data(1 << 20, 'd');
        std::atomic<pid_t> tid{0};
        std::error_code ec;
        std::thread sender([&, &b = b] {
            tid = usocket_test::this_tid();
            b.sendall(data, ec);
        });
        while (tid == 0) std::this_thread::yield();
        ASSERT_TRUE(usocket_test::wait_until_blocked(tid));
        b.settimeout(t);
        {
            // Its blocked send is cut short by signals (no SA_RESTART) while nothing is read.
            const usocket_test::signaller sig(sender.native_handle(), 0ms, 3, 30ms);
        }
        usocket_test::drain(a);
        sender.join();
        EXPECT_FALSE(ec) << "the blocking sendall failed: " << ec.message();
    }
}

// Many threads closing, reading and writing the same sockets at once: a stress for the
// sanitizers (bounded: 200 pairs, each with three threads).
TEST_F(threads, storm_of_readers_writers_and_closers) {
    for (int round = 0; round < 200; ++round) {
        auto [a, b] = usocket::socketpair();
        b.settimeout(500ms);
        std::thread reader([&b = b] {
            for (int i = 0; i < 20; ++i) {
                std::error_code ec;
                (void)b.readline(ec);
                if (ec && !usocket::is_timeout(ec)) break;
            }
        });
        std::thread writer([&a = a] {
            for (int i = 0; i < 20; ++i) {
                std::error_code ec;
                a.sendall("x\n", ec);
                if (ec) break;
            }
        });
        std::thread closer([&b = b, round] {
            if (round % 2 == 0) std::this_thread::sleep_for(std::chrono::microseconds(round * 10));
            b.close();
        });
        writer.join();
        closer.join();
        a.close();
        reader.join();
    }
}

}  // namespace

// Another thread flapping the timeout between blocking and timed while a blocking recv() waits:
// the call began blocking and stays so (no would-block, whatever the descriptor's mode when
// it tried). A timeout set by hand in the kernel (SO_RCVTIMEO) is still reported as its own.
TEST_F(threads, blocking_recv_survives_a_flapping_timeout_and_kernel_timeouts_still_report) {
#ifdef USOCKET_BACKEND_LWIP
    GTEST_SKIP() << "the kernel's descriptor mode and SO_RCVTIMEO; lwIP's settimeout() changes no descriptor flag";
#endif
    {
        auto [a, b] = usocket::socketpair();
        std::atomic<bool> stop{false};
        std::thread flapper([&, &b = b] {
            for (int i = 0; i < 200000 && !stop; ++i) {
                b.settimeout(10s);
                b.settimeout(usocket::blocking);
            }
        });
        std::thread late([&a = a] {
            std::this_thread::sleep_for(300ms);
            a.sendall("x");
        });
        std::error_code ec;
        const std::string got = b.recv(1, ec);
        stop = true;
        flapper.join();
        late.join();
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(got, "x");
    }
    {
        auto [a, b] = usocket::socketpair();
        const long tv[2] = {0, 100000};  // struct timeval: 100 ms
        b.setsockopt(usocket::sol_socket, usocket::so_rcvtimeo, usocket::const_buffer(tv, sizeof tv));
        const auto t0 = usocket_test::clock::now();
        std::error_code ec;
        (void)b.recv(1, ec);
        EXPECT_TRUE(usocket::is_would_block(ec)) << ec.message();
        EXPECT_LT(usocket_test::seconds_since(t0), 2.0);
    }
}
