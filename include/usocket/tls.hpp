#pragma once
// usocket::tls — TLS over usocket sockets (CPython's ssl, MicroPython's ssl), with one of two
// engines chosen when the library is built (-DUSOCKET_TLS=openssl or mbedtls; see docs/tls.md).
//
// A tls::socket IS a usocket::socket: wrapping plugs the TLS session into the socket's state,
// and every method of the plain socket goes through it — the recv and send families, sendall,
// the stream methods, makefile() files, socket_streambuf, select/poll/selector (which count the
// bytes already decrypted), pending(), and close() (which sends the close notification, whole
// or not at all, waiting for room at most a second). The socket's timeout and deadline bound
// every call, the handshake included.
//
// Errors: the engine's failures are codes of tls::category() and throw tls::ssl_error (or its
// subclass certificate_error); a handshake or a read on a non-blocking socket that must wait
// reports tls::errc::want_read or want_write (is_would_block() is true, the throwing forms
// throw blocking_io_error) — wait for that direction, then call again. Timeouts are
// timeout_error, system errors (a reset) os_error with their errno, as for a plain socket.
//
// Threads: as for a plain socket, one thread may read while another writes, and close() may
// come from any thread; the engine's calls are serialised inside, never while waiting.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "usocket/buffer.hpp"
#include "usocket/connect.hpp"
#include "usocket/error.hpp"
#include "usocket/export.hpp"
#include "usocket/socket.hpp"

namespace usocket::tls {

/// The largest certificate, key or CA file the context reads (a bundle of every public CA is
/// about 200 KiB): beyond it, EFBIG.
inline constexpr std::size_t max_file_bytes = std::size_t{16} << 20;

// --- errors --------------------------------------------------------------------------------------

/// TLS errors (tls::category()).
enum class errc {
    want_read = 1,              ///< non-blocking: wait until the socket is readable, then call again
    want_write,                 ///< non-blocking: wait until the socket is writable, then call again
    unexpected_eof,             ///< the peer closed the connection without a close notification
    truncated_record,           ///< the connection ended in the middle of a TLS record
    certificate_untrusted,      ///< verification: no trusted CA issued the peer's certificate
    certificate_expired,        ///< verification: the peer's certificate has expired
    certificate_not_yet_valid,  ///< verification: the peer's certificate is not valid yet
    hostname_mismatch,          ///< verification: the certificate is not for server_hostname
    certificate_invalid,        ///< verification failed for another reason (see verify_message())
    no_peer_certificate,        ///< a certificate was required and the peer sent none
    handshake_failure,          ///< the peers could not agree (version, ciphers, ALPN) or one gave up
    protocol_error,             ///< what came is not TLS, or breaks the protocol
    bad_certificate_data,       ///< a certificate, key or CA could not be parsed (or decrypted)
    key_mismatch,               ///< the private key does not belong to the certificate
    no_cipher_match,            ///< set_ciphers(): no cipher matched
    server_hostname_required,   ///< check_hostname is on and no server_hostname was given
    handshake_not_done,         ///< the handshake has not completed yet
    not_tls,                    ///< the socket carries no TLS session
    session_shut_down,          ///< the TLS session was shut down (close notification sent)
    bad_argument,               ///< a value out of its domain (an ALPN name, a version)
    engine_failure,             ///< anything else the engine reports
};

/// The category of tls::errc. Its want_read and want_write are equivalent to
/// std::errc::resource_unavailable_try_again.
[[nodiscard]] USOCKET_API const std::error_category& category() noexcept;
inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), category()}; }

/// Every TLS failure (CPython's ssl.SSLError): an os_error with a code of tls::category().
/// Argument errors (bad_argument, server_hostname_required, handshake_not_done, not_tls)
/// throw usocket::value_error instead, and want_read/want_write blocking_io_error.
class USOCKET_API ssl_error : public os_error {
public:
    using os_error::os_error;
    /// With the engine's words for the failure.
    ssl_error(const std::error_code& ec, const std::string& what, std::string verify_message)
        : os_error(ec, what), verify_message_(std::move(verify_message)) {}
    /// The engine's words for the failure, as the failed socket's verify_message() had them
    /// ("certificate has expired"; CPython's SSLCertVerificationError.verify_message), for the
    /// calls whose socket is gone with it (wrap_socket, create_connection); else "".
    [[nodiscard]] const std::string& verify_message() const noexcept { return verify_message_; }

private:
    std::string verify_message_;
};

