// Names to addresses, connect and listen, with the messages a person needs when they fail.

#include "net.hpp"

#include <charconv>
#include <chrono>

#include "io.hpp"

namespace usock {

namespace {

usocket::timeout_type seconds_to_timeout(const std::optional<double>& s) {
    if (!s) return std::nullopt;
    return std::chrono::duration_cast<usocket::duration>(std::chrono::duration<double>(*s));
}

// "127.0.0.1:9", or "localhost (127.0.0.1:9)" when the user gave a name.
std::string target_name(const std::string& host, const usocket::address& a) {
    const std::string where = peer_name(a);
    return host.empty() || host == a.host() ? where : host + " (" + where + ")";
}

// -U PATH; "@name" is a Linux abstract name (no file), as in address::parse() and socat.
usocket::addrinfo unix_target(const options& opt) {
    std::string path = opt.unix_path;
    if (path.size() > 1 && path[0] == '@') path[0] = '\0';
    std::error_code ec;
    const auto a = usocket::address::unix_path(path, ec);
    if (ec) throw failure("invalid Unix socket path '" + opt.unix_path + "': " + describe(ec));
    return {usocket::af_unix, usocket::socket_type{opt.socktype()}, usocket::protocol{}, {}, a};
}

}  // namespace

std::string transport_name(const options& opt) {
    if (!opt.unix_path.empty()) return opt.udp ? "unix datagram" : "unix";
    return opt.udp ? "udp" : "tcp";
}

std::string peer_name(const usocket::address& a) {
    if (a.empty() || (a.family() == usocket::af_unix && a.path().empty())) return "an unnamed socket";
    return a.to_string();
}

int parse_port(std::string_view text, int socktype) {
    if (text.empty()) throw failure("invalid port '': expected a number from 0 to 65535 or a service name");
    long value = 0;
    const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (end == text.data() + text.size()) {
        if (err != std::errc() || value < 0 || value > 65535)
            throw failure("invalid port '" + std::string(text) + "': must be from 0 to 65535");
        return static_cast<int>(value);
    }
    std::error_code ec;
    const auto found = usocket::getaddrinfo(std::nullopt, text, usocket::af_inet, usocket::socket_type{socktype}, 0, 0, ec);
    if (ec || found.empty())
        throw failure("invalid port '" + std::string(text) + "': not a number and not a known service name");
    return found.front().sockaddr.port();
}

std::vector<usocket::addrinfo> lookup(const std::string& host, const std::string& port, int family,
                                      int socktype, bool passive) {
    const int number = parse_port(port, socktype);
    std::optional<std::string_view> name;
    if (!host.empty()) name = host;
    std::error_code ec;
    auto found = usocket::getaddrinfo(name, std::to_string(number), usocket::address_family{family},
                                      usocket::socket_type{socktype}, 0,
                                      passive ? usocket::ai_passive : usocket::addrinfo_flags{}, ec);
    if (ec) throw failure("cannot resolve '" + host + "': " + describe(ec));
    if (found.empty()) throw failure("cannot resolve '" + host + "': no address");
    return found;
}

usocket::socket connect_to(const options& opt) {
    const auto timeout = seconds_to_timeout(opt.wait_s);
    std::vector<usocket::addrinfo> targets;
    if (!opt.unix_path.empty()) {
        targets.push_back(unix_target(opt));
    } else {
        targets = lookup(opt.host, opt.port, opt.family(), opt.socktype(), false);
    }

    std::string last;
    for (const auto& t : targets) {
        std::error_code ec;
        auto s = usocket::socket::open(t.family, t.type, t.proto, ec);
        if (!ec && t.family == usocket::af_unix && t.type == usocket::sock_dgram) {
            // An unbound Unix datagram socket cannot be answered: bind to an automatic
            // (Linux abstract) name, as an unbound UDP socket gets a port.
            const auto automatic = usocket::address::unix_path("", ec);
            if (!ec) s.bind(automatic, ec);
        }
        if (!ec && timeout) s.settimeout(timeout, ec);
        if (!ec) s.connect(t.sockaddr, ec);
        if (!ec) s.settimeout(std::nullopt, ec);
        if (!ec) {
            if (opt.verbose) say("connected to " + target_name(opt.host, t.sockaddr) + " (" + transport_name(opt) + ")");
            return s;
        }
        last = "cannot connect to " + target_name(opt.host, t.sockaddr) + ": " + describe(ec);
        if (opt.verbose && &t != &targets.back()) say(last);
    }
    throw failure(last);
}

usocket::socket open_listener(const options& opt) {
    std::vector<usocket::addrinfo> places;
    const bool is_unix = !opt.unix_path.empty();
    if (is_unix) {
        places.push_back(unix_target(opt));
    } else {
        // Without -6 and without a host, IPv4's wildcard (as nc): "0.0.0.0".
        const int family = opt.host.empty() && !opt.ipv6 ? usocket::af_inet : opt.family();
        places = lookup(opt.host, opt.port, family, opt.socktype(), true);
    }

    std::string last;
    for (const auto& p : places) {
        std::error_code ec;
        auto s = usocket::socket::open(p.family, p.type, p.proto, ec);
        if (!ec && !is_unix) s.setsockopt(usocket::sol_socket, usocket::so_reuseaddr, 1, ec);
        if (!ec) s.bind(p.sockaddr, ec);
        // SOMAXCONN by default, as Go: the kernel caps it at its own limit (net.core.somaxconn).
        if (!ec && p.type == usocket::sock_stream) s.listen(opt.backlog.value_or(usocket::somaxconn), ec);
        if (ec) {
            last = "cannot listen on " + peer_name(p.sockaddr) + ": " + describe(ec);
            continue;
        }
        if (is_unix && !p.sockaddr.is_abstract()) remove_on_exit(opt.unix_path);
        const auto bound = s.getsockname(ec);
        if (opt.verbose)
            say("listening on " + (ec ? peer_name(p.sockaddr) : peer_name(bound)) + " (" + transport_name(opt) + ")");
        return s;
    }
    throw failure(last);
}

}  // namespace usock
