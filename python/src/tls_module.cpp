// The TLS part of the module (usocket._usocket._tls, which the module ussl re-exports): the
// exception classes of CPython's ssl, the mapping of tls::category() codes to them, and the
// SSLContext type over tls::context. Without TLS in the library, add_tls() adds nothing and
// `import ussl` fails with ImportError.

#include "module.hpp"

#if !USOCKET_HAS_TLS

namespace usocket::python {
bool add_tls(PyObject*) { return true; }
PyObject* set_tls_error(PyObject*, const std::error_code& ec, const std::string*) { return set_errno(ec.value()); }
}  // namespace usocket::python

#else

#include <string>
#include <vector>

#include "tls.hpp"

namespace usocket::python {

namespace {

// --- errors ------------------------------------------------------------------------------------

// SSLError.__str__: the message alone, as CPython's ("[SSL: ...] ..."), not "[Errno 1] ...".
PyObject* ssl_error_str(PyObject*, PyObject* self) {
    ref strerror(PyObject_GetAttrString(self, "strerror"));
    if (strerror && PyUnicode_Check(strerror.get())) return strerror.release();
    PyErr_Clear();
    ref args(PyObject_GetAttrString(self, "args"));  // CPython's shows them so: "('...',)"
    return args ? PyObject_Str(args.get()) : nullptr;
}

PyMethodDef ssl_error_str_def = {"__str__", ssl_error_str, METH_O, nullptr};

// The X.509 verification code CPython's SSLCertVerificationError.verify_code has for each.
int verify_code(tls::errc e) noexcept {
    switch (e) {
        case tls::errc::certificate_untrusted: return 20;  // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        case tls::errc::certificate_expired: return 10;
        case tls::errc::certificate_not_yet_valid: return 9;
        case tls::errc::hostname_mismatch: return 62;
        default: return 0;
    }
}

// Raises cls(errno, message) with CPython's attributes (library, reason; verify_* for a
// certificate's failure).
PyObject* raise_ssl(PyObject* cls, int value, const std::string& message, const char* reason,
                    const std::string* verify_message, int code) {
    ref exc(PyObject_CallFunction(cls, "is#", value, message.data(), static_cast<Py_ssize_t>(message.size())));
    if (!exc) return nullptr;
    ref library(PyUnicode_FromString("SSL"));
    ref why(reason != nullptr ? PyUnicode_FromString(reason) : Py_NewRef(Py_None));
    if (!library || !why || PyObject_SetAttrString(exc.get(), "library", library.get()) < 0 ||
        PyObject_SetAttrString(exc.get(), "reason", why.get()) < 0)
        return nullptr;
    if (verify_message != nullptr) {
        ref words(PyUnicode_DecodeUTF8(verify_message->data(), static_cast<Py_ssize_t>(verify_message->size()),
                                       "replace"));
        ref number(PyLong_FromLong(code));
        if (!words || !number || PyObject_SetAttrString(exc.get(), "verify_message", words.get()) < 0 ||
            PyObject_SetAttrString(exc.get(), "verify_code", number.get()) < 0)
            return nullptr;
    }
    PyErr_SetObject(cls, exc.get());
    return nullptr;
}

}  // namespace

PyObject* set_tls_error(PyObject* origin, const std::error_code& ec, const std::string* detail) {
    const module_state* state = state_of(origin);
    if (state == nullptr || state->tls[slot_error] == nullptr) {  // the module was cleared
        PyErr_SetString(PyExc_OSError, ec.message().c_str());
        return nullptr;
    }
    std::string words;
    if (detail != nullptr) words = *detail;
    else if (is_ssl_socket(state, origin)) words = tls_of(origin).verify_message();
    const auto e = static_cast<tls::errc>(ec.value());
    const auto with_words = [&](std::string text) {
        if (!words.empty() && text.find(words) == std::string::npos) text += " (" + words + ")";
        return text;
    };
    switch (e) {
        case tls::errc::want_read:
            return raise_ssl(state->tls[slot_want_read], 2, "The operation did not complete (read)", "WANT_READ",
                             nullptr, 0);
        case tls::errc::want_write:
            return raise_ssl(state->tls[slot_want_write], 3, "The operation did not complete (write)", "WANT_WRITE",
                             nullptr, 0);
        case tls::errc::unexpected_eof:
        case tls::errc::truncated_record:
            return raise_ssl(state->tls[slot_eof], 8,
                             with_words("[SSL: UNEXPECTED_EOF_WHILE_READING] " + ec.message()),
                             "UNEXPECTED_EOF_WHILE_READING", nullptr, 0);
        case tls::errc::session_shut_down:
            return raise_ssl(state->tls[slot_zero_return], 6, "TLS/SSL connection has been closed (EOF)",
                             "ZERO_RETURN", nullptr, 0);
        case tls::errc::server_hostname_required:
        case tls::errc::handshake_not_done:
        case tls::errc::not_tls:
        case tls::errc::bad_argument:
            PyErr_SetString(PyExc_ValueError, ec.message().c_str());
            return nullptr;
        default: break;
    }
    if (tls::is_certificate_error(ec)) {
        // "certificate verify failed: certificate has expired", as CPython's.
        std::string why = words.empty() ? ec.message() : "certificate verify failed: " + words;
        return raise_ssl(state->tls[slot_cert], 1, "[SSL: CERTIFICATE_VERIFY_FAILED] " + why,
                         "CERTIFICATE_VERIFY_FAILED", &words, verify_code(e));
    }
    const char* reason = e == tls::errc::no_peer_certificate     ? "PEER_DID_NOT_RETURN_A_CERTIFICATE"
                         : e == tls::errc::key_mismatch          ? "KEY_VALUES_MISMATCH"
                         : e == tls::errc::no_cipher_match       ? "NO_CIPHER_MATCH"
                         : e == tls::errc::protocol_error        ? "WRONG_VERSION_NUMBER"
                         : e == tls::errc::handshake_failure     ? "HANDSHAKE_FAILURE"
                         : e == tls::errc::bad_certificate_data  ? "PEM_LIB"
                                                                 : nullptr;
    const std::string text = std::string("[SSL") + (reason != nullptr ? std::string(": ") + reason : "") + "] ";
    return raise_ssl(state->tls[slot_error], 1, with_words(text + ec.message()), reason, nullptr, 0);
}

namespace {

// --- SSLContext --------------------------------------------------------------------------------

py_context* as_ctx(PyObject* self) noexcept { return reinterpret_cast<py_context*>(self); }

// CPython's TLSVersion values.
constexpr int minimum_supported = -2;
constexpr int maximum_supported = -1;
constexpr int tls1_2 = 0x0303;
constexpr int tls1_3 = 0x0304;

PyObject* context_alloc(PyTypeObject* type) {
    PyObject* self = type->tp_alloc(type, 0);
    if (self == nullptr) return nullptr;
    new (&as_ctx(self)->ctx) std::optional<tls::context>();
    as_ctx(self)->minimum_version = minimum_supported;
    as_ctx(self)->maximum_version = maximum_supported;
    return self;
}

// SSLContext(protocol): PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER (MicroPython's two).
PyObject* context_new(PyTypeObject* type, PyObject* args, PyObject* kwds) {
    static const char* kwlist[] = {"protocol", nullptr};
    PyObject* protocol_obj = nullptr;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O:SSLContext", const_cast<char**>(kwlist), &protocol_obj))
        return nullptr;
    int protocol = 0;
    if (!to_int(protocol_obj, protocol)) return nullptr;
    if (protocol != protocol_tls_client && protocol != protocol_tls_server) {
        PyErr_Format(PyExc_ValueError,
                     "invalid or unsupported protocol version %d (ussl has PROTOCOL_TLS_CLIENT and PROTOCOL_TLS_SERVER)",
                     protocol);
        return nullptr;
    }
    ref self(context_alloc(type));
    if (!self) return nullptr;
    std::error_code ec;
    tls::context ctx =
        tls::context::open(protocol == protocol_tls_client ? tls::role::client : tls::role::server, ec);
    if (ec) return set_error(self.get(), ec, "SSLContext");
    ctx.set_default_trust(false);  // as CPython's: no CA trusted until asked
    as_ctx(self.get())->ctx.emplace(std::move(ctx));
    return self.release();
}

void context_dealloc(PyObject* self) {
    as_ctx(self)->ctx.~optional();
    PyTypeObject* type = Py_TYPE(self);
    type->tp_free(self);
    Py_DECREF(type);
}

// A filesystem path (str, bytes or os.PathLike) as bytes; TypeError "<what> should be a valid
// filesystem path" as CPython's.
bool path_arg(PyObject* o, const char* what, std::string& out) {
    ref fspath(PyOS_FSPath(o));
    PyObject* encoded = nullptr;
    if (!fspath || PyUnicode_FSConverter(fspath.get(), &encoded) == 0) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            PyErr_Format(PyExc_TypeError, "%s should be a valid filesystem path", what);
        }
        return false;
    }
    ref bytes(encoded);
    out.assign(PyBytes_AS_STRING(encoded), static_cast<std::size_t>(PyBytes_GET_SIZE(encoded)));
    return true;
}

