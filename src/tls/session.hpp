#pragma once
// The engine-neutral half of a TLS connection: the transport plugged into the socket's state
// (src/transport.hpp). It owns the engine's session, serialises every engine call with one lock
// (OpenSSL's SSL object is not thread-safe; one reader and one writer may call at once), and
// waits — outside that lock, through the blocking core — for the direction the engine asks.
//
//   tls_io         the engine's only way to the descriptor: recv/send with MSG_DONTWAIT (so an
//                  engine call never blocks, whatever the descriptor's mode), first draining
//                  bytes the stream methods had read ahead before the socket was wrapped. It
//                  follows the record headers going by, so that an end of stream can be told
//                  apart: between records (a missing close notification) or inside one
//                  (a truncated record); and it keeps the system's error (a reset).
//   tls_transport  read_some / write_some / pending / shutdown for the socket, the handshake,
//                  unwrap, and the engine's answers for the tls::socket getters.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>

#include "deadline.hpp"
#include "engine.hpp"
#include "socket_state.hpp"
#include "sys.hpp"
#include "transport.hpp"

namespace usocket::tls::detail {

using usocket::detail::deadline;
using usocket::detail::socket_state;

/// A context's shared part: its settings (under `lock`) and the engine's context.
struct context_impl {
    mutable sys::mutex lock;
    settings set;
    engine_context_ptr eng;
    bool own_trust = false;      ///< CAs loaded by the user: the system's are not added by default
    bool default_trust = false;  ///< the system's trust store is loaded
    bool auto_trust = true;      ///< a client without CAs of its own loads the system's at its first handshake
};

/// The non-blocking I/O an engine does on the socket's descriptor.
class tls_io {
public:
    static constexpr long again = -1;   ///< would block
    static constexpr long failed = -2;  ///< a system error (sys_error())

    explicit tls_io(sys::handle fd) noexcept : fd_(fd) {}

    /// Up to `size` bytes: the count, 0 at the end of the stream, again or failed.
    long recv(void* data, std::size_t size) noexcept;
    /// The count sent, again or failed (never SIGPIPE).
    long send(const void* data, std::size_t size) noexcept;

    /// While corked (the handshake), sends collect here and go out in one piece at flush():
    /// an engine that writes each handshake message apart (mbedTLS) would otherwise meet
    /// Nagle's algorithm and the peer's delayed ACK (40 ms a flight).
    void cork(bool on) noexcept {
        corked_ = on;
        if (!on && !has_output()) {  // the handshake's buffer is not kept for the connection's life
            std::string().swap(out_);
            out_pos_ = 0;
        }
    }
    bool has_output() const noexcept { return out_pos_ < out_.size(); }
    /// Sends what was collected: 0 when all of it went, again or failed.
    long flush() noexcept;

    /// Bytes read ahead before wrapping, to be given to the engine first.
    bool preload(const std::byte* data, std::size_t size) noexcept;
    std::size_t preloaded() const noexcept { return pre_.size() - pre_pos_; }

    bool eof() const noexcept { return eof_; }
    /// The stream ended inside a record (or a record header).
    bool truncated() const noexcept { return hdr_got_ != 0 || body_left_ != 0; }
    const std::error_code& sys_error() const noexcept { return sys_ec_; }

private:
    void track(const unsigned char* p, std::size_t n) noexcept;

    long send_now(const void* data, std::size_t size) noexcept;

    sys::handle fd_;
    bool corked_ = false;
    std::string out_;
    std::size_t out_pos_ = 0;
    std::string pre_;
    std::size_t pre_pos_ = 0;
    unsigned char hdr_[5] = {};
    unsigned hdr_got_ = 0;
    std::size_t body_left_ = 0;
    bool eof_ = false;
    std::error_code sys_ec_;
};

class tls_transport final : public usocket::detail::transport {
public:
    tls_transport(std::shared_ptr<context_impl> ctx, sys::handle fd, const wrap_options& o) noexcept;
    ~tls_transport() override;

