// Multiplexing over usocket's C++ API (usocket/poller.hpp): select() as CPython's
// select.select, and the poll object of MicroPython's uselect (register / modify / unregister /
// poll / ipoll), which reports the objects that were registered. Both take usocket sockets,
// integers, and anything with a fileno() method. The GIL is released while they wait.

#include <cmath>
#include <vector>

#include "module.hpp"
#include "usocket/poller.hpp"

namespace usocket::python {

namespace {

// The descriptor of a waitable as CPython's PyObject_AsFileDescriptor(): an int, or what its
// fileno() returns (a usocket socket's read directly); negative is ValueError. -1 with an error.
int descriptor_of(const module_state* state, PyObject* o) {
    const int fd = is_socket(state, o) ? sock_of(o).fileno() : PyObject_AsFileDescriptor(o);
    if (fd < 0 && PyErr_Occurred() == nullptr)
        PyErr_Format(PyExc_ValueError, "file descriptor cannot be a negative integer (%d)", fd);
    return PyErr_Occurred() != nullptr ? -1 : fd;
}

// --- select() ------------------------------------------------------------------------------------

// The waitables of a sequence (kept with the sequence, to map results back): a usocket socket
// as a socket (its buffered bytes count), anything else by its descriptor.
bool waitables(const module_state* state, PyObject* seq, ref& items, std::vector<waitable>& out,
               std::vector<int>& fds) {
    items = ref(PySequence_Fast(seq, "arguments 1-3 must be sequences"));
    if (!items) return false;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(items.get());
    out.reserve(static_cast<std::size_t>(n));
    fds.reserve(static_cast<std::size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* o = PySequence_Fast_GET_ITEM(items.get(), i);
        const int fd = descriptor_of(state, o);
        if (fd < 0) return false;
        if (is_socket(state, o))
            out.emplace_back(sock_of(o));
        else
            out.emplace_back(fd);
        fds.push_back(fd);
    }
    return true;
}

// The objects of `items` whose descriptors are in `ready` (a subsequence of `fds`, in order).
PyObject* ready_objects(PyObject* items, const std::vector<int>& fds, const std::vector<int>& ready) {
    ref out(PyList_New(0));
    if (!out) return nullptr;
    std::size_t r = 0;
    for (std::size_t i = 0; i < fds.size() && r < ready.size(); ++i) {
        if (fds[i] != ready[r]) continue;
        ++r;
        if (PyList_Append(out.get(), PySequence_Fast_GET_ITEM(items, static_cast<Py_ssize_t>(i))) < 0) return nullptr;
    }
    return out.release();
}

// select(rlist, wlist, xlist[, timeout]) -> (readable, writable, exceptional)
PyObject* py_select(PyObject* module, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("select", nargs, 3, 4)) return nullptr;
    timeout_type timeout;
    if (nargs == 4 && !to_timeout(args[3], timeout, "timeout must be non-negative")) return nullptr;
    const module_state* state = state_of_module(module);
    ref items[3];
    std::vector<waitable> waits[3];
    std::vector<int> fds[3];
    for (int i = 0; i < 3; ++i)
        if (!waitables(state, args[i], items[i], waits[i], fds[i])) return nullptr;
    // The sockets given are in use while the GIL is released (socket.__init__ must not replace
    // one under the wait), as in a call on the socket itself.
    std::vector<PyObject*> used;
    for (const ref& list : items)
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(list.get()); ++i)
            if (PyObject* o = PySequence_Fast_GET_ITEM(list.get(), i); is_socket(state, o)) used.push_back(o);
    struct in_use {
        std::vector<PyObject*>& objects;
        explicit in_use(std::vector<PyObject*>& o) noexcept : objects(o) {
            for (PyObject* s : objects) ++reinterpret_cast<py_socket*>(s)->calls;
        }
        ~in_use() {  // after without_gil() took the GIL back
            for (PyObject* s : objects) --reinterpret_cast<py_socket*>(s)->calls;
        }
    } guard(used);
    std::error_code ec;
    const select_result r = without_gil([&] {
        return usocket::select(std::span<const waitable>(waits[0]), waits[1], waits[2], timeout, ec);
    });
    if (ec) return set_error(module, ec, "select");
    ref lists[3] = {ref(ready_objects(items[0].get(), fds[0], r.read)),
                    ref(ready_objects(items[1].get(), fds[1], r.write)),
                    ref(ready_objects(items[2].get(), fds[2], r.except))};
    if (!lists[0] || !lists[1] || !lists[2]) return nullptr;
    return PyTuple_Pack(3, lists[0].get(), lists[1].get(), lists[2].get());
}

