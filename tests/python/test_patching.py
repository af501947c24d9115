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
