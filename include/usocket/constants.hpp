#pragma once
// The module's constants, with the backend's own numeric values (never hard-coded: POSIX and
// lwIP number them differently). Lower-case names, because the upper-case ones are macros in
// the OS headers; the Python module exports them under their upper-case names from
// constant_table().

#include <span>
#include <string_view>

#include "usocket/export.hpp"

namespace usocket {

// Address families.
USOCKET_API extern const int af_unspec, af_inet, af_inet6, af_unix;
// Socket types, and the flags that may be or-ed into a type.
USOCKET_API extern const int sock_stream, sock_dgram, sock_raw, sock_seqpacket, sock_rdm;
USOCKET_API extern const int sock_nonblock, sock_cloexec;
// Option levels and protocols.
USOCKET_API extern const int sol_socket, ipproto_ip, ipproto_ipv6, ipproto_tcp, ipproto_udp,
    ipproto_icmp, ipproto_icmpv6, ipproto_raw;
// SOL_SOCKET options.
USOCKET_API extern const int so_reuseaddr, so_reuseport, so_broadcast, so_keepalive, so_rcvbuf,
    so_sndbuf, so_rcvtimeo, so_sndtimeo, so_error, so_type, so_linger, so_oobinline,
    so_acceptconn, so_domain, so_protocol, so_rcvlowat, so_sndlowat, so_dontroute, so_debug,
    so_bindtodevice, so_priority, so_passcred, so_peercred;
// TCP, IP and IPv6 options.
USOCKET_API extern const int tcp_nodelay, tcp_maxseg, tcp_keepidle, tcp_keepintvl, tcp_keepcnt,
    tcp_cork, tcp_quickack, tcp_user_timeout, tcp_fastopen, tcp_notsent_lowat;
USOCKET_API extern const int ip_tos, ip_ttl, ip_hdrincl, ip_options, ip_recvtos,
    ip_multicast_if, ip_multicast_ttl, ip_multicast_loop, ip_add_membership,
    ip_drop_membership;
USOCKET_API extern const int ipv6_v6only, ipv6_unicast_hops, ipv6_multicast_if,
    ipv6_multicast_hops, ipv6_multicast_loop, ipv6_join_group, ipv6_leave_group,
    ipv6_recvtclass, ipv6_tclass;
// Message flags.
USOCKET_API extern const int msg_peek, msg_waitall, msg_dontwait, msg_oob, msg_trunc,
    msg_ctrunc, msg_nosignal, msg_dontroute, msg_eor, msg_cmsg_cloexec, msg_confirm,
    msg_errqueue, msg_more;
// shutdown() directions.
USOCKET_API extern const int shut_rd, shut_wr, shut_rdwr;
// getaddrinfo() flags and getnameinfo() flags.
USOCKET_API extern const int ai_passive, ai_canonname, ai_numerichost, ai_numericserv,
    ai_v4mapped, ai_all, ai_addrconfig;
USOCKET_API extern const int ni_numerichost, ni_numericserv, ni_namereqd, ni_nofqdn, ni_dgram,
    ni_maxhost, ni_maxserv;
// getaddrinfo() error codes, as the negative values the gaierror carries.
USOCKET_API extern const int eai_again, eai_badflags, eai_fail, eai_family, eai_memory,
    eai_noname, eai_service, eai_socktype, eai_system, eai_overflow, eai_nodata,
    eai_addrfamily;
// The system's listen() ceiling.
USOCKET_API extern const int somaxconn;
// poll() events (usocket::poller, and the platform's own poll).
USOCKET_API extern const int pollin, pollout, pollerr, pollhup, pollpri, pollnval, pollrdhup;

/// One named constant, as the Python module exports it ("AF_INET" → 2).
struct constant {
    std::string_view name;
    int value;
};

/// Every constant above under its upper-case name, for bindings to export in a loop.
USOCKET_API std::span<const constant> constant_table() noexcept;

}  // namespace usocket
