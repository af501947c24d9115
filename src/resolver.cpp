// getaddrinfo() and the resolution of (host, port) pairs for socket methods.

#include "usocket/resolver.hpp"

#include <string>

#include "or_throw.hpp"
#include "sys.hpp"
#include "usocket/constants.hpp"
#include "usocket/socket.hpp"

namespace usocket {

std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, std::optional<std::string_view> port,
                                  int family, int type, int proto, int flags, std::error_code& ec) {
    std::vector<addrinfo> out;
    // The C call needs NUL-terminated strings; an embedded NUL can never name anything.
    const std::string h = host ? std::string(*host) : std::string();
    const std::string p = port ? std::string(*port) : std::string();
    if (h.find('\0') != std::string::npos || p.find('\0') != std::string::npos) {
        ec = errc::invalid_argument;
        return out;
    }
    sys::getaddrinfo(host ? h.c_str() : nullptr, port ? p.c_str() : nullptr, family, type, proto, flags, out, ec);
    return out;
}

std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, std::optional<std::string_view> port,
                                  int family, int type, int proto, int flags) {
    return detail::or_throw("getaddrinfo", [&](std::error_code& ec) {
        return getaddrinfo(host, port, family, type, proto, flags, ec);
    });
}

address resolve_address(std::string_view host, int port, int family, std::error_code& ec) noexcept {
    if (port < 0 || port > 65535) {
        ec = errc::port_out_of_range;
        return {};
    }
    if (family != af_inet && family != af_inet6 && family != af_unspec) {
        ec = errc::address_family_mismatch;
        return {};
    }
    // As CPython's setipaddr(): "" is the wildcard, "<broadcast>" the IPv4 broadcast address,
    // a numeric literal needs no lookup, anything else goes to the resolver.
    if (host.empty()) return address::any(family == af_unspec ? af_inet : family, port, ec);
    if (host == "<broadcast>" || host == "255.255.255.255") {
        if (family == af_inet6) {
            ec = errc::address_family_mismatch;
            return {};
        }
        return address::ipv4("255.255.255.255", port, ec);
    }
    std::error_code parse_ec;
    if (family != af_inet6) {
        address a = address::ipv4(host, port, parse_ec);
        if (!parse_ec) return a;
    }
    if (family != af_inet) {
        parse_ec.clear();
        address a = address::ipv6(host, port, 0, 0, parse_ec);
        if (!parse_ec) return a;
    }
    auto list = getaddrinfo(host, std::nullopt, family, 0, 0, 0, ec);
    if (ec) return {};
    for (const auto& ai : list) {
        if (ai.sockaddr.family() != af_inet && ai.sockaddr.family() != af_inet6) continue;
        // Keep the scope the resolver found; put the caller's port in.
        if (ai.sockaddr.family() == af_inet) return address::ipv4(ai.sockaddr.host(), port, ec);
        return address::ipv6(ai.sockaddr.host(), port, ai.sockaddr.flowinfo(), ai.sockaddr.scope_id(), ec);
    }
    ec = std::error_code(eai_family, gai_category());
    return {};
}

address resolve_address(std::string_view host, int port, int family) {
    return detail::or_throw("resolve", [&](std::error_code& ec) { return resolve_address(host, port, family, ec); });
}

}  // namespace usocket
