#pragma once
// The throwing forms are the non-throwing ones plus this: run, and raise what `ec` says.

#include <system_error>
#include <type_traits>

#include "usocket/error.hpp"

namespace usocket::detail {

/// Every non-throwing form starts with this: an error code the caller reuses must not report
/// a failure the call did not have (Asio clears too). Cheaper than ec.clear(), which calls
/// into the C++ library for std::system_category().
inline void clear_error(std::error_code& ec) noexcept {
    if (ec) ec.assign(0, ec.category());
}

template <class F>
inline auto or_throw(const char* what, F&& f) {
    std::error_code ec;
    if constexpr (std::is_void_v<decltype(f(ec))>) {
        f(ec);
        if (ec) throw_error(ec, what);
    } else {
        auto r = f(ec);
        if (ec) throw_error(ec, what);
        return r;
    }
}

}  // namespace usocket::detail
