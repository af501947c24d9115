#pragma once
// The descriptors owned by usocket socket objects in this process, for print_pcbs() and
// reset(). Updated when a socket object takes a descriptor and when it gives it up.

#include <vector>

namespace usocket::detail {

void register_fd(int fd) noexcept;
void unregister_fd(int fd) noexcept;
/// The registered descriptors, in ascending order.
std::vector<int> registered_fds();

}  // namespace usocket::detail
