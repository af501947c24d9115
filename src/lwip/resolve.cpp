// Names over lwIP: getaddrinfo through lwip_getaddrinfo (numeric hosts, lwIP's DNS client and
// its "localhost"), the host lookup with a deadline over lwIP's DNS callback API, and what lwIP
// has no database for: no services (getservbyname finds nothing), no reverse lookups (numeric
// getnameinfo, gethostbyaddr knows only the loopback addresses), the protocols lwIP speaks.
// The text forms of addresses are parsed and printed here, strictly, as glibc does (lwIP's own
// parsers take the classic forms "127.1" that inet_pton must refuse).

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "lwip.hpp"
#include "usocket/address.hpp"
#include "usocket/error.hpp"
#include "usocket/poller.hpp"
#include "usocket/resolver.hpp"

#if LWIP_DNS
#include "lwip/dns.h"
#endif

#ifdef USOCKET_LWIP_HOST
#include "usocket_lwip_host.h"
#endif

namespace usocket::sys {

namespace {

// lwIP's EAI_* are positive; a gaierror carries them negative (src/lwip/constants_prologue.h).
std::error_code eai(int code) noexcept { return {-code, gai_category()}; }

// --- text ---------------------------------------------------------------------------------------

int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Four decimal parts of 0-255 without leading zeros, and nothing else.
bool pton4(const char* src, unsigned char out[4]) noexcept {
    unsigned char tmp[4] = {};
    int octets = 0;
    bool saw_digit = false;
    unsigned value = 0;
    for (char ch; (ch = *src++) != '\0';) {
        if (ch >= '0' && ch <= '9') {
            if (saw_digit && value == 0) return false;  // a leading zero
            value = value * 10 + static_cast<unsigned>(ch - '0');
            if (value > 255) return false;
            if (!saw_digit) {
                if (++octets > 4) return false;
                saw_digit = true;
            }
        } else if (ch == '.' && saw_digit) {
            if (octets == 4) return false;
            tmp[octets - 1] = static_cast<unsigned char>(value);
            value = 0;
            saw_digit = false;
        } else {
            return false;
        }
    }
    if (octets < 4 || !saw_digit) return false;
    tmp[3] = static_cast<unsigned char>(value);
    std::memcpy(out, tmp, 4);
    return true;
}

// RFC 4291 section 2.2 text: hex groups, one "::", an IPv4 tail.
bool pton6(const char* src, unsigned char out[16]) noexcept {
    unsigned char tmp[16] = {};
    unsigned char* tp = tmp;
    unsigned char* const endp = tmp + 16;
    unsigned char* colonp = nullptr;
    if (*src == ':' && *++src != ':') return false;
    const char* curtok = src;
    bool saw_xdigit = false;
    int digits = 0;
    unsigned value = 0;
    for (char ch; (ch = *src++) != '\0';) {
        const int d = hex_digit(ch);
        if (d >= 0) {
            if (++digits > 4) return false;
            value = (value << 4) | static_cast<unsigned>(d);
            saw_xdigit = true;
            continue;
        }
        if (ch == ':') {
            curtok = src;
            if (!saw_xdigit) {
                if (colonp != nullptr) return false;
                colonp = tp;
                continue;
            }
            if (*src == '\0' || tp + 2 > endp) return false;
            *tp++ = static_cast<unsigned char>(value >> 8);
            *tp++ = static_cast<unsigned char>(value);
            saw_xdigit = false;
            digits = 0;
            value = 0;
            continue;
        }
        if (ch == '.' && tp + 4 <= endp && pton4(curtok, tp)) {
            tp += 4;
            saw_xdigit = false;
            break;
        }
        return false;
    }
    if (saw_xdigit) {
        if (tp + 2 > endp) return false;
        *tp++ = static_cast<unsigned char>(value >> 8);
        *tp++ = static_cast<unsigned char>(value);
    }
    if (colonp != nullptr) {
        if (tp == endp) return false;
        const auto n = tp - colonp;
        std::memmove(endp - n, colonp, static_cast<std::size_t>(n));
        std::memset(colonp, 0, static_cast<std::size_t>(endp - n - colonp));
        tp = endp;
    }
    if (tp != endp) return false;
    std::memcpy(out, tmp, 16);
    return true;
}

std::string ntop4(const unsigned char* b) {
    char text[16];
    std::snprintf(text, sizeof text, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    return text;
}

// RFC 5952 as glibc prints it: the longest run of two or more zero groups as "::", lower case,
// an IPv4-mapped or -compatible address with its IPv4 tail.
std::string ntop6(const unsigned char* b) {
    unsigned words[8];
    for (int i = 0; i < 8; ++i) words[i] = (static_cast<unsigned>(b[2 * i]) << 8) | b[2 * i + 1];
    int best = -1, best_len = 0, cur = -1, cur_len = 0;
    for (int i = 0; i < 8; ++i) {
        if (words[i] == 0) {
            if (cur == -1) cur = i, cur_len = 1;
            else ++cur_len;
        } else if (cur != -1) {
            if (best == -1 || cur_len > best_len) best = cur, best_len = cur_len;
            cur = -1;
        }
    }
    if (cur != -1 && (best == -1 || cur_len > best_len)) best = cur, best_len = cur_len;
    if (best != -1 && best_len < 2) best = -1;
    std::string out;
    for (int i = 0; i < 8; ++i) {
        if (best != -1 && i >= best && i < best + best_len) {
            if (i == best) out += ':';
            continue;
        }
        if (i != 0) out += ':';
        if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
            out += ntop4(b + 12);
            return out;
        }
        char group[5];
        std::snprintf(group, sizeof group, "%x", words[i]);
        out += group;
    }
    if (best != -1 && best + best_len == 8) out += ':';
    return out;
}

#if LWIP_DNS
// The (type, protocol) pairs a result is given, as glibc pairs them: every type lwIP has when
// none is asked for.
struct shape {
    int type;
    int proto;
};

bool shapes_for(int type, int proto, std::vector<shape>& out) {
    if (type == 0) {
        if (proto == 0 || proto == IPPROTO_TCP) out.push_back({SOCK_STREAM, IPPROTO_TCP});
        if (proto == 0 || proto == IPPROTO_UDP) out.push_back({SOCK_DGRAM, IPPROTO_UDP});
#if LWIP_RAW
        if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) out.push_back({SOCK_RAW, proto});
#endif
        return !out.empty();
    }
    if (type == SOCK_STREAM) out.push_back({SOCK_STREAM, proto != 0 ? proto : IPPROTO_TCP});
    else if (type == SOCK_DGRAM) out.push_back({SOCK_DGRAM, proto != 0 ? proto : IPPROTO_UDP});
#if LWIP_RAW
    else if (type == SOCK_RAW) out.push_back({SOCK_RAW, proto});
#endif
    return !out.empty();
}
#endif

}  // namespace

