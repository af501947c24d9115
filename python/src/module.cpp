// The module usocket._usocket (re-exported by the package usocket): its initialisation, the
// constants (every entry of usocket::constant_table()), the exception classes, and the
// module-level functions that are not name resolution.

#include <cerrno>
#include <climits>
#include <sstream>
#include <string>
#include <string_view>

#include "module.hpp"

namespace usocket::python {

namespace {

PyObject* py_getdefaulttimeout(PyObject*, PyObject*) { return from_timeout(getdefaulttimeout()); }

PyObject* py_setdefaulttimeout(PyObject*, PyObject* arg) {
    timeout_type t;
    if (!to_timeout(arg, t)) return nullptr;
    std::error_code ec;
    setdefaulttimeout(t, ec);
    if (ec) return set_error(ec, "setdefaulttimeout");
    Py_RETURN_NONE;
}

PyObject* pair_result(std::pair<usocket::socket, usocket::socket>&& p) {
    ref a(wrap_socket(std::move(p.first)));
    ref b(wrap_socket(std::move(p.second)));
    if (!a || !b) return nullptr;
    return PyTuple_Pack(2, a.get(), b.get());
}

// socketpair(family=AF_UNIX, type=SOCK_STREAM, proto=0): the arguments converted in order, as
// CPython's "|iii" (family None is AF_UNIX, as socket.py's).
PyObject* py_socketpair(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"family", "type", "proto"};
    PyObject* a[3];
    if (!parse_args("socketpair", args, nargs, kwnames, names, 0, 3, a)) return nullptr;
    int v[3] = {af_unix, sock_stream, 0};
    for (int i = 0; i < 3; ++i)
        if (a[i] != nullptr && !(i == 0 && a[i] == Py_None) && !to_int(a[i], v[i])) return nullptr;
    std::error_code ec;
    auto p = socketpair(v[0], v[1], v[2], ec);
    if (ec) return set_error(ec, "socketpair");
    return pair_result(std::move(p));
}

// fromfd(fd, family, type, proto=0): a socket on a duplicate of fd. As CPython's, which is
// dup(fd) then socket(family, type, proto, fileno=): the descriptor is checked first (EBADF;
// a number past a C int cannot be one), then the other arguments, and a descriptor that is
// not a socket is ENOTSOCK.
PyObject* py_fromfd(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("fromfd", nargs, 3, 4)) return nullptr;
    long fd = 0;
    if (!to_long(args[0], fd)) return nullptr;
    if (fd < 0 || fd > INT_MAX) return set_errno(EBADF);
    std::error_code ec;
    usocket::socket s = fromfd(static_cast<int>(fd), 0, 0, 0, ec);
    if (ec) return set_error(ec, "fromfd");
    int v[3] = {0, 0, 0};
    for (Py_ssize_t i = 1; i < nargs; ++i)
        if (!to_int(args[i], v[i - 1])) return nullptr;
    s.getsockopt(sol_socket, so_type, ec);
    if (!ec) s = fromfd(s.fileno(), v[0], v[1], v[2], ec);
    if (ec) return set_error(ec, "fromfd");
    return wrap_socket(std::move(s));
}

// print_pcbs(): the library's list of open sockets and their state, to sys.stdout.
PyObject* py_print_pcbs(PyObject*, PyObject*) {
    std::ostringstream text;
    usocket::print_pcbs(text);
    const std::string out = text.str();
    ref line(PyUnicode_DecodeUTF8(out.data(), static_cast<Py_ssize_t>(out.size()), "replace"));
    if (!line) return nullptr;
    PyObject* stdout_file = PySys_GetObject("stdout");  // borrowed
    if (stdout_file == nullptr || stdout_file == Py_None) Py_RETURN_NONE;
    if (PyFile_WriteObject(line.get(), stdout_file, Py_PRINT_RAW) < 0) return nullptr;
    Py_RETURN_NONE;
}

