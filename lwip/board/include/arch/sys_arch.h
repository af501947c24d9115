/* The board's operating-system types for lwIP, opaque: the firmware's RTOS port defines them
 * (a FreeRTOS port makes them queue and semaphore handles). Enough to compile for a size. */
#pragma once

#include <stdint.h>

typedef struct board_sem* sys_sem_t;
typedef struct board_mutex* sys_mutex_t;
typedef struct board_mbox* sys_mbox_t;
typedef struct board_thread* sys_thread_t;
typedef uint32_t sys_prot_t;

#define sys_sem_valid(s) ((s) != NULL && *(s) != NULL)
#define sys_sem_set_invalid(s) do { *(s) = NULL; } while (0)
#define sys_mutex_valid(m) ((m) != NULL && *(m) != NULL)
#define sys_mutex_set_invalid(m) do { *(m) = NULL; } while (0)
#define sys_mbox_valid(m) ((m) != NULL && *(m) != NULL)
#define sys_mbox_set_invalid(m) do { *(m) = NULL; } while (0)

/* LWIP_NETCONN_SEM_PER_THREAD (profile "full"): a semaphore in the RTOS's thread-local storage. */
sys_sem_t* board_netconn_thread_sem(void);
void board_netconn_thread_sem_alloc(void);
void board_netconn_thread_sem_free(void);
#define LWIP_NETCONN_THREAD_SEM_GET() board_netconn_thread_sem()
#define LWIP_NETCONN_THREAD_SEM_ALLOC() board_netconn_thread_sem_alloc()
#define LWIP_NETCONN_THREAD_SEM_FREE() board_netconn_thread_sem_free()
