// The socket type: usocket.socket, a thin layer over usocket::socket. Every method converts its
// arguments, releases the GIL around the library call when it may block, and turns a
// std::error_code into the Python exception (errors.cpp). The type is subclassable,
// weak-referenceable and a context manager; makefile() follows CPython's _io_refs rules.

#include <cerrno>
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <vector>

#include "module.hpp"
#include "nowait.hpp"

#include <structmember.h>  // after Python.h

namespace usocket::python {

namespace {

py_socket* as_py(PyObject* self) noexcept { return reinterpret_cast<py_socket*>(self); }

PyObject* new_int(std::size_t n) { return PyLong_FromSize_t(n); }

// The fileno= argument as CPython reads it (a C long; a negative int is ValueError). A value
// past a C int is no descriptor at all: EBADF (CPython would use its low 32 bits, which may
// name another descriptor).
bool fd_arg(PyObject* o, int& fd) {
    long v = 0;
    if (!to_long(o, v)) return false;
    if (v < INT_MIN || v > INT_MAX) {
        set_errno(EBADF);
        return false;
    }
    if (v < 0) {
        PyErr_SetString(PyExc_ValueError, "negative file descriptor");
        return false;
    }
    fd = static_cast<int>(v);
    return true;
}

// --- lifetime ----------------------------------------------------------------------------------

PyObject* socket_new(PyTypeObject* type, PyObject*, PyObject*) {
    PyObject* self = type->tp_alloc(type, 0);
    if (self == nullptr) return nullptr;
    py_socket* s = as_py(self);
    new (&s->sock) usocket::socket();
    s->weakrefs = nullptr;
    s->io_refs = 0;
    s->closed = 0;
    s->calls = 0;
    s->large_receives = false;
    return self;
}

// socket(family=-1, type=-1, proto=-1, fileno=None): as CPython's, whose __init__ is a Python
// function, the arguments are bound (count, keywords) before any is converted.
int socket_init(PyObject* self, PyObject* args, PyObject* kwds) {
    static const char* const names[] = {"family", "type", "proto", "fileno"};
    PyObject* a[4] = {nullptr, nullptr, nullptr, nullptr};
    const Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    if (nargs > 4) {
        PyErr_Format(PyExc_TypeError, "socket.__init__() takes from 1 to 5 positional arguments but %zd were given",
                     nargs + 1);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; ++i) a[i] = PyTuple_GET_ITEM(args, i);
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (kwds != nullptr && PyDict_Next(kwds, &pos, &key, &value)) {
        int slot = -1;
        for (int i = 0; i < 4; ++i)
            if (PyUnicode_Check(key) && PyUnicode_CompareWithASCIIString(key, names[i]) == 0) slot = i;
        if (slot < 0 || a[slot] != nullptr) {
            PyErr_Format(PyExc_TypeError, slot < 0 ? "socket.__init__() got an unexpected keyword argument '%S'"
                                                   : "socket.__init__() got multiple values for argument '%S'",
                         key);
            return -1;
        }
        a[slot] = value;
    }
    int family = -1, type = -1, proto = -1;
    PyObject* fileno = a[3] != nullptr ? a[3] : Py_None;
    if ((a[0] != nullptr && !to_int(a[0], family)) || (a[1] != nullptr && !to_int(a[1], type)) ||
        (a[2] != nullptr && !to_int(a[2], proto)))
        return -1;
    int fd = -1;
    if (fileno != Py_None && !fd_arg(fileno, fd)) return -1;
    // __init__ again on a socket another thread is using (blocked in recv(), readline()...):
    // replacing the usocket::socket would free what that call uses. (CPython overwrites its
    // descriptor number and leaks the old descriptor.) Checked after every conversion: an
    // argument's __index__ is Python code, which may start such a call.
    if (as_py(self)->calls > 0) {
        PyErr_SetString(PyExc_RuntimeError, "socket.__init__() on a socket another thread is using");
        return -1;
    }
    std::error_code ec;
    usocket::socket s;
    if (fileno != Py_None) {
        // As CPython: the family, type and protocol given are kept; those not given (-1) are
        // read from the descriptor.
        s = usocket::socket::adopt(fd, family == -1 ? std::nullopt : std::optional(address_family{family}),
                                   type == -1 ? std::nullopt : std::optional(usocket::socket_type{type}),
                                   proto == -1 ? std::nullopt : std::optional(protocol{proto}), ec);
    } else {
        s = usocket::socket::open(family == -1 ? af_inet : address_family{family},
                                  type == -1 ? sock_stream : usocket::socket_type{type}, protocol{proto == -1 ? 0 : proto}, ec);
    }
    if (ec) {
        set_error(self, ec, "socket");
        return -1;
    }
    // Given the descriptor the socket already has (s.__init__(fileno=s.fileno())), the new
    // socket is that descriptor's owner now: replacing the old one must not close it (CPython
    // only writes the number again).
    if (usocket::socket& old = sock_of(self); fileno != Py_None && old.is_open() && old.fileno() == fd)
        static_cast<void>(old.detach());
    as_py(self)->sock = std::move(s);
    as_py(self)->closed = 0;
    return 0;
}

// As CPython: an unclosed socket warns (ResourceWarning) when collected, then closes.
void socket_finalize(PyObject* self) {
    if (!sock_of(self).is_open()) return;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (PyErr_ResourceWarning(self, 1, "unclosed %R", self) != 0 && PyErr_ExceptionMatches(PyExc_Warning))
        PyErr_WriteUnraisable(self);
    std::error_code ignored;
    // Counted as a call: another thread may still reach the object (a weakref, or __del__
    // called on a socket in use), and a stream read of its counts on no call being in flight
    // to read the buffer without the lock or make a call without the use guard (nowait.hpp,
    // sole_user()).
    socket_call(self, [&] { sock_of(self).close(ignored); });
    PyErr_Restore(type, value, tb);
}

void socket_dealloc(PyObject* self) {
    if (PyObject_CallFinalizerFromDealloc(self) < 0) return;  // resurrected
    py_socket* s = as_py(self);
    if (s->weakrefs != nullptr) PyObject_ClearWeakRefs(self);
    s->sock.~socket();
    PyTypeObject* type = Py_TYPE(self);
    type->tp_free(self);
    Py_DECREF(type);  // an object of a heap type owns a reference to it
}

PyObject* real_close(PyObject* self) {
    std::error_code ec;
    socket_call(self, [&] { sock_of(self).close(ec); });
    if (ec) return set_error(self, ec, "close");
    Py_RETURN_NONE;
}

// close(): the descriptor closes now, or when the last file from makefile() closes.
PyObject* socket_close(PyObject* self, PyObject*) {
    py_socket* s = as_py(self);
    s->closed = 1;
    if (s->io_refs <= 0) return real_close(self);
    Py_RETURN_NONE;
}

// A file from makefile() was closed; as CPython's, the socket closes if close() was called and
// no other file is open.
PyObject* socket_decref_socketios(PyObject* self, PyObject*) {
    py_socket* s = as_py(self);
    if (s->io_refs > 0) --s->io_refs;
    if (s->closed) return socket_close(self, nullptr);
    Py_RETURN_NONE;
}

PyObject* socket_detach(PyObject* self, PyObject*) {
    as_py(self)->closed = 1;
    return PyLong_FromLong(sock_of(self).detach());
}

PyObject* socket_fileno(PyObject* self, PyObject*) { return PyLong_FromLong(sock_of(self).fileno()); }

PyObject* socket_dup(PyObject* self, PyObject*) {
    std::error_code ec;
    usocket::socket copy = sock_of(self).dup(ec);
    // The duplicate shares the open file description, whose O_NONBLOCK another duplicate may
    // have changed: its mode is set again from the timeout, as CPython's dup() does.
    if (!ec) copy.settimeout(copy.gettimeout(), ec);
    if (ec) return set_error(self, ec, "dup");
    const module_state* state = state_of(self);
    if (state != nullptr && Py_TYPE(self) == state->socket_type) return wrap_socket(state, std::move(copy));
    // A subclass is built by its own constructor, as CPython's dup() does, then given the
    // original's timeout.
    const int family = copy.family(), type = copy.type(), proto = copy.proto();
    ref fd(PyLong_FromLong(copy.detach()));
    ref args(Py_BuildValue("(iii)", family, type, proto));
    ref kwargs(Py_BuildValue("{sO}", "fileno", fd.get()));
    if (!args || !kwargs) return nullptr;
    ref obj(PyObject_Call(reinterpret_cast<PyObject*>(Py_TYPE(self)), args.get(), kwargs.get()));
    if (!obj) return nullptr;
    if (is_socket(state, obj.get())) {
        sock_of(obj.get()).settimeout(sock_of(self).gettimeout(), ec);
        if (ec) return set_error(self, ec, "dup");
    }
    return obj.release();
}

PyObject* socket_enter(PyObject* self, PyObject*) { return Py_NewRef(self); }

PyObject* socket_exit(PyObject* self, PyObject* const*, Py_ssize_t) {
    if (!as_py(self)->closed) return socket_close(self, nullptr);
    Py_RETURN_NONE;
}

PyObject* socket_getstate(PyObject* self, PyObject*) {
    PyErr_Format(PyExc_TypeError, "cannot pickle '%.100s' object", Py_TYPE(self)->tp_name);
    return nullptr;
}

// --- connections -------------------------------------------------------------------------------

PyObject* socket_bind(PyObject* self, PyObject* arg) {
    usocket::socket& s = sock_of(self);
    address local;
    if (!to_address(self, arg, s.family(), "bind", address_forms::bind, local)) return nullptr;
    std::error_code ec;
    socket_call(self, [&] { s.bind(local, ec); });  // a Unix path touches the filesystem
    if (ec) return set_error(self, ec, "bind");
    Py_RETURN_NONE;
}

PyObject* socket_connect(PyObject* self, PyObject* arg) {
    usocket::socket& s = sock_of(self);
    address peer;
    if (!to_address(self, arg, s.family(), "connect", address_forms::connect, peer)) return nullptr;
    std::error_code ec;
    socket_call(self, [&] { s.connect(peer, ec); });
    if (ec) return set_error(self, ec, "connect");
    Py_RETURN_NONE;
}

PyObject* socket_connect_ex(PyObject* self, PyObject* arg) {
    usocket::socket& s = sock_of(self);
    address peer;
    if (!to_address(self, arg, s.family(), "connect_ex", address_forms::connect, peer)) return nullptr;
    const int err = socket_call(self, [&] { return s.connect_ex(peer); });
    if (PyErr_Occurred() != nullptr) return nullptr;  // a signal handler raised
    return PyLong_FromLong(err);
}

PyObject* socket_listen(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("listen", nargs, 0, 1)) return nullptr;
    std::optional<int> backlog;
    if (nargs == 1 && !to_int(args[0], backlog.emplace())) return nullptr;
    std::error_code ec;
    socket_call(self, [&] { backlog ? sock_of(self).listen(*backlog, ec) : sock_of(self).listen(ec); });
    if (ec) return set_error(self, ec, "listen");
    Py_RETURN_NONE;
}

PyObject* socket_accept(PyObject* self, PyObject*) {
    address peer;
    std::error_code ec;
    usocket::socket conn = socket_call(self, [&] { return sock_of(self).accept(&peer, ec); });
    if (ec) return set_error(self, ec, "accept");
    ref obj(wrap_socket(state_of(self), std::move(conn)));
    if (!obj) return nullptr;
    ref addr(from_address(peer));
    if (!addr) return nullptr;
    return PyTuple_Pack(2, obj.get(), addr.get());
}

PyObject* socket_shutdown(PyObject* self, PyObject* arg) {
    int how = 0;
    if (!to_int(arg, how)) return nullptr;
    std::error_code ec;
    socket_call(self, [&] { sock_of(self).shutdown(shutdown_how{how}, ec); });
    if (ec) return set_error(self, ec, "shutdown");
    Py_RETURN_NONE;
}

PyObject* name_result(PyObject* self, const address& a, const std::error_code& ec, const char* what) {
    if (ec) return set_error(self, ec, what);
    return from_address(a);
}

PyObject* socket_getsockname(PyObject* self, PyObject*) {
    std::error_code ec;
    const address a = sock_of(self).getsockname(ec);
    return name_result(self, a, ec, "getsockname");
}

PyObject* socket_getpeername(PyObject* self, PyObject*) {
    std::error_code ec;
    const address a = sock_of(self).getpeername(ec);
    return name_result(self, a, ec, "getpeername");
}

// --- data --------------------------------------------------------------------------------------

// send's way that may wait, after a first try that would have blocked (out of line: the first
// try's path stays a straight line).
[[gnu::noinline]] std::size_t send_waiting(PyObject* self, const_buffer data, int flags, std::error_code& ec) {
    return socket_call(self, [&] { return sock_of(self).send(data, msg_flags{flags}, ec); });
}

// The flags argument of a data call (optional, at `index`).
bool flags_arg(PyObject* const* args, Py_ssize_t nargs, Py_ssize_t index, int& flags) {
    flags = 0;
    return nargs <= index || to_int(args[index], flags);
}

PyObject* socket_send(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs == 1 && PyBytes_CheckExact(args[0])) [[likely]] {
        // send(bytes): the caller's argument stays alive for the whole call, and bytes never
        // change; the first try, then, when it would block, the general way.
        const const_buffer data(PyBytes_AS_STRING(args[0]), static_cast<std::size_t>(PyBytes_GET_SIZE(args[0])));
        std::error_code ec = no_error;
        std::size_t n = 0;
        if (!send_nowait(self, data, 0, ec, n)) [[unlikely]]
            n = send_waiting(self, data, 0, ec);
        if (ec) [[unlikely]]
            return set_error(self, ec, "send");
        return new_int(n);
    }
    if (!check_nargs("send", nargs, 1, 2)) return nullptr;
    buffer_arg data;
    int flags = 0;
    if (!data.get(args[0], true) || !flags_arg(args, nargs, 1, flags)) return nullptr;
    std::error_code ec;
    std::size_t n = 0;
    if (!send_nowait(self, const_buffer(data.data(), data.size()), flags, ec, n))
        n = send_waiting(self, const_buffer(data.data(), data.size()), flags, ec);
    if (ec) return set_error(self, ec, "send");
    return new_int(n);
}

