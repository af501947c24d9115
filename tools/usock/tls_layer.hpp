#pragma once
// usock --tls: the context made from the options, the handshakes of a client and of a server
// (blocking, or step by step for --echo), the message of a failed one, and what -v says about
// a session. Without a TLS engine in the library (USOCKET_HAS_TLS unset) the functions are
// stubs and cli.cpp refuses --tls.

#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <usocket/tls.hpp>
#include <usocket/usocket.hpp>

#include "options.hpp"

namespace usock {

/// True when the library has a TLS engine.
bool tls_available() noexcept;
/// The engine's name and version ("OpenSSL 3.0.11 19 Sep 2023"), or "" without TLS.
std::string tls_engine();

/// True for a TLS stream that ended without the peer's close notification: usock reads it as
/// the end of the stream (as CPython and OpenSSL's tools do), and says so with -v.
bool is_ragged_eof(const std::error_code& ec) noexcept;

/// True when a read of a non-blocking TLS socket must wait to write first.
bool is_tls_want_write(const std::error_code& ec) noexcept;

/// A connection as the relay uses it: a plain socket, or a TLS one (a usocket::socket too,
/// which also knows what its handshake negotiated and the engine's words for a failure).
class connection {
public:
    connection() noexcept = default;
    explicit connection(usocket::socket s) noexcept : plain_(std::move(s)) {}
    explicit connection(usocket::tls::socket s) noexcept : secure_(std::move(s)) {}

    usocket::socket& socket() noexcept { return secure_ ? *secure_ : plain_; }
    bool is_tls() const noexcept { return secure_.has_value(); }
    /// The socket's shutdown(); over TLS, tls::socket's, which sends the close notification
    /// first (shut_wr: under the socket's timeout; shut_rdwr: as close() does).
    void shutdown(usocket::shutdown_how how, std::error_code& ec) noexcept;
    /// describe(ec), with the TLS engine's own words after it when they say more
    /// ("TLS handshake failure (tlsv13 alert certificate required)").
    std::string explain(const std::error_code& ec) const;

private:
    usocket::socket plain_;
    std::optional<usocket::tls::socket> secure_;
};

/// Where a non-blocking handshake stands after a step.
enum class handshake_step { done, want_read, want_write, failed };

/// The TLS side of a run: one context for every connection, made from the options.
class tls_layer {
public:
    using time_point = std::chrono::steady_clock::time_point;

    /// Makes the client or server context and loads its files now, so that a bad one fails
    /// before any socket is opened. Throws failure ("cannot load --cert FILE: ...").
    explicit tls_layer(const options& opt);

    /// A client: wraps `plain` (connected to `target`, "localhost (127.0.0.1:443)") and
    /// handshakes by `deadline` (none: no limit). The socket returned blocks. With -v, says
    /// what was negotiated. Throws failure ("TLS handshake with TARGET failed: ...").
    usocket::tls::socket connect(usocket::socket plain, const std::string& target,
                                 std::optional<time_point> deadline) const;

    /// A server: handshakes with an accepted connection from `peer` within handshake_limit().
    /// std::nullopt and `why` when it fails.
    std::optional<usocket::tls::socket> accept(usocket::socket conn, const std::string& peer, std::string& why) const;

    /// A server's non-blocking connection (--echo): wrapped, its handshake left to step().
    usocket::tls::socket wrap_nonblocking(usocket::socket conn, std::error_code& ec) const;
    /// One step of a non-blocking handshake; `why` says what failed.
    handshake_step step(usocket::tls::socket& s, const std::string& peer, std::string& why) const;

    /// How long a server gives a client's handshake: -w, or 10 seconds.
    std::chrono::steady_clock::duration handshake_limit() const noexcept;
    /// "TLS handshake timed out after 10 s".
    std::string handshake_timed_out() const;

    /// What -v says about a finished handshake: "TLS: TLSv1.3, TLS_AES_256_GCM_SHA384 (256-bit
    /// key); server certificate CN=localhost, issued by CN=ca, valid until ..., verified".
    std::string summary(const usocket::tls::socket& s) const;

private:
    const options& opt_;
    std::optional<usocket::tls::context> ctx_;
};

}  // namespace usock
