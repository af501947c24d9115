// Loopback delivered by the backend (a profile with LWIP_NETIF_LOOPBACK and without
// LWIP_NETIF_LOOPBACK_MULTITHREADING, as the host's test profile is).
//
// lwIP 2.1.3 delivers a packet a process sends to itself (127.0.0.1, ::1, its own address) from
// its tcpip thread, in netif_poll(), which drains the loopback queue until it is empty. Two
// connections of one process whose receive windows are both zero answer each other's ACKs
// there forever (tcp_receive() acknowledges every zero-length segment it finds outside a zero
// window), and netif_poll() never returns: the tcpip thread keeps the core lock and every
// socket call of the process waits forever (tests/lwip's loopback probe shows it).
//
// Here the queue is delivered in bounded batches instead: by the thread that made a call which
// may have queued packets (a send, a receive that opens the window, a connect, a close), right
// after the call, and every few milliseconds by a timer of the tcpip thread (for what lwIP's
// timers send: retransmissions, window probes). Delayed ACKs of loopback connections are sent
// at once, and data lwIP kept back from a full receive queue is offered again. A socket call
// thus finds its peer in the same process up to date when it returns,
// as a kernel's loopback does, and two connections with both windows at zero cost a few ACKs
// per batch instead of the process.

#include "lwip.hpp"
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/timeouts.h"

namespace usocket::sys::lw {

#if LWIP_NETIF_LOOPBACK && !LWIP_NETIF_LOOPBACK_MULTITHREADING

namespace {

constexpr int batch = 256;         // packets one flush delivers at most
constexpr u32_t tick_ms = 5;       // the tcpip thread's flushes
std::atomic<bool> ticking{false};

// Takes at most `budget` packets off `n`'s loopback queue and gives them to IP, as
// netif_poll() does one packet at a time. Core lock held.
int deliver(struct netif* n, int budget) noexcept {
    int done = 0;
    SYS_ARCH_DECL_PROTECT(lev);
    while (done < budget) {
        SYS_ARCH_PROTECT(lev);
        struct pbuf* in = n->loop_first;
        if (in == nullptr) {
            SYS_ARCH_UNPROTECT(lev);
            break;
        }
        struct pbuf* in_end = in;
#if LWIP_LOOPBACK_MAX_PBUFS
        u16_t clen = 1;
#endif
        while (in_end->len != in_end->tot_len) {
            in_end = in_end->next;
#if LWIP_LOOPBACK_MAX_PBUFS
            ++clen;
#endif
        }
#if LWIP_LOOPBACK_MAX_PBUFS
        n->loop_cnt_current = static_cast<u16_t>(n->loop_cnt_current - clen);
#endif
        if (in_end == n->loop_last) {
            n->loop_first = n->loop_last = nullptr;
        } else {
            n->loop_first = in_end->next;
        }
        in_end->next = nullptr;
        SYS_ARCH_UNPROTECT(lev);
        in->if_idx = netif_get_index(n);
        if (ip_input(in, n) != ERR_OK) pbuf_free(in);
        ++done;
    }
    return done;
}

bool loopback_connection(const struct tcp_pcb* p) noexcept {
    return ip_addr_isloopback(&p->remote_ip) || ip_addr_cmp(&p->local_ip, &p->remote_ip);
}

// Delivers what is queued, acknowledging loopback data at once, in at most `batch` packets.
// Core lock held.
void flush_locked() noexcept {
    int budget = batch;
    while (budget > 0) {
        int moved = 0;
        struct netif* n;
        NETIF_FOREACH(n) {
            if (budget - moved > 0) moved += deliver(n, budget - moved);
        }
        for (struct tcp_pcb* p = tcp_active_pcbs; p != nullptr; p = p->next) {
            if ((p->flags & TF_ACK_DELAY) != 0 && loopback_connection(p)) {
                tcp_ack_now(p);
                tcp_output(p);
            }
        }
        // Data a full receive queue refused, offered again now that a reader may have made
        // room (lwIP's fast timer would, up to TCP_TMR_INTERVAL later). An abort changes the
        // list: start over, a bounded number of times.
        for (int restarts = 0; restarts < 8; ++restarts) {
            bool changed = false;
            for (struct tcp_pcb* p = tcp_active_pcbs; p != nullptr; p = p->next) {
                if (p->refused_data != nullptr && tcp_process_refused_data(p) == ERR_ABRT) {
                    changed = true;
                    break;
                }
            }
            if (!changed) break;
        }
        if (moved == 0) break;
        budget -= moved;
    }
}

void tick(void*) {
    flush_locked();
    sys_timeout(tick_ms, tick, nullptr);
}

}  // namespace

void flush_loopback() noexcept {
    LOCK_TCPIP_CORE();
    if (!ticking.exchange(true, std::memory_order_relaxed)) sys_timeout(tick_ms, tick, nullptr);
    flush_locked();
    UNLOCK_TCPIP_CORE();
}

#else

void flush_loopback() noexcept {}  // lwIP's tcpip thread delivers loopback packets

#endif

}  // namespace usocket::sys::lw
