#pragma once
// The throwing forms are the non-throwing ones plus this: run, and raise what `ec` says.

#include <system_error>
#include <type_traits>

#include "usocket/error.hpp"

namespace usocket::detail {

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
