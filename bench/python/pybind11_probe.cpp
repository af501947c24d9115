// The pybind11 variant of the module's two hottest methods (send, recv), used once to choose
// the binding technique (docs/python.md, "Why the C API"). Same library calls, same GIL
// release, same bytes allocation as python/src/socket_object.cpp; only the binding differs.
// Not part of the build; to measure it again (Debian: apt-get install pybind11-dev):
//   g++ -O2 -std=c++20 -shared -fPIC $(/usr/bin/python3-config --includes) -Iinclude \
//       -I<build>/include bench/python/pybind11_probe.cpp <build>/libusocket.a \
//       -o <dir>/usocket_pybind11_probe$(/usr/bin/python3-config --extension-suffix)
//   PYTHONPATH=<build>/python:<dir> /usr/bin/python3 bench/python/send_recv.py --pybind11
#include <pybind11/pybind11.h>

#include "usocket/usocket.hpp"

namespace py = pybind11;

PYBIND11_MODULE(usocket_pybind11_probe, m) {
    py::class_<usocket::socket>(m, "socket")
        .def(
            "send",
            [](usocket::socket& s, py::buffer data, int flags) {
                const py::buffer_info info = data.request();
                std::error_code ec;
                std::size_t n;
                {
                    py::gil_scoped_release release;
                    n = s.send(usocket::const_buffer(info.ptr, static_cast<std::size_t>(info.size * info.itemsize)),
                               flags, ec);
                }
                if (ec) throw std::system_error(ec);
                return n;
            },
            py::arg("data"), py::arg("flags") = 0)
        .def(
            "recv",
            [](usocket::socket& s, Py_ssize_t size, int flags) {
                PyObject* bytes = PyBytes_FromStringAndSize(nullptr, size);
                if (bytes == nullptr) throw py::error_already_set();
                std::error_code ec;
                std::size_t got;
                {
                    py::gil_scoped_release release;
                    got = s.recv_into(usocket::mutable_buffer(PyBytes_AS_STRING(bytes), static_cast<std::size_t>(size)),
                                      0, flags, ec);
                }
                if (ec) {
                    Py_DECREF(bytes);
                    throw std::system_error(ec);
                }
                if (static_cast<Py_ssize_t>(got) != size) _PyBytes_Resize(&bytes, static_cast<Py_ssize_t>(got));
                return py::reinterpret_steal<py::bytes>(bytes);
            },
            py::arg("bufsize"), py::arg("flags") = 0);
    m.def("socketpair", [] {
        auto p = usocket::socketpair();
        return py::make_tuple(py::cast(std::move(p.first)), py::cast(std::move(p.second)));
    });
}
