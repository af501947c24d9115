// MicroPython's stream methods on the socket (seed 001): read, readinto, readline, write (with
// MicroPython's max_len and offset forms), over usocket::socket's own (no short reads or writes
// on a blocking socket; on a non-blocking one what could be done now, None when nothing).
//
// A read the read-ahead buffer can serve whole (a line in it, n bytes in it) is served with the
// GIL held, straight from the buffer into the bytes object: only a read that must wait (for the
// socket, or for the read lock another read holds) releases the GIL, through the library's
// call, which keeps its deadline, interrupt check and reentrancy check.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <optional>

#include "module.hpp"
#include "nowait.hpp"
#include "stream_hold.hpp"
#include "usocket/socket_file.hpp"

namespace usocket::python {

namespace {

using usocket::detail::nowait_hold;

// Bytes a read took and cannot deliver (no memory for their object) go back to the read-ahead
// buffer, to be read again by the next read (with the GIL released: that waits for the read
// lock as a read does).
void give_back(PyObject* self, const char* data, std::size_t n) {
    static_cast<void>(socket_call(self, [&] {
        return usocket::detail::give_back(sock_of(self), reinterpret_cast<const std::byte*>(data), n);
    }));
}

// The bytes object of `n` bytes a read returned; MemoryError with the bytes given back when
// it cannot be made: a failed read loses nothing.
PyObject* deliver(PyObject* self, const char* data, std::size_t n) {
    if (PyObject* out = PyBytes_FromStringAndSize(data, static_cast<Py_ssize_t>(n))) [[likely]]
        return out;
    give_back(self, data, n);
    return nullptr;
}

// A stream read's error: ENOMEM is the library's memory for the read failing (its bytes kept),
// MemoryError as in CPython; the rest as every call's.
PyObject* read_error(PyObject* self, const std::error_code& ec, const char* what) {
    if (ec == std::errc::not_enough_memory) return PyErr_NoMemory();
    return set_error(self, ec, what);
}

PyObject* bytes_or_none(PyObject* self, const std::optional<std::string>& data, const std::error_code& ec,
                        const char* what) {
    if (ec) return read_error(self, ec, what);
    if (!data) Py_RETURN_NONE;
    return deliver(self, data->data(), data->size());
}

// A read whose memory the library could not get (std::string's growth) raises MemoryError,
// as CPython's; the library kept the bytes buffered.
template <class F>
decltype(auto) or_no_memory(F&& f, bool& no_memory) {
    try {
        return f();
    } catch (const std::bad_alloc&) {
        no_memory = true;
        return decltype(f()){};
    }
}

PyObject* count_or_none(PyObject* self, const std::optional<std::size_t>& n, const std::error_code& ec,
                        const char* what) {
    if (ec) return set_error(self, ec, what);
    if (!n) Py_RETURN_NONE;
    return PyLong_FromSize_t(*n);
}

// An optional size argument: absent, None or negative mean "no limit".
bool limit_arg(PyObject* const* args, Py_ssize_t nargs, std::optional<std::size_t>& limit) {
    limit.reset();
    if (nargs == 0 || args[0] == Py_None) return true;
    Py_ssize_t n = 0;
    if (!to_ssize(args[0], n)) return false;
    if (n >= 0) limit = static_cast<std::size_t>(n);
    return true;
}

// n bytes from the read-ahead buffer when it holds them (the hold taken only when free), else
// null with no error set.
PyObject* read_buffered(PyObject* self, std::size_t n) {
    if (usocket::detail::socket_state* st = vouched_state(self)) [[likely]] {
        if (st->rb.size() < n) return nullptr;
        PyObject* data = PyBytes_FromStringAndSize(reinterpret_cast<const char*>(st->rb.head()), static_cast<Py_ssize_t>(n));
        if (data != nullptr) usocket::detail::consume_vouched(*st, n);
        return data;
    }
    nowait_hold hold(sock_of(self), false);
    if (!hold || hold.size() < n) return nullptr;
    PyObject* data = PyBytes_FromStringAndSize(reinterpret_cast<const char*>(hold.head()), static_cast<Py_ssize_t>(n));
    if (data != nullptr) hold.consume(n);
    return data;
}

// read(n) that may wait. As CPython's buffered read(n), the bytes object is made once, n bytes
// long, and the library's readinto (one deadline, no short reads, every byte kept on an error)
// fills it in place: the kernel copies into it, nothing is copied again, and a large n is
// address space the allocator maps untouched, not memory written twice. Where n bytes cannot
// be had up front (MemoryError, or n too large for a bytes object) the library's read(n)
// grows its result as the bytes come, so read(huge) on a short stream still works.
[[gnu::noinline]] PyObject* read_waiting(PyObject* self, std::size_t n) {
    std::error_code ec;
    ref bytes(PyBytes_FromStringAndSize(nullptr, static_cast<Py_ssize_t>(n)));
    if (!bytes) {
        if (PyErr_ExceptionMatches(PyExc_MemoryError) == 0 && PyErr_ExceptionMatches(PyExc_OverflowError) == 0)
            return nullptr;
        PyErr_Clear();
        bool no_memory = false;
        const auto data = socket_call(self, [&] { return or_no_memory([&] { return sock_of(self).read(n, ec); }, no_memory); });
        if (no_memory) return PyErr_NoMemory();  // the result's growth
        return bytes_or_none(self, data, ec, "read");
    }
    char* data = PyBytes_AS_STRING(bytes.get());
    const auto got = socket_call(
        self, [&] { return sock_of(self).readinto(mutable_buffer(data, n), n, ec); });
    if (ec) return read_error(self, ec, "read");
    if (!got) Py_RETURN_NONE;
    if (*got == n) return bytes.release();
    // Much shorter than asked (the end of the stream, a non-blocking read): a copy, so that a
    // kept small result does not keep the large object's memory.
    if (*got < n / 2) {
        if (PyObject* copy = PyBytes_FromStringAndSize(data, static_cast<Py_ssize_t>(*got))) return copy;
        PyErr_Clear();  // no memory for it: the large object, shortened, keeps the bytes
    }
    // Shortened where it stands, which cannot fail (_PyBytes_Resize frees the object when its
    // realloc fails, bytes and all). The object is new and unshared; the memory past its end
    // is the kernel's untouched pages, or at most half of it.
    PyObject* out = bytes.release();
    Py_SET_SIZE(out, static_cast<Py_ssize_t>(*got));
    PyBytes_AS_STRING(out)[*got] = '\0';
    return out;
}

// Memory read() to the end grows with the GIL released (PyMem_RawRealloc needs no GIL): a
// large block grows by moving its pages (mremap), never by copying its bytes.
struct raw_growth final : usocket::detail::growable {
    std::byte* data = nullptr;
    raw_growth() = default;
    raw_growth(const raw_growth&) = delete;
    raw_growth& operator=(const raw_growth&) = delete;
    ~raw_growth() { PyMem_RawFree(data); }
    std::byte* grow(std::size_t n) noexcept override {
        void* p = PyMem_RawRealloc(data, n);
        if (p != nullptr) data = static_cast<std::byte*>(p);
        return static_cast<std::byte*>(p);
    }
};

// read() with no size: to the end of the stream, one bytes object copied once from memory that
// grew in place (CPython's buffered read() joins its chunks the same way, once).
[[gnu::noinline]] PyObject* read_to_end(PyObject* self) {
    std::error_code ec;
    raw_growth out;
    const auto got = socket_call(self, [&] { return usocket::detail::read_to_end(sock_of(self), out, ec); });
    if (ec) return read_error(self, ec, "read");
    if (!got) Py_RETURN_NONE;
    return deliver(self, reinterpret_cast<const char*>(out.data), *got);
}

// read's arguments in any form, and the read that may wait (out of line: read(n) served from
// the buffer stays a straight line).
[[gnu::noinline]] PyObject* read_general(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("read", nargs, 0, 1)) return nullptr;
    std::optional<std::size_t> size;
    if (!limit_arg(args, nargs, size)) return nullptr;
    if (size) {
        if (PyObject* data = read_buffered(self, *size)) return data;
        if (PyErr_Occurred() != nullptr) return nullptr;
    }
    if (size) return read_waiting(self, *size);
    return read_to_end(self);
}

// read([size]): size bytes (fewer only at the end of the stream), or to the end without size.
PyObject* socket_read(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs == 1 && PyLong_CheckExact(args[0])) [[likely]] {
        const Py_ssize_t n = PyLong_AsSsize_t(args[0]);
        if (n >= 0) [[likely]] {
            if (PyObject* data = read_buffered(self, static_cast<std::size_t>(n))) [[likely]]
                return data;
            if (PyErr_Occurred() != nullptr) return nullptr;
        } else if (PyErr_Occurred() != nullptr) {
            return nullptr;  // OverflowError, as the general way would raise
        }
    }
    return read_general(self, args, nargs);
}

