// The module's name functions over usocket's resolver and connect helpers: getnameinfo,
// gethostby*, gethostname, getfqdn, getservby*, getprotobyname, inet_*, the byte-order helpers,
// ip_to_tuple, create_connection, create_server. Lookups run with the GIL released.
// (getaddrinfo is in resolver.cpp.)

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <string_view>

#include "module.hpp"
#include "usocket/connect.hpp"

namespace usocket::python {

namespace {

// A str argument as CPython's "s" format: UTF-8 text, TypeError for another type, ValueError
// for an embedded NUL.
bool text_arg(PyObject* o, const char* fname, std::string& out) {
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s() argument must be str, not %.100s", fname, Py_TYPE(o)->tp_name);
        return false;
    }
    Py_ssize_t n = 0;
    const char* p = PyUnicode_AsUTF8AndSize(o, &n);
    if (p == nullptr) return false;
    out.assign(p, static_cast<std::size_t>(n));
    if (out.find('\0') != std::string::npos) {
        PyErr_SetString(PyExc_ValueError, "embedded null character");
        return false;
    }
    return true;
}

// A host name as CPython's "et" format with the "idna" codec: str is IDNA-encoded (its
// UnicodeError stands), bytes and bytearray are taken as they are; TypeError for another
// type or a NUL.
bool name_arg(PyObject* o, const char* fname, std::string& out) {
    PyObject* const given = o;  // the NUL error names the type passed, not its encoding
    ref encoded;
    if (PyUnicode_Check(o)) {
        encoded = ref(PyUnicode_AsEncodedString(o, "idna", nullptr));
        if (!encoded) return false;
        o = encoded.get();
    }
    if (PyBytes_Check(o)) {
        out.assign(PyBytes_AS_STRING(o), static_cast<std::size_t>(PyBytes_GET_SIZE(o)));
    } else if (PyByteArray_Check(o)) {
        out.assign(PyByteArray_AS_STRING(o), static_cast<std::size_t>(PyByteArray_GET_SIZE(o)));
    } else {
        PyErr_Format(PyExc_TypeError, "%s() argument 1 must be str, bytes or bytearray, not %.100s", fname,
                     Py_TYPE(o)->tp_name);
        return false;
    }
    if (out.find('\0') != std::string::npos) {
        PyErr_Format(PyExc_TypeError, "%s() argument 1 must be encoded string without null bytes, not %.100s", fname,
                     Py_TYPE(given)->tp_name);
        return false;
    }
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
PyObject* host_lookup(PyObject* module, PyObject* arg, const char* fname, Lookup lookup, Convert convert) {
    std::string name;
    if (!name_arg(arg, fname, name)) return nullptr;
    std::error_code ec;
    const auto result = without_gil([&] { return lookup(name, ec); });
    if (ec) return set_error(module, ec, fname);
    return convert(result);
}

PyObject* py_gethostbyname(PyObject* module, PyObject* arg) {
    return host_lookup(
        module, arg, "gethostbyname", [](const std::string& n, std::error_code& ec) { return gethostbyname(n, ec); },
        str);
}

PyObject* py_gethostbyname_ex(PyObject* module, PyObject* arg) {
    return host_lookup(
        module, arg, "gethostbyname_ex",
        [](const std::string& n, std::error_code& ec) { return gethostbyname_ex(n, ec); }, host_entry_tuple);
}

// gethostbyaddr(ip): as CPython, "" is the wildcard of getaddrinfo(NULL, AI_PASSIVE), an error
// when that is more than one address (IPv4 and IPv6).
PyObject* py_gethostbyaddr(PyObject* module, PyObject* arg) {
    std::string name;
    if (!name_arg(arg, "gethostbyaddr", name)) return nullptr;
    std::error_code ec;
    bool several = false;
    const host_entry entry = without_gil([&] {
        if (name.empty()) {
            several = usocket::getaddrinfo(std::nullopt, "0", af_unspec, sock_dgram, 0, ai_passive, ec).size() > 1;
            if (ec || several) return host_entry{};
        }
        return gethostbyaddr(name, ec);
    });
    if (several) {
        PyErr_SetString(PyExc_OSError, "wildcard resolved to multiple address");
        return nullptr;
    }
    if (ec) return set_error(module, ec, "gethostbyaddr");
    return host_entry_tuple(entry);
}

PyObject* py_gethostname(PyObject* module, PyObject*) {
    std::error_code ec;
    const std::string name = gethostname(ec);
    if (ec) return set_error(module, ec, "gethostname");
    return str(name);
}

// getfqdn(name=''): CPython's algorithm step by step, so that its errors are CPython's too:
// name.strip() of whatever was given, the host name for "", "0.0.0.0" and "::", then the first
// name with a dot among gethostbyaddr()'s name and aliases; the name itself when the lookup
// fails with OSError.
PyObject* py_getfqdn(PyObject* module, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("getfqdn", nargs, 0, 1)) return nullptr;
    ref name(nargs == 1 ? PyObject_CallMethod(args[0], "strip", nullptr) : PyUnicode_FromString(""));
    if (!name) return nullptr;
    const int empty = PyObject_Not(name.get());
    if (empty < 0) return nullptr;
    const bool wildcard =
        PyUnicode_Check(name.get()) && (PyUnicode_CompareWithASCIIString(name.get(), "0.0.0.0") == 0 ||
                                        PyUnicode_CompareWithASCIIString(name.get(), "::") == 0);
    if (empty || wildcard) {
        name = ref(py_gethostname(module, nullptr));
        if (!name) return nullptr;
    }
    ref entry(py_gethostbyaddr(module, name.get()));
    if (!entry) {
        if (!PyErr_ExceptionMatches(PyExc_OSError)) return nullptr;
        PyErr_Clear();
        return name.release();
    }
    PyObject* hostname = PyTuple_GET_ITEM(entry.get(), 0);
    PyObject* aliases = PyTuple_GET_ITEM(entry.get(), 1);
    if (PyList_Insert(aliases, 0, hostname) < 0) return nullptr;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(aliases); ++i) {
        PyObject* candidate = PyList_GET_ITEM(aliases, i);
        if (PyUnicode_FindChar(candidate, '.', 0, PyUnicode_GET_LENGTH(candidate), 1) >= 0) return Py_NewRef(candidate);
    }
    return Py_NewRef(hostname);
}

