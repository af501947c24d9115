/* The floor of the Python module's hot calls: the least work any C extension can do for them.
 *
 * _usocket_floor does each operation with nothing beyond the interpreter's call, the argument
 * handling and the result object: no lock, no socket object, no deadline, no error mapping
 * beyond errno. bench/python/stream.py and bench/python/send_recv.py run it beside CPython's
 * socket and usocket, so the gap between usocket and the floor is what an implementation could
 * still win, and the gap between the floor and a target says whether the target is reachable.
 *
 *   Lines(data)          the stream, preloaded: readline(), read(n), readinto(buf) serve the
 *                        bytes object `data` from a position (the upper bound of any socket's
 *                        stream methods when the bytes are already buffered)
 *   send(fd, data)       one send(2) with MSG_NOSIGNAL, the GIL held; returns the count
 *   recv(fd, n)          one recv(2) into a new bytes object, the GIL held; returns it
 *   send_nogil, recv_nogil   the same with the GIL released around the system call
 *
 * Built by bench/CMakeLists.txt next to the package usocket (PYTHONPATH=<build>/python).
 * Benchmark only: never installed, never imported by the package. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

/* ---- Lines: readline / read / readinto over bytes already in memory -------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *data; /* bytes */
    Py_ssize_t pos;
} lines_object;

static PyObject *lines_new(PyTypeObject *type, PyObject *args, PyObject *kwds) {
    PyObject *data;
    if (kwds != NULL && PyDict_GET_SIZE(kwds) != 0) {
        PyErr_SetString(PyExc_TypeError, "Lines() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "S:Lines", &data)) return NULL;
    lines_object *self = (lines_object *)type->tp_alloc(type, 0);
    if (self == NULL) return NULL;
    Py_INCREF(data);
    self->data = data;
    self->pos = 0;
    return (PyObject *)self;
}

static void lines_dealloc(lines_object *self) {
    Py_XDECREF(self->data);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *lines_readline(lines_object *self, PyObject *const *args, Py_ssize_t nargs) {
    (void)args;
    if (nargs != 0) {
        PyErr_SetString(PyExc_TypeError, "readline() takes no arguments");
        return NULL;
    }
    const char *base = PyBytes_AS_STRING(self->data);
    Py_ssize_t size = PyBytes_GET_SIZE(self->data);
    const char *start = base + self->pos;
    const char *nl = memchr(start, '\n', (size_t)(size - self->pos));
    Py_ssize_t len = nl != NULL ? nl + 1 - start : size - self->pos;
    PyObject *line = PyBytes_FromStringAndSize(start, len);
    if (line != NULL) self->pos += len;
    return line;
}

static PyObject *lines_read(lines_object *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 1) {
        PyErr_SetString(PyExc_TypeError, "read() takes exactly one argument");
        return NULL;
    }
    Py_ssize_t n = PyLong_AsSsize_t(args[0]);
    if (n == -1 && PyErr_Occurred()) return NULL;
    if (n < 0) {
        PyErr_SetString(PyExc_ValueError, "read() size must be >= 0");
        return NULL;
    }
    Py_ssize_t left = PyBytes_GET_SIZE(self->data) - self->pos;
    if (n > left) n = left;
    PyObject *out = PyBytes_FromStringAndSize(PyBytes_AS_STRING(self->data) + self->pos, n);
    if (out != NULL) self->pos += n;
    return out;
}

static PyObject *lines_readinto(lines_object *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 1) {
        PyErr_SetString(PyExc_TypeError, "readinto() takes exactly one argument");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_WRITABLE) != 0) return NULL;
    Py_ssize_t n = PyBytes_GET_SIZE(self->data) - self->pos;
    if (n > view.len) n = view.len;
    memcpy(view.buf, PyBytes_AS_STRING(self->data) + self->pos, (size_t)n);
    PyBuffer_Release(&view);
    self->pos += n;
    return PyLong_FromSsize_t(n);
}

