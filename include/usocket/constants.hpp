#pragma once
// The module's constants, with the backend's own numeric values as compile-time constants
// (POSIX and lwIP number them differently: SOL_SOCKET is 1 on Linux and 0xfff on lwIP). They
// come from usocket/platform.hpp, generated for the backend when the library is configured.
// Lower-case names, because the upper-case ones are macros in the OS headers; each has a type
// of its own (usocket/constant_types.hpp). A constant the backend lacks is absent, and
// USOCKET_HAS_<NAME> (e.g. USOCKET_HAS_SO_REUSEPORT) tells whether it is there.
//
//   families       af_unspec af_inet af_inet6 af_unix
//   types          sock_stream sock_dgram sock_raw sock_seqpacket sock_rdm (| sock_nonblock, sock_cloexec)
//   levels         sol_socket, and the protocols ipproto_ip ipproto_ipv6 ipproto_tcp ipproto_udp ...
//   options        so_* tcp_* ip_* ipv6_*
//   flags          msg_* (send/recv), ai_* (getaddrinfo), ni_* (getnameinfo)
//   shutdown       shut_rd shut_wr shut_rdwr
//   ints           eai_* (negative, as gaierror carries them), somaxconn, poll events poll*

#include <span>
#include <string_view>

#include "usocket/constant_types.hpp"
#include "usocket/export.hpp"
#include "usocket/platform.hpp"

namespace usocket {

/// One named constant, as the Python module exports it ("AF_INET" → 2). Wider than int: a few
/// are unsigned 32-bit values (INADDR_BROADCAST, VMADDR_CID_ANY), exported as CPython does.
struct constant {
    std::string_view name;
    long long value;
};

/// Every constant the backend has, under its upper-case name, for bindings to export in a loop.
[[nodiscard]] USOCKET_API std::span<const constant> constant_table() noexcept;

}  // namespace usocket
