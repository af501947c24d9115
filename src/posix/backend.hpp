#pragma once
// What the POSIX backend gives the portable code at compile time: its error numbers and its
// mutex. Included through src/sys.hpp only (each backend folder has a backend.hpp; the build
// puts the chosen backend's folder on the library's private include path).

#include <cerrno>
#include <cstddef>
#include <mutex>

namespace usocket::sys {

/// Error numbers the portable code must recognise, with this backend's values.
inline constexpr int err_intr = EINTR, err_again = EAGAIN, err_wouldblock = EWOULDBLOCK,
                     err_inprogress = EINPROGRESS, err_timedout = ETIMEDOUT, err_badf = EBADF,
                     err_connreset = ECONNRESET, err_inval = EINVAL, err_noent = ENOENT,
                     err_nomem = ENOMEM, err_exist = EEXIST, err_nosys = ENOSYS;

/// A mutex for the library's short critical sections (the C++ library's own here).
using mutex = std::mutex;

/// Shards of the socket registry and of the selectors' watch locks (src/socket_state.cpp):
/// a server holds thousands of sockets opened and closed on many threads.
inline constexpr std::size_t registry_shards = 256;

}  // namespace usocket::sys
