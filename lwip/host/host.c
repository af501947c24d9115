/* lwIP on a host: start-up and the Ethernet interface to the usocket-netsim hub.
 * See usocket_lwip_host.h. Host-only (Linux): a board's firmware does all of this itself.
 *
 * The wire: this process's Unix datagram socket, connected to the hub's PATH, carries one
 * Ethernet frame (destination MAC, source MAC, EtherType, payload; no FCS) per datagram. A
 * datagram shorter than an Ethernet header is a control message: "HELLO" announces the port
 * to the hub so that it is flooded broadcasts before it has sent a frame. */
#define _GNU_SOURCE

#include "usocket_lwip_host.h"

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define HUB_MTU 1500
#define FRAME_MAX (SIZEOF_ETH_HDR + HUB_MTU)
#define HELLO "HELLO"

static pthread_once_t start_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t attach_mutex = PTHREAD_MUTEX_INITIALIZER;
static int started_pid;    /* the process that started lwIP */
static int attached;       /* atomic: 1 once the hub interface is up */
static int hub_fd = -1;
static struct netif hub_netif;
static unsigned long long frames_sent, frames_received, send_failures; /* atomic */

/* What USOCKET_LWIP_ADDR says. */
struct host_config {
  const char* path;
  int has_ip4;
  ip4_addr_t ip4, mask4;
  int n_ip6;
#if LWIP_IPV6
  ip6_addr_t ip6[LWIP_IPV6_NUM_ADDRESSES - 1]; /* slot 0 is the link-local address */
#endif
  u8_t mac[ETH_HWADDR_LEN];
};

static void say(char* why, size_t n, const char* fmt, ...) {
  if (why == NULL || n == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, n, fmt, ap);
  va_end(ap);
}

/* --- start-up -------------------------------------------------------------------------------- */

static void tcpip_ready(void* arg) { sys_sem_signal((sys_sem_t*)arg); }

static void start_stack(void) {
  sys_sem_t done;
  if (sys_sem_new(&done, 0) != ERR_OK) abort();
  tcpip_init(tcpip_ready, &done);
  sys_arch_sem_wait(&done, 0);
  sys_sem_free(&done);
  __atomic_store_n(&started_pid, (int)getpid(), __ATOMIC_RELEASE);
}

void usocket_lwip_host_start(void) {
  pthread_once(&start_once, start_stack);
  (void)usocket_lwip_host_ready(NULL, 0);
}

/* --- configuration --------------------------------------------------------------------------- */

static int parse_config(struct host_config* c, char* why, size_t n) {
  memset(c, 0, sizeof *c);
  c->path = getenv("USOCKET_LWIP_NET");
  const char* list = getenv("USOCKET_LWIP_ADDR");
  if (list == NULL || *list == '\0') {
    say(why, n, "USOCKET_LWIP_NET=%s needs USOCKET_LWIP_ADDR (e.g. 10.77.0.2/24,fd77::2/64)", c->path);
    return EINVAL;
  }
  if (strlen(c->path) >= sizeof(((struct sockaddr_un*)0)->sun_path)) {
    say(why, n, "USOCKET_LWIP_NET: path too long: %s", c->path);
    return EINVAL;
  }
  int first = 1;
  const char* p = list;
  while (*p != '\0') {
    const char* end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char item[64];
    if (len == 0 || len >= sizeof item) {
      say(why, n, "USOCKET_LWIP_ADDR: bad entry in \"%s\"", list);
      return EINVAL;
    }
    memcpy(item, p, len);
    item[len] = '\0';
    char* slash = strchr(item, '/');
    if (slash == NULL) {
      say(why, n, "USOCKET_LWIP_ADDR: \"%s\" has no /prefix length", item);
      return EINVAL;
    }
    *slash = '\0';
    char* tail = NULL;
    long prefix = strtol(slash + 1, &tail, 10);
    if (tail == slash + 1 || *tail != '\0') prefix = -1;
    if (strchr(item, ':') != NULL) {
#if LWIP_IPV6
      ip6_addr_t a;
      if (!ip6addr_aton(item, &a) || prefix != 64) {
        say(why, n, "USOCKET_LWIP_ADDR: \"%s/%s\" is not an IPv6 address with a /64 prefix", item, slash + 1);
        return EINVAL;
      }
      if (c->n_ip6 == (int)(sizeof c->ip6 / sizeof c->ip6[0])) {
        say(why, n, "USOCKET_LWIP_ADDR: at most %d IPv6 addresses", c->n_ip6);
        return EINVAL;
      }
      c->ip6[c->n_ip6++] = a;
      if (first) {
        const u8_t* b = (const u8_t*)a.addr;
        c->mac[0] = 0x02;
        memcpy(c->mac + 1, b + 11, 5);
      }
#else
      say(why, n, "USOCKET_LWIP_ADDR: \"%s\": this lwIP is built without IPv6", item);
      return EINVAL;
#endif
    } else {
      ip4_addr_t a;
      if (!ip4addr_aton(item, &a) || prefix < 0 || prefix > 32) {
        say(why, n, "USOCKET_LWIP_ADDR: \"%s/%s\" is not an IPv4 address with a prefix length", item, slash + 1);
        return EINVAL;
      }
      if (c->has_ip4) {
        say(why, n, "USOCKET_LWIP_ADDR: one IPv4 address at most (lwIP's interfaces hold one)");
        return EINVAL;
      }
      c->has_ip4 = 1;
      c->ip4 = a;
      ip4_addr_set_u32(&c->mask4, prefix == 0 ? 0 : lwip_htonl(0xffffffffu << (32 - prefix)));
      if (first) {
        const u8_t* b = (const u8_t*)&a.addr;
        c->mac[0] = 0x02;
        c->mac[1] = 0x00;
        memcpy(c->mac + 2, b, 4);
      }
    }
    first = 0;
    p = end ? end + 1 : p + len;
  }
  return 0;
}