// getnameinfo((host, port[, flowinfo[, scope_id]]), flags) -> (host, service); the host must
// be numeric, as CPython's.
PyObject* py_getnameinfo(PyObject* module, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("getnameinfo", nargs, 2, 2)) return nullptr;
    int flags = 0;
    if (!to_int(args[1], flags)) return nullptr;  // "Oi": the flags are converted first
    if (!PyTuple_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "getnameinfo() argument 1 must be a tuple");
        return nullptr;
    }
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
    // CPython looks the address up with the port as a decimal service: glibc takes its low 16
    // bits, and a negative one is no service.
    if (port < 0) return set_error(module, std::error_code(eai_service, gai_category()), "getnameinfo");
    port &= 0xffff;
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
        return set_error(module, std::error_code(eai_noname, gai_category()), "getnameinfo");
    }
    const nameinfo r = without_gil([&] { return getnameinfo(a, nameinfo_flags{flags}, ec); });
    if (ec) return set_error(module, ec, "getnameinfo");
    ref h(str(r.host));
    ref s(str(r.service));
    if (!h || !s) return nullptr;
    return PyTuple_Pack(2, h.get(), s.get());
}

// The optional protocol name of getservby*, as CPython's "|s": a str (None is TypeError). An
// empty one matches no service (`none`), as in C.
bool proto_arg(PyObject* const* args, Py_ssize_t nargs, const char* fname, std::string& proto, bool& none) {
    none = false;
    if (nargs < 2) return true;
    if (!text_arg(args[1], fname, proto)) return false;
    none = proto.empty();
    return true;
}

