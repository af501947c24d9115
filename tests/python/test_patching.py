"""Replacing usocket.socket (a test's mock, gevent's monkey-patching) reaches the sockets that
create_connection, create_server, socketpair and fromfd make, as CPython's socket module does;
with the module's own type they run natively. Also the module-level dup()."""

import contextlib
import errno
import os
import socket as cpython_socket

import pytest

import usocket


@contextlib.contextmanager
def replaced(cls):
    old = usocket.socket
    usocket.socket = cls
    try:
        yield
    finally:
        usocket.socket = old


def listener():
    s = usocket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


class Counting(usocket.socket):
    """What gevent's patching does in spirit: a subclass whose methods the library's functions
    must go through."""
    made = 0
    connects = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        Counting.made += 1

    def connect(self, address):
        Counting.connects += 1
        return super().connect(address)


class TimesOut(usocket.socket):
    """CPython's own test (test_create_connection_timeout) mocks connect() this way."""

    def connect(self, *args):
        raise TimeoutError("timed out")


def test_create_connection_reaches_a_replaced_socket():
    with replaced(TimesOut):
        with pytest.raises(TimeoutError):
            usocket.create_connection(("127.0.0.1", 1234))
        with pytest.raises(ExceptionGroup) as group:
            usocket.create_connection(("127.0.0.1", 1234), all_errors=True)
        assert all(isinstance(e, TimeoutError) for e in group.value.exceptions)
    lst = listener()
    Counting.made = Counting.connects = 0
    try:
        with replaced(Counting):
            c = usocket.create_connection(lst.getsockname(), timeout=5)
            with c:
                assert type(c) is Counting and Counting.connects == 1
                assert c.gettimeout() == 5
                conn, _ = lst.accept()
                with conn:
                    c.sendall(b"x")
                    assert conn.recv(1) == b"x"
            # A refused address: the last attempt's error, as CPython's loop raises it.
            port = lst.getsockname()[1]
            lst.close()
            with pytest.raises(ConnectionRefusedError):
                usocket.create_connection(("127.0.0.1", port))
    finally:
        lst.close()


def test_the_other_functions_make_the_replacement():
    with replaced(Counting):
        a, b = usocket.socketpair()
        with a, b:
            assert type(a) is Counting and type(b) is Counting
            a.sendall(b"y")
            assert b.recv(1) == b"y"
        server = usocket.create_server(("127.0.0.1", 0))
        with server:
            assert type(server) is Counting
            assert server.getsockopt(usocket.SOL_SOCKET, usocket.SO_ACCEPTCONN) == 1
            dup = usocket.fromfd(server.fileno(), usocket.AF_INET, usocket.SOCK_STREAM)
            with dup:
                assert type(dup) is Counting and dup.fileno() != server.fileno()
        # create_server's errors stay CPython's.
        with pytest.raises(ValueError):
            usocket.create_server(("127.0.0.1", 0), dualstack_ipv6=True)
        busy = usocket.create_server(("127.0.0.1", 0))
        with busy, pytest.raises(OSError) as e:
            usocket.create_server(busy.getsockname())
        assert e.value.errno == errno.EADDRINUSE and "while attempting to bind" in str(e.value)


def test_the_native_functions_come_back_with_the_native_type():
    with replaced(Counting):
        pass
    a, b = usocket.socketpair()
    with a, b:
        assert type(a) is usocket.socket
    lst = listener()
    with lst:
        c = usocket.create_connection(lst.getsockname())
        with c:
            assert type(c) is usocket.socket
    # The wrappers keep the names and documents of the functions they wrap.
    assert usocket.create_connection.__name__ == "create_connection"
    assert usocket.create_connection.__doc__


def test_dup_is_cpythons():
    a, b = usocket.socketpair()
    with a, b:
        fd = usocket.dup(a.fileno())
        try:
            assert fd != a.fileno() and not os.get_inheritable(fd)
            s = usocket.socket(fileno=fd)
            fd = -1
            with s:
                s.sendall(b"z")
                assert b.recv(1) == b"z"
        finally:
            if fd >= 0:
                os.close(fd)
    for bad, cls in ((-1, OSError), ("3", TypeError), (2 ** 70, OverflowError)):
        with pytest.raises(cls):
            usocket.dup(bad)
        with pytest.raises(cls):
            cpython_socket.dup(bad)


