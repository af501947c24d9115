// Arguments from Python (integers, buffers, timeouts, addresses) and addresses back to Python,
// with CPython's socket module's error types and messages.

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <cmath>
#include <cstdint>
#include <string_view>

#include "module.hpp"

namespace usocket::python {

// --- buffers -------------------------------------------------------------------------------

bool buffer_arg::get(PyObject* o, bool allow_str) {
    if (allow_str && PyUnicode_Check(o)) {
        // The str's cached UTF-8 form: no copy, alive as long as the caller's argument.
        Py_ssize_t n = 0;
        const char* p = PyUnicode_AsUTF8AndSize(o, &n);
        if (p == nullptr) return false;
        data_ = const_cast<char*>(p);
        size_ = static_cast<std::size_t>(n);
        return true;
    }
    if (PyBytes_CheckExact(o)) {
        // Immutable: a reference is all a view would give (the object may be a list's item
        // that another thread drops while the call waits), at a fraction of the cost.
        Py_INCREF(o);
        Py_XSETREF(bytes_, o);
        data_ = PyBytes_AS_STRING(o);
        size_ = static_cast<std::size_t>(PyBytes_GET_SIZE(o));
        return true;
    }
    // As CPython's "y*": the exporter's own error stands (TypeError "a bytes-like object is
    // required", BufferError for a non-contiguous view).
    if (PyObject_GetBuffer(o, &view_, PyBUF_SIMPLE) != 0) {
        view_.obj = nullptr;
        return false;
    }
    data_ = view_.buf;
    size_ = static_cast<std::size_t>(view_.len);
    return true;
}

bool buffer_arg::get_writable(PyObject* o, const char* what) {
    if (PyObject_GetBuffer(o, &view_, PyBUF_WRITABLE) != 0) {
        view_.obj = nullptr;
        PyErr_Format(PyExc_TypeError, "%s() argument 1 must be read-write bytes-like object, not %.50s", what,
                     o == Py_None ? "None" : Py_TYPE(o)->tp_name);
        return false;
    }
    data_ = view_.buf;
    size_ = static_cast<std::size_t>(view_.len);
    return true;
}

// --- calls -------------------------------------------------------------------------------

bool nargs_error(const char* fname, Py_ssize_t nargs, Py_ssize_t min, Py_ssize_t max) {
    if (min == max)
        PyErr_Format(PyExc_TypeError, "%s() takes exactly %zd argument%s (%zd given)", fname, min, min == 1 ? "" : "s",
                     nargs);
    else if (nargs < min)
        PyErr_Format(PyExc_TypeError, "%s() takes at least %zd argument%s (%zd given)", fname, min, min == 1 ? "" : "s",
                     nargs);
    else
        PyErr_Format(PyExc_TypeError, "%s() takes at most %zd argument%s (%zd given)", fname, max, max == 1 ? "" : "s",
                     nargs);
    return false;
}

bool keyword_errors::check() const {
    if (message_ == nullptr) return true;
    PyErr_SetObject(PyExc_TypeError, message_);
    return false;
}

bool keyword_errors::note(const char* fname, PyObject* key, Py_ssize_t position) {
    // CPython reports a keyword given twice before an unknown one, else the first found.
    const bool twice = position > 0;
    if (message_ != nullptr && (given_twice_ || !twice)) return true;
    PyObject* m = twice ? PyUnicode_FromFormat("argument for %s() given by name ('%U') and position (%zd)", fname,
                                               key, position)
                        : PyUnicode_FromFormat("'%U' is an invalid keyword argument for %s()", key, fname);
    if (m == nullptr) return false;
    Py_XSETREF(message_, m);
    given_twice_ = twice;
    return true;
}

bool parse_args(const char* fname, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
                const char* const* names, Py_ssize_t min, Py_ssize_t max, PyObject** out,
                keyword_errors* later) {
    if (nargs > max) return check_nargs(fname, nargs, min, max);
    for (Py_ssize_t i = 0; i < max; ++i) out[i] = i < nargs ? args[i] : nullptr;
    const Py_ssize_t nkw = kwnames != nullptr ? PyTuple_GET_SIZE(kwnames) : 0;
    if (later != nullptr && nargs + nkw > max) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %zd argument%s (%zd given)", fname, max,
                     max == 1 ? "" : "s", nargs + nkw);
        return false;
    }
    keyword_errors now;
    keyword_errors& errors = later != nullptr ? *later : now;
    for (Py_ssize_t k = 0; k < nkw; ++k) {
        // Compared as the str it is: a name with a NUL in it, or one UTF-8 cannot encode (a
        // lone surrogate), is simply no parameter's.
        PyObject* key = PyTuple_GET_ITEM(kwnames, k);
        Py_ssize_t slot = -1;
        for (Py_ssize_t i = 0; i < max && slot < 0; ++i)
            if (names[i] != nullptr && PyUnicode_CompareWithASCIIString(key, names[i]) == 0) slot = i;
        if (slot < 0 || out[slot] != nullptr) {
            if (!errors.note(fname, key, slot < 0 ? 0 : slot + 1)) return false;
            if (later == nullptr) return now.check();
            continue;
        }
        out[slot] = args[nargs + k];
    }
    for (Py_ssize_t i = 0; i < min; ++i) {
        if (out[i] != nullptr) continue;
        if (names[i] != nullptr)
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %zd)", fname, names[i], i + 1);
        else
            check_nargs(fname, nargs, min, max);
        return false;
    }
    return true;
}

