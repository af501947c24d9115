// Name resolution through the C library's resolver: getaddrinfo, getnameinfo, the reentrant
// (_r) forms of the legacy netdb calls, and the inet_* conversions.

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../sys.hpp"
#include "usocket/error.hpp"
#include "usocket/resolver.hpp"

namespace usocket::sys {

namespace {

// glibc numbers EAI_* negative already; other C libraries number them positive.
int negative_eai(int code) noexcept { return code < 0 ? code : -code; }

std::error_code gai_error(int rc) noexcept {
    if (rc == EAI_SYSTEM && errno != 0) return {errno, std::system_category()};
    return {negative_eai(rc), gai_category()};
}

// The _r calls want a caller's buffer and say ERANGE when it is too small: grow and retry.
template <class Call>
int with_growing_buffer(std::vector<char>& buf, Call&& call) {
    buf.resize(1024);
    for (;;) {
        const int rc = call(buf.data(), buf.size());
        if (rc != ERANGE || buf.size() >= (1u << 20)) return rc;
        buf.resize(buf.size() * 2);
    }
}

void copy_hostent(const hostent& h, host_entry& out) {
    out.name = h.h_name ? h.h_name : "";
    out.aliases.clear();
    out.addresses.clear();
    for (char** a = h.h_aliases; a != nullptr && *a != nullptr; ++a) out.aliases.emplace_back(*a);
    for (char** p = h.h_addr_list; p != nullptr && *p != nullptr; ++p) {
        char text[INET6_ADDRSTRLEN];
        if (::inet_ntop(h.h_addrtype, *p, text, sizeof text) != nullptr) out.addresses.emplace_back(text);
    }
}

// The h_errno of a failed gethostby*_r, or the errno behind NETDB_INTERNAL.
std::error_code host_error(int rc, int herr) noexcept {
    if (herr == NETDB_INTERNAL && rc != 0) return {rc, std::system_category()};
    if (herr == NETDB_INTERNAL && errno != 0) return {errno, std::system_category()};
    return {herr > 0 ? herr : HOST_NOT_FOUND, herror_category()};
}

}  // namespace

bool getaddrinfo(const char* host, const char* service, address_family family, socket_type type, protocol proto,
                 addrinfo_flags flags,
                 std::vector<addrinfo>& out, std::error_code& ec) {
    ::addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = type;
    hints.ai_protocol = proto;
    hints.ai_flags = flags;
    ::addrinfo* res = nullptr;
    errno = 0;
    const int rc = ::getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        ec = gai_error(rc);
        return false;
    }
    std::unique_ptr<::addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
    for (const ::addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        addrinfo entry;
        entry.family = address_family{ai->ai_family};
        entry.type = socket_type{ai->ai_socktype};
        entry.proto = protocol{ai->ai_protocol};
        if (ai->ai_canonname != nullptr) entry.canonname = ai->ai_canonname;
        entry.sockaddr = address::from_native(ai->ai_addr, ai->ai_addrlen);
        out.push_back(std::move(entry));
    }
    return true;
}

bool getnameinfo(const address& a, nameinfo_flags flags, std::string& host, std::string& service, std::error_code& ec) {
    char h[NI_MAXHOST];
    char s[NI_MAXSERV];
    errno = 0;
    const int rc = ::getnameinfo(static_cast<const sockaddr*>(a.data()), static_cast<socklen_t>(a.size()), h,
                                 sizeof h, s, sizeof s, flags);
    if (rc != 0) {
        ec = gai_error(rc);
        return false;
    }
    host = h;
    service = s;
    return true;
}

bool gethostbyname(const char* name, host_entry& out, std::error_code& ec) {
    std::vector<char> buf;
    hostent h{};
    hostent* res = nullptr;
    int herr = 0;
    const int rc = with_growing_buffer(buf, [&](char* b, std::size_t n) {
        return ::gethostbyname_r(name, &h, b, n, &res, &herr);
    });
    if (rc != 0 || res == nullptr) {
        ec = host_error(rc, herr);
        return false;
    }
    copy_hostent(h, out);
    return true;
}