PyObject* socket_sendall(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("sendall", nargs, 1, 2)) return nullptr;
    buffer_arg data;
    int flags = 0;
    if (!data.get(args[0], true) || !flags_arg(args, nargs, 1, flags)) return nullptr;
    std::error_code ec;
    // As CPython, whose loop sends at least once: empty data is still one send(), so an
    // unconnected datagram socket is EDESTADDRREQ (the library's sendall sends nothing).
    socket_call(self, [&] {
        const const_buffer buf(data.data(), data.size());
        if (buf.size() == 0) static_cast<void>(sock_of(self).send(buf, msg_flags{flags}, ec));
        else sock_of(self).sendall(buf, msg_flags{flags}, ec);
    });
    if (ec) return set_error(self, ec, "sendall");
    Py_RETURN_NONE;
}

// sendto(data, address) or sendto(data, flags, address); bytes-like data only, as CPython.
PyObject* socket_sendto(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs != 2 && nargs != 3) {
        PyErr_Format(PyExc_TypeError, "sendto() takes 2 or 3 arguments (%zd given)", nargs);
        return nullptr;
    }
    buffer_arg data;
    int flags = 0;
    if (!data.get(args[0], false) || (nargs == 3 && !to_int(args[1], flags))) return nullptr;
    usocket::socket& s = sock_of(self);
    address peer;
    if (!to_address(self, args[nargs - 1], s.family(), "sendto", address_forms::plain, peer)) return nullptr;
    std::error_code ec;
    const std::size_t n =
        socket_call(self, [&] { return s.sendto(const_buffer(data.data(), data.size()), peer, msg_flags{flags}, ec); });
    if (ec) return set_error(self, ec, "sendto");
    return new_int(n);
}