// readinto's read that may wait (out of line: one served from the buffer stays a straight line).
[[gnu::noinline]] PyObject* readinto_waiting(PyObject* self, mutable_buffer buf, Py_ssize_t nbytes) {
    std::error_code ec;
    const auto n = socket_call(self, [&] { return sock_of(self).readinto(buf, static_cast<std::size_t>(nbytes), ec); });
    if (ec) return read_error(self, ec, "readinto");
    if (!n) Py_RETURN_NONE;
    PyObject* count = PyLong_FromSize_t(*n);
    if (count == nullptr) give_back(self, reinterpret_cast<const char*>(buf.data()), *n);  // no memory for the count
    return count;
}

// readinto(buf[, nbytes]): fills buf (or its first nbytes) with no short read.
PyObject* socket_readinto(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("readinto", nargs, 1, 2)) return nullptr;
    buffer_arg buf;
    if (!buf.get_writable(args[0], "readinto")) return nullptr;
    Py_ssize_t nbytes = 0;
    if (nargs == 2 && !to_ssize(args[1], nbytes)) return nullptr;
    if (nbytes < 0) {
        PyErr_SetString(PyExc_ValueError, "negative buffersize in readinto");
        return nullptr;
    }
    const auto want = nbytes == 0 ? buf.size() : static_cast<std::size_t>(nbytes);
    if (want <= buf.size()) {  // more is the library's error, reported below
        if (usocket::detail::socket_state* st = vouched_state(self)) [[likely]] {
            if (st->rb.size() >= want) {
                PyObject* count = PyLong_FromSize_t(want);  // first: its failure takes no byte
                if (count == nullptr) return nullptr;
                if (want != 0) std::memcpy(buf.data(), st->rb.head(), want);
                usocket::detail::consume_vouched(*st, want);
                return count;
            }
            return readinto_waiting(self, mutable_buffer(buf.data(), buf.size()), nbytes);
        }
        nowait_hold hold(sock_of(self), false);
        if (hold && hold.size() >= want) {
            PyObject* count = PyLong_FromSize_t(want);
            if (count == nullptr) return nullptr;
            if (want != 0) std::memcpy(buf.data(), hold.head(), want);
            hold.consume(want);
            return count;
        }
    }
    return readinto_waiting(self, mutable_buffer(buf.data(), buf.size()), nbytes);
}

