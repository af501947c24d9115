// Module functions about the system rather than one socket (usocket/system.hpp): the network
// interfaces by name and index, close(fd) and sethostname, with CPython's argument handling.

#include <cerrno>
#include <climits>
#include <string_view>

#include "module.hpp"

namespace usocket::python {

namespace {

// if_nameindex() -> [(index, name), ...]
PyObject* py_if_nameindex(PyObject* module, PyObject*) {
    std::error_code ec;
    const std::vector<interface_name> list = usocket::if_nameindex(ec);
    if (ec) return set_error(module, ec, "if_nameindex");
    ref out(PyList_New(static_cast<Py_ssize_t>(list.size())));
    if (!out) return nullptr;
    Py_ssize_t i = 0;
    for (const auto& itf : list) {
        ref name(PyUnicode_DecodeFSDefaultAndSize(itf.name.data(), static_cast<Py_ssize_t>(itf.name.size())));
        if (!name) return nullptr;
        PyObject* item = Py_BuildValue("(kO)", static_cast<unsigned long>(itf.index), name.get());
        if (item == nullptr) return nullptr;
        PyList_SET_ITEM(out.get(), i++, item);
    }
    return out.release();
}

// if_nametoindex(name) -> index: a str, bytes or path-like name (CPython's
// PyUnicode_FSConverter); no such interface is OSError "no interface with this name".
PyObject* py_if_nametoindex(PyObject* module, PyObject* arg) {
    PyObject* converted = nullptr;
    if (PyUnicode_FSConverter(arg, &converted) == 0) return nullptr;
    ref name(converted);
    std::error_code ec;
    const std::uint32_t index = usocket::if_nametoindex(
        std::string_view(PyBytes_AS_STRING(converted), static_cast<std::size_t>(PyBytes_GET_SIZE(converted))), ec);
    if (ec == std::errc::no_such_device) {
        PyErr_SetString(PyExc_OSError, "no interface with this name");
        return nullptr;
    }
    if (ec) return set_error(module, ec, "if_nametoindex");
    return PyLong_FromUnsignedLong(index);
}

// if_indextoname(index) -> name: an int (TypeError "an integer is required" otherwise, as
// CPython); negative or past an unsigned int: OverflowError (CPython truncates a value past
// 32 bits, which may name another interface); no such interface: OSError ENXIO.
PyObject* py_if_indextoname(PyObject* module, PyObject* arg) {
    if (!PyLong_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "an integer is required");
        return nullptr;
    }
    const unsigned long index = PyLong_AsUnsignedLong(arg);
    if (index == static_cast<unsigned long>(-1) && PyErr_Occurred() != nullptr) return nullptr;
    if (index > UINT_MAX) {
        PyErr_SetString(PyExc_OverflowError, "index too large to convert to C unsigned int");
        return nullptr;
    }
    std::error_code ec;
    const std::string name = usocket::if_indextoname(static_cast<std::uint32_t>(index), ec);
    if (ec) return set_error(module, ec, "if_indextoname");
    return PyUnicode_DecodeFSDefaultAndSize(name.data(), static_cast<Py_ssize_t>(name.size()));
}

// close(fd): closes a descriptor by number (one from detach(), or received in SCM_RIGHTS). As
// CPython's: an integer (a C long); ECONNRESET is ignored; a number that names no descriptor
// (one past a C int included) is OSError EBADF.
PyObject* py_close(PyObject* module, PyObject* arg) {
    long fd = 0;
    if (!to_long(arg, fd)) return nullptr;
    if (fd < INT_MIN || fd > INT_MAX) return set_errno(EBADF);
    std::error_code ec;
    without_gil([&] { usocket::close(static_cast<native_handle>(fd), ec); });
    if (ec) return set_error(module, ec, "close");
    Py_RETURN_NONE;
}

// sethostname(name): bytes as they are, or a str / path-like object in the filesystem
// encoding (CPython's "S", then PyUnicode_FSConverter).
PyObject* py_sethostname(PyObject* module, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("sethostname", nargs, 1, 1)) return nullptr;
    ref name;
    if (PyBytes_Check(args[0])) {
        name = ref(Py_NewRef(args[0]));
    } else {
        PyObject* converted = nullptr;
        if (PyUnicode_FSConverter(args[0], &converted) == 0) return nullptr;
        name = ref(converted);
    }
    if (PySys_Audit("socket.sethostname", "(O)", args[0]) < 0) return nullptr;
    std::error_code ec;
    usocket::sethostname(
        std::string_view(PyBytes_AS_STRING(name.get()), static_cast<std::size_t>(PyBytes_GET_SIZE(name.get()))), ec);
    if (ec) return set_error(module, ec, "sethostname");
    Py_RETURN_NONE;
}

}  // namespace

PyMethodDef system_functions[] = {
    {"if_nameindex", py_if_nameindex, METH_NOARGS, "if_nameindex() -> [(index, name), ...]: every network interface"},
    {"if_nametoindex", py_if_nametoindex, METH_O, "if_nametoindex(name) -> the interface's index"},
    {"if_indextoname", py_if_indextoname, METH_O, "if_indextoname(index) -> the interface's name"},
    {"close", py_close, METH_O, "close(fd): closes a socket descriptor by number"},
    {"sethostname", USOCKET_METHOD(py_sethostname), METH_FASTCALL,
     "sethostname(name): sets the host name (of the UTS namespace; needs the privilege)"},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace usocket::python
