// SSLSocket: a subclass of usocket.socket whose usocket::socket carries a TLS session
// (tls::context::wrap_socket()). Every inherited method (recv, send, sendall, the stream methods,
// makefile, settimeout, fileno, close, select/poll) goes through the session in the library; this
// file adds the TLS methods (do_handshake, getpeercert, cipher, version, unwrap...) and the ones
// CPython's SSLSocket changes (connect handshakes, accept wraps, dup is refused).

#include "module.hpp"

#if USOCKET_HAS_TLS

#include <cerrno>

#include "tls.hpp"

namespace usocket::python {

namespace {

py_socket* as_py(PyObject* self) noexcept { return reinterpret_cast<py_socket*>(self); }

// CPython's SSLSocket has no public constructor.
int ssl_socket_init(PyObject*, PyObject*, PyObject*) {
    PyErr_SetString(PyExc_TypeError,
                    "SSLSocket does not have a public constructor. Instances are returned by SSLContext.wrap_socket().");
    return -1;
}

// CPython's answer to a TLS call on a socket closed (EBADF) or not connected (ENOTCONN): true
// with the exception set.
bool not_connected(PyObject* self) {
    const tls::socket& s = tls_of(self);
    if (!s.is_open()) return set_errno(EBADF), true;
    std::error_code ec;
    (void)s.getpeername(ec);
    if (ec) return set_errno(ENOTCONN), true;
    return false;
}

// The error of a TLS call: a failed handshake's words come with it.
PyObject* raise(PyObject* self, const std::error_code& ec, const char* what) {
    if (ec.category() == tls::category()) return set_tls_error(self, ec);
    return set_error(self, ec, what);
}

PyObject* ssl_do_handshake(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"block"};
    PyObject* a[1];
    if (!parse_args("do_handshake", args, nargs, kwnames, names, 0, 1, a) || not_connected(self)) return nullptr;
    std::error_code ec;
    socket_call(self, [&] { tls_of(self).do_handshake(ec); });
    if (ec) return raise(self, ec, "do_handshake");
    Py_RETURN_NONE;
}

PyObject* name_tuple(const tls::distinguished_name& dn) {
    ref out(PyTuple_New(static_cast<Py_ssize_t>(dn.size())));
    if (!out) return nullptr;
    for (std::size_t i = 0; i < dn.size(); ++i) {
        ref rdn(PyTuple_New(static_cast<Py_ssize_t>(dn[i].size())));
        if (!rdn) return nullptr;
        for (std::size_t j = 0; j < dn[i].size(); ++j) {
            PyObject* pair = Py_BuildValue("(s#s#)", dn[i][j].name.data(), static_cast<Py_ssize_t>(dn[i][j].name.size()),
                                           dn[i][j].value.data(), static_cast<Py_ssize_t>(dn[i][j].value.size()));
            if (pair == nullptr) return nullptr;
            PyTuple_SET_ITEM(rdn.get(), static_cast<Py_ssize_t>(j), pair);
        }
        PyTuple_SET_ITEM(out.get(), static_cast<Py_ssize_t>(i), rdn.release());
    }
    return out.release();
}

bool set_item(PyObject* dict, const char* key, PyObject* value) {
    ref owned(value);
    return owned && PyDict_SetItemString(dict, key, owned.get()) == 0;
}

PyObject* str(const std::string& s) { return PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace"); }

// CPython's getpeercert() dict.
PyObject* certificate_dict(const tls::certificate_info& c) {
    ref d(PyDict_New());
    if (!d) return nullptr;
    ref alt(PyTuple_New(static_cast<Py_ssize_t>(c.subject_alt_name.size())));
    if (!alt) return nullptr;
    for (std::size_t i = 0; i < c.subject_alt_name.size(); ++i) {
        const auto& [kind, value] = c.subject_alt_name[i];
        PyObject* pair = Py_BuildValue("(NN)", str(kind), str(value));
        if (pair == nullptr) return nullptr;
        PyTuple_SET_ITEM(alt.get(), static_cast<Py_ssize_t>(i), pair);
    }
    if (!set_item(d.get(), "subject", name_tuple(c.subject)) || !set_item(d.get(), "issuer", name_tuple(c.issuer)) ||
        !set_item(d.get(), "version", PyLong_FromLong(c.version)) ||
        !set_item(d.get(), "serialNumber", str(c.serial_number)) ||
        !set_item(d.get(), "notBefore", str(c.not_before)) || !set_item(d.get(), "notAfter", str(c.not_after)))
        return nullptr;
    if (!c.subject_alt_name.empty() && !set_item(d.get(), "subjectAltName", alt.release())) return nullptr;
    return d.release();
}

// getpeercert(binary_form=False): the verified certificate as a dict ({} for one not verified),
// or its DER bytes; None without one.
PyObject* ssl_getpeercert(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"binary_form"};
    PyObject* a[1];
    if (!parse_args("getpeercert", args, nargs, kwnames, names, 0, 1, a)) return nullptr;
    const int binary = a[0] == nullptr ? 0 : PyObject_IsTrue(a[0]);
    if (binary < 0) return nullptr;
    if (not_connected(self)) return nullptr;
    const tls::socket& s = tls_of(self);
    std::error_code ec;
    const std::string der = s.getpeercert_der(ec);
    if (ec) return raise(self, ec, "getpeercert");
    if (binary) {
        if (der.empty()) Py_RETURN_NONE;
        return PyBytes_FromStringAndSize(der.data(), static_cast<Py_ssize_t>(der.size()));
    }
    const auto info = s.getpeercert(ec);
    if (ec) return raise(self, ec, "getpeercert");
    if (info) return certificate_dict(*info);
    if (der.empty()) Py_RETURN_NONE;
    return PyDict_New();
}

PyObject* ssl_cipher(PyObject* self, PyObject*) {
    if (!sock_of(self).is_open()) Py_RETURN_NONE;  // as CPython's, once closed or unwrapped
    const auto c = tls_of(self).cipher();
    if (!c) Py_RETURN_NONE;
    return Py_BuildValue("(NNi)", str(c->name), str(c->protocol), c->secret_bits);
}

PyObject* ssl_version(PyObject* self, PyObject*) {
    if (!sock_of(self).is_open()) Py_RETURN_NONE;  // as CPython's, once closed or unwrapped
    const std::string v = tls_of(self).version();
    if (v.empty()) Py_RETURN_NONE;
    return str(v);
}

PyObject* ssl_selected_alpn_protocol(PyObject* self, PyObject*) {
    if (!sock_of(self).is_open()) Py_RETURN_NONE;  // as CPython's, once closed or unwrapped
    const std::string p = tls_of(self).selected_alpn_protocol();
    if (p.empty()) Py_RETURN_NONE;
    return str(p);
}

PyObject* ssl_compression(PyObject*, PyObject*) { Py_RETURN_NONE; }

// pending(): bytes decrypted and not read yet.
PyObject* ssl_pending(PyObject* self, PyObject*) { return PyLong_FromSize_t(tls_of(self).pending()); }

// unwrap(): the close notifications both ways, then the plain socket (this one is closed).
PyObject* ssl_unwrap(PyObject* self, PyObject*) {
    std::error_code ec;
    usocket::socket plain = socket_call(self, [&] { return tls_of(self).unwrap(ec); });
    if (ec) return raise(self, ec, "unwrap");
    as_py(self)->closed = 1;
    return wrap_socket(state_of(self), std::move(plain));
}

// tls::socket::connect() of the address argument: connects, then handshakes (unless wrapped
// with do_handshake_on_connect false), all under the socket's timeout. False when the argument
// was bad (the exception set); else `ec` says how the connection went.
bool connect_tls(PyObject* self, PyObject* arg, const char* what, std::error_code& ec) {
    tls::socket& s = tls_of(self);
    address peer;
    if (!to_address(self, arg, s.family(), what, address_forms::connect, peer)) return false;
    socket_call(self, [&] { s.connect(peer, ec); });
    return true;
}

PyObject* ssl_connect(PyObject* self, PyObject* arg) {
    std::error_code ec;
    if (!connect_tls(self, arg, "connect", ec)) return nullptr;
    if (ec) return raise(self, ec, "connect");
    Py_RETURN_NONE;
}

// connect_ex(address): connect()'s errno (0 when connected and handshaken); a TLS failure raises.
PyObject* ssl_connect_ex(PyObject* self, PyObject* arg) {
    std::error_code ec;
    if (!connect_tls(self, arg, "connect_ex", ec)) return nullptr;
    if (!ec) return PyLong_FromLong(0);
    if (ec.category() == tls::category() || PyErr_Occurred() != nullptr) return raise(self, ec, "connect_ex");
    return PyLong_FromLong(ec.value());
}

// accept(): the connection wrapped with this socket's context (server side), handshaken.
PyObject* ssl_accept(PyObject* self, PyObject*) {
    address peer;
    std::error_code ec;
    usocket::socket conn = socket_call(self, [&] { return sock_of(self).accept(&peer, ec); });
    if (ec) return set_error(self, ec, "accept");
    tls::wrap_options options;
    ref obj(wrap_plain(self, tls_of(self).context(), std::move(conn), options, true));
    if (!obj) return nullptr;
    ref addr(from_address(peer));
    if (!addr) return nullptr;
    return PyTuple_Pack(2, obj.get(), addr.get());
}

// shutdown(how): SHUT_WR (and SHUT_RDWR) send the close notification first.
PyObject* ssl_shutdown(PyObject* self, PyObject* arg) {
    int how = 0;
    if (!to_int(arg, how)) return nullptr;
    std::error_code ec;
    socket_call(self, [&] { tls_of(self).shutdown(shutdown_how{how}, ec); });
    if (ec) return raise(self, ec, "shutdown");
    Py_RETURN_NONE;
}

PyObject* ssl_dup(PyObject*, PyObject*) {
    PyErr_SetString(PyExc_NotImplementedError, "Can't dup() SSLSocket instances");
    return nullptr;
}

// recvfrom & co. carry no addresses over TLS: ValueError, as CPython's; the message calls would
// pass bytes unencrypted: NotImplementedError, as CPython's.
template <const char* Name, bool Message = false>
PyObject* ssl_not_allowed(PyObject* self, PyObject*, PyObject*) {
    PyErr_Format(Message ? PyExc_NotImplementedError : PyExc_ValueError, "%s not allowed on instances of %s", Name,
                 Py_TYPE(self)->tp_name);
    return nullptr;
}
constexpr char recvfrom_name[] = "recvfrom";
constexpr char recvfrom_into_name[] = "recvfrom_into";
constexpr char sendto_name[] = "sendto";
constexpr char recvmsg_name[] = "recvmsg";
constexpr char recvmsg_into_name[] = "recvmsg_into";
constexpr char sendmsg_name[] = "sendmsg";

PyObject* get_server_side(PyObject* self, void*) { return PyBool_FromLong(tls_of(self).server_side()); }

PyObject* get_server_hostname(PyObject* self, void*) {
    const std::string name = tls_of(self).server_hostname();
    if (name.empty()) Py_RETURN_NONE;
    return str(name);
}

PyObject* get_context(PyObject* self, void*) {
    if (!tls_of(self).is_open()) Py_RETURN_NONE;
    return new_context_object(state_of(self), tls_of(self).context());
}

PyObject* get_session_reused(PyObject* self, void*) { return PyBool_FromLong(tls_of(self).session_reused()); }

PyGetSetDef ssl_getset[] = {
    {"server_side", get_server_side, nullptr, "True for the server's end", nullptr},
    {"server_hostname", get_server_hostname, nullptr, "the server name it was wrapped with, or None", nullptr},
    {"context", get_context, nullptr, "the SSLContext (settings) of the connection", nullptr},
    {"session_reused", get_session_reused, nullptr, "the handshake resumed a session", nullptr},
    {nullptr, nullptr, nullptr, nullptr, nullptr},
};

PyMethodDef ssl_methods[] = {
    {"do_handshake", USOCKET_METHOD(ssl_do_handshake), METH_FASTCALL | METH_KEYWORDS,
     "do_handshake(): the handshake (or its rest) under the timeout; SSLWantReadError/SSLWantWriteError "
     "when non-blocking"},
    {"getpeercert", USOCKET_METHOD(ssl_getpeercert), METH_FASTCALL | METH_KEYWORDS,
     "getpeercert(binary_form=False) -> dict ({} if not verified), DER bytes, or None"},
    {"cipher", ssl_cipher, METH_NOARGS, "cipher() -> (name, protocol, secret_bits) or None"},
    {"version", ssl_version, METH_NOARGS, "version() -> 'TLSv1.3', 'TLSv1.2' or None"},
    {"selected_alpn_protocol", ssl_selected_alpn_protocol, METH_NOARGS, "selected_alpn_protocol() -> str or None"},
    {"compression", ssl_compression, METH_NOARGS, "compression() -> None"},
    {"pending", ssl_pending, METH_NOARGS, "pending() -> bytes decrypted and not read yet"},
    {"unwrap", ssl_unwrap, METH_NOARGS, "unwrap() -> the plain socket, after the close notifications"},
    {"connect", ssl_connect, METH_O, "connect(address): connects, then handshakes"},
    {"connect_ex", ssl_connect_ex, METH_O, "connect_ex(address) -> errno"},
    {"accept", ssl_accept, METH_NOARGS, "accept() -> (SSLSocket, address), handshaken"},
    {"shutdown", ssl_shutdown, METH_O, "shutdown(how): SHUT_WR sends the close notification first"},
    {"dup", ssl_dup, METH_NOARGS, "not supported"},
    {"recvfrom", USOCKET_METHOD(ssl_not_allowed<recvfrom_name>), METH_VARARGS | METH_KEYWORDS, "not allowed"},
    {"recvfrom_into", USOCKET_METHOD(ssl_not_allowed<recvfrom_into_name>), METH_VARARGS | METH_KEYWORDS,
     "not allowed"},
    {"sendto", USOCKET_METHOD(ssl_not_allowed<sendto_name>), METH_VARARGS | METH_KEYWORDS, "not allowed"},
    {"recvmsg", USOCKET_METHOD((ssl_not_allowed<recvmsg_name, true>)), METH_VARARGS | METH_KEYWORDS, "not allowed"},
    {"recvmsg_into", USOCKET_METHOD((ssl_not_allowed<recvmsg_into_name, true>)), METH_VARARGS | METH_KEYWORDS,
     "not allowed"},
    {"sendmsg", USOCKET_METHOD((ssl_not_allowed<sendmsg_name, true>)), METH_VARARGS | METH_KEYWORDS, "not allowed"},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace

PyTypeObject* make_ssl_socket_type(PyObject* module, PyTypeObject* base) {
    PyType_Slot slots[] = {
        {Py_tp_doc, const_cast<char*>("A usocket socket with TLS, made by SSLContext.wrap_socket() or ussl.wrap_socket().")},
        {Py_tp_init, reinterpret_cast<void*>(ssl_socket_init)},
        {Py_tp_methods, ssl_methods},
        {Py_tp_getset, ssl_getset},
        {0, nullptr},
    };
    PyType_Spec spec = {"ussl.SSLSocket", sizeof(py_socket), 0, Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE, slots};
    return reinterpret_cast<PyTypeObject*>(
        PyType_FromModuleAndSpec(module, &spec, reinterpret_cast<PyObject*>(base)));
}

PyObject* wrap_plain(PyObject* origin, const tls::context& ctx, usocket::socket&& plain,
                     const tls::wrap_options& options, bool handshake) {
    const module_state* state = state_of(origin);
    PyTypeObject* type = tls_type(state, slot_socket_type);
    if (type == nullptr) {
        PyErr_SetString(PyExc_RuntimeError, "usocket: the module is gone");
        return nullptr;
    }
    // The handshake runs below, in a call on the new object (so that settimeout() and close()
    // from other threads, and signal handlers, see it); a socket not connected yet handshakes
    // in connect() when asked to.
    std::error_code ec;
    (void)plain.getpeername(ec);
    const bool connected = !ec;
    tls::wrap_options now = options;
    if (connected) now.do_handshake_on_connect = false;
    tls::socket s = without_gil([&] { return ctx.wrap_socket(std::move(plain), now, ec); });
    if (ec) {
        std::error_code ignored;
        without_gil([&] { plain.close(ignored); });  // nothing left open
        return set_error(origin, ec, "wrap_socket");
    }
    ref obj(state->socket_type->tp_new(type, nullptr, nullptr));
    if (!obj) {
        std::error_code ignored;
        without_gil([&] { s.close(ignored); });
        return nullptr;
    }
    sock_of(obj.get()) = std::move(s);
    if (!connected || !handshake) return obj.release();
    socket_call(obj.get(), [&] { tls_of(obj.get()).do_handshake(ec); });
    if (!ec || is_would_block(ec)) return obj.release();  // non-blocking: it goes on later
    const std::string words = tls_of(obj.get()).verify_message();
    std::error_code ignored;
    socket_call(obj.get(), [&] { tls_of(obj.get()).close(ignored); });
    as_py(obj.get())->closed = 1;
    if (ec.category() == tls::category()) return set_tls_error(obj.get(), ec, &words);
    return set_error(obj.get(), ec, "wrap_socket");
}

}  // namespace usocket::python

#endif
