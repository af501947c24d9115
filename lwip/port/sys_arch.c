/* usocket's unix port of lwIP's sys layer (lwIP 2.1.3): pthreads and CLOCK_MONOTONIC.
 *
 * Written for usocket rather than taken from Debian's source package, whose
 * debian/patches/port carries lwip-contrib's unix port with changes for the Hurd. Not for its
 * licence (BSD-3-Clause, like this file), but for what it does:
 * - Its timed semaphore wait restarts the whole timeout after every wake-up that finds no
 *   count, so SO_RCVTIMEO and select() can wait longer than asked. Here one absolute deadline
 *   on CLOCK_MONOTONIC per wait.
 * - Its mailboxes hold 128 messages whatever size lwIP asks for. Here the size asked.
 * - Its sys_mbox_free() frees a mailbox that a thread may still be waiting on; lwIP's
 *   LWIP_NETCONN_FULLDUPLEX (a socket read in one thread while another closes it) requires the
 *   port to wake such a thread (opt.h). Here the mailbox lives until its last user leaves, and
 *   a receiver woken by the free gets lwIP's "netconn deleted" message.
 * - Its sys_arch_protect() tests its owner thread without synchronisation (a data race under
 *   ThreadSanitizer). Here a recursive mutex.
 * - It also holds the Hurd's RPC cancellation, a thread list kept since 2002 and a TAP driver;
 *   extracting the two files takes filterdiff and depends on the layout of a Debian patch.
 * This file is the whole port: about 350 lines.
 *
 * A process has one lwIP stack. Its thread does not survive fork(): a forked child cannot use
 * lwIP (lwip/host/ refuses it there).
 */
#define _GNU_SOURCE

#include "lwip/opt.h"
#include "lwip/sys.h"
#include "lwip/stats.h"
#include "lwip/tcpip.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* --- time ----------------------------------------------------------------------------- */

static void now_monotonic(struct timespec* ts) { clock_gettime(CLOCK_MONOTONIC, ts); }

static void add_ms(struct timespec* ts, u32_t ms) {
  ts->tv_sec += (time_t)(ms / 1000u);
  ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

static u32_t ms_since(const struct timespec* start) {
  struct timespec now;
  now_monotonic(&now);
  long long ms = (long long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
  if (ms < 0) ms = 0;
  /* SYS_ARCH_TIMEOUT is the largest u32_t: a wait that ended never reports it. */
  if (ms >= (long long)SYS_ARCH_TIMEOUT) ms = (long long)SYS_ARCH_TIMEOUT - 1;
  return (u32_t)ms;
}

u32_t sys_now(void) {
  struct timespec ts;
  now_monotonic(&ts);
  return (u32_t)((unsigned long long)ts.tv_sec * 1000u + (unsigned long long)ts.tv_nsec / 1000000u);
}

void sys_init(void) {}

/* A test's source of "random" numbers instead of getrandom(2), set before the stack starts
 * (tests/lwip/first_port_test.cpp). */
uint32_t (*usocket_lwip_rand_source)(void) = NULL;

static uint32_t raw_rand(void) {
  if (usocket_lwip_rand_source != NULL) return usocket_lwip_rand_source();
  uint32_t v;
  if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v) return v;
  /* No entropy yet (early boot): a different value per call is all lwIP needs. */
  static uint32_t x = 2463534242u;
  uint32_t s = __atomic_load_n(&x, __ATOMIC_RELAXED) ^ (uint32_t)sys_now();
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  __atomic_store_n(&x, s, __ATOMIC_RELAXED);
  return s;
}

/* lwIP 2.1.3's tcp_init() starts its ephemeral ports at TCP_ENSURE_LOCAL_PORT_RANGE(LWIP_RAND()):
 * 0xffff when the value's low 14 bits are all ones (one start in 16384). Its tcp_new_port()
 * increments before it compares with the range's end, wraps 0xffff to 0 and returns 0: the
 * process's first bind to port 0 or connect fails with ERR_BUF (ENOBUFS), and the next ones
 * take ports 1, 2, ... outside the range. So no value given has those bits all ones
 * (lwip/board/include/arch/cc.h does the same for a board's generator). */
uint32_t sys_arch_rand(void) {
  const uint32_t v = raw_rand();
  return (v & 0x3fffu) == 0x3fffu ? v ^ 1u : v;
}

static void cond_init_monotonic(pthread_cond_t* c) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(c, &attr);
  pthread_condattr_destroy(&attr);
}

/* Waits on `cond` (mutex held) until signalled or `deadline` (NULL: no limit).
 * Returns 0, or ETIMEDOUT once the deadline has passed. */