// A certificate or key argument: bytes-like is the data itself (PEM or DER, as MicroPython),
// str or os.PathLike a file.
struct cert_arg {
    bool is_data = false;
    buffer_arg data;
    std::string path;
    bool get(PyObject* o, const char* what) {
        if (PyObject_CheckBuffer(o)) {
            is_data = true;
            return data.get(o, false);
        }
        return path_arg(o, what, path);
    }
    const_buffer bytes() const noexcept { return {data.data(), data.size()}; }
};

// The whole of a file, for a certificate given as data with its key as a path (or the reverse).
bool read_file(const std::string& path, std::string& out) {
    ref io(PyImport_ImportModule("io"));
    if (!io) return false;
    ref name(PyBytes_FromStringAndSize(path.data(), static_cast<Py_ssize_t>(path.size())));
    if (!name) return false;
    ref file(PyObject_CallMethod(io.get(), "open", "Os", name.get(), "rb"));
    if (!file) return false;
    ref content(PyObject_CallMethod(file.get(), "read", nullptr));
    ref closed(PyObject_CallMethod(file.get(), "close", nullptr));
    if (!content || !closed) return false;
    if (!PyBytes_Check(content.get())) {
        PyErr_SetString(PyExc_TypeError, "read() did not return bytes");
        return false;
    }
    out.assign(PyBytes_AS_STRING(content.get()), static_cast<std::size_t>(PyBytes_GET_SIZE(content.get())));
    return true;
}