/// The peer's certificate failed verification (CPython's ssl.SSLCertVerificationError).
class USOCKET_API certificate_error : public ssl_error {
public:
    using ssl_error::ssl_error;
};

/// True for the codes of a failed certificate verification (certificate_error).
[[nodiscard]] USOCKET_API bool is_certificate_error(const std::error_code& ec) noexcept;

// --- the engine ------------------------------------------------------------------------------

/// The engine's name and version ("OpenSSL 3.0.11 19 Sep 2023", "mbed TLS 2.28.3").
[[nodiscard]] USOCKET_API std::string engine_version();
/// True when the engine speaks TLS 1.3 (OpenSSL; not Debian's mbedTLS 2.28).
[[nodiscard]] USOCKET_API bool has_tls1_3() noexcept;

// --- what a context is made of ---------------------------------------------------------------

enum class role : std::uint8_t { client, server };

/// Which certificates are asked for and checked (CPython's CERT_NONE, CERT_OPTIONAL,
/// CERT_REQUIRED). A client: none checks nothing; optional is required (as CPython). A server:
/// none asks for no client certificate; optional asks and checks one if sent; required fails
/// without one.
enum class verify_mode : std::uint8_t { none, optional, required };

enum class protocol_version : std::uint8_t { tls1_2, tls1_3 };

/// cipher(): CPython's (name, protocol, secret_bits). The name is the engine's.
struct cipher_info {
    std::string name;      ///< "TLS_AES_256_GCM_SHA384" (OpenSSL), "TLS-ECDHE-ECDSA-WITH-AES-256-GCM-SHA384" (mbedTLS)
    std::string protocol;  ///< "TLSv1.3", "TLSv1.2"
    int secret_bits = 0;
};

/// One attribute of a distinguished name, as CPython names it: {"commonName", "localhost"}.
struct name_attribute {
    std::string name;
    std::string value;
    friend bool operator==(const name_attribute&, const name_attribute&) = default;
};
/// A distinguished name: its relative names in order, each one or more attributes.
using distinguished_name = std::vector<std::vector<name_attribute>>;

/// getpeercert(): CPython's dict as a struct.
struct USOCKET_API certificate_info {
    distinguished_name subject;
    distinguished_name issuer;
    int version = 0;               ///< 3 for X.509 v3
    std::string serial_number;     ///< upper-case hex, as CPython ("1F3A...")
    std::string not_before;        ///< "Jan  5 09:34:43 2025 GMT", as CPython
    std::string not_after;
    std::chrono::system_clock::time_point not_before_time;
    std::chrono::system_clock::time_point not_after_time;
    /// {"DNS", "localhost"}, {"IP Address", "127.0.0.1"}, {"email", ...}, {"URI", ...}; other
    /// kinds as {kind, "<unsupported>"}.
    std::vector<std::pair<std::string, std::string>> subject_alt_name;
    /// The value of the first attribute `name` of the subject ("commonName"), or "".
    [[nodiscard]] std::string subject_attribute(std::string_view name) const;
};

namespace detail {
struct context_impl;
struct session_impl;
struct session_access;
}  // namespace detail

/// A TLS session a client can resume (CPython's SSLSession): from socket::session() after a
/// handshake, given back through wrap_options::session on the next connection to that server.
class USOCKET_API session {
public:
    session() noexcept = default;
    /// True when it holds a session.
    explicit operator bool() const noexcept { return impl_ != nullptr; }

private:
    friend struct detail::session_access;
    std::shared_ptr<detail::session_impl> impl_;
};

class socket;
class context;

/// How a socket is wrapped (CPython's wrap_socket arguments).
struct wrap_options {
    /// A client's server name: sent as SNI and checked against the certificate when
    /// check_hostname is on. An IP address is checked against the certificate's IP
    /// addresses, and no SNI is sent.
    std::string server_hostname;
    /// Handshake now if the socket is connected (and in tls::socket::connect() otherwise),
    /// under the socket's timeout. False: the first read or write handshakes, or
    /// do_handshake() does (the way for a non-blocking socket).
    bool do_handshake_on_connect = true;
    /// The end of the connection without a close notification reads as the end of the stream
    /// (as CPython); false reports it as errc::unexpected_eof. A connection that ends inside a
    /// record is always errc::truncated_record.
    bool suppress_ragged_eofs = true;
    /// A session to resume (clients).
    tls::session session;
};

