#pragma once
// Module-level functions about the system rather than one socket: network interfaces by name and
// index, closing a descriptor by number, and setting the host name (CPython's if_nameindex,
// if_nametoindex, if_indextoname, close and sethostname).

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "usocket/constants.hpp"
#include "usocket/export.hpp"

namespace usocket {

/// One network interface: CPython's (index, name) pair of if_nameindex().
struct interface_name {
    std::uint32_t index = 0;
    std::string name;
};

/// Every network interface, in the system's order. Throws os_error.
[[nodiscard]] USOCKET_API std::vector<interface_name> if_nameindex();
[[nodiscard]] USOCKET_API std::vector<interface_name> if_nameindex(std::error_code& ec);
/// The index of interface `name`. No such interface: os_error(ENODEV) (Python's OSError "no
/// interface with this name"); a name containing a NUL: value_error (invalid_argument).
[[nodiscard]] USOCKET_API std::uint32_t if_nametoindex(std::string_view name);
[[nodiscard]] USOCKET_API std::uint32_t if_nametoindex(std::string_view name, std::error_code& ec) noexcept;
/// The name of the interface with `index`. No such interface (0 included): os_error(ENXIO).
[[nodiscard]] USOCKET_API std::string if_indextoname(std::uint32_t index);
[[nodiscard]] USOCKET_API std::string if_indextoname(std::uint32_t index, std::error_code& ec);

/// Closes a descriptor by number (CPython's socket.close(fd)), for one taken with detach() or
/// received in SCM_RIGHTS. ECONNRESET is ignored, as socket::close() does; EBADF is os_error.
USOCKET_API void close(native_handle fd);
USOCKET_API void close(native_handle fd, std::error_code& ec) noexcept;

/// Sets the host name of the machine (of its UTS namespace on Linux). Needs the privilege
/// (os_error EPERM otherwise); too long: os_error(EINVAL); a NUL in it: value_error.
USOCKET_API void sethostname(std::string_view name);
USOCKET_API void sethostname(std::string_view name, std::error_code& ec) noexcept;

}  // namespace usocket
