#pragma once
// usocket::address — a socket address of any family the backend supports (IPv4, IPv6, Unix
// paths and Linux abstract names), held as the backend's own sockaddr bytes so that passing it
// to or from a system call costs no conversion. A value type: copyable, comparable, hashable,
// printable.

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "usocket/constants.hpp"
#include "usocket/export.hpp"

namespace usocket {

/// True for a port number: 0 to 65535. Every function that takes a port checks it with this
/// (errc::port_out_of_range otherwise, OverflowError in Python, as CPython).
[[nodiscard]] constexpr bool valid_port(int port) noexcept { return port >= 0 && port <= 65535; }

class address;
/// Equality and order compare what the address means, not padding: the family, then for IP
/// the address bytes (so numeric order), port, flowinfo and scope; for Unix the path (a
/// trailing NUL the kernel reports does not count). std::hash agrees with ==.
[[nodiscard]] USOCKET_API bool operator==(const address& a, const address& b) noexcept;
[[nodiscard]] USOCKET_API std::strong_ordering operator<=>(const address& a, const address& b) noexcept;

class USOCKET_API address {
public:
    /// Bytes reserved for the native sockaddr (as large as sockaddr_storage).
    static constexpr std::size_t capacity = 128;

    /// An empty address: family af_unspec, size 0.
    address() noexcept = default;

    /// The (host, port) form: a numeric IPv4 or IPv6 literal and a port ("127.0.0.1", 80),
    /// ("::1", 80). No name resolution here (see resolve_address() for names). Throws
    /// value_error (bad_address, port_out_of_range).
    address(std::string_view numeric_host, int port);
    /// The IPv6 (host, port, flowinfo, scope_id) form. Throws value_error.
    address(std::string_view numeric_ipv6_host, int port, std::uint32_t flowinfo, std::uint32_t scope_id);

    /// IPv4 from a dotted quad ("192.168.1.10"); "" is INADDR_ANY. Port 0..65535 (seed 002:
    /// a missing port is 0). Throws value_error.
    [[nodiscard]] static address ipv4(std::string_view host, int port, std::error_code& ec) noexcept;
    [[nodiscard]] static address ipv4(std::string_view host, int port = 0);
    /// IPv4 from four octets, the seed-002 form (192,168,1,10[,port]). Throws value_error.
    [[nodiscard]] static address ipv4(const std::array<int, 4>& octets, int port, std::error_code& ec) noexcept;
    [[nodiscard]] static address ipv4(const std::array<int, 4>& octets, int port = 0);
    /// The seed-002 tuples of integers: (192,168,1,10) or (192,168,1,10,8080). Any other
    /// count, an octet outside 0..255 (bad_address) or a bad port (port_out_of_range) is
    /// value_error.
    [[nodiscard]] static address from_octets(std::span<const int> values, std::error_code& ec) noexcept;
    [[nodiscard]] static address from_octets(std::span<const int> values);
    /// IPv6 from a literal ("::1", "fe80::1%lo" with a scope name), flowinfo (20 bits) and
    /// scope id. "" is in6addr_any.
    [[nodiscard]] static address ipv6(std::string_view host, int port, std::uint32_t flowinfo,
                        std::uint32_t scope_id, std::error_code& ec) noexcept;
    [[nodiscard]] static address ipv6(std::string_view host, int port, std::uint32_t flowinfo = 0,
                        std::uint32_t scope_id = 0);
    /// A Unix-domain address. A path starting with '\0' is a Linux abstract name.
    [[nodiscard]] static address unix_path(std::string_view path, std::error_code& ec) noexcept;
    [[nodiscard]] static address unix_path(std::string_view path);
    /// The wildcard address of `family` (af_inet or af_inet6) with `port`: what bind(port) binds.
    [[nodiscard]] static address any(address_family family, int port, std::error_code& ec) noexcept;
    [[nodiscard]] static address any(address_family family, int port);
    /// The loopback address of `family` (af_inet or af_inet6) with `port`.
    [[nodiscard]] static address loopback(address_family family, int port, std::error_code& ec) noexcept;
    [[nodiscard]] static address loopback(address_family family, int port);
    /// Parses text: "127.0.0.1:5005", "[::1]:80", "[fe80::1%2]:80", "/tmp/sock", "@abstract"
    /// (a leading '@' is a Linux abstract name), "192.168.1.10" and "::1" (port 0). Numeric
    /// only: a name is bad_address (resolve it with getaddrinfo()). A text containing '/' is
    /// a Unix path (one holding a NUL is bad_address). A port that is not all digits is bad_address, one above 65535
    /// port_out_of_range. parse(a.to_string()) == a for every address parse() can produce.
    [[nodiscard]] static address parse(std::string_view text, std::error_code& ec) noexcept;
    [[nodiscard]] static address parse(std::string_view text);
    /// Adopts native sockaddr bytes (as returned by the OS or getaddrinfo()).
    [[nodiscard]] static address from_native(const void* sockaddr, std::size_t size) noexcept;

    /// This IPv4 or IPv6 address with another port (scope and flow information kept).
    /// Other families: value_error (address_family_mismatch).
    [[nodiscard]] address with_port(int port, std::error_code& ec) const noexcept;
    [[nodiscard]] address with_port(int port) const;

    /// af_inet, af_inet6, af_unix or af_unspec (empty).
    [[nodiscard]] address_family family() const noexcept;
    /// The numeric host ("127.0.0.1", "::1", "fe80::1%lo") for IP; the path for Unix.
    [[nodiscard]] std::string host() const;
    /// The port in host byte order; 0 for non-IP addresses.
    [[nodiscard]] int port() const noexcept;
    /// IPv6 flow information and scope id; 0 for other families.
    [[nodiscard]] std::uint32_t flowinfo() const noexcept;
    [[nodiscard]] std::uint32_t scope_id() const noexcept;
    /// The Unix path (abstract names keep their leading '\0'); empty for other families.
    [[nodiscard]] std::string path() const;
    /// True for a Linux abstract Unix name.
    [[nodiscard]] bool is_abstract() const noexcept;
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

    /// "127.0.0.1:5005", "[::1]:80", "[fe80::1%eth0]:80" (any non-zero scope is shown, so
    /// that parse() gives the address back), "/tmp/sock", "@name" for an abstract Unix name.
    [[nodiscard]] std::string to_string() const;

    /// The native sockaddr bytes, for backends and bindings.
    [[nodiscard]] const void* data() const noexcept { return storage_.data(); }
    [[nodiscard]] void* data() noexcept { return storage_.data(); }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    /// Sets the size after a system call filled data() (clamped to capacity).
    void resize(std::size_t n) noexcept { size_ = n < capacity ? static_cast<std::uint32_t>(n) : capacity; }

    /// The IP address's bytes in network order: 4 for IPv4, 16 for IPv6, none for others.
    [[nodiscard]] std::span<const std::uint8_t> ip_bytes() const noexcept;

private:
    alignas(8) std::array<std::byte, capacity> storage_{};
    std::uint32_t size_ = 0;
};

USOCKET_API std::ostream& operator<<(std::ostream& os, const address& a);
/// The address of `a` as text (to_string()); {fmt} and std::format print it that way through
/// usocket/format.hpp.
[[nodiscard]] inline std::string to_string(const address& a) { return a.to_string(); }

}  // namespace usocket

template <>
struct std::hash<usocket::address> {
    USOCKET_API std::size_t operator()(const usocket::address& a) const noexcept;
};
