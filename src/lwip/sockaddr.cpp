// The lwIP backend's sockaddr layouts (src/sockaddr.hpp): lwIP's BSD-style sockaddr_in and
// sockaddr_in6 (a length byte, then a one-byte family), read and written with memcpy. No Unix
// sockets. Interfaces are lwIP's netifs ("lo", "hb" on a host: their name and number).

#include "../sockaddr.hpp"

#include <cstring>

#include "lwip.hpp"
#include "lwip/netif.h"

namespace usocket::sys {

namespace {

template <class T>
T load(const void* in) noexcept {
    T v;
    std::memcpy(&v, in, sizeof v);
    return v;
}

}  // namespace

std::size_t encode_ip(const ip_parts& p, void* out, std::size_t capacity) noexcept {
#if LWIP_IPV4
    if (p.family == AF_INET) {
        sockaddr_in sin{};
        if (capacity < sizeof sin) return 0;
        sin.sin_len = sizeof sin;
        sin.sin_family = AF_INET;
        sin.sin_port = lwip_htons(p.port);
        std::memcpy(&sin.sin_addr, p.bytes, 4);
        std::memcpy(out, &sin, sizeof sin);
        return sizeof sin;
    }
#endif
#if LWIP_IPV6
    if (p.family == AF_INET6) {
        sockaddr_in6 sin6{};
        if (capacity < sizeof sin6) return 0;
        sin6.sin6_len = sizeof sin6;
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = lwip_htons(p.port);
        sin6.sin6_flowinfo = lwip_htonl(p.flowinfo);
        std::memcpy(&sin6.sin6_addr, p.bytes, 16);
        sin6.sin6_scope_id = p.scope_id;
        std::memcpy(out, &sin6, sizeof sin6);
        return sizeof sin6;
    }
#endif
    (void)p;
    (void)out;
    (void)capacity;
    return 0;
}

address_family decode_family(const void* in, std::size_t size) noexcept {
    if (size < offsetof(sockaddr, sa_family) + sizeof(sa_family_t)) return af_unspec;
    return address_family{load<sa_family_t>(static_cast<const char*>(in) + offsetof(sockaddr, sa_family))};
}

bool decode_ip(const void* in, std::size_t size, ip_parts& out) noexcept {
    const address_family f = decode_family(in, size);
#if LWIP_IPV4
    if (f == AF_INET && size >= sizeof(sockaddr_in)) {
        const auto sin = load<sockaddr_in>(in);
        out = {};
        out.family = f;
        std::memcpy(out.bytes, &sin.sin_addr, 4);
        out.port = lwip_ntohs(sin.sin_port);
        return true;
    }
#endif
#if LWIP_IPV6
    if (f == AF_INET6 && size >= sizeof(sockaddr_in6)) {
        const auto sin6 = load<sockaddr_in6>(in);
        out = {};
        out.family = f;
        std::memcpy(out.bytes, &sin6.sin6_addr, 16);
        out.port = lwip_ntohs(sin6.sin6_port);
        out.flowinfo = lwip_ntohl(sin6.sin6_flowinfo);
        out.scope_id = sin6.sin6_scope_id;
        return true;
    }
#endif
    (void)f;
    (void)out;
    return false;
}

std::size_t ip_bytes_offset(address_family family) noexcept {
#if LWIP_IPV6
    if (family == AF_INET6) return offsetof(sockaddr_in6, sin6_addr);
#endif
    (void)family;
    return offsetof(sockaddr_in, sin_addr);
}

void set_port(void* in, address_family family, std::uint16_t port) noexcept {
    const std::uint16_t p = lwip_htons(port);
    std::size_t at = offsetof(sockaddr_in, sin_port);
#if LWIP_IPV6
    if (family == AF_INET6) at = offsetof(sockaddr_in6, sin6_port);
#endif
    (void)family;
    std::memcpy(static_cast<char*>(in) + at, &p, sizeof p);
}

std::size_t max_unix_path() noexcept { return 0; }

std::size_t encode_unix(std::string_view, void*, std::size_t) noexcept { return 0; }

std::string_view decode_unix(const void*, std::size_t) noexcept { return {}; }

std::uint32_t interface_index(std::string_view name) noexcept {
    // lwIP names an interface with two letters and its number ("lo0", "hb0"); the two letters
    // alone name number 0.
    char buf[NETIF_NAMESIZE];
    if (name.size() < 2 || name.size() + 1 >= sizeof buf || name.find('\0') != std::string_view::npos) return 0;
    std::memcpy(buf, name.data(), name.size());
    buf[name.size()] = '\0';
    if (name.size() == 2) {
        buf[2] = '0';
        buf[3] = '\0';
    }
    std::error_code ec;
    if (!lw::stack_started(ec)) return 0;
    LOCK_TCPIP_CORE();
    const u8_t index = netif_name_to_index(buf);
    UNLOCK_TCPIP_CORE();
    return index;
}

bool interface_name(std::uint32_t index, std::string& out) {
    char name[NETIF_NAMESIZE];
    std::error_code ec;
    if (index == 0 || index > 255 || !lw::stack_started(ec)) return false;
    LOCK_TCPIP_CORE();
    const char* found = netif_index_to_name(static_cast<u8_t>(index), name);
    UNLOCK_TCPIP_CORE();
    if (found == nullptr) return false;
    out = name;
    return true;
}

}  // namespace usocket::sys