static int cond_wait_until(pthread_cond_t* cond, pthread_mutex_t* mutex, const struct timespec* deadline) {
  if (deadline == NULL) return pthread_cond_wait(cond, mutex);
  return pthread_cond_timedwait(cond, mutex, deadline);
}

/* --- semaphores: counting, timed waits on one deadline ------------------------------------ */

struct sys_sem {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  unsigned count;
};

err_t sys_sem_new(sys_sem_t* sem, u8_t count) {
  struct sys_sem* s = (struct sys_sem*)calloc(1, sizeof *s);
  if (s == NULL) {
    SYS_STATS_INC(sem.err);
    return ERR_MEM;
  }
  pthread_mutex_init(&s->mutex, NULL);
  cond_init_monotonic(&s->cond);
  s->count = count;
  SYS_STATS_INC_USED(sem);
  *sem = s;
  return ERR_OK;
}

void sys_sem_free(sys_sem_t* sem) {
  if (sem == NULL || *sem == NULL) return;
  struct sys_sem* s = *sem;
  SYS_STATS_DEC(sem.used);
  pthread_cond_destroy(&s->cond);
  pthread_mutex_destroy(&s->mutex);
  free(s);
}

void sys_sem_signal(sys_sem_t* sem) {
  struct sys_sem* s = *sem;
  pthread_mutex_lock(&s->mutex);
  s->count++;
  pthread_cond_signal(&s->cond);
  pthread_mutex_unlock(&s->mutex);
}

u32_t sys_arch_sem_wait(sys_sem_t* sem, u32_t timeout_ms) {
  struct sys_sem* s = *sem;
  struct timespec start, deadline;
  now_monotonic(&start);
  deadline = start;
  add_ms(&deadline, timeout_ms);
  pthread_mutex_lock(&s->mutex);
  while (s->count == 0) {
    if (cond_wait_until(&s->cond, &s->mutex, timeout_ms == 0 ? NULL : &deadline) == ETIMEDOUT && s->count == 0) {
      pthread_mutex_unlock(&s->mutex);
      return SYS_ARCH_TIMEOUT;
    }
  }
  s->count--;
  pthread_mutex_unlock(&s->mutex);
  return ms_since(&start);
}

/* --- mutexes ------------------------------------------------------------------------------- */

struct sys_mutex {
  pthread_mutex_t mutex;
};

err_t sys_mutex_new(sys_mutex_t* mutex) {
  struct sys_mutex* m = (struct sys_mutex*)calloc(1, sizeof *m);
  if (m == NULL) {
    SYS_STATS_INC(mutex.err);
    return ERR_MEM;
  }
  pthread_mutex_init(&m->mutex, NULL);
  SYS_STATS_INC_USED(mutex);
  *mutex = m;
  return ERR_OK;
}

void sys_mutex_lock(sys_mutex_t* mutex) { pthread_mutex_lock(&(*mutex)->mutex); }

void sys_mutex_unlock(sys_mutex_t* mutex) { pthread_mutex_unlock(&(*mutex)->mutex); }

void sys_mutex_free(sys_mutex_t* mutex) {
  if (mutex == NULL || *mutex == NULL) return;
  SYS_STATS_DEC(mutex.used);
  pthread_mutex_destroy(&(*mutex)->mutex);
  free(*mutex);
}

/* --- mailboxes: a ring of the size lwIP asks for; freed by its last user -------------------- */

struct sys_mbox {
  pthread_mutex_t mutex;
  pthread_cond_t not_empty;
  pthread_cond_t not_full;
  void** msgs;
  int size, head, count;
  int users; /* threads inside a post or a fetch */
  int freed; /* sys_mbox_free() was called: the last user frees the memory */
};

#if LWIP_NETCONN_FULLDUPLEX
/* api_msg.c's "this netconn was deleted" message: what a receiver woken by a free gets. */
extern const u8_t netconn_deleted;
#define MBOX_FREED_MSG ((void*)(uintptr_t)&netconn_deleted)
#else
#define MBOX_FREED_MSG NULL
#endif

static void mbox_destroy(struct sys_mbox* m) {
  pthread_cond_destroy(&m->not_empty);
  pthread_cond_destroy(&m->not_full);
  pthread_mutex_destroy(&m->mutex);
  free(m->msgs);
  free(m);
}

/* Leaves the mailbox (mutex held): unlocks it, and frees it if it was freed meanwhile and this
 * was its last user. */
static void mbox_leave(struct sys_mbox* m) {
  m->users--;
  const int destroy = m->freed && m->users == 0;
  pthread_mutex_unlock(&m->mutex);
  if (destroy) mbox_destroy(m);
}

