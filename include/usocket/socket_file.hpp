#pragma once
// usocket::socket_file — what socket::makefile() returns: CPython's file object over a socket
// (SocketIO, alone or under BufferedReader / BufferedWriter / BufferedRWPair), in C++.
//
// Ownership (CPython's _io_refs): a file shares the socket's state (descriptor, timeout, the
// read-ahead buffer) through a shared handle. socket::close() while files are open closes the
// socket object but leaves the descriptor open; the last file to close closes it. Reads from a
// file and from its socket drain the same read-ahead buffer, so they interleave losslessly.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "usocket/buffer.hpp"
#include "usocket/export.hpp"

namespace usocket {

namespace detail {
struct read_buffer;
}

/// "No limit" for readline(limit): the whole line.
inline constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

class USOCKET_API socket_file {
public:
    /// A closed file.
    socket_file() noexcept;
    socket_file(socket_file&& other) noexcept;
    socket_file& operator=(socket_file&& other) noexcept;
    socket_file(const socket_file&) = delete;
    socket_file& operator=(const socket_file&) = delete;
    /// Closes the file (flushing buffered writes; errors are ignored: call close() to see them).
    ~socket_file();

    // Reading. A buffered file reads as the socket's stream methods do (no short reads on a
    // blocking socket); an unbuffered one (buffering=0) makes at most one system call per
    // read()/readinto() (CPython's raw SocketIO). Both drain the socket's read-ahead buffer
    // first. Non-blocking socket and nothing to read: std::nullopt (Python: None). After a
    // timeout the file refuses to read (errc::stream_timed_out, as CPython's SocketIO); the
    // bytes received before it stay readable through the socket.
    // Throws value_error (closed file, errc::invalid_argument; timed out,
    // errc::stream_timed_out), os_error (EBADF: not open for reading), timeout_error.

    /// Reads to the end of the stream.
    std::optional<std::string> read();
    std::optional<std::string> read(std::error_code& ec);
    /// Reads at most `size` bytes (buffered: exactly `size` unless the stream ends).
    std::optional<std::string> read(std::size_t size);
    std::optional<std::string> read(std::size_t size, std::error_code& ec);
    /// Reads into `buf`; returns the count (0 at the end of the stream).
    std::optional<std::size_t> readinto(mutable_buffer buf);
    std::optional<std::size_t> readinto(mutable_buffer buf, std::error_code& ec) noexcept;
    /// Reads a line, '\n' included; at most `limit` bytes. "" at the end of the stream.
    std::optional<std::string> readline(std::size_t limit = no_limit);
    std::optional<std::string> readline(std::size_t limit, std::error_code& ec);

    // Writing. Buffered: bytes collect in the file's buffer and go out when it is full, on
    // flush() and on close(). Unbuffered: one send per write (the count may be short).
    // Non-blocking: the count accepted, std::nullopt when none. Unsent bytes are never dropped
    // by a timeout: they stay buffered for the next flush.

    /// Writes `data`; returns the count accepted. Throws os_error / timeout_error /
    /// blocking_io_error; the error_code form also returns the count done before an error.
    std::optional<std::size_t> write(const_buffer data);
    std::optional<std::size_t> write(const_buffer data, std::error_code& ec);
    /// Sends the buffered bytes (one deadline for all of them). Non-blocking and not all
    /// sent: blocking_io_error, the rest stays buffered.
    void flush();
    void flush(std::error_code& ec) noexcept;

    /// Flushes, then releases the descriptor (closing it if the socket was closed and this was
    /// its last file). A second close() does nothing. Reports the flush's error, if any.
    void close();
    void close(std::error_code& ec) noexcept;

    bool closed() const noexcept { return !state_; }
    bool readable() const noexcept { return reading_; }
    bool writable() const noexcept { return writing_; }
    /// False for the text modes ("r", "w", "rw"): the bytes are the same, a binding decodes.
    bool binary() const noexcept { return binary_; }
    /// The buffer size (0: unbuffered).
    std::size_t buffer_size() const noexcept { return buffer_size_; }
    /// The mode string given to makefile().
    const std::string& mode() const noexcept { return mode_; }
    /// The socket's descriptor, -1 once this file is closed (or the socket detached it).
    int fileno() const noexcept;
    /// Bytes written and not yet sent.
    std::size_t pending() const noexcept { return wbuf_.size(); }

private:
    friend class socket;
    socket_file(std::shared_ptr<detail::read_buffer> state, std::string_view mode, bool reading, bool writing,
                bool binary, std::size_t buffer_size);
    int begin_read(std::error_code& ec) const noexcept;
    int begin_write(std::error_code& ec) const noexcept;
    void after_read(const std::error_code& ec) noexcept;
    void flush_pending(int fd, std::error_code& ec) noexcept;

    std::shared_ptr<detail::read_buffer> state_;
    std::string wbuf_;
    std::string mode_;
    std::size_t buffer_size_ = 0;
    bool reading_ = false;
    bool writing_ = false;
    bool binary_ = true;
    bool timed_out_ = false;
};

}  // namespace usocket
