/* lwIP hooks of usocket's lwIP backend, included by the profiles' lwipopts.h. A firmware's own
 * lwipopts.h can include it too (docs/backends.md).
 *
 * LWIP_HOOK_TCP_INPACKET_PCB: before lwIP processes a TCP segment of a connection, usocket makes
 * sure that the PCB's receive callback keeps an end of stream that finds the receive queue full
 * (lwIP 2.1.3 drops it: src/lwip/end_of_stream.cpp). lwIP's netconn layer sets its callback
 * again at connect and accept; the hook sees each PCB before any segment reaches it. Weak: a
 * program that links lwIP without usocket has no hook. */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif
struct tcp_pcb;
__attribute__((weak)) signed char usocket_lwip_tcp_segment_hook(struct tcp_pcb* pcb);
#ifdef __cplusplus
}
#endif
#define LWIP_HOOK_TCP_INPACKET_PCB(pcb, hdr, optlen, opt1len, opt2, p) \
  (usocket_lwip_tcp_segment_hook != NULL ? usocket_lwip_tcp_segment_hook(pcb) : 0)
