#pragma once
// C++ streams over a socket: socket_streambuf (a std::streambuf) and socket_iostream, so that
// std::getline, operator>> and operator<< work on a connection.
//
// Reading shares the socket's read-ahead buffer (the one recv, readline and makefile() files
// drain first): the get area lies over it, so stream reads and direct socket reads interleave
// without losing or reordering a byte. Writing collects in the put area and goes out on
// overflow, std::flush and before every refill of the get area (a request leaves before its
// answer is awaited). Every refill and every flush runs under the socket's current timeout.
//
// Errors: a failed refill or write throws the usocket exception (timeout_error, os_error...)
// out of the streambuf; std::istream/std::ostream catch it, set badbit, and rethrow it only when
// exceptions() includes badbit. error() keeps the error_code either way. sync() (std::flush)
// reports failure by returning -1 (badbit, std::ios_base::failure under the mask). Built with
// -fno-exceptions, a failed refill is end-of-file (eofbit|failbit) and error() says why.
// Bytes received before a timeout stay buffered: clear() the stream and read on.
//
// Threads: a stream buffer is one thread's object, as every std::streambuf. While its get area
// lies over the socket's buffer, other reads of the same socket (recv, readline, a file) may
// run only on that same thread.

#include <cstddef>
#include <istream>
#include <memory>
#include <streambuf>
#include <system_error>

#include "usocket/export.hpp"
#include "usocket/socket.hpp"
#include "usocket/socket_file.hpp"

namespace usocket {

class USOCKET_API socket_streambuf : public std::streambuf {
public:
    /// A stream buffer over `s`'s connection (it shares the socket's state: `s` itself may go,
    /// the connection stays usable until the socket is closed). `put_size` bytes of output are
    /// collected before a send (0: every character is sent at once).
    explicit socket_streambuf(const socket& s, std::size_t put_size = 8192);
    /// Flushes the output (errors ignored) and hands the unread input back to the socket.
    ~socket_streambuf() override;
    socket_streambuf(socket_streambuf&& other) noexcept;
    socket_streambuf& operator=(socket_streambuf&& other) noexcept;
    socket_streambuf(const socket_streambuf&) = delete;
    socket_streambuf& operator=(const socket_streambuf&) = delete;

    /// The error of the last failed operation (clear when none failed).
    [[nodiscard]] std::error_code error() const noexcept { return error_; }
    /// Forgets error().
    void clear_error() noexcept { error_.clear(); }

protected:
    int_type underflow() override;
    int_type overflow(int_type ch) override;
    std::streamsize xsputn(const char_type* s, std::streamsize count) override;
    int sync() override;
    std::streamsize showmanyc() override;

private:
    static void settle_hook(void* self) noexcept;
    int_type fail(const std::error_code& ec);
    bool flush_put(std::error_code& ec) noexcept;
    std::size_t write_now(const char* data, std::size_t n, std::error_code& ec) noexcept;
    void detach_get_area() noexcept;

    detail::state_hold st_;
    std::unique_ptr<char[]> put_;
    std::size_t put_size_ = 0;
    std::error_code error_;
};

/// A std::iostream over a connection. Constructed from an rvalue socket it owns it (and closes
/// it when destroyed), so it can be returned from a helper; from an lvalue it shares the
/// socket's connection, which the socket closes. Movable.
class USOCKET_API socket_iostream : public std::iostream {
public:
    /// Owns `s`.
    explicit socket_iostream(socket&& s, std::size_t put_size = 8192);
    /// Shares `s`'s connection.
    explicit socket_iostream(const socket& s, std::size_t put_size = 8192);
    socket_iostream(socket_iostream&& other) noexcept;
    socket_iostream& operator=(socket_iostream&& other) noexcept;
    socket_iostream(const socket_iostream&) = delete;
    socket_iostream& operator=(const socket_iostream&) = delete;
    ~socket_iostream() override;

    [[nodiscard]] socket_streambuf* rdbuf() const noexcept { return const_cast<socket_streambuf*>(&buf_); }
    /// The error that last set badbit (see socket_streambuf::error()).
    [[nodiscard]] std::error_code error() const noexcept { return buf_.error(); }
    /// The socket this stream owns (a closed socket when it shares another's connection).
    [[nodiscard]] socket& owned_socket() noexcept { return sock_; }

private:
    socket sock_;  // declared first: destroyed after buf_ has flushed
    socket_streambuf buf_;
};

}  // namespace usocket
