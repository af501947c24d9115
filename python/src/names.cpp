// The module's name functions over usocket's resolver and connect helpers: getnameinfo,
// gethostby*, gethostname, getfqdn, getservby*, getprotobyname, inet_*, the byte-order helpers,
// ip_to_tuple, create_connection, create_server. Lookups run with the GIL released.
// (getaddrinfo is in resolver.cpp.)

#include <cerrno>
#include <string>
#include <string_view>

#include "module.hpp"
#include "usocket/connect.hpp"

namespace usocket::python {

namespace {

// A str argument as UTF-8 text (TypeError otherwise).
bool text_arg(PyObject* o, const char* fname, std::string& out) {
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s() argument must be str, not %.100s", fname, Py_TYPE(o)->tp_name);
        return false;
    }
    Py_ssize_t n = 0;
    const char* p = PyUnicode_AsUTF8AndSize(o, &n);
    if (p == nullptr) return false;
    out.assign(p, static_cast<std::size_t>(n));
    return true;
}

// A host name: str (IDNA-encoded, as CPython), bytes or bytearray.
bool name_arg(PyObject* o, const char* fname, std::string& out) {
    ref encoded;
    if (PyUnicode_Check(o)) {
        encoded = ref(PyUnicode_AsEncodedString(o, "idna", nullptr));
        if (!encoded) return false;
        o = encoded.get();
    }
    buffer_arg b;
    if (!PyBytes_Check(o) && !PyByteArray_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s() argument 1 must be str, bytes or bytearray, not %.100s", fname,
                     Py_TYPE(o)->tp_name);
        return false;
    }
    if (!b.get(o, false)) return false;
    out.assign(static_cast<const char*>(b.data()), b.size());
    return true;
}

PyObject* str(const std::string& s) { return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace"); }

PyObject* str_list(const std::vector<std::string>& v) {
    ref out(PyList_New(static_cast<Py_ssize_t>(v.size())));
    if (!out) return nullptr;
    for (std::size_t i = 0; i < v.size(); ++i) {
        PyObject* s = str(v[i]);
        if (s == nullptr) return nullptr;
        PyList_SET_ITEM(out.get(), static_cast<Py_ssize_t>(i), s);
    }
    return out.release();
}

PyObject* host_entry_tuple(const host_entry& h) {
    ref name(str(h.name));
    ref aliases(str_list(h.aliases));
    ref addresses(str_list(h.addresses));
    if (!name || !aliases || !addresses) return nullptr;
    return PyTuple_Pack(3, name.get(), aliases.get(), addresses.get());
}

// A gethostby*() call: the name argument, the lookup with the GIL released, the result.
template <class Lookup, class Convert>
PyObject* host_lookup(PyObject* arg, const char* fname, Lookup lookup, Convert convert) {
    std::string name;
    if (!name_arg(arg, fname, name)) return nullptr;
    std::error_code ec;
    const auto result = without_gil([&] { return lookup(name, ec); });
    if (ec) return set_error(ec, fname);
    return convert(result);
}

PyObject* py_gethostbyname(PyObject*, PyObject* arg) {
    return host_lookup(
        arg, "gethostbyname", [](const std::string& n, std::error_code& ec) { return gethostbyname(n, ec); }, str);
}

PyObject* py_gethostbyname_ex(PyObject*, PyObject* arg) {
    return host_lookup(
        arg, "gethostbyname_ex", [](const std::string& n, std::error_code& ec) { return gethostbyname_ex(n, ec); },
        host_entry_tuple);
}

PyObject* py_gethostbyaddr(PyObject*, PyObject* arg) {
    return host_lookup(
        arg, "gethostbyaddr", [](const std::string& n, std::error_code& ec) { return gethostbyaddr(n, ec); },
        host_entry_tuple);
}

PyObject* py_gethostname(PyObject*, PyObject*) {
    std::error_code ec;
    const std::string name = gethostname(ec);
    if (ec) return set_error(ec, "gethostname");
    return str(name);
}

PyObject* py_getfqdn(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("getfqdn", nargs, 0, 1)) return nullptr;
    std::string name;
    if (nargs == 1 && !text_arg(args[0], "getfqdn", name)) return nullptr;
    const std::string fqdn = without_gil([&] { return getfqdn(name); });
    return str(fqdn);
}

