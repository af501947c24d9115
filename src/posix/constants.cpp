// The module's constants with the values of this platform's headers. A constant this
// platform does not define is -1 and is left out of constant_table().

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>

#include "usocket/constants.hpp"

#define USOCKET_CONSTANTS(X)                                                                   \
    X(af_unspec, AF_UNSPEC) X(af_inet, AF_INET) X(af_inet6, AF_INET6) X(af_unix, AF_UNIX)       \
    X(sock_stream, SOCK_STREAM) X(sock_dgram, SOCK_DGRAM) X(sock_raw, SOCK_RAW)                 \
    X(sock_seqpacket, SOCK_SEQPACKET) X(sock_rdm, SOCK_RDM) X(sock_nonblock, SOCK_NONBLOCK)     \
    X(sock_cloexec, SOCK_CLOEXEC) X(sol_socket, SOL_SOCKET) X(ipproto_ip, IPPROTO_IP)           \
    X(ipproto_ipv6, IPPROTO_IPV6) X(ipproto_tcp, IPPROTO_TCP) X(ipproto_udp, IPPROTO_UDP)       \
    X(ipproto_icmp, IPPROTO_ICMP) X(ipproto_icmpv6, IPPROTO_ICMPV6) X(ipproto_raw, IPPROTO_RAW) \
    X(so_reuseaddr, SO_REUSEADDR) X(so_reuseport, SO_REUSEPORT) X(so_broadcast, SO_BROADCAST)   \
    X(so_keepalive, SO_KEEPALIVE) X(so_rcvbuf, SO_RCVBUF) X(so_sndbuf, SO_SNDBUF)               \
    X(so_rcvtimeo, SO_RCVTIMEO) X(so_sndtimeo, SO_SNDTIMEO) X(so_error, SO_ERROR)               \
    X(so_type, SO_TYPE) X(so_linger, SO_LINGER) X(so_oobinline, SO_OOBINLINE)                   \
    X(so_acceptconn, SO_ACCEPTCONN) X(so_domain, SO_DOMAIN) X(so_protocol, SO_PROTOCOL)         \
    X(so_rcvlowat, SO_RCVLOWAT) X(so_sndlowat, SO_SNDLOWAT) X(so_dontroute, SO_DONTROUTE)       \
    X(so_debug, SO_DEBUG) X(so_bindtodevice, SO_BINDTODEVICE) X(so_priority, SO_PRIORITY)       \
    X(so_passcred, SO_PASSCRED) X(so_peercred, SO_PEERCRED)                                     \
    X(tcp_nodelay, TCP_NODELAY) X(tcp_maxseg, TCP_MAXSEG) X(tcp_keepidle, TCP_KEEPIDLE)         \
    X(tcp_keepintvl, TCP_KEEPINTVL) X(tcp_keepcnt, TCP_KEEPCNT) X(tcp_cork, TCP_CORK)           \
    X(tcp_quickack, TCP_QUICKACK) X(tcp_user_timeout, TCP_USER_TIMEOUT)                         \
    X(tcp_fastopen, TCP_FASTOPEN) X(tcp_notsent_lowat, TCP_NOTSENT_LOWAT)                       \
    X(ip_tos, IP_TOS) X(ip_ttl, IP_TTL) X(ip_hdrincl, IP_HDRINCL) X(ip_options, IP_OPTIONS)     \
    X(ip_recvtos, IP_RECVTOS) X(ip_multicast_if, IP_MULTICAST_IF)                               \
    X(ip_multicast_ttl, IP_MULTICAST_TTL) X(ip_multicast_loop, IP_MULTICAST_LOOP)               \
    X(ip_add_membership, IP_ADD_MEMBERSHIP) X(ip_drop_membership, IP_DROP_MEMBERSHIP)           \
    X(ipv6_v6only, IPV6_V6ONLY) X(ipv6_unicast_hops, IPV6_UNICAST_HOPS)                         \
    X(ipv6_multicast_if, IPV6_MULTICAST_IF) X(ipv6_multicast_hops, IPV6_MULTICAST_HOPS)         \
    X(ipv6_multicast_loop, IPV6_MULTICAST_LOOP) X(ipv6_join_group, IPV6_JOIN_GROUP)             \
    X(ipv6_leave_group, IPV6_LEAVE_GROUP) X(ipv6_recvtclass, IPV6_RECVTCLASS)                   \
    X(ipv6_tclass, IPV6_TCLASS)                                                                 \
    X(msg_peek, MSG_PEEK) X(msg_waitall, MSG_WAITALL) X(msg_dontwait, MSG_DONTWAIT)             \
    X(msg_oob, MSG_OOB) X(msg_trunc, MSG_TRUNC) X(msg_ctrunc, MSG_CTRUNC)                       \
    X(msg_nosignal, MSG_NOSIGNAL) X(msg_dontroute, MSG_DONTROUTE) X(msg_eor, MSG_EOR)           \
    X(msg_cmsg_cloexec, MSG_CMSG_CLOEXEC) X(msg_confirm, MSG_CONFIRM)                           \
    X(msg_errqueue, MSG_ERRQUEUE) X(msg_more, MSG_MORE)                                         \
    X(shut_rd, SHUT_RD) X(shut_wr, SHUT_WR) X(shut_rdwr, SHUT_RDWR)                             \
    X(ai_passive, AI_PASSIVE) X(ai_canonname, AI_CANONNAME) X(ai_numerichost, AI_NUMERICHOST)   \
    X(ai_numericserv, AI_NUMERICSERV) X(ai_v4mapped, AI_V4MAPPED) X(ai_all, AI_ALL)             \
    X(ai_addrconfig, AI_ADDRCONFIG) X(ni_numerichost, NI_NUMERICHOST)                           \
    X(ni_numericserv, NI_NUMERICSERV) X(ni_namereqd, NI_NAMEREQD) X(ni_nofqdn, NI_NOFQDN)       \
    X(ni_dgram, NI_DGRAM) X(ni_maxhost, NI_MAXHOST) X(ni_maxserv, NI_MAXSERV)                   \
    X(eai_again, EAI_AGAIN) X(eai_badflags, EAI_BADFLAGS) X(eai_fail, EAI_FAIL)                 \
    X(eai_family, EAI_FAMILY) X(eai_memory, EAI_MEMORY) X(eai_noname, EAI_NONAME)               \
    X(eai_service, EAI_SERVICE) X(eai_socktype, EAI_SOCKTYPE) X(eai_system, EAI_SYSTEM)         \
    X(eai_overflow, EAI_OVERFLOW) X(eai_nodata, EAI_NODATA) X(eai_addrfamily, EAI_ADDRFAMILY)   \
    X(somaxconn, SOMAXCONN) X(pollin, POLLIN) X(pollout, POLLOUT) X(pollerr, POLLERR)            \
    X(pollhup, POLLHUP) X(pollpri, POLLPRI) X(pollnval, POLLNVAL) X(pollrdhup, POLLRDHUP)

namespace usocket {

#define USOCKET_DEFINE(name, value) const int name = (value);
USOCKET_CONSTANTS(USOCKET_DEFINE)
#undef USOCKET_DEFINE

namespace {

constexpr char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

template <std::size_t N>
struct upper_name {
    char text[N]{};
    constexpr explicit upper_name(const char (&s)[N]) {
        for (std::size_t i = 0; i < N; ++i) text[i] = upper(s[i]);
    }
};

#define USOCKET_NAME(name, value) static constexpr upper_name name##_upper{#name};
USOCKET_CONSTANTS(USOCKET_NAME)
#undef USOCKET_NAME

#define USOCKET_ENTRY(name, value) constant{std::string_view(name##_upper.text), (value)},
const constant table[] = {USOCKET_CONSTANTS(USOCKET_ENTRY)};
#undef USOCKET_ENTRY

}  // namespace

std::span<const constant> constant_table() noexcept { return table; }

}  // namespace usocket
