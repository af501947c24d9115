// The headers that define the POSIX backend's constants (src/constants.list), read when the
// library is configured (cmake/usocket_constants.cmake). Only the constant generator includes
// this file; none of these headers reaches the library's sources or its public headers.
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

// Linux's families and their options: the kernel's UAPI headers, as CPython includes them.
#if defined(__linux__)
#include <linux/can.h>
#include <linux/can/bcm.h>
#include <linux/can/j1939.h>
#include <linux/can/raw.h>
#include <linux/if_alg.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rds.h>
#include <linux/tipc.h>
#include <linux/vm_sockets.h>
#include <sys/ioctl.h>  // _IO, which IOCTL_VM_SOCKETS_GET_LOCAL_CID expands to

// Values these headers give as enumerators rather than macros (and CAN BCM's, whose names
// CPython prefixes with CAN_BCM_): named here so that the generator can see them.
#define USOCKET_CAN_BCM_TX_SETUP TX_SETUP
#define USOCKET_CAN_BCM_TX_DELETE TX_DELETE
#define USOCKET_CAN_BCM_TX_READ TX_READ
#define USOCKET_CAN_BCM_TX_SEND TX_SEND
#define USOCKET_CAN_BCM_RX_SETUP RX_SETUP
#define USOCKET_CAN_BCM_RX_DELETE RX_DELETE
#define USOCKET_CAN_BCM_RX_READ RX_READ
#define USOCKET_CAN_BCM_TX_STATUS TX_STATUS
#define USOCKET_CAN_BCM_TX_EXPIRED TX_EXPIRED
#define USOCKET_CAN_BCM_RX_STATUS RX_STATUS
#define USOCKET_CAN_BCM_RX_TIMEOUT RX_TIMEOUT
#define USOCKET_CAN_BCM_RX_CHANGED RX_CHANGED
#define USOCKET_CAN_BCM_SETTIMER SETTIMER
#define USOCKET_CAN_BCM_STARTTIMER STARTTIMER
#define USOCKET_CAN_BCM_TX_COUNTEVT TX_COUNTEVT
#define USOCKET_CAN_BCM_TX_ANNOUNCE TX_ANNOUNCE
#define USOCKET_CAN_BCM_TX_CP_CAN_ID TX_CP_CAN_ID
#define USOCKET_CAN_BCM_RX_FILTER_ID RX_FILTER_ID
#define USOCKET_CAN_BCM_RX_CHECK_DLC RX_CHECK_DLC
#define USOCKET_CAN_BCM_RX_NO_AUTOTIMER RX_NO_AUTOTIMER
#define USOCKET_CAN_BCM_RX_ANNOUNCE_RESUME RX_ANNOUNCE_RESUME
#define USOCKET_CAN_BCM_TX_RESET_MULTI_IDX TX_RESET_MULTI_IDX
#define USOCKET_CAN_BCM_RX_RTR_FRAME RX_RTR_FRAME
#define USOCKET_CAN_BCM_CAN_FD_FRAME CAN_FD_FRAME
#define USOCKET_CAN_RAW_FILTER CAN_RAW_FILTER
#define USOCKET_CAN_RAW_ERR_FILTER CAN_RAW_ERR_FILTER
#define USOCKET_CAN_RAW_LOOPBACK CAN_RAW_LOOPBACK
#define USOCKET_CAN_RAW_RECV_OWN_MSGS CAN_RAW_RECV_OWN_MSGS
#define USOCKET_CAN_RAW_FD_FRAMES CAN_RAW_FD_FRAMES
#define USOCKET_CAN_RAW_JOIN_FILTERS CAN_RAW_JOIN_FILTERS
#define USOCKET_SO_J1939_FILTER SO_J1939_FILTER
#define USOCKET_SO_J1939_PROMISC SO_J1939_PROMISC
#define USOCKET_SO_J1939_SEND_PRIO SO_J1939_SEND_PRIO
#define USOCKET_SO_J1939_ERRQUEUE SO_J1939_ERRQUEUE
#define USOCKET_SCM_J1939_DEST_ADDR SCM_J1939_DEST_ADDR
#define USOCKET_SCM_J1939_DEST_NAME SCM_J1939_DEST_NAME
#define USOCKET_SCM_J1939_PRIO SCM_J1939_PRIO
#define USOCKET_SCM_J1939_ERRQUEUE SCM_J1939_ERRQUEUE
#define USOCKET_J1939_NLA_PAD J1939_NLA_PAD
#define USOCKET_J1939_NLA_BYTES_ACKED J1939_NLA_BYTES_ACKED
#define USOCKET_J1939_EE_INFO_NONE J1939_EE_INFO_NONE
#define USOCKET_J1939_EE_INFO_TX_ABORT J1939_EE_INFO_TX_ABORT
#define USOCKET_TIPC_CLUSTER_SCOPE TIPC_CLUSTER_SCOPE
#define USOCKET_TIPC_NODE_SCOPE TIPC_NODE_SCOPE

// As CPython: the kernel keeps UDP-Lite's options in a header it does not export
// (include/net/udplite.h); these are its ABI values.
#if !defined(UDPLITE_SEND_CSCOV)
#define UDPLITE_SEND_CSCOV 10
#define UDPLITE_RECV_CSCOV 11
#endif
#endif

// Bluetooth's constants come from BlueZ's headers (Debian's libbluetooth-dev), not the kernel's.
#if defined(__has_include)
#if __has_include(<bluetooth/bluetooth.h>)
#include <bluetooth/bluetooth.h>
#include <bluetooth/hci.h>
#include <bluetooth/l2cap.h>
#include <bluetooth/rfcomm.h>
#include <bluetooth/sco.h>
#endif
#endif

// glibc declares these as enumerators, not macros: name them so the generator can see them.
#if defined(__GLIBC__)
#define USOCKET_IPPORT_RESERVED IPPORT_RESERVED
#define USOCKET_IPPORT_USERRESERVED IPPORT_USERRESERVED
#else
#if defined(IPPORT_RESERVED)
#define USOCKET_IPPORT_RESERVED IPPORT_RESERVED
#endif
#if defined(IPPORT_USERRESERVED)
#define USOCKET_IPPORT_USERRESERVED IPPORT_USERRESERVED
#endif
#endif