/// What a failed wrap_socket() or create_connection() leaves besides its error_code, for the
/// error_code forms (the socket that could say it is gone): filled when given, cleared first.
/// The throwing forms carry the same: ssl_error::verify_message(), and connection_errors from
/// create_connection() with connection_options::all_errors.
struct error_info {
    /// The engine's words for a failed handshake, as the socket's verify_message() had them
    /// ("certificate has expired", "Hostname mismatch, certificate is not valid for
    /// 'example.com'."); "" when the handshake did not fail.
    std::string verify_message;
    /// create_connection(): every failed connection attempt, in the order they failed (as
    /// usocket::create_connection()'s `errors`; also when a later attempt connected).
    std::vector<attempt_error> attempts;
};

/// The settings of TLS connections (CPython's SSLContext). Copies share one context; set it up
/// before wrapping sockets with it from several threads.
class USOCKET_API context {
public:
    /// A client context: verify_mode::required, check_hostname on, TLS 1.2 at least, and the
    /// system's trust store (loaded at the first handshake unless CAs of its own were loaded
    /// first, as CPython's create_default_context). A server context: no client certificate
    /// asked for, TLS 1.2 at least; it needs load_cert_chain(). Throws ssl_error.
    explicit context(role r);
    [[nodiscard]] static context open(role r, std::error_code& ec) noexcept;
    /// context(role::client) and context(role::server).
    [[nodiscard]] static context client() { return context(role::client); }
    [[nodiscard]] static context server() { return context(role::server); }

    [[nodiscard]] role get_role() const noexcept;

    /// Which certificates the handshake asks for and checks. verify_mode::none also turns
    /// check_hostname off.
    void set_verify_mode(verify_mode mode) noexcept;
    [[nodiscard]] verify_mode get_verify_mode() const noexcept;
    /// Whether a client checks the certificate against server_hostname (on turns verify_mode
    /// none into required, as CPython).
    void set_check_hostname(bool on) noexcept;
    [[nodiscard]] bool check_hostname() const noexcept;

    /// Trusts the CA certificates of a file (PEM, one or more; or DER). A missing file is
    /// os_error (ENOENT), a bad one ssl_error (bad_certificate_data), one larger than
    /// max_file_bytes os_error (EFBIG; nothing is loaded). Files are opened close-on-exec.
    void load_verify_file(const std::string& cafile);
    void load_verify_file(const std::string& cafile, std::error_code& ec) noexcept;
    /// Trusts the CA certificates given as bytes (PEM, one or more; or DER).
    void load_verify_data(const_buffer cadata);
    void load_verify_data(const_buffer cadata, std::error_code& ec) noexcept;
    /// Whether a client context that loaded no CA of its own trusts the system's trust store
    /// at its first handshake (on by default, as CPython's create_default_context; off, as a
    /// bare CPython SSLContext: nothing is trusted until load_verify_*() or
    /// load_default_certs() is called, and every verified handshake fails before).
    void set_default_trust(bool on) noexcept;
    [[nodiscard]] bool default_trust() const noexcept;
    /// Trusts the system's trust store now (OpenSSL's default paths; for mbedTLS the CA bundle
    /// file fixed when the library was built).
    void load_default_certs();
    void load_default_certs(std::error_code& ec) noexcept;

    /// This side's certificate chain (PEM: the certificate, then its intermediates; or DER)
    /// and private key (PEM or DER; in `certfile` itself when `keyfile` is empty), decrypted
    /// with `password` when it is encrypted. Files as load_verify_file() reads them.
    void load_cert_chain(const std::string& certfile, const std::string& keyfile = {}, std::string_view password = {});
    void load_cert_chain(const std::string& certfile, const std::string& keyfile, std::string_view password,
                         std::error_code& ec) noexcept;
    /// The same from bytes (MicroPython passes them so).
    void load_cert_chain_data(const_buffer cert, const_buffer key, std::string_view password = {});
    void load_cert_chain_data(const_buffer cert, const_buffer key, std::string_view password,
                              std::error_code& ec) noexcept;