// The password of load_cert_chain(): str, bytes-like, or a callable returning one of them.
bool password_arg(PyObject* o, std::string& out) {
    if (o == nullptr || o == Py_None) return true;
    ref value(PyCallable_Check(o) ? PyObject_CallNoArgs(o) : Py_NewRef(o));
    if (!value) return false;
    if (PyUnicode_Check(value.get())) {
        Py_ssize_t n = 0;
        const char* s = PyUnicode_AsUTF8AndSize(value.get(), &n);
        if (s == nullptr) return false;
        out.assign(s, static_cast<std::size_t>(n));
        return true;
    }
    buffer_arg bytes;
    if (!PyObject_CheckBuffer(value.get()) || !bytes.get(value.get(), false)) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, PyCallable_Check(o) ? "password callback must return a string"
                                                             : "password should be a string or callable");
        return false;
    }
    out.assign(static_cast<const char*>(bytes.data()), bytes.size());
    return true;
}

// load_cert_chain(certfile, keyfile=None, password=None): files, or bytes (PEM or DER).
PyObject* context_load_cert_chain(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"certfile", "keyfile", "password"};
    PyObject* a[3];
    if (!parse_args("load_cert_chain", args, nargs, kwnames, names, 1, 3, a)) return nullptr;
    cert_arg cert, key;
    const bool has_key = a[1] != nullptr && a[1] != Py_None;
    std::string password;
    if (!cert.get(a[0], "certfile") || (has_key && !key.get(a[1], "keyfile")) || !password_arg(a[2], password))
        return nullptr;
    tls::context& ctx = context_of(self);
    std::error_code ec;
    if (!cert.is_data && (!has_key || !key.is_data)) {
        without_gil([&] { ctx.load_cert_chain(cert.path, has_key ? key.path : std::string(), password, ec); });
    } else {
        std::string cert_file, key_file;  // a path next to data: its content
        if ((!cert.is_data && !read_file(cert.path, cert_file)) || (has_key && !key.is_data && !read_file(key.path, key_file)))
            return nullptr;
        const const_buffer c = cert.is_data ? cert.bytes() : const_buffer(cert_file.data(), cert_file.size());
        const const_buffer k = !has_key      ? const_buffer()
                               : key.is_data ? key.bytes()
                                             : const_buffer(key_file.data(), key_file.size());
        without_gil([&] { ctx.load_cert_chain_data(c, k, password, ec); });
    }
    if (ec) return set_error(self, ec, "load_cert_chain");
    Py_RETURN_NONE;
}

