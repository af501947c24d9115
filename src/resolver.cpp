// Module-level names and addresses: argument checks and CPython's rules here, the C library's
// calls behind the seam (src/posix/resolve.cpp, src/posix/resolve_timed.cpp).

#include "usocket/resolver.hpp"

#include <string>

#include "or_throw.hpp"
#include "port.hpp"
#include "sock_call.hpp"
#include "sys.hpp"
#include "usocket/constants.hpp"
#include "usocket/poller.hpp"
#include "usocket/socket.hpp"

namespace usocket {

namespace {

bool has_nul(std::string_view s) noexcept { return s.find('\0') != std::string_view::npos; }

std::error_code gai(int negative_code) noexcept { return {negative_code, gai_category()}; }

// "getaddrinfo('example.org', 80)" for error messages.
std::string lookup_context(const std::optional<std::string_view>& host, const port_arg& port) {
    // Appended piece by piece: GCC 12 warns (-Wrestrict, its bug 105329) on "'" + std::string.
    std::string out = "getaddrinfo(";
    auto quoted = [&out](std::string_view s) { out.append(1, '\'').append(s).append(1, '\''); };
    if (host)
        quoted(*host);
    else
        out += "None";
    out += ", ";
    if (port.is_number())
        out += std::to_string(port.number());
    else if (port.is_none())
        out += "None";
    else
        quoted(port.text());
    out += ')';
    return out;
}

// The NUL-terminated strings the C calls need; an embedded NUL can never name anything.
struct c_args {
    std::string host;
    std::string service;
    const char* host_ptr = nullptr;
    const char* service_ptr = nullptr;

    bool set(const std::optional<std::string_view>& h, const port_arg& p, std::error_code& ec) {
        if (h) {
            if (has_nul(*h)) {
                ec = errc::invalid_argument;
                return false;
            }
            host = *h;
            host_ptr = host.c_str();
        }
        if (p.is_number()) {
            if (!valid_port(p.number())) {
                ec = errc::port_out_of_range;
                return false;
            }
            service = std::to_string(p.number());
            service_ptr = service.c_str();
        } else if (!p.is_none()) {
            if (has_nul(p.text())) {
                ec = errc::invalid_argument;
                return false;
            }
            service = p.text();
            service_ptr = service.c_str();
        }
        return true;
    }
};

}  // namespace

// --- getaddrinfo ---------------------------------------------------------------------------

std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, port_arg port, address_family family,
                                  socket_type type, protocol proto, addrinfo_flags flags, std::error_code& ec) {
    detail::clear_error(ec);
    std::vector<addrinfo> out;
    c_args args;
    if (args.set(host, port, ec))
        sys::getaddrinfo(args.host_ptr, args.service_ptr, family, type, proto, flags, out, ec);
    return out;
}

std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, port_arg port, std::error_code& ec) {
    return getaddrinfo(host, port, af_unspec, socket_type{}, protocol{}, addrinfo_flags{}, ec);
}

std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, port_arg port, address_family family,
                                  socket_type type, protocol proto, addrinfo_flags flags) {
    return detail::or_throw([&] { return lookup_context(host, port); }, [&](std::error_code& ec) {
        return getaddrinfo(host, port, family, type, proto, flags, ec);
    });
}

namespace {
// A host lookup under `dl`: the backend's lookup waited on by the blocking core's one loop.
bool lookup_within(const char* host, address_family family, addrinfo_flags flags, detail::deadline& dl,
                   std::vector<address>& out, std::string& canonname, std::error_code& ec) {
    sys::host_lookup lookup(host, family, flags);
    detail::poll_slot slots[sys::host_lookup::max_slots];
    while (!lookup.done()) {
        std::int64_t retry_ns = -1;
        const std::size_t n = lookup.wait_slots(slots, sys::host_lookup::max_slots, retry_ns);
        // Wake for the lookup's own retry timer too: that wait ends "early" and is not a timeout.
        detail::deadline step = retry_ns >= 0 ? dl.capped_at(sys::monotonic_ns() + retry_ns) : dl;
        const int r = detail::wait_loop(
            step, [&](std::int64_t left, std::error_code& e) { return sys::poll(slots, n, left, e); }, ec);
        if (r < 0) return false;
        lookup.step(slots, r > 0 ? n : 0);
        if (!lookup.done() && (dl.non_blocking() || (!dl.unlimited() && dl.remaining() == 0))) {
            ec = detail::timed_out_code();
            return false;
        }
    }
    return lookup.result(out, canonname, ec);
}
}  // namespace

