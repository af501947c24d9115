// Two processes on one connected stream (TCP over 127.0.0.1, or a Unix socketpair), both
// pinned to the same core (the harness pins itself before it forks):
//   bulk       the child sends `total` bytes in 64 KiB chunks (sendall), the parent receives
//              them into a 64 KiB buffer (recv_into); figure: MB/s at the receiver.
//   ping-pong  the parent sends 64 bytes and waits for 64 back, the child echoes them;
//              TCP_NODELAY on both ends; figure: microseconds per round trip.
// The connection is made with raw calls and each library adopts the descriptor, so only the
// data path is measured; both ends use the library under test.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <vector>

#include "stream.hpp"
#include "peers.hpp"
#include "usocket/usocket.hpp"


namespace bench {
namespace {

constexpr std::size_t chunk = 64 * 1024;
constexpr std::size_t msg_size = 64;

/// Sends the start signal (one byte, raw) and returns the time it was sent.
std::int64_t go(int fd) {
    const std::int64_t t0 = now_ns();
    const char c = 'g';
    raw_write_all(fd, &c, 1);
    return t0;
}

void wait_go(int fd) {
    char c;
    raw_read_all(fd, &c, 1);
}

bool is_unix(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    check(getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0, "getsockname");
    return ss.ss_family == AF_UNIX;
}

// --- raw ---------------------------------------------------------------------------------

// How each raw call waits: not at all (blocking descriptor), CPython's way (clock + poll
// before every call), try first and poll only on EAGAIN, or as usocket's sendall does: try
// first, and after a short send poll before the rest (the kernel's buffer is full: a try
// would fail).
enum class raw_mode { blocking, poll_first, try_first, wait_after_short };

template <raw_mode mode>
void raw_wait(int fd, short events) {
    if constexpr (mode != raw_mode::blocking) {
        timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        pollfd p{fd, events, 0};
        check(::poll(&p, 1, 5000) == 1, "poll");
    }
}

template <raw_mode mode>
ssize_t raw_io(int fd, bool sending, char* p, std::size_t n) {
    const short ev = sending ? POLLOUT : POLLIN;
    if constexpr (mode == raw_mode::poll_first) raw_wait<mode>(fd, ev);
    for (;;) {
        const ssize_t k = sending ? ::send(fd, p, n, MSG_NOSIGNAL) : ::recv(fd, p, n, 0);
        if (k >= 0) return k;
        check((mode == raw_mode::try_first || mode == raw_mode::wait_after_short) &&
                  (errno == EAGAIN || errno == EWOULDBLOCK),
              "send/recv");
        raw_wait<mode>(fd, ev);
    }
}

template <raw_mode mode>
void raw_all(int fd, bool sending, char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t k = raw_io<mode>(fd, sending, p, n);
        check(k > 0, "unexpected end of stream");
        p += k;
        n -= static_cast<std::size_t>(k);
        if (mode == raw_mode::wait_after_short && sending && n > 0) raw_wait<mode>(fd, POLLOUT);
    }
}

template <raw_mode mode>
struct raw_impl {
    static void prepare(int fd) { set_non_blocking(fd, mode != raw_mode::blocking); }
    static void send_bulk(int fd, long total) {
        wait_go(fd);
        prepare(fd);
        std::vector<char> buf(chunk);
        for (long sent = 0; sent < total; sent += chunk) raw_all<mode>(fd, true, buf.data(), chunk);
        close(fd);
    }
    static double recv_bulk(int fd, long total) {
        prepare(fd);
        std::vector<char> buf(chunk);
        const std::int64_t t0 = go(fd);
        for (long got = 0; got < total;) {
            const ssize_t k = raw_io<mode>(fd, false, buf.data(), chunk);
            check(k > 0, "unexpected end of stream");
            got += k;
        }
        const auto t = static_cast<double>(now_ns() - t0);
        close(fd);
        return t;
    }
    static double ping(int fd, long n) {
        prepare(fd);
        char msg[msg_size] = {}, buf[msg_size];
        const std::int64_t t0 = now_ns();
        for (long i = 0; i < n; ++i) {
            raw_all<mode>(fd, true, msg, msg_size);
            raw_all<mode>(fd, false, buf, msg_size);
        }
        const auto t = static_cast<double>(now_ns() - t0);
        close(fd);
        return t;
    }
    static void pong(int fd) {
        prepare(fd);
        char buf[msg_size];
        for (;;) {
            std::size_t got = 0;
            while (got < msg_size) {
                const ssize_t k = raw_io<mode>(fd, false, buf + got, msg_size - got);
                if (k == 0) {
                    close(fd);
                    return;
                }
                got += static_cast<std::size_t>(k);
            }
            raw_all<mode>(fd, true, buf, msg_size);
        }
    }
};

// --- usocket -----------------------------------------------------------------------------

template <bool timed>
struct usocket_impl {
    static usocket::socket adopt(int fd) {
        auto s = usocket::socket::adopt(fd);
        if constexpr (timed) s.settimeout(std::chrono::seconds(5));
        return s;
    }
    static void send_bulk(int fd, long total) {
        wait_go(fd);
        auto s = adopt(fd);
        std::vector<char> buf(chunk);
        for (long sent = 0; sent < total; sent += chunk) s.sendall(buf);
    }
    static double recv_bulk(int fd, long total) {
        auto s = adopt(fd);
        std::vector<char> buf(chunk);
        const std::int64_t t0 = go(fd);
        for (long got = 0; got < total;) {
            const std::size_t k = s.recv_into(buf);
            check(k > 0, "unexpected end of stream");
            got += static_cast<long>(k);
        }
        return static_cast<double>(now_ns() - t0);
    }
    static std::size_t read_exactly(usocket::socket& s, char* p, std::size_t n) {
        std::size_t got = 0;
        while (got < n) {
            const std::size_t k = s.recv_into(usocket::mutable_buffer(p + got, n - got));
            if (k == 0) break;
            got += k;
        }
        return got;
    }
    static double ping(int fd, long n) {
        auto s = adopt(fd);
        char msg[msg_size] = {}, buf[msg_size];
        const std::int64_t t0 = now_ns();
        for (long i = 0; i < n; ++i) {
            s.sendall(usocket::const_buffer(msg, msg_size));
            check(read_exactly(s, buf, msg_size) == msg_size, "unexpected end of stream");
        }
        return static_cast<double>(now_ns() - t0);
    }
    static void pong(int fd) {
        auto s = adopt(fd);
        char buf[msg_size];
        while (read_exactly(s, buf, msg_size) == msg_size) s.sendall(usocket::const_buffer(buf, msg_size));
    }
};

// --- Asio --------------------------------------------------------------------------------

#ifdef USOCKET_BENCH_ASIO
struct asio_impl {
    template <class F>
    static auto with_socket(int fd, F&& f) {
        asio::io_context io;
        if (is_unix(fd)) {
            asio::local::stream_protocol::socket s(io);
            s.assign(asio::local::stream_protocol(), fd);
            return f(s);
        }
        asio::ip::tcp::socket s(io);
        s.assign(asio::ip::tcp::v4(), fd);
        return f(s);
    }
    static void send_bulk(int fd, long total) {
        wait_go(fd);
        with_socket(fd, [&](auto& s) {
            std::vector<char> buf(chunk);
            for (long sent = 0; sent < total; sent += chunk) asio::write(s, asio::buffer(buf));
        });
    }
    static double recv_bulk(int fd, long total) {
        return with_socket(fd, [&](auto& s) {
            std::vector<char> buf(chunk);
            const std::int64_t t0 = go(fd);
            for (long got = 0; got < total;) got += static_cast<long>(s.receive(asio::buffer(buf)));
            return static_cast<double>(now_ns() - t0);
        });
    }
    static double ping(int fd, long n) {
        return with_socket(fd, [&](auto& s) {
            char msg[msg_size] = {}, buf[msg_size];
            const std::int64_t t0 = now_ns();
            for (long i = 0; i < n; ++i) {
                asio::write(s, asio::buffer(msg));
                asio::read(s, asio::buffer(buf));
            }
            return static_cast<double>(now_ns() - t0);
        });
    }
    static void pong(int fd) {
        with_socket(fd, [&](auto& s) {
            char buf[msg_size];
            for (;;) {
                asio::error_code ec;
                asio::read(s, asio::buffer(buf), ec);
                if (ec) return;
                asio::write(s, asio::buffer(buf));
            }
        });
    }
};
#endif

// --- libuv -------------------------------------------------------------------------------

#ifdef USOCKET_BENCH_UV
struct uv_impl {
    // One loop, one stream handle over `fd` (a uv_tcp_t or a uv_pipe_t), and the state of
    // the workload; the callbacks find it through handle->data.
    struct conn {
        uv_loop_t loop;
        union {
            uv_tcp_t tcp;
            uv_pipe_t pipe;
        } h;
        std::vector<char> buf = std::vector<char>(chunk);
        char msg[msg_size] = {};
        long total = 0, done = 0, n = 0, rounds = 0;
        std::size_t partial = 0;
        uv_write_t req;