// The (bufsize[, flags]) arguments of recv / recvfrom: both converted, then the size checked,
// as CPython's "n|i".
bool size_args(const char* what, PyObject* const* args, Py_ssize_t nargs, Py_ssize_t& size, int& flags) {
    if (!check_nargs(what, nargs, 1, 2) || !to_ssize(args[0], size) || !flags_arg(args, nargs, 1, flags))
        return false;
    if (size < 0) {
        PyErr_Format(PyExc_ValueError, "negative buffersize in %s", what);
        return false;
    }
    return true;
}

// What recv() and recvfrom() receive into (receive_bytes): up to tiny_receive bytes (CPython's
// small objects, whose allocator makes them for less than a copy costs), and more than
// small_receive, straight into a bytes object of the size asked for (allocated first, as
// CPython: MemoryError before anything is received); in between, into a buffer of the
// thread's, copied once into a bytes object of their size, unless the socket receives in bulk.
// The thread's buffer is not used by a call nested in one that uses it (a signal handler's).
constexpr Py_ssize_t tiny_receive = 512;
constexpr Py_ssize_t small_receive = 64 * 1024;

// receive(mutable_buffer, msg_flags) -> count: its first try with the GIL held (nowait.hpp),
// then, when that would block, with the GIL released; on its error (`ec`) the result is null
// with no Python exception set.
template <class Receive>
[[gnu::noinline]] std::size_t receive_waiting(PyObject* self, mutable_buffer buf, int flags, Receive& receive) {
    return socket_call(self, [&] { return receive(buf, msg_flags{flags}); });
}
// `plain`: the receive is recv(2) of buf's first `plain` bytes (0: another call, recvfrom).
template <class Receive>
std::size_t receive_into(PyObject* self, mutable_buffer buf, int flags, std::error_code& ec, Receive&& receive,
                         std::size_t plain = 0) {
    std::size_t got = 0;
    if (receive_nowait(self, flags, ec, got, [&](msg_flags f) { return receive(buf, f); },
                       mutable_buffer(buf.data(), plain))) [[likely]]
        return got;
    return receive_waiting(self, buf, flags, receive);
}

