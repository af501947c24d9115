#pragma once
// The CPython extension module usocket._usocket: shared declarations of its parts. Each area is
// its own source file: module.cpp (init, constants, module functions), errors.cpp (error_code
// to Python exception), convert.cpp (arguments and addresses), socket_object.cpp (the socket
// type), stream.cpp (its MicroPython stream methods), resolver.cpp (getaddrinfo), names.cpp
// (the other name functions, create_connection/create_server), poll.cpp (select, poll).
//
// Rules every part follows: the GIL is released around every call that can block (without_gil);
// a std::error_code becomes a Python exception through set_error() only; nothing here keeps an
// error state. The module is built as CPython's own are (PEP 489 multi-phase initialisation,
// heap types, per-module state, public C API only): no static type, no global object, so each
// interpreter that imports it has its own.

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstddef>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include "fast_tls.hpp"
#include "usocket/usocket.hpp"

namespace usocket::python {

/// A cleared std::error_code, for the hot calls to copy: two moves, where std::error_code's
/// default constructor calls std::system_category() out of line.
inline const std::error_code no_error{};

// --- the module's state (module.cpp) ---------------------------------------------------------

/// What one module object owns: its types and exception classes.
struct module_state {
    PyTypeObject* socket_type;
    PyTypeObject* poll_type;
    PyObject* gaierror;
    PyObject* herror;
    /// The TLS part (tls_module.cpp): its types and exception classes, null without TLS.
    PyObject* tls[12];
    PyObject* giveup_on_sendfile;  // _GiveupOnSendfile (socket_extras.cpp)
    PyObject* family_members;      // AddressFamily._value2member_map_, once _set_enums() ran
    PyObject* kind_members;        // SocketKind._value2member_map_
};

extern PyModuleDef module_def;

/// The state of `module` (a module object of this extension).
inline module_state* state_of_module(PyObject* module) noexcept {
    return static_cast<module_state*>(PyModule_GetState(module));
}
/// The state of the module that defined `type` or one of its bases (a Python subclass of
/// socket included).
module_state* state_of_type(PyTypeObject* type) noexcept;
/// The state reached from what a C function is given: the module for a module function, an
/// object of one of the module's types (or of a subclass) for a method.
inline module_state* state_of(PyObject* origin) noexcept {
    return PyModule_Check(origin) ? state_of_module(origin) : state_of_type(Py_TYPE(origin));
}

// --- the GIL -------------------------------------------------------------------------------

namespace detail {
/// The thread state without_gil() released on this thread (for check_signals()), or null.
USOCKET_FAST_TLS inline thread_local PyThreadState* released_thread = nullptr;
/// without_gil() released the GIL on this thread during finalization: this is the finalizing
/// thread (no other holds the GIL then), which takes it back as usual.
USOCKET_FAST_TLS inline thread_local bool released_finalizing = false;
/// This thread runs Python's signal handlers (the main thread of the main interpreter): only
/// then does check_signals() take the GIL (elsewhere PyErr_CheckSignals() does nothing).
USOCKET_FAST_TLS inline thread_local bool handles_signals = false;
/// A call on this thread made progress that an error must not lose (the rest of a send):
/// check_signals() gives up at once, leaving the handlers to run when the call has returned.
USOCKET_FAST_TLS inline thread_local bool progress_made = false;

/// With the GIL held: this thread runs the signal handlers.
inline bool runs_signal_handlers() noexcept {
#if PY_VERSION_HEX < 0x030D0000
    return _PyOS_IsMainThread() != 0;
#else
    return true;  // the private test went away: take the GIL and ask
#endif
}
}  // namespace detail

/// True once the interpreter is finalizing: a thread that takes the GIL then is ended.
inline bool finalizing() noexcept {
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing() != 0;
#else
    return _Py_IsFinalizing() != 0;
#endif
}

/// Parks a thread that returned from a call after the interpreter began finalizing (a daemon
/// thread) until the process exits, as CPython 3.14 does: taking the GIL would end it with
/// pthread_exit, whose unwinding would run our destructors without the GIL.
[[noreturn]] void park_thread() noexcept;

/// The interpreter began finalizing since this thread released the GIL (it is not the
/// finalizing thread): taking the GIL back would end the thread.
inline bool finalizing_elsewhere() noexcept { return !detail::released_finalizing && finalizing(); }

/// Runs f() with the GIL released (for every call that may block or wait). `calls`, when
/// given, was counted up (with the GIL held) for the call and is counted down once the GIL is
/// back: never by a thread CPython ends instead of giving it the GIL back.
template <class F>
inline decltype(auto) without_gil(F&& f, int* calls = nullptr) {
    struct restore {
        int* calls;
        bool was_finalizing = finalizing();  // with the GIL held
        bool main = detail::runs_signal_handlers();
        PyThreadState* ts = PyEval_SaveThread();
        explicit restore(int* c) noexcept : calls(c) {
            detail::released_thread = ts;
            detail::released_finalizing = was_finalizing;
            detail::handles_signals = main;
        }
        // Not noexcept: should finalization begin between the check and PyEval_RestoreThread,
        // the thread is ended by pthread_exit, whose forced unwinding must not meet a noexcept
        // frame (std::terminate); the count after it is then not touched (no GIL). Nothing
        // here throws otherwise.
        ~restore() noexcept(false) {
            detail::released_thread = nullptr;
            if (finalizing_elsewhere()) park_thread();
            PyEval_RestoreThread(ts);
            if (calls != nullptr) --*calls;
        }
    } guard(calls);
    return f();
}

/// The library's interrupt check: takes the GIL back on the thread state without_gil()
/// released (any interpreter's), runs the Python signal handlers, and says "give up" when one
/// raised; the exception then waits in the thread state for set_error(). Only on the thread
/// that runs the handlers; gives up without taking the GIL once the interpreter is finalizing
/// (the check is noexcept: a thread must not be ended inside it).
bool check_signals() noexcept;

// --- function tables -------------------------------------------------------------------------

/// A C function of any calling convention as the PyCFunction of a PyMethodDef entry.
#define USOCKET_METHOD(f) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(f))

// --- references ----------------------------------------------------------------------------

/// An owned reference (released on scope exit).
class ref {
public:
    ref() noexcept = default;
    explicit ref(PyObject* o) noexcept : o_(o) {}
    ref(const ref&) = delete;
    ref& operator=(const ref&) = delete;
    ref(ref&& other) noexcept : o_(std::exchange(other.o_, nullptr)) {}
    ref& operator=(ref&& other) noexcept {
        std::swap(o_, other.o_);
        return *this;
    }
    ~ref() { Py_XDECREF(o_); }
    PyObject* get() const noexcept { return o_; }
    PyObject* release() noexcept { return std::exchange(o_, nullptr); }
    explicit operator bool() const noexcept { return o_ != nullptr; }

private:
    PyObject* o_ = nullptr;
};

// --- errors (errors.cpp) ---------------------------------------------------------------------

/// Sets the Python exception for `ec`: OSError(errno, strerror) (which picks the built-in
/// subclass: TimeoutError, BlockingIOError, ConnectionRefusedError...), gaierror, herror (the
/// classes of the module `origin` leads to: see state_of()), ValueError / OverflowError for
/// library argument errors. After EINTR, a pending exception from a signal handler is kept.
/// `what` prefixes ValueError/OverflowError messages ("connect(): port must be 0-65535.").
/// Returns nullptr.
PyObject* set_error(PyObject* origin, const std::error_code& ec, const char* what = nullptr);
/// The TLS errors (tls::category(), tls_module.cpp): ssl.SSLError and its subclasses as CPython
/// raises them, ValueError for argument errors; `detail` (or the TLS socket `origin`'s
/// verify_message()) says what the engine said. Returns nullptr.
PyObject* set_tls_error(PyObject* origin, const std::error_code& ec, const std::string* detail = nullptr);
/// OSError(errno, strerror(errno)) with the right built-in subclass. Returns nullptr.
PyObject* set_errno(int errno_value);

// --- arguments (convert.cpp) -----------------------------------------------------------------

/// A borrowed view of caller memory through the buffer protocol (released on scope exit).
class buffer_arg {
public:
    buffer_arg() noexcept { view_.obj = nullptr; }
    buffer_arg(const buffer_arg&) = delete;
    buffer_arg& operator=(const buffer_arg&) = delete;
    ~buffer_arg() {
        if (view_.obj != nullptr) PyBuffer_Release(&view_);
        Py_XDECREF(bytes_);
    }
    /// Read-only bytes-like (bytes, bytearray, memoryview, array...); with `allow_str`, a str
    /// is taken as its UTF-8 bytes. TypeError as CPython's "y*" otherwise.
    bool get(PyObject* o, bool allow_str);
    /// Writable bytes-like (bytearray, memoryview, array...). TypeError as CPython's "w*",
    /// naming the method `what`.
    bool get_writable(PyObject* o, const char* what);
    void* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

private:
    Py_buffer view_;
    PyObject* bytes_ = nullptr;  ///< an exact bytes object held instead of a view (immutable)
    void* data_ = nullptr;
    std::size_t size_ = 0;
};

/// A keyword given twice or unknown, reported only after the arguments were converted: CPython's
/// PyArg_ParseTupleAndKeywords converts first and checks the names last, so a bad value wins
/// over a bad name there.
class keyword_errors {
public:
    keyword_errors() = default;
    keyword_errors(const keyword_errors&) = delete;
    keyword_errors& operator=(const keyword_errors&) = delete;
    ~keyword_errors() { Py_XDECREF(message_); }
    /// True when there was none; else raises the first (TypeError) and returns false.
    bool check() const;
    /// Records "'key' is an invalid keyword argument for f()", or, `position` > 0, "argument
    /// for f() given by name ('key') and position (n)" (which CPython reports first). False
    /// when even the message could not be made (the error is set).
    bool note(const char* fname, PyObject* key, Py_ssize_t position = 0);

private:
    PyObject* message_ = nullptr;
    bool given_twice_ = false;
};

/// Binds the arguments of a METH_FASTCALL | METH_KEYWORDS call to `out[0..max)` by position,
/// then by keyword (`names`, nullptr for positional-only ones); the first `min` are required.
/// Slots not given stay nullptr. TypeError with CPython's messages. With `later`, a keyword
/// given twice or unknown is recorded there instead (the caller converts the arguments, then
/// calls later->check()), as functions that CPython parses with PyArg_ParseTupleAndKeywords
/// order their errors; too many arguments in all is still reported at once, as there.
bool parse_args(const char* fname, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames,
                const char* const* names, Py_ssize_t min, Py_ssize_t max, PyObject** out,
                keyword_errors* later = nullptr);
/// check_nargs()'s error: TypeError "f() takes at most N arguments (M given)" & co. Returns false.
bool nargs_error(const char* fname, Py_ssize_t nargs, Py_ssize_t min, Py_ssize_t max);
/// Checks a positional-only call: TypeError "f() takes at most N arguments (M given)" & co.
inline bool check_nargs(const char* fname, Py_ssize_t nargs, Py_ssize_t min, Py_ssize_t max) {
    if (nargs >= min && nargs <= max) [[likely]]
        return true;
    return nargs_error(fname, nargs, min, max);
}

/// A C int from an integer-like object: TypeError for non-integers (floats too), OverflowError
/// out of range, as CPython's "i" format.
bool to_int(PyObject* o, int& out);
/// A C long as CPython's "l" format (PyLong_AsLong).
bool to_long(PyObject* o, long& out);
/// An unsigned int as CPython's "I" format: masked to its width, never an OverflowError.
bool to_uint_mask(PyObject* o, unsigned int& out);
/// A Py_ssize_t as CPython's "n" format: an exact int inline (a size on every hot call), any
/// other index-like object out of line.
bool to_ssize_index(PyObject* o, Py_ssize_t& out);
inline bool to_ssize(PyObject* o, Py_ssize_t& out) {
    if (!PyLong_CheckExact(o)) [[unlikely]]
        return to_ssize_index(o, out);
    out = PyLong_AsSsize_t(o);
    return !(out == -1 && PyErr_Occurred() != nullptr);
}
/// A timeout in seconds: None (blocking), or a non-negative int/float, stored in nanoseconds
/// rounded up as CPython's _PyTime_ROUND_TIMEOUT. ValueError (with `negative` for a negative
/// one)/TypeError/OverflowError.
bool to_timeout(PyObject* o, timeout_type& out, const char* negative = "Timeout value out of range");
/// The Python value of a timeout: None or float seconds.
PyObject* from_timeout(const timeout_type& t);

/// Which forms an address argument takes beyond CPython's tuples: every IPv4 argument takes
/// seed 002's "a.b.c.d", (a, b, c, d) and (a, b, c, d, port); bind() and connect() also take a
/// list (seed 001), and bind() a bare port on every local address (seed 002).
enum class address_forms { plain, connect, bind };

/// A Python address for a socket of `family`, as CPython's getsockaddrarg() with the seed forms
/// (`forms`): (host, port) for AF_INET; (host, port[, flowinfo[, scope_id]]) for AF_INET6; a
/// str/bytes path for AF_UNIX. Names are resolved with the GIL released (a failure is the
/// gaierror of `origin`'s module). `what` is the method's name for messages.
bool to_address(PyObject* origin, PyObject* o, int family, const char* what, address_forms forms, address& out);
/// The Python form of an address: (host, port) / (host, port, flowinfo, scope_id) / path
/// (str, or bytes for a Linux abstract name) / None when empty.
PyObject* from_address(const address& a);

// --- the socket type (socket_object.cpp) ------------------------------------------------------

struct py_socket {
    PyObject_HEAD
    usocket::socket sock;
    PyObject* weakrefs;
    /// The files makefile() made that are still open (CPython's _io_refs).
    int io_refs;
    /// close() was called; the descriptor closes when io_refs reaches 0 (CPython's _closed).
    int closed;
    /// Calls on `sock` in progress with the GIL released (changed with the GIL held).
    int calls;
    /// The last receive of 513 bytes to 64 KiB filled at least half its size: the next one goes
    /// straight into its bytes object, not through the thread's buffer (changed with the GIL held).
    bool large_receives;
};

/// The usocket::socket of a socket object (of the type or a subclass).
inline usocket::socket& sock_of(PyObject* self) noexcept { return reinterpret_cast<py_socket*>(self)->sock; }

/// without_gil() for a call on the socket object `self`, counted in `calls` while it runs, so
/// that socket.__init__ does not replace the usocket::socket under it.
template <class F>
inline decltype(auto) socket_call(PyObject* self, F&& f) {
    int& calls = reinterpret_cast<py_socket*>(self)->calls;
    ++calls;
    return without_gil(std::forward<F>(f), &calls);
}

/// Creates the socket type of `module` (at import).
PyTypeObject* make_socket_type(PyObject* module);
/// A new socket object of the module's type owning `s`.
PyObject* wrap_socket(const module_state* state, usocket::socket&& s);
inline bool is_socket(const module_state* state, PyObject* o) noexcept {
    return state != nullptr && state->socket_type != nullptr && PyObject_TypeCheck(o, state->socket_type);
}

/// MicroPython's stream methods of the socket (stream.cpp), added to the type at init.
extern PyMethodDef stream_methods[];
/// Batched datagrams: send_many, recv_many, recv_many_into (batch.cpp), added at init too.
extern PyMethodDef batch_methods[];

// --- module functions, one table per part ------------------------------------------------------

/// getaddrinfo (resolver.cpp).
extern PyMethodDef resolver_functions[];
/// getaddrinfo()'s host and port arguments as CPython converts them (the C strings it hands to
/// the resolver): host None, str (IDNA) or bytes; port an exact int, str, bytes or None.
bool getaddrinfo_args(PyObject* host_obj, PyObject* port_obj, std::optional<std::string>& host,
                      std::optional<std::string>& port);
/// The name functions, inet_*, byte order, create_connection/create_server (names.cpp).
extern PyMethodDef name_functions[];
/// select() (poll.cpp).
extern PyMethodDef poll_functions[];
/// Creates the poll type of `module` (at import).
PyTypeObject* make_poll_type(PyObject* module);
/// What the seed dialects (usocket.lwip_board, usocket.zerynth) need from C++ (dialects.cpp).
extern PyMethodDef dialect_functions[];
/// Adds the TLS part (`_tls`, for the module ussl) to `module` when the library has TLS
/// (tls_module.cpp). False with an exception set.
bool add_tls(PyObject* module);
/// Creates the private selector type `_Selector` of `module` and adds it (selector.cpp).
PyTypeObject* make_selector_type(PyObject* module);

/// sendmsg, recvmsg, recvmsg_into (message.cpp), added to the socket type at init.
extern PyMethodDef message_methods[];
/// CMSG_LEN, CMSG_SPACE (message.cpp).
extern PyMethodDef message_functions[];
/// if_nameindex & co, close(fd), sethostname (system.cpp).
extern PyMethodDef system_functions[];
/// _accept, sendfile and its two ways (socket_extras.cpp), added to the socket type at init.
extern PyMethodDef extra_methods[];
/// _set_enums (socket_extras.cpp).
extern PyMethodDef extra_functions[];
/// Adds _GiveupOnSendfile to the module (socket_extras.cpp).
int extras_exec(PyObject* module, module_state* state);
/// state_of() for a socket object: at once for the module's own type, through the bases for a
/// subclass (the attribute getters' fast path).
const module_state* socket_state_of(PyObject* self) noexcept;
/// The AddressFamily / SocketKind member for a value (the plain int without one, or before the
/// package's __init__ handed the enums over). New reference.
PyObject* family_object(const module_state* state, int family);
PyObject* kind_object(const module_state* state, int type);

}  // namespace usocket::python
