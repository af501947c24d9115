#pragma once
// The stream layer's private core, in three parts:
//
//   byte_source   the transport beneath the buffered reader: "read some bytes into this buffer
//                 under this deadline" and "write some". A socket's descriptor (socket_source,
//                 src/stream.cpp), or the transport plugged into its state (TLS), so the reader
//                 never knows which.
//   read_buffer   the ONE read-ahead buffer of a socket, kept in its state (socket_state.hpp).
//                 Every read of the socket (recv, recv_into, recvfrom, read, readline, readinto,
//                 makefile() files, the socket_streambuf) drains it first, so a byte is never
//                 lost nor reordered.
//   algorithms    readline / read(n) / read() / readinto / write over a read_buffer and a
//                 byte_source, under one deadline per call. On a timeout or an error the bytes
//                 already received stay in the buffer (MicroPython issue 3155 fixed).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "deadline.hpp"
#include "sys.hpp"
#include "usocket/error.hpp"

namespace usocket::detail {

/// The largest byte count one call takes (a size beyond it is errc::size_too_large).
inline constexpr std::size_t max_io_size = static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max());

/// A transport the buffered reader reads from and writes to.
class byte_source {
public:
    /// Reads at most `size` (> 0) bytes into `data`, waiting under `dl`. Returns the count, 0 at
    /// the end of the stream, or -1 with `ec` set (would-block when `dl` is non-blocking and
    /// nothing is ready; ETIMEDOUT when `dl` expires).
    virtual sys::ssize read_some(std::byte* data, std::size_t size, deadline& dl, std::error_code& ec) noexcept = 0;
    /// Writes at most `size` bytes from `data` under `dl`: the count, or -1 with `ec` set.
    virtual sys::ssize write_some(const std::byte* data, std::size_t size, deadline& dl,
                                  std::error_code& ec) noexcept = 0;
    /// True once the source may not be used any more (its socket was closed by another thread):
    /// a loop that makes progress in pieces stops there with EBADF.
    virtual bool gone() const noexcept { return false; }

protected:
    byte_source() = default;
    byte_source(const byte_source&) = default;
    byte_source& operator=(const byte_source&) = default;
    ~byte_source() = default;
};

struct read_buffer {
    /// The refill size when nobody asked for another (CPython's io.DEFAULT_BUFFER_SIZE).
    static constexpr std::size_t default_chunk = 8192;

    std::unique_ptr<std::byte[]> data;
    std::size_t capacity = 0;
    std::size_t begin = 0;  ///< first unread byte
    std::size_t end = 0;    ///< one past the last unread byte
    std::size_t chunk = default_chunk;  ///< how much one refill asks the source for
    /// Whether a refill that fills all the room doubles `chunk`, up to sys::max_read_chunk (a
    /// flowing stream then takes fewer, larger calls); false once a file set its own size.
    bool grows = true;

    // A socket_streambuf whose get area lies over [begin, end) consumes bytes without telling
    // the buffer; settle() makes it commit what it consumed (and drop its get area) before
    // anyone else looks at or moves the bytes. One stream at a time holds the slot.
    void (*settle_fn)(void*) noexcept = nullptr;
    void* settle_owner = nullptr;

    void settle() noexcept {
        if (settle_fn != nullptr) [[unlikely]]
            settle_fn(settle_owner);
    }
    std::size_t size() const noexcept { return end - begin; }
    /// True when no byte is buffered (after the attached stream, if any, has settled).
    bool empty() noexcept {
        settle();
        return begin == end;
    }
    const std::byte* head() const noexcept { return data.get() + begin; }