// The bytes of a receive into `room` bytes at `data` that returned `count`. With MSG_TRUNC a
// datagram's count is its whole length, more than was received: as CPython's, the object is
// that long, and the part beyond what was received is zeros (CPython leaves it uninitialised).
[[gnu::noinline]] PyObject* truncated_datagram(const char* data, std::size_t room, std::size_t count) {
    PyObject* out = PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(count));
    if (out == nullptr) return nullptr;
    std::memcpy(PyBytes_AS_STRING(out), data, room);
    std::memset(PyBytes_AS_STRING(out) + room, 0, count - room);
    return out;
}
PyObject* received_bytes(const char* data, std::size_t room, std::size_t count) {
    if (count <= room) [[likely]]
        return PyBytes_FromStringAndSize(data, static_cast<Py_ssize_t>(count));
    return truncated_datagram(data, room, count);
}

#ifdef USOCKET_HAS_MSG_TRUNC
// TCP and MPTCP discard the bytes MSG_TRUNC counts; other stream sockets copy them as an
// ordinary read (AF_UNIX), or may: those keep what the kernel wrote. Asked of the descriptor
// (SO_DOMAIN, SO_PROTOCOL: MSG_TRUNC's rare path only), not of what the socket object was told:
// an adopted socket may be given another family, type or protocol.
bool discards_on_trunc(usocket::socket& s) noexcept {
    if (s.type() != sock_stream) return false;
#if defined(USOCKET_HAS_SO_DOMAIN) && defined(USOCKET_HAS_SO_PROTOCOL)
    std::error_code ec;
    const int domain = s.getsockopt(sol_socket, so_domain, ec);
    const int proto = ec ? 0 : s.getsockopt(sol_socket, so_protocol, ec);
    if (ec) return false;
    const bool ip = domain == af_inet.value() || domain == af_inet6.value();
#ifdef USOCKET_HAS_IPPROTO_MPTCP
    if (ip && proto == ipproto_mptcp.value()) return true;
#endif
    return ip && proto == ipproto_tcp.value();
#else
    return (s.family() == af_inet || s.family() == af_inet6) && (s.proto() == protocol{} || s.proto() == ipproto_tcp);
#endif
}
#endif

// After a receive into `data` that counted `got`: MSG_TRUNC on a TCP socket discards the
// bytes it counts and copies nothing, so the part of them `data` holds is made zeros, never
// an earlier receive's bytes (CPython's holds whatever its new object had). Bounded by what
// arrived, not by the size asked for.
void zero_discarded(PyObject* self, int flags, char* data, std::size_t room, std::size_t got) noexcept {
#ifdef USOCKET_HAS_MSG_TRUNC
    if (has_any(msg_flags{flags}, msg_trunc) && discards_on_trunc(sock_of(self))) [[unlikely]]
        std::memset(data, 0, std::min(got, room));
#else
    static_cast<void>(self), static_cast<void>(flags), static_cast<void>(data), static_cast<void>(room);
    static_cast<void>(got);
#endif
}

// `plain`: receive is recv(2) (as receive_into's). A receive of 513 bytes to 64 KiB goes
// through the thread's buffer and a copy into a bytes object of the size received (a small
// answer to a large recv() costs no large object), unless the socket's last such receive filled
// at least half its size (a bulk stream): then, as every other size, straight into a bytes
// object of the size asked for, shrunk in place to what arrived when that is at least half of
// it (no copy of a large result), copied when less.
template <class Receive>
PyObject* receive_bytes(PyObject* self, Py_ssize_t size, int flags, std::error_code& ec, Receive&& receive,
                        bool plain = false) {
    USOCKET_FAST_TLS thread_local std::unique_ptr<char[]> buffer;
    USOCKET_FAST_TLS thread_local bool busy = false;
    bool& large = reinterpret_cast<py_socket*>(self)->large_receives;
    const bool middle = size > tiny_receive && size <= small_receive;
    // MSG_TRUNC: a stream that discards what it counts copies nothing, and the thread's buffer
    // holds an earlier receive's bytes (another connection's): a new object, as CPython's, which
    // is zeros where the descriptor is TCP or MPTCP.
    if (middle && !large && !busy && !has_any(msg_flags{flags}, msg_trunc)) {
        if (!buffer) buffer.reset(new (std::nothrow) char[small_receive]);
        if (!buffer) return PyErr_NoMemory();
        busy = true;
        const std::size_t got = receive_into(self, mutable_buffer(buffer.get(), static_cast<std::size_t>(size)), flags,
                                             ec, receive, plain ? static_cast<std::size_t>(size) : 0);
        busy = false;
        if (ec) return nullptr;
        large = got >= static_cast<std::size_t>(size) / 2;
        zero_discarded(self, flags, buffer.get(), static_cast<std::size_t>(size), got);
        return received_bytes(buffer.get(), static_cast<std::size_t>(size), got);
    }
    ref bytes(PyBytes_FromStringAndSize(nullptr, size));
    if (!bytes) return nullptr;
    char* data = PyBytes_AS_STRING(bytes.get());
    const std::size_t got = receive_into(self, mutable_buffer(data, static_cast<std::size_t>(size)), flags, ec, receive,
                                         plain ? static_cast<std::size_t>(size) : 0);
    if (ec) return nullptr;
    if (middle) large = got >= static_cast<std::size_t>(size) / 2;
    zero_discarded(self, flags, data, static_cast<std::size_t>(size), got);
    if (static_cast<Py_ssize_t>(got) == size) return bytes.release();
    if (got > static_cast<std::size_t>(size)) return truncated_datagram(data, static_cast<std::size_t>(size), got);
    // Much shorter than asked: a copy, so that a kept small result does not keep the large
    // object's memory (a page of it, once the allocator maps it).
    if (got < static_cast<std::size_t>(size) / 2) return received_bytes(data, static_cast<std::size_t>(size), got);
    PyObject* out = bytes.release();
    if (_PyBytes_Resize(&out, static_cast<Py_ssize_t>(got)) != 0) return nullptr;  // out released
    return out;
}