// --- getaddrinfo and friends ----------------------------------------------------------------------

bool getaddrinfo(const char* host, const char* service, address_family family, socket_type type, protocol proto,
                 addrinfo_flags flags, std::vector<addrinfo>& out, std::error_code& ec) {
#if LWIP_DNS
    std::vector<shape> shapes;
    if (!shapes_for(type, proto, shapes)) {
        ec = eai(EAI_SERVICE);
        return false;
    }
    // No host: the loopback or wildcard address of each family lwIP has (lwIP gives one).
    std::vector<int> families;
    if (host == nullptr && family == AF_UNSPEC) {
#if LWIP_IPV4
        families.push_back(AF_INET);
#endif
#if LWIP_IPV6
        families.push_back(AF_INET6);
#endif
    } else {
        families.push_back(family);
    }
    if (!lw::stack_started(ec)) return false;
    // A scoped IPv6 literal ("fe80::1%hb0", "fe80::1%2"): lwIP parses no zone; the scope is set
    // on the result here.
    std::string literal;
    std::uint32_t scope = 0;
    if (const char* pct = host != nullptr ? std::strchr(host, '%') : nullptr; pct != nullptr && LWIP_IPV6) {
        literal.assign(host, pct);
        unsigned char bytes[16];
        if ((family != AF_UNSPEC && family != AF_INET6) || !pton6(literal.c_str(), bytes)) {
            ec = eai(EAI_NONAME);
            return false;
        }
        scope = interface_index(pct + 1);
        if (scope == 0) {
            char* end = nullptr;
            const unsigned long n = std::strtoul(pct + 1, &end, 10);
            if (pct[1] == '\0' || *end != '\0' || n == 0 || n > 255) {
                ec = eai(EAI_NONAME);
                return false;
            }
            scope = static_cast<std::uint32_t>(n);
        }
        host = literal.c_str();
        families.assign(1, AF_INET6);
    }
    for (const int fam : families) {
        ::addrinfo hints{};
        hints.ai_family = fam;
        hints.ai_flags = flags;
        ::addrinfo* res = nullptr;
        const int rc = lwip_getaddrinfo(host, service, &hints, &res);
        if (rc != 0) {
            ec = eai(rc);
            return false;
        }
        std::unique_ptr<::addrinfo, decltype(&lwip_freeaddrinfo)> guard(res, &lwip_freeaddrinfo);
        for (const ::addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
            const std::size_t size = ai->ai_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : ai->ai_addrlen;
            for (const shape& s : shapes) {
                addrinfo entry;
                entry.family = address_family{ai->ai_family};
                entry.type = socket_type{s.type};
                entry.proto = protocol{s.proto};
                if ((flags & AI_CANONNAME) != 0 && ai->ai_canonname != nullptr && out.empty())
                    entry.canonname = ai->ai_canonname;
                entry.sockaddr = address::from_native(ai->ai_addr, size);
                if (scope != 0) {
                    ip_parts p;
                    if (decode_ip(entry.sockaddr.data(), entry.sockaddr.size(), p)) {
                        p.scope_id = scope;
                        unsigned char native[address::capacity];
                        entry.sockaddr = address::from_native(native, encode_ip(p, native, sizeof native));
                    }
                }
                out.push_back(std::move(entry));
            }
        }
    }
    return true;
#else
    (void)host, (void)service, (void)family, (void)type, (void)proto, (void)flags, (void)out;
    ec = make_error(ENOSYS);
    return false;
#endif
}