std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, port_arg port, address_family family,
                                  socket_type type, protocol proto, addrinfo_flags flags, timeout_type timeout,
                                  std::error_code& ec) {
    detail::clear_error(ec);
    if (timeout.is_blocking()) return getaddrinfo(host, port, family, type, proto, flags, ec);
    std::vector<addrinfo> out;
    if (!timeout.is_valid()) {
        ec = errc::invalid_timeout;
        return out;
    }
    detail::deadline dl(timeout.nanoseconds());
    dl.start();
    c_args args;
    if (!args.set(host, port, ec)) return out;
    // A numeric host, or none, needs no network: the system resolver answers at once.
    if (sys::getaddrinfo(args.host_ptr, args.service_ptr, family, type, proto, flags | ai_numerichost, out, ec) ||
        ec != gai(eai_noname) || !host || has_any(flags, ai_numerichost))
        return out;
    ec.assign(0, ec.category());
    // The (family, type, proto, port) combinations the system resolver would pair with each
    // address, and its service-name and argument errors: ask it with no host.
    std::vector<addrinfo> shapes;
    if (!sys::getaddrinfo(nullptr, args.service_ptr ? args.service_ptr : "0", family, type, proto,
                          flags & ~(ai_canonname | ai_passive), shapes, ec))
        return out;
    std::vector<address> addresses;
    std::string canonname;
    if (!lookup_within(args.host_ptr, family, flags, dl, addresses, canonname, ec)) return out;
    for (const address& a : addresses) {
        for (const addrinfo& shape : shapes) {
            if (shape.family != a.family()) continue;
            out.push_back({shape.family, shape.type, shape.proto, {}, a.with_port(shape.sockaddr.port(), ec)});
        }
    }
    if (out.empty()) {
        ec = gai(eai_noname);
        return out;
    }
    out.front().canonname = std::move(canonname);
    return out;
}

std::vector<addrinfo> getaddrinfo(std::optional<std::string_view> host, port_arg port, address_family family,
                                  socket_type type, protocol proto, addrinfo_flags flags, timeout_type timeout) {
    return detail::or_throw([&] { return lookup_context(host, port); }, [&](std::error_code& ec) {
        return getaddrinfo(host, port, family, type, proto, flags, timeout, ec);
    });
}

// --- (host, port) for socket methods: CPython's setipaddr() --------------------------------