// recv(bufsize[, flags]): at most bufsize bytes. As CPython, asking for 0 bytes asks the socket
// nothing (b"" at once, whatever its state).
PyObject* socket_recv(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    Py_ssize_t size = 0;
    int flags = 0;
    if (!size_args("recv", args, nargs, size, flags)) return nullptr;
    if (size == 0) return PyBytes_FromStringAndSize(nullptr, 0);
    std::error_code ec = no_error;
    PyObject* data = receive_bytes(
        self, size, flags, ec, [&](mutable_buffer buf, msg_flags f) { return sock_of(self).recv_into(buf, 0, f, ec); },
        true);
    return ec ? set_error(self, ec, "recv") : data;
}

PyObject* socket_recvfrom(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    Py_ssize_t size = 0;
    int flags = 0;
    if (!size_args("recvfrom", args, nargs, size, flags)) return nullptr;
    address from;
    std::error_code ec;
    ref data(receive_bytes(self, size, flags, ec, [&](mutable_buffer buf, msg_flags f) {
        return sock_of(self).recvfrom_into(buf, 0, f, from, ec);
    }));
    if (ec) return set_error(self, ec, "recvfrom");
    if (!data) return nullptr;
    ref addr(from_address(from));
    if (!addr) return nullptr;
    return PyTuple_Pack(2, data.get(), addr.get());
}

// The (buffer, nbytes, flags) arguments of recv_into / recvfrom_into.
bool into_args(const char* what, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames, buffer_arg& buf,
               std::size_t& nbytes, int& flags) {
    static const char* const names[] = {"buffer", "nbytes", "flags"};
    PyObject* a[3];
    keyword_errors later;  // CPython: "w*|ni" converted first, the names checked last
    if (!parse_args(what, args, nargs, kwnames, names, 1, 3, a, &later)) return false;
    if (!buf.get_writable(a[0], what)) return false;
    Py_ssize_t n = 0;
    flags = 0;
    if ((a[1] != nullptr && !to_ssize(a[1], n)) || (a[2] != nullptr && !to_int(a[2], flags))) return false;
    if (!later.check()) return false;
    if (n < 0) {
        PyErr_Format(PyExc_ValueError, "negative buffersize in %s", what);
        return false;
    }
    nbytes = static_cast<std::size_t>(n);
    return true;
}

PyObject* socket_recv_into(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    buffer_arg buf;
    std::size_t nbytes = 0;
    int flags = 0;
    if (!into_args("recv_into", args, nargs, kwnames, buf, nbytes, flags)) return nullptr;
    // As recv(): 0 bytes wanted (an empty buffer, nbytes 0) asks the socket nothing.
    if (nbytes == 0 && buf.size() == 0) return new_int(0);
    std::error_code ec = no_error;
    // The plain try receives nbytes (0: the whole buffer); more than the buffer holds is the
    // library's error to report.
    const std::size_t want = nbytes == 0 ? buf.size() : nbytes <= buf.size() ? nbytes : 0;
    const std::size_t got = receive_into(
        self, mutable_buffer(buf.data(), buf.size()), flags, ec,
        [&](mutable_buffer b, msg_flags f) { return sock_of(self).recv_into(b, nbytes, f, ec); }, want);
    if (ec) return set_error(self, ec, "recv_into");
    return new_int(got);
}

PyObject* socket_recvfrom_into(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    buffer_arg buf;
    std::size_t nbytes = 0;
    int flags = 0;
    if (!into_args("recvfrom_into", args, nargs, kwnames, buf, nbytes, flags)) return nullptr;
    if (nbytes > buf.size()) {
        PyErr_SetString(PyExc_ValueError, "nbytes is greater than the length of the buffer");
        return nullptr;
    }
    address from;
    std::error_code ec;
    const std::size_t got = socket_call(self, [&] {
        return sock_of(self).recvfrom_into(mutable_buffer(buf.data(), buf.size()), nbytes, msg_flags{flags}, from, ec);
    });
    if (ec) return set_error(self, ec, "recvfrom_into");
    ref addr(from_address(from));
    if (!addr) return nullptr;
    return Py_BuildValue("(nO)", static_cast<Py_ssize_t>(got), addr.get());
}

// --- modes and options ---------------------------------------------------------------------------

PyObject* socket_settimeout(PyObject* self, PyObject* arg) {
    timeout_type t;
    if (!to_timeout(arg, t)) return nullptr;
    std::error_code ec;
    sock_of(self).settimeout(t, ec);
    if (ec) return set_error(self, ec, "settimeout");
    Py_RETURN_NONE;
}

PyObject* socket_gettimeout(PyObject* self, PyObject*) { return from_timeout(sock_of(self).gettimeout()); }

// setblocking(flag): an integer as CPython reads it (PyLong_AsLong: TypeError for anything else,
// bool included as an int; OverflowError past a C long).
PyObject* socket_setblocking(PyObject* self, PyObject* arg) {
    long flag = 0;
    if (!to_long(arg, flag)) return nullptr;
    std::error_code ec;
    sock_of(self).setblocking(flag != 0, ec);
    if (ec) return set_error(self, ec, "setblocking");
    Py_RETURN_NONE;
}

// As CPython: False only in non-blocking mode (a socket with a timeout reports True).
PyObject* socket_getblocking(PyObject* self, PyObject*) {
    const timeout_type t = sock_of(self).gettimeout();
    return PyBool_FromLong(!t || t->count() != 0);
}