// load_verify_locations(cafile=None, capath=None, cadata=None): cadata a str (PEM) or
// bytes-like (DER or PEM).
PyObject* context_load_verify_locations(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"cafile", "capath", "cadata"};
    PyObject* a[3];
    if (!parse_args("load_verify_locations", args, nargs, kwnames, names, 0, 3, a)) return nullptr;
    for (PyObject*& o : a)
        if (o == Py_None) o = nullptr;
    if (a[0] == nullptr && a[1] == nullptr && a[2] == nullptr) {
        PyErr_SetString(PyExc_TypeError, "cafile, capath and cadata cannot be all omitted");
        return nullptr;
    }
    std::string cafile;
    if (a[0] != nullptr && !path_arg(a[0], "cafile", cafile)) return nullptr;
    if (a[1] != nullptr) {
        std::string capath;
        if (!path_arg(a[1], "capath", capath)) return nullptr;
        PyErr_SetString(PyExc_NotImplementedError,
                        "load_verify_locations(): capath is not supported by ussl (use cafile, cadata or load_default_certs())");
        return nullptr;
    }
    buffer_arg cadata;
    std::string text;
    if (a[2] != nullptr) {
        if (PyUnicode_Check(a[2])) {
            Py_ssize_t n = 0;
            const char* s = PyUnicode_AsUTF8AndSize(a[2], &n);
            if (s == nullptr) return nullptr;
            text.assign(s, static_cast<std::size_t>(n));
        } else if (!PyObject_CheckBuffer(a[2]) || !cadata.get(a[2], false)) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "cadata should be an ASCII string or a bytes-like object");
            return nullptr;
        }
    }
    tls::context& ctx = context_of(self);
    std::error_code ec;
    if (a[0] != nullptr) without_gil([&] { ctx.load_verify_file(cafile, ec); });
    if (!ec && a[2] != nullptr) {
        const const_buffer data = PyUnicode_Check(a[2]) ? const_buffer(text.data(), text.size())
                                                        : const_buffer(cadata.data(), cadata.size());
        without_gil([&] { ctx.load_verify_data(data, ec); });
    }
    if (ec) return set_error(self, ec, "load_verify_locations");
    Py_RETURN_NONE;
}

PyObject* context_load_default_certs(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"purpose"};
    PyObject* a[1];
    if (!parse_args("load_default_certs", args, nargs, kwnames, names, 0, 1, a)) return nullptr;
    std::error_code ec;
    tls::context& ctx = context_of(self);
    without_gil([&] { ctx.load_default_certs(ec); });
    if (ec) return set_error(self, ec, "load_default_certs");
    Py_RETURN_NONE;
}

// set_ciphers(ciphers): a str in the engine's syntax (CPython), or a list of suite names
// (MicroPython), joined by ':'.
PyObject* context_set_ciphers(PyObject* self, PyObject* arg) {
    std::string list;
    if (PyUnicode_Check(arg)) {
        Py_ssize_t n = 0;
        const char* s = PyUnicode_AsUTF8AndSize(arg, &n);
        if (s == nullptr) return nullptr;
        list.assign(s, static_cast<std::size_t>(n));
    } else if (PyList_Check(arg) || PyTuple_Check(arg)) {
        ref items(PySequence_Fast(arg, "set_ciphers() takes a str or a list of str"));
        if (!items) return nullptr;
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(items.get()); ++i) {
            PyObject* item = PySequence_Fast_GET_ITEM(items.get(), i);
            if (!PyUnicode_Check(item)) {
                PyErr_Format(PyExc_TypeError, "set_ciphers(): cipher names must be str, not %.200s",
                             Py_TYPE(item)->tp_name);
                return nullptr;
            }
            Py_ssize_t n = 0;
            const char* s = PyUnicode_AsUTF8AndSize(item, &n);
            if (s == nullptr) return nullptr;
            if (!list.empty()) list += ':';
            list.append(s, static_cast<std::size_t>(n));
        }
    } else {
        PyErr_Format(PyExc_TypeError, "set_ciphers() argument must be str or a list of str, not %.200s",
                     Py_TYPE(arg)->tp_name);
        return nullptr;
    }
    if (list.find('\0') != std::string::npos) {
        PyErr_SetString(PyExc_ValueError, "embedded null character");
        return nullptr;
    }
    std::error_code ec;
    context_of(self).set_ciphers(list, ec);
    if (ec) return set_error(self, ec, "set_ciphers");
    Py_RETURN_NONE;
}