// --- the poll object ------------------------------------------------------------------------------

struct py_poll {
    PyObject_HEAD
    usocket::poller poller;
    /// fd -> the object registered for it (what poll() reports).
    PyObject* objects;
    /// A poll() is waiting (with the GIL released): the set must not change meanwhile.
    bool running;
};

py_poll* as_poll(PyObject* self) noexcept { return reinterpret_cast<py_poll*>(self); }

// The state of the module that made a poll object (the type has no subclasses).
const module_state* poll_state(PyObject* self) noexcept {
    return static_cast<const module_state*>(PyType_GetModuleState(Py_TYPE(self)));
}

PyObject* poll_new(PyTypeObject* type, PyObject* args, PyObject* kwds) {
    if (PyTuple_GET_SIZE(args) != 0 || (kwds != nullptr && PyDict_Size(kwds) != 0)) {
        PyErr_SetString(PyExc_TypeError, "poll() takes no arguments");
        return nullptr;
    }
    PyObject* self = type->tp_alloc(type, 0);
    if (self == nullptr) return nullptr;
    py_poll* p = as_poll(self);
    new (&p->poller) usocket::poller();
    p->running = false;
    p->objects = PyDict_New();
    if (p->objects == nullptr) {
        Py_DECREF(self);
        return nullptr;
    }
    return self;
}

int poll_traverse(PyObject* self, visitproc visit, void* arg) {
    Py_VISIT(Py_TYPE(self));  // an object of a heap type owns a reference to it
    Py_VISIT(as_poll(self)->objects);
    return 0;
}

int poll_clear(PyObject* self) {
    Py_CLEAR(as_poll(self)->objects);
    return 0;
}

void poll_dealloc(PyObject* self) {
    PyObject_GC_UnTrack(self);
    poll_clear(self);
    as_poll(self)->poller.~poller();
    PyTypeObject* type = Py_TYPE(self);
    type->tp_free(self);
    Py_DECREF(type);
}

bool not_running(py_poll* p) {
    if (!p->running) return true;
    PyErr_SetString(PyExc_RuntimeError, "concurrent poll() invocation");
    return false;
}

// The event mask as CPython's unsigned short converter: a negative int is ValueError, past 16
// bits OverflowError, not an int TypeError.
bool mask_arg(PyObject* o, int& mask) {
    if (PyLong_Check(o)) {
        const int sign = PyObject_RichCompareBool(o, ref(PyLong_FromLong(0)).get(), Py_LT);
        if (sign < 0) return false;
        if (sign == 1) {
            PyErr_SetString(PyExc_ValueError, "value must be positive");
            return false;
        }
    }
    const unsigned long v = PyLong_AsUnsignedLong(o);
    if (v == static_cast<unsigned long>(-1) && PyErr_Occurred() != nullptr) return false;
    if (v > 0xffff) {
        PyErr_SetString(PyExc_OverflowError, "Python int too large for C unsigned short");
        return false;
    }
    mask = static_cast<int>(v);
    return true;
}

