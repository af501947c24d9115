// Socket methods CPython's Lib/socket.py has beyond the C type's, and what the module hands
// back as CPython's enums: sendfile() (with the two ways CPython's is built of,
// _sendfile_use_sendfile and _sendfile_use_send), _accept(), and the AddressFamily /
// SocketKind members that sock.family, sock.type and getaddrinfo() return.

#include <cerrno>
#include <chrono>
#include <climits>
#include <sys/stat.h>

#include "module.hpp"

namespace usocket::python {

// --- the enums (handed over by usocket/_enums.py) ------------------------------------------------

namespace {

// The member of an enum for `value` (its _value2member_map_ `members`), or the plain int when
// the enum has none (CPython's _intenum_converter) or is not set up.
PyObject* member_or_int(PyObject* members, int value) {
    ref key(PyLong_FromLong(value));
    if (!key || members == nullptr) return key.release();
    PyObject* member = PyDict_GetItemWithError(members, key.get());  // borrowed
    if (member != nullptr) return Py_NewRef(member);
    if (PyErr_Occurred() != nullptr) return nullptr;
    return key.release();
}

}  // namespace

const module_state* socket_state_of(PyObject* self) noexcept {
    PyTypeObject* type = Py_TYPE(self);
    // The type made by PyType_FromModuleAndSpec knows its module; a Python subclass does not.
    if (PyType_HasFeature(type, Py_TPFLAGS_HEAPTYPE) && type->tp_base == &PyBaseObject_Type) {
        PyObject* module = PyType_GetModule(type);
        if (module != nullptr) return static_cast<module_state*>(PyModule_GetState(module));
        PyErr_Clear();
    }
    return state_of(self);
}

PyObject* family_object(const module_state* state, int family) {
    return member_or_int(state != nullptr ? state->family_members : nullptr, family);
}

PyObject* kind_object(const module_state* state, int type) {
    return member_or_int(state != nullptr ? state->kind_members : nullptr, type);
}

namespace {

// _set_enums(AddressFamily, SocketKind): called once by the package's __init__.
PyObject* py_set_enums(PyObject* module, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("_set_enums", nargs, 2, 2)) return nullptr;
    ref family(PyObject_GetAttrString(args[0], "_value2member_map_"));
    ref kind(PyObject_GetAttrString(args[1], "_value2member_map_"));
    if (!family || !kind) return nullptr;
    if (!PyDict_Check(family.get()) || !PyDict_Check(kind.get())) {
        PyErr_SetString(PyExc_TypeError, "_set_enums() takes two enum classes");
        return nullptr;
    }
    module_state* state = state_of_module(module);
    Py_XSETREF(state->family_members, family.release());
    Py_XSETREF(state->kind_members, kind.release());
    Py_RETURN_NONE;
}

// --- _accept -------------------------------------------------------------------------------------

// _accept() -> (fd, address): CPython's, on which its accept() is built (the descriptor is
// close-on-exec; the caller owns it).
PyObject* socket_private_accept(PyObject* self, PyObject*) {
    address peer;
    std::error_code ec;
    usocket::socket conn = socket_call(self, [&] { return sock_of(self).accept(&peer, ec); });
    if (ec) return set_error(self, ec, "accept");
    ref addr(from_address(peer));
    if (!addr) return nullptr;  // conn closes the descriptor
    ref fd(PyLong_FromLong(conn.fileno()));
    if (!fd) return nullptr;
    PyObject* result = PyTuple_Pack(2, fd.get(), addr.get());
    if (result != nullptr) static_cast<void>(conn.detach());
    return result;
}

// --- sendfile ------------------------------------------------------------------------------------

enum class sendfile_way { automatic, kernel, send };

struct sendfile_args {
    PyObject* file = nullptr;
    long long offset = 0;  // negative: only the file's seek() can say what it makes of it
    std::size_t count = 0;  // 0: to the end
};

// CPython's _check_sendfile_params(), then the offset (an int).
bool check_sendfile(PyObject* self, const char* what, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
                    sendfile_args& out) {
    static const char* const names[] = {"file", "offset", "count"};
    PyObject* a[3];
    if (!parse_args(what, args, nargs, kwnames, names, 1, 3, a)) return false;
    out.file = a[0];
    // 'b' not in getattr(file, 'mode', 'b')
    ref mode(PyObject_GetAttrString(a[0], "mode"));
    if (!mode) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError)) return false;
        PyErr_Clear();
    } else {
        ref b(PyUnicode_FromString("b"));
        const int has_b = PySequence_Contains(mode.get(), b.get());
        if (has_b < 0) return false;
        if (has_b == 0) {
            PyErr_SetString(PyExc_ValueError, "file should be opened in binary mode");
            return false;
        }
    }
    if ((sock_of(self).type() & sock_stream) == 0) {
        PyErr_SetString(PyExc_ValueError, "only SOCK_STREAM type sockets are supported");
        return false;
    }
    PyObject* count = a[2];
    if (count != nullptr && count != Py_None) {
        if (!PyLong_Check(count)) {
            PyErr_Format(PyExc_TypeError, "count must be a positive integer (got %R)", count);
            return false;
        }
        const int positive = PyObject_RichCompareBool(count, ref(PyLong_FromLong(0)).get(), Py_GT);
        if (positive < 0) return false;
        if (positive == 0) {
            PyErr_Format(PyExc_ValueError, "count must be a positive integer (got %R)", count);
            return false;
        }
        // A count past what can be sent is "to the end", as CPython's loop makes it.
        const unsigned long long c = PyLong_AsUnsignedLongLong(count);
        if (PyErr_Occurred() != nullptr) {
            if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return false;
            PyErr_Clear();
            out.count = SIZE_MAX;
        } else {
            out.count = c > SIZE_MAX ? SIZE_MAX : static_cast<std::size_t>(c);
        }
    }
    if (a[1] != nullptr) {
        long long off = 0;
        ref index(PyNumber_Index(a[1]));
        if (!index) return false;
        off = PyLong_AsLongLong(index.get());
        if (off == -1 && PyErr_Occurred() != nullptr) return false;
        out.offset = off;
    }
    return true;
}

