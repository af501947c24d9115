// usocket/format.hpp with the standard library's std::format (libc++ 16 here; GCC 13 and
// later too): built and run by .ci/extra/libcxx.sh, where <format> exists (GCC 12 has none).

#include <cassert>
#include <cstdio>
#include <string>
#include <usocket/format.hpp>

#ifndef USOCKET_HAS_STD_FORMAT
#error "this standard library has <format>: usocket/format.hpp should have used it"
#endif

int main() {
    const usocket::address a("::1", 8080);
    assert(std::format("{}", a) == "[::1]:8080");
    assert(std::format("<{:>14}>", usocket::address("10.0.0.1", 5)) == "<    10.0.0.1:5>");
    auto [x, y] = usocket::socketpair();
    assert(std::format("{}", x) == x.to_string());
    assert(std::format("{:.8}", x) == x.to_string().substr(0, 8));
    std::puts(std::format("std::format: {} and {}", a, x).c_str());
}
