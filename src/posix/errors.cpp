// The POSIX backend's error categories: errno values are the system's own (std::system_category,
// so they compare equal to std::errc), and the resolver's, whose messages come from this
// platform's C library.

#include <netdb.h>

#include <cstdlib>
#include <string>

#include "../sys.hpp"
#include "usocket/error.hpp"

namespace usocket {

namespace {

class gai_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "getaddrinfo"; }
    // Values are negative EAI codes; glibc's EAI_* are negative already, other C libraries
    // number them positive, so the sign is restored before asking for the text.
    std::string message(int v) const override {
        const int native = EAI_NONAME < 0 ? v : -v;
        return ::gai_strerror(native);
    }
};

class herror_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "h_errno"; }
    std::string message(int v) const override { return ::hstrerror(v); }
};

}  // namespace

const std::error_category& sys::category() noexcept { return std::system_category(); }

const std::error_category& gai_category() noexcept {
    static const gai_category_impl c;
    return c;
}

const std::error_category& herror_category() noexcept {
    static const herror_category_impl c;
    return c;
}

}  // namespace usocket
