// std::error_code → Python exception, and the interrupt check that runs signal handlers.

#include <cerrno>
#include <chrono>
#include <thread>

#include "module.hpp"
#if USOCKET_HAS_TLS
#include "usocket/tls.hpp"
#endif

namespace usocket::python {

namespace {

// Raises cls(value, message): OSError's constructor picks the built-in subclass from the errno
// (ETIMEDOUT → TimeoutError, ECONNREFUSED → ConnectionRefusedError, EAGAIN → BlockingIOError...).
PyObject* raise_with_code(PyObject* cls, int value, const std::string& message) {
    ref exc(PyObject_CallFunction(cls, "is#", value, message.data(), static_cast<Py_ssize_t>(message.size())));
    if (exc) PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.get())), exc.get());
    return nullptr;
}

PyObject* raise_library_error(errc e, const std::string& message, const char* what) {
    const std::string prefix = what != nullptr ? std::string(what) + "(): " : std::string();
    switch (e) {
        case errc::port_out_of_range:
            PyErr_Format(PyExc_OverflowError, "%sport must be 0-65535.", prefix.c_str());
            return nullptr;
        case errc::size_too_large:
            PyErr_SetString(PyExc_OverflowError, message.c_str());
            return nullptr;
        case errc::invalid_timeout:
            PyErr_SetString(PyExc_ValueError, "Timeout value out of range");
            return nullptr;
        case errc::address_family_mismatch:
        case errc::unsupported:
        case errc::stream_timed_out:
        case errc::file_closed:
            // CPython raises these as a plain OSError with a message and no errno.
            PyErr_SetString(PyExc_OSError, message.c_str());
            return nullptr;
        case errc::reentrant_call:
            PyErr_SetString(PyExc_RuntimeError, message.c_str());  // as CPython's BufferedReader
            return nullptr;
        case errc::invalid_argument:
        case errc::buffer_too_small:
        case errc::bad_address:
        case errc::bad_mode:
        case errc::unbuffered_text:
            break;
    }
    PyErr_SetString(PyExc_ValueError, message.c_str());
    return nullptr;
}

}  // namespace

// An error the binding itself finds, as an errno of the host Python runs on (what errno.EBADF
// names), whatever the backend: the generic category is the host's errno numbering.
PyObject* set_errno(int errno_value) {
    return raise_with_code(PyExc_OSError, errno_value, std::generic_category().message(errno_value));
}

PyObject* set_error(PyObject* origin, const std::error_code& ec, const char* what) {
    const auto& cat = ec.category();
#if USOCKET_HAS_TLS
    if (cat == tls::category()) return set_tls_error(origin, ec);
#endif
    if (cat == library_category()) return raise_library_error(static_cast<errc>(ec.value()), ec.message(), what);
    if (cat == gai_category() || cat == herror_category()) {
        // The exception classes of the module the call came through (one per interpreter).
        // (After the module was cleared at interpreter shutdown, a plain OSError.)
        const module_state* state = state_of(origin);
        PyObject* cls = state == nullptr ? nullptr : cat == gai_category() ? state->gaierror : state->herror;
        return raise_with_code(cls != nullptr ? cls : PyExc_OSError, ec.value(), ec.message());
    }
    if (cat == netdb_category()) {
        // CPython raises these as a plain OSError with a message ("service/proto not found").
        PyErr_SetString(PyExc_OSError, ec.message().c_str());
        return nullptr;
    }
    // A signal handler raised while the call waited: that exception is the result.
    if (is_interrupted(ec) && PyErr_Occurred() != nullptr) return nullptr;
    if (is_timeout(ec)) return raise_with_code(PyExc_OSError, ec.value(), "timed out");
    return raise_with_code(PyExc_OSError, ec.value(), ec.message());
}

void park_thread() noexcept {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

bool check_signals() noexcept {
    // Called with the GIL released, from the thread that made the call: take the GIL back on
    // the thread state without_gil() released (the PyGILState API knows one interpreter only)
    // to run the handlers (only the main thread runs them; elsewhere this is a no-op, as in
    // CPython).
    PyThreadState* ts = detail::released_thread;
    if (ts == nullptr || !detail::handles_signals) return false;  // nothing to run here
    if (detail::progress_made) return true;
    if (finalizing_elsewhere()) return true;  // the call ends, and without_gil() parks the thread
    PyEval_RestoreThread(ts);
    const bool raised = PyErr_CheckSignals() != 0;
    detail::released_thread = PyEval_SaveThread();
    return raised;
}

}  // namespace usocket::python
