// The engine-neutral half of a TLS connection (session.hpp).

#include "session.hpp"

#include <algorithm>
#include <cstring>
#include <new>

#include "sock_call.hpp"
#include "socket_access.hpp"

namespace usocket::tls::detail {

namespace {
std::error_code tls_error(errc e) noexcept { return make_error_code(e); }
}  // namespace

// --- tls_io ------------------------------------------------------------------------------------

bool tls_io::preload(const std::byte* data, std::size_t size) noexcept {
    USOCKET_TLS_TRY {
        pre_.append(reinterpret_cast<const char*>(data), size);
    } USOCKET_TLS_CATCH_ALL {
        return false;
    }
    return true;
}

long tls_io::recv(void* data, std::size_t size) noexcept {
    if (size == 0) return 0;
    if (pre_pos_ < pre_.size()) {
        const std::size_t n = std::min(size, pre_.size() - pre_pos_);
        std::memcpy(data, pre_.data() + pre_pos_, n);
        pre_pos_ += n;
        if (pre_pos_ == pre_.size()) {
            pre_.clear();
            pre_.shrink_to_fit();
            pre_pos_ = 0;
        }
        track(static_cast<const unsigned char*>(data), n);
        return static_cast<long>(n);
    }
    for (;;) {
        std::error_code ec;
        const sys::ssize n = sys::recv(fd_, data, size, msg_dontwait, ec);
        if (n > 0) {
            track(static_cast<const unsigned char*>(data), static_cast<std::size_t>(n));
            return static_cast<long>(n);
        }
        if (n == 0) {
            eof_ = true;
            return 0;
        }
        if (ec.value() == sys::err_intr) continue;
        if (ec.value() == sys::err_again || ec.value() == sys::err_wouldblock) return again;
        sys_ec_ = ec;
        return failed;
    }
}

long tls_io::send(const void* data, std::size_t size) noexcept {
    if (!corked_ && !has_output()) return send_now(data, size);  // else after what waits, in order
    USOCKET_TLS_TRY {
        out_.append(static_cast<const char*>(data), size);
    }
    USOCKET_TLS_CATCH_ALL {
        sys_ec_ = sys::make_error(sys::err_nomem);
        return failed;
    }
    return static_cast<long>(size);
}

long tls_io::flush() noexcept {
    while (out_pos_ < out_.size()) {
        const long n = send_now(out_.data() + out_pos_, out_.size() - out_pos_);
        if (n < 0) return n;
        out_pos_ += static_cast<std::size_t>(n);
    }
    out_.clear();
    if (!corked_) out_.shrink_to_fit();
    out_pos_ = 0;
    return 0;
}

long tls_io::send_now(const void* data, std::size_t size) noexcept {
    for (;;) {
        std::error_code ec;
        const sys::ssize n = sys::send(fd_, data, size, msg_dontwait, ec);
        if (n >= 0) return static_cast<long>(n);
        if (ec.value() == sys::err_intr) continue;
        if (ec.value() == sys::err_again || ec.value() == sys::err_wouldblock) return again;
        sys_ec_ = ec;
        return failed;
    }
}

// A TLS record: 5 bytes of header (type, version, length) and `length` bytes of body.
void tls_io::track(const unsigned char* p, std::size_t n) noexcept {
    while (n != 0) {
        if (hdr_got_ < sizeof hdr_) {
            const std::size_t take = std::min<std::size_t>(sizeof hdr_ - hdr_got_, n);
            std::memcpy(hdr_ + hdr_got_, p, take);
            hdr_got_ += static_cast<unsigned>(take);
            p += take;
            n -= take;
            if (hdr_got_ == sizeof hdr_) {
                body_left_ = (std::size_t{hdr_[3]} << 8) | hdr_[4];
                if (body_left_ == 0) hdr_got_ = 0;
            }
            continue;
        }
        const std::size_t take = std::min(body_left_, n);
        body_left_ -= take;
        p += take;
        n -= take;
        if (body_left_ == 0) hdr_got_ = 0;
    }
}

// --- tls_transport -----------------------------------------------------------------------------

tls_transport::tls_transport(std::shared_ptr<context_impl> c, sys::handle fd, const wrap_options& o) noexcept
    : ctx(std::move(c)),
      server_hostname(o.server_hostname),
      server_side(ctx->set.side == role::server),
      suppress_ragged_eofs(o.suppress_ragged_eofs),
      handshake_on_connect(o.do_handshake_on_connect),
      io_(fd) {}

tls_transport::~tls_transport() = default;

bool tls_transport::init(const session_config& cfg, std::error_code& ec) noexcept {
    settings s;
    {
        const std::lock_guard<sys::mutex> lock(ctx->lock);
        s = ctx->set;
        eng_ = new_session(*ctx->eng, s, cfg, io_, ec);
    }
    return eng_ != nullptr;
}

std::error_code tls_transport::refine(const std::error_code& engine_ec) const noexcept {
    // What the descriptor said comes first: the engine only saw that its read or write failed.
    if (io_.sys_error()) return io_.sys_error();
    if (io_.eof()) return tls_error(io_.truncated() ? errc::truncated_record : errc::unexpected_eof);
    return engine_ec;
}

namespace {
// A call racing close(): after a wait, a socket call stops with EBADF. A file of makefile()
// may go on reading after the socket's close(), until the descriptor is released.
bool gone(const socket_state& st) noexcept {
    return st.released() || (st.closed() && st.files.load(std::memory_order_acquire) == 0);
}
}  // namespace

template <class Step>
sys::ssize tls_transport::drive(socket_state& st, deadline& dl, Step&& step, std::error_code& ec) noexcept {
    for (;;) {
        io_status s;
        std::size_t n = 0;
        bool more_pending = false;
        {
            const std::lock_guard<sys::mutex> lock(lock_);
            if (fatal_) {
                ec = fatal_;
                return -1;
            }
            s = step(n, ec);
            if (io_.has_output()) {  // a corked flight: out it goes, before any wait for the peer
                const long f = io_.flush();
                if (f == tls_io::failed && s != io_status::error) {
                    s = io_status::error;
                    ec = io_.sys_error();
                } else if (f == tls_io::again && (s == io_status::want_read || (s == io_status::ok && n == 0))) {
                    // The peer may be waiting for these bytes: the step is called again once
                    // there is room (a step that returned data keeps them: the next call flushes).
                    s = io_status::want_write;
                }
            }
            const std::size_t left = tls::detail::pending(*eng_) + io_.preloaded();
            more_pending = left != 0 && left != pending_.load(std::memory_order_relaxed);
            pending_.store(left, std::memory_order_release);
            if (s == io_status::error && ec != errc::session_shut_down) {  // a refused write ends nothing
                ec = refine(ec);
                fatal_ = ec;
                failure_ = last_failure(*eng_);
                if (failure_.empty()) failure_ = ec.message();
            }
        }
        // Bytes the kernel no longer sees: a selector watching the socket must hear of them, as
        // of the read-ahead buffer's (socket_state::publish).
        if (more_pending && st.watcher.load(std::memory_order_acquire) != nullptr) usocket::detail::notify_watcher(st);
        switch (s) {
            case io_status::ok: return static_cast<sys::ssize>(n);
            case io_status::closed: return 0;
            case io_status::error: return -1;
            case io_status::want_read:
            case io_status::want_write: break;
        }
        const bool reading = s == io_status::want_read;
        if (dl.non_blocking()) {
            ec = tls_error(reading ? errc::want_read : errc::want_write);
            return -1;
        }
        if (!usocket::detail::wait_ready(st, gone, reading ? sys::wait_for::read : sys::wait_for::write, dl, ec))
            return -1;
        if (gone(st)) {
            ec = usocket::detail::bad_descriptor();
            return -1;
        }
    }
}

void tls_transport::count_preloaded(socket_state& st) noexcept {
    {
        const std::lock_guard<sys::mutex> lock(lock_);
        pending_.store(io_.preloaded(), std::memory_order_release);
    }
    if (pending() != 0 && st.watcher.load(std::memory_order_acquire) != nullptr) usocket::detail::notify_watcher(st);
}

bool tls_transport::handshake(socket_state& st, deadline& dl, std::error_code& ec) noexcept {
    const std::lock_guard<sys::mutex> one_at_a_time(hs_lock_);
    if (done_.load(std::memory_order_acquire)) return true;
    {
        const std::lock_guard<sys::mutex> lock(lock_);
        io_.cork(true);
    }
    const sys::ssize n = drive(
        st, dl,
        [&](std::size_t&, std::error_code& e) {
            const io_status s = tls::detail::handshake(*eng_, e);
            if (s != io_status::closed) return s;
            e = tls_error(errc::unexpected_eof);  // a close notification instead of a handshake
            return io_status::error;
        },
        ec);
    {
        const std::lock_guard<sys::mutex> lock(lock_);
        if (n >= 0 || fatal_) io_.cork(false);  // a would-block or a timeout: the handshake goes on later
    }
    if (n < 0) return false;
    done_.store(true, std::memory_order_release);
    return true;
}

sys::ssize tls_transport::read_some(socket_state& st, std::byte* data, std::size_t size, deadline& dl,
                                    std::error_code& ec) noexcept {
    if (!handshake_done() && !handshake(st, dl, ec)) return -1;
    const sys::ssize n = drive(
        st, dl, [&](std::size_t& got, std::error_code& e) { return read(*eng_, data, size, got, e); }, ec);
    if (n < 0 && ec == errc::unexpected_eof && suppress_ragged_eofs) {
        ec.assign(0, ec.category());
        return 0;
    }
    return n;
}

sys::ssize tls_transport::write_some(socket_state& st, const std::byte* data, std::size_t size, deadline& dl,
                                     std::error_code& ec) noexcept {
    if (!handshake_done() && !handshake(st, dl, ec)) return -1;
    if (size == 0) return 0;
    return drive(
        st, dl,
        [&](std::size_t& put, std::error_code& e) {
            if (shut_) {
                e = tls_error(errc::session_shut_down);
                return io_status::error;
            }
            const io_status s = write(*eng_, data, size, put, e);
            write_cut_ = s == io_status::want_write;
            return s;
        },
        ec);
}

bool tls_transport::close_notify(socket_state& st, deadline& dl, std::error_code& ec) noexcept {
    for (;;) {
        {
            const std::lock_guard<sys::mutex> lock(lock_);
            if (fatal_) {
                ec = fatal_;
                return false;
            }
            if (!shut_) {
                if (write_cut_) {  // the engine holds the rest of a record: no alert can follow it
                    ec = tls_error(errc::truncated_record);
                    return false;
                }
                // The record is made only when the kernel has room for it now (a wait on a
                // socket that another thread writes to proves nothing): it then goes whole.
                std::error_code ignored;
                if (sys::wait(st.fd, sys::wait_for::write, 0, ignored) > 0) {
                    io_.cork(true);
                    std::error_code e;
                    const io_status s = tls::detail::shutdown(*eng_, false, e);
                    io_.cork(false);
                    if (s == io_status::error) {
                        ec = refine(e);
                        fatal_ = ec;
                        failure_ = last_failure(*eng_);
                        return false;
                    }
                    shut_ = true;
                }
            }
            if (shut_) {
                const long f = io_.flush();
                if (f == 0) return true;
                if (f == tls_io::failed) {
                    ec = io_.sys_error();
                    return false;
                }
            }
        }
        if (dl.non_blocking()) {
            ec = tls_error(errc::want_write);
            return false;
        }
        if (!usocket::detail::wait_ready(st.fd, sys::wait_for::write, dl, ec)) return false;
        if (gone(st)) {
            ec = usocket::detail::bad_descriptor();
            return false;
        }
    }
}

void tls_transport::shutdown(socket_state& st, deadline& dl, std::error_code& ec) noexcept {
    if (!handshake_done()) return;
    // close() waits for room no longer than the socket's timeout, and never long.
    deadline d = dl.non_blocking() ? dl : dl.capped_at(sys::monotonic_ns() + close_wait_ns);
    (void)close_notify(st, d, ec);
}

bool tls_transport::unwrap(socket_state& st, deadline& dl, std::error_code& ec) noexcept {
    const sys::ssize n = drive(
        st, dl,
        [&](std::size_t&, std::error_code& e) {
            shut_ = true;
            const io_status s = tls::detail::shutdown(*eng_, true, e);
            return s == io_status::closed ? io_status::ok : s;
        },
        ec);
    return n >= 0;
}

void tls_transport::retire() noexcept {
    const std::lock_guard<sys::mutex> lock(lock_);
    if (!fatal_) fatal_ = usocket::detail::bad_descriptor();
    pending_.store(0, std::memory_order_release);
}

tls_transport* transport_of(const usocket::socket& s) noexcept {
    const socket_state* st = socket_access::state(s);
    if (st == nullptr) return nullptr;
#if defined(__GXX_RTTI) || defined(_CPPRTTI)
    return dynamic_cast<tls_transport*>(st->tr);
#else
    // Built without RTTI (-fno-rtti, a board's build): the TLS session is the only transport
    // the library has (src/transport.hpp), so a socket with one has a tls_transport.
    return static_cast<tls_transport*>(st->tr);
#endif
}

}  // namespace usocket::tls::detail