/* --- the interface --------------------------------------------------------------------------- */

static err_t hub_linkoutput(struct netif* netif, struct pbuf* p) {
  LWIP_UNUSED_ARG(netif);
  unsigned char frame[FRAME_MAX];
  if (p->tot_len > sizeof frame) {
    __atomic_add_fetch(&send_failures, 1, __ATOMIC_RELAXED);
    return ERR_IF;
  }
  const u16_t len = pbuf_copy_partial(p, frame, p->tot_len, 0);
  /* A wire loses frames: a failed send is a lost frame, which TCP retransmits. */
  if (send(hub_fd, frame, len, MSG_NOSIGNAL) != (ssize_t)len) {
    __atomic_add_fetch(&send_failures, 1, __ATOMIC_RELAXED);
  } else {
    __atomic_add_fetch(&frames_sent, 1, __ATOMIC_RELAXED);
  }
  return ERR_OK;
}

static err_t hub_netif_init(struct netif* netif) {
  const struct host_config* c = (const struct host_config*)netif->state;
  netif->name[0] = 'h';
  netif->name[1] = 'b';
  netif->mtu = HUB_MTU;
#if LWIP_IPV6
  netif->mtu6 = HUB_MTU;
#endif
  netif->hwaddr_len = ETH_HWADDR_LEN;
  memcpy(netif->hwaddr, c->mac, ETH_HWADDR_LEN);
  netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP | NETIF_FLAG_MLD6;
  netif->linkoutput = hub_linkoutput;
#if LWIP_IPV4
  netif->output = etharp_output;
#endif
#if LWIP_IPV6
  netif->output_ip6 = ethip6_output;
#endif
  return ERR_OK;
}

static void* reader_main(void* arg) {
  struct netif* netif = (struct netif*)arg;
  unsigned char frame[FRAME_MAX + 64];
  for (;;) {
    const ssize_t got = recv(hub_fd, frame, sizeof frame, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNREFUSED) { /* the hub went away; keep listening for a new one */
        usleep(100000);
        continue;
      }
      return NULL;
    }
    if (got < SIZEOF_ETH_HDR || got > FRAME_MAX) continue;
    struct pbuf* p = pbuf_alloc(PBUF_RAW, (u16_t)got, PBUF_POOL);
    if (p == NULL) continue; /* out of buffers: the frame is lost, as on a board */
    pbuf_take(p, frame, (u16_t)got);
    __atomic_add_fetch(&frames_received, 1, __ATOMIC_RELAXED);
    if (netif->input(p, netif) != ERR_OK) pbuf_free(p);
  }
}

