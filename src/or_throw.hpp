#pragma once
// The throwing forms are the non-throwing ones plus this: run, and raise what `ec` says, with a
// message that names the operation (and, where the caller gives one, the offending value).

#include <concepts>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "usocket/error.hpp"

namespace usocket::detail {

/// The category of a layer whose errors have exception classes of their own (TLS's
/// ssl_error): throw_error() lets it throw them.
class throwing_category : public std::error_category {
public:
    /// Throws the exception for `ec` (of this category), `what` naming the operation.
    [[noreturn]] virtual void raise(const std::error_code& ec, const char* what) const = 0;
};

/// Every non-throwing form starts with this: an error code the caller reuses must not report
/// a failure the call did not have (Asio clears too). Cheaper than ec.clear(), which calls
/// into the C++ library for std::system_category().
inline void clear_error(std::error_code& ec) noexcept {
    if (ec) ec.assign(0, ec.category());
}

/// Runs `f(ec)` and throws for a failure, the message starting with `what` ("recv").
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

/// The same, with the message made by `context()` only when there is a failure
/// ("connect to 127.0.0.1:80").
template <class Context, class F>
    requires std::invocable<Context&>
inline auto or_throw(Context&& context, F&& f) {
    std::error_code ec;
    if constexpr (std::is_void_v<decltype(f(ec))>) {
        f(ec);
        if (ec) throw_error(ec, std::string(context()).c_str());
    } else {
        auto r = f(ec);
        if (ec) throw_error(ec, std::string(context()).c_str());
        return r;
    }
}

/// "connect to ('localhost', 80)" for an operation on (host, port).
inline std::string host_port_context(std::string_view op, std::string_view host, int port) {
    std::string out(op);
    out += " to ('";
    out += host;
    out += "', ";
    out += std::to_string(port);
    out += ')';
    return out;
}

}  // namespace usocket::detail