// --- numbers -------------------------------------------------------------------------------

bool to_int(PyObject* o, int& out) {
    const long v = PyLong_AsLong(o);
    if (v == -1 && PyErr_Occurred() != nullptr) return false;
    if (v > INT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "signed integer is greater than maximum");
        return false;
    }
    if (v < INT_MIN) {
        PyErr_SetString(PyExc_OverflowError, "signed integer is less than minimum");
        return false;
    }
    out = static_cast<int>(v);
    return true;
}

bool to_long(PyObject* o, long& out) {
    out = PyLong_AsLong(o);
    return !(out == -1 && PyErr_Occurred() != nullptr);
}

bool to_uint_mask(PyObject* o, unsigned int& out) {
    const unsigned long v = PyLong_AsUnsignedLongMask(o);
    if (v == static_cast<unsigned long>(-1) && PyErr_Occurred() != nullptr) return false;
    out = static_cast<unsigned int>(v);
    return true;
}

bool to_ssize_index(PyObject* o, Py_ssize_t& out) {
    ref index(PyNumber_Index(o));
    if (!index) return false;
    out = PyLong_AsSsize_t(index.get());
    return !(out == -1 && PyErr_Occurred() != nullptr);
}

bool to_timeout(PyObject* o, timeout_type& out, const char* negative) {
    if (o == Py_None) {
        out.reset();
        return true;
    }
    // As CPython's _PyTime_FromSecondsObject(_PyTime_ROUND_TIMEOUT) into a signed 64-bit count
    // of nanoseconds, then socket_parse_timeout()'s check that it is not negative.
    constexpr long long max_seconds = INT64_MAX / 1000000000;  // _PyTime_check_mul_overflow
    std::int64_t ns = 0;
    if (PyFloat_Check(o)) {
        const double d = PyFloat_AS_DOUBLE(o);
        if (std::isnan(d)) {
            PyErr_SetString(PyExc_ValueError, "Invalid value NaN (not a number)");
            return false;
        }
        // A timeout never ends early: rounded away from zero.
        const double scaled = d * 1e9;
        const double rounded = scaled >= 0 ? std::ceil(scaled) : std::floor(scaled);
        // CPython's range check compares with INT64_MAX as a double, 2**63, which passes; its
        // conversion of 2**63 then gives INT64_MIN on x86-64, refused below as negative.
        constexpr double two_63 = 9223372036854775808.0;
        if (!(rounded >= -two_63 && rounded <= two_63)) {
            PyErr_SetString(PyExc_OverflowError, "timestamp too large to convert to C _PyTime_t");
            return false;
        }
        ns = rounded == two_63 ? INT64_MIN : static_cast<std::int64_t>(rounded);
    } else {
        const long long secs = PyLong_AsLongLong(o);
        if (secs == -1 && PyErr_Occurred() != nullptr) {
            if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
                PyErr_SetString(PyExc_OverflowError, "timestamp too large to convert to C _PyTime_t");
            }
            return false;
        }
        if (secs > max_seconds || secs < -max_seconds) {
            PyErr_SetString(PyExc_OverflowError, "timestamp too large to convert to C _PyTime_t");
            return false;
        }
        ns = static_cast<std::int64_t>(secs) * 1000000000;
    }
    if (ns < 0) {
        PyErr_SetString(PyExc_ValueError, negative);
        return false;
    }
    out = duration(ns);
    return true;
}

