// Batched datagrams on the socket (usocket::socket::send_many / recv_many: sendmmsg/recvmmsg,
// one call per datagram where the backend has none): send_many, recv_many, recv_many_into.
// Methods of the socket type, added at init as the stream methods are.

#include <algorithm>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "module.hpp"

namespace usocket::python {

namespace {

bool flags_of(PyObject* o, int& flags) { return o == nullptr || to_int(o, flags); }

// The (sequence[, flags]) arguments of send_many and recv_many_into: the items of the sequence
// (an iterable, taken once, a list as a copy), their count and a buffer_arg for each, to fill. False with the
// exception set.
bool sequence_args(const char* what, const char* first, PyObject* const* args, Py_ssize_t nargs,
                   PyObject* kwnames, ref& items, Py_ssize_t& n, std::unique_ptr<buffer_arg[]>& buffers,
                   int& flags) {
    const char* const names[] = {first, "flags"};
    PyObject* a[2];
    if (!parse_args(what, args, nargs, kwnames, names, 1, 2, a) || !flags_of(a[1], flags)) return false;
    const std::string message = std::string(what) + "() argument 1 must be an iterable";
    items = ref(PySequence_Fast(a[0], message.c_str()));
    if (!items) return false;
    // A list is taken as it is now: converting an item (an address's port's __index__) runs
    // Python code, which could change the caller's list under the loop.
    if (PyList_Check(items.get())) items = ref(PyList_AsTuple(items.get()));
    if (!items) return false;
    n = PySequence_Fast_GET_SIZE(items.get());
    buffers.reset(new (std::nothrow) buffer_arg[static_cast<std::size_t>(n)]);
    if (!buffers) PyErr_NoMemory();
    return buffers != nullptr;
}

// send_many(datagrams[, flags]) -> count: each datagram a bytes-like object (to the connected
// peer) or a (bytes-like, address) pair; sent from the first, in as few system calls as the
// backend allows. Fewer than given when the socket would block after some went; the first
// waits as the socket's timeout says.
PyObject* socket_send_many(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    ref items;
    Py_ssize_t n = 0;
    std::unique_ptr<buffer_arg[]> buffers;
    int flags = 0;
    if (!sequence_args("send_many", "datagrams", args, nargs, kwnames, items, n, buffers, flags)) return nullptr;
    const auto count = static_cast<std::size_t>(n);
    std::vector<address> addresses;
    std::vector<outgoing_datagram> datagrams;
    try {
        addresses.reserve(count);  // stable: the datagrams point into it
        datagrams.reserve(count);
    } catch (const std::bad_alloc&) {
        return PyErr_NoMemory();
    }
    usocket::socket& s = sock_of(self);
    PyObject* last_to_obj = nullptr;  // held by `items` for the whole call
    for (Py_ssize_t i = 0; i < n; ++i) {
        PyObject* item = PySequence_Fast_GET_ITEM(items.get(), i);
        outgoing_datagram d;
        if (PyTuple_Check(item)) {
            if (PyTuple_GET_SIZE(item) != 2) {
                PyErr_SetString(PyExc_TypeError, "send_many(): a datagram is bytes or a (bytes, address) pair");
                return nullptr;
            }
            if (!buffers[i].get(PyTuple_GET_ITEM(item, 0), false)) return nullptr;
            PyObject* to_obj = PyTuple_GET_ITEM(item, 1);
            if (to_obj != last_to_obj) {  // the same address object again: converted once
                address& to = addresses.emplace_back();
                if (!to_address(self, to_obj, s.family(), "send_many", address_forms::plain, to)) return nullptr;
                last_to_obj = to_obj;
            }
            d.to = &addresses.back();
        } else if (!buffers[i].get(item, false)) {
            return nullptr;
        }
        d.data = const_buffer(buffers[i].data(), buffers[i].size());
        datagrams.push_back(d);
    }
    std::error_code ec;
    const std::size_t sent = socket_call(self, [&] { return s.send_many(datagrams, msg_flags{flags}, ec); });
    if (ec) return set_error(self, ec, "send_many");
    return PyLong_FromSize_t(sent);
}

// The receiving frame of recv_many and recv_many_into: receives into `datagrams` with the GIL
// released; the count, or SIZE_MAX with the exception set.
std::size_t receive_many(PyObject* self, std::vector<incoming_datagram>& datagrams, int flags) {
    std::error_code ec;
    const std::size_t got = socket_call(self, [&] { return sock_of(self).recv_many(datagrams, msg_flags{flags}, ec); });
    if (ec) {
        set_error(self, ec, "recv_many");
        return SIZE_MAX;
    }
    return got;
}

bool count_arg(PyObject* o, const char* what, const char* name, Py_ssize_t& out) {
    if (!to_ssize(o, out)) return false;
    if (out < 0) {
        PyErr_Format(PyExc_ValueError, "negative %s in %s", name, what);
        return false;
    }
    return true;
}

// recv_many(count, bufsize[, flags]) -> [(bytes, address), ...]: waits, as the socket's timeout
// says, for the first datagram, then takes those already queued, up to count; each truncated to
// bufsize bytes (as recvfrom()).
PyObject* socket_recv_many(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    static const char* const names[] = {"count", "bufsize", "flags"};
    PyObject* a[3];
    if (!parse_args("recv_many", args, nargs, kwnames, names, 2, 3, a)) return nullptr;
    Py_ssize_t count = 0;
    Py_ssize_t bufsize = 0;
    int flags = 0;
    if (!count_arg(a[0], "recv_many", "count", count) || !count_arg(a[1], "recv_many", "buffersize", bufsize) ||
        !flags_of(a[2], flags))
        return nullptr;
    if (count == 0) return PyList_New(0);
    if (bufsize != 0 && count > PY_SSIZE_T_MAX / bufsize) return PyErr_NoMemory();
    std::unique_ptr<char[]> storage(new (std::nothrow) char[static_cast<std::size_t>(count * bufsize) + 1]);
    if (!storage) return PyErr_NoMemory();
    std::vector<incoming_datagram> datagrams;
    try {
        datagrams.resize(static_cast<std::size_t>(count));
    } catch (const std::bad_alloc&) {
        return PyErr_NoMemory();
    }
    for (std::size_t i = 0; i < datagrams.size(); ++i)
        datagrams[i].buffer = mutable_buffer(storage.get() + i * static_cast<std::size_t>(bufsize),
                                             static_cast<std::size_t>(bufsize));
    const std::size_t got = receive_many(self, datagrams, flags);
    if (got == SIZE_MAX) return nullptr;
    ref out(PyList_New(static_cast<Py_ssize_t>(got)));
    if (!out) return nullptr;
    for (std::size_t i = 0; i < got; ++i) {
        const incoming_datagram& d = datagrams[i];
        // With MSG_TRUNC a datagram's size is its whole length: the data is only what fitted,
        // as recvmsg()'s.
        ref data(PyBytes_FromStringAndSize(reinterpret_cast<const char*>(d.buffer.data()),
                                           static_cast<Py_ssize_t>(std::min(d.size, d.buffer.size()))));
        ref from(from_address(d.from));
        if (!data || !from) return nullptr;
        PyList_SET_ITEM(out.get(), static_cast<Py_ssize_t>(i), PyTuple_Pack(2, data.get(), from.get()));
        if (PyList_GET_ITEM(out.get(), static_cast<Py_ssize_t>(i)) == nullptr) return nullptr;
    }
    return out.release();
}

// recv_many_into(buffers[, flags]) -> [(nbytes, address), ...]: as recv_many, one datagram into
// each writable buffer, from the first, with no copy.
PyObject* socket_recv_many_into(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
    ref items;
    Py_ssize_t n = 0;
    std::unique_ptr<buffer_arg[]> buffers;
    int flags = 0;
    if (!sequence_args("recv_many_into", "buffers", args, nargs, kwnames, items, n, buffers, flags)) return nullptr;
    std::vector<incoming_datagram> datagrams;
    try {
        datagrams.resize(static_cast<std::size_t>(n));
    } catch (const std::bad_alloc&) {
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < n; ++i) {
        if (!buffers[i].get_writable(PySequence_Fast_GET_ITEM(items.get(), i), "recv_many_into")) return nullptr;
        datagrams[static_cast<std::size_t>(i)].buffer = mutable_buffer(buffers[i].data(), buffers[i].size());
    }
    if (n == 0) return PyList_New(0);
    const std::size_t got = receive_many(self, datagrams, flags);
    if (got == SIZE_MAX) return nullptr;
    ref out(PyList_New(static_cast<Py_ssize_t>(got)));
    if (!out) return nullptr;
    for (std::size_t i = 0; i < got; ++i) {
        ref from(from_address(datagrams[i].from));
        if (!from) return nullptr;
        PyObject* pair = Py_BuildValue("(nO)", static_cast<Py_ssize_t>(datagrams[i].size), from.get());
        if (pair == nullptr) return nullptr;
        PyList_SET_ITEM(out.get(), static_cast<Py_ssize_t>(i), pair);
    }
    return out.release();
}

}  // namespace

PyMethodDef batch_methods[] = {
    {"send_many", USOCKET_METHOD(socket_send_many), METH_FASTCALL | METH_KEYWORDS,
     "send_many(datagrams[, flags]) -> count sent; each datagram bytes or (bytes, address)"},
    {"recv_many", USOCKET_METHOD(socket_recv_many), METH_FASTCALL | METH_KEYWORDS,
     "recv_many(count, bufsize[, flags]) -> [(bytes, address)]: the first waits, then those queued"},
    {"recv_many_into", USOCKET_METHOD(socket_recv_many_into), METH_FASTCALL | METH_KEYWORDS,
     "recv_many_into(buffers[, flags]) -> [(nbytes, address)]: one datagram per buffer, no copy"},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace usocket::python