// get_ciphers(): the names of the enabled suites (MicroPython's list of str).
PyObject* context_get_ciphers(PyObject* self, PyObject*) {
    const std::vector<std::string> names = context_of(self).get_ciphers();
    ref out(PyList_New(static_cast<Py_ssize_t>(names.size())));
    if (!out) return nullptr;
    for (std::size_t i = 0; i < names.size(); ++i) {
        PyObject* name = PyUnicode_FromStringAndSize(names[i].data(), static_cast<Py_ssize_t>(names[i].size()));
        if (name == nullptr) return nullptr;
        PyList_SET_ITEM(out.get(), static_cast<Py_ssize_t>(i), name);
    }
    return out.release();
}

// set_alpn_protocols(protocols): a sequence of str, in order of preference.
PyObject* context_set_alpn_protocols(PyObject* self, PyObject* arg) {
    ref items(PySequence_Fast(arg, "set_alpn_protocols() argument must be a sequence of str"));
    if (!items) return nullptr;
    std::vector<std::string> protocols;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(items.get()); ++i) {
        PyObject* item = PySequence_Fast_GET_ITEM(items.get(), i);
        if (!PyUnicode_Check(item)) {
            PyErr_Format(PyExc_TypeError, "set_alpn_protocols(): protocols must be str, not %.200s",
                         Py_TYPE(item)->tp_name);
            return nullptr;
        }
        Py_ssize_t n = 0;
        const char* s = PyUnicode_AsUTF8AndSize(item, &n);
        if (s == nullptr) return nullptr;
        if (n == 0 || n > 255) {  // CPython's SSLError
            const module_state* state = state_of(self);
            PyErr_SetString(state != nullptr && state->tls[slot_error] != nullptr ? state->tls[slot_error] : PyExc_OSError,
                            "ALPN protocols must be 1 to 255 in length");
            return nullptr;
        }
        protocols.emplace_back(s, static_cast<std::size_t>(n));
    }
    std::error_code ec;
    context_of(self).set_alpn_protocols(protocols, ec);
    if (ec) return set_error(self, ec, "set_alpn_protocols");
    Py_RETURN_NONE;
}

