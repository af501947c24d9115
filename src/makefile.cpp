// socket::makefile() and socket_file: CPython's socket.makefile() and its file objects, over
// the stream layer's algorithms (read_buffer.hpp) and the socket's state (socket_state.hpp).
//
// A file holds one `use` of the socket's state while it is open (so the descriptor outlives the
// socket's own close(), CPython's _io_refs), and every call holds another for its duration.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>

#include "or_throw.hpp"
#include "read_buffer.hpp"
#include "sock_call.hpp"
#include "socket_access.hpp"
#include "socket_source.hpp"
#include "usocket/socket.hpp"
#include "usocket/socket_file.hpp"

namespace usocket {

namespace detail {

struct file_impl {
    state_hold st;
    std::string mode;
    std::size_t buffer_size = 0;
    bool reading = false;
    bool writing = false;
    bool binary = true;
    std::atomic<bool> open{true};
    std::atomic<bool> timed_out{false};
    /// Serialises writes, flushes and close() of this file.
    owned_mutex write_lock;
    std::string wbuf;  ///< written, not yet sent (under write_lock)
    std::atomic<std::size_t> wbuf_size{0};

    /// The end of the file's hold on the descriptor (once).
    void let_go() noexcept {
        if (open.exchange(false)) {
            st->files.fetch_sub(1, std::memory_order_relaxed);
            st->leave();
        }
    }
    ~file_impl() { let_go(); }
};

}  // namespace detail

namespace {

using detail::file_impl;

// One call on a file: the file open, the descriptor still ours, the call held in flight.
class file_call {
public:
    file_call(file_impl* f, bool for_writing, std::error_code& ec) noexcept : f_(f) {
        if (f_ == nullptr || !f_->open.load(std::memory_order_acquire)) {
            ec = errc::file_closed;  // I/O operation on closed file
            return;
        }
        if (for_writing ? !f_->writing : !f_->reading) {
            ec = detail::bad_descriptor();  // not open for reading / writing
            return;
        }
        if (!for_writing && f_->timed_out.load(std::memory_order_relaxed)) {
            ec = errc::stream_timed_out;
            return;
        }
        if (!f_->st->enter_for_file()) {
            ec = detail::bad_descriptor();  // the socket gave its descriptor away (detach)
            return;
        }
        entered_ = true;
    }
    file_call(const file_call&) = delete;
    file_call& operator=(const file_call&) = delete;
    ~file_call() {
        if (entered_) f_->st->leave();
    }
    explicit operator bool() const noexcept { return entered_; }
    detail::socket_state& st() const noexcept { return *f_->st.get(); }
    detail::deadline deadline() const noexcept { return detail::call_deadline(st()); }

private:
    file_impl* f_;
    bool entered_ = false;
};

// A read of a file: under the socket's read lock, one deadline; a timeout makes the file refuse
// later reads (as CPython's SocketIO).
template <class Read>
auto file_read(file_impl* f, std::error_code& ec, Read&& read)
    -> std::optional<decltype(read(std::declval<detail::read_buffer&>(), std::declval<detail::socket_source&>(),
                                   std::declval<detail::deadline&>()))> {
    const file_call call(f, false, ec);
    if (!call) return std::nullopt;
    if (call.st().read_lock.held_here()) [[unlikely]] {
        ec = errc::reentrant_call;
        return std::nullopt;
    }
    detail::socket_source src(call.st(), detail::caller::file);
    detail::deadline dl = call.deadline();
    const std::lock_guard<detail::read_mutex> lock(call.st().read_lock);
    auto r = read(call.st().rb, src, dl);
    call.st().publish();
    if (is_timeout(ec)) f->timed_out.store(true, std::memory_order_relaxed);
    return detail::result_or_none(std::move(r), ec);
}

// Sends the write buffer (write_lock held): what is not sent stays for the next flush.
void flush_locked(file_impl& f, detail::socket_state& st, std::error_code& ec) noexcept {
    if (f.wbuf.empty()) return;
    detail::socket_source src(st, detail::caller::file);
    detail::deadline dl = detail::call_deadline(st);
    const std::size_t sent =
        detail::write_all(src, reinterpret_cast<const std::byte*>(f.wbuf.data()), f.wbuf.size(), dl, ec);
    f.wbuf.erase(0, sent);
    f.wbuf_size.store(f.wbuf.size(), std::memory_order_relaxed);
    if (!ec && !f.wbuf.empty()) ec = sys::make_error(sys::err_again);
}

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
            ec = errc::bad_mode;
            return {};
        }
    }
    if (buffering == 0 && !b) {
        ec = errc::unbuffered_text;
        return {};
    }
    // The read buffer is made now, as CPython's BufferedReader does: a size no memory can hold
    // fails here (ENOMEM, MemoryError in Python), not in every later read of the socket. A
    // size from 1 TiB up fails for writing too (no machine holds it).
    constexpr std::uint64_t largest_buffer = std::uint64_t{1} << 40;
    if (buffering > 0 && static_cast<std::uint64_t>(buffering) >= largest_buffer) {
        ec = sys::make_error(sys::err_nomem);
        return {};
    }
    detail::socket_state* st = state();
    if (st == nullptr || !st->enter()) {  // the file's hold on the descriptor, released by its close()
        ec = detail::bad_descriptor();
        return {};
    }
    st->files.fetch_add(1, std::memory_order_relaxed);
    auto f = std::unique_ptr<file_impl>(new (std::nothrow) file_impl);
    if (!f) {
        st->files.fetch_sub(1, std::memory_order_relaxed);
        st->leave();
        ec = sys::make_error(sys::err_nomem);
        return {};
    }
    f->st = detail::state_hold(st);
    f->mode = mode;
    f->reading = r || !w;
    f->writing = w;
    f->binary = b;
    f->buffer_size = buffering < 0 ? detail::read_buffer::default_chunk : static_cast<std::size_t>(buffering);
    if (f->reading && f->buffer_size != 0) {
        if (st->read_lock.held_here()) [[unlikely]] {
            ec = errc::reentrant_call;  // the file's hold goes with it
            return {};
        }
        const std::lock_guard<detail::read_mutex> lock(st->read_lock);
        st->rb.settle();
        if (f->buffer_size > st->rb.capacity && !st->rb.reserve_tail(f->buffer_size - st->rb.size())) {
            ec = sys::make_error(sys::err_nomem);  // the file's hold goes with it
            return {};
        }
        st->rb.chunk = f->buffer_size;
        st->rb.grows = buffering < 0;  // a size the caller chose stays
    }
    return socket_file(std::move(f));
}