// readline's read that may wait (out of line: a line served from the buffer stays a straight line).
[[gnu::noinline]] PyObject* readline_waiting(PyObject* self, std::size_t limit) {
    std::error_code ec;
    bool no_memory = false;
    const auto line = socket_call(self, [&] { return or_no_memory([&] { return sock_of(self).readline(limit, ec); }, no_memory); });
    if (no_memory) return PyErr_NoMemory();
    return bytes_or_none(self, line, ec, "readline");
}

// readline's way when the straight line below does not serve it: a limit, or a buffer that
// needs the hold (a call in flight, another holder of the state). The line is served from the
// buffer when the hold is free and the line is there whole, else by the read that may wait.
[[gnu::noinline]] PyObject* readline_general(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    std::size_t limit = no_limit;
    if (nargs != 0) {
        if (!check_nargs("readline", nargs, 0, 1)) return nullptr;
        std::optional<std::size_t> given;
        if (!limit_arg(args, nargs, given)) return nullptr;
        limit = given.value_or(no_limit);
    }
    {
        nowait_hold hold(sock_of(self), sole_user(self));
        if (hold) {
            // The line is served from the buffer when it is there whole: its '\n' within the
            // first `limit` bytes, or `limit` bytes buffered.
            const std::size_t avail = std::min(hold.size(), limit);
            const void* nl = avail != 0 ? std::memchr(hold.head(), '\n', avail) : nullptr;
            if (nl != nullptr || avail == limit) {
                const std::size_t n =
                    nl != nullptr ? static_cast<std::size_t>(static_cast<const std::byte*>(nl) - hold.head()) + 1 : avail;
                PyObject* line =
                    PyBytes_FromStringAndSize(reinterpret_cast<const char*>(hold.head()), static_cast<Py_ssize_t>(n));
                if (line != nullptr) hold.consume(n);
                return line;
            }
        }
    }
    return readline_waiting(self, limit);
}