// setsockopt(level, option, int | bytes-like) or setsockopt(level, option, None, optlen), with
// CPython's error for each bad call: it tries "iii", then "iiO!I" (None and an optlen masked to
// an unsigned int), then "iiy*", and the last form's error is the one raised. So an int value
// past a C int is TypeError (not a bytes-like object), as is a 4-argument call without None.
PyObject* socket_setsockopt(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    int level = 0, option = 0, value = 0;
    unsigned int optlen = 0;
    std::error_code ec;
    usocket::socket& s = sock_of(self);
#ifdef USOCKET_HAS_AF_VSOCK
    if (s.family() == af_vsock) {
        // As CPython: AF_VSOCK's options are 64-bit, and only setsockopt(level, option, int)
        // is taken ("iiK": the int masked to 64 bits).
        if (!check_nargs("setsockopt", nargs, 3, 3) || !to_int(args[0], level) || !to_int(args[1], option))
            return nullptr;
        if (!PyLong_Check(args[2])) {
            PyErr_Format(PyExc_TypeError, "an integer is required (got type %.200s)", Py_TYPE(args[2])->tp_name);
            return nullptr;
        }
        const std::uint64_t v64 = PyLong_AsUnsignedLongLongMask(args[2]);
        if (v64 == static_cast<std::uint64_t>(-1) && PyErr_Occurred()) return nullptr;
        s.setsockopt(option_level{level}, option_name{option}, const_buffer(&v64, sizeof v64), ec);
        if (ec) return set_error(self, ec, "setsockopt");
        Py_RETURN_NONE;
    }
#endif
    const auto ints = [&] { return to_int(args[0], level) && to_int(args[1], option); };
    const bool int_form = nargs == 3 && ints() && to_int(args[2], value);
    PyErr_Clear();
    const bool none_form = !int_form && nargs == 4 && ints() && args[2] == Py_None && to_uint_mask(args[3], optlen);
    PyErr_Clear();
    if (int_form) {
        s.setsockopt(option_level{level}, option_name{option}, value, ec);
    } else if (none_form) {
        s.setsockopt(option_level{level}, option_name{option}, const_buffer(nullptr, optlen), ec);
    } else {
        buffer_arg bytes;
        if (!check_nargs("setsockopt", nargs, 3, 3) || !to_int(args[0], level) || !to_int(args[1], option) ||
            !bytes.get(args[2], false))
            return nullptr;
        s.setsockopt(option_level{level}, option_name{option}, const_buffer(bytes.data(), bytes.size()), ec);
    }
    if (ec) return set_error(self, ec, "setsockopt");
    Py_RETURN_NONE;
}

PyObject* socket_getsockopt(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("getsockopt", nargs, 2, 3)) return nullptr;
    int level = 0, option = 0, buflen = 0;
    if (!to_int(args[0], level) || !to_int(args[1], option) || (nargs == 3 && !to_int(args[2], buflen)))
        return nullptr;
    std::error_code ec;
    if (nargs == 2 || buflen == 0) {  // as CPython, buflen 0 asks for the int form
#ifdef USOCKET_HAS_AF_VSOCK
        if (sock_of(self).family() == af_vsock) {  // as CPython: a 64-bit value
            const std::string v = sock_of(self).getsockopt(option_level{level}, option_name{option}, 8, ec);
            if (ec) return set_error(self, ec, "getsockopt");
            std::uint64_t v64 = 0;
            std::memcpy(&v64, v.data(), std::min(v.size(), sizeof v64));
            return PyLong_FromUnsignedLongLong(v64);
        }
#endif
        const int v = sock_of(self).getsockopt(option_level{level}, option_name{option}, ec);
        if (ec) return set_error(self, ec, "getsockopt");
        return PyLong_FromLong(v);
    }
    if (buflen < 0 || buflen > 1024) {
        PyErr_SetString(PyExc_OSError, "getsockopt buflen out of range");
        return nullptr;
    }
    const std::string v =
        sock_of(self).getsockopt(option_level{level}, option_name{option}, static_cast<std::size_t>(buflen), ec);
    if (ec) return set_error(self, ec, "getsockopt");
    return PyBytes_FromStringAndSize(v.data(), static_cast<Py_ssize_t>(v.size()));
}

// The descriptor's inheritance flag, through the os module (the library makes every
// descriptor close-on-exec).
PyObject* os_call(const char* name, PyObject* self, PyObject* extra) {
    ref os(PyImport_ImportModule("os"));
    if (!os) return nullptr;
    ref fd(PyLong_FromLong(sock_of(self).fileno()));
    return PyObject_CallMethod(os.get(), name, extra != nullptr ? "OO" : "O", fd.get(), extra);
}

PyObject* socket_get_inheritable(PyObject* self, PyObject*) { return os_call("get_inheritable", self, nullptr); }
PyObject* socket_set_inheritable(PyObject* self, PyObject* arg) { return os_call("set_inheritable", self, arg); }

// --- files ---------------------------------------------------------------------------------------

// makefile(mode='rb', buffering=None, *, encoding=None, errors=None, newline=None): buffered
// io objects over a raw SocketIO (usocket/_sockio.py), with CPython's _io_refs rules.
PyObject* socket_makefile(PyObject* self, PyObject* args, PyObject* kwds) {
    ref mod(PyImport_ImportModule("usocket._sockio"));  // this interpreter's (sys.modules)
    if (!mod) return nullptr;
    ref factory(PyObject_GetAttrString(mod.get(), "makefile"));
    if (!factory) return nullptr;
    const Py_ssize_t n = PyTuple_GET_SIZE(args);
    ref full(PyTuple_New(n + 1));
    if (!full) return nullptr;
    PyTuple_SET_ITEM(full.get(), 0, Py_NewRef(self));
    for (Py_ssize_t i = 0; i < n; ++i) PyTuple_SET_ITEM(full.get(), i + 1, Py_NewRef(PyTuple_GET_ITEM(args, i)));
    return PyObject_Call(factory.get(), full.get(), kwds);
}