// file.seek(pos) after bytes were sent, as CPython's finally clause (a file without seek is
// left alone). Keeps an exception already set.
bool seek_after(PyObject* file, long long pos) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    bool ok = true;
    if (PyObject_HasAttrString(file, "seek")) {
        ref r(PyObject_CallMethod(file, "seek", "L", pos));
        ok = static_cast<bool>(r);
    }
    if (type != nullptr) {
        if (!ok) PyErr_Clear();
        PyErr_Restore(type, value, tb);
        return false;
    }
    return ok;
}

// The exception set, normalized, as an object (the error indicator cleared).
PyObject* take_exception() {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != nullptr && value != nullptr) PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
}

// The file's descriptor, or -1 with `giveup` set to the reason (a file without one: BytesIO,
// or one whose fileno() raises AttributeError or io.UnsupportedOperation).
int file_descriptor(PyObject* file, ref& giveup) {
    ref fd(PyObject_CallMethod(file, "fileno", nullptr));
    if (!fd) {
        if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
            giveup = ref(take_exception());
            return -1;
        }
        ref error(take_exception());
        ref io(PyImport_ImportModule("io"));
        ref unsupported(io ? PyObject_GetAttrString(io.get(), "UnsupportedOperation") : nullptr);
        if (!unsupported) return -2;
        if (!PyObject_IsInstance(error.get(), unsupported.get())) {
            PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(error.get())), error.get());
            return -2;
        }
        giveup = std::move(error);
        return -1;
    }
    long v = 0;
    if (!to_long(fd.get(), v)) return -2;
    if (v < 0 || v > INT_MAX) {  // fstat() would fail: no file for the kernel
        giveup = ref(PyObject_CallFunction(PyExc_OSError, "is", EBADF, "Bad file descriptor"));
        return giveup ? -1 : -2;
    }
    return static_cast<int>(v);
}