PyObject* py_getservbyname(PyObject* module, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("getservbyname", nargs, 1, 2)) return nullptr;
    std::string name, proto;
    bool none = false;
    if (!text_arg(args[0], "getservbyname", name) || !proto_arg(args, nargs, "getservbyname", proto, none))
        return nullptr;
    if (none) return set_error(module, make_error_code(netdb_errc::service_not_found), "getservbyname");
    std::error_code ec;
    const int port = getservbyname(name, proto, ec);
    if (ec) return set_error(module, ec, "getservbyname");
    return PyLong_FromLong(port);
}

PyObject* py_getservbyport(PyObject* module, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("getservbyport", nargs, 1, 2)) return nullptr;
    int port = 0;
    std::string proto;
    if (!to_int(args[0], port)) return nullptr;
    bool none = false;
    if (!proto_arg(args, nargs, "getservbyport", proto, none)) return nullptr;
    if (!usocket::valid_port(port)) {
        PyErr_SetString(PyExc_OverflowError, "getservbyport: port must be 0-65535.");
        return nullptr;
    }
    if (none) return set_error(module, make_error_code(netdb_errc::port_not_found), "getservbyport");
    std::error_code ec;
    const std::string name = getservbyport(port, proto, ec);
    if (ec) return set_error(module, ec, "getservbyport");
    return str(name);
}

PyObject* py_getprotobyname(PyObject* module, PyObject* arg) {
    std::string name;
    if (!text_arg(arg, "getprotobyname", name)) return nullptr;
    std::error_code ec;
    const int proto = getprotobyname(name, ec);
    if (ec) return set_error(module, ec, "getprotobyname");
    return PyLong_FromLong(proto);
}

// The inet_* conversions raise what CPython raises: OSError with its messages for text that is
// not an address, ValueError for packed bytes of the wrong length.
PyObject* inet_error(PyObject* module, const std::error_code& ec, const char* what, const char* bad_text_message) {
    if (ec == errc::bad_address) {
        PyErr_SetString(PyExc_OSError, bad_text_message);
        return nullptr;
    }
    return set_error(module, ec, what);
}

PyObject* bytes(const std::string& s) { return PyBytes_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size())); }

PyObject* py_inet_pton(PyObject* module, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("inet_pton", nargs, 2, 2)) return nullptr;
    int family = 0;
    std::string text;
    if (!to_int(args[0], family) || !text_arg(args[1], "inet_pton", text)) return nullptr;
    std::error_code ec;
    const std::string packed = inet_pton(address_family{family}, text, ec);
    if (ec) return inet_error(module, ec, "inet_pton", "illegal IP address string passed to inet_pton");
    return bytes(packed);
}

PyObject* py_inet_ntop(PyObject* module, PyObject* const* args, Py_ssize_t nargs) {
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
    if (ec) return set_error(module, ec, "inet_ntop");
    return str(text);
}

PyObject* py_inet_aton(PyObject* module, PyObject* arg) {
    std::string text;
    if (!text_arg(arg, "inet_aton", text)) return nullptr;
    std::error_code ec;
    const std::string packed = inet_aton(text, ec);
    if (ec) return inet_error(module, ec, "inet_aton", "illegal IP address string passed to inet_aton");
    return bytes(packed);
}

PyObject* py_inet_ntoa(PyObject* module, PyObject* arg) {
    buffer_arg packed;
    if (!packed.get(arg, false)) return nullptr;
    std::error_code ec;
    const std::string text = inet_ntoa(std::string_view(static_cast<const char*>(packed.data()), packed.size()), ec);
    if (ec) return inet_error(module, ec, "inet_ntoa", "packed IP wrong length for inet_ntoa");
    return str(text);
}