// --- repr and attributes -------------------------------------------------------------------------

PyObject* socket_repr(PyObject* self) {
    py_socket* s = as_py(self);
    ref type(reinterpret_cast<PyObject*>(Py_NewRef(Py_TYPE(self))));
    ref module(PyObject_GetAttrString(type.get(), "__module__"));
    ref qualname(PyObject_GetAttrString(type.get(), "__qualname__"));
    if (!module || !qualname) return nullptr;
    // family=AddressFamily.AF_INET, type=SocketKind.SOCK_STREAM, as CPython (str() of the members).
    const module_state* state = state_of(self);
    ref family(family_object(state, s->sock.family()));
    ref kind(kind_object(state, s->sock.type()));
    if (!family || !kind) return nullptr;
    ref text(PyUnicode_FromFormat("<%S.%S%s fd=%d, family=%S, type=%S, proto=%d", module.get(), qualname.get(),
                                  s->closed ? " [closed]" : "", s->sock.fileno(), family.get(), kind.get(),
                                  s->sock.proto()));
    if (!text) return nullptr;
    if (!s->closed && s->sock.is_open()) {
        for (int which = 0; which < 2; ++which) {
            std::error_code ec;
            const address a = which == 0 ? s->sock.getsockname(ec) : s->sock.getpeername(ec);
            if (ec) continue;
            ref py(from_address(a));
            if (!py) return nullptr;
            if (PyObject_IsTrue(py.get()) != 1) continue;
            ref part(PyUnicode_FromFormat(which == 0 ? ", laddr=%S" : ", raddr=%S", py.get()));
            if (!part) return nullptr;
            text = ref(PyUnicode_Concat(text.get(), part.get()));
            if (!text) return nullptr;
        }
    }
    ref close(PyUnicode_FromString(">"));
    return PyUnicode_Concat(text.get(), close.get());
}

PyObject* get_family(PyObject* self, void*) { return family_object(socket_state_of(self), sock_of(self).family()); }
PyObject* get_type(PyObject* self, void*) { return kind_object(socket_state_of(self), sock_of(self).type()); }
PyObject* get_proto(PyObject* self, void*) { return PyLong_FromLong(sock_of(self).proto()); }
PyObject* get_timeout(PyObject* self, void*) { return from_timeout(sock_of(self).gettimeout()); }
PyObject* get_closed(PyObject* self, void*) { return PyBool_FromLong(as_py(self)->closed); }

