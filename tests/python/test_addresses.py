"""Address forms: CPython's, the seed-002 dialect, bare ports, IPv6 and AF_UNIX paths."""

import errno
import os
import tempfile

import pytest

import usocket
from conftest import tcp_pair


def test_seed002_ipv4_forms():
    with usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM) as s:
        s.bind((127, 0, 0, 1))  # a tuple of four integers; the missing port is 0
        host, port = s.getsockname()
        assert host == "127.0.0.1" and port > 0
    with usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM) as s:
        s.bind("127.0.0.1")  # a bare string
        assert s.getsockname()[0] == "127.0.0.1"
    with usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM) as r, \
            usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM) as w:
        r.bind(("127.0.0.1", 0))
        port = r.getsockname()[1]
        w.sendto(b"five", (127, 0, 0, 1, port))  # four integers and a port
        data, sender = r.recvfrom(10)
        assert data == b"five" and sender == ("127.0.0.1", w.getsockname()[1])
        w.connect([127, 0, 0, 1, port])  # seed 001: "a list or tuple"
        w.send(b"list")
        assert r.recv(10) == b"list"


def test_seed002_bad_octets():
    with usocket.socket() as s:
        with pytest.raises(ValueError):
            s.bind((256, 0, 0, 1))
        with pytest.raises(OverflowError):
            s.bind((127, 0, 0, 1, 70000))


def test_bind_bare_port():
    with usocket.socket() as s:
        s.bind(0)  # seed 002's bind(80), with an ephemeral port
        host, port = s.getsockname()
        assert host == "0.0.0.0" and port > 0
    with usocket.socket(usocket.AF_INET6) as s:
        s.bind(0)
        assert s.getsockname()[0] == "::"
    with usocket.socket() as s, pytest.raises(TypeError):
        s.connect(80)  # a bare port only means "every local address" for bind


def test_getaddrinfo_sockaddr_is_plain_tuple():
    # Seed 001: the opaque sockaddr of getaddrinfo()[0][-1] is the (host, port) tuple.
    listener, client, server = tcp_pair(usocket)
    with listener, client, server:
        port = listener.getsockname()[1]
        sockaddr = usocket.getaddrinfo("127.0.0.1", port)[0][-1]
        assert sockaddr == ("127.0.0.1", port) and type(sockaddr) is tuple
        with usocket.socket() as s:
            s.connect(sockaddr)
            listener.accept()[0].close()


def test_names_resolved_in_addresses(mod):
    with mod.socket() as s:
        s.bind(("localhost", 0))
        assert s.getsockname()[0] == "127.0.0.1"
    with mod.socket() as s:
        s.bind(("", 0))
        assert s.getsockname()[0] == "0.0.0.0"


def test_broadcast_name(mod):
    with mod.socket(mod.AF_INET, mod.SOCK_DGRAM) as s:
        s.setsockopt(mod.SOL_SOCKET, mod.SO_BROADCAST, 1)
        s.connect(("<broadcast>", 9))
        assert s.getpeername() == ("255.255.255.255", 9)


@pytest.mark.skipif(not usocket.has_ipv6, reason="no IPv6")
def test_ipv6(mod):
    with mod.socket(mod.AF_INET6, mod.SOCK_DGRAM) as a, mod.socket(mod.AF_INET6, mod.SOCK_DGRAM) as b:
        a.bind(("::1", 0))
        name = a.getsockname()
        assert len(name) == 4 and name[0] == "::1" and name[2:] == (0, 0)
        b.sendto(b"six", ("::1", name[1]))
        data, addr = a.recvfrom(10)
        assert data == b"six" and addr == ("::1", b.getsockname()[1], 0, 0)
        b.sendto(b"six", ("::1", name[1], 0, 0))
        assert a.recv(10) == b"six"
        with pytest.raises(OverflowError, match="flowinfo"):
            b.sendto(b"x", ("::1", name[1], 1 << 21))


def test_ipv6_tcp_pair(mod):
    if not usocket.has_ipv6:
        pytest.skip("no IPv6")
    listener, client, server = tcp_pair(mod, mod.AF_INET6, "::1")
    with listener, client, server:
        client.sendall(b"v6")
        assert server.recv(2) == b"v6"
        assert server.getpeername()[:2] == client.getsockname()[:2]


def test_unix_paths(mod):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "sock")
        with mod.socket(mod.AF_UNIX, mod.SOCK_STREAM) as listener:
            listener.bind(path)
            assert listener.getsockname() == path
            listener.listen()
            with mod.socket(mod.AF_UNIX, mod.SOCK_STREAM) as c:
                c.connect(path.encode())  # bytes paths too
                conn, addr = listener.accept()
                with conn:
                    assert addr == ""  # an unbound client has an empty name
                    assert c.getpeername() == path
        with mod.socket(mod.AF_UNIX) as s, pytest.raises(OSError, match="AF_UNIX path too long"):
            s.bind("x" * 200)


def test_unix_abstract(mod):
    name = b"\0usocket-test-%d-%s" % (os.getpid(), mod.__name__.encode())
    with mod.socket(mod.AF_UNIX, mod.SOCK_DGRAM) as a, mod.socket(mod.AF_UNIX, mod.SOCK_DGRAM) as b:
        a.bind(name)
        assert a.getsockname() == name  # bytes, with the leading NUL
        b.sendto(b"abstract", name)
        assert a.recv(20) == b"abstract"


def test_address_type_errors(mod):
    with mod.socket() as s:
        with pytest.raises(TypeError):
            s.connect({"host": 1})
    with mod.socket(mod.AF_UNIX) as s, pytest.raises(TypeError):
        s.bind(5)


def test_connect_refused_on_ipv4_loopback_errno(mod):
    with mod.socket() as free:
        free.bind(("127.0.0.1", 0))
        with mod.socket() as s:
            assert s.connect_ex(free.getsockname()) == errno.ECONNREFUSED