    /// Copies up to n bytes out; consumes them unless `peek`.
    std::size_t take(void* out, std::size_t n, bool peek) noexcept {
        settle();
        if (n > size()) n = size();
        if (n != 0) std::memcpy(out, data.get() + begin, n);
        if (!peek) consume(n);
        return n;
    }
    /// Drops the first n buffered bytes.
    void consume(std::size_t n) noexcept {
        begin += n;
        if (begin == end) begin = end = 0;
    }
    /// Moves the first n buffered bytes to the end of `out`.
    void take_into(std::string& out, std::size_t n) {
        out.append(reinterpret_cast<const char*>(head()), n);
        consume(n);
    }
    /// Makes room for at least `n` more bytes after `end` (moving the unread bytes to the front,
    /// growing when that is not enough). Returns false when memory ran out.
    bool reserve_tail(std::size_t n) noexcept;
    /// Puts `n` bytes back in front of the unread ones (they will be read first).
    bool unread(const std::byte* bytes, std::size_t n) noexcept;
    /// Frees the memory of an empty buffer grown far beyond its chunk (after a very long line),
    /// or beyond the starting size by growing refills: a connection that streamed fast and went
    /// idle keeps none of it (the next refill allocates `chunk` again).
    void trim() noexcept {
        if (begin == end && (capacity > 8 * chunk || (grows && capacity > default_chunk))) release();
    }
    /// Frees the memory (the buffer must be empty or its bytes no longer wanted).
    void release() noexcept {
        data.reset();
        capacity = begin = end = 0;
    }
};

/// The stream methods' "none": would-block with nothing done is no error, just no result
/// (Python: None). Any other error: std::nullopt with `ec` kept.
template <class T>
std::optional<T> result_or_none(T&& value, std::error_code& ec) {
    if (!ec) return std::optional<T>(std::forward<T>(value));
    if (is_would_block(ec)) ec.clear();
    return std::nullopt;
}

// --- the buffered algorithms (src/stream.cpp) -----------------------------------------------
// Each one settles `rb` first and drains it before asking `src`. Blocking and timed deadlines:
// no short reads (fewer bytes only at the end of the stream). A non-blocking deadline: what
// could be read now; when that is nothing, `ec` is would-block and nothing is consumed. On any
// other error (a timeout included) nothing is consumed: every byte received stays in `rb`.

/// One refill: reads up to `rb.chunk` bytes from `src` to the end of `rb` (the room there, at
/// least half a chunk). The count, 0 at the end of the stream, -1 with `ec`. A refill that
/// fills all the room doubles the next ones' size when `rb.grows`, up to sys::max_read_chunk.
/// (Exported for the tests, which link the shared library in that build.)
USOCKET_API sys::ssize fill(read_buffer& rb, byte_source& src, deadline& dl, std::error_code& ec) noexcept;
/// A line: up to and including '\n', or to the end of the stream, or `limit` bytes.
std::string read_line(read_buffer& rb, byte_source& src, std::size_t limit, deadline& dl, std::error_code& ec);
/// `n` bytes (fewer at the end of the stream).
std::string read_exact(read_buffer& rb, byte_source& src, std::size_t n, deadline& dl, std::error_code& ec);
/// Everything to the end of the stream.
std::string read_all(read_buffer& rb, byte_source& src, deadline& dl, std::error_code& ec);

/// Storage that read_all() below grows as the bytes come: grow(n) makes room for n bytes in all,
/// keeping the bytes already there, and returns where they start; on failure it returns null
/// and leaves the storage as it was (realloc's contract).
struct growable {
    virtual std::byte* grow(std::size_t n) noexcept = 0;

protected:
    growable() = default;
    growable(const growable&) = default;
    growable& operator=(const growable&) = default;
    ~growable() = default;
};
/// Everything to the end of the stream into `out`: the count (0 and `ec` on an error, the bytes
/// given back to `rb`; ENOMEM when `out` cannot grow).
std::size_t read_all(read_buffer& rb, byte_source& src, growable& out, deadline& dl, std::error_code& ec) noexcept;
/// `n` bytes into `out` (fewer at the end of the stream). On an error the bytes that were
/// copied to `out` are put back into `rb` and 0 is returned.
std::size_t read_into(read_buffer& rb, byte_source& src, std::byte* out, std::size_t n, deadline& dl,
                      std::error_code& ec) noexcept;
/// At most `n` bytes with at most one call to `src` (raw-file semantics): buffered bytes if
/// there are any, else one read_some.
std::size_t read_some(read_buffer& rb, byte_source& src, std::byte* out, std::size_t n, deadline& dl,
                      std::error_code& ec) noexcept;
/// Writes all of `data` (non-blocking: what could be written; would-block when nothing).
/// After each piece short of the rest the interrupt check runs (a signal may have cut a
/// blocking send short) and a source that is gone stops it with EBADF. Returns the count
/// written, also when `ec` is set.
std::size_t write_all(byte_source& src, const std::byte* data, std::size_t n, deadline& dl,
                      std::error_code& ec) noexcept;

}  // namespace usocket::detail

