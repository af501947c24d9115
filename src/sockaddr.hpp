#pragma once
// The backend seam for addresses: the layout of the backend's sockaddr structures. Everything
// else about addresses (the text forms, parsing, comparison, hashing) is portable and lives in
// src/address.cpp; a backend only says where the family, the port, the address bytes, the
// IPv6 flow and scope and the Unix path sit in its native bytes (src/<backend>/sockaddr.cpp).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "usocket/constants.hpp"

namespace usocket::sys {

/// An IP address independent of the backend's layout.
struct ip_parts {
    address_family family{};       ///< af_inet or af_inet6
    std::uint8_t bytes[16] = {};   ///< network order; 4 used for IPv4
    std::uint16_t port = 0;        ///< host order
    std::uint32_t flowinfo = 0;    ///< IPv6 only, host order
    std::uint32_t scope_id = 0;    ///< IPv6 only
};

/// Writes `p` as native bytes into `out` (at least `capacity` bytes); returns the size.
std::size_t encode_ip(const ip_parts& p, void* out, std::size_t capacity) noexcept;
/// Reads an IPv4 or IPv6 address; false for another family or too few bytes.
bool decode_ip(const void* in, std::size_t size, ip_parts& out) noexcept;
/// Where the address bytes of an IPv4/IPv6 address are inside its native bytes.
std::size_t ip_bytes_offset(address_family family) noexcept;
/// The family of native bytes (af_unspec when too short to tell).
address_family decode_family(const void* in, std::size_t size) noexcept;
/// Rewrites the port of native IPv4/IPv6 bytes in place (host order given).
void set_port(void* in, address_family family, std::uint16_t port) noexcept;

/// The longest Unix path the backend takes (0: no Unix sockets), not counting a terminating
/// NUL; an abstract name (leading NUL, Linux) may use one byte more.
std::size_t max_unix_path() noexcept;
/// Writes a Unix address (abstract when `path` starts with NUL) into `out`; returns the size,
/// or 0 when it does not fit or the backend has no Unix sockets.
std::size_t encode_unix(std::string_view path, void* out, std::size_t capacity) noexcept;
/// The raw path bytes of a native Unix address (abstract names keep their leading NUL; a
/// filesystem path ends at its first NUL).
std::string_view decode_unix(const void* in, std::size_t size) noexcept;

/// An interface's index from its name (0 when there is none), and its name from its index.
std::uint32_t interface_index(std::string_view name) noexcept;
bool interface_name(std::uint32_t index, std::string& out);

}  // namespace usocket::sys