err_t sys_mbox_new(sys_mbox_t* mbox, int size) {
  if (size <= 0) size = 64;
  struct sys_mbox* m = (struct sys_mbox*)calloc(1, sizeof *m);
  void** msgs = (void**)calloc((size_t)size, sizeof(void*));
  if (m == NULL || msgs == NULL) {
    free(m);
    free(msgs);
    SYS_STATS_INC(mbox.err);
    return ERR_MEM;
  }
  pthread_mutex_init(&m->mutex, NULL);
  cond_init_monotonic(&m->not_empty);
  cond_init_monotonic(&m->not_full);
  m->msgs = msgs;
  m->size = size;
  SYS_STATS_INC_USED(mbox);
  *mbox = m;
  return ERR_OK;
}

void sys_mbox_free(sys_mbox_t* mbox) {
  if (mbox == NULL || *mbox == NULL) return;
  struct sys_mbox* m = *mbox;
  SYS_STATS_DEC(mbox.used);
  pthread_mutex_lock(&m->mutex);
  if (m->users == 0) {
    pthread_mutex_unlock(&m->mutex);
    mbox_destroy(m);
    return;
  }
  m->freed = 1;
  pthread_cond_broadcast(&m->not_empty);
  pthread_cond_broadcast(&m->not_full);
  pthread_mutex_unlock(&m->mutex);
}

static void mbox_push(struct sys_mbox* m, void* msg) {
  m->msgs[(m->head + m->count) % m->size] = msg;
  m->count++;
  pthread_cond_signal(&m->not_empty);
}

static void* mbox_pop(struct sys_mbox* m) {
  void* msg = m->msgs[m->head];
  m->head = (m->head + 1) % m->size;
  m->count--;
  pthread_cond_signal(&m->not_full);
  return msg;
}

void sys_mbox_post(sys_mbox_t* mbox, void* msg) {
  struct sys_mbox* m = *mbox;
  pthread_mutex_lock(&m->mutex);
  m->users++;
  while (m->count == m->size && !m->freed) pthread_cond_wait(&m->not_full, &m->mutex);
  if (!m->freed) mbox_push(m, msg);
  mbox_leave(m);
}

err_t sys_mbox_trypost(sys_mbox_t* mbox, void* msg) {
  struct sys_mbox* m = *mbox;
  pthread_mutex_lock(&m->mutex);
  if (m->count == m->size || m->freed) {
    pthread_mutex_unlock(&m->mutex);
    SYS_STATS_INC(mbox.err);
    return ERR_MEM;
  }
  mbox_push(m, msg);
  pthread_mutex_unlock(&m->mutex);
  return ERR_OK;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t* mbox, void* msg) { return sys_mbox_trypost(mbox, msg); }

u32_t sys_arch_mbox_fetch(sys_mbox_t* mbox, void** msg, u32_t timeout_ms) {
  struct sys_mbox* m = *mbox;
  if (m == NULL) { /* freed and invalidated before this thread got here */
    if (msg != NULL) *msg = MBOX_FREED_MSG;
    return 0;
  }
  struct timespec start, deadline;
  now_monotonic(&start);
  deadline = start;
  add_ms(&deadline, timeout_ms);
  pthread_mutex_lock(&m->mutex);
  m->users++;
  while (m->count == 0 && !m->freed) {
    if (cond_wait_until(&m->not_empty, &m->mutex, timeout_ms == 0 ? NULL : &deadline) == ETIMEDOUT &&
        m->count == 0 && !m->freed) {
      mbox_leave(m);
      return SYS_ARCH_TIMEOUT;
    }
  }
  void* got = m->count > 0 ? mbox_pop(m) : MBOX_FREED_MSG;
  if (msg != NULL) *msg = got;
  mbox_leave(m);
  return ms_since(&start);
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t* mbox, void** msg) {
  struct sys_mbox* m = *mbox;
  pthread_mutex_lock(&m->mutex);
  if (m->count == 0) {
    pthread_mutex_unlock(&m->mutex);
    return SYS_MBOX_EMPTY;
  }
  void* got = mbox_pop(m);
  if (msg != NULL) *msg = got;
  pthread_mutex_unlock(&m->mutex);
  return 0;
}

/* --- threads ----------------------------------------------------------------------------------- */

struct sys_thread {
  pthread_t id;
  lwip_thread_fn fn;
  void* arg;
};

static void* thread_main(void* p) {
  struct sys_thread* t = (struct sys_thread*)p;
  t->fn(t->arg);
  return NULL;
}

