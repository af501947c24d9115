// Module-level functions about the system (usocket/system.hpp): interface names and indexes,
// close(fd) and sethostname(). Argument checks here, the calls in the backend.

#include "usocket/system.hpp"

#include <string>

#include "or_throw.hpp"
#include "sys.hpp"

namespace usocket {

std::vector<interface_name> if_nameindex(std::error_code& ec) {
    detail::clear_error(ec);
    std::vector<interface_name> out;
    if (!sys::if_nameindex(out, ec)) out.clear();
    return out;
}

std::vector<interface_name> if_nameindex() {
    return detail::or_throw("if_nameindex", [&](std::error_code& ec) { return if_nameindex(ec); });
}

std::uint32_t if_nametoindex(std::string_view name, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    // The system takes a C string: a NUL inside would name another interface.
    if (name.find('\0') != std::string_view::npos) {
        ec = errc::invalid_argument;
        return 0;
    }
    std::uint32_t index = 0;
    return sys::if_nametoindex(name.data(), name.size(), index, ec) ? index : 0;
}

std::uint32_t if_nametoindex(std::string_view name) {
    return detail::or_throw([&] { return "if_nametoindex('" + std::string(name) + "')"; },
                            [&](std::error_code& ec) { return if_nametoindex(name, ec); });
}

std::string if_indextoname(std::uint32_t index, std::error_code& ec) {
    detail::clear_error(ec);
    std::string name;
    if (!sys::if_indextoname(index, name, ec)) name.clear();
    return name;
}

std::string if_indextoname(std::uint32_t index) {
    return detail::or_throw([&] { return "if_indextoname(" + std::to_string(index) + ")"; },
                            [&](std::error_code& ec) { return if_indextoname(index, ec); });
}

void close(native_handle fd, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    // As CPython's socket.close(fd): a connection reset while closing is no error.
    if (!sys::close(fd, ec) && ec.value() == sys::err_connreset) ec.assign(0, ec.category());
}

void close(native_handle fd) {
    detail::or_throw("close", [&](std::error_code& ec) { close(fd, ec); });
}

void sethostname(std::string_view name, std::error_code& ec) noexcept {
    detail::clear_error(ec);
    if (name.find('\0') != std::string_view::npos) {
        ec = errc::invalid_argument;
        return;
    }
    sys::sethostname(name.data(), name.size(), ec);
}

void sethostname(std::string_view name) {
    detail::or_throw("sethostname", [&](std::error_code& ec) { sethostname(name, ec); });
}

}  // namespace usocket
