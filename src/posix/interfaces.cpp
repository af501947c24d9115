// The POSIX backend's interface names (if_nameindex(3) and friends) and sethostname(2)
// (src/sys.hpp).

#include <net/if.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "../sys.hpp"
#include "usocket/system.hpp"

namespace usocket::sys {

namespace {
inline std::error_code last_error() noexcept { return {errno, std::system_category()}; }
}  // namespace

bool if_nameindex(std::vector<usocket::interface_name>& out, std::error_code& ec) {
    struct if_nameindex* list = ::if_nameindex();
    if (list == nullptr) {
        ec = last_error();
        return false;
    }
    struct guard {
        struct if_nameindex* p;
        ~guard() { ::if_freenameindex(p); }
    } const g{list};
    for (const struct if_nameindex* i = list; i->if_index != 0 || i->if_name != nullptr; ++i)
        out.push_back({i->if_index, i->if_name});
    return true;
}

bool if_nametoindex(const char* name, std::size_t size, std::uint32_t& index, std::error_code& ec) noexcept {
    char buf[IF_NAMESIZE];
    if (size >= sizeof buf) {
        ec = make_error(ENODEV);
        return false;
    }
    std::memcpy(buf, name, size);
    buf[size] = '\0';
    errno = 0;
    index = ::if_nametoindex(buf);
    if (index == 0) {
        ec = make_error(errno != 0 ? errno : ENODEV);
        return false;
    }
    return true;
}

bool if_indextoname(std::uint32_t index, std::string& name, std::error_code& ec) {
    char buf[IF_NAMESIZE + 1] = {};
    if (::if_indextoname(index, buf) == nullptr) {
        ec = last_error();
        return false;
    }
    name = buf;
    return true;
}

bool sethostname(const char* name, std::size_t size, std::error_code& ec) noexcept {
    if (::sethostname(name, size) != 0) {
        ec = last_error();
        return false;
    }
    return true;
}

}  // namespace usocket::sys