bool getnameinfo(const address& a, nameinfo_flags, std::string& host, std::string& service, std::error_code& ec) {
    // lwIP has no reverse lookups and no services database: the numeric forms.
    ip_parts p;
    if (!decode_ip(a.data(), a.size(), p)) {
        ec = make_error(EAFNOSUPPORT);
        return false;
    }
    host = p.family == AF_INET ? ntop4(p.bytes) : ntop6(p.bytes);
    if (p.family != AF_INET && p.scope_id != 0) {
        std::string name;
        host += '%';
        host += interface_name(p.scope_id, name) ? name : std::to_string(p.scope_id);
    }
    service = std::to_string(p.port);
    return true;
}

namespace {
std::error_code host_error() noexcept {
#if LWIP_DNS
    return {HOST_NOT_FOUND, herror_category()};
#else
    return {1, herror_category()};
#endif
}
}  // namespace

bool gethostbyname(const char* name, host_entry& out, std::error_code& ec) {
    std::vector<addrinfo> list;
    std::error_code e;
    if (!getaddrinfo(name, nullptr, af_inet, sock_stream, protocol{}, addrinfo_flags{}, list, e) || list.empty()) {
        ec = host_error();
        return false;
    }
    out.name = name;
    out.aliases.clear();
    out.addresses.clear();
    for (const auto& ai : list) out.addresses.push_back(ai.sockaddr.host());
    return true;
}

