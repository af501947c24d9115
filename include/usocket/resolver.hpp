#pragma once
// Name resolution: getaddrinfo() and the module-level name functions.

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "usocket/address.hpp"
#include "usocket/export.hpp"

namespace usocket {

/// One getaddrinfo() result: (family, type, proto, canonname, sockaddr).
struct addrinfo {
    int family = 0;
    int type = 0;
    int proto = 0;
    std::string canonname;
    address sockaddr;

    friend bool operator==(const addrinfo&, const addrinfo&) = default;
};

/// getaddrinfo(host, port, family, type, proto, flags). `host` std::nullopt is no host (with
/// ai_passive: the wildcard); `port` is a number, a service name or std::nullopt. Errors are
/// gaierror codes (negative EAI values); EAI_SYSTEM is reported as the plain errno.
USOCKET_API std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host,
                                              std::optional<std::string_view> port, int family,
                                              int type, int proto, int flags, std::error_code& ec);
USOCKET_API std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host,
                                              std::optional<std::string_view> port, int family = 0,
                                              int type = 0, int proto = 0, int flags = 0);

}  // namespace usocket