PyObject* from_timeout(const timeout_type& t) {
    if (!t) Py_RETURN_NONE;
    const auto ns = t->count();
    if (ns % 1000000000 == 0) return PyFloat_FromDouble(static_cast<double>(ns / 1000000000));
    return PyFloat_FromDouble(static_cast<double>(ns) / 1e9);
}

// --- addresses -----------------------------------------------------------------------------

namespace {

// The host of an address as CPython's idna_converter(): a compact ASCII str is used as it is,
// any other str is IDNA-encoded (a failure is TypeError), bytes and bytearray as they are; a NUL
// is TypeError. `holder` keeps the encoded bytes `out` may point into.
bool host_arg(PyObject* o, ref& holder, std::string_view& out) {
    if (PyUnicode_Check(o)) {
        // (ASCII: as many UTF-8 bytes as characters.)
        Py_ssize_t n = 0;
        const char* p = PyUnicode_CheckExact(o) ? PyUnicode_AsUTF8AndSize(o, &n) : nullptr;
        if (p != nullptr && n == PyUnicode_GetLength(o)) {
            out = std::string_view(p, static_cast<std::size_t>(n));
        } else {
            PyErr_Clear();  // (a lone surrogate has no UTF-8 form: the IDNA codec says why)
            holder = ref(PyUnicode_AsEncodedString(o, "idna", nullptr));
            if (!holder) {
                PyErr_SetString(PyExc_TypeError, "encoding of hostname failed");
                return false;
            }
            const Py_ssize_t size = PyBytes_GET_SIZE(holder.get());
            out = std::string_view(PyBytes_AS_STRING(holder.get()), static_cast<std::size_t>(size));
        }
    } else if (PyBytes_Check(o)) {
        out = std::string_view(PyBytes_AS_STRING(o), static_cast<std::size_t>(PyBytes_GET_SIZE(o)));
    } else if (PyByteArray_Check(o)) {
        out = std::string_view(PyByteArray_AS_STRING(o), static_cast<std::size_t>(PyByteArray_GET_SIZE(o)));
    } else {
        PyErr_Format(PyExc_TypeError, "str, bytes or bytearray expected, not %s", Py_TYPE(o)->tp_name);
        return false;
    }
    if (out.find('\0') != std::string_view::npos) {
        PyErr_SetString(PyExc_TypeError, "host name must not contain null character");
        return false;
    }
    return true;
}

bool port_error(const char* what) {
    PyErr_Format(PyExc_OverflowError, "%s(): port must be 0-65535.", what);
    return false;
}

// A port as CPython's "i" inside an address tuple: TypeError for a non-integer, and an
// OverflowError for a C int overflow is reworded as the port's range.
bool port_arg(PyObject* o, const char* what, int& port) {
    if (to_int(o, port)) return true;
    if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
        PyErr_Clear();
        return port_error(what);
    }
    return false;
}

