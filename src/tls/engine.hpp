#pragma once
// The seam between the TLS front (the public API, the socket's transport, the waiting) and the
// engine chosen at build time: src/tls/openssl/engine.cpp or src/tls/mbedtls/engine.cpp, each
// defining every function below over its library. Only one engine is compiled, so nothing here
// is virtual.
//
// An engine never waits and never touches the descriptor itself: it reads and writes through
// tls_io (src/tls/transport.hpp), which never blocks, and reports "would block" as
// io_status::want_read / want_write for the front to wait outside every lock.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "usocket/tls.hpp"

// An allocation that fails in a non-throwing path is caught and reported as ENOMEM; built with
// -fno-exceptions, it ends the program, as anywhere in such a build.
#if USOCKET_HAS_EXCEPTIONS
#define USOCKET_TLS_TRY try
#define USOCKET_TLS_CATCH_ALL catch (...)
#else
#define USOCKET_TLS_TRY if (true)
#define USOCKET_TLS_CATCH_ALL else
#endif

namespace usocket::tls::detail {

class tls_io;  // the transport's non-blocking I/O for the engine (transport.hpp)

/// What one step of the engine came to.
enum class io_status : std::uint8_t {
    ok,          ///< done (a count where there is one)
    want_read,   ///< wait until readable, then call again with the same arguments
    want_write,  ///< wait until writable, then call again with the same arguments
    closed,      ///< the peer's close notification: the end of the stream
    error,       ///< failed: `ec` says why (the front refines it with what tls_io saw)
};

/// What a context is set to, kept by the front and handed to the engine when a session is made.
struct settings {
    role side = role::client;
    verify_mode verify = verify_mode::required;
    bool check_hostname = true;
    protocol_version min_version = protocol_version::tls1_2;
    std::optional<protocol_version> max_version;
    std::vector<std::string> alpn;
};

/// How one connection is wrapped.
struct session_config {
    std::string server_hostname;  ///< "" for none
    bool hostname_is_ip = false;
    const session_impl* resume = nullptr;
};

// --- the context ------------------------------------------------------------------------------

struct engine_context;
struct engine_context_deleter {
    void operator()(engine_context* c) const noexcept;
};
using engine_context_ptr = std::unique_ptr<engine_context, engine_context_deleter>;

engine_context_ptr new_context(role side, std::error_code& ec) noexcept;
/// Trusts the CA certificates in `data` (PEM, several; or DER).
bool add_trusted(engine_context& c, const_buffer data, std::error_code& ec) noexcept;
/// Trusts the system's trust store.
bool add_default_trust(engine_context& c, std::error_code& ec) noexcept;
/// This side's certificate chain and key (PEM or DER each).
bool set_certificate(engine_context& c, const_buffer chain, const_buffer key, std::string_view password,
                     std::error_code& ec) noexcept;
bool set_ciphers(engine_context& c, std::string_view list, std::error_code& ec) noexcept;
std::vector<std::string> cipher_names(const engine_context& c);
/// The engine's own checks of a version range (mbedTLS has no TLS 1.3).
bool version_supported(protocol_version v) noexcept;

// --- a session ---------------------------------------------------------------------------------

struct engine_session;
struct engine_session_deleter {
    void operator()(engine_session* s) const noexcept;
};
using engine_session_ptr = std::unique_ptr<engine_session, engine_session_deleter>;

/// A connection's engine state, reading and writing through `io`.
engine_session_ptr new_session(engine_context& c, const settings& s, const session_config& cfg, tls_io& io,
                               std::error_code& ec) noexcept;

io_status handshake(engine_session& s, std::error_code& ec) noexcept;
/// Decrypts at most `size` bytes into `data`; `got` is the count when ok.
io_status read(engine_session& s, std::byte* data, std::size_t size, std::size_t& got, std::error_code& ec) noexcept;
/// Encrypts and sends at most `size` bytes (at least one record's worth when ok); `put` is
/// the count when ok. After want_*, call again with the same bytes.
io_status write(engine_session& s, const std::byte* data, std::size_t size, std::size_t& put,
                std::error_code& ec) noexcept;
/// Sends the close notification (ok once sent); with `wait_peer`, ok only once the peer's has
/// come too.
io_status shutdown(engine_session& s, bool wait_peer, std::error_code& ec) noexcept;
/// Decrypted bytes held, unread.
std::size_t pending(const engine_session& s) noexcept;

std::optional<cipher_info> cipher(const engine_session& s);
std::string version(const engine_session& s);
std::string alpn(const engine_session& s);
/// The peer's certificate, DER ("" if none).
std::string peer_certificate(const engine_session& s);
/// True when the peer's certificate was checked and found good.
bool peer_verified(const engine_session& s) noexcept;
bool session_reused(const engine_session& s) noexcept;
/// The session to resume later (null when there is none yet).
std::shared_ptr<session_impl> get_session(const engine_session& s);
/// The engine's words for the last failure of `s`.
std::string last_failure(const engine_session& s);

/// Throws the exception of `ec` (as throw_error), a TLS failure with the engine's words.
[[noreturn]] void raise(const std::error_code& ec, const std::string& what, const std::string& verify_message);

/// Parses a DER certificate (the engine's X.509 parser).
bool parse_certificate(std::string_view der, certificate_info& out);

std::string engine_version();
bool has_tls1_3() noexcept;

}  // namespace usocket::tls::detail
