/* The operating-system types of lwIP's sys layer for a host: pthreads (lwip/port/sys_arch.c).
 * Every type is an opaque pointer; NULL is "invalid". */
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sys_sem* sys_sem_t;
typedef struct sys_mutex* sys_mutex_t;
typedef struct sys_mbox* sys_mbox_t;
typedef struct sys_thread* sys_thread_t;
typedef int sys_prot_t;

#define SYS_MBOX_NULL NULL
#define SYS_SEM_NULL NULL

#define sys_sem_valid(s) ((s) != NULL && *(s) != NULL)
#define sys_sem_valid_val(s) ((s) != NULL)
#define sys_sem_set_invalid(s) do { if ((s) != NULL) *(s) = NULL; } while (0)
#define sys_sem_set_invalid_val(s) do { (s) = NULL; } while (0)
#define sys_mutex_valid(m) ((m) != NULL && *(m) != NULL)
#define sys_mutex_set_invalid(m) do { if ((m) != NULL) *(m) = NULL; } while (0)
#define sys_mbox_valid(m) ((m) != NULL && *(m) != NULL)
#define sys_mbox_valid_val(m) ((m) != NULL)
#define sys_mbox_set_invalid(m) do { if ((m) != NULL) *(m) = NULL; } while (0)
#define sys_mbox_set_invalid_val(m) do { (m) = NULL; } while (0)

/* LWIP_NETCONN_SEM_PER_THREAD: one semaphore per calling thread, made on first use (threads
 * that lwIP did not create call the socket API too) and freed when the thread ends. */
sys_sem_t* sys_arch_netconn_sem_get(void);
void sys_arch_netconn_sem_alloc(void);
void sys_arch_netconn_sem_free(void);
#define LWIP_NETCONN_THREAD_SEM_GET() sys_arch_netconn_sem_get()
#define LWIP_NETCONN_THREAD_SEM_ALLOC() sys_arch_netconn_sem_alloc()
#define LWIP_NETCONN_THREAD_SEM_FREE() sys_arch_netconn_sem_free()

/* Core locking that records its holder, for LWIP_ASSERT_CORE_LOCKED() (arch/cc.h). */
void sys_arch_lock_tcpip_core(void);
void sys_arch_unlock_tcpip_core(void);
#define LOCK_TCPIP_CORE() sys_arch_lock_tcpip_core()
#define UNLOCK_TCPIP_CORE() sys_arch_unlock_tcpip_core()

#ifdef __cplusplus
}
#endif
