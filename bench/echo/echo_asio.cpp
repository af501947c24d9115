// Asio's echo server as its own example writes it (asio/src/examples/cpp11/echo/
// async_tcp_echo_server.cpp): a session object per client, held by shared_ptr, with a 1024-byte
// buffer, async_read_some then async_write, and async_accept for the next client. Standalone
// Asio 1.22 (Debian libasio-dev), its epoll reactor, one thread; the io_context is told so
// (concurrency hint 1), as a single-threaded server would.

#include <cstddef>
#include <cstdio>
#include <memory>
#include <utility>

#include <asio.hpp>

#include "common.hpp"

namespace {

using asio::ip::tcp;

class session : public std::enable_shared_from_this<session> {
public:
    explicit session(tcp::socket socket) : socket_(std::move(socket)) {}

    void start() { do_read(); }

private:
    void do_read() {
        auto self(shared_from_this());
        socket_.async_read_some(asio::buffer(data_, max_length), [this, self](std::error_code ec, std::size_t length) {
            if (!ec) do_write(length);
        });
    }

    void do_write(std::size_t length) {
        auto self(shared_from_this());
        asio::async_write(socket_, asio::buffer(data_, length), [this, self](std::error_code ec, std::size_t) {
            if (!ec) do_read();
        });
    }

    tcp::socket socket_;
    static constexpr std::size_t max_length = 1024;
    char data_[max_length];
};

class server {
public:
    server(asio::io_context& io, unsigned short port) : acceptor_(io) {
        const tcp::endpoint at(asio::ip::address_v4::loopback(), port);
        acceptor_.open(at.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind(at);
        acceptor_.listen(echo_bench::backlog);
        std::printf("port %d\n", acceptor_.local_endpoint().port());
        std::fflush(stdout);
        do_accept();
    }

private:
    void do_accept() {
        acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
            if (!ec) std::make_shared<session>(std::move(socket))->start();
            do_accept();
        });
    }

    tcp::acceptor acceptor_;
};

}  // namespace

int main(int argc, char** argv) {
    const int port = echo_bench::port_argument(argc, argv);
    asio::io_context io(1);
    server s(io, static_cast<unsigned short>(port));
    io.run();
}