// wrap_socket(sock, server_side=False, do_handshake_on_connect=True, suppress_ragged_eofs=True,
// server_hostname=None, session=None): `sock` becomes closed (CPython detaches it) and the
// returned SSLSocket owns its connection.
PyObject* context_wrap_socket(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"sock", "server_side", "do_handshake_on_connect", "suppress_ragged_eofs",
                                        "server_hostname", "session"};
    PyObject* a[6];
    if (!parse_args("wrap_socket", args, nargs, kwnames, names, 1, 6, a)) return nullptr;
    const module_state* state = state_of(self);
    if (!is_socket(state, a[0])) {
        PyErr_Format(PyExc_TypeError, "wrap_socket() argument 'sock' must be usocket.socket, not %.200s",
                     Py_TYPE(a[0])->tp_name);
        return nullptr;
    }
    const auto flag = [](PyObject* o, bool dflt) { return o == nullptr ? (dflt ? 1 : 0) : PyObject_IsTrue(o); };
    const int server_side = flag(a[1], false), handshake = flag(a[2], true), ragged = flag(a[3], true);
    if (server_side < 0 || handshake < 0 || ragged < 0) return nullptr;
    tls::wrap_options options;
    options.suppress_ragged_eofs = ragged != 0;
    if (a[4] != nullptr && a[4] != Py_None) {
        if (server_side) {
            PyErr_SetString(PyExc_ValueError, "server_hostname can only be specified in client mode");
            return nullptr;
        }
        ref encoded;
        if (PyUnicode_Check(a[4])) {
            encoded = ref(PyUnicode_AsEncodedString(a[4], PyUnicode_IS_ASCII(a[4]) ? "ascii" : "idna", "strict"));
        } else if (PyBytes_Check(a[4])) {
            encoded = ref(Py_NewRef(a[4]));
        } else {
            PyErr_Format(PyExc_TypeError, "server_hostname must be str, not %.200s", Py_TYPE(a[4])->tp_name);
            return nullptr;
        }
        if (!encoded) return nullptr;
        options.server_hostname.assign(PyBytes_AS_STRING(encoded.get()),
                                       static_cast<std::size_t>(PyBytes_GET_SIZE(encoded.get())));
        if (options.server_hostname.empty() || options.server_hostname[0] == '.') {
            PyErr_SetString(PyExc_ValueError, "server_hostname cannot be an empty string or start with a leading dot.");
            return nullptr;
        }
        if (options.server_hostname.size() > 253) {  // a DNS name's limit (CPython's idna codec refuses it too)
            PyErr_SetString(PyExc_ValueError, "server_hostname is too long (a host name has at most 253 bytes)");
            return nullptr;
        }
        if (options.server_hostname.find('\0') != std::string::npos) {
            PyErr_SetString(PyExc_ValueError, "server_hostname must not contain null characters");
            return nullptr;
        }
    }
    if (a[5] != nullptr && a[5] != Py_None) {
        PyErr_SetString(PyExc_TypeError, "Value is not a SSLSession (ussl does not resume sessions).");
        return nullptr;
    }
    tls::context& ctx = context_of(self);
    const bool client = ctx.get_role() == tls::role::client;
    if (client == (server_side != 0)) {
        PyErr_SetString(PyExc_ValueError, client ? "Cannot create a server socket with a PROTOCOL_TLS_CLIENT context"
                                                 : "Cannot create a client socket with a PROTOCOL_TLS_SERVER context");
        return nullptr;
    }
    if (client && ctx.check_hostname() && options.server_hostname.empty()) {
        PyErr_SetString(PyExc_ValueError, "check_hostname requires server_hostname");
        return nullptr;
    }
    py_socket* plain_obj = reinterpret_cast<py_socket*>(a[0]);
    usocket::socket& plain = plain_obj->sock;
    if (!plain.is_open()) return set_errno(EBADF);
    if (plain.type() != sock_stream) {
        PyErr_SetString(PyExc_NotImplementedError, "only stream sockets are supported");
        return nullptr;
    }
    if (is_ssl_socket(state, a[0])) {
        PyErr_SetString(PyExc_ValueError, "wrap_socket(): the socket already has TLS");
        return nullptr;
    }
    // Another thread blocked in a call on `sock` uses its usocket::socket: it cannot move.
    if (plain_obj->calls > 0) {
        PyErr_SetString(PyExc_RuntimeError, "wrap_socket() on a socket another thread is using");
        return nullptr;
    }
    options.do_handshake_on_connect = handshake != 0;
    // As CPython's detach(): the socket object is closed, the SSLSocket owns the descriptor.
    usocket::socket moved = std::move(plain);
    plain_obj->closed = 1;
    return wrap_plain(self, ctx, std::move(moved), options, handshake != 0);
}

// The verify_mode attribute: CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED.
PyObject* get_verify_mode(PyObject* self, void*) {
    return PyLong_FromLong(static_cast<long>(context_of(self).get_verify_mode()));
}

int set_verify_mode(PyObject* self, PyObject* value, void*) {
    if (value == nullptr) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete verify_mode");
        return -1;
    }
    int mode = 0;
    if (!to_int(value, mode)) return -1;
    if (mode < 0 || mode > 2) {
        PyErr_SetString(PyExc_ValueError, "invalid value for verify_mode");
        return -1;
    }
    tls::context& ctx = context_of(self);
    if (mode == 0 && ctx.check_hostname()) {
        PyErr_SetString(PyExc_ValueError, "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
        return -1;
    }
    ctx.set_verify_mode(static_cast<tls::verify_mode>(mode));
    return 0;
}

PyObject* get_check_hostname(PyObject* self, void*) { return PyBool_FromLong(context_of(self).check_hostname()); }

int set_check_hostname(PyObject* self, PyObject* value, void*) {
    if (value == nullptr) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete check_hostname");
        return -1;
    }
    const int on = PyObject_IsTrue(value);
    if (on < 0) return -1;
    context_of(self).set_check_hostname(on != 0);
    return 0;
}

PyObject* get_protocol(PyObject* self, void*) {
    return PyLong_FromLong(context_of(self).get_role() == tls::role::client ? protocol_tls_client : protocol_tls_server);
}