address resolve_address(std::string_view host, int port, address_family family, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (!valid_port(port)) {
        ec = errc::port_out_of_range;
        return {};
    }
    if (family != af_inet && family != af_inet6 && family != af_unspec) {
        ec = errc::address_family_mismatch;
        return {};
    }
    if (has_nul(host)) {
        ec = errc::invalid_argument;
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
    // A scoped literal ("fe80::1%eth0") goes to the resolver, as in CPython.
    if (family != af_inet && host.find('%') == std::string_view::npos) {
        parse_ec.clear();
        address a = address::ipv6(host, port, 0, 0, parse_ec);
        if (!parse_ec) return a;
    }
    const std::vector<addrinfo> list = getaddrinfo(host, std::nullopt, family, socket_type{}, protocol{}, addrinfo_flags{}, ec);
    if (ec) return {};
    for (const auto& ai : list) {
        const int f = ai.sockaddr.family();
        if (f == af_inet || f == af_inet6) return ai.sockaddr.with_port(port, ec);  // keeps the scope found
    }
    ec = gai(eai_family);
    return {};
}

address resolve_address(std::string_view host, int port, address_family family) {
    return detail::or_throw([&] { return detail::host_port_context("resolve", host, port); },
                            [&](std::error_code& ec) { return resolve_address(host, port, family, ec); });
}

// --- getnameinfo and the legacy host calls -------------------------------------------------

nameinfo getnameinfo(const address& sockaddr, std::error_code& ec) {
    return getnameinfo(sockaddr, nameinfo_flags{}, ec);
}

nameinfo getnameinfo(const address& sockaddr, nameinfo_flags flags, std::error_code& ec) {
    detail::clear_error(ec);
    nameinfo out;
    if (sockaddr.family() != af_inet && sockaddr.family() != af_inet6) {
        ec = errc::bad_address;
        return out;
    }
    sys::getnameinfo(sockaddr, flags, out.host, out.service, ec);
    return out;
}

nameinfo getnameinfo(const address& sockaddr, nameinfo_flags flags) {
    return detail::or_throw("getnameinfo", [&](std::error_code& ec) { return getnameinfo(sockaddr, flags, ec); });
}

std::string gethostbyname(std::string_view name, std::error_code& ec) {
    detail::clear_error(ec);
    const address a = resolve_address(name, 0, af_inet, ec);
    return ec ? std::string() : a.host();
}

std::string gethostbyname(std::string_view name) {
    return detail::or_throw("gethostbyname", [&](std::error_code& ec) { return gethostbyname(name, ec); });
}

host_entry gethostbyname_ex(std::string_view name, std::error_code& ec) {
    detail::clear_error(ec);
    host_entry out;
    // CPython resolves first (a gaierror for an unknown name), then asks the legacy resolver.
    (void)resolve_address(name, 0, af_inet, ec);
    if (ec) return out;
    sys::gethostbyname(std::string(name).c_str(), out, ec);
    return out;
}

host_entry gethostbyname_ex(std::string_view name) {
    return detail::or_throw("gethostbyname_ex", [&](std::error_code& ec) { return gethostbyname_ex(name, ec); });
}

host_entry gethostbyaddr(std::string_view ip_address, std::error_code& ec) {
    detail::clear_error(ec);
    host_entry out;
    const address a = resolve_address(ip_address, 0, af_unspec, ec);
    if (!ec) sys::gethostbyaddr(a, out, ec);
    return out;
}

host_entry gethostbyaddr(std::string_view ip_address) {
    return detail::or_throw("gethostbyaddr", [&](std::error_code& ec) { return gethostbyaddr(ip_address, ec); });
}

std::string gethostname(std::error_code& ec) {
    detail::clear_error(ec);
    std::string out;
    sys::gethostname(out, ec);
    return out;
}

std::string gethostname() {
    return detail::or_throw("gethostname", [&](std::error_code& ec) { return gethostname(ec); });
}

std::string getfqdn(std::string_view name) {
    const auto first = name.find_first_not_of(" \t\n\r\f\v");
    name = first == std::string_view::npos ? std::string_view() : name.substr(first);
    name = name.substr(0, name.find_last_not_of(" \t\n\r\f\v") + 1);
    std::error_code ec;
    std::string subject(name);
    if (subject.empty() || subject == "0.0.0.0" || subject == "::") {
        subject = gethostname(ec);
        if (ec) return std::string(name);
    }
    const host_entry h = gethostbyaddr(subject, ec);
    if (ec) return subject;
    if (h.name.find('.') != std::string::npos) return h.name;
    for (const auto& alias : h.aliases)
        if (alias.find('.') != std::string::npos) return alias;
    return h.name;
}

// --- services and protocols ----------------------------------------------------------------

namespace {

class netdb_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "netdb"; }
    std::string message(int v) const override {
        switch (static_cast<netdb_errc>(v)) {
            case netdb_errc::service_not_found: return "service/proto not found";
            case netdb_errc::port_not_found: return "port/proto not found";
            case netdb_errc::protocol_not_found: return "protocol not found";
        }
        return "not found";
    }
};

}  // namespace

const std::error_category& netdb_category() noexcept {
    static const netdb_category_impl c;
    return c;
}

int parse_port(std::string_view text, std::string_view proto, std::error_code& ec) {
    detail::clear_error(ec);
    const std::string_view digits = text.starts_with('-') ? text.substr(1) : text;
    if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos) {
        int port = 0;
        if (text.front() == '-' || !detail::parse_port_digits(digits, port, ec)) {
            ec = errc::port_out_of_range;
            return 0;
        }
        return port;
    }
    if (text.empty()) {
        ec = errc::bad_address;
        return 0;
    }
    return getservbyname(text, proto, ec);
}

int parse_port(std::string_view text, std::string_view proto) {
    return detail::or_throw([&] { return "port '" + std::string(text) + "'"; },
                            [&](std::error_code& ec) { return parse_port(text, proto, ec); });
}

int getservbyname(std::string_view name, std::string_view proto, std::error_code& ec) {
    detail::clear_error(ec);
    if (has_nul(name) || has_nul(proto)) {
        ec = errc::invalid_argument;
        return 0;
    }
    const std::string n(name), p(proto);
    int port = 0;
    if (!sys::getservbyname(n.c_str(), p.empty() ? nullptr : p.c_str(), port, ec) && !ec)
        ec = netdb_errc::service_not_found;
    return ec ? 0 : port;
}

int getservbyname(std::string_view name, std::string_view proto) {
    return detail::or_throw("getservbyname", [&](std::error_code& ec) { return getservbyname(name, proto, ec); });
}

