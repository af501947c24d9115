#pragma once
// Formatting usocket::address and usocket::socket with std::format (where the standard
// library has it: GCC 13 and later; libc++ 16 with -fexperimental-library) and with {fmt}
// (where it is installed, e.g. Debian's libfmt-dev). Both print what to_string() prints, and take the format
// specification of a string: std::format("{:>24}", addr).
//
// Opt-in: include this header where you format (it includes <format> and <fmt/format.h>).

#include <string>
#include <string_view>
#include <version>

#include "usocket/address.hpp"
#include "usocket/socket.hpp"

#if __has_include(<format>) && \
    (defined(__cpp_lib_format) || (defined(_LIBCPP_VERSION) && !defined(_LIBCPP_HAS_NO_INCOMPLETE_FORMAT)))
#include <format>

template <>
struct std::formatter<usocket::address, char> : std::formatter<std::string_view, char> {
    template <class Context>
    auto format(const usocket::address& a, Context& ctx) const {
        return std::formatter<std::string_view, char>::format(a.to_string(), ctx);
    }
};

template <>
struct std::formatter<usocket::socket, char> : std::formatter<std::string_view, char> {
    template <class Context>
    auto format(const usocket::socket& s, Context& ctx) const {
        return std::formatter<std::string_view, char>::format(s.to_string(), ctx);
    }
};
#define USOCKET_HAS_STD_FORMAT 1
#endif

#if __has_include(<fmt/format.h>)
#include <fmt/format.h>

template <>
struct fmt::formatter<usocket::address> : fmt::formatter<fmt::string_view> {
    template <class Context>
    auto format(const usocket::address& a, Context& ctx) const {
        const std::string text = a.to_string();
        return fmt::formatter<fmt::string_view>::format(fmt::string_view(text.data(), text.size()), ctx);
    }
};

template <>
struct fmt::formatter<usocket::socket> : fmt::formatter<fmt::string_view> {
    template <class Context>
    auto format(const usocket::socket& s, Context& ctx) const {
        const std::string text = s.to_string();
        return fmt::formatter<fmt::string_view>::format(fmt::string_view(text.data(), text.size()), ctx);
    }
};
#define USOCKET_HAS_FMT 1
#endif
