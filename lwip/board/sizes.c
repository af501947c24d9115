/* The RAM one socket holds, measured by the cross compiler: each array below is as large as
 * a structure of the profile's lwIP; `nm -S` reads the sizes back (scripts/cross-build.sh). */
#include "lwip/opt.h"
#include "lwip/api.h"
#include "lwip/priv/sockets_priv.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

char usocket_size_lwip_sock[sizeof(struct lwip_sock)];
char usocket_size_netconn[sizeof(struct netconn)];
char usocket_size_tcp_pcb[sizeof(struct tcp_pcb)];
char usocket_size_tcp_pcb_listen[sizeof(struct tcp_pcb_listen)];
char usocket_size_udp_pcb[sizeof(struct udp_pcb)];
