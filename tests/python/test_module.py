"""Module-level functions, constants and objects."""

import errno
import os
import socket as cpython_socket
import threading
import time

import pytest

import usocket


def test_constants_match_cpython():
    # Every constant comes from usocket::constant_table(), with the platform's values: on
    # Linux they equal CPython's.
    names = [n for n in dir(usocket) if n.isupper() and n[:3] in
             ("AF_", "SOC", "SOL", "SO_", "IPP", "TCP", "MSG", "SHU", "AI_", "NI_", "EAI", "IP_", "IPV")]
    assert len(names) > 80
    compared = 0
    for name in names:
        if hasattr(cpython_socket, name):
            assert getattr(usocket, name) == getattr(cpython_socket, name), name
            compared += 1
    assert compared > 70
    for name in ("AF_INET", "AF_INET6", "AF_UNIX", "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_SEQPACKET",
                 "SOCK_RDM", "SOL_SOCKET", "SO_REUSEADDR", "SO_BROADCAST", "SO_RCVTIMEO", "IPPROTO_TCP",
                 "IPPROTO_UDP", "SHUT_RD", "SHUT_WR", "SHUT_RDWR", "TCP_NODELAY", "MSG_PEEK", "AI_PASSIVE",
                 "NI_NUMERICHOST", "SOMAXCONN"):
        assert isinstance(getattr(usocket, name), int), name
    assert usocket.EAI_NONAME < 0  # glibc's negative EAI codes, as the gaierror carries them


def test_has_ipv6():
    assert usocket.has_ipv6 is cpython_socket.has_ipv6


def test_default_timeout():
    assert usocket.getdefaulttimeout() is None
    try:
        usocket.setdefaulttimeout(1.5)
        assert usocket.getdefaulttimeout() == 1.5
        with usocket.socket() as s:
            assert s.gettimeout() == 1.5
        a, b = usocket.socketpair()
        with a, b:
            assert a.gettimeout() == 1.5 and b.gettimeout() == 1.5
        usocket.setdefaulttimeout(0)
        with usocket.socket() as s:
            assert s.gettimeout() == 0.0
        with pytest.raises(ValueError):
            usocket.setdefaulttimeout(-1)
        assert usocket.getdefaulttimeout() == 0.0
    finally:
        usocket.setdefaulttimeout(None)
    assert usocket.getdefaulttimeout() is None


def test_socketpair_defaults_and_types():
    a, b = usocket.socketpair()
    with a, b:
        assert a.family == usocket.AF_UNIX and a.type == usocket.SOCK_STREAM
        a.sendall(b"pair")
        assert b.recv(4) == b"pair"
    a, b = usocket.socketpair(usocket.AF_UNIX, usocket.SOCK_DGRAM)
    with a, b:
        a.send(b"d1")
        a.send(b"d2")
        assert b.recv(10) == b"d1"
    a, b = usocket.socketpair(type=usocket.SOCK_SEQPACKET)
    with a, b:
        assert a.type == usocket.SOCK_SEQPACKET


def test_fromfd_duplicates():
    with cpython_socket.socket() as original:
        original.bind(("127.0.0.1", 0))
        with usocket.fromfd(original.fileno(), usocket.AF_INET, usocket.SOCK_STREAM) as s:
            assert s.fileno() != original.fileno()
            assert s.getsockname() == original.getsockname()
        os.fstat(original.fileno())  # still open


def test_getaddrinfo_shapes(mod):
    res = mod.getaddrinfo("127.0.0.1", 80, mod.AF_INET, mod.SOCK_STREAM)
    assert res == [(mod.AF_INET, mod.SOCK_STREAM, mod.IPPROTO_TCP, "", ("127.0.0.1", 80))]
    res = mod.getaddrinfo("localhost", "80", type=mod.SOCK_DGRAM, family=mod.AF_INET)
    assert res[0][4] == ("127.0.0.1", 80) and res[0][1] == mod.SOCK_DGRAM
    res = mod.getaddrinfo(None, 0, mod.AF_INET, mod.SOCK_STREAM, 0, mod.AI_PASSIVE)
    assert res[0][4] == ("0.0.0.0", 0)
    res = mod.getaddrinfo("::1", None, mod.AF_INET6, mod.SOCK_STREAM)
    assert res[0][4] == ("::1", 0, 0, 0)
    res = mod.getaddrinfo(b"127.0.0.1", b"7", mod.AF_INET, mod.SOCK_DGRAM)
    assert res[0][4] == ("127.0.0.1", 7)
    res = mod.getaddrinfo("localhost", 80, mod.AF_INET, mod.SOCK_STREAM, 0, mod.AI_CANONNAME)
    assert res[0][3] != ""