bool gethostbyaddr(const address& a, host_entry& out, std::error_code& ec) {
    const void* bytes = nullptr;
    socklen_t len = 0;
    if (a.family() == AF_INET) {
        bytes = &static_cast<const sockaddr_in*>(a.data())->sin_addr;
        len = sizeof(in_addr);
    } else if (a.family() == AF_INET6) {
        bytes = &static_cast<const sockaddr_in6*>(a.data())->sin6_addr;
        len = sizeof(in6_addr);
    } else {
        ec = std::error_code(EAFNOSUPPORT, std::system_category());
        return false;
    }
    std::vector<char> buf;
    hostent h{};
    hostent* res = nullptr;
    int herr = 0;
    const int rc = with_growing_buffer(buf, [&](char* b, std::size_t n) {
        return ::gethostbyaddr_r(bytes, len, a.family(), &h, b, n, &res, &herr);
    });
    if (rc != 0 || res == nullptr) {
        ec = host_error(rc, herr);
        return false;
    }
    copy_hostent(h, out);
    return true;
}

bool gethostname(std::string& out, std::error_code& ec) {
    char buf[1024];
    if (::gethostname(buf, sizeof buf - 1) != 0) {
        ec = std::error_code(errno, std::system_category());
        return false;
    }
    buf[sizeof buf - 1] = '\0';
    out = buf;
    return true;
}

bool getservbyname(const char* name, const char* proto, int& port, std::error_code& ec) {
    std::vector<char> buf;
    servent s{};
    servent* res = nullptr;
    const int rc = with_growing_buffer(buf, [&](char* b, std::size_t n) {
        return ::getservbyname_r(name, proto, &s, b, n, &res);
    });
    if (rc != 0 && rc != ENOENT) ec = std::error_code(rc, std::system_category());
    if (res == nullptr) return false;
    port = ntohs(static_cast<std::uint16_t>(s.s_port));
    return true;
}

bool getservbyport(int port, const char* proto, std::string& name, std::error_code& ec) {
    std::vector<char> buf;
    servent s{};
    servent* res = nullptr;
    const int net_port = htons(static_cast<std::uint16_t>(port));
    const int rc = with_growing_buffer(buf, [&](char* b, std::size_t n) {
        return ::getservbyport_r(net_port, proto, &s, b, n, &res);
    });
    if (rc != 0 && rc != ENOENT) ec = std::error_code(rc, std::system_category());
    if (res == nullptr) return false;
    name = s.s_name;
    return true;
}

bool getprotobyname(const char* name, int& proto, std::error_code& ec) {
    std::vector<char> buf;
    protoent p{};
    protoent* res = nullptr;
    const int rc = with_growing_buffer(buf, [&](char* b, std::size_t n) {
        return ::getprotobyname_r(name, &p, b, n, &res);
    });
    if (rc != 0 && rc != ENOENT) ec = std::error_code(rc, std::system_category());
    if (res == nullptr) return false;
    proto = p.p_proto;
    return true;
}

bool inet_pton(address_family family, const char* text, unsigned char* out, std::size_t& size, std::error_code& ec) noexcept {
    if (family != AF_INET && family != AF_INET6) {
        ec = std::error_code(EAFNOSUPPORT, std::system_category());
        return false;
    }
    if (::inet_pton(family, text, out) != 1) return false;
    size = family == AF_INET ? sizeof(in_addr) : sizeof(in6_addr);
    return true;
}

bool inet_ntop(address_family family, const unsigned char* bytes, std::string& out, std::error_code& ec) {
    char text[INET6_ADDRSTRLEN];
    if (::inet_ntop(family, bytes, text, sizeof text) == nullptr) {
        ec = std::error_code(errno, std::system_category());
        return false;
    }
    out = text;
    return true;
}

bool inet_aton(const char* text, unsigned char out[4]) noexcept {
    in_addr a{};
    if (::inet_aton(text, &a) == 0) return false;
    std::memcpy(out, &a, 4);
    return true;
}

bool has_ipv6() noexcept {
#ifdef AF_INET6
    return true;
#else
    return false;
#endif
}

}  // namespace usocket::sys
