// usocket::address over this platform's sockaddr layouts.

#include "usocket/address.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <charconv>
#include <cstddef>
#include <cstring>
#include <ostream>

#include "usocket/constants.hpp"
#include "usocket/error.hpp"
#include "../or_throw.hpp"

namespace usocket {

namespace {

constexpr std::size_t unix_path_offset = offsetof(sockaddr_un, sun_path);

bool port_ok(int port) noexcept { return port >= 0 && port <= 65535; }

// Parses an IPv6 literal with an optional "%scope" (an interface name or a number).
bool parse_ipv6(std::string_view host, in6_addr& out, std::uint32_t& scope) noexcept {
    std::string_view literal = host;
    std::string_view scope_text;
    if (const auto pct = host.find('%'); pct != std::string_view::npos) {
        literal = host.substr(0, pct);
        scope_text = host.substr(pct + 1);
        if (scope_text.empty()) return false;
    }
    char buf[INET6_ADDRSTRLEN];
    if (literal.size() >= sizeof buf || host.find('\0') != std::string_view::npos) return false;
    std::memcpy(buf, literal.data(), literal.size());
    buf[literal.size()] = '\0';
    if (::inet_pton(AF_INET6, buf, &out) != 1) return false;
    if (!scope_text.empty()) {
        std::uint32_t n = 0;
        const auto [p, e] = std::from_chars(scope_text.data(), scope_text.data() + scope_text.size(), n);
        if (e == std::errc() && p == scope_text.data() + scope_text.size()) {
            scope = n;
        } else {
            char name[IF_NAMESIZE + 1];
            if (scope_text.size() > IF_NAMESIZE) return false;
            std::memcpy(name, scope_text.data(), scope_text.size());
            name[scope_text.size()] = '\0';
            scope = ::if_nametoindex(name);
            if (scope == 0) return false;
        }
    }
    return true;
}

bool parse_ipv4(std::string_view host, in_addr& out) noexcept {
    char buf[INET_ADDRSTRLEN];
    if (host.size() >= sizeof buf || host.find('\0') != std::string_view::npos) return false;
    std::memcpy(buf, host.data(), host.size());
    buf[host.size()] = '\0';
    return ::inet_pton(AF_INET, buf, &out) == 1;
}

// A port in text: all digits (else bad_address) and at most 65535 (else port_out_of_range).
bool parse_port(std::string_view text, int& port, std::error_code& ec) noexcept {
    if (text.empty()) {
        ec = errc::bad_address;
        return false;
    }
    long v = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            ec = errc::bad_address;
            return false;
        }
        if (v <= 65535) v = v * 10 + (c - '0');
    }
    if (v > 65535) {
        ec = errc::port_out_of_range;
        return false;
    }
    port = static_cast<int>(v);
    return true;
}

const sockaddr_in& as_in(const std::byte* p) noexcept { return *reinterpret_cast<const sockaddr_in*>(p); }
const sockaddr_in6& as_in6(const std::byte* p) noexcept { return *reinterpret_cast<const sockaddr_in6*>(p); }

// Three-way comparison of two values, as a strong ordering.
template <class T>
std::strong_ordering cmp(const T& a, const T& b) noexcept {
    return a <=> b;
}

std::strong_ordering cmp_bytes(const void* a, const void* b, std::size_t n) noexcept {
    const int c = std::memcmp(a, b, n);
    return c < 0 ? std::strong_ordering::less : c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal;
}

}  // namespace

address::address(std::string_view numeric_host, int port) {
    std::error_code ec;
    in_addr v4{};
    *this = parse_ipv4(numeric_host, v4) ? ipv4(numeric_host, port, ec) : ipv6(numeric_host, port, 0, 0, ec);
    if (ec) throw_error(ec, "address");
}

address::address(std::string_view numeric_ipv6_host, int port, std::uint32_t flowinfo, std::uint32_t scope_id) {
    std::error_code ec;
    *this = ipv6(numeric_ipv6_host, port, flowinfo, scope_id, ec);
    if (ec) throw_error(ec, "address");
}