bool gethostbyaddr(const address& a, host_entry& out, std::error_code& ec) {
    // No reverse lookups in lwIP: only the loopback addresses have a name ("localhost", which
    // lwIP's DNS client resolves).
    ip_parts p;
    if (!decode_ip(a.data(), a.size(), p)) {
        ec = make_error(EAFNOSUPPORT);
        return false;
    }
    static const unsigned char loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const bool loopback = p.family == AF_INET ? p.bytes[0] == 127 : std::memcmp(p.bytes, loop6, 16) == 0;
    if (!loopback) {
        ec = host_error();
        return false;
    }
    out.name = "localhost";
    out.aliases.clear();
    out.addresses = {a.host()};
    return true;
}

bool gethostname(std::string& out, std::error_code&) {
    // lwIP's stack has no host name of its own; "localhost" is one its resolver knows.
    out = "localhost";
    return true;
}

bool getservbyname(const char*, const char*, int&, std::error_code&) { return false; }

bool getservbyport(int, const char*, std::string&, std::error_code&) { return false; }

bool getprotobyname(const char* name, int& proto, std::error_code&) {
    // The protocols lwIP speaks, by their usual names.
    static const struct {
        const char* name;
        int number;
    } known[] = {
        {"ip", IPPROTO_IP},   {"icmp", IPPROTO_ICMP}, {"tcp", IPPROTO_TCP},       {"udp", IPPROTO_UDP},
        {"udplite", IPPROTO_UDPLITE}, {"raw", IPPROTO_RAW},
#if LWIP_IPV6
        {"ipv6", IPPROTO_IPV6}, {"ipv6-icmp", IPPROTO_ICMPV6},
#endif
    };
    for (const auto& p : known) {
        if (std::strcmp(p.name, name) == 0) {
            proto = p.number;
            return true;
        }
    }
    return false;
}

bool inet_pton(address_family family, const char* text, unsigned char* out, std::size_t& size, std::error_code& ec) noexcept {
    if (family == AF_INET) {
        if (!pton4(text, out)) return false;
        size = 4;
        return true;
    }
    if (family == AF_INET6) {
        if (!pton6(text, out)) return false;
        size = 16;
        return true;
    }
    ec = make_error(EAFNOSUPPORT);
    return false;
}

bool inet_ntop(address_family family, const unsigned char* bytes, std::string& out, std::error_code& ec) {
    if (family == AF_INET) {
        out = ntop4(bytes);
        return true;
    }
    if (family == AF_INET6) {
        out = ntop6(bytes);
        return true;
    }
    ec = make_error(EAFNOSUPPORT);
    return false;
}

