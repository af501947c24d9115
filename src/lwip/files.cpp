// The lwIP backend's file calls (src/sys.hpp) for socket::sendfile(). There is no kernel
// sendfile to an lwIP socket: errc::unsupported, what sendfile_method::kernel documents where it
// does not apply (automatic falls back to the portable layer, which reads the file and sends
// it). On a host the file is the kernel's (fstat, pread, read, lseek); on a board lwIP has no
// files (EOPNOTSUPP).
// This file includes no lwIP header: the C library's <fcntl.h> and lwIP's sockets.h both define
// O_NONBLOCK, differently.

#include <cerrno>

#include "../sys.hpp"
#include "usocket/error.hpp"

#ifdef USOCKET_LWIP_HOST
#include <sys/stat.h>
#include <unistd.h>

#include <limits>
#endif

namespace usocket::sys {

ssize sendfile(handle, handle, std::uint64_t, std::size_t, std::error_code& ec) noexcept {
    ec = errc::unsupported;
    return -1;
}

#ifdef USOCKET_LWIP_HOST

namespace {
constexpr std::uint64_t max_offset = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
}

bool file_info(handle file, bool& regular, std::uint64_t& size, std::error_code& ec) noexcept {
    struct stat st {};
    if (::fstat(file, &st) != 0) {
        ec = make_error(errno);
        return false;
    }
    regular = S_ISREG(st.st_mode);
    size = st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    return true;
}

ssize read_file(handle file, void* data, std::size_t size, std::uint64_t offset, bool positional,
                std::error_code& ec) noexcept {
    if (positional && offset > max_offset) {
        ec = make_error(err_inval);
        return -1;
    }
    const ssize n = positional ? ::pread(file, data, size, static_cast<off_t>(offset)) : ::read(file, data, size);
    if (n < 0) ec = make_error(errno);
    return n;
}

bool seek_file(handle file, std::uint64_t offset, std::error_code& ec) noexcept {
    if (offset > max_offset || ::lseek(file, static_cast<off_t>(offset), SEEK_SET) < 0) {
        ec = make_error(offset > max_offset ? err_inval : errno);
        return false;
    }
    return true;
}

#else

bool file_info(handle, bool&, std::uint64_t&, std::error_code& ec) noexcept {
    ec = make_error(EOPNOTSUPP);
    return false;
}

ssize read_file(handle, void*, std::size_t, std::uint64_t, bool, std::error_code& ec) noexcept {
    ec = make_error(EOPNOTSUPP);
    return -1;
}

bool seek_file(handle, std::uint64_t, std::error_code& ec) noexcept {
    ec = make_error(EOPNOTSUPP);
    return false;
}

#endif

}  // namespace usocket::sys