// The host of (host, port) resolved for `family` with the GIL released (a numeric literal is
// parsed with the GIL held: no lookup). As CPython, the port's range is checked after the
// host resolved.
bool resolve_host(PyObject* origin, std::string_view host, int port, int family, const char* what, address& out) {
    const bool port_ok = port >= 0 && port <= 65535;
    std::error_code ec;
    if (!host.empty() && family == af_inet) {
        out = address::ipv4(host, port_ok ? port : 0, ec);
        if (!ec) return port_ok || port_error(what);
        ec.clear();
    }
    // "" (wildcard), "<broadcast>", IPv6 literals and names.
    const std::string copy(host);
    out = without_gil([&] { return resolve_address(copy, port_ok ? port : 0, address_family{family}, ec); });
    if (ec) return set_error(origin, ec, what) != nullptr;
    return port_ok || port_error(what);
}

// The seed-002 forms of an IPv4 address: (a, b, c, d) and (a, b, c, d, port).
bool octet_address(PyObject* origin, PyObject* seq, Py_ssize_t n, const char* what, address& out) {
    std::array<int, 4> octets{};
    for (Py_ssize_t i = 0; i < 4; ++i) {
        if (!to_int(PySequence_Fast_GET_ITEM(seq, i), octets[static_cast<std::size_t>(i)])) return false;
        if (octets[static_cast<std::size_t>(i)] < 0 || octets[static_cast<std::size_t>(i)] > 255) {
            PyErr_Format(PyExc_ValueError, "%s(): address octets must be 0-255", what);
            return false;
        }
    }
    int port = 0;
    if (n == 5 && !port_arg(PySequence_Fast_GET_ITEM(seq, 4), what, port)) return false;
    if (port < 0 || port > 65535) return port_error(what);
    std::error_code ec;
    out = address::ipv4(octets, port, ec);
    return ec ? set_error(origin, ec, what) != nullptr : true;
}

// (host, port) for AF_INET, (host, port[, flowinfo[, scope_id]]) for AF_INET6, converted in
// CPython's order (host, port, flowinfo, scope_id, then the lookup, then the range checks),
// with the seed forms: "a.b.c.d" and the octet tuples for AF_INET, a list for bind() and
// connect() (`forms`).
bool inet_address(PyObject* origin, PyObject* o, int family, const char* what, address_forms forms, address& out) {
    const bool v6 = family == af_inet6;
    if (!v6 && (PyUnicode_Check(o) || PyBytes_Check(o))) {  // seed 002: "192.168.1.10" (port 0)
        ref holder;
        std::string_view host;
        if (!host_arg(o, holder, host)) return false;
        // An IPv4 address, as the seed says, never a name to look up: anything else is the
        // TypeError CPython gives for a str.
        std::error_code ec;
        if (!host.empty()) {  // (ipv4("") is the wildcard: not an address the seed writes)
            out = address::ipv4(host, 0, ec);
            if (!ec) return true;
        }
        PyErr_Format(PyExc_TypeError, "%s(): AF_INET address must be tuple, not %.500s", what, Py_TYPE(o)->tp_name);
        return false;
    }
    const bool list_ok = forms != address_forms::plain && PyList_Check(o);  // seed 001
    if (!PyTuple_Check(o) && !list_ok) {
        PyErr_Format(PyExc_TypeError, "%s(): %s address must be tuple, not %.500s", what, v6 ? "AF_INET6" : "AF_INET",
                     Py_TYPE(o)->tp_name);
        return false;
    }
    ref seq(PySequence_Fast(o, ""));
    if (!seq) return false;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(seq.get());
    PyObject** items = PySequence_Fast_ITEMS(seq.get());
    if (!v6 && (n == 4 || n == 5) && PyLong_Check(items[0])) return octet_address(origin, seq.get(), n, what, out);
    if (n < 2 || n > (v6 ? 4 : 2)) {
        PyErr_SetString(PyExc_TypeError, v6 ? "AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])"
                                            : "AF_INET address must be a pair (host, port)");
        return false;
    }
    ref holder;
    std::string_view host;
    int port = 0;
    unsigned int flowinfo = 0, scope_id = 0;  // "I": masked, never an overflow (as CPython)
    if (!host_arg(items[0], holder, host) || !port_arg(items[1], what, port) ||
        (n > 2 && !to_uint_mask(items[2], flowinfo)) || (n > 3 && !to_uint_mask(items[3], scope_id)))
        return false;
    if (!resolve_host(origin, host, port, family, what, out)) return false;
    if (v6) {
        if (flowinfo > 0xfffff) {
            PyErr_Format(PyExc_OverflowError, "%s(): flowinfo must be 0-1048575.", what);
            return false;
        }
        // As CPython, the tuple's scope id replaces one the host named ("fe80::1%lo").
        std::string numeric = out.host();
        numeric.erase(std::min(numeric.find('%'), numeric.size()));
        std::error_code ec;
        out = address::ipv6(numeric, port, flowinfo, scope_id, ec);
        if (ec) return set_error(origin, ec, what) != nullptr;
    }
    return true;
}

