// The library's selector (usocket::selector: epoll, or the portable one over poll()) as the
// private type usocket._usocket._Selector, on which usocket/selectors.py builds a
// selectors.BaseSelector for asyncio. A usocket socket is registered as a socket, so that the
// bytes it holds in its read-ahead buffer count as readable; anything else by its descriptor.
// The token of a registration is the descriptor the caller names (by default the object's);
// poll() returns (token, events) pairs in the library's event bits, which the type carries as
// attributes (READABLE, WRITABLE...).

#include <new>
#include <vector>

#include "module.hpp"
#include "usocket/poller.hpp"

namespace usocket::python {

namespace {

struct py_selector {
    PyObject_HEAD
    usocket::selector sel;
    bool open;
};

py_selector* as_selector(PyObject* self) noexcept { return reinterpret_cast<py_selector*>(self); }

const module_state* selector_state(PyObject* self) noexcept {
    return static_cast<const module_state*>(PyType_GetModuleState(Py_TYPE(self)));
}

PyObject* selector_new(PyTypeObject* type, PyObject* args, PyObject* kwds) {
    if (PyTuple_GET_SIZE(args) != 0 || (kwds != nullptr && PyDict_Size(kwds) != 0)) {
        PyErr_SetString(PyExc_TypeError, "_Selector() takes no arguments");
        return nullptr;
    }
    std::error_code ec;
    usocket::selector sel = usocket::selector::open(ec);
    if (ec) return set_error(reinterpret_cast<PyObject*>(type), ec, "selector");
    PyObject* self = type->tp_alloc(type, 0);
    if (self == nullptr) return nullptr;
    new (&as_selector(self)->sel) usocket::selector(std::move(sel));
    as_selector(self)->open = true;
    return self;
}

void selector_dealloc(PyObject* self) {
    PyTypeObject* type = Py_TYPE(self);
    as_selector(self)->sel.~selector();
    type->tp_free(self);
    Py_DECREF(type);
}

bool check_open(PyObject* self) {
    if (as_selector(self)->open) return true;
    PyErr_SetString(PyExc_ValueError, "I/O operation on closed selector object");
    return false;
}

// The interest bits of `mask`: an int of the library's bits (what usocket/selectors.py passes).
bool interest_arg(PyObject* o, std::uint32_t& out) {
    unsigned int v = 0;
    int i = 0;
    if (!to_int(o, i)) return false;
    v = static_cast<unsigned int>(i);
    if (i < 0) {
        PyErr_Format(PyExc_ValueError, "invalid event mask %d", i);
        return false;
    }
    out = v;
    return true;
}

// The token argument of register/modify: absent or None (the descriptor), else an int >= 0.
bool token_arg(PyObject* const* args, Py_ssize_t nargs, int fd, std::uint64_t& token) {
    token = static_cast<std::uint64_t>(fd);
    if (nargs < 3 || args[2] == Py_None) return true;
    int t = 0;
    if (!to_int(args[2], t)) return false;
    if (t < 0) {
        PyErr_Format(PyExc_ValueError, "Invalid file descriptor: %d", t);
        return false;
    }
    token = static_cast<std::uint64_t>(t);
    return true;
}

// What register/modify/unregister are given: a usocket socket (`sock` set) or a descriptor: an
// int, or anything with fileno() (PyObject_AsFileDescriptor's rules). A closed socket (fileno()
// -1) and a negative descriptor are ValueError, as CPython's selectors.
bool target_arg(PyObject* self, PyObject* o, usocket::socket*& sock, int& fd, bool allow_closed_socket) {
    sock = nullptr;
    if (is_socket(selector_state(self), o)) {
        sock = &sock_of(o);
        fd = sock->fileno();
        if (fd < 0 && allow_closed_socket) return true;
    } else {
        fd = PyObject_AsFileDescriptor(o);
        if (fd < 0 && PyErr_Occurred() != nullptr) return false;
    }
    if (fd < 0) {
        PyErr_Format(PyExc_ValueError, "Invalid file descriptor: %d", fd);
        return false;
    }
    return true;
}

// register(fileobj, mask[, token]) and modify(fileobj, mask[, token]): watches it (or changes
// its interest); poll() reports it with the token, its descriptor by default. modify() of a
// socket closed meanwhile is the library's EBADF.
PyObject* change(PyObject* self, PyObject* const* args, Py_ssize_t nargs, bool modify) {
    const char* what = modify ? "modify" : "register";
    if (!check_nargs(what, nargs, 2, 3)) return nullptr;
    usocket::socket* sock = nullptr;
    int fd = -1;
    std::uint32_t interest = 0;
    std::uint64_t token = 0;
    if (!target_arg(self, args[0], sock, fd, modify) || !interest_arg(args[1], interest) ||
        !token_arg(args, nargs, fd, token) || !check_open(self))
        return nullptr;
    std::error_code ec;
    usocket::selector& sel = as_selector(self)->sel;
    if (sock != nullptr)
        modify ? sel.modify(*sock, interest, token, ec) : sel.add(*sock, interest, token, ec);
    else
        modify ? sel.modify(fd, interest, token, ec) : sel.add(fd, interest, token, ec);
    if (ec) return set_error(self, ec, what);
    Py_RETURN_NONE;
}

PyObject* selector_register(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    return change(self, args, nargs, false);
}

PyObject* selector_modify(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    return change(self, args, nargs, true);
}

// unregister(fileobj): a socket closed while registered is found by itself.
PyObject* selector_unregister(PyObject* self, PyObject* arg) {
    usocket::socket* sock = nullptr;
    int fd = -1;
    if (!target_arg(self, arg, sock, fd, true) || !check_open(self)) return nullptr;
    std::error_code ec;
    if (sock != nullptr)
        as_selector(self)->sel.remove(*sock, ec);
    else
        as_selector(self)->sel.remove(fd, ec);
    if (ec) return set_error(self, ec, "unregister");
    Py_RETURN_NONE;
}

// poll(timeout=None, maxevents=64) -> [(fd, events), ...]: timeout in seconds (None blocks).
PyObject* selector_poll(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("poll", nargs, 0, 2)) return nullptr;
    timeout_type timeout;
    if (nargs >= 1 && !to_timeout(args[0], timeout, "timeout must be non-negative")) return nullptr;
    Py_ssize_t maxevents = 64;
    if (nargs == 2 && !to_ssize(args[1], maxevents)) return nullptr;
    if (maxevents <= 0) {
        PyErr_Format(PyExc_ValueError, "maxevents must be greater than 0, got %zd", maxevents);
        return nullptr;
    }
    if (!check_open(self)) return nullptr;
    constexpr Py_ssize_t max_batch = 4096;  // more wait for the next call (epoll rotates its list)
    std::vector<selector_event> events(static_cast<std::size_t>(maxevents < max_batch ? maxevents : max_batch));
    std::error_code ec;
    // The object stays alive while the GIL is released (the caller holds it); a close() from
    // another thread meanwhile is safe (the library closes the kernel's descriptor after us).
    const std::size_t n = without_gil([&] { return as_selector(self)->sel.wait(events, timeout, ec); });
    if (ec) return set_error(self, ec, "poll");
    ref out(PyList_New(static_cast<Py_ssize_t>(n)));
    if (!out) return nullptr;
    for (std::size_t i = 0; i < n; ++i) {
        PyObject* pair = Py_BuildValue("(KI)", static_cast<unsigned long long>(events[i].token),
                                       static_cast<unsigned int>(events[i].events));
        if (pair == nullptr) return nullptr;
        PyList_SET_ITEM(out.get(), static_cast<Py_ssize_t>(i), pair);
    }
    return out.release();
}

PyObject* selector_close(PyObject* self, PyObject*) {
    if (!as_selector(self)->open) Py_RETURN_NONE;
    as_selector(self)->open = false;
    std::error_code ec;
    as_selector(self)->sel.close(ec);
    if (ec) return set_error(self, ec, "close");
    Py_RETURN_NONE;
}

PyObject* selector_fileno(PyObject* self, PyObject*) {
    if (!check_open(self)) return nullptr;
    return PyLong_FromLong(static_cast<long>(as_selector(self)->sel.fileno()));
}

PyObject* selector_closed(PyObject* self, void*) { return PyBool_FromLong(!as_selector(self)->open); }

PyMethodDef selector_methods[] = {
    {"register", USOCKET_METHOD(selector_register), METH_FASTCALL,
     "register(fileobj, mask[, token]): a usocket socket counts its buffered bytes as readable"},
    {"modify", USOCKET_METHOD(selector_modify), METH_FASTCALL, "modify(fileobj, mask[, token])"},
    {"unregister", selector_unregister, METH_O, "unregister(fileobj)"},
    {"poll", USOCKET_METHOD(selector_poll), METH_FASTCALL,
     "poll(timeout=None, maxevents=64) -> [(token, events)]; timeout in seconds"},
    {"close", selector_close, METH_NOARGS, "close(): a second close does nothing"},
    {"fileno", selector_fileno, METH_NOARGS, "fileno() -> the kernel selector's descriptor (-1: portable)"},
    {nullptr, nullptr, 0, nullptr},
};

PyGetSetDef selector_getset[] = {
    {"closed", selector_closed, nullptr, "True once close() was called", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

}  // namespace

PyTypeObject* make_selector_type(PyObject* module) {
    PyType_Slot slots[] = {
        {Py_tp_doc, const_cast<char*>("_Selector(): usocket::selector (see usocket.selectors)")},
        {Py_tp_new, reinterpret_cast<void*>(selector_new)},
        {Py_tp_dealloc, reinterpret_cast<void*>(selector_dealloc)},
        {Py_tp_methods, selector_methods},
        {Py_tp_getset, selector_getset},
        {0, nullptr},
    };
    PyType_Spec spec = {"usocket._Selector", sizeof(py_selector), 0, Py_TPFLAGS_DEFAULT, slots};
    ref type(PyType_FromModuleAndSpec(module, &spec, nullptr));
    if (!type) return nullptr;
    const struct {
        const char* name;
        std::uint32_t value;
    } bits[] = {
        {"READABLE", selector::readable}, {"WRITABLE", selector::writable},
        {"PRIORITY", selector::priority}, {"READ_HANGUP", selector::read_hangup},
        {"ERROR", selector::error},       {"HANGUP", selector::hangup},
    };
    for (const auto& bit : bits) {
        ref value(PyLong_FromUnsignedLong(bit.value));
        if (!value || PyObject_SetAttrString(type.get(), bit.name, value.get()) < 0) return nullptr;
    }
    if (PyModule_AddObjectRef(module, "_Selector", type.get()) < 0) return nullptr;
    return reinterpret_cast<PyTypeObject*>(type.release());
}

}  // namespace usocket::python
