// usock resolve NAME [SERVICE]: usocket::getaddrinfo() as a table.

#include "resolve.hpp"

#include <cstdio>
#include <string>
#include <string_view>
#include <usocket/usocket.hpp>

#include "net.hpp"

namespace usock {

namespace {

// The constant's name ("AF_INET") from the library's table, or the number.
std::string constant_name(int value, std::string_view prefix) {
    for (const auto& c : usocket::constant_table())
        if (c.value == value && c.name.starts_with(prefix) && c.name != "SOCK_NONBLOCK" && c.name != "SOCK_CLOEXEC")
            return std::string(c.name);
    return std::to_string(value);
}

std::string protocol_name(int proto) {
    if (proto == 0) return "0";
    return constant_name(proto, "IPPROTO_");
}

}  // namespace

int run_resolve(const options& opt) {
    std::optional<std::string_view> service;
    if (opt.service) {
        parse_port(*opt.service, opt.udp ? usocket::sock_dgram : usocket::sock_stream);  // checks it
        service = *opt.service;
    }
    std::error_code ec;
    const auto rows = usocket::getaddrinfo(opt.name, service, usocket::address_family{opt.family()},
                                           opt.udp ? usocket::sock_dgram : usocket::socket_type{}, 0,
                                           usocket::ai_canonname, ec);
    if (ec) throw failure("cannot resolve '" + opt.name + "': " + describe(ec));

    std::printf("%-9s %-14s %-13s %-24s %s\n", "FAMILY", "TYPE", "PROTO", "CANONNAME", "ADDRESS");
    for (const auto& r : rows) {
        std::printf("%-9s %-14s %-13s %-24s %s\n", constant_name(r.family, "AF_").c_str(),
                    constant_name(r.type, "SOCK_").c_str(), protocol_name(r.proto).c_str(),
                    r.canonname.empty() ? "-" : r.canonname.c_str(), r.sockaddr.to_string().c_str());
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace usock
