// The socket's message methods (sendmsg, recvmsg, recvmsg_into) and the module's CMSG_LEN and
// CMSG_SPACE, over usocket::socket's messages (usocket/message.hpp). Arguments are converted in
// CPython's order, so bad input raises the exception CPython's raises before anything is sent.
//
// Descriptors received in SCM_RIGHTS belong to the Python caller, as in CPython (their numbers
// are in the item's data): the result is built first and the descriptors are given up only
// once it exists, so an error on the way (MemoryError, a warning made an error) closes them.

#include <algorithm>
#include <climits>
#include <memory>
#include <vector>

#include "module.hpp"

namespace usocket::python {

namespace {

// The iterable argument `o` as a fast sequence (CPython's PySequence_Fast with its message).
PyObject* fast_sequence(PyObject* o, const char* message) { return PySequence_Fast(o, message); }

// One (level, type, data) ancillary item as CPython's "(iiy*)": any sequence of three but
// bytes, two ints and a bytes-like object.
bool control_item(PyObject* item, int& level, int& type, buffer_arg& data) {
    if (!PySequence_Check(item) || PyBytes_Check(item)) {
        PyErr_Format(PyExc_TypeError, "[sendmsg() ancillary data items]() argument must be 3-item sequence, not %.50s",
                     Py_TYPE(item)->tp_name);
        return false;
    }
    const Py_ssize_t n = PySequence_Size(item);
    if (n < 0) return false;
    if (n != 3) {
        PyErr_Format(PyExc_TypeError,
                     "[sendmsg() ancillary data items]() argument must be sequence of length 3, not %zd", n);
        return false;
    }
    ref parts[3];
    for (Py_ssize_t i = 0; i < 3; ++i) {
        parts[i] = ref(PySequence_GetItem(item, i));
        if (!parts[i]) return false;
    }
    return to_int(parts[0].get(), level) && to_int(parts[1].get(), type) && data.get(parts[2].get(), false);
}

// sendmsg(buffers[, ancdata[, flags[, address]]]) -> count. As CPython's "O|OiO": flags, then
// the address, then the buffers, then the ancillary items.
PyObject* socket_sendmsg(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("sendmsg", nargs, 1, 4)) return nullptr;
    int flags = 0;
    if (nargs > 2 && !to_int(args[2], flags)) return nullptr;
    usocket::socket& s = sock_of(self);
    address to;
    if (nargs > 3 && args[3] != Py_None &&
        !to_address(self, args[3], s.family(), "sendmsg", address_forms::plain, to))
        return nullptr;
    ref data_fast(fast_sequence(args[0], "sendmsg() argument 1 must be an iterable"));
    if (!data_fast) return nullptr;
    const Py_ssize_t nbufs = PySequence_Fast_GET_SIZE(data_fast.get());
    std::unique_ptr<buffer_arg[]> views(new buffer_arg[static_cast<std::size_t>(nbufs)]);
    std::vector<const_buffer> buffers;
    buffers.reserve(static_cast<std::size_t>(nbufs));
    for (Py_ssize_t i = 0; i < nbufs; ++i) {
        if (!views[i].get(PySequence_Fast_GET_ITEM(data_fast.get(), i), false)) return nullptr;
        buffers.emplace_back(views[i].data(), views[i].size());
    }
    ref cmsg_fast;
    Py_ssize_t ncmsgs = 0;
    if (nargs > 1) {
        cmsg_fast = ref(fast_sequence(args[1], "sendmsg() argument 2 must be an iterable"));
        if (!cmsg_fast) return nullptr;
        ncmsgs = PySequence_Fast_GET_SIZE(cmsg_fast.get());
    }
    std::unique_ptr<buffer_arg[]> cmsg_views(new buffer_arg[static_cast<std::size_t>(ncmsgs)]);
    std::vector<control_message> ancillary;
    ancillary.reserve(static_cast<std::size_t>(ncmsgs));
    std::size_t space = 0;
    for (Py_ssize_t i = 0; i < ncmsgs; ++i) {
        int level = 0, type = 0;
        if (!control_item(PySequence_Fast_GET_ITEM(cmsg_fast.get(), i), level, type, cmsg_views[i])) return nullptr;
        std::error_code ec;
        const std::size_t item = cmsg_space(cmsg_views[i].size(), ec);
        if (ec) {
            PyErr_SetString(PyExc_OSError, "ancillary data item too large");
            return nullptr;
        }
        if (item > static_cast<std::size_t>(INT_MAX) - space) {
            PyErr_SetString(PyExc_OSError, "too much ancillary data");
            return nullptr;
        }
        space += item;
        ancillary.push_back({option_level{level}, option_name{type}, const_buffer(cmsg_views[i].data(), cmsg_views[i].size())});
    }
    std::error_code ec;
    const std::size_t sent = socket_call(self, [&] { return s.sendmsg(buffers, ancillary, msg_flags{flags}, to, ec); });
    if (ec) return set_error(self, ec, "sendmsg");
    return PyLong_FromSize_t(sent);
}

// The (ancdata, msg_flags, address) part of a recvmsg result; gives the descriptors to the
// caller once everything is built. `first` is the data or the count.
PyObject* message_result(PyObject* first, received_message& msg) {
    ref items(PyList_New(static_cast<Py_ssize_t>(msg.ancillary.size())));
    if (!items) return nullptr;
    Py_ssize_t i = 0;
    for (const auto& c : msg.ancillary) {
        PyObject* item = Py_BuildValue("(iiy#)", static_cast<int>(c.level), static_cast<int>(c.type), c.data.data(),
                                       static_cast<Py_ssize_t>(c.data.size()));
        if (item == nullptr) return nullptr;
        PyList_SET_ITEM(items.get(), i++, item);
    }
    ref addr(from_address(msg.from));
    if (!addr) return nullptr;
    ref result(Py_BuildValue("(OOiO)", first, items.get(), static_cast<int>(msg.flags), addr.get()));
    if (!result) return nullptr;
    // As CPython: an item cut short by the buffer warns (the descriptors that arrived whole
    // are in the list all the same).
    if (msg.truncated_item &&
        PyErr_WarnEx(PyExc_RuntimeWarning, "received malformed or improperly-truncated ancillary data", 1) < 0)
        return nullptr;
    static_cast<void>(msg.release_fds());
    return result.release();
}

// The ancbufsize and flags arguments at args[1], args[2] (CPython's "|ni"), checked.
bool anc_args(PyObject* const* args, Py_ssize_t nargs, Py_ssize_t& ancbufsize, int& flags) {
    ancbufsize = 0;
    flags = 0;
    if ((nargs > 1 && !to_ssize(args[1], ancbufsize)) || (nargs > 2 && !to_int(args[2], flags))) return false;
    return true;
}

// As CPython: negative or past a socklen_t is ValueError.
bool check_ancbufsize(Py_ssize_t ancbufsize) {
    if (ancbufsize < 0 || ancbufsize > INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "invalid ancillary data buffer length");
        return false;
    }
    return true;
}

