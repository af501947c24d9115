// The RAM the library adds to each socket on a board, measured by the cross compiler: the state
// behind every usocket::socket (src/socket_state.hpp), which the library allocates when a socket
// is made (its read-ahead buffer grows only when the stream methods are used). `nm -S` reads the
// size back (scripts/cross-build.sh).

#include "socket_state.hpp"

extern "C" {
extern char usocket_size_socket_state[sizeof(usocket::detail::socket_state)];
char usocket_size_socket_state[sizeof(usocket::detail::socket_state)];
}