static PyMethodDef lines_methods[] = {
    {"readline", (PyCFunction)(void (*)(void))lines_readline, METH_FASTCALL,
     "readline() -> bytes: up to and with the next b'\\n' (b'' at the end)"},
    {"read", (PyCFunction)(void (*)(void))lines_read, METH_FASTCALL, "read(n) -> bytes: n bytes, fewer at the end"},
    {"readinto", (PyCFunction)(void (*)(void))lines_readinto, METH_FASTCALL,
     "readinto(buf) -> int: bytes copied into the writable buffer buf"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject lines_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_usocket_floor.Lines",
    .tp_basicsize = sizeof(lines_object),
    .tp_dealloc = (destructor)lines_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Lines(data: bytes): readline/read/readinto served from data, nothing else done",
    .tp_methods = lines_methods,
    .tp_new = lines_new,
};

/* ---- send / recv: one system call each --------------------------------------------------- */

static int fd_of(PyObject *o, int *fd) {
    long v = PyLong_AsLong(o);
    if (v == -1 && PyErr_Occurred()) return -1;
    *fd = (int)v;
    return 0;
}

static PyObject *do_send(PyObject *const *args, Py_ssize_t nargs, int release) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "send() takes exactly two arguments (fd, data)");
        return NULL;
    }
    int fd;
    if (fd_of(args[0], &fd) != 0) return NULL;
    ssize_t n;
    if (PyBytes_CheckExact(args[1])) {
        const char *p = PyBytes_AS_STRING(args[1]);
        size_t len = (size_t)PyBytes_GET_SIZE(args[1]);
        if (release) {
            Py_BEGIN_ALLOW_THREADS
            n = send(fd, p, len, MSG_NOSIGNAL);
            Py_END_ALLOW_THREADS
        } else {
            n = send(fd, p, len, MSG_NOSIGNAL);
        }
    } else {
        Py_buffer view;
        if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE) != 0) return NULL;
        if (release) {
            Py_BEGIN_ALLOW_THREADS
            n = send(fd, view.buf, (size_t)view.len, MSG_NOSIGNAL);
            Py_END_ALLOW_THREADS
        } else {
            n = send(fd, view.buf, (size_t)view.len, MSG_NOSIGNAL);
        }
        PyBuffer_Release(&view);
    }
    if (n < 0) return PyErr_SetFromErrno(PyExc_OSError);
    return PyLong_FromSsize_t(n);
}

static PyObject *do_recv(PyObject *const *args, Py_ssize_t nargs, int release) {
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "recv() takes exactly two arguments (fd, n)");
        return NULL;
    }
    int fd;
    if (fd_of(args[0], &fd) != 0) return NULL;
    Py_ssize_t size = PyLong_AsSsize_t(args[1]);
    if (size == -1 && PyErr_Occurred()) return NULL;
    if (size < 0) {
        PyErr_SetString(PyExc_ValueError, "negative buffersize in recv");
        return NULL;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) return NULL;
    ssize_t n;
    if (release) {
        Py_BEGIN_ALLOW_THREADS
        n = recv(fd, PyBytes_AS_STRING(out), (size_t)size, 0);
        Py_END_ALLOW_THREADS
    } else {
        n = recv(fd, PyBytes_AS_STRING(out), (size_t)size, 0);
    }
    if (n < 0) {
        Py_DECREF(out);
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    if (n != size && _PyBytes_Resize(&out, n) != 0) return NULL;
    return out;
}

static PyObject *floor_send(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    return do_send(args, nargs, 0);
}

static PyObject *floor_recv(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    return do_recv(args, nargs, 0);
}

static PyObject *floor_send_nogil(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    return do_send(args, nargs, 1);
}

static PyObject *floor_recv_nogil(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    return do_recv(args, nargs, 1);
}

static PyMethodDef floor_functions[] = {
    {"send", (PyCFunction)(void (*)(void))floor_send, METH_FASTCALL,
     "send(fd, data) -> int: one send(2), MSG_NOSIGNAL, GIL held"},
    {"recv", (PyCFunction)(void (*)(void))floor_recv, METH_FASTCALL,
     "recv(fd, n) -> bytes: one recv(2) into a new bytes object, GIL held"},
    {"send_nogil", (PyCFunction)(void (*)(void))floor_send_nogil, METH_FASTCALL,
     "send_nogil(fd, data) -> int: send() with the GIL released around the system call"},
    {"recv_nogil", (PyCFunction)(void (*)(void))floor_recv_nogil, METH_FASTCALL,
     "recv_nogil(fd, n) -> bytes: recv() with the GIL released around the system call"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef floor_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_usocket_floor",
    .m_doc = "The least work a C extension can do for the benchmarked stream and socket calls.",
    .m_size = -1,
    .m_methods = floor_functions,
};

PyMODINIT_FUNC PyInit__usocket_floor(void) {
    if (PyType_Ready(&lines_type) != 0) return NULL;
    PyObject *m = PyModule_Create(&floor_module);
    if (m == NULL) return NULL;
    Py_INCREF(&lines_type);
    if (PyModule_AddObject(m, "Lines", (PyObject *)&lines_type) != 0) {
        Py_DECREF(&lines_type);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