        explicit conn(int fd) {
            check(uv_loop_init(&loop) == 0, "uv_loop_init");
            if (is_unix(fd))
                check(uv_pipe_init(&loop, &h.pipe, 0) == 0 && uv_pipe_open(&h.pipe, fd) == 0, "uv_pipe_open");
            else
                check(uv_tcp_init(&loop, &h.tcp) == 0 && uv_tcp_open(&h.tcp, fd) == 0, "uv_tcp_open");
            stream()->data = this;
        }
        ~conn() {
            uv_close_all(loop, *stream());
        }
        uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&h); }
        static conn* of(uv_stream_t* s) { return static_cast<conn*>(s->data); }
        void read_start(uv_read_cb cb) {
            check(uv_read_start(
                      stream(),
                      [](uv_handle_t* hd, std::size_t, uv_buf_t* out) {
                          auto* c = static_cast<conn*>(hd->data);
                          *out = uv_buf_init(c->buf.data(), static_cast<unsigned>(c->buf.size()));
                      },
                      cb) == 0,
                  "uv_read_start");
        }
        void try_write(const char* p, std::size_t size) {
            uv_buf_t b = uv_buf_init(const_cast<char*>(p), static_cast<unsigned>(size));
            check(uv_try_write(stream(), &b, 1) == static_cast<int>(size), "uv_try_write");
        }
    };

    static void write_next(conn& c) {
        uv_buf_t b = uv_buf_init(c.buf.data(), chunk);
        check(uv_write(&c.req, c.stream(), &b, 1,
                       [](uv_write_t* req, int status) {
                           check(status == 0, "uv_write");
                           auto* cc = conn::of(req->handle);
                           cc->done += chunk;
                           if (cc->done < cc->total) write_next(*cc);
                       }) == 0,
              "uv_write");
    }
    static void send_bulk(int fd, long total) {
        wait_go(fd);
        conn c(fd);
        c.total = total;
        write_next(c);
        uv_run(&c.loop, UV_RUN_DEFAULT);
    }
    static double recv_bulk(int fd, long total) {
        conn c(fd);
        c.total = total;
        c.read_start([](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
            check(nread >= 0, "uv read");
            auto* cc = conn::of(s);
            cc->done += nread;
            if (cc->done >= cc->total) uv_read_stop(s);
        });
        const std::int64_t t0 = go(fd);
        uv_run(&c.loop, UV_RUN_DEFAULT);
        return static_cast<double>(now_ns() - t0);
    }
    static double ping(int fd, long n) {
        conn c(fd);
        c.n = n;
        c.read_start([](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
            check(nread >= 0, "uv read");
            auto* cc = conn::of(s);
            cc->partial += static_cast<std::size_t>(nread);
            if (cc->partial < msg_size) return;
            cc->partial = 0;
            if (++cc->rounds == cc->n)
                uv_read_stop(s);
            else
                cc->try_write(cc->msg, msg_size);
        });
        const std::int64_t t0 = now_ns();
        c.try_write(c.msg, msg_size);
        uv_run(&c.loop, UV_RUN_DEFAULT);
        return static_cast<double>(now_ns() - t0);
    }
    static void pong(int fd) {
        conn c(fd);
        c.read_start([](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
            auto* cc = conn::of(s);
            if (nread < 0) {  // UV_EOF: the client is done
                uv_read_stop(s);
                return;
            }
            cc->partial += static_cast<std::size_t>(nread);
            for (; cc->partial >= msg_size; cc->partial -= msg_size) cc->try_write(cc->msg, msg_size);
        });
        uv_run(&c.loop, UV_RUN_DEFAULT);
    }
};
#endif