std::string getservbyport(int port, std::string_view proto, std::error_code& ec) {
    detail::clear_error(ec);
    std::string out;
    if (!valid_port(port)) {
        ec = errc::port_out_of_range;
        return out;
    }
    if (has_nul(proto)) {
        ec = errc::invalid_argument;
        return out;
    }
    const std::string p(proto);
    if (!sys::getservbyport(port, p.empty() ? nullptr : p.c_str(), out, ec) && !ec) ec = netdb_errc::port_not_found;
    return out;
}

std::string getservbyport(int port, std::string_view proto) {
    return detail::or_throw("getservbyport", [&](std::error_code& ec) { return getservbyport(port, proto, ec); });
}

int getprotobyname(std::string_view name, std::error_code& ec) {
    detail::clear_error(ec);
    if (has_nul(name)) {
        ec = errc::invalid_argument;
        return 0;
    }
    int proto = 0;
    if (!sys::getprotobyname(std::string(name).c_str(), proto, ec) && !ec) ec = netdb_errc::protocol_not_found;
    return ec ? 0 : proto;
}

int getprotobyname(std::string_view name) {
    return detail::or_throw("getprotobyname", [&](std::error_code& ec) { return getprotobyname(name, ec); });
}

// --- text and bytes ------------------------------------------------------------------------

std::string inet_pton(address_family family, std::string_view text, std::error_code& ec) {
    detail::clear_error(ec);
    unsigned char bytes[16];
    std::size_t size = 0;
    if (has_nul(text)) {
        ec = errc::bad_address;
        return {};
    }
    if (!sys::inet_pton(family, std::string(text).c_str(), bytes, size, ec)) {
        if (!ec) ec = errc::bad_address;
        return {};
    }
    return std::string(reinterpret_cast<const char*>(bytes), size);
}

std::string inet_pton(address_family family, std::string_view text) {
    return detail::or_throw("inet_pton", [&](std::error_code& ec) { return inet_pton(family, text, ec); });
}

std::string inet_ntop(address_family family, std::string_view packed, std::error_code& ec) {
    detail::clear_error(ec);
    std::string out;
    if (family != af_inet && family != af_inet6) {
        ec = errc::invalid_argument;
        return out;
    }
    if (packed.size() != (family == af_inet ? 4u : 16u)) {
        ec = errc::bad_address;
        return out;
    }
    sys::inet_ntop(family, reinterpret_cast<const unsigned char*>(packed.data()), out, ec);
    return out;
}

std::string inet_ntop(address_family family, std::string_view packed) {
    return detail::or_throw("inet_ntop", [&](std::error_code& ec) { return inet_ntop(family, packed, ec); });
}

std::string inet_aton(std::string_view text, std::error_code& ec) {
    detail::clear_error(ec);
    unsigned char bytes[4];
    if (has_nul(text) || !sys::inet_aton(std::string(text).c_str(), bytes)) {
        ec = errc::bad_address;
        return {};
    }
    return std::string(reinterpret_cast<const char*>(bytes), 4);
}

std::string inet_aton(std::string_view text) {
    return detail::or_throw("inet_aton", [&](std::error_code& ec) { return inet_aton(text, ec); });
}

std::string inet_ntoa(std::string_view packed, std::error_code& ec) {
    detail::clear_error(ec);
    if (packed.size() != 4) {
        ec = errc::bad_address;
        return {};
    }
    std::string out;
    for (std::size_t i = 0; i < 4; ++i) {
        if (i != 0) out += '.';
        out += std::to_string(static_cast<unsigned char>(packed[i]));
    }
    return out;
}

std::string inet_ntoa(std::string_view packed) {
    return detail::or_throw("inet_ntoa", [&](std::error_code& ec) { return inet_ntoa(packed, ec); });
}

std::array<int, 4> ip_to_tuple(std::string_view text, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    std::array<int, 4> out{};
    unsigned char bytes[16];
    std::size_t size = 0;
    char buf[16];
    if (text.size() >= sizeof buf || has_nul(text)) {
        ec = errc::bad_address;
        return out;
    }
    text.copy(buf, text.size());
    buf[text.size()] = '\0';
    if (!sys::inet_pton(af_inet, buf, bytes, size, ec)) {
        if (!ec) ec = errc::bad_address;
        return out;
    }
    for (std::size_t i = 0; i < 4; ++i) out[i] = bytes[i];
    return out;
}

std::array<int, 4> ip_to_tuple(std::string_view text) {
    return detail::or_throw("ip_to_tuple", [&](std::error_code& ec) { return ip_to_tuple(text, ec); });
}

bool has_ipv6() noexcept { return sys::has_ipv6(); }

}  // namespace usocket
