/* The far end of the lwIP tests: a process with its own lwIP stack, attached to the hub named by
 * USOCKET_LWIP_NET with the addresses of USOCKET_LWIP_ADDR. Uses lwIP's socket API only.
 *
 *   peer tcp-exchange 4|6 NBYTES  listen on port 0, print "READY port=N", accept one
 *                                 connection, send NBYTES of stream 2 (then shut down) while
 *                                 receiving stream 1 to its end, print "DONE received=N bad_at=K",
 *                                 and live on until standard input closes (until then its stack
 *                                 retransmits what the other end has not acknowledged yet)
 *   peer udp-echo 4|6             bind port 0, print "READY port=N", echo datagrams until "quit"
 *   peer idle                     print "READY", live until standard input closes
 *   peer ready-check              print "READY-CHECK rc=N why=TEXT"; again for each line read
 *                                 from standard input, until it closes
 *   peer fork-check               start lwIP, fork; the child prints "CHILD rc=N why=TEXT"
 *
 * Every wait is bounded (SO_RCVTIMEO/SO_SNDTIMEO of 60 s): a peer never outlives its test. */
#include "lwip/sockets.h"
#include "pattern.h"
#include "usocket_lwip_host.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK 16384

static void die(const char* what) {
  printf("FAIL %s errno=%d\n", what, errno);
  fflush(stdout);
  exit(1);
}

static void bound_waits(int s) {
  struct timeval tv = {60, 0};
  lwip_setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  lwip_setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* A socket of `family` bound to port 0 of the any address; its port in *port. */
static int bound_socket(int family, int type, int* port) {
  const int s = lwip_socket(family, type, 0);
  if (s < 0) die("socket");
  union {
    struct sockaddr sa;
    struct sockaddr_in in;
#if LWIP_IPV6
    struct sockaddr_in6 in6;
#endif
  } a;
  memset(&a, 0, sizeof a);
  socklen_t len;
  if (family == AF_INET) {
    a.in.sin_len = sizeof a.in;
    a.in.sin_family = AF_INET;
    len = sizeof a.in;
  } else {
#if LWIP_IPV6
    a.in6.sin6_len = sizeof a.in6;
    a.in6.sin6_family = AF_INET6;
    len = sizeof a.in6;
#else
    die("this lwIP has no IPv6");
#endif
  }
  if (lwip_bind(s, &a.sa, len) != 0) die("bind");
  len = sizeof a;
  if (lwip_getsockname(s, &a.sa, &len) != 0) die("getsockname");
#if LWIP_IPV6
  *port = lwip_ntohs(family == AF_INET ? a.in.sin_port : a.in6.sin6_port);
#else
  *port = lwip_ntohs(a.in.sin_port);
#endif
  bound_waits(s);
  return s;
}

static int family_of(const char* arg) { return strcmp(arg, "6") == 0 ? AF_INET6 : AF_INET; }

struct sender {
  int s;
  unsigned long long n;
  int failed;
};

static void* send_stream(void* arg) {
  struct sender* snd = (struct sender*)arg;
  static unsigned char buf[CHUNK];
  unsigned long long off = 0;
  while (off < snd->n) {
    size_t want = snd->n - off < CHUNK ? (size_t)(snd->n - off) : CHUNK;
    lwip_test_fill(2, off, buf, want);
    const ssize_t k = lwip_send(snd->s, buf, want, 0);
    if (k <= 0) {
      snd->failed = errno ? errno : -1;
      return NULL;
    }
    off += (unsigned long long)k;
  }
  lwip_shutdown(snd->s, SHUT_WR);
  return NULL;
}

static int tcp_exchange(int family, unsigned long long n) {
  int port;
  const int l = bound_socket(family, SOCK_STREAM, &port);
  if (lwip_listen(l, 1) != 0) die("listen");
  printf("READY port=%d\n", port);
  fflush(stdout);
  const int s = lwip_accept(l, NULL, NULL);
  if (s < 0) die("accept");
  bound_waits(s);
  struct sender snd = {s, n, 0};
  pthread_t t;
  pthread_create(&t, NULL, send_stream, &snd);
  static unsigned char buf[CHUNK];
  unsigned long long got = 0;
  long long bad_at = -1;
  for (;;) {
    const ssize_t k = lwip_recv(s, buf, sizeof buf, 0);
    if (k == 0) break;
    if (k < 0) die("recv");
    if (bad_at < 0) bad_at = lwip_test_check(1, got, buf, (size_t)k);
    got += (unsigned long long)k;
  }
  pthread_join(t, NULL);
  printf("DONE received=%llu bad_at=%lld send_errno=%d\n", got, bad_at, snd.failed);
  fflush(stdout);
  char c;
  while (read(0, &c, 1) > 0) {
  }
  lwip_close(s);
  lwip_close(l);
  return got == n && bad_at < 0 && snd.failed == 0 ? 0 : 1;
}

static int udp_echo(int family) {
  int port;
  const int s = bound_socket(family, SOCK_DGRAM, &port);
  printf("READY port=%d\n", port);
  fflush(stdout);
  static unsigned char buf[65536];
  for (;;) {
    struct sockaddr_storage from;
    socklen_t len = sizeof from;
    const ssize_t k = lwip_recvfrom(s, buf, sizeof buf, 0, (struct sockaddr*)&from, &len);
    if (k < 0) die("recvfrom");
    if (k == 4 && memcmp(buf, "quit", 4) == 0) break;
    if (lwip_sendto(s, buf, (size_t)k, 0, (struct sockaddr*)&from, len) != k) die("sendto");
  }
  lwip_close(s);
  return 0;
}

static void print_ready(const char* tag) {
  char why[256] = "";
  const int rc = usocket_lwip_host_ready(why, sizeof why);
  printf("%s rc=%d why=%s\n", tag, rc, why);
  fflush(stdout);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* mode = argv[1];
  if (strcmp(mode, "ready-check") == 0) {
    char line[64];
    print_ready("READY-CHECK");
    while (fgets(line, sizeof line, stdin) != NULL) print_ready("READY-CHECK");
    return 0;
  }
  if (strcmp(mode, "fork-check") == 0) {
    print_ready("PARENT");
    const pid_t pid = fork();
    if (pid == 0) {
      print_ready("CHILD");
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  char why[256] = "";
  if (usocket_lwip_host_ready(why, sizeof why) != 0) {
    printf("FAIL ready: %s\n", why);
    return 1;
  }
  if (strcmp(mode, "tcp-exchange") == 0 && argc == 4) return tcp_exchange(family_of(argv[2]), strtoull(argv[3], NULL, 10));
  if (strcmp(mode, "udp-echo") == 0 && argc == 3) return udp_echo(family_of(argv[2]));
  if (strcmp(mode, "idle") == 0) {
    printf("READY\n");
    fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    return 0;
  }
  return 2;
}
