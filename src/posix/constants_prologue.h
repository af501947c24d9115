// The headers that define the POSIX backend's constants (src/constants.list), read when the
// library is configured (cmake/usocket_constants.cmake).
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