// The byte-order helpers, with CPython's conversions and range errors: htons/ntohs take any
// integer-like object ("i"), htonl/ntohl only an int.
bool unsigned_bits(PyObject* o, const char* fname, int bits, unsigned long& out) {
    if (bits == 16) {
        int v = 0;
        if (!to_int(o, v)) return false;
        if (v >= 0 && v <= 0xffff) {
            out = static_cast<unsigned long>(v);
            return true;
        }
        PyErr_Format(PyExc_OverflowError, "%s: %s to C 16-bit unsigned integer", fname,
                     v < 0 ? "can't convert negative Python int" : "Python int too large to convert");
        return false;
    }
    if (!PyLong_Check(o)) {
        PyErr_Format(PyExc_TypeError, "expected int, %.200s found", Py_TYPE(o)->tp_name);
        return false;
    }
    const unsigned long v = PyLong_AsUnsignedLong(o);
    if (v == static_cast<unsigned long>(-1) && PyErr_Occurred() != nullptr) return false;
    if (v > 0xffffffffUL) {
        PyErr_SetString(PyExc_OverflowError, "int larger than 32 bits");
        return false;
    }
    out = v;
    return true;
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

// `first, second = o`, with Python's errors for what cannot be unpacked so.
bool unpack_pair(PyObject* o, ref& first, ref& second) {
    ref it(PyObject_GetIter(o));
    if (!it) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "cannot unpack non-iterable %.200s object", Py_TYPE(o)->tp_name);
        }
        return false;
    }
    ref items[3];
    Py_ssize_t n = 0;
    while (n < 3 && (items[n] = ref(PyIter_Next(it.get())))) ++n;
    if (PyErr_Occurred() != nullptr) return false;
    if (n != 2) {
        if (n < 2)
            PyErr_Format(PyExc_ValueError, "not enough values to unpack (expected 2, got %zd)", n);
        else
            PyErr_SetString(PyExc_ValueError, "too many values to unpack (expected 2)");
        return false;
    }
    first = std::move(items[0]);
    second = std::move(items[1]);
    return true;
}

// The pending exception, taken out of the thread state (normalised), or a null ref.
ref fetch_exception() {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value != nullptr && tb != nullptr) PyException_SetTraceback(value, tb);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return ref(value);
}

// What create_connection() raises when no attempt succeeded (CPython 3.11): the last attempt's
// error, or with all_errors an ExceptionGroup of every attempt's. The all_errors flag is read
// here only, as CPython reads it (`if not all_errors`) only once an attempt failed.
PyObject* raise_attempt_errors(std::vector<ref>& errors, PyObject* all_errors_obj) {
    const int all_errors = all_errors_obj != nullptr ? PyObject_IsTrue(all_errors_obj) : 0;
    if (all_errors < 0) return nullptr;
    ref list(PyList_New(0));
    if (!list) return nullptr;
    for (const ref& e : errors)
        if (e && PyList_Append(list.get(), e.get()) < 0) return nullptr;
    if (all_errors == 0) {
        PyObject* last = PyList_GET_ITEM(list.get(), PyList_GET_SIZE(list.get()) - 1);
        PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(last)), last);
        return nullptr;
    }
    ref group(PyObject_CallFunction(PyExc_BaseExceptionGroup, "sO", "create_connection failed", list.get()));
    if (group) PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(group.get())), group.get());
    return nullptr;
}

// The Python exception of each failed attempt, at its candidate's place in `errors`.
bool attempt_exceptions(PyObject* module, const std::vector<attempt_error>& attempts,
                        const std::vector<address>& candidates, std::vector<ref>& errors) {
    for (const auto& a : attempts) {
        set_error(module, a.code, "create_connection");
        ref e(fetch_exception());
        if (!e) return false;
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            if (!errors[i] && candidates[i] == a.peer) {
                errors[i] = std::move(e);
                break;
            }
        }
    }
    return true;
}

