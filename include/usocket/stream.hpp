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
    /// A stream buffer over `s`, which must outlive it. `put_size` bytes of output are
    /// collected before a send (0: every character is sent at once).
    explicit socket_streambuf(socket& s, std::size_t put_size = 8192);
    /// Flushes the output (errors ignored) and hands the unread input back to the socket.
    ~socket_streambuf() override;
    socket_streambuf(const socket_streambuf&) = delete;
    socket_streambuf& operator=(const socket_streambuf&) = delete;

    /// The error of the last failed operation (clear when none failed).
    std::error_code error() const noexcept { return error_; }
    /// Forgets error().
    void clear_error() noexcept { error_.clear(); }
    /// The socket this buffer reads and writes.
    socket& get_socket() const noexcept { return *sock_; }

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

    socket* sock_;
    std::shared_ptr<detail::read_buffer> rb_;
    std::unique_ptr<char[]> put_;
    std::size_t put_size_;
    std::error_code error_;
};

/// A std::iostream over a socket (which must outlive it).
class USOCKET_API socket_iostream : public std::iostream {
public:
    explicit socket_iostream(socket& s, std::size_t put_size = 8192) : std::iostream(nullptr), buf_(s, put_size) {
        std::iostream::rdbuf(&buf_);
    }
    socket_iostream(const socket_iostream&) = delete;
    socket_iostream& operator=(const socket_iostream&) = delete;

    socket_streambuf* rdbuf() const noexcept { return const_cast<socket_streambuf*>(&buf_); }
    /// The error that last set badbit (see socket_streambuf::error()).
    std::error_code error() const noexcept { return buf_.error(); }

private:
    socket_streambuf buf_;
};

}  // namespace usocket
