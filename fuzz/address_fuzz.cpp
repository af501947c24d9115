// Fuzzes address parsing: address::parse() on any text, the seed-002 integer tuples, the IPv6
// 4-tuple, ip_to_tuple() and inet_pton/ntop. Beyond "no crash, no sanitizer report", every
// accepted input must satisfy the documented properties:
//   parse(to_string(a)) == a, equal addresses hash equally, ordering is consistent,
//   a tuple's integers come back from ip_to_tuple(host()), inet_ntop(inet_pton(x)) parses back.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <usocket/usocket.hpp>
#include <vector>

namespace {

void check(bool ok, const char* what, std::string_view input) {
    if (ok) return;
    std::fprintf(stderr, "property failed: %s (input %zu bytes: \"%.*s\")\n", what, input.size(),
                 static_cast<int>(input.size()), input.data());
    std::abort();
}

void check_address(const usocket::address& a, std::string_view input) {
    const std::string text = a.to_string();
    std::error_code ec;
    const usocket::address b = usocket::address::parse(text, ec);
    check(!ec, "parse(to_string(a)) succeeds", input);
    check(a == b, "parse(to_string(a)) == a", input);
    check((a <=> b) == 0, "a <=> parse(to_string(a)) is equal", input);
    check(std::hash<usocket::address>{}(a) == std::hash<usocket::address>{}(b), "hash agrees with ==", input);
    check(!(a < b) && !(b < a), "ordering agrees with ==", input);
}

int read_int(const std::uint8_t*& p) {
    std::int32_t v;
    std::memcpy(&v, p, sizeof v);
    p += sizeof v;
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    // 1. Text in every form parse() knows.
    std::error_code ec;
    const usocket::address a = usocket::address::parse(input, ec);
    if (!ec) check_address(a, input);

    // 2. The host part alone, as each constructor takes it, with ports from the input.
    const int port = size >= 2 ? (data[0] | (data[1] << 8)) - 1000 : 0;
    ec.clear();
    const usocket::address v4 = usocket::address::ipv4(input, port, ec);
    if (!ec) {
        check(v4.port() == port, "ipv4 keeps the port", input);
        check_address(v4, input);
        std::error_code ec2;
        const auto t = usocket::ip_to_tuple(v4.host(), ec2);
        check(!ec2, "ip_to_tuple(host())", input);
        check(usocket::address::ipv4(t, port) == v4, "ipv4(ip_to_tuple(host())) == a", input);
    } else {
        check(ec == usocket::errc::bad_address || ec == usocket::errc::port_out_of_range, "ipv4 error kind", input);
    }
    ec.clear();
    const auto flow = static_cast<std::uint32_t>(size >= 6 ? (data[2] | (data[3] << 8) | (data[4] << 16)) : 0);
    const usocket::address v6 = usocket::address::ipv6(input, port, flow & 0xfffff, 0, ec);
    if (!ec) {
        check(v6.flowinfo() == (flow & 0xfffff), "ipv6 keeps flowinfo", input);
        check_address(v6.flowinfo() == 0 ? v6 : usocket::address::ipv6(input, port, 0, 0), input);
        const std::string packed = usocket::inet_pton(usocket::af_inet6, v6.host().substr(0, v6.host().find('%')));
        check(packed.size() == 16, "inet_pton(af_inet6) gives 16 bytes", input);
        const std::string again = usocket::inet_ntop(usocket::af_inet6, packed);
        check(usocket::inet_pton(usocket::af_inet6, again) == packed, "inet_pton(inet_ntop(x)) == x", input);
    }

    // 3. The seed-002 integer tuples: (a, b, c, d) and (a, b, c, d, port).
    if (size >= 16) {
        const std::uint8_t* p = data;
        std::vector<int> ints;
        for (std::size_t i = 0; i < (size >= 20 ? 5u : 4u); ++i) ints.push_back(read_int(p));
        ec.clear();
        const usocket::address t = usocket::address::from_octets(ints, ec);
        const bool octets_ok = ints[0] >= 0 && ints[0] <= 255 && ints[1] >= 0 && ints[1] <= 255 && ints[2] >= 0 &&
                               ints[2] <= 255 && ints[3] >= 0 && ints[3] <= 255;
        const bool port_ok = ints.size() == 4 || (ints[4] >= 0 && ints[4] <= 65535);
        check(!ec == (octets_ok && port_ok), "from_octets accepts exactly the valid tuples", input);
        if (!ec) {
            const auto back = usocket::ip_to_tuple(t.host());
            check(std::vector<int>(back.begin(), back.end()) == std::vector<int>(ints.begin(), ints.begin() + 4),
                  "ip_to_tuple(host()) gives the octets back", input);
            check(t.port() == (ints.size() == 5 ? ints[4] : 0), "a missing port is 0", input);
            check_address(t, input);
        }
    }
    return 0;
}
