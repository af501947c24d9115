// The POSIX backend's network stack hooks (src/sys.hpp): the kernel's stack is not the
// library's to list or reset, so print_pcbs() lists the library's sockets and reset() shuts
// them down (src/socket.cpp).

#include "../sys.hpp"

namespace usocket::sys {

bool print_stack(std::ostream&) { return false; }

void reset_stack() noexcept {}

}  // namespace usocket::sys
