// Name resolution through the C library's resolver.

#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <memory>

#include "../sys.hpp"
#include "usocket/error.hpp"
#include "usocket/resolver.hpp"

namespace usocket::sys {

namespace {
// glibc numbers EAI_* negative already; other C libraries number them positive.
int negative_eai(int code) noexcept { return code < 0 ? code : -code; }
}  // namespace

bool getaddrinfo(const char* host, const char* service, int family, int type, int proto, int flags,
                 std::vector<addrinfo>& out, std::error_code& ec) {
    ::addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = type;
    hints.ai_protocol = proto;
    hints.ai_flags = flags;
    ::addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        if (rc == EAI_SYSTEM && errno != 0)
            ec = std::error_code(errno, std::system_category());
        else
            ec = std::error_code(negative_eai(rc), gai_category());
        return false;
    }
    std::unique_ptr<::addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
    for (const ::addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        addrinfo entry;
        entry.family = ai->ai_family;
        entry.type = ai->ai_socktype;
        entry.proto = ai->ai_protocol;
        if (ai->ai_canonname != nullptr) entry.canonname = ai->ai_canonname;
        entry.sockaddr = address::from_native(ai->ai_addr, ai->ai_addrlen);
        out.push_back(std::move(entry));
    }
    return true;
}

}  // namespace usocket::sys
