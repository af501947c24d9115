// The lwIP backend's interfaces (src/sys.hpp): lwIP's netifs, named with two letters and their
// number ("lo0", and "hb1" on a host attached to a hub), their index being that number plus
// one, read under the core lock. lwIP's stack has no host name to set: sethostname() is
// EOPNOTSUPP (an operation this backend cannot serve, not a call missing from the system).

#include <cstring>

#include "lwip.hpp"
#include "lwip/netif.h"
#include "usocket/system.hpp"

namespace usocket::sys {

bool if_nameindex(std::vector<usocket::interface_name>& out, std::error_code& ec) {
    if (!lw::stack_started(ec)) return false;
    std::vector<usocket::interface_name> found;
    LOCK_TCPIP_CORE();
    struct netif* n;
    NETIF_FOREACH(n) {
        char name[NETIF_NAMESIZE];
        if (netif_index_to_name(netif_get_index(n), name) != nullptr) found.push_back({netif_get_index(n), name});
    }
    UNLOCK_TCPIP_CORE();
    out.insert(out.end(), found.begin(), found.end());
    return true;
}

bool if_nametoindex(const char* name, std::size_t size, std::uint32_t& index, std::error_code& ec) noexcept {
    index = interface_index(std::string_view(name, size));  // src/lwip/sockaddr.cpp
    if (index == 0) {
        ec = make_error(ENODEV);
        return false;
    }
    return true;
}

bool if_indextoname(std::uint32_t index, std::string& name, std::error_code& ec) {
    if (!interface_name(index, name)) {
        ec = make_error(ENXIO);
        return false;
    }
    return true;
}

bool sethostname(const char*, std::size_t, std::error_code& ec) noexcept {
    ec = make_error(EOPNOTSUPP);
    return false;
}

}  // namespace usocket::sys