// getnameinfo((host, port[, flowinfo[, scope_id]]), flags) -> (host, service); the host must
// be numeric, as CPython's.
PyObject* py_getnameinfo(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("getnameinfo", nargs, 2, 2)) return nullptr;
    if (!PyTuple_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "getnameinfo() argument 1 must be a tuple");
        return nullptr;
    }
    int flags = 0;
    if (!to_int(args[1], flags)) return nullptr;
    PyObject* t = args[0];
    const Py_ssize_t n = PyTuple_GET_SIZE(t);
    const char* host = nullptr;
    int port = 0;
    unsigned int flowinfo = 0, scope_id = 0;
    if (!PyArg_ParseTuple(t, "si|II;getnameinfo(): illegal sockaddr argument", &host, &port, &flowinfo, &scope_id))
        return nullptr;
    if (flowinfo > 0xfffff) {
        PyErr_SetString(PyExc_OverflowError, "getnameinfo(): flowinfo must be 0-1048575.");
        return nullptr;
    }
    std::error_code ec;
    address a = address::ipv4(host, port, ec);
    if (ec) {
        ec.clear();
        a = address::ipv6(host, port, flowinfo, scope_id, ec);
    } else if (n > 2) {
        PyErr_SetString(PyExc_OSError, "IPv4 sockaddr must be 2 tuple");
        return nullptr;
    }
    if (ec) {
        // As CPython, whose lookup is getaddrinfo(AI_NUMERICHOST): a name is EAI_NONAME.
        return set_error(std::error_code(eai_noname, gai_category()), "getnameinfo");
    }
    const nameinfo r = without_gil([&] { return getnameinfo(a, nameinfo_flags{flags}, ec); });
    if (ec) return set_error(ec, "getnameinfo");
    ref h(str(r.host));
    ref s(str(r.service));
    if (!h || !s) return nullptr;
    return PyTuple_Pack(2, h.get(), s.get());
}

// The optional protocol name of getservby*: None or a str.
bool proto_arg(PyObject* const* args, Py_ssize_t nargs, const char* fname, std::string& proto) {
    if (nargs < 2 || args[1] == Py_None) return true;
    return text_arg(args[1], fname, proto);
}

PyObject* py_getservbyname(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("getservbyname", nargs, 1, 2)) return nullptr;
    std::string name, proto;
    if (!text_arg(args[0], "getservbyname", name) || !proto_arg(args, nargs, "getservbyname", proto)) return nullptr;
    std::error_code ec;
    const int port = getservbyname(name, proto, ec);
    if (ec) return set_error(ec, "getservbyname");
    return PyLong_FromLong(port);
}

PyObject* py_getservbyport(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("getservbyport", nargs, 1, 2)) return nullptr;
    int port = 0;
    std::string proto;
    if (!to_int(args[0], port)) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return nullptr;
        PyErr_Clear();
        port = -1;
    }
    if (!proto_arg(args, nargs, "getservbyport", proto)) return nullptr;
    if (port < 0 || port > 65535) {
        PyErr_SetString(PyExc_OverflowError, "getservbyport: port must be 0-65535.");
        return nullptr;
    }
    std::error_code ec;
    const std::string name = getservbyport(port, proto, ec);
    if (ec) return set_error(ec, "getservbyport");
    return str(name);
}

PyObject* py_getprotobyname(PyObject*, PyObject* arg) {
    std::string name;
    if (!text_arg(arg, "getprotobyname", name)) return nullptr;
    std::error_code ec;
    const int proto = getprotobyname(name, ec);
    if (ec) return set_error(ec, "getprotobyname");
    return PyLong_FromLong(proto);
}

// The inet_* conversions raise what CPython raises: OSError with its messages for text that is
// not an address, ValueError for packed bytes of the wrong length.
PyObject* inet_error(const std::error_code& ec, const char* what, const char* bad_text_message) {
    if (ec == errc::bad_address) {
        PyErr_SetString(PyExc_OSError, bad_text_message);
        return nullptr;
    }
    return set_error(ec, what);
}

PyObject* bytes(const std::string& s) { return PyBytes_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size())); }