// minimum_version / maximum_version: CPython's TLSVersion values (TLSv1_2, TLSv1_3,
// MINIMUM_SUPPORTED, MAXIMUM_SUPPORTED); older versions are not spoken.
int set_version(PyObject* self, PyObject* value, bool minimum) {
    if (value == nullptr) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete the version");
        return -1;
    }
    int v = 0;
    if (!to_int(value, v)) return -1;
    tls::protocol_version pv;
    if (v == minimum_supported || v == tls1_2) pv = tls::protocol_version::tls1_2;
    else if (v == tls1_3 || (v == maximum_supported && tls::has_tls1_3())) pv = tls::protocol_version::tls1_3;
    else if (v == maximum_supported) pv = tls::protocol_version::tls1_2;
    else {
        PyErr_Format(PyExc_ValueError, "Unsupported TLS/SSL version 0x%x", static_cast<unsigned>(v));
        return -1;
    }
    std::error_code ec;
    if (minimum) context_of(self).set_minimum_version(pv, ec);
    else context_of(self).set_maximum_version(pv, ec);
    if (ec) {
        set_error(self, ec, minimum ? "minimum_version" : "maximum_version");
        return -1;
    }
    (minimum ? as_ctx(self)->minimum_version : as_ctx(self)->maximum_version) = v;
    return 0;
}

PyObject* get_minimum_version(PyObject* self, void*) { return PyLong_FromLong(as_ctx(self)->minimum_version); }
PyObject* get_maximum_version(PyObject* self, void*) { return PyLong_FromLong(as_ctx(self)->maximum_version); }
int set_minimum_version(PyObject* self, PyObject* value, void*) { return set_version(self, value, true); }
int set_maximum_version(PyObject* self, PyObject* value, void*) { return set_version(self, value, false); }

