// libuv's echo server (libuv 1.44, Debian libuv1-dev), written as its guide's echo example
// but without a buffer per read: alloc_cb hands out one shared 64 KiB buffer (the loop runs
// one callback at a time, and read_cb is done with it before the next read), and the echo goes
// out with uv_try_write, queued with uv_write (a copy) only for what the kernel did not take.
// Per client: the uv_tcp_t handle and nothing else.

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <uv.h>

#include "common.hpp"

namespace {

uv_loop_t* loop = nullptr;
char shared[echo_bench::chunk];

struct queued_write {
    uv_write_t req;
    uv_buf_t buf;
};

void on_close(uv_handle_t* handle) { std::free(handle); }

void on_written(uv_write_t* req, int) {
    auto* w = reinterpret_cast<queued_write*>(req);
    std::free(w->buf.base);
    std::free(w);
}

void on_alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) { *buf = uv_buf_init(shared, sizeof shared); }

void on_read(uv_stream_t* client, ssize_t nread, const uv_buf_t* buf) {
    if (nread < 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(client), on_close);
        return;
    }
    if (nread == 0) return;  // EAGAIN
    uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned>(nread));
    const int sent = uv_try_write(client, &out, 1);
    if (sent == nread) return;
    const std::size_t done = sent > 0 ? static_cast<std::size_t>(sent) : 0;
    if (sent < 0 && sent != UV_EAGAIN) {
        uv_close(reinterpret_cast<uv_handle_t*>(client), on_close);
        return;
    }
    auto* w = static_cast<queued_write*>(std::malloc(sizeof(queued_write)));
    const std::size_t rest = static_cast<std::size_t>(nread) - done;
    w->buf = uv_buf_init(static_cast<char*>(std::malloc(rest)), static_cast<unsigned>(rest));
    std::memcpy(w->buf.base, buf->base + done, rest);
    uv_write(&w->req, client, &w->buf, 1, on_written);
}

void on_connection(uv_stream_t* server, int status) {
    if (status < 0) return;
    auto* client = static_cast<uv_tcp_t*>(std::malloc(sizeof(uv_tcp_t)));
    uv_tcp_init(loop, client);
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(client)) != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(client), on_close);
        return;
    }
    uv_read_start(reinterpret_cast<uv_stream_t*>(client), on_alloc, on_read);
}

}  // namespace

int main(int argc, char** argv) {
    const int port = echo_bench::port_argument(argc, argv);
    loop = uv_default_loop();
    uv_tcp_t server;
    uv_tcp_init(loop, &server);
    sockaddr_in at{};
    uv_ip4_addr("127.0.0.1", port, &at);
    if (uv_tcp_bind(&server, reinterpret_cast<const sockaddr*>(&at), 0) != 0) echo_bench::die("uv_tcp_bind");
    if (uv_listen(reinterpret_cast<uv_stream_t*>(&server), echo_bench::backlog, on_connection) != 0)
        echo_bench::die("uv_listen");
    uv_os_fd_t fd;
    uv_fileno(reinterpret_cast<uv_handle_t*>(&server), &fd);
    echo_bench::say_port(fd);
    return uv_run(loop, UV_RUN_DEFAULT);
}
