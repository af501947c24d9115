// Names to addresses, connect and listen, with the messages a person needs when they fail.

#include "net.hpp"

#include <chrono>

#include "io.hpp"
#include "tls_layer.hpp"

namespace usock {

namespace {

using steady = std::chrono::steady_clock;

usocket::timeout_type seconds_to_timeout(const std::optional<double>& s) {
    if (!s) return std::nullopt;
    return seconds_duration(*s);
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

[[noreturn]] void cannot_connect(const std::string& host, const usocket::address& where,
                                 const std::error_code& ec) {
    throw failure("cannot connect to " + target_name(host, where) + ": " + describe(ec));
}

// TCP: the library's create_connection() over the resolved addresses, under ONE deadline
// for the lookup and every attempt (-w), with Happy Eyeballs between IPv6 and IPv4. With -v,
// every failed attempt is said; the last one is the failure's message.
usocket::socket connect_stream(const options& opt) {
    const auto timeout = seconds_to_timeout(opt.wait_s);
    const auto start = steady::now();
    const auto targets = lookup(opt.host, opt.port, opt.family(), opt.socktype(), false, timeout);
    std::vector<usocket::address> peers;
    for (const auto& t : targets) peers.push_back(t.sockaddr);

    usocket::connection_options how;
    how.timeout = std::nullopt;
    if (timeout) {
        const auto left = *timeout - std::chrono::duration_cast<usocket::duration>(steady::now() - start);
        if (left <= usocket::duration::zero())
            cannot_connect(opt.host, peers.front(), std::make_error_code(std::errc::timed_out));
        how.timeout = left;
    }
    std::vector<usocket::attempt_error> errors;
    std::error_code ec;
    usocket::socket s = usocket::create_connection(peers, how, ec, &errors);
    if (opt.verbose) {
        const std::size_t said = ec && !errors.empty() ? errors.size() - 1 : errors.size();
        for (std::size_t i = 0; i < said; ++i)
            say("cannot connect to " + target_name(opt.host, errors[i].peer) + ": " + describe(errors[i].code));
    }
    if (ec) cannot_connect(opt.host, errors.empty() ? peers.back() : errors.back().peer, ec);
    s.settimeout(std::nullopt, ec);  // the relay's calls block; -w is its idle limit from here
    if (ec) throw failure("cannot use the connection: " + describe(ec));
    return s;
}

// A datagram socket (UDP, Unix) or a Unix stream: connect() sets the peer at once (a Unix
// stream can wait only for room in the listener's queue), so one address is tried after the
// other, each with the -w limit.
usocket::socket connect_other(const options& opt) {
    const auto timeout = seconds_to_timeout(opt.wait_s);
    std::vector<usocket::addrinfo> targets;
    if (!opt.unix_path.empty())
        targets.push_back(unix_target(opt));
    else
        targets = lookup(opt.host, opt.port, opt.family(), opt.socktype(), false, timeout);

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
        if (!ec) return s;
        if (&t == &targets.back()) cannot_connect(opt.host, t.sockaddr, ec);
        if (opt.verbose) say("cannot connect to " + target_name(opt.host, t.sockaddr) + ": " + describe(ec));
    }
    throw failure("cannot resolve '" + opt.host + "': no address");
}

// A bound datagram socket (UDP, Unix datagrams): nothing to listen for.
usocket::socket bind_datagram(const usocket::addrinfo& p, std::error_code& ec) {
    auto s = usocket::socket::open(p.family, p.type, p.proto, ec);
    if (!ec && p.family != usocket::af_unix) s.setsockopt(usocket::sol_socket, usocket::so_reuseaddr, 1, ec);
    if (!ec) s.bind(p.sockaddr, ec);
    return s;
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
    std::error_code ec;
    const int port = usocket::parse_port(text, socktype == usocket::sock_dgram.value() ? "udp" : "tcp", ec);
    if (ec == usocket::errc::port_out_of_range)
        throw failure("invalid port '" + std::string(text) + "': must be from 0 to 65535");
    if (ec == usocket::errc::bad_address)
        throw failure("invalid port '': expected a number from 0 to 65535 or a service name");
    if (ec) throw failure("invalid port '" + std::string(text) + "': not a number and not a known service name");
    return port;
}

std::vector<usocket::addrinfo> lookup(const std::string& host, const std::string& port, int family,
                                      int socktype, bool passive, usocket::timeout_type timeout) {
    std::optional<std::string_view> name;
    if (!host.empty()) name = host;
    std::error_code ec;
    auto found = usocket::getaddrinfo(name, parse_port(port, socktype), usocket::address_family{family},
                                      usocket::socket_type{socktype}, usocket::protocol{},
                                      passive ? usocket::ai_passive : usocket::addrinfo_flags{}, timeout, ec);
    if (ec) throw failure("cannot resolve '" + host + "': " + describe(ec));
    if (found.empty()) throw failure("cannot resolve '" + host + "': no address");
    return found;
}

connection connect_to(const options& opt, const tls_layer& tls) {
    const auto start = steady::now();
    usocket::socket s = !opt.udp && opt.unix_path.empty() ? connect_stream(opt) : connect_other(opt);
    std::error_code ec;
    const auto peer = s.getpeername(ec);
    const std::string target = ec ? opt.host : target_name(opt.host, peer);
    if (opt.verbose) say("connected to " + target + " (" + transport_name(opt) + ")");
    if (!opt.tls) return connection(std::move(s));
    // -w is one deadline for the lookup, the connect and the handshake.
    std::optional<steady::time_point> deadline;
    if (opt.wait_s) deadline = start + seconds_duration(*opt.wait_s);
    return connection(tls.connect(std::move(s), target, deadline));
}

usocket::socket open_listener(const options& opt) {
    std::vector<usocket::addrinfo> places;
    const bool is_unix = !opt.unix_path.empty();
    if (is_unix) {
        places.push_back(unix_target(opt));
    } else {
        // Without -6 and without a host, IPv4's wildcard (as nc): "0.0.0.0".
        const int family = opt.host.empty() && !opt.ipv6 ? usocket::af_inet.value() : opt.family();
        places = lookup(opt.host, opt.port, family, opt.socktype(), true, std::nullopt);
    }

    usocket::server_options server;
    // SOMAXCONN by default: the kernel caps it at its own limit (net.core.somaxconn).
    server.backlog = opt.backlog.value_or(usocket::somaxconn);
    std::string last;
    for (const auto& p : places) {
        // An IPv6 wildcard takes IPv4 too, as the system's default (IPV6_V6ONLY off) gives it.
        server.dualstack_ipv6 = p.family == usocket::af_inet6 && usocket::has_dualstack_ipv6();
        std::error_code ec;
        usocket::socket s = p.type == usocket::sock_stream ? usocket::create_server(p.sockaddr, server, ec)
                                                           : bind_datagram(p, ec);
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