// create_connection()'s source_address, as CPython's `if source_address: sock.bind(source_address)`
// for each candidate's family: a family it cannot be converted for (an OSError: a gaierror for
// "::1" on AF_INET) fails its candidates with that error, which are left out of `kept`. The
// library binds every attempt to one address: the first family's; a wildcard with port 0 is
// no binding at all. False with a Python error pending for any other error (TypeError...).
bool source_for(PyObject* module, PyObject* source_obj, const std::vector<address>& candidates,
                std::optional<address>& source, std::vector<ref>& errors, std::vector<address>& kept) {
    const int given = source_obj != nullptr ? PyObject_IsTrue(source_obj) : 0;
    if (given < 0) return false;
    if (given == 0) {
        kept = candidates;
        return true;
    }
    int chosen = -1;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const int family = candidates[i].family();
        if (family == chosen) {
            kept.push_back(candidates[i]);
            continue;
        }
        if (chosen != -1) continue;  // another family than the bound one: not tried
        address local;
        if (!to_address(module, source_obj, family, "bind", address_forms::bind, local)) {
            if (!PyErr_ExceptionMatches(PyExc_OSError)) return false;
            errors[i] = fetch_exception();
            continue;
        }
        std::error_code ec;
        if (local != address::any(address_family{family}, 0, ec)) source = local;
        chosen = family;
        kept.push_back(candidates[i]);
    }
    return true;
}

using clock = std::chrono::steady_clock;

// create_connection(address, timeout=<default>, source_address=None, *, all_errors=False), with
// CPython's error for every bad argument, in CPython's order: `host, port = address`; host and
// port converted as getaddrinfo()'s; the lookup; the timeout (settimeout()'s conversion); the
// source address when it is true (bind()'s conversion; an OSError there counts as the
// attempts' error, as in CPython); then the attempts. Unlike CPython, one deadline covers the
// lookup and every attempt (Happy Eyeballs, the library's create_connection()).
PyObject* py_create_connection(PyObject* module, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"address", "timeout", "source_address", "all_errors"};
    PyObject* a[4];
    if (nargs > 3) return check_nargs("create_connection", nargs, 1, 3), nullptr;  // all_errors: keyword only
    if (!parse_args("create_connection", args, nargs, kwnames, names, 1, 4, a)) return nullptr;
    ref host_obj, port_obj;
    std::optional<std::string> host, port;
    if (!unpack_pair(a[0], host_obj, port_obj) || !getaddrinfo_args(host_obj.get(), port_obj.get(), host, port))
        return nullptr;
    connection_options options;  // the timeout starts as getdefaulttimeout()
    ref timeout_error;           // a bad timeout is raised after the lookup, as in CPython
    if (a[1] != nullptr && !to_timeout(a[1], options.timeout)) timeout_error = fetch_exception();

    const auto start = clock::now();
    std::error_code ec;
    const std::vector<addrinfo> found = without_gil([&] {
        std::optional<std::string_view> h, p;
        if (host) h = *host;
        if (port) p = *port;
        // An empty host is no name to look up (EAI_NONAME from the system resolver at once).
        const timeout_type limit = host && host->empty() ? timeout_type() : options.timeout;
        return usocket::getaddrinfo(h, p, 0, sock_stream, 0, 0, limit, ec);
    });
    if (ec) return set_error(module, ec, "create_connection");
    if (timeout_error) {
        PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(timeout_error.get())), timeout_error.get());
        return nullptr;
    }
    if (found.empty()) {
        PyErr_SetString(PyExc_OSError, "getaddrinfo returns an empty list");
        return nullptr;
    }
    std::vector<address> candidates;
    for (const auto& ai : found) candidates.push_back(ai.sockaddr);

    // The attempts' errors, by candidate (CPython raises the last one, or all in this order).
    std::vector<ref> errors(candidates.size());
    std::vector<address> kept;
    if (!source_for(module, a[2], candidates, options.source_address, errors, kept)) return nullptr;
    if (kept.empty()) return raise_attempt_errors(errors, a[3]);

    // What is left of the deadline after the lookup; the socket keeps the timeout asked for.
    const timeout_type asked = options.timeout;
    if (asked && asked->count() > 0)
        options.timeout = std::max(*asked - std::chrono::duration_cast<duration>(clock::now() - start), duration(1));
    options.all_errors = true;  // every attempt's error is wanted, whatever is raised
    std::vector<attempt_error> attempts;
    usocket::socket s = without_gil([&] { return create_connection(kept, options, ec, &attempts); });
    if (ec) {
        if (is_interrupted(ec) && PyErr_Occurred() != nullptr) return nullptr;
        if (!attempt_exceptions(module, attempts, candidates, errors)) return nullptr;
        // No attempt's own error (timeout 0: every connect() would block): the call's error is
        // each remaining candidate's, as CPython's loop gets it from each (an ExceptionGroup of
        // them with all_errors).
        for (std::size_t i = 0; attempts.empty() && i < errors.size(); ++i) {
            if (errors[i]) continue;
            set_error(module, ec, "create_connection");
            errors[i] = fetch_exception();
            if (!errors[i]) return nullptr;
        }
        if (std::none_of(errors.begin(), errors.end(), [](const ref& e) { return bool(e); }))
            return set_error(module, ec, "create_connection");
        return raise_attempt_errors(errors, a[3]);
    }
    s.settimeout(asked, ec);
    if (ec) return set_error(module, ec, "create_connection");
    return wrap_socket(state_of_module(module), std::move(s));
}