address address::ipv4(std::string_view host, int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    address a;
    if (!port_ok(port)) {
        ec = errc::port_out_of_range;
        return a;
    }
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<std::uint16_t>(port));
    if (host.empty()) {
        sin.sin_addr.s_addr = htonl(INADDR_ANY);
    } else if (!parse_ipv4(host, sin.sin_addr)) {
        ec = errc::bad_address;
        return a;
    }
    return from_native(&sin, sizeof sin);
}

address address::ipv4(const std::array<int, 4>& octets, int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (!port_ok(port)) {
        ec = errc::port_out_of_range;
        return {};
    }
    std::uint32_t v = 0;
    for (int o : octets) {
        if (o < 0 || o > 255) {
            ec = errc::bad_address;
            return {};
        }
        v = (v << 8) | static_cast<std::uint32_t>(o);
    }
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(static_cast<std::uint16_t>(port));
    sin.sin_addr.s_addr = htonl(v);
    return from_native(&sin, sizeof sin);
}

address address::from_octets(std::span<const int> values, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (values.size() != 4 && values.size() != 5) {
        ec = errc::bad_address;
        return {};
    }
    const std::array<int, 4> octets{values[0], values[1], values[2], values[3]};
    return ipv4(octets, values.size() == 5 ? values[4] : 0, ec);
}

address address::with_port(int port, std::error_code& ec) const noexcept {
    detail::clear_error(ec);
    if (!port_ok(port)) {
        ec = errc::port_out_of_range;
        return {};
    }
    address a = *this;
    const auto p = htons(static_cast<std::uint16_t>(port));
    switch (family()) {
        case AF_INET: std::memcpy(a.storage_.data() + offsetof(sockaddr_in, sin_port), &p, sizeof p); return a;
        case AF_INET6: std::memcpy(a.storage_.data() + offsetof(sockaddr_in6, sin6_port), &p, sizeof p); return a;
        default: ec = errc::address_family_mismatch; return {};
    }
}

address address::ipv6(std::string_view host, int port, std::uint32_t flowinfo, std::uint32_t scope_id,
                      std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (!port_ok(port)) {
        ec = errc::port_out_of_range;
        return {};
    }
    if (flowinfo > 0xfffffu) {
        ec = errc::invalid_argument;
        return {};
    }
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(static_cast<std::uint16_t>(port));
    sin6.sin6_flowinfo = htonl(flowinfo);
    std::uint32_t scope = scope_id;
    if (host.empty()) {
        sin6.sin6_addr = in6addr_any;
    } else if (!parse_ipv6(host, sin6.sin6_addr, scope)) {
        ec = errc::bad_address;
        return {};
    }
    sin6.sin6_scope_id = scope;
    return from_native(&sin6, sizeof sin6);
}

address address::unix_path(std::string_view path, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    sockaddr_un sun{};
    const bool abstract = !path.empty() && path.front() == '\0';
    // A filesystem path needs room for its terminating NUL; an abstract name does not.
    if (path.size() > sizeof sun.sun_path - (abstract ? 0 : 1) ||
        (!abstract && path.find('\0') != std::string_view::npos)) {
        ec = errc::bad_address;
        return {};
    }
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, path.data(), path.size());
    return from_native(&sun, unix_path_offset + path.size());
}

address address::any(int family, int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (family == AF_INET) return ipv4("", port, ec);
    if (family == AF_INET6) return ipv6("", port, 0, 0, ec);
    ec = errc::address_family_mismatch;
    return {};
}

address address::loopback(int family, int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (family == AF_INET) return ipv4("127.0.0.1", port, ec);
    if (family == AF_INET6) return ipv6("::1", port, 0, 0, ec);
    ec = errc::address_family_mismatch;
    return {};
}