// The classic forms as glibc's inet_aton() takes them: one to four numbers, each decimal, octal
// (0...) or hex (0x...), the last filling the bytes left ("127.1", "0x7f000001"), nothing out
// of range, then the end or a space. (lwIP's ip4addr_aton() lets a number overflow.)
bool inet_aton(const char* text, unsigned char out[4]) noexcept {
    std::uint32_t parts[4];
    int n = 0;
    const char* p = text;
    for (;;) {
        if (!(*p >= '0' && *p <= '9')) return false;
        std::uint64_t v = 0;
        int base = 10;
        if (*p == '0') {
            base = 8;
            ++p;
            if (*p == 'x' || *p == 'X') {
                base = 16;
                ++p;
            }
        }
        for (;; ++p) {
            const int d = hex_digit(*p);
            if (d < 0 || d >= base) break;
            v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
            if (v > 0xffffffffu) return false;
        }
        if (n == 4) return false;
        parts[n++] = static_cast<std::uint32_t>(v);
        if (*p != '.') break;
        ++p;
    }
    if (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r' && *p != '\f' && *p != '\v') return false;
    std::uint32_t value = parts[n - 1];
    const std::uint32_t last_max = n == 1 ? 0xffffffffu : n == 2 ? 0xffffffu : n == 3 ? 0xffffu : 0xffu;
    if (value > last_max) return false;
    for (int i = 0; i < n - 1; ++i) {
        if (parts[i] > 0xff) return false;
        value |= parts[i] << (24 - 8 * i);
    }
    out[0] = static_cast<unsigned char>(value >> 24);
    out[1] = static_cast<unsigned char>(value >> 16);
    out[2] = static_cast<unsigned char>(value >> 8);
    out[3] = static_cast<unsigned char>(value);
    return true;
}

bool has_ipv6() noexcept { return LWIP_IPV6 != 0; }

// --- the host lookup with a deadline: lwIP's DNS callback ----------------------------------------

#if LWIP_DNS

namespace {
// The lookup's result, shared with lwIP's DNS callback, which may come after the lookup was
// given up (lwIP cannot cancel a query): the last of the two to let go frees it.
struct dns_query {
    std::atomic<int> refs{2};
    std::atomic<bool> done{false};
    bool found = false;
    ip_addr_t addr{};

    void release() noexcept {
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
    static void on_found(const char*, const ip_addr_t* ipaddr, void* arg) {
        auto* q = static_cast<dns_query*>(arg);
        if (ipaddr != nullptr) {
            q->addr = *ipaddr;
            q->found = true;
        }
        q->done.store(true, std::memory_order_release);
        q->release();
    }
};

// Without a pseudo descriptor to wait on (all taken), the waiting loop looks every few ms.
constexpr std::int64_t dns_poll_ns = 2'000'000;
}  // namespace

struct host_lookup::impl {
    dns_query* query = nullptr;
    std::error_code failure;  // failed before any query
    int flags = 0;
    int wake = -1;  // the pseudo descriptor readable once the query is done
    std::string host;
};

host_lookup::host_lookup(const char* host, address_family family, addrinfo_flags flags) noexcept
    : impl_(new (std::nothrow) impl) {
    if (impl_ == nullptr) return;
    impl_->flags = flags;
    impl_->host = host;  // an allocation failure here ends the process (noexcept)
    u8_t type = LWIP_DNS_ADDRTYPE_DEFAULT;
#if LWIP_IPV4 && LWIP_IPV6
    if (family == AF_INET) type = LWIP_DNS_ADDRTYPE_IPV4;
    else if (family == AF_INET6) type = LWIP_DNS_ADDRTYPE_IPV6;
    else if (family != AF_UNSPEC) impl_->failure = eai(EAI_FAMILY);
#else
    if (family != AF_UNSPEC && family != (LWIP_IPV6 ? AF_INET6 : AF_INET)) impl_->failure = eai(EAI_FAMILY);
#endif
    std::error_code started;
    if (!impl_->failure && !lw::stack_started(started)) impl_->failure = started;
    if (impl_->failure) return;
    impl_->query = new (std::nothrow) dns_query;
    if (impl_->query == nullptr) {
        impl_->failure = eai(EAI_MEMORY);
        return;
    }
    LOCK_TCPIP_CORE();
    const err_t err = dns_gethostbyname_addrtype(impl_->host.c_str(), &impl_->query->addr, &dns_query::on_found,
                                                 impl_->query, type);
    UNLOCK_TCPIP_CORE();
    lw::flush_loopback();  // a DNS server in this process gets the query now
    if (err == ERR_INPROGRESS) return;  // the callback comes
    impl_->query->found = err == ERR_OK;
    impl_->query->done.store(true, std::memory_order_release);
    impl_->query->release();  // no callback will
}

host_lookup::~host_lookup() {
    if (impl_ == nullptr) return;
    lw::flag_descriptor_close(impl_->wake);
    if (impl_->query != nullptr) impl_->query->release();
    delete impl_;
}

bool host_lookup::done() const noexcept {
    return impl_ == nullptr || impl_->failure || impl_->query->done.load(std::memory_order_acquire);
}

std::size_t host_lookup::wait_slots(detail::poll_slot* slots, std::size_t max, std::int64_t& wait_ns) noexcept {
    wait_ns = -1;  // lwIP's DNS client retries on its own timer
    if (done()) return 0;
    if (impl_->wake == -1) impl_->wake = lw::flag_descriptor_open(&impl_->query->done);
    if (impl_->wake == -1 || max == 0) {
        wait_ns = dns_poll_ns;
        return 0;
    }
    slots[0] = {impl_->wake, POLLIN, 0};
    return 1;
}

void host_lookup::step(const detail::poll_slot*, std::size_t) noexcept {}

bool host_lookup::result(std::vector<address>& out, std::string& canonname, std::error_code& ec) {
    if (impl_ == nullptr) {
        ec = eai(EAI_MEMORY);
        return false;
    }
    if (impl_->failure) {
        ec = impl_->failure;
        return false;
    }
    if (!impl_->query->found) {
        ec = eai(EAI_NONAME);
        return false;
    }
    ip_parts p;
    const ip_addr_t& a = impl_->query->addr;
#if LWIP_IPV6
    if (IP_IS_V6_VAL(a)) {
        p.family = af_inet6;
        std::memcpy(p.bytes, ip_2_ip6(&a)->addr, 16);
        p.scope_id = ip6_addr_zone(ip_2_ip6(&a));
    } else
#endif
    {
        p.family = af_inet;
        std::memcpy(p.bytes, &ip_2_ip4(&a)->addr, 4);
    }
    unsigned char native[address::capacity];
    out.push_back(address::from_native(native, encode_ip(p, native, sizeof native)));
    if ((impl_->flags & AI_CANONNAME) != 0) canonname = impl_->host;
    return true;
}

#ifdef USOCKET_TESTING
}  // namespace usocket::sys
namespace usocket::testing {
// The server's address from the first "nameserver" line of the file. lwIP's DNS client asks on
// DNS_SERVER_PORT, 53 unless lwipopts.h says otherwise; the test profile makes it a variable.
#ifndef DNS_SERVER_PORT
#define DNS_SERVER_PORT 53
#endif
bool set_resolver_config(const char* resolv_conf_path, int dns_port) {
#ifdef USOCKET_LWIP_DNS_PORT_VARIABLE
    if (dns_port < 0 || dns_port > 65535) return false;
#else
    if (dns_port != 0 && dns_port != DNS_SERVER_PORT) return false;
#endif
    ip_addr_t server = *IP_ADDR_ANY;
    if (resolv_conf_path != nullptr) {
        std::FILE* f = std::fopen(resolv_conf_path, "r");
        if (f == nullptr) return false;
        char line[256];
        bool found = false;
        while (!found && std::fgets(line, sizeof line, f) != nullptr) {
            char addr[128];
            found = std::sscanf(line, " nameserver %127s", addr) == 1 && ipaddr_aton(addr, &server) != 0;
        }
        std::fclose(f);
        if (!found) return false;
    }
    std::error_code ec;
    if (!sys::lw::stack_started(ec)) return false;
    LOCK_TCPIP_CORE();
#ifdef USOCKET_LWIP_DNS_PORT_VARIABLE
    usocket_lwip_dns_port = static_cast<unsigned short>(dns_port != 0 ? dns_port : 53);
#endif
    dns_setserver(0, &server);
    UNLOCK_TCPIP_CORE();
    return true;
}
}  // namespace usocket::testing
namespace usocket::sys {
#endif

#else  // no DNS in this lwIP: numeric hosts only, and the lookup fails at once

struct host_lookup::impl {};
host_lookup::host_lookup(const char*, address_family, addrinfo_flags) noexcept : impl_(nullptr) {}
host_lookup::~host_lookup() = default;
bool host_lookup::done() const noexcept { return true; }
std::size_t host_lookup::wait_slots(detail::poll_slot*, std::size_t, std::int64_t& wait_ns) noexcept {
    wait_ns = -1;
    return 0;
}
void host_lookup::step(const detail::poll_slot*, std::size_t) noexcept {}
bool host_lookup::result(std::vector<address>&, std::string&, std::error_code& ec) {
    ec = make_error(ENOSYS);
    return false;
}

#endif

}  // namespace usocket::sys