// The ancillary buffer handed to the library: no message carries more than the kernel's
// optmem_max (128 KiB at most by default) of it, so a larger buffer can only stay empty; the
// library clears the buffer it allocates, which for the 2 GiB CPython accepts would take
// seconds.
constexpr std::size_t max_ancillary = std::size_t{1} << 20;
std::size_t ancillary_size(Py_ssize_t ancbufsize) {
    return std::min(static_cast<std::size_t>(ancbufsize), max_ancillary);
}

// recvmsg(bufsize[, ancbufsize[, flags]]) -> (data, ancdata, msg_flags, address).
PyObject* socket_recvmsg(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("recvmsg", nargs, 1, 3)) return nullptr;
    Py_ssize_t bufsize = 0, ancbufsize = 0;
    int flags = 0;
    if (!to_ssize(args[0], bufsize) || !anc_args(args, nargs, ancbufsize, flags)) return nullptr;
    if (bufsize < 0) {
        PyErr_SetString(PyExc_ValueError, "negative buffer size in recvmsg()");
        return nullptr;
    }
    // The bytes object first, as CPython: MemoryError before anything is received.
    ref bytes(PyBytes_FromStringAndSize(nullptr, bufsize));
    if (!bytes || !check_ancbufsize(ancbufsize)) return nullptr;
    const mutable_buffer buf(PyBytes_AS_STRING(bytes.get()), static_cast<std::size_t>(bufsize));
    std::error_code ec;
    received_message msg = socket_call(self, [&] {
        return sock_of(self).recvmsg_into(std::span<const mutable_buffer>(&buf, 1), ancillary_size(ancbufsize),
                                          msg_flags{flags}, ec);
    });
    if (ec) return set_error(self, ec, "recvmsg");
    if (static_cast<Py_ssize_t>(msg.size) != bufsize) {
        // With MSG_TRUNC the count is the datagram's whole length: as CPython, the data is only
        // what fitted.
        bytes = ref(PyBytes_FromStringAndSize(PyBytes_AS_STRING(bytes.get()),
                                              std::min(static_cast<Py_ssize_t>(msg.size), bufsize)));
        if (!bytes) return nullptr;
    }
    return message_result(bytes.get(), msg);
}

