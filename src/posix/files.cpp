// The POSIX backend's file calls for socket::sendfile() (src/sys.hpp): the kernel's sendfile on
// Linux (ENOSYS elsewhere: the BSDs' sendfile has another signature, and the portable read and
// send loop serves them), and the reads and seeks of that loop.

#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/sendfile.h>
#endif

#include <cerrno>
#include <cstdint>
#include <limits>

#include "../sys.hpp"

namespace usocket::sys {

namespace {
inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }

constexpr std::uint64_t max_offset = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
}  // namespace

bool file_info(handle file, bool& regular, std::uint64_t& size, std::error_code& ec) noexcept {
    struct stat st {};
    if (::fstat(file, &st) != 0) {
        ec = last_error();
        return false;
    }
    regular = S_ISREG(st.st_mode);
    size = st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    return true;
}

ssize sendfile(handle sock, handle file, std::uint64_t offset, std::size_t count, std::error_code& ec) noexcept {
#if defined(__linux__)
    if (offset > max_offset) {
        ec = make_error(EINVAL);
        return -1;
    }
    off_t off = static_cast<off_t>(offset);
    const ssize n = ::sendfile(sock, file, &off, count);
    if (n < 0) ec = last_error();
    return n;
#else
    (void)sock, (void)file, (void)offset, (void)count;
    ec = make_error(ENOSYS);
    return -1;
#endif
}

ssize read_file(handle file, void* data, std::size_t size, std::uint64_t offset, bool positional,
                std::error_code& ec) noexcept {
    ssize n;
    if (positional) {
        if (offset > max_offset) {
            ec = make_error(EINVAL);
            return -1;
        }
        n = ::pread(file, data, size, static_cast<off_t>(offset));
    } else {
        n = ::read(file, data, size);
    }
    if (n < 0) ec = last_error();
    return n;
}

bool seek_file(handle file, std::uint64_t offset, std::error_code& ec) noexcept {
    if (offset > max_offset) {
        ec = make_error(EINVAL);
        return false;
    }
    if (::lseek(file, static_cast<off_t>(offset), SEEK_SET) < 0) {
        ec = last_error();
        return false;
    }
    return true;
}

}  // namespace usocket::sys
