// Seed 000's print_pcbs() and reset() over lwIP (src/sys.hpp): lwIP's protocol control blocks,
// read and changed under its core lock.
//
// print_stack(): one line per PCB: TCP (listening, active, in TIME-WAIT) and UDP, with the
// socket that owns it, its state, its addresses and the bytes it holds (sent and not yet
// acknowledged or not yet sent; received and not yet read by the application).
//
// reset_stack(): aborts every TCP connection (tcp_abort: a RST to the peer; a socket on it
// fails with ECONNABORTED from then on), drops the TIME-WAIT ones, and takes every network
// interface down and up again (ARP and neighbour caches flushed, multicast memberships
// reported again). lwIP 2.1.3 has no tcpip_deinit: the stack's thread runs on. Listening and
// UDP PCBs stay with their sockets; the sockets are closed by their owners (reset() shuts the
// library's down): closing a descriptor here could close one a new socket got meanwhile.

#include <cstdio>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "lwip.hpp"
#include "usocket/address.hpp"
#include "lwip/api.h"
#include "lwip/netif.h"
#include "lwip/priv/sockets_priv.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#ifdef USOCKET_LWIP_HOST
#include "usocket_lwip_host.h"
#endif

namespace usocket::sys {

namespace {

const char* state_name(tcp_state s) noexcept {
    switch (s) {
        case CLOSED: return "CLOSED";
        case LISTEN: return "LISTEN";
        case SYN_SENT: return "SYN_SENT";
        case SYN_RCVD: return "SYN_RCVD";
        case ESTABLISHED: return "ESTABLISHED";
        case FIN_WAIT_1: return "FIN_WAIT_1";
        case FIN_WAIT_2: return "FIN_WAIT_2";
        case CLOSE_WAIT: return "CLOSE_WAIT";
        case CLOSING: return "CLOSING";
        case LAST_ACK: return "LAST_ACK";
        case TIME_WAIT: return "TIME_WAIT";
    }
    return "?";
}

// An address as the library prints one (usocket::address::to_string()).
std::string endpoint(const ip_addr_t& ip, u16_t port) {
    ip_parts p;
    p.port = port;
#if LWIP_IPV6
    if (IP_IS_V6_VAL(ip)) {
        p.family = af_inet6;
        std::memcpy(p.bytes, ip_2_ip6(&ip)->addr, 16);
        p.scope_id = ip6_addr_zone(ip_2_ip6(&ip));
    } else
#endif
    {
        p.family = af_inet;
        std::memcpy(p.bytes, &ip_2_ip4(&ip)->addr, 4);
    }
    unsigned char native[address::capacity];
    return address::from_native(native, encode_ip(p, native, sizeof native)).to_string();
}

struct pcb_line {
    const void* pcb;
    std::string text;
};

// The socket whose netconn owns `pcb`, or -1 (a PCB of lwIP's raw API, or one in TIME-WAIT).
// Called under the core lock; each socket is read under SYS_ARCH_PROTECT, so that a socket
// being freed is either still whole or already empty.
int owner(const void* pcb, int& recv_avail) noexcept {
    recv_avail = 0;
    for (int i = 0; i < NUM_SOCKETS; ++i) {
        const int fd = LWIP_SOCKET_OFFSET + i;
        struct lwip_sock* sock = lwip_socket_dbg_get_socket(fd);
        if (sock == nullptr) continue;
        SYS_ARCH_DECL_PROTECT(lev);
        SYS_ARCH_PROTECT(lev);
        const netconn* conn = sock->conn;
        const bool mine = conn != nullptr && conn->pcb.ip == pcb;
#if LWIP_SO_RCVBUF
        if (mine) recv_avail = conn->recv_avail;
#endif
        SYS_ARCH_UNPROTECT(lev);
        if (mine) return fd;
    }
    return -1;
}

std::string owner_text(const void* pcb, int& recv_avail) {
    const int fd = owner(pcb, recv_avail);
    return fd < 0 ? std::string("fd=-") : "fd=" + std::to_string(fd);  // fd=- : no socket (raw API, TIME_WAIT)
}

void tcp_lines(const tcp_pcb* list, std::vector<std::string>& out) {
    for (const tcp_pcb* p = list; p != nullptr; p = p->next) {
        int recv_avail = 0;
        std::string line = owner_text(p, recv_avail) + " proto=tcp state=" + state_name(p->state) +
                           " laddr=" + endpoint(p->local_ip, p->local_port);
        if (p->state != CLOSED) line += " raddr=" + endpoint(p->remote_ip, p->remote_port);
        // Sent and not acknowledged or not sent yet; received and not read yet (the window
        // shrinks by what the application has not taken).
        const unsigned long send_queued = static_cast<unsigned long>(TCP_SND_BUF) - p->snd_buf;
        const unsigned long recv_queued = static_cast<unsigned long>(TCP_WND_MAX(p)) - p->rcv_wnd +
                                          (p->refused_data != nullptr ? p->refused_data->tot_len : 0);
        line += " send_queued=" + std::to_string(p->state == TIME_WAIT ? 0 : send_queued) +
                " recv_queued=" + std::to_string(p->state == TIME_WAIT ? 0 : recv_queued);
        out.push_back(std::move(line));
    }
}

}  // namespace

bool print_stack(std::ostream& os) {
    std::error_code ec;
    if (!lw::stack_started(ec)) return true;  // never started (or a forked child): no PCB to show
    std::vector<std::string> lines;
    LOCK_TCPIP_CORE();
    for (const tcp_pcb_listen* p = tcp_listen_pcbs.listen_pcbs; p != nullptr; p = p->next) {
        int recv_avail = 0;
        lines.push_back(owner_text(p, recv_avail) + " proto=tcp state=LISTEN laddr=" +
                        endpoint(p->local_ip, p->local_port)
#if TCP_LISTEN_BACKLOG
                        + " pending=" + std::to_string(p->accepts_pending) + " backlog=" + std::to_string(p->backlog)
#endif
        );
    }
    tcp_lines(tcp_bound_pcbs, lines);
    tcp_lines(tcp_active_pcbs, lines);
    tcp_lines(tcp_tw_pcbs, lines);
    for (const udp_pcb* p = udp_pcbs; p != nullptr; p = p->next) {
        int recv_avail = 0;
        std::string line = owner_text(p, recv_avail) + " proto=udp laddr=" + endpoint(p->local_ip, p->local_port);
        if ((p->flags & UDP_FLAGS_CONNECTED) != 0) line += " raddr=" + endpoint(p->remote_ip, p->remote_port);
        line += " recv_queued=" + std::to_string(recv_avail);
        lines.push_back(std::move(line));
    }
    UNLOCK_TCPIP_CORE();
    for (const auto& l : lines) os << l << '\n';
    return true;
}

void reset_stack() noexcept {
    std::error_code ec;
    if (!lw::stack_started(ec)) return;
    LOCK_TCPIP_CORE();
    while (tcp_active_pcbs != nullptr) tcp_abort(tcp_active_pcbs);
    while (tcp_tw_pcbs != nullptr) tcp_abort(tcp_tw_pcbs);
    struct netif* n;
    NETIF_FOREACH(n) {
        if (!netif_is_up(n)) continue;
        netif_set_down(n);
        netif_set_up(n);
    }
    UNLOCK_TCPIP_CORE();
    lw::flush_loopback();  // the resets reach the peers in this process
}

}  // namespace usocket::sys