address address::parse(std::string_view text, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (text.empty()) {
        ec = errc::bad_address;
        return {};
    }
    if (text.front() == '@') {
        char name[sizeof(sockaddr_un::sun_path)];
        if (text.size() > sizeof name) {
            ec = errc::bad_address;
            return {};
        }
        name[0] = '\0';
        std::memcpy(name + 1, text.data() + 1, text.size() - 1);
        return unix_path(std::string_view(name, text.size()), ec);
    }
    if (text.find('/') != std::string_view::npos) return unix_path(text, ec);
    int port = 0;
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close == 1) {
            ec = errc::bad_address;
            return {};
        }
        const auto rest = text.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !parse_port(rest.substr(1), port, ec))) {
            if (!ec) ec = errc::bad_address;
            return {};
        }
        return ipv6(text.substr(1, close - 1), port, 0, 0, ec);
    }
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) return ipv4(text, 0, ec);
    // Two colons or more: a bare IPv6 literal, which has no port.
    if (text.find(':', colon + 1) != std::string_view::npos) return ipv6(text, 0, 0, 0, ec);
    if (colon == 0) {
        ec = errc::bad_address;
        return {};
    }
    if (!parse_port(text.substr(colon + 1), port, ec)) return {};
    return ipv4(text.substr(0, colon), port, ec);
}

address address::from_native(const void* sockaddr_bytes, std::size_t size) noexcept {
    address a;
    if (sockaddr_bytes == nullptr) return a;
    if (size > capacity) size = capacity;
    std::memcpy(a.storage_.data(), sockaddr_bytes, size);
    a.size_ = static_cast<std::uint32_t>(size);
    return a;
}

int address::family() const noexcept {
    if (size_ < sizeof(sa_family_t)) return AF_UNSPEC;
    sa_family_t f;
    std::memcpy(&f, storage_.data() + offsetof(sockaddr, sa_family), sizeof f);
    return f;
}

std::string address::host() const {
    char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    switch (family()) {
        case AF_INET: {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(storage_.data());
            ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf);
            return buf;
        }
        case AF_INET6: {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(storage_.data());
            ::inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf);
            std::string out = buf;
            // As getnameinfo(NI_NUMERICHOST): a scoped link-local address names its interface.
            if (sin6->sin6_scope_id != 0 && (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr) ||
                                             IN6_IS_ADDR_MC_LINKLOCAL(&sin6->sin6_addr))) {
                char name[IF_NAMESIZE + 1];
                out += '%';
                out += ::if_indextoname(sin6->sin6_scope_id, name) ? std::string(name)
                                                                   : std::to_string(sin6->sin6_scope_id);
            }
            return out;
        }
        case AF_UNIX: return path();
        default: return {};
    }
}

int address::port() const noexcept {
    switch (family()) {
        case AF_INET: return ntohs(reinterpret_cast<const sockaddr_in*>(storage_.data())->sin_port);
        case AF_INET6: return ntohs(reinterpret_cast<const sockaddr_in6*>(storage_.data())->sin6_port);
        default: return 0;
    }
}

std::uint32_t address::flowinfo() const noexcept {
    if (family() != AF_INET6) return 0;
    return ntohl(reinterpret_cast<const sockaddr_in6*>(storage_.data())->sin6_flowinfo);
}

std::uint32_t address::scope_id() const noexcept {
    if (family() != AF_INET6) return 0;
    return reinterpret_cast<const sockaddr_in6*>(storage_.data())->sin6_scope_id;
}

std::string address::path() const {
    if (family() != AF_UNIX || size_ <= unix_path_offset) return {};
    const char* p = reinterpret_cast<const char*>(storage_.data()) + unix_path_offset;
    const std::size_t n = size_ - unix_path_offset;
    if (p[0] == '\0') return std::string(p, n);  // abstract: every byte counts
    return std::string(p, ::strnlen(p, n));
}

bool address::is_abstract() const noexcept {
    return family() == AF_UNIX && size_ > unix_path_offset &&
           reinterpret_cast<const char*>(storage_.data())[unix_path_offset] == '\0';
}

std::string address::to_string() const {
    switch (family()) {
        case AF_INET: return host() + ':' + std::to_string(port());
        case AF_INET6: {
            std::string h = host();
            // host() names the scope of link-local addresses only (as getnameinfo); show any
            // scope here so that parse() gives the same address back.
            if (scope_id() != 0 && h.find('%') == std::string::npos) h += '%' + std::to_string(scope_id());
            return '[' + h + "]:" + std::to_string(port());
        }
        case AF_UNIX: {
            std::string p = path();
            if (!p.empty() && p.front() == '\0') p.front() = '@';
            return p;
        }
        default: return {};
    }
}