PyObject* py_inet_pton(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("inet_pton", nargs, 2, 2)) return nullptr;
    int family = 0;
    std::string text;
    if (!to_int(args[0], family) || !text_arg(args[1], "inet_pton", text)) return nullptr;
    std::error_code ec;
    const std::string packed = inet_pton(address_family{family}, text, ec);
    if (ec) return inet_error(ec, "inet_pton", "illegal IP address string passed to inet_pton");
    return bytes(packed);
}

PyObject* py_inet_ntop(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("inet_ntop", nargs, 2, 2)) return nullptr;
    int family = 0;
    buffer_arg packed;
    if (!to_int(args[0], family) || !packed.get(args[1], false)) return nullptr;
    if (family != af_inet && family != af_inet6) {
        PyErr_SetString(PyExc_ValueError, "unknown address family");
        return nullptr;
    }
    std::error_code ec;
    const std::string text =
        inet_ntop(address_family{family}, std::string_view(static_cast<const char*>(packed.data()), packed.size()), ec);
    if (ec == errc::bad_address) {
        PyErr_SetString(PyExc_ValueError, "invalid length of packed IP address string");
        return nullptr;
    }
    if (ec) return set_error(ec, "inet_ntop");
    return str(text);
}

PyObject* py_inet_aton(PyObject*, PyObject* arg) {
    std::string text;
    if (!text_arg(arg, "inet_aton", text)) return nullptr;
    std::error_code ec;
    const std::string packed = inet_aton(text, ec);
    if (ec) return inet_error(ec, "inet_aton", "illegal IP address string passed to inet_aton");
    return bytes(packed);
}

PyObject* py_inet_ntoa(PyObject*, PyObject* arg) {
    buffer_arg packed;
    if (!packed.get(arg, false)) return nullptr;
    std::error_code ec;
    const std::string text = inet_ntoa(std::string_view(static_cast<const char*>(packed.data()), packed.size()), ec);
    if (ec) return inet_error(ec, "inet_ntoa", "packed IP wrong length for inet_ntoa");
    return str(text);
}

// The byte-order helpers, with CPython's range errors.
bool unsigned_bits(PyObject* o, const char* fname, int bits, unsigned long& out) {
    if (!PyLong_Check(o)) {
        PyErr_Format(PyExc_TypeError, "expected int, %.200s found", Py_TYPE(o)->tp_name);
        return false;
    }
    const long long v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred() != nullptr) {
        if (!PyErr_ExceptionMatches(PyExc_OverflowError)) return false;
        PyErr_Clear();
    } else if (v >= 0 && static_cast<unsigned long long>(v) <= (bits == 16 ? 0xffffULL : 0xffffffffULL)) {
        out = static_cast<unsigned long>(v);
        return true;
    }
    if (bits == 32)
        PyErr_SetString(PyExc_OverflowError, v < 0 ? "can't convert negative value to unsigned int"
                                                   : "int larger than 32 bits");
    else
        PyErr_Format(PyExc_OverflowError, "%s: %s to C 16-bit unsigned integer", fname,
                     v < 0 ? "can't convert negative Python int" : "Python int too large to convert");
    return false;
}

// htons/ntohs (16 bits) and htonl/ntohl (32 bits).
template <int Bits, const char* Name>
PyObject* byte_order(PyObject*, PyObject* arg) {
    unsigned long v = 0;
    if (!unsigned_bits(arg, Name, Bits, v)) return nullptr;
    if constexpr (Bits == 16) return PyLong_FromUnsignedLong((usocket::htons)(static_cast<std::uint16_t>(v)));
    else return PyLong_FromUnsignedLong((usocket::htonl)(static_cast<std::uint32_t>(v)));
}
// (A swap is its own inverse: ntohs is htons, ntohl is htonl.)
constexpr char htons_name[] = "htons", ntohs_name[] = "ntohs", htonl_name[] = "htonl", ntohl_name[] = "ntohl";