def test_getaddrinfo_same_as_cpython():
    for args in [("localhost", 80), ("127.0.0.1", "http"), ("localhost", None), (None, 80),
                 ("::1", 443, 0, cpython_socket.SOCK_STREAM)]:
        expected = [tuple(int(x) if isinstance(x, int) else x for x in r) for r in cpython_socket.getaddrinfo(*args)]
        assert usocket.getaddrinfo(*args) == expected, args


def test_getaddrinfo_errors(mod):
    with pytest.raises(OSError, match="Int or String expected"):
        mod.getaddrinfo("localhost", 1.5)
    with pytest.raises(mod.gaierror) as e:
        mod.getaddrinfo("localhost", "no-such-service-name")
    assert e.value.errno == mod.EAI_SERVICE
    with pytest.raises(TypeError):
        mod.getaddrinfo(1, 80)


def test_ip_to_tuple():
    assert usocket.ip_to_tuple("192.168.1.10") == (192, 168, 1, 10)
    assert usocket.ip_to_tuple("0.0.0.0") == (0, 0, 0, 0)
    assert usocket.ip_to_tuple("255.255.255.255") == (255, 255, 255, 255)
    for bad in ("256.1.1.1", "1.2.3", "", "a.b.c.d", "::1"):
        with pytest.raises(ValueError):
            usocket.ip_to_tuple(bad)
    with pytest.raises(TypeError):
        usocket.ip_to_tuple(1234)


def test_print_pcbs(capsys):
    a, b = usocket.socketpair()
    listener = usocket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    usocket.print_pcbs()
    out = capsys.readouterr().out
    lines = out.splitlines()
    port = listener.getsockname()[1]
    assert any("fd=%d" % listener.fileno() in l and "LISTEN" in l and "127.0.0.1:%d" % port in l for l in lines)
    assert any("fd=%d" % a.fileno() in l for l in lines)
    for s in (a, b, listener):
        s.close()
    usocket.print_pcbs()
    assert "fd=%d " % listener_fd(out, port) not in capsys.readouterr().out


def listener_fd(out, port):
    for line in out.splitlines():
        if "127.0.0.1:%d" % port in line:
            return int(line.split("fd=")[1].split()[0])
    return -1


def test_reset_wakes_blocked_recv():
    a, b = usocket.socketpair()
    with a, b:
        out = []
        t = threading.Thread(target=lambda: out.append(b.recv(10)))
        t.start()
        time.sleep(0.1)
        usocket.reset()  # shuts every socket down: the blocked recv sees the end
        t.join(10)
        assert out == [b""]
        with pytest.raises(OSError):
            a.send(b"x")


def test_callback_is_not_documented():
    with pytest.raises(NotImplementedError):
        usocket.callback()


SUBINTERPRETER_CODE = """
import usocket
a, b = usocket.socketpair()
a.sendall(b"sub")
assert b.recv(3) == b"sub"
try:
    usocket.getaddrinfo("\\0x", 80)
except usocket.gaierror:
    pass
else:
    raise AssertionError("no gaierror")
p = usocket.poll()
p.register(a)
p.unregister(a)
a.close()
b.close()
"""


def test_subinterpreters():
    # Multi-phase initialisation and per-module state: each interpreter gets its own module,
    # types and exception classes, and destroying it frees them.
    interpreters = pytest.importorskip("_xxsubinterpreters")
    for _ in range(3):
        interp = interpreters.create()
        try:
            interpreters.run_string(interp, SUBINTERPRETER_CODE)
        finally:
            interpreters.destroy(interp)


def test_module_objects_are_independent():
    import importlib
    import sys
    first = sys.modules["usocket._usocket"]
    del sys.modules["usocket._usocket"]
    try:
        second = importlib.import_module("usocket._usocket")
    finally:
        sys.modules["usocket._usocket"] = first
    assert second is not first
    assert second.socket is not first.socket and second.poll is not first.poll
    assert second.gaierror is not first.gaierror
    # A socket's errors are its own module's classes.
    for mod in (first, second):
        with mod.socket() as s, pytest.raises(mod.gaierror):
            s.connect(("x" * 300, 1))
        a, b = mod.socketpair()
        with a, b:
            assert type(a) is mod.socket
            c = a.dup()
            with c:
                assert type(c) is mod.socket


def test_subclass_methods_find_their_module():
    class Sub(usocket.socket):
        pass

    with Sub() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with Sub() as client:
            client.connect(listener.getsockname())
            conn, _ = listener.accept()
            with conn, client.dup() as copy:
                assert type(conn) is usocket.socket and type(copy) is Sub
        with Sub() as s, pytest.raises(usocket.gaierror):
            s.connect(("x" * 300, 1))