socket_file socket::makefile(std::error_code& ec) { return makefile("rb", -1, ec); }

socket_file socket::makefile(std::string_view mode, std::ptrdiff_t buffering) {
    return detail::or_throw([&] { return "makefile(mode='" + std::string(mode) + "')"; },
                            [&](std::error_code& ec) { return makefile(mode, buffering, ec); });
}

// --- socket_file ----------------------------------------------------------------------------

socket_file::socket_file() noexcept = default;
socket_file::socket_file(std::unique_ptr<detail::file_impl> impl) noexcept : impl_(std::move(impl)) {}
socket_file::socket_file(socket_file&&) noexcept = default;

socket_file& socket_file::operator=(socket_file&& other) noexcept {
    if (this != &other) {
        std::error_code ignored;
        close(ignored);  // flush what this file still holds before it goes
        impl_ = std::move(other.impl_);
    }
    return *this;
}

socket_file::~socket_file() {
    std::error_code ignored;
    close(ignored);
}

bool socket_file::closed() const noexcept { return !impl_ || !impl_->open.load(std::memory_order_acquire); }
bool socket_file::readable() const noexcept { return impl_ && impl_->reading; }
bool socket_file::writable() const noexcept { return impl_ && impl_->writing; }
bool socket_file::binary() const noexcept { return !impl_ || impl_->binary; }
std::size_t socket_file::buffer_size() const noexcept { return impl_ ? impl_->buffer_size : 0; }
std::string socket_file::mode() const { return impl_ ? impl_->mode : std::string(); }
std::size_t socket_file::pending() const noexcept { return impl_ ? impl_->wbuf_size.load(std::memory_order_relaxed) : 0; }

native_handle socket_file::fileno() const noexcept {
    if (closed() || impl_->st->released()) return invalid_handle;
    return impl_->st->fd;
}

std::optional<std::string> socket_file::read(std::error_code& ec) {
    detail::clear_error(ec);
    return file_read(impl_.get(), ec, [&](detail::read_buffer& rb, detail::socket_source& src, detail::deadline& dl) {
        return detail::read_all(rb, src, dl, ec);
    });
}

std::optional<std::string> socket_file::read() {
    return detail::or_throw("read", [&](std::error_code& ec) { return read(ec); });
}

std::optional<std::string> socket_file::read(std::size_t size, std::error_code& ec) {
    detail::clear_error(ec);
    const bool buffered = impl_ && impl_->buffer_size != 0;
    return file_read(impl_.get(), ec, [&](detail::read_buffer& rb, detail::socket_source& src, detail::deadline& dl) {
        std::string out;
        if (size == 0) return out;
        if (buffered) return detail::read_exact(rb, src, size, dl, ec);
        // raw: one call, what it gives
        rb.settle();
        out.resize(std::min(size, std::max(rb.size(), detail::read_buffer::default_chunk)));
        out.resize(detail::read_some(rb, src, reinterpret_cast<std::byte*>(out.data()), out.size(), dl, ec));
        return out;
    });
}

std::optional<std::string> socket_file::read(std::size_t size) {
    return detail::or_throw("read", [&](std::error_code& ec) { return read(size, ec); });
}

