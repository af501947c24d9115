#pragma once
// Names and addresses at module level: getaddrinfo() (also with a deadline), getnameinfo(),
// the legacy gethostby*() calls, services and protocols, the inet_* text/bytes conversions,
// the byte-order helpers, ip_to_tuple() and has_ipv6(). CPython's socket module is the
// reference for every behaviour; the differences are listed in docs/names.md.
//
// Errors: a resolver failure is a gaierror whose code is the NEGATIVE EAI value
// (gai_category()), EAI_SYSTEM becomes the plain errno, the legacy calls fail with herror
// (herror_category()), a service or protocol that is not found is an os_error in
// netdb_category(), and malformed input is a value_error (usocket::errc).

#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "usocket/address.hpp"
#include "usocket/constants.hpp"
#include "usocket/export.hpp"
#include "usocket/timeout.hpp"

namespace usocket {

/// One getaddrinfo() result: (family, type, proto, canonname, sockaddr).
struct addrinfo {
    address_family family{};
    socket_type type{};
    protocol proto{};
    std::string canonname;
    address sockaddr;

    friend bool operator==(const addrinfo&, const addrinfo&) = default;
};

/// The port argument of getaddrinfo(): a number (0..65535), a service name ("http") or none
/// (std::nullopt), as the module's `port` (an int, a str or None).
class port_arg {
public:
    port_arg(std::nullopt_t) noexcept {}
    port_arg(int number) noexcept : number_(number), kind_(kind::number) {}
    port_arg(const char* name) noexcept : port_arg(name ? std::optional<std::string_view>(name) : std::nullopt) {}
    port_arg(std::string_view name) noexcept : text_(name), kind_(kind::text) {}
    port_arg(const std::string& name) noexcept : text_(name), kind_(kind::text) {}
    port_arg(std::optional<std::string_view> name) noexcept
        : text_(name.value_or(std::string_view())), kind_(name ? kind::text : kind::none) {}

    [[nodiscard]] bool is_none() const noexcept { return kind_ == kind::none; }
    [[nodiscard]] bool is_number() const noexcept { return kind_ == kind::number; }
    [[nodiscard]] int number() const noexcept { return number_; }
    [[nodiscard]] std::string_view text() const noexcept { return text_; }

private:
    enum class kind : std::uint8_t { none, number, text };
    std::string_view text_;
    int number_ = 0;
    kind kind_ = kind::none;
};

/// getaddrinfo(host, port, family, type, proto, flags): the full list, in the resolver's
/// order. `host` std::nullopt is no host (with ai_passive the wildcard, else loopback); a
/// numeric port out of 0..65535 is value_error (port_out_of_range). Throws gaierror (code
/// = negative EAI value), os_error for EAI_SYSTEM, value_error for an embedded NUL.
/// Blocks for as long as the system resolver does: see the timed overload below.
[[nodiscard]] USOCKET_API std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, port_arg port,
                                                            address_family family, socket_type type, protocol proto,
                                                            addrinfo_flags flags, std::error_code& ec);
[[nodiscard]] USOCKET_API std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, port_arg port,
                                                            std::error_code& ec);
[[nodiscard]] USOCKET_API std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, port_arg port,
                                                            address_family family = af_unspec,
                                                            socket_type type = socket_type{},
                                                            protocol proto = protocol{},
                                                            addrinfo_flags flags = addrinfo_flags{});

/// getaddrinfo() that gives up after `timeout` with timeout_error (ETIMEDOUT). Numeric hosts
/// and no host answer even with a zero timeout; names are looked up with c-ares
/// (docs/names.md says why), which reads /etc/hosts (answered with no waiting) and
/// /etc/resolv.conf. usocket::blocking means no limit: the system getaddrinfo(). A negative
/// timeout is value_error (invalid_timeout). A signal during the wait runs the interrupt check.
[[nodiscard]] USOCKET_API std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, port_arg port,
                                                            address_family family, socket_type type, protocol proto,
                                                            addrinfo_flags flags, timeout_type timeout,
                                                            std::error_code& ec);