class Record:
    """What the replacements of the next test saw."""
    made = []
    options = []
    reuseaddr_fails = False


def recording(base):
    """A subclass of `base` that records what it is made with and the options set on it;
    SO_REUSEADDR fails when Record.reuseaddr_fails."""

    class Recording(base):
        def __init__(self, *args, **kwargs):
            base.__init__(self, *args, **kwargs)
            Record.made.append(args)

        def setsockopt(self, level, name, value, *rest):
            Record.options.append((level, name))
            if Record.reuseaddr_fails and name == cpython_socket.SO_REUSEADDR:
                raise OSError(errno.ENOPROTOOPT, "no such option")
            return base.setsockopt(self, level, name, value, *rest)

    return Recording


def refusing(base):
    class Refused(base):
        def __init__(self, *args, **kwargs):
            raise RuntimeError("replacement used")

    return Refused


@pytest.mark.parametrize("module", [cpython_socket, usocket], ids=["cpython", "usocket"])
def test_a_replacement_sees_what_cpythons_code_does(module, tmp_path):
    """Each case run against CPython's module with the same replacement: the same calls reach
    it, with the same arguments, and the same errors come out."""
    base = module.socket

    def run(cls, fn):
        Record.made, Record.options = [], []
        old = module.socket
        module.socket = cls
        try:
            return fn()
        finally:
            module.socket = old
            Record.reuseaddr_fails = False

    # A failing SO_REUSEADDR is ignored (bind() decides); an AF_UNIX server gets it too.
    cls = recording(base)

    def failing_option():
        Record.reuseaddr_fails = True
        return module.create_server(("127.0.0.1", 0))

    with run(cls, failing_option) as s:
        assert type(s) is cls
    with run(cls, lambda: module.create_server(str(tmp_path / "s"), family=module.AF_UNIX)) as s:
        assert (module.SOL_SOCKET, module.SO_REUSEADDR) in Record.options
    with pytest.raises(TypeError):
        run(cls, lambda: module.create_server(("127.0.0.1", 0), family=None))
    # has_dualstack_ipv6's probe is made with the replacement.
    refused = refusing(base)
    with pytest.raises(RuntimeError):
        run(refused, lambda: module.create_server(("::1", 0), family=module.AF_INET6, dualstack_ipv6=True))
    with pytest.raises(RuntimeError):
        run(refused, module.has_dualstack_ipv6)
    # socketpair passes the caller's family, type (flags included) and proto.
    pair = run(cls, lambda: module.socketpair(module.AF_UNIX, module.SOCK_STREAM | module.SOCK_NONBLOCK))
    with pair[0], pair[1]:
        assert Record.made[0][:3] == (module.AF_UNIX, module.SOCK_STREAM | module.SOCK_NONBLOCK, 0)
        assert pair[0].gettimeout() == 0.0 and not pair[0].getblocking()
    # fromfd takes its arguments by name too; dup does not.
    with module.socket() as s:
        with run(cls, lambda: module.fromfd(fd=s.fileno(), family=module.AF_INET, type=module.SOCK_STREAM)) as d:
            assert type(d) is cls
        with module.fromfd(fd=s.fileno(), family=module.AF_INET, type=module.SOCK_STREAM) as d:
            assert type(d) is base
        with pytest.raises(TypeError):
            module.dup(fd=s.fileno())
    # Without a `socket` at all, as a Python function finds no global.
    old = module.socket
    del module.socket
    try:
        with pytest.raises(NameError):
            module.socketpair()
    finally:
        module.socket = old


def test_a_type_with_sock_nonblock_makes_an_adopted_socket_non_blocking():
    a, b = usocket.socketpair()
    with a, b:
        usocket.setdefaulttimeout(2.5)
        try:
            s = usocket.socket(usocket.AF_UNIX, usocket.SOCK_STREAM | usocket.SOCK_NONBLOCK, 0, os.dup(a.fileno()))
            t = usocket.socket(fileno=os.dup(a.fileno()))
        finally:
            usocket.setdefaulttimeout(None)
        with s, t:
            assert s.gettimeout() == 0.0 and not s.getblocking()
            assert t.gettimeout() == 2.5
