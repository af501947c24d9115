// The module usocket._usocket (re-exported by the package usocket): its multi-phase
// initialisation (PEP 489) and state, the constants (every entry of usocket::constant_table()),
// the exception classes, and the module-level functions that are not name resolution.

#include <cerrno>
#include <climits>
#include <sstream>
#include <string>
#include <string_view>

#include "module.hpp"
#include "usocket/poller.hpp"

namespace usocket::python {

namespace {

PyObject* py_getdefaulttimeout(PyObject*, PyObject*) { return from_timeout(getdefaulttimeout()); }

PyObject* py_setdefaulttimeout(PyObject* module, PyObject* arg) {
    timeout_type t;
    if (!to_timeout(arg, t)) return nullptr;
    std::error_code ec;
    setdefaulttimeout(t, ec);
    if (ec) return set_error(module, ec, "setdefaulttimeout");
    Py_RETURN_NONE;
}

PyObject* pair_result(const module_state* state, std::pair<usocket::socket, usocket::socket>&& p) {
    ref a(wrap_socket(state, std::move(p.first)));
    ref b(wrap_socket(state, std::move(p.second)));
    if (!a || !b) return nullptr;
    return PyTuple_Pack(2, a.get(), b.get());
}

// socketpair(family=AF_UNIX, type=SOCK_STREAM, proto=0): the arguments converted in order, as
// CPython's "|iii" (family None is AF_UNIX, as socket.py's).
PyObject* py_socketpair(PyObject* module, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"family", "type", "proto"};
    PyObject* a[3];
    if (!parse_args("socketpair", args, nargs, kwnames, names, 0, 3, a)) return nullptr;
    int v[3] = {af_unix, sock_stream, 0};
    for (int i = 0; i < 3; ++i)
        if (a[i] != nullptr && !(i == 0 && a[i] == Py_None) && !to_int(a[i], v[i])) return nullptr;
    std::error_code ec;
    auto p = socketpair(address_family{v[0]}, usocket::socket_type{v[1]}, protocol{v[2]}, ec);
    if (ec) return set_error(module, ec, "socketpair");
    return pair_result(state_of_module(module), std::move(p));
}

// fromfd(fd, family, type, proto=0): a socket on a duplicate of fd. As CPython's, which is
// dup(fd) then socket(family, type, proto, fileno=): the descriptor is checked first (EBADF;
// a number past a C int cannot be one), then the other arguments, and a descriptor that is
// not a socket is ENOTSOCK.
PyObject* py_fromfd(PyObject* module, PyObject* const* argv, Py_ssize_t nargs, PyObject* kwnames) {
    // A Python function in CPython: its arguments bind (by position or name) before any check.
    static const char* const names[] = {"fd", "family", "type", "proto"};
    PyObject* args[4];
    if (!parse_args("fromfd", argv, nargs, kwnames, names, 3, 4, args)) return nullptr;
    long fd = 0;
    if (!to_long(args[0], fd)) return nullptr;
    if (fd < 0 || fd > INT_MAX) return set_errno(EBADF);
    std::error_code ec;
    usocket::socket s = fromfd(static_cast<int>(fd), address_family{}, usocket::socket_type{}, protocol{}, ec);
    // A descriptor that is no socket (a pipe, a file...) is ENOTSOCK after the arguments' errors.
    if (ec && ec != std::errc::not_a_socket) return set_error(module, ec, "fromfd");
    const std::error_code not_socket = ec;
    int v[3] = {0, 0, 0};
    for (Py_ssize_t i = 1; i < 4; ++i)
        if (args[i] != nullptr && !to_int(args[i], v[i - 1])) return nullptr;
    if (not_socket) return set_error(module, not_socket, "fromfd");
    s = fromfd(s.fileno(), address_family{v[0]}, usocket::socket_type{v[1]}, protocol{v[2]}, ec);
    if (ec) return set_error(module, ec, "fromfd");
    return wrap_socket(state_of_module(module), std::move(s));
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

PyMethodDef module_functions[] = {
    {"getdefaulttimeout", py_getdefaulttimeout, METH_NOARGS,
     "getdefaulttimeout() -> the timeout new sockets start with (None or seconds)"},
    {"setdefaulttimeout", py_setdefaulttimeout, METH_O, "setdefaulttimeout(seconds or None)"},
    {"socketpair", USOCKET_METHOD(py_socketpair), METH_FASTCALL | METH_KEYWORDS,
     "socketpair(family=AF_UNIX, type=SOCK_STREAM, proto=0) -> (socket, socket)"},
    {"fromfd", USOCKET_METHOD(py_fromfd), METH_FASTCALL | METH_KEYWORDS, "fromfd(fd, family, type, proto=0) -> socket on dup(fd)"},
    {"print_pcbs", py_print_pcbs, METH_NOARGS, "print_pcbs(): prints every open socket, its state and addresses"},
    {"reset", py_reset, METH_NOARGS, "reset(): shuts every open socket down (blocked calls return)"},
    {"callback", USOCKET_METHOD(py_callback), METH_VARARGS | METH_KEYWORDS, "callback(): not documented by the seeds"},
    {nullptr, nullptr, 0, nullptr},
};

// PyModule_AddObjectRef() of a new reference (null when its creation failed).
bool add_new(PyObject* m, const char* name, PyObject* o) {
    ref owned(o);
    return owned && PyModule_AddObjectRef(m, name, owned.get()) == 0;
}

// The exec slot: fills a new module object (one per interpreter that imports the module).
int module_exec(PyObject* m) {
    module_state* state = state_of_module(m);
    state->socket_type = make_socket_type(m);
    if (state->socket_type == nullptr) return -1;
    PyObject* type = reinterpret_cast<PyObject*>(state->socket_type);
    if (PyModule_AddObjectRef(m, "socket", type) < 0 || PyModule_AddObjectRef(m, "SocketType", type) < 0) return -1;
    state->poll_type = make_poll_type(m);
    if (state->poll_type == nullptr) return -1;
    if (ref selector_type(reinterpret_cast<PyObject*>(make_selector_type(m))); !selector_type) return -1;
    if (PyModule_AddObjectRef(m, "poll", reinterpret_cast<PyObject*>(state->poll_type)) < 0 ||
        PyModule_AddObjectRef(m, "error", PyExc_OSError) < 0 ||
        PyModule_AddObjectRef(m, "timeout", PyExc_TimeoutError) < 0)
        return -1;
    state->gaierror = PyErr_NewExceptionWithDoc(
        "usocket.gaierror", "Address-resolution error: errno is the negative EAI code.", PyExc_OSError, nullptr);
    if (state->gaierror == nullptr || PyModule_AddObjectRef(m, "gaierror", state->gaierror) < 0) return -1;
    state->herror = PyErr_NewExceptionWithDoc("usocket.herror", "Legacy resolver (h_errno) error.", PyExc_OSError,
                                              nullptr);
    if (state->herror == nullptr || PyModule_AddObjectRef(m, "herror", state->herror) < 0) return -1;

    for (const auto& c : constant_table()) {
        const std::string name(c.name);
        if (PyModule_AddIntConstant(m, name.c_str(), c.value) < 0) return -1;
    }
    if (PyModule_AddIntConstant(m, "IPOLL_ONESHOT", ipoll_oneshot) < 0) return -1;
    if (!add_new(m, "has_ipv6", PyBool_FromLong(has_ipv6()))) return -1;
    if (PyModule_AddFunctions(m, resolver_functions) < 0 || PyModule_AddFunctions(m, name_functions) < 0 ||
        PyModule_AddFunctions(m, poll_functions) < 0 || PyModule_AddFunctions(m, dialect_functions) < 0 ||
        PyModule_AddFunctions(m, message_functions) < 0 || PyModule_AddFunctions(m, system_functions) < 0 ||
        PyModule_AddFunctions(m, extra_functions) < 0 || extras_exec(m, state) < 0 ||
        !add_tls(m))
        return -1;
    set_interrupt_check(check_signals);  // the library's, process-wide (the same function for every module)
    return 0;
}

int module_traverse(PyObject* m, visitproc visit, void* arg) {
    module_state* state = state_of_module(m);
    Py_VISIT(state->socket_type);
    Py_VISIT(state->poll_type);
    Py_VISIT(state->gaierror);
    Py_VISIT(state->herror);
    for (PyObject* o : state->tls) Py_VISIT(o);
    Py_VISIT(state->giveup_on_sendfile);
    Py_VISIT(state->family_members);
    Py_VISIT(state->kind_members);
    return 0;
}

int module_clear(PyObject* m) {
    module_state* state = state_of_module(m);
    Py_CLEAR(state->socket_type);
    Py_CLEAR(state->poll_type);
    Py_CLEAR(state->gaierror);
    Py_CLEAR(state->herror);
    for (PyObject*& o : state->tls) Py_CLEAR(o);
    Py_CLEAR(state->giveup_on_sendfile);
    Py_CLEAR(state->family_members);
    Py_CLEAR(state->kind_members);
    return 0;
}

void module_free(void* m) { module_clear(static_cast<PyObject*>(m)); }

PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, reinterpret_cast<void*>(module_exec)},
    {0, nullptr},
};

}  // namespace

PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "usocket._usocket",
    "The socket module of embedded Python platforms (MicroPython usocket, lwIP, Zerynth), over\n"
    "the C++ library usocket. Import it as `import usocket as socket`.",
    sizeof(module_state),
    module_functions,
    module_slots,
    module_traverse,
    module_clear,
    module_free,
};

module_state* state_of_type(PyTypeObject* type) noexcept {
    // The defining module of the type or of the first base that has one (a Python subclass of
    // socket has none of its own).
    PyObject* module = PyType_GetModuleByDef(type, &module_def);
    if (module == nullptr) {
        PyErr_Clear();
        return nullptr;
    }
    return state_of_module(module);
}

}  // namespace usocket::python

PyMODINIT_FUNC PyInit__usocket() { return PyModuleDef_Init(&usocket::python::module_def); }
