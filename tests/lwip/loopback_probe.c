/* Same-process loopback with both TCP windows at zero (lwIP 2.1.3): two sockets of one lwIP
 * stack, connected over 127.0.0.1, each written without reading until neither can send.
 *
 * What lwIP 2.1.3 does: once both windows are zero, the two connections answer each other's
 * ACKs inside one call of netif_poll() (the loopback queue is drained until empty, and each
 * ACK queues another), so the tcpip thread spins and never releases the core lock: every
 * socket call of the process waits forever, and nothing can read to open a window again.
 *
 *   loopback_probe [BYTES] [WATCH_MS]
 * The writer runs in a thread; the main thread watches for WATCH_MS, and once the writer has
 * stalled, WATCH_MS more with nothing to do (the storm may start only with the first window
 * probe, a second or more later with lwIP's default timers). Prints "writer_done=0|1 sent=N
 * cpu_ms=C wall_ms=W" and exits 3 when the process burns CPU while nothing should run (the
 * livelock: a quarter of a core at least), 0 when both sides then read all BYTES (no
 * livelock), 1 on any other failure. */
#include "lwip/sockets.h"
#include "pattern.h"
#include "usocket_lwip_host.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

struct side {
  int s;
  unsigned long long sent, received;
  long long bad_at;
  uint64_t out_seed, in_seed;
};

/* Sends what the socket takes now; returns 0 when it would block. */
static int pump_send(struct side* d, unsigned long long total) {
  unsigned char buf[4096];
  int moved = 0;
  while (d->sent < total) {
    size_t want = total - d->sent < sizeof buf ? (size_t)(total - d->sent) : sizeof buf;
    lwip_test_fill(d->out_seed, d->sent, buf, want);
    const ssize_t k = lwip_send(d->s, buf, want, MSG_DONTWAIT);
    if (k <= 0) break;
    __atomic_add_fetch(&d->sent, (unsigned long long)k, __ATOMIC_RELAXED);
    moved = 1;
  }
  return moved;
}

static int pump_recv(struct side* d) {
  unsigned char buf[4096];
  int moved = 0;
  for (;;) {
    const ssize_t k = lwip_recv(d->s, buf, sizeof buf, MSG_DONTWAIT);
    if (k <= 0) break;
    if (d->bad_at < 0) d->bad_at = lwip_test_check(d->in_seed, d->received, buf, (size_t)k);
    d->received += (unsigned long long)k;
    moved = 1;
  }
  return moved;
}

struct writer {
  struct side *c, *d;
  unsigned long long total;
  int done;
};

/* Both write, neither reads, until nothing moves for 200 ms. */
static void* write_until_stalled(void* arg) {
  struct writer* w = (struct writer*)arg;
  long long quiet_since = now_ms();
  while (now_ms() - quiet_since < 200) {
    if (pump_send(w->c, w->total) | pump_send(w->d, w->total)) quiet_since = now_ms();
    usleep(1000);
  }
  __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
  return NULL;
}

int main(int argc, char** argv) {
  const unsigned long long total = argc > 1 ? strtoull(argv[1], NULL, 10) : 1u << 20;
  const long long watch_ms = argc > 2 ? atoll(argv[2]) : 3000;
  char why[256];
  if (usocket_lwip_host_ready(why, sizeof why) != 0) {
    printf("FAIL %s\n", why);
    return 1;
  }
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_len = sizeof a;
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = PP_HTONL(0x7f000001u);
  const int l = lwip_socket(AF_INET, SOCK_STREAM, 0);
  socklen_t len = sizeof a;
  if (l < 0 || lwip_bind(l, (struct sockaddr*)&a, sizeof a) != 0 || lwip_listen(l, 1) != 0 ||
      lwip_getsockname(l, (struct sockaddr*)&a, &len) != 0) {
    printf("FAIL listen errno=%d\n", errno);
    return 1;
  }
  struct side c = {lwip_socket(AF_INET, SOCK_STREAM, 0), 0, 0, -1, 1, 2};
  if (lwip_connect(c.s, (struct sockaddr*)&a, sizeof a) != 0) {
    printf("FAIL connect errno=%d\n", errno);
    return 1;
  }
  struct side d = {lwip_accept(l, NULL, NULL), 0, 0, -1, 2, 1};

  struct writer w = {&c, &d, total, 0};
  pthread_t t;
  pthread_create(&t, NULL, write_until_stalled, &w);
  const long long cpu0 = cpu_ms(), t0 = now_ms();
  while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE) && now_ms() - t0 < watch_ms) usleep(10000);
  const long long cpu = cpu_ms() - cpu0, wall = now_ms() - t0;
  const int done = __atomic_load_n(&w.done, __ATOMIC_ACQUIRE);
  printf("writer_done=%d sent=%llu cpu_ms=%lld wall_ms=%lld\n", done,
         __atomic_load_n(&c.sent, __ATOMIC_RELAXED) + __atomic_load_n(&d.sent, __ATOMIC_RELAXED), cpu, wall);
  fflush(stdout);
  /* Stuck and spinning (a quarter of the wall time at least, as another test may share the
   * cores), not merely blocked. The stack holds its lock: no clean exit. */
  if (!done) _exit(cpu * 4 > wall ? 3 : 1);
  pthread_join(t, NULL);
  /* Both sides stalled and nothing runs: a process that burns CPU now is the storm. */
  const long long cpu1 = cpu_ms(), t1 = now_ms();
  usleep((useconds_t)watch_ms * 1000);
  const long long idle_cpu = cpu_ms() - cpu1, idle_wall = now_ms() - t1;
  printf("idle cpu_ms=%lld wall_ms=%lld\n", idle_cpu, idle_wall);
  fflush(stdout);
  if (idle_cpu * 4 > idle_wall) _exit(3);

  const long long r0 = now_ms();
  while ((c.received < total || d.received < total) && now_ms() - r0 < 30000) {
    int moved = pump_recv(&c) | pump_recv(&d);
    moved |= pump_send(&c, total) | pump_send(&d, total);
    if (!moved) usleep(200);
  }
  const int resumed_ok = c.received == total && d.received == total && c.bad_at < 0 && d.bad_at < 0;
  printf("resumed_ok=%d resume_ms=%lld\n", resumed_ok, now_ms() - r0);
  lwip_close(c.s);
  lwip_close(d.s);
  lwip_close(l);
  return resumed_ok ? 0 : 1;
}
