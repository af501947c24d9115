// The end of a TCP stream that found the socket's receive queue full (lwIP 2.1.3).
//
// lwIP's netconn layer queues each received segment as one message of the socket's receive
// mailbox (DEFAULT_TCP_RECVMBOX_SIZE messages: 6 in ESP-IDF, 64 in the host's test profile),
// and the end of the stream as one more. When a segment does not fit, its callback (recv_tcp)
// refuses it and lwIP offers it again from its fast timer. When the FIN does not fit, tcp_in.c
// ignores the refusal: the FIN is acknowledged, the PCB goes to CLOSE_WAIT, and the reader,
// once it has emptied the queue, waits for ever for an end that never comes (a peer that sends
// a few small segments and closes is enough; espressif/esp-lwip#18).
//
// Here the receive callback of each netconn TCP PCB is wrapped: when lwIP's refuses the end of
// the stream, the wrapper keeps it as the PCB's refused data, an empty marker pbuf that lwIP
// offers again as it does refused segments (its fast timer; on the host also the loopback flush
// of src/lwip/loopback.cpp), and that the wrapper turns back into the end of the stream once it
// fits.
//
// lwIP's netconn layer sets its callback when it makes a PCB, and again when a connection is
// established (connect, accept). The profiles' LWIP_HOOK_TCP_INPACKET_PCB
// (lwip/profiles/usocket_hooks.h) wraps it before lwIP processes each segment of a connection:
// no segment reaches an unwrapped PCB. Without the hook (a firmware's lwipopts.h that does not
// include it), the backend wraps what it can reach: a socket's PCB when it is made, tracked or
// connected, a connecting PCB's "connected" callback, a listener's accept callback (a connection
// established between lwIP's listen and that wrap is not covered). Core lock held throughout.

#include "lwip.hpp"
#include "lwip/api.h"
#include "lwip/pbuf.h"
#include "lwip/priv/sockets_priv.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"

namespace usocket::sys::lw {

namespace {

// lwIP's own callbacks (api_msg.c's recv_tcp, accept_function and lwip_netconn_do_connected,
// static there), learnt from the first socket's PCB. Written and read under the core lock.
tcp_recv_fn netconn_recv = nullptr;
tcp_accept_fn netconn_accept = nullptr;
tcp_connected_fn netconn_connected = nullptr;

// The marker's payload: an address no received data has.
const unsigned char end_of_stream_tag = 0;

bool is_marker(const pbuf* p) noexcept { return p != nullptr && p->tot_len == 0 && p->payload == &end_of_stream_tag; }

err_t recv_keeping_the_end(void* arg, tcp_pcb* pcb, pbuf* p, err_t err) {
    if (is_marker(p)) {
        // The end of the stream, offered again as refused data.
        const err_t r = netconn_recv(arg, pcb, nullptr, ERR_OK);
        if (r != ERR_OK) return r;  // refused (still full): lwIP keeps the marker, offers it again
        pbuf_free(p);
        return ERR_OK;
    }
    const err_t r = netconn_recv(arg, pcb, p, err);
    if (r == ERR_MEM && p == nullptr && pcb->refused_data == nullptr) {
        pbuf* marker = pbuf_alloc(PBUF_RAW, 0, PBUF_REF);
        if (marker != nullptr) {
            marker->payload = const_cast<unsigned char*>(&end_of_stream_tag);
            pcb->refused_data = marker;
        }
    }
    return r;
}

void wrap_recv(tcp_pcb* pcb) noexcept {
    if (pcb->recv == recv_keeping_the_end || pcb->recv == nullptr) return;
    if (netconn_recv == nullptr) netconn_recv = pcb->recv;
    if (pcb->recv == netconn_recv) pcb->recv = recv_keeping_the_end;
}

err_t accept_keeping_the_end(void* arg, tcp_pcb* newpcb, err_t err) {
    const err_t r = netconn_accept(arg, newpcb, err);
    if (r == ERR_OK && newpcb != nullptr) wrap_recv(newpcb);
    return r;
}

err_t connected_keeping_the_end(void* arg, tcp_pcb* pcb, err_t err) {
    const err_t r = netconn_connected(arg, pcb, err);  // sets lwIP's receive callback again
    if (r == ERR_OK && pcb != nullptr) wrap_recv(pcb);
    return r;
}

}  // namespace

extern "C" signed char usocket_lwip_tcp_segment_hook(struct tcp_pcb* pcb) {
    if (pcb->state != LISTEN && netconn_recv != nullptr && pcb->recv == netconn_recv) pcb->recv = recv_keeping_the_end;
    return ERR_OK;
}

void keep_the_end_of_streams(int fd) noexcept {
    LOCK_TCPIP_CORE();
    struct lwip_sock* sock = lwip_socket_dbg_get_socket(fd);
    netconn* conn = sock != nullptr ? sock->conn : nullptr;
    if (conn != nullptr && NETCONNTYPE_GROUP(netconn_type(conn)) == NETCONN_TCP && conn->pcb.tcp != nullptr) {
        if (conn->pcb.tcp->state == LISTEN) {
            auto* lpcb = reinterpret_cast<tcp_pcb_listen*>(conn->pcb.tcp);
            if (lpcb->accept != accept_keeping_the_end && lpcb->accept != nullptr) {
                if (netconn_accept == nullptr) netconn_accept = lpcb->accept;
                if (lpcb->accept == netconn_accept) lpcb->accept = accept_keeping_the_end;
            }
        } else {
            tcp_pcb* pcb = conn->pcb.tcp;
            wrap_recv(pcb);
            if (pcb->state == SYN_SENT && pcb->connected != nullptr && pcb->connected != connected_keeping_the_end) {
                if (netconn_connected == nullptr) netconn_connected = pcb->connected;
                if (pcb->connected == netconn_connected) pcb->connected = connected_keeping_the_end;
            }
        }
    }
    UNLOCK_TCPIP_CORE();
}

}  // namespace usocket::sys::lw