template <class Impl>
stream_def def(const char* name, const char* label) {
    return {name, label, Impl::send_bulk, Impl::recv_bulk, Impl::ping, Impl::pong};
}

}  // namespace

const std::vector<stream_def>& stream_impls() {
    static const std::vector<stream_def> impls = {
        def<raw_impl<raw_mode::blocking>>("raw", "raw send()/recv(), blocking"),
        def<usocket_impl<false>>("usocket", "usocket sendall()/recv_into(), blocking"),
        def<usocket_impl<true>>("usocket_timeout", "usocket, 5 s timeout (try first, poll only on EAGAIN)"),
        def<raw_impl<raw_mode::try_first>>("raw_try_first",
                                           "raw, timeout by try first + poll() on EAGAIN (usocket's pattern)"),
        def<raw_impl<raw_mode::poll_first>>("raw_poll_first",
                                            "raw, timeout by clock + poll() before every call (CPython's pattern)"),
        def<raw_impl<raw_mode::wait_after_short>>(
            "raw_nonblocking", "raw, O_NONBLOCK: try first, poll() after a short send or EAGAIN (usocket's sendall)"),
#ifdef USOCKET_BENCH_ASIO
        def<asio_impl>("asio", "Asio 1.22 synchronous write()/read()/receive()"),
#endif
#ifdef USOCKET_BENCH_UV
        def<uv_impl>("libuv", "libuv event loop: uv_write()/uv_try_write(), read callback"),
#endif
    };
    return impls;
}

double bulk_once(const stream_def& impl, bool tcp, long total) {
    const auto [a, b] = connected_pair(tcp);
    const int pid = spawn([&, a = a, b = b] {
        close(a);
        impl.send_bulk(b, total);
    });
    close(b);
    const double ns = impl.recv_bulk(a, total);
    reap(pid);
    return static_cast<double>(total) / ns * 1e3;  // bytes per ns * 1000 = MB/s
}

double pingpong_once(const stream_def& impl, long n) {
    const auto [a, b] = connected_pair(true, true);
    const int pid = spawn([&, a = a, b = b] {
        close(a);
        impl.pong(b);
    });
    close(b);
    const double ns = impl.ping(a, n);
    reap(pid);
    return ns / static_cast<double>(n) / 1e3;  // microseconds per round trip
}

}  // namespace bench