PyGetSetDef socket_getset[] = {
    {"family", get_family, nullptr, "the socket family", nullptr},
    {"type", get_type, nullptr, "the socket type", nullptr},
    {"proto", get_proto, nullptr, "the socket protocol", nullptr},
    {"timeout", get_timeout, nullptr, "the timeout in seconds (None: blocking, 0.0: non-blocking)", nullptr},
    {"_closed", get_closed, nullptr, "close() was called", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyMethodDef socket_methods[] = {
    {"accept", socket_accept, METH_NOARGS, "accept() -> (socket, address): waits for a connection"},
    {"bind", socket_bind, METH_O, "bind(address): binds to (host, port), a path, or a bare port (seed 002)"},
    {"close", socket_close, METH_NOARGS, "close(): closes the socket (once every makefile() file is closed too)"},
    {"connect", socket_connect, METH_O, "connect(address): connects, under the socket's timeout"},
    {"connect_ex", socket_connect_ex, METH_O, "connect_ex(address) -> errno: connect() that returns the error"},
    {"detach", socket_detach, METH_NOARGS, "detach() -> fd: closes the object without closing the descriptor"},
    {"dup", socket_dup, METH_NOARGS, "dup() -> socket on a duplicate descriptor"},
    {"fileno", socket_fileno, METH_NOARGS, "fileno() -> the descriptor (-1 once closed)"},
    {"get_inheritable", socket_get_inheritable, METH_NOARGS, "get_inheritable() -> bool"},
    {"set_inheritable", socket_set_inheritable, METH_O, "set_inheritable(flag)"},
    {"getblocking", socket_getblocking, METH_NOARGS, "getblocking() -> False only in non-blocking mode"},
    {"getpeername", socket_getpeername, METH_NOARGS, "getpeername() -> the peer's address"},
    {"getsockname", socket_getsockname, METH_NOARGS, "getsockname() -> the local address"},
    {"getsockopt", USOCKET_METHOD(socket_getsockopt), METH_FASTCALL,
     "getsockopt(level, option[, buflen]) -> int, or bytes when buflen is given"},
    {"gettimeout", socket_gettimeout, METH_NOARGS, "gettimeout() -> None or seconds (float)"},
    {"listen", USOCKET_METHOD(socket_listen), METH_FASTCALL, "listen([backlog]): default min(SOMAXCONN, 128)"},
    {"makefile", USOCKET_METHOD(socket_makefile),
     METH_VARARGS | METH_KEYWORDS, "makefile(mode='rb', buffering=None, *, encoding, errors, newline) -> file"},
    {"recv", USOCKET_METHOD(socket_recv), METH_FASTCALL, "recv(bufsize[, flags]) -> bytes (b'' at end of stream)"},
    {"recv_into", USOCKET_METHOD(socket_recv_into), METH_FASTCALL | METH_KEYWORDS,
     "recv_into(buffer[, nbytes[, flags]]) -> count, received into buffer without a copy"},
    {"recvfrom", USOCKET_METHOD(socket_recvfrom), METH_FASTCALL, "recvfrom(bufsize[, flags]) -> (bytes, address)"},
    {"recvfrom_into", USOCKET_METHOD(socket_recvfrom_into), METH_FASTCALL | METH_KEYWORDS,
     "recvfrom_into(buffer[, nbytes[, flags]]) -> (count, address)"},
    {"send", USOCKET_METHOD(socket_send), METH_FASTCALL, "send(data[, flags]) -> count (may be short); str is UTF-8"},
    {"sendall", USOCKET_METHOD(socket_sendall), METH_FASTCALL,
     "sendall(data[, flags]): sends everything under one deadline; str is UTF-8"},
    {"sendto", USOCKET_METHOD(socket_sendto), METH_FASTCALL, "sendto(data[, flags], address) -> count"},
    {"setblocking", socket_setblocking, METH_O, "setblocking(flag): settimeout(None) or settimeout(0)"},
    {"setsockopt", USOCKET_METHOD(socket_setsockopt), METH_FASTCALL,
     "setsockopt(level, option, value) / setsockopt(level, option, None, optlen)"},
    {"settimeout", socket_settimeout, METH_O, "settimeout(seconds): None blocks, 0 is non-blocking"},
    {"shutdown", socket_shutdown, METH_O, "shutdown(how): SHUT_RD, SHUT_WR or SHUT_RDWR"},
    {"_decref_socketios", socket_decref_socketios, METH_NOARGS, "a file from makefile() was closed"},
    {"__enter__", socket_enter, METH_NOARGS, nullptr},
    {"__exit__", USOCKET_METHOD(socket_exit), METH_FASTCALL, nullptr},
    {"__getstate__", socket_getstate, METH_NOARGS, nullptr},
    {nullptr, nullptr, 0, nullptr},
};

// The type's methods: this file's, then the stream methods (stream.cpp); built once, for every
// module object's type.
PyMethodDef* all_methods() {
    static std::vector<PyMethodDef> table = [] {
        std::vector<PyMethodDef> t;
        for (const PyMethodDef* part : {socket_methods, stream_methods, message_methods, extra_methods, batch_methods})
            for (const PyMethodDef* m = part; m->ml_name != nullptr; ++m) t.push_back(*m);
        t.push_back({nullptr, nullptr, 0, nullptr});
        return t;
    }();
    return table.data();
}

PyMemberDef socket_members[] = {
    {"_io_refs", T_INT, offsetof(py_socket, io_refs), 0, "files from makefile() still open"},
    {"__weaklistoffset__", T_PYSSIZET, offsetof(py_socket, weakrefs), READONLY, nullptr},
    {nullptr, 0, 0, 0, nullptr},
};

}  // namespace

PyTypeObject* make_socket_type(PyObject* module) {
    // (PyType_FromModuleAndSpec copies the slots: only what they point to must outlive the type.)
    PyType_Slot slots[] = {
        {Py_tp_doc, const_cast<char*>("socket(family=AF_INET, type=SOCK_STREAM, proto=0, fileno=None)\n\n"
                                       "A BSD socket over usocket::socket. fileno adopts an open descriptor.")},
        {Py_tp_new, reinterpret_cast<void*>(socket_new)},
        {Py_tp_init, reinterpret_cast<void*>(socket_init)},
        {Py_tp_dealloc, reinterpret_cast<void*>(socket_dealloc)},
        {Py_tp_finalize, reinterpret_cast<void*>(socket_finalize)},
        {Py_tp_repr, reinterpret_cast<void*>(socket_repr)},
        {Py_tp_methods, all_methods()},
        {Py_tp_getset, socket_getset},
        {Py_tp_members, socket_members},
        {0, nullptr},
    };
    PyType_Spec spec = {"usocket.socket", sizeof(py_socket), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, slots};
    return reinterpret_cast<PyTypeObject*>(PyType_FromModuleAndSpec(module, &spec, nullptr));
}

PyObject* wrap_socket(const module_state* state, usocket::socket&& s) {
    if (state == nullptr || state->socket_type == nullptr) {  // the module was cleared (shutdown)
        PyErr_SetString(PyExc_RuntimeError, "usocket: the module is gone");
        return nullptr;
    }
    PyObject* self = socket_new(state->socket_type, nullptr, nullptr);
    if (self != nullptr) sock_of(self) = std::move(s);
    return self;
}

namespace {
// A blocking send the first try cut short: the rest, waiting (out of line: the first try's
// path stays a straight line). The count sent by the rest; 0 when it failed. A signal, the
// kernel's own send timeout (SO_SNDTIMEO) or EPIPE (a shutdown: the next call says it again)
// ends the call with the count sent so far, as the kernel's blocking send does. Any other
// error is the call's (`ec`): the kernel's one send would have kept it pending for the next
// call, but the rest's own send took it (a reset would otherwise read as a clean end of the
// stream).
[[gnu::noinline]] std::size_t send_rest(PyObject* self, const_buffer rest, int flags, std::error_code& ec) {
    std::error_code rest_ec;
    const std::size_t n = socket_call(self, [&] {
        detail::progress_made = true;
        const std::size_t sent = sock_of(self).send(rest, msg_flags{flags}, rest_ec);
        detail::progress_made = false;
        return sent;
    });
    if (!rest_ec) return n;
    if (rest_ec.value() != sys::err_intr && rest_ec != std::errc::broken_pipe && !is_would_block(rest_ec))
        ec = rest_ec;
    return 0;
}
}  // namespace

bool send_answer(PyObject* self, const_buffer data, int flags, std::error_code& ec, std::size_t& sent, sys::ssize r) {
    usocket::socket& s = sock_of(self);
    const usocket::detail::socket_state* st = socket_access::state(s);
    if (st == nullptr || st->tr != nullptr) return false;
    if (r >= 0) {
        sent = static_cast<std::size_t>(r);
    } else if (r == -2) {
        const gil_held_call held;
        sent = s.send(data, msg_flags{flags} | msg_dontwait, ec);
    } else {
        sent = 0;
    }
    if (ec) [[unlikely]] {
        if (!is_would_block(ec) || !waits(*st, flags, sys::wait_for::write)) return true;
        ec.clear();
        return false;
    }
    if (sent == data.size() || !waits(*st, flags, sys::wait_for::write) || st->timeout_ns() > 0) [[likely]]
        return true;
    sent += send_rest(self, const_buffer(data.data() + sent, data.size() - sent), flags, ec);
    return true;
}

}  // namespace usocket::python
