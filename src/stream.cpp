// The stream layer: the buffered algorithms over a byte_source (read_buffer.hpp), the socket's
// MicroPython stream methods (read, readinto, readline, write) and socket_streambuf.

#include "usocket/stream.hpp"

#include <algorithm>
#include <limits>
#include <mutex>
#include <utility>

#include "or_throw.hpp"
#include "read_buffer.hpp"
#include "sock_call.hpp"
#include "socket_access.hpp"
#include "socket_source.hpp"
#include "stream_hold.hpp"

namespace usocket {

namespace {

std::error_code out_of_memory() noexcept { return sys::make_error(sys::err_nomem); }

// Resizes a result string; false when memory fails (the string unchanged). Without exceptions
// std::string's allocation failure aborts, as everywhere else.
bool resize_result(std::string& s, std::size_t n) noexcept {
#if USOCKET_HAS_EXCEPTIONS
    try {
        s.resize(n);
    } catch (...) {
        return false;
    }
#else
    s.resize(n);
#endif
    return true;
}

}  // namespace

namespace detail {

// --- the buffer -----------------------------------------------------------------------------

bool read_buffer::reserve_tail(std::size_t n) noexcept {
    if (capacity - end >= n) return true;
    const std::size_t used = size();
    if (capacity - used >= n) {  // enough room once the unread bytes move to the front
        std::memmove(data.get(), data.get() + begin, used);
        begin = 0;
        end = used;
        return true;
    }
    const std::size_t wanted = std::max({capacity * 2, used + n, chunk});
    std::unique_ptr<std::byte[]> grown(new (std::nothrow) std::byte[wanted]);
    if (!grown) return false;
    if (used != 0) std::memcpy(grown.get(), data.get() + begin, used);
    data = std::move(grown);
    capacity = wanted;
    begin = 0;
    end = used;
    return true;
}

bool read_buffer::unread(const std::byte* bytes, std::size_t n) noexcept {
    if (n == 0) return true;
    if (begin < n) {
        const std::size_t used = size();
        if (capacity - used < n) {
            const std::size_t wanted = std::max(used + n, chunk);
            std::unique_ptr<std::byte[]> grown(new (std::nothrow) std::byte[wanted]);
            if (!grown) return false;
            if (used != 0) std::memcpy(grown.get() + n, data.get() + begin, used);
            data = std::move(grown);
            capacity = wanted;
        } else if (used != 0) {
            std::memmove(data.get() + n, data.get() + begin, used);
        }
        begin = n;
        end = n + used;
    }
    begin -= n;
    std::memcpy(data.get() + begin, bytes, n);
    return true;
}

// --- the algorithms -------------------------------------------------------------------------

sys::ssize fill(read_buffer& rb, byte_source& src, deadline& dl, std::error_code& ec) noexcept {
    // Half a chunk of room is enough to refill without growing: the buffer grows only for a
    // line (or a read) longer than itself.
    if (!rb.reserve_tail(std::max<std::size_t>(rb.chunk / 2, 1))) {
        ec = out_of_memory();
        return -1;
    }
    const std::size_t room = rb.capacity - rb.end;
    const sys::ssize n = src.read_some(rb.data.get() + rb.end, room, dl, ec);
    if (n > 0) {
        rb.end += static_cast<std::size_t>(n);
        // All the room taken: more is likely waiting, so the stream flows faster than refills of
        // this size carry it. The buffer follows on the next refill that needs room.
        if (static_cast<std::size_t>(n) == room && rb.grows && rb.chunk < sys::max_read_chunk) rb.chunk *= 2;
    } else {
        rb.trim();  // nothing came (the end, would-block, a timeout): an empty buffer goes back
    }
    return n;
}

namespace {
// A read that failed after copying `got` bytes out to `out`: a non-blocking read that ran dry
// keeps what it has (true: return it, no error); a timeout or an error gives the bytes back
// to the buffer, to be read again (false: return nothing, `ec` stands).
bool keep_partial_or_give_back(read_buffer& rb, const std::byte* out, std::size_t got, std::error_code& ec) noexcept {
    if (got != 0 && is_would_block(ec)) {
        ec.assign(0, ec.category());
        return true;
    }
    if (!rb.unread(out, got)) ec = out_of_memory();
    return false;
}

// After a refill that did not deliver: true when the caller should stop and return what is
// buffered (the end of the stream, or a non-blocking read that has something). Otherwise the
// error stands and the bytes stay buffered.
bool deliver_what_we_have(sys::ssize n, const read_buffer& rb, std::error_code& ec) noexcept {
    if (n == 0 || (rb.size() != 0 && is_would_block(ec))) {
        ec.clear();
        return true;
    }
    return false;
}
}  // namespace

std::string read_line(read_buffer& rb, byte_source& src, std::size_t limit, deadline& dl, std::error_code& ec) {
    rb.settle();
    std::string line;
    std::size_t scanned = 0;  // bytes already searched for '\n', so a refill never rescans
    for (;;) {
        const std::size_t avail = std::min(rb.size(), limit);
        if (avail > scanned) {
            if (const void* nl = std::memchr(rb.head() + scanned, '\n', avail - scanned)) {
                rb.take_into(line, static_cast<std::size_t>(static_cast<const std::byte*>(nl) - rb.head()) + 1);
                rb.trim();
                return line;
            }
        }
        if (avail == limit) break;
        scanned = avail;
        const sys::ssize n = fill(rb, src, dl, ec);
        if (n > 0) {
            // Part of a line came: a signal may be waiting for its handler (the bytes stay
            // buffered when it raises).
            if (interrupted_after_progress(ec)) return line;
            continue;
        }
        if (!deliver_what_we_have(n, rb, ec)) return line;
        break;
    }
    rb.take_into(line, std::min(rb.size(), limit));
    rb.trim();
    return line;
}

std::size_t read_into(read_buffer& rb, byte_source& src, std::byte* out, std::size_t n, deadline& dl,
                      std::error_code& ec) noexcept {
    std::size_t got = rb.take(out, n, false);
    while (got < n) {
        const std::size_t want = n - got;
        sys::ssize r;
        if (want < rb.chunk) {  // a small read: one refill serves this call and the next ones
            r = fill(rb, src, dl, ec);
            if (r > 0) got += rb.take(out + got, want, false);
        } else {  // a large one goes straight to the caller's memory
            r = src.read_some(out + got, want, dl, ec);
            if (r > 0) got += static_cast<std::size_t>(r);
        }
        if (r > 0) {
            // Progress short of the whole: a signal may be waiting for its handler (when it
            // raises, the bytes go back to the buffer with the error).
            if (got == n || !interrupted_after_progress(ec)) continue;
        } else if (r == 0) {
            break;
        }
        if (keep_partial_or_give_back(rb, out, got, ec)) break;
        return 0;
    }
    rb.trim();
    return got;
}

std::string read_exact(read_buffer& rb, byte_source& src, std::size_t n, deadline& dl, std::error_code& ec) {
    rb.settle();
    std::string out;
    if (rb.size() >= n) {
        rb.take_into(out, n);
        rb.trim();
        return out;
    }
    // The result grows as the bytes come, so read(huge) on a short stream stays small.
    std::size_t got = 0;
    while (got < n) {
        if (got == out.size()) {
            const std::size_t next = std::max({out.size() * 2, rb.size(), rb.chunk, std::size_t{64} * 1024});
            if (!resize_result(out, std::min(n, next))) {
                ec = out_of_memory();
                static_cast<void>(keep_partial_or_give_back(rb, reinterpret_cast<const std::byte*>(out.data()), got, ec));
                return {};
            }
        }
        const std::size_t r =
            read_into(rb, src, reinterpret_cast<std::byte*>(out.data()) + got, out.size() - got, dl, ec);
        if (!ec) {
            got += r;
            if (got < out.size()) break;  // the end of the stream, or a non-blocking read ran dry
            if (got == n || !interrupted_after_progress(ec)) continue;
        }
        if (keep_partial_or_give_back(rb, reinterpret_cast<const std::byte*>(out.data()), got, ec)) break;
        return {};
    }
    out.resize(got);
    return out;
}

std::size_t read_all(read_buffer& rb, byte_source& src, growable& out, deadline& dl, std::error_code& ec) noexcept {
    rb.settle();
    std::byte* data = nullptr;
    std::size_t room = 0;
    std::size_t got = 0;
    for (;;) {
        if (got == room) {
            const std::size_t more = std::max({room * 2, rb.size(), rb.chunk});
            std::byte* grown = out.grow(more);
            if (grown == nullptr) {
                ec = out_of_memory();
                static_cast<void>(rb.unread(data, got));  // when even that fails, the error is the same
                return 0;
            }
            data = grown;
            room = more;
        }
        const std::size_t r = read_some(rb, src, data + got, room - got, dl, ec);
        if (!ec) {
            if (r == 0) break;
            got += r;
            // A signal may be waiting for its handler: when it raises, every byte goes back.
            if (!interrupted_after_progress(ec)) continue;
        }
        if (keep_partial_or_give_back(rb, data, got, ec)) break;
        return 0;
    }
    rb.trim();
    return got;
}

std::string read_all(read_buffer& rb, byte_source& src, deadline& dl, std::error_code& ec) {
    struct to_string final : growable {
        std::string s;
        std::byte* grow(std::size_t n) noexcept override {
            return resize_result(s, n) ? reinterpret_cast<std::byte*>(s.data()) : nullptr;
        }
    } out;
    out.s.resize(read_all(rb, src, out, dl, ec));
    return std::move(out.s);
}

std::size_t read_some(read_buffer& rb, byte_source& src, std::byte* out, std::size_t n, deadline& dl,
                      std::error_code& ec) noexcept {
    if (n == 0) return 0;
    if (!rb.empty()) {
        const std::size_t got = rb.take(out, n, false);
        rb.trim();
        return got;
    }
    const sys::ssize r = src.read_some(out, n, dl, ec);
    return r < 0 ? 0 : static_cast<std::size_t>(r);
}

std::size_t write_all(byte_source& src, const std::byte* data, std::size_t n, deadline& dl,
                      std::error_code& ec) noexcept {
    std::size_t sent = 0;
    while (sent < n) {
        const sys::ssize r = src.write_some(data + sent, n - sent, dl, ec);
        if (r <= 0) {
            if (sent != 0 && is_would_block(ec)) ec.assign(0, ec.category());
            break;
        }
        sent += static_cast<std::size_t>(r);
        if (sent < n) {
            if (interrupted_after_progress(ec)) break;
            if (src.gone()) {
                ec = bad_descriptor();
                break;
            }
        }
    }
    return sent;
}

}  // namespace detail

// --- the socket's stream methods (seed 001) ---------------------------------------------------

namespace {
// One stream read of a socket: the call held in flight, one deadline from the socket's timeout
// for the whole call, the read lock (stream reads are serialised), and would-block with nothing
// as "none".
template <class Read>
auto stream_read(detail::socket_state* st, std::error_code& ec, Read&& read)
    -> std::optional<decltype(read(std::declval<detail::read_buffer&>(), std::declval<detail::socket_source&>(),
                                   std::declval<detail::deadline&>()))> {
    const detail::use_guard use(st);
    if (!use) {
        ec = detail::bad_descriptor();
        return std::nullopt;
    }
    if (st->read_lock.held_here()) [[unlikely]] {
        ec = errc::reentrant_call;
        return std::nullopt;
    }
    detail::socket_source src(*st, detail::caller::socket);
    detail::deadline dl = detail::call_deadline(*st);
    const std::lock_guard<detail::read_mutex> lock(st->read_lock);
    // The buffered count is published however the read ends, a std::bad_alloc included: a
    // stale count would hide buffered bytes from select() and recv().
    struct publish_at_end {
        detail::socket_state& st;
        explicit publish_at_end(detail::socket_state& s) noexcept : st(s) {}
        publish_at_end(const publish_at_end&) = delete;
        publish_at_end& operator=(const publish_at_end&) = delete;
        ~publish_at_end() { st.publish(); }
    } const published{*st};
    auto r = read(st->rb, src, dl);
    return detail::result_or_none(std::move(r), ec);
}

// A read of nothing: answered at once on an open socket, without waiting for the read lock
// another thread's read holds.
template <class T>
std::optional<T> read_nothing(detail::socket_state* st, std::error_code& ec) noexcept {
    const detail::use_guard use(st);
    if (!use) {
        ec = detail::bad_descriptor();
        return std::nullopt;
    }
    return T{};
}
}  // namespace

std::optional<std::string> socket::read(std::error_code& ec) {
    detail::clear_error(ec);
    return stream_read(state(), ec, [&](detail::read_buffer& rb, detail::socket_source& src, detail::deadline& dl) {
        return detail::read_all(rb, src, dl, ec);
    });
}

std::optional<std::size_t> detail::read_to_end(const socket& s, growable& out, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    return stream_read(socket_access::state(s), ec,
                       [&](detail::read_buffer& rb, detail::socket_source& src, detail::deadline& dl) {
                           return detail::read_all(rb, src, out, dl, ec);
                       });
}

bool detail::give_back(const socket& s, const std::byte* data, std::size_t n) noexcept {
    detail::socket_state* st = socket_access::state(s);
    const detail::use_guard use(st);
    if (!use || st->read_lock.held_here()) return false;
    const std::lock_guard<detail::read_mutex> lock(st->read_lock);
    const bool kept = st->rb.unread(data, n);
    st->publish();
    return kept;
}

std::optional<std::string> socket::read() {
    return detail::or_throw("read", [&](std::error_code& ec) { return read(ec); });
}

std::optional<std::string> socket::read(std::size_t size, std::error_code& ec) {
    detail::clear_error(ec);
    if (size > detail::max_io_size) {
        ec = errc::size_too_large;
        return std::nullopt;
    }
    if (size == 0) return read_nothing<std::string>(state(), ec);
    return stream_read(state(), ec, [&](detail::read_buffer& rb, detail::socket_source& src, detail::deadline& dl) {
        return detail::read_exact(rb, src, size, dl, ec);
    });
}

std::optional<std::string> socket::read(std::size_t size) {
    return detail::or_throw("read", [&](std::error_code& ec) { return read(size, ec); });
}

std::optional<std::size_t> socket::readinto(mutable_buffer buf, std::size_t nbytes, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (nbytes > buf.size()) {
        ec = errc::buffer_too_small;
        return std::nullopt;
    }
    if (nbytes == 0) nbytes = buf.size();
    if (nbytes == 0) return read_nothing<std::size_t>(state(), ec);
    return stream_read(state(), ec, [&](detail::read_buffer& rb, detail::socket_source& src, detail::deadline& dl) {
        return detail::read_into(rb, src, buf.data(), nbytes, dl, ec);
    });
}

std::optional<std::size_t> socket::readinto(mutable_buffer buf, std::error_code& ec) noexcept {
    return readinto(buf, 0, ec);
}

std::optional<std::size_t> socket::readinto(mutable_buffer buf, std::size_t nbytes) {
    return detail::or_throw("readinto", [&](std::error_code& ec) { return readinto(buf, nbytes, ec); });
}

std::optional<std::string> socket::readline(std::size_t limit, std::error_code& ec) {
    detail::clear_error(ec);
    if (limit == 0) return read_nothing<std::string>(state(), ec);
    return stream_read(state(), ec, [&](detail::read_buffer& rb, detail::socket_source& src, detail::deadline& dl) {
        return detail::read_line(rb, src, limit, dl, ec);
    });
}

std::optional<std::string> socket::readline(std::error_code& ec) { return readline(no_limit, ec); }

std::optional<std::string> socket::readline(std::size_t limit) {
    return detail::or_throw("readline", [&](std::error_code& ec) { return readline(limit, ec); });
}

std::optional<std::size_t> socket::write(const_buffer data, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    detail::socket_state* st = state();
    const detail::use_guard use(st);
    if (!use) {
        ec = detail::bad_descriptor();
        return std::nullopt;
    }
    if (data.size() == 0) return std::size_t{0};
    detail::socket_source src(*st, detail::caller::socket);
    detail::deadline dl = detail::call_deadline(*st);
    const std::size_t sent = detail::write_all(src, data.data(), data.size(), dl, ec);
    if (sent != 0) return sent;  // with `ec` set when an error stopped it
    if (is_would_block(ec)) ec.assign(0, ec.category());
    return std::nullopt;
}

std::optional<std::size_t> socket::write(const_buffer data) {
    return detail::or_throw("write", [&](std::error_code& ec) { return write(data, ec); });
}

// --- the holds on a socket's state ------------------------------------------------------------

detail::state_hold::state_hold(socket_state* st) noexcept : st_(st) {
    if (st_ != nullptr) st_->retain();
}

void detail::state_hold::reset() noexcept {
    if (st_ != nullptr) std::exchange(st_, nullptr)->release();
}

// --- socket_streambuf -------------------------------------------------------------------------

socket_streambuf::socket_streambuf(const socket& s, std::size_t put_size)
    : st_(socket_access::state(s)), put_(put_size != 0 ? new char[put_size] : nullptr), put_size_(put_size) {
    setp(put_.get(), put_.get() + put_size_);
}

socket_streambuf::socket_streambuf(socket_streambuf&& other) noexcept
    : std::streambuf(other),  // the get and put pointers
      st_(std::move(other.st_)),
      put_(std::move(other.put_)),
      put_size_(std::exchange(other.put_size_, 0)),
      error_(other.error_) {
    other.setg(nullptr, nullptr, nullptr);
    other.setp(nullptr, nullptr);
    if (detail::socket_state* st = st_.get(); st != nullptr) {
        const detail::read_step step(st->read_lock);
        if (st->rb.settle_owner == &other) st->rb.settle_owner = this;
    }
}

socket_streambuf& socket_streambuf::operator=(socket_streambuf&& other) noexcept {
    if (this != &other) {
        std::error_code ignored;
        flush_put(ignored);
        detach_get_area();
        std::streambuf::operator=(other);
        st_ = std::move(other.st_);
        put_ = std::move(other.put_);
        put_size_ = std::exchange(other.put_size_, 0);
        error_ = other.error_;
        other.setg(nullptr, nullptr, nullptr);
        other.setp(nullptr, nullptr);
        if (detail::socket_state* st = st_.get(); st != nullptr) {
            const detail::read_step step(st->read_lock);
            if (st->rb.settle_owner == &other) st->rb.settle_owner = this;
        }
    }
    return *this;
}

socket_streambuf::~socket_streambuf() {
    std::error_code ignored;
    flush_put(ignored);
    detach_get_area();
}

// Commits what the get area consumed and stops lying over the socket's buffer.
void socket_streambuf::detach_get_area() noexcept {
    detail::socket_state* st = st_.get();
    if (st == nullptr) return;
    const detail::read_step step(st->read_lock);
    if (st->rb.settle_owner == this) {
        st->rb.settle();
        st->rb.settle_fn = nullptr;
        st->rb.settle_owner = nullptr;
        st->publish();
    }
}

// The get area lies over the socket's read buffer; the buffer calls this (under its read lock)
// before anyone else touches it, and the bytes this stream consumed are consumed there too.
void socket_streambuf::settle_hook(void* self) noexcept {
    auto* sb = static_cast<socket_streambuf*>(self);
    if (sb->eback() == nullptr) return;
    sb->st_->rb.consume(static_cast<std::size_t>(sb->gptr() - sb->eback()));
    sb->setg(nullptr, nullptr, nullptr);
}

socket_streambuf::int_type socket_streambuf::fail(const std::error_code& ec) {
    error_ = ec;
#if USOCKET_HAS_EXCEPTIONS
    // std::istream / std::ostream catch this, set badbit and rethrow it when exceptions()
    // asks for badbit.
    throw_error(ec, "socket stream");
#else
    return traits_type::eof();
#endif
}

std::size_t socket_streambuf::write_now(const char* data, std::size_t n, std::error_code& ec) noexcept {
    detail::socket_state* st = st_.get();
    const detail::use_guard use(st);
    if (!use) {
        ec = detail::bad_descriptor();
        return 0;
    }
    detail::socket_source src(*st, detail::caller::socket);
    detail::deadline dl = detail::call_deadline(*st);
    const std::size_t sent = detail::write_all(src, reinterpret_cast<const std::byte*>(data), n, dl, ec);
    if (!ec && sent < n) ec = sys::make_error(sys::err_again);
    return sent;
}

bool socket_streambuf::flush_put(std::error_code& ec) noexcept {
    detail::clear_error(ec);
    const std::size_t pending = static_cast<std::size_t>(pptr() - pbase());
    if (pending == 0) return true;
    const std::size_t sent = write_now(pbase(), pending, ec);
    // What was not sent stays at the front of the put area, to go with the next flush.
    std::memmove(pbase(), pbase() + sent, pending - sent);
    setp(pbase(), epptr());
    pbump(static_cast<int>(pending - sent));
    return !ec;
}

socket_streambuf::int_type socket_streambuf::underflow() {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    std::error_code ec;
    // A request written and then its answer read: the request leaves first.
    if (!flush_put(ec)) return fail(ec);
    detail::socket_state* st = st_.get();
    const detail::use_guard use(st);
    if (!use) return fail(detail::bad_descriptor());
    if (st->read_lock.held_here()) [[unlikely]]
        return fail(errc::reentrant_call);
    const detail::read_step step(st->read_lock);
    detail::read_buffer& rb = st->rb;
    rb.settle();  // commits what this stream (or another one) consumed
    rb.settle_fn = &settle_hook;
    rb.settle_owner = this;
    if (rb.size() == 0) {
        detail::socket_source src(*st, detail::caller::socket);
        detail::deadline dl = detail::call_deadline(*st);
        const sys::ssize n = detail::fill(rb, src, dl, ec);
        st->publish();
        if (n == 0) return traits_type::eof();
        if (n < 0) return fail(ec);
    }
    char* first = reinterpret_cast<char*>(rb.data.get() + rb.begin);
    setg(first, first, reinterpret_cast<char*>(rb.data.get() + rb.end));
    return traits_type::to_int_type(*gptr());
}

socket_streambuf::int_type socket_streambuf::overflow(int_type ch) {
    std::error_code ec;
    if (!flush_put(ec)) return fail(ec);
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    const char c = traits_type::to_char_type(ch);
    if (put_size_ == 0) {  // unbuffered: the character goes now
        if (write_now(&c, 1, ec) != 1) return fail(ec);
        return ch;
    }
    *pptr() = c;
    pbump(1);
    return ch;
}

std::streamsize socket_streambuf::xsputn(const char_type* s, std::streamsize count) {
    const auto n = static_cast<std::size_t>(count);
    if (n == 0) return 0;
    if (n <= static_cast<std::size_t>(epptr() - pptr())) {
        std::memcpy(pptr(), s, n);
        pbump(static_cast<int>(n));
        return count;
    }
    std::error_code ec;
    if (!flush_put(ec)) {
        fail(ec);
        return 0;
    }
    if (n < put_size_) {
        std::memcpy(pptr(), s, n);
        pbump(static_cast<int>(n));
        return count;
    }
    // Larger than the put area: straight to the socket, no copy.
    const std::size_t sent = write_now(s, n, ec);
    if (ec) {
        fail(ec);
        return static_cast<std::streamsize>(sent);
    }
    return count;
}

int socket_streambuf::sync() {
    // Never throws: std::ostream::flush turns -1 into badbit (and its exceptions() rule).
    if (detail::socket_state* st = st_.get(); st != nullptr && st->rb.settle_owner == this) {
        const detail::read_step step(st->read_lock);
        st->rb.settle();
        st->publish();
    }
    std::error_code ec;
    if (flush_put(ec)) return 0;
    error_ = ec;
    return -1;
}

std::streamsize socket_streambuf::showmanyc() {
    detail::socket_state* st = st_.get();
    if (st == nullptr) return -1;
    const detail::read_step step(st->read_lock);
    st->rb.settle();
    st->publish();
    return static_cast<std::streamsize>(st->rb.size());
}

// --- socket_iostream ----------------------------------------------------------------------------

socket_iostream::socket_iostream(socket&& s, std::size_t put_size)
    : std::iostream(nullptr), sock_(std::move(s)), buf_(sock_, put_size) {
    std::iostream::rdbuf(&buf_);
}

socket_iostream::socket_iostream(const socket& s, std::size_t put_size)
    : std::iostream(nullptr), buf_(s, put_size) {
    std::iostream::rdbuf(&buf_);
}

socket_iostream::socket_iostream(socket_iostream&& other) noexcept
    : std::iostream(std::move(other)), sock_(std::move(other.sock_)), buf_(std::move(other.buf_)) {
    std::iostream::set_rdbuf(&buf_);
}

socket_iostream& socket_iostream::operator=(socket_iostream&& other) noexcept {
    if (this != &other) {
        buf_ = std::move(other.buf_);  // flushes and lets go of this stream's connection first
        sock_ = std::move(other.sock_);
        std::iostream::operator=(std::move(other));
        std::iostream::set_rdbuf(&buf_);
    }
    return *this;
}

socket_iostream::~socket_iostream() = default;

}  // namespace usocket