// The send loop over a file without a descriptor: file.read() chunks sent under ONE deadline
// (the socket's timeout from now, on top of any deadline it has).
PyObject* send_by_reading(PyObject* self, const sendfile_args& in) {
    usocket::socket& s = sock_of(self);
    const timeout_type t = s.gettimeout();
    if (t && t->count() == 0) {
        PyErr_SetString(PyExc_ValueError, "non-blocking sockets are not supported");
        return nullptr;
    }
    if (in.offset != 0) {
        ref r(PyObject_CallMethod(in.file, "seek", "L", in.offset));
        if (!r) return nullptr;
    }
    const auto before = s.deadline();
    if (t) {
        auto when = std::chrono::steady_clock::now() + *t;
        if (before && *before < when) when = *before;
        s.set_deadline(when);
    }
    struct restore {
        usocket::socket& s;
        std::optional<std::chrono::steady_clock::time_point> before;
        ~restore() {
            std::error_code ignored;
            s.set_deadline(before, ignored);
        }
    } restore_deadline{s, before};
    std::size_t total = 0;
    const std::size_t block = in.count != 0 && in.count < 8192 ? in.count : 8192;
    for (;;) {
        std::size_t want = block;
        if (in.count != 0) {
            want = std::min(in.count - total, block);
            if (want == 0) break;
        }
        ref chunk(PyObject_CallMethod(in.file, "read", "n", static_cast<Py_ssize_t>(want)));
        if (!chunk) break;
        buffer_arg data;
        if (!data.get(chunk.get(), false)) break;
        if (data.size() == 0) break;  // end of the file
        std::error_code ec;
        std::size_t sent = 0;
        socket_call(self, [&] {
            // Counted: a timeout part-way must still move the file past what went out.
            while (sent < data.size() && !ec)
                sent += s.send(const_buffer(static_cast<const char*>(data.data()) + sent, data.size() - sent), {}, ec);
        });
        total += sent;
        if (ec) {
            set_error(self, ec, "sendfile");
            break;
        }
    }
    const bool failed = PyErr_Occurred() != nullptr;
    if (total > 0 && !seek_after(in.file, in.offset + static_cast<long long>(total))) return nullptr;
    if (failed) return nullptr;
    return PyLong_FromSize_t(total);
}

PyObject* do_sendfile(PyObject* self, const char* what, sendfile_way way, PyObject* const* args, Py_ssize_t nargs,
                      PyObject* kwnames) {
    sendfile_args in;
    if (!check_sendfile(self, what, args, nargs, kwnames, in)) return nullptr;
    ref giveup;
    int fd = file_descriptor(in.file, giveup);
    if (fd == -2) return nullptr;
    if (fd >= 0 && in.offset < 0) {  // os.sendfile()'s EINVAL
        giveup = ref(PyObject_CallFunction(PyExc_OSError, "is", EINVAL, "Invalid argument"));
        if (!giveup) return nullptr;
        fd = -1;
    }
    if (fd >= 0 && way != sendfile_way::send) {
        // As CPython's _sendfile_use_sendfile: what fstat() cannot size is no file for the
        // kernel; an empty one sends nothing, even on a non-blocking or closed socket; then a
        // closed socket is the ValueError its selector gives.
        struct stat st {};
        if (::fstat(fd, &st) != 0) {
            giveup = ref(PyObject_CallFunction(PyExc_OSError, "is", errno, "fstat"));
            if (!giveup) return nullptr;
            fd = -1;
        } else if (st.st_size == 0) {
            return PyLong_FromLong(0);
        } else {
            const timeout_type t = sock_of(self).gettimeout();
            if (t && t->count() == 0) {
                PyErr_SetString(PyExc_ValueError, "non-blocking sockets are not supported");
                return nullptr;
            }
            if (sock_of(self).fileno() < 0) {
                PyErr_Format(PyExc_ValueError, "Invalid file descriptor: %d", sock_of(self).fileno());
                return nullptr;
            }
        }
    }
    if (fd < 0) {
        // No file for the kernel: sendfile() and the send way read it through its read(),
        // _sendfile_use_sendfile() gives up as CPython's.
        if (way != sendfile_way::kernel) return send_by_reading(self, in);
        const module_state* state = state_of(self);
        if (state == nullptr || state->giveup_on_sendfile == nullptr) return nullptr;
        PyErr_SetObject(state->giveup_on_sendfile, giveup.get());
        return nullptr;
    }
    const sendfile_method how = way == sendfile_way::kernel ? sendfile_method::kernel
                                : way == sendfile_way::send ? sendfile_method::send_loop
                                                            : sendfile_method::automatic;
    std::error_code ec;
    const std::size_t sent =
        socket_call(self, [&] {
            return sock_of(self).sendfile(fd, static_cast<std::uint64_t>(in.offset), in.count, how, ec);
        });
    if (ec == errc::invalid_argument) {
        PyErr_SetString(PyExc_ValueError, sock_of(self).type() != sock_stream
                                              ? "only SOCK_STREAM type sockets are supported"
                                              : "non-blocking sockets are not supported");
    } else if (ec == errc::unsupported && way == sendfile_way::kernel) {
        const module_state* state = state_of(self);
        if (state != nullptr && state->giveup_on_sendfile != nullptr)
            PyErr_SetString(state->giveup_on_sendfile, "the kernel's sendfile does not apply to this file");
    } else if (ec) {
        set_error(self, ec, "sendfile");
    }
    // The library left the descriptor after the last byte; the file object is told (its
    // buffer), as CPython's file.seek(offset + sent).
    if (sent > 0 && !seek_after(in.file, in.offset + static_cast<long long>(sent))) return nullptr;
    if (ec) return nullptr;
    return PyLong_FromSize_t(sent);
}

