// usocket::address: the portable part — every text form, parsing, comparison and hashing — over
// the backend's sockaddr layout (src/sockaddr.hpp) and its text conversions (sys::inet_pton).

#include "usocket/address.hpp"

#include <charconv>
#include <cstddef>
#include <cstring>
#include <ostream>

#include "or_throw.hpp"
#include "port.hpp"
#include "sockaddr.hpp"
#include "sys.hpp"
#include "usocket/constants.hpp"
#include "usocket/error.hpp"

namespace usocket {

namespace {

// The NUL-terminated copy of a short text the C conversions need; false when it cannot be one.
template <std::size_t N>
bool c_string(std::string_view text, char (&buf)[N]) noexcept {
    if (text.size() >= N || text.find('\0') != std::string_view::npos) return false;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    return true;
}

bool parse_ipv4(std::string_view host, std::uint8_t (&out)[16]) noexcept {
    char buf[16];
    std::size_t size = 0;
    std::error_code ignored;
    return c_string(host, buf) && sys::inet_pton(af_inet, buf, out, size, ignored);
}

// An IPv6 literal with an optional "%scope" (an interface name or a number).
bool parse_ipv6(std::string_view host, std::uint8_t (&out)[16], std::uint32_t& scope) noexcept {
    std::string_view literal = host;
    std::string_view scope_text;
    if (const auto pct = host.find('%'); pct != std::string_view::npos) {
        literal = host.substr(0, pct);
        scope_text = host.substr(pct + 1);
        if (scope_text.empty()) return false;
    }
    char buf[48];
    std::size_t size = 0;
    std::error_code ignored;
    if (!c_string(literal, buf) || !sys::inet_pton(af_inet6, buf, out, size, ignored)) return false;
    if (!scope_text.empty()) {
        std::uint32_t n = 0;
        const auto [p, e] = std::from_chars(scope_text.data(), scope_text.data() + scope_text.size(), n);
        if (e == std::errc() && p == scope_text.data() + scope_text.size()) {
            scope = n;
        } else {
            scope = sys::interface_index(scope_text);
            if (scope == 0) return false;
        }
    }
    return true;
}


address from_parts(const sys::ip_parts& p) noexcept {
    std::byte native[address::capacity];
    return address::from_native(native, sys::encode_ip(p, native, sizeof native));
}

bool is_link_local(const sys::ip_parts& p) noexcept {
    return (p.bytes[0] == 0xfe && (p.bytes[1] & 0xc0) == 0x80) ||  // fe80::/10
           (p.bytes[0] == 0xff && (p.bytes[1] & 0x0f) == 0x02);    // multicast, link-local scope
}

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
    *this = detail::or_throw([&] { return detail::host_port_context("address", numeric_host, port); },
                             [&](std::error_code& ec) {
                                 std::uint8_t bytes[16];
                                 return parse_ipv4(numeric_host, bytes) ? ipv4(numeric_host, port, ec)
                                                                        : ipv6(numeric_host, port, 0, 0, ec);
                             });
}

address::address(std::string_view numeric_ipv6_host, int port, std::uint32_t flowinfo, std::uint32_t scope_id) {
    *this = detail::or_throw([&] { return detail::host_port_context("address", numeric_ipv6_host, port); },
                             [&](std::error_code& ec) { return ipv6(numeric_ipv6_host, port, flowinfo, scope_id, ec); });
}

namespace {
// The parts of an IP address of `family` with `port`, or false with port_out_of_range.
bool start_ip(address_family family, int port, sys::ip_parts& p, std::error_code& ec) noexcept {
    if (!valid_port(port)) {
        ec = errc::port_out_of_range;
        return false;
    }
    p.family = family;
    p.port = static_cast<std::uint16_t>(port);
    return true;
}
}  // namespace

address address::ipv4(std::string_view host, int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    sys::ip_parts p;
    if (!start_ip(af_inet, port, p, ec)) return {};
    if (!host.empty() && !parse_ipv4(host, p.bytes)) {  // "" is INADDR_ANY: all zeros
        ec = errc::bad_address;
        return {};
    }
    return from_parts(p);
}

address address::ipv4(const std::array<int, 4>& octets, int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    sys::ip_parts p;
    if (!start_ip(af_inet, port, p, ec)) return {};
    for (std::size_t i = 0; i < 4; ++i) {
        if (octets[i] < 0 || octets[i] > 255) {
            ec = errc::bad_address;
            return {};
        }
        p.bytes[i] = static_cast<std::uint8_t>(octets[i]);
    }
    return from_parts(p);
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
    if (!valid_port(port)) {
        ec = errc::port_out_of_range;
        return {};
    }
    const address_family f = family();
    if (f != af_inet && f != af_inet6) {
        ec = errc::address_family_mismatch;
        return {};
    }
    address a = *this;
    sys::set_port(a.storage_.data(), f, static_cast<std::uint16_t>(port));
    return a;
}

address address::ipv6(std::string_view host, int port, std::uint32_t flowinfo, std::uint32_t scope_id,
                      std::error_code& ec) noexcept {
    detail::clear_error(ec);
    sys::ip_parts p;
    if (!start_ip(af_inet6, port, p, ec)) return {};
    if (flowinfo > 0xfffffu) {
        ec = errc::invalid_argument;
        return {};
    }
    p.flowinfo = flowinfo;
    p.scope_id = scope_id;
    if (!host.empty() && !parse_ipv6(host, p.bytes, p.scope_id)) {  // "" is in6addr_any
        ec = errc::bad_address;
        return {};
    }
    return from_parts(p);
}

address address::unix_path(std::string_view path, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    std::byte native[capacity];
    const std::size_t n = sys::encode_unix(path, native, sizeof native);
    if (n == 0) {
        ec = errc::bad_address;
        return {};
    }
    return from_native(native, n);
}

address address::any(address_family family, int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (family == af_inet) return ipv4("", port, ec);
    if (family == af_inet6) return ipv6("", port, 0, 0, ec);
    ec = errc::address_family_mismatch;
    return {};
}

address address::loopback(address_family family, int port, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (family == af_inet) return ipv4("127.0.0.1", port, ec);
    if (family == af_inet6) return ipv6("::1", port, 0, 0, ec);
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
        char name[capacity];
        if (text.size() > sizeof name) {
            ec = errc::bad_address;
            return {};
        }
        name[0] = '\0';
        std::memcpy(name + 1, text.data() + 1, text.size() - 1);
        return unix_path(std::string_view(name, text.size()), ec);
    }
    if (text.find('/') != std::string_view::npos) {
        // A filesystem path ends at its first NUL for the kernel: text holding one would name
        // a different path than it reads, and to_string() could not give it back.
        if (text.find('\0') != std::string_view::npos) {
            ec = errc::bad_address;
            return {};
        }
        return unix_path(text, ec);
    }
    int port = 0;
    if (text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string_view::npos || close == 1) {
            ec = errc::bad_address;
            return {};
        }
        const auto rest = text.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !detail::parse_port_digits(rest.substr(1), port, ec))) {
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
    if (!detail::parse_port_digits(text.substr(colon + 1), port, ec)) return {};
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

address_family address::family() const noexcept { return sys::decode_family(storage_.data(), size_); }

std::span<const std::uint8_t> address::ip_bytes() const noexcept {
    const address_family f = family();
    if (f != af_inet && f != af_inet6) return {};
    const std::size_t n = f == af_inet ? 4 : 16;
    const std::size_t at = sys::ip_bytes_offset(f);
    if (at + n > size_) return {};
    return {reinterpret_cast<const std::uint8_t*>(storage_.data()) + at, n};
}

std::string address::host() const {
    sys::ip_parts p;
    if (sys::decode_ip(storage_.data(), size_, p)) {
        std::string out;
        std::error_code ignored;
        sys::inet_ntop(p.family, p.bytes, out, ignored);
        // As getnameinfo(NI_NUMERICHOST): a scoped link-local address names its interface.
        if (p.family == af_inet6 && p.scope_id != 0 && is_link_local(p)) {
            std::string name;
            out += '%';
            out += sys::interface_name(p.scope_id, name) ? name : std::to_string(p.scope_id);
        }
        return out;
    }
    if (family() == af_unix) return path();
    return {};
}

int address::port() const noexcept {
    sys::ip_parts p;
    return sys::decode_ip(storage_.data(), size_, p) ? p.port : 0;
}

std::uint32_t address::flowinfo() const noexcept {
    sys::ip_parts p;
    return sys::decode_ip(storage_.data(), size_, p) ? p.flowinfo : 0;
}

std::uint32_t address::scope_id() const noexcept {
    sys::ip_parts p;
    return sys::decode_ip(storage_.data(), size_, p) ? p.scope_id : 0;
}

std::string address::path() const { return std::string(sys::decode_unix(storage_.data(), size_)); }

bool address::is_abstract() const noexcept {
    const std::string_view p = sys::decode_unix(storage_.data(), size_);
    return !p.empty() && p.front() == '\0';
}

std::string address::to_string() const {
    const address_family f = family();
    if (f == af_inet) return host() + ':' + std::to_string(port());
    if (f == af_inet6) {
        std::string h = host();
        // host() names the scope of link-local addresses only (as getnameinfo); show any
        // scope here so that parse() gives the same address back.
        if (scope_id() != 0 && h.find('%') == std::string::npos) h += '%' + std::to_string(scope_id());
        return '[' + h + "]:" + std::to_string(port());
    }
    if (f == af_unix) {
        std::string p = path();
        if (!p.empty() && p.front() == '\0') p.front() = '@';
        return p;
    }
    return {};
}

bool operator==(const address& a, const address& b) noexcept { return (a <=> b) == 0; }

std::strong_ordering operator<=>(const address& a, const address& b) noexcept {
    const address_family fam = a.family();
    if (const auto c = cmp(fam.value(), b.family().value()); c != 0) return c;
    sys::ip_parts pa, pb;
    if (sys::decode_ip(a.data(), a.size(), pa) && sys::decode_ip(b.data(), b.size(), pb)) {
        if (const auto c = cmp_bytes(pa.bytes, pb.bytes, fam == af_inet ? 4 : 16); c != 0) return c;
        if (const auto c = cmp(pa.port, pb.port); c != 0) return c;
        if (const auto c = cmp(pa.flowinfo, pb.flowinfo); c != 0) return c;
        return cmp(pa.scope_id, pb.scope_id);
    }
    if (fam == af_unix) return cmp(sys::decode_unix(a.data(), a.size()), sys::decode_unix(b.data(), b.size()));
    const std::size_t n = a.size() < b.size() ? a.size() : b.size();
    if (const auto c = cmp_bytes(a.data(), b.data(), n); c != 0) return c;
    return cmp(a.size(), b.size());
}

std::ostream& operator<<(std::ostream& os, const address& a) { return os << a.to_string(); }

address address::ipv4(std::string_view host, int port) {
    return detail::or_throw([&] { return detail::host_port_context("ipv4 address", host, port); },
                            [&](std::error_code& ec) { return ipv4(host, port, ec); });
}
address address::ipv4(const std::array<int, 4>& octets, int port) {
    return detail::or_throw("ipv4 address", [&](std::error_code& ec) { return ipv4(octets, port, ec); });
}
address address::ipv6(std::string_view host, int port, std::uint32_t flowinfo, std::uint32_t scope_id) {
    return detail::or_throw([&] { return detail::host_port_context("ipv6 address", host, port); },
                            [&](std::error_code& ec) { return ipv6(host, port, flowinfo, scope_id, ec); });
}
address address::unix_path(std::string_view path) {
    return detail::or_throw([&] { return "unix address '" + std::string(path) + "'"; },
                            [&](std::error_code& ec) { return unix_path(path, ec); });
}
address address::any(address_family family, int port) {
    return detail::or_throw("address", [&](std::error_code& ec) { return any(family, port, ec); });
}
address address::loopback(address_family family, int port) {
    return detail::or_throw("address", [&](std::error_code& ec) { return loopback(family, port, ec); });
}
address address::from_octets(std::span<const int> values) {
    return detail::or_throw("ipv4 address", [&](std::error_code& ec) { return from_octets(values, ec); });
}
address address::with_port(int port) const {
    return detail::or_throw([&] { return "address " + to_string() + " with port " + std::to_string(port); },
                            [&](std::error_code& ec) { return with_port(port, ec); });
}
address address::parse(std::string_view text) {
    return detail::or_throw([&] { return "address '" + std::string(text) + "'"; },
                            [&](std::error_code& ec) { return parse(text, ec); });
}

bool detail::parse_port_digits(std::string_view text, int& port, std::error_code& ec) noexcept {
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
        if (v <= 65535) v = v * 10 + (c - '0');  // stops growing once out of range
    }
    if (!valid_port(static_cast<int>(v))) {
        ec = errc::port_out_of_range;
        return false;
    }
    port = static_cast<int>(v);
    return true;
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
    usocket::sys::ip_parts p;
    if (usocket::sys::decode_ip(a.data(), a.size(), p)) {
        mix(p.bytes, family == usocket::af_inet ? 4 : 16);
        const std::uint32_t extra[3] = {p.port, p.flowinfo, p.scope_id};
        mix(extra, sizeof extra);
    } else if (family == usocket::af_unix) {
        const std::string_view path = usocket::sys::decode_unix(a.data(), a.size());
        mix(path.data(), path.size());
    } else {
        mix(a.data(), a.size());
    }
    return h;
}
