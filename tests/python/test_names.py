"""The name functions, inet_*, byte order, create_connection and create_server, compared with
CPython's socket module (loopback names and numeric addresses only)."""

import socket as cpython_socket
import threading

import pytest

import usocket
from conftest import UNRESOLVABLE, outcome

SAME = [
    ("gethostbyname localhost", lambda m: m.gethostbyname("localhost")),
    ("gethostbyname numeric", lambda m: m.gethostbyname("127.0.0.1")),
    ("gethostbyname empty", lambda m: m.gethostbyname("")),
    ("gethostbyname_ex numeric", lambda m: m.gethostbyname_ex("127.0.0.1")),
    ("gethostbyaddr loopback", lambda m: m.gethostbyaddr("127.0.0.1")),
    ("gethostname", lambda m: m.gethostname()),
    ("getfqdn localhost", lambda m: m.getfqdn("localhost")),
    ("getnameinfo numeric", lambda m: m.getnameinfo(("127.0.0.1", 80), m.NI_NUMERICHOST | m.NI_NUMERICSERV)),
    ("getnameinfo names", lambda m: m.getnameinfo(("127.0.0.1", 80), 0)),
    ("getnameinfo v6", lambda m: m.getnameinfo(("::1", 443, 0, 0), m.NI_NUMERICHOST)),
    ("getnameinfo not tuple", lambda m: m.getnameinfo("x", 0)),
    ("getservbyname http", lambda m: m.getservbyname("http")),
    ("getservbyname udp", lambda m: m.getservbyname("domain", "udp")),
    ("getservbyname missing", lambda m: m.getservbyname("no-such-service")),
    ("getservbyport 80", lambda m: m.getservbyport(80)),
    ("getservbyport tcp", lambda m: m.getservbyport(22, "tcp")),
    ("getservbyport range", lambda m: m.getservbyport(70000)),
    ("getprotobyname tcp", lambda m: m.getprotobyname("tcp")),
    ("getprotobyname udp", lambda m: m.getprotobyname("udp")),
    ("getprotobyname missing", lambda m: m.getprotobyname("no-such-protocol")),
    ("inet_pton v4", lambda m: m.inet_pton(m.AF_INET, "192.168.1.10")),
    ("inet_pton v6", lambda m: m.inet_pton(m.AF_INET6, "fe80::1")),
    ("inet_pton bad", lambda m: m.inet_pton(m.AF_INET, "1.2.3")),
    ("inet_ntop v4", lambda m: m.inet_ntop(m.AF_INET, b"\x7f\0\0\1")),
    ("inet_ntop v6", lambda m: m.inet_ntop(m.AF_INET6, bytes(15) + b"\1")),
    ("inet_ntop length", lambda m: m.inet_ntop(m.AF_INET, b"123")),
    ("inet_aton short", lambda m: m.inet_aton("127.1")),
    ("inet_aton bad", lambda m: m.inet_aton("not an address")),
    ("inet_ntoa", lambda m: m.inet_ntoa(b"\xc0\xa8\1\x0a")),
    ("inet_ntoa length", lambda m: m.inet_ntoa(b"12")),
    ("htons", lambda m: m.htons(0x1234)),
    ("ntohs", lambda m: m.ntohs(0x3412)),
    ("htonl", lambda m: m.htonl(0x12345678)),
    ("ntohl", lambda m: m.ntohl(0x78563412)),
    ("htons too large", lambda m: m.htons(70000)),
    ("htons negative", lambda m: m.htons(-1)),
    ("htonl too large", lambda m: m.htonl(2 ** 33)),
]


@pytest.mark.parametrize("name,call", SAME, ids=[c[0] for c in SAME])
def test_same_as_cpython(name, call):
    assert outcome(call, usocket) == outcome(call, cpython_socket)


def test_ip_to_tuple_from_library():
    assert usocket.ip_to_tuple("10.0.0.255") == (10, 0, 0, 255)
    with pytest.raises(ValueError):
        usocket.ip_to_tuple("10.0.0")


def test_gethostbyname_unknown_is_gaierror():
    with pytest.raises(usocket.gaierror) as e:
        usocket.gethostbyname(UNRESOLVABLE)
    assert e.value.errno < 0


def test_create_server_and_connection(mod):
    with mod.create_server(("127.0.0.1", 0)) as server:
        assert server.getsockopt(mod.SOL_SOCKET, mod.SO_REUSEADDR) == 1
        port = server.getsockname()[1]
        with mod.create_connection(("127.0.0.1", port), timeout=5) as c:
            assert c.gettimeout() == 5.0
            conn, _ = server.accept()
            with conn:
                c.sendall(b"hi")
                assert conn.recv(2) == b"hi"
        with mod.create_connection(("localhost", port), 5, ("127.0.0.1", 0)) as c:
            server.accept()[0].close()
            assert c.getsockname()[0] == "127.0.0.1"


def test_create_connection_refused(mod):
    with mod.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
        with pytest.raises(ConnectionRefusedError):
            mod.create_connection(("127.0.0.1", port), timeout=5)
        with pytest.raises(ExceptionGroup) as e:
            mod.create_connection(("127.0.0.1", port), timeout=5, all_errors=True)
        assert all(isinstance(x, ConnectionRefusedError) for x in e.value.exceptions)


def test_create_server_ipv6_and_backlog(mod):
    if not usocket.has_ipv6:
        pytest.skip("no IPv6")
    with mod.create_server(("::1", 0), family=mod.AF_INET6, backlog=3) as s:
        assert s.family == mod.AF_INET6
        assert s.getsockopt(mod.IPPROTO_IPV6, mod.IPV6_V6ONLY) == 1
    assert usocket.has_dualstack_ipv6() == cpython_socket.has_dualstack_ipv6()


def test_create_connection_releases_gil():
    with usocket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        got = []
        t = threading.Thread(target=lambda: got.append(usocket.create_connection(("127.0.0.1", port), 5)))
        t.start()
        conn, _ = server.accept()
        t.join(10)
        conn.close()
        got[0].close()
