// UDP: 64-byte datagrams over 127.0.0.1 in one thread — a burst of 16 sendto() from one socket
// to the other, then 16 recvfrom() (the burst fits the receive buffer, so nothing is dropped
// and every figure counts delivered datagrams). The receiver asks for the sender's address,
// as recvfrom() does.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loops.hpp"
#include "peers.hpp"
#include "usocket/usocket.hpp"


namespace bench {
namespace {

constexpr std::size_t msg_size = 64;
constexpr ssize_t msg_ssize = msg_size;
constexpr long burst = 16;

sockaddr_in local_address(int fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    check(getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0, "getsockname");
    return sa;
}

struct raw_udp : loop_case {
    int a = udp_socket(), b = udp_socket();
    sockaddr_in to = local_address(b);
    char msg[msg_size] = {}, buf[msg_size];
    ~raw_udp() override {
        close(a);
        close(b);
    }
    void run(long n) override {
        for (long i = 0; i < n; i += burst) {
            for (long k = 0; k < burst; ++k)
                check(::sendto(a, msg, msg_size, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) == msg_ssize,
                      "sendto");
            for (long k = 0; k < burst; ++k) {
                sockaddr_storage from;
                socklen_t len = sizeof from;
                check(::recvfrom(b, buf, msg_size, 0, reinterpret_cast<sockaddr*>(&from), &len) == msg_ssize,
                      "recvfrom");
            }
        }
    }
};

struct usocket_udp : loop_case {
    usocket::socket a{usocket::af_inet, usocket::sock_dgram}, b{usocket::af_inet, usocket::sock_dgram};
    usocket::address to;
    char msg[msg_size] = {}, buf[msg_size];
    usocket_udp() {
        a.bind(usocket::address("127.0.0.1", 0));
        b.bind(usocket::address("127.0.0.1", 0));
        to = b.getsockname();
    }
    void run(long n) override {
        for (long i = 0; i < n; i += burst) {
            for (long k = 0; k < burst; ++k)
                check(a.sendto(usocket::const_buffer(msg, msg_size), to) == msg_size, "sendto");
            for (long k = 0; k < burst; ++k)
                check(b.recvfrom_into(usocket::mutable_buffer(buf, msg_size)).first == msg_size, "recvfrom_into");
        }
    }
};

#ifdef USOCKET_BENCH_ASIO
struct asio_udp : loop_case {
    asio::io_context io;
    asio::ip::udp::socket a{io, {asio::ip::address_v4::loopback(), 0}};
    asio::ip::udp::socket b{io, {asio::ip::address_v4::loopback(), 0}};
    asio::ip::udp::endpoint to = b.local_endpoint();
    char msg[msg_size] = {}, buf[msg_size];
    void run(long n) override {
        for (long i = 0; i < n; i += burst) {
            for (long k = 0; k < burst; ++k) check(a.send_to(asio::buffer(msg), to) == msg_size, "send_to");
            for (long k = 0; k < burst; ++k) {
                asio::ip::udp::endpoint from;
                check(b.receive_from(asio::buffer(buf), from) == msg_size, "receive_from");
            }
        }
    }
};
#endif

#ifdef USOCKET_BENCH_UV
// uv_udp_try_send() to send; the receive callback runs from loop turns (libuv reads up to 32
// datagrams per readiness event).
struct uv_udp : loop_case {
    uv_loop_t loop;
    uv_udp_t a, b;
    sockaddr_in to;
    char msg[msg_size] = {}, buf[msg_size];
    long got = 0;
    uv_udp() {
        const int fa = udp_socket(), fb = udp_socket();
        to = local_address(fb);
        check(uv_loop_init(&loop) == 0, "uv_loop_init");
        check(uv_udp_init(&loop, &a) == 0 && uv_udp_open(&a, fa) == 0, "uv_udp_open");
        check(uv_udp_init(&loop, &b) == 0 && uv_udp_open(&b, fb) == 0, "uv_udp_open");
        b.data = this;
        check(uv_udp_recv_start(
                  &b,
                  [](uv_handle_t* h, std::size_t, uv_buf_t* out) {
                      *out = uv_buf_init(static_cast<uv_udp*>(h->data)->buf, msg_size);
                  },
                  [](uv_udp_t* h, ssize_t nread, const uv_buf_t*, const sockaddr* addr, unsigned) {
                      check(nread >= 0, "uv udp recv");
                      if (addr) ++static_cast<uv_udp*>(h->data)->got;
                  }) == 0,
              "uv_udp_recv_start");
    }
    ~uv_udp() override {
        uv_close_all(loop, a, b);
    }
    void run(long n) override {
        uv_buf_t out = uv_buf_init(msg, msg_size);
        for (long i = 0; i < n; i += burst) {
            for (long k = 0; k < burst; ++k)
                check(uv_udp_try_send(&a, &out, 1, reinterpret_cast<const sockaddr*>(&to)) == msg_ssize,
                      "uv_udp_try_send");
            const long want = got + burst;
            while (got < want) uv_run(&loop, UV_RUN_ONCE);
        }
    }
};
#endif

}  // namespace

const std::vector<loop_def>& udp_cases() {
    static const std::vector<loop_def> cases = {
        {"raw", "raw sendto()/recvfrom()", make_case<raw_udp>},
        {"usocket", "usocket sendto()/recvfrom_into() (throwing form)", make_case<usocket_udp>},
#ifdef USOCKET_BENCH_ASIO
        {"asio", "Asio 1.22 synchronous send_to()/receive_from()", make_case<asio_udp>},
#endif
#ifdef USOCKET_BENCH_UV
        {"libuv", "libuv uv_udp_try_send() + loop turns (recv callback)", make_case<uv_udp>},
#endif
    };
    return cases;
}

}  // namespace bench