    /// Makes the engine's session; false with `ec` when it cannot.
    bool init(const session_config& cfg, std::error_code& ec) noexcept;

    sys::ssize read_some(socket_state& st, std::byte* data, std::size_t size, deadline& dl,
                         std::error_code& ec) noexcept override;
    sys::ssize write_some(socket_state& st, const std::byte* data, std::size_t size, deadline& dl,
                          std::error_code& ec) noexcept override;
    std::size_t pending() const noexcept override { return pending_.load(std::memory_order_acquire); }
    /// close(): the close notification, whole or not at all, waiting for room under `dl` but
    /// no longer than close_wait_ns.
    void shutdown(socket_state& st, deadline& dl, std::error_code& ec) noexcept override;
    static constexpr std::int64_t close_wait_ns = 1'000'000'000;

    /// Sends the close notification under `dl`, whole: its record is made only when the kernel
    /// has room for it, and what it did not take at once is sent as room comes (a later call
    /// goes on). True once all of it went (or had gone); false with `ec`: want_write
    /// (non-blocking), a timeout, truncated_record when a write was cut inside a record, or
    /// the failure that ended the session. Reading goes on; writing is refused after it.
    bool close_notify(socket_state& st, deadline& dl, std::error_code& ec) noexcept;

    /// After wrapping: bytes read ahead before (preloaded) count as pending, for readiness too.
    void count_preloaded(socket_state& st) noexcept;

    /// Runs the handshake to its end under `dl` (one caller at a time).
    bool handshake(socket_state& st, deadline& dl, std::error_code& ec) noexcept;
    bool handshake_done() const noexcept { return done_.load(std::memory_order_acquire); }
    /// Both close notifications, under `dl`.
    bool unwrap(socket_state& st, deadline& dl, std::error_code& ec) noexcept;
    /// After unwrap(): every later engine call fails with EBADF (the descriptor is the plain
    /// socket's now; a call in flight must not read its bytes).
    void retire() noexcept;

    /// Calls `f(engine_session&)` under the engine lock.
    template <class F>
    auto with_engine(F&& f) const {
        const std::lock_guard<sys::mutex> lock(lock_);
        return f(static_cast<const engine_session&>(*eng_));
    }
    std::string failure() const {
        const std::lock_guard<sys::mutex> lock(lock_);
        return failure_;
    }
    tls_io& io() noexcept { return io_; }

    const std::shared_ptr<context_impl> ctx;
    const std::string server_hostname;
    const bool server_side;
    const bool suppress_ragged_eofs;
    const bool handshake_on_connect;

private:
    template <class Step>
    sys::ssize drive(socket_state& st, deadline& dl, Step&& step, std::error_code& ec) noexcept;
    std::error_code refine(const std::error_code& engine_ec) const noexcept;

    mutable sys::mutex lock_;  ///< every engine call, and the fields below
    sys::mutex hs_lock_;       ///< the handshake runs in one call at a time
    tls_io io_;
    engine_session_ptr eng_;
    std::error_code fatal_;   ///< the failure that ended the session: every later call reports it
    std::string failure_;     ///< the engine's words for it
    bool shut_ = false;       ///< our close notification was made (out_ may still hold some of it)
    bool write_cut_ = false;  ///< the last write stopped inside a record (the engine holds the rest)
    std::atomic<bool> done_{false};
    std::atomic<std::size_t> pending_{0};
};

/// The socket's TLS transport, or null when it has none.
tls_transport* transport_of(const usocket::socket& s) noexcept;

/// The public session's impl, both ways.
struct session_access {
    static tls::session make(std::shared_ptr<session_impl> impl) {
        tls::session s;
        s.impl_ = std::move(impl);
        return s;
    }
    static const session_impl* get(const tls::session& s) noexcept { return s.impl_.get(); }
};

}  // namespace usocket::tls::detail
