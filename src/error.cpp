// Error categories and the mapping from an error code to the exception class the throwing
// forms raise.

#include "usocket/error.hpp"

#include <cstdio>
#include <cstdlib>

#include "or_throw.hpp"
#include "sys.hpp"

namespace usocket {

namespace {

class library_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "usocket"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
            case errc::invalid_argument: return "invalid argument";
            case errc::port_out_of_range: return "port must be 0-65535";
            case errc::size_too_large: return "size too large";
            case errc::buffer_too_small: return "buffer too small for requested bytes";
            case errc::invalid_timeout: return "timeout value out of range";
            case errc::bad_address: return "invalid address";
            case errc::address_family_mismatch: return "address family mismatched";
            case errc::unsupported: return "operation not supported by this backend";
            case errc::stream_timed_out: return "cannot read from timed out object";
            case errc::bad_mode: return "invalid mode (only r, w, b allowed)";
            case errc::unbuffered_text: return "unbuffered streams must be binary";
            case errc::file_closed: return "I/O operation on closed file";
            case errc::reentrant_call: return "reentrant call inside a read of the same socket";
        }
        return "unknown usocket error";
    }
};

bool is_backend_error(const std::error_code& ec) noexcept {
    return ec.category() == sys::category() || ec.category() == std::generic_category();
}

}  // namespace

const std::error_category& library_category() noexcept {
    static const library_category_impl c;
    return c;
}

std::error_code system_error_code(int errno_value) noexcept { return sys::make_error(errno_value); }

timeout_error::timeout_error(std::error_code ec, const std::string& what)
    : os_error(ec, what), what_(what.empty() ? "timed out" : what + ": timed out") {}

bool is_would_block(const std::error_code& ec) noexcept {
    // Another layer's "try again later" (TLS's want-read / want-write) says so through the
    // generic condition.
    if (!is_backend_error(ec)) return ec && ec == std::errc::resource_unavailable_try_again;
    const int v = ec.value();
    return v == sys::err_again || v == sys::err_wouldblock || v == sys::err_inprogress;
}

bool is_timeout(const std::error_code& ec) noexcept { return is_backend_error(ec) && ec.value() == sys::err_timedout; }

bool is_interrupted(const std::error_code& ec) noexcept { return is_backend_error(ec) && ec.value() == sys::err_intr; }

void throw_error(const std::error_code& ec, const char* what) {
#if USOCKET_HAS_EXCEPTIONS
    if (const auto* own = dynamic_cast<const detail::throwing_category*>(&ec.category())) own->raise(ec, what);
    if (ec.category() == library_category()) throw value_error(ec, what);
    if (ec.category() == gai_category()) throw gaierror(ec, what);
    if (ec.category() == herror_category()) throw herror(ec, what);
    if (is_timeout(ec)) throw timeout_error(ec, what);
    if (is_would_block(ec)) throw blocking_io_error(ec, what);
    throw os_error(ec, what);
#else
    std::fprintf(stderr, "usocket: %s: %s (built without exceptions: use the error_code forms)\n",
                 what, ec.message().c_str());
    std::abort();
#endif
}

}  // namespace usocket
