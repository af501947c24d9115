// std::error_code → Python exception, and the interrupt check that runs signal handlers.

#include <cerrno>

#include "module.hpp"

namespace usocket::python {

PyObject* gaierror_type = nullptr;
PyObject* herror_type = nullptr;

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

PyObject* set_errno(int errno_value) {
    return raise_with_code(PyExc_OSError, errno_value, std::system_category().message(errno_value));
}

PyObject* set_error(const std::error_code& ec, const char* what) {
    const auto& cat = ec.category();
    if (cat == library_category()) return raise_library_error(static_cast<errc>(ec.value()), ec.message(), what);
    if (cat == gai_category()) return raise_with_code(gaierror_type, ec.value(), ec.message());
    if (cat == herror_category()) return raise_with_code(herror_type, ec.value(), ec.message());
    if (cat == netdb_category()) {
        // CPython raises these as a plain OSError with a message ("service/proto not found").
        PyErr_SetString(PyExc_OSError, ec.message().c_str());
        return nullptr;
    }
    // A signal handler raised while the call waited: that exception is the result.
    if (ec.value() == EINTR && PyErr_Occurred() != nullptr) return nullptr;
    if (is_timeout(ec)) return raise_with_code(PyExc_OSError, ec.value(), "timed out");
    return raise_with_code(PyExc_OSError, ec.value(), ec.message());
}

bool check_signals() noexcept {
    // Called with the GIL released, from the thread that made the call: take it back to run
    // the handlers (only the main thread runs them; elsewhere this is a no-op, as in CPython).
    const PyGILState_STATE state = PyGILState_Ensure();
    const bool raised = PyErr_CheckSignals() != 0;
    PyGILState_Release(state);
    return raised;
}

}  // namespace usocket::python