// The error create_server() raises for a failed bind(), as CPython: OSError(errno, "... (while
// attempting to bind on address ...)"), the class chosen from the errno (a gaierror becomes a
// plain OSError with its negative errno).
PyObject* raise_bind_error(PyObject* address_obj) {
    if (!PyErr_ExceptionMatches(PyExc_OSError)) return nullptr;
    ref error(fetch_exception());
    if (!error) return nullptr;
    ref errno_obj(PyObject_GetAttrString(error.get(), "errno"));
    ref strerror(PyObject_GetAttrString(error.get(), "strerror"));
    if (!errno_obj || !strerror) return nullptr;
    ref message(PyUnicode_FromFormat("%S (while attempting to bind on address %R)", strerror.get(), address_obj));
    if (!message) return nullptr;
    ref wrapped(PyObject_CallFunctionObjArgs(PyExc_OSError, errno_obj.get(), message.get(), nullptr));
    if (wrapped) PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(wrapped.get())), wrapped.get());
    return nullptr;
}

// create_server(address, *, family=AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False),
// with CPython's errors in CPython's order: the flags' truth, the dualstack checks, the socket
// (a family no socket can have), bind()'s conversion of the address (its OSError reworded as
// above), then listen()'s of the backlog (raised after a successful bind, as CPython does).
PyObject* py_create_server(PyObject* module, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"address", "family", "backlog", "reuse_port", "dualstack_ipv6"};
    PyObject* a[5];
    if (nargs > 1) {
        PyErr_Format(PyExc_TypeError, "create_server() takes 1 positional argument but %zd were given", nargs);
        return nullptr;
    }
    if (!parse_args("create_server", args, nargs, kwnames, names, 1, 5, a)) return nullptr;
    server_options options;
    for (int i = 3; i < 5; ++i) {
        if (a[i] == nullptr) continue;
        const int flag = PyObject_IsTrue(a[i]);
        if (flag < 0) return nullptr;
        (i == 3 ? options.reuse_port : options.dualstack_ipv6) = flag != 0;
    }
    if (options.dualstack_ipv6) {
        if (!has_dualstack_ipv6()) {
            PyErr_SetString(PyExc_ValueError, "dualstack_ipv6 not supported on this platform");
            return nullptr;
        }
        ref inet6(PyLong_FromLong(af_inet6));
        const int other = a[1] == nullptr ? 1 : PyObject_RichCompareBool(a[1], inet6.get(), Py_NE);
        if (other < 0) return nullptr;
        if (other) {
            PyErr_SetString(PyExc_ValueError, "dualstack_ipv6 requires AF_INET6 family");
            return nullptr;
        }
    }
    int family = af_inet;
    if (a[1] != nullptr && !to_int(a[1], family)) return nullptr;
    options.family = family == -1 ? af_inet : address_family{family};  // (-1: as socket(family=-1))
    std::error_code ec;
    if (options.family != af_inet && options.family != af_inet6 && options.family != af_unix) {
        usocket::socket probe = usocket::socket::open(options.family, sock_stream, 0, ec);
        if (ec) return set_error(module, ec, "create_server");
    }
    address local;
    if (!to_address(module, a[0], options.family, "bind", address_forms::bind, local)) return raise_bind_error(a[0]);
    ref backlog_error;
    if (a[2] != nullptr && a[2] != Py_None) {
        int backlog = 0;
        if (to_int(a[2], backlog))
            options.backlog = backlog;
        else
            backlog_error = fetch_exception();
    }
    usocket::socket s = without_gil([&] { return create_server(local, options, ec); });
    if (ec) {
        set_error(module, ec, "create_server");
        return raise_bind_error(a[0]);
    }
    if (backlog_error) {
        PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(backlog_error.get())), backlog_error.get());
        return nullptr;
    }
    return wrap_socket(state_of_module(module), std::move(s));
}

