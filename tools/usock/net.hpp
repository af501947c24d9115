#pragma once
// The network side, all through the library: names to addresses, connect, listen.

#include <string>
#include <string_view>
#include <vector>
#include <usocket/usocket.hpp>

#include "options.hpp"

namespace usock {

class connection;
class tls_layer;

/// The port of a "PORT" argument: 0..65535, or a service name ("http") looked up for the
/// socket type (usocket::getservbyname). Throws failure ("invalid port '70000': ...").
int parse_port(std::string_view text, int socktype);

/// getaddrinfo() for HOST (empty with `passive`: the wildcard) and PORT, bounded by `timeout`
/// when there is one; throws failure ("cannot resolve 'HOST': name or service not known").
std::vector<usocket::addrinfo> lookup(const std::string& host, const std::string& port, int family,
                                      int socktype, bool passive, usocket::timeout_type timeout);

/// Connects as the options say (-U, -u, -4/-6). TCP goes through usocket::create_connection:
/// -w bounds the lookup and all the attempts together, and the addresses race by Happy
/// Eyeballs (with -v, each failed attempt is said). With --tls the handshake follows under
/// the same deadline. The socket returned is blocking. Throws failure ("cannot connect to
/// 127.0.0.1:9: connection refused", "TLS handshake with ... failed: ...").
connection connect_to(const options& opt, const tls_layer& tls);

/// A bound socket as the options say: listening for a stream (usocket::create_server, with
/// --backlog or SOMAXCONN), bound for datagrams. With -v it says where ("listening on
/// 127.0.0.1:40123 (tcp)"). Throws failure.
usocket::socket open_listener(const options& opt);

/// "127.0.0.1:5005", "/tmp/sock", or "an unnamed socket" for an unbound Unix peer.
std::string peer_name(const usocket::address& a);

/// "tcp", "udp", "unix" or "unix datagram", for messages.
std::string transport_name(const options& opt);

}  // namespace usock
