// getaddrinfo() and the module's name functions, over usocket's resolver.

#include <algorithm>
#include <cstring>
#include <string>

#include "module.hpp"

namespace usocket::python {

bool getaddrinfo_args(PyObject* host_obj, PyObject* port_obj, std::optional<std::string>& host,
                      std::optional<std::string>& port) {
    // As CPython's getaddrinfo(), which hands C strings to the resolver: text stops at the first
    // NUL (so "127.0.0.1\0x" is 127.0.0.1).
    const auto c_string = [](const char* p, std::size_t n) { return std::string(p, std::min(n, std::strlen(p))); };
    host.reset();
    port.reset();
    if (PyUnicode_Check(host_obj)) {
        ref encoded(PyUnicode_AsEncodedString(host_obj, "idna", nullptr));
        if (!encoded) return false;
        host = c_string(PyBytes_AS_STRING(encoded.get()), static_cast<std::size_t>(PyBytes_GET_SIZE(encoded.get())));
    } else if (PyBytes_Check(host_obj)) {
        host = c_string(PyBytes_AS_STRING(host_obj), static_cast<std::size_t>(PyBytes_GET_SIZE(host_obj)));
    } else if (host_obj != Py_None) {
        PyErr_SetString(PyExc_TypeError, "getaddrinfo() argument 1 must be string or None");
        return false;
    }
    // The port: exactly an int (a C long, in decimal), str, bytes or None.
    if (PyLong_CheckExact(port_obj)) {
        long v = 0;
        if (!to_long(port_obj, v)) return false;
        port = std::to_string(v);
    } else if (PyUnicode_Check(port_obj)) {
        Py_ssize_t n = 0;
        const char* p = PyUnicode_AsUTF8AndSize(port_obj, &n);
        if (p == nullptr) return false;
        port = c_string(p, static_cast<std::size_t>(n));
    } else if (PyBytes_Check(port_obj)) {
        port = c_string(PyBytes_AS_STRING(port_obj), static_cast<std::size_t>(PyBytes_GET_SIZE(port_obj)));
    } else if (port_obj != Py_None) {
        PyErr_SetString(PyExc_OSError, "Int or String expected");
        return false;
    }
    return true;
}

namespace {

// getaddrinfo(host, port, family=0, type=0, proto=0, flags=0, *, timeout=None): host None, str
// (IDNA) or bytes; port None, int, str or bytes. The lookup runs with the GIL released; a
// timeout (beyond CPython) bounds it: TimeoutError after that many seconds.
PyObject* py_getaddrinfo(PyObject* module, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"host", "port", "family", "type", "proto", "flags", "timeout"};
    PyObject* a[7];
    // timeout is keyword-only: a seventh positional argument gets CPython's error.
    if (!parse_args("getaddrinfo", args, nargs, kwnames, names, 2, nargs > 6 ? 6 : 7, a)) return nullptr;
    int ints[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; ++i)
        if (a[i + 2] != nullptr && !to_int(a[i + 2], ints[i])) return nullptr;
    std::optional<std::string> host, port;
    if (!getaddrinfo_args(a[0], a[1], host, port)) return nullptr;
    timeout_type timeout = blocking;
    if (a[6] != nullptr && !to_timeout(a[6], timeout)) return nullptr;

    std::error_code ec;
    const std::vector<addrinfo> list = without_gil([&] {
        std::optional<std::string_view> h, s;
        if (host) h = *host;
        if (port) s = *port;
        if (timeout)
            return getaddrinfo(h, s, address_family{ints[0]}, usocket::socket_type{ints[1]}, protocol{ints[2]},
                               addrinfo_flags{ints[3]}, timeout, ec);
        return getaddrinfo(h, s, address_family{ints[0]}, usocket::socket_type{ints[1]}, protocol{ints[2]},
                           addrinfo_flags{ints[3]}, ec);
    });
    if (ec) return set_error(module, ec, "getaddrinfo");
    const module_state* state = state_of_module(module);
    ref out(PyList_New(static_cast<Py_ssize_t>(list.size())));
    if (!out) return nullptr;
    Py_ssize_t i = 0;
    for (const auto& ai : list) {
        ref addr(from_address(ai.sockaddr));
        ref family(family_object(state, ai.family));
        ref kind(kind_object(state, ai.type));
        if (!addr || !family || !kind) return nullptr;
        PyObject* item = Py_BuildValue("(OOis#O)", family.get(), kind.get(), static_cast<int>(ai.proto),
                                       ai.canonname.data(), static_cast<Py_ssize_t>(ai.canonname.size()), addr.get());
        if (item == nullptr) return nullptr;
        PyList_SET_ITEM(out.get(), i++, item);
    }
    return out.release();
}

}  // namespace

PyMethodDef resolver_functions[] = {
    {"getaddrinfo", USOCKET_METHOD(py_getaddrinfo), METH_FASTCALL | METH_KEYWORDS,
     "getaddrinfo(host, port, family=0, type=0, proto=0, flags=0, *, timeout=None)\n"
     "-> [(family, type, proto, canonname, sockaddr), ...]; sockaddr is a plain (host, port) tuple;\n"
     "timeout: seconds the whole lookup may take (TimeoutError after)"},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace usocket::python
