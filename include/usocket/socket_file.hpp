#pragma once
// usocket::socket_file — what socket::makefile() returns: CPython's file object over a socket
// (SocketIO, alone or under BufferedReader / BufferedWriter / BufferedRWPair), in C++.
//
// Ownership (CPython's _io_refs): a file shares the socket's state (descriptor, timeout, the
// read-ahead buffer). socket::close() while files are open closes the socket object but leaves
// the descriptor open; the last file to close closes it. Reads from a file and from its socket
// drain the same read-ahead buffer, so they interleave losslessly.
//
// Threads: a file's reads are serialised with every other stream read of its socket; its
// writes and flushes are serialised with each other. close() from another thread while a call
// is in flight is safe: the call finishes on a descriptor that stays open until it returns.

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
#include "usocket/platform.hpp"

namespace usocket {

namespace detail {
class socket_state;
/// One hold on a socket's state (a file of makefile(), a socket_streambuf): keeps its memory
/// alive, never closes anything.
class USOCKET_API state_hold {
public:
    state_hold() noexcept = default;
    /// Takes a new hold on `st` (may be null).
    explicit state_hold(socket_state* st) noexcept;
    state_hold(const state_hold& o) noexcept : state_hold(o.st_) {}
    state_hold(state_hold&& o) noexcept : st_(o.st_) { o.st_ = nullptr; }
    state_hold& operator=(state_hold o) noexcept {
        socket_state* t = st_;
        st_ = o.st_;
        o.st_ = t;
        return *this;
    }
    ~state_hold() { reset(); }
    socket_state* get() const noexcept { return st_; }
    socket_state* operator->() const noexcept { return st_; }
    socket_state& operator*() const noexcept { return *st_; }
    explicit operator bool() const noexcept { return st_ != nullptr; }
    /// Lets go of the hold.
    void reset() noexcept;

private:
    socket_state* st_ = nullptr;
};
struct file_impl;
}  // namespace detail

/// "No limit" for readline(limit): the whole line.
inline constexpr std::size_t no_limit = std::numeric_limits<std::size_t>::max();

class USOCKET_API socket_file {
public:
    /// A closed file.
    socket_file() noexcept;
    socket_file(socket_file&&) noexcept;
    socket_file& operator=(socket_file&&) noexcept;
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
    [[nodiscard]] std::optional<std::string> read();
    [[nodiscard]] std::optional<std::string> read(std::error_code& ec);
    /// Reads at most `size` bytes (buffered: exactly `size` unless the stream ends).
    [[nodiscard]] std::optional<std::string> read(std::size_t size);
    [[nodiscard]] std::optional<std::string> read(std::size_t size, std::error_code& ec);
    /// Reads into `buf`; returns the count (0 at the end of the stream).
    [[nodiscard]] std::optional<std::size_t> readinto(mutable_buffer buf);
    [[nodiscard]] std::optional<std::size_t> readinto(mutable_buffer buf, std::error_code& ec) noexcept;
    /// Reads a line, '\n' included; at most `limit` bytes. "" at the end of the stream.
    [[nodiscard]] std::optional<std::string> readline(std::size_t limit = no_limit);
    [[nodiscard]] std::optional<std::string> readline(std::size_t limit, std::error_code& ec);
    [[nodiscard]] std::optional<std::string> readline(std::error_code& ec);

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

    [[nodiscard]] bool closed() const noexcept;
    [[nodiscard]] bool readable() const noexcept;
    [[nodiscard]] bool writable() const noexcept;
    /// False for the text modes ("r", "w", "rw"): the bytes are the same, a binding decodes.
    [[nodiscard]] bool binary() const noexcept;
    /// The buffer size (0: unbuffered).
    [[nodiscard]] std::size_t buffer_size() const noexcept;
    /// The mode string given to makefile().
    [[nodiscard]] std::string mode() const;
    /// The socket's descriptor, invalid_handle once this file is closed (or the socket
    /// detached it).
    [[nodiscard]] native_handle fileno() const noexcept;
    /// Bytes written and not yet sent.
    [[nodiscard]] std::size_t pending() const noexcept;

private:
    friend class socket;
    explicit socket_file(std::unique_ptr<detail::file_impl> impl) noexcept;

    /// Everything of an open file (its hold on the socket's state and descriptor, the write
    /// buffer and its lock, the mode); it lives as long as this object, so a close() racing a
    /// call on another thread never frees what that call uses.
    std::unique_ptr<detail::file_impl> impl_;
};

}  // namespace usocket