// An AF_UNIX address as CPython takes it: str (file system encoding) or bytes-like. A path that
// starts with NUL is a Linux abstract name; in a file system path the kernel stops at the first
// NUL, so the rest is dropped here (the length is checked first, on all of it).
bool unix_address(PyObject* o, address& out) {
    ref holder;
    if (PyUnicode_Check(o)) {
        holder = ref(PyUnicode_EncodeFSDefault(o));
        if (!holder) return false;
        o = holder.get();
    }
    buffer_arg path;
    if (!path.get(o, false)) return false;
    std::string_view text(static_cast<const char*>(path.data()), path.size());
    const bool abstract = !text.empty() && text.front() == '\0';
    constexpr std::size_t sun_path_size = 108;  // Linux's sockaddr_un (the library has no name for it)
    if (text.size() > sun_path_size - (abstract ? 0 : 1)) {
        PyErr_SetString(PyExc_OSError, "AF_UNIX path too long");
        return false;
    }
    if (!abstract) text = text.substr(0, text.find('\0'));
    std::error_code ec;
    out = address::unix_path(text, ec);
    if (ec) {
        PyErr_SetString(PyExc_OSError, "AF_UNIX path too long");
        return false;
    }
    return true;
}

}  // namespace

bool to_address(PyObject* origin, PyObject* o, int family, const char* what, address_forms forms, address& out) {
    if (family == af_inet || family == af_inet6) {
        if (forms == address_forms::bind && PyLong_Check(o)) {
            // Seed 002: bind(80) binds every local address of the socket's family.
            int port = 0;
            if (!port_arg(o, what, port)) return false;
            if (port < 0 || port > 65535) return port_error(what);
            std::error_code ec;
            out = address::any(address_family{family}, port, ec);
            return ec ? set_error(origin, ec, what) != nullptr : true;
        }
        return inet_address(origin, o, family, what, forms, out);
    }
    if (family == af_unix) return unix_address(o, out);
    PyErr_Format(PyExc_OSError, "%s(): bad family", what);
    return false;
}

PyObject* from_address(const address& a) {
    if (a.empty()) Py_RETURN_NONE;
    const int family = a.family();
    if (family == af_inet) {
        const std::string host = a.host();
        return Py_BuildValue("(s#i)", host.data(), static_cast<Py_ssize_t>(host.size()), a.port());
    }
    if (family == af_inet6) {
        // As CPython: the numeric host without "%scope" (the scope id is the 4th item).
        std::string host = a.host();
        host.erase(std::min(host.find('%'), host.size()));
        return Py_BuildValue("(s#iII)", host.data(), static_cast<Py_ssize_t>(host.size()), a.port(),
                             static_cast<unsigned>(a.flowinfo()), static_cast<unsigned>(a.scope_id()));
    }
    if (family == af_unix) {
        const std::string path = a.path();
        const auto n = static_cast<Py_ssize_t>(path.size());
        // As CPython: a Linux abstract name is bytes (it starts with NUL), a path is str.
        if (a.is_abstract()) return PyBytes_FromStringAndSize(path.data(), n);
        return PyUnicode_DecodeFSDefaultAndSize(path.data(), n);
    }
    return Py_BuildValue("(iy#)", family, static_cast<const char*>(a.data()), static_cast<Py_ssize_t>(a.size()));
}

}  // namespace usocket::python