    /// Protocols for ALPN, in order of preference ("h2", "http/1.1"): a client offers them,
    /// a server picks the first of its own the client offered.
    void set_alpn_protocols(const std::vector<std::string>& protocols);
    void set_alpn_protocols(const std::vector<std::string>& protocols, std::error_code& ec) noexcept;
    /// The oldest and newest versions to speak (TLS 1.2 to the newest the engine has).
    void set_minimum_version(protocol_version v);
    void set_minimum_version(protocol_version v, std::error_code& ec) noexcept;
    void set_maximum_version(protocol_version v);
    void set_maximum_version(protocol_version v, std::error_code& ec) noexcept;
    /// The TLS 1.2 cipher suites, in the engine's syntax: OpenSSL's cipher list
    /// ("ECDHE+AESGCM:!aNULL"); for mbedTLS, suite names separated by ':'
    /// ("TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256"). None matching: errc::no_cipher_match.
    void set_ciphers(std::string_view ciphers);
    void set_ciphers(std::string_view ciphers, std::error_code& ec) noexcept;
    /// The cipher suites enabled, by the engine's names.
    [[nodiscard]] std::vector<std::string> get_ciphers() const;

    /// Makes `sock` (connected or not) a TLS socket of this context. With
    /// do_handshake_on_connect and a connected socket, handshakes now under the socket's
    /// timeout; on failure the socket is closed. Throws ssl_error, certificate_error,
    /// timeout_error, os_error, value_error (check_hostname without server_hostname).
    [[nodiscard]] tls::socket wrap_socket(usocket::socket&& sock, const wrap_options& options = {}) const;
    /// The non-throwing form; `info`, when given, receives the engine's words for a failed
    /// handshake.
    [[nodiscard]] tls::socket wrap_socket(usocket::socket&& sock, const wrap_options& options, std::error_code& ec,
                                          error_info* info = nullptr) const noexcept;

private:
    friend class tls::socket;
    context() noexcept = default;
    explicit context(std::shared_ptr<detail::context_impl> impl) noexcept : impl_(std::move(impl)) {}
    std::shared_ptr<detail::context_impl> impl_;
};

/// A socket with TLS: every usocket::socket method works on it (see the top of this file),
/// plus the handshake and what it negotiated. Made by context::wrap_socket() or
/// tls::create_connection().
class USOCKET_API socket : public usocket::socket {
public:
    /// A TLS socket with no connection (as after close()).
    socket() noexcept = default;
    socket(socket&&) noexcept = default;
    socket& operator=(socket&&) noexcept = default;
    ~socket() = default;

    /// Runs the handshake (or the rest of it) under the socket's timeout. Non-blocking: fails
    /// with errc::want_read or want_write when it must wait, to be called again when the
    /// socket is ready that way. Nothing to do once it is done.
    void do_handshake();
    void do_handshake(std::error_code& ec) noexcept;
    /// True once the handshake has completed.
    [[nodiscard]] bool handshake_done() const noexcept;

    /// Connects (as usocket::socket::connect), then handshakes when the socket was wrapped
    /// with do_handshake_on_connect.
    void connect(const address& peer);
    void connect(const address& peer, std::error_code& ec) noexcept;
    void connect(std::string_view host, int port);
    void connect(std::string_view host, int port, std::error_code& ec) noexcept;

    /// The peer's certificate, parsed, when it was verified (CPython returns {} for one that
    /// was not: std::nullopt here); std::nullopt without one. Before the handshake:
    /// value_error (errc::handshake_not_done).
    [[nodiscard]] std::optional<certificate_info> getpeercert() const;
    [[nodiscard]] std::optional<certificate_info> getpeercert(std::error_code& ec) const;
    /// The peer's certificate as DER bytes, verified or not ("" without one): CPython's
    /// getpeercert(binary_form=True).
    [[nodiscard]] std::string getpeercert_der() const;
    [[nodiscard]] std::string getpeercert_der(std::error_code& ec) const;
    /// The cipher suite in use; std::nullopt before the handshake.
    [[nodiscard]] std::optional<cipher_info> cipher() const;
    /// "TLSv1.3" or "TLSv1.2"; "" before the handshake.
    [[nodiscard]] std::string version() const;
    /// The protocol ALPN agreed on; "" for none.
    [[nodiscard]] std::string selected_alpn_protocol() const;
    /// The server_hostname it was wrapped with.
    [[nodiscard]] std::string server_hostname() const;
    /// True for the server's end.
    [[nodiscard]] bool server_side() const noexcept;
    /// The engine's own words for the last failure of this socket's TLS ("certificate has
    /// expired", "wrong version number"...); "" if none.
    [[nodiscard]] std::string verify_message() const;
    /// The session, to resume it on another connection (a client's; with TLS 1.3 it arrives
    /// after the handshake, with the first data read).
    [[nodiscard]] tls::session session() const;
    /// True when the handshake resumed a session.
    [[nodiscard]] bool session_reused() const noexcept;
    /// The context it was made with.
    [[nodiscard]] tls::context context() const;

