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
    if (literal.size() >= sizeof buf) return false;
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
    if (host.size() >= sizeof buf) return false;
    std::memcpy(buf, host.data(), host.size());
    buf[host.size()] = '\0';
    return ::inet_pton(AF_INET, buf, &out) == 1;
}

bool parse_port(std::string_view text, int& port) noexcept {
    if (text.empty() || text.size() > 5) return false;
    const auto [p, e] = std::from_chars(text.data(), text.data() + text.size(), port);
    return e == std::errc() && p == text.data() + text.size() && port_ok(port);
}

}  // namespace

address::address(std::string_view numeric_host, int port) {
    std::error_code ec;
    in_addr v4{};
    *this = parse_ipv4(numeric_host, v4) ? ipv4(numeric_host, port, ec) : ipv6(numeric_host, port, 0, 0, ec);
    if (ec) throw_error(ec, "address");
}

address address::ipv4(std::string_view host, int port, std::error_code& ec) noexcept {
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

address address::ipv6(std::string_view host, int port, std::uint32_t flowinfo, std::uint32_t scope_id,
                      std::error_code& ec) noexcept {
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
    if (family == AF_INET) return ipv4("", port, ec);
    if (family == AF_INET6) return ipv6("", port, 0, 0, ec);
    ec = errc::address_family_mismatch;
    return {};
}

address address::loopback(int family, int port, std::error_code& ec) noexcept {
    if (family == AF_INET) return ipv4("127.0.0.1", port, ec);
    if (family == AF_INET6) return ipv6("::1", port, 0, 0, ec);
    ec = errc::address_family_mismatch;
    return {};
}

address address::parse(std::string_view text, std::error_code& ec) noexcept {
    if (text.empty()) {
        ec = errc::bad_address;
        return {};
    }
    if (text.front() == '@') {
        std::string name(1, '\0');
        name.append(text.substr(1));
        return unix_path(name, ec);
    }
    if (text.find('/') != std::string_view::npos) return unix_path(text, ec);
    int port = 0;
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos) {
            ec = errc::bad_address;
            return {};
        }
        const auto rest = text.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !parse_port(rest.substr(1), port))) {
            ec = rest.front() == ':' ? make_error_code(errc::port_out_of_range) : make_error_code(errc::bad_address);
            return {};
        }
        const auto host = text.substr(1, close - 1);
        if (host.empty()) {
            ec = errc::bad_address;
            return {};
        }
        return ipv6(host, port, 0, 0, ec);
    }
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        return ipv4(text, 0, ec);
    }
    if (text.find(':', colon + 1) != std::string_view::npos) return ipv6(text, 0, 0, 0, ec);
    if (!parse_port(text.substr(colon + 1), port)) {
        ec = errc::port_out_of_range;
        return {};
    }
    const auto host = text.substr(0, colon);
    if (host.empty()) {
        ec = errc::bad_address;
        return {};
    }
    return ipv4(host, port, ec);
}

address address::from_native(const void* sockaddr_bytes, std::size_t size) noexcept {
    address a;
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
        case AF_INET6: return '[' + host() + "]:" + std::to_string(port());
        case AF_UNIX: {
            std::string p = path();
            if (!p.empty() && p.front() == '\0') p.front() = '@';
            return p;
        }
        default: return {};
    }
}

bool operator==(const address& a, const address& b) noexcept {
    return a.size_ == b.size_ && std::memcmp(a.storage_.data(), b.storage_.data(), a.size_) == 0;
}

std::strong_ordering operator<=>(const address& a, const address& b) noexcept {
    if (const auto c = a.family() <=> b.family(); c != 0) return c;
    const std::size_t n = a.size_ < b.size_ ? a.size_ : b.size_;
    if (const int c = std::memcmp(a.storage_.data(), b.storage_.data(), n); c != 0)
        return c < 0 ? std::strong_ordering::less : std::strong_ordering::greater;
    return a.size_ <=> b.size_;
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
address address::parse(std::string_view text) {
    return detail::or_throw("address", [&](std::error_code& ec) { return parse(text, ec); });
}

}  // namespace usocket

std::size_t std::hash<usocket::address>::operator()(const usocket::address& a) const noexcept {
    // FNV-1a over the native bytes, which operator== compares.
    std::size_t h = 1469598103934665603ull;
    const auto* p = static_cast<const unsigned char*>(a.data());
    for (std::size_t i = 0; i < a.size(); ++i) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}
