// The POSIX backend's sockaddr layouts (src/sockaddr.hpp): sockaddr_in, sockaddr_in6 and
// sockaddr_un, read and written with memcpy (the native bytes need not be aligned for them).

#include "../sockaddr.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace usocket::sys {

namespace {
constexpr std::size_t unix_path_offset = offsetof(sockaddr_un, sun_path);

template <class T>
T load(const void* in) noexcept {
    T v;
    std::memcpy(&v, in, sizeof v);
    return v;
}
}  // namespace

std::size_t encode_ip(const ip_parts& p, void* out, std::size_t capacity) noexcept {
    if (p.family == AF_INET) {
        sockaddr_in sin{};
        if (capacity < sizeof sin) return 0;
        sin.sin_family = AF_INET;
        sin.sin_port = htons(p.port);
        std::memcpy(&sin.sin_addr, p.bytes, 4);
        std::memcpy(out, &sin, sizeof sin);
        return sizeof sin;
    }
    if (p.family == AF_INET6) {
        sockaddr_in6 sin6{};
        if (capacity < sizeof sin6) return 0;
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(p.port);
        sin6.sin6_flowinfo = htonl(p.flowinfo);
        std::memcpy(&sin6.sin6_addr, p.bytes, 16);
        sin6.sin6_scope_id = p.scope_id;
        std::memcpy(out, &sin6, sizeof sin6);
        return sizeof sin6;
    }
    return 0;
}

address_family decode_family(const void* in, std::size_t size) noexcept {
    if (size < offsetof(sockaddr, sa_family) + sizeof(sa_family_t)) return af_unspec;
    return address_family{load<sa_family_t>(static_cast<const char*>(in) + offsetof(sockaddr, sa_family))};
}

bool decode_ip(const void* in, std::size_t size, ip_parts& out) noexcept {
    const address_family f = decode_family(in, size);
    if (f == AF_INET && size >= sizeof(sockaddr_in)) {
        const auto sin = load<sockaddr_in>(in);
        out = {};
        out.family = f;
        std::memcpy(out.bytes, &sin.sin_addr, 4);
        out.port = ntohs(sin.sin_port);
        return true;
    }
    if (f == AF_INET6 && size >= sizeof(sockaddr_in6)) {
        const auto sin6 = load<sockaddr_in6>(in);
        out = {};
        out.family = f;
        std::memcpy(out.bytes, &sin6.sin6_addr, 16);
        out.port = ntohs(sin6.sin6_port);
        out.flowinfo = ntohl(sin6.sin6_flowinfo);
        out.scope_id = sin6.sin6_scope_id;
        return true;
    }
    return false;
}

std::size_t ip_bytes_offset(address_family family) noexcept {
    return family == AF_INET ? offsetof(sockaddr_in, sin_addr) : offsetof(sockaddr_in6, sin6_addr);
}

void set_port(void* in, address_family family, std::uint16_t port) noexcept {
    const std::uint16_t p = htons(port);
    const std::size_t at = family == AF_INET ? offsetof(sockaddr_in, sin_port) : offsetof(sockaddr_in6, sin6_port);
    std::memcpy(static_cast<char*>(in) + at, &p, sizeof p);
}

std::size_t max_unix_path() noexcept { return sizeof(sockaddr_un::sun_path) - 1; }

std::size_t encode_unix(std::string_view path, void* out, std::size_t capacity) noexcept {
    const bool abstract = !path.empty() && path.front() == '\0';
    // A filesystem path needs room for its terminating NUL; an abstract name does not.
    if (path.size() > max_unix_path() + (abstract ? 1 : 0) || capacity < sizeof(sockaddr_un)) return 0;
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.data(), path.size());
    std::memcpy(out, &sun, sizeof sun);
    return unix_path_offset + path.size();
}

std::string_view decode_unix(const void* in, std::size_t size) noexcept {
    if (decode_family(in, size) != AF_UNIX || size <= unix_path_offset) return {};
    const char* p = static_cast<const char*>(in) + unix_path_offset;
    const std::size_t n = size - unix_path_offset;
    if (p[0] == '\0') return {p, n};  // abstract: every byte counts
    return {p, ::strnlen(p, n)};
}

std::uint32_t interface_index(std::string_view name) noexcept {
    char buf[IF_NAMESIZE + 1];
    if (name.empty() || name.size() > IF_NAMESIZE || name.find('\0') != std::string_view::npos) return 0;
    std::memcpy(buf, name.data(), name.size());
    buf[name.size()] = '\0';
    return ::if_nametoindex(buf);
}

bool interface_name(std::uint32_t index, std::string& out) {
    char name[IF_NAMESIZE + 1];
    if (::if_indextoname(index, name) == nullptr) return false;
    out = name;
    return true;
}

}  // namespace usocket::sys