    /// Ends this side's writing, keeping the connection open for reading (TLS 1.2 and 1.3).
    /// shut_wr: sends the close notification under the socket's timeout (one deadline; its
    /// record goes whole), then shuts the connection's write side; reads go on until the
    /// peer's notification or end of stream, writes fail with errc::session_shut_down. Nothing
    /// is shut when it fails: errc::want_write on a non-blocking socket (call it again when
    /// writable), timeout_error, errc::truncated_record after a write cut inside a record.
    /// shut_rdwr: the notification as close() sends it (whole or not at all, at most a second's
    /// wait, errors ignored), then both directions: a way to stop a connection from another
    /// thread. shut_rd, and any call before the handshake: the plain socket's shutdown().
    /// (CPython's SSLSocket.shutdown() sends no notification; its unwrap() does.)
    void shutdown(shutdown_how how);
    void shutdown(shutdown_how how, std::error_code& ec) noexcept;

    /// Ends TLS on the connection: sends the close notification, waits (under the timeout)
    /// for the peer's, and returns the plain socket for what follows (CPython's unwrap()).
    /// This socket is then closed, as by close() (fileno() -1, EBADF) but without a word to the
    /// peer, and the descriptor is the plain socket's. A call racing unwrap() from another
    /// thread never touches freed memory nor the plain socket's bytes: one that got in first
    /// ends normally (a read blocked on the TLS stream gets the peer's close notification,
    /// end of stream), any other fails with EBADF (at once, or when its wait ends, as after
    /// close()). unwrap() does not wait for it, except for a stream read holding bytes read
    /// ahead (a line begun), which are the plain socket's once it has ended.
    [[nodiscard]] usocket::socket unwrap();
    [[nodiscard]] usocket::socket unwrap(std::error_code& ec) noexcept;

private:
    friend class tls::context;
    explicit socket(usocket::socket&& s) noexcept : usocket::socket(std::move(s)) {}
};

/// create_connection() with TLS: one deadline (options.timeout) covers resolving, connecting
/// (Happy Eyeballs) and the handshake. server_hostname is `host` unless `wrap` gives one.
/// Returns the TLS socket with the timeout asked for. Throws what create_connection() and
/// wrap_socket() throw (connection_errors with options.all_errors; an ssl_error has the
/// engine's words in verify_message()).
[[nodiscard]] USOCKET_API tls::socket create_connection(std::string_view host, int port, const context& ctx,
                                                        const connection_options& options = {},
                                                        const wrap_options& wrap = {});
/// The non-throwing form; `info`, when given, receives every failed connection attempt and
/// the engine's words for a failed handshake.
[[nodiscard]] USOCKET_API tls::socket create_connection(std::string_view host, int port, const context& ctx,
                                                        const connection_options& options, const wrap_options& wrap,
                                                        std::error_code& ec, error_info* info = nullptr);
/// The same over addresses already resolved (no lookup; options.family is ignored): the name
/// to send and check is wrap.server_hostname, which a client context that checks host names
/// needs (errc::server_hostname_required, before anything is connected).
[[nodiscard]] USOCKET_API tls::socket create_connection(std::span<const address> candidates, const context& ctx,
                                                        const connection_options& options = {},
                                                        const wrap_options& wrap = {});
[[nodiscard]] USOCKET_API tls::socket create_connection(std::span<const address> candidates, const context& ctx,
                                                        const connection_options& options, const wrap_options& wrap,
                                                        std::error_code& ec, error_info* info = nullptr);

}  // namespace usocket::tls

template <>
struct std::is_error_code_enum<usocket::tls::errc> : std::true_type {};