// register() and modify(): the poller's operation on obj's descriptor, then obj is what poll()
// reports for it.
PyObject* set_mask(PyObject* self, PyObject* obj, PyObject* mask_obj, bool modify) {
    py_poll* p = as_poll(self);
    const int fd = descriptor_of(poll_state(self), obj);
    if (fd < 0) return nullptr;
    int mask = pollin | pollout;
    if ((mask_obj != nullptr && !mask_arg(mask_obj, mask)) || !not_running(p)) return nullptr;
    std::error_code ec;
    // A usocket socket is given to the poller as a socket: its buffered bytes are reported
    // POLLIN, and once closed it is reported POLLNVAL (whoever reuses its number).
    const bool sock = is_socket(poll_state(self), obj);
    if (modify && sock)
        p->poller.modify(sock_of(obj), mask, ec);
    else if (modify)
        p->poller.modify(fd, mask, ec);
    else if (sock)
        p->poller.register_fd(sock_of(obj), mask, ec);
    else
        p->poller.register_fd(fd, mask, ec);
    if (ec) return set_error(self, ec, modify ? "modify" : "register");
    ref key(PyLong_FromLong(fd));
    if (!key || PyDict_SetItem(p->objects, key.get(), obj) < 0) return nullptr;
    Py_RETURN_NONE;
}

// register(obj[, eventmask=POLLIN|POLLOUT])
PyObject* poll_register(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("register", nargs, 1, 2)) return nullptr;
    return set_mask(self, args[0], nargs == 2 ? args[1] : nullptr, false);
}

// modify(obj, eventmask): FileNotFoundError (ENOENT) when obj is not registered.
PyObject* poll_modify(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("modify", nargs, 2, 2)) return nullptr;
    return set_mask(self, args[0], args[1], true);
}

// The descriptor `obj` is registered under: a socket closed since is found as the object
// registered (its fileno() is -1 now). -1 with an error.
int registered_descriptor(py_poll* p, const module_state* state, PyObject* obj) {
    if (is_socket(state, obj) && sock_of(obj).fileno() < 0) {
        PyObject *key, *value;  // borrowed
        Py_ssize_t pos = 0;
        while (PyDict_Next(p->objects, &pos, &key, &value))
            if (value == obj) return static_cast<int>(PyLong_AsLong(key));
    }
    return descriptor_of(state, obj);
}

// unregister(obj): KeyError when obj is not registered (as CPython). A socket closed while
// registered is unregistered by giving it (the poller finds it by its state).
PyObject* poll_unregister(PyObject* self, PyObject* arg) {
    py_poll* p = as_poll(self);
    if (!not_running(p)) return nullptr;
    const module_state* state = poll_state(self);
    const int fd = registered_descriptor(p, state, arg);
    if (fd < 0) return nullptr;
    std::error_code ec;
    if (is_socket(state, arg))
        p->poller.unregister(sock_of(arg), ec);
    else
        p->poller.unregister(fd, ec);
    ref key(PyLong_FromLong(fd));
    if (!key) return nullptr;
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) {
            PyErr_SetObject(PyExc_KeyError, key.get());
            return nullptr;
        }
        return set_error(self, ec, "unregister");
    }
    if (PyDict_DelItem(p->objects, key.get()) < 0) PyErr_Clear();
    Py_RETURN_NONE;
}

// A poll timeout in milliseconds: None or negative waits without limit.
bool ms_timeout(PyObject* const* args, Py_ssize_t nargs, timeout_type& out) {
    out.reset();
    if (nargs == 0 || args[0] == Py_None) return true;
    double ms = 0;
    if (PyFloat_Check(args[0])) {
        ms = PyFloat_AS_DOUBLE(args[0]);
    } else {
        const long long v = PyLong_AsLongLong(args[0]);
        if (v == -1 && PyErr_Occurred() != nullptr) return false;
        ms = static_cast<double>(v);
    }
    if (std::isnan(ms)) {
        PyErr_SetString(PyExc_ValueError, "Invalid value NaN (not a number)");
        return false;
    }
    if (ms < 0) return true;
    if (ms > 9.2e12) {
        PyErr_SetString(PyExc_OverflowError, "timeout is too large");
        return false;
    }
    out = duration(static_cast<std::int64_t>(std::ceil(ms * 1e6)));
    return true;
}

