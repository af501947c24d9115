// socket::makefile() and socket_file: CPython's socket.makefile() and its file objects, over
// the stream layer's algorithms (read_buffer.hpp) and the socket's shared state.

#include <algorithm>
#include <mutex>

#include "or_throw.hpp"
#include "read_buffer.hpp"
#include "sock_call.hpp"
#include "usocket/socket.hpp"
#include "usocket/socket_file.hpp"

namespace usocket {

namespace {

std::int64_t to_ns(const timeout_type& t) noexcept { return t ? t->count() : -1; }


}  // namespace

// --- makefile() ---------------------------------------------------------------------------

socket_file socket::makefile(std::string_view mode, std::ptrdiff_t buffering, std::error_code& ec) {
    detail::clear_error(ec);
    // As CPython: any combination of 'r', 'w' and 'b'; reading unless only writing is asked.
    bool r = false, w = false, b = false;
    for (const char c : mode) {
        if (c == 'r')
            r = true;
        else if (c == 'w')
            w = true;
        else if (c == 'b')
            b = true;
        else {
            ec = errc::invalid_argument;  // "invalid mode (only r, w, b allowed)"
            return {};
        }
    }
    if (buffering == 0 && !b) {
        ec = errc::invalid_argument;  // "unbuffered streams must be binary"
        return {};
    }
    if (fd_ < 0) {
        ec = system_error_code(sys::err_badf);
        return {};
    }
    const bool reading = r || !w;
    const std::size_t size = buffering < 0 ? detail::read_buffer::default_chunk : static_cast<std::size_t>(buffering);
    detail::read_buffer& rb = detail::ensure_buffer(rbuf_);
    {
        const std::lock_guard<std::mutex> lock(rb.files_mutex);
        ++rb.files;
        rb.fd.store(fd_, std::memory_order_relaxed);
        rb.timeout_ns.store(to_ns(timeout_), std::memory_order_relaxed);
    }
    if (reading && size != 0) rb.chunk = size;
    return socket_file(rbuf_, mode, reading, w, b, size);
}

socket_file socket::makefile(std::string_view mode, std::ptrdiff_t buffering) {
    std::error_code ec;
    socket_file f = makefile(mode, buffering, ec);
    if (ec) {
        const bool bad_mode = ec == errc::invalid_argument;
        throw_error(ec, !bad_mode                ? "makefile"
                        : buffering == 0 && mode.find('b') == std::string_view::npos
                            ? "makefile: unbuffered streams must be binary"
                            : "makefile: invalid mode (only r, w, b allowed)");
    }
    return f;
}

// --- socket_file ----------------------------------------------------------------------------

socket_file::socket_file() noexcept = default;

socket_file::socket_file(std::shared_ptr<detail::read_buffer> state, std::string_view mode, bool reading,
                         bool writing, bool binary, std::size_t buffer_size)
    : state_(std::move(state)),
      mode_(mode),
      buffer_size_(buffer_size),
      reading_(reading),
      writing_(writing),
      binary_(binary) {}

socket_file::socket_file(socket_file&& other) noexcept
    : state_(std::move(other.state_)),
      wbuf_(std::move(other.wbuf_)),
      mode_(std::move(other.mode_)),
      buffer_size_(other.buffer_size_),
      reading_(other.reading_),
      writing_(other.writing_),
      binary_(other.binary_),
      timed_out_(other.timed_out_) {}

socket_file& socket_file::operator=(socket_file&& other) noexcept {
    if (this != &other) {
        std::error_code ignored;
        close(ignored);
        state_ = std::move(other.state_);
        wbuf_ = std::move(other.wbuf_);
        mode_ = std::move(other.mode_);
        buffer_size_ = other.buffer_size_;
        reading_ = other.reading_;
        writing_ = other.writing_;
        binary_ = other.binary_;
        timed_out_ = other.timed_out_;
    }
    return *this;
}

socket_file::~socket_file() {
    std::error_code ignored;
    close(ignored);
}

int socket_file::fileno() const noexcept { return state_ ? state_->fd.load(std::memory_order_relaxed) : -1; }

int socket_file::begin_read(std::error_code& ec) const noexcept {
    detail::clear_error(ec);
    if (!state_) {
        ec = errc::invalid_argument;  // I/O operation on closed file
        return -1;
    }
    if (!reading_) {
        ec = system_error_code(sys::err_badf);  // not open for reading
        return -1;
    }
    if (timed_out_) {
        ec = errc::stream_timed_out;
        return -1;
    }
    const int fd = state_->fd.load(std::memory_order_relaxed);
    if (fd < 0) ec = system_error_code(sys::err_badf);
    return fd;
}

int socket_file::begin_write(std::error_code& ec) const noexcept {
    detail::clear_error(ec);
    if (!state_) {
        ec = errc::invalid_argument;
        return -1;
    }
    if (!writing_) {
        ec = system_error_code(sys::err_badf);
        return -1;
    }
    const int fd = state_->fd.load(std::memory_order_relaxed);
    if (fd < 0) ec = system_error_code(sys::err_badf);
    return fd;
}

void socket_file::after_read(const std::error_code& ec) noexcept {
    if (is_timeout(ec)) timed_out_ = true;
}

std::optional<std::string> socket_file::read(std::error_code& ec) {
    detail::clear_error(ec);
    const int fd = begin_read(ec);
    if (fd < 0) return std::nullopt;
    detail::socket_source src(fd);
    detail::deadline dl(state_->timeout_ns.load(std::memory_order_relaxed));
    std::string out = detail::read_all(*state_, src, dl, ec);
    after_read(ec);
    return detail::result_or_none(std::move(out), ec);
}

std::optional<std::string> socket_file::read() {
    return detail::or_throw("read", [&](std::error_code& ec) { return read(ec); });
}

std::optional<std::string> socket_file::read(std::size_t size, std::error_code& ec) {
    detail::clear_error(ec);
    const int fd = begin_read(ec);
    if (fd < 0) return std::nullopt;
    if (size == 0) return std::string();
    detail::socket_source src(fd);
    detail::deadline dl(state_->timeout_ns.load(std::memory_order_relaxed));
    std::string out;
    if (buffer_size_ != 0) {
        out = detail::read_exact(*state_, src, size, dl, ec);
    } else {  // raw: one call, what it gives
        state_->settle();
        out.resize(std::min(size, std::max(state_->size(), detail::read_buffer::default_chunk)));
        out.resize(detail::read_some(*state_, src, reinterpret_cast<std::byte*>(out.data()), out.size(), dl, ec));
    }
    after_read(ec);
    return detail::result_or_none(std::move(out), ec);
}

std::optional<std::string> socket_file::read(std::size_t size) {
    return detail::or_throw("read", [&](std::error_code& ec) { return read(size, ec); });
}

std::optional<std::size_t> socket_file::readinto(mutable_buffer buf, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const int fd = begin_read(ec);
    if (fd < 0) return std::nullopt;
    if (buf.size() == 0) return std::size_t{0};
    detail::socket_source src(fd);
    detail::deadline dl(state_->timeout_ns.load(std::memory_order_relaxed));
    const std::size_t n = buffer_size_ != 0 ? detail::read_into(*state_, src, buf.data(), buf.size(), dl, ec)
                                            : detail::read_some(*state_, src, buf.data(), buf.size(), dl, ec);
    after_read(ec);
    std::size_t count = n;
    return detail::result_or_none(std::move(count), ec);
}

std::optional<std::size_t> socket_file::readinto(mutable_buffer buf) {
    return detail::or_throw("readinto", [&](std::error_code& ec) { return readinto(buf, ec); });
}

std::optional<std::string> socket_file::readline(std::size_t limit, std::error_code& ec) {
    detail::clear_error(ec);
    const int fd = begin_read(ec);
    if (fd < 0) return std::nullopt;
    if (limit == 0) return std::string();
    // Even unbuffered, a line is read in chunks: what comes after it stays in the socket's
    // read-ahead buffer, where every later read finds it.
    detail::socket_source src(fd);
    detail::deadline dl(state_->timeout_ns.load(std::memory_order_relaxed));
    std::string line = detail::read_line(*state_, src, limit, dl, ec);
    after_read(ec);
    return detail::result_or_none(std::move(line), ec);
}

std::optional<std::string> socket_file::readline(std::size_t limit) {
    return detail::or_throw("readline", [&](std::error_code& ec) { return readline(limit, ec); });
}

void socket_file::flush_pending(int fd, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (wbuf_.empty()) return;
    detail::socket_source src(fd);
    detail::deadline dl(state_->timeout_ns.load(std::memory_order_relaxed));
    const std::size_t sent =
        detail::write_all(src, reinterpret_cast<const std::byte*>(wbuf_.data()), wbuf_.size(), dl, ec);
    wbuf_.erase(0, sent);
    if (!ec && !wbuf_.empty()) ec = system_error_code(sys::err_again);
}

std::optional<std::size_t> socket_file::write(const_buffer data, std::error_code& ec) {
    detail::clear_error(ec);
    const int fd = begin_write(ec);
    if (fd < 0) return std::nullopt;
    if (data.size() == 0) return std::size_t{0};
    detail::socket_source src(fd);
    detail::deadline dl(state_->timeout_ns.load(std::memory_order_relaxed));
    if (buffer_size_ == 0) {  // raw: one send, as SocketIO.write
        const sys::ssize n = src.write_some(data.data(), data.size(), dl, ec);
        std::size_t count = n < 0 ? 0 : static_cast<std::size_t>(n);
        return detail::result_or_none(std::move(count), ec);
    }
    std::size_t accepted = 0;
    if (wbuf_.size() + data.size() > buffer_size_) {
        flush_pending(fd, ec);
        if (!ec && data.size() >= buffer_size_)  // large: straight out, no copy
            accepted = detail::write_all(src, data.data(), data.size(), dl, ec);
    }
    if (ec && !is_would_block(ec)) return accepted != 0 ? std::optional<std::size_t>(accepted) : std::nullopt;
    ec.clear();
    // What fits joins the buffer (all of it on a blocking socket, whose buffer was just sent).
    const std::size_t fit = std::min(data.size() - accepted, buffer_size_ - std::min(buffer_size_, wbuf_.size()));
    wbuf_.append(data.view().substr(accepted, fit));
    accepted += fit;
    if (accepted == 0) return std::nullopt;
    return accepted;
}

std::optional<std::size_t> socket_file::write(const_buffer data) {
    return detail::or_throw("write", [&](std::error_code& ec) { return write(data, ec); });
}

void socket_file::flush(std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (!state_) {
        ec = errc::invalid_argument;
        return;
    }
    if (wbuf_.empty()) return;
    const int fd = state_->fd.load(std::memory_order_relaxed);
    if (fd < 0) {
        ec = system_error_code(sys::err_badf);
        return;
    }
    flush_pending(fd, ec);
}

void socket_file::flush() {
    detail::or_throw("flush", [&](std::error_code& ec) { flush(ec); });
}

void socket_file::close(std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (!state_) return;
    flush(ec);
    wbuf_.clear();
    const std::shared_ptr<detail::read_buffer> st = std::move(state_);
    int to_close = -1;
    {
        const std::lock_guard<std::mutex> lock(st->files_mutex);
        if (--st->files == 0 && st->socket_closed) to_close = st->fd.exchange(-1);
    }
    if (to_close >= 0) {
        std::error_code e;
        if (!sys::close(to_close, e) && e.value() != sys::err_connreset && !ec) ec = e;
    }
}

void socket_file::close() {
    detail::or_throw("close", [&](std::error_code& ec) { close(ec); });
}

}  // namespace usocket
