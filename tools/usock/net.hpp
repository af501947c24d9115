#pragma once
// The network side, all through the library: names to addresses, connect, listen.

#include <string>
#include <string_view>
#include <vector>
#include <usocket/usocket.hpp>

#include "options.hpp"

namespace usock {

/// The port of a "PORT" argument: 0..65535, or a service name ("http") looked up for the
/// socket type. Throws failure ("invalid port '70000': ...").
int parse_port(std::string_view text, int socktype);

/// getaddrinfo() for HOST (empty with `passive`: the wildcard) and PORT; throws failure
/// ("cannot resolve 'HOST': name or service not known").
std::vector<usocket::addrinfo> lookup(const std::string& host, const std::string& port, int family,
                                      int socktype, bool passive);

/// Connects as the options say (-U, -u, -4/-6, -w as the connect timeout), trying each
/// address of the host in turn. The socket returned is blocking. Throws failure
/// ("cannot connect to 127.0.0.1:9: connection refused").
usocket::socket connect_to(const options& opt);

/// A bound socket as the options say: listening for a stream, bound for datagrams. With -v
/// it says where ("listening on 127.0.0.1:40123 (tcp)"). Throws failure.
usocket::socket open_listener(const options& opt);

/// "127.0.0.1:5005", "/tmp/sock", or "an unnamed socket" for an unbound Unix peer.
std::string peer_name(const usocket::address& a);

/// "tcp", "udp", "unix" or "unix datagram", for messages.
std::string transport_name(const options& opt);

}  // namespace usock