std::optional<std::size_t> socket_file::readinto(mutable_buffer buf, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const bool buffered = impl_ && impl_->buffer_size != 0;
    return file_read(impl_.get(), ec, [&](detail::read_buffer& rb, detail::socket_source& src, detail::deadline& dl) {
        if (buf.size() == 0) return std::size_t{0};
        return buffered ? detail::read_into(rb, src, buf.data(), buf.size(), dl, ec)
                        : detail::read_some(rb, src, buf.data(), buf.size(), dl, ec);
    });
}

std::optional<std::size_t> socket_file::readinto(mutable_buffer buf) {
    return detail::or_throw("readinto", [&](std::error_code& ec) { return readinto(buf, ec); });
}

std::optional<std::string> socket_file::readline(std::size_t limit, std::error_code& ec) {
    detail::clear_error(ec);
    // Even unbuffered, a line is read in chunks: what comes after it stays in the socket's
    // read-ahead buffer, where every later read finds it.
    return file_read(impl_.get(), ec, [&](detail::read_buffer& rb, detail::socket_source& src, detail::deadline& dl) {
        if (limit == 0) return std::string();
        return detail::read_line(rb, src, limit, dl, ec);
    });
}

std::optional<std::string> socket_file::readline(std::error_code& ec) { return readline(no_limit, ec); }

std::optional<std::string> socket_file::readline(std::size_t limit) {
    return detail::or_throw("readline", [&](std::error_code& ec) { return readline(limit, ec); });
}

std::optional<std::size_t> socket_file::write(const_buffer data, std::error_code& ec) {
    detail::clear_error(ec);
    file_impl* f = impl_.get();
    const file_call call(f, true, ec);
    if (!call) return std::nullopt;
    if (data.size() == 0) return std::size_t{0};
    detail::socket_source src(call.st(), detail::caller::file);
    detail::deadline dl = call.deadline();
    if (f->buffer_size == 0) {  // raw: one send, as SocketIO.write
        const sys::ssize n = src.write_some(data.data(), data.size(), dl, ec);
        std::size_t count = n < 0 ? 0 : static_cast<std::size_t>(n);
        return detail::result_or_none(std::move(count), ec);
    }
    if (f->write_lock.held_here()) [[unlikely]] {
        ec = errc::reentrant_call;
        return std::nullopt;
    }
    const std::lock_guard<detail::owned_mutex> lock(f->write_lock);
    std::size_t accepted = 0;
    if (f->wbuf.size() + data.size() > f->buffer_size) {
        flush_locked(*f, call.st(), ec);
        if (!ec && data.size() >= f->buffer_size)  // large: straight out, no copy
            accepted = detail::write_all(src, data.data(), data.size(), dl, ec);
    }
    if (ec && !is_would_block(ec)) return accepted != 0 ? std::optional<std::size_t>(accepted) : std::nullopt;
    ec.assign(0, ec.category());
    // What fits joins the buffer (all of it on a blocking socket, whose buffer was just sent).
    const std::size_t room = f->buffer_size - std::min(f->buffer_size, f->wbuf.size());
    const std::size_t fit = std::min(data.size() - accepted, room);
    f->wbuf.append(data.view().substr(accepted, fit));
    f->wbuf_size.store(f->wbuf.size(), std::memory_order_relaxed);
    accepted += fit;
    if (accepted == 0) return std::nullopt;
    return accepted;
}

std::optional<std::size_t> socket_file::write(const_buffer data) {
    return detail::or_throw("write", [&](std::error_code& ec) { return write(data, ec); });
}

void socket_file::flush(std::error_code& ec) noexcept {
    detail::clear_error(ec);
    file_impl* f = impl_.get();
    if (f == nullptr || !f->open.load(std::memory_order_acquire)) {
        ec = errc::file_closed;
        return;
    }
    if (f->wbuf_size.load(std::memory_order_relaxed) == 0) return;
    const file_call call(f, true, ec);
    if (!call) return;
    if (f->write_lock.held_here()) [[unlikely]] {
        ec = errc::reentrant_call;
        return;
    }
    const std::lock_guard<detail::owned_mutex> lock(f->write_lock);
    flush_locked(*f, call.st(), ec);
}

void socket_file::flush() {
    detail::or_throw("flush", [&](std::error_code& ec) { flush(ec); });
}

void socket_file::close(std::error_code& ec) noexcept {
    detail::clear_error(ec);
    file_impl* f = impl_.get();
    if (f == nullptr || !f->open.load(std::memory_order_acquire)) return;
    if (f->write_lock.held_here()) [[unlikely]] {
        ec = errc::reentrant_call;  // inside a write of this file: nothing changes
        return;
    }
    if (f->writing) flush(ec);
    {
        const std::lock_guard<detail::owned_mutex> lock(f->write_lock);
        f->wbuf.clear();
        f->wbuf_size.store(0, std::memory_order_relaxed);
    }
    f->let_go();  // the last file of a closed socket closes the descriptor here
}

void socket_file::close() {
    detail::or_throw("close", [&](std::error_code& ec) { close(ec); });
}

}  // namespace usocket