// readline([limit]): one line with its '\n', b"" at the end of the stream. The straight line:
// no limit, the GIL vouching for the buffer (vouched_state) and a whole line in it.
PyObject* socket_readline(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (nargs == 0) [[likely]] {
        if (usocket::detail::socket_state* st = vouched_state(self)) [[likely]] {
            const std::byte* head = st->rb.head();
            const std::size_t avail = st->rb.size();
            const void* nl = avail != 0 ? std::memchr(head, '\n', avail) : nullptr;
            if (nl == nullptr) [[unlikely]]
                return readline_waiting(self, no_limit);
            const auto n = static_cast<std::size_t>(static_cast<const std::byte*>(nl) - head) + 1;
            PyObject* line = PyBytes_FromStringAndSize(reinterpret_cast<const char*>(head), static_cast<Py_ssize_t>(n));
            if (line != nullptr) [[likely]]
                usocket::detail::consume_vouched(*st, n);
            return line;
        }
    }
    return readline_general(self, args, nargs);
}

// write(buf[, max_len]) / write(buf, off, max_len): MicroPython's stream.write, which its own
// libraries use (umqtt.simple writes `sock.write(pkt, n)`): buf[off:off + max_len], all of it
// on a blocking socket; an offset past the end writes nothing, as there. A str is its UTF-8
// bytes (SPEC). A negative offset or length is ValueError (MicroPython would take it as a huge
// unsigned number).
PyObject* socket_write(PyObject* self, PyObject* const* args, Py_ssize_t nargs) {
    if (!check_nargs("write", nargs, 1, 3)) return nullptr;
    buffer_arg data;
    if (!data.get(args[0], true)) return nullptr;
    Py_ssize_t off = 0, max_len = PY_SSIZE_T_MAX;
    if (nargs == 2 && !to_ssize(args[1], max_len)) return nullptr;
    if (nargs == 3 && (!to_ssize(args[1], off) || !to_ssize(args[2], max_len))) return nullptr;
    if (off < 0 || max_len < 0) {
        PyErr_SetString(PyExc_ValueError, off < 0 ? "negative offset in write" : "negative length in write");
        return nullptr;
    }
    const std::size_t start = std::min(static_cast<std::size_t>(off), data.size());
    const std::size_t n = std::min(static_cast<std::size_t>(max_len), data.size() - start);
    const const_buffer part(static_cast<const std::byte*>(data.data()) + start, n);
    std::error_code ec;
    const auto written = socket_call(self, [&] { return sock_of(self).write(part, ec); });
    return count_or_none(self, written, ec, "write");
}

}  // namespace

PyMethodDef stream_methods[] = {
    {"read", USOCKET_METHOD(socket_read), METH_FASTCALL,
     "read([size]) -> bytes: size bytes (fewer only at the end), or all to the end; None when a "
     "non-blocking socket has nothing"},
    {"readinto", USOCKET_METHOD(socket_readinto), METH_FASTCALL,
     "readinto(buf[, nbytes]) -> count, with no short read; None when a non-blocking socket has nothing"},
    {"readline", USOCKET_METHOD(socket_readline), METH_FASTCALL,
     "readline([limit]) -> one line with its newline; b'' at the end of the stream"},
    {"write", USOCKET_METHOD(socket_write), METH_FASTCALL,
     "write(buf[, max_len]) / write(buf, off, max_len) -> count: buf[off:off+max_len], all of it on a "
     "blocking socket (str as UTF-8); None when a non-blocking socket takes nothing"},
    {nullptr, nullptr, 0, nullptr},
};

}  // namespace usocket::python