[[nodiscard]] USOCKET_API std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, port_arg port,
                                                            address_family family, socket_type type, protocol proto,
                                                            addrinfo_flags flags, timeout_type timeout);

/// What getnameinfo() returns: (host, port) as text.
struct nameinfo {
    std::string host;
    std::string service;
    friend bool operator==(const nameinfo&, const nameinfo&) = default;
};

/// getnameinfo(sockaddr, flags) for an IPv4 or IPv6 address (else value_error bad_address):
/// the host name (or numeric host with ni_numerichost) and the service name (or number).
/// Throws gaierror.
[[nodiscard]] USOCKET_API nameinfo getnameinfo(const address& sockaddr, nameinfo_flags flags, std::error_code& ec);
[[nodiscard]] USOCKET_API nameinfo getnameinfo(const address& sockaddr, std::error_code& ec);
[[nodiscard]] USOCKET_API nameinfo getnameinfo(const address& sockaddr, nameinfo_flags flags = nameinfo_flags{});

/// What gethostbyname_ex() and gethostbyaddr() return: (hostname, aliaslist, ipaddrlist).
struct host_entry {
    std::string name;
    std::vector<std::string> aliases;
    std::vector<std::string> addresses;
    friend bool operator==(const host_entry&, const host_entry&) = default;
};

/// The IPv4 address of `name` as text ("127.0.0.1"); numeric hosts need no lookup, "" is
/// "0.0.0.0", "<broadcast>" "255.255.255.255" (CPython's setipaddr). Throws gaierror.
[[nodiscard]] USOCKET_API std::string gethostbyname(std::string_view name, std::error_code& ec);
[[nodiscard]] USOCKET_API std::string gethostbyname(std::string_view name);
/// (hostname, aliaslist, ipaddrlist) of `name`, IPv4 only. Throws gaierror when the name does
/// not resolve, herror when the legacy resolver (gethostbyname_r) fails.
[[nodiscard]] USOCKET_API host_entry gethostbyname_ex(std::string_view name, std::error_code& ec);
[[nodiscard]] USOCKET_API host_entry gethostbyname_ex(std::string_view name);
/// (hostname, aliaslist, ipaddrlist) for an IPv4 or IPv6 address (a name is resolved first,
/// as CPython). Throws gaierror, or herror when no name is known for the address.
[[nodiscard]] USOCKET_API host_entry gethostbyaddr(std::string_view ip_address, std::error_code& ec);
[[nodiscard]] USOCKET_API host_entry gethostbyaddr(std::string_view ip_address);
/// The host name of this machine. Throws os_error.
[[nodiscard]] USOCKET_API std::string gethostname(std::error_code& ec);
[[nodiscard]] USOCKET_API std::string gethostname();
/// A fully qualified name for `name` ("" or "0.0.0.0" or "::" mean this machine): the first
/// name with a dot among gethostbyaddr()'s name and aliases, else its name, else `name`
/// unchanged. Never fails (as CPython).
[[nodiscard]] USOCKET_API std::string getfqdn(std::string_view name = {});

/// The port of a service ("http" → 80); `proto` "tcp", "udp" or "" for any. A service not
/// found throws os_error (netdb_errc::service_not_found).
[[nodiscard]] USOCKET_API int getservbyname(std::string_view name, std::string_view proto, std::error_code& ec);
[[nodiscard]] USOCKET_API int getservbyname(std::string_view name, std::string_view proto = {});
/// The service name of a port (80 → "http"). A port outside 0..65535 is value_error
/// (port_out_of_range, CPython's OverflowError); not found is os_error (port_not_found).
[[nodiscard]] USOCKET_API std::string getservbyport(int port, std::string_view proto, std::error_code& ec);
[[nodiscard]] USOCKET_API std::string getservbyport(int port, std::string_view proto = {});
/// A port given as text, as command lines and configuration files give it: digits are a
/// number (0..65535, else value_error port_out_of_range; "-1" too), anything else a service
/// name looked up for `proto` ("tcp", "udp" or "" for any; not found: os_error
/// service_not_found). "" is value_error (bad_address).
[[nodiscard]] USOCKET_API int parse_port(std::string_view text, std::string_view proto, std::error_code& ec);
[[nodiscard]] USOCKET_API int parse_port(std::string_view text, std::string_view proto = {});
/// The number of a protocol ("tcp" → 6). Not found is os_error (protocol_not_found).
[[nodiscard]] USOCKET_API int getprotobyname(std::string_view name, std::error_code& ec);
[[nodiscard]] USOCKET_API int getprotobyname(std::string_view name);

