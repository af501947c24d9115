// What the seed dialects (usocket/lwip_board.py, usocket/zerynth.py) need from C++ beyond the
// socket's own methods: a connection handed to the dialect's socket class without a new
// descriptor, and seed 000's repr facts (state, bytes ready, bytes buffered). Everything else a
// dialect does is a call of the one socket type's methods.

#include "module.hpp"

#if defined(USOCKET_BACKEND_POSIX)
#include <poll.h>
#include <sys/ioctl.h>
#endif

namespace usocket::python {

namespace {

py_socket* as_py(PyObject* self) noexcept { return reinterpret_cast<py_socket*>(self); }

// _adopt(cls, sock) -> an object of cls (the socket type or a subclass) holding sock's
// connection; sock is left closed, its descriptor untouched. For a dialect's accept(), dup() and
// module functions, which get a socket of the base type from the module.
PyObject* py_adopt(PyObject* module, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("_adopt", nargs, 2, 2)) return nullptr;
    const module_state* state = state_of_module(module);
    PyObject* cls = args[0];
    PyObject* src = args[1];
    if (!PyType_Check(cls) || state == nullptr || state->socket_type == nullptr ||
        !PyType_IsSubtype(reinterpret_cast<PyTypeObject*>(cls), state->socket_type)) {
        PyErr_SetString(PyExc_TypeError, "_adopt() needs a subclass of usocket.socket");
        return nullptr;
    }
    if (!is_socket(state, src)) {
        PyErr_SetString(PyExc_TypeError, "_adopt() needs a usocket.socket to take over");
        return nullptr;
    }
    py_socket* from = as_py(src);
    if (from->calls > 0 || from->io_refs > 0) {
        PyErr_SetString(PyExc_RuntimeError, "_adopt(): the socket is in use (a call or a file from makefile())");
        return nullptr;
    }
    auto* type = reinterpret_cast<PyTypeObject*>(cls);
    ref empty(PyTuple_New(0));
    if (!empty) return nullptr;
    PyObject* obj = type->tp_new(type, empty.get(), nullptr);  // the socket type's: an empty socket
    if (obj == nullptr) return nullptr;
    // A class of the user's may have a __new__ of its own: take only a fresh socket object of
    // the module that nothing uses.
    if (obj == src || !is_socket(state, obj) || as_py(obj)->calls > 0 || sock_of(obj).is_open()) {
        Py_DECREF(obj);
        PyErr_SetString(PyExc_TypeError, "_adopt(): the class did not make a new, unused socket object");
        return nullptr;
    }
    if (from->calls > 0 || from->io_refs > 0) {  // again: the class's __new__ is Python code
        Py_DECREF(obj);
        PyErr_SetString(PyExc_RuntimeError, "_adopt(): the socket is in use (a call or a file from makefile())");
        return nullptr;
    }
    sock_of(obj) = std::move(from->sock);
    from->closed = 1;
    return obj;
}

// The bytes the system holds ready to read (not counting the read-ahead buffer), and whether the
// peer has ended its side, for a connected stream socket.
void system_side(usocket::socket& s, std::size_t& incoming, bool& peer_closed) {
    incoming = 0;
    peer_closed = false;
#if defined(USOCKET_BACKEND_POSIX) && defined(POLLRDHUP)
    int n = 0;
    if (::ioctl(s.fileno(), FIONREAD, &n) == 0 && n > 0) incoming = static_cast<std::size_t>(n);
    pollfd p{s.fileno(), POLLRDHUP, 0};
    peer_closed = ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP)) != 0;
#else
    // Any backend: a non-blocking peek (the read-ahead buffer answers a peek first, so only when
    // it is empty); no bytes and no error is the end of the stream.
    if (s.pending() != 0) return;
    std::error_code ec;
    const std::string peek = s.recv(64 * 1024, msg_peek | msg_dontwait, ec);
    if (ec) return;
    incoming = peek.size();
    peer_closed = peek.empty();
#endif
}

// _lwip_board_status(sock) -> (kind, incoming, remaining): kind is "closed", "listening",
// "connected", "peer_closed" (a connected stream whose peer ended its side) or "other" (not
// connected, or a datagram socket); incoming the bytes the system holds ready to read, remaining
// those in the socket's read-ahead buffer.
PyObject* py_lwip_board_status(PyObject* module, PyObject* arg) {
    if (!is_socket(state_of_module(module), arg)) {
        PyErr_SetString(PyExc_TypeError, "_lwip_board_status() needs a usocket.socket");
        return nullptr;
    }
    usocket::socket& s = sock_of(arg);
    const char* kind = "other";
    std::size_t incoming = 0;
    if (as_py(arg)->closed || !s.is_open()) {
        kind = "closed";
    } else if (s.type() == sock_stream) {
        std::error_code ec;
        const int listening = s.getsockopt(sol_socket, so_acceptconn, ec);
        if (!ec && listening != 0) {
            kind = "listening";
        } else {
            static_cast<void>(s.getpeername(ec));
            if (!ec) {
                bool peer_closed = false;
                system_side(s, incoming, peer_closed);
                kind = peer_closed ? "peer_closed" : "connected";
            }
        }
    }
    return Py_BuildValue("(snn)", kind, static_cast<Py_ssize_t>(incoming), static_cast<Py_ssize_t>(s.pending()));
}

}  // namespace

PyMethodDef dialect_functions[] = {
    {"_adopt", USOCKET_METHOD(py_adopt), METH_FASTCALL,
     "_adopt(cls, sock) -> sock's connection as an object of cls (a subclass of socket); sock is left closed"},
    {"_lwip_board_status", py_lwip_board_status, METH_O,
     "_lwip_board_status(sock) -> (kind, incoming, remaining): seed 000's repr facts"},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace usocket::python
