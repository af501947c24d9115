// Per-operation overhead: one 64-byte send and one 64-byte recv on a connected AF_UNIX
// socketpair, in one thread, so the data is always there and nothing ever waits: what is left
// is each library's own cost around two system calls.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

#include "guard_floor.hpp"
#include "loops.hpp"
#include "peers.hpp"
#include "usocket/usocket.hpp"


namespace bench {
namespace {

constexpr std::size_t msg_size = 64;

struct raw_case : loop_case {
    int a, b;
    char msg[msg_size] = {}, buf[msg_size];
    raw_case() { std::tie(a, b) = connected_pair(false); }
    ~raw_case() override {
        close(a);
        close(b);
    }
    void run(long n) override {
        for (long i = 0; i < n; ++i) {
            check(::send(a, msg, msg_size, 0) == msg_size, "send");
            check(::recv(b, buf, msg_size, 0) == msg_size, "recv");
        }
    }
};

// What CPython does on a socket with a timeout: start a deadline (a clock read), poll() for
// readiness, then make the call — on every call, even when the call would not block.
struct raw_poll_first_case : raw_case {
    raw_poll_first_case() {
        set_non_blocking(a, true);
        set_non_blocking(b, true);
    }
    static void ready(int fd, short events) {
        timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        pollfd p{fd, events, 0};
        check(::poll(&p, 1, 5000) == 1, "poll");
    }
    void run(long n) override {
        for (long i = 0; i < n; ++i) {
            ready(a, POLLOUT);
            check(::send(a, msg, msg_size, 0) == msg_size, "send");
            ready(b, POLLIN);
            check(::recv(b, buf, msg_size, 0) == msg_size, "recv");
        }
    }
};

template <bool with_ec>
struct usocket_case : loop_case {
    std::pair<usocket::socket, usocket::socket> p = usocket::socketpair();
    char msg[msg_size] = {}, buf[msg_size];
    explicit usocket_case(usocket::timeout_type t = std::nullopt) {
        p.first.settimeout(t);
        p.second.settimeout(t);
    }
    void run(long n) override {
        auto& a = p.first;
        auto& b = p.second;
        for (long i = 0; i < n; ++i) {
            if constexpr (with_ec) {
                std::error_code ec;
                check(a.send(usocket::const_buffer(msg, msg_size), 0, ec) == msg_size, "send");
                check(b.recv_into(usocket::mutable_buffer(buf, msg_size), 0, 0, ec) == msg_size, "recv_into");
            } else {
                check(a.send(usocket::const_buffer(msg, msg_size)) == msg_size, "send");
                check(b.recv_into(usocket::mutable_buffer(buf, msg_size)) == msg_size, "recv_into");
            }
        }
    }
};

#ifdef USOCKET_BENCH_ASIO
struct asio_case : loop_case {
    asio::io_context io;
    asio::local::stream_protocol::socket a{io}, b{io};
    char msg[msg_size] = {}, buf[msg_size];
    asio_case() { asio::local::connect_pair(a, b); }
    void run(long n) override {
        for (long i = 0; i < n; ++i) {
            check(a.send(asio::buffer(msg)) == msg_size, "send");
            check(b.receive(asio::buffer(buf)) == msg_size, "receive");
        }
    }
};
#endif

#ifdef USOCKET_BENCH_UV
// libuv has no synchronous receive: the natural use is uv_try_write() to send and one turn of
// the loop (epoll_wait + read callback) to receive.
struct uv_case : loop_case {
    uv_loop_t loop;
    uv_pipe_t a, b;
    char msg[msg_size] = {}, buf[msg_size];
    long got = 0;
    uv_case() {
        auto [fa, fb] = connected_pair(false);
        check(uv_loop_init(&loop) == 0, "uv_loop_init");
        check(uv_pipe_init(&loop, &a, 0) == 0 && uv_pipe_open(&a, fa) == 0, "uv_pipe_open");
        check(uv_pipe_init(&loop, &b, 0) == 0 && uv_pipe_open(&b, fb) == 0, "uv_pipe_open");
        b.data = this;
        check(uv_read_start(
                  reinterpret_cast<uv_stream_t*>(&b),
                  [](uv_handle_t* h, std::size_t, uv_buf_t* out) {
                      auto* self = static_cast<uv_case*>(h->data);
                      *out = uv_buf_init(self->buf, msg_size);
                  },
                  [](uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
                      check(nread >= 0, "uv read");
                      static_cast<uv_case*>(s->data)->got += nread;
                  }) == 0,
              "uv_read_start");
    }
    ~uv_case() override {
        uv_close_all(loop, a, b);
    }
    void run(long n) override {
        uv_buf_t out = uv_buf_init(msg, msg_size);
        for (long i = 0; i < n; ++i) {
            check(uv_try_write(reinterpret_cast<uv_stream_t*>(&a), &out, 1) == msg_size, "uv_try_write");
            const long want = got + static_cast<long>(msg_size);
            while (got < want) uv_run(&loop, UV_RUN_ONCE);
        }
    }
};
#endif

// The guarded floor (bench/guard_floor.hpp): the least a call can do and keep a call racing
// close() safe, in three builds. `How` picks the functions.
enum class floor_build { compiled, inline_, unguarded };

template <floor_build How>
struct floor_case : loop_case {
    floor::guarded a, b;
    char msg[msg_size] = {}, buf[msg_size];
    floor_case() { std::tie(a.fd, b.fd) = connected_pair(false); }
    ~floor_case() override {
        close(a.fd);
        close(b.fd);
    }
    void run(long n) override {
        for (long i = 0; i < n; ++i) {
            if constexpr (How == floor_build::compiled) {
                check(floor::send_compiled(&a, msg, msg_size, 0) == msg_size, "send");
                check(floor::recv_compiled(&b, buf, msg_size, 0) == msg_size, "recv");
            } else if constexpr (How == floor_build::inline_) {
                check(floor::send_inline(&a, msg, msg_size, 0) == msg_size, "send");
                check(floor::recv_inline(&b, buf, msg_size, 0) == msg_size, "recv");
            } else {
                check(floor::send_unguarded(&a, msg, msg_size, 0) == msg_size, "send");
                check(floor::recv_unguarded(&b, buf, msg_size, 0) == msg_size, "recv");
            }
        }
    }
};

std::unique_ptr<loop_case> make_usocket_timeout() {
    return std::make_unique<usocket_case<false>>(std::chrono::seconds(5));
}

}  // namespace

const std::vector<loop_def>& perop_cases() {
    static const std::vector<loop_def> cases = {
        {"raw", "raw send()/recv(), blocking", make_case<raw_case>},
        {"usocket", "usocket send()/recv_into(), blocking (throwing form)", make_case<usocket_case<false>>},
        {"usocket_ec", "usocket send()/recv_into(), blocking (std::error_code form)", make_case<usocket_case<true>>},
        {"usocket_timeout", "usocket, 5 s timeout (try first, poll only on EAGAIN)", make_usocket_timeout},
        {"raw_poll_first", "raw, CPython's timeout pattern: clock + poll() before every call", make_case<raw_poll_first_case>},
        {"floor_unguarded", "floor: raw calls wrapped in a compiled function, no use guard",
         make_case<floor_case<floor_build::unguarded>>},
        {"floor_compiled", "floor: a compiled call with the use guard (enter, the call, leave)",
         make_case<floor_case<floor_build::compiled>>},
        {"floor_inline", "floor: the guarded call inlined into the caller (header-only)",
         make_case<floor_case<floor_build::inline_>>},
#ifdef USOCKET_BENCH_ASIO
        {"asio", "Asio 1.22 synchronous send()/receive()", make_case<asio_case>},
#endif
#ifdef USOCKET_BENCH_UV
        {"libuv", "libuv uv_try_write() + one loop turn (epoll_wait + read callback)", make_case<uv_case>},
#endif
    };
    return cases;
}

}  // namespace bench