// ip_to_tuple("x.y.z.w") -> (x, y, z, w) (seed 002).
PyObject* py_ip_to_tuple(PyObject*, PyObject* arg) {
    std::string text;
    if (!text_arg(arg, "ip_to_tuple", text)) return nullptr;
    std::error_code ec;
    const auto v = ip_to_tuple(text, ec);
    if (ec) {
        PyErr_Format(PyExc_ValueError, "ip_to_tuple(): not an IPv4 address of the form x.y.z.w: %R", arg);
        return nullptr;
    }
    return Py_BuildValue("(iiii)", v[0], v[1], v[2], v[3]);
}

// The (host, port) of create_connection/create_server.
bool host_port(PyObject* o, const char* fname, std::string& host, int& port) {
    const char* h = nullptr;
    PyObject* p = nullptr;
    if (!PyTuple_Check(o) || !PyArg_ParseTuple(o, "zO", &h, &p)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s(): address must be a tuple (host, port)", fname);
        return false;
    }
    host = h != nullptr ? h : "";
    if (!to_int(p, port) || port < 0 || port > 65535) {
        PyErr_Clear();
        PyErr_Format(PyExc_OverflowError, "%s(): port must be 0-65535.", fname);
        return false;
    }
    return true;
}

// The error create_connection(all_errors=True) raises: an ExceptionGroup of every attempt's
// OSError, as CPython 3.11.
PyObject* raise_all_errors(const std::vector<attempt_error>& errors, const std::error_code& last) {
    ref list(PyList_New(0));
    if (!list) return nullptr;
    for (const auto& e : errors) {
        set_error(e.code, "create_connection");
        PyObject *type, *value, *tb;
        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        ref t(type), v(value), b(tb);
        if (!v || PyList_Append(list.get(), v.get()) < 0) return nullptr;
    }
    if (PyList_GET_SIZE(list.get()) == 0) return set_error(last, "create_connection");
    ref group(PyObject_CallFunction(PyExc_BaseExceptionGroup, "sO", "create_connection failed", list.get()));
    if (group) PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(group.get())), group.get());
    return nullptr;
}

// create_connection(address, timeout=<default>, source_address=None, *, all_errors=False)
PyObject* py_create_connection(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"address", "timeout", "source_address", "all_errors"};
    PyObject* a[4];
    if (!check_nargs("create_connection", nargs, 1, 3)) return nullptr;  // all_errors is keyword-only
    if (!parse_args("create_connection", args, nargs, kwnames, names, 1, 4, a)) return nullptr;
    std::string host;
    int port = 0;
    if (!host_port(a[0], "create_connection", host, port)) return nullptr;
    connection_options options;  // the timeout starts as getdefaulttimeout()
    if (a[1] != nullptr && !to_timeout(a[1], options.timeout)) return nullptr;
    if (a[2] != nullptr && a[2] != Py_None) {
        std::string src_host;
        int src_port = 0;
        if (!host_port(a[2], "create_connection", src_host, src_port)) return nullptr;
        std::error_code ec;
        options.source_address = without_gil([&] { return resolve_address(src_host, src_port, af_unspec, ec); });
        if (ec) return set_error(ec, "create_connection");
    }
    if (a[3] != nullptr) {
        const int flag = PyObject_IsTrue(a[3]);
        if (flag < 0) return nullptr;
        options.all_errors = flag != 0;
    }
    std::error_code ec;
    std::vector<attempt_error> errors;
    usocket::socket s = without_gil([&] { return create_connection(host, port, options, ec, &errors); });
    if (ec) {
        if (ec.value() == EINTR && PyErr_Occurred() != nullptr) return nullptr;
        if (options.all_errors) return raise_all_errors(errors, ec);
        return set_error(ec, "create_connection");
    }
    return wrap_socket(std::move(s));
}