sys_thread_t sys_thread_new(const char* name, lwip_thread_fn fn, void* arg, int stacksize, int prio) {
  LWIP_UNUSED_ARG(stacksize);
  LWIP_UNUSED_ARG(prio);
  /* Kept for the life of the process, as lwIP's threads are (there is no sys_thread_free). */
  struct sys_thread* t = (struct sys_thread*)calloc(1, sizeof *t);
  LWIP_ASSERT("sys_thread_new: out of memory", t != NULL);
  t->fn = fn;
  t->arg = arg;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  const int rc = pthread_create(&t->id, &attr, thread_main, t);
  pthread_attr_destroy(&attr);
  LWIP_ASSERT("sys_thread_new: pthread_create failed", rc == 0);
  LWIP_UNUSED_ARG(rc);
  if (name != NULL) {
    char short_name[16];
    strncpy(short_name, name, sizeof short_name - 1);
    short_name[sizeof short_name - 1] = '\0';
    pthread_setname_np(t->id, short_name);
  }
  return t;
}

/* --- one semaphore per thread (LWIP_NETCONN_SEM_PER_THREAD) ------------------------------------ */

static pthread_key_t thread_sem_key;
static pthread_once_t thread_sem_once = PTHREAD_ONCE_INIT;
static __thread sys_sem_t thread_sem;

static void thread_sem_destructor(void* p) {
  sys_sem_t s = (sys_sem_t)p;
  sys_sem_free(&s);
}

static void thread_sem_make_key(void) { pthread_key_create(&thread_sem_key, thread_sem_destructor); }

void sys_arch_netconn_sem_alloc(void) {
  if (thread_sem != NULL) return;
  pthread_once(&thread_sem_once, thread_sem_make_key);
  if (sys_sem_new(&thread_sem, 0) == ERR_OK) pthread_setspecific(thread_sem_key, thread_sem);
}

sys_sem_t* sys_arch_netconn_sem_get(void) {
  if (thread_sem == NULL) sys_arch_netconn_sem_alloc();
  return &thread_sem;
}

void sys_arch_netconn_sem_free(void) {
  if (thread_sem == NULL) return;
  pthread_setspecific(thread_sem_key, NULL);
  sys_sem_free(&thread_sem);
  thread_sem = NULL;
}

/* --- the DNS server's port (the test profile's DNS_SERVER_PORT) ------------------------------ */

unsigned short usocket_lwip_dns_port = 53;

/* --- assertions ------------------------------------------------------------------------------ */

/* lwIP 2.1.3 with LWIP_NETCONN_FULLDUPLEX asserts "netconn marked closed" when a listening
 * socket is closed while connections wait in its accept queue: netconn_drain() drains each
 * of them, which nobody else can be waiting on (no accept() returned them), without marking
 * them closed first. Draining them is right (each gets a RST, as Linux gives), so that one
 * assertion is counted, not fatal; every other one aborts. */
static unsigned long drained_unaccepted;

void sys_arch_assert(const char* message, int line, const char* file) {
  if (strcmp(message, "netconn marked closed") == 0 && strstr(file, "api_msg.c") != NULL) {
    __atomic_add_fetch(&drained_unaccepted, 1, __ATOMIC_RELAXED);
    return;
  }
  fprintf(stderr, "lwIP assertion \"%s\" failed at line %d in %s\n", message, line, file);
  fflush(NULL);
  abort();
}

/* --- core locking, checked ------------------------------------------------------------------ */

static __thread int holds_core;
static int tcpip_thread_running;

#if LWIP_TCPIP_CORE_LOCKING
void sys_arch_lock_tcpip_core(void) {
  sys_mutex_lock(&lock_tcpip_core);
  holds_core = 1;
}

void sys_arch_unlock_tcpip_core(void) {
  holds_core = 0;
  sys_mutex_unlock(&lock_tcpip_core);
}
#endif

static __thread int is_tcpip_thread;

void sys_arch_mark_tcpip_thread(void) {
  is_tcpip_thread = 1;
  __atomic_store_n(&tcpip_thread_running, 1, __ATOMIC_RELEASE);
}

void sys_arch_check_core_locking(void) {
  /* Before the tcpip thread runs, tcpip_init() sets the stack up from the calling thread. */
  if (!__atomic_load_n(&tcpip_thread_running, __ATOMIC_ACQUIRE)) return;
#if LWIP_TCPIP_CORE_LOCKING
  LWIP_ASSERT("lwIP function called without the core lock (LOCK_TCPIP_CORE)", holds_core);
#else
  LWIP_ASSERT("lwIP function called outside the tcpip thread", is_tcpip_thread);
#endif
}

/* --- critical sections (SYS_LIGHTWEIGHT_PROT) ------------------------------------------------ */

#if SYS_LIGHTWEIGHT_PROT
static pthread_mutex_t protect_mutex = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

sys_prot_t sys_arch_protect(void) {
  pthread_mutex_lock(&protect_mutex);
  return 0;
}

void sys_arch_unprotect(sys_prot_t pval) {
  LWIP_UNUSED_ARG(pval);
  pthread_mutex_unlock(&protect_mutex);
}
#endif
