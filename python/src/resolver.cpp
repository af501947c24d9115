// getaddrinfo() and the module's name functions, over usocket's resolver.

#include <string>

#include "module.hpp"

namespace usocket::python {

namespace {

// getaddrinfo(host, port, family=0, type=0, proto=0, flags=0): host None, str (IDNA) or bytes;
// port None, int, str or bytes. The lookup runs with the GIL released.
PyObject* py_getaddrinfo(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"host", "port", "family", "type", "proto", "flags"};
    PyObject* a[6];
    if (!parse_args("getaddrinfo", args, nargs, kwnames, names, 2, 6, a)) return nullptr;
    int ints[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; ++i)
        if (a[i + 2] != nullptr && !to_int(a[i + 2], ints[i])) return nullptr;

    std::optional<std::string> host;
    if (a[0] != Py_None) {
        ref encoded;
        PyObject* h = a[0];
        if (PyUnicode_Check(h)) {
            encoded = ref(PyUnicode_AsEncodedString(h, "idna", nullptr));
            if (!encoded) return nullptr;
            h = encoded.get();
        }
        if (!PyBytes_Check(h)) {
            PyErr_SetString(PyExc_TypeError, "getaddrinfo() argument 1 must be string or None");
            return nullptr;
        }
        host.emplace(PyBytes_AS_STRING(h), static_cast<std::size_t>(PyBytes_GET_SIZE(h)));
    }
    std::optional<std::string> port;
    PyObject* p = a[1];
    if (PyLong_CheckExact(p) || (PyLong_Check(p) && !PyBool_Check(p))) {
        const long v = PyLong_AsLong(p);
        if (v == -1 && PyErr_Occurred() != nullptr) return nullptr;
        port = std::to_string(v);
    } else if (PyUnicode_Check(p)) {
        const char* s = PyUnicode_AsUTF8(p);
        if (s == nullptr) return nullptr;
        port = s;
    } else if (PyBytes_Check(p)) {
        port.emplace(PyBytes_AS_STRING(p), static_cast<std::size_t>(PyBytes_GET_SIZE(p)));
    } else if (p != Py_None) {
        PyErr_SetString(PyExc_OSError, "Int or String expected");
        return nullptr;
    }

    std::error_code ec;
    const std::vector<addrinfo> list = without_gil([&] {
        std::optional<std::string_view> h, s;
        if (host) h = *host;
        if (port) s = *port;
        return getaddrinfo(h, s, address_family{ints[0]}, usocket::socket_type{ints[1]}, protocol{ints[2]},
                           addrinfo_flags{ints[3]}, ec);
    });
    if (ec) return set_error(ec, "getaddrinfo");
    ref out(PyList_New(static_cast<Py_ssize_t>(list.size())));
    if (!out) return nullptr;
    Py_ssize_t i = 0;
    for (const auto& ai : list) {
        ref addr(from_address(ai.sockaddr));
        if (!addr) return nullptr;
        PyObject* item = Py_BuildValue("(iiis#O)", ai.family, ai.type, ai.proto, ai.canonname.data(),
                                       static_cast<Py_ssize_t>(ai.canonname.size()), addr.get());
        if (item == nullptr) return nullptr;
        PyList_SET_ITEM(out.get(), i++, item);
    }
    return out.release();
}

}  // namespace

#define USOCKET_FAST_KW(f) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(f))

PyMethodDef resolver_functions[] = {
    {"getaddrinfo", USOCKET_FAST_KW(py_getaddrinfo), METH_FASTCALL | METH_KEYWORDS,
     "getaddrinfo(host, port, family=0, type=0, proto=0, flags=0)\n"
     "-> [(family, type, proto, canonname, sockaddr), ...]; sockaddr is a plain (host, port) tuple"},
    {nullptr, nullptr, 0, nullptr},
};

bool init_resolver(PyObject*) { return true; }

}  // namespace usocket::python
