"""Bad arguments get the exception CPython's socket gives (class, and errno for OSError), call by
call: each case runs once on each module, with its own sockets and its own directory, and the
outcomes are compared. Where usocket differs on purpose (the seeds' address forms), the test
says so and checks usocket's own behaviour."""

import enum
import errno
import os
import select
import socket as cpython_socket
import tempfile
import threading

import pytest

import usocket
from conftest import TOO_LONG_NAME


class Index:
    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v


class BadBool:
    def __bool__(self):
        raise ZeroDivisionError("from __bool__")


class BadIndex:
    def __index__(self):
        raise ZeroDivisionError("from __index__")


class Color(enum.IntEnum):
    RED = 1


def result(fn):
    """('ok', type of the result) or ('raise', class name[, errno for OSError])."""
    try:
        value = fn()
    except OSError as e:
        return ("raise", type(e).__name__) + ((e.errno,) if not isinstance(e, TimeoutError) else ())
    except Exception as e:  # noqa: BLE001 - the class is the result
        return ("raise", type(e).__name__)
    for s in value if isinstance(value, (tuple, list)) else (value,):
        if hasattr(s, "close") and not isinstance(s, (str, bytes)):
            s.close()
    return ("ok", "socket" if hasattr(value, "fileno") else type(value).__name__)


def group_members(fn):
    """The classes and errnos of the members of the ExceptionGroup fn() raises."""
    try:
        fn()
    except ExceptionGroup as group:
        return [(type(e).__name__, e.errno) for e in group.exceptions]
    raise AssertionError("no ExceptionGroup")


class Context:
    """What a case needs from one module: the module, a directory, sockets closed at the end."""

    def __init__(self, mod):
        self.mod = mod
        self.dir = tempfile.mkdtemp(prefix="usocket-args-")
        self.opened = []
        self.fds = []

    def sock(self, family=None, type=None):
        m = self.mod
        s = m.socket(m.AF_INET if family is None else family, m.SOCK_STREAM if type is None else type)
        self.opened.append(s)
        return s

    def sock6(self):
        return self.sock(self.mod.AF_INET6)

    def listener(self):
        s = self.sock()
        s.bind(("127.0.0.1", 0))
        s.listen()
        return s

    def closed_port(self):
        with self.mod.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def path(self, name="s"):
        return os.path.join(self.dir, name)

    def pipe(self):
        r, w = os.pipe()
        self.fds += [r, w]
        return r

    def closed(self):
        s = self.sock()
        s.close()
        return s

    def nonblocking(self):
        s = self.sock()
        s.setblocking(False)
        return s

    def poll(self):
        return (select.poll if self.mod is cpython_socket else self.mod.poll)()

    def select(self, *args):
        return (select.select if self.mod is cpython_socket else self.mod.select)(*args)

    def dir_fd(self):
        fd = os.open(self.dir, os.O_RDONLY)
        self.fds.append(fd)
        return fd

    def close(self):
        for s in self.opened:
            s.close()
        for fd in self.fds:
            os.close(fd)
        for name in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, name))
        os.rmdir(self.dir)


def compare(case):
    outcomes = []
    for mod in (cpython_socket, usocket):
        ctx = Context(mod)
        try:
            outcomes.append(result(lambda: case(ctx)))
        finally:
            ctx.close()
    assert outcomes[1] == outcomes[0], "cpython %s, usocket %s" % tuple(outcomes)
    return outcomes[0]


