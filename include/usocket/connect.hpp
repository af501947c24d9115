#pragma once
// create_connection() and create_server(), the module's two high-level helpers.
//
// create_connection() differs from CPython's in two ways that matter on real networks:
//  - ONE deadline covers the whole call (resolution and every attempt); CPython gives each
//    address the full timeout, so N dead addresses take N times as long (CPython issue 123793).
//  - Happy Eyeballs (RFC 8305): addresses alternate between families, starting with the
//    resolver's first (IPv6 when it is preferred); the next attempt starts after
//    attempt_delay (250 ms) or as soon as one fails, while earlier ones stay in flight; the
//    first to connect wins and the others are closed. A dead IPv6 route costs 250 ms, not
//    the whole timeout.

#include <chrono>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <vector>

#include "usocket/address.hpp"
#include "usocket/error.hpp"
#include "usocket/export.hpp"
#include "usocket/socket.hpp"

namespace usocket {

/// RFC 8305's recommended Connection Attempt Delay.
inline constexpr duration default_attempt_delay = std::chrono::milliseconds(250);

struct connection_options {
    /// The returned socket's timeout and the bound on the whole call. Starts as
    /// getdefaulttimeout() at the time the options are made (CPython's default);
    /// usocket::blocking blocks without a limit.
    timeout_type timeout = getdefaulttimeout();
    /// The family the name is resolved for: af_unspec (both, as CPython), af_inet or af_inet6.
    /// Ignored by the overload that takes addresses already resolved.
    address_family family = af_unspec;
    /// Bind every attempt's socket to this address before connecting (CPython's
    /// source_address); port 0 lets the system choose.
    std::optional<address> source_address;
    /// The throwing form reports every attempt (connection_errors) instead of the last error.
    bool all_errors = false;
    /// Happy Eyeballs; false tries the addresses one after the other in the resolver's order
    /// (still under one deadline).
    bool happy_eyeballs = true;
    /// How long an attempt runs alone before the next one starts (RFC 8305: at least 10 ms,
    /// which is enforced).
    duration attempt_delay = default_attempt_delay;
};

/// One failed attempt: where to, and why.
struct attempt_error {
    address peer;
    std::error_code code;
    friend bool operator==(const attempt_error&, const attempt_error&) = default;
};

/// What create_connection() throws with all_errors: every attempt's error, in the order they
/// failed (CPython's ExceptionGroup). code() is the last one's; attempts still in flight when
/// the deadline passed are listed with ETIMEDOUT.
class USOCKET_API connection_errors : public os_error {
public:
    connection_errors(std::vector<attempt_error> errors, const std::error_code& last);
    [[nodiscard]] const std::vector<attempt_error>& errors() const noexcept { return errors_; }

private:
    std::vector<attempt_error> errors_;
};

/// Connects a TCP socket to (host, port): resolves with getaddrinfo(host, port, 0,
/// sock_stream) — bounded by the timeout when there is one — then tries every address as
/// above. Returns the connected socket with the requested timeout. Throws gaierror (resolution),
/// timeout_error (the deadline passed), the last attempt's os_error, or connection_errors
/// with all_errors; value_error for a negative timeout or a bad port.
[[nodiscard]] USOCKET_API socket create_connection(std::string_view host, int port, const connection_options& options = {});
/// The non-throwing form. `errors`, when given, receives every failed attempt.
[[nodiscard]] USOCKET_API socket create_connection(std::string_view host, int port, const connection_options& options,
                                     std::error_code& ec, std::vector<attempt_error>* errors = nullptr);
[[nodiscard]] USOCKET_API socket create_connection(std::string_view host, int port, std::error_code& ec);
/// The same over addresses already resolved (no lookup), e.g. [::1, 127.0.0.1].
[[nodiscard]] USOCKET_API socket create_connection(std::span<const address> candidates, const connection_options& options = {});
[[nodiscard]] USOCKET_API socket create_connection(std::span<const address> candidates, const connection_options& options,
                                     std::error_code& ec, std::vector<attempt_error>* errors = nullptr);

struct server_options {
    /// The family for (host, port) (af_inet by default, as CPython); the address overload
    /// takes its address's family.
    address_family family = af_inet;
    /// listen() backlog; std::nullopt: listen()'s default.
    std::optional<int> backlog;
    /// Sets SO_REUSEPORT (value_error when the backend has none).
    bool reuse_port = false;
    /// An af_inet6 socket that also accepts IPv4 (IPV6_V6ONLY off); otherwise an af_inet6
    /// server is IPv6 only (IPV6_V6ONLY set explicitly, whatever the system default).
    bool dualstack_ipv6 = false;
};

/// A listening TCP socket bound to `local` (CPython's socket.create_server): SO_REUSEADDR
/// set (except for af_unix), IPV6_V6ONLY set explicitly for af_inet6. Throws os_error (the
/// message names the address) or value_error (dualstack_ipv6 without af_inet6 or support).
[[nodiscard]] USOCKET_API socket create_server(const address& local, const server_options& options = {});
[[nodiscard]] USOCKET_API socket create_server(const address& local, const server_options& options, std::error_code& ec) noexcept;
/// The same for (host, port), resolved for options.family ("" is every local address).
[[nodiscard]] USOCKET_API socket create_server(std::string_view host, int port, const server_options& options = {});
[[nodiscard]] USOCKET_API socket create_server(std::string_view host, int port, const server_options& options,
                                 std::error_code& ec) noexcept;
[[nodiscard]] USOCKET_API socket create_server(std::string_view host, int port, std::error_code& ec) noexcept;
[[nodiscard]] USOCKET_API socket create_server(const address& local, std::error_code& ec) noexcept;

/// True when an af_inet6 socket can also accept IPv4 (IPV6_V6ONLY can be cleared).
[[nodiscard]] USOCKET_API bool has_dualstack_ipv6() noexcept;

}  // namespace usocket