PyObject* socket_sendfile(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    return do_sendfile(self, "sendfile", sendfile_way::automatic, args, nargs, kwnames);
}
PyObject* socket_sendfile_use_sendfile(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    return do_sendfile(self, "_sendfile_use_sendfile", sendfile_way::kernel, args, nargs, kwnames);
}
PyObject* socket_sendfile_use_send(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    return do_sendfile(self, "_sendfile_use_send", sendfile_way::send, args, nargs, kwnames);
}

}  // namespace

PyMethodDef extra_methods[] = {
    {"_accept", socket_private_accept, METH_NOARGS, "_accept() -> (fd, address): accept() without the socket object"},
    {"sendfile", USOCKET_METHOD(socket_sendfile), METH_FASTCALL | METH_KEYWORDS,
     "sendfile(file, offset=0, count=None) -> bytes sent: the kernel's sendfile where it applies, a send loop\n"
     "otherwise, under one deadline (the socket's timeout for the whole call)"},
    {"_sendfile_use_sendfile", USOCKET_METHOD(socket_sendfile_use_sendfile), METH_FASTCALL | METH_KEYWORDS,
     "sendfile() by the kernel only (raises _GiveupOnSendfile where it does not apply)"},
    {"_sendfile_use_send", USOCKET_METHOD(socket_sendfile_use_send), METH_FASTCALL | METH_KEYWORDS,
     "sendfile() by reading and sending only"},
    {nullptr, nullptr, 0, nullptr},
};

PyMethodDef extra_functions[] = {
    {"_set_enums", USOCKET_METHOD(py_set_enums), METH_FASTCALL,
     "_set_enums(AddressFamily, SocketKind): the enums sock.family, sock.type and getaddrinfo() return"},
    {nullptr, nullptr, 0, nullptr},
};

int extras_exec(PyObject* module, module_state* state) {
    state->giveup_on_sendfile = PyErr_NewExceptionWithDoc(
        "usocket._GiveupOnSendfile", "The kernel's sendfile does not apply (CPython's private exception).",
        PyExc_Exception, nullptr);
    if (state->giveup_on_sendfile == nullptr ||
        PyModule_AddObjectRef(module, "_GiveupOnSendfile", state->giveup_on_sendfile) < 0)
        return -1;
    return 0;
}

}  // namespace usocket::python