bool operator==(const address& a, const address& b) noexcept { return (a <=> b) == 0; }

std::strong_ordering operator<=>(const address& a, const address& b) noexcept {
    const int fam = a.family();
    if (const auto c = cmp(fam, b.family()); c != 0) return c;
    const std::byte* pa = a.storage_.data();
    const std::byte* pb = b.storage_.data();
    switch (fam) {
        case AF_INET: {
            if (const auto c = cmp_bytes(&as_in(pa).sin_addr, &as_in(pb).sin_addr, sizeof(in_addr)); c != 0) return c;
            return cmp(a.port(), b.port());
        }
        case AF_INET6: {
            if (const auto c = cmp_bytes(&as_in6(pa).sin6_addr, &as_in6(pb).sin6_addr, sizeof(in6_addr)); c != 0)
                return c;
            if (const auto c = cmp(a.port(), b.port()); c != 0) return c;
            if (const auto c = cmp(a.flowinfo(), b.flowinfo()); c != 0) return c;
            return cmp(a.scope_id(), b.scope_id());
        }
        case AF_UNIX: return cmp(a.path(), b.path());
        default: {
            const std::size_t n = a.size_ < b.size_ ? a.size_ : b.size_;
            if (const auto c = cmp_bytes(pa, pb, n); c != 0) return c;
            return cmp(a.size_, b.size_);
        }
    }
}

std::ostream& operator<<(std::ostream& os, const address& a) { return os << a.to_string(); }

address address::ipv4(std::string_view host, int port) {
    return detail::or_throw("ipv4 address", [&](std::error_code& ec) { return ipv4(host, port, ec); });
}
address address::ipv4(const std::array<int, 4>& octets, int port) {
    return detail::or_throw("ipv4 address", [&](std::error_code& ec) { return ipv4(octets, port, ec); });
}
address address::ipv6(std::string_view host, int port, std::uint32_t flowinfo, std::uint32_t scope_id) {
    return detail::or_throw("ipv6 address",
                            [&](std::error_code& ec) { return ipv6(host, port, flowinfo, scope_id, ec); });
}
address address::unix_path(std::string_view path) {
    return detail::or_throw("unix address", [&](std::error_code& ec) { return unix_path(path, ec); });
}
address address::any(int family, int port) {
    return detail::or_throw("address", [&](std::error_code& ec) { return any(family, port, ec); });
}
address address::loopback(int family, int port) {
    return detail::or_throw("address", [&](std::error_code& ec) { return loopback(family, port, ec); });
}
address address::from_octets(std::span<const int> values) {
    return detail::or_throw("ipv4 address", [&](std::error_code& ec) { return from_octets(values, ec); });
}
address address::with_port(int port) const {
    return detail::or_throw("address", [&](std::error_code& ec) { return with_port(port, ec); });
}
address address::parse(std::string_view text) {
    return detail::or_throw("address", [&](std::error_code& ec) { return parse(text, ec); });
}

}  // namespace usocket

std::size_t std::hash<usocket::address>::operator()(const usocket::address& a) const noexcept {
    // FNV-1a over exactly what operator== compares.
    std::size_t h = 1469598103934665603ull;
    const auto mix = [&h](const void* data, std::size_t n) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
    };
    const int family = a.family();
    mix(&family, sizeof family);
    const auto* p = static_cast<const std::byte*>(a.data());
    switch (family) {
        case AF_INET: mix(&reinterpret_cast<const sockaddr_in*>(p)->sin_addr, sizeof(in_addr)); break;
        case AF_INET6: {
            mix(&reinterpret_cast<const sockaddr_in6*>(p)->sin6_addr, sizeof(in6_addr));
            const std::uint32_t extra[2] = {a.flowinfo(), a.scope_id()};
            mix(extra, sizeof extra);
            break;
        }
        case AF_UNIX: {
            const std::string path = a.path();
            mix(path.data(), path.size());
            break;
        }
        default: mix(p, a.size()); break;
    }
    const int port = a.port();
    mix(&port, sizeof port);
    return h;
}
