#pragma once
// The TLS part of the extension (the module ussl imports it as usocket._usocket._tls):
// tls_module.cpp (the exception classes, the error mapping, SSLContext) and tls_socket.cpp
// (SSLSocket, a subclass of usocket.socket). Built only when the library has TLS.

#include "module.hpp"
#include "usocket/tls.hpp"

#include <optional>

namespace usocket::python {

/// What module_state::tls holds, by index.
enum tls_slot : int {
    slot_namespace,      ///< the module object `_tls`
    slot_context_type,   ///< SSLContext
    slot_socket_type,    ///< SSLSocket
    slot_error,          ///< SSLError (OSError)
    slot_zero_return,    ///< SSLZeroReturnError
    slot_want_read,      ///< SSLWantReadError
    slot_want_write,     ///< SSLWantWriteError
    slot_syscall,        ///< SSLSyscallError
    slot_eof,            ///< SSLEOFError
    slot_cert,           ///< SSLCertVerificationError (SSLError, ValueError)
    slot_count,
};
static_assert(slot_count <= static_cast<int>(sizeof(module_state::tls) / sizeof(PyObject*)));

/// CPython's PROTOCOL_TLS_CLIENT and PROTOCOL_TLS_SERVER.
inline constexpr int protocol_tls_client = 16;
inline constexpr int protocol_tls_server = 17;

/// An SSLContext object.
struct py_context {
    PyObject_HEAD
    std::optional<tls::context> ctx;  ///< set once __new__ succeeded
    int minimum_version;              ///< as set (CPython's TLSVersion values)
    int maximum_version;
};

inline tls::context& context_of(PyObject* o) noexcept { return *reinterpret_cast<py_context*>(o)->ctx; }

/// The TLS view of an SSLSocket object: tls::socket adds no member to usocket::socket (the
/// session lives in the socket's shared state), so the object's usocket::socket is the one
/// tls::context::wrap_socket() returned, and its TLS methods are called through this view.
inline tls::socket& tls_of(PyObject* self) noexcept {
    static_assert(sizeof(tls::socket) == sizeof(usocket::socket));
    return static_cast<tls::socket&>(sock_of(self));
}

inline PyTypeObject* tls_type(const module_state* state, tls_slot slot) noexcept {
    return state == nullptr ? nullptr : reinterpret_cast<PyTypeObject*>(state->tls[slot]);
}
inline bool is_ssl_socket(const module_state* state, PyObject* o) noexcept {
    PyTypeObject* t = tls_type(state, slot_socket_type);
    return t != nullptr && PyObject_TypeCheck(o, t);
}

/// Creates SSLSocket, a subclass of `base` (usocket.socket), for `module`.
PyTypeObject* make_ssl_socket_type(PyObject* module, PyTypeObject* base);
/// A new SSLContext object of the module's type sharing `ctx` (SSLSocket.context).
PyObject* new_context_object(const module_state* state, const tls::context& ctx);
/// Wraps the plain socket `plain` (moved from a socket object) with `ctx` into a new SSLSocket
/// and, when `handshake` and the socket is connected, handshakes under its timeout (with the
/// GIL released); a failed handshake closes it. `origin` picks the module. New reference or
/// null with an exception set.
PyObject* wrap_plain(PyObject* origin, const tls::context& ctx, usocket::socket&& plain, const tls::wrap_options& options,
                     bool handshake);

}  // namespace usocket::python
