// The lwIP backend's error categories: lwIP's errno values (the C library's: glibc's on a
// host, newlib's on a board), equivalent to std::errc, so that ec == std::errc::timed_out
// holds; and the resolver's, with lwIP's EAI_* and HOST_NOT_FOUND numbers.

#include <cstring>
#include <string>

#include "lwip.hpp"
#include "usocket/error.hpp"

#ifdef LWIP_PROVIDE_ERRNO
#error "usocket's lwIP backend needs lwIP's errno from the C library (LWIP_ERRNO_STDINCLUDE or LWIP_ERRNO_INCLUDE)"
#endif

namespace usocket {

namespace sys::lw {
std::string host_note(int value);  // src/lwip/sys.cpp
}

namespace {

class lwip_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "lwip"; }
    std::string message(int v) const override {
        std::string text = std::generic_category().message(v);
        // Why the host could not attach to usocket-netsim (the hub's path), while it cannot.
        const std::string note = sys::lw::host_note(v);
        if (!note.empty()) text += " (" + note + ")";
        return text;
    }
    std::error_condition default_error_condition(int v) const noexcept override {
        return {v, std::generic_category()};
    }
};

class gai_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "getaddrinfo"; }
    // Values are lwIP's EAI_* negated (src/lwip/constants_prologue.h).
    std::string message(int v) const override {
        switch (-v) {
#if LWIP_DNS
            case EAI_NONAME: return "Name or service not known";
            case EAI_SERVICE: return "Servname not supported for ai_socktype";
            case EAI_FAIL: return "Non-recoverable failure in name resolution";
            case EAI_MEMORY: return "Memory allocation failure";
            case EAI_FAMILY: return "ai_family not supported";
#endif
            default: return "Unknown error " + std::to_string(v);
        }
    }
};

class herror_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "h_errno"; }
    std::string message(int v) const override {
        switch (v) {
#if LWIP_DNS
            case HOST_NOT_FOUND: return "Unknown host";
            case NO_DATA: return "No address associated with name";
            case NO_RECOVERY: return "Unknown server error";
            case TRY_AGAIN: return "Host name lookup failure";
#endif
            default: return "Resolver internal error";
        }
    }
};

}  // namespace

#if LWIP_DNS
static_assert(eai_noname == -EAI_NONAME && eai_service == -EAI_SERVICE && eai_fail == -EAI_FAIL &&
              eai_memory == -EAI_MEMORY && eai_family == -EAI_FAMILY,
              "src/lwip/constants_prologue.h negates lwIP's EAI_* values");
#endif

const std::error_category& sys::category() noexcept {
    static const lwip_category_impl c;
    return c;
}

const std::error_category& gai_category() noexcept {
    static const gai_category_impl c;
    return c;
}

const std::error_category& herror_category() noexcept {
    static const herror_category_impl c;
    return c;
}

}  // namespace usocket