PyObject* py_has_dualstack_ipv6(PyObject*, PyObject*) { return PyBool_FromLong(has_dualstack_ipv6()); }

}  // namespace

PyMethodDef name_functions[] = {
    {"gethostbyname", py_gethostbyname, METH_O, "gethostbyname(name) -> 'a.b.c.d'"},
    {"gethostbyname_ex", py_gethostbyname_ex, METH_O, "gethostbyname_ex(name) -> (name, aliases, addresses)"},
    {"gethostbyaddr", py_gethostbyaddr, METH_O, "gethostbyaddr(ip) -> (name, aliases, addresses)"},
    {"gethostname", py_gethostname, METH_NOARGS, "gethostname() -> this machine's host name"},
    {"getfqdn", USOCKET_METHOD(py_getfqdn), METH_FASTCALL, "getfqdn([name]) -> a fully qualified name"},
    {"getnameinfo", USOCKET_METHOD(py_getnameinfo), METH_FASTCALL,
     "getnameinfo((host, port[, flowinfo, scope_id]), flags) -> (host, service)"},
    {"getservbyname", USOCKET_METHOD(py_getservbyname), METH_FASTCALL, "getservbyname(name[, proto]) -> port"},
    {"getservbyport", USOCKET_METHOD(py_getservbyport), METH_FASTCALL, "getservbyport(port[, proto]) -> name"},
    {"getprotobyname", py_getprotobyname, METH_O, "getprotobyname(name) -> number"},
    {"inet_pton", USOCKET_METHOD(py_inet_pton), METH_FASTCALL, "inet_pton(family, text) -> packed bytes"},
    {"inet_ntop", USOCKET_METHOD(py_inet_ntop), METH_FASTCALL, "inet_ntop(family, packed) -> text"},
    {"inet_aton", py_inet_aton, METH_O, "inet_aton(text) -> 4 packed bytes"},
    {"inet_ntoa", py_inet_ntoa, METH_O, "inet_ntoa(packed) -> 'a.b.c.d'"},
    {"htons", byte_order<16, htons_name>, METH_O, "htons(x): 16-bit host to network byte order"},
    {"ntohs", byte_order<16, ntohs_name>, METH_O, "ntohs(x): 16-bit network to host byte order"},
    {"htonl", byte_order<32, htonl_name>, METH_O, "htonl(x): 32-bit host to network byte order"},
    {"ntohl", byte_order<32, ntohl_name>, METH_O, "ntohl(x): 32-bit network to host byte order"},
    {"ip_to_tuple", py_ip_to_tuple, METH_O, "ip_to_tuple('x.y.z.w') -> (x, y, z, w)"},
    {"create_connection", USOCKET_METHOD(py_create_connection), METH_FASTCALL | METH_KEYWORDS,
     "create_connection(address, timeout=getdefaulttimeout(), source_address=None, *, all_errors=False) "
     "-> a connected socket (every address tried under one deadline)"},
    {"create_server", USOCKET_METHOD(py_create_server), METH_FASTCALL | METH_KEYWORDS,
     "create_server(address, *, family=AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False) "
     "-> a listening socket"},
    {"has_dualstack_ipv6", py_has_dualstack_ipv6, METH_NOARGS, "has_dualstack_ipv6() -> bool"},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace usocket::python