// create_server(address, *, family=AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False)
PyObject* py_create_server(PyObject*, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"address", "family", "backlog", "reuse_port", "dualstack_ipv6"};
    PyObject* a[5];
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError, "create_server() takes 1 positional argument but %zd were given", nargs);
        return nullptr;
    }
    if (!parse_args("create_server", args, nargs, kwnames, names, 1, 5, a)) return nullptr;
    server_options options;
    if (a[1] != nullptr) {
        int family = 0;
        if (!to_int(a[1], family)) return nullptr;
        options.family = address_family{family};
    }
    if (a[2] != nullptr && a[2] != Py_None) {
        int backlog = 0;
        if (!to_int(a[2], backlog)) return nullptr;
        options.backlog = backlog;
    }
    for (int i = 3; i < 5; ++i) {
        if (a[i] == nullptr) continue;
        const int flag = PyObject_IsTrue(a[i]);
        if (flag < 0) return nullptr;
        (i == 3 ? options.reuse_port : options.dualstack_ipv6) = flag != 0;
    }
    std::error_code ec;
    usocket::socket s;
    if (options.family == af_unix) {
        address local;
        if (!to_address(a[0], af_unix, "create_server", false, local)) return nullptr;
        s = create_server(local, options, ec);
    } else {
        std::string host;
        int port = 0;
        if (!host_port(a[0], "create_server", host, port)) return nullptr;
        s = without_gil([&] { return create_server(host, port, options, ec); });
    }
    if (ec) return set_error(ec, "create_server");
    return wrap_socket(std::move(s));
}

PyObject* py_has_dualstack_ipv6(PyObject*, PyObject*) { return PyBool_FromLong(has_dualstack_ipv6()); }

#define USOCKET_CAST(f) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(f))

}  // namespace

PyMethodDef name_functions[] = {
    {"gethostbyname", py_gethostbyname, METH_O, "gethostbyname(name) -> 'a.b.c.d'"},
    {"gethostbyname_ex", py_gethostbyname_ex, METH_O, "gethostbyname_ex(name) -> (name, aliases, addresses)"},
    {"gethostbyaddr", py_gethostbyaddr, METH_O, "gethostbyaddr(ip) -> (name, aliases, addresses)"},
    {"gethostname", py_gethostname, METH_NOARGS, "gethostname() -> this machine's host name"},
    {"getfqdn", USOCKET_CAST(py_getfqdn), METH_FASTCALL, "getfqdn([name]) -> a fully qualified name"},
    {"getnameinfo", USOCKET_CAST(py_getnameinfo), METH_FASTCALL,
     "getnameinfo((host, port[, flowinfo, scope_id]), flags) -> (host, service)"},
    {"getservbyname", USOCKET_CAST(py_getservbyname), METH_FASTCALL, "getservbyname(name[, proto]) -> port"},
    {"getservbyport", USOCKET_CAST(py_getservbyport), METH_FASTCALL, "getservbyport(port[, proto]) -> name"},
    {"getprotobyname", py_getprotobyname, METH_O, "getprotobyname(name) -> number"},
    {"inet_pton", USOCKET_CAST(py_inet_pton), METH_FASTCALL, "inet_pton(family, text) -> packed bytes"},
    {"inet_ntop", USOCKET_CAST(py_inet_ntop), METH_FASTCALL, "inet_ntop(family, packed) -> text"},
    {"inet_aton", py_inet_aton, METH_O, "inet_aton(text) -> 4 packed bytes"},
    {"inet_ntoa", py_inet_ntoa, METH_O, "inet_ntoa(packed) -> 'a.b.c.d'"},
    {"htons", byte_order<16, htons_name>, METH_O, "htons(x): 16-bit host to network byte order"},
    {"ntohs", byte_order<16, ntohs_name>, METH_O, "ntohs(x): 16-bit network to host byte order"},
    {"htonl", byte_order<32, htonl_name>, METH_O, "htonl(x): 32-bit host to network byte order"},
    {"ntohl", byte_order<32, ntohl_name>, METH_O, "ntohl(x): 32-bit network to host byte order"},
    {"ip_to_tuple", py_ip_to_tuple, METH_O, "ip_to_tuple('x.y.z.w') -> (x, y, z, w)"},
    {"create_connection", USOCKET_CAST(py_create_connection), METH_FASTCALL | METH_KEYWORDS,
     "create_connection(address, timeout=getdefaulttimeout(), source_address=None, *, all_errors=False) "
     "-> a connected socket (every address tried under one deadline)"},
    {"create_server", USOCKET_CAST(py_create_server), METH_FASTCALL | METH_KEYWORDS,
     "create_server(address, *, family=AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False) "
     "-> a listening socket"},
    {"has_dualstack_ipv6", py_has_dualstack_ipv6, METH_NOARGS, "has_dualstack_ipv6() -> bool"},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace usocket::python