/// Why a netdb lookup found nothing (CPython raises a plain OSError with these messages).
enum class netdb_errc { service_not_found = 1, port_not_found, protocol_not_found };
/// The category of netdb_errc; its errors are thrown as os_error.
[[nodiscard]] USOCKET_API const std::error_category& netdb_category() noexcept;
inline std::error_code make_error_code(netdb_errc e) noexcept {
    return {static_cast<int>(e), netdb_category()};
}

/// Text to packed bytes: 4 for af_inet (strict dotted quad), 16 for af_inet6. Bad text is
/// value_error (bad_address); a family other than those two is os_error (EAFNOSUPPORT).
[[nodiscard]] USOCKET_API std::string inet_pton(address_family family, std::string_view text, std::error_code& ec);
[[nodiscard]] USOCKET_API std::string inet_pton(address_family family, std::string_view text);
/// Packed bytes to text. A length that does not fit the family is value_error (bad_address),
/// an unknown family value_error (invalid_argument).
[[nodiscard]] USOCKET_API std::string inet_ntop(address_family family, std::string_view packed, std::error_code& ec);
[[nodiscard]] USOCKET_API std::string inet_ntop(address_family family, std::string_view packed);
/// IPv4 text to 4 bytes with the C library's inet_aton() rules, as CPython: "127.1",
/// "0x7f.1" and "2130706433" are accepted. Bad text is value_error (bad_address).
[[nodiscard]] USOCKET_API std::string inet_aton(std::string_view text, std::error_code& ec);
[[nodiscard]] USOCKET_API std::string inet_aton(std::string_view text);
/// 4 packed bytes to "a.b.c.d". Another length is value_error (bad_address).
[[nodiscard]] USOCKET_API std::string inet_ntoa(std::string_view packed, std::error_code& ec);
[[nodiscard]] USOCKET_API std::string inet_ntoa(std::string_view packed);

/// Seed 002: "x.y.z.w" to four integers. Anything but a strict dotted quad is value_error.
[[nodiscard]] USOCKET_API std::array<int, 4> ip_to_tuple(std::string_view text, std::error_code& ec) noexcept;
[[nodiscard]] USOCKET_API std::array<int, 4> ip_to_tuple(std::string_view text);

/// True when this backend supports IPv6 (CPython's has_ipv6).
[[nodiscard]] USOCKET_API bool has_ipv6() noexcept;

// Byte order. The names are parenthesised because C libraries may define htons & co as
// macros: in a file that includes <netinet/in.h>, call them as (usocket::htons)(x).
constexpr std::uint16_t(htons)(std::uint16_t v) noexcept {
    if constexpr (std::endian::native == std::endian::big) return v;
    return static_cast<std::uint16_t>((v << 8) | (v >> 8));
}
constexpr std::uint16_t(ntohs)(std::uint16_t v) noexcept { return (htons)(v); }
constexpr std::uint32_t(htonl)(std::uint32_t v) noexcept {
    if constexpr (std::endian::native == std::endian::big) return v;
    return (v << 24) | ((v << 8) & 0x00ff0000u) | ((v >> 8) & 0x0000ff00u) | (v >> 24);
}
constexpr std::uint32_t(ntohl)(std::uint32_t v) noexcept { return (htonl)(v); }

}  // namespace usocket

template <>
struct std::is_error_code_enum<usocket::netdb_errc> : std::true_type {};