// recvmsg_into(buffers[, ancbufsize[, flags]]) -> (nbytes, ancdata, msg_flags, address).
PyObject* socket_recvmsg_into(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("recvmsg_into", nargs, 1, 3)) return nullptr;
    Py_ssize_t ancbufsize = 0;
    int flags = 0;
    if (!anc_args(args, nargs, ancbufsize, flags)) return nullptr;
    ref fast(fast_sequence(args[0], "recvmsg_into() argument 1 must be an iterable"));
    if (!fast) return nullptr;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast.get());
    std::unique_ptr<buffer_arg[]> views(new buffer_arg[static_cast<std::size_t>(n)]);
    std::vector<mutable_buffer> buffers;
    buffers.reserve(static_cast<std::size_t>(n));
    for (Py_ssize_t i = 0; i < n; ++i) {
        if (!views[i].get_writable(PySequence_Fast_GET_ITEM(fast.get(), i), "recvmsg_into")) return nullptr;
        buffers.emplace_back(views[i].data(), views[i].size());
    }
    if (!check_ancbufsize(ancbufsize)) return nullptr;
    std::error_code ec;
    received_message msg = socket_call(self, [&] {
        return sock_of(self).recvmsg_into(buffers, ancillary_size(ancbufsize), msg_flags{flags}, ec);
    });
    if (ec) return set_error(self, ec, "recvmsg_into");
    ref count(PyLong_FromSize_t(msg.size));
    if (!count) return nullptr;
    return message_result(count.get(), msg);
}

// CMSG_LEN(length) / CMSG_SPACE(length): CPython's "n", OverflowError out of range.
template <std::size_t (*F)(std::size_t, std::error_code&) noexcept>
PyObject* cmsg_size(const char* what, PyObject* arg) {
    Py_ssize_t n = 0;
    if (!to_ssize(arg, n)) return nullptr;
    std::error_code ec;
    const std::size_t v = n < 0 ? 0 : F(static_cast<std::size_t>(n), ec);
    if (n < 0 || ec) {
        PyErr_Format(PyExc_OverflowError, "%s() argument out of range", what);
        return nullptr;
    }
    return PyLong_FromSize_t(v);
}

PyObject* py_cmsg_len(PyObject*, PyObject* arg) { return cmsg_size<&usocket::cmsg_len>("CMSG_LEN", arg); }
PyObject* py_cmsg_space(PyObject*, PyObject* arg) { return cmsg_size<&usocket::cmsg_space>("CMSG_SPACE", arg); }

}  // namespace

PyMethodDef message_methods[] = {
    {"sendmsg", USOCKET_METHOD(socket_sendmsg), METH_FASTCALL,
     "sendmsg(buffers[, ancdata[, flags[, address]]]) -> count: one message from the buffers, with ancillary\n"
     "data items (level, type, data)"},
    {"recvmsg", USOCKET_METHOD(socket_recvmsg), METH_FASTCALL,
     "recvmsg(bufsize[, ancbufsize[, flags]]) -> (data, ancdata, msg_flags, address)"},
    {"recvmsg_into", USOCKET_METHOD(socket_recvmsg_into), METH_FASTCALL,
     "recvmsg_into(buffers[, ancbufsize[, flags]]) -> (nbytes, ancdata, msg_flags, address)"},
    {nullptr, nullptr, 0, nullptr},
};

PyMethodDef message_functions[] = {
    {"CMSG_LEN", py_cmsg_len, METH_O, "CMSG_LEN(length) -> the cmsg_len of an ancillary item with length data bytes"},
    {"CMSG_SPACE", py_cmsg_space, METH_O,
     "CMSG_SPACE(length) -> the buffer space of an ancillary item with length data bytes, padding included"},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace usocket::python