/* Connects to the hub and brings the interface up (attach_mutex held). */
static int attach(char* why, size_t n) {
  static struct host_config config;
  int rc = parse_config(&config, why, n);
  if (rc != 0) return rc;

  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    rc = errno;
    say(why, n, "usocket-netsim hub at %s: socket: %s", config.path, strerror(rc));
    return ENETUNREACH;
  }
  /* Autobind: the hub answers to this abstract address. */
  struct sockaddr_un self = {.sun_family = AF_UNIX};
  struct sockaddr_un hub = {.sun_family = AF_UNIX};
  strcpy(hub.sun_path, config.path);
  if (bind(fd, (struct sockaddr*)&self, sizeof(sa_family_t)) != 0 ||
      connect(fd, (struct sockaddr*)&hub, sizeof hub) != 0) {
    rc = errno;
    close(fd);
    say(why, n, "usocket-netsim hub at %s: %s (start `usocket-netsim %s` first)", config.path, strerror(rc),
        config.path);
    return ENETUNREACH;
  }
  /* A hub that stops reading must not stop the stack: a frame that waits longer is lost. */
  const struct timeval limit = {.tv_sec = 1, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  const int buf = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  if (send(fd, HELLO, sizeof HELLO - 1, MSG_NOSIGNAL) < 0) {
    rc = errno;
    close(fd);
    say(why, n, "usocket-netsim hub at %s: %s", config.path, strerror(rc));
    return ENETUNREACH;
  }
  hub_fd = fd;

  LOCK_TCPIP_CORE();
  ip4_addr_t any = {0};
  struct netif* netif = netif_add(&hub_netif, config.has_ip4 ? &config.ip4 : &any, config.has_ip4 ? &config.mask4 : &any,
                                  &any, &config, hub_netif_init, tcpip_input);
  if (netif != NULL) {
#if LWIP_IPV6
    netif_create_ip6_linklocal_address(netif, 1);
    netif_ip6_addr_set_state(netif, 0, IP6_ADDR_PREFERRED);
    for (int i = 0; i < config.n_ip6; ++i) {
      s8_t idx = -1;
      if (netif_add_ip6_address(netif, &config.ip6[i], &idx) == ERR_OK && idx >= 0)
        netif_ip6_addr_set_state(netif, idx, IP6_ADDR_PREFERRED);
    }
#endif
    netif_set_default(netif);
    netif_set_up(netif);
    netif_set_link_up(netif);
  }
  UNLOCK_TCPIP_CORE();
  if (netif == NULL) {
    say(why, n, "lwIP: netif_add failed for the hub at %s", config.path);
    return ENETUNREACH;
  }

  pthread_t reader;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create(&reader, &attr, reader_main, netif) != 0) {
    pthread_attr_destroy(&attr);
    say(why, n, "usocket-netsim hub at %s: cannot start the receiving thread", config.path);
    return ENETUNREACH;
  }
  pthread_attr_destroy(&attr);
  pthread_setname_np(reader, "lwip_hub_rx");
  __atomic_store_n(&attached, 1, __ATOMIC_RELEASE);
  return 0;
}

int usocket_lwip_host_ready(char* why, size_t n) {
  pthread_once(&start_once, start_stack);
  if ((int)getpid() != __atomic_load_n(&started_pid, __ATOMIC_ACQUIRE)) {
    say(why, n, "lwIP was started by process %d; a fork()ed child cannot use it (its thread did not survive fork)",
        started_pid);
    return ENETDOWN;
  }
  if (__atomic_load_n(&attached, __ATOMIC_ACQUIRE)) return 0;
  const char* path = getenv("USOCKET_LWIP_NET");
  if (path == NULL || *path == '\0') return 0; /* loopback only */
  pthread_mutex_lock(&attach_mutex);
  const int rc = __atomic_load_n(&attached, __ATOMIC_ACQUIRE) ? 0 : attach(why, n);
  pthread_mutex_unlock(&attach_mutex);
  return rc;
}

struct netif* usocket_lwip_host_netif(void) {
  return __atomic_load_n(&attached, __ATOMIC_ACQUIRE) ? &hub_netif : NULL;
}

void usocket_lwip_host_counters(unsigned long long* sent, unsigned long long* received,
                                unsigned long long* failures) {
  if (sent) *sent = __atomic_load_n(&frames_sent, __ATOMIC_RELAXED);
  if (received) *received = __atomic_load_n(&frames_received, __ATOMIC_RELAXED);
  if (failures) *failures = __atomic_load_n(&send_failures, __ATOMIC_RELAXED);
}