// reset(): shuts every open socket down, so blocked calls return and peers see the end.
PyObject* py_reset(PyObject*, PyObject*) {
    without_gil([] { usocket::reset(); });
    Py_RETURN_NONE;
}

PyObject* py_callback(PyObject*, PyObject*, PyObject*) {
    PyErr_SetString(PyExc_NotImplementedError,
                    "callback() is undocumented (\"TBD\" in the lwIP port's documentation)");
    return nullptr;
}

#define USOCKET_CAST(f) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(f))

PyMethodDef module_functions[] = {
    {"getdefaulttimeout", py_getdefaulttimeout, METH_NOARGS,
     "getdefaulttimeout() -> the timeout new sockets start with (None or seconds)"},
    {"setdefaulttimeout", py_setdefaulttimeout, METH_O, "setdefaulttimeout(seconds or None)"},
    {"socketpair", USOCKET_CAST(py_socketpair), METH_FASTCALL | METH_KEYWORDS,
     "socketpair(family=AF_UNIX, type=SOCK_STREAM, proto=0) -> (socket, socket)"},
    {"fromfd", USOCKET_CAST(py_fromfd), METH_FASTCALL, "fromfd(fd, family, type, proto=0) -> socket on dup(fd)"},
    {"print_pcbs", py_print_pcbs, METH_NOARGS, "print_pcbs(): prints every open socket, its state and addresses"},
    {"reset", py_reset, METH_NOARGS, "reset(): shuts every open socket down (blocked calls return)"},
    {"callback", USOCKET_CAST(py_callback), METH_VARARGS | METH_KEYWORDS, "callback(): not documented by the seeds"},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "usocket._usocket",
    "The socket module of embedded Python platforms (MicroPython usocket, lwIP, Zerynth), over\n"
    "the C++ library usocket. Import it as `import usocket as socket`.",
    -1,
    module_functions,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
};

bool add_object(PyObject* m, const char* name, PyObject* o) {
    // PyModule_AddObject steals only on success.
    if (o == nullptr) return false;
    if (PyModule_AddObject(m, name, o) < 0) {
        Py_DECREF(o);
        return false;
    }
    return true;
}

bool init_module(PyObject* m) {
    if (!init_socket_type()) return false;
    if (!add_object(m, "socket", Py_NewRef(&socket_type))) return false;
    if (!add_object(m, "SocketType", Py_NewRef(&socket_type))) return false;
    if (!add_object(m, "error", Py_NewRef(PyExc_OSError))) return false;
    if (!add_object(m, "timeout", Py_NewRef(PyExc_TimeoutError))) return false;
    gaierror_type = PyErr_NewExceptionWithDoc(
        "usocket.gaierror", "Address-resolution error: errno is the negative EAI code.", PyExc_OSError, nullptr);
    if (!add_object(m, "gaierror", Py_XNewRef(gaierror_type))) return false;
    herror_type = PyErr_NewExceptionWithDoc("usocket.herror", "Legacy resolver (h_errno) error.", PyExc_OSError,
                                            nullptr);
    if (!add_object(m, "herror", Py_XNewRef(herror_type))) return false;

    for (const auto& c : constant_table()) {
        const std::string name(c.name);
        if (PyModule_AddIntConstant(m, name.c_str(), c.value) < 0) return false;
    }
    if (!add_object(m, "has_ipv6", PyBool_FromLong(has_ipv6()))) return false;

    if (PyModule_AddFunctions(m, resolver_functions) < 0 || !init_resolver(m)) return false;
    if (PyModule_AddFunctions(m, name_functions) < 0) return false;
    if (PyModule_AddFunctions(m, poll_functions) < 0 || !init_poll(m)) return false;
    set_interrupt_check(check_signals);
    return true;
}

}  // namespace

}  // namespace usocket::python

PyMODINIT_FUNC PyInit__usocket() {
    PyObject* m = PyModule_Create(&usocket::python::module_def);
    if (m == nullptr) return nullptr;
    if (!usocket::python::init_module(m)) {
        Py_DECREF(m);
        return nullptr;
    }
    return m;
}
