#pragma once
// Errors: every failure is a std::error_code; the throwing forms turn it into one of the
// exception classes below. No error state is ever stored in a socket object.

#include <string>
#include <system_error>

#include "usocket/export.hpp"

/// 1 when the code including usocket is compiled with exceptions (the throwing forms are
/// usable), 0 with -fno-exceptions (use the std::error_code& forms).
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define USOCKET_HAS_EXCEPTIONS 1
#else
#define USOCKET_HAS_EXCEPTIONS 0
#endif

namespace usocket {

/// Argument errors detected by the library itself (before any system call). They map to
/// Python's ValueError / OverflowError / TypeError and to usocket::value_error in C++.
enum class errc {
    invalid_argument = 1,  ///< a value out of its domain (ValueError)
    port_out_of_range,     ///< a port outside 0..65535 (OverflowError, as CPython)
    size_too_large,        ///< a size that cannot be represented (OverflowError)
    buffer_too_small,      ///< nbytes larger than the buffer given (ValueError)
    invalid_timeout,       ///< a negative or non-finite timeout (ValueError)
    bad_address,           ///< an address that cannot be parsed for the family (ValueError/OSError)
    address_family_mismatch,  ///< an address of another family than the socket's
    unsupported,           ///< a request this backend cannot serve
    stream_timed_out,      ///< a buffered file was used after a timeout left it inconsistent
    bad_mode,              ///< makefile(): a mode with letters other than r, w, b
    unbuffered_text,       ///< makefile(): buffering=0 with a text mode
    file_closed,           ///< an operation on a closed file of makefile()
    reentrant_call,        ///< a read begun inside another read of the same socket on its thread (RuntimeError)
};

/// The category of usocket::errc.
[[nodiscard]] USOCKET_API const std::error_category& library_category() noexcept;
/// The category of getaddrinfo()/getnameinfo() errors; value() is the NEGATIVE EAI code
/// (glibc's numbering, as seed 001 documents).
[[nodiscard]] USOCKET_API const std::error_category& gai_category() noexcept;
/// The category of the legacy resolver's h_errno values (gethostbyname & co).
[[nodiscard]] USOCKET_API const std::error_category& herror_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), library_category()};
}

/// An error of the backend (its error numbers and category: the system's on POSIX, lwIP's own
/// on lwIP; either compares equal to the matching std::errc).
[[nodiscard]] USOCKET_API std::error_code system_error_code(int errno_value) noexcept;

/// Every OS-level failure: a std::system_error keeping the errno (code().value()).
class USOCKET_API os_error : public std::system_error {
public:
    using std::system_error::system_error;
};

/// A timed operation ran out of time (errno ETIMEDOUT). Distinct from would-block. what() is
/// "<operation>: timed out", as CPython's message.
class USOCKET_API timeout_error : public os_error {
public:
    timeout_error(std::error_code ec, const std::string& what);
    const char* what() const noexcept override { return what_.c_str(); }

private:
    std::string what_;
};

/// A non-blocking operation could not complete now (EAGAIN / EWOULDBLOCK / EINPROGRESS).
class USOCKET_API blocking_io_error : public os_error {
public:
    using os_error::os_error;
};

/// An address-resolution error; code().value() is the negative EAI code.
class USOCKET_API gaierror : public os_error {
public:
    using os_error::os_error;
};

/// A legacy-resolver (h_errno) error.
class USOCKET_API herror : public os_error {
public:
    using os_error::os_error;
};

/// A bad argument detected by the library (usocket::errc). Nothing was changed.
class USOCKET_API value_error : public std::system_error {
public:
    using std::system_error::system_error;
};

/// True for the codes a non-blocking operation reports when it would have to wait.
[[nodiscard]] USOCKET_API bool is_would_block(const std::error_code& ec) noexcept;
/// True for a timeout (ETIMEDOUT).
[[nodiscard]] USOCKET_API bool is_timeout(const std::error_code& ec) noexcept;
/// True for a call the interrupt check ended after a signal (EINTR).
[[nodiscard]] USOCKET_API bool is_interrupted(const std::error_code& ec) noexcept;

/// Throws the exception class that matches `ec` (timeout_error, blocking_io_error, gaierror,
/// herror, value_error or os_error), with `what` as context. Built with -fno-exceptions, it
/// prints the error and aborts: use the std::error_code& forms there.
[[noreturn]] USOCKET_API void throw_error(const std::error_code& ec, const char* what);

}  // namespace usocket

template <>
struct std::is_error_code_enum<usocket::errc> : std::true_type {};