PyGetSetDef context_getset[] = {
    {"verify_mode", get_verify_mode, set_verify_mode, "CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED", nullptr},
    {"check_hostname", get_check_hostname, set_check_hostname, "a client checks the server's name", nullptr},
    {"protocol", get_protocol, nullptr, "PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER", nullptr},
    {"minimum_version", get_minimum_version, set_minimum_version, "the oldest TLS version spoken", nullptr},
    {"maximum_version", get_maximum_version, set_maximum_version, "the newest TLS version spoken", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyMethodDef context_methods[] = {
    {"load_cert_chain", USOCKET_METHOD(context_load_cert_chain), METH_FASTCALL | METH_KEYWORDS,
     "load_cert_chain(certfile, keyfile=None, password=None): paths, or bytes (PEM or DER)"},
    {"load_verify_locations", USOCKET_METHOD(context_load_verify_locations), METH_FASTCALL | METH_KEYWORDS,
     "load_verify_locations(cafile=None, capath=None, cadata=None): CAs to trust (PEM or DER)"},
    {"load_default_certs", USOCKET_METHOD(context_load_default_certs), METH_FASTCALL | METH_KEYWORDS,
     "load_default_certs(purpose=None): trusts the system's CAs"},
    {"set_ciphers", context_set_ciphers, METH_O, "set_ciphers(str in the engine's syntax, or list of names)"},
    {"get_ciphers", context_get_ciphers, METH_NOARGS, "get_ciphers() -> list of the enabled suites' names"},
    {"set_alpn_protocols", context_set_alpn_protocols, METH_O, "set_alpn_protocols(['h2', 'http/1.1'])"},
    {"wrap_socket", USOCKET_METHOD(context_wrap_socket), METH_FASTCALL | METH_KEYWORDS,
     "wrap_socket(sock, server_side=False, do_handshake_on_connect=True, suppress_ragged_eofs=True,\n"
     "            server_hostname=None, session=None) -> SSLSocket"},
    {nullptr, nullptr, 0, nullptr},
};

PyTypeObject* make_context_type(PyObject* module) {
    PyType_Slot slots[] = {
        {Py_tp_doc, const_cast<char*>("SSLContext(protocol)\n\nTLS settings over usocket::tls::context: "
                                       "PROTOCOL_TLS_CLIENT (verifies, checks the host name) or PROTOCOL_TLS_SERVER.")},
        {Py_tp_new, reinterpret_cast<void*>(context_new)},
        {Py_tp_dealloc, reinterpret_cast<void*>(context_dealloc)},
        {Py_tp_methods, context_methods},
        {Py_tp_getset, context_getset},
        {0, nullptr},
    };
    PyType_Spec spec = {"ussl.SSLContext", sizeof(py_context), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, slots};
    return reinterpret_cast<PyTypeObject*>(PyType_FromModuleAndSpec(module, &spec, nullptr));
}

// An exception class of `ns` (and its slot), with SSLError's __str__ where it is the root.
bool add_exception(PyObject* ns, module_state* state, tls_slot slot, const char* name, PyObject* bases,
                   const char* doc) {
    ref dict(PyDict_New());
    if (!dict) return false;
    if (slot == slot_error) {
        ref fn(PyCFunction_New(&ssl_error_str_def, nullptr));
        ref method(fn ? PyInstanceMethod_New(fn.get()) : nullptr);
        if (!method || PyDict_SetItemString(dict.get(), "__str__", method.get()) < 0) return false;
    }
    const std::string full = std::string("ussl.") + name;
    state->tls[slot] = PyErr_NewExceptionWithDoc(full.c_str(), doc, bases, dict.get());
    return state->tls[slot] != nullptr && PyModule_AddObjectRef(ns, name, state->tls[slot]) == 0;
}

}  // namespace

PyObject* new_context_object(const module_state* state, const tls::context& ctx) {
    PyTypeObject* type = tls_type(state, slot_context_type);
    if (type == nullptr) {
        PyErr_SetString(PyExc_RuntimeError, "usocket: the module is gone");
        return nullptr;
    }
    PyObject* self = context_alloc(type);
    if (self != nullptr) as_ctx(self)->ctx.emplace(ctx);
    return self;
}

bool add_tls(PyObject* module) {
    module_state* state = state_of_module(module);
    ref ns_owned(PyModule_New("usocket._tls"));
    if (!ns_owned) return false;
    PyObject* ns = ns_owned.get();
    state->tls[slot_namespace] = ns_owned.release();
    if (PyModule_AddObjectRef(module, "_tls", ns) < 0) return false;

    state->tls[slot_context_type] = reinterpret_cast<PyObject*>(make_context_type(module));
    if (state->tls[slot_context_type] == nullptr ||
        PyModule_AddObjectRef(ns, "SSLContext", state->tls[slot_context_type]) < 0)
        return false;
    state->tls[slot_socket_type] = reinterpret_cast<PyObject*>(make_ssl_socket_type(module, state->socket_type));
    if (state->tls[slot_socket_type] == nullptr ||
        PyModule_AddObjectRef(ns, "SSLSocket", state->tls[slot_socket_type]) < 0)
        return false;

    if (!add_exception(ns, state, slot_error, "SSLError", PyExc_OSError, "An error of the TLS layer."))
        return false;
    PyObject* base = state->tls[slot_error];
    ref cert_bases(PyTuple_Pack(2, base, PyExc_ValueError));
    if (!cert_bases ||
        !add_exception(ns, state, slot_zero_return, "SSLZeroReturnError", base, "The TLS connection was closed.") ||
        !add_exception(ns, state, slot_want_read, "SSLWantReadError", base,
                       "Non-blocking: wait until the socket is readable, then call again.") ||
        !add_exception(ns, state, slot_want_write, "SSLWantWriteError", base,
                       "Non-blocking: wait until the socket is writable, then call again.") ||
        !add_exception(ns, state, slot_syscall, "SSLSyscallError", base, "A system error of the TLS layer.") ||
        !add_exception(ns, state, slot_eof, "SSLEOFError", base, "The connection ended in violation of the protocol.") ||
        !add_exception(ns, state, slot_cert, "SSLCertVerificationError", cert_bases.get(),
                       "The peer's certificate failed verification."))
        return false;

    const std::string version = tls::engine_version();
    if (PyModule_AddIntConstant(ns, "PROTOCOL_TLS_CLIENT", protocol_tls_client) < 0 ||
        PyModule_AddIntConstant(ns, "PROTOCOL_TLS_SERVER", protocol_tls_server) < 0 ||
        PyModule_AddIntConstant(ns, "CERT_NONE", 0) < 0 || PyModule_AddIntConstant(ns, "CERT_OPTIONAL", 1) < 0 ||
        PyModule_AddIntConstant(ns, "CERT_REQUIRED", 2) < 0 ||
        PyModule_AddStringConstant(ns, "ENGINE_VERSION", version.c_str()) < 0 ||
        PyModule_AddObjectRef(ns, "HAS_TLSv1_3", tls::has_tls1_3() ? Py_True : Py_False) < 0)
        return false;
    return true;
}

}  // namespace usocket::python

#endif