def ipv6_works():
    try:
        with cpython_socket.socket(cpython_socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# Without IPv6 (a container may have none) the AF_INET6 cases are only compared.
IPV6 = ipv6_works()
SOL, REUSE = cpython_socket.SOL_SOCKET, cpython_socket.SO_REUSEADDR
NI = cpython_socket.NI_NUMERICHOST | cpython_socket.NI_NUMERICSERV

# (id, call, CPython's outcome: a check that the case exercises what it names)
CASES = [
    # fromfd() duplicates, then checks the descriptor is a socket.
    ("fromfd pipe", lambda c: c.mod.fromfd(c.pipe(), c.mod.AF_INET, c.mod.SOCK_STREAM), ("raise", "OSError", 88)),
    ("fromfd directory", lambda c: c.mod.fromfd(c.dir_fd(), c.mod.AF_INET, c.mod.SOCK_STREAM),
     ("raise", "OSError", 88)),
    ("fromfd closed", lambda c: c.mod.fromfd(2 ** 31 - 1, c.mod.AF_INET, c.mod.SOCK_STREAM), ("raise", "OSError", 9)),
    ("fromfd str", lambda c: c.mod.fromfd("3", c.mod.AF_INET, c.mod.SOCK_STREAM), ("raise", "TypeError")),
    ("fromfd closed, bad family", lambda c: c.mod.fromfd(2 ** 31 - 1, "x", 1), ("raise", "OSError", 9)),
    # A descriptor that is no socket: dup() succeeds, socket() converts its arguments first.
    ("fromfd pipe, bad family", lambda c: c.mod.fromfd(c.pipe(), "1", 1), ("raise", "TypeError")),
    ("fromfd pipe, bad proto", lambda c: c.mod.fromfd(c.pipe(), 2, 1, "x"), ("raise", "TypeError")),
    # setblocking() takes an integer, as PyLong_AsLong.
    ("setblocking str", lambda c: c.sock().setblocking("x"), ("raise", "TypeError")),
    ("setblocking None", lambda c: c.sock().setblocking(None), ("raise", "TypeError")),
    ("setblocking float", lambda c: c.sock().setblocking(1.0), ("raise", "TypeError")),
    ("setblocking list", lambda c: c.sock().setblocking([1]), ("raise", "TypeError")),
    ("setblocking 2**70", lambda c: c.sock().setblocking(2 ** 70), ("raise", "OverflowError")),
    ("setblocking 2**40", lambda c: c.sock().setblocking(2 ** 40), ("ok", "NoneType")),
    ("setblocking __index__", lambda c: c.sock().setblocking(Index(0)), ("ok", "NoneType")),
    ("setblocking __bool__ only", lambda c: c.sock().setblocking(BadBool()), ("raise", "TypeError")),
    # setsockopt(): "iii", then "iiO!I", then "iiy*"; the last form's error is raised.
    ("setsockopt 2**40", lambda c: c.sock().setsockopt(SOL, REUSE, 2 ** 40), ("raise", "TypeError")),
    ("setsockopt -2**31-1", lambda c: c.sock().setsockopt(SOL, REUSE, -2 ** 31 - 1), ("raise", "TypeError")),
    ("setsockopt __index__", lambda c: c.sock().setsockopt(SOL, REUSE, Index(1)), ("ok", "NoneType")),
    ("setsockopt level 2**40", lambda c: c.sock().setsockopt(2 ** 40, REUSE, 1), ("raise", "OverflowError")),
    ("setsockopt None", lambda c: c.sock().setsockopt(SOL, REUSE, None), ("raise", "TypeError")),
    ("setsockopt int and optlen", lambda c: c.sock().setsockopt(SOL, REUSE, 1, 4), ("raise", "TypeError")),
    ("setsockopt None optlen 2**40", lambda c: c.sock().setsockopt(SOL, REUSE, None, 2 ** 40 + 4), None),
    ("setsockopt None optlen -1", lambda c: c.sock().setsockopt(SOL, REUSE, None, -1), None),
    ("setsockopt strided", lambda c: c.sock().setsockopt(SOL, REUSE, memoryview(b"abcdefgh")[::2]),
     ("raise", "BufferError")),
    # Every argument is converted before the size is checked ("n|i").
    ("recv negative, bad flags", lambda c: c.sock().recv(-1, 1.5), ("raise", "TypeError")),
    ("recvfrom negative, huge flags", lambda c: c.sock().recvfrom(-1, 2 ** 63), ("raise", "OverflowError")),
    ("recv negative", lambda c: c.sock().recv(-1), ("raise", "ValueError")),
    # sendall() sends at least once, as CPython's loop: empty data is one send().
    ("sendall empty, unconnected datagram", lambda c: c.sock(type=c.mod.SOCK_DGRAM).sendall(b""),
     ("raise", "OSError", errno.EDESTADDRREQ)),
    ("sendall empty, unconnected stream", lambda c: c.sock().sendall(b""),
     ("raise", "BrokenPipeError", errno.EPIPE)),
    ("sendall empty, closed", lambda c: c.closed().sendall(b""), ("raise", "OSError", errno.EBADF)),
    # recv(0) asks the socket nothing (b"" at once), recvfrom(0) waits as any recvfrom().
    ("recv 0 unconnected", lambda c: c.sock().recv(0), ("ok", "bytes")),
    ("recv 0 listening", lambda c: c.listener().recv(0), ("ok", "bytes")),
    ("recv 0 closed", lambda c: c.closed().recv(0), ("ok", "bytes")),
    # recv_into/recvfrom_into convert their values before they check the names (CPython's
    # PyArg_ParseTupleAndKeywords): a bad value wins over an unknown keyword, too many in all
    # wins over both; getaddrinfo (Python code in CPython) checks the names first.
    ("recv_into bad nbytes and unknown keyword", lambda c: c.sock().recv_into(bytearray(4), 2 ** 63, bogus=1),
     ("raise", "OverflowError")),
    ("recvfrom_into bad flags and unknown keyword",
     lambda c: c.sock().recvfrom_into(bytearray(4), 1, "x", bogus=1), ("raise", "TypeError")),
    ("recv_into bad buffer and name twice", lambda c: c.sock().recv_into(b"", 1, nbytes=1), ("raise", "TypeError")),
    ("recv_into too many with a bad value", lambda c: c.sock().recv_into(bytearray(4), 2 ** 63, flags=0, bogus=1),
     ("raise", "TypeError")),
    # A bare str is an address only as seed 002's IPv4 form ("192.168.1.10"); a name is never
    # looked up from it: the TypeError CPython gives for any str.
    ("bind a bare host name", lambda c: c.sock().bind("x" * 64 + ".invalid"), ("raise", "TypeError")),
    ("connect a bare empty str", lambda c: c.sock().connect(""), ("raise", "TypeError")),
    ("sendto a bare host name", lambda c: c.sock(type=c.mod.SOCK_DGRAM).sendto(b"x", "x" * 64 + ".invalid"),
     ("raise", "TypeError")),
    ("recv_into a name with a NUL in it", lambda c: c.sock().recv_into(bytearray(4), **{"nbytes\0x": 1}),
     ("raise", "TypeError")),
    ("recvfrom_into a name with a NUL in it", lambda c: c.sock().recvfrom_into(**{"buffer\0": bytearray(4)}),
     ("raise", "TypeError")),
    ("recv_into a name UTF-8 cannot encode", lambda c: c.sock().recv_into(bytearray(4), **{"\udcff": 1}),
     ("raise", "TypeError")),
    ("recv_into a name UTF-8 cannot encode, bad nbytes",
     lambda c: c.sock().recv_into(bytearray(4), 2 ** 63, **{"\udcff": 1}), ("raise", "OverflowError")),
    ("recv_into name twice, valid values", lambda c: c.sock().recv_into(bytearray(4), 1, nbytes=1),
     ("raise", "TypeError")),
    ("getaddrinfo bad family and unknown keyword", lambda c: c.mod.getaddrinfo("127.0.0.1", 80, 2 ** 70, bogus=1),
     ("raise", "TypeError")),
    ("recv_into empty buffer", lambda c: c.sock().recv_into(bytearray()), ("ok", "int")),
    ("recv_into empty, closed", lambda c: c.closed().recv_into(bytearray(), 0), ("ok", "int")),
    ("recv_into nbytes 0 is the buffer", lambda c: c.nonblocking().recv_into(bytearray(4), 0),
     ("raise", "OSError", errno.ENOTCONN)),
    ("recvfrom 0 closed", lambda c: c.closed().recvfrom(0), ("raise", "OSError", errno.EBADF)),
    # The os module converts set_inheritable()'s flag before it sees the closed descriptor.
    ("set_inheritable closed, None", lambda c: c.closed().set_inheritable(None), ("raise", "TypeError")),
    ("set_inheritable closed, 2**63", lambda c: c.closed().set_inheritable(2 ** 63), ("raise", "OverflowError")),
    ("set_inheritable closed", lambda c: c.closed().set_inheritable(True), ("raise", "OSError", errno.EBADF)),
    ("get_inheritable closed", lambda c: c.closed().get_inheritable(), ("raise", "OSError", errno.EBADF)),
    # socketpair() converts family, type, proto in that order; getnameinfo() the flags first.
    ("socketpair bad family first", lambda c: c.mod.socketpair(b"x", 1, BadIndex()), ("raise", "TypeError")),
    ("socketpair bad family, bad proto", lambda c: c.mod.socketpair(BadIndex(), 0, b""),
     ("raise", "ZeroDivisionError")),
    ("socketpair family None", lambda c: c.mod.socketpair(None), ("ok", "tuple")),
    ("getnameinfo bad flags first", lambda c: c.mod.getnameinfo(5, 2 ** 40), ("raise", "OverflowError")),
    ("getservbyport port overflow first", lambda c: c.mod.getservbyport(2 ** 31, 5), ("raise", "OverflowError")),
    # poll: the descriptor as PyObject_AsFileDescriptor(), the mask as an unsigned short.
    ("poll register closed", lambda c: c.poll().register(c.closed()), ("raise", "ValueError")),
    ("poll register mask -1", lambda c: c.poll().register(c.sock(), -1), ("raise", "ValueError")),
    ("poll register mask 2**16", lambda c: c.poll().register(c.sock(), 2 ** 16), ("raise", "OverflowError")),
    ("poll register mask str", lambda c: c.poll().register(c.sock(), "x"), ("raise", "TypeError")),
    ("poll modify closed, bad mask", lambda c: c.poll().modify(c.closed(), "x"), ("raise", "ValueError")),
    ("poll unregister closed", lambda c: c.poll().unregister(c.closed()), ("raise", "ValueError")),
    ("select closed", lambda c: c.select([c.closed()], [], [], 0), ("raise", "ValueError")),
    # A binary file from makefile() takes bytes only (send() takes str: not its files).
    ("makefile raw write str", lambda c: c.sock().makefile("wb", 0).write("text"), ("raise", "TypeError")),
    # Hosts: CPython's idna_converter() for socket addresses.
    ("bind host NUL", lambda c: c.sock().bind(("127.0.0.1\0x", 0)), ("raise", "TypeError")),
    ("bind name NUL", lambda c: c.sock().bind(("h\0x", 0)), ("raise", "TypeError")),
    ("bind6 name NUL", lambda c: c.sock6().bind(("h\0x", 0, 0, 0)), ("raise", "TypeError")),
    ("sendto name NUL", lambda c: c.sock(type=c.mod.SOCK_DGRAM).sendto(b"x", ("h\0x", 1)), ("raise", "TypeError")),
    ("connect host NUL", lambda c: c.sock().connect(("\0", 1)), ("raise", "TypeError")),
    ("bind host bad IDNA", lambda c: c.sock().bind(("\u00e9" * 70, 0)), ("raise", "TypeError")),
    ("bind host surrogate", lambda c: c.sock().bind(("\udcff", 0)), ("raise", "TypeError")),
    ("bind host bytearray", lambda c: c.sock().bind((bytearray(b"127.0.0.1"), 0)), ("ok", "NoneType")),
    ("bind port __index__", lambda c: c.sock().bind(("127.0.0.1", Index(0))), ("ok", "NoneType")),
    ("bind port float", lambda c: c.sock().bind(("127.0.0.1", 0.0)), ("raise", "TypeError")),
    ("bind bad host and port", lambda c: c.sock().bind(("\0", 2 ** 70)), ("raise", "TypeError")),
    ("sendto list", lambda c: c.sock(type=c.mod.SOCK_DGRAM).sendto(b"x", ["127.0.0.1", 9]), ("raise", "TypeError")),
    ("sendto strided", lambda c: c.sock(type=c.mod.SOCK_DGRAM).sendto(memoryview(b"abcd")[::2], ("127.0.0.1", 9)),
     ("raise", "BufferError")),
    ("send strided", lambda c: c.sock().send(memoryview(b"abcd")[::2]), ("raise", "BufferError")),
    # AF_INET6: flowinfo and scope_id are "I" (masked); the tuple's scope id is the one used.
    ("bind6 scope 2**32", lambda c: c.sock6().bind(("::1", 0, 0, 2 ** 32)), ("ok", "NoneType") if IPV6 else None),
    ("bind6 flowinfo -1", lambda c: c.sock6().bind(("::1", 0, -1, 0)), ("raise", "OverflowError") if IPV6 else None),
    ("bind6 flowinfo float", lambda c: c.sock6().bind(("::1", 0, 1.0, 0)), ("raise", "TypeError") if IPV6 else None),
    ("bind6 scoped name, scope 0", lambda c: c.sock6().bind(("fe80::1%lo", 0)),
     ("raise", "OSError", 22) if IPV6 else None),
    # AF_UNIX: a NUL after the first byte is where the kernel stops; the length counts all.
    ("unix path NUL", lambda c: c.sock(c.mod.AF_UNIX).bind(c.path("a") + "\0tail"), ("ok", "NoneType")),
    ("unix path too long", lambda c: c.sock(c.mod.AF_UNIX).bind(c.path("x" * 120)), ("raise", "OSError", None)),
    ("unix NUL too long", lambda c: c.sock(c.mod.AF_UNIX).bind(c.path("a") + "\0" + "x" * 120),
     ("raise", "OSError", None)),
    ("unix autobind", lambda c: c.sock(c.mod.AF_UNIX).bind(b""), ("ok", "NoneType")),
    # socket(): the arguments are bound before any is converted (its __init__ is Python's).
    ("socket bad keyword first", lambda c: c.mod.socket(2, 2 ** 70, bogus=1), ("raise", "TypeError")),
    ("socket twice family", lambda c: c.mod.socket(2 ** 70, family=2), ("raise", "TypeError")),
    ("socket 5 arguments", lambda c: c.mod.socket(2 ** 70, 1, 0, None, 1), ("raise", "TypeError")),
    ("socket bad type", lambda c: c.mod.socket(type="x"), ("raise", "TypeError")),
    # socket(fileno=): a C long; negative is ValueError, past a C int no descriptor.
    ("socket fileno -1", lambda c: c.mod.socket(fileno=-1), ("raise", "ValueError")),
    ("socket fileno -2**31-1", lambda c: c.mod.socket(fileno=-2 ** 31 - 1), ("raise", "OSError", 9)),
    ("socket fileno 2**70", lambda c: c.mod.socket(fileno=2 ** 70), ("raise", "OverflowError")),
    ("socket fileno pipe", lambda c: c.mod.socket(fileno=c.pipe()), ("raise", "OSError", 88)),
    # getaddrinfo(): C strings (they stop at a NUL), an exact int port.
    ("getaddrinfo host NUL", lambda c: c.mod.getaddrinfo("127.0.0.1\0x", 80), ("ok", "list")),
    ("getaddrinfo host NUL first", lambda c: c.mod.getaddrinfo("\0x", 80), ("raise", "gaierror", -2)),
    # (what precedes the NUL is a name refused without a DNS query)
    ("getaddrinfo name NUL", lambda c: c.mod.getaddrinfo(TOO_LONG_NAME + "\0b", 80), ("raise", "gaierror", -2)),
    ("getaddrinfo name bytes NUL", lambda c: c.mod.getaddrinfo(TOO_LONG_NAME.encode() + b"\0b", None),
     ("raise", "gaierror", -2)),
    ("getaddrinfo name NUL, service", lambda c: c.mod.getaddrinfo(TOO_LONG_NAME + "\0b", "http"),
     ("raise", "gaierror", -2)),
    ("getaddrinfo port IntEnum", lambda c: c.mod.getaddrinfo("127.0.0.1", Color.RED), ("raise", "OSError", None)),
    ("getaddrinfo port bool", lambda c: c.mod.getaddrinfo("127.0.0.1", True), ("raise", "OSError", None)),
    ("getaddrinfo port bytes NUL", lambda c: c.mod.getaddrinfo("127.0.0.1", b"\0x"), ("ok", "list")),
    ("getaddrinfo port 70000", lambda c: c.mod.getaddrinfo("127.0.0.1", 70000), ("ok", "list")),
    ("getaddrinfo bad family first", lambda c: c.mod.getaddrinfo(1, 80, "x"), ("raise", "TypeError")),
    # The legacy calls: "et" (TypeError for a NUL), "s" (ValueError for a NUL).
    ("gethostbyname NUL", lambda c: c.mod.gethostbyname("127.0.0.1\0x"), ("raise", "TypeError")),
    ("gethostbyname_ex bytes NUL", lambda c: c.mod.gethostbyname_ex(b"\0"), ("raise", "TypeError")),
    ("gethostbyaddr NUL", lambda c: c.mod.gethostbyaddr("127.0.0.1\0x"), ("raise", "TypeError")),
    ("inet_aton NUL", lambda c: c.mod.inet_aton("1.2.3.4\0"), ("raise", "ValueError")),
    ("inet_pton NUL", lambda c: c.mod.inet_pton(c.mod.AF_INET, "1.2.3.4\0"), ("raise", "ValueError")),
    ("getservbyname NUL", lambda c: c.mod.getservbyname("http\0"), ("raise", "ValueError")),
    ("getservbyname proto None", lambda c: c.mod.getservbyname("http", None), ("raise", "TypeError")),
    ("getservbyname proto empty", lambda c: c.mod.getservbyname("http", ""), ("raise", "OSError", None)),
    ("getservbyport proto empty", lambda c: c.mod.getservbyport(80, ""), ("raise", "OSError", None)),
    ("getnameinfo port -1", lambda c: c.mod.getnameinfo(("127.0.0.1", -1), NI), ("raise", "gaierror", -8)),
    ("getnameinfo port 65536", lambda c: c.mod.getnameinfo(("127.0.0.1", 65536), NI), ("ok", "tuple")),
    ("htons __index__", lambda c: c.mod.htons(Index(5)), ("ok", "int")),
    ("ntohs __index__ -1", lambda c: c.mod.ntohs(Index(-1)), ("raise", "OverflowError")),
    ("htonl __index__", lambda c: c.mod.htonl(Index(5)), ("raise", "TypeError")),
    # getfqdn(): CPython's algorithm (name.strip() first).
    ("getfqdn int", lambda c: c.mod.getfqdn(1), ("raise", "AttributeError")),
    ("getfqdn bytes", lambda c: c.mod.getfqdn(b"127.0.0.1"), ("ok", "str")),
    ("getfqdn NUL", lambda c: c.mod.getfqdn("127.0.0.1\0x"), ("raise", "TypeError")),
    ("getfqdn surrogate", lambda c: c.mod.getfqdn("\udcff"), ("raise", "UnicodeError")),
    # create_connection(): `host, port = address`, getaddrinfo()'s conversions, then the timeout,
    # then the source address (bind()'s conversion).
    ("create_connection list", lambda c: c.mod.create_connection(["127.0.0.1", c.listener().getsockname()[1]]),
     ("ok", "socket")),
    # Timeout 0: the connect() would block, that is the attempt's error (in a group with all_errors).
    ("create_connection timeout 0", lambda c: c.mod.create_connection(c.listener().getsockname(), 0),
     ("raise", "BlockingIOError", errno.EINPROGRESS)),
    ("create_connection timeout 0, all_errors",
     lambda c: c.mod.create_connection(c.listener().getsockname(), 0, None, all_errors=True),
     ("raise", "ExceptionGroup")),
    ("create_connection 1-tuple", lambda c: c.mod.create_connection(("127.0.0.1",)), ("raise", "ValueError")),
    ("create_connection 3-tuple", lambda c: c.mod.create_connection(("127.0.0.1", 1, 2)), ("raise", "ValueError")),
    ("create_connection int", lambda c: c.mod.create_connection(5), ("raise", "TypeError")),
    ("create_connection port str", lambda c: c.mod.create_connection(("127.0.0.1", str(c.closed_port()))),
     ("raise", "ConnectionRefusedError", errno.ECONNREFUSED)),
    ("create_connection port 2**31", lambda c: c.mod.create_connection(("127.0.0.1", 2 ** 31)),
     ("raise", "gaierror", -8)),
    ("create_connection port bool", lambda c: c.mod.create_connection(("127.0.0.1", True)), ("raise", "OSError", None)),
    ("create_connection host NUL", lambda c: c.mod.create_connection(("\0x", 80)), ("raise", "gaierror", -2)),
    ("create_connection bad timeout", lambda c: c.mod.create_connection(("127.0.0.1", 1), -1), ("raise", "ValueError")),
    ("create_connection bad host first", lambda c: c.mod.create_connection(("\0x", 1), -1), ("raise", "gaierror", -2)),
    ("create_connection source ''", lambda c: c.mod.create_connection(c.listener().getsockname(), 5, ""),
     ("ok", "socket")),
    ("create_connection source bytes", lambda c: c.mod.create_connection(c.listener().getsockname(), 5,
                                                                          (b"127.0.0.1", 0)), ("ok", "socket")),
    ("create_connection source __bool__", lambda c: c.mod.create_connection(c.listener().getsockname(), 5, BadBool()),
     ("raise", "ZeroDivisionError")),
    ("create_connection source family", lambda c: c.mod.create_connection(c.listener().getsockname(), 5, ("::1", 0)),
     ("raise", "gaierror", -9)),
    ("create_connection source port", lambda c: c.mod.create_connection(c.listener().getsockname(), 5,
                                                                         ("127.0.0.1", 1.5)), ("raise", "TypeError")),
    ("create_connection source per family", lambda c: c.mod.create_connection((None, c.closed_port()), 5,
                                                                               ("127.0.0.1", 0)),
     ("raise", "ConnectionRefusedError", errno.ECONNREFUSED)),
    ("create_connection address by keyword", lambda c: c.mod.create_connection(address=c.listener().getsockname()),
     ("ok", "socket")),
    ("create_connection host ''", lambda c: c.mod.create_connection(("", 1), 0), ("raise", "gaierror", -2)),
    # create_server(): bind()'s errors reworded as OSError(errno); the backlog after the bind.
    ("create_server family mismatch", lambda c: c.mod.create_server(("::1", 0)), ("raise", "OSError", -9)),
    ("create_server host bytes", lambda c: c.mod.create_server((b"127.0.0.1", 0)), ("ok", "socket")),
    ("create_server port str", lambda c: c.mod.create_server(("127.0.0.1", "80")), ("raise", "TypeError")),
    ("create_server busy, bad backlog", lambda c: c.mod.create_server(c.listener().getsockname(), backlog="x"),
     ("raise", "OSError", errno.EADDRINUSE)),
    ("create_server bad backlog", lambda c: c.mod.create_server(("127.0.0.1", 0), backlog="x"), ("raise", "TypeError")),
    ("create_server dualstack AF_INET", lambda c: c.mod.create_server(("", 0), dualstack_ipv6=True),
     ("raise", "ValueError")),
    ("create_server dualstack str family", lambda c: c.mod.create_server(("", 0), family="x", dualstack_ipv6=True),
     ("raise", "ValueError")),
    ("create_server family 12345", lambda c: c.mod.create_server(("", 0), family=12345),
     ("raise", "OSError", errno.EAFNOSUPPORT)),
    ("create_server family -1", lambda c: c.mod.create_server(("127.0.0.1", 0), family=-1), ("ok", "socket")),
    ("create_server unix", lambda c: c.mod.create_server(c.path(), family=c.mod.AF_UNIX), ("ok", "socket")),
    ("create_server unix too long", lambda c: c.mod.create_server(c.path("x" * 120), family=c.mod.AF_UNIX),
     ("raise", "OSError", None)),    # sendmsg(): "O|OiO" (flags, then the address), then the buffers, then the ancillary items.
    ("sendmsg bad flags first", lambda c: c.sock().sendmsg(5, 5, "x"), ("raise", "TypeError")),
    ("sendmsg bad address before buffers", lambda c: c.sock(type=c.mod.SOCK_DGRAM).sendmsg(5, [], 0, ("h\0", 1)),
     ("raise", "TypeError")),
    ("sendmsg bad buffers before items", lambda c: c.sock().sendmsg(["x"], 5), ("raise", "TypeError")),
    ("sendmsg item level overflow", lambda c: c.sock().sendmsg([b"x"], [(2 ** 31, 1, b"")]), ("raise", "OverflowError")),
    ("sendmsg closed", lambda c: c.closed().sendmsg([b"x"]), ("raise", "OSError", errno.EBADF)),
    ("sendmsg unconnected stream", lambda c: c.sock().sendmsg([b"x"]), ("raise", "BrokenPipeError", errno.EPIPE)),
    # recvmsg(): "n|ni", the size checked after the conversions.
    ("recvmsg negative, bad flags", lambda c: c.sock().recvmsg(-1, 0, 1.5), ("raise", "TypeError")),
    ("recvmsg ancillary past socklen_t", lambda c: c.sock().recvmsg(1, 2 ** 31), ("raise", "ValueError")),
    ("recvmsg closed", lambda c: c.closed().recvmsg(1), ("raise", "OSError", errno.EBADF)),
    ("recvmsg_into buffers before size", lambda c: c.sock().recvmsg_into([b"x"], -1), ("raise", "TypeError")),
    ("recvmsg_into negative ancillary", lambda c: c.sock().recvmsg_into([bytearray(1)], -1), ("raise", "ValueError")),
    ("recvmsg_into unconnected", lambda c: c.nonblocking().recvmsg_into([bytearray(1)]),
     ("raise", "OSError", errno.ENOTCONN)),
    ("CMSG_LEN negative", lambda c: c.mod.CMSG_LEN(-1), ("raise", "OverflowError")),
    ("CMSG_SPACE __index__", lambda c: c.mod.CMSG_SPACE(Index(4)), ("ok", "int")),
    ("recv_fds closed", lambda c: c.mod.recv_fds(c.closed(), 1, 1), ("raise", "OSError", errno.EBADF)),
    ("send_fds bad descriptor", lambda c: c.mod.send_fds(c.sock(), [b"x"], ["x"]), ("raise", "TypeError")),
    ("if_nametoindex bytes", lambda c: c.mod.if_nametoindex(b"lo"), ("ok", "int")),
    ("if_nametoindex unknown", lambda c: c.mod.if_nametoindex("nonexistent0"), ("raise", "OSError", None)),
    ("if_indextoname bool", lambda c: c.mod.if_indextoname(True), ("ok", "str")),
    ("if_indextoname float", lambda c: c.mod.if_indextoname(1.0), ("raise", "TypeError")),
    ("close -1", lambda c: c.mod.close(-1), ("raise", "OSError", errno.EBADF)),
    ("close 2**63", lambda c: c.mod.close(2 ** 63), ("raise", "OverflowError")),
    ("close __index__", lambda c: c.mod.close(Index(-1)), ("raise", "OSError", errno.EBADF)),
    ("_accept non-blocking", lambda c: (lambda s: (s.setblocking(False), s._accept()))(c.listener()),
     ("raise", "BlockingIOError", errno.EAGAIN)),
    ("_accept unbound", lambda c: c.sock()._accept(), ("raise", "OSError", errno.EINVAL)),
    # sendfile(): CPython's _check_sendfile_params() first (a file's mode, the socket type, count).
    ("sendfile count 0", lambda c: c.sock().sendfile(None, 0, 0), ("raise", "ValueError")),
    ("sendfile datagram", lambda c: c.sock(type=c.mod.SOCK_DGRAM).sendfile(None), ("raise", "ValueError")),
    ("sendfile None", lambda c: c.sock().sendfile(None), ("raise", "AttributeError")),
]


@pytest.mark.parametrize("case,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_same_as_cpython(case, expected):
    got = compare(case)
    if expected is not None:
        assert got == expected


# Around the bounds of CPython's _PyTime (nanoseconds in a signed 64-bit count): 2.0**63 / 1e9
# passes its range check and becomes negative (ValueError), beyond is OverflowError.
TIMEOUTS = [9.2e9, 1e10, 1e300, float("inf"), float("-inf"), float("nan"), -1e-10, -1.0, 0.5, 9223372036,
            9223372037, -9223372036, -9223372037, 9223372036.8547, 2.0 ** 63 / 1e9, -(2.0 ** 63) / 1e9, 2 ** 63]


def timeout_outcome(fn):
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the class and message are the result
        return ("raise", type(e).__name__, str(e))


@pytest.mark.parametrize("value", TIMEOUTS, ids=repr)
def test_timeout_bounds_same_as_cpython(value):
    outcomes = []
    for mod in (cpython_socket, usocket):
        with mod.socket() as s:
            on_socket = timeout_outcome(lambda: (s.settimeout(value), s.gettimeout())[1])
        try:
            default = timeout_outcome(lambda: (mod.setdefaulttimeout(value), mod.getdefaulttimeout())[1])
        finally:
            mod.setdefaulttimeout(None)
        select_fn = select.select if mod is cpython_socket else mod.select
        # (select() with a valid timeout would wait: only its refusals are compared.)
        refused = on_socket[0] == "raise"
        selected = timeout_outcome(lambda: select_fn([], [], [], value)) if refused else None
        outcomes.append((on_socket, default, selected))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("value", [9.2e9, 9223372036, 9223372036.8547], ids=repr)
def test_huge_timeout_waits(value):
    a, b = usocket.socketpair()
    with a, b:
        a.settimeout(value)
        timer = threading.Timer(0.2, b.sendall, (b"x",))
        timer.start()
        try:
            assert a.recv(1) == b"x"
        finally:
            timer.join()


def test_create_connection_timeout_0_group_members_as_cpython():
    members = []
    for mod in (cpython_socket, usocket):
        with mod.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            members.append(group_members(lambda: mod.create_connection(listener.getsockname(), 0, all_errors=True)))
    assert members[0] == members[1] == [("BlockingIOError", errno.EINPROGRESS)]


def test_unix_path_stops_at_nul():
    for mod in (cpython_socket, usocket):
        with tempfile.TemporaryDirectory() as d, mod.socket(mod.AF_UNIX) as s:
            s.bind(os.path.join(d, "a") + "\0tail")
            assert s.getsockname() == os.path.join(d, "a")
            assert os.listdir(d) == ["a"]


def test_getaddrinfo_scoped_host_without_scope_text():
    if not cpython_socket.has_ipv6:
        pytest.skip("no IPv6")
    for mod in (cpython_socket, usocket):
        for entry in mod.getaddrinfo("fe80::1%lo", 80, mod.AF_INET6, mod.SOCK_STREAM):
            assert entry[4] == ("fe80::1", 80, 0, cpython_socket.if_nametoindex("lo"))


def test_gethostbyaddr_wildcard():
    # "" is getaddrinfo(NULL, AI_PASSIVE); more than one address (IPv4 and IPv6) is an error.
    # (With only one, CPython asks the resolver for 0.0.0.0's name: not a loopback-only test.)
    wildcard = cpython_socket.getaddrinfo(None, 0, 0, cpython_socket.SOCK_DGRAM, 0, cpython_socket.AI_PASSIVE)
    if len(wildcard) < 2:
        pytest.skip("the wildcard is one address here")
    assert compare(lambda c: c.mod.gethostbyaddr("")) == ("raise", "OSError", None)


def test_fromfd_large_numbers_are_ebadf():
    # CPython takes the low 32 bits of the number (2**40 is descriptor 0); no descriptor has
    # such a number, so usocket says EBADF, still an OSError as CPython's.
    for fd in (2 ** 31, 2 ** 40, 2 ** 63 - 1, -2 ** 31 - 1):
        with pytest.raises(OSError) as e:
            usocket.fromfd(fd, usocket.AF_INET, usocket.SOCK_STREAM)
        assert e.value.errno == errno.EBADF
        with pytest.raises(OSError) as e:
            usocket.socket(fileno=fd)
        assert e.value.errno == errno.EBADF


def test_seed_address_forms_are_kept():
    # Seed 001 documents "a list or tuple" for bind() and connect(); seed 002 a bare port for
    # bind() and the IPv4 forms "a.b.c.d" and (a, b, c, d[, port]) everywhere. CPython refuses
    # them all (TypeError); sendto() and the other tuple arguments take no list, as CPython.
    with usocket.socket() as listener, usocket.socket() as client:
        listener.bind(["127.0.0.1", 0])
        listener.listen()
        client.connect(["127.0.0.1", listener.getsockname()[1]])
    with usocket.socket() as s:
        s.bind(0)
        assert s.getsockname()[0] == "0.0.0.0"
    with usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM) as s:
        s.bind((127, 0, 0, 1, 0))
        assert s.getsockname()[0] == "127.0.0.1"
        with pytest.raises(TypeError):
            s.sendto(b"x", ["127.0.0.1", 9])


def dup_resets_mode(c):
    # A duplicate shares the open file description: dup() sets its O_NONBLOCK from the timeout
    # again, whatever another duplicate did to it.
    s = c.sock()
    d = s.dup()
    c.opened.append(d)
    d.setblocking(False)
    e = s.dup()
    c.opened.append(e)
    return os.get_blocking(e.fileno()), os.get_blocking(s.fileno())


def files_keep_socket_open(c):
    # close() closes the descriptor once the last file from makefile() is closed, not before.
    s = c.sock()
    f1, f2 = s.makefile("rb"), s.makefile("rb")
    s.close()
    f1.close()
    still_open = s.fileno() >= 0
    f2.close()
    return still_open, s.fileno() >= 0


def failed_makefile_keeps_socket_open(c):
    # makefile() counts the file before it checks the mode (CPython's order): a failed text
    # unbuffered one is never closed, so the socket stays open until it is collected.
    s = c.sock()
    f = s.makefile("rb")
    s.close()
    try:
        s.makefile("r", 0)
    except ValueError:
        pass
    f.close()
    return s.fileno() >= 0


@pytest.mark.parametrize("sequence", [dup_resets_mode, files_keep_socket_open, failed_makefile_keeps_socket_open])
def test_sequence_same_as_cpython(sequence):
    results = []
    for mod in (cpython_socket, usocket):
        ctx = Context(mod)
        try:
            results.append(sequence(ctx))
        finally:
            ctx.close()
    assert results[1] == results[0]