// The (obj, events) tuples of `events`, obj being what was registered for the descriptor.
PyObject* event_list(py_poll* p, std::span<const poll_event> events) {
    ref out(PyList_New(static_cast<Py_ssize_t>(events.size())));
    if (!out) return nullptr;
    Py_ssize_t i = 0;
    for (const auto& e : events) {
        ref key(PyLong_FromLong(e.fd));
        if (!key) return nullptr;
        PyObject* obj = PyDict_GetItemWithError(p->objects, key.get());  // borrowed
        if (obj == nullptr && PyErr_Occurred() != nullptr) return nullptr;
        PyObject* item = Py_BuildValue("(Oi)", obj != nullptr ? obj : key.get(), e.revents);
        if (item == nullptr) return nullptr;
        PyList_SET_ITEM(out.get(), i++, item);
    }
    return out.release();
}

// poll([timeout_ms]) -> [(obj, events), ...]
PyObject* poll_poll(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("poll", nargs, 0, 1)) return nullptr;
    py_poll* p = as_poll(self);
    timeout_type timeout;
    if (!ms_timeout(args, nargs, timeout) || !not_running(p)) return nullptr;
    std::error_code ec;
    p->running = true;
    const std::vector<poll_event> events = without_gil([&] { return p->poller.poll(timeout, ec); });
    p->running = false;
    if (ec) return set_error(self, ec, "poll");
    return event_list(p, events);
}

// ipoll([timeout_ms[, flags]]) -> iterator of (obj, events); flags 1 disarms each descriptor
// that reported an event until modify() re-arms it (MicroPython's one-shot).
PyObject* poll_ipoll(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("ipoll", nargs, 0, 2)) return nullptr;
    py_poll* p = as_poll(self);
    timeout_type timeout;
    int flags = 0;
    if (!ms_timeout(args, nargs, timeout) || (nargs == 2 && !to_int(args[1], flags)) || !not_running(p))
        return nullptr;
    std::error_code ec;
    p->running = true;
    const auto events = without_gil([&] { return p->poller.ipoll(timeout, flags, ec); });
    p->running = false;
    if (ec) return set_error(self, ec, "ipoll");
    ref list(event_list(p, events));
    if (!list) return nullptr;
    return PyObject_GetIter(list.get());
}

PyMethodDef poll_methods[] = {
    {"register", USOCKET_METHOD(poll_register), METH_FASTCALL,
     "register(obj[, eventmask=POLLIN|POLLOUT]): obj is a socket, an fd or has fileno()"},
    {"modify", USOCKET_METHOD(poll_modify), METH_FASTCALL, "modify(obj, eventmask)"},
    {"unregister", poll_unregister, METH_O, "unregister(obj): KeyError if not registered"},
    {"poll", USOCKET_METHOD(poll_poll), METH_FASTCALL,
     "poll([timeout_ms]) -> [(obj, events), ...]; None or a negative timeout waits without limit"},
    {"ipoll", USOCKET_METHOD(poll_ipoll), METH_FASTCALL,
     "ipoll([timeout_ms[, flags]]) -> iterator of (obj, events); flags=1 is one-shot"},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

PyMethodDef poll_functions[] = {
    {"select", USOCKET_METHOD(py_select), METH_FASTCALL,
     "select(rlist, wlist, xlist[, timeout]) -> (readable, writable, exceptional): the objects that "
     "are ready; timeout in seconds, None waits without limit"},
    {nullptr, nullptr, 0, nullptr},
};

PyTypeObject* make_poll_type(PyObject* module) {
    PyType_Slot slots[] = {
        {Py_tp_doc, const_cast<char*>("poll() -> a poll object (MicroPython's uselect.poll) over usocket::poller")},
        {Py_tp_new, reinterpret_cast<void*>(poll_new)},
        {Py_tp_dealloc, reinterpret_cast<void*>(poll_dealloc)},
        {Py_tp_traverse, reinterpret_cast<void*>(poll_traverse)},
        {Py_tp_clear, reinterpret_cast<void*>(poll_clear)},
        {Py_tp_methods, poll_methods},
        {0, nullptr},
    };
    PyType_Spec spec = {"usocket.poll", sizeof(py_poll), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC, slots};
    return reinterpret_cast<PyTypeObject*>(PyType_FromModuleAndSpec(module, &spec, nullptr));
}

}  // namespace usocket::python
